//! The engine's Monitor with no front end: poll events in, account state,
//! findings, marks, the events log and outcomes out. No terminal, no App.

use baltui::health::{Severity, Thresholds};
use baltui::model::{Risk, Snapshot, Totals};
use baltui::monitor::{AccountSpec, Monitor, Outcome, PollState, Status};
use baltui::poll::Event;
use baltui::venues::{Discovered, ErrorKind, VenueError};
use chrono::{DateTime, TimeZone, Utc};
use std::time::Duration;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 16, 0, 0).unwrap()
}

fn secs(s: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(s)
}

fn snap(at: DateTime<Utc>, ratio: &str) -> Snapshot {
    Snapshot {
        fetched_at: at,
        venue_time: None,
        account_mode: None,
        totals: Totals::default(),
        risk: Risk {
            margin_ratio: Some(ratio.parse().unwrap()),
            ..Risk::default()
        },
        currencies: vec![],
        wallets: Vec::new(),
        other_views: vec![],
    }
}

fn polled(account: usize, at: DateTime<Utc>, result: Result<Snapshot, VenueError>) -> Event {
    Event::Polled {
        account,
        generation: 0,
        at,
        result,
        next_poll_at: Some(at + chrono::Duration::seconds(5)),
    }
}

fn monitor() -> Monitor {
    let spec =
        |n: &str| AccountSpec::new(n, baltui::venues::okx::KIND, false, Duration::from_secs(5));
    Monitor::new(
        vec![spec("okx-main"), spec("okx-margin")],
        Thresholds::default(),
    )
    .with_alerts(Some(Severity::Warn))
}

/// Outcomes other than the transition log (each transition is logged too).
fn visible(out: Vec<Outcome>) -> Vec<Outcome> {
    out.into_iter()
        .filter(|o| !matches!(o, Outcome::LogTransition(_)))
        .collect()
}

#[test]
fn poll_events_drive_findings_status_marks_and_alerts() {
    let mut m = monitor();
    assert_eq!(
        m.accounts()[0].status(t0(), m.thresholds()),
        Status::Loading
    );

    // Healthy: state taken, nothing to announce.
    let out = m.apply(polled(0, t0(), Ok(snap(t0(), "5"))), t0());
    assert!(out.is_empty(), "{out:?}");
    let a = &m.accounts()[0];
    assert_eq!(a.poll, PollState::Ok);
    assert_eq!(a.next_poll_at, Some(secs(5)));
    assert_eq!(
        a.margin_history.iter().copied().collect::<Vec<_>>(),
        ["5".parse().unwrap()]
    );
    assert!(a.findings.is_empty());

    // Critical: the summary changes, the severity rose, the alert fires.
    let out = m.apply(polled(0, secs(1), Ok(snap(secs(1), "1.2"))), secs(1));
    let alert = match visible(out).as_slice() {
        [Outcome::Summary, Outcome::Rose, Outcome::Alert(t)] => t.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (
            alert.account.as_str(),
            alert.subject.as_str(),
            alert.severity,
            alert.previous
        ),
        ("okx-main", "margin_ratio", Severity::Critical, Severity::Ok)
    );
    let a = &m.accounts()[0];
    assert_eq!(a.findings[0].message, "margin ratio 120% below 150%");
    assert_eq!(a.worst(secs(1), m.thresholds()), Severity::Critical);
    assert_eq!(m.counts(secs(1)), (1, 0));
    assert_eq!(m.events()[0].text, "margin ratio 120% below 150%");
    assert_eq!(m.events()[0].at, secs(1));

    // Cleared by itself: a mark until acknowledged; the summary changes, no rise.
    let out = m.apply(polled(0, secs(70), Ok(snap(secs(70), "8"))), secs(70));
    assert!(!visible(out.clone()).contains(&Outcome::Rose), "{out:?}");
    assert!(out.contains(&Outcome::Summary), "{out:?}");
    assert_eq!(m.counts(secs(70)), (0, 0));
    assert_eq!(m.mark_counts(), (1, 0));
    assert_eq!(
        m.accounts()[0].worst_mark().map(|k| k.text()).as_deref(),
        Some("was CRITICAL 16:00-16:01 (margin ratio 120% below 150%)")
    );
    assert_eq!(
        m.acknowledge(Some(1), secs(71)),
        0,
        "another account's: none"
    );
    assert_eq!(m.acknowledge(None, secs(71)), 1);
    assert_eq!(m.mark_counts(), (0, 0));
    assert_eq!(m.events()[0].text, "acknowledged 1 cleared warning");
    assert_eq!(m.events()[0].account, "all");

    // A refused key: AUTH FAILED, old numbers kept.
    let e = VenueError::new(
        baltui::venues::okx::KIND,
        ErrorKind::Auth {
            code: "50113".into(),
            message: "bad sign".into(),
        },
    );
    m.apply(polled(1, secs(72), Err(e)), secs(72));
    let b = &m.accounts()[1];
    assert_eq!(b.status(secs(72), m.thresholds()), Status::AuthFailed);
    assert_eq!(
        b.last_error.as_deref(),
        Some("OKX: authentication failed (code 50113: bad sign)")
    );
    assert_eq!(m.events()[0].severity, Severity::Critical);

    // Time alone makes data stale: 3 intervals of 5 s.
    assert!(m.tick(secs(85)).is_empty());
    assert_eq!(m.accounts()[0].status(secs(85), m.thresholds()), Status::Ok);
    assert_eq!(
        m.tick(secs(86)),
        [Outcome::Summary, Outcome::Rose],
        "okx-main went stale"
    );
    assert_eq!(
        m.accounts()[0].status(secs(86), m.thresholds()),
        Status::Stale
    );
}

#[test]
fn discovery_and_generations() {
    let mut m = Monitor::new(
        vec![AccountSpec::new(
            "wb-hk",
            baltui::venues::webull::KIND,
            false,
            Duration::from_secs(2),
        )],
        Thresholds::default(),
    );
    let found = vec![
        Discovered {
            id: "ID1".into(),
            label: "5MV1".into(),
        },
        Discovered {
            id: "ID2".into(),
            label: "5MV2".into(),
        },
    ];
    let ev = |generation| Event::Discovered {
        account: 0,
        generation,
        found: found.clone(),
    };
    assert!(!m.accepts(&ev(1)), "not this generation");
    assert!(m.apply(ev(1), t0()).is_empty());
    assert_eq!(m.accounts().len(), 1);
    assert_eq!(
        m.apply(ev(0), t0()),
        [Outcome::AddAccount {
            parent: 0,
            index: 1,
            account_id: "ID2".into()
        }]
    );
    let names: Vec<&str> = m.accounts().iter().map(|a| a.spec.name.as_str()).collect();
    assert_eq!(names, ["wb-hk/5MV1", "wb-hk/5MV2"]);
    m.planned(1, Duration::from_secs(4), Some("shared".into()), t0());
    assert_eq!(m.accounts()[1].spec.poll_interval, Duration::from_secs(4));

    // A reload: a new generation; the discovered account goes until found again.
    m.reconfigure(
        vec![AccountSpec::new(
            "wb-hk",
            baltui::venues::webull::KIND,
            false,
            Duration::from_secs(2),
        )],
        Thresholds::default(),
        t0(),
    );
    assert_eq!(m.generation(), 1);
    assert_eq!(m.accounts().len(), 1);
    assert_eq!(
        m.events()[0].text,
        "config reloaded: 1 kept, 0 added, 0 removed"
    );
    assert!(
        m.apply(polled(0, t0(), Ok(snap(t0(), "5"))), t0())
            .is_empty()
    );
    assert!(m.accounts()[0].snapshot.is_none(), "an old poller's reply");
}

/// The real poller and the simulator, the Monitor the only consumer: the
/// Webull app key's accounts are discovered and added, every account gets
/// its balance.
#[tokio::test]
async fn the_real_poller_drives_a_monitor() {
    use baltui::sim::{Sim, SimOptions, demo_accounts};
    let sim = Sim::start(
        ([127, 0, 0, 1], 0).into(),
        SimOptions {
            seed: 3,
            ..SimOptions::default()
        },
        demo_accounts(),
    )
    .await
    .unwrap();
    let mut cfg = baltui::config::Config::parse(&sim.config_toml(), "sim.toml").unwrap();
    cfg.accounts
        .retain(|a| a.name == "okx-main" || a.name == "wb-hk");
    for a in &mut cfg.accounts {
        a.poll_interval = Duration::from_secs(1);
    }
    let clients = baltui::clients::clients_for(&cfg.accounts, cfg.request_timeout)
        .await
        .unwrap();
    let intervals: Vec<Duration> = cfg.accounts.iter().map(|a| a.poll_interval).collect();
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let mut pollers = baltui::poll::spawn(clients, &intervals, 0, tx);
    let specs = cfg
        .accounts
        .iter()
        .zip(&pollers.plans)
        .map(|(a, p)| AccountSpec::configured(a, p))
        .collect();
    let mut m = Monitor::new(specs, cfg.thresholds.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let all_ok = |m: &Monitor| {
        m.accounts().len() == 3 && m.accounts().iter().all(|a| a.poll == PollState::Ok)
    };
    while !all_ok(&m) {
        let e = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("every account polled within 30 s")
            .unwrap();
        for o in m.apply(e, Utc::now()) {
            if let Outcome::AddAccount {
                parent,
                index,
                account_id,
            } = o
            {
                for (i, p) in pollers.add_discovered(parent, index, &account_id) {
                    m.planned(i, p.interval, p.note, Utc::now());
                }
            }
        }
    }
    pollers.shutdown();
    let names: Vec<&str> = m.accounts().iter().map(|a| a.spec.name.as_str()).collect();
    assert_eq!(names, ["okx-main", "wb-hk/5MV01001", "wb-hk/5MV01002"]);
    let ids: Vec<Option<&str>> = m
        .accounts()
        .iter()
        .map(|a| a.spec.account_id.as_deref())
        .collect();
    assert_eq!(ids, [None, Some("SIMWBACC0001"), Some("SIMWBACC0002")]);
    // Two Webull accounts share the app key's budget: 4 s each.
    assert_eq!(m.accounts()[2].spec.poll_interval, Duration::from_secs(4));
    for a in m.accounts() {
        let s = a.snapshot.as_ref().expect("a balance");
        assert!(!s.currencies.is_empty(), "{}", a.spec.name);
    }
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}
