//! An attached monitor (`--connect`) on a TestBackend: where the data comes
//! from is always on screen; a lost service is said in words, its last
//! values stay and age.

use super::render::{assert_has, buffer, now, okx_snapshot, row, spec, text_rows};
use baltui::app::{App, Effect, Msg};
use baltui::attach::Update;
use baltui::health::Thresholds;
use baltui::monitor::{Mirror, PollState};
use baltui::theme::Theme;
use baltui::ui::clock::Zone;
use chrono::Duration;
use ratatui::style::Color;

const HOST: &str = "127.0.0.1:9477";

fn mirror(name: &str) -> Mirror {
    Mirror {
        spec: spec(name, baltui::venues::okx::KIND, false),
        poll: PollState::Ok,
        last_error: None,
        snapshot: Some(okx_snapshot(now(), "5")),
        findings: Vec::new(),
        last_attempt_at: Some(now()),
        next_poll_at: Some(now() + Duration::seconds(5)),
        marks: Vec::new(),
    }
}

fn attached() -> App {
    let mut app = App::new(Vec::new(), Thresholds::default(), now())
        .with_zone(Zone::Utc)
        .with_attached(HOST);
    app.update(Msg::Attach(Update::Connected { host: HOST.into() }));
    app.update(Msg::Attach(Update::State {
        accounts: vec![mirror("okx-main"), mirror("okx-sub")],
        generated_at: now(),
    }));
    app
}

#[test]
fn the_status_line_says_attached_to_the_host() {
    let app = attached();
    let buf = buffer(&app, 120, 30, &Theme::color());
    let lines = text_rows(&buf);
    let status = lines.last().unwrap();
    assert!(status.contains("⇄ attached to 127.0.0.1:9477"), "{status}");
    // The service's accounts, as it reports them.
    assert_has(&lines, "okx-main");
    assert_has(&lines, "okx-sub");
    assert_has(&lines, "attached to the service at 127.0.0.1:9477");
    assert!(!lines.iter().any(|l| l.contains("UNREACHABLE")));
    // Before the first answer it says it is connecting, not attached.
    let fresh = App::new(Vec::new(), Thresholds::default(), now()).with_attached(HOST);
    let lines = text_rows(&buffer(&fresh, 120, 30, &Theme::color()));
    assert!(
        lines
            .last()
            .unwrap()
            .contains("… connecting to 127.0.0.1:9477"),
        "{}",
        lines.last().unwrap()
    );
}

#[test]
fn a_lost_service_is_said_in_words_with_the_error_and_the_next_try() {
    let mut app = attached();
    let fx = app.update(Msg::Attach(Update::Lost {
        error: "connection refused".into(),
        retry_in: std::time::Duration::from_secs(5),
    }));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::SetTitle(t) if t.ends_with("; service unreachable"))),
        "{fx:?}"
    );
    // Two seconds on, and two minutes on: the values stay and age.
    app.update(Msg::Tick(now() + Duration::seconds(2)));
    let buf = buffer(&app, 140, 30, &Theme::color());
    let lines = text_rows(&buf);
    let (y, top) = row(&lines, "SERVICE UNREACHABLE");
    assert_eq!(y, 0, "on top:\n{}", lines.join("\n"));
    assert!(
        top.contains("127.0.0.1:9477: connection refused · retrying in 3s · lost 2s ago"),
        "{top}"
    );
    // Loud in color too: the badge is the critical one.
    assert_eq!(buf[(2, 0)].bg, Color::Red);
    let status = lines.last().unwrap();
    assert!(status.contains("✖ lost 127.0.0.1:9477"), "{status}");
    assert!(!status.contains("attached to"), "{status}");
    assert_has(&lines, "12,000.53");
    assert_has(
        &lines,
        "the service at 127.0.0.1:9477 is unreachable: connection refused",
    );

    app.update(Msg::Tick(now() + Duration::seconds(120)));
    let lines = text_rows(&buffer(&app, 140, 30, &Theme::color()));
    let (_, top) = row(&lines, "SERVICE UNREACHABLE");
    assert!(top.contains("retrying now · lost 2m ago"), "{top}");
    // Aging: stale by now, the numbers still there.
    let (_, acc) = row(&lines[2..], "okx-main STALE");
    assert!(acc.contains("12,000.53"), "{}", lines.join("\n"));

    // Back: the banner goes, the status line says attached again.
    let fx = app.update(Msg::Attach(Update::Connected { host: HOST.into() }));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::SetTitle(t) if !t.contains("unreachable"))),
        "{fx:?}"
    );
    let lines = text_rows(&buffer(&app, 140, 30, &Theme::color()));
    assert!(!lines.iter().any(|l| l.contains("UNREACHABLE")));
    assert!(
        lines
            .last()
            .unwrap()
            .contains("⇄ attached to 127.0.0.1:9477")
    );
    assert_has(&lines, "reconnected to the service at 127.0.0.1:9477");
}

#[test]
fn an_attached_account_tab_says_the_service_keeps_the_history() {
    let mut app = attached();
    app.update(Msg::Action(baltui::keymap::Action::GoTab(1)));
    let lines = text_rows(&buffer(&app, 120, 40, &Theme::color()));
    assert_has(
        &lines,
        "no history here: the service at 127.0.0.1:9477 keeps it",
    );
}
