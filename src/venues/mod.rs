//! What every venue client shares: the error type, the rate budget, HTTP plumbing,
//! and the dispatch from an account's config to its venue's client.

pub mod fake;
pub mod longport;
pub mod okx;
pub mod webull;

use crate::model::{Snapshot, VenueKind};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Why a poll failed. Messages name the venue and what was expected; never a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct VenueError {
    pub venue: VenueKind,
    pub kind: ErrorKind,
    /// The venue's request id (LongPort `x-trace-id`), for a support ticket.
    pub trace_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ErrorKind {
    /// Connection refused, reset, DNS, TLS.
    Network(String),
    /// No complete answer within the request timeout.
    Timeout,
    /// Non-success HTTP status without a venue error body we understand.
    Http { status: u16, excerpt: String },
    /// The venue said "too many requests".
    RateLimited { code: String, message: String },
    /// Credentials, signature, IP allow-list, permissions: polling stops until asked.
    Auth { code: String, message: String },
    /// The venue refused our timestamp even after syncing the clock.
    Clock { code: String, message: String },
    /// Any other venue error code.
    Api { code: String, message: String },
    /// The account's own settings or secrets are unusable (an unreadable
    /// secret, a refused base URL): nothing is sent until the config is fixed
    /// and reloaded.
    Config(String),
    /// The body did not have the documented shape.
    Decode {
        path: String,
        detail: String,
        excerpt: String,
    },
}

impl VenueError {
    pub fn new(venue: VenueKind, kind: ErrorKind) -> Self {
        VenueError {
            venue,
            kind,
            trace_id: None,
        }
    }

    pub fn with_trace_id(mut self, id: Option<String>) -> Self {
        self.trace_id = id;
        self
    }

    /// Class used by the scheduler and the status line.
    pub fn class(&self) -> ErrorClass {
        match self.kind {
            ErrorKind::RateLimited { .. } => ErrorClass::RateLimited,
            ErrorKind::Auth { .. } => ErrorClass::Auth,
            ErrorKind::Config(_) => ErrorClass::Config,
            _ => ErrorClass::Transient,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    Transient,
    RateLimited,
    Auth,
    /// The account's config is unusable: no request until a reload.
    Config,
}

impl fmt::Display for VenueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_kind(f)?;
        if let Some(id) = &self.trace_id {
            write!(f, " [trace id {id}]")?;
        }
        Ok(())
    }
}

impl VenueError {
    fn fmt_kind(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.venue.label();
        match &self.kind {
            ErrorKind::Network(d) => write!(f, "{v}: network error: {d}"),
            ErrorKind::Config(d) => write!(f, "{v}: config error: {d}"),
            ErrorKind::Timeout => write!(f, "{v}: request timed out"),
            ErrorKind::Http { status, excerpt } => {
                write!(f, "{v}: HTTP {status}")?;
                if !excerpt.is_empty() {
                    write!(f, ": {excerpt}")?;
                }
                Ok(())
            }
            ErrorKind::RateLimited { code, message } => {
                write!(f, "{v}: rate limited (code {code}: {message})")
            }
            ErrorKind::Auth { code, message } => {
                write!(f, "{v}: authentication failed (code {code}: {message})")
            }
            ErrorKind::Clock { code, message } => {
                write!(f, "{v}: clock rejected (code {code}: {message})")
            }
            ErrorKind::Api { code, message } => write!(f, "{v}: error code {code}: {message}"),
            ErrorKind::Decode {
                path,
                detail,
                excerpt,
            } => {
                write!(f, "{v}: unexpected response at `{path}`: {detail}")?;
                if !excerpt.is_empty() {
                    write!(f, " (body starts {excerpt:?})")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for VenueError {}

/// Parse a body into `T`, naming the JSON path of the first field that is off.
pub fn decode<T: serde::de::DeserializeOwned>(
    venue: VenueKind,
    body: &[u8],
) -> Result<T, VenueError> {
    // Path tracking costs about 40% of a large decode: only a body that fails
    // is decoded again, with it, to name the field.
    if let Ok(v) = serde_json::from_slice(body) {
        return Ok(v);
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        VenueError::new(
            venue,
            ErrorKind::Decode {
                path: if path.is_empty() { "$".into() } else { path },
                detail: inner.to_string(),
                excerpt: crate::decimal::excerpt(&String::from_utf8_lossy(body)),
            },
        )
    })
}

/// The error for a failing HTTP status whose body named no venue code.
pub fn status_error(status: reqwest::StatusCode, body: &[u8]) -> ErrorKind {
    let code = status.as_u16().to_string();
    match status.as_u16() {
        429 => ErrorKind::RateLimited {
            code,
            message: "HTTP 429 Too Many Requests".into(),
        },
        401 | 403 => ErrorKind::Auth {
            code,
            message: format!("HTTP {status}"),
        },
        s => ErrorKind::Http {
            status: s,
            excerpt: crate::decimal::excerpt(&String::from_utf8_lossy(body)),
        },
    }
}

/// A venue error code baltui does not know, judged by the HTTP status it came
/// with: 401/403 is an authentication failure (polling stops: retrying bad
/// credentials is how keys get locked), 429 a rate limit, anything else an
/// API error retried with backoff.
pub fn unknown_code(status: reqwest::StatusCode, code: String, message: String) -> ErrorKind {
    match status.as_u16() {
        401 | 403 => ErrorKind::Auth { code, message },
        429 => ErrorKind::RateLimited { code, message },
        _ => ErrorKind::Api { code, message },
    }
}

/// Largest body read from a venue: a balance reply is a few KiB, and a broken
/// proxy must not fill memory.
pub const MAX_BODY: usize = 1 << 20;

/// Read a response body, at most MAX_BODY bytes.
pub async fn read_body(
    venue: VenueKind,
    mut resp: reqwest::Response,
) -> Result<Vec<u8>, VenueError> {
    let too_big = || {
        VenueError::new(
            venue,
            ErrorKind::Decode {
                path: "$".into(),
                detail: format!("response body larger than {} KiB", MAX_BODY / 1024),
                excerpt: String::new(),
            },
        )
    };
    if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_big());
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(venue, &e))? {
        if buf.len() + chunk.len() > MAX_BODY {
            return Err(too_big());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// Map a transport failure to an error kind (the URL is left out: it may carry ids).
pub fn transport_error(venue: VenueKind, e: &reqwest::Error) -> VenueError {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_connect() {
        ErrorKind::Network("cannot connect".into())
    } else if e.is_body() || e.is_decode() {
        ErrorKind::Network("connection closed while reading the body".into())
    } else {
        ErrorKind::Network("request failed".into())
    };
    VenueError::new(venue, kind)
}

/// One shared budget for all requests under one limit key (OKX: API key).
///
/// Grants are spaced evenly (one token, refilled every `window / n`), so any
/// sliding window of the venue's length holds at most `n + 1` grants; `n` is
/// the published limit times the safety margin, which keeps that under the limit.
pub struct RateBudget {
    limiter: leaky_bucket::RateLimiter,
    pub spacing: Duration,
    pub key_label: String,
    /// Least time between two grants, whatever tokens are stored (LongPort
    /// refuses two identical signed requests in one second).
    min_gap: Duration,
    last_grant: tokio::sync::Mutex<Option<tokio::time::Instant>>,
    /// After a rate-limit reply nobody on this key asks before this instant.
    paused_until: std::sync::Mutex<Option<tokio::time::Instant>>,
    /// The machine-wide ledger, so other baltui processes (and this one after
    /// a restart) share the budget; None: this process only.
    ledger: Option<(Arc<crate::ledger::Ledger>, crate::ledger::Rule)>,
}

/// Grants per window for a published `limit` and a `margin` share of it.
/// Evenly spaced grants put at most n + 1 in a sliding window (one at each
/// end), so n stays below the limit whatever the margin: with
/// `rate_margin = 1.0`, OKX's 10 per 2 s is run as 9.
pub fn grants_per_window(limit: u32, margin: f64) -> u32 {
    let wanted = (f64::from(limit) * margin.clamp(0.0, 1.0)).floor() as u32;
    wanted.min(limit.saturating_sub(1)).max(1)
}

/// A venue's published limit for one budget key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// Digest-based key: accounts with equal keys share one budget.
    pub key: String,
    pub requests: u32,
    pub window: Duration,
    pub min_gap: Duration,
}

impl RateBudget {
    /// `limit` requests per `window` published; `margin` in (0, 1].
    pub fn new(
        key_label: impl Into<String>,
        limit: u32,
        window: Duration,
        margin: f64,
    ) -> Arc<Self> {
        let n = grants_per_window(limit, margin);
        let spacing = window / n;
        Arc::new(RateBudget {
            limiter: leaky_bucket::RateLimiter::builder()
                .max(1)
                .initial(1)
                .refill(1)
                .interval(spacing)
                .fair(true)
                .build(),
            spacing,
            key_label: key_label.into(),
            min_gap: Duration::ZERO,
            last_grant: tokio::sync::Mutex::new(None),
            paused_until: std::sync::Mutex::new(None),
            ledger: None,
        })
    }

    /// A budget for `limit`, with its minimum gap, sharing `ledger` (if any)
    /// with every other process.
    pub fn for_limit(
        limit: &Limit,
        margin: f64,
        ledger: Option<Arc<crate::ledger::Ledger>>,
    ) -> Arc<Self> {
        let mut b = RateBudget::new(limit.key.clone(), limit.requests, limit.window, margin);
        if let Some(b) = Arc::get_mut(&mut b) {
            b.min_gap = limit.min_gap;
            b.ledger = ledger.map(|l| {
                let per_window =
                    u32::try_from(limit.window.as_nanos() / b.spacing.as_nanos().max(1))
                        .unwrap_or(1)
                        .max(1);
                let rule = crate::ledger::Rule {
                    per_window,
                    window: limit.window,
                    spacing: b.spacing,
                    min_gap: limit.min_gap,
                };
                (l, rule)
            });
        }
        b
    }

    /// The ledger and rule this budget shares with other processes, if any.
    pub fn ledger(&self) -> Option<&(Arc<crate::ledger::Ledger>, crate::ledger::Rule)> {
        self.ledger.as_ref()
    }

    /// Hold every request on this key for at least `d` (a rate-limit reply
    /// means the venue counts us over, whichever account got it).
    pub fn pause_for(&self, d: Duration) {
        let until = tokio::time::Instant::now() + d;
        if let Ok(mut p) = self.paused_until.lock() {
            *p = Some(p.map_or(until, |old| old.max(until)));
        }
        // Every other process on this key pauses too.
        if let Some((l, _)) = &self.ledger {
            let (l, key) = (l.clone(), self.key_label.clone());
            tokio::spawn(async move { l.pause(&key, d).await });
        }
    }

    pub fn paused_until(&self) -> Option<tokio::time::Instant> {
        self.paused_until.lock().ok().and_then(|p| *p)
    }

    pub async fn acquire(&self) {
        if let Some(until) = self.paused_until() {
            tokio::time::sleep_until(until).await;
        }
        self.limiter.acquire_one().await;
        // Held across the sleeps: grants leave one at a time, min_gap apart,
        // and one at a time through the ledger.
        let mut last = self.last_grant.lock().await;
        if let Some(at) = *last
            && !self.min_gap.is_zero()
        {
            tokio::time::sleep_until(at + self.min_gap).await;
        }
        if let Some((l, rule)) = &self.ledger {
            l.reserve(&self.key_label, rule).await;
        }
        *last = Some(tokio::time::Instant::now());
    }
}

/// The HTTP client every venue uses: rustls, a request timeout, no redirects
/// (a redirect would re-send signed headers to another host).
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("baltui/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// A configured client for one account, whatever its venue.
#[derive(Clone)]
pub enum VenueClient {
    Okx(okx::OkxClient),
    Longport(longport::LongportClient),
    Webull(webull::WebullClient),
    /// Scripted, no I/O: scheduler tests and benchmarks.
    Fake(fake::FakeClient),
    /// An account whose config or secrets cannot be used: every fetch answers
    /// with the config error, no request is sent, the others run.
    Broken(BrokenClient),
}

/// The stand-in for an account that cannot be polled as configured.
#[derive(Clone, Debug)]
pub struct BrokenClient {
    pub venue: VenueKind,
    pub name: String,
    pub error: String,
}

impl VenueClient {
    pub async fn fetch(&self) -> Result<Snapshot, VenueError> {
        match self {
            VenueClient::Okx(c) => c.fetch().await,
            VenueClient::Longport(c) => c.fetch().await,
            VenueClient::Webull(c) => c.fetch().await,
            VenueClient::Fake(c) => c.fetch().await,
            VenueClient::Broken(b) => {
                Err(VenueError::new(b.venue, ErrorKind::Config(b.error.clone())))
            }
        }
    }

    /// The budget this client's requests wait for.
    pub fn budget(&self) -> Option<&Arc<RateBudget>> {
        match self {
            VenueClient::Okx(c) => c.budget(),
            VenueClient::Longport(c) => c.budget(),
            VenueClient::Webull(c) => c.budget(),
            VenueClient::Fake(c) => c.budget(),
            VenueClient::Broken(_) => None,
        }
    }

    /// Make every request of this client wait for `budget`.
    pub fn set_budget(&mut self, budget: Arc<RateBudget>) {
        match self {
            VenueClient::Okx(c) => c.set_budget(budget),
            VenueClient::Longport(c) => c.set_budget(budget),
            VenueClient::Webull(c) => c.set_budget(budget),
            VenueClient::Fake(c) => c.set_budget(budget),
            // It sends nothing: no budget to wait for.
            VenueClient::Broken(_) => {}
        }
    }

    pub fn venue(&self) -> VenueKind {
        match self {
            VenueClient::Okx(_) => VenueKind::Okx,
            VenueClient::Longport(_) => VenueKind::Longport,
            VenueClient::Webull(_) => VenueKind::Webull,
            VenueClient::Fake(_) => VenueKind::Okx,
            VenueClient::Broken(b) => b.venue,
        }
    }
}

/// Longest wait for the identity calls before polling starts: a venue that
/// does not answer must not hold up the screen (its poller asks again later).
pub const IDENTIFY_WAIT: Duration = Duration::from_secs(5);

/// OKX: one account-config call per API key (through that key's config
/// budget), so the balance budget can be keyed on the user id before the
/// accounts are planned. Failures are logged; the API key stays the key.
pub async fn identify_all(clients: &mut [VenueClient], timeout: Duration) {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, c) in clients.iter().enumerate() {
        if let VenueClient::Okx(o) = c {
            let key = okx::config_budget_key(o);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(i),
                None => groups.push((key, vec![i])),
            }
        }
    }
    let wait = timeout.min(IDENTIFY_WAIT);
    let asks = groups.iter().filter_map(|(_, members)| {
        let VenueClient::Okx(first) = clients.get(*members.first()?)? else {
            return None;
        };
        let first = first.clone();
        Some(async move {
            match tokio::time::timeout(wait, first.identify()).await {
                Ok(Ok(id)) => Some(id),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "okx account config call failed; budget keyed by API key");
                    None
                }
                Err(_) => {
                    tracing::warn!("okx account config call timed out; budget keyed by API key");
                    None
                }
            }
        })
    });
    let found = futures::future::join_all(asks).await;
    for ((_, members), id) in groups.iter().zip(found) {
        let Some(id) = id else { continue };
        for &i in members {
            if let Some(VenueClient::Okx(o)) = clients.get(i) {
                o.set_identity(id.clone());
            }
        }
    }
}

/// An account found through a venue's account discovery (Webull).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// What the balance call takes.
    pub id: String,
    /// What a person knows it by (the account number, else the id).
    pub label: String,
}

impl VenueClient {
    /// True while the account id is still to be discovered.
    pub fn needs_discovery(&self) -> bool {
        matches!(self, VenueClient::Webull(c) if c.account_id().is_none())
    }

    /// Whether this venue lists an app key's accounts (so a manual refresh
    /// of an account found that way looks for new ones).
    pub fn discovers(&self) -> bool {
        matches!(self, VenueClient::Webull(_))
    }

    /// The accounts under these credentials (through the budget).
    pub async fn discover(&self) -> Result<Vec<Discovered>, VenueError> {
        match self {
            VenueClient::Webull(c) => Ok(c
                .discover()
                .await?
                .into_iter()
                .map(|s| Discovered {
                    label: s.account_number.unwrap_or_else(|| s.account_id.clone()),
                    id: s.account_id,
                })
                .collect()),
            other => Err(VenueError::new(
                other.venue(),
                ErrorKind::Api {
                    code: "NO_DISCOVERY".into(),
                    message: "this venue has no account discovery".into(),
                },
            )),
        }
    }

    /// The same credentials and budget, for another account (Webull).
    pub fn for_account(&self, id: &str) -> VenueClient {
        match self {
            VenueClient::Webull(c) => VenueClient::Webull(c.for_account(id)),
            other => other.clone(),
        }
    }

    /// Note that the budget is being planned now (OKX: with the user id it
    /// knows, so a uid learned later is reported, not silently ignored).
    pub fn mark_planned(&self) {
        if let VenueClient::Okx(o) = self {
            o.mark_budget_planned();
        }
    }

    /// What the budget key is derived from, for `check`, where the venue
    /// decides it at run time (OKX: rate group, user id or API key).
    pub fn budget_basis(&self) -> Option<String> {
        match self {
            VenueClient::Okx(o) => Some(o.budget_basis()),
            _ => None,
        }
    }

    /// Which requests share one budget, and that budget's published limit.
    /// The key is a digest, so no credential is kept in it.
    pub fn limit(&self) -> Limit {
        use sha2::Digest;
        let digest = |s: String| hex::encode(&sha2::Sha256::digest(s.as_bytes())[..8]);
        match self {
            // OKX counts per user ID; an API key belongs to one user ID.
            // Keyed on the user id once the config call has told it.
            VenueClient::Okx(c) => Limit {
                key: format!("okx:{}", digest(format!("okx|{}", c.budget_identity()))),
                requests: okx::LIMIT,
                window: okx::WINDOW,
                min_gap: Duration::ZERO,
            },
            // LongPort counts per securities account: one access token is one account.
            VenueClient::Longport(c) => Limit {
                key: format!(
                    "longport:{}",
                    digest(format!("longport|{}", c.token_for_budget()))
                ),
                requests: longport::LIMIT,
                window: longport::WINDOW,
                min_gap: longport::MIN_GAP,
            },
            // Webull counts per app key (and region: each region is its own service).
            VenueClient::Webull(c) => {
                let (requests, window) = c.region().limit();
                Limit {
                    key: format!(
                        "webull:{}",
                        digest(format!(
                            "webull|{}|{}",
                            c.region().as_str(),
                            c.app_key_for_budget()
                        ))
                    ),
                    requests,
                    window,
                    min_gap: Duration::ZERO,
                }
            }
            VenueClient::Fake(c) => Limit {
                key: format!("fake:{}", c.key),
                requests: c.requests,
                window: c.window,
                min_gap: Duration::ZERO,
            },
            // A key of its own: it shares no budget and slows no one.
            VenueClient::Broken(b) => Limit {
                key: format!("broken:{}", digest(format!("broken|{}", b.name))),
                requests: 10,
                window: Duration::from_secs(1),
                min_gap: Duration::ZERO,
            },
        }
    }
}
