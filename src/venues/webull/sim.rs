//! Webull OpenAPI as the simulator speaks it: a signed GET /account/balance
//! (the bare object of docs/webull-account-balance.md) and GET
//! /app/subscriptions/list (account discovery), with the checks, codes and
//! bodies PROTOCOLS.md §2 describes. Signatures are recomputed with the
//! client's own signer (`venues::webull::sign`).
//!
//! One simulated account is one APP KEY with several brokerage accounts.
//! Order of checks: app key and signed headers (401 UNAUTHORIZED; a missing
//! signed header is 401 UNAUTHORIZED too, as Webull's material reports for a
//! missing x-app-key / x-signature), timestamp (401 CLOCK_SKEW_EXCEEDED),
//! signature (401 UNAUTHORIZED), nonce reuse (401 UNAUTHORIZED, a
//! violation), access token (401 INVALID_TOKEN), the app key's rate budget
//! (429 TOO_MANY_REQUESTS, a violation), parameters, injected fault.
//! `x-version` is not checked. Every response carries `X-Request-Id`.
//!
//! Injected faults apply to the app key's next authenticated requests of
//! either route (balance or discovery), in arrival order.

use crate::model::VenueKind;
use crate::sim::scenario::{fnv1a, fx_usd, sub_book};
use crate::sim::state::{Admission, SimState};
use crate::sim::truncated;
use crate::sim::{Fault, Scenario, SimAccount, WebullApp};
use crate::venues::webull::sign;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

type St = State<Arc<SimState>>;

pub const BALANCE_PATH: &str = "/account/balance";
pub const SUBSCRIPTIONS_PATH: &str = "/app/subscriptions/list";

/// Largest allowed distance between x-timestamp and the sim clock.
const MAX_SKEW_MS: i64 = 60_000;
/// How long a nonce is remembered: longer than the whole span of timestamps
/// the skew check accepts (2 x 60 s), so a replay is always caught.
const NONCE_KEEP: Duration = Duration::from_secs(150);
/// The `total_asset_currency` values; HKD is the default (HK).
const CURRENCIES: [&str; 3] = ["HKD", "USD", "CNH"];
/// Decimals of per-currency amounts and of the totals (as the doc's example).
const CCY_DP: u32 = 6;
const TOTAL_DP: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Balance,
    Subscriptions,
}

pub(crate) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route(BALANCE_PATH, get(balance).fallback(not_allowed))
        .route(SUBSCRIPTIONS_PATH, get(subscriptions).fallback(not_allowed))
}

/// A Webull error body `{"error_code":"...","message":"..."}` with a request id.
pub(crate) fn error(st: &SimState, status: StatusCode, code: &str, message: &str) -> Response {
    with_request_id(st, refuse(status, code, message))
}

/// Error body without the request id (added once by the caller).
fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "error_code": code, "message": message });
    json_response(status, body.to_string())
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn with_request_id(st: &SimState, mut r: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&st.next_trace()) {
        r.headers_mut().insert("x-request-id", v);
    }
    r
}

fn too_many() -> Response {
    refuse(
        StatusCode::TOO_MANY_REQUESTS,
        "TOO_MANY_REQUESTS",
        "too many requests for this app key",
    )
}

async fn not_allowed(State(st): St) -> Response {
    error(
        &st,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "method not allowed",
    )
}

async fn balance(State(st): St, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let r = serve(&st, Route::Balance, &uri, &headers, &body).await;
    with_request_id(&st, r)
}

async fn subscriptions(State(st): St, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let r = serve(&st, Route::Subscriptions, &uri, &headers, &body).await;
    with_request_id(&st, r)
}

async fn serve(
    st: &SimState,
    route: Route,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let account = match authenticate(st, uri, headers, body) {
        Ok(a) => a,
        Err((status, code, msg)) => return refuse(status, code, msg),
    };
    let Some(app) = account.webull.as_ref() else {
        // Sim::start refuses a Webull app key without sub-accounts.
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "sim: app key without accounts",
        );
    };
    let key = account.api_key.as_str();
    let fault = match st.admit(key, app.rate.0, app.rate.1, Duration::ZERO) {
        Admission::Ok => None,
        Admission::Limited => return too_many(),
        Admission::Fault(f) => Some(f),
    };
    match route {
        Route::Balance => balance_reply(st, &account, app, uri, fault).await,
        Route::Subscriptions => subscriptions_reply(&account, app, fault).await,
    }
}

/// The reply to a fault both routes share; None for the ones that shape the body.
fn fault_reply(fault: &Fault) -> Option<Response> {
    match fault {
        Fault::RateLimited => Some(too_many()),
        Fault::Http500 => Some(refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "internal error",
        )),
        Fault::TokenExpired => Some(refuse(
            StatusCode::UNAUTHORIZED,
            "INVALID_TOKEN",
            "access token expired",
        )),
        Fault::ClockSkew => Some(refuse(
            StatusCode::UNAUTHORIZED,
            "CLOCK_SKEW_EXCEEDED",
            "x-timestamp too far from the server time",
        )),
        // Webull's error body with HTTP 200: still an error.
        Fault::ErrorBodyOk => Some(refuse(
            StatusCode::OK,
            "SERVICE_NOT_AVAILABLE",
            "service not available",
        )),
        Fault::Timeout(_)
        | Fault::Malformed
        | Fault::Truncated
        | Fault::UnknownRiskLevel
        | Fault::IpBan => None,
    }
}

fn ok(v: &Value) -> Response {
    json_response(StatusCode::OK, v.to_string())
}

async fn balance_reply(
    st: &SimState,
    account: &SimAccount,
    app: &WebullApp,
    uri: &Uri,
    fault: Option<Fault>,
) -> Response {
    let params = query_pairs(uri.query());
    let last = |name: &str| {
        params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    };
    let Some(account_id) = last("account_id").filter(|v| !v.is_empty()) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "ILLEGAL_PARAMETER",
            "account_id is required",
        );
    };
    let Some(index) = app.sub_accounts.iter().position(|(id, _)| id == account_id) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "INVALID_TOKEN",
            "401 UNAUTHORIZED \"app_id and account_id not related\"",
        );
    };
    let ccy = match last("total_asset_currency") {
        None | Some("") => "HKD",
        Some(c) => match CURRENCIES.iter().find(|k| k.eq_ignore_ascii_case(c)) {
            Some(k) => k,
            None => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "ILLEGAL_PARAMETER",
                    "total_asset_currency must be HKD, USD or CNH",
                );
            }
        },
    };
    let key = account.api_key.as_str();
    let body = |step| render(st, account, index, account_id, ccy, step);
    let Some(fault) = fault else {
        return ok(&body(st.claim_sub_step(key, account_id)));
    };
    if let Some(r) = fault_reply(&fault) {
        return r;
    }
    match fault {
        Fault::Timeout(d) => {
            // Claimed before sleeping, as OKX's: independent of a hang-up.
            let v = body(st.claim_sub_step(key, account_id));
            tokio::time::sleep(d).await;
            ok(&v)
        }
        Fault::Malformed => {
            let mut v = body(st.step_for_sub(key, account_id));
            if let Some(c) = v.pointer_mut("/account_currency_assets/0/cash_balance") {
                *c = Value::String("12.3.4".into());
            }
            ok(&v)
        }
        Fault::Truncated => truncated(body(st.step_for_sub(key, account_id)).to_string()),
        // Faults of other venues: Webull answers normally.
        _ => ok(&body(st.claim_sub_step(key, account_id))),
    }
}

async fn subscriptions_reply(
    account: &SimAccount,
    app: &WebullApp,
    fault: Option<Fault>,
) -> Response {
    let list = subscription_list(account, app);
    let Some(fault) = fault else {
        return ok(&list);
    };
    if let Some(r) = fault_reply(&fault) {
        return r;
    }
    match fault {
        Fault::Timeout(d) => {
            tokio::time::sleep(d).await;
            ok(&list)
        }
        Fault::Malformed => {
            let mut v = list;
            if let Some(id) = v.pointer_mut("/0/account_id") {
                *id = Value::Null;
            }
            ok(&v)
        }
        Fault::Truncated => truncated(list.to_string()),
        _ => ok(&list),
    }
}

/// `[{subscription_id, user_id, account_id, account_number}]`, one per
/// sub-account; the ids are stable numbers derived from the app key.
fn subscription_list(account: &SimAccount, app: &WebullApp) -> Value {
    let user_id = 10_000_000 + fnv1a(account.api_key.as_bytes()) % 90_000_000;
    let list = app
        .sub_accounts
        .iter()
        .map(|(id, number)| {
            let sub = format!("{}/{id}", account.api_key);
            let subscription_id = 1_000_000_000 + fnv1a(sub.as_bytes()) % 9_000_000_000;
            json!({
                "subscription_id": subscription_id.to_string(),
                "user_id": user_id.to_string(),
                "account_id": id,
                "account_number": number,
            })
        })
        .collect();
    Value::Array(list)
}

/// The query parameters, percent-decoded (the signature covers raw values),
/// in the order received.
fn query_pairs(query: Option<&str>) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes()).collect()
}

/// An auth refusal: status, error code, message.
type Refusal = (StatusCode, &'static str, &'static str);

const fn unauthorized(message: &'static str) -> Refusal {
    (StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
}

/// The header checks. Counts the request. Returns the app key's account.
fn authenticate(
    st: &SimState,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<SimAccount, Refusal> {
    // None: absent, empty or not text.
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
    };
    let key = get("x-app-key");
    let account = st
        .arrive(key)
        .filter(|a| a.venue == crate::venues::webull::KIND);
    if key.is_none() {
        return Err(unauthorized("missing header x-app-key"));
    }
    let account = account.ok_or(unauthorized("unknown app key"))?;
    let need = |name: &'static str, missing: &'static str| get(name).ok_or(unauthorized(missing));
    let ts = need("x-timestamp", "missing header x-timestamp")?;
    let version = need("x-signature-version", "missing header x-signature-version")?;
    let algorithm = need(
        "x-signature-algorithm",
        "missing header x-signature-algorithm",
    )?;
    let nonce = need("x-signature-nonce", "missing header x-signature-nonce")?;
    let received = need("x-signature", "missing header x-signature")?;
    let host = need("host", "missing header host")?;
    if version != sign::SIGNATURE_VERSION {
        return Err(unauthorized("unsupported x-signature-version"));
    }
    let algorithm = sign::Algorithm::parse(algorithm)
        .ok_or(unauthorized("unsupported x-signature-algorithm"))?;
    let at = chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%dT%H:%M:%SZ")
        .map_err(|_| unauthorized("x-timestamp is not %Y-%m-%dT%H:%M:%SZ"))?
        .and_utc();
    if (st.now() - at).num_milliseconds().abs() > MAX_SKEW_MS {
        return Err((
            StatusCode::UNAUTHORIZED,
            "CLOCK_SKEW_EXCEEDED",
            "x-timestamp too far from the server time",
        ));
    }
    let pairs = query_pairs(uri.query());
    let query: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect();
    let want = sign::sign(
        &account.secret_key,
        &sign::Request {
            path: uri.path(),
            query: &query,
            body: (!body.is_empty()).then_some(body),
            app_key: &account.api_key,
            host,
            timestamp: ts,
            nonce,
            algorithm,
        },
    );
    if received != want {
        return Err(unauthorized("signature mismatch"));
    }
    if st.replayed(&account.api_key, &format!("nonce:{nonce}"), NONCE_KEEP) {
        return Err(unauthorized("x-signature-nonce already used"));
    }
    if !account.passphrase.is_empty() {
        match get("x-access-token") {
            None => {
                return Err((
                    StatusCode::UNAUTHORIZED,
                    "INVALID_TOKEN",
                    "x-access-token is required",
                ));
            }
            Some(t) if t != account.passphrase => {
                return Err((
                    StatusCode::UNAUTHORIZED,
                    "INVALID_TOKEN",
                    "access token invalid or expired",
                ));
            }
            Some(_) => {}
        }
    }
    Ok(account)
}

/// An amount with exactly `dp` decimals, as a string ("0.000000" for zero).
fn fixed(d: Decimal, dp: u32) -> Value {
    let mut d = d.round_dp(dp);
    if d.is_zero() {
        d = Decimal::ZERO;
    }
    d.rescale(dp);
    Value::String(d.to_string())
}

/// Units of `to` per unit of `from` (fixed simulator rates).
fn rate(from: &str, to: &str) -> Decimal {
    match (fx_usd(from), fx_usd(to)) {
        (Some(f), Some(t)) if !t.is_zero() => f / t,
        _ => Decimal::ONE,
    }
}

/// The documented balance object for sub-account `index` at `step`, totals
/// in `total_ccy`: total_asset = sum(net_liquidation_value * rate), and so on
/// for positions and cash, over the per-currency figures as printed.
fn render(
    st: &SimState,
    account: &SimAccount,
    index: usize,
    account_id: &str,
    total_ccy: &str,
    step: u64,
) -> Value {
    let b = sub_book(st.opts.seed, account_id, account.scenario, index, step);
    let risk = b.risk.as_ref();
    let remaining_usd = risk.map_or(Decimal::ZERO, |r| r.remaining_finance);
    let borrowed_usd: Decimal = b
        .holdings
        .iter()
        .filter(|h| h.cash < Decimal::ZERO)
        .map(|h| -h.cash * h.price)
        .sum();
    let r6 = |d: Decimal| d.round_dp(CCY_DP);
    let (mut total, mut market, mut cash_total) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let assets: Vec<Value> = b
        .holdings
        .iter()
        .map(|h| {
            let (pmv, cash, pending) = (r6(h.positions), r6(h.cash), r6(h.settling));
            let nlv = pmv + cash + pending;
            let cash_power = r6(h.avail());
            // Buying power in this currency: own free cash plus what is left
            // of the credit line, converted.
            let margin_power = cash_power + r6(remaining_usd / h.price);
            // A loan elsewhere is paid back before cash can leave.
            let withdrawal = r6((cash_power - borrowed_usd / h.price).max(Decimal::ZERO));
            let k = rate(h.ccy, total_ccy);
            total += nlv * k;
            market += pmv * k;
            cash_total += cash * k;
            json!({
                "currency": h.ccy,
                "net_liquidation_value": fixed(nlv, CCY_DP),
                "positions_market_value": fixed(pmv, CCY_DP),
                "cash_balance": fixed(cash, CCY_DP),
                "margin_power": fixed(margin_power, CCY_DP),
                "cash_power": fixed(cash_power, CCY_DP),
                "pending_incoming": fixed(pending, CCY_DP),
                "cash_frozen": fixed(h.frozen, CCY_DP),
                "available_withdrawal": fixed(withdrawal, CCY_DP),
                "interests_unpaid": fixed(h.interest, CCY_DP),
            })
        })
        .collect();
    json!({
        "account_id": account_id,
        "total_asset_currency": total_ccy,
        "total_asset": fixed(total, TOTAL_DP),
        "total_market_value": fixed(market, TOTAL_DP),
        "total_cash_balance": fixed(cash_total, TOTAL_DP),
        "margin_utilization_rate": fixed(risk.map_or(Decimal::ZERO, |r| r.utilization), 2),
        "account_currency_assets": assets,
    })
}

/// Webull in the simulator.
pub struct WebullSim;
pub static SIM: WebullSim = WebullSim;

impl crate::sim::SimVenue for WebullSim {
    fn venue(&self) -> VenueKind {
        crate::venues::webull::KIND
    }
    fn routes(&self) -> Router<Arc<SimState>> {
        routes()
    }
    fn not_found(&self, st: &SimState, path: &str, fallback: bool) -> Option<Response> {
        (fallback || path.starts_with("/account/") || path.starts_with("/app/"))
            .then(|| error(st, StatusCode::NOT_FOUND, "NOT_FOUND", "not found"))
    }
    fn refuse(&self, a: &SimAccount) -> Option<String> {
        let Some(w) = &a.webull else {
            return Some("a Webull app key needs `webull` (sub-accounts)".into());
        };
        if w.sub_accounts.is_empty() {
            return Some("a Webull app key needs sub-accounts".into());
        }
        if w.rate.0 == 0 || w.rate.1.is_zero() {
            return Some("a Webull rate budget must be positive".into());
        }
        if let Some((id, _)) = w.sub_accounts.iter().find(|(id, _)| id.is_empty()) {
            return Some(format!("Webull account_id {id:?} empty or used twice"));
        }
        if a.okx_uid.is_some() {
            return Some("`okx_uid` is for OKX keys only".into());
        }
        a.path
            .as_deref()
            .map(|p| format!("path {p:?} is not simulated"))
    }
    /// No account_id: the client discovers the app key's accounts.
    fn config_keys(&self, a: &SimAccount) -> Vec<(&'static str, String)> {
        // The region whose budget the simulator enforces for this key.
        let region = match &a.webull {
            Some(w) if w.rate == WebullApp::HK_RATE => "hk",
            _ => "us",
        };
        let mut keys = vec![
            ("region", region.to_string()),
            ("app_key", a.api_key.clone()),
            ("app_secret", a.secret_key.clone()),
        ];
        if !a.passphrase.is_empty() {
            keys.push(("access_token", a.passphrase.clone()));
        }
        keys
    }
    fn demo_accounts(&self) -> Vec<SimAccount> {
        demo_accounts()
    }
}

/// The Webull demo app key "wb-hk": HK budget (2 calls per 2 s), access
/// token required, Scenario::BrokerMargin, two brokerage accounts:
/// "SIMWBACC0001" / "5MV01001" (margin loan) and "SIMWBACC0002" / "5MV01002"
/// (calm). The client is expected to sign with HMAC-SHA256 (the sim accepts
/// HMAC-SHA1 too).
pub fn demo_accounts() -> Vec<SimAccount> {
    vec![SimAccount {
        name: "wb-hk".into(),
        venue: crate::venues::webull::KIND,
        api_key: "sim-wb-hk-app-key".into(),
        secret_key: "sim-wb-hk-app-secret".into(),
        passphrase: "sim-wb-hk-token".into(),
        scenario: Scenario::BrokerMargin,
        path: None,
        webull: Some(WebullApp::hk(&[
            ("SIMWBACC0001", "5MV01001"),
            ("SIMWBACC0002", "5MV01002"),
        ])),
        okx_uid: None,
    }]
}

#[cfg(test)]
mod tests {
    use super::demo_accounts as webull_demo_accounts;
    use super::*;
    use crate::sim::SimOptions;

    fn state(seed: u64) -> SimState {
        SimState::new(
            SimOptions {
                seed,
                ..SimOptions::default()
            },
            webull_demo_accounts(),
        )
    }

    fn dec(v: &Value) -> Decimal {
        v.as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a decimal string: {v}"))
    }

    fn decimals(v: &Value) -> usize {
        v.as_str()
            .and_then(|s| s.split_once('.'))
            .map_or(0, |(_, f)| f.len())
    }

    #[test]
    fn amounts_are_fixed_point_strings() {
        assert_eq!(fixed(Decimal::new(3056008893, 1), 6), "305600889.300000");
        assert_eq!(fixed(Decimal::ZERO, 6), "0.000000");
        assert_eq!(fixed(-Decimal::ZERO, 6), "0.000000");
        assert_eq!(fixed(Decimal::new(-1850012, 2), 6), "-18500.120000");
        assert_eq!(fixed(Decimal::ONE / Decimal::from(3), 10), "0.3333333333");
    }

    #[test]
    fn totals_add_up_in_every_currency() {
        let st = state(3);
        let a = webull_demo_accounts().remove(0);
        for (index, id) in ["SIMWBACC0001", "SIMWBACC0002"].iter().enumerate() {
            for ccy in CURRENCIES {
                for step in [0, 7, 20] {
                    let v = render(&st, &a, index, id, ccy, step);
                    assert_eq!(v["account_id"], *id);
                    assert_eq!(v["total_asset_currency"], ccy);
                    let assets = v["account_currency_assets"].as_array().unwrap();
                    let mut sums = [Decimal::ZERO; 3];
                    for c in assets {
                        let k = rate(c["currency"].as_str().unwrap(), ccy);
                        let nlv = dec(&c["net_liquidation_value"]);
                        let pmv = dec(&c["positions_market_value"]);
                        let cash = dec(&c["cash_balance"]);
                        assert_eq!(nlv, pmv + cash + dec(&c["pending_incoming"]));
                        for (f, x) in c.as_object().unwrap() {
                            if f != "currency" {
                                assert_eq!(decimals(x), 6, "{f} {x}");
                            }
                        }
                        sums[0] += nlv * k;
                        sums[1] += pmv * k;
                        sums[2] += cash * k;
                    }
                    for (f, s) in ["total_asset", "total_market_value", "total_cash_balance"]
                        .iter()
                        .zip(sums)
                    {
                        assert_eq!(decimals(&v[f]), 10, "{f}");
                        assert_eq!(dec(&v[f]), s.round_dp(10), "{f} {ccy} {step}");
                    }
                }
            }
        }
    }

    #[test]
    fn first_sub_account_borrows_usd_the_second_does_not() {
        let st = state(3);
        let a = webull_demo_accounts().remove(0);
        let usd = |v: &Value| {
            v["account_currency_assets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["currency"] == "USD")
                .cloned()
                .unwrap()
        };
        let rates: Vec<Decimal> = (0..40)
            .map(|step| {
                let v = render(&st, &a, 0, "SIMWBACC0001", "HKD", step);
                assert!(dec(&usd(&v)["cash_balance"]) < Decimal::ZERO);
                assert_eq!(dec(&usd(&v)["available_withdrawal"]), Decimal::ZERO);
                dec(&v["margin_utilization_rate"])
            })
            .collect();
        assert!(rates[0] < Decimal::from(25) && rates[20] > Decimal::from(80));
        let calm = render(&st, &a, 1, "SIMWBACC0002", "HKD", 5);
        assert_eq!(calm["margin_utilization_rate"], "0.00");
        assert!(dec(&usd(&calm)["cash_balance"]) > Decimal::ZERO);
    }

    #[test]
    fn subscriptions_list_the_sub_accounts() {
        let a = webull_demo_accounts().remove(0);
        let app = a.webull.clone().unwrap();
        let v = subscription_list(&a, &app);
        let list = v.as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["account_id"], "SIMWBACC0001");
        assert_eq!(list[1]["account_number"], "5MV01002");
        assert_eq!(list[0]["user_id"], list[1]["user_id"]);
        assert_ne!(list[0]["subscription_id"], list[1]["subscription_id"]);
        assert_eq!(v, subscription_list(&a, &app));
    }

    #[test]
    fn query_is_decoded_in_order() {
        let q = query_pairs(Some("account_id=A%201&b=2&account_id=C+D"));
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
        assert_eq!(
            q,
            [("account_id", "A 1"), ("b", "2"), ("account_id", "C D")]
        );
    }
}
