//! LongPort / Longbridge: GET /v1/asset/account (and the legacy
//! /v1/trade/asset/GetAccountCashInfo), signed with the API-key scheme.

pub mod normalize;
pub mod sign;
pub mod wire;

use super::{ErrorKind, RateBudget, VenueError, decode, transport_error};
use crate::model::{Snapshot, VenueKind};
use crate::secrets::Secret;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;

pub const PATH: &str = "/v1/asset/account";
pub const LEGACY_PATH: &str = "/v1/trade/asset/GetAccountCashInfo";
pub const DEFAULT_BASE_URL: &str = "https://openapi.longbridge.com";
pub const CN_BASE_URL: &str = "https://openapi.longbridge.cn";
/// Published: 30 calls per 30 s per securities account, at least 20 ms apart.
pub const LIMIT: u32 = 30;
pub const WINDOW: Duration = Duration::from_secs(30);
/// Identical signed requests in one second are refused (403202): never send two.
pub const MIN_GAP: Duration = Duration::from_secs(1);
/// Currencies the `currency` parameter takes.
pub const CURRENCIES: [&str; 3] = ["HKD", "USD", "CNH"];

#[derive(Clone)]
pub struct LongportSettings {
    pub base_url: String,
    pub path: String,
    pub currency: Option<String>,
    pub app_key: Secret,
    pub app_secret: Secret,
    pub access_token: Secret,
}

#[derive(Clone)]
pub struct LongportClient {
    http: reqwest::Client,
    s: LongportSettings,
    budget: Option<Arc<RateBudget>>,
}

const V: VenueKind = VenueKind::Longport;

/// How a LongPort error code is handled. A code baltui does not know is
/// judged by the HTTP status it came with (`super::unknown_code`): with 401
/// or 403 it is an authentication failure, never a transient error.
fn classify(status: reqwest::StatusCode, code: &str, message: &str) -> ErrorKind {
    let (c, m) = (code.to_string(), message.to_string());
    match code {
        "401003" => ErrorKind::Auth {
            code: c,
            message: "access token expired: renew it, then press r".into(),
        },
        // signature invalid, app key illegal, IP not allowed; legacy "forbidden"
        "403201" | "403203" | "403205" | "1470403" => ErrorKind::Auth {
            code: c,
            message: m,
        },
        "429001" | "429002" => ErrorKind::RateLimited {
            code: c,
            message: m,
        },
        // Two byte-identical signed requests within a second: something else
        // signs with this token at the same time. A rate-limit reply: pause.
        "403202" => ErrorKind::RateLimited {
            code: c,
            message: format!(
                "{m}: another program (or another baltui without the shared ledger) is likely using the same access token at the same time"
            ),
        },
        // Documented and not about credentials: an internal error, a bad
        // request (legacy). Retried with backoff.
        "500000" | "1470400" => ErrorKind::Api {
            code: c,
            message: m,
        },
        _ => super::unknown_code(status, c, m),
    }
}

impl LongportClient {
    pub fn new(http: reqwest::Client, s: LongportSettings) -> Self {
        LongportClient {
            http,
            s,
            budget: None,
        }
    }

    pub fn set_budget(&mut self, budget: Arc<RateBudget>) {
        self.budget = Some(budget);
    }

    pub fn budget(&self) -> Option<&Arc<RateBudget>> {
        self.budget.as_ref()
    }

    /// Only for deriving the budget key digest; never printed.
    pub(crate) fn token_for_budget(&self) -> &str {
        self.s.access_token.expose()
    }

    /// The raw query exactly as sent and signed (empty when none).
    pub fn raw_query(&self) -> String {
        self.s
            .currency
            .as_ref()
            .map(|c| format!("currency={c}"))
            .unwrap_or_default()
    }

    pub async fn fetch(&self) -> Result<Snapshot, VenueError> {
        if let Some(b) = &self.budget {
            b.acquire().await;
        }
        let query = self.raw_query();
        let ts = Utc::now().timestamp().to_string();
        let canonical = sign::canonical(
            "GET",
            &self.s.path,
            &query,
            self.s.access_token.expose(),
            self.s.app_key.expose(),
            &ts,
            None,
        );
        let signature = sign::header(&sign::signature(self.s.app_secret.expose(), &canonical));
        let mut url = format!("{}{}", self.s.base_url.trim_end_matches('/'), self.s.path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        let resp = self
            .http
            .get(url)
            .header("x-api-key", self.s.app_key.header_value())
            .header("authorization", self.s.access_token.header_value())
            .header("x-timestamp", &ts)
            .header("x-api-signature", signature)
            .header("content-type", "application/json; charset=utf-8")
            .send()
            .await
            .map_err(|e| transport_error(V, &e))?;
        let status = resp.status();
        let trace = resp
            .headers()
            .get("x-trace-id")
            .and_then(|v| v.to_str().ok())
            .map(crate::decimal::excerpt);
        let body = super::read_body(V, resp)
            .await
            .map_err(|e| e.with_trace_id(trace.clone()))?;
        let fetched_at = Utc::now();
        parse_balance(status, &body, self.s.currency.as_deref(), fetched_at)
            .map_err(|e| e.with_trace_id(trace))
    }
}

/// A reply (status and body) to the balance call as the client reads it:
/// error body, envelope, normalization; `currency` picks the primary view.
pub fn parse_balance(
    status: reqwest::StatusCode,
    body: &[u8],
    currency: Option<&str>,
    fetched_at: chrono::DateTime<Utc>,
) -> Result<Snapshot, VenueError> {
    check(status, body)?;
    let env: wire::Envelope = decode(V, body)?;
    let items = env.data.map(|d| d.list).or(env.list).unwrap_or_default();
    normalize::normalize(&items, currency, fetched_at).map_err(|(path, detail)| {
        VenueError::new(
            V,
            ErrorKind::Decode {
                path,
                detail,
                excerpt: crate::decimal::excerpt(&String::from_utf8_lossy(body)),
            },
        )
    })
}

/// A non-zero `code`, or a failing status, becomes the matching error.
pub fn check(status: reqwest::StatusCode, body: &[u8]) -> Result<(), VenueError> {
    let parsed = serde_json::from_slice::<wire::ErrorBody>(body).ok();
    if let Some(wire::ErrorBody {
        code: Some(code),
        message,
    }) = &parsed
        && code != "0"
    {
        return Err(VenueError::new(
            V,
            classify(status, code, message.as_deref().unwrap_or("")),
        ));
    }
    if status.is_success() {
        return Ok(());
    }
    Err(VenueError::new(V, super::status_error(status, body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode as S;

    #[test]
    fn codes_are_classified() {
        let e = check(
            S::UNAUTHORIZED,
            br#"{"code":401003,"message":"token expired"}"#,
        )
        .unwrap_err();
        assert!(
            matches!(&e.kind, ErrorKind::Auth { code, message } if code == "401003" && message.contains("expired"))
        );
        for c in ["403201", "403203", "403205"] {
            let body = format!(r#"{{"code":{c},"message":"x"}}"#);
            assert!(
                matches!(
                    check(S::FORBIDDEN, body.as_bytes()).unwrap_err().kind,
                    ErrorKind::Auth { .. }
                ),
                "{c}"
            );
        }
        for c in ["429001", "429002"] {
            let body = format!(r#"{{"code":{c},"message":"x"}}"#);
            assert!(
                matches!(
                    check(S::TOO_MANY_REQUESTS, body.as_bytes())
                        .unwrap_err()
                        .kind,
                    ErrorKind::RateLimited { .. }
                ),
                "{c}"
            );
        }
        let e = check(
            S::INTERNAL_SERVER_ERROR,
            br#"{"code":500000,"message":"internal"}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::Api {
                code: "500000".into(),
                message: "internal".into()
            }
        );
        let e = check(S::BAD_GATEWAY, b"<html>").unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Http { status: 502, .. }));
        assert!(
            check(
                S::OK,
                br#"{"code":0,"message":"success","data":{"list":[]}}"#
            )
            .is_ok()
        );
        // legacy: msg and a string code
        let e = check(
            S::FORBIDDEN,
            br#"{"code":"1470403","msg":"request forbidden"}"#,
        )
        .unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::Auth { ref message, .. } if message == "request forbidden")
        );
    }

    #[test]
    fn unknown_code_is_judged_by_the_status() {
        use crate::venues::ErrorClass;
        // The error body of PROTOCOLS.md §1, with a code baltui does not know.
        let body = br#"{"code":401999,"message":"something new"}"#;
        for st in [S::UNAUTHORIZED, S::FORBIDDEN] {
            let e = check(st, body).unwrap_err();
            assert_eq!(
                e.kind,
                ErrorKind::Auth {
                    code: "401999".into(),
                    message: "something new".into()
                },
                "{st}"
            );
            assert_eq!(e.class(), ErrorClass::Auth, "{st}: polling stops");
        }
        let e = check(S::INTERNAL_SERVER_ERROR, body).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Api { .. }), "{e}");
        assert_eq!(e.class(), ErrorClass::Transient);
        let e = check(S::TOO_MANY_REQUESTS, body).unwrap_err();
        assert_eq!(e.class(), ErrorClass::RateLimited);
        // A documented code keeps its meaning whatever the status: a
        // duplicate request (403) is a rate-limit reply (the key pauses),
        // naming the likely cause, not an authentication failure.
        let e = check(
            S::FORBIDDEN,
            br#"{"code":403202,"message":"duplicate request"}"#,
        )
        .unwrap_err();
        assert_eq!(e.class(), ErrorClass::RateLimited, "{e}");
        assert!(e.to_string().contains("same access token"), "{e}");
        let e = check(S::FORBIDDEN, br#"{"code":500000,"message":"internal"}"#).unwrap_err();
        assert_eq!(e.class(), ErrorClass::Transient, "{e}");
        // Legacy: string code, `msg`.
        let e = check(S::UNAUTHORIZED, br#"{"code":"1470999","msg":"new"}"#).unwrap_err();
        assert_eq!(e.class(), ErrorClass::Auth, "{e}");
    }

    #[test]
    fn trace_id_is_shown() {
        let e = VenueError::new(V, ErrorKind::Timeout).with_trace_id(Some("abc123".into()));
        assert_eq!(
            e.to_string(),
            "LongPort: request timed out [trace id abc123]"
        );
    }
}
