//! One full 200x50 frame on ratatui's TestBackend: the All tab with 50
//! accounts, and an account tab with 500 currency rows. The terminal is kept
//! between iterations, as in the monitor: every iteration runs the whole
//! `ui::render` into a fresh buffer, then the diff against the last frame.

use baltui::app::{App, Msg};
use baltui::health::Thresholds;
use baltui::model::Snapshot;
use baltui::monitor::AccountSpec;
use baltui::poll::Event;
use baltui::theme::Theme;
use baltui::venues::{decode, okx};
use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::Value;

const OKX: &str = include_str!("../assets/fixtures/okx/balance-doc.json");

/// The OKX fixture normalized, its one currency repeated `n` times (distinct codes).
fn snapshot(n: usize, at: chrono::DateTime<Utc>) -> Snapshot {
    let mut v: Value = serde_json::from_str(OKX).unwrap();
    let first = v["data"][0]["details"][0].clone();
    v["data"][0]["details"] = Value::Array(
        (0..n)
            .map(|i| {
                let mut e = first.clone();
                e["ccy"] = Value::String(format!("C{i:03}"));
                e
            })
            .collect(),
    );
    let body = serde_json::to_vec(&v).unwrap();
    let env: okx::wire::Envelope<okx::wire::Balance> =
        decode(baltui::venues::okx::KIND, &body).unwrap();
    okx::normalize::normalize(&env.data[0], at)
}

fn app(accounts: usize, currencies: usize) -> App {
    let now = Utc.with_ymd_and_hms(2025, 3, 4, 12, 30, 45).unwrap();
    let venues = [
        baltui::venues::okx::KIND,
        baltui::venues::longport::KIND,
        baltui::venues::webull::KIND,
    ];
    let specs = (0..accounts)
        .map(|i| {
            AccountSpec::new(
                format!("acct-{i:02}"),
                venues[i % 3],
                false,
                std::time::Duration::from_secs(5),
            )
        })
        .collect();
    let mut app = App::new(specs, Thresholds::default(), now);
    let at = now - Duration::seconds(3);
    for i in 0..accounts {
        app.update(Msg::Poll(Event::Polled {
            account: i,
            generation: app.generation(),
            at,
            result: Ok(snapshot(currencies, at)),
            next_poll_at: Some(now + Duration::seconds(2)),
        }));
    }
    app
}

fn bench(c: &mut Criterion) {
    let theme = Theme::color();
    let mut g = c.benchmark_group("render_200x50");
    g.warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3));

    let all = app(50, 3);
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    g.bench_function("all_tab_50_accounts", |b| {
        b.iter(|| {
            term.draw(|f| baltui::ui::render(f, &all, &theme)).unwrap();
        })
    });

    let mut one = app(1, 500);
    one.update(Msg::Action(baltui::keymap::Action::GoTab(1)));
    assert_eq!(one.tab(), 1);
    assert_eq!(one.rows(0).len(), 500);
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    g.bench_function("account_tab_500_rows", |b| {
        b.iter(|| {
            term.draw(|f| baltui::ui::render(f, &one, &theme)).unwrap();
        })
    });

    // The history chart over 7 days of 5 s polls (120,960 points, every one
    // a change, a failed poll every 500th): the worst a 7d range can hold.
    let mut chart = app(1, 3).with_history(true);
    chart.update(Msg::Action(baltui::keymap::Action::GoTab(1)));
    let now = chart.now();
    let from = now - Duration::days(7);
    let points = (0..120_960i64)
        .map(|k| baltui::model::SeriesPoint {
            at: from + Duration::seconds(5 * k),
            ok: k % 500 != 0,
            margin_ratio: Some(rust_decimal::Decimal::new(300 + (k * 7919) % 400, 2)),
            net_assets: Some(rust_decimal::Decimal::new(
                1_200_000 + (k * 104_729) % 50_000,
                2,
            )),
            currency: Some("USD".into()),
        })
        .collect();
    chart.update(Msg::History {
        account: "acct-00".into(),
        range: baltui::app::HistoryRange::Week,
        result: Ok(baltui::model::Series {
            account: "acct-00".into(),
            from: Some(from),
            to: Some(now),
            points,
        }),
    });
    // 24h (the default) -> 7d.
    chart.update(Msg::Action(baltui::keymap::Action::HistoryRange));
    assert_eq!(chart.history_range(), baltui::app::HistoryRange::Week);
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    g.bench_function("account_tab_7d_chart_120k_points", |b| {
        b.iter(|| {
            term.draw(|f| baltui::ui::render(f, &chart, &theme))
                .unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
