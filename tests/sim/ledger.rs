//! The machine-wide rate ledger: two engines (each with its own budgets and
//! its own ledger handle, as two processes have) on one ledger directory never
//! break a simulated venue's limit; a restart keeps LongPort's gap; a corrupt
//! ledger is rebuilt; a rate-limit pause reaches the other engine.

use baltui::clients::client_for;
use baltui::config::Config;
use baltui::ledger::Ledger;
use baltui::secrets::Secret;
use baltui::sim::{Fault, Sim, SimOptions, demo_accounts};
use baltui::venues::bybit::{BybitClient, BybitSettings, Signer};
use baltui::venues::{ErrorClass, RateBudget, VenueClient, http_client};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn sim() -> Sim {
    Sim::start(
        ([127, 0, 0, 1], 0).into(),
        SimOptions::default(),
        demo_accounts(),
    )
    .await
    .unwrap()
}

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("baltui-ledger-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// `n` clients of the sim account `name`, sharing one budget that uses
/// `ledger` (None: this engine alone), as one process would build them.
fn engine(sim: &Sim, name: &str, n: usize, ledger: Option<Arc<Ledger>>) -> Vec<VenueClient> {
    let cfg = Config::parse(&sim.config_toml(), "sim.toml").unwrap();
    let acc = cfg.accounts.iter().find(|a| a.name == name).unwrap();
    let first = client_for(acc, http_client(Duration::from_secs(5))).unwrap();
    let budget = RateBudget::for_limit(&first.limit(), 0.8, ledger);
    (0..n)
        .map(|_| {
            let mut c = client_for(acc, http_client(Duration::from_secs(5))).unwrap();
            c.set_budget(budget.clone());
            c
        })
        .collect()
}

/// Every client polls as fast as its budget allows until `until`; the count.
async fn hammer(clients: Vec<VenueClient>, until: Instant) -> usize {
    let polls = clients.into_iter().map(|c| async move {
        let mut n = 0;
        while Instant::now() < until {
            // fetch waits for the budget (and through it, the ledger).
            let _ = c.fetch().await;
            n += 1;
        }
        n
    });
    futures::future::join_all(polls).await.into_iter().sum()
}

#[tokio::test]
async fn two_engines_on_one_key_for_20_s_never_break_the_limit() {
    let sim = sim().await;
    let d = dir("two");
    let a = engine(&sim, "okx-main", 2, Some(Ledger::open_as(d.clone(), 1)));
    let b = engine(&sim, "okx-main", 2, Some(Ledger::open_as(d.clone(), 2)));
    let until = Instant::now() + Duration::from_secs(20);
    let (na, nb) = futures::future::join(hammer(a, until), hammer(b, until)).await;
    let served = sim.state.requests_for("sim-okx-main-key");
    assert_eq!(sim.state.violations(), 0, "{na} + {nb} polls");
    // 8 per 2 s shared by both engines: about 80 in 20 s, not 160.
    assert!((70..=92).contains(&served), "served {served}");
    assert!(
        na >= 20 && nb >= 20,
        "both engines got their share: {na}, {nb}"
    );
    sim.shutdown().await;
}

/// The control: the same two engines without the ledger do break the limit,
/// so the test above can fail.
#[tokio::test]
async fn without_the_ledger_two_engines_break_the_limit() {
    let sim = sim().await;
    let a = engine(&sim, "okx-margin", 1, None);
    let b = engine(&sim, "okx-margin", 1, None);
    let until = Instant::now() + Duration::from_secs(4);
    futures::future::join(hammer(a, until), hammer(b, until)).await;
    assert!(sim.state.violations() > 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_restart_within_the_longport_gap_waits_for_it() {
    let sim = sim().await;
    let d = dir("restart");
    let first = engine(&sim, "lp-hk", 1, Some(Ledger::open_as(d.clone(), 1)));
    first[0].fetch().await.unwrap();
    drop(first);
    // "Restarted": new budgets, new ledger handle, same directory.
    let again = engine(&sim, "lp-hk", 1, Some(Ledger::open_as(d.clone(), 2)));
    let t = Instant::now();
    again[0].fetch().await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(sim.state.violations(), 0);

    // The control: without the ledger the restarted engine repeats the
    // request within the second, and the simulator counts it.
    let plain = engine(&sim, "lp-hk", 1, None);
    let _ = plain[0].fetch().await;
    let plain = engine(&sim, "lp-hk", 1, None);
    let _ = plain[0].fetch().await;
    assert!(sim.state.violations() > 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_corrupt_ledger_is_rebuilt_and_polling_goes_on() {
    let sim = sim().await;
    let d = dir("corrupt");
    let clients = engine(&sim, "okx-main", 1, Some(Ledger::open_as(d.clone(), 1)));
    let key = clients[0].limit().key;
    std::fs::create_dir_all(&d).unwrap();
    let file = d.join(format!("{}.ledger", key.replace(':', "-")));
    std::fs::write(&file, b"\x00\xffnot a ledger\ng x y z\n").unwrap();
    clients[0].fetch().await.unwrap();
    clients[0].fetch().await.unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("baltui-ledger 1\n"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("g ")).count(),
        2,
        "{text}"
    );
    assert!(!text.contains("sim-okx"), "no key in the ledger: {text}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_rate_limit_pause_reaches_the_other_engine() {
    let sim = sim().await;
    let d = dir("pause");
    let a = engine(&sim, "okx-main", 1, Some(Ledger::open_as(d.clone(), 1)));
    let b = engine(&sim, "okx-main", 1, Some(Ledger::open_as(d.clone(), 2)));
    a[0].budget()
        .unwrap()
        .pause_for(Duration::from_millis(1500));
    // The pause is written by a task: give it a moment.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let usage = Ledger::open_as(d.clone(), 3)
        .usage(&b[0].limit().key, Duration::from_secs(2))
        .await;
    assert!(usage.paused_until_ms.is_some(), "{usage:?}");
    let t = Instant::now();
    b[0].fetch().await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(1200),
        "{:?}",
        t.elapsed()
    );
    sim.shutdown().await;
}

/// A Binance 418 seen by one engine stops the other engine on the same
/// ledger too, and the other engine says why: the ban, the venue, its end
/// and the status, on every Binance account; nothing is sent meanwhile.
#[tokio::test]
async fn a_binance_ban_reaches_and_shows_in_every_engine() {
    let sim = Sim::start(
        ([127, 0, 0, 1], 0).into(),
        SimOptions {
            rate_limit_status: 418,
            ..SimOptions::default()
        },
        demo_accounts(),
    )
    .await
    .unwrap();
    let d = dir("bn-ban");
    let a = engine(&sim, "bn-main", 1, Some(Ledger::open_as(d.clone(), 1)));
    let lb = Ledger::open_as(d.clone(), 2);
    let b_main = engine(&sim, "bn-main", 1, Some(lb.clone()));
    let b_pm = engine(&sim, "bn-pm", 1, Some(lb));
    sim.state.inject("sim-bn-main-key", Fault::RateLimited, 1);
    let e = a[0].fetch().await.unwrap_err();
    assert!(e.to_string().contains("HTTP 418"), "{e}");
    let sent = sim.state.requests();
    for c in b_main.iter().chain(&b_pm) {
        let e = c.fetch().await.unwrap_err();
        assert_eq!(e.class(), ErrorClass::Banned);
        let text = e.to_string();
        assert!(
            text.contains("IP banned by Binance until") && text.contains("UTC (HTTP 418)"),
            "the other engine shows the ban: {text}"
        );
    }
    assert_eq!(sim.state.requests(), sent, "nothing sent during the ban");
    // The control: an engine on another ledger directory knows nothing of
    // it and asks (so the assertions above can fail).
    let c = engine(&sim, "bn-pm", 1, Some(Ledger::open_as(dir("bn-other"), 3)));
    let _ = c[0].fetch().await;
    assert!(sim.state.requests() > sent);
    sim.shutdown().await;
}

/// A Bybit 403 (IP ban) recorded by one engine stops and shows in another
/// engine on the same ledger. Both engines live in one test process, so the
/// in-process ban is lifted first: what remains is the ledger's. (No
/// control on another directory: the in-process IP budget stays paused.)
#[tokio::test]
async fn a_bybit_ban_reaches_and_shows_in_every_engine() {
    let sim = sim().await;
    let d = dir("by-ban");
    let a = engine(
        &sim,
        "bybit-unified",
        1,
        Some(Ledger::open_as(d.clone(), 1)),
    );
    let b = engine(
        &sim,
        "bybit-unified",
        1,
        Some(Ledger::open_as(d.clone(), 2)),
    );
    a[0].fetch().await.unwrap();
    sim.state.inject("sim-bybit-unified-key", Fault::IpBan, 1);
    let e = a[0].fetch().await.unwrap_err();
    assert!(e.to_string().contains("IP banned by Bybit"), "{e}");
    // Any client of the simulator's IP scope lifts the in-process ban.
    let lifter = || {
        BybitClient::new(
            http_client(Duration::from_secs(5)),
            BybitSettings {
                base_url: sim.base_url(),
                api_key: Secret::new("lifter"),
                signer: Signer::Hmac(Secret::new("lifter")),
                recv_window: 5000,
            },
        )
    };
    lifter().lift_ip_ban_for_tests();
    assert_eq!(lifter().banned_until(), None);
    let sent = sim.state.requests();
    // Without the ledger's ban the poll would wait for the IP budget's
    // in-process pause (10 minutes): the guard makes that a failure.
    let e = tokio::time::timeout(Duration::from_secs(30), b[0].fetch())
        .await
        .expect("the ledger's ban answers at once")
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Banned);
    assert!(
        e.to_string().contains("IP banned by Bybit (HTTP 403")
            && e.to_string().contains("every Bybit request stopped until"),
        "the other engine shows the ban: {e}"
    );
    assert_eq!(sim.state.requests(), sent, "nothing sent during the ban");
    lifter().lift_ip_ban_for_tests();
    sim.shutdown().await;
}
