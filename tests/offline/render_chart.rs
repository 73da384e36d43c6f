//! The account tab's history pane and the last known values at start, drawn
//! on a TestBackend: cells, their symbols and colors.

use super::render::{
    app_with, assert_has, buffer, d, now, okx_snapshot, poll, row, spec, text_rows,
};
use baltui::app::{App, Effect, HistoryRange, Msg};
use baltui::model::{Series, SeriesPoint};
use baltui::theme::Theme;
use baltui::ui::clock::Zone;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::style::Color;

fn okx_app() -> App {
    let mut app = app_with(vec![spec("main", baltui::venues::okx::KIND, false)]).with_history(true);
    poll(&mut app, 0, now(), Ok(okx_snapshot(now(), "5")));
    app
}

fn point(at: DateTime<Utc>, ok: bool, ratio: &str) -> SeriesPoint {
    SeriesPoint {
        at,
        ok,
        margin_ratio: ok.then(|| d(ratio)).flatten(),
        net_assets: ok.then(|| d("12000.5")).flatten(),
        currency: ok.then(|| "USD".to_string()),
    }
}

/// 24 hours of hourly points at ratio 5; `gap`: the polls from 12h to 8h
/// before now failed.
fn day(gap: bool) -> Series {
    let from = now() - Duration::hours(24);
    let points = (0..24)
        .map(|h| {
            let at = from + Duration::hours(h);
            let failed = gap && h == 12;
            // After the failure nothing was stored until 16h.
            point(at, !failed, "5")
        })
        .filter(|p| !gap || !(13..16).contains(&(p.at - from).num_hours()))
        .collect();
    Series {
        account: "main".into(),
        from: Some(from),
        to: Some(now()),
        points,
    }
}

fn answer(app: &mut App, range: HistoryRange, series: Series) {
    app.update(Msg::History {
        account: "main".into(),
        range,
        result: Ok(series),
    });
}

fn is_braille(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| ('\u{2801}'..='\u{28ff}').contains(&c))
}

/// The chart row with the most braille cells of the figure's color (cyan),
/// and those cells' columns.
fn figure_row(buf: &Buffer) -> (u16, Vec<u16>) {
    (0..buf.area.height)
        .map(|y| {
            let xs: Vec<u16> = (0..buf.area.width)
                .filter(|&x| {
                    let c = &buf[(x, y)];
                    is_braille(c.symbol()) && c.fg == Color::Cyan
                })
                .collect();
            (y, xs)
        })
        .max_by_key(|(_, xs)| xs.len())
        .unwrap()
}

/// Cells of color `fg` drawn with one of `symbols`, per row: the most in a row.
fn most_in_a_row(buf: &Buffer, fg: Color, symbols: &[&str]) -> usize {
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .filter(|&x| {
                    let c = &buf[(x, y)];
                    c.fg == fg && symbols.contains(&c.symbol())
                })
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// The longest run of columns without the figure between its first and last cell.
fn widest_hole(xs: &[u16]) -> u16 {
    xs.windows(2).map(|w| w[1] - w[0] - 1).max().unwrap_or(0)
}

#[test]
fn the_chart_draws_the_ratio_with_its_warn_and_critical_lines_and_local_times() {
    let mut app = okx_app().with_zone(Zone::Utc);
    answer(&mut app, HistoryRange::Day, day(false));
    let buf = buffer(&app, 120, 44, &Theme::color());
    let lines = text_rows(&buf);
    let (title_y, title) = row(&lines, " history · 24h ");
    assert!(title.contains("H: 1h 24h 7d"), "{title}");
    // Labeled in words and values (readable without color).
    let (_, head) = row(&lines, "margin ratio  ▀ warn 300%  • crit 150%");
    assert!(head.contains("net assets USD"), "{head}");
    // The lines themselves: the critical one dotted in red, the warn one in
    // yellow half blocks, each across the plot.
    assert!(most_in_a_row(&buf, Color::LightRed, &["•"]) >= 30);
    assert!(most_in_a_row(&buf, Color::Yellow, &["▀", "▄", "█"]) >= 30);
    // The time axis: 24h to now (12:30:45 UTC), in the screen's zone.
    let (axis_y, axis) = row(&lines[title_y..], "12:30");
    assert!(axis.contains("00:30"), "{axis}");
    assert_eq!(
        axis.matches("12:30").count(),
        4,
        "two charts, both ends: {axis}"
    );
    assert!(axis_y > 3, "the axis is below the plot");
    // No poll failed: one unbroken figure.
    let (_, xs) = figure_row(&buf);
    assert!(xs.len() > 20, "the figure is drawn");
    assert!(widest_hole(&xs) <= 1, "no gap expected: {xs:?}");

    // The same instants one hour east.
    let east = okx_app().with_zone(Zone::Fixed(FixedOffset::east_opt(3600).unwrap()));
    let mut east = east;
    answer(&mut east, HistoryRange::Day, day(false));
    let lines = text_rows(&buffer(&east, 120, 44, &Theme::color()));
    let (_, axis) = row(&lines, "13:30");
    assert!(axis.contains("01:30"), "{axis}");
    assert!(!axis.contains("12:30"), "{axis}");
}

#[test]
fn a_failed_poll_leaves_a_gap_until_the_next_good_point() {
    let mut app = okx_app();
    answer(&mut app, HistoryRange::Day, day(true));
    let buf = buffer(&app, 120, 44, &Theme::color());
    let (_, xs) = figure_row(&buf);
    // The margin chart is the left half: 4 of 24 hours missing there are
    // several columns without the figure.
    let left: Vec<u16> = xs.iter().copied().filter(|&x| x < 60).collect();
    assert!(widest_hole(&left) >= 4, "a gap expected: {left:?}");
}

#[test]
fn the_range_key_cycles_the_range_and_asks_the_store() {
    let mut app = okx_app();
    answer(&mut app, HistoryRange::Day, day(false));
    assert_has(
        &text_rows(&buffer(&app, 120, 44, &Theme::color())),
        " history · 24h ",
    );
    let fx = app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('H'),
        KeyModifiers::SHIFT,
    )));
    assert_eq!(
        fx,
        [Effect::LoadHistory {
            account: "main".into(),
            range: HistoryRange::Week,
            from: now() - Duration::days(7),
            to: now(),
        }]
    );
    let h = || Msg::Key(KeyEvent::new(KeyCode::Char('H'), KeyModifiers::SHIFT));
    let lines = text_rows(&buffer(&app, 120, 44, &Theme::color()));
    let (_, title) = row(&lines, " history · 7d ");
    assert!(!title.contains("24h ·"), "{title}");
    assert_has(&lines, "loading history…");
    app.update(h());
    assert_has(
        &text_rows(&buffer(&app, 120, 44, &Theme::color())),
        " history · 1h ",
    );
    app.update(h());
    // Back to the day, which the store answered before: drawn at once.
    let lines = text_rows(&buffer(&app, 120, 44, &Theme::color()));
    assert_has(&lines, " history · 24h ");
    assert!(!lines.iter().any(|l| l.contains("loading history")));
}

#[test]
fn without_a_store_or_data_the_pane_says_so() {
    let mut off = app_with(vec![spec("main", baltui::venues::okx::KIND, false)]);
    poll(&mut off, 0, now(), Ok(okx_snapshot(now(), "5")));
    assert_has(
        &text_rows(&buffer(&off, 120, 44, &Theme::color())),
        "no history: the history store is off",
    );

    let mut empty = okx_app();
    answer(
        &mut empty,
        HistoryRange::Day,
        Series {
            account: "main".into(),
            from: None,
            to: None,
            points: vec![],
        },
    );
    assert_has(
        &text_rows(&buffer(&empty, 120, 44, &Theme::color())),
        "no history yet",
    );

    let mut failed = okx_app();
    failed.update(Msg::History {
        account: "main".into(),
        range: HistoryRange::Day,
        result: Err("database is locked".into()),
    });
    assert_has(
        &text_rows(&buffer(&failed, 120, 44, &Theme::color())),
        "▲ history unavailable: database is locked",
    );
}

#[test]
fn a_short_window_keeps_the_balances_and_leaves_the_chart_out() {
    let mut app = okx_app();
    answer(&mut app, HistoryRange::Day, day(false));
    let lines = text_rows(&buffer(&app, 100, 16, &Theme::color()));
    assert_has(&lines, "USDT");
    assert!(
        !lines.iter().any(|l| l.contains(" history · ")),
        "{}",
        lines.join("\n")
    );
}

#[test]
fn privacy_hides_the_net_assets_chart_but_not_the_ratio() {
    let mut app = okx_app();
    answer(&mut app, HistoryRange::Day, day(false));
    app.update(Msg::Action(baltui::keymap::Action::TogglePrivacy));
    let lines = text_rows(&buffer(&app, 120, 44, &Theme::color()));
    assert_has(&lines, "hidden (privacy)");
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("12,000") || l.contains("12000"))
    );
    assert_has(&lines, "warn 300%");
}

#[test]
fn last_known_values_show_with_their_age_until_the_first_poll() {
    let mut app = app_with(vec![spec("main", baltui::venues::okx::KIND, false)]);
    let then = now() - Duration::hours(3);
    app.update(Msg::Restored(Ok(vec![(
        "main".to_string(),
        okx_snapshot(then, "5"),
    )])));
    let buf = buffer(&app, 120, 30, &Theme::color());
    let lines = text_rows(&buf);
    let (_, title) = row(&lines[1..], "main");
    assert!(
        title.contains("… LOADING last known, updated 3h ago"),
        "{title}"
    );
    assert_has(
        &lines,
        "the values below are the last known, from 09:30:45 (3h ago)",
    );
    // The values are there, dimmed as old.
    let (y, usdt) = row(&lines, "USDT ");
    let x = super::render::col_in(usdt, "4,850");
    let cell = &buf[(u16::try_from(x).unwrap(), u16::try_from(y).unwrap())];
    assert_eq!(cell.fg, Color::DarkGray, "restored values are dimmed");

    // The first poll replaces them: fresh, not dimmed.
    poll(&mut app, 0, now(), Ok(okx_snapshot(now(), "5")));
    let lines = text_rows(&buffer(&app, 120, 30, &Theme::color()));
    let (_, title) = row(&lines[1..], "main");
    assert!(!title.contains("last known"), "{title}");
    assert!(title.contains("✓ data fresh"), "{title}");
}

/// Three accounts polled now; the store knows a, b and c as they were 24h
/// (and 10 minutes) ago, d only from 3 hours before that.
fn trend_app() -> App {
    let kind = baltui::venues::okx::KIND;
    let names = ["a", "b", "c", "d"];
    let mut app = app_with(names.iter().map(|n| spec(n, kind, false)).collect()).with_history(true);
    for (i, r) in ["5", "2", "3.01", "5"].iter().enumerate() {
        poll(&mut app, i, now(), Ok(okx_snapshot(now(), r)));
    }
    let at = now() - Duration::hours(24);
    for (name, then, age) in [
        ("a", "3", 10),
        ("b", "3", 10),
        ("c", "3", 10),
        ("d", "3", 180),
    ] {
        app.update(Msg::Trend {
            account: name.into(),
            at,
            result: Ok(Series {
                account: name.into(),
                from: Some(at - Duration::hours(1)),
                to: Some(at),
                points: vec![point(at - Duration::minutes(age), true, then)],
            }),
        });
    }
    app
}

#[test]
fn the_all_tab_marks_the_24h_trend_of_the_margin_ratio_never_guessing() {
    let app = trend_app();
    let lines = text_rows(&buffer(&app, 140, 20, &Theme::color()));
    let cell = |name: &str| {
        let (_, l) = row(&lines[2..], &format!(" {name}  "));
        l.to_string()
    };
    assert!(cell("a").contains("80% ▲"), "{}", cell("a"));
    assert!(cell("b").contains("50% ▼"), "{}", cell("b"));
    // Within 1% of the value then: the same.
    assert!(cell("c").contains("% ="), "{}", cell("c"));
    // The store's value for d is too old to be the one 24h ago: no marker.
    let d = cell("d");
    assert!(
        d.contains("80%") && !d.contains('▲') && !d.contains('▼'),
        "{d}"
    );
    // Without color, a word too.
    let mono = text_rows(&buffer(&app, 140, 20, &Theme::mono()));
    let (_, a) = row(&mono[2..], " a  ");
    assert!(a.contains("80% ▲up"), "{a}");
}
