//! The Webull vendor example parses and normalizes field by field; 10-decimal
//! strings stay exact; the error example classifies.

use baltui::model::VenueKind;
use baltui::venues::webull::{check, normalize::normalize, wire};
use baltui::venues::{ErrorKind, decode};
use rust_decimal::Decimal;

fn d(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

#[test]
fn vendor_example_field_by_field() {
    let body = include_str!("../assets/fixtures/webull/balance-doc.json");
    let b: wire::Balance = decode(VenueKind::Webull, body.as_bytes()).unwrap();
    assert_eq!(b.account_id.as_deref(), Some("QJHO3P1PR9425Q6UAT7QLJTEKB"));
    let s = normalize(&b, chrono::Utc::now());
    let t = &s.totals;
    assert_eq!(t.currency.as_deref(), Some("CNH"));
    assert_eq!(t.net_assets, d("1247724759.5266750000"));
    assert_eq!(
        t.net_assets.unwrap().to_string(),
        "1247724759.5266750000",
        "all 10 decimals kept"
    );
    assert_eq!(t.market_value, d("89038914.5212380000"));
    assert_eq!(t.total_cash, d("1158685845.0054370000"));
    assert_eq!(s.risk.utilization, d("1.00"));
    assert_eq!(s.risk.margin_ratio, None);
    assert_eq!(s.currencies.len(), 3);
    let hkd = &s.currencies[1];
    assert_eq!(hkd.currency, "HKD");
    assert_eq!(hkd.cash, d("305600889.300000"));
    assert_eq!(hkd.available, d("305587431.940000"));
    assert_eq!(hkd.frozen, d("13457.360000"));
    assert_eq!(hkd.settling, d("0.000000"));
    assert_eq!(hkd.withdrawable, d("305587431.940000"));
    assert_eq!(hkd.equity, d("458809435.440000"));
    assert_eq!(hkd.buying_power, d("305587431.940000"));
    assert_eq!(hkd.market_value, d("153208546.140000"));
    assert_eq!(
        hkd.interest, None,
        "the example has no interests_unpaid: absent, not 0"
    );
    let usd = &s.currencies[2];
    assert_eq!(
        (usd.cash, usd.frozen, usd.available),
        (d("934.710000"), d("929.660000"), d("5.050000"))
    );
    assert_eq!(s.currencies[0].currency, "CNH");
    assert_eq!(s.currencies[0].equity, d("1008356844.580000"));
    // Utilization is shown, never judged without a configured threshold.
    assert!(baltui::health::evaluate(&s, &Default::default()).is_empty());
}

#[test]
fn interests_unpaid_and_unknown_fields() {
    let body = r#"{"total_asset_currency":"HKD","total_asset":"1","new_field":{"a":1},
      "account_currency_assets":[{"currency":"USD","cash_balance":"-2500.1234567890",
      "interests_unpaid":"12.5000000000","cash_power":""}]}"#;
    let s = normalize(
        &decode::<wire::Balance>(VenueKind::Webull, body.as_bytes()).unwrap(),
        chrono::Utc::now(),
    );
    let usd = &s.currencies[0];
    assert_eq!(usd.cash, d("-2500.1234567890"));
    assert_eq!(usd.interest, d("12.5000000000"));
    assert_eq!(usd.available, None);
    assert_eq!(s.risk.utilization, None);
}

#[test]
fn vendor_error_example_is_an_auth_failure() {
    let body = include_str!("../assets/fixtures/webull/error-doc.json");
    let e = check(reqwest::StatusCode::UNAUTHORIZED, body.as_bytes()).unwrap_err();
    match &e.kind {
        ErrorKind::Auth { code, message } => {
            assert_eq!(code, "INVALID_TOKEN");
            assert!(
                message.contains("app_id and account_id not related"),
                "{message}"
            );
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn subscriptions_and_bad_values() {
    let body = r#"[{"subscription_id":"1","user_id":"2","account_id":"ACC1","account_number":"5MV1"},
                   {"account_id":"ACC2"}]"#;
    let subs: Vec<wire::Subscription> = decode(VenueKind::Webull, body.as_bytes()).unwrap();
    assert_eq!(subs[0].account_number.as_deref(), Some("5MV1"));
    assert_eq!(subs[1].account_number, None);
    let e = decode::<Vec<wire::Subscription>>(VenueKind::Webull, br#"[{"account_id":""}]"#)
        .unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::Decode { ref path, .. } if path == "[0].account_id"),
        "{e}"
    );
    let body = r#"{"account_currency_assets":[{"currency":"HKD","cash_balance":"12.3.4"}]}"#;
    let e = decode::<wire::Balance>(VenueKind::Webull, body.as_bytes()).unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::Decode { ref path, .. } if path == "account_currency_assets[0].cash_balance"),
        "{e}"
    );
}
