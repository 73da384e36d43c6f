//! The TUI's state: the engine's `Monitor` plus what only the screen has (the
//! open tab, the selected row, sort, privacy, the help popup, the bell), the
//! messages that change it, and `update`: the only place it changes. The
//! fields are private; `render` (in ui/) reads through the accessors.

use crate::health::{Severity, Thresholds};
use crate::keymap::{Action, Context};
use crate::monitor::{Account, AccountSpec, Monitor, Outcome};
use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use rust_decimal::Decimal;
use std::time::Duration;

// `snapshot` still names the status here; the engine owns it.
pub use crate::monitor::Status;

// A few messages a second: boxing the event would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// An action that did not come from the keyboard (a mouse click or wheel).
    Action(Action),
    Resize,
    /// The slow clock: refreshes "ago" labels and staleness.
    Tick(DateTime<Utc>),
    /// What a poller reported, for the monitor.
    Poll(crate::poll::Event),
    /// A re-read config is running: these accounts, under a new generation.
    Reconfigured(Box<Reconfig>),
    /// Re-reading the config failed; the old one keeps running.
    ReloadFailed(String),
    /// An alert command failed (did not start, exited non-zero, timed out).
    AlertFailed {
        account: String,
        error: String,
    },
    /// The scheduler changed an account's interval (more accounts share its budget).
    Planned {
        account: usize,
        interval: Duration,
        note: Option<String>,
    },
}

impl From<crate::poll::Event> for Msg {
    fn from(e: crate::poll::Event) -> Msg {
        Msg::Poll(e)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Ask the poller of this account (None: every account) to poll now.
    Refresh(Option<usize>),
    /// Start polling account `index`, found by discovery under `parent`.
    AddAccount {
        parent: usize,
        index: usize,
        account_id: String,
    },
    Bell,
    SetTitle(String),
    /// Run the alert command for this transition.
    Alert(crate::alerts::Transition),
    /// Write a finding or status transition to the log (every one, alerted or not).
    LogTransition(crate::alerts::Transition),
    /// Re-read the config and restart the pollers.
    Reload,
    Quit,
}

/// The column the balances table is sorted by (`s` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortColumn {
    #[default]
    Currency,
    Cash,
    Available,
    Frozen,
    Settling,
    Withdrawable,
    Equity,
}

impl SortColumn {
    pub const ALL: [SortColumn; 7] = [
        SortColumn::Currency,
        SortColumn::Cash,
        SortColumn::Available,
        SortColumn::Frozen,
        SortColumn::Settling,
        SortColumn::Withdrawable,
        SortColumn::Equity,
    ];

    pub fn next(self) -> SortColumn {
        let i = SortColumn::ALL.iter().position(|c| *c == self).unwrap_or(0);
        SortColumn::ALL[(i + 1) % SortColumn::ALL.len()]
    }

    pub fn name(self) -> &'static str {
        match self {
            SortColumn::Currency => "currency",
            SortColumn::Cash => "cash",
            SortColumn::Available => "available",
            SortColumn::Frozen => "frozen",
            SortColumn::Settling => "settling",
            SortColumn::Withdrawable => "withdrawable",
            SortColumn::Equity => "equity",
        }
    }

    fn value(self, c: &crate::model::CurrencyBalance) -> Option<Decimal> {
        match self {
            SortColumn::Currency => None,
            SortColumn::Cash => c.cash,
            SortColumn::Available => c.available,
            SortColumn::Frozen => c.frozen,
            SortColumn::Settling => c.settling,
            SortColumn::Withdrawable => c.withdrawable,
            SortColumn::Equity => c.equity,
        }
    }
}

/// Rows moved by PgUp/PgDn.
pub const PAGE: usize = 10;

/// What a config reload changes.
#[derive(Debug)]
pub struct Reconfig {
    pub specs: Vec<AccountSpec>,
    pub thresholds: Thresholds,
    pub bell: bool,
    pub keymap: crate::keymap::Keymap,
    /// How amounts read on screen (`[display]`).
    pub numbers: crate::ui::format::Numbers,
    /// Notes for the events pane (raised intervals).
    pub notes: Vec<(String, String)>,
}

pub struct App {
    monitor: Monitor,
    /// 0 = the All overview, n = account n-1.
    tab: usize,
    /// The selected row: of the balances table on an account tab, of the
    /// account list (in overview order) on the All tab.
    row: usize,
    sort: SortColumn,
    hide_zero: bool,
    show_events: bool,
    /// Shown above everything in demo mode.
    banner: Option<String>,
    bell: bool,
    should_quit: bool,
    keymap: crate::keymap::Keymap,
    privacy: bool,
    show_help: bool,
    /// How amounts read on screen (`[display]`).
    numbers: crate::ui::format::Numbers,
    /// The screen's clock: ticks, and never behind the latest poll.
    now: DateTime<Utc>,
}

impl App {
    pub fn new(specs: Vec<AccountSpec>, thresholds: Thresholds, now: DateTime<Utc>) -> Self {
        // One account: open its tab directly; several: start on the overview.
        let tab = usize::from(specs.len() == 1);
        App {
            monitor: Monitor::new(specs, thresholds),
            tab,
            row: 0,
            sort: SortColumn::default(),
            hide_zero: false,
            show_events: true,
            banner: None,
            bell: true,
            should_quit: false,
            keymap: crate::keymap::Keymap::default(),
            privacy: false,
            show_help: false,
            numbers: crate::ui::format::Numbers::default(),
            now,
        }
    }

    // Set up before the first frame; afterwards only `update` changes the app.

    pub fn with_banner(mut self, banner: Option<String>) -> Self {
        self.banner = banner;
        self
    }

    pub fn with_bell(mut self, bell: bool) -> Self {
        self.bell = bell;
        self
    }

    pub fn with_keymap(mut self, keymap: crate::keymap::Keymap) -> Self {
        self.keymap = keymap;
        self
    }

    pub fn with_numbers(mut self, numbers: crate::ui::format::Numbers) -> Self {
        self.numbers = numbers;
        self
    }

    /// Run the alert command for transitions reaching `min` (None: no command).
    pub fn with_alerts(mut self, min: Option<Severity>) -> Self {
        self.monitor = self.monitor.with_alerts(min);
        self
    }

    /// Lines for the events pane from before the start (config warnings,
    /// raised intervals): (account, severity, text), oldest first.
    pub fn with_events(
        mut self,
        events: impl IntoIterator<Item = (String, Severity, String)>,
    ) -> Self {
        for (account, severity, text) in events {
            self.monitor.log(account, severity, text, self.now);
        }
        self
    }

    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    pub fn accounts(&self) -> &[Account] {
        self.monitor.accounts()
    }

    pub fn thresholds(&self) -> &Thresholds {
        self.monitor.thresholds()
    }

    pub fn generation(&self) -> u64 {
        self.monitor.generation()
    }

    /// The events log, newest first.
    pub fn events(&self) -> &std::collections::VecDeque<crate::monitor::EventLine> {
        self.monitor.events()
    }

    /// 0 = the All overview, n = account n-1.
    pub fn tab(&self) -> usize {
        self.tab
    }

    /// The selected row (see `row` in the struct); may exceed the rows shown
    /// when rows vanished since it was moved: the screen clamps it.
    pub fn row(&self) -> usize {
        self.row
    }

    pub fn sort(&self) -> SortColumn {
        self.sort
    }

    pub fn hide_zero(&self) -> bool {
        self.hide_zero
    }

    pub fn show_events(&self) -> bool {
        self.show_events
    }

    pub fn banner(&self) -> Option<&str> {
        self.banner.as_deref()
    }

    pub fn bell(&self) -> bool {
        self.bell
    }

    pub fn should_quit(&self) -> bool {
        self.should_quit
    }

    pub fn keymap(&self) -> &crate::keymap::Keymap {
        &self.keymap
    }

    pub fn privacy(&self) -> bool {
        self.privacy
    }

    pub fn show_help(&self) -> bool {
        self.show_help
    }

    pub fn numbers(&self) -> &crate::ui::format::Numbers {
        &self.numbers
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    pub fn tab_count(&self) -> usize {
        self.accounts().len() + 1
    }

    /// Account indices in overview order: worst severity first, then by name.
    pub fn overview_order(&self) -> Vec<usize> {
        let accounts = self.accounts();
        let t = self.thresholds();
        let mut order: Vec<usize> = (0..accounts.len()).collect();
        order.sort_by(|a, b| {
            let (x, y) = (&accounts[*a], &accounts[*b]);
            y.worst(self.now, t)
                .cmp(&x.worst(self.now, t))
                .then_with(|| x.spec.name.cmp(&y.spec.name))
        });
        order
    }

    /// Account `i`'s balance rows as shown: zero rows hidden on request, sorted
    /// by the chosen column (amounts largest first, absent last; ties by currency).
    pub fn rows(&self, i: usize) -> Vec<&crate::model::CurrencyBalance> {
        let Some(snap) = self.monitor.account(i).and_then(|a| a.snapshot.as_ref()) else {
            return Vec::new();
        };
        let mut rows: Vec<_> = snap
            .currencies
            .iter()
            .filter(|c| !self.hide_zero || !c.is_all_zero())
            .collect();
        let col = self.sort;
        rows.sort_by(|a, b| match (col.value(a), col.value(b)) {
            (Some(x), Some(y)) => y.cmp(&x).then_with(|| a.currency.cmp(&b.currency)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.currency.cmp(&b.currency),
        });
        rows
    }

    /// The account whose tab is open, if any.
    pub fn selected(&self) -> Option<usize> {
        self.tab
            .checked_sub(1)
            .filter(|i| *i < self.accounts().len())
    }

    /// Accounts whose worst is critical, and warn, by the screen's clock.
    pub fn counts(&self) -> (usize, usize) {
        self.monitor.counts(self.now)
    }

    /// Accounts with an unacknowledged cleared critical / warn (by its worst mark).
    pub fn mark_counts(&self) -> (usize, usize) {
        self.monitor.mark_counts()
    }

    /// Terminal title: names the trouble so a hidden tmux pane shows it, and
    /// keeps counting a cleared warning until it is acknowledged.
    pub fn title(&self) -> String {
        let now = match self.counts() {
            (0, 0) => "ok".to_string(),
            (c, 0) => format!("{c} critical"),
            (0, w) => format!("{w} warn"),
            (c, w) => format!("{c} critical, {w} warn"),
        };
        let was = match self.mark_counts() {
            (0, 0) => String::new(),
            (c, 0) => format!("; was {c} critical"),
            (0, w) => format!("; was {w} warn"),
            (c, w) => format!("; was {c} critical, {w} warn"),
        };
        format!("baltui: {now}{was}")
    }

    /// What the monitor's outcomes mean on this screen.
    fn effects(&self, out: Vec<Outcome>) -> Vec<Effect> {
        out.into_iter()
            .filter_map(|o| match o {
                Outcome::Summary => Some(Effect::SetTitle(self.title())),
                Outcome::Rose => self.bell.then_some(Effect::Bell),
                Outcome::AddAccount {
                    parent,
                    index,
                    account_id,
                } => Some(Effect::AddAccount {
                    parent,
                    index,
                    account_id,
                }),
                Outcome::Alert(t) => Some(Effect::Alert(t)),
                Outcome::LogTransition(t) => Some(Effect::LogTransition(t)),
            })
            .collect()
    }

    /// Acknowledge cleared warnings: the open account's, or on the All tab
    /// every account's.
    fn acknowledge(&mut self) -> Vec<Effect> {
        let before = self.title();
        self.monitor.acknowledge(self.tab.checked_sub(1), self.now);
        let title = self.title();
        if title != before {
            vec![Effect::SetTitle(title)]
        } else {
            Vec::new()
        }
    }

    fn act(&mut self, action: Action) -> Vec<Effect> {
        let last = self.row_count().saturating_sub(1);
        match action {
            Action::Quit => {
                self.should_quit = true;
                return vec![Effect::Quit];
            }
            Action::NextTab => self.go_tab((self.tab + 1) % self.tab_count()),
            Action::PrevTab => self.go_tab((self.tab + self.tab_count() - 1) % self.tab_count()),
            Action::GoTab(n) => {
                if n < self.tab_count() {
                    self.go_tab(n);
                }
            }
            Action::Down => self.row = self.row.saturating_add(1).min(last),
            Action::Up => self.row = self.row.saturating_sub(1).min(last),
            Action::PageDown => self.row = self.row.saturating_add(PAGE).min(last),
            Action::PageUp => self.row = self.row.saturating_sub(PAGE).min(last),
            Action::Top => self.row = 0,
            Action::Bottom => self.row = last,
            Action::Open => {
                if self.tab == 0
                    && let Some(i) = self.overview_order().get(self.row)
                {
                    self.go_tab(i + 1);
                }
            }
            Action::Refresh => return vec![Effect::Refresh(self.selected())],
            Action::RefreshAll => return vec![Effect::Refresh(None)],
            Action::CycleSort => self.sort = self.sort.next(),
            Action::ToggleZero => {
                self.hide_zero = !self.hide_zero;
                self.row = self.row.min(self.row_count().saturating_sub(1));
            }
            Action::ToggleEvents => self.show_events = !self.show_events,
            Action::TogglePrivacy => self.privacy = !self.privacy,
            Action::ToggleHelp => self.show_help = !self.show_help,
            Action::CloseOverlay => self.show_help = false,
            Action::Reload => return vec![Effect::Reload],
            Action::Acknowledge => return self.acknowledge(),
        }
        Vec::new()
    }

    fn go_tab(&mut self, n: usize) {
        self.tab = n;
        self.row = 0;
    }

    /// Rows the selection moves over on the current tab.
    fn row_count(&self) -> usize {
        match self.selected() {
            Some(i) => self.rows(i).len(),
            None => self.accounts().len(),
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(ev) => {
                let ctx = if self.show_help {
                    Context::Help
                } else {
                    Context::Global
                };
                match self.keymap.lookup(&ev, ctx) {
                    Some(a) => self.act(a),
                    None => Vec::new(),
                }
            }
            Msg::Action(a) if !self.show_help => self.act(a),
            Msg::Action(_) => Vec::new(),
            Msg::Resize => Vec::new(),
            Msg::Tick(now) => {
                self.now = now;
                let out = self.monitor.tick(now);
                self.effects(out)
            }
            Msg::Poll(e) => {
                if !self.monitor.accepts(&e) {
                    return Vec::new();
                }
                if let crate::poll::Event::Polled { at, .. } = &e {
                    self.now = self.now.max(*at);
                }
                let out = self.monitor.apply(e, self.now);
                self.effects(out)
            }
            Msg::AlertFailed { account, error } => {
                self.monitor.log(account, Severity::Warn, error, self.now);
                Vec::new()
            }
            Msg::Reconfigured(r) => {
                let r = *r;
                self.monitor.reconfigure(r.specs, r.thresholds, self.now);
                self.bell = r.bell;
                self.keymap = r.keymap;
                self.numbers = r.numbers;
                self.tab = self.tab.min(self.accounts().len());
                self.row = 0;
                for (name, note) in r.notes {
                    self.monitor.log(name, Severity::Notice, note, self.now);
                }
                vec![Effect::SetTitle(self.title())]
            }
            Msg::ReloadFailed(e) => {
                self.monitor.log(
                    "config".into(),
                    Severity::Warn,
                    format!("reload failed, keeping the running config: {e}"),
                    self.now,
                );
                Vec::new()
            }
            Msg::Planned {
                account,
                interval,
                note,
            } => {
                self.monitor.planned(account, interval, note, self.now);
                Vec::new()
            }
        }
    }
}
