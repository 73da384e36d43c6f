//! The two LongPort vendor examples parse and normalize field by field; both
//! shapes, numbers as strings or JSON numbers, "" as absent, several list items.

use baltui::model::RiskLevel;
use baltui::venues::longport::{normalize::normalize, wire};
use baltui::venues::{ErrorKind, decode};
use rust_decimal::Decimal;

fn d(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

fn items(body: &str) -> Vec<wire::Item> {
    let env: wire::Envelope = decode(baltui::venues::longport::KIND, body.as_bytes()).unwrap();
    env.data.map(|d| d.list).or(env.list).unwrap_or_default()
}

#[test]
fn current_document_example_field_by_field() {
    let body = include_str!("../../assets/fixtures/longport/account-doc.json");
    let env: wire::Envelope = decode(baltui::venues::longport::KIND, body.as_bytes()).unwrap();
    assert_eq!(env.code.as_deref(), Some("0"));
    let s = normalize(&items(body), None, chrono::Utc::now()).unwrap();
    let t = &s.totals;
    assert_eq!(t.currency.as_deref(), Some("HKD"));
    assert_eq!(t.total_cash, d("1759070010.72"));
    assert_eq!(t.net_assets, d("24145.90"));
    assert_eq!(t.net_assets.unwrap().to_string(), "24145.90", "scale kept");
    assert_eq!(t.buying_power, d("1759070.12"));
    assert_eq!(t.max_finance, d("977582000"));
    assert_eq!(t.remaining_finance, d("0"));
    let r = &s.risk;
    assert_eq!(r.level, Some(RiskLevel::Medium));
    assert_eq!(r.margin_call, d("2598051051.50"));
    assert_eq!(r.initial_margin, d("1540.09"));
    assert_eq!(r.maintenance_margin, d("1540.09"));
    // 24145.90 / 1540.09 = 15.67823958..., derived by baltui and rounded to 4 places
    assert_eq!(r.margin_ratio, d("15.6782"));
    // Headroom from the exact figures, not the rounded ratio:
    // 1 − 1540.09 / 24145.90 = 0.936217...
    let h = r.headroom.as_ref().unwrap();
    assert_eq!(h.fraction.round_dp(6), d("0.936217").unwrap());
    assert_eq!(h.basis, "maintenance_margin / net_assets (line 1)");
    assert_eq!(s.currencies.len(), 2);
    let hkd = &s.currencies[0];
    assert_eq!(hkd.currency, "HKD");
    assert_eq!(hkd.cash, None, "LongPort has no per-currency cash balance");
    assert_eq!(hkd.withdrawable, d("97592.30"));
    assert_eq!(hkd.available, d("195902464.37"));
    assert_eq!(hkd.frozen, d("11579339.13"));
    assert_eq!(hkd.settling, d("207288537.81"));
    let usd = &s.currencies[1];
    assert_eq!(usd.currency, "USD");
    assert_eq!(usd.withdrawable, d("199893416.74"));
    assert_eq!(usd.available, d("199893416.74"));
    assert_eq!(usd.frozen, d("28723.76"));
    assert_eq!(
        usd.settling,
        d("-276806.51"),
        "negative settling cash kept as the venue said"
    );
    assert!(s.other_views.is_empty());
    // Health: level 1 is no warning; a margin call > 0 is critical; negative
    // settling cash is shown plainly, not as a finding.
    let f = baltui::health::evaluate(&s, &Default::default());
    assert_eq!(f[0].subject, "margin_call");
    assert_eq!(f[0].severity, baltui::health::Severity::Critical);
    assert!(!f.iter().any(|f| f.subject.contains("settling")), "{f:?}");
}

#[test]
fn legacy_document_example_bare_data_with_cash_infos_camel_case() {
    let body = include_str!("../../assets/fixtures/longport/legacy-cash-info-doc.json");
    let s = normalize(&items(body), None, chrono::Utc::now()).unwrap();
    assert_eq!(s.totals.currency.as_deref(), Some("HKD"));
    assert_eq!(s.totals.total_cash, d("1759070010.72"));
    assert_eq!(
        s.totals.net_assets, None,
        "the legacy call has no net assets"
    );
    assert_eq!(s.risk.margin_ratio, None);
    assert_eq!(s.risk.level, Some(RiskLevel::Medium));
    assert_eq!(s.currencies.len(), 2);
    assert_eq!(s.currencies[1].settling, d("-276806.51"));
    assert_eq!(s.currencies[0].withdrawable, d("97592.30"));
}

#[test]
fn legacy_envelope_msg_and_integer_amounts() {
    let body = r#"{"code":0,"msg":"success","data":{"list":[{"currency":"HKD",
        "max_finance_amount":977582000,"remaining_finance_amount":0,"risk_level":2,
        "total_cash":"10.5","cashInfos":[{"currency":"HKD","available_cash":100,"withdraw_cash":"99.5",
        "frozen_cash":0,"settling_cash":"-1"}]}]}}"#;
    let env: wire::Envelope = decode(baltui::venues::longport::KIND, body.as_bytes()).unwrap();
    assert_eq!(env.message.as_deref(), Some("success"));
    let s = normalize(&items(body), None, chrono::Utc::now()).unwrap();
    assert_eq!(s.totals.max_finance, d("977582000"));
    assert_eq!(s.risk.level, Some(RiskLevel::Warning));
    assert_eq!(s.currencies[0].available, d("100"));
    assert_eq!(s.currencies[0].frozen, d("0"));
}

#[test]
fn empty_strings_are_absent_and_cash_infos_may_be_missing() {
    let body = r#"{"code":0,"message":"success","data":{"list":[{"currency":"USD","risk_level":"",
        "net_assets":"","init_margin":"","maintenance_margin":"","buy_power":"","total_cash":"5",
        "unknown_new_field":[1]}]}}"#;
    let s = normalize(&items(body), None, chrono::Utc::now()).unwrap();
    assert_eq!(s.risk.level, None);
    assert_eq!(s.totals.net_assets, None);
    assert_eq!(s.totals.buying_power, None);
    assert_eq!(s.risk.margin_ratio, None);
    assert!(s.currencies.is_empty());
    assert_eq!(s.totals.total_cash, d("5"));
}

#[test]
fn several_list_items_all_shown() {
    let body = r#"{"code":0,"message":"success","data":{"list":[
      {"currency":"HKD","net_assets":"780000","maintenance_margin":"100000","risk_level":"0",
       "cash_infos":[{"currency":"HKD","available_cash":"10"},{"currency":"USD","available_cash":"2"}],
       "frozen_transaction_fees":[{"currency":"HKD","frozen_transaction_fee":"1.25"}]},
      {"currency":"USD","net_assets":"100000","maintenance_margin":"12820.51","risk_level":"0",
       "cash_infos":[{"currency":"HKD","available_cash":"10"},{"currency":"USD","available_cash":"2.5"}]}]}}"#;
    let it = items(body);
    let s = normalize(&it, None, chrono::Utc::now()).unwrap();
    assert_eq!(
        s.totals.currency.as_deref(),
        Some("HKD"),
        "first item is primary by default"
    );
    assert_eq!(s.other_views.len(), 1);
    assert_eq!(s.other_views[0].totals.currency.as_deref(), Some("USD"));
    assert_eq!(s.other_views[0].totals.net_assets, d("100000"));
    // HKD rows agree and show once; USD rows differ, so the USD view's row is added.
    let rows: Vec<(String, Option<String>)> = s
        .currencies
        .iter()
        .map(|c| (c.currency.clone(), c.view.clone()))
        .collect();
    assert_eq!(
        rows,
        [
            ("HKD".into(), None),
            ("USD".into(), None),
            ("USD".into(), Some("USD".into()))
        ]
    );
    assert_eq!(s.currencies[0].frozen_fees, d("1.25"));
    let p = normalize(&it, Some("USD"), chrono::Utc::now()).unwrap();
    assert_eq!(
        p.totals.currency.as_deref(),
        Some("USD"),
        "the configured currency is primary"
    );
}

#[test]
fn bad_values_name_the_path() {
    let body = r#"{"code":0,"data":{"list":[{"cash_infos":[{"currency":"HKD","available_cash":"12.3.4"}]}]}}"#;
    let e = decode::<wire::Envelope>(baltui::venues::longport::KIND, body.as_bytes()).unwrap_err();
    match e.kind {
        ErrorKind::Decode { path, .. } => {
            assert_eq!(path, "data.list[0].cash_infos[0].available_cash")
        }
        k => panic!("{k:?}"),
    }
    let body = r#"{"code":0,"data":{"list":[]}}"#;
    let e = normalize(&items(body), None, chrono::Utc::now()).unwrap_err();
    assert_eq!(e.0, "data.list");
}

/// The current document's example with `risk_level` "7", a value the
/// document does not list (0-3).
fn doc_with_risk_level(level: &str) -> String {
    let body = include_str!("../../assets/fixtures/longport/account-doc.json");
    let out = body.replacen(
        r#""risk_level": "1""#,
        &format!(r#""risk_level": "{level}""#),
        1,
    );
    assert_ne!(out, body, "the example has risk_level \"1\"");
    out
}

#[test]
fn undocumented_risk_level_shows_the_account_and_warns() {
    use baltui::health::{Severity, evaluate};
    let s = normalize(&items(&doc_with_risk_level("7")), None, chrono::Utc::now())
        .expect("an undocumented level never hides the account");
    assert_eq!(s.risk.level, None, "no guess at what 7 means");
    assert_eq!(s.risk.indicators.len(), 1);
    let ind = &s.risk.indicators[0];
    assert_eq!(
        (ind.key.as_str(), ind.value.as_str(), ind.unknown),
        ("risk_level", "7", true)
    );
    // Everything else of the example is still there.
    assert_eq!(s.totals.net_assets, d("24145.90"));
    assert_eq!(s.risk.margin_call, d("2598051051.50"));
    assert_eq!(s.risk.margin_ratio, d("15.6782"));
    assert_eq!(s.currencies.len(), 2);
    assert_eq!(s.currencies[0].available, d("195902464.37"));
    assert_eq!(s.currencies[1].settling, d("-276806.51"));
    let f = evaluate(&s, &Default::default());
    let level = f
        .iter()
        .find(|f| f.subject == "risk_level")
        .unwrap_or_else(|| panic!("a risk_level finding in {f:?}"));
    assert_eq!(level.severity, Severity::Warn);
    assert_eq!(level.message, "unknown risk level 7");
    // The margin call is still judged.
    assert!(
        f.iter()
            .any(|f| f.subject == "margin_call" && f.severity == Severity::Critical)
    );
    // A documented level gives no indicator; "" is absent, not unknown.
    for (v, want) in [("3", Some(RiskLevel::Danger)), ("", None)] {
        let s = normalize(&items(&doc_with_risk_level(v)), None, chrono::Utc::now()).unwrap();
        assert_eq!(s.risk.level, want, "{v:?}");
        assert!(s.risk.indicators.is_empty(), "{v:?}");
    }
    // Legacy shape, an integer level.
    let body = r#"{"code":0,"msg":"success","data":{"list":[{"currency":"HKD","risk_level":9,
        "cashInfos":[{"currency":"HKD","available_cash":"1"}]}]}}"#;
    let s = normalize(&items(body), None, chrono::Utc::now()).unwrap();
    assert_eq!(s.risk.indicators[0].value, "9");
    assert_eq!(s.currencies[0].available, d("1"));
}

/// The current document's example with `frozen_transaction_fees` in the
/// shape PROTOCOLS.md §1 gives: one currency with a cash row, one without.
fn doc_with_fees(fees: &str) -> String {
    let body = include_str!("../../assets/fixtures/longport/account-doc.json");
    let out = body.replacen(
        r#""buy_power": "1759070.12","#,
        &format!(r#""buy_power": "1759070.12", "frozen_transaction_fees": {fees},"#),
        1,
    );
    assert_ne!(out, body);
    out
}

#[test]
fn fee_in_a_currency_without_cash_is_its_own_row() {
    let body = doc_with_fees(
        r#"[{"currency":"USD","frozen_transaction_fee":"3.20"},
            {"currency":"CNH","frozen_transaction_fee":"18.45"}]"#,
    );
    let s = normalize(&items(&body), None, chrono::Utc::now()).unwrap();
    let ccys: Vec<&str> = s.currencies.iter().map(|c| c.currency.as_str()).collect();
    assert_eq!(ccys, ["HKD", "USD", "CNH"], "the CNH fee is kept");
    assert_eq!(s.currencies[0].frozen_fees, None, "no HKD fee reported");
    assert_eq!(s.currencies[1].frozen_fees, d("3.20"));
    assert_eq!(s.currencies[1].available, d("199893416.74"));
    let cnh = &s.currencies[2];
    assert_eq!(cnh.frozen_fees, d("18.45"));
    assert_eq!(
        (
            cnh.cash,
            cnh.available,
            cnh.frozen,
            cnh.settling,
            cnh.withdrawable
        ),
        (None, None, None, None, None),
        "nothing but the fee is known in CNH: absent, never 0"
    );
    assert_eq!(cnh.view, None);
    // Two views (HKD, USD items) with the same fee: the CNH row shows once;
    // a view whose fee differs adds its own row, marked with its currency.
    let two = |usd_fee: &str| {
        format!(
            r#"{{"code":0,"message":"success","data":{{"list":[
              {{"currency":"HKD","cash_infos":[{{"currency":"HKD","available_cash":"10"}}],
               "frozen_transaction_fees":[{{"currency":"CNH","frozen_transaction_fee":"18.45"}}]}},
              {{"currency":"USD","cash_infos":[{{"currency":"HKD","available_cash":"10"}}],
               "frozen_transaction_fees":[{{"currency":"CNH","frozen_transaction_fee":"{usd_fee}"}}]}}]}}}}"#
        )
    };
    let s = normalize(&items(&two("18.45")), None, chrono::Utc::now()).unwrap();
    let rows: Vec<(&str, Option<&str>)> = s
        .currencies
        .iter()
        .map(|c| (c.currency.as_str(), c.view.as_deref()))
        .collect();
    assert_eq!(rows, [("HKD", None), ("CNH", None)]);
    let s = normalize(&items(&two("20")), None, chrono::Utc::now()).unwrap();
    let rows: Vec<(&str, Option<&str>, Option<Decimal>)> = s
        .currencies
        .iter()
        .map(|c| (c.currency.as_str(), c.view.as_deref(), c.frozen_fees))
        .collect();
    assert_eq!(
        rows,
        [
            ("HKD", None, None),
            ("CNH", None, d("18.45")),
            ("CNH", Some("USD"), d("20"))
        ]
    );
    // Only fees, no cash_infos at all: still shown.
    let body = r#"{"code":0,"data":{"list":[{"currency":"HKD",
        "frozen_transaction_fees":[{"currency":"USD","frozen_transaction_fee":"0.75"}]}]}}"#;
    let s = normalize(&items(body), None, chrono::Utc::now()).unwrap();
    assert_eq!(s.currencies.len(), 1);
    assert_eq!(s.currencies[0].frozen_fees, d("0.75"));
}
