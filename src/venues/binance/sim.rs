//! Binance as the simulator speaks it (PROTOCOLS.md §5): signed GETs checked
//! as Binance does (key, timestamp within recvWindow, HMAC over the query as
//! sent), request weight per IP and family per calendar minute with the
//! usage headers, `{"code","msg"}` error bodies, 429 with Retry-After, 418
//! for a client that keeps asking during a 429 pause (or when
//! `rate_limit_status` is 418), and clock skew.

use super::{
    API_INFO_PATH, COEFF_PATH, COINM_PATH, DAPI_INFO_PATH, FAPI_INFO_PATH, FUTURES_CONFIG_PATH,
    FUTURES_PATH, Family, ISOLATED_PATH, MARGIN_PATH, PM_ACCOUNT_PATH, PM_BALANCE_PATH, SPOT_PATH,
    TIME_PATH, sign, weight,
};
use crate::sim::state::SimState;
use crate::sim::{Fault, Scenario, SimAccount};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, OnceLock};

type St = State<Arc<SimState>>;

/// Retry-After the simulator sends with 429 and 418, in seconds.
pub const RETRY_AFTER_S: u64 = 2;

pub(crate) fn routes() -> Router<Arc<SimState>> {
    let mut r = Router::new()
        .route(TIME_PATH, get(time))
        .route(API_INFO_PATH, get(info))
        .route(FAPI_INFO_PATH, get(info))
        .route(DAPI_INFO_PATH, get(info));
    for p in [
        SPOT_PATH,
        MARGIN_PATH,
        COEFF_PATH,
        ISOLATED_PATH,
        FUTURES_PATH,
        FUTURES_CONFIG_PATH,
        COINM_PATH,
        PM_ACCOUNT_PATH,
        PM_BALANCE_PATH,
    ] {
        r = r.route(p, get(signed));
    }
    r
}

pub(crate) fn error(status: StatusCode, code: i64, msg: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "code": code, "msg": msg }).to_string(),
    )
        .into_response()
}

fn ok(body: Value, used: Option<(Family, u32)>) -> Response {
    let mut r = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    if let Some((f, used)) = used
        && let Ok(v) = used.to_string().parse()
    {
        r.headers_mut().insert(f.usage_header(), v);
    }
    r
}

async fn time(State(st): St) -> Response {
    ok(json!({ "serverTime": st.now().timestamp_millis() }), None)
}

/// The weight per minute the simulated Binance publishes and enforces per
/// family: the documented defaults, except COIN-M, whose REST exchangeInfo
/// example says 6000 where baltui assumes 2400 until it reads it.
pub fn published_limit(f: Family) -> u32 {
    match f {
        Family::Dapi => 6000,
        f => f.default_limit(),
    }
}

/// The limit of `f` in this simulator: `--binance-weight-limit` if set.
fn limit_of(st: &SimState, f: Family) -> u32 {
    st.opts.binance_weight_limit.unwrap_or(published_limit(f))
}

/// The simulated IP's weight window of family `f`.
fn window_of(st: &Arc<SimState>, f: Family) -> String {
    format!("{:p}|{}", Arc::as_ptr(st), f.label())
        + &match f {
            Family::Sapi(p) => p.to_string(),
            _ => String::new(),
        }
}

async fn info(State(st): St, uri: Uri) -> Response {
    let f = Family::of(uri.path());
    let limit = limit_of(&st, f);
    // exchangeInfo costs weight like any other call (20 on /api, 1 on /fapi).
    if st
        .weigh(&window_of(&st, f), weight(uri.path()), limit)
        .is_none()
    {
        return retry(
            StatusCode::TOO_MANY_REQUESTS,
            -1003,
            "Too much request weight used; current limit is 6000 request weight per 1 MINUTE.",
        );
    }
    ok(
        json!({
            "timezone": "UTC",
            "serverTime": chrono::Utc::now().timestamp_millis(),
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": limit},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
                {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 300000}
            ],
            "symbols": []
        }),
        None,
    )
}

/// 429 pauses by family (per IP: the sim is one IP): until when, unix ms.
fn pauses() -> &'static Mutex<std::collections::HashMap<String, i64>> {
    static P: OnceLock<Mutex<std::collections::HashMap<String, i64>>> = OnceLock::new();
    P.get_or_init(Default::default)
}

fn retry(status: StatusCode, code: i64, msg: &str) -> Response {
    let mut r = error(status, code, msg);
    if let Ok(v) = RETRY_AFTER_S.to_string().parse() {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn param<'a>(q: &'a str, key: &str) -> Option<&'a str> {
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

async fn signed(State(st): St, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().to_string();
    let f = Family::of(&path);
    let key = headers.get("X-MBX-APIKEY").and_then(|v| v.to_str().ok());
    let account = st.arrive(key);
    let window = window_of(&st, f);
    let pause_key = window.clone();
    let now_ms = st.now().timestamp_millis();
    // Asking again during a 429 pause: the IP is banned (418), as Binance does.
    let paused = pauses()
        .lock()
        .map(|p| {
            p.get(&pause_key)
                .is_some_and(|u| *u > chrono::Utc::now().timestamp_millis())
        })
        .unwrap_or(false);
    if paused {
        st.violation();
        return retry(
            StatusCode::IM_A_TEAPOT,
            -1003,
            "Way too much request weight used; IP banned until later. Please use WebSocket Streams for live updates to avoid bans.",
        );
    }
    // Every request costs its weight, an error too.
    let Some(used) = st.weigh(&window, weight(&path), limit_of(&st, f)) else {
        if let Ok(mut p) = pauses().lock() {
            p.insert(
                pause_key,
                chrono::Utc::now().timestamp_millis() + RETRY_AFTER_S as i64 * 1000,
            );
        }
        return retry(
            StatusCode::TOO_MANY_REQUESTS,
            -1003,
            "Too much request weight used; current limit is 6000 request weight per 1 MINUTE.",
        );
    };
    let usage = Some((f, used));
    let Some(account) = account else {
        return error(
            StatusCode::UNAUTHORIZED,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        );
    };
    let q = uri.query().unwrap_or("");
    let Some((payload, sig)) = q.rsplit_once("&signature=") else {
        return error(
            StatusCode::BAD_REQUEST,
            -1102,
            "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
        );
    };
    let ts: Option<i64> = param(payload, "timestamp").and_then(|t| t.parse().ok());
    let recv: i64 = param(payload, "recvWindow")
        .and_then(|t| t.parse().ok())
        .unwrap_or(5000);
    let Some(ts) = ts else {
        return error(
            StatusCode::BAD_REQUEST,
            -1102,
            "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
        );
    };
    if ts >= now_ms + 1000 {
        return error(
            StatusCode::BAD_REQUEST,
            -1021,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        );
    }
    if now_ms - ts > recv {
        return error(
            StatusCode::BAD_REQUEST,
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        );
    }
    if !sign::hmac_hex(&account.secret_key, payload).eq_ignore_ascii_case(sig) {
        return error(
            StatusCode::BAD_REQUEST,
            -1022,
            "Signature for this request is not valid.",
        );
    }
    let fault = st.take_fault(&account.api_key);
    match fault {
        Some(Fault::RateLimited) => {
            let status = StatusCode::from_u16(st.opts.rate_limit_status)
                .ok()
                .filter(|s| s.as_u16() == 418)
                .unwrap_or(StatusCode::TOO_MANY_REQUESTS);
            return retry(
                status,
                -1003,
                "Too much request weight used; current limit is 6000 request weight per 1 MINUTE.",
            );
        }
        Some(Fault::IpBan) => {
            // Binance's web application firewall: 403 with an HTML page, no
            // `{"code","msg"}` body (§5.6).
            return (
                StatusCode::FORBIDDEN,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>",
            )
                .into_response();
        }
        Some(Fault::TokenExpired) => {
            return error(
                StatusCode::UNAUTHORIZED,
                -2015,
                "Invalid API-key, IP, or permissions for action.",
            );
        }
        Some(Fault::ClockSkew) => {
            return error(
                StatusCode::BAD_REQUEST,
                -1021,
                "Timestamp for this request is outside of the recvWindow.",
            );
        }
        Some(Fault::Http500) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body><h1>500 Internal Server Error</h1></body></html>",
            )
                .into_response();
        }
        Some(Fault::Truncated) => {
            return crate::sim::truncated(body(&st, &account, &path, false).to_string());
        }
        Some(Fault::Timeout(d)) => tokio::time::sleep(d).await,
        _ => {}
    }
    if path == ISOLATED_PATH {
        let symbols: Vec<&str> = param(payload, "symbols")
            .map(|v| v.split("%2C").filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        if symbols.len() > super::ISOLATED_PER_CALL {
            st.violation();
            return error(
                StatusCode::BAD_REQUEST,
                -1102,
                "Param 'symbols' allows at most 5 symbols.",
            );
        }
        return ok(isolated(&symbols), usage);
    }
    let mut v = body(&st, &account, &path, true);
    if fault == Some(Fault::Malformed) {
        for p in [
            "/balances/0/free",
            "/userAssets/0/free",
            "/assets/0/walletBalance",
            "/uniMMR",
        ] {
            if let Some(x) = v.pointer_mut(p) {
                *x = Value::String("12.3.4".into());
            }
        }
    }
    ok(v, usage)
}

fn s(d: Decimal) -> Value {
    Value::String(d.round_dp(8).normalize().to_string())
}

/// The cross margin level at `step`: 3.0 -> 1.15 -> 3.0 every 40 replies.
pub fn margin_level(step: u64) -> Decimal {
    let period = crate::sim::scenario::SWING_PERIOD;
    let half = period / 2;
    let dist = Decimal::from((step % period).abs_diff(half)) / Decimal::from(half);
    (Decimal::new(115, 2) + Decimal::new(185, 2) * dist).round_dp(4)
}

/// Isolated pairs: BTCUSDT is at a margin call (level 1.25), the others
/// normal (level 3.5); base asset = the pair less its USDT quote.
fn isolated(symbols: &[&str]) -> Value {
    let asset = |a: &str, borrowed: &str| {
        json!({"asset": a, "borrowEnabled": true, "borrowed": borrowed, "free": "1", "interest": "0",
               "locked": "0", "netAsset": "1", "netAssetOfBtc": "0", "repayEnabled": true, "totalAsset": "1"})
    };
    let pairs: Vec<Value> = symbols
        .iter()
        .map(|sym| {
            let (level, status) = if *sym == "BTCUSDT" {
                ("1.25", "MARGIN_CALL")
            } else {
                ("3.5", "NORMAL")
            };
            let base = sym.strip_suffix("USDT").unwrap_or(sym);
            json!({
                "symbol": sym, "isolatedCreated": true, "enabled": true,
                "marginLevel": level, "marginLevelStatus": status, "marginRatio": "5",
                "indexPrice": "60000", "liquidatePrice": "0", "liquidateRate": "0", "tradeEnabled": true,
                "baseAsset": asset(base, "0"), "quoteAsset": asset("USDT", "100")
            })
        })
        .collect();
    json!({ "assets": pairs })
}

fn body(st: &SimState, a: &SimAccount, path: &str, claim: bool) -> Value {
    let key = a.api_key.as_str();
    // One poll = one step: the margin (classic) or PM account call claims it.
    let step = if claim && (path == MARGIN_PATH || path == PM_ACCOUNT_PATH) {
        st.claim_step(key)
    } else {
        st.step_for(key)
    };
    let wobble = Decimal::from(
        crate::sim::scenario::fnv1a(format!("{}|{}|{step}", st.opts.seed, a.name).as_bytes()) % 100,
    ) / Decimal::from(10_000);
    let btc_usdt = Decimal::from(60_000);
    match path {
        SPOT_PATH => json!({
            "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
            "canTrade": true, "canWithdraw": true, "canDeposit": true, "brokered": false,
            "requireSelfTradePrevention": false, "preventSor": false,
            "updateTime": st.now().timestamp_millis(), "accountType": "SPOT",
            "balances": [
                {"asset": "BTC", "free": s(Decimal::new(25, 2) + wobble), "locked": "0.01"},
                {"asset": "USDT", "free": s(Decimal::from(12_500) + wobble * Decimal::from(100)), "locked": "250"},
                {"asset": "BNB", "free": "3.5", "locked": "0"}
            ],
            "permissions": ["SPOT"], "uid": 354937868
        }),
        MARGIN_PATH => {
            // Liabilities fixed at 20,000 USDT (0.3333 BTC); assets follow the level.
            let liab_usdt = Decimal::from(20_000);
            let level = margin_level(step);
            let assets_usdt = liab_usdt * level;
            let btc_amt = (assets_usdt - Decimal::from(25_000)) / btc_usdt;
            let liab_btc = liab_usdt / btc_usdt;
            json!({
                "created": true, "borrowEnabled": true,
                "marginLevel": s(level), "collateralMarginLevel": s(level * Decimal::new(9, 1)),
                "totalAssetOfBtc": s(assets_usdt / btc_usdt),
                "totalLiabilityOfBtc": s(liab_btc),
                "totalNetAssetOfBtc": s(assets_usdt / btc_usdt - liab_btc),
                "TotalCollateralValueInUSDT": s(assets_usdt * Decimal::new(9, 1)),
                "totalOpenOrderLossInUSDT": "0",
                "tradeEnabled": true, "transferInEnabled": true, "transferOutEnabled": true,
                "accountType": "MARGIN_1",
                "userAssets": [
                    {"asset": "BTC", "borrowed": "0", "free": s(btc_amt), "interest": "0", "locked": "0", "netAsset": s(btc_amt)},
                    {"asset": "USDT", "borrowed": "19980", "free": "25000", "interest": "20", "locked": "0", "netAsset": "5000"}
                ]
            })
        }
        COEFF_PATH => {
            json!({"normalBar": "1.5", "marginCallBar": "1.3", "forceLiquidationBar": "1.1"})
        }
        FUTURES_CONFIG_PATH => json!({
            "feeTier": 0, "canTrade": true, "canDeposit": true, "canWithdraw": true,
            "dualSidePosition": false, "updateTime": 0, "multiAssetsMargin": false, "tradeGroupId": -1
        }),
        FUTURES_PATH | COINM_PATH => {
            let wallet = Decimal::from(8_000);
            let upl = wobble * Decimal::from(1000) - Decimal::from(40);
            let mm = Decimal::from(1_200) + wobble * Decimal::from(500);
            let (asset, wallet, upl, mm) = if path == COINM_PATH {
                ("BTC", Decimal::new(5, 1), upl / btc_usdt, mm / btc_usdt)
            } else {
                ("USDT", wallet, upl, mm)
            };
            let mb = wallet + upl;
            json!({
                "totalInitialMargin": s(mm * Decimal::from(2)), "totalMaintMargin": s(mm),
                "totalWalletBalance": s(wallet), "totalUnrealizedProfit": s(upl),
                "totalMarginBalance": s(mb), "totalPositionInitialMargin": s(mm * Decimal::from(2)),
                "totalOpenOrderInitialMargin": "0", "totalCrossWalletBalance": s(wallet),
                "totalCrossUnPnl": s(upl), "availableBalance": s(mb - mm * Decimal::from(2)),
                "maxWithdrawAmount": s(mb - mm * Decimal::from(2)),
                "assets": [{
                    "asset": asset, "walletBalance": s(wallet), "unrealizedProfit": s(upl),
                    "marginBalance": s(mb), "maintMargin": s(mm), "initialMargin": s(mm * Decimal::from(2)),
                    "positionInitialMargin": s(mm * Decimal::from(2)), "openOrderInitialMargin": "0",
                    "crossWalletBalance": s(wallet), "crossUnPnl": s(upl),
                    "availableBalance": s(mb - mm * Decimal::from(2)), "maxWithdrawAmount": s(mb - mm * Decimal::from(2)),
                    "updateTime": st.now().timestamp_millis()
                }],
                "positions": []
            })
        }
        PM_ACCOUNT_PATH => {
            let equity = Decimal::from(150_000) + wobble * Decimal::from(10_000);
            let mm = Decimal::from(36_000);
            json!({
                "uniMMR": s(equity / mm), "accountEquity": s(equity), "actualEquity": s(equity),
                "accountInitialMargin": s(mm * Decimal::from(2)), "accountMaintMargin": s(mm),
                "accountStatus": "NORMAL", "virtualMaxWithdrawAmount": s(equity - mm * Decimal::from(2)),
                "totalAvailableBalance": s(equity - mm * Decimal::from(2)), "totalMarginOpenLoss": "0",
                "updateTime": st.now().timestamp_millis()
            })
        }
        PM_BALANCE_PATH => json!([
            {"asset": "USDT", "totalWalletBalance": "120000", "crossMarginAsset": "60000",
             "crossMarginBorrowed": "10000", "crossMarginFree": "59000", "crossMarginInterest": "3.5",
             "crossMarginLocked": "1000", "umWalletBalance": "50000", "umUnrealizedPNL": s(wobble * Decimal::from(100)),
             "cmWalletBalance": "0", "cmUnrealizedPNL": "0", "updateTime": st.now().timestamp_millis(), "negativeBalance": "0"},
            {"asset": "BTC", "totalWalletBalance": "0.5", "crossMarginAsset": "0.5",
             "crossMarginBorrowed": "0", "crossMarginFree": "0.5", "crossMarginInterest": "0",
             "crossMarginLocked": "0", "umWalletBalance": "0", "umUnrealizedPNL": "0",
             "cmWalletBalance": "0", "cmUnrealizedPNL": "0", "updateTime": st.now().timestamp_millis(), "negativeBalance": "0"}
        ]),
        _ => json!({}),
    }
}

/// Binance in the simulator.
pub struct BinanceSim;
pub static SIM: BinanceSim = BinanceSim;

impl crate::sim::SimVenue for BinanceSim {
    fn venue(&self) -> crate::model::VenueKind {
        super::KIND
    }
    fn routes(&self) -> Router<Arc<SimState>> {
        routes()
    }
    fn not_found(&self, _st: &SimState, path: &str, fallback: bool) -> Option<Response> {
        let ours = ["/api/v3/", "/sapi/", "/fapi/", "/dapi/", "/papi/"]
            .iter()
            .any(|p| path.starts_with(p));
        (fallback || ours).then(|| error(StatusCode::NOT_FOUND, -1000, "Not Found"))
    }
    fn refuse(&self, a: &SimAccount) -> Option<String> {
        if a.webull.is_some() || a.okx_uid.is_some() || a.path.is_some() {
            return Some("Binance accounts take only name, key, secret and scenario".into());
        }
        None
    }
    fn config_keys(&self, a: &SimAccount) -> Vec<(&'static str, String)> {
        let mode = match a.scenario {
            Scenario::PortfolioMargin => "portfolio_margin",
            _ => "classic",
        };
        vec![
            ("mode", mode.into()),
            ("api_key", a.api_key.clone()),
            ("secret_key", a.secret_key.clone()),
        ]
    }
    fn demo_accounts(&self) -> Vec<SimAccount> {
        demo_accounts()
    }
}

/// The Binance part of the demo set: one classic account whose cross margin
/// level walks through the bars, one Portfolio Margin account.
pub fn demo_accounts() -> Vec<SimAccount> {
    let bn = |name: &str, scenario| SimAccount {
        name: name.into(),
        venue: super::KIND,
        api_key: format!("sim-{name}-key"),
        secret_key: format!("sim-{name}-secret"),
        passphrase: String::new(),
        scenario,
        path: None,
        webull: None,
        okx_uid: None,
    };
    vec![
        bn("bn-main", Scenario::MarginLevelWalk),
        bn("bn-pm", Scenario::PortfolioMargin),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_level_walks_through_the_bars_and_not_to_liquidation() {
        let levels: Vec<Decimal> = (0..40).map(margin_level).collect();
        let min = levels.iter().min().copied().unwrap();
        let max = levels.iter().max().copied().unwrap();
        assert_eq!((min, max), (Decimal::new(115, 2), Decimal::new(3, 0)));
        assert!(
            levels
                .iter()
                .any(|l| *l <= Decimal::new(15, 1) && *l > Decimal::new(13, 1))
        );
        assert!(levels.iter().any(|l| *l <= Decimal::new(13, 1)));
    }
}
