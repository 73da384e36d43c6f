//! The vendor document's example response parses and normalizes to the values in
//! the document, field by field; edge cases decode to absent or to named errors.

use baltui::venues::okx::{normalize::normalize, wire};
use baltui::venues::{ErrorKind, decode};
use rust_decimal::Decimal;

fn d(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

fn parse(body: &str) -> Result<wire::Envelope<wire::Balance>, baltui::venues::VenueError> {
    decode(baltui::venues::okx::KIND, body.as_bytes())
}

const DOC: &str = include_str!("../../assets/fixtures/okx/balance-doc.json");

#[test]
fn vendor_example_normalizes_field_by_field() {
    let env = parse(DOC).unwrap();
    assert_eq!(env.code, "0");
    let b = &env.data[0];
    let at = chrono::Utc::now();
    let s = normalize(b, at);
    assert_eq!(s.fetched_at, at);
    assert_eq!(s.venue_time.unwrap().timestamp_millis(), 1705474164160);
    assert_eq!(s.totals.currency.as_deref(), Some("USD"));
    assert_eq!(s.totals.net_assets, d("55837.43556134779"));
    assert_eq!(s.totals.total_cash, None);
    // availEq is available equity (free margin, USD), not buying power;
    // notionalUsd is the notional value of positions, not a market value.
    assert_eq!(s.totals.buying_power, None);
    assert_eq!(s.totals.available_equity, d("55415.624719833286"));
    assert_eq!(s.totals.market_value, None);
    assert_eq!(s.totals.notional_value, d("0"));
    assert_eq!(s.totals.unrealized_pnl, d("0"));
    assert_eq!(s.totals.borrow_frozen, d("0"));
    assert_eq!(s.totals.isolated_equity, d("0"));
    assert_eq!(
        s.risk.margin_ratio, None,
        "mgnRatio \"\" means not applicable in this account mode, not 0"
    );
    assert_eq!(s.risk.margin_ratio_currency, None);
    assert_eq!(s.risk.initial_margin, d("0"));
    assert_eq!(s.risk.maintenance_margin, d("0"));
    assert_eq!(s.risk.adjusted_equity, d("55415.624719833286"));
    assert_eq!(s.risk.level, None);
    let dn = &s.risk.indicators[0];
    assert_eq!(
        (dn.key.as_str(), dn.value.as_str(), dn.meaning.as_str()),
        ("deltaNeutralStatus", "0", "normal")
    );

    assert_eq!(s.currencies.len(), 1);
    let c = &s.currencies[0];
    assert_eq!(c.currency, "USDT");
    assert_eq!(c.cash, d("4850.435693622894"));
    assert_eq!(c.available, d("4834.317093622894"));
    assert_eq!(c.frozen, d("158.573"));
    assert_eq!(c.settling, None);
    assert_eq!(c.withdrawable, None);
    assert_eq!(c.equity, d("4992.890093622894"));
    assert_eq!(c.liabilities, d("0"));
    assert_eq!(c.value_in_base, d("4991.542013297616"));
    assert_eq!(c.interest, d("0"));
    assert_eq!(c.available_equity, d("4834.3170936228935"));
    assert_eq!(c.unrealized_pnl, d("-7.545600000000006"));
    assert_eq!(c.borrow_frozen, d("0"));
    assert_eq!(c.isolated_equity, d("0"));
    assert_eq!(c.strategy_equity, d("150"));
    assert_eq!(c.reward_balance, d("0"));
    assert_eq!(c.max_loan, d("0"));
    assert_eq!(
        c.margin_ratio, None,
        "per-currency mgnRatio is Futures mode only"
    );
    // Exact text survives: no float round trip.
    assert_eq!(c.cash.unwrap().to_string(), "4850.435693622894");
    let keys: Vec<&str> = c.indicators.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["twap", "colRes", "colBorrAutoConversion"]);
    assert!(c.indicators.iter().all(|i| i.value == "0"));
}

#[test]
fn verbatim_vendor_example_has_a_trailing_comma_and_is_reported_not_panicked() {
    // The English doc example is not valid JSON ("upl": "0",}); the error says where.
    let body = include_str!("../../assets/fixtures/okx/balance-doc-verbatim.json");
    let e = parse(body).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Decode { .. }), "{e}");
    assert!(e.to_string().starts_with("OKX: unexpected response"), "{e}");
}

#[test]
fn empty_strings_missing_fields_numbers_and_unknown_fields() {
    let body = r#"{"code":"0","msg":"","data":[{"totalEq":12.5,"mgnRatio":"","imr":"",
        "brandNewField":{"x":[1,2]},
        "details":[{"ccy":"BTC","cashBal":"0.5","availBal":"","frozenBal":0,"eq":"0.5"}]}]}"#;
    let env = parse(body).unwrap();
    let s = normalize(&env.data[0], chrono::Utc::now());
    assert_eq!(s.totals.net_assets, d("12.5"));
    assert_eq!(s.risk.margin_ratio, None);
    assert_eq!(s.risk.initial_margin, None);
    assert_eq!(
        s.risk.indicators.len(),
        0,
        "absent deltaNeutralStatus adds no indicator"
    );
    let c = &s.currencies[0];
    assert_eq!(c.cash, d("0.5"));
    assert_eq!(c.available, None);
    assert_eq!(c.frozen, d("0"));
    assert_eq!(s.venue_time, None);
}

#[test]
fn currencies_sorted_and_margin_fields_kept() {
    let body = r#"{"code":"0","msg":"","data":[{"mgnRatio":"2.61","imr":"1200.5","mmr":"980.1",
        "deltaNeutralStatus":"1",
        "details":[{"ccy":"USDT","cashBal":"1","twap":"2","frpType":"1","liab":"300"},
                   {"ccy":"BTC","cashBal":"2","colRes":"2","colBorrAutoConversion":"4"}]}]}"#;
    let s = normalize(&parse(body).unwrap().data[0], chrono::Utc::now());
    assert_eq!(s.risk.margin_ratio, d("2.61"));
    // Headroom: 1 − 1/2.61 of the equity before OKX's 100% line.
    let h = s.risk.headroom.as_ref().unwrap();
    assert_eq!(h.fraction.round_dp(6), d("0.616858").unwrap());
    assert_eq!(h.basis, "mgnRatio (liquidation 100%)");
    assert_eq!(s.risk.initial_margin, d("1200.5"));
    assert_eq!(s.risk.maintenance_margin, d("980.1"));
    assert_eq!(s.risk.indicators[0].meaning, "transfer restricted");
    assert_eq!(s.currencies[0].currency, "BTC");
    assert_eq!(s.currencies[1].liabilities, d("300"));
    let twap = &s.currencies[1].indicators[0];
    assert_eq!(
        twap.meaning,
        "forced-repayment risk 2 of 5, user-based forced repayment"
    );
    let f = baltui::health::evaluate(&s, &Default::default());
    let subjects: Vec<&str> = f.iter().map(|f| f.subject.as_str()).collect();
    assert!(subjects.contains(&"margin_ratio"));
    assert!(subjects.contains(&"BTC.colBorrAutoConversion"));
    assert!(subjects.contains(&"USDT.twap"));
}

#[test]
fn bad_values_name_the_field_path() {
    let body = r#"{"code":"0","msg":"","data":[{"details":[{"ccy":"USDT","cashBal":"12.3.4"}]}]}"#;
    let e = parse(body).unwrap_err();
    match &e.kind {
        ErrorKind::Decode { path, detail, .. } => {
            assert_eq!(path, "data[0].details[0].cashBal");
            assert!(detail.contains("expected a decimal"), "{detail}");
        }
        k => panic!("{k:?}"),
    }
    let e = parse(r#"{"code":"0","data":[{"details":[{"cashBal":"1"}]}]}"#).unwrap_err();
    assert!(e.to_string().contains("ccy"), "{e}");
    let e = parse("{\"code\":\"0\",\"data\":[{\"totalEq\":\"1").unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Decode { .. }));
}

const FUTURES: &str = include_str!("../../assets/fixtures/okx/balance-futures.json");

/// Futures mode (single-currency margin), shaped by the document's table of
/// applicable fields: the account-level ratio is "" (not applicable), the
/// risk is per currency. It must never read OK near liquidation.
#[test]
fn futures_mode_takes_the_worst_currency_ratio_and_warns_per_currency() {
    let s = normalize(&parse(FUTURES).unwrap().data[0], chrono::Utc::now());
    assert_eq!(s.risk.initial_margin, None, "imr \"\": not applicable");
    assert_eq!(s.risk.adjusted_equity, None);
    assert_eq!(s.totals.available_equity, None);
    assert_eq!(s.totals.isolated_equity, d("2249.02"));
    let usdt = s.currencies.iter().find(|c| c.currency == "USDT").unwrap();
    assert_eq!(usdt.margin_ratio, d("1.25"));
    assert_eq!(usdt.initial_margin, d("1200.3"));
    assert_eq!(usdt.maintenance_margin, d("800.2"));
    assert_eq!(usdt.notional_leverage, d("5"));
    assert_eq!(usdt.available_equity, d("4834.3170936228935"));
    assert_eq!(
        usdt.liabilities, None,
        "liab is not applicable in Futures mode"
    );
    let btc = s.currencies.iter().find(|c| c.currency == "BTC").unwrap();
    assert_eq!(btc.margin_ratio, d("5"));
    // The account's ratio is the worst currency's, and says which.
    assert_eq!(s.risk.margin_ratio, d("1.25"));
    assert_eq!(s.risk.margin_ratio_currency.as_deref(), Some("USDT"));
    let h = s.risk.headroom.as_ref().unwrap();
    assert_eq!(
        (h.fraction, h.basis.as_str()),
        (d("0.2").unwrap(), "USDT mgnRatio (liquidation 100%)")
    );

    let f = baltui::health::evaluate(&s, &Default::default());
    let usdt_f = f.iter().find(|f| f.subject == "USDT.margin_ratio").unwrap();
    assert_eq!(usdt_f.severity, baltui::health::Severity::Critical);
    assert_eq!(usdt_f.message, "USDT margin ratio 125% below 150%");
    assert!(
        !f.iter().any(|f| f.subject == "BTC.margin_ratio"),
        "BTC at 500% is fine: {f:?}"
    );
    assert!(
        !f.iter().any(|f| f.subject == "margin_ratio"),
        "the account-level finding is the USDT one, not a second copy: {f:?}"
    );
    let iso = f.iter().find(|f| f.subject == "isolated_equity").unwrap();
    assert_eq!(iso.severity, baltui::health::Severity::Notice);
    assert!(
        iso.message.contains("outside the account margin ratio"),
        "{}",
        iso.message
    );
    assert_eq!(
        baltui::health::worst(&f),
        baltui::health::Severity::Critical
    );
}

#[test]
fn undocumented_enum_values_warn_and_col_res_one_is_a_notice() {
    let body = r#"{"code":"0","msg":"","data":[{"deltaNeutralStatus":"9",
        "details":[{"ccy":"USDT","cashBal":"1","twap":"7","colRes":"1","colBorrAutoConversion":"8"}]}]}"#;
    let s = normalize(&parse(body).unwrap().data[0], chrono::Utc::now());
    let f = baltui::health::evaluate(&s, &Default::default());
    let by = |subj: &str| {
        f.iter()
            .find(|f| f.subject == subj)
            .map(|f| (f.severity, f.message.clone()))
    };
    use baltui::health::Severity::{Notice, Warn};
    assert_eq!(
        by("deltaNeutralStatus"),
        Some((Warn, "unknown deltaNeutralStatus 9".into()))
    );
    assert_eq!(by("USDT.twap"), Some((Warn, "USDT unknown twap 7".into())));
    assert_eq!(
        by("USDT.colBorrAutoConversion"),
        Some((Warn, "USDT unknown colBorrAutoConversion 8".into()))
    );
    assert_eq!(by("USDT.colRes").map(|f| f.0), Some(Notice));
}
