//! Each Binance vendor page's example body (assets/fixtures/binance/, copied
//! from docs/binance-*.md) normalizes field by field; error bodies classify.

use baltui::venues::binance::{BINANCE, normalize, wire};
use baltui::venues::{ErrorClass, ErrorKind, Venue, decode};
use rust_decimal::Decimal;

fn d(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

const SPOT: &str = include_str!("../../assets/fixtures/binance/spot-account-doc.json");
const MARGIN: &str = include_str!("../../assets/fixtures/binance/margin-account-doc.json");
const FUTURES: &str = include_str!("../../assets/fixtures/binance/futures-account-doc.json");
const COINM: &str = include_str!("../../assets/fixtures/binance/coinm-account-doc.json");
const PM_ACCOUNT: &str = include_str!("../../assets/fixtures/binance/pm-account-verbatim.json");
const PM_BALANCE: &str = include_str!("../../assets/fixtures/binance/pm-balance-doc.json");

#[test]
fn spot_example_field_by_field() {
    let s = BINANCE.parse_balance(SPOT.as_bytes()).unwrap();
    assert_eq!(s.currencies.len(), 2);
    let btc = &s.currencies[0];
    assert_eq!(
        (btc.currency.as_str(), btc.wallet.as_deref()),
        ("BTC", Some("spot"))
    );
    assert_eq!(btc.available, d("4723846.89208129"));
    assert_eq!(btc.frozen, d("0.00000000"));
    assert_eq!(btc.cash, d("4723846.89208129"));
    assert_eq!(
        btc.liabilities, None,
        "spot has no liabilities: absent, not 0"
    );
    let ltc = &s.currencies[1];
    assert_eq!(
        (ltc.currency.as_str(), ltc.available),
        ("LTC", d("4763368.68006011"))
    );
    assert!(
        s.wallets.is_empty(),
        "spot balances carry no price: no totals"
    );
    assert_eq!(s.totals.net_assets, None);
    assert_eq!(s.risk.margin_level, None);
    assert_eq!(s.venue_time.unwrap().timestamp_millis(), 123456789);
}

#[test]
fn margin_example_field_by_field() {
    let m: wire::MarginAccount = decode(baltui::venues::binance::KIND, MARGIN.as_bytes()).unwrap();
    let coeff = wire::TradeCoeff {
        normal_bar: d("1.5"),
        margin_call_bar: d("1.3"),
        force_liquidation_bar: d("1.1"),
    };
    let mut s = normalize::empty(chrono::Utc::now());
    normalize::add_margin(&mut s, &m, Some(&coeff));
    normalize::finish(&mut s);
    assert_eq!(s.risk.margin_level, d("11.64405625"));
    let bars = s.risk.margin_level_bars.unwrap();
    assert_eq!(
        (
            Some(bars.normal),
            Some(bars.margin_call),
            Some(bars.liquidation)
        ),
        (d("1.5"), d("1.3"), d("1.1"))
    );
    assert_eq!(s.wallets.len(), 1);
    assert_eq!(s.wallets[0].name, "margin");
    assert_eq!(s.wallets[0].totals.currency.as_deref(), Some("BTC"));
    assert_eq!(s.wallets[0].totals.net_assets, d("6.24095242"));
    assert_eq!(m.total_asset_of_btc, d("6.82728457"));
    assert_eq!(m.total_liability_of_btc, d("0.58633215"));
    assert_eq!(
        m.total_collateral_value_in_usdt,
        d("5.82728457"),
        "capital T on the wire"
    );
    assert_eq!(m.collateral_margin_level, d("3.2"));
    let bnb = s.currencies.iter().find(|c| c.currency == "BNB").unwrap();
    assert_eq!(bnb.wallet.as_deref(), Some("margin"));
    assert_eq!(bnb.available, d("2346.50000000"));
    assert_eq!(bnb.frozen, d("0.00000000"));
    assert_eq!(bnb.cash, d("2346.50000000"));
    assert_eq!(bnb.liabilities, d("201.66666672"));
    assert_eq!(bnb.interest, d("0.00000000"));
    assert_eq!(bnb.equity, d("2144.83333328"));
    let ind = &s.risk.indicators[0];
    assert_eq!(
        (ind.key.as_str(), ind.value.as_str(), ind.meaning.as_str()),
        ("marginAccountType", "MARGIN_1", "Cross Margin Classic")
    );
    // The bars of the account judge the level: 11.6 is fine, 1.25 a margin call.
    let t = baltui::health::Thresholds::default();
    assert!(
        baltui::health::evaluate(&s, &t)
            .iter()
            .all(|f| f.subject != "margin_level")
    );
    s.risk.margin_level = d("1.25");
    let f = baltui::health::evaluate(&s, &t);
    let ml = f.iter().find(|f| f.subject == "margin_level").unwrap();
    assert_eq!(ml.severity, baltui::health::Severity::Critical);
    assert_eq!(
        ml.message,
        "margin level 1.25 at or below the margin call line 1.3 (liquidation at 1.1)"
    );
    s.risk.margin_level = d("1.45");
    let f = baltui::health::evaluate(&s, &t);
    assert_eq!(
        f.iter()
            .find(|f| f.subject == "margin_level")
            .unwrap()
            .severity,
        baltui::health::Severity::Warn
    );
    // A configured line wins over the account's bars.
    let t = baltui::health::Thresholds {
        margin_level_warn: d("2"),
        ..t
    };
    s.risk.margin_level = d("1.8");
    assert!(
        baltui::health::evaluate(&s, &t)
            .iter()
            .any(|f| f.subject == "margin_level")
    );
}

#[test]
fn futures_example_field_by_field() {
    let s = BINANCE.parse_balance(FUTURES.as_bytes()).unwrap();
    assert_eq!(s.currencies.len(), 2);
    let usdc = s.currencies.iter().find(|c| c.currency == "USDC").unwrap();
    assert_eq!(usdc.wallet.as_deref(), Some("futures"));
    assert_eq!(usdc.cash, d("103.12345678"));
    assert_eq!(usdc.equity, d("103.12345678"));
    assert_eq!(usdc.available, d("126.72469206"));
    assert_eq!(usdc.withdrawable, d("103.12345678"));
    assert_eq!(usdc.maintenance_margin, d("0.00000000"));
    assert_eq!(usdc.initial_margin, d("0.00000000"));
    assert_eq!(usdc.unrealized_pnl, d("0.00000000"));
    let usdt = s.currencies.iter().find(|c| c.currency == "USDT").unwrap();
    assert_eq!(usdt.cash, d("23.72469206"));
    let w = &s.wallets[0];
    assert_eq!(w.name, "futures");
    assert_eq!(
        w.totals.currency, None,
        "single- or multi-asset mode not known from this body alone"
    );
    assert_eq!(w.totals.net_assets, d("103.12345678"));
    assert_eq!(w.totals.total_cash, d("103.12345678"));
    assert_eq!(w.totals.available_equity, d("103.12345678"));
    assert_eq!(s.risk.futures_maint_ratio, d("0"));
    assert_eq!(s.venue_time.unwrap().timestamp_millis(), 1625474304765);
}

#[test]
fn coinm_example_is_per_coin_without_totals() {
    let s = BINANCE.parse_balance(COINM.as_bytes()).unwrap();
    let btc = &s.currencies[0];
    assert_eq!(
        (btc.currency.as_str(), btc.wallet.as_deref()),
        ("BTC", Some("coinm"))
    );
    assert_eq!(btc.cash, d("0.00241969"));
    assert_eq!(btc.withdrawable, d("0.00241969"));
    assert!(s.wallets.is_empty());
    assert_eq!(s.risk.futures_maint_ratio, None);
}

#[test]
fn pm_examples_field_by_field() {
    let s = BINANCE.parse_balance(PM_ACCOUNT.as_bytes()).unwrap();
    assert_eq!(s.risk.uni_mmr, d("5167.92171923"));
    assert_eq!(s.risk.initial_margin, d("23.72469206"));
    assert_eq!(s.risk.maintenance_margin, d("23.72469206"));
    let w = &s.wallets[0];
    assert_eq!(
        (w.name.as_str(), w.totals.currency.as_deref()),
        ("pm", Some("USD"))
    );
    assert_eq!(w.totals.net_assets, d("122607.35137903"));
    assert_eq!(w.totals.available_equity, None, "\"\" is absent, not 0");
    let st = &s.risk.indicators[0];
    assert_eq!(
        (st.key.as_str(), st.value.as_str(), st.unknown),
        ("accountStatus", "NORMAL", false)
    );

    let s = BINANCE.parse_balance(PM_BALANCE.as_bytes()).unwrap();
    let u = &s.currencies[0];
    assert_eq!(
        (u.currency.as_str(), u.wallet.as_deref()),
        ("USDT", Some("pm"))
    );
    assert_eq!(u.cash, d("122607.35137903"));
    assert_eq!(u.equity, d("92.27530794"));
    assert_eq!(u.liabilities, d("10.00000000"));
    assert_eq!(u.available, d("100.00000000"));
    assert_eq!(u.interest, d("0.72469206"));
    assert_eq!(u.frozen, d("3.00000000"));
    assert_eq!(u.unrealized_pnl, d("23.72469206"));
    assert!(u.indicators.is_empty(), "negativeBalance 0: nothing to say");
}

#[test]
fn pm_status_and_uni_mmr_findings() {
    use baltui::health::{Severity, Thresholds, evaluate};
    let body = PM_ACCOUNT
        .replace("5167.92171923", "1.15")
        .replace("\"NORMAL\"", "\"SUPPLY_MARGIN\"");
    let s = BINANCE.parse_balance(body.as_bytes()).unwrap();
    let f = evaluate(&s, &Thresholds::default());
    let by = |subj: &str| f.iter().find(|f| f.subject == subj).map(|f| f.severity);
    assert_eq!(by("uni_mmr"), Some(Severity::Critical));
    assert_eq!(by("accountStatus"), Some(Severity::Warn));
    let body = PM_ACCOUNT.replace("\"NORMAL\"", "\"SOMETHING_NEW\"");
    let s = BINANCE.parse_balance(body.as_bytes()).unwrap();
    assert!(s.risk.indicators[0].unknown);
}

#[test]
fn error_bodies_classify_by_code() {
    for (name, class) in [
        ("error-2015.json", ErrorClass::Auth),
        ("error-1022.json", ErrorClass::Auth),
        ("error-1021.json", ErrorClass::Transient),
    ] {
        let body = std::fs::read(format!(
            "{}/assets/fixtures/binance/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let e = BINANCE.parse_balance(&body).unwrap_err();
        assert_eq!(e.class(), class, "{name}");
    }
    let e = BINANCE
        .parse_balance(br#"{"balances":[{"asset":"BTC","free":"1.2.3","locked":"0"}]}"#)
        .unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::Decode { ref path, .. } if path.contains("free")),
        "{e}"
    );
    assert!(BINANCE.parse_balance(br#"{"something":1}"#).is_err());
}

/// Margin headroom: each Binance figure against its own liquidation line,
/// the account's value being the closest one.
#[test]
fn headroom_per_figure_and_the_worst_wins() {
    let k = baltui::venues::binance::KIND;
    let mut m: wire::MarginAccount = decode(k, MARGIN.as_bytes()).unwrap();
    m.margin_level = d("2.2");
    // No tradeCoeff read: the documented liquidation bar 1.1.
    let mut s = normalize::empty(chrono::Utc::now());
    normalize::add_margin(&mut s, &m, None);
    let h = s.risk.headroom.clone().unwrap();
    assert_eq!(
        (h.fraction, h.basis.as_str()),
        (d("0.5").unwrap(), "marginLevel (liquidation 1.1)")
    );
    // The account's own bar wins: 2.4 against 1.2 is also half.
    m.margin_level = d("2.4");
    let coeff = wire::TradeCoeff {
        normal_bar: d("1.5"),
        margin_call_bar: d("1.3"),
        force_liquidation_bar: d("1.2"),
    };
    let mut s = normalize::empty(chrono::Utc::now());
    normalize::add_margin(&mut s, &m, Some(&coeff));
    let h = s.risk.headroom.clone().unwrap();
    assert_eq!(
        (h.fraction, h.basis.as_str()),
        (d("0.5").unwrap(), "marginLevel (liquidation 1.2)")
    );

    // Futures 30 of 100 maintenance: 70 % left; worse than margin's 50 %? No:
    // the margin figure stays the account's value.
    let futures = FUTURES
        .replace(
            "\"totalMaintMargin\": \"0.00000000\"",
            "\"totalMaintMargin\": \"30\"",
        )
        .replace(
            "\"totalMarginBalance\": \"103.12345678\"",
            "\"totalMarginBalance\": \"100\"",
        );
    let f: wire::FuturesAccount = decode(k, futures.as_bytes()).unwrap();
    normalize::add_futures(&mut s, &f, Some(false), normalize::FUTURES);
    assert_eq!(s.risk.futures_maint_ratio, d("0.3"));
    let h = s.risk.headroom.clone().unwrap();
    assert_eq!(
        (h.fraction, h.basis.as_str()),
        (d("0.5").unwrap(), "marginLevel (liquidation 1.2)")
    );
    // Futures at 90 % maintenance: 10 % left, now the worst.
    let futures = futures.replace(
        "\"totalMaintMargin\": \"30\"",
        "\"totalMaintMargin\": \"90\"",
    );
    let f: wire::FuturesAccount = decode(k, futures.as_bytes()).unwrap();
    normalize::add_futures(&mut s, &f, Some(false), normalize::FUTURES);
    let h = s.risk.headroom.clone().unwrap();
    assert_eq!(
        (h.fraction, h.basis.as_str()),
        (
            d("0.1").unwrap(),
            "futures totalMaintMargin/totalMarginBalance (liquidation 1)"
        )
    );

    // The documented futures example: no maintenance at all, 100 % left.
    let s = BINANCE.parse_balance(FUTURES.as_bytes()).unwrap();
    assert_eq!(s.risk.headroom.unwrap().fraction, d("1").unwrap());

    // PM uniMMR 2.1 against liquidation 1.05: half.
    let s = BINANCE
        .parse_balance(PM_ACCOUNT.replace("5167.92171923", "2.1").as_bytes())
        .unwrap();
    let h = s.risk.headroom.unwrap();
    assert_eq!(
        (h.fraction, h.basis.as_str()),
        (d("0.5").unwrap(), "uniMMR (liquidation 1.05)")
    );
    // Spot alone: no line, no headroom.
    let s = BINANCE.parse_balance(SPOT.as_bytes()).unwrap();
    assert_eq!(s.risk.headroom, None);
}

/// COIN-M: each coin's `maintMargin / marginBalance` under the coin's name,
/// judged with the futures thresholds (configurable); the worst coin is the
/// headroom and is named.
#[test]
fn coinm_per_coin_maintenance_ratio() {
    use baltui::health::{Severity, Thresholds, evaluate};
    // The vendor example, BTC at 90 % and a second coin, ETH, at 30 %.
    let btc = COINM
        .replace(
            "\"marginBalance\": \"0.00241969\"",
            "\"marginBalance\": \"0.001\"",
        )
        .replace(
            "\"maintMargin\": \"0.00000000\"",
            "\"maintMargin\": \"0.0009\"",
        );
    let body = btc.replacen(
        "\"assets\": [",
        r#""assets": [{"asset": "ETH", "walletBalance": "2", "marginBalance": "2", "maintMargin": "0.6", "initialMargin": "1", "updateTime": 1625474304765},"#,
        1,
    );
    let s = BINANCE.parse_balance(body.as_bytes()).unwrap();
    let ratio = |c: &str| {
        s.currencies
            .iter()
            .find(|r| r.currency == c)
            .and_then(|r| r.indicators.iter().find(|i| i.key == "coinmMaintRatio"))
            .map(|i| i.value.clone())
    };
    assert_eq!(ratio("BTC").as_deref(), Some("0.9"));
    assert_eq!(ratio("ETH").as_deref(), Some("0.3"));
    let h = s.risk.headroom.clone().unwrap();
    assert_eq!(
        (h.fraction, h.basis.as_str()),
        (
            d("0.1").unwrap(),
            "COIN-M BTC maintMargin/marginBalance (liquidation 1)"
        )
    );
    let f = evaluate(&s, &Thresholds::default());
    let by = |subj: &str| f.iter().find(|f| f.subject == subj);
    let b = by("BTC.coinmMaintRatio").unwrap();
    assert_eq!(b.severity, Severity::Critical);
    assert_eq!(
        b.message,
        "BTC COIN-M maintenance margin 90% of margin balance, at or above 80% (liquidation at 100%)"
    );
    assert!(by("ETH.coinmMaintRatio").is_none(), "30% is fine");
    // The futures thresholds are the configurable ones.
    let t = Thresholds {
        futures_maint_ratio_warn: d("0.25").unwrap(),
        futures_maint_ratio_critical: d("0.95").unwrap(),
        ..Thresholds::default()
    };
    let f = evaluate(&s, &t);
    let sev = |subj: &str| f.iter().find(|f| f.subject == subj).map(|f| f.severity);
    assert_eq!(sev("BTC.coinmMaintRatio"), Some(Severity::Warn));
    assert_eq!(sev("ETH.coinmMaintRatio"), Some(Severity::Warn));
    // The vendor example as it is: no maintenance, ratio 0, nothing found.
    let s = BINANCE.parse_balance(COINM.as_bytes()).unwrap();
    assert!(
        evaluate(&s, &Thresholds::default())
            .iter()
            .all(|f| !f.subject.ends_with("coinmMaintRatio"))
    );
    assert_eq!(s.risk.headroom.unwrap().fraction, d("1").unwrap());
}

/// Isolated pairs (§8): PRE_LIQUIDATION and FORCE_LIQUIDATION critical,
/// MARGIN_CALL a warning, an undocumented status a warning as unknown; a pair
/// never created adds nothing.
#[test]
fn isolated_pair_status_findings() {
    use baltui::health::{Severity, Thresholds, evaluate};
    let pair = |sym: &str, status: &str, created: bool| {
        format!(
            r#"{{"symbol":"{sym}","isolatedCreated":{created},"marginLevel":"1.1","marginLevelStatus":"{status}","baseAsset":{{"asset":"BTC","free":"1"}},"quoteAsset":{{"asset":"USDT","borrowed":"5"}}}}"#
        )
    };
    let body = format!(
        r#"{{"assets":[{},{},{},{}]}}"#,
        pair("BTCUSDT", "PRE_LIQUIDATION", true),
        pair("ETHUSDT", "FORCE_LIQUIDATION", true),
        pair("BNBUSDT", "SOMETHING_NEW", true),
        pair("SOLUSDT", "MARGIN_CALL", false)
    );
    let a: wire::IsolatedAccount = decode(baltui::venues::binance::KIND, body.as_bytes()).unwrap();
    let mut s = normalize::empty(chrono::Utc::now());
    normalize::add_isolated(&mut s, &a);
    assert_eq!(s.currencies.len(), 6, "SOLUSDT never created: no rows");
    let f = evaluate(&s, &Thresholds::default());
    let by = |subj: &str| f.iter().find(|f| f.subject == subj).map(|f| f.severity);
    assert_eq!(by("BTCUSDT marginLevelStatus"), Some(Severity::Critical));
    assert_eq!(by("ETHUSDT marginLevelStatus"), Some(Severity::Critical));
    assert_eq!(by("BNBUSDT marginLevelStatus"), Some(Severity::Warn));
    assert_eq!(by("SOLUSDT marginLevelStatus"), None);
    let q = s
        .currencies
        .iter()
        .find(|r| r.wallet.as_deref() == Some("isolated BTCUSDT") && r.currency == "USDT")
        .unwrap();
    assert_eq!((q.liabilities, q.available), (d("5"), None));
}
