//! The keymap as data (`assets/keymap.toml` and config `[keys]` through one
//! path) and the keys offered per view: the status line and help offer a
//! key only where it acts.

use baltui::app::{App, Msg};
use baltui::config::KeyOverrides;
use baltui::health::Thresholds;
use baltui::keymap::{ACTIONS, Action, Context, Keymap, View};
use baltui::model::{CurrencyBalance, Risk, Snapshot, Totals};
use baltui::monitor::AccountSpec;
use baltui::poll::Event;
use baltui::theme::Theme;
use baltui::ui;
use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::BTreeMap;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 4, 12, 30, 45)
        .single()
        .unwrap()
}

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

/// "label desc" of every hint the status line offers in `view`.
fn hints(km: &Keymap, view: View) -> Vec<String> {
    ui::status::hints(km, view)
        .into_iter()
        .map(|(k, d)| format!("{k} {d}"))
        .collect()
}

/// "labels desc" of every binding help lists for `view`.
fn commands(km: &Keymap, view: View) -> Vec<String> {
    km.commands(view)
        .map(|b| format!("{} {}", b.all_labels(), b.description))
        .collect()
}

const ALL_TAB: View = View {
    help: false,
    tab: 0,
    tabs: 8,
    rows: 7,
    marks: false,
    detail: false,
    log: false,
    by_currency: false,
    filtered: false,
};

const ACCOUNT_TAB: View = View {
    help: false,
    tab: 2,
    tabs: 8,
    rows: 4,
    marks: false,
    detail: false,
    log: false,
    by_currency: false,
    filtered: false,
};

#[test]
fn the_builtin_keymap_parses_and_binds_every_action_once() {
    let km = Keymap::builtin().unwrap();
    // Help scrolls with the row keys: those four are bound in both contexts.
    let in_help = ["down", "up", "page_down", "page_up"];
    assert_eq!(km.bindings.len(), ACTIONS.len() + in_help.len());
    for (name, action) in ACTIONS {
        assert_eq!(action.name(), name);
        let found: Vec<_> = km
            .bindings
            .iter()
            .filter(|b| {
                b.action.name() == name && b.context == Context::Global
                    || b.action.name() == name && name == "close"
            })
            .collect();
        assert_eq!(found.len(), 1, "{name}");
        let b = found[0];
        assert_eq!(
            std::mem::discriminant(&b.action),
            std::mem::discriminant(&action)
        );
        assert!(!b.keys.is_empty() && !b.description.is_empty(), "{name}");
        // Config [keys] rebinds every action but the digits.
        assert_eq!(b.name, (name != "go_tab").then_some(name), "{name}");
        let context = if name == "close" {
            Context::Help
        } else {
            Context::Global
        };
        assert_eq!(b.context, context, "{name}");
    }
    // The file's keys, as the keymap used to be written in code.
    let g = Context::Global;
    assert_eq!(km.lookup(&key(KeyCode::Char('q')), g), Some(Action::Quit));
    assert_eq!(km.lookup(&key(KeyCode::Enter), g), Some(Action::Open));
    assert_eq!(km.lookup(&key(KeyCode::End), g), Some(Action::Bottom));
    assert_eq!(
        km.lookup(&key(KeyCode::Char('7')), g),
        Some(Action::GoTab(7))
    );
    assert_eq!(
        km.lookup(&key(KeyCode::Esc), Context::Help),
        Some(Action::CloseOverlay)
    );
    let hinted: Vec<&str> = km.hints(g).filter_map(|b| b.name).collect();
    assert_eq!(
        hinted,
        ["quit", "next_tab", "back", "refresh", "privacy", "help"]
    );
    // Default is the same keymap.
    let d = Keymap::default();
    assert_eq!(d.bindings.len(), km.bindings.len());
    assert!(
        d.bindings
            .iter()
            .zip(&km.bindings)
            .all(|(a, b)| a.keys == b.keys && a.description == b.description)
    );
}

#[test]
fn a_broken_keymap_file_is_an_error_naming_file_and_line() {
    let err = |entry: &str| {
        let text = format!("# keys\n[global]\nkeymap = [\n  {entry},\n]\n");
        Keymap::from_toml(&text, "k.toml").unwrap_err()
    };
    let e = err(r#"{ on = ["q"], run = "qiut", desc = "quit" }"#);
    assert!(
        e.starts_with("k.toml:4: [global]: unknown action `qiut`; expected one of close, quit,"),
        "{e}"
    );
    assert!(e.contains("go_tab"), "the file may bind the digits: {e}");
    let e = err(r#"{ on = ["ctrl-"], run = "quit", desc = "quit" }"#);
    assert!(
        e.starts_with("k.toml:4: [global]: `quit`: \"ctrl-\" is not a key"),
        "{e}"
    );
    let e = err(r#"{ on = [], run = "quit", desc = "quit" }"#);
    assert_eq!(e, "k.toml:4: [global]: `quit` needs at least one key");
    let e = err(r#"{ on = ["q"], run = "quit" }"#);
    assert!(e.starts_with("k.toml:4: ") && e.contains("desc"), "{e}");
    let e = err(r#"{ on = ["q"], run = "quit", desc = "quit", color = "red" }"#);
    assert!(e.starts_with("k.toml:4: ") && e.contains("color"), "{e}");
    let e = err(
        r#"{ on = ["q"], run = "quit", desc = "quit" }, { on = ["x"], run = "quit", desc = "x" }"#,
    );
    assert_eq!(e, "k.toml:4: [global]: `quit` is bound twice");
    let e = err(
        r#"{ on = ["q"], run = "quit", desc = "quit" }, { on = ["q"], run = "help", desc = "help" }"#,
    );
    assert_eq!(
        e,
        "k.toml:4: [global]: q is bound to both `quit` and `help`"
    );
    let e = Keymap::from_toml("[global]\nkeymap = [\n", "k.toml").unwrap_err();
    assert!(e.starts_with("k.toml:"), "{e}");
    let e = Keymap::from_toml("[main]\nkeymap = []\n", "k.toml").unwrap_err();
    assert!(e.starts_with("k.toml:1: ") && e.contains("main"), "{e}");
    // A good file in the same shape.
    let km = Keymap::from_toml(
        "[global]\nkeymap = [{ on = [\"x\", \"ctrl-x\"], run = \"quit\", desc = \"leave\", hint = true }]\n",
        "k.toml",
    )
    .unwrap();
    assert_eq!(km.bindings.len(), 1);
    assert_eq!(km.bindings[0].all_labels(), "x C-x");
    assert_eq!(km.bindings[0].description, "leave");
    assert!(km.bindings[0].hint);
}

#[test]
fn a_config_override_replaces_the_default_keys_and_the_hints_follow() {
    let mut table = BTreeMap::new();
    table.insert("refresh".to_string(), vec!["ctrl-r".to_string()]);
    table.insert("close".to_string(), vec!["x".to_string()]);
    let keys = KeyOverrides {
        file: "cfg.toml".into(),
        table,
        lines: BTreeMap::new(),
    };
    let km = Keymap::from_config(&keys).unwrap();
    let g = Context::Global;
    assert_eq!(km.lookup(&key(KeyCode::Char('r')), g), None, "r is free");
    assert_eq!(
        km.lookup(&KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL), g),
        Some(Action::Refresh)
    );
    assert_eq!(
        km.lookup(&key(KeyCode::Char('x')), Context::Help),
        Some(Action::CloseOverlay)
    );
    assert_eq!(km.lookup(&key(KeyCode::Esc), Context::Help), None);
    // Everything else as built in.
    assert_eq!(
        km.lookup(&key(KeyCode::Char('R')), g),
        Some(Action::RefreshAll)
    );
    let refresh = km.bindings.iter().find(|b| b.name == Some("refresh"));
    assert_eq!(
        refresh.map(|b| b.description.as_str()),
        Some("refresh this account now (within its rate budget)")
    );
    assert!(hints(&km, ACCOUNT_TAB).contains(&"C-r refresh this account now".to_string()));
    assert_eq!(
        hints(
            &km,
            View {
                help: true,
                ..ACCOUNT_TAB
            }
        ),
        ["x close help"]
    );
    // The digits are not config's to rebind, as before.
    let mut table = BTreeMap::new();
    table.insert("go_tab".to_string(), vec!["x".to_string()]);
    let mut lines = BTreeMap::new();
    lines.insert("go_tab".to_string(), 7);
    let e = Keymap::from_config(&KeyOverrides {
        file: "cfg.toml".into(),
        table,
        lines,
    })
    .unwrap_err();
    assert!(
        e.starts_with("cfg.toml:7: [keys]: unknown action `go_tab`; expected one of close, quit, next_tab, prev_tab, down,"),
        "{e}"
    );
}

#[test]
fn the_status_line_offers_exactly_the_hinted_keys_that_act_per_view() {
    let km = Keymap::default();
    // All tab: no "refresh this account" (there is none).
    assert_eq!(
        hints(&km, ALL_TAB),
        [
            "? help",
            "q quit",
            "Tab next tab",
            "0-9 go to tab",
            "p privacy: mask every amount"
        ]
    );
    assert_eq!(
        hints(&km, ACCOUNT_TAB),
        [
            "? help",
            "q quit",
            "Tab next tab",
            "0-9 go to tab",
            "r refresh this account now",
            "p privacy: mask every amount"
        ]
    );
    // Help open: only its own keys act.
    assert_eq!(
        hints(
            &km,
            View {
                help: true,
                ..ALL_TAB
            }
        ),
        ["Esc close help"]
    );
    // No accounts at all: no tabs to go to.
    assert_eq!(
        hints(
            &km,
            View {
                help: false,
                tab: 0,
                tabs: 1,
                rows: 0,
                marks: false,
                ..View::default()
            }
        ),
        ["? help", "q quit", "p privacy: mask every amount"]
    );
}

#[test]
fn help_lists_exactly_the_keys_that_act_per_view() {
    let km = Keymap::default();
    let always = [
        "q C-c quit",
        "e show or hide the events pane",
        "p privacy: mask every amount",
        "? help",
        "c re-read the config file (also SIGUSR1)",
    ];
    let rows = [
        "j ↓ next row",
        "k ↑ previous row",
        "PgDn ten rows down",
        "PgUp ten rows up",
        "g Home first row",
        "G End last row",
    ];
    let tabs = [
        "Tab → l next tab",
        "S-Tab ← h previous tab",
        "0-9 go to tab (0 = All)",
    ];
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let expect = |groups: &[&[&str]]| {
        sorted(
            groups
                .iter()
                .flat_map(|g| g.iter().map(|s| s.to_string()))
                .collect(),
        )
    };
    let open = "Enter open the selected account (All tab) or the selected currency's detail";
    let refresh = "r refresh this account now (within its rate budget)";
    let refresh_all = "R refresh every account";
    let sort = "s sort by the next column (per tab; on All, the accounts)";
    let reverse = "S reverse the sort";
    let log = "E the events log, full screen (last 1,000 events)";
    let filter = "/ filter the All tab's accounts (type, Enter keeps, Esc clears)";
    let pick = "o open an account by name (type to filter)";
    let by_ccy = "t totals per currency across accounts (All tab)";
    let zero = "z hide or show all-zero rows";
    let history = "H history range (the account tab's chart: 1h, 24h, 7d)";
    let ack = "a acknowledge cleared warnings (\"was CRITICAL ...\"; on All: every account's)";

    assert_eq!(
        sorted(commands(&km, ALL_TAB)),
        expect(&[
            &always,
            &rows,
            &tabs,
            &[open, refresh_all, sort, reverse, log, filter, pick, by_ccy]
        ])
    );
    // One account on All: Enter opens it, but there is no row to move to.
    assert_eq!(
        sorted(commands(
            &km,
            View {
                tabs: 2,
                rows: 1,
                ..ALL_TAB
            }
        )),
        expect(&[
            &always,
            &tabs,
            &[open, refresh_all, sort, reverse, log, filter, by_ccy]
        ])
    );
    assert_eq!(
        sorted(commands(&km, ACCOUNT_TAB)),
        expect(&[
            &always,
            &rows,
            &tabs,
            &[
                open,
                refresh,
                refresh_all,
                sort,
                reverse,
                zero,
                history,
                log,
                pick
            ]
        ])
    );
    // A cleared warning to acknowledge; an account without balances.
    assert_eq!(
        sorted(commands(
            &km,
            View {
                rows: 0,
                marks: true,
                ..ACCOUNT_TAB
            }
        )),
        expect(&[
            &always,
            &tabs,
            &[
                refresh,
                refresh_all,
                sort,
                reverse,
                zero,
                history,
                ack,
                log,
                pick
            ]
        ])
    );
    assert_eq!(
        commands(
            &km,
            View {
                help: true,
                ..ACCOUNT_TAB
            }
        ),
        [
            "Esc ? q close help",
            "j ↓ scroll down",
            "k ↑ scroll up",
            "PgDn scroll ten lines down",
            "PgUp scroll ten lines up"
        ]
    );

    // The overlay over an account tab: its keys, then help's own.
    let text: Vec<String> = ui::help::lines_in(&km, ACCOUNT_TAB, &Theme::mono())
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    assert_eq!(text[0], "On this account's tab");
    assert!(text.iter().any(|l| l.ends_with("  refresh every account")));
    assert!(text.iter().any(|l| {
        l.ends_with("  open the selected account (All tab) or the selected currency's detail")
    }));
    let close = text.iter().position(|l| l == "In this help").unwrap();
    assert!(text[close + 1].ends_with("  close help"), "{text:?}");
    // 23 keys here, help's 5, and the two legend lines.
    assert_eq!(
        text.iter().filter(|l| l.starts_with("  ")).count(),
        23 + 5 + 2
    );
}

fn snapshot(at: DateTime<Utc>, ratio: &str) -> Snapshot {
    let d = |s: &str| Some(s.parse().unwrap());
    let ccy = |c: &str| CurrencyBalance {
        currency: c.into(),
        cash: d("1.5"),
        available: d("1.5"),
        equity: d("1.5"),
        ..CurrencyBalance::default()
    };
    Snapshot {
        fetched_at: at,
        venue_time: None,
        account_mode: None,
        totals: Totals {
            currency: Some("USD".into()),
            net_assets: d("100"),
            ..Totals::default()
        },
        risk: Risk {
            margin_ratio: d(ratio),
            ..Risk::default()
        },
        currencies: vec![ccy("USDT"), ccy("BTC")],
        wallets: Vec::new(),
        other_views: Vec::new(),
    }
}

fn poll(app: &mut App, account: usize, ratio: &str) {
    let generation = app.generation();
    app.update(Msg::Poll(Event::Polled {
        account,
        generation,
        at: now(),
        result: Ok(snapshot(now(), ratio)),
        next_poll_at: Some(now() + Duration::seconds(5)),
    }));
}

/// The last row's text and its buffer.
fn status_row(app: &App, w: u16, h: u16) -> (String, ratatui::buffer::Buffer) {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| ui::render(f, app, &Theme::color())).unwrap();
    let buf = term.backend().buffer().clone();
    let y = h - 1;
    let text = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
    (text, buf)
}

#[test]
fn the_hint_bar_follows_the_open_tab() {
    let spec = |n: &str| {
        AccountSpec::new(
            n,
            baltui::venues::okx::KIND,
            false,
            std::time::Duration::from_secs(5),
        )
    };
    let mut app = App::new(vec![spec("a"), spec("b")], Thresholds::default(), now());
    poll(&mut app, 0, "5");
    poll(&mut app, 1, "5");
    let (w, h) = (160, 30);
    let accent = Theme::color().accent;

    let (all, buf) = status_row(&app, w, h);
    assert!(
        all.starts_with(
            "? help · q quit · Tab next tab · 0-9 go to tab · p privacy: mask every amount "
        ),
        "{all}"
    );
    assert!(!all.contains("refresh"), "{all}");
    // Keys in the accent style, their words not. Every char here is one
    // cell ("·" too), but not one byte: columns count chars.
    let col =
        |needle: &str| u16::try_from(all[..all.find(needle).unwrap()].chars().count()).unwrap();
    let style = |x: u16| buf[(x, h - 1)].style();
    assert_eq!(style(0).fg, accent.fg);
    assert_eq!(style(col("q quit")).fg, accent.fg);
    assert_ne!(style(col("quit")).fg, accent.fg);
    assert_eq!(style(col("0-9")).fg, accent.fg);
    assert_eq!(style(col("0-9") + 2).fg, accent.fg);
    assert_ne!(style(col("0-9") + 4).fg, accent.fg);

    app.update(Msg::Key(key(KeyCode::Char('1'))));
    assert_eq!(app.tab(), 1);
    let (one, buf) = status_row(&app, w, h);
    assert!(
        one.starts_with("? help · q quit · Tab next tab · 0-9 go to tab · r refresh this account now · p privacy: mask every amount "),
        "{one}"
    );
    let r = u16::try_from(one[..one.find("r refresh").unwrap()].chars().count()).unwrap();
    assert_eq!(buf[(r, h - 1)].style().fg, accent.fg);

    app.update(Msg::Key(key(KeyCode::Char('?'))));
    assert!(app.show_help());
    let (help, _) = status_row(&app, w, h);
    assert!(help.starts_with("Esc close help "), "{help}");
    assert!(!help.contains("quit"), "{help}");
    // The state the hints read, as the status line builds it.
    assert_eq!(
        ui::status::view(&app),
        View {
            help: true,
            tab: 1,
            tabs: 3,
            rows: 2,
            marks: false,
            ..View::default()
        }
    );
}

#[test]
fn acknowledge_is_offered_once_a_warning_has_cleared() {
    let spec = |n: &str| {
        AccountSpec::new(
            n,
            baltui::venues::okx::KIND,
            false,
            std::time::Duration::from_secs(5),
        )
    };
    let mut app = App::new(vec![spec("a"), spec("b")], Thresholds::default(), now());
    poll(&mut app, 0, "5");
    poll(&mut app, 1, "5");
    let km = app.keymap().clone();
    let offers_ack = |app: &App| {
        km.commands(ui::status::view(app))
            .any(|b| b.action == Action::Acknowledge)
    };
    assert!(!offers_ack(&app));
    // Critical (ratio 1.2 < 150%), then healthy again: a mark to acknowledge.
    poll(&mut app, 0, "1.2");
    poll(&mut app, 0, "5");
    assert_eq!(app.mark_counts(), (1, 0));
    assert!(offers_ack(&app), "on All: any account's");
    app.update(Msg::Key(key(KeyCode::Char('2'))));
    assert!(!offers_ack(&app), "account b has none");
    app.update(Msg::Key(key(KeyCode::Char('1'))));
    assert!(offers_ack(&app), "account a has one");
    app.update(Msg::Key(key(KeyCode::Char('a'))));
    assert!(!offers_ack(&app), "acknowledged");
}

#[test]
fn the_help_overlay_lists_the_keys_of_the_tab_under_it() {
    let spec = |n: &str| {
        AccountSpec::new(
            n,
            baltui::venues::okx::KIND,
            false,
            std::time::Duration::from_secs(5),
        )
    };
    let mut app = App::new(vec![spec("a"), spec("b")], Thresholds::default(), now());
    poll(&mut app, 0, "5");
    poll(&mut app, 1, "5");
    let screen = |app: &App| {
        let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
        term.draw(|f| ui::render(f, app, &Theme::mono())).unwrap();
        let buf = term.backend().buffer().clone();
        (0..40)
            .map(|y| (0..120).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    };
    app.update(Msg::Key(key(KeyCode::Char('?'))));
    let all = screen(&app);
    assert!(all.contains("On the All tab"), "{all}");
    assert!(
        all.contains("  open the selected account (All tab)"),
        "{all}"
    );
    assert!(all.contains("  refresh every account"), "{all}");
    assert!(!all.contains("refresh this account now"), "{all}");
    assert!(!all.contains("hide or show all-zero rows"), "{all}");
    // Esc closes help, 1 opens account a, ? opens help over it.
    app.update(Msg::Key(key(KeyCode::Esc)));
    app.update(Msg::Key(key(KeyCode::Char('1'))));
    app.update(Msg::Key(key(KeyCode::Char('?'))));
    let one = screen(&app);
    assert!(one.contains("On this account's tab"), "{one}");
    assert!(!one.contains("filter the All tab"), "{one}");
    assert!(
        one.contains("  refresh this account now (within its rate budget)"),
        "{one}"
    );
    assert!(one.contains("  sort by the next column"), "{one}");
    assert!(one.contains("  close help"), "{one}");
}
