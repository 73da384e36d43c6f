//! The real Binance client against the simulator over loopback: values,
//! authentication failures, 429 and 418, and the clock.

use baltui::secrets::Secret;
use baltui::sim::{Fault, Sim, SimOptions};
use baltui::venues::binance::sign::Signer;
use baltui::venues::binance::sim::{RETRY_AFTER_S, demo_accounts, margin_level};
use baltui::venues::binance::{BinanceClient, BinanceSettings, Mode};
use baltui::venues::{ErrorClass, ErrorKind, http_client};
use rust_decimal::Decimal;
use std::time::Duration;

async fn start(opts: SimOptions) -> Sim {
    Sim::start("127.0.0.1:0".parse().unwrap(), opts, demo_accounts())
        .await
        .unwrap()
}

/// The sim account `name`'s settings (the default wallets), its secret or
/// `secret` instead.
fn settings(sim: &Sim, name: &str, secret: Option<&str>) -> BinanceSettings {
    let a = demo_accounts()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap();
    let mode = if name == "bn-pm" {
        Mode::PortfolioMargin
    } else {
        Mode::Classic
    };
    BinanceSettings {
        base_url: Some(sim.base_url()),
        api_key: Secret::new(a.api_key.clone()),
        signer: Signer::Hmac(Secret::new(secret.unwrap_or(&a.secret_key))),
        mode,
        wallets: vec!["spot".into(), "margin".into(), "futures".into()],
        recv_window: 5000,
        isolated_pairs: Vec::new(),
    }
}

fn client(sim: &Sim, name: &str, secret: Option<&str>) -> BinanceClient {
    BinanceClient::new(
        http_client(Duration::from_secs(5)),
        settings(sim, name, secret),
    )
}

fn d(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

#[tokio::test]
async fn classic_account_shows_every_wallet_with_its_own_totals() {
    let sim = start(SimOptions::default()).await;
    let c = client(&sim, "bn-main", None);
    let s = c.fetch().await.unwrap();
    let wallets: Vec<&str> = s
        .currencies
        .iter()
        .filter_map(|c| c.wallet.as_deref())
        .collect();
    for w in ["spot", "margin", "futures"] {
        assert!(wallets.contains(&w), "{w}: {wallets:?}");
    }
    assert_eq!(s.risk.margin_level, Some(margin_level(0)));
    assert_eq!(s.risk.margin_level, d("3"));
    let bars = s.risk.margin_level_bars.expect("tradeCoeff read");
    assert_eq!(
        (Some(bars.normal), Some(bars.margin_call)),
        (d("1.5"), d("1.3"))
    );
    let totals: Vec<(&str, Option<&str>)> = s
        .wallets
        .iter()
        .map(|w| (w.name.as_str(), w.totals.currency.as_deref()))
        .collect();
    assert_eq!(
        totals,
        vec![("margin", Some("BTC")), ("futures", Some("USDT"))]
    );
    assert_eq!(
        s.totals.net_assets, None,
        "wallets are never summed without a rate"
    );
    let usdt_margin = s
        .currencies
        .iter()
        .find(|c| c.currency == "USDT" && c.wallet.as_deref() == Some("margin"))
        .unwrap();
    assert_eq!(usdt_margin.liabilities, d("19980"));
    assert_eq!(usdt_margin.interest, d("20"));
    assert_eq!(usdt_margin.equity, d("5000"));
    let usdt_spot = s
        .currencies
        .iter()
        .find(|c| c.currency == "USDT" && c.wallet.as_deref() == Some("spot"))
        .unwrap();
    assert_eq!(usdt_spot.frozen, d("250"));
    assert!(s.risk.futures_maint_ratio.is_some());
    // The second poll walks the level down; the rare calls are not repeated.
    let before = sim.state.requests();
    let s2 = c.fetch().await.unwrap();
    assert_eq!(s2.risk.margin_level, Some(margin_level(1)));
    assert!(s2.risk.margin_level < s.risk.margin_level);
    assert_eq!(
        sim.state.requests() - before,
        3,
        "spot, margin, futures only"
    );
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn portfolio_margin_account() {
    let sim = start(SimOptions::default()).await;
    let s = client(&sim, "bn-pm", None).fetch().await.unwrap();
    assert_eq!(s.account_mode.as_deref(), Some("Portfolio Margin"));
    assert!(s.risk.uni_mmr.is_some_and(|u| u > Decimal::from(3)));
    let st = s
        .risk
        .indicators
        .iter()
        .find(|i| i.key == "accountStatus")
        .unwrap();
    assert_eq!(st.value, "NORMAL");
    let pm = s
        .currencies
        .iter()
        .find(|c| c.currency == "USDT" && c.wallet.as_deref() == Some("pm"))
        .unwrap();
    assert_eq!(pm.liabilities, d("10000"));
    assert_eq!(pm.interest, d("3.5"));
    assert!(
        s.currencies
            .iter()
            .any(|c| c.wallet.as_deref() == Some("spot"))
    );
    assert_eq!(s.wallets[0].totals.currency.as_deref(), Some("USD"));
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_secret_or_key_is_an_auth_failure_that_names_the_causes() {
    let sim = start(SimOptions::default()).await;
    let e = client(&sim, "bn-main", Some("wrong"))
        .fetch()
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Auth);
    assert!(
        matches!(e.kind, ErrorKind::Auth { ref code, .. } if code == "-1022"),
        "{e}"
    );
    sim.state.inject("sim-bn-main-key", Fault::TokenExpired, 1);
    let e = client(&sim, "bn-main", None).fetch().await.unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::Auth { ref code, .. } if code == "-2015"),
        "{e}"
    );
    let text = e.to_string();
    for w in ["API key", "allow-list", "permission"] {
        assert!(text.contains(w), "{text}");
    }
    assert!(!text.contains("sim-bn-main-secret"));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_429_pauses_the_family_until_retry_after_without_a_ban() {
    let sim = start(SimOptions::default()).await;
    let c = client(&sim, "bn-main", None);
    c.fetch().await.unwrap();
    sim.state.inject("sim-bn-main-key", Fault::RateLimited, 1);
    let e = c.fetch().await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::RateLimited);
    assert!(e.to_string().contains("next try at"), "{e}");
    // The next poll waits for Retry-After instead of asking (which would be a 418).
    let t = tokio::time::Instant::now();
    c.fetch().await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(RETRY_AFTER_S * 1000 - 200),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_418_stops_every_binance_account_on_the_host() {
    let sim = start(SimOptions {
        rate_limit_status: 418,
        ..SimOptions::default()
    })
    .await;
    let main = client(&sim, "bn-main", None);
    let pm = client(&sim, "bn-pm", None);
    sim.state.inject("sim-bn-main-key", Fault::RateLimited, 1);
    let e = main.fetch().await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::Banned);
    assert!(e.to_string().contains("banned"), "{e}");
    let sent = sim.state.requests();
    let e = pm.fetch().await.unwrap_err();
    assert!(
        e.to_string().contains("banned"),
        "the other account shows the ban: {e}"
    );
    assert_eq!(sim.state.requests(), sent, "no request during the ban");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_clock_refusal_syncs_with_the_server_time_once() {
    let sim = start(SimOptions::default()).await;
    sim.state.set_clock_offset_ms(30_000);
    let c = client(&sim, "bn-main", None);
    let e = c.fetch().await.unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Clock { .. }), "{e}");
    assert!(
        (c.clock_offset_ms() - 30_000).abs() < 2_000,
        "{}",
        c.clock_offset_ms()
    );
    c.fetch().await.unwrap();
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

/// §7.5: a 403 is Binance's web application firewall, not the key: every
/// Binance request stops for 5 minutes, then the next poll tries once.
#[tokio::test]
async fn a_403_is_a_waf_block_of_five_minutes_not_an_auth_failure() {
    let sim = start(SimOptions::default()).await;
    let main = client(&sim, "bn-main", None);
    let pm = client(&sim, "bn-pm", None);
    sim.state.inject("sim-bn-main-key", Fault::IpBan, 1);
    let before = chrono::Utc::now();
    let e = main.fetch().await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::Banned, "not auth: {e}");
    let text = e.to_string();
    assert!(
        text.contains("IP blocked by Binance's web application firewall until")
            && text.contains("UTC (HTTP 403)"),
        "{text}"
    );
    // The end shown is five minutes after the reply.
    let after = chrono::Utc::now();
    let ends: Vec<String> = (0..=(after - before).num_seconds() + 1)
        .map(|s| {
            (before + chrono::Duration::seconds(300 + s))
                .format("%H:%M:%S")
                .to_string()
        })
        .collect();
    assert!(ends.iter().any(|t| text.contains(t)), "{text} vs {ends:?}");
    let sent = sim.state.requests();
    for c in [&main, &pm] {
        let e = c.fetch().await.unwrap_err();
        assert!(e.to_string().contains("HTTP 403"), "{e}");
    }
    assert_eq!(sim.state.requests(), sent, "nothing sent during the block");
    // The five minutes passed: the next poll asks once and succeeds.
    main.lift_ban_for_tests();
    main.fetch().await.unwrap();
    assert!(sim.state.requests() > sent);
    sim.shutdown().await;
}

/// COIN-M's limit comes from `/dapi/v1/exchangeInfo` (the simulator
/// publishes 6000, the vendor's REST example, where baltui assumes 2400
/// until read); an account without COIN-M never asks it.
#[tokio::test]
async fn dapi_limit_is_read_from_its_exchange_info_when_coinm_is_polled() {
    let sim = start(SimOptions::default()).await;
    use baltui::venues::binance::Family;
    let plain = client(&sim, "bn-main", None);
    plain.fetch().await.unwrap();
    assert_eq!(plain.weight_limit(Family::Dapi), 2400, "not read: default");
    let coinm = BinanceClient::new(
        http_client(Duration::from_secs(5)),
        BinanceSettings {
            wallets: vec!["coinm".into()],
            ..settings(&sim, "bn-main", None)
        },
    );
    let s = coinm.fetch().await.unwrap();
    assert!(
        s.currencies
            .iter()
            .any(|c| c.wallet.as_deref() == Some("coinm"))
    );
    assert_eq!(coinm.weight_limit(Family::Dapi), 6000);
    // /papi has no exchangeInfo: the documented number stays.
    assert_eq!(coinm.weight_limit(Family::Papi), 6000);
    sim.shutdown().await;
}

/// Measurement (PROTOCOLS §7): the request weight baltui spends per family
/// in one minute for ONE and for TEN classic accounts (spot, margin,
/// futures) behind one IP at the default poll interval, as the scheduler
/// plans it. Counted by the client per family while polling the simulator:
/// each account's first poll (with its start-up reads: exchangeInfo,
/// tradeCoeff, accountConfig) plus steady polls for the rest of the minute.
#[tokio::test]
async fn weight_per_family_per_minute_for_one_and_ten_accounts() {
    use baltui::clients::client_for;
    use baltui::config::Config;
    use baltui::venues::binance::weight_spent;
    let mut measured = Vec::new();
    for n in [1usize, 10] {
        let sim = start(SimOptions::default()).await;
        let cfg = Config::parse(&sim.config_toml(), "sim.toml").unwrap();
        let acc = cfg.accounts.iter().find(|a| a.name == "bn-main").unwrap();
        let mut clients: Vec<_> = (0..n)
            .map(|_| client_for(acc, http_client(Duration::from_secs(5))).unwrap())
            .collect();
        let plans = baltui::poll::plan(&mut clients, &vec![acc.poll_interval; n]);
        let polls_per_minute = 60_000 * n as u64 / plans[0].interval.as_millis() as u64;
        let host = sim.base_url();
        for c in &clients {
            c.fetch().await.unwrap();
        }
        let first = weight_spent(&host);
        clients[0].fetch().await.unwrap();
        let after = weight_spent(&host);
        let per_poll = |f: &str| {
            let w = |v: &[(&str, u64)]| v.iter().find(|(l, _)| *l == f).map_or(0, |x| x.1);
            (w(&first), w(&after) - w(&first))
        };
        let minute: Vec<(&str, u64)> = ["/api", "/sapi", "/fapi", "/dapi", "/papi"]
            .iter()
            .map(|f| {
                let (start, poll) = per_poll(f);
                (*f, start + poll * (polls_per_minute - n as u64))
            })
            .collect();
        println!(
            "{n} account(s): interval {:?}, {polls_per_minute} polls/min, weight/min {minute:?}",
            plans[0].interval
        );
        measured.push((n, plans[0].interval, minute));
        sim.shutdown().await;
    }
    // One account at the default 15 s (PROTOCOLS.md §7): 4 polls, each
    // /api 20 (spot), /sapi 10 (margin), /fapi 5 (futures); the first minute
    // adds exchangeInfo (/api 20, /fapi 1), tradeCoeff (/sapi 10),
    // accountConfig (/fapi 5).
    assert_eq!(measured[0].1, Duration::from_secs(15));
    assert_eq!(
        measured[0].2,
        vec![
            ("/api", 20 + 4 * 20),
            ("/sapi", 10 + 4 * 10),
            ("/fapi", 6 + 4 * 5),
            ("/dapi", 0),
            ("/papi", 0)
        ]
    );
    // Ten accounts: 40 polls a minute, within the per-IP poll budget (60/min
    // at the 0.8 margin: 48), so the interval stays 15 s; exchangeInfo once
    // per host, each account's own slow reads once.
    assert_eq!(measured[1].1, Duration::from_secs(15));
    assert_eq!(
        measured[1].2,
        vec![
            ("/api", 20 + 40 * 20),
            ("/sapi", 10 * 10 + 40 * 10),
            ("/fapi", 1 + 10 * 5 + 40 * 5),
            ("/dapi", 0),
            ("/papi", 0)
        ]
    );
}

/// Isolated margin: only the configured pairs, at most 5 per call (6 pairs:
/// two calls of weight 10), each pair's rows, level and status; a pair at
/// MARGIN_CALL is a warning (§8).
#[tokio::test]
async fn isolated_pairs_are_read_five_per_call_with_their_status() {
    let sim = start(SimOptions::default()).await;
    let pairs = [
        "BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT",
    ];
    let c = BinanceClient::new(
        http_client(Duration::from_secs(5)),
        BinanceSettings {
            wallets: vec!["spot".into()],
            isolated_pairs: pairs.iter().map(|p| p.to_string()).collect(),
            ..settings(&sim, "bn-main", None)
        },
    );
    let s = c.fetch().await.unwrap();
    let sapi = baltui::venues::binance::weight_spent(&sim.base_url())
        .into_iter()
        .find(|(f, _)| *f == "/sapi")
        .map(|(_, w)| w);
    assert_eq!(sapi, Some(20), "two isolated calls of weight 10");
    assert_eq!(sim.state.violations(), 0, "never more than 5 per call");
    for p in pairs {
        let w = format!("isolated {p}");
        assert_eq!(
            s.currencies
                .iter()
                .filter(|r| r.wallet.as_deref() == Some(w.as_str()))
                .count(),
            2,
            "{p}: base and quote rows"
        );
    }
    let usdt = s
        .currencies
        .iter()
        .find(|r| r.wallet.as_deref() == Some("isolated ETHUSDT") && r.currency == "USDT")
        .unwrap();
    assert_eq!(usdt.liabilities, d("100"));
    let ind = |k: &str| {
        s.risk
            .indicators
            .iter()
            .find(|i| i.key == k)
            .map(|i| i.value.clone())
    };
    assert_eq!(ind("BTCUSDT marginLevel").as_deref(), Some("1.25"));
    assert_eq!(
        ind("BTCUSDT marginLevelStatus").as_deref(),
        Some("MARGIN_CALL")
    );
    assert_eq!(ind("ADAUSDT marginLevelStatus").as_deref(), Some("NORMAL"));
    let f = baltui::health::evaluate(&s, &baltui::health::Thresholds::default());
    let by = |subj: &str| f.iter().find(|f| f.subject == subj).map(|f| f.severity);
    assert_eq!(
        by("BTCUSDT marginLevelStatus"),
        Some(baltui::health::Severity::Warn)
    );
    assert_eq!(by("ETHUSDT marginLevelStatus"), None);
    sim.shutdown().await;
}
