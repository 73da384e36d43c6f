//! The history store on a temp dir, real SQLite: what is stored when, exact
//! amounts, retention, the fault cases, the chart's series.

use baltui::history::{self, PollRecord, Reader, Store, Writer};
use baltui::model::{CurrencyBalance, Risk, Snapshot, Totals};
use baltui::monitor::PollState;
use baltui::record::HistoryReader;
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const HEARTBEAT: Duration = Duration::from_secs(300);
const KEEP: Duration = Duration::from_secs(90 * 86_400);
const WAIT: Duration = Duration::from_secs(20);

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn t0() -> DateTime<Utc> {
    // Recent enough that the default keep never prunes it.
    Utc::now() - chrono::Duration::hours(2)
}

fn balance(ccy: &str, cash: &str) -> CurrencyBalance {
    CurrencyBalance {
        currency: ccy.into(),
        cash: Some(d(cash)),
        available: Some(d(cash)),
        ..CurrencyBalance::default()
    }
}

fn snap(at: DateTime<Utc>, ratio: &str, usdt: &str) -> Snapshot {
    Snapshot {
        fetched_at: at,
        venue_time: None,
        account_mode: None,
        totals: Totals {
            currency: Some("USD".into()),
            net_assets: Some(d("10000.50")),
            ..Totals::default()
        },
        risk: Risk {
            margin_ratio: Some(d(ratio)),
            ..Risk::default()
        },
        currencies: vec![balance("USDT", usdt), balance("BTC", "0.5")],
        other_views: vec![],
        wallets: vec![],
    }
}

fn ok(account: &str, at: DateTime<Utc>, s: Snapshot) -> PollRecord {
    PollRecord {
        account: account.into(),
        venue: "okx".into(),
        at,
        status: PollState::Ok,
        error: None,
        snapshot: Some(s),
    }
}

fn failed(account: &str, at: DateTime<Utc>, why: &str) -> PollRecord {
    PollRecord {
        account: account.into(),
        venue: "okx".into(),
        at,
        status: PollState::Error,
        error: Some(why.into()),
        snapshot: None,
    }
}

fn store_path(tag: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new().prefix(tag).tempdir().unwrap();
    let p = dir.path().join("sub").join("history.sqlite3");
    (dir, p)
}

/// A writer whose reports land in the returned list.
fn writer(path: &Path, keep: Duration) -> (Writer, Arc<Mutex<Vec<String>>>) {
    let said = Arc::new(Mutex::new(Vec::new()));
    let s = said.clone();
    let w = Writer::start(
        path,
        keep,
        HEARTBEAT,
        Box::new(move |_, m| s.lock().unwrap().push(m)),
    )
    .unwrap();
    (w, said)
}

fn count(path: &Path, sql: &str) -> i64 {
    let c = rusqlite::Connection::open(path).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

#[test]
fn only_changes_are_stored_plus_a_heartbeat() {
    let (_dir, path) = store_path("hist-change");
    let (mut w, said) = writer(&path, KEEP);
    let t = t0();
    // Ten polls with the same figures (only fetched_at moves): one row.
    for i in 0..10 {
        let at = t + secs(5 * i);
        w.record_poll(ok("a", at, snap(at, "5", "100")));
    }
    assert!(w.flush(WAIT));
    assert_eq!(count(&path, "SELECT count(*) FROM polls"), 1);
    assert_eq!(count(&path, "SELECT count(*) FROM balances"), 2, "full row");
    // USDT changes: one row holding only USDT.
    let at = t + secs(50);
    w.record_poll(ok("a", at, snap(at, "5", "101")));
    // A failed poll is a change; the same failure again is not.
    w.record_poll(failed("a", t + secs(55), "timeout"));
    w.record_poll(failed("a", t + secs(60), "timeout"));
    // Back to the same figures: a change of status, no balance rows.
    let at = t + secs(65);
    w.record_poll(ok("a", at, snap(at, "5", "101")));
    // Quiet for a heartbeat: one flagged row, holding every currency.
    for i in 1..=61 {
        let at = t + secs(65 + 5 * i);
        w.record_poll(ok("a", at, snap(at, "5", "101")));
    }
    assert!(w.flush(WAIT));
    let rows = |sql: &str| {
        let c = rusqlite::Connection::open(&path).unwrap();
        let mut s = c.prepare(sql).unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<Vec<(String, i64, i64, i64)>, _>>()
            .unwrap()
    };
    assert_eq!(
        rows(
            "SELECT status, heartbeat, full, (SELECT count(*) FROM balances b WHERE b.poll = p.id)
             FROM polls p ORDER BY id"
        ),
        vec![
            ("ok".into(), 0, 1, 2),
            ("ok".into(), 0, 0, 1),
            ("error".into(), 0, 0, 0),
            ("ok".into(), 0, 0, 0),
            ("ok".into(), 1, 1, 2),
        ]
    );
    let beat_at: i64 = count(&path, "SELECT at FROM polls WHERE heartbeat = 1");
    assert_eq!(beat_at, (t + secs(65 + 300)).timestamp_millis());
    assert!(
        said.lock().unwrap().is_empty(),
        "{:?}",
        said.lock().unwrap()
    );
    w.close();
}

#[test]
fn amounts_round_trip_exactly() {
    let (_dir, path) = store_path("hist-exact");
    let (mut w, _) = writer(&path, KEEP);
    let t = t0();
    let mut s = snap(t, "1.2300", "0.000000012345678901");
    s.currencies[1].frozen = Some(d("123456789012.50"));
    s.currencies[1].settling = Some(d("-0.10"));
    s.risk.headroom = baltui::model::Headroom::from_usage(d("0.25"), "x");
    w.record_poll(ok("a", t, s.clone()));
    w.close();
    let r = Reader::open(&path, HEARTBEAT).unwrap();
    let rows = r.export(None, t - secs(1), None).unwrap();
    assert_eq!(rows.len(), 2);
    let btc = rows
        .iter()
        .find(|r| r.currency.as_deref() == Some("BTC"))
        .unwrap();
    assert_eq!(btc.frozen.unwrap().to_string(), "123456789012.50");
    assert_eq!(btc.settling.unwrap().to_string(), "-0.10");
    assert_eq!(btc.withdrawable, None, "absent stays absent");
    let usdt = rows
        .iter()
        .find(|r| r.currency.as_deref() == Some("USDT"))
        .unwrap();
    assert_eq!(usdt.cash.unwrap().to_string(), "0.000000012345678901");
    assert_eq!(usdt.margin_ratio.unwrap().to_string(), "1.2300");
    assert_eq!(usdt.headroom.unwrap().to_string(), "0.75");
    assert_eq!(usdt.net_assets.unwrap().to_string(), "10000.50");
    assert_eq!(usdt.total_cash, None);
    let known = r.last_known().unwrap();
    assert_eq!(known, vec![("a".to_string(), s)]);
}

#[test]
fn old_rows_are_pruned_keeping_the_values_in_force() {
    let (_dir, path) = store_path("hist-prune");
    let now = Utc::now();
    let day = chrono::Duration::days(1);
    let (mut w, _) = writer(&path, KEEP);
    for (n, at) in [
        now - day * 3,
        now - day * 5 / 2,
        now - day * 2,
        now - secs(3600),
    ]
    .into_iter()
    .enumerate()
    {
        w.record_poll(ok("a", at, snap(at, &format!("{}", n + 2), "100")));
    }
    let old = baltui::monitor::EventLine {
        at: now - day * 3,
        account: "a".into(),
        severity: baltui::health::Severity::Warn,
        text: "old".into(),
    };
    let new = baltui::monitor::EventLine {
        at: now,
        text: "new".into(),
        ..old.clone()
    };
    baltui::record::Recorder::event(&mut w, &old);
    baltui::record::Recorder::event(&mut w, &new);
    w.close();
    assert_eq!(count(&path, "SELECT count(*) FROM polls"), 4);
    // Keep one day: pruned at start.
    let (w, _) = writer(&path, Duration::from_secs(86_400));
    assert!(w.flush(WAIT));
    let c = rusqlite::Connection::open(&path).unwrap();
    let ratios: Vec<String> = c
        .prepare("SELECT margin_ratio FROM polls ORDER BY at")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // The row two days old stays: it is the value in force a day ago.
    assert_eq!(ratios, vec!["4", "5"]);
    assert_eq!(count(&path, "SELECT count(*) FROM balances"), 4);
    let texts: Vec<String> = c
        .prepare("SELECT text FROM events")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(texts, vec!["new"]);
    w.close();
}

#[test]
fn a_corrupt_file_is_moved_aside_and_a_fresh_one_started() {
    let (dir, path) = store_path("hist-corrupt");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        b"this is not an sqlite database, just garbage bytes ".repeat(100),
    )
    .unwrap();
    let (mut w, said) = writer(&path, KEEP);
    let t = t0();
    w.record_poll(ok("a", t, snap(t, "5", "100")));
    assert!(w.flush(WAIT));
    let said = said.lock().unwrap().clone();
    assert_eq!(said.len(), 1, "{said:?}");
    let aside: Vec<PathBuf> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert!(said[0].contains(&path.display().to_string()), "{said:?}");
    assert!(
        said[0].contains(&aside[0].display().to_string()),
        "{said:?}"
    );
    assert!(
        std::fs::read(&aside[0])
            .unwrap()
            .starts_with(b"this is not"),
        "the garbage is kept for a look"
    );
    assert_eq!(count(&path, "SELECT count(*) FROM polls"), 1);
    w.close();
    drop(dir);
}

#[test]
fn an_unwritable_store_is_reported_once_and_recording_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    // The "directory" is a file: nothing can be created under it (even as root).
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"x").unwrap();
    let path = blocker.join("history.sqlite3");
    let (mut w, said) = writer(&path, KEEP);
    let t = t0();
    for i in 0..50 {
        let at = t + secs(5 * i);
        w.record_poll(ok("a", at, snap(at, &format!("{i}"), "100")));
    }
    assert!(w.flush(WAIT));
    let said = said.lock().unwrap().clone();
    assert_eq!(said.len(), 1, "one report per episode: {said:?}");
    assert!(
        said[0].starts_with(&format!("history: cannot write {}: ", path.display()))
            && said[0].ends_with("; polling and alerts go on"),
        "{said:?}"
    );
    assert_eq!(w.dropped(), 50);
    w.close();
}

#[test]
fn a_removed_store_is_reported_and_started_again() {
    let (_dir, path) = store_path("hist-removed");
    let (mut w, said) = writer(&path, KEEP);
    let t = t0();
    w.record_poll(ok("a", t, snap(t, "5", "100")));
    assert!(w.flush(WAIT));
    for ext in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(ext);
        let _ = std::fs::remove_file(p);
    }
    let at = t + secs(5);
    w.record_poll(ok("a", at, snap(at, "5", "100")));
    assert!(w.flush(WAIT));
    let said = said.lock().unwrap().clone();
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(
        said[0].contains("was removed; polling and alerts go on"),
        "{said:?}"
    );
    assert!(said[1].starts_with("history: writing"), "{said:?}");
    // The fresh file starts with every currency again.
    assert_eq!(count(&path, "SELECT count(*) FROM polls WHERE full = 1"), 1);
    w.close();
}

#[test]
fn a_second_writer_is_refused_naming_the_path_and_pid() {
    let (_dir, path) = store_path("hist-lock");
    let lock = Store::lock(&path).unwrap();
    let msg = format!(
        "another baltui process (pid {}) is recording into {}; stop it, or give this one its own [history] path",
        std::process::id(),
        path.display()
    );
    assert_eq!(
        Store::lock(&path).err(),
        Some(history::LockError::Held(msg.clone()))
    );
    let second = Writer::start(&path, KEEP, HEARTBEAT, Box::new(|_, _| {}));
    assert_eq!(second.err(), Some(msg));
    drop(lock);
    let (w, _) = writer(&path, KEEP);
    w.close();
}

#[test]
fn series_shows_failed_polls_and_silences_as_gaps() {
    let (_dir, path) = store_path("hist-series");
    let (mut w, _) = writer(&path, KEEP);
    let t = t0();
    w.record_poll(ok("a", t, snap(t, "5", "100")));
    w.record_poll(failed("a", t + secs(5), "timeout"));
    let at = t + secs(10);
    w.record_poll(ok("a", at, snap(at, "4", "100")));
    // The recorder was not running for 20 minutes.
    let late = t + secs(10 + 1200);
    w.record_poll(ok("a", late, snap(late, "3", "100")));
    w.record_poll(ok("b", t, snap(t, "9", "100")));
    w.close();
    let r = Reader::open(&path, HEARTBEAT).unwrap();
    let from = t + secs(2);
    let to = t + secs(1800);
    let s = r.series("a", from, to).unwrap();
    let got: Vec<(DateTime<Utc>, bool, Option<Decimal>)> = s
        .points
        .iter()
        .map(|p| (p.at, p.ok, p.margin_ratio))
        .collect();
    let ms = |t: DateTime<Utc>| Utc.timestamp_millis_opt(t.timestamp_millis()).unwrap();
    assert_eq!(
        got,
        vec![
            (from, true, Some(d("5"))),
            (ms(t + secs(5)), false, None),
            (ms(t + secs(10)), true, Some(d("4"))),
            (ms(t + secs(10 + 300)), false, None),
            (ms(late), true, Some(d("3"))),
        ]
    );
    assert_eq!(s.points[0].net_assets, Some(d("10000.50")));
    assert_eq!(s.points[0].currency.as_deref(), Some("USD"));
    // Nothing recorded lately: the series ends in a gap.
    let s = r.series("b", from, to).unwrap();
    let got: Vec<(DateTime<Utc>, bool)> = s.points.iter().map(|p| (p.at, p.ok)).collect();
    assert_eq!(got, vec![(from, true), (ms(t + secs(300)), false)]);
    assert!(r.series("nobody", from, to).unwrap().points.is_empty());
}

#[test]
fn last_known_is_each_accounts_last_good_snapshot() {
    let (_dir, path) = store_path("hist-last");
    let (mut w, _) = writer(&path, KEEP);
    let t = t0();
    let a2 = snap(t + secs(5), "4", "90");
    w.record_poll(ok("a", t, snap(t, "5", "100")));
    w.record_poll(ok("a", t + secs(5), a2.clone()));
    w.record_poll(failed("a", t + secs(10), "timeout"));
    let b = snap(t, "7", "1");
    w.record_poll(ok("b", t, b.clone()));
    w.close();
    let r = Reader::open(&path, HEARTBEAT).unwrap();
    assert_eq!(
        r.last_known().unwrap(),
        vec![("a".to_string(), a2), ("b".to_string(), b)]
    );
}

#[test]
fn an_older_schema_is_migrated_and_a_newer_one_refused() {
    let (_dir, path) = store_path("hist-migrate");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(history::schema::MIGRATIONS[0]).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        c.execute(
            "INSERT INTO accounts (name, venue) VALUES ('old', 'okx')",
            [],
        )
        .unwrap();
    }
    let (store, note) = Store::open(&path).unwrap();
    assert_eq!(note, None);
    drop(store);
    assert_eq!(
        count(&path, "PRAGMA user_version"),
        history::schema::MIGRATIONS.len() as i64
    );
    assert_eq!(count(&path, "SELECT count(*) FROM polls_v"), 0);
    assert_eq!(
        count(&path, "SELECT count(*) FROM accounts WHERE name = 'old'"),
        1
    );
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(err.contains("schema version 99 is newer"), "{err}");
    let err = Reader::open(&path, HEARTBEAT).err().unwrap();
    assert!(err.contains("schema version 99 is newer"), "{err}");
    assert_eq!(count(&path, "PRAGMA user_version"), 99, "never downgraded");
}

#[test]
fn export_completes_change_only_rows_and_names_unknown_accounts() {
    let (_dir, path) = store_path("hist-export");
    let (mut w, _) = writer(&path, KEEP);
    let t = t0();
    w.record_poll(ok("a", t, snap(t, "5", "100")));
    let at = t + secs(5);
    w.record_poll(ok("a", at, snap(at, "5", "101")));
    let at = t + secs(10);
    let mut s = snap(at, "5", "101");
    s.currencies.pop();
    w.record_poll(ok("a", at, s));
    w.record_poll(failed("a", t + secs(15), "timeout"));
    w.close();
    let r = Reader::open(&path, HEARTBEAT).unwrap();
    let rows = r.export(Some("a"), t + secs(3), None).unwrap();
    let got: Vec<(String, Option<String>, Option<Decimal>)> = rows
        .iter()
        .map(|r| (r.status.clone(), r.currency.clone(), r.cash))
        .collect();
    assert_eq!(
        got,
        vec![
            ("ok".into(), Some("BTC".into()), Some(d("0.5"))),
            ("ok".into(), Some("USDT".into()), Some(d("101"))),
            ("ok".into(), Some("USDT".into()), Some(d("101"))),
            ("error".into(), None, None),
        ]
    );
    assert_eq!(rows[3].error.as_deref(), Some("timeout"));
    let usdt = r.export(None, t - secs(1), Some("usdt")).unwrap();
    assert_eq!(usdt.iter().filter(|r| r.currency.is_some()).count(), 3);
    assert_eq!(
        r.export(Some("zz"), t, None).err().unwrap().to_string(),
        "no account \"zz\" in the history store; it knows: a"
    );
}

/// Through the engine's seam: the monitor's account after a poll, and its
/// transitions and events.
#[test]
fn the_recorder_takes_the_monitors_accounts() {
    use baltui::monitor::{AccountSpec, Monitor};
    use baltui::poll::Event;
    use baltui::record::Recorder;
    use baltui::venues::{ErrorKind, VenueError};
    let (_dir, path) = store_path("hist-recorder");
    let (mut w, _) = writer(&path, KEEP);
    let spec = AccountSpec::new("okx-main", baltui::venues::okx::KIND, false, HEARTBEAT);
    let mut m = Monitor::new(vec![spec], baltui::health::Thresholds::default());
    let t = t0();
    let generation = m.generation();
    let polled = |at, result| Event::Polled {
        account: 0,
        generation,
        at,
        result,
        next_poll_at: None,
    };
    let ev = polled(t, Ok(snap(t, "1.05", "100")));
    let mut transitions = 0;
    for o in m.apply(ev, t) {
        if let baltui::monitor::Outcome::LogTransition(tr) = o {
            w.transition(&tr, t);
            transitions += 1;
        }
    }
    assert!(transitions > 0, "a margin ratio of 1.05 is a finding");
    w.polled(m.account(0).unwrap(), t);
    let at = t + secs(5);
    let ev = polled(
        at,
        Err(VenueError::new(
            baltui::venues::okx::KIND,
            ErrorKind::Timeout,
        )),
    );
    m.apply(ev, at);
    w.polled(m.account(0).unwrap(), at);
    for e in m.events() {
        w.event(e);
    }
    w.close();
    let c = rusqlite::Connection::open(&path).unwrap();
    let polls: Vec<(String, Option<String>, Option<String>)> = c
        .prepare("SELECT status, error, margin_ratio FROM polls ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(polls.len(), 2);
    assert_eq!(polls[0], ("ok".into(), None, Some("1.05".into())));
    assert_eq!(polls[1].0, "error");
    assert!(polls[1].1.as_deref().is_some_and(|e| !e.is_empty()));
    assert_eq!(polls[1].2, None, "a failed poll has no figures");
    assert_eq!(
        count(&path, "SELECT count(*) FROM events"),
        m.events().len() as i64
    );
    assert_eq!(
        count(
            &path,
            "SELECT count(*) FROM transitions WHERE account = 'okx-main' AND venue = 'okx'"
        ),
        transitions
    );
    assert_eq!(
        count(&path, "SELECT count(*) FROM latest"),
        1,
        "the last good snapshot"
    );
}
