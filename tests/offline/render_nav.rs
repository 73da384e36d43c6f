//! A screen that stays still and can be navigated (issue 14 §3): the
//! selection follows its account, columns keep their place across a
//! severity change, tabs past the window say what they hide, the filter,
//! the account picker, the events log, narrow layouts and the time zone.
//! Cells of a `TestBackend`, as the program draws them.

use super::render::{
    act, app_with, assert_has, body_row, col, d, draw, go_tab, line_with, now, okx_snapshot, poll,
    screen, spec,
};
use baltui::app::{App, Msg, OverviewSort};
use baltui::keymap::Action;
use baltui::ui::clock::Zone;
use chrono::{Duration, FixedOffset};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn key(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// `n` OKX accounts acc00.. with a healthy ratio.
fn accounts(n: usize) -> App {
    let names: Vec<String> = (0..n).map(|i| format!("acc{i:02}")).collect();
    let mut app = app_with(
        names
            .iter()
            .map(|n| spec(n, baltui::venues::okx::KIND, false))
            .collect(),
    );
    let at = now() - Duration::seconds(3);
    for i in 0..n {
        poll(&mut app, i, at, Ok(okx_snapshot(at, "5")));
    }
    app
}

#[test]
fn the_selection_follows_the_account_when_the_rows_reorder() {
    let mut app = accounts(3);
    // All OK: by name. Select acc01 (the second row).
    act(&mut app, Action::Down);
    assert_eq!(app.overview_order(), [0, 1, 2]);
    assert_eq!(app.row(), 1);
    // acc02 turns critical and moves to the top: acc01 is now the third row,
    // and stays selected.
    let at = now() - Duration::seconds(1);
    poll(&mut app, 2, at, Ok(okx_snapshot(at, "1.2")));
    assert_eq!(app.overview_order(), [2, 0, 1]);
    assert_eq!(app.row(), 2, "the selection moved with acc01");
    let lines = draw(&app, 140, 20);
    let buf = super::render::buffer(&app, 140, 20, &baltui::theme::Theme::color());
    let y = body_row(&lines, " acc01 ");
    assert!(
        super::render::cell_at(&buf, 0, y)
            .modifier
            .contains(ratatui::style::Modifier::REVERSED),
        "{}",
        screen(&lines)
    );
    // Enter opens acc01, not the account now at its old row.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.tab(), 2);
}

#[test]
fn the_balance_selection_follows_its_currency() {
    let mut app = accounts(1);
    assert_eq!(app.tab(), 1, "one account opens its tab");
    // Currency order: BTC, USDT. Select USDT, then sort by cash: USDT
    // (4850) comes first, still selected.
    act(&mut app, Action::Down);
    assert_eq!(app.rows(0)[app.row()].currency, "USDT");
    act(&mut app, Action::CycleSort);
    assert_eq!(app.rows(0)[0].currency, "USDT");
    assert_eq!(app.row(), 0);
    // `S` reverses: USDT last, still selected; the header says so.
    act(&mut app, Action::ReverseSort);
    assert_eq!(app.rows(0)[1].currency, "USDT");
    assert_eq!(app.row(), 1);
    let lines = draw(&app, 120, 30);
    assert_has(&lines, "cash ▲");
    // The sort is this tab's: the All tab keeps its own.
    go_tab(&mut app, 0);
    assert_eq!(app.overview_sort().column, OverviewSort::Severity);
}

#[test]
fn s_sorts_the_all_tab_and_the_header_shows_it() {
    let mut app = accounts(3);
    let at = now() - Duration::seconds(1);
    poll(&mut app, 1, at, Ok(okx_snapshot(at, "2.5")));
    assert_eq!(app.overview_order(), [1, 0, 2], "worst first");
    let lines = draw(&app, 160, 20);
    assert_has(&lines, "worst ▼");
    act(&mut app, Action::CycleSort);
    assert_eq!(app.overview_sort().column, OverviewSort::Name);
    assert_eq!(app.overview_order(), [0, 1, 2]);
    let lines = draw(&app, 160, 20);
    assert_has(&lines, "account ▲");
    act(&mut app, Action::ReverseSort);
    assert_eq!(app.overview_order(), [2, 1, 0]);
    assert_has(&draw(&app, 160, 20), "account ▼");
    // Margin: lowest ratio (closest to liquidation) first.
    for _ in 0..3 {
        act(&mut app, Action::CycleSort);
    }
    assert_eq!(app.overview_sort().column, OverviewSort::Margin);
    assert_eq!(app.overview_order()[0], 1);
}

/// Where each header starts on the All tab.
fn header_columns(lines: &[String]) -> Vec<Option<usize>> {
    let header = line_with(lines, "net assets");
    [
        "account",
        "status",
        "net assets",
        "risk level",
        "headroom",
        "updated",
    ]
    .iter()
    .map(|h| col(header, h))
    .collect()
}

#[test]
fn columns_stay_put_when_a_row_changes_severity_or_gains_digits() {
    let mut app = accounts(3);
    let before = draw(&app, 140, 20);
    let cols = header_columns(&before);
    assert!(cols.iter().all(Option::is_some), "{}", screen(&before));
    // acc01 turns critical, acc02 fails, acc00's net assets grow digits.
    let at = now() - Duration::seconds(1);
    poll(&mut app, 1, at, Ok(okx_snapshot(at, "1.2")));
    poll(
        &mut app,
        2,
        at,
        Err(super::render::err(baltui::venues::ErrorKind::Http {
            status: 503,
            excerpt: "unavailable".into(),
        })),
    );
    let mut big = okx_snapshot(at, "5");
    big.totals.net_assets = d("123456789.123456");
    poll(&mut app, 0, at, Ok(big));
    let after = draw(&app, 140, 20);
    assert_eq!(header_columns(&after), cols, "{}", screen(&after));
    // And the rows' cells start where their headers do.
    let y = body_row(&after, " acc01 ");
    assert_eq!(col(&after[y], "acc01"), cols[0]);
}

#[test]
fn tabs_past_the_window_are_counted_with_their_worst() {
    let mut app = accounts(15);
    let at = now() - Duration::seconds(1);
    poll(&mut app, 13, at, Ok(okx_snapshot(at, "1.2")));
    let lines = draw(&app, 80, 24);
    let tabs = &lines[0];
    assert!(tabs.starts_with(" 0 All │"), "{tabs}");
    // The critical acc13 is off screen to the right: the marker says so.
    assert!(tabs.contains("✖ "), "{tabs}");
    assert!(tabs.trim_end().ends_with("›│"), "{tabs}");
    assert!(!tabs.contains("‹"), "{tabs}");
    // Open acc13 (no digit reaches it: the picker does): the row scrolls, a
    // left marker counts what went off screen.
    key(&mut app, KeyCode::Char('o'));
    typed(&mut app, "acc13");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.tab(), 14);
    let lines = draw(&app, 80, 24);
    let tabs = &lines[0];
    assert!(tabs.contains("‹ "), "{tabs}");
    assert!(
        tabs.contains("14 ✖ acc13") || tabs.contains("✖ acc13"),
        "{tabs}"
    );
    // A click on the left marker goes to the nearest hidden tab.
    let x = col(tabs, "‹").unwrap();
    let hit = baltui::ui::tabs::click(&app, 80, 24, u16::try_from(x).unwrap(), 0).unwrap();
    assert!(hit > 0 && hit < 14, "{hit}");
}

#[test]
fn the_picker_filters_as_you_type() {
    let mut app = accounts(12);
    key(&mut app, KeyCode::Char('o'));
    typed(&mut app, "acc1");
    let lines = draw(&app, 80, 24);
    assert_has(&lines, " open account ");
    assert_has(&lines, "> acc1▏  2 of 12");
    assert_has(&lines, " 11 acc10 OKX");
    assert!(!screen(&lines).contains(" acc05 OKX"), "{}", screen(&lines));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.tab(), 12, "the second match, acc11");
    // Esc closes it without moving.
    key(&mut app, KeyCode::Char('o'));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.tab(), 12);
    assert!(app.input().is_none());
}

#[test]
fn slash_filters_the_all_tab() {
    let mut app = accounts(12);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "acc0");
    let lines = draw(&app, 120, 24);
    assert_has(
        &lines,
        "/ acc0▏  10 of 12 accounts · Enter keeps · Esc clears",
    );
    assert!(
        !screen(&lines[2..]).contains(" acc11 "),
        "{}",
        screen(&lines)
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.filter(), "acc0");
    assert_eq!(app.overview_order().len(), 10);
    // Esc (back) clears it.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.filter(), "");
    assert_eq!(app.overview_order().len(), 12);
}

#[test]
fn the_events_log_scrolls_over_the_session() {
    let mut app = accounts(2);
    for k in 0..30 {
        let at = now() + Duration::seconds(k);
        let ratio = if k % 2 == 0 { "1.2" } else { "5" };
        poll(&mut app, 0, at, Ok(okx_snapshot(at, ratio)));
    }
    let n = app.events().len();
    assert!(n >= 30, "{n}");
    key(&mut app, KeyCode::Char('E'));
    let lines = draw(&app, 100, 20);
    assert_has(&lines, &format!(" events 1-17 of {n} (newest first"));
    key(&mut app, KeyCode::PageDown);
    let lines = draw(&app, 100, 20);
    assert_has(&lines, &format!(" events 11-27 of {n} "));
    key(&mut app, KeyCode::Esc);
    assert!(app.cover().is_none());
    assert_eq!(baltui::monitor::EVENTS_LEN, 1000);
}

#[test]
fn small_windows_keep_severity_age_and_the_whole_count() {
    let mut app = accounts(15);
    let at = now() - Duration::seconds(1);
    poll(&mut app, 3, at, Ok(okx_snapshot(at, "1.2")));
    // 40x12: severity, name and age stay; amounts give way.
    let lines = draw(&app, 40, 12);
    let y = body_row(&lines, " acc03 ");
    assert!(lines[y].starts_with("✖ CRIT  acc03"), "{}", screen(&lines));
    assert!(lines[y].contains("s ago"), "{}", screen(&lines));
    assert!(
        lines[11].contains("✖ 1 critical, 0 warn"),
        "{}",
        screen(&lines)
    );
    // 80x24: the help overlay fits and scrolls.
    act(&mut app, Action::ToggleHelp);
    let lines = draw(&app, 80, 24);
    assert_has(&lines, "help — keys (1-");
    assert!(lines.iter().all(|l| l.chars().count() == 80));
    key(&mut app, KeyCode::Char('j'));
    let lines = draw(&app, 80, 24);
    assert_has(&lines, "help — keys (2-");
}

#[test]
fn clocks_are_in_the_screen_zone_named_once() {
    let app = accounts(1).with_zone(Zone::Fixed(FixedOffset::east_opt(3600).unwrap()));
    let lines = draw(&app, 120, 30);
    let status = &lines[29];
    assert!(status.ends_with("13:30:45 UTC+01:00"), "{status}");
    assert_eq!(
        screen(&lines).matches("UTC").count(),
        1,
        "{}",
        screen(&lines)
    );
}

/// The All tab's first line: one total in the report currency, an account
/// converted at the rate another venue's two views give (≈), one left out
/// and named; `t` shows the per-currency sums and the rates with their source.
#[test]
fn the_all_tab_opens_with_the_total_across_venues() {
    use baltui::model::{Snapshot, Totals};
    let mut app = app_with(vec![
        spec("lp-hk", baltui::venues::longport::KIND, false),
        spec("okx-main", baltui::venues::okx::KIND, false),
        spec("wb-hk", baltui::venues::webull::KIND, false),
        spec("bad", baltui::venues::okx::KIND, false),
    ]);
    let at = now() - Duration::seconds(2);
    poll(
        &mut app,
        0,
        at,
        Ok(super::render::longport_snapshot(
            at,
            baltui::model::RiskLevel::Safe,
            "0",
        )),
    );
    poll(&mut app, 1, at, Ok(okx_snapshot(at, "5")));
    let hkd_only = Snapshot {
        fetched_at: at,
        venue_time: None,
        account_mode: None,
        totals: Totals {
            currency: Some("HKD".into()),
            net_assets: d("10000"),
            total_cash: d("10000"),
            ..Totals::default()
        },
        risk: Default::default(),
        currencies: Vec::new(),
        other_views: Vec::new(),
        wallets: Vec::new(),
    };
    poll(&mut app, 2, at, Ok(hkd_only));
    poll(
        &mut app,
        3,
        at,
        Err(super::render::err(baltui::venues::ErrorKind::Http {
            status: 503,
            excerpt: "unavailable".into(),
        })),
    );
    go_tab(&mut app, 0);
    let lines = draw(&app, 160, 30);
    // lp-hk's USD view (exact) + okx-main (USD) + wb-hk 10,000 HKD at lp-hk's
    // USD/HKD (≈ 1,282.05) = 44,051.8721.
    let first = lines[1].trim_end();
    assert!(
        first.starts_with("total ≈ 44,051.87 USD net · "),
        "{}",
        screen(&lines)
    );
    assert!(first.ends_with("3 of 4 accounts (bad failed)"), "{first}");

    // `t`: per currency, and the rate with its source and age.
    act(&mut app, Action::ByCurrency);
    let lines = draw(&app, 160, 30);
    assert_has(&lines, "CURRENCY");
    let hkd = line_with(&lines, "HKD ");
    assert!(hkd.contains("lp-hk"), "{hkd}");
    assert_has(&lines, "1 HKD = 0.12820511 USD · lp-hk net_assets");
    assert_has(&lines, "· 2s ago");
    // Esc goes back to the accounts.
    act(&mut app, Action::Back);
    assert!(!app.by_currency());
}

/// Sorting by an amount compares values in the report currency where the
/// venue gives one: 0.52 BTC sorts above 42.5 OKB.
#[test]
fn sorting_by_value_uses_the_report_currency() {
    use baltui::model::CurrencyBalance;
    let mut app = accounts(1);
    let at = now() - Duration::seconds(1);
    let mut snap = okx_snapshot(at, "5");
    snap.currencies = vec![
        CurrencyBalance {
            currency: "OKB".into(),
            cash: d("42.5"),
            equity: d("42.5"),
            value_in_base: d("2125"),
            ..CurrencyBalance::default()
        },
        CurrencyBalance {
            currency: "BTC".into(),
            cash: d("0.52"),
            equity: d("0.52"),
            value_in_base: d("52000"),
            ..CurrencyBalance::default()
        },
        CurrencyBalance {
            currency: "XYZ".into(),
            cash: d("1000"),
            ..CurrencyBalance::default()
        },
    ];
    poll(&mut app, 0, at, Ok(snap));
    act(&mut app, Action::CycleSort);
    assert_eq!(app.sort(), baltui::app::SortColumn::Cash);
    let order: Vec<&str> = app.rows(0).iter().map(|c| c.currency.as_str()).collect();
    // XYZ has no rate: after every valued row, whatever its amount.
    assert_eq!(order, ["BTC", "OKB", "XYZ"]);
}
