//! LongPort (Longbridge) as the simulator speaks it: a signed
//! GET /v1/asset/account (current shape) and GET
//! /v1/trade/asset/GetAccountCashInfo (legacy shape), with the checks, codes
//! and bodies PROTOCOLS.md §1 describes. Signatures are recomputed with the
//! client's own signer (`venues::longport::sign`).
//!
//! Order of checks: app key (403203), timestamp and signature (403201),
//! access token (401003), duplicate (403202), rate limit (429002), injected
//! fault, `currency` parameter. Every response carries `x-trace-id`.

use crate::model::VenueKind;
use crate::sim::scenario::{Book, Holding, book, fx_usd};
use crate::sim::state::{Admission, SimState};
use crate::sim::truncated;
use crate::sim::{Fault, Scenario, SimAccount};
use crate::venues::longport::sign;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

type St = State<Arc<SimState>>;

/// The current balance call.
pub const ACCOUNT_PATH: &str = "/v1/asset/account";
/// The legacy Longbridge cash-info call.
pub const LEGACY_PATH: &str = "/v1/trade/asset/GetAccountCashInfo";

/// Trade API: 30 calls per 30 s per account, and 20 ms between two calls.
const LIMIT: usize = 30;
const WINDOW: Duration = Duration::from_secs(30);
const MIN_GAP: Duration = Duration::from_millis(20);
/// Largest allowed distance between x-timestamp and the sim clock. The real
/// server's bound and code are not documented; 30 s and 403201 are assumed.
const MAX_SKEW_MS: i64 = 30_000;
/// Currencies the `currency` parameter accepts; the account holds HKD and USD.
const CURRENCIES: [&str; 3] = ["HKD", "USD", "CNH"];
const ACCOUNT_CURRENCIES: [&str; 2] = ["HKD", "USD"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `{"code":0,"message":..,"data":{"list":[{.., "cash_infos":[..]}]}}`
    Current,
    /// `{"code":0,"msg":..,"data":{"list":[{.., "cashInfos":[..]}]}}`,
    /// finance amounts as JSON integers.
    Legacy,
}

pub(crate) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route(ACCOUNT_PATH, get(current).fallback(not_allowed))
        .route(LEGACY_PATH, get(legacy).fallback(not_allowed))
}

/// A LongPort error body `{"code":<int>,"message":"..."}` with a trace id.
pub(crate) fn error(st: &SimState, status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({ "code": code, "message": message });
    traced(st, json_response(status, body.to_string()))
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn traced(st: &SimState, mut r: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&st.next_trace()) {
        r.headers_mut().insert("x-trace-id", v);
    }
    r
}

async fn not_allowed(State(st): St) -> Response {
    error(
        &st,
        StatusCode::METHOD_NOT_ALLOWED,
        405001,
        "method not allowed",
    )
}

async fn current(
    State(st): St,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r = serve(&st, Shape::Current, &method, &uri, &headers, &body).await;
    traced(&st, r)
}

async fn legacy(
    State(st): St,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r = serve(&st, Shape::Legacy, &method, &uri, &headers, &body).await;
    traced(&st, r)
}

/// Error body without the trace id (added once by the caller).
fn refuse(status: StatusCode, code: i64, message: &str) -> Response {
    json_response(
        status,
        json!({ "code": code, "message": message }).to_string(),
    )
}

fn rate_limited() -> Response {
    refuse(StatusCode::TOO_MANY_REQUESTS, 429002, "api rate limit")
}

async fn serve(
    st: &SimState,
    shape: Shape,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let (account, signature) = match authenticate(st, method, uri, headers, body) {
        Ok(a) => a,
        Err((status, code, msg)) => return refuse(status, code, msg),
    };
    let key = account.api_key.as_str();
    if st.duplicate(key, &signature) {
        return refuse(StatusCode::FORBIDDEN, 403202, "duplicate request");
    }
    let fault = match st.admit(key, LIMIT, WINDOW, MIN_GAP) {
        Admission::Ok => None,
        Admission::Limited => return rate_limited(),
        Admission::Fault(f) => Some(f),
    };
    let Some(ccys) = currencies(uri.query()) else {
        return refuse(StatusCode::BAD_REQUEST, 400000, "invalid currency");
    };
    let ok = |v: Value| json_response(StatusCode::OK, v.to_string());
    match fault {
        // A Webull fault: LongPort answers normally.
        None | Some(Fault::ErrorBodyOk | Fault::IpBan) => {
            ok(render(st, &account, st.claim_step(key), &ccys, shape))
        }
        Some(Fault::UnknownRiskLevel) => {
            // A value the document does not list: the client must still show the account.
            let mut v = render(st, &account, st.claim_step(key), &ccys, shape);
            if let Some(list) = v.pointer_mut("/data/list").and_then(Value::as_array_mut) {
                for item in list {
                    item["risk_level"] = Value::String("7".into());
                }
            }
            ok(v)
        }
        Some(Fault::RateLimited) => rate_limited(),
        Some(Fault::Http500) => refuse(StatusCode::INTERNAL_SERVER_ERROR, 500000, "internal error"),
        Some(Fault::TokenExpired) => refuse(StatusCode::UNAUTHORIZED, 401003, "token expired"),
        Some(Fault::ClockSkew) => refuse(StatusCode::FORBIDDEN, 403201, "signature invalid"),
        Some(Fault::Timeout(d)) => {
            // Claimed before sleeping, as OKX's: independent of a hang-up.
            let step = st.claim_step(key);
            tokio::time::sleep(d).await;
            ok(render(st, &account, step, &ccys, shape))
        }
        Some(Fault::Malformed) => {
            let mut v = render(st, &account, st.step_for(key), &ccys, shape);
            let infos = match shape {
                Shape::Current => "cash_infos",
                Shape::Legacy => "cashInfos",
            };
            let bad = Value::String("12.3.4".into());
            if let Some(d) = v.pointer_mut(&format!("/data/list/0/{infos}/0/available_cash")) {
                *d = bad;
            } else if let Some(t) = v.pointer_mut("/data/list/0/total_cash") {
                *t = bad;
            }
            ok(v)
        }
        Some(Fault::Truncated) => {
            truncated(render(st, &account, st.step_for(key), &ccys, shape).to_string())
        }
    }
}

/// An auth refusal: status, LongPort code, message.
type Refusal = (StatusCode, i64, &'static str);

/// The header checks. Counts the request. Returns the account and the
/// received signature header (the identity of the request for duplicates).
fn authenticate(
    st: &SimState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(SimAccount, String), Refusal> {
    const BAD_SIGNATURE: Refusal = (StatusCode::FORBIDDEN, 403201, "signature invalid");
    // None: absent, empty or not text.
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
    };
    let key = get("x-api-key");
    let account = st
        .arrive(key)
        .filter(|a| a.venue == crate::venues::longport::KIND)
        .ok_or((StatusCode::FORBIDDEN, 403203, "app key illegal"))?;
    let (Some(ts), Some(received)) = (get("x-timestamp"), get("x-api-signature")) else {
        return Err(BAD_SIGNATURE);
    };
    let now_ms = st.now().timestamp_millis() as f64;
    let fresh = ts
        .parse::<f64>()
        .is_ok_and(|t| t.is_finite() && (now_ms - t * 1000.0).abs() <= MAX_SKEW_MS as f64);
    if !fresh {
        return Err(BAD_SIGNATURE);
    }
    // Signed over the headers as received; the token is checked afterwards.
    let token = get("authorization").unwrap_or("");
    let canonical = sign::canonical(
        method.as_str(),
        uri.path(),
        uri.query().unwrap_or(""),
        token,
        &account.api_key,
        ts,
        (!body.is_empty()).then_some(body),
    );
    let want = sign::header(&sign::signature(&account.secret_key, &canonical));
    if received != want {
        return Err(BAD_SIGNATURE);
    }
    if token != account.passphrase {
        return Err((StatusCode::UNAUTHORIZED, 401003, "token expired"));
    }
    Ok((account, want))
}

/// The currencies to answer for: the account's own when no `currency` is
/// given; None for an unsupported one.
fn currencies(query: Option<&str>) -> Option<Vec<&'static str>> {
    let asked = query
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == "currency")
        .map(|(_, v)| v)
        .next_back();
    match asked {
        None | Some("") => Some(ACCOUNT_CURRENCIES.to_vec()),
        Some(c) => CURRENCIES
            .iter()
            .find(|k| k.eq_ignore_ascii_case(c))
            .map(|k| vec![*k]),
    }
}

/// An amount as LongPort prints it: two decimals, "0" for zero.
fn amt(d: Decimal) -> Value {
    let mut d = d.round_dp(2);
    if d.is_zero() {
        return Value::String("0".into());
    }
    d.rescale(2);
    Value::String(d.to_string())
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

/// The balance body for `step`: one list item per currency in `ccys`, each
/// with the account totals converted into it.
fn render(
    st: &SimState,
    account: &SimAccount,
    step: u64,
    ccys: &[&'static str],
    shape: Shape,
) -> Value {
    let b = book(st.opts.seed, &account.name, account.scenario, step);
    let list: Vec<Value> = ccys.iter().map(|c| item(&b, c, shape)).collect();
    match shape {
        Shape::Current => json!({ "code": 0, "message": "success", "data": { "list": list } }),
        Shape::Legacy => json!({ "code": 0, "msg": "success", "data": { "list": list } }),
    }
}

fn item(b: &Book, ccy: &'static str, shape: Shape) -> Value {
    let rate = fx_usd(ccy).unwrap_or(Decimal::ONE);
    let conv = |usd: Decimal| usd / rate;
    let whole = |usd: Decimal| conv(usd).trunc();
    let total_cash: Decimal = b.holdings.iter().map(|h| h.cash * h.price).sum();
    let margin = b.margin.as_ref();
    let risk = b.risk.as_ref();
    let blank = risk.is_some_and(|r| r.blank);
    // "" when the scenario says this reply lacks the risk figures.
    let risky = |v: Value| if blank { s("") } else { v };
    let usd = |f: fn(&crate::sim::scenario::Margin) -> Decimal| {
        risky(amt(conv(margin.map_or(Decimal::ZERO, f))))
    };
    let max_fin = risk.map_or(Decimal::ZERO, |r| r.max_finance);
    let rem_fin = risk.map_or(Decimal::ZERO, |r| r.remaining_finance);
    let finance = |d: Decimal| match shape {
        Shape::Current => Value::String(whole(d).to_string()),
        Shape::Legacy => json!(i64::try_from(whole(d)).unwrap_or(0)),
    };
    let mut m = Map::new();
    m.insert("total_cash".into(), amt(conv(total_cash)));
    m.insert("max_finance_amount".into(), finance(max_fin));
    m.insert("remaining_finance_amount".into(), finance(rem_fin));
    m.insert(
        "risk_level".into(),
        risky(s(&risk.map_or(0, |r| r.level).to_string())),
    );
    m.insert(
        "margin_call".into(),
        amt(conv(risk.map_or(Decimal::ZERO, |r| r.margin_call))),
    );
    m.insert("currency".into(), s(ccy));
    let infos: Vec<Value> = b.holdings.iter().map(cash_info).collect();
    match shape {
        Shape::Current => {
            m.insert("net_assets".into(), usd(|m| m.adj_eq));
            m.insert("init_margin".into(), usd(|m| m.imr));
            m.insert("maintenance_margin".into(), usd(|m| m.mmr));
            m.insert(
                "buy_power".into(),
                risky(amt(conv(risk.map_or(Decimal::ZERO, |r| r.buy_power)))),
            );
            m.insert("cash_infos".into(), Value::Array(infos));
            let fees: Vec<Value> = risk
                .map(|r| r.frozen_fees.as_slice())
                .unwrap_or_default()
                .iter()
                .map(|(c, f)| json!({ "currency": c, "frozen_transaction_fee": amt(*f) }))
                .collect();
            m.insert("frozen_transaction_fees".into(), Value::Array(fees));
        }
        Shape::Legacy => {
            m.insert("cashInfos".into(), Value::Array(infos));
        }
    }
    Value::Object(m)
}

fn cash_info(h: &Holding) -> Value {
    let avail = h.avail();
    let withdraw = if h.settling < Decimal::ZERO {
        (avail + h.settling).max(Decimal::ZERO)
    } else {
        avail
    };
    json!({
        "withdraw_cash": amt(withdraw),
        "available_cash": amt(avail),
        "frozen_cash": amt(h.frozen),
        "settling_cash": amt(h.settling),
        "currency": h.ccy,
    })
}

/// LongPort in the simulator.
pub struct LongportSim;
pub static SIM: LongportSim = LongportSim;

impl crate::sim::SimVenue for LongportSim {
    fn venue(&self) -> VenueKind {
        crate::venues::longport::KIND
    }
    fn routes(&self) -> Router<Arc<SimState>> {
        routes()
    }
    fn not_found(&self, st: &SimState, path: &str, fallback: bool) -> Option<Response> {
        (fallback || path.starts_with("/v1/"))
            .then(|| error(st, StatusCode::NOT_FOUND, 404001, "not found"))
    }
    fn refuse(&self, a: &SimAccount) -> Option<String> {
        if a.webull.is_some() {
            return Some("`webull` is for Webull app keys only".into());
        }
        if a.okx_uid.is_some() {
            return Some("`okx_uid` is for OKX keys only".into());
        }
        match a.path.as_deref() {
            Some(p) if p != ACCOUNT_PATH && p != LEGACY_PATH => {
                Some(format!("path {p:?} is not simulated"))
            }
            _ => None,
        }
    }
    fn config_keys(&self, a: &SimAccount) -> Vec<(&'static str, String)> {
        let mut keys = vec![
            ("app_key", a.api_key.clone()),
            ("app_secret", a.secret_key.clone()),
            ("access_token", a.passphrase.clone()),
        ];
        if let Some(p) = a.path.as_deref().filter(|p| *p != ACCOUNT_PATH) {
            keys.push(("path", p.to_string()));
        }
        keys
    }
    fn demo_accounts(&self) -> Vec<SimAccount> {
        demo_accounts()
    }
}

/// The LongPort demo accounts: "lp-hk" (RiskWalk, current path) and
/// "lp-legacy" (BrokerCalm, legacy path).
pub fn demo_accounts() -> Vec<SimAccount> {
    let longport = |name: &str, scenario, path: Option<&str>| SimAccount {
        name: name.into(),
        venue: crate::venues::longport::KIND,
        api_key: format!("sim-{name}-app-key"),
        secret_key: format!("sim-{name}-app-secret"),
        passphrase: format!("sim-{name}-token"),
        scenario,
        path: path.map(String::from),
        webull: None,
        okx_uid: None,
    };
    vec![
        longport("lp-hk", Scenario::RiskWalk, None),
        longport("lp-legacy", Scenario::BrokerCalm, Some(LEGACY_PATH)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_parameter() {
        assert_eq!(currencies(None), Some(vec!["HKD", "USD"]));
        assert_eq!(currencies(Some("currency=")), Some(vec!["HKD", "USD"]));
        assert_eq!(currencies(Some("currency=HKD")), Some(vec!["HKD"]));
        assert_eq!(currencies(Some("x=1&currency=cnh")), Some(vec!["CNH"]));
        assert_eq!(currencies(Some("currency=EUR")), None);
    }

    #[test]
    fn amounts_print_like_longport() {
        assert_eq!(amt(Decimal::new(241459, 1)), s("24145.90"));
        assert_eq!(amt(Decimal::new(-2768064, 3)), s("-2768.06"));
        assert_eq!(amt(Decimal::ZERO), s("0"));
    }
}
