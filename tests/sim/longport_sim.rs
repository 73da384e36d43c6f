//! The simulator's LongPort endpoints over raw HTTP: requests are signed here
//! with the signer functions (not with a LongPort client), so these tests pin
//! the wire protocol the client must speak.

use baltui::sim::{Fault, Scenario, Sim, SimAccount, SimOptions, demo_accounts};
use baltui::venues::longport::sign;
use baltui::venues::longport::sim::{
    ACCOUNT_PATH as LONGPORT_PATH, LEGACY_PATH as LONGPORT_LEGACY_PATH,
};
use serde_json::Value;
use std::cell::Cell;
use std::time::Duration;

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

fn demo(name: &str) -> SimAccount {
    demo_accounts()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A signed GET as the official SDK sends it.
struct Get<'a> {
    key: &'a str,
    secret: &'a str,
    token: &'a str,
    path: &'a str,
    query: &'a str,
    ts: i64,
}

impl<'a> Get<'a> {
    fn new(a: &'a SimAccount, path: &'a str, query: &'a str) -> Self {
        Get {
            key: &a.api_key,
            secret: &a.secret_key,
            token: &a.passphrase,
            path,
            query,
            ts: now(),
        }
    }

    async fn send(&self, sim: &Sim) -> Reply {
        self.send_with(sim, &reqwest::Client::new()).await.unwrap()
    }

    async fn send_with(&self, sim: &Sim, http: &reqwest::Client) -> reqwest::Result<Reply> {
        let ts = self.ts.to_string();
        let canonical = sign::canonical(
            "GET", self.path, self.query, self.token, self.key, &ts, None,
        );
        let sig = sign::header(&sign::signature(self.secret, &canonical));
        let mut url = format!("{}{}", sim.base_url(), self.path);
        if !self.query.is_empty() {
            url = format!("{url}?{}", self.query);
        }
        let r = http
            .get(url)
            .header("x-api-key", self.key)
            .header("authorization", self.token)
            .header("x-timestamp", ts)
            .header("x-api-signature", sig)
            .header("content-type", "application/json; charset=utf-8")
            .send()
            .await?;
        let status = r.status().as_u16();
        let trace = r
            .headers()
            .get("x-trace-id")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let text = r.text().await?;
        Ok(Reply {
            status,
            trace,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        })
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    trace: Option<String>,
    body: Value,
    text: String,
}

impl Reply {
    fn code(&self) -> i64 {
        self.body["code"].as_i64().unwrap_or(-1)
    }
    fn list(&self) -> &Vec<Value> {
        self.body["data"]["list"].as_array().unwrap()
    }
    fn assert_error(&self, status: u16, code: i64) {
        assert_eq!((self.status, self.code()), (status, code), "{}", self.text);
        assert!(self.body["message"].is_string(), "{}", self.text);
        assert!(self.trace.is_some(), "x-trace-id on an error");
    }
}

fn dec(v: &Value) -> f64 {
    v.as_str()
        .unwrap_or_else(|| panic!("amount as a string: {v}"))
        .parse()
        .unwrap_or_else(|_| panic!("amount: {v}"))
}

/// Distinct x-timestamp seconds within the skew window, so that no two
/// requests of one test are duplicates (at most 40 per test).
struct Seconds(Cell<i64>);
impl Seconds {
    fn new() -> Self {
        Seconds(Cell::new(now() - 20))
    }
    fn next(&self) -> i64 {
        let t = self.0.get();
        self.0.set(t + 1);
        t
    }
}

#[tokio::test]
async fn current_path_returns_the_documented_shape() {
    let secs = Seconds::new();
    let sim = start(42, demo_accounts()).await;
    let a = demo("lp-hk");
    let r = Get::new(&a, LONGPORT_PATH, "").send(&sim).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.trace.is_some(), "x-trace-id on success");
    assert!(r.body["code"].is_i64() && r.code() == 0);
    assert_eq!(r.body["message"], "success");
    let list = r.list();
    let ccys: Vec<&str> = list
        .iter()
        .map(|i| i["currency"].as_str().unwrap())
        .collect();
    assert_eq!(ccys, ["HKD", "USD"]);
    for item in list {
        for k in [
            "total_cash",
            "max_finance_amount",
            "remaining_finance_amount",
            "margin_call",
            "net_assets",
            "init_margin",
            "maintenance_margin",
            "buy_power",
        ] {
            dec(&item[k]);
        }
        // Step 0 of RiskWalk: safe, nothing called.
        assert_eq!(item["risk_level"], "0");
        assert_eq!(dec(&item["margin_call"]), 0.0);
        assert!(dec(&item["net_assets"]) / dec(&item["maintenance_margin"]) > 4.0);
        let infos = item["cash_infos"].as_array().unwrap();
        assert_eq!(infos.len(), 2);
        for ci in infos {
            for k in [
                "withdraw_cash",
                "available_cash",
                "frozen_cash",
                "settling_cash",
            ] {
                dec(&ci[k]);
            }
        }
        assert_eq!(infos[1]["currency"], "USD");
        assert!(
            dec(&infos[1]["settling_cash"]) < 0.0,
            "negative USD settling"
        );
        let fees = item["frozen_transaction_fees"].as_array().unwrap();
        assert!(!fees.is_empty());
        assert!(fees[0]["currency"].is_string());
        dec(&fees[0]["frozen_transaction_fee"]);
        assert!(item.get("cashInfos").is_none());
    }
    // Totals in each item's own currency: the same money at 0.1282 USD/HKD.
    let (hkd, usd) = (dec(&list[0]["net_assets"]), dec(&list[1]["net_assets"]));
    assert!((hkd * 0.1282 - usd).abs() < 0.01, "{hkd} HKD vs {usd} USD");

    tokio::time::sleep(Duration::from_millis(25)).await;
    let mut g = Get::new(&a, LONGPORT_PATH, "currency=HKD");
    g.ts = secs.next();
    let one = g.send(&sim).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.list().len(), 1);
    assert_eq!(one.list()[0]["currency"], "HKD");
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn legacy_path_returns_the_legacy_shape() {
    let secs = Seconds::new();
    let sim = start(42, demo_accounts()).await;
    let a = demo("lp-legacy");
    assert_eq!(a.path.as_deref(), Some(LONGPORT_LEGACY_PATH));
    let r = Get::new(&a, LONGPORT_LEGACY_PATH, "").send(&sim).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.trace.is_some());
    assert_eq!(r.code(), 0);
    assert_eq!(r.body["msg"], "success");
    assert!(r.body.get("message").is_none());
    assert_eq!(r.list().len(), 2);
    for item in r.list() {
        assert!(item["max_finance_amount"].is_i64(), "{item}");
        assert!(item["remaining_finance_amount"].is_i64(), "{item}");
        assert!(item["max_finance_amount"].as_i64() > Some(0));
        assert_eq!(item["risk_level"], "0");
        dec(&item["total_cash"]);
        dec(&item["margin_call"]);
        let infos = item["cashInfos"].as_array().unwrap();
        assert_eq!(infos.len(), 2);
        dec(&infos[0]["available_cash"]);
        assert!(item.get("cash_infos").is_none());
    }
    tokio::time::sleep(Duration::from_millis(25)).await;
    let mut g = Get::new(&a, LONGPORT_LEGACY_PATH, "currency=HKD");
    g.ts = secs.next();
    let one = g.send(&sim).await;
    assert_eq!(one.list().len(), 1);
    assert_eq!(one.list()[0]["currency"], "HKD");
    sim.shutdown().await;
}

#[tokio::test]
async fn auth_failures_use_longport_codes() {
    let secs = Seconds::new();
    let sim = start(42, demo_accounts()).await;
    let a = demo("lp-hk");
    let mut g = Get::new(&a, LONGPORT_PATH, "");
    g.secret = "wrong-secret";
    g.send(&sim).await.assert_error(403, 403201);

    let mut g = Get::new(&a, LONGPORT_PATH, "");
    g.key = "no-such-app-key";
    g.send(&sim).await.assert_error(403, 403203);

    // An OKX key is not a LongPort app key.
    let okx = demo("okx-main");
    let mut g = Get::new(&a, LONGPORT_PATH, "");
    g.key = &okx.api_key;
    g.secret = &okx.secret_key;
    g.send(&sim).await.assert_error(403, 403203);

    let mut g = Get::new(&a, LONGPORT_PATH, "");
    g.token = "stale-token";
    g.send(&sim).await.assert_error(401, 401003);

    let mut g = Get::new(&a, LONGPORT_PATH, "");
    g.ts = now() - 60;
    g.send(&sim).await.assert_error(403, 403201);

    // Signed for one query, sent with another.
    let mut g = Get::new(&a, LONGPORT_PATH, "currency=HKD");
    g.ts = secs.next();
    let canonical = sign::canonical(
        "GET",
        LONGPORT_PATH,
        "currency=USD",
        g.token,
        g.key,
        &g.ts.to_string(),
        None,
    );
    let r = reqwest::Client::new()
        .get(format!("{}{LONGPORT_PATH}?currency=HKD", sim.base_url()))
        .header("x-api-key", g.key)
        .header("authorization", g.token)
        .header("x-timestamp", g.ts.to_string())
        .header(
            "x-api-signature",
            sign::header(&sign::signature(g.secret, &canonical)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().contains_key("x-trace-id"));

    // Nothing above was the client breaking a limit; no drift was served.
    assert_eq!(sim.state.violations(), 0);
    assert_eq!(sim.state.step_for(&a.api_key), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_request_in_the_same_second_is_refused_and_counted() {
    let sim = start(42, demo_accounts()).await;
    let a = demo("lp-hk");
    let g = Get::new(&a, LONGPORT_PATH, "currency=USD");
    assert_eq!(g.send(&sim).await.status, 200);
    tokio::time::sleep(Duration::from_millis(30)).await;
    g.send(&sim).await.assert_error(403, 403202);
    assert_eq!(sim.state.violations(), 1);
    // The same second with another target is a different request.
    tokio::time::sleep(Duration::from_millis(30)).await;
    let mut other = Get::new(&a, LONGPORT_PATH, "currency=HKD");
    other.ts = g.ts;
    assert_eq!(other.send(&sim).await.status, 200);
    assert_eq!(sim.state.violations(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn thirty_per_thirty_seconds_then_429002() {
    let sim = start(42, demo_accounts()).await;
    let a = demo("lp-hk");
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..31 {
        let mut g = Get::new(&a, LONGPORT_PATH, "");
        g.ts = now() - 15 + i;
        let r = g.send_with(&sim, &http).await.unwrap();
        if r.status != 200 {
            r.assert_error(429, 429002);
        }
        statuses.push(r.status);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(statuses[..30].iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(statuses[30], 429);
    assert_eq!(sim.state.violations(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn two_calls_within_20_ms_are_too_fast() {
    let sim = start(42, demo_accounts()).await;
    let a = demo("lp-hk");
    let mut g1 = Get::new(&a, LONGPORT_PATH, "currency=HKD");
    let mut g2 = Get::new(&a, LONGPORT_PATH, "currency=USD");
    g1.ts = now();
    g2.ts = g1.ts;
    let (r1, r2) = tokio::join!(g1.send(&sim), g2.send(&sim));
    let mut statuses = [r1.status, r2.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 429], "{r1:?} {r2:?}");
    assert_eq!(sim.state.violations(), 1);
    sim.shutdown().await;
}

fn fault_account() -> SimAccount {
    SimAccount {
        name: "lp-faults".into(),
        venue: baltui::venues::longport::KIND,
        api_key: "f-key".into(),
        secret_key: "f-secret".into(),
        passphrase: "f-token".into(),
        scenario: Scenario::RiskWalk,
        path: None,
        webull: None,
        okx_uid: None,
    }
}

#[tokio::test]
async fn injected_faults() {
    let secs = Seconds::new();
    let a = fault_account();
    let sim = start(42, vec![a.clone()]).await;
    let st = &sim.state;
    let gap = || tokio::time::sleep(Duration::from_millis(25));
    let get = |path| {
        let mut g = Get::new(&a, path, "");
        g.ts = secs.next();
        g
    };

    st.inject(&a.api_key, Fault::Http500, 1);
    get(LONGPORT_PATH)
        .send(&sim)
        .await
        .assert_error(500, 500000);
    gap().await;

    st.inject(&a.api_key, Fault::RateLimited, 1);
    get(LONGPORT_PATH)
        .send(&sim)
        .await
        .assert_error(429, 429002);
    gap().await;

    st.inject(&a.api_key, Fault::TokenExpired, 1);
    get(LONGPORT_PATH)
        .send(&sim)
        .await
        .assert_error(401, 401003);
    gap().await;

    st.inject(&a.api_key, Fault::Malformed, 2);
    let r = get(LONGPORT_PATH).send(&sim).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["data"]["list"][0]["cash_infos"][0]["available_cash"],
        "12.3.4"
    );
    gap().await;
    let r = get(LONGPORT_LEGACY_PATH).send(&sim).await;
    assert_eq!(
        r.body["data"]["list"][0]["cashInfos"][0]["available_cash"],
        "12.3.4"
    );
    gap().await;

    st.inject(&a.api_key, Fault::Truncated, 1);
    let err = get(LONGPORT_PATH)
        .send_with(&sim, &reqwest::Client::new())
        .await;
    assert!(err.is_err(), "a truncated body is an error: {err:?}");
    gap().await;

    st.inject(&a.api_key, Fault::Timeout(Duration::from_millis(400)), 1);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let err = get(LONGPORT_PATH).send_with(&sim, &impatient).await;
    assert!(err.is_err_and(|e| e.is_timeout()));
    gap().await;

    // Faults spent: normal again; only the timed-out reply took a drift step.
    let r = get(LONGPORT_PATH).send(&sim).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(st.step_for(&a.api_key), 2);
    // Injected refusals are not the client's fault.
    assert_eq!(st.violations(), 0);
    sim.shutdown().await;
}

/// Steps are replies served; paused time lets 40+ replies pass the rate
/// window without waiting 40 s.
#[tokio::test(start_paused = true)]
async fn risk_walk_reaches_level_3_with_a_margin_call_and_comes_back() {
    let a = demo("lp-hk");
    let sim = start(42, vec![a.clone()]).await;
    let http = reqwest::Client::new();
    let mut levels = Vec::new();
    for i in 0..45 {
        let mut g = Get::new(&a, LONGPORT_PATH, "currency=HKD");
        g.ts = now() - 25 + i;
        let r = g.send_with(&sim, &http).await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        let item = &r.list()[0];
        let level: u8 = item["risk_level"].as_str().unwrap().parse().unwrap();
        let ratio = dec(&item["net_assets"]) / dec(&item["maintenance_margin"]);
        let call = dec(&item["margin_call"]);
        match level {
            3 => assert!(ratio < 1.5 && call > 0.0, "step {i}: {ratio} {call}"),
            2 => assert!(ratio < 3.0 && call == 0.0, "step {i}: {ratio}"),
            _ => assert!(call == 0.0),
        }
        levels.push(level);
        tokio::time::advance(Duration::from_millis(1100)).await;
    }
    let top = levels
        .iter()
        .position(|l| *l == 3)
        .expect("level 3 reached");
    assert!(levels[..top].contains(&1) && levels[..top].contains(&2));
    let back = levels[top..]
        .iter()
        .position(|l| *l == 0)
        .expect("back to 0");
    assert!(top + back < 45, "{levels:?}");
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn same_seed_same_body() {
    let secs = &Seconds::new();
    let a = demo("lp-hk");
    let body = |seed| {
        let a = a.clone();
        async move {
            let sim = start(seed, vec![a.clone()]).await;
            let mut texts = Vec::new();
            for path in [LONGPORT_PATH, LONGPORT_LEGACY_PATH] {
                let mut g = Get::new(&a, path, "");
                g.ts = secs.next();
                texts.push(g.send(&sim).await.text);
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            sim.shutdown().await;
            texts
        }
    };
    let first = body(9).await;
    assert_eq!(first, body(9).await);
    assert_ne!(first, body(10).await);
}

#[tokio::test]
async fn blanks_only_when_the_scenario_asks() {
    let secs = Seconds::new();
    let mut a = fault_account();
    a.scenario = Scenario::BrokerBlanks;
    let sim = start(42, vec![a.clone()]).await;
    let mut blank_seen = false;
    for _ in 0..3 {
        let mut g = Get::new(&a, LONGPORT_PATH, "");
        g.ts = secs.next();
        let r = g.send(&sim).await;
        let item = &r.list()[0];
        if item["risk_level"] == "" {
            blank_seen = true;
            for k in [
                "net_assets",
                "init_margin",
                "maintenance_margin",
                "buy_power",
            ] {
                assert_eq!(item[k], "", "{k}");
            }
            dec(&item["total_cash"]);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(blank_seen);
    // The demo accounts never send blanks.
    assert!(
        demo_accounts()
            .iter()
            .all(|a| a.scenario != Scenario::BrokerBlanks)
    );
    sim.shutdown().await;
}
