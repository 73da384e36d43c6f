//! The real Bybit client against the simulator over loopback: values,
//! authentication failures, 10006, the HTTP 403 IP ban, the clock.

use baltui::secrets::Secret;
use baltui::sim::scenario::book;
use baltui::sim::{Fault, Scenario, Sim, SimOptions};
use baltui::venues::bybit::sim::{CONTRACT_COINS, Profile, account, account_with, demo_accounts};
use baltui::venues::bybit::{BybitClient, BybitSettings, Signer};
use baltui::venues::{Account, ErrorClass, ErrorKind, RateBudget, VenueClient, http_client};
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
    assert_eq!(e.class(), ErrorClass::Banned, "{e}");
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

fn d(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

/// Hammer `clients` from `tasks` concurrent loops each for `secs`: how many
/// polls succeeded and how many failed.
async fn hammer(clients: &[VenueClient], tasks: usize, secs: u64) -> (usize, usize) {
    let until = tokio::time::Instant::now() + Duration::from_secs(secs);
    let loops = clients.iter().flat_map(|c| {
        (0..tasks).map(move |_| {
            let c = c.clone();
            async move {
                let (mut ok, mut failed) = (0, 0);
                while tokio::time::Instant::now() < until {
                    match c.fetch().await {
                        Ok(_) => ok += 1,
                        Err(_) => failed += 1,
                    }
                }
                (ok, failed)
            }
        })
    });
    futures::future::join_all(loops)
        .await
        .into_iter()
        .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
}

#[tokio::test]
async fn a_uta1_account_also_reads_its_inverse_derivatives_wallet() {
    let uta1 = Profile {
        uid: None,
        status: 3,
    };
    let sim = Sim::start(
        "127.0.0.1:0".parse().unwrap(),
        SimOptions::default(),
        vec![account_with("bybit-uta1", Scenario::MarginSwing, &uta1)],
    )
    .await
    .unwrap();
    let key = "sim-bybit-uta1-key";
    let c = client(&sim, "bybit-uta1");
    let s = c.fetch().await.unwrap();
    assert_eq!(s.account_mode.as_deref(), Some("UTA 1.0, cross margin"));
    // The account's totals and risk are the UNIFIED wallet's (USD).
    let b = book(
        SimOptions::default().seed,
        "bybit-uta1",
        Scenario::MarginSwing,
        0,
    );
    let m = b.margin.clone().unwrap();
    assert_eq!(s.totals.currency.as_deref(), Some("USD"));
    assert_eq!(s.totals.net_assets, Some(b.total_eq()));
    assert_eq!(s.risk.maintenance_margin, Some(m.mmr));
    // Each wallet's totals on their own: CONTRACT has no USD figures.
    let names: Vec<&str> = s.wallets.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["unified", "contract"]);
    assert_eq!(s.wallets[0].totals.net_assets, Some(b.total_eq()));
    assert_eq!(s.wallets[1].totals.currency, None);
    assert_eq!(s.wallets[1].totals.net_assets, None);
    // Every row says its wallet; the CONTRACT coins as the simulator sent them.
    assert!(s.currencies.iter().all(|c| c.wallet.is_some()));
    for (coin, wb, eq, upl) in CONTRACT_COINS {
        let r = s
            .currencies
            .iter()
            .find(|c| c.currency == *coin && c.wallet.as_deref() == Some("contract"))
            .unwrap();
        assert_eq!(r.wallet_balance, d(wb), "{coin} walletBalance");
        assert_eq!(r.equity, d(eq), "{coin} equity");
        assert_eq!(r.unrealized_pnl, d(upl), "{coin} unrealisedPnl");
        assert_eq!(r.value_in_base, None, "{coin} usdValue \"\"");
        assert_eq!(r.liabilities, None, "{coin} borrowAmount \"\"");
    }
    let usdt = s.currencies.iter().find(|c| c.currency == "USDT").unwrap();
    assert_eq!(usdt.wallet.as_deref(), Some("unified"));
    assert_eq!(usdt.liabilities, Some(Decimal::from(25000)));
    let btc: Vec<&str> = s
        .currencies
        .iter()
        .filter(|c| c.currency == "BTC")
        .filter_map(|c| c.wallet.as_deref())
        .collect();
    assert_eq!(btc, ["contract", "unified"], "sorted by coin, then wallet");
    // Two wallet calls a poll, the info call once.
    assert_eq!(sim.state.requests_for(key), 2);
    c.fetch().await.unwrap();
    assert_eq!(sim.state.requests_for(key), 4);
    assert_eq!(sim.state.config_requests(), 1);
    // Hammered through its planned budget, both calls of every poll stay
    // within the user's wallet-balance limit.
    let mut clients = vec![VenueClient::from(c)];
    baltui::poll::plan_with(&mut clients, &[Duration::ZERO], 0.8);
    let (ok, failed) = hammer(&clients, 4, 2).await;
    assert_eq!(failed, 0);
    assert!(ok >= 10, "{ok} polls");
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

/// Two accounts with two keys of one user (and a third user) in the
/// simulator: query-api tells each key's user id, the two keys get one
/// wallet-balance budget, and hammered together they never exceed the
/// user's 50 per second. `shared` false is the control: the same two keys
/// polled without the scheduler's wallet-balance budget (only the
/// process-wide IP budget, about 60 a second) overrun the user's limit, and
/// the simulator counts it: the zero-violation assertion can fail.
async fn two_keys_of_one_user(shared: bool) -> (u64, usize, usize) {
    let p = Profile {
        uid: Some("520000001".into()),
        status: 5,
    };
    let sim = Sim::start(
        "127.0.0.1:0".parse().unwrap(),
        SimOptions::default(),
        vec![
            account_with("bybit-a", Scenario::Calm, &p),
            account_with("bybit-b", Scenario::Calm, &p),
            account("bybit-c", Scenario::Calm),
        ],
    )
    .await
    .unwrap();
    let mut clients: Vec<VenueClient> = ["bybit-a", "bybit-b", "bybit-c"]
        .iter()
        .map(|n| VenueClient::from(client(&sim, n)))
        .collect();
    let before: Vec<String> = clients.iter().map(|c| c.limit().key).collect();
    assert_ne!(
        before[0], before[1],
        "keyed by API key until the uid is known"
    );
    if shared {
        baltui::venues::identify_all(&mut clients, Duration::from_secs(5)).await;
        assert_eq!(sim.state.config_requests(), 3, "one query-api call per key");
        let keys: Vec<String> = clients.iter().map(|c| c.limit().key).collect();
        assert_eq!(keys[0], keys[1], "one user id, one budget");
        assert_ne!(keys[0], keys[2]);
        assert!(!keys[0].contains("520000001"), "a digest");
        assert_eq!(
            clients[0].budget_basis().as_deref(),
            Some("user id 520000001 (from /v5/user/query-api)")
        );
        baltui::poll::plan_with(&mut clients[..2], &[Duration::ZERO; 2], 0.8);
    }
    let (ok, failed) = hammer(&clients[..2], 6, 3).await;
    let v = sim.state.violations();
    sim.shutdown().await;
    (v, ok, failed)
}

#[tokio::test]
async fn two_keys_of_one_user_share_one_budget_and_never_exceed_its_limit() {
    let (violations, ok, failed) = two_keys_of_one_user(true).await;
    assert_eq!((violations, failed), (0, 0), "{ok} polls");
    assert!(ok >= 40, "the budget was used: {ok} polls");
}

#[tokio::test]
async fn control_two_keys_of_one_user_without_the_users_budget_overrun_it() {
    let (violations, ok, failed) = two_keys_of_one_user(false).await;
    assert!(violations > 0, "{ok} polls, {failed} failed");
}
