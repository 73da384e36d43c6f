//! Bybit v5, unified trading account (PROTOCOLS.md §6): every poll
//! GET /v5/account/wallet-balance?accountType=UNIFIED (UTA 1.0 also
//! CONTRACT, the inverse derivatives wallet; a classic account CONTRACT and
//! SPOT); GET /v5/account/info (unified status, margin mode) at start and
//! every few minutes; GET /v5/user/query-api once at start (the key's user
//! id); the clock offset learned from /v5/market/time when the server
//! refuses our timestamp (10002).
//!
//! Limits: per UID per endpoint per second (one budget per user id and
//! endpoint, shared by every key of that user, plus the
//! `X-Bapi-Limit-Status` headers: low -> slow down; 10006 -> wait for
//! `X-Bapi-Limit-Reset-Timestamp`), and 600 per 5 s per IP, shared by every
//! Bybit account of this process (and of other baltui processes through the
//! ledger). HTTP 403 is an IP ban of at least 10 minutes: every Bybit
//! request of the process stops until it is over, and the tab says so.

pub mod config;
pub mod normalize;
pub mod sign;
pub mod sim;
pub mod wire;

use super::http::{Reply, Request, check_reply, send};
use super::{Account, BoxFuture, ErrorKind, Limit, Protocol, RateBudget, VenueError, decode};
use crate::model::{Snapshot, VenueKind};
use crate::secrets::Secret;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const WALLET_PATH: &str = "/v5/account/wallet-balance";
/// The wallet-balance query as sent and signed (one parameter: sorted).
pub const WALLET_QUERY: &str = "accountType=UNIFIED";
pub const INFO_PATH: &str = "/v5/account/info";
/// Get API Key Information: the key's `userID` (any permission may call it).
pub const USER_PATH: &str = "/v5/user/query-api";
/// Published: 10 requests per second per UID (rate-limit table, "User").
pub const USER_LIMIT: u32 = 10;
pub const TIME_PATH: &str = "/v5/market/time";
pub const DEFAULT_BASE_URL: &str = "https://api.bybit.com";
/// Published: 50 requests per second per UID, per endpoint (wallet-balance
/// UNIFIED and account/info alike).
pub const UID_LIMIT: u32 = 50;
pub const UID_WINDOW: Duration = Duration::from_secs(1);
/// Published: 600 requests per 5 s per IP, across all Bybit hosts.
pub const IP_LIMIT: u32 = 600;
pub const IP_WINDOW: Duration = Duration::from_secs(5);
/// Share of the IP limit this process uses (Bybit: do not run at the edge).
const IP_MARGIN: f64 = 0.5;
/// Share of the account/info limit used.
const INFO_MARGIN: f64 = 0.8;
/// HTTP 403: the IP is banned for at least 10 minutes; a repeat doubles the
/// wait, up to an hour (PROTOCOLS.md §7.5).
pub const BAN_FIRST: Duration = Duration::from_secs(600);
pub const BAN_MAX: Duration = Duration::from_secs(3600);
/// How often the account info (mode) is asked again.
pub const INFO_EVERY: Duration = Duration::from_secs(300);
/// How soon a failed account-info call is tried again.
pub const INFO_RETRY: Duration = Duration::from_secs(60);
/// Remaining under this share of `X-Bapi-Limit`: slow down (§7.3).
const LOW_SHARE_PERCENT: u64 = 20;
/// Longest pause taken from a reset timestamp (a broken header must not
/// stop the account for long).
const MAX_RESET_WAIT: Duration = Duration::from_secs(60);
/// A server clock further off than this is not believed.
pub const MAX_CLOCK_OFFSET_MS: i64 = 86_400_000;

/// This venue: its config id and its name for people.
pub const KIND: VenueKind = VenueKind::new(&crate::model::VenueName {
    id: "bybit",
    label: "Bybit",
});
const V: VenueKind = KIND;

/// Bybit's wire rules.
pub struct Bybit;
pub static BYBIT: Bybit = Bybit;

impl crate::venues::api::Venue for Bybit {
    fn keys(&self) -> &'static [&'static str] {
        config::KEYS
    }

    /// PROTOCOLS.md §7: 15 s by default, never below 5 s.
    fn poll_intervals(&self) -> (std::time::Duration, std::time::Duration) {
        (
            std::time::Duration::from_secs(15),
            std::time::Duration::from_secs(5),
        )
    }

    fn field_names(&self) -> &'static [(&'static str, &'static str)] {
        normalize::FIELD_NAMES
    }

    fn parse_balance(&self, body: &[u8]) -> Result<Snapshot, VenueError> {
        parse_wallet(reqwest::StatusCode::OK, body, Utc::now())
    }

    fn parse_settings(
        &self,
        keys: &mut crate::venues::settings::AccountKeys<'_>,
    ) -> Option<Arc<dyn crate::venues::settings::AccountSettings>> {
        config::parse(keys)
    }
}

impl Protocol for Bybit {
    fn venue(&self) -> VenueKind {
        V
    }

    /// `retCode` when it is not 0. A 10004 message echoes the signed
    /// string (`origin_string[...]`, which holds the API key): cut off.
    fn error_code(&self, body: &[u8]) -> Option<(String, String)> {
        serde_json::from_slice::<wire::ErrorEnvelope>(body)
            .ok()
            .filter(|e| e.ret_code != "0")
            .map(|e| (e.ret_code, redact(e.ret_msg.unwrap_or_default())))
    }

    /// PROTOCOLS.md §6.7; match on `retCode`, never on `retMsg`.
    fn classify(&self, code: &str, msg: &str) -> Option<ErrorKind> {
        let (code, message) = (code.to_string(), msg.to_string());
        Some(match code.as_str() {
            "10006" | "10018" => ErrorKind::RateLimited { code, message },
            "10002" => ErrorKind::Clock { code, message },
            "10003" | "10004" | "10005" | "10007" | "10010" | "33004" | "-2015" => {
                ErrorKind::Auth { code, message }
            }
            _ => return None,
        })
    }

    fn auth_hint(&self, code: &str) -> &'static str {
        match code {
            "10003" => {
                "the API key is unknown here: a key works only on the environment that issued it (mainnet, testnet, demo): check base_url"
            }
            "10004" => {
                "the signature was refused: check that secret_key (or private_key) belongs to api_key"
            }
            "10005" => "the key lacks a permission: give it read access to the account (wallet)",
            "10010" => "this machine's IP is not on the key's IP allow-list",
            "33004" | "-2015" => "the API key has expired: create a new one",
            _ => {
                "check that api_key and secret_key (or private_key) belong to one Bybit key of this environment, that it is not expired, and that this machine's IP is allowed"
            }
        }
    }
}

/// A venue message without the signed string Bybit echoes on 10004.
fn redact(msg: String) -> String {
    match msg.find("origin_string[") {
        Some(i) => format!("{}origin_string[redacted]", &msg[..i]),
        None => msg,
    }
}

/// How requests are signed: HMAC secret or RSA private key.
#[derive(Clone)]
pub enum Signer {
    Hmac(Secret),
    Rsa(sign::RsaKey),
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Signer::Hmac(_) => "Hmac([redacted])",
            Signer::Rsa(_) => "Rsa([redacted])",
        })
    }
}

#[derive(Clone, Debug)]
pub struct BybitSettings {
    pub base_url: String,
    pub api_key: Secret,
    pub signer: Signer,
    /// X-BAPI-RECV-WINDOW, ms.
    pub recv_window: u32,
}

/// What /v5/account/info says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// `unifiedMarginStatus` as sent (an integer).
    pub unified_status: Option<String>,
    /// `marginMode`.
    pub margin_mode: Option<String>,
}

impl AccountInfo {
    /// The wallets (`accountType` values) to read in this mode (§6.1): UTA
    /// 1.0 keeps inverse derivatives in CONTRACT, a classic account has
    /// CONTRACT and SPOT; UTA 2.0, an undocumented status or none: UNIFIED.
    pub fn account_types(&self) -> &'static [&'static str] {
        match self.unified_status.as_deref() {
            Some("3" | "4") => &["UNIFIED", "CONTRACT"],
            Some("1") => &["CONTRACT", "SPOT"],
            _ => &["UNIFIED"],
        }
    }

    /// The account mode in the document's words, for the title.
    pub fn label(&self) -> Option<String> {
        let status = self.unified_status.as_deref().map(|s| match s {
            "1" => "classic account".to_string(),
            "3" => "UTA 1.0".to_string(),
            "4" => "UTA 1.0 (pro)".to_string(),
            "5" => "UTA 2.0".to_string(),
            "6" => "UTA 2.0 (pro)".to_string(),
            other => format!("undocumented unifiedMarginStatus {other}"),
        });
        let mode = self.margin_mode.as_deref().map(|m| match m {
            "ISOLATED_MARGIN" => "isolated margin".to_string(),
            "REGULAR_MARGIN" => "cross margin".to_string(),
            "PORTFOLIO_MARGIN" => "portfolio margin".to_string(),
            other => format!("undocumented marginMode {other}"),
        });
        match (status, mode) {
            (Some(s), Some(m)) => Some(format!("{s}, {m}")),
            (s, m) => s.or(m),
        }
    }
}

#[derive(Default)]
struct InfoState {
    info: Option<AccountInfo>,
    last_try: Option<tokio::time::Instant>,
    /// The key's user id (`/v5/user/query-api` `userID`): what the per-UID
    /// budgets are keyed on once known.
    uid: Option<String>,
    /// The user id the budget was planned with (None: the API key).
    planned_uid: Option<String>,
}

/// The IP-wide state of one Bybit "IP": its request budget and its ban.
pub struct IpScope {
    budget: Arc<RateBudget>,
    /// Until when every request is refused here (after HTTP 403), and the
    /// same instant in UTC for the message.
    banned_until: Mutex<Option<(tokio::time::Instant, DateTime<Utc>)>>,
    /// 403s in a row (the ban doubles each time).
    bans: AtomicU32,
}

impl IpScope {
    /// The ban in force, if any: its end in UTC.
    pub fn banned_until(&self) -> Option<DateTime<Utc>> {
        let g = self.banned_until.lock().unwrap_or_else(|e| e.into_inner());
        g.filter(|(at, _)| *at > tokio::time::Instant::now())
            .map(|(_, utc)| utc)
    }

    /// Note a 403: stop everything here for the ban's length.
    fn ban(&self) -> DateTime<Utc> {
        let n = self.bans.fetch_add(1, Ordering::Relaxed).min(8);
        let d = BAN_FIRST.saturating_mul(1 << n).min(BAN_MAX);
        let until_utc = Utc::now() + chrono::Duration::from_std(d).unwrap_or_default();
        let until = tokio::time::Instant::now() + d;
        let mut g = self.banned_until.lock().unwrap_or_else(|e| e.into_inner());
        if g.is_none_or(|(at, _)| at < until) {
            *g = Some((until, until_utc));
        }
        // Other baltui processes on this machine share the IP: they wait too.
        self.budget.pause_for(d);
        until_utc
    }

    fn cleared(&self) {
        self.bans.store(0, Ordering::Relaxed);
    }
}

/// The IP scope of `base_url`: every public Bybit host shares one (the IP
/// limit counts across hosts); a loopback address (the simulator) is a scope
/// of its own, so one test's ban does not stop another's simulator.
pub fn ip_scope(base_url: &str) -> Arc<IpScope> {
    static SCOPES: std::sync::OnceLock<Mutex<std::collections::HashMap<String, Arc<IpScope>>>> =
        std::sync::OnceLock::new();
    let key = if super::settings::is_loopback_url(base_url) {
        base_url.trim_end_matches('/').to_string()
    } else {
        "public".to_string()
    };
    let map = SCOPES.get_or_init(Default::default);
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(key.clone())
        .or_insert_with(|| {
            let limit = Limit {
                key: format!("bybit-ip:{}", super::digest(&format!("bybit-ip|{key}"))),
                requests: IP_LIMIT,
                window: IP_WINDOW,
                min_gap: Duration::ZERO,
            };
            Arc::new(IpScope {
                budget: RateBudget::for_limit(&limit, IP_MARGIN, crate::ledger::global()),
                banned_until: Mutex::new(None),
                bans: AtomicU32::new(0),
            })
        })
        .clone()
}

/// One budget per `key` (a digest) for the whole process, `requests` per
/// second: the endpoints the scheduler does not plan (account info, user).
fn endpoint_budget(key: String, requests: u32) -> Arc<RateBudget> {
    static BUDGETS: std::sync::OnceLock<Mutex<std::collections::HashMap<String, Arc<RateBudget>>>> =
        std::sync::OnceLock::new();
    let map = BUDGETS.get_or_init(Default::default);
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(key.clone())
        .or_insert_with(|| {
            let limit = Limit {
                key,
                requests,
                window: UID_WINDOW,
                min_gap: Duration::ZERO,
            };
            RateBudget::for_limit(&limit, INFO_MARGIN, crate::ledger::global())
        })
        .clone()
}

/// The query-api budget: the user id is what that call tells, so its
/// budget cannot be keyed on it; one budget for every key of one IP scope
/// is never more than any one user's 10 per second.
fn user_budget(base_url: &str) -> Arc<RateBudget> {
    let scope = if super::settings::is_loopback_url(base_url) {
        base_url.trim_end_matches('/')
    } else {
        "public"
    };
    let key = format!(
        "bybit-user:{}",
        super::digest(&format!("bybit-user|{scope}"))
    );
    endpoint_budget(key, USER_LIMIT)
}

#[derive(Clone)]
pub struct BybitClient {
    http: reqwest::Client,
    s: BybitSettings,
    /// Server clock minus local clock, ms; shared by clones.
    clock_offset_ms: Arc<AtomicI64>,
    /// Every wallet-balance request waits for a grant from this budget.
    budget: Option<Arc<RateBudget>>,
    info: Arc<Mutex<InfoState>>,
    ip: Arc<IpScope>,
}

impl BybitClient {
    pub fn new(http: reqwest::Client, s: BybitSettings) -> Self {
        BybitClient {
            ip: ip_scope(&s.base_url),
            http,
            s,
            clock_offset_ms: Arc::new(AtomicI64::new(0)),
            budget: None,
            info: Arc::new(Mutex::new(InfoState::default())),
        }
    }

    fn info_state(&self) -> std::sync::MutexGuard<'_, InfoState> {
        self.info.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What /v5/account/info said last.
    pub fn account_info(&self) -> Option<AccountInfo> {
        self.info_state().info.clone()
    }

    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// The key's user id, once /v5/user/query-api has told it.
    pub fn uid(&self) -> Option<String> {
        self.info_state().uid.clone()
    }

    /// What the per-UID budgets are keyed on (a digest of it, never
    /// printed): the user id when known (Bybit counts per UID, so every key
    /// of one user shares it), else the API key.
    fn budget_identity(&self) -> String {
        match self.uid() {
            Some(uid) => format!("uid|{uid}"),
            None => format!("key|{}", self.s.api_key.expose()),
        }
    }

    /// The account-info budget of this key's user (50 per second per UID).
    fn info_budget(&self) -> Arc<RateBudget> {
        let id = self.budget_identity();
        let key = format!("bybit-info:{}", super::digest(&format!("bybit-info|{id}")));
        endpoint_budget(key, UID_LIMIT)
    }

    /// GET /v5/user/query-api: the key's user id (`userID`), remembered so
    /// the budgets are keyed on it when planned.
    pub async fn fetch_uid(&self) -> Result<String, VenueError> {
        let budget = user_budget(&self.s.base_url);
        let reply = self.request(USER_PATH, "", Some(&budget), true).await?;
        let env: wire::Envelope<wire::ApiKeyInfo> = decode(V, &reply.body)?;
        let uid = env
            .result
            .user_id
            .filter(|u| !u.is_empty() && u != "0")
            .ok_or_else(|| {
                VenueError::new(
                    V,
                    ErrorKind::Decode {
                        path: "result.userID".into(),
                        detail: "expected the user id (a number)".into(),
                        excerpt: crate::decimal::excerpt(&String::from_utf8_lossy(&reply.body)),
                    },
                )
            })?;
        let planned = {
            let mut st = self.info_state();
            st.uid = Some(uid.clone());
            st.planned_uid.clone()
        };
        if planned.is_some_and(|p| p != uid) {
            tracing::warn!(
                "bybit user id changed since the budget was planned; it follows on reload"
            );
        }
        Ok(uid)
    }

    /// The IP ban in force for this client's host, if any.
    pub fn banned_until(&self) -> Option<DateTime<Utc>> {
        self.ip.banned_until()
    }

    /// Tests only: end the ban of this client's (simulator) scope, so a
    /// later simulator on the same loopback port starts clean.
    #[doc(hidden)]
    pub fn lift_ip_ban_for_tests(&self) {
        *self
            .ip
            .banned_until
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
        self.ip.cleared();
    }

    /// The signed request for `path` and `raw_query` at `now` (pure: no I/O).
    pub fn sign_request(&self, path: &str, raw_query: &str, now: DateTime<Utc>) -> Request {
        let now = now
            .checked_add_signed(chrono::Duration::milliseconds(self.clock_offset_ms()))
            .unwrap_or(now);
        let ts = sign::timestamp(now);
        let recv = self.s.recv_window.to_string();
        let payload = sign::payload(&ts, self.s.api_key.expose(), &recv, raw_query);
        let signature = match &self.s.signer {
            Signer::Hmac(secret) => sign::hmac_hex(secret.expose(), &payload),
            Signer::Rsa(key) => key.sign(&payload),
        };
        Request::get(path, raw_query)
            .secret_header("X-BAPI-API-KEY", &self.s.api_key)
            .header("X-BAPI-SIGN", signature)
            .header("X-BAPI-TIMESTAMP", ts)
            .header("X-BAPI-RECV-WINDOW", recv)
            // pybit and the official examples send 2 for HMAC and RSA alike.
            .header("X-BAPI-SIGN-TYPE", "2")
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
    }

    /// The ledger shared with other processes: the poll budget's, else the
    /// process's.
    fn ledger(&self) -> Option<Arc<crate::ledger::Ledger>> {
        crate::venues::budget::ledger_of(self.budget.as_deref())
    }

    /// The ledger key of this IP's ban (next to the IP budget's own).
    fn ban_key(&self) -> String {
        format!("{}-ban", self.ip.budget.key_label)
    }

    /// The end of a ban recorded in the ledger (by any process), if on.
    async fn ledger_ban(&self) -> Option<DateTime<Utc>> {
        let p = self.ledger()?.paused(&self.ban_key()).await?;
        DateTime::from_timestamp_millis(p.until_ms)
    }

    /// The error while the IP is banned (nothing is sent).
    fn ban_error(until: DateTime<Utc>) -> VenueError {
        VenueError::new(
            V,
            ErrorKind::Banned {
                code: "403".into(),
                message: format!(
                    "IP banned by Bybit (HTTP 403, access too frequent): every Bybit request stopped until {} UTC",
                    until.format("%H:%M:%S")
                ),
            },
        )
    }

    /// One request through the IP budget, then `budget`, the shared HTTP
    /// path, the rate-limit headers and the error rule.
    async fn request(
        &self,
        path: &str,
        raw_query: &str,
        budget: Option<&RateBudget>,
        signed: bool,
    ) -> Result<Reply, VenueError> {
        if let Some(until) = self.ip.banned_until() {
            return Err(Self::ban_error(until));
        }
        // A ban another baltui process got (through the ledger).
        if let Some(until) = self.ledger_ban().await {
            return Err(Self::ban_error(until));
        }
        self.ip.budget.acquire().await;
        // A ban noted while this request waited for its grant.
        if let Some(until) = self.ip.banned_until() {
            return Err(Self::ban_error(until));
        }
        let reply = send(&self.http, &self.s.base_url, &BYBIT, budget, |now| {
            if signed {
                self.sign_request(path, raw_query, now)
            } else {
                Request::get(path, raw_query)
            }
        })
        .await?;
        if reply.status == reqwest::StatusCode::FORBIDDEN {
            let until = self.ip.ban();
            // Every baltui process sharing the ledger stops and says why.
            if let Some(l) = self.ledger() {
                let d = (until - Utc::now()).to_std().unwrap_or_default();
                let note = crate::ledger::PauseNote {
                    kind: crate::ledger::PauseKind::Ban,
                    status: 403,
                    words: "IP banned by Bybit".into(),
                };
                l.pause_noted(&self.ban_key(), d, Some(note)).await;
            }
            tracing::error!(
                until = %until,
                "bybit HTTP 403: IP rate limit ban; every Bybit request stops until it is over"
            );
            return Err(Self::ban_error(until));
        }
        self.ip.cleared();
        let reset = self.read_limit_headers(&reply, budget);
        if let Err(e) = check_reply(&BYBIT, reply.status, &reply.body) {
            let e = e.with_trace_id(reply.trace_id.clone());
            if let (ErrorKind::RateLimited { .. }, Some(b)) = (&e.kind, budget) {
                // 10006: nobody on this key asks before the reset time.
                b.pause_for(reset.unwrap_or(UID_WINDOW).max(UID_WINDOW));
            }
            return Err(e);
        }
        Ok(reply)
    }

    /// `X-Bapi-Limit`, `X-Bapi-Limit-Status`, `X-Bapi-Limit-Reset-Timestamp`:
    /// when fewer than a fifth of the requests are left, hold the key's
    /// budget until the reset. Returns the wait until the reset.
    fn read_limit_headers(&self, reply: &Reply, budget: Option<&RateBudget>) -> Option<Duration> {
        let num =
            |h: &str| -> Option<i64> { reply.headers.get(h)?.to_str().ok()?.trim().parse().ok() };
        let reset = num("X-Bapi-Limit-Reset-Timestamp").map(|server_ms| {
            let local_ms = server_ms.saturating_sub(self.clock_offset_ms());
            let ms = local_ms.saturating_sub(Utc::now().timestamp_millis());
            Duration::from_millis(u64::try_from(ms).unwrap_or(0)).min(MAX_RESET_WAIT)
        });
        if let (Some(limit), Some(left), Some(b)) =
            (num("X-Bapi-Limit"), num("X-Bapi-Limit-Status"), budget)
            && limit > 0
            && (left.max(0) as u64) * 100 < (limit as u64) * LOW_SHARE_PERCENT
        {
            let d = reset.unwrap_or(UID_WINDOW).max(UID_WINDOW);
            tracing::info!(
                limit,
                left,
                wait_ms = d.as_millis() as u64,
                "bybit limit low; slowing down"
            );
            b.pause_for(d);
        }
        reset
    }

    /// GET /v5/account/info through its own budget; remembers the answer.
    pub async fn fetch_info(&self) -> Result<AccountInfo, VenueError> {
        self.info_state().last_try = Some(tokio::time::Instant::now());
        let budget = self.info_budget();
        let reply = self.request(INFO_PATH, "", Some(&budget), true).await?;
        let env: wire::Envelope<wire::AccountInfo> = decode(V, &reply.body)?;
        let info = AccountInfo {
            unified_status: env.result.unified_margin_status,
            margin_mode: env.result.margin_mode,
        };
        if matches!(info.unified_status.as_deref(), Some("1" | "3" | "4")) {
            tracing::info!(
                status = ?info.unified_status,
                wallets = ?info.account_types(),
                "bybit account is not UTA 2.0: its other wallets are read too"
            );
        }
        self.info_state().info = Some(info.clone());
        Ok(info)
    }

    /// Ask for the info when never asked or older than INFO_EVERY. A failure
    /// is logged: the balance call still goes ahead.
    async fn info_if_due(&self) {
        let due = {
            let mut st = self.info_state();
            let every = if st.info.is_some() {
                INFO_EVERY
            } else {
                INFO_RETRY
            };
            let due = st.last_try.is_none_or(|t| t.elapsed() >= every);
            if due {
                st.last_try = Some(tokio::time::Instant::now());
            }
            due
        };
        if due && let Err(e) = self.fetch_info().await {
            tracing::warn!(error = %e, "bybit account info call failed");
        }
    }

    pub async fn fetch(&self) -> Result<Snapshot, VenueError> {
        if let Some(until) = self.ip.banned_until() {
            return Err(Self::ban_error(until));
        }
        self.info_if_due().await;
        let types = self
            .account_info()
            .map_or(&["UNIFIED"][..], |i| i.account_types());
        let Some((first, rest)) = types.split_first() else {
            return Err(VenueError::new(
                V,
                ErrorKind::Config("no Bybit wallet to read".into()),
            ));
        };
        let reply = match self.wallet_once(first).await {
            Err(VenueError {
                kind: ErrorKind::Clock { .. },
                ..
            }) => {
                // 10002: our clock is off; measure the server's and retry once.
                self.sync_clock().await?;
                // The info call refused for the same reason: ask it again.
                if self.account_info().is_none()
                    && let Err(e) = self.fetch_info().await
                {
                    tracing::warn!(error = %e, "bybit account info call failed");
                }
                self.wallet_once(first).await?
            }
            other => other?,
        };
        let mut parts = vec![(
            *first,
            parse_wallet_of(first, reply.status, &reply.body, reply.received_at)?,
        )];
        for t in rest {
            let reply = self.wallet_once(t).await.inspect_err(|e| {
                // 10001 & co.: the mode changed (§6.7): ask it again next poll.
                if matches!(e.kind, ErrorKind::Api { .. }) {
                    self.info_state().last_try = None;
                }
            })?;
            parts.push((
                *t,
                parse_wallet_of(t, reply.status, &reply.body, reply.received_at)?,
            ));
        }
        let mut snap = normalize::combine(parts);
        snap.account_mode = self.account_info().and_then(|i| i.label());
        Ok(snap)
    }

    /// One wallet-balance call for `account_type`, through the user's
    /// wallet-balance budget (every account type counts on it).
    async fn wallet_once(&self, account_type: &str) -> Result<Reply, VenueError> {
        self.request(
            WALLET_PATH,
            &wallet_query(account_type),
            self.budget.as_deref(),
            true,
        )
        .await
    }

    /// GET /v5/market/time (unsigned) and store server minus local time.
    pub async fn sync_clock(&self) -> Result<i64, VenueError> {
        let sent = Utc::now();
        let reply = self.request(TIME_PATH, "", None, false).await?;
        let body = reply.body;
        let env: wire::Envelope<wire::ServerTime> = decode(V, &body)?;
        let from_nano = env
            .result
            .time_nano
            .as_deref()
            .and_then(|n| n.parse::<i128>().ok())
            .and_then(|n| i64::try_from(n / 1_000_000).ok());
        let from_secs = env
            .result
            .time_second
            .as_deref()
            .and_then(|s| s.parse::<i64>().ok())
            .and_then(|s| s.checked_mul(1000));
        let bad = |detail: String| {
            VenueError::new(
                V,
                ErrorKind::Decode {
                    path: "result.timeNano".into(),
                    detail,
                    excerpt: crate::decimal::excerpt(&String::from_utf8_lossy(&body)),
                },
            )
        };
        let server_ms = from_nano
            .or(from_secs)
            .ok_or_else(|| bad("expected the server time (timeNano or timeSecond)".into()))?;
        let local_mid = sent.timestamp_millis() + (reply.received_at - sent).num_milliseconds() / 2;
        let offset = server_ms
            .checked_sub(local_mid)
            .filter(|o| o.abs() <= MAX_CLOCK_OFFSET_MS)
            .ok_or_else(|| {
                bad(format!(
                    "server time {server_ms} ms is more than a day from this machine's clock"
                ))
            })?;
        self.clock_offset_ms.store(offset, Ordering::Relaxed);
        tracing::info!(offset_ms = offset, "bybit clock offset measured");
        Ok(offset)
    }
}

impl Account for BybitClient {
    fn venue(&self) -> VenueKind {
        V
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Snapshot, VenueError>> {
        Box::pin(BybitClient::fetch(self))
    }
    /// Bybit counts per UID per endpoint: the wallet-balance budget is keyed
    /// on the user id once `identify` has learned it (two keys of one user
    /// share it), else on the API key.
    fn limit(&self) -> Limit {
        Limit {
            key: format!(
                "bybit:{}",
                super::digest(&format!("bybit|{}", self.budget_identity()))
            ),
            requests: UID_LIMIT,
            window: UID_WINDOW,
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
        Some(match self.uid() {
            Some(uid) => format!("user id {uid} (from /v5/user/query-api)"),
            None => "the API key (the user id is not known yet)".into(),
        })
    }
    /// Accounts of one API key (and host) ask who it belongs to once.
    fn identity_group(&self) -> Option<String> {
        Some(format!(
            "bybit-key:{}",
            super::digest(&format!(
                "bybit-key|{}|{}",
                self.s.base_url,
                self.s.api_key.expose()
            ))
        ))
    }
    fn identify(&self) -> BoxFuture<'_, Result<(), VenueError>> {
        Box::pin(async move { self.fetch_uid().await.map(|_| ()) })
    }
    fn adopt_identity(&self, from: &dyn Account) {
        if let Some(uid) = from
            .as_any()
            .downcast_ref::<BybitClient>()
            .and_then(BybitClient::uid)
        {
            self.info_state().uid = Some(uid);
        }
    }
    fn mark_planned(&self) {
        let mut st = self.info_state();
        st.planned_uid = st.uid.clone();
    }
    fn clock_note(&self) -> Option<String> {
        let ms = self.clock_offset_ms();
        (ms != 0).then(|| format!("clock offset {ms:+} ms (synced from the server's time)"))
    }
}

/// The wallet-balance query for one account type, as sent and signed.
pub fn wallet_query(account_type: &str) -> String {
    format!("accountType={account_type}")
}

/// A wallet-balance reply as the client reads it: the error rule at any
/// status, then the UNIFIED entry of `result.list`.
pub fn parse_wallet(
    status: reqwest::StatusCode,
    body: &[u8],
    fetched_at: DateTime<Utc>,
) -> Result<Snapshot, VenueError> {
    parse_wallet_of("UNIFIED", status, body, fetched_at)
}

/// As `parse_wallet`, for the `account_type` entry of `result.list` (else
/// an entry that names no type; never another type's).
pub fn parse_wallet_of(
    account_type: &str,
    status: reqwest::StatusCode,
    body: &[u8],
    fetched_at: DateTime<Utc>,
) -> Result<Snapshot, VenueError> {
    check_reply(&BYBIT, status, body)?;
    let env: wire::Envelope<wire::WalletResult> = decode(V, body)?;
    let list = env.result.list;
    let at = list
        .iter()
        .position(|w| w.account_type.as_deref() == Some(account_type))
        .or_else(|| list.iter().position(|w| w.account_type.is_none()));
    let Some(wallet) = at.and_then(|i| list.get(i)) else {
        return Err(VenueError::new(
            V,
            ErrorKind::Decode {
                path: "result.list".into(),
                detail: if list.is_empty() {
                    format!("expected one wallet (accountType {account_type}), got an empty list")
                } else {
                    format!(
                        "expected one wallet (accountType {account_type}), got only other account types"
                    )
                },
                excerpt: crate::decimal::excerpt(&String::from_utf8_lossy(body)),
            },
        ));
    };
    let venue_time = env
        .time
        .as_deref()
        .and_then(|t| t.parse::<i64>().ok())
        .and_then(DateTime::from_timestamp_millis);
    Ok(normalize::normalize(wallet, fetched_at, venue_time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venues::ErrorClass;
    use reqwest::StatusCode as S;

    fn check(st: S, body: &str) -> Result<(), VenueError> {
        check_reply(&BYBIT, st, body.as_bytes())
    }

    #[test]
    fn error_codes_are_classified_by_code() {
        let e = |c: &str| {
            check(
                S::OK,
                &format!(
                    r#"{{"retCode":{c},"retMsg":"x","result":{{}},"retExtInfo":{{}},"time":1}}"#
                ),
            )
            .unwrap_err()
        };
        for c in ["10003", "10004", "10005", "10010", "33004"] {
            assert_eq!(e(c).class(), ErrorClass::Auth, "{c}");
        }
        assert!(matches!(e("10002").kind, ErrorKind::Clock { .. }));
        assert_eq!(e("10006").class(), ErrorClass::RateLimited);
        assert!(matches!(e("10016").kind, ErrorKind::Api { ref code, .. } if code == "10016"));
        assert!(check(S::OK, r#"{"retCode":0,"retMsg":"OK","result":{}}"#).is_ok());
    }

    #[test]
    fn the_documented_error_body_names_code_and_message() {
        let body = r#"{"retCode":10003,"retMsg":"API key is invalid.","result":{},"retExtInfo":{},"time":1714065629010}"#;
        let e = check(S::OK, body).unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::Auth {
                code: "10003".into(),
                message: "API key is invalid.".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "Bybit: authentication failed (code 10003: API key is invalid.)"
        );
        assert!(BYBIT.auth_hint("10003").contains("environment"));
    }

    #[test]
    fn a_bad_signature_message_never_echoes_the_signed_string() {
        let body = br#"{"retCode":10004,"retMsg":"error sign! origin_string[1735689600500bbrTestKey00015000accountType=UNIFIED]","result":{},"retExtInfo":{},"time":1}"#;
        let (code, msg) = BYBIT.error_code(body).unwrap();
        assert_eq!(code, "10004");
        assert_eq!(msg, "error sign! origin_string[redacted]");
    }

    #[test]
    fn an_empty_list_is_a_named_decode_error() {
        let e = parse_wallet(
            S::OK,
            br#"{"retCode":0,"retMsg":"OK","result":{"list":[]},"time":1}"#,
            Utc::now(),
        )
        .unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::Decode { ref path, .. } if path == "result.list"),
            "{e}"
        );
    }

    fn reply_with(headers: &[(&'static str, String)]) -> Reply {
        let mut h = reqwest::header::HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, v.parse().unwrap());
        }
        Reply {
            status: S::OK,
            body: Vec::new(),
            trace_id: None,
            date: None,
            received_at: Utc::now(),
            headers: h,
        }
    }

    fn test_client() -> BybitClient {
        BybitClient::new(
            reqwest::Client::new(),
            BybitSettings {
                base_url: "http://127.0.0.1:9".into(),
                api_key: Secret::new("k"),
                signer: Signer::Hmac(Secret::new("s")),
                recv_window: 5000,
            },
        )
    }

    #[test]
    fn a_low_limit_status_holds_the_key_until_the_reset() {
        let c = test_client();
        let reset = Utc::now().timestamp_millis() + 3000;
        let headers = |left: u32| {
            vec![
                ("X-Bapi-Limit", "50".to_string()),
                ("X-Bapi-Limit-Status", left.to_string()),
                ("X-Bapi-Limit-Reset-Timestamp", reset.to_string()),
            ]
        };
        // 10 of 50 left (20%): not low yet.
        let b = RateBudget::new("t1", 50, UID_WINDOW, 0.8);
        let wait = c.read_limit_headers(&reply_with(&headers(10)), Some(&b));
        assert!(b.paused_until().is_none());
        let wait = wait.unwrap();
        assert!(
            wait > Duration::from_millis(2000) && wait <= Duration::from_millis(3000),
            "{wait:?}"
        );
        // 9 of 50 left: the key waits until the reset.
        let b = RateBudget::new("t2", 50, UID_WINDOW, 0.8);
        c.read_limit_headers(&reply_with(&headers(9)), Some(&b));
        let until = b.paused_until().expect("paused");
        let left = until - tokio::time::Instant::now();
        assert!(
            left > Duration::from_millis(2000) && left <= Duration::from_millis(3000),
            "{left:?}"
        );
        // A reset far away (a broken header) is capped.
        let far = vec![
            ("X-Bapi-Limit", "50".to_string()),
            ("X-Bapi-Limit-Status", "0".to_string()),
            (
                "X-Bapi-Limit-Reset-Timestamp",
                (reset + 86_400_000).to_string(),
            ),
        ];
        let b = RateBudget::new("t3", 50, UID_WINDOW, 0.8);
        c.read_limit_headers(&reply_with(&far), Some(&b));
        let left = b.paused_until().unwrap() - tokio::time::Instant::now();
        assert!(left <= MAX_RESET_WAIT, "{left:?}");
        // No headers: nothing changes.
        let b = RateBudget::new("t4", 50, UID_WINDOW, 0.8);
        assert_eq!(c.read_limit_headers(&reply_with(&[]), Some(&b)), None);
        assert!(b.paused_until().is_none());
    }

    #[test]
    fn account_mode_labels() {
        let i = |s: Option<&str>, m: Option<&str>| {
            AccountInfo {
                unified_status: s.map(String::from),
                margin_mode: m.map(String::from),
            }
            .label()
        };
        assert_eq!(
            i(Some("5"), Some("REGULAR_MARGIN")).as_deref(),
            Some("UTA 2.0, cross margin")
        );
        assert_eq!(
            i(Some("4"), Some("PORTFOLIO_MARGIN")).as_deref(),
            Some("UTA 1.0 (pro), portfolio margin")
        );
        assert_eq!(
            i(None, Some("ISOLATED_MARGIN")).as_deref(),
            Some("isolated margin")
        );
        assert_eq!(
            i(Some("9"), None).as_deref(),
            Some("undocumented unifiedMarginStatus 9")
        );
        assert_eq!(i(None, None), None);
    }

    #[test]
    fn the_mode_picks_the_wallets_and_a_reply_is_read_for_its_own_type() {
        let types = |s: Option<&str>| {
            AccountInfo {
                unified_status: s.map(String::from),
                margin_mode: None,
            }
            .account_types()
        };
        assert_eq!(types(Some("3")), ["UNIFIED", "CONTRACT"]);
        assert_eq!(types(Some("4")), ["UNIFIED", "CONTRACT"]);
        assert_eq!(types(Some("1")), ["CONTRACT", "SPOT"]);
        assert_eq!(types(Some("5")), ["UNIFIED"]);
        assert_eq!(types(Some("9")), ["UNIFIED"]);
        assert_eq!(types(None), ["UNIFIED"]);
        assert_eq!(wallet_query("CONTRACT"), "accountType=CONTRACT");
        // A UNIFIED entry is never read as the CONTRACT wallet.
        let body = br#"{"retCode":0,"retMsg":"OK","result":{"list":[{"accountType":"UNIFIED","coin":[]}]},"time":1}"#;
        let e = parse_wallet_of("CONTRACT", S::OK, body, Utc::now()).unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::Decode { ref detail, .. } if detail.contains("accountType CONTRACT")),
            "{e}"
        );
    }

    #[test]
    fn signed_request_carries_the_documented_headers_and_no_secret_in_debug() {
        let c = BybitClient::new(
            reqwest::Client::new(),
            BybitSettings {
                base_url: "http://127.0.0.1:9".into(),
                api_key: Secret::new("bbrTestKey0001"),
                signer: Signer::Hmac(Secret::new("bbrTestSecret0001")),
                recv_window: 5000,
            },
        );
        let at = DateTime::from_timestamp_millis(1_735_689_600_500).unwrap();
        let r = c.sign_request(WALLET_PATH, WALLET_QUERY, at);
        let h = |n: &str| {
            r.headers
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_str().unwrap().to_string())
        };
        assert_eq!(
            h("X-BAPI-SIGN").as_deref(),
            Some("c717d5d135a7a35fc3a6a614bb6800ede4ee1d643d061c8dcbd5322c54ecf03a")
        );
        assert_eq!(h("X-BAPI-TIMESTAMP").as_deref(), Some("1735689600500"));
        assert_eq!(h("X-BAPI-RECV-WINDOW").as_deref(), Some("5000"));
        assert_eq!(h("X-BAPI-SIGN-TYPE").as_deref(), Some("2"));
        assert_eq!(r.target(), "/v5/account/wallet-balance?accountType=UNIFIED");
        let info = c.sign_request(INFO_PATH, "", at);
        assert_eq!(
            info.headers
                .iter()
                .find(|(k, _)| *k == "X-BAPI-SIGN")
                .map(|(_, v)| v.to_str().unwrap()),
            Some("f02c24efc7dbd0aa6d27a0f98e0fd020110939a73ef26de9c42b8b9e3f0767d9")
        );
        let dbg = format!("{:?}", c.s);
        assert!(
            !dbg.contains("bbrTestSecret0001") && !dbg.contains("bbrTestKey0001"),
            "{dbg}"
        );
    }
}
