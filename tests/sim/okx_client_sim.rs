//! The real OKX client against the simulator over loopback.

use baltui::model::Snapshot;
use baltui::secrets::Secret;
use baltui::sim::{Fault, Scenario, Sim, SimAccount, SimOptions};
use baltui::venues::okx::sim::demo_accounts as okx_demo_accounts;
use baltui::venues::okx::{BALANCE_PATH, OkxClient, OkxSettings, sign, wire};
use baltui::venues::{ErrorKind, http_client};
use rust_decimal::Decimal;
use std::time::Duration;

const MAIN_KEY: &str = "sim-okx-main-key";
const MARGIN_KEY: &str = "sim-okx-margin-key";

async fn start(opts: SimOptions) -> Sim {
    Sim::start("127.0.0.1:0".parse().unwrap(), opts, okx_demo_accounts())
        .await
        .unwrap()
}

fn account(name: &str) -> SimAccount {
    okx_demo_accounts()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap()
}

struct Setup<'a> {
    name: &'a str,
    currencies: &'a [&'a str],
    timeout: Duration,
    secret: Option<&'a str>,
    key: Option<&'a str>,
    pass: Option<&'a str>,
}

impl Default for Setup<'_> {
    fn default() -> Self {
        Setup {
            name: "okx-main",
            currencies: &[],
            timeout: Duration::from_secs(5),
            secret: None,
            key: None,
            pass: None,
        }
    }
}

fn client(sim: &Sim, s: Setup) -> OkxClient {
    let a = account(s.name);
    OkxClient::new(
        http_client(s.timeout),
        OkxSettings {
            base_url: sim.base_url(),
            api_key: Secret::new(s.key.unwrap_or(&a.api_key)),
            secret_key: Secret::new(s.secret.unwrap_or(&a.secret_key)),
            passphrase: Secret::new(s.pass.unwrap_or(&a.passphrase)),
            demo_trading: true,
            currencies: s.currencies.iter().map(|c| c.to_string()).collect(),
            rate_group: None,
        },
    )
}

fn main_client(sim: &Sim) -> OkxClient {
    client(sim, Setup::default())
}

/// The client of the sim account `name`, its own credentials.
fn named(sim: &Sim, name: &str) -> OkxClient {
    client(
        sim,
        Setup {
            name,
            ..Setup::default()
        },
    )
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn ccys(snap: &Snapshot) -> Vec<&str> {
    snap.currencies
        .iter()
        .map(|c| c.currency.as_str())
        .collect()
}

/// Everything but the two timestamps.
fn without_times(mut s: Snapshot) -> Snapshot {
    s.fetched_at = chrono::DateTime::UNIX_EPOCH;
    s.venue_time = None;
    s
}

fn err_kind(r: Result<Snapshot, baltui::venues::VenueError>) -> ErrorKind {
    r.expect_err("expected an error").kind
}

#[tokio::test]
async fn calm_account_balances_at_step_zero() {
    let sim = start(SimOptions::default()).await;
    let snap = main_client(&sim).fetch().await.unwrap();
    assert_eq!(ccys(&snap), ["BTC", "ETH", "OKB", "USDT"]);
    let usdt = &snap.currencies[3];
    // Known values for seed 42, step 0 (the drift is a pure function).
    assert_eq!(usdt.cash, Some(d("4841.0918")));
    assert_eq!(usdt.frozen, Some(d("158.573")));
    assert_eq!(usdt.available, Some(d("4682.5188")));
    assert_eq!(usdt.liabilities, Some(Decimal::ZERO));
    assert!(
        usdt.indicators
            .iter()
            .any(|i| i.key == "twap" && i.value == "0")
    );
    // Spot mode: no margin ratio applies (mgnRatio ""), and the totals add up.
    assert_eq!(snap.risk.margin_ratio, None);
    assert_eq!(snap.risk.maintenance_margin, Some(Decimal::ZERO));
    let sum: Decimal = snap.currencies.iter().filter_map(|c| c.value_in_base).sum();
    assert_eq!(snap.totals.net_assets, Some(sum));
    assert!(snap.venue_time.is_some());
    assert_eq!(sim.state.requests(), 1);
    assert_eq!(sim.state.requests_for(MAIN_KEY), 1);
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn same_seed_gives_same_first_body() {
    let opts = |seed| SimOptions {
        seed,
        ..SimOptions::default()
    };
    let (a, b, c) = (
        start(opts(7)).await,
        start(opts(7)).await,
        start(opts(8)).await,
    );
    let first = |s: &Sim| {
        let cl = main_client(s);
        async move { without_times(cl.fetch().await.unwrap()) }
    };
    let (fa, fb, fc) = (first(&a).await, first(&b).await, first(&c).await);
    assert_eq!(fa, fb);
    assert_ne!(fa, fc);
    // The second reply drifts from the first.
    let second = without_times(main_client(&a).fetch().await.unwrap());
    assert_ne!(fa, second);
    assert_eq!(a.state.step_for(MAIN_KEY), 2);
}

#[tokio::test]
async fn ccy_filter_returns_only_those_currencies() {
    let sim = start(SimOptions::default()).await;
    let cl = client(
        &sim,
        Setup {
            currencies: &["BTC", "ETH"],
            ..Setup::default()
        },
    );
    assert_eq!(cl.target(), format!("{BALANCE_PATH}?ccy=BTC,ETH"));
    let snap = cl.fetch().await.unwrap();
    assert_eq!(ccys(&snap), ["BTC", "ETH"]);
    let cl = client(
        &sim,
        Setup {
            currencies: &["USDT", "XRP"],
            ..Setup::default()
        },
    );
    assert_eq!(ccys(&cl.fetch().await.unwrap()), ["USDT"]);
}

#[tokio::test]
async fn bad_credentials_are_auth_errors_with_okx_codes() {
    let sim = start(SimOptions::default()).await;
    let cases = [
        (
            Setup {
                secret: Some("wrong-secret"),
                ..Setup::default()
            },
            "50113",
        ),
        (
            Setup {
                key: Some("no-such-key"),
                ..Setup::default()
            },
            "50111",
        ),
        (
            Setup {
                pass: Some("wrong-pass"),
                ..Setup::default()
            },
            "50105",
        ),
    ];
    for (setup, want) in cases {
        match err_kind(client(&sim, setup).fetch().await) {
            ErrorKind::Auth { code, .. } => assert_eq!(code, want),
            other => panic!("expected auth {want}, got {other:?}"),
        }
    }
    assert_eq!(sim.state.step_for(MAIN_KEY), 0);
}

#[tokio::test]
async fn injected_rate_limit_with_429_and_200() {
    for status in [429, 200] {
        let sim = start(SimOptions {
            rate_limit_status: status,
            ..SimOptions::default()
        })
        .await;
        sim.state.inject(MAIN_KEY, Fault::RateLimited, 1);
        match err_kind(main_client(&sim).fetch().await) {
            ErrorKind::RateLimited { code, .. } => assert_eq!(code, "50011", "status {status}"),
            other => panic!("status {status}: {other:?}"),
        }
        // The fault is used up, and it is not a violation.
        assert!(main_client(&sim).fetch().await.is_ok());
        assert_eq!(sim.state.violations(), 0);
    }
}

#[tokio::test]
async fn http_500_is_an_http_error() {
    let sim = start(SimOptions::default()).await;
    sim.state.inject(MAIN_KEY, Fault::Http500, 2);
    for _ in 0..2 {
        assert!(matches!(
            err_kind(main_client(&sim).fetch().await),
            ErrorKind::Http { status: 500, .. }
        ));
    }
    assert!(main_client(&sim).fetch().await.is_ok());
}

#[tokio::test]
async fn malformed_body_names_the_field() {
    let sim = start(SimOptions::default()).await;
    sim.state.inject(MAIN_KEY, Fault::Malformed, 1);
    match err_kind(main_client(&sim).fetch().await) {
        ErrorKind::Decode { path, detail, .. } => {
            assert!(path.contains("cashBal"), "{path}");
            assert!(detail.contains("12.3.4"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    // A faulted reply does not advance the drift.
    assert_eq!(sim.state.step_for(MAIN_KEY), 0);
}

#[tokio::test]
async fn slow_reply_is_a_timeout() {
    let sim = start(SimOptions::default()).await;
    sim.state
        .inject(MAIN_KEY, Fault::Timeout(Duration::from_secs(2)), 1);
    let cl = client(
        &sim,
        Setup {
            timeout: Duration::from_millis(300),
            ..Setup::default()
        },
    );
    let t0 = std::time::Instant::now();
    assert_eq!(err_kind(cl.fetch().await), ErrorKind::Timeout);
    assert!(t0.elapsed() < Duration::from_millis(1500));
    assert!(cl.fetch().await.is_ok());
}

#[tokio::test]
async fn truncated_body_is_a_network_error() {
    let sim = start(SimOptions::default()).await;
    sim.state.inject(MAIN_KEY, Fault::Truncated, 1);
    match err_kind(main_client(&sim).fetch().await) {
        ErrorKind::Network(m) => assert!(m.contains("body"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(main_client(&sim).fetch().await.is_ok());
}

#[tokio::test]
async fn client_syncs_a_skewed_clock_and_retries() {
    let sim = start(SimOptions::default()).await;
    sim.state.set_clock_offset_ms(120_000);
    let cl = main_client(&sim);
    cl.fetch().await.unwrap();
    let off = cl.clock_offset_ms();
    assert!((off - 120_000).abs() < 1_000, "offset {off}");
    // First attempt refused (50102), the retry accepted.
    assert_eq!(sim.state.requests_for(MAIN_KEY), 2);
}

#[tokio::test]
async fn burst_of_twelve_breaks_the_limit_twice() {
    let sim = start(SimOptions::default()).await;
    let cl = main_client(&sim);
    let results = futures::future::join_all((0..12).map(|_| cl.fetch())).await;
    let limited = results
        .iter()
        .filter(|r| matches!(r, Err(e) if matches!(&e.kind, ErrorKind::RateLimited { code, .. } if code == "50011")))
        .count();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 10);
    assert_eq!(limited, 2);
    assert_eq!(sim.state.violations(), 2);
    // Another key has its own window.
    assert!(
        client(
            &sim,
            Setup {
                name: "okx-margin",
                ..Setup::default()
            }
        )
        .fetch()
        .await
        .is_ok()
    );
    // After the window, the key is served again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(cl.fetch().await.is_ok());
    assert_eq!(sim.state.violations(), 2);
}

#[tokio::test]
async fn margin_swing_reaches_warn_and_critical() {
    let sim = start(SimOptions::default()).await;
    let cl = named(&sim, "okx-margin");
    let (mut ratios, mut twap, mut restricted, mut liab) = (vec![], false, false, false);
    for i in 0..40 {
        if i % 10 == 9 {
            tokio::time::sleep(Duration::from_millis(2050)).await; // stay within 10 per 2 s
        }
        let s = cl.fetch().await.unwrap();
        let ratio = s.risk.margin_ratio.expect("margin account has mgnRatio");
        let (adj, mmr) = (
            s.risk.adjusted_equity.unwrap(),
            s.risk.maintenance_margin.unwrap(),
        );
        assert!(
            (adj / mmr - ratio).abs() < d("0.001"),
            "step {i}: {adj}/{mmr} vs {ratio}"
        );
        ratios.push(ratio);
        let usdt = s.currencies.iter().find(|c| c.currency == "USDT").unwrap();
        liab |= usdt.liabilities == Some(d("25000"));
        twap |= usdt
            .indicators
            .iter()
            .any(|x| x.key == "twap" && x.value != "0" && x.meaning.contains("user-based"));
        restricted |= s
            .risk
            .indicators
            .iter()
            .any(|x| x.key == "deltaNeutralStatus" && x.value == "1");
    }
    assert!(ratios[0] > d("7.5"), "{}", ratios[0]);
    assert!(ratios.iter().any(|r| *r < d("1.5")));
    assert!(ratios.iter().any(|r| *r > d("3")));
    assert!(ratios.iter().all(|r| *r > Decimal::ONE));
    assert!(twap && restricted && liab);
    assert_eq!(sim.state.violations(), 0);
}

#[tokio::test]
async fn config_toml_is_valid_and_complete() {
    let sim = start(SimOptions::default()).await;
    let text = sim.config_toml();
    let v: toml::Value = toml::from_str(&text).unwrap();
    let accounts = v["account"].as_array().unwrap();
    assert_eq!(accounts.len(), okx_demo_accounts().len());
    let keys = [
        "name",
        "venue",
        "base_url",
        "api_key",
        "secret_key",
        "passphrase",
    ];
    for (acc, want) in accounts.iter().zip(okx_demo_accounts()) {
        let t = acc.as_table().unwrap();
        let mut got: Vec<&str> = t.keys().map(String::as_str).collect();
        got.sort_unstable();
        let mut k = keys.to_vec();
        k.sort_unstable();
        assert_eq!(got, k);
        assert_eq!(t["name"].as_str(), Some(want.name.as_str()));
        assert_eq!(t["venue"].as_str(), Some("okx"));
        assert_eq!(t["base_url"].as_str(), Some(sim.base_url().as_str()));
        assert_eq!(t["secret_key"].as_str(), Some(want.secret_key.as_str()));
    }
    assert!(sim.base_url().starts_with("http://127.0.0.1:"));
}

/// Requests the client never sends: checked with reqwest and the client's signer.
#[tokio::test]
async fn raw_protocol_details() {
    let sim = start(SimOptions {
        seed: 1,
        rate_limit_status: 429,
        ..SimOptions::default()
    })
    .await;
    let http = http_client(Duration::from_secs(5));
    let base = sim.base_url();
    let get = |path: &str| http.get(format!("{base}{path}"));
    let json = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        (status, r.json::<serde_json::Value>().await.unwrap())
    };

    // Server time is the sim clock.
    let (st, body) = json(get("/api/v5/public/time").send().await.unwrap()).await;
    assert_eq!(st, 200);
    let ts: i64 = body["data"][0]["ts"].as_str().unwrap().parse().unwrap();
    assert!((ts - chrono::Utc::now().timestamp_millis()).abs() < 5_000);

    // Unknown path: 404, OKX-shaped.
    let (st, body) = json(get("/api/v5/nope").send().await.unwrap()).await;
    assert_eq!((st, body["code"].as_str()), (404, Some("404")));

    // Missing headers.
    let (st, body) = json(get(BALANCE_PATH).send().await.unwrap()).await;
    assert_eq!((st, body["code"].as_str()), (401, Some("50103")));
    let (_, body) = json(
        get(BALANCE_PATH)
            .header("OK-ACCESS-KEY", MAIN_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(body["code"].as_str(), Some("50106"));

    // The percent-encoded comma signs differently and is accepted too.
    let a = account("okx-margin");
    let target = format!("{BALANCE_PATH}?ccy=BTC%2CUSDT");
    let signed = |target: &str, at: chrono::DateTime<chrono::Utc>| {
        let ts = sign::timestamp(at);
        get(target)
            .header("OK-ACCESS-KEY", &a.api_key)
            .header("OK-ACCESS-PASSPHRASE", &a.passphrase)
            .header(
                "OK-ACCESS-SIGN",
                sign::sign(&a.secret_key, &ts, "GET", target, ""),
            )
            .header("OK-ACCESS-TIMESTAMP", ts)
    };
    let (st, body) = json(signed(&target, chrono::Utc::now()).send().await.unwrap()).await;
    assert_eq!(st, 200, "{body}");
    let details = body["data"][0]["details"].as_array().unwrap();
    let got: Vec<&str> = details.iter().filter_map(|d| d["ccy"].as_str()).collect();
    assert_eq!(got, ["USDT", "BTC"]);
    // Inapplicable fields are "" and amounts are strings without float noise.
    assert_eq!(details[0]["mgnRatio"].as_str(), Some(""));
    assert_eq!(details[0]["liab"].as_str(), Some("25000"));
    assert_eq!(
        body["data"][0]["mgnRatio"]
            .as_str()
            .map(|s| s.parse::<Decimal>().is_ok()),
        Some(true)
    );

    // A stale timestamp is 50102; a bad one too.
    let old = chrono::Utc::now() - chrono::Duration::seconds(31);
    let (st, body) = json(signed(&target, old).send().await.unwrap()).await;
    assert_eq!((st, body["code"].as_str()), (401, Some("50102")));

    // Requests of one key are counted whatever their outcome.
    assert_eq!(sim.state.requests_for(MAIN_KEY), 1);
    assert_eq!(sim.state.requests_for(MARGIN_KEY), 2);
    assert_eq!(sim.state.requests(), 4);
    sim.shutdown().await;
}

#[tokio::test]
async fn start_refuses_non_loopback_and_other_venues() {
    let any = "0.0.0.0:0".parse().unwrap();
    assert!(
        Sim::start(any, SimOptions::default(), okx_demo_accounts())
            .await
            .is_err()
    );
    let mut accts = okx_demo_accounts();
    accts[0].venue = baltui::venues::webull::KIND;
    accts[0].scenario = Scenario::Calm;
    assert!(
        Sim::start("127.0.0.1:0".parse().unwrap(), SimOptions::default(), accts)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn polling_through_the_shared_budget_never_violates() {
    use baltui::venues::RateBudget;
    use baltui::venues::okx::{LIMIT, WINDOW};
    let sim = start(SimOptions::default()).await;
    let budget = RateBudget::new(MAIN_KEY, LIMIT, WINDOW, 0.9);
    // Two pollers on one API key share one budget.
    let poll = |cl: OkxClient| {
        let budget = budget.clone();
        async move {
            for _ in 0..12 {
                budget.acquire().await;
                cl.fetch().await.unwrap();
            }
        }
    };
    let (a, b) = (main_client(&sim), main_client(&sim));
    futures::future::join(poll(a), poll(b)).await;
    assert_eq!(sim.state.requests_for(MAIN_KEY), 24);
    assert_eq!(sim.state.violations(), 0);
}

#[tokio::test]
async fn account_config_gives_the_mode_and_user_id_once() {
    let sim = start(SimOptions::default()).await;
    let cl = named(&sim, "okx-futures");
    let first = cl.fetch().await.unwrap();
    assert_eq!(first.account_mode.as_deref(), Some("Futures mode"));
    let id = cl.identity().unwrap();
    assert_eq!(id.uid, baltui::venues::okx::sim::SHARED_UID);
    assert_eq!(id.mode, Some(baltui::venues::okx::AccountMode::Futures));
    assert!(!id.sub_account);
    let again = cl.fetch().await.unwrap();
    assert_eq!(again.account_mode.as_deref(), Some("Futures mode"));
    assert_eq!(sim.state.config_requests(), 1, "asked once, not per poll");
    assert_eq!(sim.state.requests_for("sim-okx-futures-key"), 2);
    // The other modes, in the document's words.
    let main = main_client(&sim).fetch().await.unwrap();
    assert_eq!(main.account_mode.as_deref(), Some("Spot mode"));
    let margin = named(&sim, "okx-margin").fetch().await.unwrap();
    assert_eq!(
        margin.account_mode.as_deref(),
        Some("Multi-currency margin")
    );
    assert_eq!(sim.state.violations(), 0);
}

#[tokio::test]
async fn futures_mode_ratio_per_currency_walks_into_warn_and_critical() {
    use baltui::health::{Severity, evaluate};
    let sim = start(SimOptions::default()).await;
    let cl = named(&sim, "okx-futures");
    let mut worst = Vec::new();
    for i in 0..40 {
        if i % 8 == 7 {
            tokio::time::sleep(Duration::from_millis(2050)).await; // within 10 per 2 s
        }
        let s = cl.fetch().await.unwrap();
        // Futures mode: no account-level figures, the risk is per currency.
        assert_eq!(s.risk.initial_margin, None, "step {i}");
        assert_eq!(s.risk.adjusted_equity, None, "step {i}");
        let usdt = s.currencies.iter().find(|c| c.currency == "USDT").unwrap();
        let r = usdt.margin_ratio.expect("USDT has cross positions");
        assert!(usdt.maintenance_margin.is_some() && usdt.notional_leverage.is_some());
        assert_eq!(s.risk.margin_ratio, Some(r), "USDT is the worst currency");
        assert_eq!(s.risk.margin_ratio_currency.as_deref(), Some("USDT"));
        let f = evaluate(&s, &Default::default());
        let sev = f
            .iter()
            .find(|f| f.subject == "USDT.margin_ratio")
            .map_or(Severity::Ok, |f| f.severity);
        worst.push((r, sev));
    }
    assert!(worst[0].0 > d("7.5"), "{:?}", worst[0]);
    assert!(worst.iter().any(|(_, s)| *s == Severity::Warn));
    assert!(worst.iter().any(|(_, s)| *s == Severity::Critical));
    for (r, sev) in &worst {
        let want = if *r < d("1.5") {
            Severity::Critical
        } else if *r < d("3") {
            Severity::Warn
        } else {
            Severity::Ok
        };
        assert_eq!(*sev, want, "ratio {r}");
    }
    assert_eq!(sim.state.violations(), 0);
}

#[tokio::test]
async fn simulator_counts_the_balance_limit_per_user_id() {
    // okx-margin and okx-futures are two API keys of one user: 6 + 6 requests
    // at once are 12 on one user id, over its 10 per 2 s.
    let sim = start(SimOptions::default()).await;
    let margin = named(&sim, "okx-margin");
    let futures = named(&sim, "okx-futures");
    // Identify first so the burst below is balance calls only.
    margin.identify().await.unwrap();
    futures.identify().await.unwrap();
    let burst = (0..6).flat_map(|_| [margin.fetch(), futures.fetch()]);
    let results = futures::future::join_all(burst).await;
    let limited = results
        .iter()
        .filter(|r| matches!(r, Err(e) if matches!(&e.kind, ErrorKind::RateLimited { .. })))
        .count();
    assert_eq!(limited, 2, "10 per 2 s for the user, whichever key");
    assert_eq!(sim.state.violations(), 2);
}

#[tokio::test]
async fn two_keys_of_one_user_share_one_budget_with_no_configuration() {
    use baltui::venues::VenueClient;
    let sim = start(SimOptions::default()).await;
    let mk = |name| VenueClient::from(named(&sim, name));
    let mut clients = vec![mk("okx-margin"), mk("okx-futures"), mk("okx-main")];
    let before: Vec<String> = clients.iter().map(|c| c.limit().key).collect();
    assert_ne!(
        before[0], before[1],
        "keyed by API key until the uid is known"
    );
    baltui::venues::identify_all(&mut clients, Duration::from_secs(5)).await;
    assert_eq!(
        sim.state.config_requests(),
        3,
        "one config call per API key"
    );
    let keys: Vec<String> = clients.iter().map(|c| c.limit().key).collect();
    assert_eq!(keys[0], keys[1], "one user id, one budget");
    assert_ne!(keys[0], keys[2]);
    assert!(
        !keys
            .iter()
            .any(|k| k.contains(baltui::venues::okx::sim::SHARED_UID)),
        "a digest"
    );
    // Planned together and polled flat out for 5 s: the shared budget keeps
    // the user's two keys within 10 per 2 s.
    let plans = baltui::poll::plan_with(&mut clients, &[Duration::ZERO; 3], 0.8);
    assert_eq!(plans[0].interval, plans[1].interval);
    let until = tokio::time::Instant::now() + Duration::from_secs(5);
    let poll = |c: VenueClient| async move {
        let mut n = 0;
        while tokio::time::Instant::now() < until {
            c.fetch().await.unwrap();
            n += 1;
        }
        n
    };
    let (a, b) = futures::future::join(poll(clients[0].clone()), poll(clients[1].clone())).await;
    assert!(a + b >= 16, "the budget was used: {a} + {b}");
    assert_eq!(sim.state.violations(), 0);
    let basis = clients[0].budget_basis().unwrap_or_default();
    assert!(basis.starts_with("user id "), "{basis}");
}

#[test]
fn a_balance_reply_that_does_not_fit_the_mode_is_noticed() {
    use baltui::venues::okx::AccountMode;
    let multi: wire::Envelope<wire::Balance> = baltui::venues::decode(
        baltui::venues::okx::KIND,
        include_bytes!("../../assets/fixtures/okx/balance-doc.json"),
    )
    .unwrap();
    let fut: wire::Envelope<wire::Balance> = baltui::venues::decode(
        baltui::venues::okx::KIND,
        include_bytes!("../../assets/fixtures/okx/balance-futures.json"),
    )
    .unwrap();
    assert!(AccountMode::MultiCurrency.matches(&multi.data[0]));
    assert!(!AccountMode::Futures.matches(&multi.data[0]));
    assert!(AccountMode::Futures.matches(&fut.data[0]));
    assert!(!AccountMode::Portfolio.matches(&fut.data[0]));
}

#[tokio::test]
async fn a_mode_switch_is_noticed_from_the_balance_reply_and_asked_again() {
    let sim = start(SimOptions::default()).await;
    let cl = main_client(&sim);
    assert_eq!(
        cl.fetch().await.unwrap().account_mode.as_deref(),
        Some("Spot mode")
    );
    assert_eq!(sim.state.config_requests(), 1);
    // The user switches the account to Futures mode: the next balance reply
    // no longer fits Spot mode, so the config is asked again at once.
    sim.state.set_scenario(MAIN_KEY, Scenario::FuturesSwing);
    let s = cl.fetch().await.unwrap();
    assert_eq!(s.account_mode.as_deref(), Some("Futures mode"));
    assert_eq!(sim.state.config_requests(), 2);
    assert_eq!(s.risk.margin_ratio_currency.as_deref(), Some("USDT"));
    // Matching again: no more config calls.
    cl.fetch().await.unwrap();
    assert_eq!(sim.state.config_requests(), 2);
    assert_eq!(sim.state.violations(), 0);
}
