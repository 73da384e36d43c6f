//! The two LongPort vendor examples parse and normalize field by field; both
//! shapes, numbers as strings or JSON numbers, "" as absent, several list items.

use baltui::model::{RiskLevel, VenueKind};
use baltui::venues::longport::{normalize::normalize, wire};
use baltui::venues::{ErrorKind, decode};
use rust_decimal::Decimal;

fn d(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

fn items(body: &str) -> Vec<wire::Item> {
    let env: wire::Envelope = decode(VenueKind::Longport, body.as_bytes()).unwrap();
    env.data.map(|d| d.list).or(env.list).unwrap_or_default()
}

#[test]
fn current_document_example_field_by_field() {
    let body = include_str!("../assets/fixtures/longport/account-doc.json");
    let env: wire::Envelope = decode(VenueKind::Longport, body.as_bytes()).unwrap();
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
    let body = include_str!("../assets/fixtures/longport/legacy-cash-info-doc.json");
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
    let env: wire::Envelope = decode(VenueKind::Longport, body.as_bytes()).unwrap();
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
    let body = r#"{"code":0,"data":{"list":[{"currency":"HKD","risk_level":"7"}]}}"#;
    let e = normalize(&items(body), None, chrono::Utc::now()).unwrap_err();
    assert_eq!(e.0, "data.list[0].risk_level");
    assert!(e.1.contains("0-3") && e.1.contains("7"), "{}", e.1);
    let body = r#"{"code":0,"data":{"list":[{"cash_infos":[{"currency":"HKD","available_cash":"12.3.4"}]}]}}"#;
    let e = decode::<wire::Envelope>(VenueKind::Longport, body.as_bytes()).unwrap_err();
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
