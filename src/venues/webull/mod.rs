//! Webull OpenAPI: GET /account/balance, account discovery through
//! GET /app/subscriptions/list, and request signing.

pub mod config;
pub mod normalize;
pub mod sign;
pub mod sim;
pub mod wire;

use super::http::{Request, exchange};
use super::{
    Account, BoxFuture, Discovered, ErrorKind, Limit, Protocol, RateBudget, VenueError, decode,
};
use crate::model::{Snapshot, VenueKind};
use crate::secrets::Secret;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;

pub const BALANCE_PATH: &str = "/account/balance";
pub const SUBSCRIPTIONS_PATH: &str = "/app/subscriptions/list";

/// This venue: its config id and its name for people.
pub const KIND: VenueKind = VenueKind::new(&crate::model::VenueName {
    id: "webull",
    label: "Webull",
});
const V: VenueKind = KIND;

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

    /// The `total_asset_currency` the balance call uses when none is sent:
    /// HKD in Hong Kong (docs/webull-account-balance.md); undocumented elsewhere.
    pub fn default_total_asset_currency(self) -> Option<&'static str> {
        match self {
            Region::Hk => Some("HKD"),
            _ => None,
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

/// Webull's wire rules.
pub struct Webull;
pub static WEBULL: Webull = Webull;

impl crate::venues::api::Venue for Webull {
    fn keys(&self) -> &'static [&'static str] {
        config::KEYS
    }

    fn field_names(&self) -> &'static [(&'static str, &'static str)] {
        normalize::FIELD_NAMES
    }

    fn parse_balance(&self, body: &[u8]) -> Result<Snapshot, VenueError> {
        check(reqwest::StatusCode::OK, body)?;
        let id = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("account_id")?.as_str().map(str::to_string))
            .unwrap_or_default();
        parse_balance(body, &id, None, Utc::now())
    }

    fn parse_settings(
        &self,
        keys: &mut crate::venues::settings::AccountKeys<'_>,
    ) -> Option<Arc<dyn crate::venues::settings::AccountSettings>> {
        config::parse(keys)
    }
}

impl Protocol for Webull {
    fn venue(&self) -> VenueKind {
        V
    }

    /// An error body (`error_code`, `message`) is an error whatever the HTTP
    /// status, 200 included.
    fn error_code(&self, body: &[u8]) -> Option<(String, String)> {
        match serde_json::from_slice::<wire::ErrorBody>(body) {
            Ok(wire::ErrorBody {
                error_code: Some(code),
                message,
            }) => Some((code, message.unwrap_or_default())),
            _ => None,
        }
    }

    fn classify(&self, code: &str, message: &str) -> Option<ErrorKind> {
        let (c, m) = (code.to_string(), message.to_string());
        Some(match code {
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
            // Documented, not about credentials: retried with backoff.
            "SERVICE_NOT_AVAILABLE"
            | "GATEWAY_TIMEOUT"
            | "INTERNAL_ERROR"
            | "ILLEGAL_PARAMETER" => ErrorKind::Api {
                code: c,
                message: m,
            },
            _ => return None,
        })
    }

    fn trace_header(&self) -> Option<&'static str> {
        Some("x-request-id")
    }

    fn auth_hint(&self, _code: &str) -> &'static str {
        "check app_key and app_secret, the region, and (Webull HK) that access_token is current"
    }
}

/// An error body is an error whatever the HTTP status, 200 included; a
/// failing status without one is an error too (the shared rule).
pub fn check(status: reqwest::StatusCode, body: &[u8]) -> Result<(), VenueError> {
    super::http::check_reply(&WEBULL, status, body)
}

/// At most the last 6 characters of an account id, for a message: enough to
/// tell two accounts apart, short on a status line.
fn short_id(id: &str) -> String {
    let n = id.chars().count();
    if n <= 8 {
        return id.to_string();
    }
    let tail: String = id.chars().skip(n - 6).collect();
    format!("…{tail}")
}

/// A balance reply (a body `check` passed) -> Snapshot, checked against the
/// request: the documented `account_id` and `account_currency_assets` must be
/// there (a reply without them is not a healthy empty account), and the
/// account must be the one asked for (never another account's money under
/// this name). `asked_currency` is the `total_asset_currency` the totals are
/// in when the reply does not say: the one sent, else the venue's default.
pub fn parse_balance(
    body: &[u8],
    asked_id: &str,
    asked_currency: Option<&str>,
    fetched_at: chrono::DateTime<Utc>,
) -> Result<Snapshot, VenueError> {
    let b: wire::Balance = decode(V, body)?;
    let decode_error = |path: &str, detail: String, excerpt: String| {
        VenueError::new(
            V,
            ErrorKind::Decode {
                path: path.into(),
                detail,
                excerpt,
            },
        )
    };
    let excerpt = || crate::decimal::excerpt(&String::from_utf8_lossy(body));
    let Some(got) = b.account_id.as_deref() else {
        return Err(decode_error(
            "account_id",
            "expected the id of the account asked for, got none".into(),
            excerpt(),
        ));
    };
    if got != asked_id {
        // No excerpt: the body is another account's.
        return Err(decode_error(
            "account_id",
            format!(
                "expected the account asked for ({}), got {}",
                short_id(asked_id),
                short_id(got)
            ),
            String::new(),
        ));
    }
    if b.account_currency_assets.is_none() {
        return Err(decode_error(
            "account_currency_assets",
            "expected the list of the account's currency assets, got none".into(),
            excerpt(),
        ));
    }
    Ok(normalize::normalize_asked(&b, asked_currency, fetched_at))
}

impl WebullClient {
    pub fn new(http: reqwest::Client, s: WebullSettings) -> Self {
        WebullClient {
            http,
            s,
            budget: None,
        }
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

    /// The signed GET of `path` with `query` at `now` (pure but for the
    /// nonce, which must be fresh per request).
    pub fn sign_request(
        &self,
        path: &str,
        query: &[(&str, &str)],
        now: chrono::DateTime<Utc>,
    ) -> Request {
        let ts = sign::timestamp(now);
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
        let raw_query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let req = Request::get(path, raw_query)
            .secret_header("x-app-key", &self.s.app_key)
            .header("x-timestamp", ts)
            .header("x-signature-version", sign::SIGNATURE_VERSION)
            .header("x-signature-algorithm", self.s.algorithm.header())
            .header("x-signature-nonce", nonce)
            .header("x-signature", signature)
            .header("x-version", "v1");
        match &self.s.access_token {
            Some(t) => req.secret_header("x-access-token", t),
            None => req,
        }
    }

    /// The body of a successful reply and its request id.
    async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<(Vec<u8>, Option<String>), VenueError> {
        let reply = exchange(
            &self.http,
            &self.s.base_url,
            &WEBULL,
            self.budget.as_deref(),
            |now| self.sign_request(path, query, now),
        )
        .await?;
        Ok((reply.body, reply.trace_id))
    }

    /// The accounts under this app key (counts against the same budget).
    pub async fn discover(&self) -> Result<Vec<wire::Subscription>, VenueError> {
        let (body, request_id) = self.get(SUBSCRIPTIONS_PATH, &[]).await?;
        decode(V, &body).map_err(|e| e.with_trace_id(request_id))
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
        let (body, request_id) = self.get(BALANCE_PATH, &query).await?;
        let fetched_at = Utc::now();
        let asked_currency = self
            .s
            .total_asset_currency
            .as_deref()
            .or(self.s.region.default_total_asset_currency());
        parse_balance(&body, id, asked_currency, fetched_at)
            .map_err(|e| e.with_trace_id(request_id))
    }
}

impl Account for WebullClient {
    fn venue(&self) -> VenueKind {
        V
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Snapshot, VenueError>> {
        Box::pin(WebullClient::fetch(self))
    }
    /// Webull counts per app key (and region: each region is its own service).
    fn limit(&self) -> Limit {
        let (requests, window) = self.s.region.limit();
        Limit {
            key: format!(
                "webull:{}",
                super::digest(&format!(
                    "webull|{}|{}",
                    self.s.region.as_str(),
                    self.s.app_key.expose()
                ))
            ),
            requests,
            window,
            min_gap: Duration::ZERO,
        }
    }
    fn budget(&self) -> Option<&Arc<RateBudget>> {
        self.budget.as_ref()
    }
    fn set_budget(&mut self, budget: Arc<RateBudget>) {
        self.budget = Some(budget);
    }
    fn discovers(&self) -> bool {
        true
    }
    fn needs_discovery(&self) -> bool {
        self.s.account_id.is_none()
    }
    fn discover(&self) -> BoxFuture<'_, Result<Vec<Discovered>, VenueError>> {
        Box::pin(async move {
            Ok(WebullClient::discover(self)
                .await?
                .into_iter()
                .map(|s| Discovered {
                    label: s.account_number.unwrap_or_else(|| s.account_id.clone()),
                    id: s.account_id,
                })
                .collect())
        })
    }
    fn for_account(&self, id: &str) -> Box<dyn Account> {
        Box::new(WebullClient::for_account(self, id))
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
    fn error_body_is_an_error_whatever_the_status() {
        // The vendor's error example, sent with 200: never a healthy account.
        let body = br#"{"error_code":"INVALID_TOKEN","message":"401 UNAUTHORIZED \"app_id and account_id not related\""}"#;
        let e = check(S::OK, body).unwrap_err();
        assert!(
            matches!(&e.kind, ErrorKind::Auth { code, .. } if code == "INVALID_TOKEN"),
            "{e}"
        );
        let e = check(
            S::OK,
            br#"{"error_code":"SERVICE_NOT_AVAILABLE","message":"service not available"}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::Api {
                code: "SERVICE_NOT_AVAILABLE".into(),
                message: "service not available".into()
            }
        );
        assert!(
            e.to_string().contains("SERVICE_NOT_AVAILABLE"),
            "names the code: {e}"
        );
        for st in [S::OK, S::CREATED, S::NO_CONTENT] {
            assert!(
                check(st, br#"{"error_code":"TOO_MANY_REQUESTS","message":"m"}"#).is_err(),
                "{st}"
            );
        }
        // A body with no error code at 200 passes on to the balance checks.
        assert!(check(S::OK, br#"{"message":"hello"}"#).is_ok());
        assert!(check(S::OK, br#"{"error_code":"","message":"m"}"#).is_ok());
        assert!(check(S::OK, b"[]").is_ok());
    }

    #[test]
    fn unknown_code_is_judged_by_the_status() {
        use crate::venues::ErrorClass;
        let body = br#"{"error_code":"APP_KEY_DISABLED","message":"m"}"#;
        for st in [S::UNAUTHORIZED, S::FORBIDDEN] {
            let e = check(st, body).unwrap_err();
            assert_eq!(
                e.kind,
                ErrorKind::Auth {
                    code: "APP_KEY_DISABLED".into(),
                    message: "m".into()
                },
                "{st}"
            );
            assert_eq!(e.class(), ErrorClass::Auth, "{st}: polling stops");
        }
        for st in [S::INTERNAL_SERVER_ERROR, S::OK, S::BAD_REQUEST] {
            let e = check(st, body).unwrap_err();
            assert!(matches!(e.kind, ErrorKind::Api { .. }), "{st}: {e}");
            assert_eq!(e.class(), ErrorClass::Transient, "{st}");
        }
        assert_eq!(
            check(S::TOO_MANY_REQUESTS, body).unwrap_err().class(),
            ErrorClass::RateLimited
        );
        // Documented codes keep their meaning whatever the status.
        let e = check(
            S::FORBIDDEN,
            br#"{"error_code":"SERVICE_NOT_AVAILABLE","message":"m"}"#,
        )
        .unwrap_err();
        assert_eq!(e.class(), ErrorClass::Transient);
    }

    const DOC: &str = include_str!("../../../assets/fixtures/webull/balance-doc.json");
    const DOC_ID: &str = "QJHO3P1PR9425Q6UAT7QLJTEKB";

    fn parse(body: &str, id: &str, ccy: Option<&str>) -> Result<Snapshot, VenueError> {
        parse_balance(body.as_bytes(), id, ccy, Utc::now())
    }

    fn decode_path(e: &VenueError) -> (&str, &str) {
        match &e.kind {
            ErrorKind::Decode { path, detail, .. } => (path, detail),
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn documented_fields_are_required() {
        assert!(parse(DOC, DOC_ID, None).is_ok());
        for (field, want) in [
            ("account_id", "account_id"),
            ("account_currency_assets", "account_currency_assets"),
        ] {
            // The example without the field; then with it null, then "".
            let mut v: serde_json::Value = serde_json::from_str(DOC).unwrap();
            v.as_object_mut().unwrap().remove(field);
            let e = parse(&v.to_string(), DOC_ID, None).unwrap_err();
            assert_eq!(decode_path(&e).0, want, "{e}");
            assert!(decode_path(&e).1.contains("expected"), "{e}");
            assert!(e.to_string().starts_with("Webull: "), "{e}");
            v[field] = serde_json::Value::Null;
            let e = parse(&v.to_string(), DOC_ID, None).unwrap_err();
            assert_eq!(decode_path(&e).0, want, "null {field}: {e}");
        }
        let e = parse(&DOC.replace(DOC_ID, ""), DOC_ID, None).unwrap_err();
        assert_eq!(decode_path(&e).0, "account_id");
        // An empty object is no account at all.
        let e = parse("{}", DOC_ID, None).unwrap_err();
        assert_eq!(decode_path(&e).0, "account_id");
        // An empty list is an account with no currencies: that is what it says.
        let body = format!(r#"{{"account_id":"{DOC_ID}","account_currency_assets":[]}}"#);
        assert!(parse(&body, DOC_ID, None).unwrap().currencies.is_empty());
    }

    #[test]
    fn another_accounts_reply_is_refused() {
        let e = parse(DOC, "5MV01001XYZ987654", Some("HKD")).unwrap_err();
        let (path, detail) = decode_path(&e);
        assert_eq!(path, "account_id");
        assert_eq!(
            detail,
            "expected the account asked for (…987654), got …LJTEKB"
        );
        let text = e.to_string();
        assert!(!text.contains(DOC_ID), "ids kept short: {text}");
        assert!(
            !text.contains("1247724759"),
            "no amounts of another account: {text}"
        );
        assert_eq!(short_id("ACC1"), "ACC1");
        assert_eq!(short_id("SIMWBACC"), "SIMWBACC");
        assert_eq!(short_id(DOC_ID), "…LJTEKB");
        // Ids are compared exactly.
        assert!(parse(DOC, &DOC_ID.to_lowercase(), None).is_err());
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
