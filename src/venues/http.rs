//! The one HTTP path every venue uses: budget, sign, send, capped body,
//! trace id, one rule for error bodies at any status.

use super::{ErrorKind, VenueError};
use crate::model::VenueKind;
use std::time::Duration;

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

/// One request as sent and signed: the path and the raw query (exactly the
/// bytes the signature covers), and the headers the venue's signer made.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub path: String,
    /// Without the '?'; empty: none.
    pub raw_query: String,
    pub headers: Vec<(&'static str, reqwest::header::HeaderValue)>,
}

impl Request {
    pub fn get(path: impl Into<String>, raw_query: impl Into<String>) -> Request {
        Request {
            path: path.into(),
            raw_query: raw_query.into(),
            headers: Vec::new(),
        }
    }

    /// Add a header; a value a header cannot carry (checked when secrets are
    /// read) is left out rather than sent broken.
    pub fn header(mut self, name: &'static str, value: impl AsRef<str>) -> Request {
        if let Ok(v) = reqwest::header::HeaderValue::from_str(value.as_ref()) {
            self.headers.push((name, v));
        }
        self
    }

    /// A header whose value is a secret: marked sensitive so it is never
    /// printed by a Debug of the request.
    pub fn secret_header(mut self, name: &'static str, value: &crate::secrets::Secret) -> Request {
        self.headers.push((name, value.header_value()));
        self
    }

    /// Path and query as sent: what OKX and LongPort sign.
    pub fn target(&self) -> String {
        if self.raw_query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.raw_query)
        }
    }
}

/// A reply that passed the error rule: its body and what the headers said.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: reqwest::StatusCode,
    pub body: Vec<u8>,
    pub trace_id: Option<String>,
    /// The server's clock per its Date header (1 s resolution).
    pub date: Option<chrono::DateTime<chrono::Utc>>,
    /// When the reply was read (the time the numbers are from).
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// The response headers (venues that report their rate-limit state in
    /// headers read them here, e.g. Bybit `X-Bapi-Limit-Status`).
    pub headers: reqwest::header::HeaderMap,
}

/// The one rule for error bodies, the same for every venue: an error body
/// (a code that is not the venue's success code) is an error at any HTTP
/// status, a documented code keeps its meaning whatever the status, an
/// unknown code is judged by the status; a failing status without an error
/// body is an error too.
pub fn check_reply(
    p: &dyn super::Protocol,
    status: reqwest::StatusCode,
    body: &[u8],
) -> Result<(), VenueError> {
    if let Some((code, message)) = p.error_code(body) {
        let kind = p
            .classify(&code, &message)
            .unwrap_or_else(|| unknown_code(status, code, message));
        return Err(VenueError::new(p.venue(), kind));
    }
    if status.is_success() {
        return Ok(());
    }
    Err(VenueError::new(p.venue(), status_error(status, body)))
}

tokio::task_local! {
    /// Requests sent by the task running under it (one per poller): the
    /// service's `baltui_requests_total`.
    pub static REQUESTS: std::sync::Arc<std::sync::atomic::AtomicU64>;
}

/// Send one request: wait for `budget` (if any), then `sign` it with the time
/// of sending, send, read the body (capped), note the trace id and Date
/// header, and apply the error rule. Every venue's every request goes here.
pub async fn exchange(
    http: &reqwest::Client,
    base_url: &str,
    p: &dyn super::Protocol,
    budget: Option<&super::RateBudget>,
    sign: impl FnOnce(chrono::DateTime<chrono::Utc>) -> Request,
) -> Result<Reply, VenueError> {
    exchange_observed(http, base_url, p, budget, sign, |_, _| {}).await
}

/// As `exchange`, showing `observe` the status and headers of every reply
/// (an error reply too) before the error rule: where a venue reports its
/// rate usage, a ban or a `Retry-After` in headers (Binance).
pub async fn exchange_observed(
    http: &reqwest::Client,
    base_url: &str,
    p: &dyn super::Protocol,
    budget: Option<&super::RateBudget>,
    sign: impl FnOnce(chrono::DateTime<chrono::Utc>) -> Request,
    observe: impl FnOnce(reqwest::StatusCode, &reqwest::header::HeaderMap),
) -> Result<Reply, VenueError> {
    let reply = send(http, base_url, p, budget, sign).await?;
    observe(reply.status, &reply.headers);
    check_reply(p, reply.status, &reply.body)
        .map_err(|e| e.with_trace_id(reply.trace_id.clone()))?;
    Ok(reply)
}

/// As [`exchange`], without the error rule: the reply whatever its status or
/// body, for a venue that must read the headers of an error reply (Bybit's
/// rate-limit reset time) before applying `check_reply` itself.
pub async fn send(
    http: &reqwest::Client,
    base_url: &str,
    p: &dyn super::Protocol,
    budget: Option<&super::RateBudget>,
    sign: impl FnOnce(chrono::DateTime<chrono::Utc>) -> Request,
) -> Result<Reply, VenueError> {
    let venue = p.venue();
    if let Some(b) = budget {
        b.acquire().await;
    }
    // Counted for the poller this runs under (the service's request counters).
    let _ = REQUESTS.try_with(|n| n.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    // Signed after the budget wait: the timestamp is the time of sending.
    let req = sign(chrono::Utc::now());
    let mut url = format!("{}{}", base_url.trim_end_matches('/'), req.path);
    if !req.raw_query.is_empty() {
        url.push('?');
        url.push_str(&req.raw_query);
    }
    let mut rb = http.get(url);
    for (name, value) in req.headers {
        rb = rb.header(name, value);
    }
    let resp = rb.send().await.map_err(|e| transport_error(venue, &e))?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let trace_id = p
        .trace_header()
        .and_then(|h| headers.get(h))
        .and_then(|v| v.to_str().ok())
        .map(crate::decimal::excerpt);
    let date = headers
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        .map(|d| d.with_timezone(&chrono::Utc));
    let body = read_body(venue, resp)
        .await
        .map_err(|e| e.with_trace_id(trace_id.clone()))?;
    let received_at = chrono::Utc::now();
    Ok(Reply {
        status,
        body,
        trace_id,
        date,
        received_at,
        headers,
    })
}
