//! Binance (PROTOCOLS.md §5): spot, cross margin and USDⓈ-M futures
//! ("classic"), or Portfolio Margin, each poll signed per §5.5.
//!
//! Limits are per IP, not per key: every Binance account of the machine (in
//! every baltui process, through the ledger) draws from one weight budget
//! per API family and host. Usage headers are read on every reply; a 429
//! pauses the family until `Retry-After`; a 418 stops every Binance request
//! to that host until the ban ends, and every Binance account shows it.

pub mod config;
pub mod normalize;
pub mod sign;
pub mod sim;
pub mod wire;

use super::http::{Reply, Request, exchange_observed};
use super::{Account, BoxFuture, ErrorKind, Limit, Protocol, RateBudget, VenueError, decode};
use crate::model::{Indicator, Snapshot, VenueKind};
use crate::secrets::Secret;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

pub const API_HOST: &str = "https://api.binance.com";
pub const FAPI_HOST: &str = "https://fapi.binance.com";
pub const DAPI_HOST: &str = "https://dapi.binance.com";
pub const PAPI_HOST: &str = "https://papi.binance.com";

pub const SPOT_PATH: &str = "/api/v3/account";
pub const MARGIN_PATH: &str = "/sapi/v1/margin/account";
pub const COEFF_PATH: &str = "/sapi/v1/margin/tradeCoeff";
pub const ISOLATED_PATH: &str = "/sapi/v1/margin/isolated/account";
/// Pairs one isolated margin call may name (`symbols`, documented maximum).
pub const ISOLATED_PER_CALL: usize = 5;
pub const FUTURES_PATH: &str = "/fapi/v3/account";
pub const FUTURES_CONFIG_PATH: &str = "/fapi/v1/accountConfig";
pub const COINM_PATH: &str = "/dapi/v1/account";
pub const PM_ACCOUNT_PATH: &str = "/papi/v1/account";
pub const PM_BALANCE_PATH: &str = "/papi/v1/balance";
pub const TIME_PATH: &str = "/api/v3/time";
pub const API_INFO_PATH: &str = "/api/v3/exchangeInfo";
pub const FAPI_INFO_PATH: &str = "/fapi/v1/exchangeInfo";
/// COIN-M's own rateLimits (read when COIN-M is polled). Portfolio Margin
/// (`/papi`) publishes no exchangeInfo: its documented 6000 per minute per IP
/// (PM general-info, "Portfolio Margin IP Limit is 6000/min") stays.
pub const DAPI_INFO_PATH: &str = "/dapi/v1/exchangeInfo";

/// Default recvWindow (Binance advises ≤ 5000).
pub const RECV_WINDOW_MS: u32 = 5000;
/// The tradeCoeff bars are read this often.
pub const COEFF_EVERY: Duration = Duration::from_secs(3600);
/// The futures multi-assets flag is read this often.
pub const CONFIG_EVERY: Duration = Duration::from_secs(300);
/// `exchangeInfo` rateLimits are read this often.
pub const INFO_EVERY: Duration = Duration::from_secs(4 * 3600);
/// The server clock is asked at most this often.
pub const CLOCK_EVERY: Duration = Duration::from_secs(600);
/// Share of a family's weight limit baltui allows itself (§7: ≤ 20 %).
pub const SHARE: f64 = 0.2;
/// Above this share of a family's limit used (per the usage header), the
/// family waits for the next minute.
pub const SLOW_AT: f64 = 0.5;
/// One budget grant is this much request weight.
pub const UNIT: u32 = 5;
/// Retry-After when a 429/418 names none.
pub const DEFAULT_PAUSE: Duration = Duration::from_secs(60);
/// An HTTP 403 is Binance's web application firewall (§7.5): stop every
/// request to the host this long, then the next poll tries once.
pub const WAF_PAUSE: Duration = Duration::from_secs(300);

/// This venue: its config id and its name for people.
pub const KIND: VenueKind = VenueKind::new(&crate::model::VenueName {
    id: "binance",
    label: "Binance",
});
const V: VenueKind = KIND;

/// Which account type the config names (never probed: §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Classic,
    PortfolioMargin,
}

/// The API families, each with its own per-IP weight budget (`/sapi`: one
/// per endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Api,
    Sapi(&'static str),
    Fapi,
    Dapi,
    Papi,
}

impl Family {
    pub fn of(path: &str) -> Family {
        if path.starts_with("/sapi/") {
            // `/sapi` IP limits are per endpoint.
            match path {
                MARGIN_PATH => Family::Sapi(MARGIN_PATH),
                COEFF_PATH => Family::Sapi(COEFF_PATH),
                ISOLATED_PATH => Family::Sapi(ISOLATED_PATH),
                _ => Family::Sapi("/sapi/other"),
            }
        } else if path.starts_with("/fapi/") {
            Family::Fapi
        } else if path.starts_with("/dapi/") {
            Family::Dapi
        } else if path.starts_with("/papi/") {
            Family::Papi
        } else {
            Family::Api
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Family::Api => "/api",
            Family::Sapi(_) => "/sapi",
            Family::Fapi => "/fapi",
            Family::Dapi => "/dapi",
            Family::Papi => "/papi",
        }
    }

    /// Published request weight per minute per IP until exchangeInfo says
    /// otherwise (§5.6; `/dapi` takes the lower of the two published numbers).
    pub fn default_limit(self) -> u32 {
        match self {
            Family::Api | Family::Papi => 6000,
            Family::Sapi(_) => 12_000,
            Family::Fapi | Family::Dapi => 2400,
        }
    }

    /// The usage header of this family.
    pub fn usage_header(self) -> &'static str {
        match self {
            Family::Sapi(_) => "x-sapi-used-ip-weight-1m",
            _ => "x-mbx-used-weight-1m",
        }
    }

    fn default_host(self) -> &'static str {
        match self {
            Family::Api | Family::Sapi(_) => API_HOST,
            Family::Fapi => FAPI_HOST,
            Family::Dapi => DAPI_HOST,
            Family::Papi => PAPI_HOST,
        }
    }
}

/// Request weight of each call baltui makes (§5.6).
pub fn weight(path: &str) -> u32 {
    match path {
        SPOT_PATH | PM_ACCOUNT_PATH | PM_BALANCE_PATH | API_INFO_PATH => 20,
        MARGIN_PATH | COEFF_PATH | ISOLATED_PATH => 10,
        FUTURES_PATH | FUTURES_CONFIG_PATH | COINM_PATH => 5,
        _ => 1,
    }
}

/// One family's shared state on one host (per IP).
struct FamilyState {
    budget: Arc<RateBudget>,
    limit: u32,
    /// The last usage header's weight, and when it was read.
    used: Option<u32>,
}

/// Every Binance family budget and the ban of one host, for the process.
#[derive(Default)]
pub struct HostState {
    families: Mutex<HashMap<Family, FamilyState>>,
    /// An HTTP 418 ban or 403 block: no Binance request to this host until
    /// then (unix ms).
    banned_until_ms: AtomicI64,
    /// The status that began the ban (418 or 403).
    ban_status: std::sync::atomic::AtomicU16,
    /// When exchangeInfo was last read, per family.
    info_read: Mutex<HashMap<Family, tokio::time::Instant>>,
    /// The machine-wide ledger the budgets and the ban are shared through.
    ledger: Option<Arc<crate::ledger::Ledger>>,
    /// Request weight sent by this process, per family label (measurement).
    spent: Mutex<HashMap<&'static str, u64>>,
}

/// The request weight this process has sent to `host` per family label
/// ("/api", "/sapi", ...), sorted by label: what baltui itself spends.
pub fn weight_spent(host_url: &str) -> Vec<(&'static str, u64)> {
    let hs = host(host_url);
    let map = hs.spent.lock().unwrap_or_else(|e| e.into_inner());
    let mut v: Vec<_> = map.iter().map(|(k, n)| (*k, *n)).collect();
    v.sort();
    v
}

/// The host state of `host` for the process using `ledger` (one per
/// process; the ledger shares budgets and bans with the other processes).
/// Keyed by the ledger handle too, so two engines in one test process are
/// as separate as two processes.
pub fn host_with(host: &str, ledger: Option<Arc<crate::ledger::Ledger>>) -> Arc<HostState> {
    static HOSTS: OnceLock<Mutex<HashMap<String, Arc<HostState>>>> = OnceLock::new();
    let id = ledger.as_ref().map_or(String::new(), |l| {
        format!("{}|{}", l.dir().display(), l.owner())
    });
    let mut map = HOSTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    map.entry(format!("{host}|{id}"))
        .or_insert_with(|| {
            Arc::new(HostState {
                ledger,
                ..HostState::default()
            })
        })
        .clone()
}

/// The host state of `host` for this process's own ledger.
pub fn host(host: &str) -> Arc<HostState> {
    host_with(host, crate::ledger::global())
}

/// The ledger key of a host's ban (one per host: a ban stops every family).
fn ban_key(host: &str) -> String {
    format!(
        "binance-ban:{}",
        super::digest(&format!("binance-ban|{host}"))
    )
}

/// The venue's words for a ban begun by `status`.
fn ban_words(status: u16) -> &'static str {
    if status == 403 {
        "IP blocked by Binance's web application firewall"
    } else {
        "IP banned by Binance"
    }
}

fn budget_key(host: &str, f: Family) -> String {
    let bucket = match f {
        Family::Sapi(p) => format!("sapi{p}"),
        f => f.label().to_string(),
    };
    format!(
        "binance-ip:{}",
        super::digest(&format!("binance|{host}|{bucket}"))
    )
}

impl HostState {
    fn family<T>(&self, host: &str, f: Family, with: impl FnOnce(&mut FamilyState) -> T) -> T {
        let mut map = self.families.lock().unwrap_or_else(|e| e.into_inner());
        let st = map.entry(f).or_insert_with(|| {
            let limit = f.default_limit();
            FamilyState {
                budget: family_budget(host, f, limit, self.ledger.clone()),
                limit,
                used: None,
            }
        });
        with(st)
    }

    /// Rebuild a family's budget for a published limit (exchangeInfo).
    fn set_limit(&self, host: &str, f: Family, limit: u32) {
        self.family(host, f, |st| {
            if st.limit != limit && limit > 0 {
                tracing::info!(
                    family = f.label(),
                    limit,
                    "binance request weight limit read from exchangeInfo"
                );
                st.limit = limit;
                st.budget = family_budget(host, f, limit, self.ledger.clone());
            }
        })
    }

    /// The ban's end, if one is on.
    pub fn banned_until(&self) -> Option<chrono::DateTime<Utc>> {
        let ms = self.banned_until_ms.load(Ordering::Relaxed);
        (ms > Utc::now().timestamp_millis())
            .then(|| chrono::DateTime::from_timestamp_millis(ms))
            .flatten()
    }

    /// Note a ban until `until_ms` begun by `status` in this process.
    fn note_ban(&self, until_ms: i64, status: u16) {
        if self.banned_until_ms.fetch_max(until_ms, Ordering::Relaxed) < until_ms {
            self.ban_status.store(status, Ordering::Relaxed);
        }
    }

    /// The ban in force on `host`, seen here or by another process (through
    /// the ledger): the error every request then answers.
    async fn ban_in_force(&self, host: &str) -> Option<VenueError> {
        if let Some(until) = self.banned_until() {
            return Some(ban_error(until, self.ban_status.load(Ordering::Relaxed)));
        }
        let p = self.ledger.as_ref()?.paused(&ban_key(host)).await?;
        let status = p.note.as_ref().map_or(418, |n| n.status);
        // Adopted here, so the other families need not read the file.
        self.note_ban(p.until_ms, status);
        let until = chrono::DateTime::from_timestamp_millis(p.until_ms)?;
        Some(ban_error(until, status))
    }

    /// A ban begun by `status` for `pause`: every family of this host here,
    /// and every process through the ledger, stops until it ends.
    async fn ban(&self, host: &str, pause: Duration, status: u16) -> VenueError {
        let until = Utc::now() + chrono::Duration::from_std(pause).unwrap_or_default();
        self.note_ban(until.timestamp_millis(), status);
        // Every request checks the ban before its budget and again after
        // its grant, so the budgets need no pause of their own.
        if let Some(l) = &self.ledger {
            let note = crate::ledger::PauseNote {
                kind: crate::ledger::PauseKind::Ban,
                status,
                words: ban_words(status).into(),
            };
            l.pause_noted(&ban_key(host), pause, Some(note)).await;
        }
        ban_error(until, status)
    }

    /// Families whose last usage header was over SLOW_AT of the limit.
    pub fn busy(&self) -> Vec<(Family, u32, u32)> {
        let map = self.families.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = map
            .iter()
            .filter_map(|(f, st)| {
                let used = st.used?;
                (f64::from(used) > f64::from(st.limit) * SLOW_AT).then_some((*f, used, st.limit))
            })
            .collect();
        v.sort_by_key(|(f, ..)| f.label());
        v
    }
}

/// The weight budget of one family on one host: SHARE of the limit, in
/// grants of UNIT weight, shared through the ledger.
fn family_budget(
    host: &str,
    f: Family,
    limit: u32,
    ledger: Option<Arc<crate::ledger::Ledger>>,
) -> Arc<RateBudget> {
    let l = Limit {
        key: budget_key(host, f),
        requests: (limit / UNIT).max(2),
        window: Duration::from_secs(60),
        min_gap: Duration::ZERO,
    };
    RateBudget::for_limit(&l, SHARE, ledger)
}

/// The error every Binance request answers while a ban is on: the venue's
/// words, the end (UTC) and the status that began it.
fn ban_error(until: chrono::DateTime<Utc>, status: u16) -> VenueError {
    VenueError::new(
        V,
        ErrorKind::Banned {
            code: status.to_string(),
            message: format!(
                "{} until {} UTC (HTTP {status}); every Binance request is stopped until then",
                ban_words(status),
                until.format("%H:%M:%S")
            ),
        },
    )
}

#[derive(Clone)]
pub struct BinanceSettings {
    /// Some: one host for every family (`base_url`); None: each family's own.
    pub base_url: Option<String>,
    pub api_key: Secret,
    pub signer: sign::Signer,
    pub mode: Mode,
    pub wallets: Vec<String>,
    pub recv_window: u32,
    /// Isolated margin pairs to read (classic only; empty: none).
    pub isolated_pairs: Vec<String>,
}

/// What an account learned, shared by clones.
#[derive(Default)]
struct Learned {
    coeff: Option<(wire::TradeCoeff, tokio::time::Instant)>,
    coeff_tried: Option<tokio::time::Instant>,
    multi_assets: Option<bool>,
    config_tried: Option<tokio::time::Instant>,
    clock_synced: Option<tokio::time::Instant>,
}

#[derive(Clone)]
pub struct BinanceClient {
    http: reqwest::Client,
    s: BinanceSettings,
    clock_offset_ms: Arc<AtomicI64>,
    learned: Arc<Mutex<Learned>>,
    /// The poll budget the scheduler plans with (polls per minute per IP).
    budget: Option<Arc<RateBudget>>,
}

/// Binance's wire rules.
pub struct Binance;
pub static BINANCE: Binance = Binance;

impl crate::venues::api::Venue for Binance {
    /// PROTOCOLS.md §7: 15 s by default, never below 5 s.
    fn poll_intervals(&self) -> (Duration, Duration) {
        (Duration::from_secs(15), Duration::from_secs(5))
    }

    fn keys(&self) -> &'static [&'static str] {
        config::KEYS
    }

    fn field_names(&self) -> &'static [(&'static str, &'static str)] {
        normalize::FIELD_NAMES
    }

    /// Any one of the balance replies, recognised by its shape.
    fn parse_balance(&self, body: &[u8]) -> Result<Snapshot, VenueError> {
        super::http::check_reply(&BINANCE, reqwest::StatusCode::OK, body)?;
        let mut s = normalize::empty(Utc::now());
        let v: serde_json::Value = decode(V, body)?;
        let has = |k: &str| v.get(k).is_some();
        if v.is_array() {
            normalize::add_pm_balance(&mut s, &decode::<Vec<wire::PmBalance>>(V, body)?);
        } else if has("balances") {
            normalize::add_spot(&mut s, &decode(V, body)?);
        } else if has("userAssets") {
            normalize::add_margin(&mut s, &decode(V, body)?, None);
        } else if has("uniMMR") {
            normalize::add_pm_account(&mut s, &decode(V, body)?);
        } else if has("assets") {
            // USDⓈ-M has account totals; COIN-M only per coin.
            let wallet = if has("totalMarginBalance") {
                normalize::FUTURES
            } else {
                normalize::COINM
            };
            normalize::add_futures(&mut s, &decode(V, body)?, None, wallet);
        } else {
            return Err(VenueError::new(
                V,
                ErrorKind::Decode {
                    path: "$".into(),
                    detail: "expected a Binance balance reply (balances, userAssets, assets, uniMMR or a balance list)".into(),
                    excerpt: crate::decimal::excerpt(&String::from_utf8_lossy(body)),
                },
            ));
        }
        normalize::finish(&mut s);
        Ok(s)
    }

    fn parse_settings(
        &self,
        keys: &mut crate::venues::settings::AccountKeys<'_>,
    ) -> Option<Arc<dyn crate::venues::settings::AccountSettings>> {
        config::parse(keys)
    }
}

impl Protocol for Binance {
    fn venue(&self) -> VenueKind {
        V
    }

    /// `{"code": <negative int>, "msg": ...}`.
    fn error_code(&self, body: &[u8]) -> Option<(String, String)> {
        serde_json::from_slice::<wire::ErrorBody>(body)
            .ok()
            .filter(|e| e.code != 0 && e.code != 200)
            .map(|e| (e.code.to_string(), e.msg))
    }

    /// Match on `code`, never on `msg` (§5.7).
    fn classify(&self, code: &str, msg: &str) -> Option<ErrorKind> {
        let (code, message) = (code.to_string(), msg.to_string());
        Some(match code.as_str() {
            "-1022" => ErrorKind::Auth {
                message: format!(
                    "{message} (check the secret or private key, and that it belongs to this API key)"
                ),
                code,
            },
            "-2015" => ErrorKind::Auth {
                message: format!(
                    "{message} (the API key is wrong or deleted, this machine's IP is not on the key's allow-list, or the key lacks the permission: \"Enable Reading\", and margin/futures where used)"
                ),
                code,
            },
            "-2014" => ErrorKind::Auth {
                message: format!(
                    "{message} (the api_key value is malformed: check for stray characters)"
                ),
                code,
            },
            "-1021" => ErrorKind::Clock { code, message },
            "-1003" => ErrorKind::RateLimited { code, message },
            _ => return None,
        })
    }

    fn auth_hint(&self, code: &str) -> &'static str {
        match code {
            "-1022" => {
                "the signature was refused: check that secret_key (HMAC) or private_key (Ed25519/RSA) belongs to this api_key"
            }
            "-2014" => "the api_key is malformed: check the value for stray characters",
            _ => {
                "check the api_key, that this machine's IP is on the key's allow-list, and that the key may read (and read margin/futures where used)"
            }
        }
    }
}

impl BinanceClient {
    pub fn new(http: reqwest::Client, s: BinanceSettings) -> Self {
        BinanceClient {
            http,
            s,
            clock_offset_ms: Arc::new(AtomicI64::new(0)),
            learned: Arc::new(Mutex::new(Learned::default())),
            budget: None,
        }
    }

    fn learned(&self) -> std::sync::MutexGuard<'_, Learned> {
        self.learned.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn mode(&self) -> Mode {
        self.s.mode
    }

    fn wants(&self, wallet: &str) -> bool {
        self.s.mode == Mode::Classic && self.s.wallets.iter().any(|w| w == wallet)
    }

    /// The host a family is sent to.
    pub fn host_of(&self, f: Family) -> String {
        self.s
            .base_url
            .clone()
            .unwrap_or_else(|| f.default_host().to_string())
    }

    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// The ledger this client shares budgets and bans through: its poll
    /// budget's (the engine's), else the process's.
    fn ledger(&self) -> Option<Arc<crate::ledger::Ledger>> {
        crate::venues::budget::ledger_of(self.budget.as_deref())
    }

    fn host_state(&self, host_url: &str) -> Arc<HostState> {
        host_with(host_url, self.ledger())
    }

    /// The ban in force for this client's hosts, if any (here or, through
    /// the ledger, in another process).
    pub async fn ban_in_force(&self) -> Option<VenueError> {
        let h = self.host_of(Family::Api);
        self.host_state(&h).ban_in_force(&h).await
    }

    /// The request weight per minute this client budgets `f` against: the
    /// published default until exchangeInfo was read.
    pub fn weight_limit(&self, f: Family) -> u32 {
        let h = self.host_of(f);
        self.host_state(&h).family(&h, f, |st| st.limit)
    }

    /// Tests only: end this process's record of the ban (not the ledger's),
    /// as if its time had passed.
    pub fn lift_ban_for_tests(&self) {
        let h = self.host_of(Family::Api);
        self.host_state(&h)
            .banned_until_ms
            .store(0, Ordering::Relaxed);
    }

    /// The signed query for `params` at local time `now` (plus the offset).
    pub fn signed_query(&self, params: &[(&str, &str)], now: chrono::DateTime<Utc>) -> String {
        let ts = now
            .timestamp_millis()
            .saturating_add(self.clock_offset_ms());
        let q = sign::query(params, Some(self.s.recv_window), ts);
        self.s.signer.signed_query(&q)
    }

    /// One request through its family's weight budget, with the usage
    /// headers, 429 and 418 handled for every account on the host.
    async fn call(
        &self,
        path: &str,
        params: &[(&str, &str)],
        signed: bool,
    ) -> Result<Reply, VenueError> {
        let f = Family::of(path);
        let host_url = self.host_of(f);
        let hs = self.host_state(&host_url);
        if let Some(e) = hs.ban_in_force(&host_url).await {
            return Err(e);
        }
        let budget = hs.family(&host_url, f, |st| st.budget.clone());
        for _ in 1..weight(path).div_ceil(UNIT) {
            budget.acquire().await;
        }
        // A ban that began while waiting.
        if let Some(e) = hs.ban_in_force(&host_url).await {
            return Err(e);
        }
        *hs.spent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(f.label())
            .or_default() += u64::from(weight(path));
        let seen: Arc<Mutex<Observed>> = Arc::default();
        let seen2 = seen.clone();
        let result = exchange_observed(
            &self.http,
            &host_url,
            &BINANCE,
            Some(&budget),
            |now| {
                // Unsigned calls (time, exchangeInfo) take no parameters.
                let q = if signed {
                    self.signed_query(params, now)
                } else {
                    String::new()
                };
                let req = Request::get(path, q);
                if signed {
                    req.secret_header("X-MBX-APIKEY", &self.s.api_key)
                } else {
                    req
                }
            },
            move |status, headers| {
                let num = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                };
                let used = num(f.usage_header()).and_then(|u| u32::try_from(u).ok());
                *seen2.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some((status.as_u16(), used, num("retry-after")));
            },
        )
        .await;
        let observed = *seen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((status, used, retry_after)) = observed {
            let pause = retry_after.map_or(DEFAULT_PAUSE, Duration::from_secs);
            if let Some(used) = used {
                let limit = hs.family(&host_url, f, |st| {
                    st.used = Some(used);
                    st.limit
                });
                if f64::from(used) > f64::from(limit) * SLOW_AT {
                    // Wait for the next minute: Binance counts per calendar minute.
                    let left = 60
                        - (Utc::now().timestamp() + self.clock_offset_ms() / 1000).rem_euclid(60);
                    tracing::warn!(
                        family = f.label(),
                        used,
                        limit,
                        "binance request weight over half the limit: slowing this family until the minute ends"
                    );
                    budget.pause_for(Duration::from_secs(left.max(1) as u64));
                }
            }
            match status {
                418 => {
                    tracing::error!(
                        retry_after_s = pause.as_secs(),
                        "binance IP ban (HTTP 418): every Binance request stopped until it ends"
                    );
                    return Err(hs.ban(&host_url, pause, 418).await);
                }
                403 => {
                    // Not the key (that is -2015 with 401): the WAF refused
                    // this IP. Wait, then the next poll tries once.
                    tracing::error!(
                        pause_s = WAF_PAUSE.as_secs(),
                        "binance HTTP 403 (web application firewall): every Binance request stopped"
                    );
                    return Err(hs.ban(&host_url, WAF_PAUSE, 403).await);
                }
                429 => {
                    budget.pause_for(pause);
                    let at = Utc::now() + chrono::Duration::from_std(pause).unwrap_or_default();
                    tracing::warn!(
                        family = f.label(),
                        retry_after_s = pause.as_secs(),
                        "binance rate limited (HTTP 429): family paused"
                    );
                    return Err(VenueError::new(
                        V,
                        ErrorKind::RateLimited {
                            code: "429".into(),
                            message: format!(
                                "{} rate limited (HTTP 429); next try at {} UTC",
                                f.label(),
                                at.format("%H:%M:%S")
                            ),
                        },
                    ));
                }
                _ => {}
            }
        }
        result
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<T, VenueError> {
        let reply = match self.call(path, params, true).await {
            Err(VenueError {
                kind: ErrorKind::Clock { .. },
                ..
            }) if self.clock_due() => {
                // -1021: our clock is off. Measure (at most every 10 min);
                // the next poll uses the offset.
                if let Err(e) = self.sync_clock().await {
                    tracing::warn!(error = %e, "binance clock sync failed");
                }
                return Err(VenueError::new(
                    V,
                    ErrorKind::Clock {
                        code: "-1021".into(),
                        message: format!(
                            "Binance refused the timestamp; clock offset now {:+} ms, used from the next poll",
                            self.clock_offset_ms()
                        ),
                    },
                ));
            }
            r => r?,
        };
        decode(V, &reply.body).map_err(|e| name_path(e, path))
    }

    fn clock_due(&self) -> bool {
        let mut l = self.learned();
        let due = l.clock_synced.is_none_or(|t| t.elapsed() >= CLOCK_EVERY);
        if due {
            l.clock_synced = Some(tokio::time::Instant::now());
        }
        due
    }

    /// GET /api/v3/time (weight 1): store server minus local time.
    pub async fn sync_clock(&self) -> Result<i64, VenueError> {
        let sent = Utc::now();
        let reply = self.call(TIME_PATH, &[], false).await?;
        let t: wire::ServerTime = decode(V, &reply.body)?;
        let mid = sent.timestamp_millis() + (reply.received_at - sent).num_milliseconds() / 2;
        let offset = t.server_time - mid;
        if offset.abs() > 86_400_000 {
            return Err(VenueError::new(
                V,
                ErrorKind::Decode {
                    path: "serverTime".into(),
                    detail: format!(
                        "server time {} ms is more than a day from this machine's clock",
                        t.server_time
                    ),
                    excerpt: String::new(),
                },
            ));
        }
        self.clock_offset_ms.store(offset, Ordering::Relaxed);
        tracing::info!(offset_ms = offset, "binance clock offset measured");
        Ok(offset)
    }

    /// exchangeInfo `rateLimits` at start and every INFO_EVERY (per host
    /// and family; `/api` for spot and PM, `/fapi` for classic futures,
    /// `/dapi` for COIN-M; `/papi` has none: see DAPI_INFO_PATH).
    async fn read_limits_if_due(&self) {
        let mut families = vec![(Family::Api, API_INFO_PATH)];
        if self.wants("futures") {
            families.push((Family::Fapi, FAPI_INFO_PATH));
        }
        if self.wants("coinm") {
            families.push((Family::Dapi, DAPI_INFO_PATH));
        }
        for (f, path) in families {
            let host_url = self.host_of(f);
            let hs = self.host_state(&host_url);
            let due = {
                let mut t = hs.info_read.lock().unwrap_or_else(|e| e.into_inner());
                let due = t.get(&f).is_none_or(|t| t.elapsed() >= INFO_EVERY);
                if due {
                    t.insert(f, tokio::time::Instant::now());
                }
                due
            };
            if !due {
                continue;
            }
            match self
                .call(path, &[], false)
                .await
                .and_then(|r| decode::<wire::ExchangeInfo>(V, &r.body))
            {
                Ok(info) => {
                    if let Some(l) = info.weight_per_minute() {
                        hs.set_limit(&host_url, f, l);
                    }
                }
                Err(e) => {
                    tracing::warn!(family = f.label(), error = %e, "binance exchangeInfo not read; published defaults kept")
                }
            }
        }
    }

    async fn coeff_if_due(&self) -> Option<wire::TradeCoeff> {
        let due = {
            let mut l = self.learned();
            let due = l.coeff_tried.is_none_or(|t| t.elapsed() >= COEFF_EVERY);
            if due {
                l.coeff_tried = Some(tokio::time::Instant::now());
            }
            due
        };
        if due {
            match self.get::<wire::TradeCoeff>(COEFF_PATH, &[]).await {
                Ok(c) => self.learned().coeff = Some((c, tokio::time::Instant::now())),
                Err(e) => {
                    tracing::warn!(error = %e, "binance tradeCoeff not read; default margin level bars apply")
                }
            }
        }
        self.learned().coeff.map(|(c, _)| c)
    }

    async fn multi_assets_if_due(&self) -> Option<bool> {
        let due = {
            let mut l = self.learned();
            let due = l.config_tried.is_none_or(|t| t.elapsed() >= CONFIG_EVERY);
            if due {
                l.config_tried = Some(tokio::time::Instant::now());
            }
            due
        };
        if due {
            match self
                .get::<wire::AccountConfig>(FUTURES_CONFIG_PATH, &[])
                .await
            {
                Ok(c) => self.learned().multi_assets = Some(c.multi_assets_margin),
                Err(e) => {
                    tracing::warn!(error = %e, "binance futures accountConfig not read; futures totals currency unknown")
                }
            }
        }
        self.learned().multi_assets
    }

    pub async fn fetch(&self) -> Result<Snapshot, VenueError> {
        // The poll budget every Binance account on this IP shares (the
        // scheduler plans intervals with it); the weight budgets sit below.
        if let Some(b) = &self.budget {
            b.acquire().await;
        }
        self.read_limits_if_due().await;
        let mut s = normalize::empty(Utc::now());
        // Spot: every mode (the spot wallet is outside PM).
        if self.s.mode == Mode::PortfolioMargin || self.wants("spot") {
            let spot: wire::SpotAccount =
                self.get(SPOT_PATH, &[("omitZeroBalances", "true")]).await?;
            normalize::add_spot(&mut s, &spot);
        }
        match self.s.mode {
            Mode::Classic => {
                if self.wants("margin") {
                    let m: wire::MarginAccount = self.get(MARGIN_PATH, &[]).await?;
                    let bars = if m.created == Some(false) {
                        None
                    } else {
                        self.coeff_if_due().await
                    };
                    normalize::add_margin(&mut s, &m, bars.as_ref());
                }
                if self.wants("futures") {
                    let multi = self.multi_assets_if_due().await;
                    let f: wire::FuturesAccount = self.get(FUTURES_PATH, &[]).await?;
                    normalize::add_futures(&mut s, &f, multi, normalize::FUTURES);
                    s.account_mode = multi.map(|m| {
                        if m {
                            "futures multi-assets mode (totals in USD)"
                        } else {
                            "futures single-asset mode (totals in USDT)"
                        }
                        .to_string()
                    });
                }
                // Only the pairs the config names, at most 5 per call.
                for pairs in self.s.isolated_pairs.chunks(ISOLATED_PER_CALL) {
                    let symbols = pairs.join(",");
                    let i: wire::IsolatedAccount =
                        self.get(ISOLATED_PATH, &[("symbols", &symbols)]).await?;
                    normalize::add_isolated(&mut s, &i);
                }
                if self.wants("coinm") {
                    let c: wire::FuturesAccount = self.get(COINM_PATH, &[]).await?;
                    normalize::add_futures(&mut s, &c, None, normalize::COINM);
                }
            }
            Mode::PortfolioMargin => {
                let a: wire::PmAccount = self.get(PM_ACCOUNT_PATH, &[]).await?;
                let b: Vec<wire::PmBalance> = self.get(PM_BALANCE_PATH, &[]).await?;
                normalize::add_pm_account(&mut s, &a);
                normalize::add_pm_balance(&mut s, &b);
                s.account_mode = Some("Portfolio Margin".into());
            }
        }
        // Say so when Binance counts us near a limit.
        let mut hosts: Vec<String> = [Family::Api, Family::Fapi, Family::Papi]
            .iter()
            .map(|f| self.host_of(*f))
            .collect();
        hosts.dedup();
        for h in hosts {
            for (f, used, limit) in self.host_state(&h).busy() {
                s.risk.indicators.push(Indicator::new(
                    "requestWeight",
                    &format!("{} {used}/{limit}", f.label()),
                    "over half of the per-IP weight limit used: slowed until the minute ends",
                ));
            }
        }
        s.fetched_at = Utc::now();
        normalize::finish(&mut s);
        Ok(s)
    }
}

/// What a reply's status and headers said: status, used weight, Retry-After.
type Observed = Option<(u16, Option<u32>, Option<u64>)>;

/// A decode error names the call it came from.
fn name_path(mut e: VenueError, call: &str) -> VenueError {
    if let ErrorKind::Decode { path, .. } = &mut e.kind {
        *path = format!("{call}: {path}");
    }
    e
}

/// Polls per minute per IP the tightest family allows a classic account:
/// /api spot 20 weight of 6000 × SHARE (PM: 20 + 20 of /papi).
pub const POLLS_PER_MINUTE: u32 = 60;

impl Account for BinanceClient {
    fn venue(&self) -> VenueKind {
        V
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Snapshot, VenueError>> {
        Box::pin(BinanceClient::fetch(self))
    }
    /// Limits are per IP: every Binance account on one host shares one poll
    /// budget (the weight budgets per family sit under it).
    fn limit(&self) -> Limit {
        Limit {
            key: format!(
                "binance:{}",
                super::digest(&format!("binance-polls|{}", self.host_of(Family::Api)))
            ),
            requests: POLLS_PER_MINUTE,
            window: Duration::from_secs(60),
            min_gap: Duration::ZERO,
        }
    }
    fn budget(&self) -> Option<&Arc<RateBudget>> {
        self.budget.as_ref()
    }
    fn set_budget(&mut self, budget: Arc<RateBudget>) {
        self.budget = Some(budget);
    }
    fn budget_basis(&self) -> Option<String> {
        Some(format!(
            "this machine's IP at {} (Binance counts request weight per IP, per API family)",
            self.host_of(Family::Api)
        ))
    }
    fn clock_note(&self) -> Option<String> {
        let ms = self.clock_offset_ms();
        (ms != 0).then(|| format!("clock offset {ms:+} ms (synced from the server's time)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venues::ErrorClass;
    use reqwest::StatusCode as S;

    #[test]
    fn error_codes_are_classified_by_code() {
        let check = |st: S, body: &str| {
            super::super::http::check_reply(&BINANCE, st, body.as_bytes()).unwrap_err()
        };
        for (st, code) in [
            (S::BAD_REQUEST, -1022),
            (S::UNAUTHORIZED, -2015),
            (S::BAD_REQUEST, -2014),
        ] {
            let e = check(st, &format!(r#"{{"code":{code},"msg":"m"}}"#));
            assert_eq!(e.class(), ErrorClass::Auth, "{code}");
        }
        let e = check(
            S::UNAUTHORIZED,
            r#"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}"#,
        );
        let text = e.to_string();
        for word in ["API key", "IP", "allow-list", "permission"] {
            assert!(text.contains(word), "{text}");
        }
        assert!(matches!(
            check(S::BAD_REQUEST, r#"{"code":-1021,"msg":"m"}"#).kind,
            ErrorKind::Clock { .. }
        ));
        assert_eq!(
            check(S::TOO_MANY_REQUESTS, r#"{"code":-1003,"msg":"m"}"#).class(),
            ErrorClass::RateLimited
        );
        assert_eq!(
            check(S::SERVICE_UNAVAILABLE, r#"{"code":-1008,"msg":"busy"}"#).class(),
            ErrorClass::Transient
        );
        assert!(super::super::http::check_reply(&BINANCE, S::OK, br#"{"balances":[]}"#).is_ok());
    }

    #[test]
    fn families_weights_and_budget_keys() {
        assert_eq!(Family::of(SPOT_PATH), Family::Api);
        assert_eq!(Family::of(MARGIN_PATH), Family::Sapi(MARGIN_PATH));
        assert_ne!(
            Family::of(MARGIN_PATH),
            Family::of(COEFF_PATH),
            "/sapi: one bucket per endpoint"
        );
        assert_eq!(Family::of(FUTURES_PATH), Family::Fapi);
        assert_eq!(Family::of(PM_BALANCE_PATH), Family::Papi);
        assert_eq!(
            (
                weight(SPOT_PATH),
                weight(MARGIN_PATH),
                weight(FUTURES_PATH),
                weight(PM_ACCOUNT_PATH)
            ),
            (20, 10, 5, 20)
        );
        assert_eq!(Family::Api.default_limit(), 6000);
        assert_eq!(Family::Fapi.default_limit(), 2400);
        assert_eq!(Family::Papi.default_limit(), 6000);
        // Per IP (host), not per key: no key in the budget key.
        assert_eq!(budget_key("h", Family::Api), budget_key("h", Family::Api));
        assert_ne!(budget_key("h", Family::Api), budget_key("h", Family::Fapi));
    }
}
