//! The scheduler on paused tokio time with scripted clients (no I/O): budgets
//! over simulated hours, backoff, coalescing, auth stop, recovery.

use crate::fake::{FakeClient, Script};
use baltui::model::{Risk, Snapshot, Totals};
use baltui::poll::BACKOFF_CAP;
use baltui::poll::Event;
use baltui::venues::{ErrorKind, VenueClient, VenueError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

type Log = Arc<Mutex<Vec<(Instant, String)>>>;

fn ok() -> Result<Snapshot, VenueError> {
    Ok(Snapshot {
        fetched_at: chrono::Utc::now(),
        venue_time: None,
        account_mode: None,
        totals: Totals::default(),
        risk: Risk::default(),
        currencies: vec![],
        wallets: Vec::new(),
        other_views: vec![],
    })
}

fn err(kind: ErrorKind) -> Result<Snapshot, VenueError> {
    Err(VenueError::new(baltui::venues::okx::KIND, kind))
}

fn always_ok() -> Script {
    Arc::new(|_| ok())
}

/// `n` fakes on one key limited to 10 per 2 s, sharing one log.
fn fakes(n: usize, script: Script, log: &Log) -> Vec<VenueClient> {
    (0..n)
        .map(|i| {
            VenueClient::from(
                FakeClient::new(
                    &format!("a{i}"),
                    "k",
                    10,
                    Duration::from_secs(2),
                    script.clone(),
                )
                .with_log(log.clone()),
            )
        })
        .collect()
}

/// Keep the pollers' channel drained; count what arrives.
fn drain(mut rx: tokio::sync::mpsc::Receiver<Event>) -> Arc<Mutex<usize>> {
    let n = Arc::new(Mutex::new(0));
    let c = n.clone();
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            *c.lock().unwrap() += 1;
        }
    });
    n
}

fn times(log: &Log, who: Option<&str>) -> Vec<Duration> {
    let log = log.lock().unwrap();
    let start = log.first().map(|(t, _)| *t).unwrap();
    log.iter()
        .filter(|(_, w)| who.is_none_or(|x| x == w))
        .map(|(t, _)| *t - start)
        .collect()
}

/// Most calls in any sliding window of `w`.
fn max_in_window(t: &[Duration], w: Duration) -> usize {
    let mut best = 0;
    let mut j = 0;
    for i in 0..t.len() {
        while t[i] - t[j] >= w {
            j += 1;
        }
        best = best.max(i - j + 1);
    }
    best
}

#[tokio::test(start_paused = true)]
async fn budgets_hold_for_1_4_and_20_accounts_over_two_hours() {
    for n in [1usize, 4, 20] {
        let log: Log = Arc::default();
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        let set = baltui::poll::spawn(
            fakes(n, always_ok(), &log),
            &vec![Duration::from_secs(1); n],
            0,
            tx,
        );
        let want = set.plans[0].interval;
        let _count = drain(rx);
        tokio::time::sleep(Duration::from_secs(2 * 3600)).await;
        set.shutdown();
        let all = times(&log, None);
        let worst = max_in_window(&all, Duration::from_secs(2));
        assert!(
            worst <= 9,
            "{n} accounts: {worst} calls in some 2 s window (limit 10)"
        );
        // Each account gets its fair share: one call per planned interval.
        let per = (2 * 3600) as f64 / want.as_secs_f64();
        for i in 0..n {
            let got = times(&log, Some(&format!("a{i}"))).len() as f64;
            assert!(
                (got - per).abs() / per < 0.15,
                "{n} accounts: a{i} polled {got} times, planned {per}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn backoff_doubles_to_the_cap_then_success_resets() {
    let log: Log = Arc::default();
    let script: Script = Arc::new(|n| {
        if n < 12 {
            err(ErrorKind::Http {
                status: 500,
                excerpt: String::new(),
            })
        } else {
            ok()
        }
    });
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let set = baltui::poll::spawn(fakes(1, script, &log), &[Duration::from_secs(5)], 0, tx);
    let _c = drain(rx);
    tokio::time::sleep(Duration::from_secs(3 * 3600)).await;
    set.shutdown();
    let t = times(&log, None);
    let gaps: Vec<f64> = t.windows(2).map(|w| (w[1] - w[0]).as_secs_f64()).collect();
    // 10, 20, 40, 80, 160, 300 (cap), 300..., each up to 20% shorter (jitter).
    let mut expect = 10.0f64;
    for (i, g) in gaps.iter().take(12).enumerate() {
        let e = expect.min(BACKOFF_CAP.as_secs_f64());
        assert!(
            *g <= e + 0.01 && *g >= e * 0.8 - 0.01,
            "gap {i}: {g} s, expected {e} s (-20%)"
        );
        expect *= 2.0;
    }
    // After the first success: back to the plain interval.
    assert!(
        (gaps[12] - 5.0).abs() < 0.01 && (gaps[13] - 5.0).abs() < 0.01,
        "{:?}",
        &gaps[11..14]
    );
}

#[tokio::test(start_paused = true)]
async fn refresh_mashing_coalesces() {
    let log: Log = Arc::default();
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let set = baltui::poll::spawn(
        fakes(1, always_ok(), &log),
        &[Duration::from_secs(60)],
        0,
        tx,
    );
    let _c = drain(rx);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(times(&log, None).len(), 1);
    for _ in 0..100 {
        set.refresh(None);
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        times(&log, None).len(),
        2,
        "a hundred presses, one extra request"
    );
    set.shutdown();
}

#[tokio::test(start_paused = true)]
async fn auth_failure_stops_until_refresh() {
    let log: Log = Arc::default();
    let script: Script = Arc::new(|n| {
        if n == 0 {
            err(ErrorKind::Auth {
                code: "50113".into(),
                message: "bad".into(),
            })
        } else {
            ok()
        }
    });
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let set = baltui::poll::spawn(fakes(1, script, &log), &[Duration::from_secs(5)], 0, tx);
    let _c = drain(rx);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(
        times(&log, None).len(),
        1,
        "an hour without a second login attempt"
    );
    set.refresh(Some(0));
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert_eq!(
        times(&log, None).len(),
        4,
        "the refresh tried again, succeeded, and polling resumed"
    );
    set.shutdown();
}

#[tokio::test(start_paused = true)]
async fn a_rate_limit_reply_pauses_every_account_on_the_key() {
    let log: Log = Arc::default();
    let script: Script = Arc::new(|n| {
        if n == 3 {
            err(ErrorKind::RateLimited {
                code: "50011".into(),
                message: "slow down".into(),
            })
        } else {
            ok()
        }
    });
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let clients = fakes(2, script, &log);
    let set = baltui::poll::spawn(clients, &[Duration::from_secs(1); 2], 0, tx);
    let _c = drain(rx);
    tokio::time::sleep(Duration::from_secs(60)).await;
    set.shutdown();
    let log = log.lock().unwrap();
    let start = log[0].0;
    // a0's 4th call (n == 3) was refused; the window is 2 s.
    let refused = log.iter().filter(|(_, w)| w == "a0").nth(3).unwrap().0;
    let after: Vec<Duration> = log
        .iter()
        .filter(|(t, _)| *t > refused)
        .map(|(t, _)| *t - refused)
        .collect();
    assert!(
        after[0] >= Duration::from_secs(2),
        "nobody on the key asked within the window: {:?} (from {:?})",
        &after[..2],
        refused - start
    );
}
