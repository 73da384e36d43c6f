//! The alert command runs once per transition, never on every poll; flapping
//! stays quiet; one instance per account; failures reported; no secret leaks.

use baltui::alerts::{Runner, Transition};
use baltui::app::{App, Effect, Msg};
use baltui::health::{Severity, Thresholds};
use baltui::model::{Risk, Snapshot, Totals};
use baltui::monitor::AccountSpec;
use baltui::poll::Event;
use chrono::{DateTime, TimeZone, Utc};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 16, 0, 0).unwrap()
}

fn at(ms: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::milliseconds(ms)
}

fn snap(ratio: &str) -> Snapshot {
    Snapshot {
        fetched_at: t0(),
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

/// `min`: the alert command's least severity; None: no command configured.
fn app(min: Option<Severity>) -> App {
    App::new(
        vec![AccountSpec::new(
            "okx-main",
            baltui::venues::okx::KIND,
            false,
            Duration::from_secs(1),
        )],
        Thresholds::default(),
        t0(),
    )
    .with_alerts(min)
}

fn alerts(fx: Vec<Effect>) -> Vec<Transition> {
    fx.into_iter()
        .filter_map(|e| match e {
            Effect::Alert(t) => Some(t),
            _ => None,
        })
        .collect()
}

fn poll(a: &mut App, ms: i64, r: Result<Snapshot, baltui::venues::VenueError>) -> Vec<Transition> {
    alerts(a.update(Msg::Poll(Event::Polled {
        account: 0,
        generation: 0,
        at: at(ms),
        result: r,
        next_poll_at: None,
    })))
}

#[test]
fn one_alert_per_transition_not_per_poll() {
    let mut a = app(Some(Severity::Warn));
    let mut fired = Vec::new();
    for (ms, ratio) in [
        (0, "5"),
        (2000, "2.5"),
        (4000, "2.5"),
        (6000, "1.2"),
        (8000, "1.2"),
        (10000, "5"),
    ] {
        fired.extend(poll(&mut a, ms, Ok(snap(ratio))));
    }
    let seen: Vec<(&str, Severity, Severity)> = fired
        .iter()
        .map(|t| (t.subject.as_str(), t.previous, t.severity))
        .collect();
    assert_eq!(
        seen,
        [
            ("margin_ratio", Severity::Ok, Severity::Warn),
            ("margin_ratio", Severity::Warn, Severity::Critical),
            ("margin_ratio", Severity::Critical, Severity::Ok),
        ]
    );
    assert_eq!(fired[0].message, "margin ratio 250% below 300%");
    assert_eq!(
        fired[2].message,
        "cleared (was CRITICAL): margin ratio 120% below 150%"
    );
    assert_eq!(fired[0].account, "okx-main");
}

#[test]
fn flapping_inside_one_interval_is_debounced() {
    let mut a = app(Some(Severity::Warn));
    let mut fired = poll(&mut a, 0, Ok(snap("5")));
    for (ms, ratio) in [
        (100, "2.5"),
        (300, "5"),
        (500, "2.5"),
        (700, "5"),
        (900, "2.5"),
    ] {
        fired.extend(poll(&mut a, ms, Ok(snap(ratio))));
    }
    fired.extend(alerts(a.update(Msg::Tick(at(1500)))));
    assert_eq!(fired.len(), 1, "only the first rise: {fired:?}");
    // Ends cleared after the window: that change is announced once, late.
    fired.extend(poll(&mut a, 1600, Ok(snap("5"))));
    fired.extend(poll(&mut a, 1700, Ok(snap("5"))));
    fired.extend(alerts(a.update(Msg::Tick(at(3000)))));
    assert_eq!(fired.len(), 2, "{fired:?}");
    assert_eq!(fired[1].severity, Severity::Ok);
}

#[test]
fn min_severity_and_status_transitions() {
    let mut a = app(Some(Severity::Critical));
    assert!(
        poll(&mut a, 0, Ok(snap("2.5"))).is_empty(),
        "warn is below critical"
    );
    let e = baltui::venues::VenueError::new(
        baltui::venues::okx::KIND,
        baltui::venues::ErrorKind::Auth {
            code: "50113".into(),
            message: "Invalid Sign".into(),
        },
    );
    let f = poll(&mut a, 2000, Err(e));
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].subject.as_str(), f[0].severity),
        ("status", Severity::Critical)
    );
    assert!(f[0].message.contains("50113"));
    let f = poll(&mut a, 4000, Ok(snap("2.5")));
    assert_eq!(
        (f[0].subject.as_str(), f[0].severity, f[0].message.as_str()),
        ("status", Severity::Ok, "recovered")
    );
    // No command configured: no alerts at all.
    let mut quiet = app(None);
    assert!(poll(&mut quiet, 0, Ok(snap("1.2"))).is_empty());
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("baltui-alerts-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&d);
    d
}

fn sh(script: &str) -> Vec<String> {
    vec!["sh".into(), "-c".into(), script.into()]
}

fn transition(sev: Severity) -> Transition {
    Transition {
        account: "okx-main".into(),
        venue: baltui::venues::okx::KIND,
        severity: sev,
        previous: Severity::Ok,
        subject: "margin_ratio".into(),
        message: "margin ratio 250% below 300%".into(),
    }
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

#[tokio::test]
async fn the_command_gets_the_transition_and_no_secret() {
    let out = tmp("env");
    // A variable cargo sets for every test process stands in for one a
    // config reads a secret from (setting one here would race the other
    // tests' threads).
    assert!(
        std::env::var_os("CARGO_PKG_NAME").is_some(),
        "run under cargo test: CARGO_PKG_NAME is the variable scrubbed here"
    );
    let script = format!(
        "echo \"$BALTUI_ACCOUNT|$BALTUI_VENUE|$BALTUI_PREVIOUS|$BALTUI_SEVERITY|$BALTUI_SUBJECT|$BALTUI_MESSAGE|${{CARGO_PKG_NAME:-scrubbed}}\" >> {}",
        out.display()
    );
    let r = Runner::new(
        sh(&script),
        Duration::from_secs(5),
        vec!["CARGO_PKG_NAME".into()],
        Box::new(|_, _| {}),
    );
    r.fire(transition(Severity::Warn));
    settle().await;
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "okx-main|okx|ok|warn|margin_ratio|margin ratio 250% below 300%|scrubbed\n"
    );
}

#[tokio::test]
async fn one_instance_per_account_every_transition_in_order() {
    let out = tmp("serial");
    let script = format!("sleep 0.1; echo \"$BALTUI_SEVERITY\" >> {}", out.display());
    let r = Runner::new(
        sh(&script),
        Duration::from_secs(5),
        vec![],
        Box::new(|_, _| {}),
    );
    r.fire(transition(Severity::Warn));
    for _ in 0..5 {
        r.fire(transition(Severity::Notice));
    }
    r.fire(transition(Severity::Critical));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // One at a time (appends never interleave), none replaced, in order.
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "warn\nnotice\nnotice\nnotice\nnotice\nnotice\ncritical\n"
    );
}

/// Five findings arriving together on one account (one poll) reach the
/// command five times, the margin-ratio warning among them: the App's
/// effects, carried out the way the monitor carries them out.
#[tokio::test]
async fn five_findings_at_once_are_five_runs() {
    use baltui::model::{CurrencyBalance, Indicator};
    let out = tmp("five");
    let script = format!("sleep 0.05; echo \"$BALTUI_SUBJECT\" >> {}", out.display());
    let r = Runner::new(
        sh(&script),
        Duration::from_secs(5),
        vec![],
        Box::new(|_, _| {}),
    );
    let mut a = app(Some(Severity::Warn));
    let mut s = snap("2.5");
    s.risk.indicators.push(Indicator::new(
        "deltaNeutralStatus",
        "1",
        "transfer restricted",
    ));
    s.currencies.push(CurrencyBalance {
        currency: "USDT".into(),
        available: Some("-5".parse().unwrap()),
        indicators: vec![
            Indicator::new("twap", "2", "forced-repayment risk 2 of 5"),
            Indicator::new("colBorrAutoConversion", "4", "auto-conversion soon"),
        ],
        ..CurrencyBalance::default()
    });
    let fx = a.update(Msg::Poll(Event::Polled {
        account: 0,
        generation: 0,
        at: at(0),
        result: Ok(s),
        next_poll_at: None,
    }));
    let logged = fx
        .iter()
        .filter(|e| matches!(e, Effect::LogTransition(_)))
        .count();
    let fired = alerts(fx);
    assert_eq!(fired.len(), 5, "{fired:?}");
    assert_eq!(logged, 5, "every transition is also logged");
    for t in fired {
        r.fire(t);
    }
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let mut got: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "USDT.available",
            "USDT.colBorrAutoConversion",
            "USDT.twap",
            "deltaNeutralStatus",
            "margin_ratio"
        ]
    );
}

#[test]
fn transitions_are_logged_even_without_an_alert_command() {
    let mut a = app(None);
    let fx = a.update(Msg::Poll(Event::Polled {
        account: 0,
        generation: 0,
        at: at(0),
        result: Ok(snap("1.2")),
        next_poll_at: None,
    }));
    let logged: Vec<Transition> = fx
        .into_iter()
        .filter_map(|e| match e {
            Effect::LogTransition(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(logged.len(), 1);
    assert_eq!(
        (
            logged[0].subject.as_str(),
            logged[0].previous,
            logged[0].severity
        ),
        ("margin_ratio", Severity::Ok, Severity::Critical)
    );
}

#[tokio::test]
async fn a_full_queue_reports_every_drop_with_the_count() {
    let reports: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = reports.clone();
    let out = tmp("full");
    let script = format!("sleep 0.3; echo \"$BALTUI_SEVERITY\" >> {}", out.display());
    let r = Runner::with_capacity(
        sh(&script),
        Duration::from_secs(5),
        vec![],
        Box::new(move |account, e| sink.lock().unwrap().push(format!("{account}: {e}"))),
        2,
    );
    r.fire(transition(Severity::Warn)); // runs
    r.fire(transition(Severity::Notice)); // waits
    r.fire(transition(Severity::Critical)); // waits
    r.fire(transition(Severity::Ok)); // dropped
    r.fire(transition(Severity::Warn)); // dropped
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "warn\nnotice\ncritical\n"
    );
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert!(reports[1].contains("alert queue full"), "{}", reports[1]);
    assert!(reports[1].contains("(2 dropped so far)"), "{}", reports[1]);
}

#[tokio::test]
async fn failures_and_timeouts_are_reported() {
    let reports: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = reports.clone();
    let report =
        move |account: String, e: String| sink.lock().unwrap().push(format!("{account}: {e}"));
    let r = Runner::new(
        vec!["false".into()],
        Duration::from_secs(5),
        vec![],
        Box::new(report.clone()),
    );
    r.fire(transition(Severity::Warn));
    let slow = Runner::new(
        vec!["sleep".into(), "10".into()],
        Duration::from_secs(1),
        vec![],
        Box::new(report.clone()),
    );
    let mut other = transition(Severity::Warn);
    other.account = "lp-hk".into();
    slow.fire(other);
    let missing = Runner::new(
        vec!["/nonexistent/notify".into()],
        Duration::from_secs(1),
        vec![],
        Box::new(report),
    );
    let mut third = transition(Severity::Warn);
    third.account = "wb".into();
    missing.fire(third);
    settle().await;
    let mut got = reports.lock().unwrap().clone();
    got.sort();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(
        got[0].starts_with("lp-hk: alert command `sleep` timed out after 1s"),
        "{got:?}"
    );
    assert!(
        got[1].starts_with("okx-main: alert command `false` exited with"),
        "{got:?}"
    );
    assert!(
        got[2].starts_with("wb: alert command `/nonexistent/notify` did not start"),
        "{got:?}"
    );
}
