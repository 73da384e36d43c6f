//! The real Bybit client against the simulator over loopback: values,
//! authentication failures, 10006, the HTTP 403 IP ban, the clock.

use baltui::secrets::Secret;
use baltui::sim::scenario::book;
use baltui::sim::{Fault, Scenario, Sim, SimOptions};
use baltui::venues::bybit::sim::{account, demo_accounts};
use baltui::venues::bybit::{BybitClient, BybitSettings, Signer};
use baltui::venues::{Account, ErrorClass, ErrorKind, RateBudget, http_client};
use rust_decimal::{Decimal, RoundingStrategy};
use std::time::Duration;

const UNIFIED_KEY: &str = "sim-bybit-unified-key";

async fn start() -> Sim {
    let mut accounts = demo_accounts();
    accounts.push(account("bybit-calm", Scenario::Calm));
    Sim::start(
        "127.0.0.1:0".parse().unwrap(),
        SimOptions::default(),
        accounts,
    )
    .await
    .unwrap()
}

fn client_with(sim: &Sim, key: &str, secret: &str) -> BybitClient {
    BybitClient::new(
        http_client(Duration::from_secs(5)),
        BybitSettings {
            base_url: sim.base_url(),
            api_key: Secret::new(key),
            signer: Signer::Hmac(Secret::new(secret)),
            recv_window: 5000,
        },
    )
}

fn client(sim: &Sim, name: &str) -> BybitClient {
    let a = sim
        .state
        .accounts()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap();
    client_with(sim, &a.api_key, &a.secret_key)
}

#[tokio::test]
async fn values_come_through_as_the_simulator_computed_them() {
    let sim = start().await;
    let c = client(&sim, "bybit-unified");
    let s = c.fetch().await.unwrap();
    let b = book(
        SimOptions::default().seed,
        "bybit-unified",
        Scenario::MarginSwing,
        0,
    );
    let m = b.margin.clone().unwrap();
    assert_eq!(s.account_mode.as_deref(), Some("UTA 2.0, cross margin"));
    assert_eq!(s.totals.currency.as_deref(), Some("USD"));
    assert_eq!(s.totals.net_assets, Some(b.total_eq()));
    assert_eq!(s.totals.margin_balance, Some(m.adj_eq));
    assert_eq!(s.risk.maintenance_margin, Some(m.mmr));
    assert_eq!(s.risk.initial_margin, Some(m.imr));
    let rate = (m.mmr / m.adj_eq).round_dp_with_strategy(4, RoundingStrategy::ToZero);
    assert_eq!(s.risk.maintenance_rate, Some(rate));
    assert_eq!(s.risk.margin_ratio, None);
    let usdt = s.currencies.iter().find(|c| c.currency == "USDT").unwrap();
    assert_eq!(usdt.liabilities, Some(Decimal::from(25000)));
    assert_eq!(usdt.spot_borrow, Some(Decimal::from(25000)));
    // walletBalance includes the borrowed coins; equity does not.
    assert_eq!(usdt.wallet_balance, Some(Decimal::ZERO));
    assert_eq!(
        usdt.equity,
        b.holdings
            .iter()
            .find(|h| h.ccy == "USDT")
            .map(|h| h.equity())
    );
    assert_eq!(usdt.withdrawable, None);
    assert_eq!(usdt.cash, None);
    let names: Vec<&str> = s.currencies.iter().map(|c| c.currency.as_str()).collect();
    assert_eq!(names, ["BTC", "ETH", "USDT"]);
    // The info call is made once, not on every poll.
    c.fetch().await.unwrap();
    assert_eq!(sim.state.config_requests(), 1);
    assert_eq!(sim.state.requests_for(UNIFIED_KEY), 2);
    assert_eq!(sim.state.violations(), 0);
    let calm = client(&sim, "bybit-calm").fetch().await.unwrap();
    assert_eq!(calm.risk.maintenance_rate, Some(Decimal::ZERO));
    sim.shutdown().await;
}

#[tokio::test]
async fn an_rsa_key_signs_what_the_simulator_verifies_and_its_config_round_trips() {
    use baltui::venues::bybit::sign::{RsaKey, TEST_RSA_PEM};
    let mut rsa = account("bybit-rsa", Scenario::Calm);
    rsa.secret_key = TEST_RSA_PEM.to_string();
    let sim = Sim::start(
        "127.0.0.1:0".parse().unwrap(),
        SimOptions::default(),
        vec![rsa],
    )
    .await
    .unwrap();
    let c = BybitClient::new(
        http_client(Duration::from_secs(5)),
        BybitSettings {
            base_url: sim.base_url(),
            api_key: Secret::new("sim-bybit-rsa-key"),
            signer: Signer::Rsa(RsaKey::from_pem(TEST_RSA_PEM).unwrap()),
            recv_window: 5000,
        },
    );
    assert!(!c.fetch().await.unwrap().currencies.is_empty());
    // `baltui sim` writes it as private_key; the config loads and polls.
    let cfg = baltui::config::Config::parse(&sim.config_toml(), "sim.toml")
        .and_then(baltui::config::Config::strict)
        .unwrap();
    let clients = baltui::clients::clients_for(&cfg.accounts, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(!clients[0].fetch().await.unwrap().currencies.is_empty());
    // A signature by another key is refused as 10004.
    let other = BybitClient::new(
        http_client(Duration::from_secs(5)),
        BybitSettings {
            base_url: sim.base_url(),
            api_key: Secret::new("sim-bybit-rsa-key"),
            signer: Signer::Hmac(Secret::new(TEST_RSA_PEM)),
            recv_window: 5000,
        },
    );
    let e = other.fetch().await.unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::Auth { ref code, .. } if code == "10004"),
        "{e}"
    );
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_secret_or_key_is_an_auth_failure_named_by_code() {
    let sim = start().await;
    let e = client_with(&sim, UNIFIED_KEY, "not-the-secret")
        .fetch()
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Auth);
    assert!(
        matches!(e.kind, ErrorKind::Auth { ref code, .. } if code == "10004"),
        "{e}"
    );
    assert!(!e.to_string().contains("not-the-secret"));
    let e = client_with(&sim, "nobody", "x").fetch().await.unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::Auth { ref code, .. } if code == "10003"),
        "{e}"
    );
    sim.state.inject(UNIFIED_KEY, Fault::TokenExpired, 1);
    let e = client(&sim, "bybit-unified").fetch().await.unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::Auth { ref code, .. } if code == "33004"),
        "{e}"
    );
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn too_many_visits_pauses_the_key_until_the_reset() {
    let sim = start().await;
    let mut c = client(&sim, "bybit-unified");
    let budget = RateBudget::new("bybit-test", 50, Duration::from_secs(1), 0.8);
    c.set_budget(budget.clone());
    sim.state.inject(UNIFIED_KEY, Fault::RateLimited, 1);
    let e = c.fetch().await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::RateLimited);
    assert!(
        matches!(e.kind, ErrorKind::RateLimited { ref code, .. } if code == "10006"),
        "{e}"
    );
    let until = budget.paused_until().expect("the key waits for the reset");
    assert!(until > tokio::time::Instant::now());
    // After the reset the account answers again.
    let s = c.fetch().await.unwrap();
    assert!(!s.currencies.is_empty());
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_ip_ban_stops_every_bybit_request_and_says_until_when() {
    let sim = start().await;
    let c = client(&sim, "bybit-unified");
    c.fetch().await.unwrap();
    sim.state.inject(UNIFIED_KEY, Fault::IpBan, 1);
    let e = c.fetch().await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::RateLimited, "{e}");
    assert!(
        e.to_string().contains("IP banned by Bybit (HTTP 403"),
        "{e}"
    );
    let until = c.banned_until().expect("banned");
    let left = until - chrono::Utc::now();
    assert!(
        left > chrono::Duration::seconds(590) && left <= chrono::Duration::seconds(600),
        "{left}"
    );
    let sent = sim.state.requests();
    // Every account of this IP stops, not only the one told.
    let other = client(&sim, "bybit-calm");
    for c in [&c, &other] {
        let e = c.fetch().await.unwrap_err();
        assert!(
            e.to_string().contains("every Bybit request stopped until"),
            "{e}"
        );
    }
    assert_eq!(sim.state.requests(), sent, "nothing sent during the ban");
    assert_eq!(sim.state.violations(), 0);
    c.lift_ip_ban_for_tests();
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_timestamp_syncs_the_clock_and_the_poll_succeeds() {
    for skew_ms in [20_000_i64, -3_000] {
        let sim = start().await;
        sim.state.set_clock_offset_ms(skew_ms);
        let c = client(&sim, "bybit-unified");
        let s = c.fetch().await.unwrap();
        assert!(!s.currencies.is_empty());
        assert!(
            (c.clock_offset_ms() - skew_ms).abs() < 1000,
            "{}",
            c.clock_offset_ms()
        );
        assert_eq!(s.account_mode.as_deref(), Some("UTA 2.0, cross margin"));
        // Later polls sign with the offset: no more refusals.
        c.fetch().await.unwrap();
        assert_eq!(sim.state.violations(), 0);
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_clock_fault_that_persists_is_a_clock_error_after_one_retry() {
    let sim = start().await;
    let c = client(&sim, "bybit-unified");
    c.fetch().await.unwrap();
    let before = sim.state.requests_for(UNIFIED_KEY);
    sim.state.inject(UNIFIED_KEY, Fault::ClockSkew, 2);
    let e = c.fetch().await.unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::Clock { ref code, .. } if code == "10002"),
        "{e}"
    );
    assert_eq!(
        sim.state.requests_for(UNIFIED_KEY),
        before + 2,
        "one retry, no loop"
    );
    sim.shutdown().await;
}
