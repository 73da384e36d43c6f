//! The totals widgets (`ui::totals`) on ratatui's TestBackend: the one-line
//! summary at several widths and the per-currency table, with privacy.

use baltui::model::{CurrencyBalance, Snapshot, Totals, View};
use baltui::portfolio::{DataState, Figures, Holding, Portfolio};
use baltui::theme::Theme;
use baltui::ui::{format, totals};
use baltui::venues::{longport, okx, webull};
use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;

fn d(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

fn at() -> DateTime<Utc> {
    "2025-03-04T12:30:45Z".parse().unwrap()
}

fn totals_in(ccy: &str, net: &str, cash: Option<&str>) -> Totals {
    Totals {
        currency: Some(ccy.into()),
        net_assets: d(net),
        total_cash: cash.and_then(d),
        ..Totals::default()
    }
}

fn snap(t: Totals, views: Vec<Totals>, rows: Vec<CurrencyBalance>) -> Snapshot {
    Snapshot {
        fetched_at: at(),
        venue_time: None,
        account_mode: None,
        totals: t,
        risk: Default::default(),
        currencies: rows,
        wallets: Vec::new(),
        other_views: views
            .into_iter()
            .map(|totals| View {
                totals,
                risk: Default::default(),
            })
            .collect(),
    }
}

fn row(
    ccy: &str,
    cash: Option<&str>,
    avail: Option<&str>,
    frozen: Option<&str>,
) -> CurrencyBalance {
    CurrencyBalance {
        currency: ccy.into(),
        cash: cash.and_then(d),
        available: avail.and_then(d),
        frozen: frozen.and_then(d),
        ..CurrencyBalance::default()
    }
}

/// OKX in USD (no total cash), LongPort HKD with a USD view, Webull in HKD
/// (converted at LongPort's rate), a stale Webull, a failed OKX.
fn portfolio() -> Portfolio {
    let okx_s = snap(
        totals_in("USD", "1000.5", None),
        vec![],
        vec![row("USD", Some("10.25"), Some("9"), None)],
    );
    let lp_s = snap(
        totals_in("HKD", "7800", Some("780")),
        vec![totals_in("USD", "1000", Some("100"))],
        vec![row("HKD", None, Some("5.5"), Some("1"))],
    );
    let wb_s = snap(
        totals_in("HKD", "78.00", Some("39.00")),
        vec![],
        vec![row("HKD", Some("39.00"), Some("1234.125"), Some("0"))],
    );
    let old_s = snap(
        totals_in("HKD", "1", Some("1")),
        vec![],
        vec![row("USD", Some("2"), Some("2"), Some("0.5"))],
    );
    let h = |name: &'static str, venue, state, s: Option<&'static Snapshot>| Holding {
        name,
        venue,
        state,
        figures: s.map(Figures::from),
    };
    // Leaked: the holdings borrow them for the test's whole run.
    let okx_s: &'static Snapshot = Box::leak(Box::new(okx_s));
    let lp_s: &'static Snapshot = Box::leak(Box::new(lp_s));
    let wb_s: &'static Snapshot = Box::leak(Box::new(wb_s));
    let old_s: &'static Snapshot = Box::leak(Box::new(old_s));
    Portfolio::build(
        &[
            h("okx-a", okx::KIND, DataState::Fresh, Some(okx_s)),
            h("lp-hk", longport::KIND, DataState::Fresh, Some(lp_s)),
            h("wb-1", webull::KIND, DataState::Fresh, Some(wb_s)),
            h("wb-old", webull::KIND, DataState::Stale, Some(old_s)),
            h("okx-x", okx::KIND, DataState::Failed, None),
        ],
        "USD",
    )
}

fn text(l: &ratatui::text::Line) -> String {
    l.spans.iter().map(|s| s.content.as_ref()).collect()
}

#[test]
fn the_line_names_the_total_the_cash_and_who_is_out() {
    let p = portfolio();
    let theme = Theme::color();
    let l = totals::line(&p, &format::Numbers::default(), false, &theme, 200);
    assert_eq!(
        text(&l),
        "total ≈ 2,010.50 USD net · cash ≈ 105.00 USD (not okx-a) · 3 of 5 accounts (wb-old stale, okx-x failed)"
    );
    // The excluded part is a warning, the converted total plain.
    let out = l
        .spans
        .iter()
        .find(|s| s.content.starts_with("3 of 5"))
        .unwrap();
    assert_eq!(out.style, theme.warn);
}

#[test]
fn a_narrow_line_drops_detail_never_the_count() {
    let p = portfolio();
    let theme = Theme::color();
    let full = text(&totals::line(
        &p,
        &format::Numbers::default(),
        false,
        &theme,
        200,
    ));
    let mut seen = Vec::new();
    for w in (0..=format::width(&full)).rev() {
        let t = text(&totals::line(
            &p,
            &format::Numbers::default(),
            false,
            &theme,
            w,
        ));
        assert!(format::width(&t) <= w, "{w}: {t}");
        // Whatever is left holds the whole count, or nothing at all.
        assert!(t.is_empty() || t.contains("3 of 5 accounts"), "{w}: {t}");
        if !seen.contains(&t) {
            seen.push(t);
        }
    }
    assert_eq!(
        seen,
        [
            full.as_str(),
            "total ≈ 2,010.50 USD net · cash ≈ 105.00 USD (2 of 3) · 3 of 5 accounts (wb-old stale, okx-x failed)",
            "total ≈ 2,010.50 USD net · cash ≈ 105.00 USD (2 of 3) · 3 of 5 accounts (wb-old stale, +1 more)",
            "total ≈ 2,010.50 USD net · cash ≈ 105.00 USD (2 of 3) · 3 of 5 accounts (2 out)",
            "total ≈ 2,010.50 USD net · 3 of 5 accounts (2 out)",
            "total ≈ 2,010.50 USD net · 3 of 5 accounts",
            "3 of 5 accounts",
            "",
        ]
    );
}

#[test]
fn privacy_masks_every_amount_in_the_line() {
    let p = portfolio();
    let t = text(&totals::line(
        &p,
        &format::Numbers::default(),
        true,
        &Theme::color(),
        200,
    ));
    assert_eq!(
        t,
        format!(
            "total ≈ {m} USD net · cash ≈ {m} USD (not okx-a) · 3 of 5 accounts (wb-old stale, okx-x failed)",
            m = format::MASK
        )
    );
}

/// The per-currency table in a `w` x `h` TestBackend, `selected` its row.
fn render(
    p: &Portfolio,
    privacy: bool,
    selected: usize,
    (w, h): (u16, u16),
    theme: &Theme,
) -> ratatui::buffer::Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| {
        totals::render_by_currency(
            f,
            f.area(),
            p,
            &format::Numbers::default(),
            privacy,
            selected,
            theme,
        )
    })
    .unwrap();
    term.backend().buffer().clone()
}

fn text_lines(buf: &ratatui::buffer::Buffer) -> Vec<String> {
    let area = buf.area;
    (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect()
}

fn draw(p: &Portfolio, privacy: bool, w: u16, h: u16) -> Vec<String> {
    text_lines(&render(p, privacy, usize::MAX, (w, h), &Theme::color()))
}

#[test]
fn the_currency_table_lines_up_points_and_marks_stale_and_partial_sums() {
    let p = portfolio();
    let lines = draw(&p, false, 70, 4);
    assert_eq!(
        lines,
        [
            "CURRENCY   CASH AVAILABLE FROZEN ACCOUNTS",
            // Grouped, in each currency's places (the sums stay exact in exports).
            "HKD      39.00+ 1,239.63   1.00  lp-hk, wb-1",
            "USD      12.25     11.00   0.50+ okx-a, wb-old (stale)",
            "",
        ]
    );
    // A row with a stale holder is dimmed.
    let theme = Theme::color();
    let buf = render(&p, false, usize::MAX, (70, 4), &theme);
    assert_eq!(buf[(0, 2)].fg, theme.stale.fg.unwrap());
    assert_ne!(buf[(0, 1)].fg, theme.stale.fg.unwrap());
}

#[test]
fn the_currency_table_scrolls_to_the_selected_row() {
    let p = portfolio();
    let draw_at =
        |row: usize| text_lines(&render(&p, false, row, (70, 2), &Theme::color()))[1].clone();
    // One line under the header: the selected currency is the one shown.
    assert!(draw_at(0).starts_with("HKD"), "{}", draw_at(0));
    assert!(draw_at(1).starts_with("USD"), "{}", draw_at(1));
}

#[test]
fn the_currency_table_masks_every_amount_in_privacy_mode() {
    let p = portfolio();
    let m = format::MASK;
    assert_eq!(
        draw(&p, true, 70, 3),
        [
            "CURRENCY   CASH AVAILABLE FROZEN ACCOUNTS".to_string(),
            format!("HKD      {m}+    {m}  {m}  lp-hk, wb-1"),
            format!("USD      {m}     {m}  {m}+ okx-a, wb-old (stale)"),
        ]
    );
}

#[test]
fn no_balances_says_so() {
    let p = Portfolio::build(&[], "USD");
    assert_eq!(draw(&p, false, 40, 1), ["no balances to sum"]);
    assert_eq!(
        text(&totals::line(
            &p,
            &format::Numbers::default(),
            false,
            &Theme::color(),
            80
        )),
        "total — USD net · cash — USD · no accounts"
    );
}
