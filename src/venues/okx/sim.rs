//! OKX v5 as the simulator speaks it: /api/v5/public/time and a signed
//! /api/v5/account/balance, with the checks, codes and bodies PROTOCOLS.md §3
//! describes. Signatures are checked with the client's own `sign()`.

use crate::sim::scenario::{Holding, book};
use crate::sim::state::{Admission, SimState};
use crate::sim::{Fault, Scenario, SimAccount};
use crate::venues::okx::{BALANCE_PATH, CONFIG_LIMIT, CONFIG_PATH, LIMIT, TIME_PATH, WINDOW, sign};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

type St = State<Arc<SimState>>;

/// Largest allowed distance between OK-ACCESS-TIMESTAMP and the server clock.
const MAX_SKEW_MS: i64 = 30_000;
/// Documented maximum of currencies in `ccy`.
const MAX_CCY: usize = 20;

pub(crate) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route(TIME_PATH, get(time).fallback(not_allowed))
        .route(BALANCE_PATH, get(balance).fallback(not_allowed))
        .route(CONFIG_PATH, get(config).fallback(not_allowed))
}

/// The user id of a simulated key: its configured `okx_uid`, else a stable
/// 17-digit number derived from the key (a user of its own).
pub(crate) fn uid_of(account: &SimAccount) -> String {
    account.okx_uid.clone().unwrap_or_else(|| {
        let n = crate::sim::scenario::fnv1a(account.api_key.as_bytes()) % 90_000_000_000_000_000;
        (10_000_000_000_000_000 + n).to_string()
    })
}

/// `acctLv` of a scenario: 1 Spot, 2 Futures, 3 Multi-currency margin.
fn acct_lv(scenario: Scenario) -> &'static str {
    match scenario {
        Scenario::FuturesSwing => "2",
        Scenario::MarginSwing => "3",
        _ => "1",
    }
}

/// GET /api/v5/account/config: signed like the balance call; 5 per 2 s per
/// user id, counted apart from the balance limit.
async fn config(State(st): St, uri: Uri, headers: HeaderMap) -> Response {
    let account = match authenticate(&st, &uri, &headers, Call::Config) {
        Ok(a) => a,
        Err((code, msg)) => return error(StatusCode::UNAUTHORIZED, code, msg),
    };
    let uid = uid_of(&account);
    if !st.within_shared(&format!("okx-config|{uid}"), CONFIG_LIMIT as usize, WINDOW) {
        return rate_limited(&st);
    }
    let body = json!({
        "code": "0",
        "msg": "",
        "data": [{
            "acctLv": acct_lv(account.scenario),
            "autoLoan": false,
            "ctIsoMode": "automatic",
            "greeksType": "PA",
            "ip": "",
            "label": "read-only monitor",
            "level": "Lv1",
            "levelTmp": "",
            "liquidationGear": "-1",
            "mainUid": uid,
            "mgnIsoMode": "automatic",
            "opAuth": "0",
            "perm": "read_only",
            "posMode": "net_mode",
            "roleType": "0",
            "spotOffsetType": "",
            "spotRoleType": "0",
            "spotTraderInsts": [],
            "traderInsts": [],
            "uid": uid,
        }]
    });
    ok_json(body.to_string())
}

/// An OKX error body: `{"code":"5xxxx","msg":"...","data":[]}`.
pub(crate) fn error(status: StatusCode, code: &str, msg: &str) -> Response {
    let body = json!({ "code": code, "msg": msg, "data": [] });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn ok_json(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

async fn not_allowed() -> Response {
    error(StatusCode::METHOD_NOT_ALLOWED, "405", "Method Not Allowed")
}

async fn time(State(st): St) -> Response {
    let ts = st.now().timestamp_millis().to_string();
    ok_json(json!({ "code": "0", "msg": "", "data": [{ "ts": ts }] }).to_string())
}

async fn balance(State(st): St, uri: Uri, headers: HeaderMap) -> Response {
    let account = match authenticate(&st, &uri, &headers, Call::Balance) {
        Ok(a) => a,
        Err((code, msg)) => return error(StatusCode::UNAUTHORIZED, code, msg),
    };
    let key = account.api_key.as_str();
    // OKX counts the balance limit per user id: every key of one user shares it.
    let window_key = format!("okx-balance|{}", uid_of(&account));
    let fault = match st.admit_shared(key, &window_key, LIMIT as usize, WINDOW) {
        Admission::Ok => None,
        Admission::Limited => return rate_limited(&st),
        Admission::Fault(f) => Some(f),
    };
    let Some(ccys) = currencies(uri.query()) else {
        return error(StatusCode::BAD_REQUEST, "51000", "Parameter ccy error");
    };
    match fault {
        // Faults of other venues: OKX answers normally.
        None | Some(Fault::ErrorBodyOk | Fault::UnknownRiskLevel | Fault::IpBan) => {
            ok_json(render(&st, &account, st.claim_step(key), &ccys).to_string())
        }
        Some(Fault::RateLimited) => rate_limited(&st),
        Some(Fault::Http500) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body><h1>500 Internal Server Error</h1></body></html>",
        )
            .into_response(),
        Some(Fault::Timeout(d)) => {
            // Claimed before sleeping, so the step count does not depend on
            // whether the client hung up in the meantime.
            let step = st.claim_step(key);
            tokio::time::sleep(d).await;
            ok_json(render(&st, &account, step, &ccys).to_string())
        }
        Some(Fault::Malformed) => {
            let mut body = render(&st, &account, st.step_for(key), &ccys);
            let bad = Value::String("12.3.4".into());
            if let Some(d) = body.pointer_mut("/data/0/details/0/cashBal") {
                *d = bad;
            } else if let Some(t) = body.pointer_mut("/data/0/totalEq") {
                *t = bad;
            }
            ok_json(body.to_string())
        }
        Some(Fault::Truncated) => {
            truncated(render(&st, &account, st.step_for(key), &ccys).to_string())
        }
        Some(Fault::TokenExpired) => error(StatusCode::UNAUTHORIZED, "50114", "Invalid Authority"),
        Some(Fault::ClockSkew) => error(
            StatusCode::UNAUTHORIZED,
            "50102",
            "Timestamp request expired",
        ),
    }
}

fn rate_limited(st: &SimState) -> Response {
    let status =
        StatusCode::from_u16(st.opts.rate_limit_status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
    error(status, "50011", "Too Many Requests")
}

/// Half the body, then the connection drops although Content-Length promised all.
pub(crate) fn truncated(body: String) -> Response {
    let full = body.len();
    let half = Bytes::copy_from_slice(&body.as_bytes()[..full / 2]);
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(half) }).chain(
        futures::stream::once(async {
            // Let the first half reach the wire before the abort.
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err(std::io::Error::other("sim: truncated on purpose"))
        }),
    );
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, full)
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "50000",
                "sim: cannot build response",
            )
        })
}

/// An auth refusal: OKX code and message, sent with HTTP 401.
type Refusal = (&'static str, &'static str);

/// Which signed call is being checked (each has its own request counter).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Call {
    Balance,
    Config,
}

/// The header checks, in the order OKX reports them. Counts the request.
fn authenticate(
    st: &SimState,
    uri: &Uri,
    headers: &HeaderMap,
    call: Call,
) -> Result<SimAccount, Refusal> {
    // None: absent or empty; Some(None): present but not text.
    let get = |name: &str| -> Option<Option<&str>> {
        let v = headers.get(name)?;
        if v.is_empty() {
            None
        } else {
            Some(v.to_str().ok())
        }
    };
    let key = get("OK-ACCESS-KEY");
    let account = match call {
        Call::Balance => st.arrive(key.flatten()),
        Call::Config => st.arrive_config(key.flatten()),
    };
    let Some(key) = key else {
        return Err(("50103", "Request header OK-ACCESS-KEY cannot be empty"));
    };
    let Some(signature) = get("OK-ACCESS-SIGN") else {
        return Err(("50106", "Request header OK-ACCESS-SIGN cannot be empty"));
    };
    let Some(ts) = get("OK-ACCESS-TIMESTAMP") else {
        return Err((
            "50107",
            "Request header OK-ACCESS-TIMESTAMP cannot be empty",
        ));
    };
    let Some(pass) = get("OK-ACCESS-PASSPHRASE") else {
        return Err((
            "50104",
            "Request header OK-ACCESS-PASSPHRASE cannot be empty",
        ));
    };
    let account = match (key, account) {
        (Some(_), Some(a)) => a,
        _ => return Err(("50111", "Invalid OK-ACCESS-KEY")),
    };
    if pass != Some(account.passphrase.as_str()) {
        return Err(("50105", "Request header OK-ACCESS-PASSPHRASE incorrect"));
    }
    let ts = ts.unwrap_or_default();
    let fresh = chrono::DateTime::parse_from_rfc3339(ts)
        .is_ok_and(|t| (st.now().timestamp_millis() - t.timestamp_millis()).abs() <= MAX_SKEW_MS);
    if !fresh {
        return Err(("50102", "Timestamp request expired"));
    }
    // The target exactly as received: path plus query, not re-encoded.
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path(), |p| p.as_str());
    let want = sign::sign(&account.secret_key, ts, "GET", target, "");
    if signature != Some(want.as_str()) {
        return Err(("50113", "Invalid Sign"));
    }
    Ok(account)
}

/// The `ccy` filter, upper-cased; empty = all. None if over the documented limit.
fn currencies(query: Option<&str>) -> Option<Vec<String>> {
    let raw = query
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == "ccy")
        .map(|(_, v)| percent_decode(v))
        .next_back()
        .unwrap_or_default();
    let list: Vec<String> = raw
        .split(',')
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect();
    (list.len() <= MAX_CCY).then_some(list)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', ..) => {
                out.push(b' ');
                i += 1;
            }
            (c, ..) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Amount as OKX prints it: no trailing zeros, "0" for zero.
fn num(d: Decimal) -> Value {
    Value::String(if d.is_zero() {
        "0".into()
    } else {
        d.normalize().to_string()
    })
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

/// The full documented balance body for `step`: Spot mode for Calm,
/// multi-currency margin for MarginSwing, Futures mode for FuturesSwing;
/// fields a mode lacks are "".
pub(crate) fn render(st: &SimState, account: &SimAccount, step: u64, ccys: &[String]) -> Value {
    let mut v = render_book(st, account, step, ccys);
    if account.scenario == Scenario::FuturesSwing {
        futures_mode(&mut v, st.opts.seed, &account.name, step);
    }
    v
}

/// Reshape a Spot-mode body into Futures mode (single-currency margin), per
/// the document's table of applicable fields: no account-level margin
/// figures; each currency with cross positions has its own `mgnRatio`,
/// `imr`, `mmr` and `notionalLever`. USDT's ratio follows
/// 1.1 + 6.9 * s^2 (s = |phase - 20| / 20): about 21 steps of every 40 below
/// 3 (warn) and 9 below 1.5 (critical). BTC's stays near 12.
fn futures_mode(v: &mut Value, seed: u64, account: &str, step: u64) {
    let Some(a) = v.pointer_mut("/data/0").and_then(Value::as_object_mut) else {
        return;
    };
    for k in [
        "adjEq",
        "availEq",
        "ordFroz",
        "imr",
        "mmr",
        "borrowFroz",
        "mgnRatio",
        "notionalUsd",
        "notionalUsdForBorrow",
        "notionalUsdForOption",
        "notionalUsdForSwap",
        "notionalUsdForFutures",
        "upl",
    ] {
        a.insert(k.into(), s(""));
    }
    a.insert("isoEq".into(), s("0"));
    let phase = step % crate::sim::scenario::SWING_PERIOD;
    let half = crate::sim::scenario::SWING_PERIOD / 2;
    let dist = Decimal::from(phase.abs_diff(half)) / Decimal::from(half);
    let wobble = Decimal::from(
        crate::sim::scenario::fnv1a(format!("{seed}|{account}|{step}").as_bytes()) % 100,
    ) / Decimal::from(10_000);
    let usdt_ratio = (Decimal::new(11, 1) + Decimal::new(69, 1) * dist * dist + wobble).round_dp(2);
    let btc_ratio = (Decimal::from(12) + wobble * Decimal::from(10)).round_dp(2);
    let Some(details) = a.get_mut("details").and_then(Value::as_array_mut) else {
        return;
    };
    for d in details {
        let Some(d) = d.as_object_mut() else { continue };
        for k in [
            "disEq",
            "liab",
            "crossLiab",
            "interest",
            "twap",
            "frpType",
            "maxLoan",
            "borrowFroz",
            "spotIsoBal",
        ] {
            d.insert(k.into(), s(""));
        }
        let dec = |k: &str, d: &Map<String, Value>| {
            d.get(k)
                .and_then(Value::as_str)
                .and_then(|x| x.parse::<Decimal>().ok())
                .unwrap_or(Decimal::ZERO)
        };
        let eq = dec("eq", d);
        let avail = dec("availBal", d);
        d.insert("availEq".into(), num(avail));
        d.insert("isoEq".into(), s("0"));
        d.insert("isoUpl".into(), s("0"));
        d.insert("upl".into(), s("0"));
        let ratio = match d.get("ccy").and_then(Value::as_str) {
            Some("USDT") => Some((usdt_ratio, Decimal::from(5))),
            Some("BTC") => Some((btc_ratio, Decimal::new(15, 1))),
            _ => None,
        };
        if let Some((ratio, lever)) = ratio
            && eq > Decimal::ZERO
        {
            let mmr = (eq / ratio).round_dp(4);
            d.insert("mgnRatio".into(), num(ratio));
            d.insert("mmr".into(), num(mmr));
            d.insert("imr".into(), num((mmr * Decimal::new(15, 1)).round_dp(4)));
            d.insert("notionalLever".into(), num(lever));
        }
    }
}

fn render_book(st: &SimState, account: &SimAccount, step: u64, ccys: &[String]) -> Value {
    let b = book(st.opts.seed, &account.name, account.scenario, step);
    let margin = account.scenario == Scenario::MarginSwing;
    let now = st.now().timestamp_millis().to_string();
    // Applicable in multi-currency margin mode only.
    let multi = |v: Value| if margin { v } else { s("") };
    let details: Vec<Value> = b
        .holdings
        .iter()
        .filter(|h| ccys.is_empty() || ccys.iter().any(|c| c == h.ccy))
        .filter(|h| !(h.cash.is_zero() && h.equity().is_zero()))
        .map(|h| detail(h, margin, &now))
        .collect();
    let mut a = Map::new();
    let m = b.margin.as_ref();
    let total_eq = b.total_eq();
    let risky_usd: Decimal = b
        .holdings
        .iter()
        .filter(|h| h.ccy != "USDT")
        .map(Holding::eq_usd)
        .sum();
    let delta = if margin {
        risky_usd.round_dp(2)
    } else {
        Decimal::ZERO
    };
    a.insert(
        "adjEq".into(),
        num(m.map_or_else(|| b.adj_eq(), |m| m.adj_eq)),
    );
    a.insert(
        "availEq".into(),
        multi(num(m.map_or(Decimal::ZERO, |m| {
            (m.adj_eq - m.imr).max(Decimal::ZERO)
        }))),
    );
    a.insert("borrowFroz".into(), s("0"));
    a.insert("delta".into(), num(delta));
    let lever = if total_eq.is_zero() {
        Decimal::ZERO
    } else {
        (delta / total_eq).round_dp(4)
    };
    a.insert("deltaLever".into(), num(lever));
    a.insert(
        "deltaNeutralStatus".into(),
        s(&m.map_or(0, |m| m.delta_neutral_status).to_string()),
    );
    a.insert("details".into(), Value::Array(details));
    a.insert("imr".into(), num(m.map_or(Decimal::ZERO, |m| m.imr)));
    a.insert("isoEq".into(), multi(s("0")));
    a.insert("mgnRatio".into(), m.map_or_else(|| s(""), |m| num(m.ratio)));
    a.insert("mmr".into(), num(m.map_or(Decimal::ZERO, |m| m.mmr)));
    let notional = m.map_or(Decimal::ZERO, |m| m.notional_usd);
    a.insert("notionalUsd".into(), num(notional));
    let borrowed: Decimal = b.holdings.iter().map(|h| h.liab * h.price).sum();
    a.insert("notionalUsdForBorrow".into(), num(borrowed.round_dp(2)));
    a.insert(
        "notionalUsdForFutures".into(),
        multi(num((notional * Decimal::new(2, 1)).round_dp(2))),
    );
    a.insert("notionalUsdForOption".into(), s("0"));
    a.insert(
        "notionalUsdForSwap".into(),
        multi(num((notional * Decimal::new(8, 1)).round_dp(2))),
    );
    a.insert("ordFroz".into(), s("0"));
    a.insert("totalEq".into(), num(total_eq));
    a.insert("uTime".into(), s(&now));
    a.insert("upl".into(), multi(num(m.map_or(Decimal::ZERO, |m| m.upl))));
    json!({ "code": "0", "data": [Value::Object(a)], "msg": "" })
}

fn detail(h: &Holding, margin: bool, now: &str) -> Value {
    let multi = |v: Value| if margin { v } else { s("") };
    let spot = |v: Value| if margin { s("") } else { v };
    let eq = h.equity();
    let upl_liab = if h.upl < Decimal::ZERO {
        -h.upl
    } else {
        Decimal::ZERO
    };
    let fields = [
        ("autoLendStatus", s("off")),
        ("autoLendMtAmt", s("0")),
        ("availBal", num(h.avail())),
        ("availEq", multi(num(h.avail()))),
        ("borrowFroz", s("0")),
        ("cashBal", num(h.cash)),
        ("ccy", s(h.ccy)),
        ("crossLiab", num(h.liab)),
        ("colRes", s(&h.col_res.to_string())),
        (
            "collateralEnabled",
            Value::Bool(margin && eq > Decimal::ZERO),
        ),
        ("collateralRestrict", Value::Bool(h.col_res == 2)),
        ("colBorrAutoConversion", s(&h.auto_conversion.to_string())),
        ("disEq", num(h.dis_eq())),
        ("eq", num(eq)),
        ("eqUsd", num(h.eq_usd())),
        ("smtSyncEq", s("0")),
        ("spotCopyTradingEq", s("0")),
        ("fixedBal", s("0")),
        ("frozenBal", num(h.frozen)),
        ("frpType", s(&h.frp_type.to_string())),
        ("imr", s("")),
        ("interest", num(h.interest)),
        ("isoEq", multi(s("0"))),
        ("isoLiab", multi(s("0"))),
        ("isoUpl", multi(s("0"))),
        ("liab", num(h.liab)),
        ("maxLoan", num(h.max_loan.round_dp(h.scale))),
        ("mgnRatio", s("")),
        ("mmr", s("")),
        ("notionalLever", s("")),
        ("ordFrozen", num(h.frozen)),
        ("rewardBal", s("0")),
        ("spotInUseAmt", s("")),
        ("clSpotInUseAmt", s("")),
        ("maxSpotInUse", s("")),
        ("spotIsoBal", spot(s("0"))),
        ("stgyEq", s("0")),
        ("twap", s(&h.twap.to_string())),
        ("uTime", s(now)),
        ("upl", multi(num(h.upl))),
        ("uplLiab", multi(num(upl_liab))),
        ("spotBal", s("")),
        ("openAvgPx", s("")),
        ("accAvgPx", s("")),
        ("spotUpl", s("")),
        ("spotUplRatio", s("")),
        ("totalPnl", s("")),
        ("totalPnlRatio", s("")),
    ];
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// OKX in the simulator.
pub struct OkxSim;
pub static SIM: OkxSim = OkxSim;

impl crate::sim::SimVenue for OkxSim {
    fn venue(&self) -> crate::model::VenueKind {
        crate::venues::okx::KIND
    }
    fn routes(&self) -> Router<Arc<SimState>> {
        routes()
    }
    fn not_found(&self, _st: &SimState, path: &str, fallback: bool) -> Option<Response> {
        (fallback || path.starts_with("/api/"))
            .then(|| error(StatusCode::NOT_FOUND, "404", "Not Found"))
    }
    fn refuse(&self, a: &SimAccount) -> Option<String> {
        if a.webull.is_some() {
            return Some("`webull` is for Webull app keys only".into());
        }
        a.path
            .as_deref()
            .map(|p| format!("path {p:?} is not simulated"))
    }
    fn config_keys(&self, a: &SimAccount) -> Vec<(&'static str, String)> {
        vec![
            ("api_key", a.api_key.clone()),
            ("secret_key", a.secret_key.clone()),
            ("passphrase", a.passphrase.clone()),
        ]
    }
    fn demo_accounts(&self) -> Vec<SimAccount> {
        demo_accounts()
    }
}

/// The OKX part of the demo set (OKX-only tests use it).
pub fn demo_accounts() -> Vec<SimAccount> {
    let okx = |name: &str, scenario| SimAccount {
        name: name.into(),
        venue: crate::venues::okx::KIND,
        api_key: format!("sim-{name}-key"),
        secret_key: format!("sim-{name}-secret"),
        passphrase: format!("sim-{name}-pass"),
        scenario,
        path: None,
        webull: None,
        okx_uid: None,
    };
    // okx-futures is a second API key of okx-margin's user: one budget.
    let shared = Some(SHARED_UID.to_string());
    vec![
        okx("okx-main", Scenario::Calm),
        SimAccount {
            okx_uid: shared.clone(),
            ..okx("okx-margin", Scenario::MarginSwing)
        },
        SimAccount {
            okx_uid: shared,
            ..okx("okx-futures", Scenario::FuturesSwing)
        },
    ]
}

/// The user id of the demo's two OKX keys that belong to one user.
pub const SHARED_UID: &str = "44705892343619584";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ccy_filter_parsing() {
        assert_eq!(currencies(None), Some(vec![]));
        assert_eq!(
            currencies(Some("ccy=BTC,ETH")),
            Some(vec!["BTC".into(), "ETH".into()])
        );
        assert_eq!(
            currencies(Some("ccy=btc%2Ceth")),
            Some(vec!["BTC".into(), "ETH".into()])
        );
        assert_eq!(currencies(Some("x=1&ccy=")), Some(vec![]));
        assert_eq!(currencies(Some("ccy=%zz%")), Some(vec!["%ZZ%".into()]));
        let many = (0..21)
            .map(|i| format!("C{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(currencies(Some(&format!("ccy={many}"))), None);
    }

    #[test]
    fn amounts_print_like_okx() {
        assert_eq!(num(Decimal::new(1500, 3)), s("1.5"));
        assert_eq!(num(Decimal::new(0, 4)), s("0"));
        assert_eq!(num(Decimal::new(-25000, 0)), s("-25000"));
    }
}
