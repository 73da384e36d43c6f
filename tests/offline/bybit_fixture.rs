//! Bybit: the vendor page's example wallet-balance body parses and
//! normalizes to the values it shows, field by field; "" stays absent; the
//! account-info example gives the account mode; errors name their field.

use baltui::venues::bybit::{AccountInfo, parse_wallet, wire};
use baltui::venues::{ErrorClass, ErrorKind, Venue, decode};
use reqwest::StatusCode;
use rust_decimal::Decimal;

fn d(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

const DOC: &str = include_str!("../../assets/fixtures/bybit/wallet-balance-doc.json");
const ISOLATED: &str = include_str!("../../assets/fixtures/bybit/wallet-balance-isolated.json");

#[test]
fn vendor_example_normalizes_field_by_field() {
    let at = chrono::Utc::now();
    let s = parse_wallet(StatusCode::OK, DOC.as_bytes(), at).unwrap();
    assert_eq!(s.fetched_at, at);
    assert_eq!(s.venue_time.unwrap().timestamp_millis(), 1690872862481);
    assert_eq!(s.account_mode, None, "the mode comes from /v5/account/info");
    let t = &s.totals;
    assert_eq!(t.currency.as_deref(), Some("USD"));
    assert_eq!(t.net_assets, d("3.31216591"), "totalEquity");
    assert_eq!(t.wallet_balance, d("3.00326056"), "totalWalletBalance");
    assert_eq!(t.margin_balance, d("3.00326056"), "totalMarginBalance");
    assert_eq!(
        t.available_balance,
        d("3.00326056"),
        "totalAvailableBalance"
    );
    assert_eq!(t.perp_unrealized_pnl, d("0"), "totalPerpUPL");
    // No near-meaning fields filled in.
    assert_eq!(t.total_cash, None);
    assert_eq!(t.available_equity, None);
    assert_eq!(t.buying_power, None);
    assert_eq!(t.unrealized_pnl, None);
    let r = &s.risk;
    assert_eq!(r.maintenance_rate, d("0"), "accountMMRate");
    assert_eq!(r.initial_rate, d("0"), "accountIMRate");
    assert_eq!(r.initial_margin, d("0"), "totalInitialMargin");
    assert_eq!(r.maintenance_margin, d("0"), "totalMaintenanceMargin");
    assert_eq!(
        r.margin_ratio, None,
        "accountMMRate is maintenance over equity, never turned into margin_ratio"
    );
    assert_eq!(r.level, None);
    assert_eq!(r.adjusted_equity, None);
    // accountMMRate "0": the whole margin balance before the line.
    let h = r.headroom.as_ref().unwrap();
    assert_eq!(h.fraction, Decimal::ONE);
    assert_eq!(h.basis, "accountMMRate (liquidation 1)");

    assert_eq!(s.currencies.len(), 1);
    let c = &s.currencies[0];
    assert_eq!(c.currency, "BTC");
    assert_eq!(c.wallet_balance, d("0"), "walletBalance");
    assert_eq!(c.frozen, d("0"), "locked");
    assert_eq!(c.equity, d("0"));
    assert_eq!(c.liabilities, d("0.0"), "borrowAmount");
    assert_eq!(c.liabilities.unwrap().to_string(), "0.0", "exact text kept");
    assert_eq!(c.interest, d("0"), "accruedInterest");
    assert_eq!(c.value_in_base, d("0"), "usdValue");
    assert_eq!(c.unrealized_pnl, d("0"), "unrealisedPnl");
    assert_eq!(c.spot_borrow, d("0"), "spotBorrow");
    // walletBalance includes spot borrowing: not `cash`. availableToWithdraw
    // is deprecated for unified accounts: absent, whatever the body says.
    assert_eq!(c.cash, None);
    assert_eq!(c.available, None);
    assert_eq!(c.withdrawable, None);
    assert!(c.indicators.is_empty(), "no colRes in this example");
    assert!(baltui::health::evaluate(&s, &Default::default()).is_empty());
}

#[test]
fn isolated_margin_blanks_are_absent_not_zero() {
    let s = parse_wallet(StatusCode::OK, ISOLATED.as_bytes(), chrono::Utc::now()).unwrap();
    assert_eq!(s.risk.maintenance_rate, None);
    assert_eq!(s.risk.headroom, None, "no accountMMRate, no headroom");
    assert_eq!(s.risk.initial_rate, None);
    assert_eq!(s.risk.maintenance_margin, None);
    assert_eq!(s.risk.initial_margin, None);
    assert_eq!(s.totals.margin_balance, None);
    assert_eq!(s.totals.available_balance, None);
    assert_eq!(s.totals.net_assets, d("1520.37218"));
    assert_eq!(s.totals.perp_unrealized_pnl, d("1.38008"));
    let c = &s.currencies[0];
    assert_eq!(c.liabilities, d("0"), "18 decimals parse as a decimal");
    assert_eq!(c.withdrawable, None, "availableToWithdraw \"\"");
    assert_eq!(c.wallet_balance, d("1519.14122"));
    assert!(baltui::health::evaluate(&s, &Default::default()).is_empty());
}

#[test]
fn a_unified_account_near_its_maintenance_line_is_critical() {
    let body = r#"{"retCode":0,"retMsg":"OK","result":{"list":[{"accountType":"UNIFIED",
        "accountIMRate":"0.9712","accountMMRate":"0.8312","totalMarginBalance":"1000",
        "totalMaintenanceMargin":"831.25","totalInitialMargin":"971.3",
        "coin":[{"coin":"USDT","walletBalance":"26000","spotBorrow":"25000","borrowAmount":"25000",
        "equity":"1000","colRes":"2"},{"coin":"ETH","colRes":"7"}]}]},"retExtInfo":{},"time":1}"#;
    let s = parse_wallet(StatusCode::OK, body.as_bytes(), chrono::Utc::now()).unwrap();
    assert_eq!(s.risk.maintenance_rate, d("0.8312"));
    // 1 − 0.8312: 16.88% of the margin balance left before liquidation.
    assert_eq!(s.risk.headroom.as_ref().map(|h| h.fraction), d("0.1688"));
    let f = baltui::health::evaluate(&s, &Default::default());
    let by = |subj: &str| f.iter().find(|f| f.subject == subj);
    let mm = by("maintenance_rate").unwrap();
    assert_eq!(mm.severity, baltui::health::Severity::Critical);
    assert_eq!(
        mm.message,
        "maintenance margin rate 83.1% at or above 80% (liquidation at 100%)"
    );
    assert_eq!(
        by("initial_rate").unwrap().severity,
        baltui::health::Severity::Warn
    );
    let col = by("USDT.collateralRestriction").unwrap();
    assert_eq!(
        col.severity,
        baltui::health::Severity::Critical,
        "§8: 2 is critical"
    );
    assert_eq!(
        col.message,
        "USDT collateralRestriction: restricted: adding collateral or switching mode is rejected (colRes 2)"
    );
    let eth = by("ETH.collateralRestriction").unwrap();
    assert_eq!(eth.message, "ETH unknown collateralRestriction 7");
    assert_eq!(
        eth.severity,
        baltui::health::Severity::Warn,
        "an undocumented value is a warning, not a guess"
    );
    assert!(!f.iter().any(|f| f.subject == "margin_ratio"));
}

#[test]
fn account_info_example_gives_the_mode() {
    // The vendor page's example (docs/bybit-account-info.md).
    let body = r#"{"retCode":0,"retMsg":"OK","result":{"marginMode":"REGULAR_MARGIN",
        "updatedTime":"1697078946000","unifiedMarginStatus":4,"dcpStatus":"OFF","timeWindow":10,
        "smpGroup":0,"isMasterTrader":false,"spotHedgingStatus":"OFF"}}"#;
    let env: wire::Envelope<wire::AccountInfo> =
        decode(baltui::venues::bybit::KIND, body.as_bytes()).unwrap();
    assert_eq!(env.ret_code, "0");
    assert_eq!(env.result.unified_margin_status.as_deref(), Some("4"));
    assert_eq!(env.result.updated_time.as_deref(), Some("1697078946000"));
    let info = AccountInfo {
        unified_status: env.result.unified_margin_status,
        margin_mode: env.result.margin_mode,
    };
    assert_eq!(info.label().as_deref(), Some("UTA 1.0 (pro), cross margin"));
}

#[test]
fn errors_are_classified_and_bad_values_name_their_path() {
    let v = &baltui::venues::bybit::BYBIT;
    let e = v
        .parse_balance(include_bytes!(
            "../../assets/fixtures/bybit/error-10003.json"
        ))
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Auth);
    let e = v
        .parse_balance(include_bytes!(
            "../../assets/fixtures/bybit/error-10006.json"
        ))
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::RateLimited);
    let body = br#"{"retCode":0,"retMsg":"OK","result":{"list":[{"coin":[{"coin":"BTC","walletBalance":"12.3.4"}]}]},"time":1}"#;
    let e = v.parse_balance(body).unwrap_err();
    match &e.kind {
        ErrorKind::Decode { path, detail, .. } => {
            assert_eq!(path, "result.list[0].coin[0].walletBalance");
            assert!(detail.contains("expected a decimal"), "{detail}");
        }
        k => panic!("{k:?}"),
    }
    assert!(
        e.to_string().starts_with("Bybit: unexpected response"),
        "{e}"
    );
    // retCode must be there: a body without it is not a success.
    assert!(v.parse_balance(br#"{"result":{"list":[]}}"#).is_err());
}

/// PROTOCOLS.md §8: Bybit's colRes 1 is a warning and 2 critical; OKX's
/// colRes keeps its own rule (1 notice, 2 warn). Both read from each venue's
/// body through its own normalization.
#[test]
fn col_res_follows_each_venues_own_scale() {
    use baltui::health::Severity::{Critical, Notice, Warn};
    let bybit = r#"{"retCode":0,"retMsg":"OK","result":{"list":[{"accountType":"UNIFIED",
        "accountMMRate":"0.1","coin":[{"coin":"BTC","equity":"1","colRes":"1"},
        {"coin":"ETH","equity":"1","colRes":"2"},{"coin":"SOL","equity":"1","colRes":"0"},
        {"coin":"XRP","equity":"1","colRes":"-1"}]}]},"retExtInfo":{},"time":1}"#;
    let okx = r#"{"code":"0","msg":"","data":[{"details":[
        {"ccy":"BTC","cashBal":"1","colRes":"1"},{"ccy":"ETH","cashBal":"1","colRes":"2"},
        {"ccy":"SOL","cashBal":"1","colRes":"0"}]}]}"#;
    let judge = |v: &dyn Venue, body: &str| {
        let s = v.parse_balance(body.as_bytes()).unwrap();
        let f = baltui::health::evaluate(&s, &Default::default());
        let mut out: Vec<(String, baltui::health::Severity)> =
            f.into_iter().map(|f| (f.subject, f.severity)).collect();
        out.sort();
        out
    };
    assert_eq!(
        judge(&baltui::venues::bybit::BYBIT, bybit),
        [
            ("BTC.collateralRestriction".to_string(), Warn),
            ("ETH.collateralRestriction".to_string(), Critical),
        ]
    );
    assert_eq!(
        judge(&baltui::venues::okx::OKX, okx),
        [
            ("BTC.colRes".to_string(), Notice),
            ("ETH.colRes".to_string(), Warn)
        ]
    );
}
