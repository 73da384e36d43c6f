//! The Webull vendor example parses and normalizes field by field; 10-decimal
//! strings stay exact; the error example classifies.

use baltui::venues::webull::{check, normalize::normalize, parse_balance, wire};
use baltui::venues::{ErrorKind, decode};
use rust_decimal::Decimal;

fn d(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

#[test]
fn vendor_example_field_by_field() {
    let body = include_str!("../../assets/fixtures/webull/balance-doc.json");
    let b: wire::Balance = decode(baltui::venues::webull::KIND, body.as_bytes()).unwrap();
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
    // "1.00" is a percentage (1%): the model holds the ratio.
    assert_eq!(s.risk.utilization, d("0.01"));
    assert_eq!(s.risk.margin_ratio, None);
    assert_eq!(s.currencies.len(), 3);
    let hkd = &s.currencies[1];
    assert_eq!(hkd.currency, "HKD");
    assert_eq!(hkd.cash, d("305600889.300000"));
    assert_eq!(hkd.available, d("305587431.940000"));
    assert_eq!(hkd.frozen, d("13457.360000"));
    // 在途资金: in transit, not trade settlement.
    assert_eq!(hkd.in_transit, d("0.000000"));
    assert_eq!(hkd.settling, None);
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
        &decode::<wire::Balance>(baltui::venues::webull::KIND, body.as_bytes()).unwrap(),
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
    let body = include_str!("../../assets/fixtures/webull/error-doc.json");
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
    let subs: Vec<wire::Subscription> =
        decode(baltui::venues::webull::KIND, body.as_bytes()).unwrap();
    assert_eq!(subs[0].account_number.as_deref(), Some("5MV1"));
    assert_eq!(subs[1].account_number, None);
    let e =
        decode::<Vec<wire::Subscription>>(baltui::venues::webull::KIND, br#"[{"account_id":""}]"#)
            .unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::Decode { ref path, .. } if path == "[0].account_id"),
        "{e}"
    );
    let body = r#"{"account_currency_assets":[{"currency":"HKD","cash_balance":"12.3.4"}]}"#;
    let e = decode::<wire::Balance>(baltui::venues::webull::KIND, body.as_bytes()).unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::Decode { ref path, .. } if path == "account_currency_assets[0].cash_balance"),
        "{e}"
    );
}

const DOC: &str = include_str!("../../assets/fixtures/webull/balance-doc.json");
const DOC_ID: &str = "QJHO3P1PR9425Q6UAT7QLJTEKB";

#[test]
fn pending_incoming_is_in_transit_not_settling() {
    let s = parse_balance(DOC.as_bytes(), DOC_ID, None, chrono::Utc::now()).unwrap();
    assert_eq!(s.currencies.len(), 3);
    for c in &s.currencies {
        // The document's value, "0.000000": a reported zero, not absent.
        assert_eq!(c.in_transit, d("0.000000"), "{}", c.currency);
        assert_eq!(
            c.settling, None,
            "{}: Webull reports no settling cash",
            c.currency
        );
    }
    // A non-zero amount in transit keeps its exact text.
    let body = DOC.replacen(
        r#""pending_incoming": "0.000000""#,
        r#""pending_incoming": "8250.120000""#,
        1,
    );
    let s = parse_balance(body.as_bytes(), DOC_ID, None, chrono::Utc::now()).unwrap();
    let cnh = &s.currencies[0];
    assert_eq!(cnh.currency, "CNH");
    assert_eq!(cnh.in_transit.unwrap().to_string(), "8250.120000");
    assert_eq!(cnh.settling, None);
}

#[test]
fn documented_fields_map_to_the_model() {
    let s = parse_balance(DOC.as_bytes(), DOC_ID, Some("HKD"), chrono::Utc::now()).unwrap();
    // total_market_value -> totals.market_value, in total_asset_currency.
    assert_eq!(s.totals.market_value, d("89038914.5212380000"));
    assert_eq!(
        s.totals.currency.as_deref(),
        Some("CNH"),
        "the reply's own word wins"
    );
    // margin_power -> buying_power, per currency (cash_power is `available`).
    let by = |c: &str| s.currencies.iter().find(|x| x.currency == c).unwrap();
    assert_eq!(by("CNH").buying_power, d("999246828.580000"));
    assert_eq!(by("HKD").buying_power, d("305587431.940000"));
    assert_eq!(by("USD").buying_power, d("5.050000"));
    assert_eq!(by("USD").available, d("5.050000"));
    // interests_unpaid -> interest (the example has none: absent, not 0).
    assert!(s.currencies.iter().all(|c| c.interest.is_none()));
    let body = DOC.replacen(
        r#""available_withdrawal": "5.050000""#,
        r#""available_withdrawal": "5.050000", "interests_unpaid": "0.370000""#,
        1,
    );
    let s = parse_balance(body.as_bytes(), DOC_ID, None, chrono::Utc::now()).unwrap();
    let usd = s.currencies.iter().find(|x| x.currency == "USD").unwrap();
    assert_eq!(usd.interest, d("0.370000"));
}

#[test]
fn missing_total_asset_currency_is_the_one_asked_for() {
    let body = DOC.replacen(r#""total_asset_currency": "CNH","#, "", 1);
    assert_ne!(body, DOC);
    let asked = |ccy| {
        parse_balance(body.as_bytes(), DOC_ID, ccy, chrono::Utc::now())
            .unwrap()
            .totals
            .currency
    };
    assert_eq!(asked(Some("USD")).as_deref(), Some("USD"));
    assert_eq!(asked(Some("HKD")).as_deref(), Some("HKD"));
    assert_eq!(asked(None), None, "nothing asked, nothing known: no guess");
    // The client asks for the configured currency, else the region's default:
    // HKD in Hong Kong (the document's default), none documented elsewhere.
    use baltui::venues::webull::Region;
    assert_eq!(Region::Hk.default_total_asset_currency(), Some("HKD"));
    assert_eq!(Region::Us.default_total_asset_currency(), None);
    // "" is absent too.
    let body = DOC.replacen(
        r#""total_asset_currency": "CNH""#,
        r#""total_asset_currency": """#,
        1,
    );
    let s = parse_balance(body.as_bytes(), DOC_ID, Some("HKD"), chrono::Utc::now()).unwrap();
    assert_eq!(s.totals.currency.as_deref(), Some("HKD"));
}

#[test]
fn error_example_with_200_is_an_error_not_an_empty_account() {
    let body = include_str!("../../assets/fixtures/webull/error-doc.json");
    let e = check(reqwest::StatusCode::OK, body.as_bytes()).unwrap_err();
    assert!(
        matches!(&e.kind, ErrorKind::Auth { code, .. } if code == "INVALID_TOKEN"),
        "{e}"
    );
    // Even past `check`, the balance parser never reads it as an account.
    let e = parse_balance(body.as_bytes(), DOC_ID, None, chrono::Utc::now()).unwrap_err();
    assert!(
        matches!(&e.kind, ErrorKind::Decode { path, .. } if path == "account_id"),
        "{e}"
    );
}
