//! Bybit v5 as the simulator speaks it (PROTOCOLS.md §6): /v5/market/time,
//! and signed /v5/account/wallet-balance and /v5/account/info, with the
//! signature checked by the client's own signer, the timing rule, per-UID
//! per-endpoint limits reported in `X-Bapi-*` headers (10006 when over), the
//! per-IP limit (HTTP 403 and a ban), and error bodies
//! `{retCode, retMsg, result, retExtInfo, time}` sent with HTTP 200.
//! A simulated key is an HMAC key, or an RSA key when its `secret_key` is a
//! PEM private key (checked with its public half).
//!
//! A Bybit key has no passphrase: the simulator reads a Bybit account's
//! `passphrase` as its [`Profile`] (the user id it belongs to, so that keys
//! of one user share the per-UID limits, and its `unifiedMarginStatus`).
//! /v5/user/query-api tells the user id.

use crate::sim::scenario::book;
use crate::sim::state::{Admission, SimState};
use crate::sim::{Fault, Scenario, SimAccount};
use crate::venues::bybit::{
    BAN_FIRST, INFO_PATH, IP_LIMIT, IP_WINDOW, TIME_PATH, UID_LIMIT, UID_WINDOW, USER_LIMIT,
    USER_PATH, WALLET_PATH, sign,
};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value, json};
use std::sync::Arc;

type St = State<Arc<SimState>>;

const IP_WINDOW_KEY: &str = "bybit-ip";

pub(crate) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route(TIME_PATH, get(time))
        .route(WALLET_PATH, get(wallet))
        .route(INFO_PATH, get(info))
        .route(USER_PATH, get(user))
}

/// What a simulated Bybit account is besides its key, kept in its
/// `passphrase` as `uid=<id>;status=<n>` (either part may be left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The user id; None: a user of its own (derived from the key).
    pub uid: Option<String>,
    /// `unifiedMarginStatus`: 5 UTA 2.0 (default), 3/4 UTA 1.0, 1 classic.
    pub status: u8,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            uid: None,
            status: 5,
        }
    }
}

impl Profile {
    pub fn encode(&self) -> String {
        let mut parts = vec![format!("status={}", self.status)];
        if let Some(u) = &self.uid {
            parts.push(format!("uid={u}"));
        }
        parts.join(";")
    }

    /// The account's profile; an unreadable part keeps its default.
    pub fn of(a: &SimAccount) -> Profile {
        let mut p = Profile::default();
        for (k, v) in a.passphrase.split(';').filter_map(|kv| kv.split_once('=')) {
            match k.trim() {
                "uid" => p.uid = Some(v.trim().to_string()),
                "status" => p.status = v.trim().parse().unwrap_or(p.status),
                _ => {}
            }
        }
        p
    }

    /// The wallets (`accountType`) this account answers for.
    fn account_types(&self) -> &'static [&'static str] {
        match self.status {
            3 | 4 => &["UNIFIED", "CONTRACT"],
            1 => &["CONTRACT", "SPOT"],
            _ => &["UNIFIED"],
        }
    }
}

/// The user id of a simulated key: its profile's, else a stable number
/// derived from the key (a user of its own).
pub fn uid_of(a: &SimAccount) -> String {
    Profile::of(a).uid.unwrap_or_else(|| {
        let d = crate::venues::digest(&format!("bybit-sim-uid|{}", a.api_key));
        let n = u64::from_str_radix(d.get(..8).unwrap_or("1"), 16).unwrap_or(1);
        (100_000_000 + n % 900_000_000).to_string()
    })
}

fn now_ms(st: &SimState) -> i64 {
    st.now().timestamp_millis()
}

/// A Bybit body (success or error), HTTP 200, with the limit headers.
fn reply(
    st: &SimState,
    code: i64,
    msg: &str,
    result: Value,
    limit: Option<(u32, i64, i64)>,
) -> Response {
    let body = json!({
        "retCode": code,
        "retMsg": msg,
        "result": result,
        "retExtInfo": {},
        "time": now_ms(st),
    });
    let mut r = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    if let Some((limit, left, reset)) = limit {
        let h = r.headers_mut();
        for (k, v) in [
            ("X-Bapi-Limit", i64::from(limit)),
            ("X-Bapi-Limit-Status", left),
            ("X-Bapi-Limit-Reset-Timestamp", reset),
        ] {
            if let Ok(v) = HeaderValue::from_str(&v.to_string()) {
                h.insert(k, v);
            }
        }
    }
    r
}

fn error(st: &SimState, code: i64, msg: &str) -> Response {
    reply(st, code, msg, json!({}), None)
}

/// HTTP 403, as Bybit's gateway sends it for the IP limit (not JSON).
fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain")],
        "access too frequent",
    )
        .into_response()
}

/// The per-IP limit: 600 per 5 s; over it (or during a ban) HTTP 403 and a
/// ban of BAN_FIRST.
fn ip_gate(st: &SimState) -> Option<Response> {
    if st.ip_banned() {
        return Some(forbidden());
    }
    if !st.within_shared(IP_WINDOW_KEY, IP_LIMIT as usize, IP_WINDOW) {
        st.ban_ip(BAN_FIRST);
        return Some(forbidden());
    }
    None
}

async fn time(State(st): St) -> Response {
    if let Some(r) = ip_gate(&st) {
        return r;
    }
    let now = st.now();
    let nanos = i128::from(now.timestamp_millis()) * 1_000_000;
    reply(
        &st,
        0,
        "OK",
        json!({
            "timeSecond": now.timestamp().to_string(),
            "timeNano": nanos.to_string(),
        }),
        None,
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Call {
    Wallet,
    Info,
    User,
}

/// The header checks, in Bybit's order; counts the request. Err: the reply.
fn authenticate(
    st: &SimState,
    uri: &Uri,
    headers: &HeaderMap,
    call: Call,
) -> Result<SimAccount, Refusal> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
    };
    let key = get("X-BAPI-API-KEY");
    let account = match call {
        Call::Wallet => st.arrive(key),
        Call::Info | Call::User => st.arrive_config(key),
    };
    let Some(account) = account.filter(|a| a.venue == crate::venues::bybit::KIND) else {
        return Err((10003, "API key is invalid.".into()));
    };
    let (Some(ts), Some(signature)) = (get("X-BAPI-TIMESTAMP"), get("X-BAPI-SIGN")) else {
        return Err((
            10004,
            "Error sign, please check your signature generation algorithm.".into(),
        ));
    };
    let recv = get("X-BAPI-RECV-WINDOW").unwrap_or("5000");
    let server = now_ms(st);
    let fresh = match (ts.parse::<i64>(), recv.parse::<i64>()) {
        // server_time - recv_window <= timestamp < server_time + 1000
        (Ok(t), Ok(r)) => server - r <= t && t < server + 1000,
        _ => false,
    };
    if !fresh {
        return Err((10002, clock_message(ts, server, recv)));
    }
    let query = uri.query().unwrap_or("");
    let payload = sign::payload(ts, &account.api_key, recv, query);
    // A key whose secret is a PEM private key is an RSA key (its public
    // half is what Bybit would hold); any other is an HMAC secret.
    let valid = if account.secret_key.starts_with("-----BEGIN") {
        sign::RsaKey::from_pem(&account.secret_key).is_ok_and(|k| k.verifies(&payload, signature))
    } else {
        signature == sign::hmac_hex(&account.secret_key, &payload)
    };
    if !valid {
        return Err((
            10004,
            "Error sign, please check your signature generation algorithm.".into(),
        ));
    }
    Ok(account)
}

/// An authentication refusal: retCode and retMsg (sent with HTTP 200).
type Refusal = (i64, String);

fn clock_message(ts: &str, server: i64, recv: &str) -> String {
    format!(
        "invalid request, please check your server timestamp or recv_window param. req_timestamp[{}],server_timestamp[{server}],recv_window[{}]",
        crate::decimal::excerpt(ts),
        crate::decimal::excerpt(recv)
    )
}

fn clock_error(st: &SimState, ts: &str, server: i64, recv: &str) -> Response {
    error(st, 10002, &clock_message(ts, server, recv))
}

/// The per-UID, per-endpoint window: every key of one user counts on it.
fn uid_window(account: &SimAccount, call: Call) -> String {
    let ep = match call {
        Call::Wallet => "wallet",
        Call::Info => "info",
        Call::User => "user",
    };
    format!("bybit-uid|{}|{ep}", uid_of(account))
}

/// What the limit headers say after an accepted request.
fn limit_headers(st: &SimState, window_key: &str, limit: u32) -> (u32, i64, i64) {
    let used = st.shared_count(window_key, UID_WINDOW);
    let left = i64::from(limit).saturating_sub(used as i64).max(0);
    (limit, left, now_ms(st))
}

fn too_many(st: &SimState, limit: u32) -> Response {
    let reset = now_ms(st) + UID_WINDOW.as_millis() as i64;
    reply(
        st,
        10006,
        "Too many visits!",
        json!({}),
        Some((limit, 0, reset)),
    )
}

/// Get API Key Information: the key's user id (10 per second per UID).
async fn user(State(st): St, uri: Uri, headers: HeaderMap) -> Response {
    if let Some(r) = ip_gate(&st) {
        return r;
    }
    let account = match authenticate(&st, &uri, &headers, Call::User) {
        Ok(a) => a,
        Err((code, msg)) => return error(&st, code, &msg),
    };
    let wk = uid_window(&account, Call::User);
    if !st.within_shared(&wk, USER_LIMIT as usize, UID_WINDOW) {
        return too_many(&st, USER_LIMIT);
    }
    let uid: Value = uid_of(&account)
        .parse::<u64>()
        .map_or_else(|_| s(&uid_of(&account)), Value::from);
    let status = Profile::of(&account).status;
    let result = json!({
        "id": "16651472",
        "note": "baltui simulator",
        "apiKey": account.api_key,
        "readOnly": 1,
        "secret": "",
        "permissions": {"ContractTrade": [], "Spot": [], "Wallet": [], "Options": [],
            "Derivatives": [], "CopyTrading": [], "BlockTrade": [], "Exchange": [], "NFT": []},
        "ips": ["*"],
        "type": 1,
        "deadlineDay": 88,
        "expiredAt": "2027-05-15T03:13:24Z",
        "createdAt": "2026-02-15T03:13:24Z",
        "unified": 0,
        "uta": i32::from(status != 1),
        "userID": uid,
        "inviterID": 0,
        "vipLevel": "No VIP",
        "mktMakerLevel": "0",
        "affiliateID": 0,
    });
    let limit = limit_headers(&st, &wk, USER_LIMIT);
    reply(&st, 0, "OK", result, Some(limit))
}

async fn info(State(st): St, uri: Uri, headers: HeaderMap) -> Response {
    if let Some(r) = ip_gate(&st) {
        return r;
    }
    let account = match authenticate(&st, &uri, &headers, Call::Info) {
        Ok(a) => a,
        Err((code, msg)) => return error(&st, code, &msg),
    };
    let wk = uid_window(&account, Call::Info);
    if !st.within_shared(&wk, UID_LIMIT as usize, UID_WINDOW) {
        return too_many(&st, UID_LIMIT);
    }
    let result = json!({
        "marginMode": "REGULAR_MARGIN",
        "updatedTime": "1748312640000",
        "unifiedMarginStatus": Profile::of(&account).status,
        "dcpStatus": "OFF",
        "timeWindow": 0,
        "smpGroup": 0,
        "isMasterTrader": false,
        "spotHedgingStatus": "OFF",
    });
    let limit = limit_headers(&st, &wk, UID_LIMIT);
    reply(&st, 0, "OK", result, Some(limit))
}

async fn wallet(State(st): St, uri: Uri, headers: HeaderMap) -> Response {
    if let Some(r) = ip_gate(&st) {
        return r;
    }
    let account = match authenticate(&st, &uri, &headers, Call::Wallet) {
        Ok(a) => a,
        Err((code, msg)) => return error(&st, code, &msg),
    };
    let key = account.api_key.as_str();
    let wk = uid_window(&account, Call::Wallet);
    let account_type = uri
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("accountType="))
        .unwrap_or("")
        .to_string();
    if account_type != "UNIFIED" {
        // Every account type counts on the user's one wallet-balance window
        // (stricter than Bybit may be); the other wallets take no faults
        // and do not advance the drift.
        if !st.within_shared(&wk, UID_LIMIT as usize, UID_WINDOW) {
            return too_many(&st, UID_LIMIT);
        }
        if !Profile::of(&account)
            .account_types()
            .contains(&account_type.as_str())
        {
            return error(&st, 10001, "accountType only support UNIFIED.");
        }
        let limit = limit_headers(&st, &wk, UID_LIMIT);
        return reply(&st, 0, "OK", other_wallet(&account_type), Some(limit));
    }
    let fault = match st.admit_shared(key, &wk, UID_LIMIT as usize, UID_WINDOW) {
        Admission::Ok => None,
        Admission::Limited => return too_many(&st, UID_LIMIT),
        Admission::Fault(f) => Some(f),
    };
    if !Profile::of(&account).account_types().contains(&"UNIFIED") {
        return error(&st, 10001, "accountType only support CONTRACT, SPOT.");
    }
    let limit = limit_headers(&st, &wk, UID_LIMIT);
    let ok = |v: Value| reply(&st, 0, "OK", v, Some(limit));
    match fault {
        None | Some(Fault::ErrorBodyOk | Fault::UnknownRiskLevel) => {
            ok(render(&st, &account, st.claim_step(key)))
        }
        Some(Fault::RateLimited) => too_many(&st, UID_LIMIT),
        Some(Fault::IpBan) => {
            st.ban_ip(BAN_FIRST);
            forbidden()
        }
        Some(Fault::ClockSkew) => {
            let server = now_ms(&st);
            let ts = headers
                .get("X-BAPI-TIMESTAMP")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            clock_error(&st, ts, server, "5000")
        }
        Some(Fault::TokenExpired) => error(&st, 33004, "Your api key has expired."),
        Some(Fault::Http500) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body><h1>500 Internal Server Error</h1></body></html>",
        )
            .into_response(),
        Some(Fault::Timeout(d)) => {
            let step = st.claim_step(key);
            tokio::time::sleep(d).await;
            ok(render(&st, &account, step))
        }
        Some(Fault::Malformed) => {
            let mut v = render(&st, &account, st.step_for(key));
            if let Some(c) = v.pointer_mut("/list/0/coin/0/walletBalance") {
                *c = Value::String("12.3.4".into());
            }
            ok(v)
        }
        Some(Fault::Truncated) => {
            let body = json!({
                "retCode": 0,
                "retMsg": "OK",
                "result": render(&st, &account, st.step_for(key)),
                "retExtInfo": {},
                "time": now_ms(&st),
            });
            crate::sim::truncated(body.to_string())
        }
    }
}

/// The inverse derivatives (CONTRACT) wallet of a UTA 1.0 or classic
/// account: (coin, walletBalance, equity, unrealisedPnl). Fixed values.
pub const CONTRACT_COINS: &[(&str, &str, &str, &str)] = &[
    ("BTC", "0.25", "0.2512", "0.0012"),
    ("ETH", "3", "2.98", "-0.02"),
];

/// The spot wallet of a classic account: (coin, walletBalance, locked).
pub const SPOT_COINS: &[(&str, &str, &str)] = &[("USDT", "1250.5", "50")];

/// `result` of a CONTRACT or SPOT wallet-balance call, shaped as the live
/// sample of ccxt/ccxt#20845: every account-wide field "", no USD value.
fn other_wallet(account_type: &str) -> Value {
    let coins: Vec<Value> = if account_type == "CONTRACT" {
        CONTRACT_COINS
            .iter()
            .map(|(c, wb, eq, upl)| {
                json!({"coin": c, "equity": eq, "usdValue": "", "walletBalance": wb,
                    "availableToWithdraw": wb, "borrowAmount": "", "accruedInterest": "",
                    "totalOrderIM": "0", "totalPositionIM": "0", "totalPositionMM": "",
                    "unrealisedPnl": upl, "cumRealisedPnl": "0", "locked": "0", "free": ""})
            })
            .collect()
    } else {
        SPOT_COINS
            .iter()
            .map(|(c, wb, locked)| {
                json!({"coin": c, "equity": "", "usdValue": "", "walletBalance": wb,
                    "free": wb, "locked": locked, "borrowAmount": "", "accruedInterest": "",
                    "availableToWithdraw": "", "unrealisedPnl": "", "cumRealisedPnl": ""})
            })
            .collect()
    };
    let mut a = Map::new();
    for k in [
        "totalEquity",
        "accountIMRate",
        "totalMarginBalance",
        "totalInitialMargin",
        "totalAvailableBalance",
        "accountMMRate",
        "totalPerpUPL",
        "totalWalletBalance",
        "accountLTV",
        "totalMaintenanceMargin",
    ] {
        a.insert(k.into(), s(""));
    }
    a.insert("accountType".into(), s(account_type));
    a.insert("coin".into(), Value::Array(coins));
    json!({ "list": [Value::Object(a)] })
}

/// Amount as Bybit prints it: a string, no trailing zeros, "0" for zero.
fn num(d: Decimal) -> Value {
    Value::String(if d.is_zero() {
        "0".into()
    } else {
        d.normalize().to_string()
    })
}

/// A rate as Bybit prints it: 4 decimals, truncated.
fn rate(part: Decimal, whole: Decimal) -> Value {
    if whole <= Decimal::ZERO {
        return Value::String("0".into());
    }
    num((part / whole).round_dp_with_strategy(4, RoundingStrategy::ToZero))
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

/// `result` of the wallet-balance call for `step`, every documented field.
pub(crate) fn render(st: &SimState, account: &SimAccount, step: u64) -> Value {
    let b = book(st.opts.seed, &account.name, account.scenario, step);
    let coins: Vec<Value> = b
        .holdings
        .iter()
        .filter(|h| !(h.cash.is_zero() && h.equity().is_zero() && h.liab.is_zero()))
        .map(|h| {
            // walletBalance includes spot borrowing (since 2025-10).
            let wallet = (h.cash + h.liab).round_dp(h.scale);
            let fields = [
                ("availableToBorrow", s("")),
                ("bonus", s("0")),
                ("accruedInterest", num(h.interest)),
                ("availableToWithdraw", s("")),
                ("totalOrderIM", s("0")),
                ("equity", num(h.equity())),
                ("totalPositionMM", s("0")),
                ("usdValue", num(h.eq_usd())),
                ("spotHedgingQty", s("0")),
                ("unrealisedPnl", num(h.upl)),
                ("collateralSwitch", Value::Bool(true)),
                ("borrowAmount", num(h.liab)),
                ("totalPositionIM", s("0")),
                ("walletBalance", num(wallet)),
                ("cumRealisedPnl", s("0")),
                ("locked", num(h.frozen)),
                ("marginCollateral", Value::Bool(true)),
                ("coin", s(h.ccy)),
                ("spotBorrow", num(h.liab)),
                ("colRes", s(&h.col_res.to_string())),
                ("free", s("")),
            ];
            Value::Object(
                fields
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            )
        })
        .collect();
    let total_eq = b.total_eq();
    let (margin_balance, im, mm, upl) = match &b.margin {
        Some(m) => (m.adj_eq, m.imr, m.mmr, m.upl),
        None => (total_eq, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO),
    };
    let wallet_balance = (margin_balance - upl).round_dp(4);
    let available = (margin_balance - im).max(Decimal::ZERO).round_dp(4);
    let mut a = Map::new();
    for (k, v) in [
        ("totalEquity", num(total_eq)),
        ("accountIMRate", rate(im, margin_balance)),
        ("accountIMRateByMp", rate(im, margin_balance)),
        ("totalMarginBalance", num(margin_balance)),
        ("totalInitialMargin", num(im)),
        ("totalInitialMarginByMp", num(im)),
        ("accountType", s("UNIFIED")),
        ("totalAvailableBalance", num(available)),
        ("accountMMRate", rate(mm, margin_balance)),
        ("accountMMRateByMp", rate(mm, margin_balance)),
        ("totalPerpUPL", num(upl)),
        ("totalWalletBalance", num(wallet_balance)),
        ("accountLTV", s("0")),
        ("totalMaintenanceMargin", num(mm)),
        ("totalMaintenanceMarginByMp", num(mm)),
        ("coin", Value::Array(coins)),
    ] {
        a.insert(k.into(), v);
    }
    json!({ "list": [Value::Object(a)] })
}

/// Bybit in the simulator.
pub struct BybitSim;
pub static SIM: BybitSim = BybitSim;

impl crate::sim::SimVenue for BybitSim {
    fn venue(&self) -> crate::model::VenueKind {
        crate::venues::bybit::KIND
    }
    fn routes(&self) -> Router<Arc<SimState>> {
        routes()
    }
    fn not_found(&self, _st: &SimState, path: &str, fallback: bool) -> Option<Response> {
        (!fallback && path.starts_with("/v5/"))
            .then(|| (StatusCode::NOT_FOUND, "Not Found").into_response())
    }
    fn refuse(&self, a: &SimAccount) -> Option<String> {
        if a.webull.is_some() {
            return Some("`webull` is for Webull app keys only".into());
        }
        if a.okx_uid.is_some() {
            return Some("`okx_uid` is for OKX keys only".into());
        }
        a.path
            .as_deref()
            .map(|p| format!("path {p:?} is not simulated"))
    }
    fn config_keys(&self, a: &SimAccount) -> Vec<(&'static str, String)> {
        let key = if a.secret_key.starts_with("-----BEGIN") {
            "private_key"
        } else {
            "secret_key"
        };
        vec![("api_key", a.api_key.clone()), (key, a.secret_key.clone())]
    }
    fn demo_accounts(&self) -> Vec<SimAccount> {
        demo_accounts()
    }
}

/// The Bybit part of the demo set: one unified account whose maintenance
/// margin rate swings up to about 83% (critical at 80%, liquidation at 100%).
pub fn demo_accounts() -> Vec<SimAccount> {
    vec![account("bybit-unified", Scenario::MarginSwing)]
}

/// A simulated Bybit account (HMAC key) named `name`, with `profile`.
pub fn account_with(name: &str, scenario: Scenario, profile: &Profile) -> SimAccount {
    SimAccount {
        passphrase: profile.encode(),
        ..account(name, scenario)
    }
}

/// A simulated Bybit account (HMAC key) named `name`: UTA 2.0, a user of
/// its own.
pub fn account(name: &str, scenario: Scenario) -> SimAccount {
    SimAccount {
        name: name.into(),
        venue: crate::venues::bybit::KIND,
        api_key: format!("sim-{name}-key"),
        secret_key: format!("sim-{name}-secret"),
        passphrase: String::new(),
        scenario,
        path: None,
        webull: None,
        okx_uid: None,
    }
}
