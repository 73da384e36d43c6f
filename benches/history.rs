//! The history store: one poll's write (queued, then committed alone: the
//! worst case, no batching), and a 24h chart query on a store holding 10
//! accounts polled every 5 s for 24 simulated hours (172,800 polls), whose
//! file size is printed. The accounts drift as the simulator's books do
//! (`sim::scenario`); three are quiet (their book never moves), so they
//! cost only heartbeats.

use baltui::history::{PollRecord, Reader, Writer};
use baltui::model::{CurrencyBalance, Risk, Snapshot, Totals};
use baltui::monitor::PollState;
use baltui::record::HistoryReader;
use baltui::sim::Scenario;
use baltui::sim::scenario::{Book, book};
use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::Path;
use std::time::{Duration, Instant};

const ACCOUNTS: usize = 10;
const POLL: i64 = 5;
const POLLS_PER_ACCOUNT: i64 = 24 * 3600 / POLL;
const HEARTBEAT: Duration = Duration::from_secs(300);
const KEEP: Duration = Duration::from_secs(90 * 86_400);

fn snapshot(b: &Book, at: DateTime<Utc>) -> Snapshot {
    Snapshot {
        fetched_at: at,
        venue_time: Some(at),
        account_mode: None,
        totals: Totals {
            currency: Some("USD".into()),
            net_assets: Some(b.total_eq()),
            ..Totals::default()
        },
        risk: Risk {
            margin_ratio: b.margin.as_ref().map(|m| m.ratio),
            initial_margin: b.margin.as_ref().map(|m| m.imr),
            maintenance_margin: b.margin.as_ref().map(|m| m.mmr),
            ..Risk::default()
        },
        currencies: b
            .holdings
            .iter()
            .map(|h| CurrencyBalance {
                currency: h.ccy.into(),
                cash: Some(h.cash),
                available: Some(h.avail()),
                frozen: Some(h.frozen),
                equity: Some(h.equity()),
                liabilities: Some(h.liab),
                ..CurrencyBalance::default()
            })
            .collect(),
        other_views: vec![],
        wallets: vec![],
    }
}

/// Account `i`: its name and scenario; the last three never move.
fn account(i: usize) -> (String, Scenario, bool) {
    let scenarios = [
        Scenario::Calm,
        Scenario::MarginSwing,
        Scenario::RiskWalk,
        Scenario::BrokerCalm,
        Scenario::BrokerMargin,
    ];
    (format!("acct-{i}"), scenarios[i % scenarios.len()], i >= 7)
}

fn record(i: usize, step: i64, start: DateTime<Utc>) -> PollRecord {
    let (name, scenario, quiet) = account(i);
    let at = start + chrono::Duration::seconds(step * POLL);
    let b = book(1, &name, scenario, if quiet { 0 } else { step as u64 });
    PollRecord {
        account: name,
        venue: "okx".into(),
        at,
        status: PollState::Ok,
        error: None,
        snapshot: Some(snapshot(&b, at)),
    }
}

fn size(path: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|ext| {
            let mut p = path.as_os_str().to_owned();
            p.push(ext);
            std::fs::metadata(p).ok().map(|m| m.len())
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("history.sqlite3");
    let start = Utc::now() - chrono::Duration::hours(24);

    // The 24h store, filled as fast as the writer takes it.
    let mut w =
        Writer::start(&path, KEEP, HEARTBEAT, Box::new(|_, m| eprintln!("{m}"))).expect("writer");
    let t = Instant::now();
    for step in 0..POLLS_PER_ACCOUNT {
        for i in 0..ACCOUNTS {
            w.record_poll(record(i, step, start));
        }
        if step % 256 == 0 {
            // Keep the queue from overflowing: the bench measures writes, not drops.
            w.flush(Duration::from_secs(60));
        }
    }
    w.flush(Duration::from_secs(60));
    let took = t.elapsed();
    let polls = POLLS_PER_ACCOUNT * ACCOUNTS as i64;
    assert_eq!(w.dropped(), 0);
    w.close();
    let conn = rusqlite::Connection::open(&path).expect("open");
    let _ = conn.pragma_update(None, "wal_checkpoint", "TRUNCATE");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap_or(-1) };
    eprintln!(
        "history: {polls} polls of {ACCOUNTS} accounts (24 h at {POLL} s) in {:.1} s ({:.1} us per poll, batched); \
         {} poll rows, {} balance rows; file {:.2} MB",
        took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / polls as f64,
        count("SELECT count(*) FROM polls"),
        count("SELECT count(*) FROM balances"),
        size(&path) as f64 / 1e6
    );
    drop(conn);

    let mut g = c.benchmark_group("history");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));

    let reader = Reader::open(&path, HEARTBEAT).expect("reader");
    let now = start + chrono::Duration::hours(24);
    g.bench_function("series_24h", |b| {
        b.iter(|| {
            let s = reader
                .series("acct-1", now - chrono::Duration::hours(24), now)
                .expect("series");
            assert!(s.points.len() > 1000);
            s
        })
    });
    g.bench_function("series_24h_quiet_account", |b| {
        b.iter(|| reader.series("acct-8", now - chrono::Duration::hours(24), now))
    });

    // One poll that changed, committed on its own (no batch to share).
    let mut w =
        Writer::start(&path, KEEP, HEARTBEAT, Box::new(|_, m| eprintln!("{m}"))).expect("writer");
    let mut step = POLLS_PER_ACCOUNT;
    g.bench_function("write_one_poll", |b| {
        b.iter(|| {
            step += 1;
            w.record_poll(record(1, step, start));
            w.flush(Duration::from_secs(10))
        })
    });
    g.finish();
    w.close();
}

criterion_group!(benches, bench);
criterion_main!(benches);
