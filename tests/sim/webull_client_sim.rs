//! The Webull client and poller against the simulator: discovery, a budget
//! shared per app key with zero violations, and each failure mode.

use baltui::clients::client_for;
use baltui::config::Config;
use baltui::poll::Event;
use baltui::sim::{Fault, Sim, SimOptions, demo_accounts};
use baltui::venues::{ErrorClass, ErrorKind, VenueClient, http_client};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::timeout;

const APP_KEY: &str = "sim-wb-hk-app-key";

async fn sim() -> Sim {
    Sim::start(
        ([127, 0, 0, 1], 0).into(),
        SimOptions {
            seed: 5,
            ..SimOptions::default()
        },
        demo_accounts(),
    )
    .await
    .unwrap()
}

fn webull(text: &str) -> Config {
    let mut c = Config::parse(text, "sim.toml").unwrap();
    c.accounts
        .retain(|a| a.venue == baltui::venues::webull::KIND);
    assert_eq!(c.accounts.len(), 1);
    c
}

fn clients(c: &Config) -> Vec<VenueClient> {
    c.accounts
        .iter()
        .map(|a| client_for(a, http_client(Duration::from_secs(5))).unwrap())
        .collect()
}

async fn recv(rx: &mut mpsc::Receiver<Event>) -> Event {
    timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("a message within 20 s")
        .unwrap()
}

#[tokio::test]
async fn discovers_two_accounts_and_polls_both_within_one_budget() {
    let sim = sim().await;
    let c = webull(&sim.config_toml());
    let (tx, mut rx) = mpsc::channel(64);
    let mut set = baltui::poll::spawn(clients(&c), &[Duration::from_secs(1)], 0, tx);
    // HK: 2 per 2 s published, one per 2 s granted.
    assert_eq!(set.plans[0].interval, Duration::from_secs(2));
    let found = match recv(&mut rx).await {
        Event::Discovered {
            account: 0, found, ..
        } => found,
        other => panic!("{other:?}"),
    };
    let labels: Vec<&str> = found.iter().map(|f| f.label.as_str()).collect();
    assert_eq!(labels, ["5MV01001", "5MV01002"]);
    let changed = set.add_discovered(0, 1, &found[1].id);
    // Two accounts now share one grant every 2 s: each is polled every 4 s.
    let intervals: Vec<(usize, Duration)> = changed.iter().map(|(i, p)| (*i, p.interval)).collect();
    assert_eq!(
        intervals,
        [(0, Duration::from_secs(4)), (1, Duration::from_secs(4))]
    );
    assert_eq!(
        changed[0].1.note.as_deref(),
        Some("interval raised to 4s: the rate budget is shared by 2 accounts")
    );
    let mut ok = [0, 0];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(11);
    while let Ok(Some(m)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if let Event::Polled {
            account, result, ..
        } = m
        {
            let s = result.unwrap_or_else(|e| panic!("account {account}: {e}"));
            // The report currency (USD by default), asked for as total_asset_currency.
            assert_eq!(s.totals.currency.as_deref(), Some("USD"));
            ok[account] += 1;
        }
    }
    set.shutdown();
    assert!(ok[0] >= 2 && ok[1] >= 2, "both accounts polled: {ok:?}");
    // discovery + fetches, one per 2 s at most: about 6 in 11 s.
    let total = sim.state.requests_for(APP_KEY);
    assert!((4..=7).contains(&total), "{total} requests");
    assert_eq!(sim.state.violations(), 0);
    // The loan account borrows USD; the sim says which is which.
    sim.shutdown().await;
}

#[tokio::test]
async fn failures_map_to_states() {
    let sim = sim().await;
    let good = webull(&sim.config_toml());
    let client = clients(&good).remove(0);
    let found = client.discover().await.unwrap();
    let acct = client.for_account(&found[0].id);

    let bad_secret = webull(&sim.config_toml().replace("sim-wb-hk-app-secret", "WRONG"));
    let e = clients(&bad_secret)[0].discover().await.unwrap_err();
    assert!(
        matches!(&e.kind, ErrorKind::Auth { code, .. } if code == "UNAUTHORIZED"),
        "{e}"
    );
    assert!(e.trace_id.is_some(), "X-Request-Id kept: {e}");
    assert_eq!(e.class(), ErrorClass::Auth);

    let no_token = webull(
        &sim.config_toml()
            .replace("access_token = \"sim-wb-hk-token\"\n", ""),
    );
    let e = clients(&no_token)[0].discover().await.unwrap_err();
    assert!(
        matches!(&e.kind, ErrorKind::Auth { code, .. } if code == "INVALID_TOKEN"),
        "{e}"
    );

    tokio::time::sleep(Duration::from_millis(2100)).await; // out of the window
    sim.state.inject(APP_KEY, Fault::RateLimited, 1);
    let e = acct.fetch().await.unwrap_err();
    assert!(
        matches!(&e.kind, ErrorKind::RateLimited { code, .. } if code == "TOO_MANY_REQUESTS"),
        "{e}"
    );

    tokio::time::sleep(Duration::from_millis(2100)).await;
    sim.state.inject(APP_KEY, Fault::ClockSkew, 1);
    let e = acct.fetch().await.unwrap_err();
    assert!(
        matches!(&e.kind, ErrorKind::Clock { code, .. } if code == "CLOCK_SKEW_EXCEEDED"),
        "{e}"
    );
    assert!(e.to_string().contains("clock"), "{e}");
    assert_eq!(e.class(), ErrorClass::Transient, "retried with backoff");

    tokio::time::sleep(Duration::from_millis(2100)).await;
    sim.state.inject(APP_KEY, Fault::Http500, 1);
    let e = acct.fetch().await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::Transient);

    tokio::time::sleep(Duration::from_millis(2100)).await;
    sim.state.inject(APP_KEY, Fault::Malformed, 1);
    let e = acct.fetch().await.unwrap_err();
    assert!(
        matches!(&e.kind, ErrorKind::Decode { path, .. } if path.starts_with("account_currency_assets")),
        "{e}"
    );

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let s = acct.fetch().await.unwrap();
    assert!(!s.currencies.is_empty());
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_secret_stops_polling_until_asked() {
    let sim = sim().await;
    let c = webull(&sim.config_toml().replace("sim-wb-hk-app-secret", "WRONG"));
    let (tx, mut rx) = mpsc::channel(64);
    let set = baltui::poll::spawn(clients(&c), &[Duration::from_secs(2)], 0, tx);
    match recv(&mut rx).await {
        Event::Polled {
            result: Err(e),
            next_poll_at: None,
            ..
        } => {
            assert!(matches!(e.kind, ErrorKind::Auth { .. }), "{e}")
        }
        other => panic!("{other:?}"),
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sim.state.requests_for(APP_KEY), 1, "no repeated bad logins");
    set.refresh(Some(0));
    assert!(matches!(
        recv(&mut rx).await,
        Event::Polled { result: Err(_), .. }
    ));
    assert_eq!(sim.state.requests_for(APP_KEY), 2);
    set.shutdown();
    sim.shutdown().await;
}

#[tokio::test]
async fn error_body_with_http_200_is_an_error() {
    let sim = sim().await;
    let c = webull(&sim.config_toml());
    let client = clients(&c).remove(0);
    let found = client.discover().await.unwrap();
    let acct = client.for_account(&found[0].id);
    sim.state.inject(APP_KEY, Fault::ErrorBodyOk, 1);
    let e = acct
        .fetch()
        .await
        .expect_err("an error body is never a healthy empty account");
    assert_eq!(
        e.kind,
        ErrorKind::Api {
            code: "SERVICE_NOT_AVAILABLE".into(),
            message: "service not available".into()
        }
    );
    assert!(e.to_string().starts_with("Webull: "), "{e}");
    assert!(e.trace_id.is_some(), "X-Request-Id kept: {e}");
    assert_eq!(e.class(), ErrorClass::Transient, "retried with backoff");

    // Discovery too: the error, not a decode failure of the list.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    sim.state.inject(APP_KEY, Fault::ErrorBodyOk, 1);
    let e = client.discover().await.unwrap_err();
    assert!(
        matches!(&e.kind, ErrorKind::Api { code, .. } if code == "SERVICE_NOT_AVAILABLE"),
        "{e}"
    );

    // Then the account again, with its own id and the report currency.
    let s = acct.fetch().await.unwrap();
    assert!(!s.currencies.is_empty());
    assert_eq!(s.totals.currency.as_deref(), Some("USD"));
    assert!(
        s.currencies
            .iter()
            .all(|c| c.settling.is_none() && c.in_transit.is_some()),
        "pending_incoming is in transit"
    );
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}
