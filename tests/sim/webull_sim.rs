//! The simulator's Webull endpoints over raw HTTP: requests are signed here
//! with the signer (`venues::webull::sign`), not with a Webull client, so
//! these tests pin the wire protocol the client must speak.

use baltui::sim::scenario::fx_usd;
use baltui::sim::{Fault, Sim, SimAccount, SimOptions, WebullApp};
use baltui::venues::webull::sign::{self, Algorithm};
use baltui::venues::webull::sim::{
    BALANCE_PATH as BALANCE, SUBSCRIPTIONS_PATH as SUBSCRIPTIONS,
    demo_accounts as webull_demo_accounts,
};
use rust_decimal::Decimal;
use serde_json::Value;
use std::time::Duration;

const ACC1: &str = "SIMWBACC0001";
const ACC2: &str = "SIMWBACC0002";

async fn start(seed: u64, accounts: Vec<SimAccount>) -> Sim {
    Sim::start(
        "127.0.0.1:0".parse().unwrap(),
        SimOptions {
            seed,
            ..SimOptions::default()
        },
        accounts,
    )
    .await
    .unwrap()
}

fn hk() -> SimAccount {
    webull_demo_accounts().remove(0)
}

/// The demo app key with a budget no test here reaches (auth and fault
/// tests send many requests; the rate tests use the real budgets).
fn roomy() -> SimAccount {
    let mut a = hk();
    if let Some(w) = a.webull.as_mut() {
        w.rate = (1000, Duration::from_secs(1));
    }
    a
}

/// A second app key with its own brokerage account.
fn other() -> SimAccount {
    let mut a = hk();
    a.name = "wb-other".into();
    a.api_key = "sim-wb-other-app-key".into();
    a.secret_key = "sim-wb-other-app-secret".into();
    a.webull = Some(WebullApp::hk(&[("SIMWBOTHER1", "5MV09001")]));
    a
}

/// A unique nonce per request, as the SDK's (a UUID).
fn nonce() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A signed GET as the official SDK sends it; each field can be spoiled.
#[derive(Clone)]
struct Get {
    key: String,
    secret: String,
    token: Option<String>,
    path: &'static str,
    query: Vec<(String, String)>,
    algorithm: Algorithm,
    /// Host to sign; None = the Host header sent (with the port).
    sign_host: Option<String>,
    timestamp: String,
    nonce: String,
    /// Leave this header out.
    omit: Option<&'static str>,
    /// Send this x-signature-algorithm instead of the signed one.
    algorithm_header: Option<&'static str>,
}

impl Get {
    fn new(a: &SimAccount, path: &'static str, query: &[(&str, &str)]) -> Get {
        Get {
            key: a.api_key.clone(),
            secret: a.secret_key.clone(),
            token: (!a.passphrase.is_empty()).then(|| a.passphrase.clone()),
            path,
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            algorithm: Algorithm::HmacSha256,
            sign_host: None,
            timestamp: sign::timestamp(chrono::Utc::now()),
            nonce: nonce(),
            omit: None,
            algorithm_header: None,
        }
    }

    fn balance(a: &SimAccount, account_id: &str) -> Get {
        Get::new(a, BALANCE, &[("account_id", account_id)])
    }

    async fn send(&self, sim: &Sim) -> Reply {
        self.send_with(sim, &reqwest::Client::new()).await.unwrap()
    }

    async fn send_with(&self, sim: &Sim, http: &reqwest::Client) -> reqwest::Result<Reply> {
        let host = sim.addr.to_string();
        let query: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let signature = sign::sign(
            &self.secret,
            &sign::Request {
                path: self.path,
                query: &query,
                body: None,
                app_key: &self.key,
                host: self.sign_host.as_deref().unwrap_or(&host),
                timestamp: &self.timestamp,
                nonce: &self.nonce,
                algorithm: self.algorithm,
            },
        );
        let algorithm = self.algorithm_header.unwrap_or(self.algorithm.header());
        let mut headers = vec![
            ("x-app-key", self.key.as_str()),
            ("x-timestamp", &self.timestamp),
            ("x-signature-version", sign::SIGNATURE_VERSION),
            ("x-signature-algorithm", algorithm),
            ("x-signature-nonce", &self.nonce),
            ("x-signature", &signature),
            ("x-version", "v1"),
        ];
        if let Some(t) = &self.token {
            headers.push(("x-access-token", t));
        }
        let mut req = http
            .get(format!("{}{}", sim.base_url(), self.path))
            .query(&self.query);
        for (k, v) in headers {
            if self.omit != Some(k) {
                req = req.header(k, v);
            }
        }
        let r = req.send().await?;
        let status = r.status().as_u16();
        let request_id = r
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let text = r.text().await?;
        Ok(Reply {
            status,
            request_id,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        })
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    request_id: Option<String>,
    body: Value,
    text: String,
}

impl Reply {
    fn assert_ok(&self) -> &Value {
        assert_eq!(self.status, 200, "{}", self.text);
        assert!(self.request_id.is_some(), "X-Request-Id on a success");
        &self.body
    }

    fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.body["error_code"].as_str()),
            (status, Some(code)),
            "{}",
            self.text
        );
        assert!(self.body["message"].is_string(), "{}", self.text);
        assert!(self.request_id.is_some(), "X-Request-Id on an error");
    }
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("amount as a string: {v}"))
        .parse()
        .unwrap_or_else(|_| panic!("amount: {v}"))
}

fn decimals(v: &Value) -> usize {
    v.as_str()
        .and_then(|s| s.split_once('.'))
        .map_or(0, |(_, f)| f.len())
}

fn currency<'a>(body: &'a Value, ccy: &str) -> &'a Value {
    body["account_currency_assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["currency"] == ccy)
        .unwrap_or_else(|| panic!("{ccy} in {body}"))
}

const ASSET_FIELDS: [&str; 10] = [
    "currency",
    "net_liquidation_value",
    "positions_market_value",
    "cash_balance",
    "margin_power",
    "cash_power",
    "pending_incoming",
    "cash_frozen",
    "available_withdrawal",
    "interests_unpaid",
];

/// The documented fields, each amount a string with the doc's decimals, and
/// the totals consistent with the per-currency figures.
fn assert_documented_shape(body: &Value, account_id: &str, total_ccy: &str) {
    let mut top: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    top.sort_unstable();
    assert_eq!(
        top,
        [
            "account_currency_assets",
            "account_id",
            "margin_utilization_rate",
            "total_asset",
            "total_asset_currency",
            "total_cash_balance",
            "total_market_value",
        ]
    );
    assert_eq!(body["account_id"], account_id);
    assert_eq!(body["total_asset_currency"], total_ccy);
    assert_eq!(decimals(&body["margin_utilization_rate"]), 2);
    let assets = body["account_currency_assets"].as_array().unwrap();
    let ccys: Vec<&str> = assets
        .iter()
        .map(|c| c["currency"].as_str().unwrap())
        .collect();
    assert_eq!(ccys, ["HKD", "USD", "CNH"]);
    let to = fx_usd(total_ccy).unwrap();
    let mut sums = [Decimal::ZERO; 3];
    for c in assets {
        let mut keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut want = ASSET_FIELDS.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want);
        for f in &ASSET_FIELDS[1..] {
            assert_eq!(decimals(&c[f]), 6, "{f}: {}", c[f]);
        }
        let nlv = dec(&c["net_liquidation_value"]);
        let pmv = dec(&c["positions_market_value"]);
        let cash = dec(&c["cash_balance"]);
        assert_eq!(nlv, pmv + cash + dec(&c["pending_incoming"]));
        let k = fx_usd(c["currency"].as_str().unwrap()).unwrap() / to;
        sums[0] += nlv * k;
        sums[1] += pmv * k;
        sums[2] += cash * k;
    }
    for (f, sum) in ["total_asset", "total_market_value", "total_cash_balance"]
        .iter()
        .zip(sums)
    {
        assert_eq!(decimals(&body[f]), 10, "{f}: {}", body[f]);
        assert_eq!(dec(&body[f]), sum.round_dp(10), "{f}");
    }
}

#[tokio::test]
async fn signed_balance_with_either_algorithm_has_the_documented_shape() {
    let a = roomy();
    let sim = start(42, vec![a.clone()]).await;
    for algorithm in [Algorithm::HmacSha256, Algorithm::HmacSha1] {
        let mut g = Get::balance(&a, ACC1);
        g.algorithm = algorithm;
        let r = g.send(&sim).await;
        let body = r.assert_ok();
        assert_documented_shape(body, ACC1, "HKD");
        // The margin loan: USD borrowed, nothing to withdraw in USD.
        let usd = currency(body, "USD");
        assert!(dec(&usd["cash_balance"]) < Decimal::ZERO, "{usd}");
        assert_eq!(usd["available_withdrawal"], "0.000000");
        let rate = dec(&body["margin_utilization_rate"]);
        assert!(
            rate > Decimal::ZERO && rate < Decimal::ONE_HUNDRED,
            "{rate}"
        );
    }
    for ccy in ["USD", "CNH", "HKD"] {
        let g = Get::new(
            &a,
            BALANCE,
            &[("account_id", ACC2), ("total_asset_currency", ccy)],
        );
        let r = g.send(&sim).await;
        let body = r.assert_ok();
        assert_documented_shape(body, ACC2, ccy);
        assert_eq!(body["margin_utilization_rate"], "0.00");
        assert!(dec(&currency(body, "USD")["cash_balance"]) > Decimal::ZERO);
    }
    assert_eq!(sim.state.step_for_sub(&a.api_key, ACC1), 2);
    assert_eq!(sim.state.step_for_sub(&a.api_key, ACC2), 3);
    let bad = Get::new(
        &a,
        BALANCE,
        &[("account_id", ACC1), ("total_asset_currency", "EUR")],
    );
    bad.send(&sim).await.assert_error(400, "ILLEGAL_PARAMETER");
    Get::new(&a, BALANCE, &[])
        .send(&sim)
        .await
        .assert_error(400, "ILLEGAL_PARAMETER");
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn discovery_lists_the_two_sub_accounts() {
    let a = roomy();
    let sim = start(42, vec![a.clone(), other()]).await;
    let r = Get::new(&a, SUBSCRIPTIONS, &[]).send(&sim).await;
    let list = r.assert_ok().as_array().unwrap().clone();
    let ids: Vec<(&str, &str)> = list
        .iter()
        .map(|s| {
            (
                s["account_id"].as_str().unwrap(),
                s["account_number"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(ids, [(ACC1, "5MV01001"), (ACC2, "5MV01002")]);
    for s in &list {
        let mut keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["account_id", "account_number", "subscription_id", "user_id"]
        );
        assert!(s["subscription_id"].as_str().is_some_and(|v| !v.is_empty()));
        assert_eq!(s["user_id"], list[0]["user_id"]);
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn auth_failures_carry_webull_codes() {
    let a = roomy();
    let sim = start(42, vec![a.clone(), other()]).await;
    let ok = || Get::balance(&a, ACC1);

    // Another app key's account.
    let r = Get::balance(&a, "SIMWBOTHER1").send(&sim).await;
    r.assert_error(401, "INVALID_TOKEN");
    assert_eq!(
        r.body["message"],
        "401 UNAUTHORIZED \"app_id and account_id not related\""
    );
    // Unknown account id.
    Get::balance(&a, "NOPE")
        .send(&sim)
        .await
        .assert_error(401, "INVALID_TOKEN");

    let mut g = ok();
    g.secret = "wrong".into();
    g.send(&sim).await.assert_error(401, "UNAUTHORIZED");

    let mut g = ok();
    g.key = "unknown-app-key".into();
    g.send(&sim).await.assert_error(401, "UNAUTHORIZED");

    let mut g = ok();
    g.token = None;
    g.send(&sim).await.assert_error(401, "INVALID_TOKEN");
    let mut g = ok();
    g.token = Some("stale-token".into());
    g.send(&sim).await.assert_error(401, "INVALID_TOKEN");

    // The Host header as received (with the port) is what is signed.
    let mut g = ok();
    g.sign_host = Some("127.0.0.1".into());
    g.send(&sim).await.assert_error(401, "UNAUTHORIZED");
    let mut g = ok();
    g.sign_host = Some(sim.addr.to_string());
    g.send(&sim).await.assert_ok();

    // A reused nonce is a replay, even fully re-signed.
    let g = ok();
    g.send(&sim).await.assert_ok();
    let mut again = ok();
    again.nonce = g.nonce.clone();
    again.send(&sim).await.assert_error(401, "UNAUTHORIZED");

    // More than 60 s either way (65: timestamps are whole seconds, and a loaded
    // machine delays the request, so 61 can land on the 60 s edge).
    for skew in [-65, 65] {
        let mut g = ok();
        g.timestamp = sign::timestamp(chrono::Utc::now() + chrono::Duration::seconds(skew));
        g.send(&sim).await.assert_error(401, "CLOCK_SKEW_EXCEEDED");
    }
    let mut g = ok();
    g.timestamp = sign::timestamp(chrono::Utc::now() - chrono::Duration::seconds(50));
    g.send(&sim).await.assert_ok();
    // The sim clock is what counts.
    sim.state.set_clock_offset_ms(120_000);
    ok().send(&sim)
        .await
        .assert_error(401, "CLOCK_SKEW_EXCEEDED");
    sim.state.set_clock_offset_ms(0);

    let mut g = ok();
    g.timestamp = "2024-01-01 00:00:00".into();
    g.send(&sim).await.assert_error(401, "UNAUTHORIZED");

    let mut g = ok();
    g.algorithm_header = Some("HMAC-MD5");
    g.send(&sim).await.assert_error(401, "UNAUTHORIZED");
    // Signed with SHA-1, announced as SHA-256.
    let mut g = ok();
    g.algorithm = Algorithm::HmacSha1;
    g.algorithm_header = Some("HMAC-SHA256");
    g.send(&sim).await.assert_error(401, "UNAUTHORIZED");

    for header in [
        "x-app-key",
        "x-timestamp",
        "x-signature-version",
        "x-signature-algorithm",
        "x-signature-nonce",
        "x-signature",
    ] {
        let mut g = ok();
        g.omit = Some(header);
        let r = g.send(&sim).await;
        r.assert_error(401, "UNAUTHORIZED");
        assert!(r.text.contains(header), "{header}: {}", r.text);
    }
    // x-version is not signed and not required.
    let mut g = ok();
    g.omit = Some("x-version");
    g.send(&sim).await.assert_ok();

    // An app key without a token needs none.
    let mut open = other();
    open.passphrase = String::new();
    let sim2 = start(1, vec![open.clone()]).await;
    Get::balance(&open, "SIMWBOTHER1")
        .send(&sim2)
        .await
        .assert_ok();

    // Only the replay counted as a violation.
    assert_eq!(sim.state.violations(), 1);
    sim.shutdown().await;
    sim2.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_and_methods_get_webull_errors() {
    let sim = start(42, vec![roomy()]).await;
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/account/nope", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.headers().contains_key("x-request-id"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error_code"], "NOT_FOUND");
    let r = http
        .post(format!("{}{BALANCE}", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error_code"], "METHOD_NOT_ALLOWED");
    sim.shutdown().await;
}

#[tokio::test]
async fn hk_budget_is_two_per_two_seconds_per_app_key() {
    let a = hk();
    assert_eq!(a.webull.as_ref().unwrap().rate, WebullApp::HK_RATE);
    // Another app key has its own budget.
    let sim = start(42, vec![a.clone(), other()]).await;
    Get::balance(&a, ACC1).send(&sim).await.assert_ok();
    Get::new(&a, SUBSCRIPTIONS, &[])
        .send(&sim)
        .await
        .assert_ok();
    Get::balance(&a, ACC2)
        .send(&sim)
        .await
        .assert_error(429, "TOO_MANY_REQUESTS");
    assert_eq!(sim.state.violations(), 1);
    Get::balance(&other(), "SIMWBOTHER1")
        .send(&sim)
        .await
        .assert_ok();
    // Refusals do not extend the window: back as soon as the oldest ages out.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    Get::balance(&a, ACC2).send(&sim).await.assert_ok();
    assert_eq!(sim.state.violations(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn us_budget_is_ten_per_thirty_seconds() {
    let mut a = hk();
    if let Some(w) = a.webull.as_mut() {
        w.rate = WebullApp::US_RATE;
    }
    let sim = start(42, vec![a.clone()]).await;
    for i in 0..10 {
        let g = if i % 2 == 0 {
            Get::balance(&a, ACC1)
        } else {
            Get::new(&a, SUBSCRIPTIONS, &[])
        };
        g.send(&sim).await.assert_ok();
    }
    Get::balance(&a, ACC2)
        .send(&sim)
        .await
        .assert_error(429, "TOO_MANY_REQUESTS");
    assert_eq!(sim.state.violations(), 1);
    assert_eq!(sim.state.requests_for(&a.api_key), 11);
    sim.shutdown().await;
}

#[tokio::test]
async fn injected_faults() {
    let a = roomy();
    let key = a.api_key.clone();
    let sim = start(42, vec![a.clone()]).await;
    let st = &sim.state;
    let get = || Get::balance(&a, ACC1);

    st.inject(&key, Fault::Http500, 1);
    get().send(&sim).await.assert_error(500, "INTERNAL_ERROR");

    st.inject(&key, Fault::RateLimited, 1);
    get()
        .send(&sim)
        .await
        .assert_error(429, "TOO_MANY_REQUESTS");

    st.inject(&key, Fault::TokenExpired, 1);
    get().send(&sim).await.assert_error(401, "INVALID_TOKEN");

    st.inject(&key, Fault::ClockSkew, 1);
    get()
        .send(&sim)
        .await
        .assert_error(401, "CLOCK_SKEW_EXCEEDED");
    assert_eq!(st.step_for_sub(&key, ACC1), 0, "no reply served yet");

    st.inject(&key, Fault::Malformed, 1);
    let r = get().send(&sim).await;
    let body = r.assert_ok();
    assert_eq!(body["account_currency_assets"][0]["cash_balance"], "12.3.4");
    assert!(body["total_asset"].is_string());

    st.inject(&key, Fault::Truncated, 1);
    let err = get().send_with(&sim, &reqwest::Client::new()).await;
    assert!(err.is_err(), "a truncated body is an error: {err:?}");

    st.inject(&key, Fault::Timeout(Duration::from_millis(400)), 1);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let err = get().send_with(&sim, &impatient).await;
    assert!(err.is_err_and(|e| e.is_timeout()));
    // The timed-out reply still took its drift step.
    assert_eq!(st.step_for_sub(&key, ACC1), 1);

    // Faults hit discovery too (the app key's next requests, in order).
    st.inject(&key, Fault::Malformed, 1);
    let r = Get::new(&a, SUBSCRIPTIONS, &[]).send(&sim).await;
    assert!(r.assert_ok()[0]["account_id"].is_null());
    st.inject(&key, Fault::Http500, 1);
    Get::new(&a, SUBSCRIPTIONS, &[])
        .send(&sim)
        .await
        .assert_error(500, "INTERNAL_ERROR");

    get().send(&sim).await.assert_ok();
    // An injected 429 is not the client's fault.
    assert_eq!(st.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn drift_is_deterministic_per_seed_and_sub_account() {
    async fn bodies(seed: u64) -> Vec<Value> {
        let a = roomy();
        let sim = start(seed, vec![a.clone()]).await;
        let mut out = Vec::new();
        for id in [ACC1, ACC2, ACC1, ACC1, ACC2] {
            let r = Get::balance(&a, id).send(&sim).await;
            out.push(r.assert_ok().clone());
        }
        assert_eq!(sim.state.step_for_sub(&a.api_key, ACC1), 3);
        assert_eq!(sim.state.step_for_sub(&a.api_key, ACC2), 2);
        sim.shutdown().await;
        out
    }
    let one = bodies(7).await;
    assert_eq!(one, bodies(7).await);
    assert_ne!(one, bodies(8).await);
    // Each sub-account drifts on its own counter.
    assert_ne!(one[0], one[2]);
    assert_ne!(one[2]["total_asset"], one[3]["total_asset"]);
}

#[tokio::test]
async fn clock_skew_fault_on_okx_and_longport() {
    use baltui::venues::{longport, okx};
    let mut accounts = baltui::venues::okx::sim::demo_accounts();
    accounts.extend(baltui::venues::longport::sim::demo_accounts());
    let (o, l) = (
        baltui::venues::okx::sim::demo_accounts()[0].clone(),
        baltui::venues::longport::sim::demo_accounts()[0].clone(),
    );
    let sim = start(42, accounts).await;
    let http = reqwest::Client::new();

    sim.state.inject(&o.api_key, Fault::ClockSkew, 1);
    let ts = okx::sign::timestamp(chrono::Utc::now());
    let sig = okx::sign::sign(&o.secret_key, &ts, "GET", okx::BALANCE_PATH, "");
    let r = http
        .get(format!("{}{}", sim.base_url(), okx::BALANCE_PATH))
        .header("OK-ACCESS-KEY", &o.api_key)
        .header("OK-ACCESS-SIGN", sig)
        .header("OK-ACCESS-TIMESTAMP", ts)
        .header("OK-ACCESS-PASSPHRASE", &o.passphrase)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "50102");

    sim.state.inject(&l.api_key, Fault::ClockSkew, 1);
    let ts = chrono::Utc::now().timestamp().to_string();
    let path = baltui::venues::longport::sim::ACCOUNT_PATH;
    let canonical =
        longport::sign::canonical("GET", path, "", &l.passphrase, &l.api_key, &ts, None);
    let sig = longport::sign::header(&longport::sign::signature(&l.secret_key, &canonical));
    let r = http
        .get(format!("{}{path}", sim.base_url()))
        .header("x-api-key", &l.api_key)
        .header("authorization", &l.passphrase)
        .header("x-timestamp", ts)
        .header("x-api-signature", sig)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], 403201);
    sim.shutdown().await;
}
