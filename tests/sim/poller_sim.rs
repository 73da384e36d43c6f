//! The real poller against the simulator over loopback: balances arrive, faults map
//! to the right states, an auth failure stops only that account, and the
//! simulator counts zero rate-limit violations.

use baltui::clients::client_for;
use baltui::config::Config;
use baltui::poll::Event;
use baltui::sim::{Fault, Sim, SimOptions, demo_accounts};
use baltui::venues::{ErrorKind, VenueClient, http_client};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::timeout;

async fn sim() -> Sim {
    Sim::start(
        ([127, 0, 0, 1], 0).into(),
        SimOptions {
            seed: 7,
            ..SimOptions::default()
        },
        demo_accounts(),
    )
    .await
    .unwrap()
}

/// The sim's own config, each account polled every second.
fn config(sim: &Sim) -> Config {
    let mut c = Config::parse(&sim.config_toml(), "sim.toml").unwrap();
    for a in &mut c.accounts {
        a.poll_interval = Duration::from_secs(1);
    }
    c
}

fn clients(c: &Config, t: Duration) -> Vec<VenueClient> {
    c.accounts
        .iter()
        .map(|a| client_for(a, http_client(t)).unwrap())
        .collect()
}

fn key_of(name: &str) -> String {
    demo_accounts()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap()
        .api_key
}

/// Next reply for `account`, skipping the others.
async fn next_for(rx: &mut mpsc::Receiver<Event>, account: usize) -> Event {
    loop {
        let m = timeout(Duration::from_secs(15), rx.recv())
            .await
            .expect("a poll within 15 s")
            .unwrap();
        if let Event::Polled { account: a, .. } = &m
            && *a == account
        {
            return m;
        }
    }
}

fn outcome(m: Event) -> Result<baltui::model::Snapshot, baltui::venues::VenueError> {
    match m {
        Event::Polled { result, .. } => result,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn balances_arrive_for_every_account() {
    let sim = sim().await;
    let c = config(&sim);
    let intervals: Vec<Duration> = c.accounts.iter().map(|a| a.poll_interval).collect();
    let (tx, mut rx) = mpsc::channel(64);
    let set = baltui::poll::spawn(clients(&c, Duration::from_secs(5)), &intervals, 0, tx);
    for i in 0..c.accounts.len() {
        let s = outcome(next_for(&mut rx, i).await).unwrap();
        assert!(
            !s.currencies.is_empty(),
            "{} has currencies",
            c.accounts[i].name
        );
        // The legacy LongPort call has no net assets; every account has some
        // total: its own, or (Binance) each wallet's in its own currency.
        assert!(
            s.totals.net_assets.is_some()
                || s.totals.total_cash.is_some()
                || s.wallets.iter().any(|w| w.totals.net_assets.is_some()),
            "{}",
            c.accounts[i].name
        );
    }
    set.shutdown();
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn wrong_secret_fails_that_account_only_and_stops_its_polling() {
    let sim = sim().await;
    // The first account's secret is wrong; the second's is right.
    let text = sim
        .config_toml()
        .replacen("secret_key = \"", "secret_key = \"WRONG", 1);
    let mut c = Config::parse(&text, "sim.toml").unwrap();
    for a in &mut c.accounts {
        a.poll_interval = Duration::from_secs(1);
    }
    let bad = 0;
    let bad_key = key_of(&c.accounts[bad].name);
    let intervals: Vec<Duration> = c.accounts.iter().map(|a| a.poll_interval).collect();
    let (tx, mut rx) = mpsc::channel(64);
    let set = baltui::poll::spawn(clients(&c, Duration::from_secs(5)), &intervals, 0, tx);
    let m = next_for(&mut rx, bad).await;
    let Event::Polled {
        next_poll_at,
        result,
        ..
    } = m
    else {
        unreachable!()
    };
    let e = result.unwrap_err();
    assert!(
        matches!(&e.kind, ErrorKind::Auth { code, .. } if code == "50113"),
        "{e}"
    );
    assert_eq!(next_poll_at, None, "auth failure: no next poll until asked");
    // The other account keeps polling for several rounds; the bad one stays at one request.
    for _ in 0..3 {
        assert!(outcome(next_for(&mut rx, 1).await).is_ok());
    }
    assert_eq!(
        sim.state.requests_for(&bad_key),
        1,
        "no repeated bad logins"
    );
    // A manual refresh tries again (once).
    set.refresh(Some(bad));
    assert!(outcome(next_for(&mut rx, bad).await).is_err());
    assert_eq!(sim.state.requests_for(&bad_key), 2);
    set.shutdown();
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_map_to_states_and_recover() {
    let sim = sim().await;
    let c = config(&sim);
    let key = key_of(&c.accounts[0].name);
    let one = Config {
        accounts: vec![c.accounts[0].clone()],
        ..c.clone()
    };
    let (tx, mut rx) = mpsc::channel(64);
    sim.state.inject(&key, Fault::RateLimited, 1);
    let set = baltui::poll::spawn(
        clients(&one, Duration::from_secs(5)),
        &[Duration::from_secs(1)],
        0,
        tx,
    );

    let Event::Polled {
        at,
        next_poll_at,
        result: r,
        ..
    } = next_for(&mut rx, 0).await
    else {
        unreachable!()
    };
    assert!(
        matches!(r.unwrap_err().kind, ErrorKind::RateLimited { ref code, .. } if code == "50011")
    );
    let wait = next_poll_at.unwrap() - at;
    assert!(
        wait >= chrono::Duration::seconds(2),
        "a full 2 s window at least, got {wait}"
    );
    assert!(
        outcome(next_for(&mut rx, 0).await).is_ok(),
        "recovers after the pause"
    );

    sim.state.inject(&key, Fault::Http500, 1);
    let Event::Polled {
        at,
        next_poll_at,
        result: r,
        ..
    } = next_for(&mut rx, 0).await
    else {
        unreachable!()
    };
    assert!(matches!(
        r.unwrap_err().kind,
        ErrorKind::Http { status: 500, .. }
    ));
    let wait = next_poll_at.unwrap() - at;
    assert!(
        wait >= chrono::Duration::milliseconds(1600),
        "backed off beyond the 1 s interval: {wait}"
    );
    assert!(
        outcome(next_for(&mut rx, 0).await).is_ok(),
        "500 retried later"
    );

    sim.state.inject(&key, Fault::Malformed, 1);
    let e = outcome(next_for(&mut rx, 0).await).unwrap_err();
    match &e.kind {
        ErrorKind::Decode { path, .. } => assert!(path.contains("data[0]"), "{path}"),
        k => panic!("{k:?}"),
    }
    assert!(
        e.to_string()
            .starts_with("OKX: unexpected response at `data[0]"),
        "{e}"
    );
    set.shutdown();
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn many_accounts_on_one_key_never_break_the_limit() {
    // Twelve accounts share one API key, each asking for a poll every second:
    // 12 req/s wanted, 10 per 2 s allowed. The shared budget must hold them back.
    let sim = sim().await;
    let c = config(&sim);
    let base = c.accounts[0].clone();
    let key = key_of(&base.name);
    let accounts: Vec<_> = (0..12)
        .map(|i| {
            let mut a = base.clone();
            a.name = format!("share-{i}");
            a
        })
        .collect();
    let cfg = Config { accounts, ..c };
    let intervals = vec![Duration::from_secs(1); 12];
    let (tx, mut rx) = mpsc::channel(256);
    let set = baltui::poll::spawn(clients(&cfg, Duration::from_secs(5)), &intervals, 0, tx);
    let mut polled = 0u32;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
    while let Ok(Some(m)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if let Event::Polled { result, .. } = m {
            assert!(result.is_ok(), "{:?}", result.err());
            polled += 1;
        }
    }
    set.shutdown();
    // 80% of 10 per 2 s = one every 250 ms: about 24 in 6 s.
    assert!((18..=26).contains(&polled), "polled {polled} times in 6 s");
    assert_eq!(
        sim.state.violations(),
        0,
        "the simulator saw no excess request"
    );
    assert_eq!(sim.state.requests_for(&key), u64::from(polled));
    sim.shutdown().await;
}
