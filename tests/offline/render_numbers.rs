//! Numbers on the account tab and in the detail view: digit groups, places
//! per currency, the same text for "1.50" and "1.5", negative amounts, points
//! aligned, and the exact detail of one currency. Cells of a TestBackend.

use crate::render::{col_in, d, now, one_account, row, text_rows};
use baltui::app::{App, Msg};
use baltui::model::{CurrencyBalance, Indicator, Snapshot, Totals};
use baltui::theme::Theme;
use baltui::ui;
use baltui::ui::format::{MASK, Numbers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

/// An OKX-shaped account: USD totals, a USDT row, a BTC row, an ETH row with
/// a negative equity (no finding is about equity, so only the style marks it).
fn snapshot(usdt_frozen: &str) -> Snapshot {
    Snapshot {
        fetched_at: now(),
        venue_time: None,
        account_mode: None,
        totals: Totals {
            currency: Some("USD".into()),
            net_assets: d("1254415.055"),
            unrealized_pnl: d("-1234.5"),
            ..Totals::default()
        },
        risk: Default::default(),
        currencies: vec![
            CurrencyBalance {
                currency: "USDT".into(),
                cash: d("1254415.0551"),
                available: d("0.004"),
                frozen: d(usdt_frozen),
                value_in_base: d("1254502.1234"),
                ..CurrencyBalance::default()
            },
            CurrencyBalance {
                currency: "BTC".into(),
                cash: d("12.3456789012"),
                available: d("1.5"),
                frozen: d("0.1"),
                value_in_base: d("1050000.12"),
                indicators: vec![Indicator::new("twap", "0", "forced-repayment risk 0 of 5")],
                ..CurrencyBalance::default()
            },
            CurrencyBalance {
                currency: "ETH".into(),
                cash: d("0"),
                available: d("0"),
                frozen: d("0"),
                equity: d("-2.75"),
                liabilities: d("2.75"),
                ..CurrencyBalance::default()
            },
        ],
        wallets: Vec::new(),
        other_views: Vec::new(),
    }
}

fn app_with(snap: Snapshot, numbers: Numbers) -> App {
    one_account("main", baltui::venues::okx::KIND, snap).with_numbers(numbers)
}

fn buffer(app: &App, w: u16, h: u16, detail: Option<&str>) -> Buffer {
    let theme = Theme::color();
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| {
        ui::render(f, app, &theme);
        if let Some(ccy) = detail {
            ui::detail::render(f, f.area(), app, 0, ccy, None, &theme);
        }
    })
    .unwrap();
    term.backend().buffer().clone()
}

#[test]
fn groups_and_places_per_currency() {
    let app = app_with(snapshot("1.50"), Numbers::default());
    let l = text_rows(&buffer(&app, 160, 30, None));
    let (_, usdt) = row(&l, "  USDT ");
    let cells: Vec<&str> = usdt.split_whitespace().collect();
    // cash, available (dust: never a plain zero), frozen, settling,
    // withdrawable, equity, liabilities, value USD.
    assert_eq!(
        cells,
        [
            "USDT",
            "1,254,415.06",
            "<0.01",
            "1.50",
            "—",
            "—",
            "—",
            "—",
            "1,254,502.12"
        ],
        "{usdt}"
    );
    let (_, btc) = row(&l, "  BTC ");
    let cells: Vec<&str> = btc.split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "BTC",
            "12.34567890",
            "1.50000000",
            "0.10000000",
            "—",
            "—",
            "—",
            "—",
            "1,050,000.12"
        ],
        "{btc}"
    );
    // Totals in USD's places, each with its currency.
    let (_, totals) = row(&l, "net assets ");
    assert!(
        totals.starts_with("net assets 1,254,415.06 USD  cash —  unrealized P&L -1,234.50 USD"),
        "{totals}"
    );

    // Another separator, none at all, and a configured place count.
    let app = app_with(
        snapshot("1.50"),
        Numbers::new(Some('\'')).with_places("BTC", 2),
    );
    let l = text_rows(&buffer(&app, 160, 30, None));
    assert!(row(&l, "  USDT ").1.contains(" 1'254'415.06 "));
    assert!(row(&l, "  BTC ").1.contains(" 12.35 "));
    let app = app_with(snapshot("1.50"), Numbers::new(None));
    let l = text_rows(&buffer(&app, 160, 30, None));
    assert!(row(&l, "  USDT ").1.contains(" 1254415.06 "));
}

/// OKX sends "1.50" one poll and "1.5" the next: the same text, in the same
/// cells, so nothing on screen moves.
#[test]
fn trailing_zeros_do_not_change_the_text() {
    let a = text_rows(&buffer(
        &app_with(snapshot("1.50"), Numbers::default()),
        160,
        30,
        None,
    ));
    let b = text_rows(&buffer(
        &app_with(snapshot("1.5"), Numbers::default()),
        160,
        30,
        None,
    ));
    let (ya, ra) = row(&a, "  USDT ");
    let (yb, rb) = row(&b, "  USDT ");
    assert_eq!((ya, ra), (yb, rb));
    assert!(ra.contains(" 1.50 "), "{ra}");
    assert_eq!(a, b);
}

#[test]
fn points_line_up_across_currencies() {
    let app = app_with(snapshot("1.5"), Numbers::default());
    let l = text_rows(&buffer(&app, 160, 30, None));
    let (_, header) = row(&l, "currency ▲");
    let (_, usdt) = row(&l, "  USDT ");
    let (_, btc) = row(&l, "  BTC ");
    let (_, eth) = row(&l, "  ETH ");
    // Cash column: USDT's, BTC's and ETH's points in one cell (the first
    // "0.00000000" on ETH's row is its cash).
    let p = col_in(usdt, "1,254,415.06") + 9;
    assert_eq!(col_in(btc, "12.34567890") + 2, p, "\n{usdt}\n{btc}");
    assert_eq!(col_in(eth, "0.00000000") + 1, p, "\n{usdt}\n{eth}");
    // The column ends where its widest value (BTC's 8 places) ends, under
    // its right-aligned header.
    assert_eq!(col_in(header, "cash") + 4, col_in(btc, "12.34567890") + 11);
    // "<0.01" sits on the point like any number.
    assert_eq!(
        col_in(usdt, "<0.01") + 2,
        col_in(btc, "1.50000000") + 1,
        "\n{usdt}\n{btc}"
    );
}

#[test]
fn negative_amounts_stand_out() {
    let theme = Theme::color();
    let red = theme.negative.fg.unwrap();
    let app = app_with(snapshot("1.5"), Numbers::default());
    let buf = buffer(&app, 160, 30, None);
    let l = text_rows(&buf);
    let at = |x: usize, y: usize| &buf[(u16::try_from(x).unwrap(), u16::try_from(y).unwrap())];
    let (y, eth) = row(&l, "  ETH ");
    // ETH's equity: the minus sign and the negative style on every cell.
    let x = col_in(eth, "-2.75000000");
    for dx in 0..11 {
        assert_eq!(at(x + dx, y).fg, red, "{eth}");
    }
    // The same amount positive (ETH's liabilities) is plain.
    let liab = eth.rfind(" 2.75000000").unwrap();
    let liab_x = eth[..liab].chars().count() + 1;
    assert!(liab_x > x + 11);
    assert_ne!(at(liab_x, y).fg, red);
    // The totals line: a negative P&L too.
    let (ty, totals) = row(&l, "unrealized P&L ");
    assert_eq!(at(col_in(totals, "-1,234.50"), ty).fg, red);
    assert_ne!(at(col_in(totals, "1,254,415.06"), ty).fg, red);

    // In privacy mode the color would tell the sign: no negative style.
    let mut app = app;
    app.update(Msg::Action(baltui::keymap::Action::TogglePrivacy));
    let buf = buffer(&app, 160, 30, None);
    let l = text_rows(&buf);
    let (y, eth) = row(&l, "  ETH ");
    assert!(!eth.contains("2.75"), "{eth}");
    for (b, _) in eth.match_indices(MASK) {
        let x = eth[..b].chars().count();
        assert_ne!(
            buf[(u16::try_from(x).unwrap(), u16::try_from(y).unwrap())].fg,
            red
        );
    }
}

#[test]
fn detail_shows_every_field_exact_with_its_venue_name() {
    let app = app_with(snapshot("1.50"), Numbers::default());
    let l = text_rows(&buffer(&app, 120, 40, Some("USDT")));
    let (ty, title) = row(&l, " USDT · main · exact ");
    assert!(title.contains('┌'), "{title}");
    let line = |field: &str| {
        l[ty..]
            .iter()
            .find(|s| s.contains(&format!("│{field} ")))
            .unwrap_or_else(|| panic!("{field} not in the detail:\n{}", l.join("\n")))
            .clone()
    };
    // The popup's part of a field's line, as words.
    let words = |field: &str| -> Vec<String> {
        line(field)
            .split('│')
            .nth(1)
            .unwrap_or("")
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    // Exact digits (grouped, never rounded), trailing zero as sent, the unit
    // and the OKX document's name.
    assert_eq!(
        words("cash"),
        ["cash", "1,254,415.0551", "USDT", "details[].cashBal"]
    );
    assert_eq!(
        words("frozen"),
        ["frozen", "1.50", "USDT", "details[].frozenBal"]
    );
    assert_eq!(
        words("available"),
        ["available", "0.004", "USDT", "details[].availBal"]
    );
    assert_eq!(
        words("value_in_base"),
        ["value_in_base", "1,254,502.1234", "USD", "details[].eqUsd"]
    );
    // Every field is listed, reported or not; one OKX does not fill has no
    // venue name.
    for (field, _) in CurrencyBalance::default().decimal_fields() {
        line(field);
    }
    assert_eq!(words("settling"), ["settling", "—", "USDT"]);
    // Points aligned in the value column.
    let point = |s: &str, v: &str| col_in(s, v) + v.find('.').unwrap();
    assert_eq!(
        point(&line("cash"), "1,254,415.0551"),
        point(&line("frozen"), "1.50")
    );

    // BTC's indicator is listed too.
    let l = text_rows(&buffer(&app, 120, 40, Some("BTC")));
    assert!(
        l.iter()
            .any(|s| s.contains("indicator twap=0 (forced-repayment risk 0 of 5)")),
        "{}",
        l.join("\n")
    );

    // Privacy masks every amount; names and units stay.
    let mut app = app;
    app.update(Msg::Action(baltui::keymap::Action::TogglePrivacy));
    let l = text_rows(&buffer(&app, 120, 40, Some("USDT")));
    let (ty, _) = row(&l, " USDT · main · exact ");
    let body = l[ty..].join("\n");
    assert!(!body.contains("1,254") && !body.contains("0.004"), "{body}");
    let cash = l[ty..].iter().find(|s| s.contains("│cash ")).unwrap();
    let words: Vec<&str> = cash.split('│').nth(1).unwrap().split_whitespace().collect();
    assert_eq!(words, ["cash", MASK, "USDT", "details[].cashBal"]);

    // A currency no longer reported says so; never a panic, even tiny.
    let l = text_rows(&buffer(&app, 120, 40, Some("XRP")));
    assert!(
        l.iter()
            .any(|s| s.contains("XRP: not in the latest balances"))
    );
    for (w, h) in [(1, 1), (10, 3), (60, 15)] {
        buffer(&app, w, h, Some("USDT"));
    }
}
