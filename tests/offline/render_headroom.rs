//! The All tab's venue-neutral margin column: each venue's own figure goes
//! through that venue's own parser (its document's field names), and the
//! headroom column puts them on one scale, sorted by `s`, colored by the
//! account's worst margin finding.

use super::render::{
    act, app_with, body_row, buffer, cell_at, col, draw, line_with, now, poll, spec,
};
use baltui::app::OverviewSort;
use baltui::keymap::Action;
use baltui::model::Snapshot;
use baltui::theme::Theme;
use baltui::venues::registry::by_id;
use chrono::Duration;

/// A venue's balance reply, parsed as its client parses it.
fn parsed(venue: &str, body: &str) -> Snapshot {
    let mut s = by_id(venue)
        .unwrap()
        .parse_balance(body.as_bytes())
        .unwrap();
    s.fetched_at = now() - Duration::seconds(2);
    s
}

/// OKX mgnRatio 1.25: 1 − 1/1.25 = 20% of the equity before liquidation.
fn okx() -> Snapshot {
    parsed(
        "okx",
        r#"{"code":"0","msg":"","data":[{"totalEq":"1000","mgnRatio":"1.25","details":[]}]}"#,
    )
}

/// Bybit accountMMRate 0.8312: 16.88% of the margin balance left.
fn bybit() -> Snapshot {
    parsed(
        "bybit",
        r#"{"retCode":0,"retMsg":"OK","result":{"list":[{"accountType":"UNIFIED",
        "totalEquity":"1000","accountIMRate":"0.9","accountMMRate":"0.8312",
        "totalMarginBalance":"1000","coin":[]}]},"retExtInfo":{},"time":1}"#,
    )
}

/// Binance cross marginLevel 1.32 against the default liquidation bar 1.1:
/// 1 − 1.1/1.32 = 16.67%; its futures ratio 0.1 (90%) is the smaller risk.
fn binance() -> Snapshot {
    use baltui::venues::binance::{KIND, normalize, wire};
    let margin: wire::MarginAccount = baltui::venues::decode(
        KIND,
        br#"{"created":true,"marginLevel":"1.32","totalNetAssetOfBtc":"0.5","userAssets":[]}"#,
    )
    .unwrap();
    let futures: wire::FuturesAccount = baltui::venues::decode(
        KIND,
        br#"{"totalMaintMargin":"10","totalMarginBalance":"100","assets":[]}"#,
    )
    .unwrap();
    let mut s = normalize::empty(now() - Duration::seconds(2));
    normalize::add_margin(&mut s, &margin, None);
    normalize::add_futures(&mut s, &futures, Some(false), normalize::FUTURES);
    normalize::finish(&mut s);
    s
}

#[test]
fn the_all_tab_puts_every_venue_on_one_headroom_scale() {
    let mut app = app_with(vec![
        spec("okx-x", baltui::venues::okx::KIND, false),
        spec("bybit-x", baltui::venues::bybit::KIND, false),
        spec("bn-x", baltui::venues::binance::KIND, false),
    ]);
    let at = now() - Duration::seconds(2);
    poll(&mut app, 0, at, Ok(okx()));
    poll(&mut app, 1, at, Ok(bybit()));
    poll(&mut app, 2, at, Ok(binance()));
    let lines = draw(&app, 180, 12);
    let h = col(line_with(&lines, "headroom"), "headroom").unwrap();
    // Each row: the venue's own figure under its own name, and the headroom.
    for (name, own, room) in [
        ("okx-x", "125%", "20%"),
        ("bybit-x", "MMR 83.1%", "16.9%"),
        ("bn-x", "level 1.32", "16.7%"),
    ] {
        let row = &lines[body_row(&lines, &format!(" {name} "))];
        assert!(row.contains(own), "{name}: {row}");
        // Right-aligned under its header (8 wide).
        let cell: String = row.chars().skip(h).take(8).collect();
        assert_eq!(cell.trim(), room, "{name}: {row}");
    }
    // `s` to the headroom sort: nearest liquidation first, across venues.
    while app.overview_sort().column != OverviewSort::Margin {
        act(&mut app, Action::CycleSort);
    }
    let names: Vec<&str> = app
        .overview_order()
        .iter()
        .map(|&i| app.accounts()[i].spec.name.as_str())
        .collect();
    assert_eq!(names, ["bn-x", "bybit-x", "okx-x"]);
    // Colored by the account's worst margin finding: Bybit's rate is past
    // its 80% critical line, OKX's 125% under its 150% critical line.
    let theme = Theme::color();
    let buf = buffer(&app, 180, 12, &theme);
    let lines = draw(&app, 180, 12);
    for name in ["bybit-x", "okx-x"] {
        let y = body_row(&lines, &format!(" {name} "));
        // The last cell of the right-aligned headroom: its '%'.
        assert_eq!(
            cell_at(&buf, h + 7, y).fg,
            theme.critical.fg.unwrap(),
            "{name}: {}",
            lines[y]
        );
    }
}
