//! Webull OpenAPI: GET /account/balance, account discovery through
//! GET /app/subscriptions/list, and request signing.

pub mod normalize;
pub mod sign;
pub mod wire;

use super::{ErrorKind, RateBudget, VenueError, decode, transport_error};
use crate::model::{Snapshot, VenueKind};
use crate::secrets::Secret;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;

pub const BALANCE_PATH: &str = "/account/balance";
pub const SUBSCRIPTIONS_PATH: &str = "/app/subscriptions/list";

const V: VenueKind = VenueKind::Webull;

/// Webull regions: each has its host and its published balance limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    Us,
    Hk,
    Jp,
    Sg,
    Au,
    Uk,
    Eu,
}

impl Region {
    pub const ALL: [Region; 7] = [
        Region::Us,
        Region::Hk,
        Region::Jp,
        Region::Sg,
        Region::Au,
        Region::Uk,
        Region::Eu,
    ];

    pub fn parse(s: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Hk => "hk",
            Region::Jp => "jp",
            Region::Sg => "sg",
            Region::Au => "au",
            Region::Uk => "uk",
            Region::Eu => "eu",
        }
    }

    pub fn host(self) -> &'static str {
        match self {
            Region::Us => "https://api.webull.com",
            Region::Hk => "https://api.webull.hk",
            Region::Jp => "https://api.webull.co.jp",
            Region::Sg => "https://api.webull.com.sg",
            Region::Au => "https://api.webull.com.au",
            Region::Uk => "https://api.webull-uk.com",
            Region::Eu => "https://api.webull.eu",
        }
    }

    /// Published per app key: HK and JP 2 calls per 2 s; US 10 per 30 s. The
    /// others are undocumented: the stricter of the two (10 per 30 s).
    pub fn limit(self) -> (u32, Duration) {
        match self {
            Region::Hk | Region::Jp => (2, Duration::from_secs(2)),
            _ => (10, Duration::from_secs(30)),
        }
    }
}

#[derive(Clone)]
pub struct WebullSettings {
    pub base_url: String,
    pub region: Region,
    /// None: not known yet, discover it.
    pub account_id: Option<String>,
    pub total_asset_currency: Option<String>,
    pub algorithm: sign::Algorithm,
    pub app_key: Secret,
    pub app_secret: Secret,
    pub access_token: Option<Secret>,
}

#[derive(Clone)]
pub struct WebullClient {
    http: reqwest::Client,
    s: WebullSettings,
    budget: Option<Arc<RateBudget>>,
}

/// How a Webull error code is handled.
fn classify(code: &str, message: &str) -> ErrorKind {
    let (c, m) = (code.to_string(), message.to_string());
    match code {
        "UNAUTHORIZED" | "INVALID_TOKEN" => ErrorKind::Auth {
            code: c,
            message: m,
        },
        c2 if c2.starts_with("MISSING_") => ErrorKind::Auth {
            code: c,
            message: m,
        },
        "TOO_MANY_REQUESTS" => ErrorKind::RateLimited {
            code: c,
            message: m,
        },
        "CLOCK_SKEW_EXCEEDED" => ErrorKind::Clock {
            code: c,
            message: format!("this machine's clock is off from Webull's: {m}"),
        },
        _ => ErrorKind::Api {
            code: c,
            message: m,
        },
    }
}

/// A non-2xx status becomes the matching error (the code decides, whatever the status).
pub fn check(status: reqwest::StatusCode, body: &[u8]) -> Result<(), VenueError> {
    if status.is_success() {
        return Ok(());
    }
    match serde_json::from_slice::<wire::ErrorBody>(body) {
        Ok(wire::ErrorBody {
            error_code: Some(code),
            message,
        }) => Err(VenueError::new(
            V,
            classify(&code, message.as_deref().unwrap_or("")),
        )),
        _ => Err(VenueError::new(V, super::status_error(status, body))),
    }
}

impl WebullClient {
    pub fn new(http: reqwest::Client, s: WebullSettings) -> Self {
        WebullClient {
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

    pub fn region(&self) -> Region {
        self.s.region
    }

    pub fn account_id(&self) -> Option<&str> {
        self.s.account_id.as_deref()
    }

    /// The same app key and budget, for another account under it.
    pub fn for_account(&self, account_id: &str) -> WebullClient {
        let mut c = self.clone();
        c.s.account_id = Some(account_id.to_string());
        c
    }

    /// Only for deriving the budget key digest; never printed.
    pub(crate) fn app_key_for_budget(&self) -> &str {
        self.s.app_key.expose()
    }

    /// The Host header reqwest sends for the base URL: host, and `:port` when
    /// the URL names a non-default port. That is what the server verifies.
    fn host(&self) -> String {
        match reqwest::Url::parse(&self.s.base_url) {
            Ok(u) => match (u.host_str(), u.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_string(),
                _ => String::new(),
            },
            Err(_) => String::new(),
        }
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Vec<u8>, VenueError> {
        if let Some(b) = &self.budget {
            b.acquire().await;
        }
        let ts = sign::timestamp(Utc::now());
        let nonce = uuid::Uuid::new_v4().to_string();
        let host = self.host();
        let signature = sign::sign(
            self.s.app_secret.expose(),
            &sign::Request {
                path,
                query,
                body: None,
                app_key: self.s.app_key.expose(),
                host: &host,
                timestamp: &ts,
                nonce: &nonce,
                algorithm: self.s.algorithm,
            },
        );
        let mut req = self
            .http
            .get(format!("{}{path}", self.s.base_url.trim_end_matches('/')))
            .query(query)
            .header("x-app-key", self.s.app_key.header_value())
            .header("x-timestamp", &ts)
            .header("x-signature-version", sign::SIGNATURE_VERSION)
            .header("x-signature-algorithm", self.s.algorithm.header())
            .header("x-signature-nonce", &nonce)
            .header("x-signature", signature)
            .header("x-version", "v1");
        if let Some(t) = &self.s.access_token {
            req = req.header("x-access-token", t.header_value());
        }
        let resp = req.send().await.map_err(|e| transport_error(V, &e))?;
        let status = resp.status();
        let request_id = resp
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(crate::decimal::excerpt);
        let body = super::read_body(V, resp)
            .await
            .map_err(|e| e.with_trace_id(request_id.clone()))?;
        check(status, &body).map_err(|e| e.with_trace_id(request_id))?;
        Ok(body)
    }

    /// The accounts under this app key (counts against the same budget).
    pub async fn discover(&self) -> Result<Vec<wire::Subscription>, VenueError> {
        let body = self.get(SUBSCRIPTIONS_PATH, &[]).await?;
        decode(V, &body)
    }

    pub async fn fetch(&self) -> Result<Snapshot, VenueError> {
        let Some(id) = self.s.account_id.as_deref() else {
            return Err(VenueError::new(
                V,
                ErrorKind::Api {
                    code: "NO_ACCOUNT".into(),
                    message: "no account id yet: discovery pending".into(),
                },
            ));
        };
        let mut query = vec![("account_id", id)];
        if let Some(c) = &self.s.total_asset_currency {
            query.push(("total_asset_currency", c.as_str()));
        }
        let body = self.get(BALANCE_PATH, &query).await?;
        let fetched_at = Utc::now();
        let b: wire::Balance = decode(V, &body)?;
        Ok(normalize::normalize(&b, fetched_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode as S;

    #[test]
    fn error_codes_decide_whatever_the_status() {
        let e = |st: S, code: &str| {
            check(
                st,
                format!(r#"{{"error_code":"{code}","message":"m"}}"#).as_bytes(),
            )
            .unwrap_err()
            .kind
        };
        assert!(matches!(
            e(S::UNAUTHORIZED, "UNAUTHORIZED"),
            ErrorKind::Auth { .. }
        ));
        assert!(matches!(
            e(S::UNAUTHORIZED, "INVALID_TOKEN"),
            ErrorKind::Auth { .. }
        ));
        assert!(matches!(
            e(S::BAD_REQUEST, "MISSING_X_APP_KEY"),
            ErrorKind::Auth { .. }
        ));
        assert!(matches!(
            e(S::TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS"),
            ErrorKind::RateLimited { .. }
        ));
        assert!(matches!(
            e(S::FORBIDDEN, "TOO_MANY_REQUESTS"),
            ErrorKind::RateLimited { .. }
        ));
        assert!(matches!(
            e(S::UNAUTHORIZED, "CLOCK_SKEW_EXCEEDED"),
            ErrorKind::Clock { .. }
        ));
        for c in [
            "SERVICE_NOT_AVAILABLE",
            "GATEWAY_TIMEOUT",
            "INTERNAL_ERROR",
            "ILLEGAL_PARAMETER",
        ] {
            assert!(
                matches!(e(S::INTERNAL_SERVER_ERROR, c), ErrorKind::Api { .. }),
                "{c}"
            );
        }
        assert!(matches!(
            check(S::SERVICE_UNAVAILABLE, b"<html>").unwrap_err().kind,
            ErrorKind::Http { status: 503, .. }
        ));
        assert!(check(S::OK, b"{}").is_ok());
    }

    #[test]
    fn regions() {
        assert_eq!(Region::parse("hk"), Some(Region::Hk));
        assert_eq!(Region::parse("HK"), None);
        assert_eq!(Region::Hk.limit(), (2, Duration::from_secs(2)));
        assert_eq!(Region::Us.limit(), (10, Duration::from_secs(30)));
        assert_eq!(Region::Sg.limit(), (10, Duration::from_secs(30)));
        assert_eq!(Region::Uk.host(), "https://api.webull-uk.com");
    }
}
