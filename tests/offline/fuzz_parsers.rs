//! Mutated and truncated versions of every fixture go through every parser,
//! normalizer, the health rules and the screen: errors allowed, panics never.

use baltui::app::{App, Msg};
use baltui::model::Snapshot;
use baltui::monitor::AccountSpec;
use baltui::poll::Event;
use baltui::venues::{decode, longport, okx, webull};
use proptest::prelude::*;
use std::time::Duration;

const FIXTURES: [&str; 5] = [
    include_str!("../../assets/fixtures/okx/balance-doc.json"),
    include_str!("../../assets/fixtures/longport/account-doc.json"),
    include_str!("../../assets/fixtures/longport/legacy-cash-info-doc.json"),
    include_str!("../../assets/fixtures/webull/balance-doc.json"),
    include_str!("../../assets/fixtures/webull/error-doc.json"),
];

/// Every way baltui reads a body; returns what parsed.
fn parse_all(body: &[u8]) -> Vec<Snapshot> {
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    // The clients' own parse steps, at the statuses a venue answers with.
    for status in [200u16, 401, 429, 500] {
        let st = reqwest::StatusCode::from_u16(status).unwrap();
        if let Ok(b) = okx::parse_balance(st, body) {
            out.push(okx::normalize::normalize(&b, now));
        }
        if let Ok(s) = longport::parse_balance(st, body, Some("USD"), now) {
            out.push(s);
        }
    }
    if let Ok(b) = decode::<webull::wire::Balance>(baltui::venues::webull::KIND, body) {
        out.push(webull::normalize::normalize(&b, now));
    }
    if let Ok(s) = webull::parse_balance(body, "QJHO3P1PR9425Q6UAT7QLJTEKB", Some("HKD"), now) {
        out.push(s);
    }
    let _ = decode::<Vec<webull::wire::Subscription>>(baltui::venues::webull::KIND, body);
    for status in [200u16, 401, 429, 500] {
        let st = reqwest::StatusCode::from_u16(status).unwrap();
        let _ = longport::check(st, body);
        let _ = webull::check(st, body);
    }
    out
}

/// Health rules and a full frame for each parsed snapshot.
fn judge_and_draw(snaps: Vec<Snapshot>) {
    for s in snaps {
        let _ = baltui::health::evaluate(&s, &Default::default());
        let mut app = App::new(
            vec![AccountSpec::new(
                "fuzz",
                baltui::venues::okx::KIND,
                false,
                Duration::from_secs(5),
            )],
            Default::default(),
            chrono::Utc::now(),
        );
        app.update(Msg::Poll(Event::Polled {
            account: 0,
            generation: 0,
            at: s.fetched_at,
            result: Ok(s),
            next_poll_at: None,
        }));
        let theme = baltui::theme::Theme::mono();
        for (w, h) in [(120, 40), (60, 15)] {
            let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
            t.draw(|f| baltui::ui::render(f, &app, &theme)).unwrap();
            if !app.privacy() {
                app.update(Msg::Action(baltui::keymap::Action::TogglePrivacy));
            }
            t.draw(|f| baltui::ui::render(f, &app, &theme)).unwrap();
        }
    }
}

/// A JSON scalar that may be odd: huge, tiny, negative, exponent, text.
fn odd_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"\"".to_string()),
        Just("null".to_string()),
        Just("\"-79228162514264337593543950335\"".to_string()),
        Just("\"79228162514264337593543950336\"".to_string()),
        Just("\"1e30\"".to_string()),
        Just("1e400".to_string()),
        Just("\"0.00000000000000000000000000001\"".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("true".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("\"{f}\"")),
        "[a-z0-9.\\-]{0,12}".prop_map(|s| format!("\"{s}\"")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn truncated(which in 0usize..FIXTURES.len(), cut in 0usize..4000) {
        let body = FIXTURES[which].as_bytes();
        judge_and_draw(parse_all(&body[..cut.min(body.len())]));
    }

    #[test]
    fn bytes_flipped(which in 0usize..FIXTURES.len(), edits in proptest::collection::vec((0usize..4000, any::<u8>()), 1..8)) {
        let mut body = FIXTURES[which].as_bytes().to_vec();
        for (at, b) in edits {
            let n = body.len();
            body[at % n] = b;
        }
        judge_and_draw(parse_all(&body));
    }

    #[test]
    fn string_values_replaced(which in 0usize..FIXTURES.len(), picks in proptest::collection::vec((0usize..200, odd_value()), 1..12)) {
        // Replace the n-th quoted value ("key": "value") with an odd one.
        let text = FIXTURES[which];
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut i = 0;
        while let Some(p) = text[i..].find(": \"") {
            let start = i + p + 2;
            if let Some(end) = text[start + 1..].find('"') {
                spans.push((start, start + 1 + end + 1));
                i = start + 1 + end + 1;
            } else {
                break;
            }
        }
        prop_assume!(!spans.is_empty());
        let mut body = text.to_string();
        let mut chosen: Vec<(usize, usize, String)> =
            picks.into_iter().map(|(n, v)| { let (a, b) = spans[n % spans.len()]; (a, b, v) }).collect();
        chosen.sort_by_key(|c| std::cmp::Reverse(c.0));
        chosen.dedup_by_key(|c| c.0);
        for (a, b, v) in chosen {
            body.replace_range(a..b, &v);
        }
        judge_and_draw(parse_all(body.as_bytes()));
    }
}
