//! Render tests on ratatui's TestBackend: build an App with a fixed clock, draw,
//! and assert on the text in the cells.

use baltui::app::{App, Msg, Reconfig};
use baltui::health::{Severity, Thresholds};
use baltui::keymap::Action;
use baltui::model::{CurrencyBalance, Indicator, Risk, RiskLevel, Snapshot, Totals, VenueKind};
use baltui::monitor::AccountSpec;
use baltui::poll::Event;
use baltui::theme::Theme;
use baltui::ui;
use baltui::venues::{ErrorKind, VenueError};
use chrono::{DateTime, Duration, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;

pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 4, 12, 30, 45)
        .single()
        .unwrap()
}

pub(crate) fn d(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

pub(crate) fn spec(name: &str, venue: VenueKind, demo: bool) -> AccountSpec {
    AccountSpec::new(name, venue, demo, std::time::Duration::from_secs(5))
}

/// Shaped like a normalized OKX /account/balance answer.
pub(crate) fn okx_snapshot(at: DateTime<Utc>, ratio: &str) -> Snapshot {
    Snapshot {
        fetched_at: at,
        venue_time: None,
        account_mode: None,
        totals: Totals {
            currency: Some("USD".into()),
            net_assets: d("12000.5321"),
            total_cash: None,
            // OKX `availEq`: available equity, not buying power.
            available_equity: d("30000.1"),
            ..Totals::default()
        },
        risk: Risk {
            margin_ratio: d(ratio),
            // As OKX's normalization derives it.
            headroom: d(ratio).and_then(|r| {
                baltui::model::Headroom::from_cover(r, rust_decimal::Decimal::ONE, "mgnRatio")
            }),
            initial_margin: d("977.123"),
            maintenance_margin: d("488.5615"),
            indicators: vec![Indicator::new("deltaNeutralStatus", "0", "normal")],
            ..Risk::default()
        },
        currencies: vec![
            CurrencyBalance {
                currency: "USDT".into(),
                cash: d("4850.435693622894"),
                available: d("4834.317093622894"),
                frozen: d("158.573"),
                settling: None,
                withdrawable: None,
                equity: d("4850.435693622894"),
                indicators: vec![Indicator::new("twap", "0", "ok")],
                ..CurrencyBalance::default()
            },
            CurrencyBalance {
                currency: "BTC".into(),
                cash: d("0.01234"),
                available: d("0.01234"),
                frozen: d("0"),
                equity: d("0.01234"),
                ..CurrencyBalance::default()
            },
        ],
        wallets: Vec::new(),
        other_views: Vec::new(),
    }
}

pub(crate) fn app_with(specs: Vec<AccountSpec>) -> App {
    App::new(specs, Thresholds::default(), now()).with_zone(baltui::ui::clock::Zone::Utc)
}

pub(crate) fn poll(
    app: &mut App,
    account: usize,
    at: DateTime<Utc>,
    result: Result<Snapshot, VenueError>,
) {
    app.update(Msg::Poll(Event::Polled {
        account,
        generation: app.generation(),
        at,
        result,
        next_poll_at: Some(now() + Duration::seconds(2)),
    }));
}

/// The view state changes only through `update`, as the keys change it.
pub(crate) fn act(app: &mut App, a: Action) {
    app.update(Msg::Action(a));
}

fn set_privacy(app: &mut App, on: bool) {
    assert!(
        !app.show_help(),
        "behind the help popup only its own keys work"
    );
    if app.privacy() != on {
        act(app, Action::TogglePrivacy);
    }
    assert_eq!(app.privacy(), on);
}

pub(crate) fn go_tab(app: &mut App, n: usize) {
    act(app, Action::GoTab(n));
    assert_eq!(app.tab(), n);
}

/// Select row `n` by moving down from the top (`n` must exist).
fn select_row(app: &mut App, n: usize) {
    act(app, Action::Top);
    for _ in 0..n {
        act(app, Action::Down);
    }
    assert_eq!(app.row(), n);
}

/// A reload of the same accounts with other thresholds (how they change).
fn set_thresholds(app: &mut App, thresholds: Thresholds) {
    let specs = app.accounts().iter().map(|a| a.spec.clone()).collect();
    app.update(Msg::Reconfigured(Box::new(Reconfig {
        specs,
        thresholds,
        bell: true,
        keymap: Default::default(),
        numbers: Default::default(),
        report_currency: "USD".into(),
        notes: vec![],
    })));
}

fn okx_app(ratio: &str) -> App {
    let mut app = app_with(vec![spec("main", baltui::venues::okx::KIND, false)]);
    let at = now() - Duration::seconds(3);
    poll(&mut app, 0, at, Ok(okx_snapshot(at, ratio)));
    app
}

fn draw_with(app: &App, w: u16, h: u16, theme: &Theme) -> Vec<String> {
    text_rows(&buffer(app, w, h, theme))
}

/// Every row of a buffer as text.
pub(crate) fn text_rows(buf: &ratatui::buffer::Buffer) -> Vec<String> {
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

/// The first row holding `needle`, with its index; panics showing the screen.
pub(crate) fn row<'a>(lines: &'a [String], needle: &str) -> (usize, &'a str) {
    lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.contains(needle))
        .map(|(y, l)| (y, l.as_str()))
        .unwrap_or_else(|| panic!("{needle:?} not on screen:\n{}", lines.join("\n")))
}

/// Column (in cells) where `needle` starts in `line`; panics naming the line.
pub(crate) fn col_in(line: &str, needle: &str) -> usize {
    col(line, needle).unwrap_or_else(|| panic!("{needle:?} not in {line}"))
}

/// An app with one account, polled once at `now()` with `snap`.
pub(crate) fn one_account(name: &str, venue: VenueKind, snap: Snapshot) -> App {
    let mut app = app_with(vec![spec(name, venue, false)]);
    poll(&mut app, 0, now(), Ok(snap));
    app
}

pub(crate) fn draw(app: &App, w: u16, h: u16) -> Vec<String> {
    draw_with(app, w, h, &Theme::color())
}

pub(crate) fn screen(lines: &[String]) -> String {
    lines.join("\n")
}

pub(crate) fn assert_has(lines: &[String], needle: &str) {
    assert!(
        lines.iter().any(|l| l.contains(needle)),
        "{needle:?} not on screen:\n{}",
        screen(lines)
    );
}

pub(crate) fn line_with<'a>(lines: &'a [String], needle: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not on screen:\n{}", screen(lines)))
}

/// Column (in cells, all test text is one cell per char) where `needle` starts.
pub(crate) fn col(line: &str, needle: &str) -> Option<usize> {
    line.find(needle).map(|b| line[..b].chars().count())
}

fn row_of(lines: &[String], needle: &str) -> usize {
    row(lines, needle).0
}

/// Like `row_of`, below the tabs row (which names every account too).
pub(crate) fn body_row(lines: &[String], needle: &str) -> usize {
    row_of(&lines[1..], needle) + 1
}

pub(crate) fn buffer(app: &App, w: u16, h: u16, theme: &Theme) -> ratatui::buffer::Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| ui::render(f, app, theme)).unwrap();
    term.backend().buffer().clone()
}

pub(crate) fn cell_at(buf: &ratatui::buffer::Buffer, x: usize, y: usize) -> &ratatui::buffer::Cell {
    &buf[(u16::try_from(x).unwrap(), u16::try_from(y).unwrap())]
}

/// The margin pane's first line (the reason line may quote "margin ratio" too).
fn margin_line(lines: &[String]) -> &str {
    lines
        .iter()
        .find(|l| l.starts_with("margin ratio "))
        .unwrap_or_else(|| panic!("no margin line:\n{}", screen(lines)))
}

pub(crate) fn err(kind: ErrorKind) -> VenueError {
    VenueError::new(baltui::venues::okx::KIND, kind)
}

#[test]
fn balances_table_shows_amounts_in_their_currency_places() {
    let app = okx_app("5.2");
    let lines = draw(&app, 120, 30);
    let header = line_with(&lines, "withdrawable");
    for h in [
        "currency",
        "cash",
        "available",
        "frozen",
        "settling",
        "equity",
    ] {
        assert!(header.contains(h), "header {h} missing: {header}");
    }
    let row = line_with(&lines, "USDT ");
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cols,
        // USDT in cents (the exact digits are in the detail view).
        [
            "USDT", "4,850.44", "4,834.32", "158.57", "—", "—", "4,850.44"
        ],
        "row: {row}"
    );
    // BTC in a fixed 8 places; the widest number ends where its header ends,
    // and USDT's point sits over BTC's.
    let end = |s: &str, needle: &str| col(s, needle).map(|i| i + needle.chars().count());
    let btc = line_with(&lines, "BTC ");
    assert!(btc.contains(" 0.01234000 "), "{btc}");
    assert_eq!(end(header, "frozen"), end(btc, "0.00000000"));
    assert_eq!(
        col(row, "158.57").map(|i| i + 3),
        col(btc, "0.00000000").map(|i| i + 1)
    );
}

#[test]
fn title_line_names_everything() {
    let app = okx_app("5.2");
    let lines = draw(&app, 120, 30);
    // The fetch (data fresh, with its age) and the risk are two things.
    let title = line_with(&lines, "✓ data fresh 3s");
    assert_eq!(
        title.trim_end(),
        "main · OKX · LIVE · ✓ data fresh 3s · risk ✓ OK · next in 2s"
    );
    // Totals, margin and thresholds in the summary.
    assert_has(&lines, "net assets 12,000.53 USD");
    assert_has(&lines, "margin ratio 520%");
    assert_has(&lines, "warn <300% crit <150%");
    assert_has(&lines, "initial 977.12 USD  maint 488.56 USD");
    assert_has(&lines, "no findings");
}

#[test]
fn title_keeps_status_with_a_very_long_name() {
    let mut app = app_with(vec![spec(
        &"x".repeat(500),
        baltui::venues::okx::KIND,
        true,
    )]);
    let at = now() - Duration::seconds(3);
    poll(&mut app, 0, at, Ok(okx_snapshot(at, "5")));
    let lines = draw(&app, 80, 24);
    let title = line_with(&lines, "✓ data fresh 3s");
    assert!(title.contains("DEMO") && title.contains("OKX") && title.contains("xxx…"));
    // Narrow: the venue and DEMO give way; the data's age and the risk stay.
    let lines = draw(&app, 40, 12);
    assert_eq!(
        lines[1].trim_end(),
        "xxxxxxxxx… · ✓ data fresh 3s · risk ✓ OK"
    );
}

#[test]
fn loading_state() {
    let app = app_with(vec![spec("main", baltui::venues::okx::KIND, false)]);
    let lines = draw(&app, 100, 30);
    let title = line_with(&lines, "main ·");
    assert!(
        title.contains("… LOADING") && !title.contains("risk"),
        "{title}"
    );
    assert_has(&lines, "waiting for the first answer");
}

#[test]
fn stale_state_keeps_numbers_dimmed() {
    let mut app = app_with(vec![spec("main", baltui::venues::okx::KIND, false)]);
    let at = now() - Duration::seconds(60);
    poll(&mut app, 0, at, Ok(okx_snapshot(at, "5")));
    let lines = draw(&app, 120, 30);
    // Past a minute the age is a time of day, in the screen's zone.
    let title = line_with(&lines, "data as of 12:29:45");
    assert!(title.contains("STALE"), "{title}");
    assert_has(&lines, "▲ STALE no fresh data since 12:29:45");
    assert_has(&lines, "4,850.44");

    // The numbers are drawn in the stale style.
    let mut term = Terminal::new(TestBackend::new(120, 30)).unwrap();
    let theme = Theme::color();
    term.draw(|f| ui::render(f, &app, &theme)).unwrap();
    let buf = term.backend().buffer();
    let y = lines.iter().position(|l| l.contains("USDT ")).unwrap();
    let x = lines[y].find("158.57").unwrap();
    let x = lines[y][..x].chars().count();
    let cell = &buf[(u16::try_from(x).unwrap(), u16::try_from(y).unwrap())];
    assert_eq!(cell.fg, theme.stale.fg.unwrap());
}

#[test]
fn rate_limited_state() {
    let mut app = okx_app("5");
    poll(
        &mut app,
        0,
        now(),
        Err(err(ErrorKind::RateLimited {
            code: "50011".into(),
            message: "Too Many Requests".into(),
        })),
    );
    let lines = draw(&app, 120, 30);
    assert!(line_with(&lines, "main ·").contains("RATE LIMITED"));
    assert_has(&lines, "rate limited (code 50011: Too Many Requests)");
    assert_has(&lines, "numbers below are from 3s ago");
    assert_has(&lines, "4,834.32");
    assert_has(&lines, "▲ 0 critical, 1 warn");
}

#[test]
fn auth_failed_shows_the_reason() {
    let mut with_source = spec("main", baltui::venues::okx::KIND, false);
    with_source.source = Some("/home/t/.config/baltui/config.toml:12".into());
    let mut app = app_with(vec![with_source]);
    poll(
        &mut app,
        0,
        now(),
        Err(err(ErrorKind::Auth {
            code: "50111".into(),
            message: "Invalid OK-ACCESS-KEY".into(),
        })),
    );
    let lines = draw(&app, 120, 30);
    let title = line_with(&lines, "main ·");
    assert!(title.contains("✖ AUTH FAILED no data yet"), "{title}");
    // What to do comes first: the key's place in the file and the reload key.
    assert_has(
        &lines,
        "✖ AUTH FAILED polling stopped: fix the key in /home/t/.config/baltui/config.toml:12, then press c · OKX: authentication",
    );
    assert_has(&lines, "failed (code 50111: Invalid OK-ACCESS-KEY)");
    assert_has(&lines, "✖ 1 critical, 0 warn");
}

#[test]
fn decode_error_message_visible() {
    let mut app = okx_app("5");
    poll(
        &mut app,
        0,
        now(),
        Err(err(ErrorKind::Decode {
            path: "data[0].details[0].cashBal".into(),
            detail: "invalid type: null, expected a string".into(),
            excerpt: String::new(),
        })),
    );
    let lines = draw(&app, 120, 30);
    assert!(line_with(&lines, "main ·").contains("ERROR"));
    assert_has(
        &lines,
        "unexpected response at `data[0].details[0].cashBal`",
    );
    assert_has(&lines, "4,850.44");
}

#[test]
fn findings_listed_worst_first_and_cells_marked() {
    let mut app = app_with(vec![spec("main", baltui::venues::okx::KIND, false)]);
    let at = now() - Duration::seconds(3);
    let mut snap = okx_snapshot(at, "1.2");
    snap.currencies[1].available = d("-0.5");
    poll(&mut app, 0, at, Ok(snap));
    let lines = draw(&app, 120, 30);
    let crit = lines
        .iter()
        .position(|l| l.contains("✖ CRITICAL margin ratio 120% below 150%"));
    let warn = lines
        .iter()
        .position(|l| l.contains("▲ WARN     BTC available cash is negative"));
    assert!(crit.is_some() && warn.is_some(), "{}", screen(&lines));
    assert!(crit < warn);
    assert_has(&lines, "margin ratio 120% ✖ CRITICAL");
    assert_has(&lines, "▲ BTC");
    // The reason line carries the worst finding too.
    assert_has(
        &lines,
        "✖ CRITICAL margin ratio 120% below 150% (+1 more below)",
    );
}

/// A negative cash balance is a NOTICE with its own line, and its cell wears
/// the notice badge: a minus sign alone is easy to miss.
#[test]
fn negative_cash_is_marked_in_its_cell_and_listed() {
    let mut app = app_with(vec![spec("main", baltui::venues::okx::KIND, false)]);
    let at = now() - Duration::seconds(3);
    let mut snap = okx_snapshot(at, "5");
    snap.currencies[0].cash = d("-31665.18");
    poll(&mut app, 0, at, Ok(snap));
    let theme = Theme::color();
    let lines = draw(&app, 140, 30);
    assert_has(&lines, "USDT cash -31665.18: borrowing");
    let buf = buffer(&app, 140, 30, &theme);
    let y = lines
        .iter()
        .position(|l| l.contains("-31,665.18") && !l.contains("borrowing"))
        .unwrap_or_else(|| panic!("no cash cell: {}", screen(&lines)));
    let x = lines[y].find("-31,665.18").unwrap();
    let x = lines[y][..x].chars().count();
    let cell = cell_at(&buf, x, y);
    assert_eq!(
        (Some(cell.fg), Some(cell.bg)),
        (theme.badge_notice.fg, theme.badge_notice.bg),
        "{}",
        lines[y]
    );
}

/// Before its first reply an account has no verdict: LOADING, never "✓ OK",
/// on the All tab and on its tab; once data arrives the verdict shows.
#[test]
fn a_loading_account_never_reads_ok() {
    let mut app = app_with(vec![
        spec("fresh", baltui::venues::okx::KIND, false),
        spec("waiting", baltui::venues::okx::KIND, false),
    ]);
    let at = now() - Duration::seconds(1);
    poll(&mut app, 0, at, Ok(okx_snapshot(at, "5")));
    let lines = draw(&app, 160, 30);
    let waiting = body_row(&lines, " waiting ");
    assert!(lines[waiting].contains("… LOADING"), "{}", lines[waiting]);
    assert!(!lines[waiting].contains("✓"), "{}", lines[waiting]);
    let fresh = body_row(&lines, " fresh ");
    assert!(lines[fresh].contains("✓ OK"), "{}", lines[fresh]);
    assert_has(&lines, " 2 … waiting ");
    assert_has(&lines, " 1 ✓ fresh ");
}

const AMOUNTS: [&str; 24] = [
    "4850.435693622894",
    "4834.317093622894",
    "158.573",
    "12000.5321",
    "30000.1",
    "977.123",
    "488.5615",
    "0.01234",
    "240000.50",
    "175907.72",
    "2598051.50",
    "276806.51",
    // As the screen shows them: grouped, in their currency's places.
    "4,850.44",
    "4,834.32",
    "158.57",
    "12,000.53",
    "30,000.10",
    "977.12",
    "488.56",
    "0.01234000",
    "240,000.50",
    "175,907.72",
    "2,598,051.50",
    "276,806.51",
];

fn assert_no_amounts(lines: &[String]) {
    // Every line of the screen: title, tabs, table, panes, events, status.
    for (y, l) in lines.iter().enumerate() {
        for amount in AMOUNTS {
            assert!(!l.contains(amount), "{amount} visible on line {y}: {l}");
        }
    }
}

/// Privacy mode masks amounts with one fixed mask (not a mask per digit,
/// which would tell the magnitude) and leaves ratios and levels: they say
/// how bad things are, not how much money there is.
#[test]
fn privacy_masks_every_amount() {
    let mut app = okx_app("1.3");
    // History so that a sparkline would be drawn.
    poll(&mut app, 0, now(), Ok(okx_snapshot(now(), "1.25")));
    poll(&mut app, 0, now(), Ok(okx_snapshot(now(), "1.2")));
    let plain = draw(&app, 120, 30);
    assert!(
        margin_line(&plain).contains('█'),
        "gauge/sparkline expected"
    );
    set_privacy(&mut app, true);
    let lines = draw(&app, 120, 30);
    assert_no_amounts(&lines);
    // Between the table header and the events pane, digits only in ratios.
    let top = lines
        .iter()
        .position(|l| l.contains("withdrawable"))
        .unwrap();
    let bottom = lines.iter().position(|l| l.contains(" events ")).unwrap();
    for l in &lines[top..bottom] {
        let l = l
            .replace("warn <300% crit <150%", "")
            .replace("120%", "")
            // The headroom (1 − 1/1.2) is a ratio too.
            .replace("headroom 16.7%", "")
            .replace("below 150%", "");
        assert!(!l.chars().any(|c| c.is_ascii_digit()), "digit in {l:?}");
    }
    // The ratio, its gauge and its sparkline stay.
    let m = margin_line(&lines);
    assert!(m.starts_with("margin ratio 120% ✖ CRITICAL"), "{m}");
    assert!(m.contains('█'), "{m}");
    assert_has(&lines, "•••••");
    assert_has(&lines, "PRIVACY");
    // Events quote the finding: its ratios stay.
    assert_has(&lines, "margin ratio 120% below 150%");

    // A LongPort account in danger (margin call in a finding) on its tab and on
    // the All tab.
    let mut app = app_with(vec![
        spec("lp-hk", baltui::venues::longport::KIND, false),
        spec("main", baltui::venues::okx::KIND, false),
    ]);
    let at = now() - Duration::seconds(2);
    poll(
        &mut app,
        0,
        at,
        Ok(longport_snapshot(at, RiskLevel::Danger, "2598051.50")),
    );
    poll(&mut app, 1, at, Ok(okx_snapshot(at, "1.2")));
    set_privacy(&mut app, true);
    go_tab(&mut app, 1);
    let lines = draw(&app, 160, 40);
    assert_no_amounts(&lines);
    // One mask for the whole amount, however many digits it has.
    assert_has(&lines, "margin call of ••••• HKD");
    go_tab(&mut app, 0);
    let lines = draw(&app, 200, 30);
    assert_no_amounts(&lines);
    // No digit in the amount columns of the overview (net assets, cash); the
    // risk level and the margin ratio stay.
    let header = line_with(&lines, "net assets");
    let (net, risk) = (
        col(header, "mode").unwrap() + 4,
        col(header, "risk level").unwrap(),
    );
    for name in ["lp-hk", "main"] {
        let row: Vec<char> = lines[body_row(&lines, &format!(" {name} "))]
            .chars()
            .collect();
        let cells: String = row[net..risk].iter().collect();
        assert!(
            !cells.chars().any(|c| c.is_ascii_digit()),
            "digit in {name}: {cells:?}"
        );
        assert!(cells.contains("•••••"), "{name}: {cells:?}");
    }
    let lp = &lines[body_row(&lines, " lp-hk ")];
    assert!(lp.contains("3 danger"), "{lp}");
    let main = &lines[body_row(&lines, " main ")];
    assert!(main.contains("120%"), "{main}");
}

#[test]
fn overview_worst_first_and_selection_highlighted() {
    let mut app = app_with(vec![
        spec("aaa-ok", baltui::venues::okx::KIND, false),
        spec("zzz-crit", baltui::venues::okx::KIND, false),
        spec("mmm-warn", baltui::venues::longport::KIND, false),
    ]);
    let at = now() - Duration::seconds(3);
    poll(&mut app, 0, at, Ok(okx_snapshot(at, "5")));
    poll(&mut app, 1, at, Ok(okx_snapshot(at, "1.2")));
    poll(
        &mut app,
        2,
        at,
        Ok(longport_snapshot(at, RiskLevel::Warning, "0")),
    );
    let theme = Theme::color();
    let lines = draw(&app, 160, 30);
    let (crit, warn, ok) = (
        body_row(&lines, " zzz-crit "),
        body_row(&lines, " mmm-warn "),
        body_row(&lines, " aaa-ok "),
    );
    assert!(crit < warn && warn < ok, "{}", screen(&lines));
    assert_eq!(crit, row_of(&lines, "worst finding") + 1);
    // Risk level column: the venue's word, a dash where the venue has none.
    let header = line_with(&lines, "worst finding");
    let x = col(header, "risk level").unwrap();
    let at_col = |y: usize| lines[y].chars().skip(x).take(15).collect::<String>();
    assert_eq!(at_col(warn), "2 early warning", "{}", lines[warn]);
    assert_eq!(at_col(ok).trim(), "—", "{}", lines[ok]);
    assert!(lines[ok].contains("✓ OK") && lines[crit].contains("✖ CRITICAL"));
    // A message too long for the last column is cut visibly.
    let narrow = draw(&app, 120, 30);
    let w = narrow[body_row(&narrow, " mmm-warn ")]
        .trim_end()
        .to_string();
    assert!(w.ends_with('…'), "{w}");

    // The selected row (in overview order) is highlighted.
    let selected = |app: &App, y: usize| {
        cell_at(&buffer(app, 160, 30, &theme), 0, y)
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    };
    assert!(selected(&app, crit) && !selected(&app, warn) && !selected(&app, ok));
    select_row(&mut app, 1);
    assert!(!selected(&app, crit) && selected(&app, warn) && !selected(&app, ok));
    // Enter opens the highlighted account.
    app.update(Msg::Action(baltui::keymap::Action::Open));
    assert_eq!(app.tab(), 3);
    assert_has(&draw(&app, 160, 30), "mmm-warn · LongPort");
}

#[test]
fn overview_keeps_the_selection_in_view() {
    let specs: Vec<_> = (0..40)
        .map(|i| spec(&format!("acct{i:02}"), baltui::venues::okx::KIND, false))
        .collect();
    let mut app = app_with(specs);
    act(&mut app, Action::Bottom);
    assert_eq!(app.row(), 39);
    let lines = draw(&app, 120, 30);
    let y = body_row(&lines, " acct39 ");
    assert!(
        !screen(&lines[1..]).contains(" acct00 "),
        "{}",
        screen(&lines)
    );
    let buf = buffer(&app, 120, 30, &Theme::color());
    assert!(
        cell_at(&buf, 0, y)
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
}

#[test]
fn help_lists_every_binding_that_acts_on_the_tab_under_it() {
    let mut app = okx_app("5");
    act(&mut app, Action::ToggleHelp);
    assert!(app.show_help());
    let lines = draw(&app, 100, 60);
    for b in &app.keymap().bindings {
        let text = format!("  {}", b.description);
        // On an account tab with no cleared warning, nothing open and no
        // filter, these do nothing.
        // Nor does the picker with one account.
        if matches!(
            b.action,
            baltui::keymap::Action::Acknowledge
                | baltui::keymap::Action::Back
                | baltui::keymap::Action::Filter
                | baltui::keymap::Action::ByCurrency
                | baltui::keymap::Action::PickAccount
        ) {
            assert!(!screen(&lines).contains(&text), "{text} offered");
            continue;
        }
        let row = line_with(&lines, &text);
        assert!(
            row.contains(&format!(" {} ", b.all_labels())),
            "{} missing label {}",
            b.description,
            b.all_labels()
        );
    }

    assert_has(&lines, "On this account's tab");
    assert_has(&lines, "In this help");
    // Status line switches to the help context's hints.
    assert!(lines[59].contains("Esc close help"), "{}", lines[59]);
}

#[test]
fn status_line_hints_from_keymap() {
    let app = okx_app("5");
    let lines = draw(&app, 200, 30);
    let last = &lines[29];
    let hints = baltui::ui::status::hints(app.keymap(), baltui::ui::status::view(&app));
    assert!(hints.len() >= 5, "{hints:?}");
    for (key, what) in hints {
        assert!(
            last.contains(&format!("{key} {what}")),
            "{key} missing: {last}"
        );
    }
    assert!(last.contains("12:30:45 UTC") && last.contains("0 critical, 0 warn"));
}

#[test]
fn overview_with_mixed_severities() {
    let mut app = app_with(vec![
        spec("okx-main", baltui::venues::okx::KIND, false),
        spec("lp-demo", baltui::venues::longport::KIND, true),
    ]);
    let at = now() - Duration::seconds(3);
    poll(&mut app, 0, at, Ok(okx_snapshot(at, "2.61")));
    poll(
        &mut app,
        1,
        now(),
        Err(VenueError::new(
            baltui::venues::longport::KIND,
            ErrorKind::Auth {
                code: "401003".into(),
                message: "token expired".into(),
            },
        )),
    );
    assert_eq!(app.tab(), 0);
    let lines = draw(&app, 240, 30);

    let a = line_with(&lines, "LIVE");
    for s in [
        "▲ WARN",
        "OK",
        "OKX",
        "LIVE",
        "12,000.53 USD",
        "261%",
        "3s ago",
        "margin ratio 261% below 300%",
    ] {
        assert!(a.contains(s), "{s} missing: {a}");
    }
    let b = line_with(&lines, "DEMO");
    for s in [
        "✖ CRITICAL",
        "AUTH FAILED",
        "LongPort",
        "DEMO",
        "never updated",
        "token expired",
    ] {
        assert!(b.contains(s), "{s} missing: {b}");
    }
    // Tabs carry each account's worst symbol.
    assert!(
        lines[0].contains("All")
            && lines[0].contains("▲ okx-main")
            && lines[0].contains("✖ lp-demo")
    );
    assert_has(&lines, "1 critical, 1 warn");
}

#[test]
fn overview_narrow_drops_columns_not_digits() {
    let mut app = app_with(vec![
        spec("okx-main", baltui::venues::okx::KIND, false),
        spec("b", baltui::venues::webull::KIND, false),
    ]);
    let at = now() - Duration::seconds(3);
    poll(&mut app, 0, at, Ok(okx_snapshot(at, "2.61")));
    let lines = draw(&app, 60, 15);
    let a = line_with(&lines, "WARN");
    // Grouped in the currency's places; the digits of the integer part all there.
    assert!(a.contains("▲ WARN") && a.contains("12,000.53 USD"), "{a}");
}

/// The OKX snapshot with `n` more currencies, C00 to C<n-1>.
fn many_rows_snapshot(at: DateTime<Utc>, n: usize) -> Snapshot {
    let mut snap = okx_snapshot(at, "5");
    for i in 0..n {
        snap.currencies.push(CurrencyBalance {
            currency: format!("C{i:02}"),
            cash: d("1"),
            ..CurrencyBalance::default()
        });
    }
    snap
}

fn many_rows_app() -> App {
    let mut app = app_with(vec![spec("main", baltui::venues::okx::KIND, false)]);
    let at = now() - Duration::seconds(3);
    poll(&mut app, 0, at, Ok(many_rows_snapshot(at, 30)));
    app
}

#[test]
fn selection_is_kept_in_view_and_highlighted() {
    let mut app = many_rows_app();
    let theme = Theme::color();
    // Currency order: BTC, C00..C29, USDT. The selection is the last row, far
    // below the visible height: the window scrolls to show it.
    select_row(&mut app, 31);
    let lines = draw(&app, 100, 30);
    assert_has(&lines, "↕ 32/32 ▲");
    let y = row_of(&lines, "  USDT ");
    assert!(!screen(&lines).contains("  BTC "), "{}", screen(&lines));
    let buf = buffer(&app, 100, 30, &theme);
    let m = cell_at(&buf, 0, y).modifier;
    assert!(m.contains(ratatui::style::Modifier::REVERSED), "{m:?}");
    // The row above is not selected.
    let m = cell_at(&buf, 0, y - 1).modifier;
    assert!(!m.contains(ratatui::style::Modifier::REVERSED), "{m:?}");

    // Selection at the top: no scrolling, first row highlighted.
    act(&mut app, Action::Top);
    assert_eq!(app.row(), 0);
    let lines = draw(&app, 100, 30);
    let y = row_of(&lines, "  BTC ");
    assert_eq!(y, row_of(&lines, "↕ 1/32") + 1);
    let buf = buffer(&app, 100, 30, &theme);
    assert!(
        cell_at(&buf, 0, y)
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );

    // Rows vanished (the next poll has 22 rows, not 32): the selection
    // follows its currency, USDT, now the 22nd row.
    act(&mut app, Action::Bottom);
    let at = now() - Duration::seconds(1);
    poll(&mut app, 0, at, Ok(many_rows_snapshot(at, 20)));
    assert_eq!((app.row(), app.rows(0).len()), (21, 22));
    let lines = draw(&app, 100, 30);
    assert_has(&lines, "  USDT ");
    assert!(!screen(&lines).contains("  BTC "), "{}", screen(&lines));
    let buf = buffer(&app, 100, 30, &theme);
    assert!(
        cell_at(&buf, 0, row_of(&lines, "  USDT "))
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
}

#[test]
fn events_pane_only_when_shown() {
    let mut app = many_rows_app();
    let shown = draw(&app, 100, 30);
    assert_has(&shown, " events ");
    let count = |l: &[String]| l.iter().filter(|l| l.contains("  C")).count();
    act(&mut app, Action::ToggleEvents);
    assert!(!app.show_events());
    let hidden = draw(&app, 100, 30);
    assert!(!screen(&hidden).contains(" events "), "{}", screen(&hidden));
    assert!(!screen(&hidden).contains("no events yet"));
    // Its space goes to the balances table.
    assert!(count(&hidden) > count(&shown), "{}", screen(&hidden));
    // Also on the All tab.
    go_tab(&mut app, 0);
    assert!(!screen(&draw(&app, 100, 30)).contains(" events "));
}

#[test]
fn decimal_points_line_up() {
    let mut app = app_with(vec![spec("main", baltui::venues::okx::KIND, false)]);
    let at = now() - Duration::seconds(3);
    let mut snap = okx_snapshot(at, "5");
    snap.currencies = ["1.5", "1234.56789", ""]
        .iter()
        .zip(["AAA", "BBB", "CCC"])
        .map(|(v, c)| CurrencyBalance {
            currency: c.into(),
            cash: if v.is_empty() { None } else { d(v) },
            available: d("7"),
            ..CurrencyBalance::default()
        })
        .collect();
    poll(&mut app, 0, at, Ok(snap));
    let lines = draw(&app, 120, 30);
    let a = line_with(&lines, "  AAA ");
    let b = line_with(&lines, "  BBB ");
    let c = line_with(&lines, "  CCC ");
    let point = col(a, ".").unwrap();
    assert_eq!(col(b, ".").unwrap(), point, "\n{a}\n{b}");
    // Currencies not known as fiat: a fixed 8 places, grouped; the dash sits
    // where the integers end.
    assert_eq!(col(a, "1.50000000").unwrap() + 1, point);
    assert_eq!(col(b, "1,234.56789000").unwrap() + 5, point);
    assert_eq!(col(c, "—").unwrap() + 1, point, "\n{a}\n{c}");
    // The widest value ends where the header ends (right-aligned column).
    let header = line_with(&lines, "withdrawable");
    assert_eq!(
        col(header, "cash").unwrap() + 4,
        col(b, "789000").unwrap() + 6
    );
}

#[test]
fn rows_from_another_view_are_marked() {
    let mut app = app_with(vec![spec("lp", baltui::venues::longport::KIND, false)]);
    let at = now() - Duration::seconds(3);
    let mut snap = longport_snapshot(at, RiskLevel::Safe, "0");
    snap.currencies[1].view = Some("USD".into());
    poll(&mut app, 0, at, Ok(snap));
    let lines = draw(&app, 120, 30);
    let row = line_with(&lines, "USD (USD view)");
    assert!(row.contains("19,989.74"), "{row}");
}

#[test]
fn sort_by_cash_puts_the_largest_first() {
    let mut app = app_with(vec![spec("main", baltui::venues::okx::KIND, false)]);
    let at = now() - Duration::seconds(3);
    let mut snap = okx_snapshot(at, "5");
    snap.currencies.push(CurrencyBalance {
        currency: "AAA".into(),
        cash: d("99999.5"),
        ..CurrencyBalance::default()
    });
    poll(&mut app, 0, at, Ok(snap));
    let lines = draw(&app, 120, 30);
    assert!(line_with(&lines, "withdrawable").contains("currency ▲"));
    assert!(row_of(&lines, "  AAA ") < row_of(&lines, "  BTC "));
    assert!(row_of(&lines, "  BTC ") < row_of(&lines, "  USDT "));

    act(&mut app, Action::CycleSort);
    assert_eq!(app.sort(), baltui::app::SortColumn::Cash);
    let lines = draw(&app, 120, 30);
    let header = line_with(&lines, "withdrawable");
    assert!(header.contains("cash ▼"), "{header}");
    assert!(!header.contains("currency ▲"), "{header}");
    let (aaa, usdt, btc) = (
        row_of(&lines, "  AAA "),
        row_of(&lines, "  USDT "),
        row_of(&lines, "  BTC "),
    );
    assert!(aaa < usdt && usdt < btc, "{}", screen(&lines));
    assert_eq!(aaa, row_of(&lines, "withdrawable") + 1);
}

#[test]
fn hide_zero_hides_zero_rows_and_counts_them() {
    let mut app = app_with(vec![spec("main", baltui::venues::okx::KIND, false)]);
    let at = now() - Duration::seconds(3);
    let mut snap = okx_snapshot(at, "5");
    snap.currencies.push(CurrencyBalance {
        currency: "ZRO".into(),
        cash: d("0"),
        available: d("0.000"),
        ..CurrencyBalance::default()
    });
    poll(&mut app, 0, at, Ok(snap));
    let lines = draw(&app, 120, 30);
    assert_has(&lines, "  ZRO ");
    assert!(!screen(&lines).contains("zero rows hidden"));

    act(&mut app, Action::ToggleZero);
    assert!(app.hide_zero());
    let lines = draw(&app, 120, 30);
    assert!(!screen(&lines).contains("ZRO"), "{}", screen(&lines));
    assert_has(&lines, "zero rows hidden (1)");
    // BTC has a zero cell but is not all zero: it stays.
    assert_has(&lines, "  BTC ");
    assert!(row_of(&lines, "zero rows hidden") < row_of(&lines, "withdrawable"));
}

#[test]
fn margin_gauge_with_ratio_only() {
    let theme = Theme::color();
    // 261% on a 0..600% scale of 20 cells: 8 filled; markers at 150% (cell 5)
    // and 300% (cell 10).
    let app = okx_app("2.61");
    let lines = draw(&app, 120, 30);
    let m = margin_line(&lines);
    assert!(
        m.contains("margin ratio 261% ▲ WARN  [█████│██░░│░░░░░░░░░]  warn <300% crit <150%"),
        "{m}"
    );
    let buf = buffer(&app, 120, 30, &theme);
    let y = lines
        .iter()
        .position(|l| l.starts_with("margin ratio "))
        .unwrap();
    let x = col(m, "[").unwrap();
    assert_eq!(cell_at(&buf, x + 1, y).fg, theme.warn.fg.unwrap());
    assert_eq!(cell_at(&buf, x + 9, y).fg, theme.muted.fg.unwrap());

    // Critical and beyond the scale.
    let lines = draw(&okx_app("1.2"), 120, 30);
    assert_has(&lines, "120% ✖ CRITICAL  [████░│░░░░│░░░░░░░░░]");
    let lines = draw(&okx_app("9"), 120, 30);
    assert_has(&lines, "margin ratio 900%  [█████│████│█████████]");

    // No ratio: a dash and no gauge.
    let mut app = app_with(vec![spec("main", baltui::venues::okx::KIND, false)]);
    let at = now() - Duration::seconds(3);
    let mut snap = okx_snapshot(at, "5");
    snap.risk.margin_ratio = None;
    poll(&mut app, 0, at, Ok(snap));
    let lines = draw(&app, 120, 30);
    let m = margin_line(&lines);
    assert!(m.starts_with("margin ratio —  warn <300%"), "{m}");
    assert!(
        !m.contains('[') && !m.contains('░') && !m.contains('█'),
        "{m}"
    );
}

#[test]
fn margin_sparkline_from_history() {
    let mut app = okx_app("3.4");
    for (k, r) in ["3.1", "2.9", "2.61"].iter().enumerate() {
        let at = now() - Duration::seconds(2 - i64::try_from(k).unwrap());
        poll(&mut app, 0, at, Ok(okx_snapshot(at, r)));
    }
    let lines = draw(&app, 120, 30);
    let m = margin_line(&lines);
    let spark: String = m.chars().rev().skip_while(|c| *c == ' ').take(4).collect();
    assert_eq!(spark.chars().count(), 4, "{m}");
    assert!(
        spark.chars().all(|c| "▁▂▃▄▅▆▇█".contains(c)),
        "{spark:?} in {m}"
    );
}

#[test]
fn no_accounts() {
    let app = app_with(vec![]);
    let lines = draw(&app, 80, 20);
    assert_has(&lines, "no accounts configured");
}

#[test]
fn banner_on_top() {
    let mut app = app_with(vec![spec("main", baltui::venues::okx::KIND, false)])
        .with_banner(Some("DEMO — simulated venues, no real money".into()));
    let at = now() - Duration::seconds(3);
    poll(&mut app, 0, at, Ok(okx_snapshot(at, "5")));
    let lines = draw(&app, 100, 30);
    assert!(lines[0].contains("DEMO — simulated venues"), "{}", lines[0]);
    assert!(lines[1].contains("All"));
}

#[test]
fn sizes() {
    let app = okx_app("2");
    let small = draw(&app, 29, 7);
    // Too narrow for both on one line: the count first, whole.
    assert!(small[0].starts_with("▲ 0 critical, 1 warn"), "{}", small[0]);
    assert!(
        small[1].starts_with("window too small (need 30x8)"),
        "{}",
        small[1]
    );
    assert!(small[2..].iter().all(|l| l.trim().is_empty()));
    let edge = draw(&app, 30, 8);
    assert_has(&edge, "main");
    assert!(!edge[0].contains("too small"));
    let big = draw(&app, 200, 50);
    assert_has(&big, "4,850.44");
    assert_has(&big, "data fresh 3s");
    assert_has(&big, " events ");
    for (w, h) in [
        (0, 0),
        (1, 1),
        (0, 10),
        (10, 0),
        (29, 100),
        (300, 7),
        (30, 8),
        (60, 15),
    ] {
        draw(&app, w, h);
    }
}

#[test]
fn never_panics_on_odd_data() {
    let names = ["", "x", &"名".repeat(100), &"long".repeat(200)];
    let specs: Vec<_> = (0..40)
        .map(|i| {
            spec(
                names[i % names.len()],
                baltui::venues::webull::KIND,
                i % 2 == 0,
            )
        })
        .collect();
    let mut app = app_with(specs);
    let at = now() - Duration::seconds(3);
    let mut snap = okx_snapshot(at, "79228162514264337593543950335");
    snap.totals.net_assets = Some(Decimal::MAX);
    snap.currencies[0].cash = Some(Decimal::MIN);
    snap.currencies[0].frozen = d("0.0000000000000000000000000001");
    snap.currencies[0].currency = "VERYLONGCURRENCYNAME".repeat(5);
    for _ in 0..200 {
        snap.currencies.push(snap.currencies[1].clone());
    }
    // Zero and negative margin thresholds: no gauge scale, no panic.
    let mut zero = okx_snapshot(at, "0");
    zero.risk.level = Some(RiskLevel::Danger);
    zero.currencies.push(CurrencyBalance {
        currency: "Z".into(),
        ..CurrencyBalance::default()
    });
    poll(&mut app, 5, at, Ok(zero));
    poll(&mut app, 3, at, Ok(snap));
    for tab in [0, 1, 4, 6, 40, 41, 99] {
        set_thresholds(
            &mut app,
            Thresholds {
                margin_ratio_warn: Decimal::from(i64::try_from(tab % 3).unwrap() - 1),
                ..Thresholds::default()
            },
        );
        // 41 and 99 are no tab (40 accounts): the key is ignored.
        let before = app.tab();
        act(&mut app, Action::GoTab(tab));
        assert_eq!(app.tab(), if tab <= 40 { tab } else { before });
        for scroll in [0, 5, 10_000] {
            if app.hide_zero() != (scroll == 5) {
                act(&mut app, Action::ToggleZero);
            }
            if app.show_events() != (scroll != 0) {
                act(&mut app, Action::ToggleEvents);
            }
            act(&mut app, Action::CycleSort);
            // 10 000: as far down as there are rows.
            match scroll {
                0 => act(&mut app, Action::Top),
                10_000 => act(&mut app, Action::Bottom),
                n => {
                    act(&mut app, Action::Top);
                    for _ in 0..n {
                        act(&mut app, Action::Down);
                    }
                }
            }
            for (w, h) in [(60, 15), (61, 16), (80, 24), (200, 50), (1000, 300), (2, 3)] {
                draw(&app, w, h);
                // Flip privacy and help (help first closes: behind it only
                // its own keys work).
                let help = app.show_help();
                if help {
                    app.update(Msg::Key(crossterm::event::KeyEvent::new(
                        crossterm::event::KeyCode::Esc,
                        crossterm::event::KeyModifiers::NONE,
                    )));
                }
                act(&mut app, Action::TogglePrivacy);
                if !help {
                    act(&mut app, Action::ToggleHelp);
                }
                assert_eq!(app.show_help(), !help);
                draw(&app, w, h);
            }
        }
    }
    // A number too wide for its column is marked, never silently cut.
    assert!(!app.show_help());
    set_privacy(&mut app, false);
    set_thresholds(&mut app, Thresholds::default());
    go_tab(&mut app, 4);
    if app.hide_zero() {
        act(&mut app, Action::ToggleZero);
    }
    while app.sort() != baltui::app::SortColumn::Currency {
        act(&mut app, Action::CycleSort);
    }
    let row = app
        .rows(3)
        .iter()
        .position(|c| c.currency.starts_with("VERYL"))
        .unwrap();
    select_row(&mut app, row);
    let lines = draw(&app, 60, 20);
    let row = line_with(&lines, "VERYL");
    assert!(row.contains('#') || row.contains('…'), "{row}");
}

#[test]
fn mono_theme_keeps_severity_words() {
    let mut app = app_with(vec![
        spec("a", baltui::venues::okx::KIND, false),
        spec("b", baltui::venues::okx::KIND, false),
    ]);
    let at = now() - Duration::seconds(3);
    poll(&mut app, 0, at, Ok(okx_snapshot(at, "1.2")));
    poll(&mut app, 1, at, Ok(okx_snapshot(at, "2.5")));
    let theme = Theme::mono();
    let lines = draw_with(&app, 120, 30, &theme);
    assert_has(&lines, "✖ CRITICAL");
    assert_has(&lines, "▲ WARN");
    // No color anywhere in the buffer.
    let mut term = Terminal::new(TestBackend::new(120, 30)).unwrap();
    term.draw(|f| ui::render(f, &app, &theme)).unwrap();
    let buf = term.backend().buffer();
    assert!(
        buf.content()
            .iter()
            .all(|c| c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset)
    );
    go_tab(&mut app, 1);
    let lines = draw_with(&app, 120, 30, &theme);
    assert_has(&lines, "✖ CRITICAL margin ratio 120% below 150%");
}

#[test]
fn events_newest_first() {
    let mut app = okx_app("2.5");
    app.update(Msg::Tick(now() + Duration::seconds(10)));
    let at = app.now();
    poll(&mut app, 0, at, Ok(okx_snapshot(at, "1.2")));
    let lines = draw(&app, 120, 30);
    let crit = lines
        .iter()
        .position(|l| l.contains("12:30:55 main ✖ margin ratio 120% below 150%"));
    let warn = lines
        .iter()
        .position(|l| l.contains("12:30:45 main ▲ margin ratio 250% below 300%"));
    assert!(
        crit.is_some() && warn.is_some() && crit < warn,
        "{}",
        screen(&lines)
    );
    let _ = Severity::Ok;
}

#[test]
fn extreme_negative_margin_ratio_is_shown_not_a_panic() {
    // Below every threshold and too large to scale to a percentage: update()
    // evaluates findings and render draws them; neither may panic.
    let mut app = app_with(vec![spec("edge", baltui::venues::okx::KIND, false)]);
    let at = now() - Duration::seconds(1);
    poll(
        &mut app,
        0,
        at,
        Ok(okx_snapshot(at, &Decimal::MIN.to_string())),
    );
    go_tab(&mut app, 1);
    let lines = draw(&app, 200, 50);
    assert_has(&lines, "CRITICAL");
    assert_has(&lines, &format!("×{}", Decimal::MIN));
}

/// Shaped like a normalized LongPort answer with two account-currency views.
pub(crate) fn longport_snapshot(
    at: DateTime<Utc>,
    level: RiskLevel,
    margin_call: &str,
) -> Snapshot {
    use baltui::model::View;
    let risk = |ccy_net: &str, mm: &str| Risk {
        level: Some(level),
        margin_call: d(margin_call),
        initial_margin: d("150000"),
        maintenance_margin: d(mm),
        margin_ratio: d(ccy_net)
            .unwrap()
            .checked_div(d(mm).unwrap())
            .map(|r| r.round_dp(4)),
        ..Risk::default()
    };
    Snapshot {
        fetched_at: at,
        venue_time: None,
        account_mode: None,
        totals: Totals {
            currency: Some("HKD".into()),
            net_assets: d("240000.50"),
            total_cash: d("175907.72"),
            buying_power: d("1759070.12"),
            ..Totals::default()
        },
        risk: risk("240000.50", "50000"),
        currencies: vec![
            CurrencyBalance {
                currency: "HKD".into(),
                available: d("195902.37"),
                frozen: d("11579.13"),
                settling: d("20728.81"),
                withdrawable: d("97592.30"),
                ..CurrencyBalance::default()
            },
            CurrencyBalance {
                currency: "USD".into(),
                available: d("19989.74"),
                frozen: d("287.23"),
                settling: d("-276806.51"),
                withdrawable: d("19989.74"),
                ..CurrencyBalance::default()
            },
        ],
        wallets: Vec::new(),
        other_views: vec![View {
            totals: Totals {
                currency: Some("USD".into()),
                net_assets: d("30769.29"),
                total_cash: d("22552.27"),
                ..Totals::default()
            },
            risk: risk("30769.29", "6410.25"),
        }],
    }
}

#[test]
fn longport_tab_in_each_risk_level() {
    let cases = [
        (RiskLevel::Safe, "0", "risk ■□□□ 0 safe", None),
        (RiskLevel::Medium, "0", "risk ■■□□ 1 medium risk", None),
        (
            RiskLevel::Warning,
            "0",
            "risk ■■■□ 2 early warning",
            Some("WARN"),
        ),
        (
            RiskLevel::Danger,
            "2598051.50",
            "risk ■■■■ 3 danger",
            Some("CRITICAL"),
        ),
    ];
    for (level, call, words, badge) in cases {
        let mut app = app_with(vec![spec("lp-hk", baltui::venues::longport::KIND, false)]);
        let at = now() - Duration::seconds(2);
        poll(&mut app, 0, at, Ok(longport_snapshot(at, level, call)));
        let lines = draw(&app, 160, 40);
        let title = line_with(&lines, "lp-hk · LongPort");
        assert!(
            title.contains("LIVE") && title.contains("data fresh 2s"),
            "{title}"
        );
        let risk = lines.iter().find(|l| l.starts_with("risk ")).unwrap();
        assert!(risk.starts_with(words), "{words}: {risk}");
        // The scale's color follows the risk_level finding; the word carries it too.
        let theme = Theme::color();
        let buf = buffer(&app, 160, 40, &theme);
        let y = row_of(&lines, words);
        let want = match badge {
            None => theme.ok.fg,
            Some("WARN") => theme.warn.fg,
            Some(_) => theme.critical.fg,
        };
        for x in 5..9 {
            assert_eq!(cell_at(&buf, x, y).fg, want.unwrap(), "{words} at {x}");
        }
        assert!(risk.contains("margin call"), "{risk}");
        match badge {
            None => assert_has(&lines, "no findings"),
            Some(word) => {
                assert_has(&lines, &format!("{word:<8} venue risk level"));
                // The tab label carries the account's worst severity symbol.
                let symbol = if word == "CRITICAL" {
                    "✖ lp-hk"
                } else {
                    "▲ lp-hk"
                };
                assert!(line_with(&lines, "All").contains(symbol), "{symbol}");
            }
        }
        if level == RiskLevel::Danger {
            assert_has(&lines, "margin call of 2598051.50 HKD");
            assert!(risk.contains("margin call 2,598,051.50 HKD"), "{risk}");
        }
        // Cash is not reported per currency by LongPort: a dash, not 0.
        let usd = line_with(&lines, "  USD ");
        assert!(
            usd.contains("—") && usd.contains("-276,806.51") && usd.contains("19,989.74"),
            "{usd}"
        );
        // The USD account view is on screen too.
        let totals = line_with(&lines, "net assets 240,000.50 HKD");
        assert!(totals.contains("USD view: net 30,769.29 USD"), "{totals}");
    }
}

#[test]
fn webull_tab_shows_the_vendor_example() {
    let body = include_str!("../../assets/fixtures/webull/balance-doc.json");
    let b: baltui::venues::webull::wire::Balance =
        baltui::venues::decode(baltui::venues::webull::KIND, body.as_bytes()).unwrap();
    let at = now() - Duration::seconds(4);
    let snap = baltui::venues::webull::normalize::normalize(&b, at);
    let mut s = spec("wb-hk/5MV01001", baltui::venues::webull::KIND, false);
    s.account_id = Some("QJHO3P1PR9425Q6UAT7QLJTEKB".into());
    let mut app = app_with(vec![s]);
    poll(&mut app, 0, at, Ok(snap));
    let lines = draw(&app, 180, 40);
    let title = line_with(&lines, "wb-hk/5MV01001 · Webull");
    assert!(
        title.contains("LIVE") && title.contains("data fresh 4s"),
        "{title}"
    );
    assert!(
        title.contains("acct …TEKB") && !title.contains("QJHO3P1PR9425Q6UAT7QLJTEKB"),
        "{title}"
    );
    let hkd = line_with(&lines, "  HKD ");
    for v in [
        "305,600,889.30",
        "305,587,431.94",
        "13,457.36",
        "0.00",
        "458,809,435.44",
    ] {
        assert!(hkd.contains(v), "{v} in {hkd}");
    }
    let usd = line_with(&lines, "  USD ");
    assert!(
        usd.contains("934.71") && usd.contains("929.66") && usd.contains("5.05"),
        "{usd}"
    );
    assert_has(&lines, "net assets 1,247,724,759.53 CNH");
    // Sent as percent ("1.00"), held as a ratio, shown like every percent.
    assert_has(&lines, "utilization 1%");
    assert_has(&lines, "no findings");
}

#[test]
fn title_says_when_the_interval_was_raised() {
    let mut app = okx_app("5");
    app.update(Msg::Planned {
        account: 0,
        interval: std::time::Duration::from_secs(5),
        note: Some("interval raised to 3s: the rate budget is shared by 12 accounts".into()),
    });
    let lines = draw(&app, 160, 30);
    let title = line_with(&lines, "main · OKX");
    assert!(title.contains("interval raised to 3s"), "{title}");
}

/// Shaped like a normalized OKX answer in Futures mode: no account-level
/// ratio, a cross margin ratio per currency; the account's ratio is the worst
/// currency's (USDT at `usdt_ratio`, BTC at 500%), naming it.
fn okx_futures_snapshot(at: DateTime<Utc>, usdt_ratio: &str) -> Snapshot {
    let mut s = okx_snapshot(at, "5");
    s.account_mode = Some("Futures mode".into());
    s.totals = Totals {
        currency: Some("USD".into()),
        net_assets: d("12000.5321"),
        isolated_equity: d("0"),
        ..Totals::default()
    };
    s.risk = Risk {
        margin_ratio: d(usdt_ratio),
        margin_ratio_currency: Some("USDT".into()),
        headroom: d(usdt_ratio).and_then(|r| {
            baltui::model::Headroom::from_cover(r, rust_decimal::Decimal::ONE, "USDT mgnRatio")
        }),
        ..Risk::default()
    };
    let usdt = &mut s.currencies[0];
    usdt.margin_ratio = d(usdt_ratio);
    usdt.initial_margin = d("977.123");
    usdt.maintenance_margin = d("488.5615");
    usdt.notional_leverage = d("2.5");
    usdt.value_in_base = d("4991.542013297616");
    usdt.indicators.clear();
    let btc = &mut s.currencies[1];
    btc.margin_ratio = d("5");
    btc.value_in_base = d("1050.12");
    s
}

fn futures_app(usdt_ratio: &str) -> App {
    let mut app = app_with(vec![spec("okx-fut", baltui::venues::okx::KIND, false)]);
    let at = now() - Duration::seconds(3);
    poll(&mut app, 0, at, Ok(okx_futures_snapshot(at, usdt_ratio)));
    app
}

/// Column of `needle` in `line`, and where it ends.
fn span_of(line: &str, needle: &str) -> (usize, usize) {
    let x = col(line, needle).unwrap_or_else(|| panic!("{needle:?} not in {line}"));
    (x, x + needle.chars().count())
}

/// The cell under `needle`'s first character on row `y` of a fresh frame.
fn cell_under<'a>(
    buf: &'a ratatui::buffer::Buffer,
    lines: &[String],
    y: usize,
    needle: &str,
) -> &'a ratatui::buffer::Cell {
    let (x, _) = span_of(&lines[y], needle);
    cell_at(buf, x, y)
}

#[test]
fn okx_futures_mode_shows_the_ratio_per_currency() {
    let theme = Theme::color();
    let app = futures_app("1.25");
    let lines = draw(&app, 120, 30);
    let buf = buffer(&app, 120, 30, &theme);

    // The account mode next to the venue, and on the margin pane's rule.
    let title = line_with(&lines, "data fresh 3s");
    assert!(
        title.starts_with("okx-fut · OKX · Futures mode · LIVE"),
        "{title}"
    );
    assert_has(&lines, " margin · risk · Futures mode ");

    // A per-currency margin ratio column, in percent, right-aligned under its
    // header; the currency near liquidation is marked and filled critical.
    let hy = body_row(&lines, "currency ▲");
    let (uy, by) = (body_row(&lines, "✖ USDT"), body_row(&lines, "  BTC "));
    let (_, end) = span_of(&lines[hy], "margin ratio");
    assert_eq!(
        span_of(&lines[uy], " 125% ").1 - 1,
        end,
        "\n{}",
        screen(&lines)
    );
    assert_eq!(
        span_of(&lines[by], " 500% ").1 - 1,
        end,
        "\n{}",
        screen(&lines)
    );
    let usdt = cell_under(&buf, &lines, uy, "125%");
    assert_eq!(usdt.bg, theme.badge_critical.bg.unwrap());
    assert_eq!(usdt.fg, theme.badge_critical.fg.unwrap());
    let btc = cell_under(&buf, &lines, by, "500%");
    assert_eq!(
        btc.bg,
        ratatui::style::Color::Reset,
        "BTC is not near a line"
    );
    assert_eq!(cell_at(&buf, 0, uy).fg, theme.critical.fg.unwrap());
    // OKX `eqUsd` as "value USD"; Futures mode has no liab or interest: no
    // such columns.
    assert!(lines[hy].contains("value USD"), "{}", lines[hy]);
    // In USD's places.
    assert!(lines[uy].contains(" 4,991.54"), "{}", lines[uy]);
    assert!(
        !lines[hy].contains("liabilities") && !lines[hy].contains("interest"),
        "{}",
        lines[hy]
    );

    // The margin pane: the worst currency's ratio, naming it, judged by that
    // currency's finding; the gauge filled critical.
    let m = margin_line(&lines);
    assert!(
        m.starts_with("margin ratio 125% (USDT) ✖ CRITICAL  [████░│"),
        "{m}"
    );
    let my = row_of(&lines, m);
    assert_eq!(
        cell_under(&buf, &lines, my, "125%").bg,
        theme.badge_critical.bg.unwrap()
    );
    assert_eq!(
        cell_under(&buf, &lines, my, "█").fg,
        theme.critical.fg.unwrap()
    );
    assert_has(&lines, "✖ CRITICAL USDT margin ratio 125% below 150%");
    // No account-level figures in this mode: dashes, never zeros.
    assert_has(&lines, "risk —  initial —  maint —");
    assert!(line_with(&lines, "All").contains("✖ okx-fut"));

    // Between the lines (warn < 300%): WARN, on the cell and in the pane.
    let app = futures_app("2.5");
    let lines = draw(&app, 120, 30);
    let buf = buffer(&app, 120, 30, &theme);
    let uy = body_row(&lines, "▲ USDT");
    assert_eq!(
        cell_under(&buf, &lines, uy, "250%").bg,
        theme.badge_warn.bg.unwrap()
    );
    assert!(
        margin_line(&lines).starts_with("margin ratio 250% (USDT) ▲ WARN"),
        "{}",
        margin_line(&lines)
    );
    assert_has(&lines, "▲ WARN     USDT margin ratio 250% below 300%");

    // Above both lines: plain, and still says whose ratio it is.
    let app = futures_app("4");
    let lines = draw(&app, 120, 30);
    let buf = buffer(&app, 120, 30, &theme);
    let uy = body_row(&lines, "  USDT ");
    assert_eq!(
        cell_under(&buf, &lines, uy, "400%").bg,
        ratatui::style::Color::Reset
    );
    assert!(
        margin_line(&lines).starts_with("margin ratio 400% (USDT)  ["),
        "{}",
        margin_line(&lines)
    );
    assert_has(&lines, "no findings");
}

#[test]
fn all_tab_marks_the_currency_of_a_futures_ratio() {
    let theme = Theme::color();
    let mut app = app_with(vec![
        spec("okx-fut", baltui::venues::okx::KIND, false),
        spec("okx-main", baltui::venues::okx::KIND, false),
    ]);
    let at = now() - Duration::seconds(3);
    poll(&mut app, 0, at, Ok(okx_futures_snapshot(at, "1.25")));
    poll(&mut app, 1, at, Ok(okx_snapshot(at, "5")));
    // Wide enough for the venue's account mode beside every other column.
    let lines = draw(&app, 180, 20);
    let y = body_row(&lines, " okx-fut ");
    let row = &lines[y];
    assert!(row.contains("✖ CRITICAL"), "{row}");
    // The venue with its account mode when there is room.
    assert!(row.contains(" OKX · Futures mode "), "{row}");
    assert!(
        lines[body_row(&lines, " okx-main ")].contains(" OKX "),
        "{}",
        screen(&lines)
    );
    // The ratio names its currency and is colored by that currency's finding.
    let buf = buffer(&app, 180, 20, &theme);
    assert!(row.contains("USDT 125%"), "{row}");
    assert_eq!(
        cell_under(&buf, &lines, y, "125%").fg,
        theme.critical.fg.unwrap()
    );
    // The venue-neutral headroom: 1 − 1/1.25 of the equity, in the same
    // finding's color.
    assert_eq!(
        cell_under(&buf, &lines, y, "20%").fg,
        theme.critical.fg.unwrap()
    );
    // Narrower: the mode gives way first, then the venue's own figure; the
    // headroom stays.
    let lines = draw(&app, 160, 20);
    let row = &lines[body_row(&lines, " okx-fut ")];
    assert!(
        !row.contains("Futures mode") && row.contains("USDT 125%") && row.contains(" 20%"),
        "{row}"
    );
    let lines = draw(&app, 100, 20);
    let row = &lines[body_row(&lines, " okx-fut ")];
    assert!(!row.contains("USDT 125%") && row.contains(" 20%"), "{row}");
}

#[test]
fn privacy_masks_the_futures_mode_amounts() {
    let mut app = futures_app("1.25");
    set_privacy(&mut app, true);
    let secret = [
        "4991.542013297616",
        "1050.12",
        "12000.5321",
        "4850.435693622894",
        "4,991.54",
        "1,050.12",
        "12,000.53",
        "4,850.44",
    ];
    let lines = draw(&app, 120, 30);
    for (y, l) in lines.iter().enumerate() {
        for v in secret {
            assert!(!l.contains(v), "{v} visible on line {y}: {l}");
        }
    }
    // The per-currency ratios stay.
    let usdt = line_with(&lines, "✖ USDT");
    let top = usdt.split_whitespace().nth(2).unwrap();
    assert_eq!(top, "125%", "the ratio cell: {usdt}");
    assert!(
        margin_line(&lines).starts_with("margin ratio 125% (USDT) ✖ CRITICAL  "),
        "{}",
        margin_line(&lines)
    );
    assert_has(&lines, "isolated equity ••••• USD");
    go_tab(&mut app, 0);
    let lines = draw(&app, 160, 20);
    assert_has(&lines, "USDT 125%");
    assert_has(&lines, "••••• USD");
}

#[test]
fn futures_mode_on_narrow_screens() {
    let app = futures_app("1.25");
    // The smallest full layout: extra columns give way, the ratio stays.
    let lines = draw(&app, 60, 15);
    let usdt = line_with(&lines, "✖ USDT");
    assert!(usdt.contains(" 125% "), "{}", screen(&lines));
    assert!(margin_line(&lines).starts_with("margin ratio 125% (USDT) ✖ CRITICAL"));
    // 40x12 is still a full layout: the account, its critical ratio and
    // the whole trouble count.
    let lines = draw(&app, 40, 12);
    assert_eq!(
        lines[1].trim_end(),
        "okx-fut · ✓ fresh 3s · risk ✖ CRIT",
        "{}",
        screen(&lines)
    );
    assert!(
        line_with(&lines, "✖ USDT").contains(" 125% "),
        "{}",
        screen(&lines)
    );
    assert!(
        lines[11].contains("✖ 1 critical, 0 warn"),
        "{}",
        screen(&lines)
    );
    // Below 30x8: one notice, and the trouble count first where both do not fit.
    let lines = draw(&app, 29, 7);
    assert!(
        lines[0].starts_with("✖ 1 critical, 0 warn"),
        "{}",
        screen(&lines)
    );
    assert!(lines[1].starts_with("window too small"), "{}", lines[1]);
    assert!(lines[2..].iter().all(|l| l.trim().is_empty()));
    let one = draw(&app, 40, 1);
    assert!(one[0].starts_with("✖ 1 critical"), "{}", one[0]);
    let mut app = app;
    for (w, h) in [
        (40, 12),
        (1, 1),
        (59, 15),
        (60, 15),
        (61, 16),
        (70, 20),
        (300, 80),
    ] {
        for privacy in [false, true] {
            set_privacy(&mut app, privacy);
            for tab in [0, 1] {
                go_tab(&mut app, tab);
                draw(&app, w, h);
            }
        }
    }
}

/// The OKX vendor example in Multi-currency margin mode, with a liability,
/// accrued interest and a notional value.
fn okx_multi_currency_snapshot(at: DateTime<Utc>) -> Snapshot {
    let mut v: serde_json::Value =
        serde_json::from_str(include_str!("../../assets/fixtures/okx/balance-doc.json")).unwrap();
    let acct = &mut v["data"][0];
    acct["notionalUsd"] = "1234.5".into();
    acct["mgnRatio"] = "15.5".into();
    acct["details"][0]["liab"] = "21625.64".into();
    acct["details"][0]["interest"] = "9.01".into();
    let body = serde_json::to_vec(&v).unwrap();
    let env: baltui::venues::okx::wire::Envelope<baltui::venues::okx::wire::Balance> =
        baltui::venues::decode(baltui::venues::okx::KIND, &body).unwrap();
    let mut s = baltui::venues::okx::normalize::normalize(&env.data[0], at);
    s.account_mode = Some("Multi-currency margin".into());
    s
}

#[test]
fn okx_multi_currency_names_fields_as_the_document_does() {
    let mut app = app_with(vec![spec("okx-mc", baltui::venues::okx::KIND, false)]);
    let at = now() - Duration::seconds(3);
    poll(&mut app, 0, at, Ok(okx_multi_currency_snapshot(at)));
    let lines = draw(&app, 200, 30);
    let title = line_with(&lines, "data fresh 3s");
    assert!(
        title.starts_with("okx-mc · OKX · Multi-currency margin · LIVE"),
        "{title}"
    );
    // availEq and notionalUsd under their own names, in USD.
    let totals = line_with(&lines, "net assets ");
    assert!(
        totals.starts_with("net assets 55,837.44 USD  cash —  available equity 55,415.62 USD  notional value 1,234.50 USD"),
        "{totals}"
    );
    for l in &lines {
        assert!(
            !l.contains("buying power") && !l.contains("market value"),
            "{l}"
        );
    }
    // Per currency: liab, interest and eqUsd, each right-aligned under its header.
    let hy = body_row(&lines, "currency ▲");
    let uy = body_row(&lines, "  USDT ");
    for (h, v) in [
        ("liabilities", "21,625.64"),
        ("interest", "9.01"),
        ("value USD", "4,991.54"),
    ] {
        assert_eq!(
            span_of(&lines[hy], h).1,
            span_of(&lines[uy], v).1,
            "{h}\n{}\n{}",
            lines[hy],
            lines[uy]
        );
    }
    assert!(!lines[hy].contains("margin ratio"), "{}", lines[hy]);
    assert!(margin_line(&lines).starts_with("margin ratio 1550%  ["));

    // Narrower: totals that do not fit are left out whole and counted, never
    // cut mid-number.
    let lines = draw(&app, 100, 30);
    let totals = line_with(&lines, "net assets ");
    assert!(totals.trim_end().ends_with(" more"), "{totals}");
    assert!(
        totals.contains("available equity 55,415.62 USD"),
        "{totals}"
    );

    set_privacy(&mut app, true);
    let lines = draw(&app, 200, 30);
    for l in &lines {
        // The ratio stays (1550%): privacy hides amounts only.
        for v in ["21,625.64", "9.01", "55,415.62", "1,234.50"] {
            assert!(!l.contains(v), "{v} in {l}");
        }
    }
    assert_has(
        &lines,
        "available equity ••••• USD  notional value ••••• USD",
    );
}

#[test]
fn webull_in_transit_is_not_settling() {
    let mut v: serde_json::Value = serde_json::from_str(include_str!(
        "../../assets/fixtures/webull/balance-doc.json"
    ))
    .unwrap();
    v["account_currency_assets"][1]["pending_incoming"] = "2500.000000".into();
    v["account_currency_assets"][1]["interests_unpaid"] = "12.340000".into();
    let body = serde_json::to_vec(&v).unwrap();
    let b: baltui::venues::webull::wire::Balance =
        baltui::venues::decode(baltui::venues::webull::KIND, &body).unwrap();
    let at = now() - Duration::seconds(4);
    let snap = baltui::venues::webull::normalize::normalize(&b, at);
    let mut app = app_with(vec![spec("wb", baltui::venues::webull::KIND, false)]);
    poll(&mut app, 0, at, Ok(snap));
    let lines = draw(&app, 200, 40);

    let hy = body_row(&lines, "currency ▲");
    let header = &lines[hy];
    let (s0, s1) = span_of(header, "settling");
    let (_, transit_end) = span_of(header, "in transit");
    for ccy in ["CNH", "HKD", "USD"] {
        let row: Vec<char> = lines[body_row(&lines, &format!("  {ccy} "))]
            .chars()
            .collect();
        let settling: String = row[s0..s1].iter().collect();
        assert_eq!(settling.trim(), "—", "{ccy} settling: {settling:?}");
    }
    let hkd = line_with(&lines, "  HKD ");
    assert_eq!(span_of(hkd, "2,500.00").1, transit_end, "\n{header}\n{hkd}");
    // margin_power, interests_unpaid and positions_market_value per currency.
    for (h, v) in [
        ("margin buying power", "305,587,431.94"),
        ("interest", "12.34"),
        ("market value", "153,208,546.14"),
    ] {
        let (_, end) = span_of(header, h);
        let found = hkd
            .match_indices(v)
            .any(|(b, _)| hkd[..b].chars().count() + v.len() == end);
        assert!(found, "{v} under {h}\n{header}\n{hkd}");
    }
    // total_market_value in the totals currency.
    assert_has(&lines, "market value 89,038,914.52 CNH");

    set_privacy(&mut app, true);
    let lines = draw(&app, 200, 40);
    for l in &lines {
        for v in ["2,500.00", "12.34", "89,038,914.52"] {
            assert!(!l.contains(v), "{v} in {l}");
        }
    }
}

/// A cleared critical stays in sight on the All row, the tab row and the
/// status bar until acknowledged.
#[test]
fn a_cleared_critical_is_shown_until_acknowledged() {
    let mut app = app_with(vec![spec("main", baltui::venues::okx::KIND, false)]);
    let t1 = now() - Duration::seconds(120);
    poll(&mut app, 0, t1, Ok(okx_snapshot(t1, "1.32")));
    let t2 = now() - Duration::seconds(3);
    poll(&mut app, 0, t2, Ok(okx_snapshot(t2, "8")));
    let lines = draw(&app, 160, 30);
    let mark = app.accounts()[0].worst_mark().unwrap().text();
    assert!(mark.starts_with("was CRITICAL "), "{mark}");
    assert_has(&lines, "was CRITICAL");
    assert_has(&lines, "margin ratio 132% below 150%");
    assert_has(&lines, "⚑ was 1 critical (a: ack)");
    let tabs = lines.iter().find(|l| l.contains(" 0 All ")).unwrap();
    assert!(tabs.contains("main ⚑"), "{tabs}");
    app.update(Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('a'),
        crossterm::event::KeyModifiers::NONE,
    )));
    let lines = draw(&app, 160, 30);
    // Gone from the tab and the status line; the events log keeps the story.
    assert!(!screen(&lines).contains(&mark), "{}", screen(&lines));
    assert!(!screen(&lines).contains("⚑ was"), "{}", screen(&lines));
    assert!(!screen(&lines).contains('⚑'));
}
