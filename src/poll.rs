//! The scheduler: one task per account, budgets shared by limit key, backoff with
//! jitter on failure, a full-window pause on rate limits, a stop on auth failure,
//! coalesced manual refresh, and generation tags on every reply.

use crate::venues::{ErrorClass, Limit, RateBudget, VenueClient, VenueError};
use chrono::Utc;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Longest wait after repeated failures.
pub const BACKOFF_CAP: Duration = Duration::from_secs(300);
/// Share of a venue's published limit that baltui uses.
pub const SAFETY_MARGIN: f64 = 0.8;

/// What a poller reports. The engine's `Monitor` takes it (`Monitor::apply`);
/// the front ends pass it on and never reinterpret it.
// A few events a second: boxing the snapshot would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Event {
    Polled {
        account: usize,
        generation: u64,
        at: chrono::DateTime<Utc>,
        result: Result<crate::model::Snapshot, VenueError>,
        next_poll_at: Option<chrono::DateTime<Utc>>,
    },
    /// Account discovery under `account`'s credentials found these accounts.
    Discovered {
        account: usize,
        generation: u64,
        found: Vec<crate::venues::Discovered>,
    },
}

/// What the scheduler does after a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Poll again after this long (a manual refresh may cut it short).
    After(Duration),
    /// Rate limited: not before this long, whatever the user presses.
    Pause(Duration),
    /// Authentication failed: only a manual refresh polls again.
    Stop,
}

/// Failure counters of one account.
#[derive(Debug, Default, Clone)]
pub struct Backoff {
    failures: u32,
    rate_limits: u32,
}

impl Backoff {
    /// `jitter` in [0, 1): spreads retries so accounts do not retry in lockstep.
    pub fn next(
        &mut self,
        outcome: Result<(), ErrorClass>,
        interval: Duration,
        window: Duration,
        jitter: f64,
    ) -> Next {
        match outcome {
            Ok(()) => {
                *self = Backoff::default();
                Next::After(interval)
            }
            // Retrying bad credentials locks keys; a config error cannot
            // succeed until the config is reloaded.
            Err(ErrorClass::Auth | ErrorClass::Config) => Next::Stop,
            // A ban ends when the venue says; the client refuses to send
            // until then, so the poller waits like for a rate limit.
            Err(ErrorClass::RateLimited | ErrorClass::Banned) => {
                self.rate_limits = self.rate_limits.saturating_add(1);
                let base = window.max(interval);
                Next::Pause(exp(base, self.rate_limits - 1))
            }
            Err(ErrorClass::Transient) => {
                self.failures = self.failures.saturating_add(1);
                let d = exp(interval, self.failures);
                // Jitter takes off up to a fifth, so the cap is never exceeded.
                Next::After(d.mul_f64(1.0 - 0.2 * jitter.clamp(0.0, 1.0)))
            }
        }
    }
}

fn exp(base: Duration, n: u32) -> Duration {
    base.saturating_mul(2u32.saturating_pow(n.min(16)))
        .min(BACKOFF_CAP)
}

struct Poller {
    refresh: mpsc::Sender<()>,
    /// Current interval in ms: raised when more accounts join its budget.
    interval_ms: Arc<AtomicU64>,
    /// HTTP requests sent by this poller (`venues::http::REQUESTS`).
    requests: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

/// One account's schedule after its budget is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The configured interval, raised when the shared budget cannot carry it.
    pub interval: Duration,
    /// The venue's rate-limit window: the least pause after a rate-limit reply.
    pub window: Duration,
    /// Why the interval was raised, for the screen.
    pub note: Option<String>,
}

/// With `sharing` accounts on a budget that grants one request per `spacing`,
/// each account gets one request per `sharing x spacing` at best.
fn plan_one(wanted: Duration, sharing: u32, spacing: Duration, limit: &Limit) -> Plan {
    let floor = spacing
        .saturating_mul(sharing)
        .max(limit.min_gap.saturating_mul(sharing));
    // Whole seconds, so the note says a plain number.
    let floor = Duration::from_secs(floor.as_secs() + u64::from(floor.subsec_nanos() > 0));
    if wanted >= floor {
        return Plan {
            interval: wanted,
            window: limit.window,
            note: None,
        };
    }
    let secs = floor.as_secs();
    let note = if sharing > 1 {
        format!("interval raised to {secs}s: the rate budget is shared by {sharing} accounts")
    } else {
        format!("interval raised to {secs}s: the venue's rate limit allows no faster")
    };
    Plan {
        interval: floor,
        window: limit.window,
        note: Some(note),
    }
}

/// Give each client its budget (one per limit key, shared by all its accounts)
/// and raise any interval the shared budget cannot carry.
pub fn plan(clients: &mut [VenueClient], intervals: &[Duration]) -> Vec<Plan> {
    plan_with(clients, intervals, SAFETY_MARGIN)
}

/// `plan` using `margin` (0 < margin <= 1) of each published limit.
pub fn plan_with(clients: &mut [VenueClient], intervals: &[Duration], margin: f64) -> Vec<Plan> {
    plan_all(&mut Budgets::new(margin), clients, intervals).plans
}

/// Budgets, limits, wanted intervals and plans of one set of clients: what
/// `plan_with` returns and `spawn_with` runs (one code path for both).
struct Planned {
    limits: Vec<Limit>,
    wanted: Vec<Duration>,
    plans: Vec<Plan>,
}

fn plan_all(budgets: &mut Budgets, clients: &mut [VenueClient], intervals: &[Duration]) -> Planned {
    let limits: Vec<Limit> = clients.iter_mut().map(|c| budgets.assign(c)).collect();
    let wanted: Vec<Duration> = (0..clients.len())
        .map(|i| {
            intervals
                .get(i)
                .copied()
                .unwrap_or(crate::config::DEFAULT_POLL_INTERVAL)
        })
        .collect();
    let plans = limits
        .iter()
        .zip(&wanted)
        .map(|(l, w)| {
            let sharing = limits.iter().filter(|o| o.key == l.key).count() as u32;
            plan_one(*w, sharing, budgets.spacing(&l.key), l)
        })
        .collect();
    Planned {
        limits,
        wanted,
        plans,
    }
}

/// The budgets of one config generation, by limit key.
struct Budgets {
    by_key: HashMap<String, Arc<RateBudget>>,
    /// Share of each published limit that baltui uses.
    margin: f64,
    /// Shared with every baltui process on the machine (None in tests).
    ledger: Option<Arc<crate::ledger::Ledger>>,
}

impl Budgets {
    fn new(margin: f64) -> Self {
        Budgets {
            by_key: HashMap::new(),
            margin: margin.clamp(0.01, 1.0),
            ledger: crate::ledger::global(),
        }
    }

    fn assign(&mut self, c: &mut VenueClient) -> Limit {
        c.mark_planned();
        let limit = c.limit();
        let b = self
            .by_key
            .entry(limit.key.clone())
            .or_insert_with(|| RateBudget::for_limit(&limit, self.margin, self.ledger.clone()))
            .clone();
        c.set_budget(b);
        limit
    }

    fn spacing(&self, key: &str) -> Duration {
        self.by_key.get(key).map_or(Duration::ZERO, |b| b.spacing)
    }
}

/// All pollers of one config generation.
pub struct PollerSet {
    pollers: Vec<Poller>,
    /// The schedule each account actually runs on.
    pub plans: Vec<Plan>,
    /// Each account's client before it moved into its task: accounts found by
    /// discovery are cloned from it (same credentials, same budget).
    templates: Vec<VenueClient>,
    limits: Vec<Limit>,
    wanted: Vec<Duration>,
    budgets: Budgets,
    generation: u64,
    tx: mpsc::Sender<Event>,
}

impl PollerSet {
    /// Ask for a poll now; a request while one is pending coalesces with it.
    pub fn refresh(&self, account: Option<usize>) {
        for (i, p) in self.pollers.iter().enumerate() {
            if account.is_none_or(|a| a == i) {
                let _ = p.refresh.try_send(());
            }
        }
    }

    /// Start polling an account found by discovery under `parent`'s credentials,
    /// as account `index` (the next one). Returns every plan that changed, since
    /// the accounts already on that budget now share it with one more.
    pub fn add_discovered(
        &mut self,
        parent: usize,
        index: usize,
        account_id: &str,
    ) -> Vec<(usize, Plan)> {
        let Some(template) = self.templates.get(parent) else {
            return Vec::new();
        };
        if index != self.pollers.len() {
            tracing::warn!(
                parent,
                index,
                "discovered account index out of order; ignored"
            );
            return Vec::new();
        }
        let client = template.for_account(account_id);
        let limit = client.limit();
        let wanted = self
            .wanted
            .get(parent)
            .copied()
            .unwrap_or(crate::config::DEFAULT_POLL_INTERVAL);
        self.templates.push(client.clone());
        self.limits.push(limit.clone());
        self.wanted.push(wanted);
        let interval_ms = Arc::new(AtomicU64::new(0));
        let (refresh, rx) = mpsc::channel(1);
        let requests = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(crate::venues::http::REQUESTS.scope(
            requests.clone(),
            run(
                index,
                self.generation,
                client,
                interval_ms.clone(),
                limit.window,
                self.tx.clone(),
                rx,
            ),
        ));
        self.pollers.push(Poller {
            refresh,
            interval_ms,
            requests,
            task,
        });
        self.plans.push(Plan {
            interval: wanted,
            window: limit.window,
            note: None,
        });
        // Re-plan everyone on this key.
        let sharing = self.limits.iter().filter(|l| l.key == limit.key).count() as u32;
        let spacing = self.budgets.spacing(&limit.key);
        let mut changed = Vec::new();
        for i in 0..self.pollers.len() {
            if self.limits[i].key != limit.key {
                continue;
            }
            let p = plan_one(self.wanted[i], sharing, spacing, &self.limits[i]);
            self.pollers[i]
                .interval_ms
                .store(millis(p.interval), Ordering::Relaxed);
            if p != self.plans[i] || i == index {
                self.plans[i] = p.clone();
                changed.push((i, p));
            }
        }
        changed
    }

    /// HTTP requests each account's poller has sent so far.
    pub fn requests(&self) -> Vec<u64> {
        self.pollers
            .iter()
            .map(|p| p.requests.load(Ordering::Relaxed))
            .collect()
    }

    /// Each account's published limit (its budget key, requests, window).
    pub fn limits(&self) -> &[Limit] {
        &self.limits
    }

    pub fn shutdown(self) {
        for p in self.pollers {
            p.task.abort();
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Start one poller per client. `intervals[i]` is account i's poll interval.
pub fn spawn(
    clients: Vec<VenueClient>,
    intervals: &[Duration],
    generation: u64,
    tx: mpsc::Sender<Event>,
) -> PollerSet {
    spawn_with(clients, intervals, generation, tx, SAFETY_MARGIN)
}

/// `spawn` using `margin` (0 < margin <= 1) of each published limit.
pub fn spawn_with(
    mut clients: Vec<VenueClient>,
    intervals: &[Duration],
    generation: u64,
    tx: mpsc::Sender<Event>,
    margin: f64,
) -> PollerSet {
    let mut budgets = Budgets::new(margin);
    let Planned {
        limits,
        wanted,
        plans,
    } = plan_all(&mut budgets, &mut clients, intervals);
    let templates = clients.clone();
    let pollers = clients
        .into_iter()
        .zip(&plans)
        .enumerate()
        .map(|(i, (client, p))| {
            let (refresh, rx) = mpsc::channel(1);
            let interval_ms = Arc::new(AtomicU64::new(millis(p.interval)));
            let requests = Arc::new(AtomicU64::new(0));
            let task = tokio::spawn(crate::venues::http::REQUESTS.scope(
                requests.clone(),
                run(
                    i,
                    generation,
                    client,
                    interval_ms.clone(),
                    p.window,
                    tx.clone(),
                    rx,
                ),
            ));
            Poller {
                refresh,
                interval_ms,
                requests,
                task,
            }
        })
        .collect();
    PollerSet {
        pollers,
        plans,
        templates,
        limits,
        wanted,
        budgets,
        generation,
        tx,
    }
}

/// One round: discover first when the account id is not known yet (or a manual
/// refresh asked to look for new accounts), then fetch the balance.
async fn poll_once(
    account: usize,
    generation: u64,
    client: &mut VenueClient,
    discover: &mut bool,
    tx: &mpsc::Sender<Event>,
) -> Option<Result<crate::model::Snapshot, VenueError>> {
    if *discover {
        match crate::discovery::discover(client).await {
            Ok(found) => {
                if client.needs_discovery() {
                    *client = client.for_account(&found[0].id);
                }
                *discover = false;
                tx.send(Event::Discovered {
                    account,
                    generation,
                    found,
                })
                .await
                .ok()?;
            }
            Err(e) => return Some(Err(e)),
        }
    }
    Some(client.fetch().await)
}

async fn run(
    account: usize,
    generation: u64,
    mut client: VenueClient,
    interval_ms: Arc<AtomicU64>,
    window: Duration,
    tx: mpsc::Sender<Event>,
    mut refresh: mpsc::Receiver<()>,
) {
    let mut backoff = Backoff::default();
    // The account that discovered the others looks again on a manual refresh.
    let discovering = client.needs_discovery();
    let mut discover = discovering;
    loop {
        let Some(result) = poll_once(account, generation, &mut client, &mut discover, &tx).await
        else {
            return; // the screen is gone
        };
        let at = Utc::now();
        let outcome = result.as_ref().map(|_| ()).map_err(VenueError::class);
        if let Err(e) = &result {
            tracing::warn!(account, error = %e, "poll failed");
        }
        let interval = Duration::from_millis(interval_ms.load(Ordering::Relaxed));
        let next = backoff.next(outcome, interval, window, rand::random::<f64>());
        if let (Next::Pause(d), Some(b)) = (next, client.budget()) {
            // The whole key waits, not only the account that was told.
            b.pause_for(d);
        }
        let wait = match next {
            Next::After(d) | Next::Pause(d) => Some(d),
            Next::Stop => None,
        };
        let next_poll_at = wait
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| at + d);
        let msg = Event::Polled {
            account,
            generation,
            at,
            result,
            next_poll_at,
        };
        if tx.send(msg).await.is_err() {
            return; // the screen is gone
        }
        // A refresh asked for during the fetch is satisfied by it.
        while refresh.try_recv().is_ok() {}
        let asked = match next {
            Next::After(d) => {
                tokio::select! {
                    _ = tokio::time::sleep(d) => false,
                    r = refresh.recv() => if r.is_none() { return } else { true },
                }
            }
            Next::Pause(d) => {
                tokio::time::sleep(d).await;
                false
            }
            Next::Stop => {
                if refresh.recv().await.is_none() {
                    return;
                }
                true
            }
        };
        if asked && discovering {
            discover = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I: Duration = Duration::from_secs(5);
    const W: Duration = Duration::from_secs(2);

    #[test]
    fn transient_failures_back_off_exponentially_to_the_cap() {
        let mut b = Backoff::default();
        let seq: Vec<Next> = (0..10)
            .map(|_| b.next(Err(ErrorClass::Transient), I, W, 0.0))
            .collect();
        assert_eq!(seq[0], Next::After(Duration::from_secs(10)));
        assert_eq!(seq[1], Next::After(Duration::from_secs(20)));
        assert_eq!(seq[2], Next::After(Duration::from_secs(40)));
        assert_eq!(seq[9], Next::After(BACKOFF_CAP));
        // jitter never pushes past the cap and never below 80%
        let d = match b.next(Err(ErrorClass::Transient), I, W, 0.999) {
            Next::After(d) => d,
            n => panic!("{n:?}"),
        };
        assert!(d <= BACKOFF_CAP && d >= BACKOFF_CAP.mul_f64(0.8));
        assert_eq!(b.next(Ok(()), I, W, 0.0), Next::After(I), "success resets");
        assert_eq!(
            b.next(Err(ErrorClass::Transient), I, W, 0.0),
            Next::After(Duration::from_secs(10))
        );
    }

    #[test]
    fn rate_limits_pause_at_least_a_window_doubling() {
        let mut b = Backoff::default();
        let short = Duration::from_secs(1);
        assert_eq!(
            b.next(Err(ErrorClass::RateLimited), short, W, 0.5),
            Next::Pause(W)
        );
        assert_eq!(
            b.next(Err(ErrorClass::RateLimited), short, W, 0.5),
            Next::Pause(W * 2)
        );
        assert_eq!(
            b.next(Err(ErrorClass::RateLimited), short, W, 0.5),
            Next::Pause(W * 4)
        );
    }

    #[test]
    fn auth_failure_stops() {
        assert_eq!(
            Backoff::default().next(Err(ErrorClass::Auth), I, W, 0.0),
            Next::Stop
        );
    }

    #[tokio::test(start_paused = true)]
    async fn budget_spaces_grants_within_the_limit() {
        // OKX: 10 per 2 s published, 80% -> one grant every 250 ms.
        let b = RateBudget::new("k", 10, W, SAFETY_MARGIN);
        assert_eq!(b.spacing, Duration::from_millis(250));
        let start = tokio::time::Instant::now();
        let mut at = Vec::new();
        for _ in 0..41 {
            b.acquire().await;
            at.push(start.elapsed());
        }
        // Any 2 s sliding window holds at most 9 grants (< 10).
        for (i, t) in at.iter().enumerate() {
            let n = at[i..].iter().take_while(|u| **u < *t + W).count();
            assert!(n <= 9, "window from {t:?} holds {n}");
        }
        assert_eq!(
            at[40],
            Duration::from_secs(10),
            "40 further grants take 40 x 250 ms"
        );
    }
}
