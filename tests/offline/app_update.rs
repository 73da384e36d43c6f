//! update() is the only place state changes: each key action, each poll outcome.

use baltui::app::{App, Effect, Msg, Reconfig};
use baltui::health::{Severity, Thresholds};
use baltui::model::{Risk, Snapshot, Totals};
use baltui::monitor::{AccountSpec, EVENTS_LEN, HISTORY_LEN, PollState, Status};
use baltui::poll::Event;
use baltui::venues::{ErrorKind, VenueError};
use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 16, 0, 0).unwrap()
}

fn app(n: usize) -> App {
    let specs = (0..n).map(|i| spec(&format!("acc{i}"))).collect();
    App::new(specs, Thresholds::default(), t0())
}

fn spec(name: &str) -> AccountSpec {
    AccountSpec::new(
        name,
        baltui::venues::okx::KIND,
        false,
        Duration::from_secs(5),
    )
}

/// A config reload with the same accounts: the next generation.
fn reload(a: &mut App) {
    let specs = a.accounts().iter().map(|x| x.spec.clone()).collect();
    a.update(Msg::Reconfigured(Box::new(Reconfig {
        specs,
        thresholds: Thresholds::default(),
        bell: true,
        keymap: Default::default(),
        numbers: Default::default(),
        report_currency: "USD".into(),
        notes: vec![],
    })));
}

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn snap(at: DateTime<Utc>, ratio: Option<&str>) -> Snapshot {
    Snapshot {
        fetched_at: at,
        venue_time: None,
        account_mode: None,
        totals: Totals::default(),
        risk: Risk {
            margin_ratio: ratio.map(|r| r.parse().unwrap()),
            ..Risk::default()
        },
        currencies: vec![],
        wallets: Vec::new(),
        other_views: Vec::new(),
    }
}

fn polled(account: usize, at: DateTime<Utc>, result: Result<Snapshot, VenueError>) -> Msg {
    Msg::Poll(Event::Polled {
        account,
        generation: 0,
        at,
        result,
        next_poll_at: None,
    })
}

fn err(kind: ErrorKind) -> VenueError {
    VenueError::new(baltui::venues::okx::KIND, kind)
}

#[test]
fn tabs_wrap_and_digits_jump() {
    let mut a = app(3);
    assert_eq!(a.tab(), 0, "several accounts open on the All overview");
    a.update(key(KeyCode::Tab));
    assert_eq!(a.tab(), 1);
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    assert_eq!(a.tab(), 3, "wraps backwards to the last account");
    a.update(key(KeyCode::Tab));
    assert_eq!(a.tab(), 0, "wraps forwards to All");
    a.update(key(KeyCode::Char('2')));
    assert_eq!(a.tab(), 2);
    assert_eq!(a.selected(), Some(1));
    a.update(key(KeyCode::Char('9')));
    assert_eq!(a.tab(), 2, "no tab 9: ignored");
    a.update(key(KeyCode::Char('0')));
    assert_eq!(a.tab(), 0);
    assert_eq!(app(1).tab(), 1, "a single account opens on its own tab");
}

#[test]
fn refresh_quit_privacy_help() {
    let mut a = app(2);
    a.update(key(KeyCode::Char('2')));
    assert_eq!(
        a.update(key(KeyCode::Char('r'))),
        vec![Effect::Refresh(Some(1))]
    );
    assert_eq!(
        a.update(key(KeyCode::Char('R'))),
        vec![Effect::Refresh(None)]
    );
    a.update(key(KeyCode::Char('p')));
    assert!(a.privacy());
    a.update(key(KeyCode::Char('?')));
    assert!(a.show_help());
    // While help is open, digits do not switch tabs behind it; Esc closes it.
    a.update(key(KeyCode::Char('1')));
    assert_eq!(a.tab(), 2);
    a.update(key(KeyCode::Esc));
    assert!(!a.show_help());
    assert_eq!(a.update(key(KeyCode::Char('q'))), vec![Effect::Quit]);
    assert!(a.should_quit());
    let mut b = app(1);
    assert_eq!(
        b.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL
        ))),
        vec![Effect::Quit]
    );
}

#[test]
fn scrolling_is_clamped() {
    let mut a = app(1);
    let mut s = snap(t0(), None);
    for c in ["A", "B", "C"] {
        s.currencies.push(baltui::model::CurrencyBalance {
            currency: c.into(),
            ..Default::default()
        });
    }
    a.update(polled(0, t0(), Ok(s)));
    for _ in 0..10 {
        a.update(key(KeyCode::Char('j')));
    }
    assert_eq!(a.row(), 2);
    a.update(key(KeyCode::Up));
    assert_eq!(a.row(), 1);
}

/// The screen's own effects: title and bell (every transition is also logged).
fn screen_fx(fx: Vec<Effect>) -> Vec<Effect> {
    fx.into_iter()
        .filter(|e| !matches!(e, Effect::LogTransition(_)))
        .collect()
}

#[test]
fn rising_severity_rings_once_and_sets_title() {
    let mut a = app(2);
    let fx = screen_fx(a.update(polled(0, t0(), Ok(snap(t0(), Some("5"))))));
    assert!(fx.is_empty(), "ok stays quiet: {fx:?}");
    let fx = screen_fx(a.update(polled(0, t0(), Ok(snap(t0(), Some("2.5"))))));
    assert_eq!(
        fx,
        vec![Effect::SetTitle("baltui: 1 warn".into()), Effect::Bell]
    );
    let fx = screen_fx(a.update(polled(0, t0(), Ok(snap(t0(), Some("2.4"))))));
    assert!(fx.is_empty(), "still warn: no second bell: {fx:?}");
    let fx = screen_fx(a.update(polled(0, t0(), Ok(snap(t0(), Some("1.2"))))));
    assert_eq!(
        fx,
        vec![Effect::SetTitle("baltui: 1 critical".into()), Effect::Bell]
    );
    let fx = screen_fx(a.update(polled(0, t0(), Ok(snap(t0(), Some("4"))))));
    assert_eq!(
        fx,
        vec![Effect::SetTitle("baltui: ok; was 1 critical".into())],
        "clearing retitles (counting the cleared critical until acknowledged), no bell"
    );
    // A reload turns the bell off (same accounts: they keep their state).
    a.update(Msg::Reconfigured(Box::new(Reconfig {
        specs: vec![spec("acc0"), spec("acc1")],
        thresholds: Thresholds::default(),
        bell: false,
        keymap: Default::default(),
        numbers: Default::default(),
        report_currency: "USD".into(),
        notes: vec![],
    })));
    assert!(!a.bell());
    let fx = screen_fx(a.update(Msg::Poll(Event::Polled {
        account: 1,
        generation: 1,
        at: t0(),
        result: Ok(snap(t0(), Some("1"))),
        next_poll_at: None,
    })));
    assert_eq!(
        fx,
        vec![Effect::SetTitle(
            "baltui: 1 critical; was 1 critical".into()
        )],
        "bell = false"
    );
    let texts: Vec<&str> = a.events().iter().map(|e| e.text.as_str()).collect();
    assert!(texts.contains(&"margin ratio 250% below 300%"), "{texts:?}");
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("cleared (was CRITICAL): margin ratio")),
        "{texts:?}"
    );
}

#[test]
fn errors_set_state_and_keep_old_numbers() {
    let mut a = app(1);
    a.update(polled(0, t0(), Ok(snap(t0(), Some("5")))));
    a.update(polled(
        0,
        t0(),
        Err(err(ErrorKind::RateLimited {
            code: "50011".into(),
            message: "x".into(),
        })),
    ));
    assert_eq!(a.accounts()[0].poll, PollState::RateLimited);
    assert_eq!(
        a.accounts()[0].status(t0(), a.thresholds()),
        Status::RateLimited
    );
    assert!(a.accounts()[0].snapshot.is_some(), "last good numbers kept");
    let fx = a.update(polled(
        0,
        t0(),
        Err(err(ErrorKind::Auth {
            code: "50113".into(),
            message: "bad sign".into(),
        })),
    ));
    assert_eq!(
        a.accounts()[0].status(t0(), a.thresholds()),
        Status::AuthFailed
    );
    assert!(
        fx.contains(&Effect::Bell),
        "auth failure is critical: {fx:?}"
    );
    assert_eq!(
        a.accounts()[0].last_error.as_deref(),
        Some("OKX: authentication failed (code 50113: bad sign)")
    );
    assert_eq!(a.events()[0].severity, Severity::Critical);
    a.update(polled(0, t0(), Ok(snap(t0(), Some("5")))));
    assert_eq!(a.accounts()[0].poll, PollState::Ok);
    assert_eq!(a.accounts()[0].last_error, None);
    assert_eq!(a.events()[0].text, "recovered");
}

#[test]
fn stale_after_three_intervals_by_the_clock_alone() {
    let mut a = app(1);
    a.update(polled(0, t0(), Ok(snap(t0(), None))));
    a.update(Msg::Tick(t0() + chrono::Duration::seconds(15)));
    assert_eq!(
        a.accounts()[0].status(a.now(), a.thresholds()),
        Status::Ok,
        "15 s = 3 x 5 s: not yet"
    );
    let fx = a.update(Msg::Tick(t0() + chrono::Duration::seconds(16)));
    assert_eq!(
        a.accounts()[0].status(a.now(), a.thresholds()),
        Status::Stale
    );
    assert!(
        fx.contains(&Effect::SetTitle("baltui: 1 warn".into())),
        "{fx:?}"
    );
}

#[test]
fn replies_from_an_old_generation_are_dropped() {
    let mut a = app(1);
    reload(&mut a);
    reload(&mut a);
    assert_eq!(a.generation(), 2);
    let fx = a.update(Msg::Poll(Event::Polled {
        account: 0,
        generation: 1,
        at: t0(),
        result: Ok(snap(t0(), Some("1"))),
        next_poll_at: None,
    }));
    assert!(fx.is_empty());
    assert!(a.accounts()[0].snapshot.is_none());
    let fx = a.update(Msg::Poll(Event::Polled {
        account: 7,
        generation: 2,
        at: t0(),
        result: Ok(snap(t0(), None)),
        next_poll_at: None,
    }));
    assert!(
        fx.is_empty(),
        "unknown account index is ignored, not a panic"
    );
}

#[test]
fn history_and_events_are_bounded() {
    let mut a = app(1);
    for i in 0..(HISTORY_LEN + 50) {
        // alternate warn/ok so every poll logs an event
        let r = if i % 2 == 0 { "2" } else { "5" };
        a.update(polled(0, t0(), Ok(snap(t0(), Some(r)))));
    }
    assert_eq!(a.accounts()[0].margin_history.len(), HISTORY_LEN);
    assert_eq!(
        a.accounts()[0].margin_history.back(),
        Some(&"5".parse().unwrap())
    );
    for _ in 0..EVENTS_LEN {
        a.update(polled(0, t0(), Ok(snap(t0(), Some("2")))));
        a.update(polled(0, t0(), Ok(snap(t0(), Some("5")))));
    }
    assert_eq!(a.events().len(), EVENTS_LEN);
}

#[test]
fn discovery_names_tabs_and_adds_accounts_once() {
    use baltui::venues::Discovered;
    let mut a = App::new(
        vec![AccountSpec::new(
            "wb-hk",
            baltui::venues::webull::KIND,
            false,
            Duration::from_secs(5),
        )],
        Thresholds::default(),
        t0(),
    );
    let found = |ids: &[&str]| -> Vec<Discovered> {
        ids.iter()
            .map(|id| Discovered {
                id: format!("ID{id}"),
                label: format!("5MV{id}"),
            })
            .collect()
    };
    let fx = a.update(Msg::Poll(Event::Discovered {
        account: 0,
        generation: 0,
        found: found(&["1", "2"]),
    }));
    assert_eq!(
        fx,
        vec![Effect::AddAccount {
            parent: 0,
            index: 1,
            account_id: "ID2".into()
        }]
    );
    let names: Vec<&str> = a.accounts().iter().map(|x| x.spec.name.as_str()).collect();
    assert_eq!(names, ["wb-hk/5MV1", "wb-hk/5MV2"]);
    assert_eq!(a.accounts()[0].spec.account_id.as_deref(), Some("ID1"));
    assert_eq!(a.accounts()[1].spec.discovered_from, Some(0));
    assert_eq!(
        a.events()[0].text,
        "account discovery: 2 account(s): 5MV1, 5MV2"
    );
    // A manual refresh discovers again: only the new account is added.
    let fx = a.update(Msg::Poll(Event::Discovered {
        account: 0,
        generation: 0,
        found: found(&["1", "2", "3"]),
    }));
    assert_eq!(
        fx,
        vec![Effect::AddAccount {
            parent: 0,
            index: 2,
            account_id: "ID3".into()
        }]
    );
    assert_eq!(a.accounts()[2].spec.name, "wb-hk/5MV3");
    let fx = a.update(Msg::Poll(Event::Discovered {
        account: 0,
        generation: 0,
        found: found(&["1", "2", "3"]),
    }));
    assert!(fx.is_empty(), "nothing new, nothing added");
    assert_eq!(a.accounts().len(), 3);
    // A new plan for a slowed account is applied and said.
    a.update(Msg::Planned {
        account: 1,
        interval: Duration::from_secs(6),
        note: Some("interval raised to 6s: the rate budget is shared by 3 accounts".into()),
    });
    assert_eq!(a.accounts()[1].spec.poll_interval, Duration::from_secs(6));
    assert_eq!(a.events()[0].account, "wb-hk/5MV2");
    // An old generation's discovery is dropped. After a reload (generation 1)
    // the app key's account is configured as before and discovers afresh.
    a.update(Msg::Reconfigured(Box::new(Reconfig {
        specs: vec![AccountSpec::new(
            "wb-hk",
            baltui::venues::webull::KIND,
            false,
            Duration::from_secs(5),
        )],
        thresholds: Thresholds::default(),
        bell: true,
        keymap: Default::default(),
        numbers: Default::default(),
        report_currency: "USD".into(),
        notes: vec![],
    })));
    assert_eq!(a.generation(), 1);
    assert!(
        a.update(Msg::Poll(Event::Discovered {
            account: 0,
            generation: 0,
            found: found(&["9"])
        }))
        .is_empty()
    );
    let names: Vec<&str> = a.accounts().iter().map(|x| x.spec.name.as_str()).collect();
    assert_eq!(
        names,
        ["wb-hk"],
        "neither renamed nor added by the old reply"
    );
    assert_eq!(a.accounts()[0].spec.account_id, None);
}

fn with_rows(app: &mut App, i: usize, rows: &[(&str, Option<&str>)]) {
    let mut s = snap(t0(), None);
    for (c, cash) in rows {
        s.currencies.push(baltui::model::CurrencyBalance {
            currency: (*c).into(),
            cash: cash.map(|v| v.parse().unwrap()),
            ..Default::default()
        });
    }
    app.update(polled(i, t0(), Ok(s)));
}

#[test]
fn paging_top_bottom_are_clamped() {
    let mut a = app(1);
    let names: Vec<String> = (0..25).map(|i| format!("C{i:02}")).collect();
    let rows: Vec<(&str, Option<&str>)> = names.iter().map(|n| (n.as_str(), Some("1"))).collect();
    with_rows(&mut a, 0, &rows);
    a.update(key(KeyCode::PageDown));
    assert_eq!(a.row(), 10);
    a.update(key(KeyCode::PageDown));
    a.update(key(KeyCode::PageDown));
    assert_eq!(a.row(), 24, "clamped to the last row");
    a.update(key(KeyCode::Char('g')));
    assert_eq!(a.row(), 0);
    a.update(key(KeyCode::Char('G')));
    assert_eq!(a.row(), 24);
    a.update(key(KeyCode::PageUp));
    assert_eq!(a.row(), 14);
    a.update(key(KeyCode::Tab));
    assert_eq!(a.row(), 0, "a new tab starts at its first row");
}

#[test]
fn sort_cycles_and_zero_rows_hide() {
    let mut a = app(1);
    with_rows(
        &mut a,
        0,
        &[
            ("BTC", Some("2")),
            ("ETH", Some("0")),
            ("USDT", Some("150.5")),
            ("XRP", None),
        ],
    );
    let order = |a: &App| {
        a.rows(0)
            .iter()
            .map(|c| c.currency.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(order(&a), ["BTC", "ETH", "USDT", "XRP"], "by currency");
    a.update(key(KeyCode::Char('s')));
    assert_eq!(a.sort(), baltui::app::SortColumn::Cash);
    assert_eq!(
        order(&a),
        ["USDT", "BTC", "ETH", "XRP"],
        "largest cash first, absent last"
    );
    a.update(key(KeyCode::Char('G')));
    assert_eq!(a.row(), 3);
    a.update(key(KeyCode::Char('z')));
    assert!(a.hide_zero());
    assert_eq!(
        order(&a),
        ["USDT", "BTC"],
        "ETH (0) and XRP (absent) hidden"
    );
    assert_eq!(a.row(), 1, "selection moved onto a row that still exists");
    for _ in 0..6 {
        a.update(key(KeyCode::Char('s')));
    }
    assert_eq!(
        a.sort(),
        baltui::app::SortColumn::Currency,
        "the cycle wraps"
    );
    a.update(key(KeyCode::Char('e')));
    assert!(!a.show_events());
    a.update(key(KeyCode::Char('e')));
    assert!(a.show_events());
}

#[test]
fn overview_is_ordered_by_severity_and_enter_opens() {
    let mut a = app(3);
    a.update(polled(0, t0(), Ok(snap(t0(), Some("5")))));
    a.update(polled(1, t0(), Ok(snap(t0(), Some("1.2")))));
    a.update(polled(2, t0(), Ok(snap(t0(), Some("2.5")))));
    assert_eq!(a.overview_order(), [1, 2, 0], "critical, warn, ok");
    a.update(key(KeyCode::Down));
    a.update(key(KeyCode::Enter));
    assert_eq!(a.tab(), 3, "the second row (acc2, warn) opened");
    a.update(key(KeyCode::Enter));
    assert_eq!(a.tab(), 3, "Enter does nothing on an account tab");
}

#[test]
fn mouse_actions_and_tab_clicks() {
    use baltui::keymap::Action;
    let mut a = app(3);
    a.update(Msg::Action(Action::GoTab(2)));
    assert_eq!(a.tab(), 2);
    a.update(key(KeyCode::Char('?')));
    assert!(a.show_help());
    a.update(Msg::Action(Action::GoTab(1)));
    assert_eq!(a.tab(), 2, "clicks do nothing behind the help popup");
    a.update(key(KeyCode::Esc));
    assert!(!a.show_help());
    // Tabs row: " 0 All │ 1 ✓ acc0 │ 2 ✓ acc1 │ 3 ✓ acc2 │"
    let click = |a: &App, x| baltui::ui::tabs::click(a, 120, 40, x, 0);
    assert_eq!(click(&a, 1), Some(0));
    assert_eq!(click(&a, 10), Some(1));
    assert_eq!(click(&a, 20), Some(2));
    assert_eq!(click(&a, 110), None, "past the last tab");
    assert_eq!(
        baltui::ui::tabs::click(&a, 120, 40, 10, 5),
        None,
        "not the tabs row"
    );
    assert_eq!(
        baltui::ui::tabs::click(&a, 29, 7, 10, 0),
        None,
        "too small a window has no tabs"
    );
    let a = app(3).with_banner(Some("DEMO".into()));
    assert_eq!(
        baltui::ui::tabs::click(&a, 120, 40, 10, 1),
        Some(1),
        "under the banner"
    );
}

#[test]
fn reload_keeps_unchanged_accounts_and_drops_old_replies() {
    let mut a = app(2);
    a.update(polled(0, t0(), Ok(snap(t0(), Some("5")))));
    a.update(polled(1, t0(), Ok(snap(t0(), Some("5")))));
    let spec =
        |n: &str| AccountSpec::new(n, baltui::venues::okx::KIND, false, Duration::from_secs(10));
    let fx = a.update(Msg::Reconfigured(Box::new(Reconfig {
        specs: vec![spec("new"), spec("acc1")],
        thresholds: Thresholds::default(),
        bell: false,
        keymap: Default::default(),
        numbers: Default::default(),
        report_currency: "USD".into(),
        notes: vec![("new".into(), "interval raised to 2s".into())],
    })));
    assert_eq!(fx, vec![Effect::SetTitle("baltui: ok".into())]);
    assert_eq!(a.generation(), 1);
    let names: Vec<&str> = a.accounts().iter().map(|x| x.spec.name.as_str()).collect();
    assert_eq!(names, ["new", "acc1"]);
    assert!(
        a.accounts()[0].snapshot.is_none(),
        "a new account starts loading"
    );
    assert!(a.accounts()[1].snapshot.is_some(), "acc1 keeps its numbers");
    assert_eq!(
        a.accounts()[1].spec.poll_interval,
        Duration::from_secs(10),
        "with its new settings"
    );
    assert!(!a.bell());
    assert_eq!(
        a.events()[1].text,
        "config reloaded: 1 kept, 1 added, 1 removed"
    );
    assert_eq!(a.events()[0].text, "interval raised to 2s");
    // A reply from an old poller (generation 0) for index 0 is not applied to "new".
    a.update(polled(0, t0(), Ok(snap(t0(), Some("1")))));
    assert!(a.accounts()[0].snapshot.is_none());
    let fx = a.update(Msg::ReloadFailed("cfg.toml:3: unknown field `x`".into()));
    assert!(fx.is_empty());
    assert_eq!(
        a.events()[0].text,
        "reload failed, keeping the running config: cfg.toml:3: unknown field `x`"
    );
    assert_eq!(a.update(key(KeyCode::Char('c'))), vec![Effect::Reload]);
}

/// A critical that cleared by itself leaves "was CRITICAL 16:00-16:01 (...)"
/// until acknowledged; the title keeps counting it; `a` acknowledges.
#[test]
fn a_cleared_critical_leaves_a_mark_until_acknowledged() {
    let mut a = app(2);
    let t1 = t0() + chrono::Duration::seconds(30);
    let t2 = t0() + chrono::Duration::seconds(70);
    a.update(polled(0, t0(), Ok(snap(t0(), Some("2.5")))));
    a.update(polled(0, t1, Ok(snap(t1, Some("1.32")))));
    let fx = a.update(polled(0, t2, Ok(snap(t2, Some("5")))));
    assert!(a.accounts()[0].findings.is_empty(), "cleared by itself");
    let m = a.accounts()[0].worst_mark().expect("a mark");
    assert_eq!(
        m.text(),
        "was CRITICAL 16:00-16:01 (margin ratio 132% below 150%)",
        "the worst severity and message of the episode, from its start to its end"
    );
    assert!(
        fx.contains(&Effect::SetTitle("baltui: ok; was 1 critical".into())),
        "{fx:?}"
    );
    assert_eq!(a.mark_counts(), (1, 0));
    // Acknowledging on another account's tab leaves it.
    a.update(key(KeyCode::Char('2')));
    a.update(key(KeyCode::Char('a')));
    assert_eq!(a.accounts()[0].marks.len(), 1);
    // On its own tab, `a` acknowledges it; the title says ok again.
    a.update(key(KeyCode::Char('1')));
    let fx = a.update(key(KeyCode::Char('a')));
    assert!(a.accounts()[0].marks.is_empty());
    assert_eq!(fx, vec![Effect::SetTitle("baltui: ok".into())]);
    assert!(
        a.events()
            .iter()
            .any(|e| e.text == "acknowledged 1 cleared warning")
    );
    // A warning still under way is no mark; the All tab acknowledges all.
    a.update(polled(1, t2, Ok(snap(t2, Some("1.2")))));
    a.update(polled(0, t2, Ok(snap(t2, Some("2")))));
    a.update(polled(0, t2, Ok(snap(t2, Some("9")))));
    assert!(
        a.accounts()[1].marks.is_empty(),
        "still critical: not a mark"
    );
    assert_eq!(a.accounts()[0].marks.len(), 1);
    a.update(key(KeyCode::Char('0')));
    a.update(key(KeyCode::Char('a')));
    assert!(a.accounts().iter().all(|x| x.marks.is_empty()));
}

// ---- The history chart's reads, last known values, an attached monitor ----

fn history_of(a: &[Effect]) -> Vec<(String, baltui::app::HistoryRange, DateTime<Utc>)> {
    a.iter()
        .filter_map(|e| match e {
            Effect::LoadHistory {
                account,
                range,
                from,
                to,
            } => {
                assert_eq!(*to - *from, range.span(), "the range to now");
                Some((account.clone(), *range, *to))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn history_is_asked_when_a_tab_opens_and_when_its_range_changes() {
    use baltui::app::HistoryRange::{Day, Hour, Week};
    let mut a = app(2).with_history(true);
    assert!(
        history_of(&a.update(Msg::Tick(t0()))).is_empty(),
        "All: no chart"
    );
    assert_eq!(
        history_of(&a.update(key(KeyCode::Char('2')))),
        [("acc1".to_string(), Day, t0())]
    );
    // Pressing the open tab again asks nothing new.
    assert!(history_of(&a.update(key(KeyCode::Char('2')))).is_empty());
    let h = || Msg::Key(KeyEvent::new(KeyCode::Char('H'), KeyModifiers::SHIFT));
    assert_eq!(
        history_of(&a.update(h())),
        [("acc1".to_string(), Week, t0())]
    );
    assert_eq!(
        history_of(&a.update(h())),
        [("acc1".to_string(), Hour, t0())]
    );
    // Another tab, then back: each opening asks (the range is kept).
    assert_eq!(
        history_of(&a.update(key(KeyCode::Char('1')))),
        [("acc0".to_string(), Hour, t0())]
    );
    assert!(history_of(&a.update(key(KeyCode::Char('0')))).is_empty());
    assert_eq!(
        history_of(&a.update(key(KeyCode::Char('1')))),
        [("acc0".to_string(), Hour, t0())]
    );
    // The range key does nothing on All.
    a.update(key(KeyCode::Char('0')));
    assert!(a.update(h()).is_empty());
    assert_eq!(a.history_range(), Hour);
}

#[test]
fn history_is_asked_again_after_polls_of_the_viewed_account_at_most_every_10s() {
    let mut a = app(2).with_history(true);
    a.update(key(KeyCode::Char('1')));
    let at = |s: i64| t0() + chrono::Duration::seconds(s);
    let ask = |a: &mut App, acc: usize, s: i64| {
        history_of(&a.update(polled(acc, at(s), Ok(snap(at(s), Some("3"))))))
    };
    assert!(ask(&mut a, 0, 5).is_empty(), "5 s after the last ask");
    assert!(ask(&mut a, 0, 9).is_empty());
    assert_eq!(
        ask(&mut a, 0, 10),
        [("acc0".to_string(), Default::default(), at(10))]
    );
    // The other account's polls are not on this chart.
    assert!(ask(&mut a, 1, 30).is_empty());
    // Ticks alone never ask.
    assert!(history_of(&a.update(Msg::Tick(at(60)))).is_empty());
    assert_eq!(ask(&mut a, 0, 61).len(), 1);
}

#[test]
fn without_a_store_history_is_never_asked_and_the_pane_is_off() {
    let mut a = app(2);
    let mut fx = a.update(key(KeyCode::Char('1')));
    fx.extend(a.update(polled(
        0,
        t0() + chrono::Duration::seconds(30),
        Ok(snap(t0(), Some("3"))),
    )));
    fx.extend(a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('H'),
        KeyModifiers::SHIFT,
    ))));
    assert!(history_of(&fx).is_empty(), "{fx:?}");
    assert_eq!(a.history(), baltui::app::History::Off);
}

#[test]
fn a_history_answer_shows_only_on_its_account_and_range() {
    use baltui::app::{History, HistoryRange};
    let mut a = app(2).with_history(true);
    a.update(key(KeyCode::Char('1')));
    assert_eq!(a.history(), History::Loading);
    let series = |acc: &str| baltui::model::Series {
        account: acc.into(),
        from: None,
        to: None,
        points: vec![],
    };
    // A late answer for the other tab is not this tab's chart.
    a.update(Msg::History {
        account: "acc1".into(),
        range: HistoryRange::Day,
        result: Ok(series("acc1")),
    });
    assert_eq!(a.history(), History::Loading);
    a.update(Msg::History {
        account: "acc0".into(),
        range: HistoryRange::Day,
        result: Ok(series("acc0")),
    });
    assert_eq!(a.history(), History::Loaded(&series("acc0")));
    a.update(Msg::History {
        account: "acc0".into(),
        range: HistoryRange::Day,
        result: Err("disk I/O error".into()),
    });
    assert_eq!(a.history(), History::Failed("disk I/O error"));
}

#[test]
fn last_known_values_fill_only_accounts_no_poll_answered_yet() {
    let mut a = app(2);
    let old = t0() - chrono::Duration::hours(3);
    a.update(polled(1, t0(), Ok(snap(t0(), Some("4")))));
    a.update(Msg::Restored(Ok(vec![
        ("acc0".into(), snap(old, Some("2"))),
        ("acc1".into(), snap(old, Some("9"))),
        ("gone".into(), snap(old, Some("9"))),
    ])));
    let ratio = |a: &App, i: usize| {
        a.accounts()[i]
            .snapshot
            .as_ref()
            .and_then(|s| s.risk.margin_ratio)
    };
    assert_eq!(ratio(&a, 0), Some("2".parse().unwrap()));
    assert_eq!(
        a.accounts()[0].status(a.now(), a.thresholds()),
        Status::Loading
    );
    assert_eq!(ratio(&a, 1), Some("4".parse().unwrap()), "the poll wins");
    // A store that cannot be read says so in the events.
    a.update(Msg::Restored(Err("file is not a database".into())));
    let e = &a.events()[0];
    assert_eq!(e.severity, Severity::Warn);
    assert!(e.text.contains("file is not a database"), "{}", e.text);
}

fn mirror(name: &str, ratio: &str) -> baltui::monitor::Mirror {
    baltui::monitor::Mirror {
        spec: spec(name),
        poll: PollState::Ok,
        last_error: None,
        snapshot: Some(snap(t0(), Some(ratio))),
        findings: Vec::new(),
        last_attempt_at: Some(t0()),
        next_poll_at: None,
        marks: Vec::new(),
    }
}

fn state(accounts: Vec<baltui::monitor::Mirror>) -> Msg {
    Msg::Attach(baltui::attach::Update::State {
        accounts,
        generated_at: t0(),
    })
}

#[test]
fn an_attached_monitor_mirrors_the_service_and_refreshes_through_it() {
    use baltui::app::Link;
    let mut a = App::new(Vec::new(), Thresholds::default(), t0()).with_attached("127.0.0.1:9477");
    assert_eq!(a.attached().unwrap().link, Link::Connecting);
    a.update(Msg::Attach(baltui::attach::Update::Connected {
        host: "127.0.0.1:9477".into(),
    }));
    assert_eq!(a.attached().unwrap().link, Link::Connected);
    a.update(state(vec![mirror("a", "3"), mirror("b", "3")]));
    let names = |a: &App| {
        a.accounts()
            .iter()
            .map(|x| x.spec.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&a), ["a", "b"]);
    a.update(key(KeyCode::Char('2')));
    // Refresh keys ask the service, by name; nothing is polled here.
    assert_eq!(
        a.update(key(KeyCode::Char('r'))),
        [Effect::RefreshService(Some("b".into()))]
    );
    assert_eq!(
        a.update(key(KeyCode::Char('R'))),
        [Effect::RefreshService(None)]
    );
    // The config is the service's: no reload here, and the screen says why.
    assert!(a.update(key(KeyCode::Char('c'))).is_empty());
    assert!(
        a.events()[0].text.contains(
            "the service at 127.0.0.1:9477 owns the config: reload it there (send it SIGUSR1)"
        ),
        "{}",
        a.events()[0].text
    );
    // Its events join the log.
    a.update(Msg::Attach(baltui::attach::Update::Event(
        baltui::monitor::EventLine {
            at: t0(),
            account: "a".into(),
            severity: Severity::Warn,
            text: "rate limited by OKX".into(),
        },
    )));
    assert_eq!(a.events()[0].text, "rate limited by OKX");
    // An account gone from the service goes here too; the open tab stays in range.
    a.update(state(vec![mirror("a", "3")]));
    assert_eq!(names(&a), ["a"]);
    assert!(a.tab() <= 1, "tab {}", a.tab());
    // Lost: logged once per outage, however many retries.
    let before = a.events().len();
    for _ in 0..3 {
        a.update(Msg::Attach(baltui::attach::Update::Lost {
            error: "connection refused".into(),
            retry_in: Duration::from_secs(5),
        }));
    }
    assert_eq!(a.events().len(), before + 1);
    assert!(matches!(a.attached().unwrap().link, Link::Lost { .. }));
    // The accounts and their values stay.
    assert_eq!(names(&a), ["a"]);
}

#[test]
fn a_monitor_not_attached_ignores_service_messages() {
    let mut a = app(1);
    a.update(state(vec![mirror("x", "3")]));
    assert_eq!(a.accounts()[0].spec.name, "acc0");
    assert_eq!(
        a.update(key(KeyCode::Char('r'))),
        [Effect::Refresh(Some(0))]
    );
}

#[test]
fn the_trend_is_asked_on_the_all_tab_every_few_minutes_with_a_store() {
    let trends = |fx: &[Effect]| {
        fx.iter()
            .filter_map(|e| match e {
                Effect::LoadTrend { accounts, at } => Some((accounts.clone(), *at)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let at = |m: i64| t0() + chrono::Duration::minutes(m);
    let mut a = app(2).with_history(true);
    assert_eq!(
        trends(&a.update(Msg::Tick(at(0)))),
        [(
            vec!["acc0".to_string(), "acc1".to_string()],
            at(0) - chrono::Duration::hours(24)
        )]
    );
    assert!(trends(&a.update(Msg::Tick(at(4)))).is_empty());
    assert_eq!(trends(&a.update(Msg::Tick(at(5)))).len(), 1);
    // Not while an account tab is open; none without a store.
    a.update(key(KeyCode::Char('1')));
    assert!(trends(&a.update(Msg::Tick(at(20)))).is_empty());
    let mut b = app(2);
    assert!(trends(&b.update(Msg::Tick(at(0)))).is_empty());
}
