//! LongPort / Longbridge: GET /v1/asset/account (and the legacy
//! /v1/trade/asset/GetAccountCashInfo), signed with the API-key scheme.

pub mod config;
pub mod normalize;
pub mod sign;
pub mod sim;
pub mod wire;

use super::http::{Request, exchange};
use super::{Account, BoxFuture, ErrorKind, Limit, Protocol, RateBudget, VenueError, decode};
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

/// This venue: its config id and its name for people.
pub const KIND: VenueKind = VenueKind::new(&crate::model::VenueName {
    id: "longport",
    label: "LongPort",
});
const V: VenueKind = KIND;

/// LongPort's wire rules.
pub struct Longport;
pub static LONGPORT: Longport = Longport;

impl crate::venues::api::Venue for Longport {
    fn keys(&self) -> &'static [&'static str] {
        config::KEYS
    }

    fn field_names(&self) -> &'static [(&'static str, &'static str)] {
        normalize::FIELD_NAMES
    }

    fn parse_balance(&self, body: &[u8]) -> Result<Snapshot, VenueError> {
        parse_balance(reqwest::StatusCode::OK, body, None, Utc::now())
    }

    fn parse_settings(
        &self,
        keys: &mut crate::venues::settings::AccountKeys<'_>,
    ) -> Option<Arc<dyn crate::venues::settings::AccountSettings>> {
        config::parse(keys)
    }
}

impl Protocol for Longport {
    fn venue(&self) -> VenueKind {
        V
    }

    /// `code` when it is not 0 (an integer, or a string in the legacy call),
    /// with `message` (legacy: `msg`).
    fn error_code(&self, body: &[u8]) -> Option<(String, String)> {
        match serde_json::from_slice::<wire::ErrorBody>(body) {
            Ok(wire::ErrorBody {
                code: Some(code),
                message,
            }) if code != "0" => Some((code, message.unwrap_or_default())),
            _ => None,
        }
    }

    fn classify(&self, code: &str, message: &str) -> Option<ErrorKind> {
        let (c, m) = (code.to_string(), message.to_string());
        Some(match code {
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
            _ => return None,
        })
    }

    fn trace_header(&self) -> Option<&'static str> {
        Some("x-trace-id")
    }

    fn auth_hint(&self, code: &str) -> &'static str {
        match code {
            "401003" => {
                "the access token expired: create a new one in the LongPort developer center and update access_token"
            }
            _ => {
                "check that app_key, app_secret and access_token belong to one LongPort app and the token is current"
            }
        }
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

    /// The raw query exactly as sent and signed (empty when none).
    pub fn raw_query(&self) -> String {
        self.s
            .currency
            .as_ref()
            .map(|c| format!("currency={c}"))
            .unwrap_or_default()
    }

    /// The signed balance request at `now` (pure: no I/O).
    pub fn sign_request(&self, now: chrono::DateTime<Utc>) -> Request {
        let query = self.raw_query();
        let ts = now.timestamp().to_string();
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
        Request::get(self.s.path.clone(), query)
            .secret_header("x-api-key", &self.s.app_key)
            .secret_header("authorization", &self.s.access_token)
            .header("x-timestamp", ts)
            .header("x-api-signature", signature)
            .header("content-type", "application/json; charset=utf-8")
    }

    pub async fn fetch(&self) -> Result<Snapshot, VenueError> {
        let reply = exchange(
            &self.http,
            &self.s.base_url,
            &LONGPORT,
            self.budget.as_deref(),
            |now| self.sign_request(now),
        )
        .await?;
        parse_balance(
            reply.status,
            &reply.body,
            self.s.currency.as_deref(),
            reply.received_at,
        )
        .map_err(|e| e.with_trace_id(reply.trace_id))
    }
}

impl Account for LongportClient {
    fn venue(&self) -> VenueKind {
        V
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Snapshot, VenueError>> {
        Box::pin(LongportClient::fetch(self))
    }
    /// LongPort counts per securities account: one access token is one account.
    fn limit(&self) -> Limit {
        Limit {
            key: format!(
                "longport:{}",
                super::digest(&format!("longport|{}", self.s.access_token.expose()))
            ),
            requests: LIMIT,
            window: WINDOW,
            min_gap: MIN_GAP,
        }
    }
    fn budget(&self) -> Option<&Arc<RateBudget>> {
        self.budget.as_ref()
    }
    fn set_budget(&mut self, budget: Arc<RateBudget>) {
        self.budget = Some(budget);
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

/// A non-zero `code`, or a failing status, becomes the matching error (the shared rule).
pub fn check(status: reqwest::StatusCode, body: &[u8]) -> Result<(), VenueError> {
    super::http::check_reply(&LONGPORT, status, body)
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
