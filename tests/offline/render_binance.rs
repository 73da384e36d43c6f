//! The Binance account tab on ratatui's TestBackend: every row names its
//! wallet, each wallet's totals stay in their own currency, and the cross
//! margin level is shown with its finding and the account's own bars.

use crate::render::{
    app_with, buffer, cell_at, col, d, draw, go_tab, line_with, now, poll, screen, spec,
};
use baltui::theme::Theme;
use baltui::venues::binance::{KIND, normalize, wire};

fn snapshot(level: &str) -> baltui::model::Snapshot {
    let spot: wire::SpotAccount = serde_json::from_str(include_str!(
        "../../assets/fixtures/binance/spot-account-doc.json"
    ))
    .unwrap();
    let mut margin: wire::MarginAccount = serde_json::from_str(include_str!(
        "../../assets/fixtures/binance/margin-account-doc.json"
    ))
    .unwrap();
    margin.margin_level = d(level);
    let futures: wire::FuturesAccount = serde_json::from_str(include_str!(
        "../../assets/fixtures/binance/futures-account-doc.json"
    ))
    .unwrap();
    let coeff = wire::TradeCoeff {
        normal_bar: d("1.5"),
        margin_call_bar: d("1.3"),
        force_liquidation_bar: d("1.1"),
    };
    let mut s = normalize::empty(now());
    normalize::add_spot(&mut s, &spot);
    normalize::add_margin(&mut s, &margin, Some(&coeff));
    normalize::add_futures(&mut s, &futures, Some(false), normalize::FUTURES);
    normalize::finish(&mut s);
    s
}

#[test]
fn account_tab_shows_wallets_their_totals_and_the_margin_level() {
    let mut app = app_with(vec![spec("bn-main", KIND, false)]);
    poll(&mut app, 0, now(), Ok(snapshot("1.25")));
    go_tab(&mut app, 1);
    let lines = draw(&app, 200, 40);
    // Rows name their wallet; one currency in two wallets is two rows.
    for row in [
        "BTC · spot",
        "BNB · margin",
        "USDT · margin",
        "USDT · futures",
        "USDC · futures",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(row)),
            "{row}:\n{}",
            screen(&lines)
        );
    }
    // Each wallet's totals in its own currency, never one sum.
    let totals = line_with(&lines, "· margin (BTC): net");
    assert!(totals.contains("6.24095242"), "{totals}");
    assert!(totals.contains("· futures (USDT): net"), "{totals}");
    // The level with the account's bars, critical (at or below the call bar).
    let m = line_with(&lines, "(bars ");
    assert!(m.starts_with("margin level 1.25"), "{m}");
    assert!(m.contains("(bars 1.5 / call 1.3 / liq 1.1)"), "{m}");
    // No OKX-style "margin ratio —" with its 300%/150% lines: Binance has
    // no such figure, and its own scales are what the pane shows.
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("margin ratio") || l.contains("warn <300%")),
        "{}",
        lines.join("\n")
    );
    let y = lines.iter().position(|l| l.contains("(bars ")).unwrap();
    let x = col(&lines[y], "1.25 (bars").unwrap();
    let theme = Theme::color();
    let buf = buffer(&app, 200, 40, &theme);
    let badge = theme.badge(baltui::health::Severity::Critical);
    let cell = cell_at(&buf, x, y);
    assert_eq!(
        (Some(cell.fg), Some(cell.bg)),
        (badge.fg, badge.bg),
        "the level cell carries the critical badge"
    );
    // The label beside it does not.
    assert_ne!(Some(cell_at(&buf, x - 3, y).bg), badge.bg);
    assert!(
        screen(&lines).contains(
            "margin level 1.25 at or below the margin call line 1.3 (liquidation at 1.1)"
        ),
        "{}",
        screen(&lines)
    );
}

#[test]
fn a_safe_level_has_no_finding() {
    let mut app = app_with(vec![spec("bn-main", KIND, false)]);
    poll(&mut app, 0, now(), Ok(snapshot("11.64405625")));
    go_tab(&mut app, 1);
    let lines = draw(&app, 200, 40);
    assert!(line_with(&lines, "(bars ").contains("margin level 11.64405625"));
    assert!(
        !screen(&lines).contains("at or below the"),
        "{}",
        screen(&lines)
    );
}

/// The margin pane: initial and maintenance margin in their wallet's
/// currency at its places (not 8 bare places); a COIN-M coin's maintenance
/// ratio under its own name, with the critical badge when at 90 %.
#[test]
fn margins_carry_their_currency_and_coinm_coins_their_ratio() {
    let mut s = snapshot("11.64405625");
    s.risk.initial_margin = d("12.3456789");
    s.risk.maintenance_margin = d("1.5");
    let coinm: wire::FuturesAccount = serde_json::from_str(
        r#"{"assets":[{"asset":"BTC","walletBalance":"0.001","marginBalance":"0.001","maintMargin":"0.0009","initialMargin":"0.0005"}]}"#,
    )
    .unwrap();
    normalize::add_futures(&mut s, &coinm, None, normalize::COINM);
    normalize::finish(&mut s);
    let mut app = app_with(vec![spec("bn-main", KIND, false)]);
    poll(&mut app, 0, now(), Ok(s));
    go_tab(&mut app, 1);
    let lines = draw(&app, 220, 40);
    let risk = line_with(&lines, "  initial ");
    assert!(
        risk.contains("initial 12.35 USDT  maint 1.50 USDT"),
        "{risk}"
    );
    assert!(!risk.contains("12.3456789"), "{risk}");
    let x = col(
        &lines[lines.iter().position(|l| l.contains("  initial ")).unwrap()],
        "BTC coinmMaintRatio=0.9",
    );
    assert!(x.is_some(), "{risk}");
    let y = lines.iter().position(|l| l.contains("  initial ")).unwrap();
    let theme = Theme::color();
    let buf = buffer(&app, 220, 40, &theme);
    let badge = theme.badge(baltui::health::Severity::Critical);
    let cell = cell_at(&buf, x.unwrap(), y);
    assert_eq!((Some(cell.fg), Some(cell.bg)), (badge.fg, badge.bg));

    // Portfolio Margin: USD.
    let pm: wire::PmAccount = serde_json::from_str(include_str!(
        "../../assets/fixtures/binance/pm-account-verbatim.json"
    ))
    .unwrap();
    let mut s = normalize::empty(now());
    normalize::add_pm_account(&mut s, &pm);
    let mut app = app_with(vec![spec("bn-pm", KIND, false)]);
    poll(&mut app, 0, now(), Ok(s));
    go_tab(&mut app, 1);
    let lines = draw(&app, 220, 40);
    let risk = line_with(&lines, "  initial ");
    assert!(
        risk.contains("initial 23.72 USD  maint 23.72 USD"),
        "{risk}"
    );
}

/// A ban (HTTP 418) is as loud as a refused key: "IP BANNED" in the critical
/// color on the All tab and the account tab, the venue's words and the end of
/// the ban beside it, the last numbers kept and marked with their age.
#[test]
fn an_ip_ban_reads_red_everywhere() {
    use baltui::venues::{ErrorKind, VenueError};
    let mut app = app_with(vec![spec("bn-main", KIND, false)]);
    let at = now() - chrono::Duration::seconds(30);
    poll(&mut app, 0, at, Ok(snapshot("2.5")));
    let ban = VenueError::new(
        KIND,
        ErrorKind::Banned {
            code: "418".into(),
            message: "IP banned by Binance until 12:40:00 UTC (HTTP 418); every Binance request is stopped until then".into(),
        },
    );
    poll(&mut app, 0, now(), Err(ban));
    go_tab(&mut app, 0);
    let theme = Theme::color();
    let lines = draw(&app, 160, 20);
    let buf = buffer(&app, 160, 20, &theme);
    let y = lines
        .iter()
        .position(|l| l.contains("IP BANNED"))
        .unwrap_or_else(|| panic!("{}", screen(&lines)));
    assert!(lines[y].contains(" bn-main "), "{}", lines[y]);
    let x = col(&lines[y], "IP BANNED").unwrap();
    assert_eq!(cell_at(&buf, x, y).fg, theme.critical.fg.unwrap());
    assert!(lines[y].contains("Binance: IP banned by"), "{}", lines[y]);
    go_tab(&mut app, 1);
    let lines = draw(&app, 120, 30);
    let buf = buffer(&app, 120, 30, &theme);
    let l = line_with(&lines, "IP banned by Binance until 12:40:00 UTC (HTTP 418)");
    let y = lines.iter().position(|x| x == l).unwrap();
    let x = col(l, "IP banned").unwrap();
    assert_eq!(
        cell_at(&buf, x, y).fg,
        theme.critical.fg.unwrap(),
        "{}",
        screen(&lines)
    );
    // The numbers from before the ban stay, with their age.
    assert!(
        screen(&lines).contains("BTC · margin"),
        "{}",
        screen(&lines)
    );
}
