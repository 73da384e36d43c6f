//! OKX v5: GET /api/v5/account/balance, signed, with a clock offset learned from
//! /api/v5/public/time when the server refuses our timestamp (50102).

pub mod config;
pub mod normalize;
pub mod sign;
pub mod sim;
pub mod wire;

use super::http::{Reply, Request, exchange};
use super::{Account, BoxFuture, ErrorKind, Limit, Protocol, RateBudget, VenueError, decode};
use crate::model::{Snapshot, VenueKind};
use crate::secrets::Secret;
use chrono::Utc;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub const BALANCE_PATH: &str = "/api/v5/account/balance";
pub const CONFIG_PATH: &str = "/api/v5/account/config";
/// Published for the account config call: 5 requests per 2 s per user ID.
pub const CONFIG_LIMIT: u32 = 5;
/// Least time between two config calls made because the balance stopped
/// matching the mode, or because the first one failed.
pub const CONFIG_RETRY: std::time::Duration = std::time::Duration::from_secs(60);
pub const TIME_PATH: &str = "/api/v5/public/time";
pub const DEFAULT_BASE_URL: &str = "https://www.okx.com";
/// A server clock further off than this is not believed (a broken reply, not skew).
pub const MAX_CLOCK_OFFSET_MS: i64 = 86_400_000;
/// A Date header further off than this triggers a clock measurement
/// (OKX refuses at 30 s; the header has 1 s resolution).
pub const DATE_SKEW_SYNC_MS: i64 = 10_000;
/// Published: 10 requests per 2 s per user ID.
pub const LIMIT: u32 = 10;
pub const WINDOW: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Clone)]
pub struct OkxSettings {
    pub base_url: String,
    pub api_key: Secret,
    pub secret_key: Secret,
    pub passphrase: Secret,
    pub demo_trading: bool,
    pub currencies: Vec<String>,
    /// Shared-budget group (one OKX user ID), instead of the API key.
    pub rate_group: Option<String>,
}

/// The account mode (`acctLv` of the config call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountMode {
    Spot,
    Futures,
    MultiCurrency,
    Portfolio,
}

impl AccountMode {
    pub fn parse(acct_lv: &str) -> Option<AccountMode> {
        match acct_lv.trim() {
            "1" => Some(AccountMode::Spot),
            "2" => Some(AccountMode::Futures),
            "3" => Some(AccountMode::MultiCurrency),
            "4" => Some(AccountMode::Portfolio),
            _ => None,
        }
    }

    /// The document's words for the mode.
    pub fn label(self) -> &'static str {
        match self {
            AccountMode::Spot => "Spot mode",
            AccountMode::Futures => "Futures mode",
            AccountMode::MultiCurrency => "Multi-currency margin",
            AccountMode::Portfolio => "Portfolio margin",
        }
    }

    /// Whether a balance reply fits this mode: account-level `adjEq` applies
    /// in every mode but Futures (docs: "Distribution of applicable fields").
    pub fn matches(self, b: &wire::Balance) -> bool {
        b.adj_eq.is_some() == (self != AccountMode::Futures)
    }
}

/// What the config call says about the key's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user id the balance limit is counted on.
    pub uid: String,
    /// None: an `acctLv` the document does not list.
    pub mode: Option<AccountMode>,
    /// The raw `acctLv`, to name an unknown one.
    pub acct_lv: String,
    /// `mainUid` differs: a sub-account (with its own limit).
    pub sub_account: bool,
}

/// Identity and when it was last asked for, shared by clones of a client.
#[derive(Default)]
struct IdentityState {
    identity: Option<Identity>,
    last_try: Option<tokio::time::Instant>,
    /// The uid the budget was planned with (None: the API key).
    budget_uid: Option<String>,
    /// The last balance reply did not fit the mode (asked again at once the
    /// first time, then at most once a CONFIG_RETRY while it lasts).
    mismatch: bool,
}

#[derive(Clone)]
pub struct OkxClient {
    http: reqwest::Client,
    s: OkxSettings,
    /// Server clock minus local clock, in ms; shared by every request of this client.
    clock_offset_ms: Arc<AtomicI64>,
    /// Every balance request (a retry too) waits for a grant from this budget.
    budget: Option<Arc<RateBudget>>,
    /// Server minus local clock per the last reply's Date header (1 s resolution).
    date_skew_ms: Arc<AtomicI64>,
    identity: Arc<std::sync::Mutex<IdentityState>>,
    /// The config call's own budget (5 per 2 s per user id).
    config_budget: Option<Arc<RateBudget>>,
}

/// This venue: its config id and its name for people.
pub const KIND: VenueKind = VenueKind::new(&crate::model::VenueName {
    id: "okx",
    label: "OKX",
});
const V: VenueKind = KIND;

/// OKX's wire rules.
pub struct Okx;
pub static OKX: Okx = Okx;

impl crate::venues::api::Venue for Okx {
    fn keys(&self) -> &'static [&'static str] {
        config::KEYS
    }

    fn field_names(&self) -> &'static [(&'static str, &'static str)] {
        normalize::FIELD_NAMES
    }

    fn parse_balance(&self, body: &[u8]) -> Result<Snapshot, VenueError> {
        let b = parse_balance(reqwest::StatusCode::OK, body)?;
        Ok(normalize::normalize(&b, Utc::now()))
    }

    fn parse_settings(
        &self,
        keys: &mut crate::venues::settings::AccountKeys<'_>,
    ) -> Option<Arc<dyn crate::venues::settings::AccountSettings>> {
        config::parse(keys)
    }
}

impl Protocol for Okx {
    fn venue(&self) -> VenueKind {
        V
    }

    /// The envelope's `code` when it is not "0".
    fn error_code(&self, body: &[u8]) -> Option<(String, String)> {
        serde_json::from_slice::<wire::ErrorEnvelope>(body)
            .ok()
            .filter(|e| e.code != "0")
            .map(|e| (e.code, e.msg))
    }

    /// Match on `code`, never on `msg`.
    fn classify(&self, code: &str, msg: &str) -> Option<ErrorKind> {
        let (code, message) = (code.to_string(), msg.to_string());
        Some(match code.as_str() {
            "50011" | "50013" => ErrorKind::RateLimited { code, message },
            "50102" => ErrorKind::Clock { code, message },
            "50101" | "50103" | "50104" | "50105" | "50106" | "50107" | "50110" | "50111"
            | "50112" | "50113" | "50114" | "50119" | "50120" => ErrorKind::Auth { code, message },
            _ => return None,
        })
    }

    fn auth_hint(&self, _code: &str) -> &'static str {
        "check that api_key, secret_key and passphrase belong to one API key, that the key is not expired or deleted, and that this machine's IP is on its allow-list"
    }
}

impl OkxClient {
    pub fn new(http: reqwest::Client, s: OkxSettings) -> Self {
        let mut c = OkxClient {
            http,
            s,
            clock_offset_ms: Arc::new(AtomicI64::new(0)),
            budget: None,
            date_skew_ms: Arc::new(AtomicI64::new(0)),
            identity: Arc::new(std::sync::Mutex::new(IdentityState::default())),
            config_budget: None,
        };
        // Every client of one API key waits for the same config budget.
        c.config_budget = Some(config_budget(&config_budget_key(&c)));
        c
    }

    fn ident(&self) -> std::sync::MutexGuard<'_, IdentityState> {
        self.identity.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the config call said, once it has answered.
    pub fn identity(&self) -> Option<Identity> {
        self.ident().identity.clone()
    }

    /// Take an identity learned by another client of the same API key.
    pub fn set_identity(&self, id: Identity) {
        let mut st = self.ident();
        st.identity = Some(id);
        st.last_try = Some(tokio::time::Instant::now());
    }

    /// Record that the balance budget was planned with the current identity,
    /// so a uid learned later is reported rather than silently ignored.
    pub fn mark_budget_planned(&self) {
        let mut st = self.ident();
        st.budget_uid = st.identity.as_ref().map(|i| i.uid.clone());
    }

    /// What the balance budget is keyed on, for `check`: the rate group,
    /// the user id, or (until the uid is known) the API key.
    pub fn budget_basis(&self) -> String {
        if let Some(g) = &self.s.rate_group {
            return format!("rate_group \"{g}\" (set in the config)");
        }
        match self.identity() {
            Some(id) => format!("user id {} (from /api/v5/account/config)", id.uid),
            None => "the API key (the user id is not known yet)".into(),
        }
    }

    /// The balance call's query exactly as sent and signed.
    fn balance_query(&self) -> String {
        if self.s.currencies.is_empty() {
            String::new()
        } else {
            format!("ccy={}", self.s.currencies.join(","))
        }
    }

    /// The request target exactly as sent and signed.
    pub fn target(&self) -> String {
        Request::get(BALANCE_PATH, self.balance_query()).target()
    }

    /// What the budget key is derived from (as a digest; never printed):
    /// the configured rate group, else the user id (OKX counts per user id,
    /// so several keys of one user share it), else the API key.
    pub(crate) fn budget_identity(&self) -> String {
        match (&self.s.rate_group, self.identity()) {
            (Some(g), _) => format!("group|{g}"),
            (None, Some(id)) => format!("uid|{}", id.uid),
            (None, None) => format!("key|{}", self.s.api_key.expose()),
        }
    }

    /// The config budget's key before the uid is known: the API key.
    pub(crate) fn api_key_identity(&self) -> String {
        format!("key|{}", self.s.api_key.expose())
    }

    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// GET /api/v5/account/config through its own budget; remembers the answer.
    pub async fn identify(&self) -> Result<Identity, VenueError> {
        self.ident().last_try = Some(tokio::time::Instant::now());
        let body = self
            .signed_get(CONFIG_PATH, "", self.config_budget.as_deref())
            .await?
            .body;
        let env: wire::Envelope<wire::AccountConfig> = decode(V, &body)?;
        let decode_err = |path: &str, detail: &str| {
            VenueError::new(
                V,
                ErrorKind::Decode {
                    path: path.into(),
                    detail: detail.into(),
                    excerpt: crate::decimal::excerpt(&String::from_utf8_lossy(&body)),
                },
            )
        };
        let c = env
            .data
            .first()
            .ok_or_else(|| decode_err("data", "expected one account config, got an empty list"))?;
        let uid = c
            .uid
            .clone()
            .ok_or_else(|| decode_err("data[0].uid", "expected the user id"))?;
        let acct_lv = c.acct_lv.clone().unwrap_or_default();
        let id = Identity {
            mode: AccountMode::parse(&acct_lv),
            acct_lv,
            sub_account: c.main_uid.as_ref().is_some_and(|m| *m != uid),
            uid,
        };
        if id.mode.is_none() {
            tracing::warn!(acct_lv = %id.acct_lv, "okx account config: undocumented acctLv");
        }
        let planned = {
            let mut st = self.ident();
            st.identity = Some(id.clone());
            st.budget_uid.clone()
        };
        if let Some(p) = planned
            && p != id.uid
        {
            tracing::warn!(
                "okx user id changed since the budget was planned; it follows on reload"
            );
        }
        Ok(id)
    }

    /// Ask for the config when it is not known (or `stale`), at most once a
    /// CONFIG_RETRY. A failure is logged: the balance call still goes ahead.
    async fn identify_if_due(&self, stale: bool) {
        // Claimed under the lock: concurrent fetches of one client ask once.
        let due = {
            let mut st = self.ident();
            let first_mismatch = stale && !st.mismatch;
            if stale {
                st.mismatch = true;
            }
            let due = first_mismatch
                || ((st.identity.is_none() || stale)
                    && st.last_try.is_none_or(|t| t.elapsed() >= CONFIG_RETRY));
            if due {
                st.last_try = Some(tokio::time::Instant::now());
            }
            due
        };
        if due && let Err(e) = self.identify().await {
            tracing::warn!(error = %e, "okx account config call failed");
        }
    }

    pub async fn fetch(&self) -> Result<Snapshot, VenueError> {
        self.identify_if_due(false).await;
        let (balance, fetched_at) = self.fetch_balance().await?;
        let mode = self.identity().and_then(|i| i.mode);
        let mode = match mode {
            Some(m) if !m.matches(&balance) => {
                // The reply no longer fits the mode: the user switched modes.
                tracing::info!(
                    mode = m.label(),
                    "okx balance does not match the account mode; asking again"
                );
                self.identify_if_due(true).await;
                // Still not matching (not asked again yet): name no mode
                // rather than a wrong one.
                self.identity()
                    .and_then(|i| i.mode)
                    .filter(|m| m.matches(&balance))
            }
            m => {
                self.ident().mismatch = false;
                m
            }
        };
        let mut snap = normalize::normalize(&balance, fetched_at);
        snap.account_mode = match (mode, self.identity()) {
            (Some(m), _) => Some(m.label().to_string()),
            (None, Some(id)) if id.mode.is_none() => {
                Some(format!("undocumented account level {}", id.acct_lv))
            }
            _ => None,
        };
        Ok(snap)
    }

    async fn fetch_balance(&self) -> Result<(wire::Balance, chrono::DateTime<Utc>), VenueError> {
        match self.fetch_once().await {
            Err(VenueError {
                kind: ErrorKind::Clock { .. },
                ..
            }) => {
                // 50102: our clock is off; measure the server's and retry once.
                self.sync_clock().await?;
                self.fetch_once().await
            }
            other => {
                // The reply's Date header says the local clock is well off though
                // not yet refused (30 s): measure now, before OKX starts refusing.
                let skew = self.date_skew_ms.load(Ordering::Relaxed);
                if self.clock_offset_ms() == 0 && skew.abs() > DATE_SKEW_SYNC_MS {
                    tracing::info!(
                        skew_ms = skew,
                        "okx Date header differs from the local clock"
                    );
                    if let Err(e) = self.sync_clock().await {
                        tracing::warn!(error = %e, "okx clock sync failed");
                    }
                }
                other
            }
        }
    }

    async fn fetch_once(&self) -> Result<(wire::Balance, chrono::DateTime<Utc>), VenueError> {
        let reply = self
            .signed_get(BALANCE_PATH, &self.balance_query(), self.budget.as_deref())
            .await?;
        Ok((parse_balance(reply.status, &reply.body)?, reply.received_at))
    }

    /// The signed request for `path` and `raw_query` at `now` (pure: no I/O).
    pub fn sign_request(&self, path: &str, raw_query: &str, now: chrono::DateTime<Utc>) -> Request {
        // The offset is bounded when measured, so this cannot overflow; stay safe anyway.
        let now = now
            .checked_add_signed(chrono::Duration::milliseconds(self.clock_offset_ms()))
            .unwrap_or(now);
        let ts = sign::timestamp(now);
        let req = Request::get(path, raw_query);
        let signature = sign::sign(self.s.secret_key.expose(), &ts, "GET", &req.target(), "");
        let req = req
            .secret_header("OK-ACCESS-KEY", &self.s.api_key)
            .header("OK-ACCESS-SIGN", signature)
            .header("OK-ACCESS-TIMESTAMP", ts)
            .secret_header("OK-ACCESS-PASSPHRASE", &self.s.passphrase)
            .header("accept", "application/json");
        if self.s.demo_trading {
            req.header("x-simulated-trading", "1")
        } else {
            req
        }
    }

    /// One signed GET through `budget` and the shared HTTP path; notes how
    /// far the server's Date header is from this machine's clock.
    async fn signed_get(
        &self,
        path: &str,
        raw_query: &str,
        budget: Option<&RateBudget>,
    ) -> Result<Reply, VenueError> {
        let reply = exchange(&self.http, &self.s.base_url, &OKX, budget, |now| {
            self.sign_request(path, raw_query, now)
        })
        .await?;
        if let Some(server) = reply.date {
            let skew = server.timestamp_millis() - Utc::now().timestamp_millis();
            self.date_skew_ms.store(skew, Ordering::Relaxed);
        }
        Ok(reply)
    }

    /// GET /api/v5/public/time (unsigned) and store server minus local time.
    pub async fn sync_clock(&self) -> Result<i64, VenueError> {
        let sent = Utc::now();
        // Unsigned, and outside the balance budget (a different limit).
        let reply = exchange(&self.http, &self.s.base_url, &OKX, None, |_| {
            Request::get(TIME_PATH, "")
        })
        .await?;
        let (body, received) = (reply.body, reply.received_at);
        let env: wire::Envelope<wire::ServerTime> = decode(V, &body)?;
        let server_ms: i64 = env
            .data
            .first()
            .and_then(|t| t.ts.parse().ok())
            .ok_or_else(|| {
                VenueError::new(
                    V,
                    ErrorKind::Decode {
                        path: "data[0].ts".into(),
                        detail: "expected server time in milliseconds".into(),
                        excerpt: crate::decimal::excerpt(&String::from_utf8_lossy(&body)),
                    },
                )
            })?;
        // The server read its clock about halfway through the round trip.
        let local_mid = sent.timestamp_millis() + (received - sent).num_milliseconds() / 2;
        let offset = server_ms
            .checked_sub(local_mid)
            .filter(|o| o.abs() <= MAX_CLOCK_OFFSET_MS);
        let Some(offset) = offset else {
            return Err(VenueError::new(
                V,
                ErrorKind::Decode {
                    path: "data[0].ts".into(),
                    detail: format!(
                        "server time {server_ms} ms is more than a day from this machine's clock"
                    ),
                    excerpt: crate::decimal::excerpt(&String::from_utf8_lossy(&body)),
                },
            ));
        };
        self.clock_offset_ms.store(offset, Ordering::Relaxed);
        tracing::info!(offset_ms = offset, "okx clock offset measured");
        Ok(offset)
    }
}

impl Account for OkxClient {
    fn venue(&self) -> VenueKind {
        V
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Snapshot, VenueError>> {
        Box::pin(OkxClient::fetch(self))
    }
    /// OKX counts per user ID; an API key belongs to one user ID. Keyed on
    /// the user id once the config call has told it.
    fn limit(&self) -> Limit {
        Limit {
            key: format!(
                "okx:{}",
                super::digest(&format!("okx|{}", self.budget_identity()))
            ),
            requests: LIMIT,
            window: WINDOW,
            min_gap: std::time::Duration::ZERO,
        }
    }
    fn budget(&self) -> Option<&Arc<RateBudget>> {
        self.budget.as_ref()
    }
    fn set_budget(&mut self, budget: Arc<RateBudget>) {
        self.budget = Some(budget);
    }
    fn identity_group(&self) -> Option<String> {
        Some(config_budget_key(self))
    }
    fn identify(&self) -> BoxFuture<'_, Result<(), VenueError>> {
        Box::pin(async move { OkxClient::identify(self).await.map(|_| ()) })
    }
    fn adopt_identity(&self, from: &dyn Account) {
        if let Some(id) = from
            .as_any()
            .downcast_ref::<OkxClient>()
            .and_then(OkxClient::identity)
        {
            self.set_identity(id);
        }
    }
    fn mark_planned(&self) {
        self.mark_budget_planned();
    }
    fn budget_basis(&self) -> Option<String> {
        Some(OkxClient::budget_basis(self))
    }
    fn clock_note(&self) -> Option<String> {
        let ms = self.clock_offset_ms();
        (ms != 0).then(|| format!("clock offset {ms:+} ms (synced from the server's time)"))
    }
}

/// A reply (status and body) to the balance call as the client reads it:
/// error envelope at any status, then the one balance object.
pub fn parse_balance(
    status: reqwest::StatusCode,
    body: &[u8],
) -> Result<wire::Balance, VenueError> {
    check_envelope(status, body)?;
    let mut env: wire::Envelope<wire::Balance> = decode(V, body)?;
    if env.data.is_empty() {
        return Err(VenueError::new(
            V,
            ErrorKind::Decode {
                path: "data".into(),
                detail: "expected one balance object, got an empty list".into(),
                excerpt: crate::decimal::excerpt(&String::from_utf8_lossy(body)),
            },
        ));
    }
    Ok(env.data.swap_remove(0))
}

/// The key of an API key's config-call budget (a digest: no secret kept).
pub fn config_budget_key(c: &OkxClient) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(format!("okx-config|{}", c.api_key_identity()).as_bytes());
    format!("okx-config:{}", hex::encode(&d[..8]))
}

/// One config budget per key for the whole process, so a reload or a second
/// set of clients for the same key keeps to the same 5 per 2 s.
pub fn config_budget(key: &str) -> Arc<RateBudget> {
    static BUDGETS: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, Arc<RateBudget>>>,
    > = std::sync::OnceLock::new();
    let map = BUDGETS.get_or_init(Default::default);
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(key.to_string())
        .or_insert_with(|| {
            let limit = Limit {
                key: key.to_string(),
                requests: CONFIG_LIMIT,
                window: WINDOW,
                min_gap: std::time::Duration::ZERO,
            };
            RateBudget::for_limit(&limit, CONFIG_MARGIN, crate::ledger::global())
        })
        .clone()
}

/// Share of the config call's published limit used (as the balance default).
const CONFIG_MARGIN: f64 = 0.8;

/// Turn a non-"0" code or a bad status into the matching error (the shared rule).
pub fn check_envelope(status: reqwest::StatusCode, body: &[u8]) -> Result<(), VenueError> {
    super::http::check_reply(&OKX, status, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_classified_by_code() {
        let classify = |c: &str, m: &str| {
            OKX.classify(c, m).unwrap_or_else(|| {
                crate::venues::unknown_code(reqwest::StatusCode::OK, c.into(), m.into())
            })
        };
        assert!(matches!(
            classify("50011", "x"),
            ErrorKind::RateLimited { .. }
        ));
        assert!(matches!(classify("50102", "x"), ErrorKind::Clock { .. }));
        for c in [
            "50111", "50113", "50114", "50119", "50101", "50105", "50110",
        ] {
            assert!(matches!(classify(c, ""), ErrorKind::Auth { .. }), "{c}");
        }
        assert!(matches!(classify("50001", ""), ErrorKind::Api { .. }));
    }

    #[test]
    fn an_unknown_code_with_401_or_403_is_an_auth_failure_not_retried() {
        use crate::venues::ErrorClass;
        use reqwest::StatusCode as S;
        for st in [S::UNAUTHORIZED, S::FORBIDDEN] {
            let e =
                check_envelope(st, br#"{"code":"59999","msg":"new code","data":[]}"#).unwrap_err();
            assert_eq!(e.class(), ErrorClass::Auth, "{st}");
        }
        let e = check_envelope(S::OK, br#"{"code":"59999","msg":"x","data":[]}"#).unwrap_err();
        assert_eq!(e.class(), ErrorClass::Transient);
        let e =
            check_envelope(S::INTERNAL_SERVER_ERROR, br#"{"code":"59999","msg":"x"}"#).unwrap_err();
        assert_eq!(e.class(), ErrorClass::Transient);
    }

    #[test]
    fn status_and_body_checks() {
        use reqwest::StatusCode as S;
        let rl = br#"{"code":"50011","msg":"Too Many Requests","data":[]}"#;
        for st in [S::OK, S::TOO_MANY_REQUESTS] {
            let e = check_envelope(st, rl).unwrap_err();
            assert!(matches!(e.kind, ErrorKind::RateLimited { ref code, .. } if code == "50011"));
        }
        let e = check_envelope(S::INTERNAL_SERVER_ERROR, b"<html>oops</html>").unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::Http {
                status: 500,
                excerpt: "<html>oops</html>".into()
            }
        );
        assert!(check_envelope(S::OK, br#"{"code":"0","msg":"","data":[]}"#).is_ok());
    }
}
