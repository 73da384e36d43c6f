//! OKX v5: GET /api/v5/account/balance, signed, with a clock offset learned from
//! /api/v5/public/time when the server refuses our timestamp (50102).

pub mod normalize;
pub mod sign;
pub mod wire;

use super::{ErrorKind, RateBudget, VenueError, decode, transport_error};
use crate::model::{Snapshot, VenueKind};
use crate::secrets::Secret;
use chrono::Utc;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub const BALANCE_PATH: &str = "/api/v5/account/balance";
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
}

const V: VenueKind = VenueKind::Okx;

/// How an OKX error code is handled. Match on `code`, never on `msg`; an
/// unknown code is judged by the HTTP status it came with.
fn classify(status: reqwest::StatusCode, code: &str, msg: &str) -> ErrorKind {
    let (code, message) = (code.to_string(), msg.to_string());
    match code.as_str() {
        "50011" | "50013" => ErrorKind::RateLimited { code, message },
        "50102" => ErrorKind::Clock { code, message },
        "50101" | "50103" | "50104" | "50105" | "50106" | "50107" | "50110" | "50111" | "50112"
        | "50113" | "50114" | "50119" | "50120" => ErrorKind::Auth { code, message },
        _ => super::unknown_code(status, code, message),
    }
}

impl OkxClient {
    pub fn new(http: reqwest::Client, s: OkxSettings) -> Self {
        OkxClient {
            http,
            s,
            clock_offset_ms: Arc::new(AtomicI64::new(0)),
            budget: None,
            date_skew_ms: Arc::new(AtomicI64::new(0)),
        }
    }

    pub fn set_budget(&mut self, budget: Arc<RateBudget>) {
        self.budget = Some(budget);
    }

    pub fn budget(&self) -> Option<&Arc<RateBudget>> {
        self.budget.as_ref()
    }

    /// The request target exactly as sent and signed.
    pub fn target(&self) -> String {
        if self.s.currencies.is_empty() {
            BALANCE_PATH.to_string()
        } else {
            format!("{BALANCE_PATH}?ccy={}", self.s.currencies.join(","))
        }
    }

    /// What the budget key is derived from (as a digest; never printed):
    /// the configured rate group, else the API key.
    pub(crate) fn budget_identity(&self) -> String {
        match &self.s.rate_group {
            Some(g) => format!("group|{g}"),
            None => format!("key|{}", self.s.api_key.expose()),
        }
    }

    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms.load(Ordering::Relaxed)
    }

    pub async fn fetch(&self) -> Result<Snapshot, VenueError> {
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

    async fn fetch_once(&self) -> Result<Snapshot, VenueError> {
        if let Some(b) = &self.budget {
            b.acquire().await;
        }
        let target = self.target();
        // The offset is bounded when measured, so this cannot overflow; stay safe anyway.
        let now = Utc::now()
            .checked_add_signed(chrono::Duration::milliseconds(self.clock_offset_ms()))
            .unwrap_or_else(Utc::now);
        let ts = sign::timestamp(now);
        let signature = sign::sign(self.s.secret_key.expose(), &ts, "GET", &target, "");
        let mut req = self
            .http
            .get(format!(
                "{}{}",
                self.s.base_url.trim_end_matches('/'),
                target
            ))
            .header("OK-ACCESS-KEY", self.s.api_key.header_value())
            .header("OK-ACCESS-SIGN", signature)
            .header("OK-ACCESS-TIMESTAMP", ts)
            .header("OK-ACCESS-PASSPHRASE", self.s.passphrase.header_value())
            .header("accept", "application/json");
        if self.s.demo_trading {
            req = req.header("x-simulated-trading", "1");
        }
        let resp = req.send().await.map_err(|e| transport_error(V, &e))?;
        let status = resp.status();
        if let Some(server) = resp
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        {
            let skew = server.timestamp_millis() - Utc::now().timestamp_millis();
            self.date_skew_ms.store(skew, Ordering::Relaxed);
        }
        let body = super::read_body(V, resp).await?;
        let fetched_at = Utc::now();
        check_envelope(status, &body)?;
        let env: wire::Envelope<wire::Balance> = decode(V, &body)?;
        let balance = env.data.first().ok_or_else(|| {
            VenueError::new(
                V,
                ErrorKind::Decode {
                    path: "data".into(),
                    detail: "expected one balance object, got an empty list".into(),
                    excerpt: crate::decimal::excerpt(&String::from_utf8_lossy(&body)),
                },
            )
        })?;
        Ok(normalize::normalize(balance, fetched_at))
    }

    /// GET /api/v5/public/time (unsigned) and store server minus local time.
    pub async fn sync_clock(&self) -> Result<i64, VenueError> {
        let url = format!("{}{}", self.s.base_url.trim_end_matches('/'), TIME_PATH);
        let sent = Utc::now();
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| transport_error(V, &e))?;
        let status = resp.status();
        let body = super::read_body(V, resp).await?;
        let received = Utc::now();
        check_envelope(status, &body)?;
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

/// Turn a non-"0" code or a bad status into the matching error.
fn check_envelope(status: reqwest::StatusCode, body: &[u8]) -> Result<(), VenueError> {
    match serde_json::from_slice::<wire::ErrorEnvelope>(body) {
        Ok(e) if e.code != "0" => Err(VenueError::new(V, classify(status, &e.code, &e.msg))),
        Ok(_) if status.is_success() => Ok(()),
        Ok(_) | Err(_) if !status.is_success() => {
            Err(VenueError::new(V, super::status_error(status, body)))
        }
        // 2xx but not an envelope: let the full decode name the field.
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_classified_by_code() {
        let classify = |c, m| classify(reqwest::StatusCode::OK, c, m);
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
