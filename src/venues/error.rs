//! Why a venue call failed, classified so the scheduler knows what to do,
//! and the decode that names the field that is off.

use crate::model::VenueKind;
use std::fmt;

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
    /// The venue banned this IP (Binance 418, its firewall's 403; Bybit 403):
    /// every request to it stops until the ban ends, in every process.
    Banned { code: String, message: String },
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
            ErrorKind::Banned { .. } => ErrorClass::Banned,
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
    /// An IP ban: waits like a rate limit, shown as loud as a refused key.
    Banned,
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
            // The message names the ban, its end and the HTTP status.
            ErrorKind::Banned { message, .. } => write!(f, "{v}: {message}"),
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
