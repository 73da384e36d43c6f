//! The account tab of a Bybit unified account near its maintenance line,
//! read from the cells of a TestBackend: the mode on the pane title, the
//! maintenance margin rate with its own lines (higher is worse) and its
//! critical style, Bybit's own columns, absent figures as "—".

use crate::render::{col_in, d, now, one_account, row, text_rows};
use baltui::app::App;
use baltui::health::Severity;
use baltui::model::{CurrencyBalance, Risk, Snapshot, Totals};
use baltui::theme::Theme;
use ratatui::buffer::Buffer;

fn snapshot() -> Snapshot {
    Snapshot {
        fetched_at: now(),
        venue_time: None,
        account_mode: Some("UTA 2.0, cross margin".into()),
        totals: Totals {
            currency: Some("USD".into()),
            net_assets: d("86120.5"),
            margin_balance: d("61020.25"),
            available_balance: d("1740.75"),
            ..Totals::default()
        },
        risk: Risk {
            maintenance_rate: d("0.8312"),
            initial_rate: d("0.9715"),
            initial_margin: d("59279.5"),
            maintenance_margin: d("50720.1"),
            ..Risk::default()
        },
        currencies: vec![
            CurrencyBalance {
                currency: "USDT".into(),
                wallet_balance: d("0"),
                spot_borrow: d("25000"),
                liabilities: d("25000"),
                equity: d("-25000"),
                interest: d("1.75"),
                value_in_base: d("-25000"),
                ..CurrencyBalance::default()
            },
            CurrencyBalance {
                currency: "BTC".into(),
                wallet_balance: d("1.8"),
                spot_borrow: d("0"),
                frozen: d("0"),
                equity: d("1.8"),
                value_in_base: d("66169.12"),
                ..CurrencyBalance::default()
            },
        ],
        other_views: Vec::new(),
        wallets: Vec::new(),
    }
}

fn app() -> App {
    one_account("bybit-unified", baltui::venues::bybit::KIND, snapshot())
}

fn buffer(app: &App, w: u16, h: u16) -> Buffer {
    crate::render::buffer(app, w, h, &Theme::color())
}

#[test]
fn the_account_tab_shows_the_maintenance_rate_critical_with_its_own_lines() {
    let app = app();
    let buf = buffer(&app, 160, 40);
    let l = text_rows(&buf);
    // The account mode on the tab's title and the risk pane's.
    row(&l, "bybit-unified · Bybit · UTA 2.0, cross margin · LIVE");
    row(&l, " margin · risk · UTA 2.0, cross margin ");
    let (y, margin) = row(&l, "maint. margin rate ");
    assert!(
        margin.contains("maint. margin rate 83.1% ✖ CRITICAL"),
        "{margin}"
    );
    assert!(
        margin.contains("warn ≥50% crit ≥80% liquidation 100%"),
        "{margin}"
    );
    assert!(
        margin.contains("IM rate 97.2%") || margin.contains("IM rate 97.1%"),
        "{margin}"
    );
    assert!(
        !l.iter().any(|s| s.contains("margin ratio")),
        "accountMMRate is not a margin ratio:\n{}",
        l.join("\n")
    );
    // The rate's cells carry the critical style.
    let x = col_in(margin, "83.1%") as u16;
    let theme = Theme::color();
    assert_eq!(
        buf[(x, y as u16)].style().fg,
        theme.badge(Severity::Critical).fg,
        "{margin}"
    );
    // Bybit's totals under their own names.
    let (_, totals) = row(&l, "net assets ");
    assert!(totals.contains("margin balance 61,020.25 USD"), "{totals}");
    assert!(
        totals.contains("available balance 1,740.75 USD"),
        "{totals}"
    );
    // The finding says what and where the line is.
    row(
        &l,
        "maintenance margin rate 83.1% at or above 80% (liquidation at 100%)",
    );
    // Bybit's own columns; cash and withdrawable are not reported: "—".
    let (hy, header) = row(&l, "wallet balance");
    assert!(header.contains("spot borrow"), "{header}");
    assert!(header.contains("liabilities"), "{header}");
    let (_, usdt) = row(&l[hy..], "USDT");
    // Cells in header order: cash, available, frozen, settling,
    // withdrawable, equity, liabilities, interest, wallet balance, spot
    // borrow, value USD.
    let cells = |line: &str| -> Vec<String> { line.split_whitespace().map(String::from).collect() };
    assert_eq!(
        cells(usdt),
        [
            "USDT",
            "—",
            "—",
            "—",
            "—",
            "—",
            "-25,000.00",
            "25,000.00",
            "1.75",
            "0.00",
            "25,000.00",
            "-25,000.00"
        ]
    );
    assert!(usdt.contains("25,000.00"), "{usdt}");
    assert!(usdt.contains('—'), "cash absent, not zero: {usdt}");
    let (_, btc) = row(&l[hy..], "BTC ");
    assert_eq!(
        cells(btc),
        [
            "BTC",
            "—",
            "—",
            "0.00000000",
            "—",
            "—",
            "1.80000000",
            "—",
            "—",
            "1.80000000",
            "0.00000000",
            "66,169.12"
        ]
    );
}

/// A UTA 1.0 account: the UNIFIED wallet's rows and the inverse derivatives
/// (CONTRACT) wallet's rows each say their wallet, each wallet's totals are
/// shown on their own (CONTRACT has no USD figure), and a collateral
/// restriction (colRes 2) is critical (PROTOCOLS.md §8).
#[test]
fn a_uta1_account_shows_each_wallet_and_its_collateral_restriction() {
    use baltui::model::{Indicator, Wallet};
    let mut s = snapshot();
    s.account_mode = Some("UTA 1.0, cross margin".into());
    for c in &mut s.currencies {
        c.wallet = Some("unified".into());
    }
    s.currencies[1].indicators = vec![Indicator::new(
        "collateralRestriction",
        "2",
        "restricted: adding collateral or switching mode is rejected (colRes 2)",
    )];
    s.currencies.push(CurrencyBalance {
        currency: "BTC".into(),
        wallet_balance: d("0.25"),
        equity: d("0.2512"),
        unrealized_pnl: d("0.0012"),
        wallet: Some("contract".into()),
        ..CurrencyBalance::default()
    });
    s.wallets = vec![
        Wallet {
            name: "unified".into(),
            totals: s.totals.clone(),
        },
        Wallet {
            name: "contract".into(),
            totals: Totals::default(),
        },
    ];
    let app = one_account("bybit-uta1", baltui::venues::bybit::KIND, s);
    // Wide enough for both wallets' totals on the totals line.
    let l = text_rows(&buffer(&app, 240, 40));
    row(&l, "bybit-uta1 · Bybit · UTA 1.0, cross margin · LIVE");
    let (_, contract) = row(&l, "BTC · contract");
    assert!(contract.contains("0.25000000"), "{contract}");
    assert!(contract.contains("0.25120000"), "{contract}");
    let (_, unified) = row(&l, "BTC · unified");
    assert!(unified.contains("1.80000000"), "{unified}");
    assert!(
        unified.starts_with("✖") || unified.contains("✖ BTC"),
        "{unified}"
    );
    let (_, totals) = row(&l, "· unified (USD): net ");
    assert!(
        totals.contains("· unified (USD): net 86,120.50 USD"),
        "{totals}"
    );
    assert!(
        totals.contains("· contract (currency unknown): net —"),
        "{totals}"
    );
    row(
        &l,
        "BTC collateralRestriction: restricted: adding collateral or switching mode is rejected (colRes 2)",
    );
}
