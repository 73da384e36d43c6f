//! Shared simulator state: accounts by API key, counters, rate windows,
//! injected faults and the sim clock. Locks are never held across an await.

use super::{Fault, SimAccount, SimOptions};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// The weights of the last 60 s (when, how much) and the most they summed to.
type Sliding = (VecDeque<(Instant, u32)>, u32);

pub struct SimState {
    pub(crate) opts: SimOptions,
    /// In the order given, for config output.
    order: Vec<SimAccount>,
    accounts: Mutex<HashMap<String, Slot>>,
    requests: AtomicU64,
    violations: AtomicU64,
    clock_offset_ms: AtomicI64,
    traces: AtomicU64,
    /// Rate windows counted on something other than one API key (OKX: the
    /// user id, shared by all of that user's keys), by window key.
    shared_windows: Mutex<HashMap<String, VecDeque<Instant>>>,
    config_requests: AtomicU64,
    /// Bybit: the simulated IP is banned (HTTP 403) until then.
    ip_banned_until: Mutex<Option<Instant>>,
    /// Per weight window key (no minute): the weight of the last 60 s, and
    /// the most it ever was (what a shared budget must keep under its share).
    sliding: Mutex<HashMap<String, Sliding>>,
}

struct Slot {
    account: SimAccount,
    requests: u64,
    /// Successful balance replies served so far: the drift step.
    step: u64,
    /// Webull: the drift step of each sub-account (by account_id).
    sub_steps: HashMap<String, u64>,
    /// Arrival times of accepted requests within the current window.
    window: VecDeque<Instant>,
    faults: VecDeque<(Fault, u32)>,
    /// Signatures of recent authenticated requests (duplicate detection).
    seen: VecDeque<(Instant, String)>,
}

impl Slot {
    /// The next injected fault for an admitted request, if any.
    fn take_fault(&mut self) -> Admission {
        let Some((fault, left)) = self.faults.front_mut() else {
            return Admission::Ok;
        };
        let fault = fault.clone();
        *left -= 1;
        if *left == 0 {
            self.faults.pop_front();
        }
        Admission::Fault(fault)
    }
}

/// How long a signature is remembered for duplicate detection: longer than
/// any timestamp the skew check lets through.
const SEEN_FOR: Duration = Duration::from_secs(90);

/// What an authenticated request is allowed to do next.
pub(crate) enum Admission {
    Ok,
    /// Over the venue's limit: a real violation.
    Limited,
    Fault(Fault),
}

impl SimState {
    pub(crate) fn new(opts: SimOptions, accounts: Vec<SimAccount>) -> Self {
        let order = accounts.clone();
        let accounts = accounts
            .into_iter()
            .map(|a| {
                let slot = Slot {
                    account: a,
                    requests: 0,
                    step: 0,
                    sub_steps: HashMap::new(),
                    window: VecDeque::new(),
                    faults: VecDeque::new(),
                    seen: VecDeque::new(),
                };
                (slot.account.api_key.clone(), slot)
            })
            .collect();
        SimState {
            opts,
            order,
            accounts: Mutex::new(accounts),
            requests: AtomicU64::new(0),
            violations: AtomicU64::new(0),
            clock_offset_ms: AtomicI64::new(0),
            traces: AtomicU64::new(0),
            shared_windows: Mutex::new(HashMap::new()),
            config_requests: AtomicU64::new(0),
            ip_banned_until: Mutex::new(None),
            sliding: Mutex::new(HashMap::new()),
        }
    }

    /// A fresh trace id for a response header.
    pub(crate) fn next_trace(&self) -> String {
        let n = self.traces.fetch_add(1, Ordering::Relaxed) + 1;
        format!("sim-{:016x}", n)
    }

    /// Remember an authenticated request's signature; true (and a violation)
    /// if the same signature was already seen: a byte-identical request.
    pub(crate) fn duplicate(&self, api_key: &str, signature: &str) -> bool {
        self.replayed(api_key, signature, SEEN_FOR)
    }

    /// As `duplicate`, remembering `id` (a signature, a nonce) for `keep`.
    pub(crate) fn replayed(&self, api_key: &str, id: &str, keep: Duration) -> bool {
        let now = Instant::now();
        let mut map = self.lock();
        let Some(slot) = map.get_mut(api_key) else {
            return false;
        };
        while slot
            .seen
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) >= keep)
        {
            slot.seen.pop_front();
        }
        if slot.seen.iter().any(|(_, s)| s == id) {
            self.violations.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        slot.seen.push_back((now, id.to_string()));
        false
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        // A panic elsewhere must not take the simulator down with it.
        self.accounts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The simulated accounts, in the order given to `Sim::start`.
    pub fn accounts(&self) -> Vec<SimAccount> {
        self.order.clone()
    }

    /// Requests refused because the client broke the real limit.
    pub fn violations(&self) -> u64 {
        self.violations.load(Ordering::Relaxed)
    }

    /// Balance requests (and Webull discovery requests) received, total
    /// (whatever their outcome).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Balance and discovery requests received carrying this API key (known
    /// keys only).
    pub fn requests_for(&self, api_key: &str) -> u64 {
        self.lock().get(api_key).map_or(0, |s| s.requests)
    }

    /// The next `times` authenticated balance requests of this key get `fault`
    /// (Webull: balance or discovery requests of this app key).
    /// Several injections queue up in order. Unknown keys are ignored.
    pub fn inject(&self, api_key: &str, fault: Fault, times: u32) {
        if times == 0 {
            return;
        }
        match self.lock().get_mut(api_key) {
            Some(s) => s.faults.push_back((fault, times)),
            None => tracing::warn!("sim: inject for an unknown API key ignored"),
        }
    }

    /// Sim clock = real clock + `ms` (to provoke 50102).
    pub fn set_clock_offset_ms(&self, ms: i64) {
        self.clock_offset_ms.store(ms, Ordering::Relaxed);
    }

    /// Successful balance replies served so far to this key's account.
    pub fn step_for(&self, api_key: &str) -> u64 {
        self.lock().get(api_key).map_or(0, |s| s.step)
    }

    /// Webull: successful balance replies served so far for one brokerage
    /// account (`account_id`) under the app key `api_key`.
    pub fn step_for_sub(&self, api_key: &str, account_id: &str) -> u64 {
        self.lock()
            .get(api_key)
            .and_then(|s| s.sub_steps.get(account_id).copied())
            .unwrap_or(0)
    }

    /// Claim the drift step of one Webull sub-account (as `claim_step`).
    pub(crate) fn claim_sub_step(&self, api_key: &str, account_id: &str) -> u64 {
        let mut map = self.lock();
        map.get_mut(api_key).map_or(0, |s| {
            let step = s.sub_steps.entry(account_id.to_string()).or_insert(0);
            let now = *step;
            *step += 1;
            now
        })
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
            + chrono::Duration::milliseconds(self.clock_offset_ms.load(Ordering::Relaxed))
    }

    /// An account by key, counted as an account-config request (OKX), not
    /// as a balance request.
    pub(crate) fn arrive_config(&self, api_key: Option<&str>) -> Option<SimAccount> {
        self.config_requests.fetch_add(1, Ordering::Relaxed);
        self.lock().get(api_key?).map(|s| s.account.clone())
    }

    /// Switch an account to another scenario from its next reply on (OKX: the
    /// user changed the account mode). Unknown keys are ignored.
    pub fn set_scenario(&self, api_key: &str, scenario: super::Scenario) {
        if let Some(s) = self.lock().get_mut(api_key) {
            s.account.scenario = scenario;
        }
    }

    /// OKX account-config requests served or refused so far.
    pub fn config_requests(&self) -> u64 {
        self.config_requests.load(Ordering::Relaxed)
    }

    /// Count a balance request; returns the account if the key is known.
    pub(crate) fn arrive(&self, api_key: Option<&str>) -> Option<SimAccount> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut map = self.lock();
        let slot = map.get_mut(api_key?)?;
        slot.requests += 1;
        Some(slot.account.clone())
    }

    /// Rate window, then injected faults, for an authenticated request.
    ///
    /// Sliding window: a request is accepted if fewer than `limit` accepted
    /// requests arrived within the last `window`. Refused requests are not
    /// recorded, so a client that overshoots is refused only while it is
    /// really over the limit and gets access back as soon as its oldest
    /// accepted request ages out (refusals do not extend the window).
    /// A request less than `min_gap` after the last accepted one is refused too.
    pub(crate) fn admit(
        &self,
        api_key: &str,
        limit: usize,
        window: Duration,
        min_gap: Duration,
    ) -> Admission {
        let now = Instant::now();
        let mut map = self.lock();
        let Some(slot) = map.get_mut(api_key) else {
            return Admission::Ok;
        };
        while slot
            .window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            slot.window.pop_front();
        }
        let too_soon = slot
            .window
            .back()
            .is_some_and(|t| now.duration_since(*t) < min_gap);
        if slot.window.len() >= limit || too_soon {
            self.violations.fetch_add(1, Ordering::Relaxed);
            return Admission::Limited;
        }
        slot.window.push_back(now);
        slot.take_fault()
    }

    /// A sliding window counted on `window_key` (not on one API key): true if
    /// the request is within `limit` per `window`; else a violation is counted.
    pub(crate) fn within_shared(&self, window_key: &str, limit: usize, window: Duration) -> bool {
        let now = Instant::now();
        let mut map = self
            .shared_windows
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let w = map.entry(window_key.to_string()).or_default();
        while w.front().is_some_and(|t| now.duration_since(*t) >= window) {
            w.pop_front();
        }
        if w.len() >= limit {
            self.violations.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        w.push_back(now);
        true
    }

    /// Accepted requests in the shared window `window_key` within the last
    /// `window` (Bybit reports what is left in `X-Bapi-Limit-Status`).
    pub(crate) fn shared_count(&self, window_key: &str, window: Duration) -> usize {
        let now = Instant::now();
        let map = self
            .shared_windows
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.get(window_key).map_or(0, |w| {
            w.iter()
                .filter(|t| now.duration_since(**t) < window)
                .count()
        })
    }

    /// Ban the simulated IP for `d` (Bybit's HTTP 403).
    pub(crate) fn ban_ip(&self, d: Duration) {
        let mut b = self
            .ip_banned_until
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *b = Some(Instant::now() + d);
    }

    /// True while the simulated IP is banned; a request then is a violation
    /// (the client was told to stop).
    pub(crate) fn ip_banned(&self) -> bool {
        let b = self
            .ip_banned_until
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let banned = b.is_some_and(|t| Instant::now() < t);
        if banned {
            self.violations.fetch_add(1, Ordering::Relaxed);
        }
        banned
    }

    /// As `admit`, with the rate window counted on `window_key` (shared by
    /// several API keys), then the API key's injected faults.
    pub(crate) fn admit_shared(
        &self,
        api_key: &str,
        window_key: &str,
        limit: usize,
        window: Duration,
    ) -> Admission {
        if !self.within_shared(window_key, limit, window) {
            return Admission::Limited;
        }
        self.lock()
            .get_mut(api_key)
            .map_or(Admission::Ok, Slot::take_fault)
    }

    /// Claim the drift step for a successful reply: returns the step to
    /// render and advances the account's counter.
    pub(crate) fn claim_step(&self, api_key: &str) -> u64 {
        let mut map = self.lock();
        map.get_mut(api_key).map_or(0, |s| {
            let step = s.step;
            s.step += 1;
            step
        })
    }

    /// A per-minute weight counter on `window_key` (Binance: per IP and API
    /// family), reset at each calendar minute as Binance counts it: Some(used
    /// weight after this request) when within `limit`, else None (a
    /// violation is counted).
    pub(crate) fn weigh(&self, window_key: &str, weight: u32, limit: u32) -> Option<u32> {
        self.slide(window_key, weight);
        let minute = self.now().timestamp().div_euclid(60);
        let mut map = self
            .shared_windows
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let w = map
            .entry(format!("weight|{window_key}|{minute}"))
            .or_default();
        let used = u32::try_from(w.len()).unwrap_or(u32::MAX);
        if used.saturating_add(weight) > limit {
            self.violations.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let now = Instant::now();
        for _ in 0..weight {
            w.push_back(now);
        }
        Some(used + weight)
    }

    /// Note `weight` spent on `window_key` now, for `peak_weight`.
    fn slide(&self, window_key: &str, weight: u32) {
        let now = Instant::now();
        let mut map = self.sliding.lock().unwrap_or_else(|e| e.into_inner());
        let (q, peak) = map.entry(window_key.to_string()).or_default();
        while q
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) >= Duration::from_secs(60))
        {
            q.pop_front();
        }
        q.push_back((now, weight));
        let sum = q.iter().map(|(_, w)| *w).sum::<u32>();
        *peak = (*peak).max(sum);
    }

    /// The most weight spent within any 60 s on the windows whose key ends
    /// with `suffix` (Binance: a family, "/api"), whatever the calendar
    /// minute: what budgets shared by several processes must stay under.
    pub fn peak_weight(&self, suffix: &str) -> u32 {
        let map = self.sliding.lock().unwrap_or_else(|e| e.into_inner());
        map.iter()
            .filter(|(k, _)| k.ends_with(suffix))
            .map(|(_, (_, p))| *p)
            .max()
            .unwrap_or(0)
    }

    /// The next injected fault of `api_key`, if any (for venues that count
    /// their limits with `weigh`).
    pub(crate) fn take_fault(&self, api_key: &str) -> Option<Fault> {
        match self.lock().get_mut(api_key).map(Slot::take_fault) {
            Some(Admission::Fault(f)) => Some(f),
            _ => None,
        }
    }

    /// Count a violation the venue's own rules found (Binance: a request
    /// during a 429 pause).
    pub(crate) fn violation(&self) {
        self.violations.fetch_add(1, Ordering::Relaxed);
    }
}
