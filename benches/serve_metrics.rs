//! `GET /metrics` of `baltui serve`: the text for 200 accounts x 50
//! currencies (every currency with seven amounts, every account with totals
//! and risk), built from the service's published state the way the route
//! builds it (`serve::metrics::text`). Target: < 10 ms. Also the
//! `/api/v1/state` document of the same state, for the attach path.

use baltui::health::Thresholds;
use baltui::model::{CurrencyBalance, Risk, Snapshot, Totals};
use baltui::monitor::{AccountSpec, Monitor};
use baltui::poll::Event;
use baltui::service::{Counters, State};
use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use std::sync::Arc;
use std::time::Duration;

const ACCOUNTS: usize = 200;
const CURRENCIES: usize = 50;

fn snapshot(i: usize) -> Snapshot {
    let d = |n: i64, scale: u32| Some(Decimal::new(n, scale));
    let currencies = (0..CURRENCIES)
        .map(|c| CurrencyBalance {
            currency: format!("C{c:02}"),
            cash: d(1_000_000 + (i * 97 + c) as i64, 4),
            available: d(900_000 + c as i64, 4),
            frozen: d(100_000, 4),
            equity: d(1_000_500 + c as i64, 4),
            liabilities: d(2_500, 2),
            value_in_base: d(5_000_000 + c as i64, 6),
            withdrawable: d(800_000, 4),
            ..CurrencyBalance::default()
        })
        .collect();
    Snapshot {
        fetched_at: Utc::now(),
        venue_time: Some(Utc::now()),
        account_mode: None,
        totals: Totals {
            currency: Some("USD".into()),
            net_assets: d(123_456_789 + i as i64, 2),
            total_cash: d(100_000_000, 2),
            ..Totals::default()
        },
        risk: Risk {
            margin_ratio: d(35_000 + i as i64, 4),
            initial_margin: d(1_000_000, 2),
            maintenance_margin: d(400_000, 2),
            ..Risk::default()
        },
        currencies,
        other_views: Vec::new(),
        wallets: Vec::new(),
    }
}

/// The service's state after one good poll of every account.
fn state() -> State {
    let okx = baltui::venues::okx::KIND;
    let specs = (0..ACCOUNTS)
        .map(|i| AccountSpec::new(format!("acct-{i:03}"), okx, false, Duration::from_secs(15)))
        .collect();
    let mut m = Monitor::new(specs, Thresholds::default());
    let now = Utc::now();
    for i in 0..ACCOUNTS {
        m.apply(
            Event::Polled {
                account: i,
                generation: 0,
                at: now,
                result: Ok(snapshot(i)),
                next_poll_at: None,
            },
            now,
        );
    }
    State {
        generation: 0,
        started_at: now,
        generated_at: now,
        accounts: m.accounts().iter().cloned().map(Arc::new).collect(),
        counters: vec![
            Counters {
                polls: 1,
                requests: 2,
                last_success_at: Some(now),
                ..Counters::default()
            };
            ACCOUNTS
        ],
        events: m.events().iter().cloned().collect(),
        thresholds: Thresholds::default(),
        report_currency: "USD".into(),
        budgets: Vec::new(),
    }
}

fn bench(c: &mut Criterion) {
    let st = state();
    let text = baltui::serve::metrics::text(&st, Utc::now());
    assert!(text.lines().count() > ACCOUNTS * CURRENCIES * 7);
    eprintln!(
        "/metrics: {} lines, {} bytes",
        text.lines().count(),
        text.len()
    );
    c.bench_function("metrics_200x50", |b| {
        b.iter(|| baltui::serve::metrics::text(&st, Utc::now()))
    });
    c.bench_function("state_json_200x50", |b| {
        b.iter(|| baltui::serve::state_document(&st, Utc::now()).to_string())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
