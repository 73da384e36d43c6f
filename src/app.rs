//! App state, the messages that change it, and `update`: the only place state changes.
//! `render` (in ui/) only reads an `&App`.

use crate::health::{self, Finding, Severity, Thresholds};
use crate::keymap::{Action, Context};
use crate::model::{Snapshot, VenueKind};
use crate::venues::{ErrorClass, VenueError};
use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use rust_decimal::Decimal;
use std::collections::VecDeque;
use std::time::Duration;

/// Margin-ratio samples kept per account for the sparkline.
pub const HISTORY_LEN: usize = 120;
/// Lines kept in the events log.
pub const EVENTS_LEN: usize = 200;

/// Outcome of the latest poll of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollState {
    Loading,
    Ok,
    RateLimited,
    AuthFailed,
    Error,
    /// The account's own config or secrets are unusable: not polled.
    ConfigError,
}

/// What a user sees as an account's status: the poll state, plus Stale when the
/// last good data is older than `stale_after_intervals` poll intervals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Loading,
    Ok,
    Stale,
    RateLimited,
    AuthFailed,
    Error,
    ConfigError,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Loading => "loading",
            Status::Ok => "ok",
            Status::Stale => "stale",
            Status::RateLimited => "rate_limited",
            Status::AuthFailed => "auth_failed",
            Status::Error => "error",
            Status::ConfigError => "config_error",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Loading => "LOADING",
            Status::Ok => "OK",
            Status::Stale => "STALE",
            Status::RateLimited => "RATE LIMITED",
            Status::AuthFailed => "AUTH FAILED",
            Status::Error => "ERROR",
            Status::ConfigError => "CONFIG ERROR",
        }
    }
    /// How bad the status itself is, apart from the numbers' findings.
    pub fn severity(self) -> Severity {
        match self {
            Status::Loading | Status::Ok => Severity::Ok,
            Status::Stale | Status::RateLimited | Status::Error => Severity::Warn,
            // Not watched at all: as loud as a refused key.
            Status::AuthFailed | Status::ConfigError => Severity::Critical,
        }
    }
}

/// How an account is set up, as the screen needs to know it.
#[derive(Debug, Clone)]
pub struct AccountSpec {
    pub name: String,
    pub venue: VenueKind,
    /// Not real money: OKX demo trading, or a simulator on loopback.
    pub demo: bool,
    pub poll_interval: Duration,
    /// The venue's account id, where one is configured or discovered (Webull).
    pub account_id: Option<String>,
    /// The configured name of a discovering account ("wb-hk"), once its
    /// accounts are known and the tabs are named "wb-hk/<number>".
    pub group: Option<String>,
    /// The account whose credentials discovered this one.
    pub discovered_from: Option<usize>,
    /// Why the scheduler runs it slower than configured, if it does.
    pub interval_note: Option<String>,
}

impl AccountSpec {
    pub fn new(
        name: impl Into<String>,
        venue: VenueKind,
        demo: bool,
        poll_interval: Duration,
    ) -> Self {
        AccountSpec {
            name: name.into(),
            venue,
            demo,
            poll_interval,
            account_id: None,
            group: None,
            discovered_from: None,
            interval_note: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AccountView {
    pub spec: AccountSpec,
    pub poll: PollState,
    /// The last error, already formatted (no secrets: VenueError never holds any).
    pub last_error: Option<String>,
    /// The last good snapshot; kept (and dimmed) when later polls fail.
    pub snapshot: Option<Snapshot>,
    pub findings: Vec<Finding>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub margin_history: VecDeque<Decimal>,
    /// Worst severity when last announced (bell/title fire on a rise only).
    pub announced: Severity,
    /// Warn/critical findings under way, by subject: since when, the worst
    /// severity reached and its message.
    episodes: std::collections::HashMap<String, Episode>,
    /// Warnings that cleared by themselves and are not acknowledged yet,
    /// newest last (at most MARKS_LEN).
    pub marks: Vec<Mark>,
    /// A mark was added since the title was last set.
    new_mark: bool,
}

/// A warn/critical finding under way.
#[derive(Debug, Clone)]
struct Episode {
    since: DateTime<Utc>,
    worst: Severity,
    message: String,
}

/// A warning or critical that cleared before anyone acknowledged it: shown as
/// "was CRITICAL 03:12-03:13 (margin ratio 132% below 150%)" until `a`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub severity: Severity,
    pub subject: String,
    pub message: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Mark {
    /// "was CRITICAL 03:12-03:13 (margin ratio 132% below 150%)", UTC.
    pub fn text(&self) -> String {
        format!(
            "was {} {}-{} ({})",
            self.severity.word(),
            self.from.format("%H:%M"),
            self.to.format("%H:%M"),
            self.message
        )
    }
}

/// Most unacknowledged marks kept per account (the oldest go first).
pub const MARKS_LEN: usize = 8;

impl AccountView {
    pub fn new(spec: AccountSpec) -> Self {
        AccountView {
            spec,
            poll: PollState::Loading,
            last_error: None,
            snapshot: None,
            findings: Vec::new(),
            last_attempt_at: None,
            next_poll_at: None,
            margin_history: VecDeque::with_capacity(HISTORY_LEN),
            announced: Severity::Ok,
            episodes: std::collections::HashMap::new(),
            marks: Vec::new(),
            new_mark: false,
        }
    }

    /// The worst unacknowledged mark, if any.
    pub fn worst_mark(&self) -> Option<&Mark> {
        self.marks.iter().max_by_key(|m| (m.severity, m.to))
    }

    /// Follow warn/critical findings over time; one that is gone at `at`
    /// leaves a mark.
    fn track_episodes(&mut self, at: DateTime<Utc>) {
        for f in self
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warn)
        {
            let e = self.episodes.entry(f.subject.clone()).or_insert(Episode {
                since: at,
                worst: f.severity,
                message: f.message.clone(),
            });
            if f.severity > e.worst {
                e.worst = f.severity;
                e.message = f.message.clone();
            }
        }
        let still: Vec<String> = self
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warn)
            .map(|f| f.subject.clone())
            .collect();
        let ended: Vec<String> = self
            .episodes
            .keys()
            .filter(|k| !still.contains(k))
            .cloned()
            .collect();
        for subject in ended {
            if let Some(e) = self.episodes.remove(&subject) {
                if self.marks.len() == MARKS_LEN {
                    self.marks.remove(0);
                }
                self.marks.push(Mark {
                    severity: e.worst,
                    subject,
                    message: e.message,
                    from: e.since,
                    to: at,
                });
                self.new_mark = true;
            }
        }
    }

    pub fn last_ok_at(&self) -> Option<DateTime<Utc>> {
        self.snapshot.as_ref().map(|s| s.fetched_at)
    }

    pub fn is_stale(&self, now: DateTime<Utc>, t: &Thresholds) -> bool {
        let Some(at) = self.last_ok_at() else {
            return false;
        };
        let limit = self.spec.poll_interval * t.stale_after_intervals.max(1);
        (now - at).to_std().map(|age| age > limit).unwrap_or(false)
    }

    pub fn status(&self, now: DateTime<Utc>, t: &Thresholds) -> Status {
        match self.poll {
            PollState::Loading => Status::Loading,
            PollState::RateLimited => Status::RateLimited,
            PollState::AuthFailed => Status::AuthFailed,
            PollState::ConfigError => Status::ConfigError,
            PollState::Error => Status::Error,
            PollState::Ok if self.is_stale(now, t) => Status::Stale,
            PollState::Ok => Status::Ok,
        }
    }

    /// Worst of the findings and the status itself.
    pub fn worst(&self, now: DateTime<Utc>, t: &Thresholds) -> Severity {
        health::worst(&self.findings).max(self.status(now, t).severity())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventLine {
    pub at: DateTime<Utc>,
    pub account: String,
    pub severity: Severity,
    pub text: String,
}

// A few messages a second: boxing the snapshot would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// An action that did not come from the keyboard (a mouse click or wheel).
    Action(Action),
    Resize,
    /// The slow clock: refreshes "ago" labels and staleness.
    Tick(DateTime<Utc>),
    Polled {
        account: usize,
        generation: u64,
        at: DateTime<Utc>,
        result: Result<Snapshot, VenueError>,
        next_poll_at: Option<DateTime<Utc>>,
    },
    /// Account discovery under `account`'s credentials found these accounts.
    Discovered {
        account: usize,
        generation: u64,
        found: Vec<crate::venues::Discovered>,
    },
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
        match e {
            crate::poll::Event::Polled {
                account,
                generation,
                at,
                result,
                next_poll_at,
            } => Msg::Polled {
                account,
                generation,
                at,
                result,
                next_poll_at,
            },
            crate::poll::Event::Discovered {
                account,
                generation,
                found,
            } => Msg::Discovered {
                account,
                generation,
                found,
            },
        }
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
    /// Notes for the events pane (raised intervals).
    pub notes: Vec<(String, String)>,
}

pub struct App {
    pub accounts: Vec<AccountView>,
    /// 0 = the All overview, n = account n-1.
    pub tab: usize,
    /// The selected row: of the balances table on an account tab, of the
    /// account list (in overview order) on the All tab.
    pub row: usize,
    pub sort: SortColumn,
    pub hide_zero: bool,
    pub show_events: bool,
    pub keymap: crate::keymap::Keymap,
    pub privacy: bool,
    pub show_help: bool,
    /// Shown above everything in demo mode.
    pub banner: Option<String>,
    pub now: DateTime<Utc>,
    pub generation: u64,
    pub events: VecDeque<EventLine>,
    pub thresholds: Thresholds,
    pub bell: bool,
    /// Least severity that runs the alert command; None: no command configured.
    pub alert_min: Option<Severity>,
    pub alerts: crate::alerts::Debouncer,
    pub should_quit: bool,
}

impl App {
    pub fn new(specs: Vec<AccountSpec>, thresholds: Thresholds, now: DateTime<Utc>) -> Self {
        // One account: open its tab directly; several: start on the overview.
        let tab = usize::from(specs.len() == 1);
        App {
            accounts: specs.into_iter().map(AccountView::new).collect(),
            tab,
            row: 0,
            sort: SortColumn::default(),
            hide_zero: false,
            show_events: true,
            keymap: crate::keymap::Keymap::default(),
            privacy: false,
            show_help: false,
            banner: None,
            now,
            generation: 0,
            events: VecDeque::with_capacity(EVENTS_LEN),
            thresholds,
            bell: true,
            alert_min: None,
            alerts: crate::alerts::Debouncer::default(),
            should_quit: false,
        }
    }

    pub fn tab_count(&self) -> usize {
        self.accounts.len() + 1
    }

    /// Account indices in overview order: worst severity first, then by name.
    pub fn overview_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.accounts.len()).collect();
        order.sort_by(|a, b| {
            let (x, y) = (&self.accounts[*a], &self.accounts[*b]);
            y.worst(self.now, &self.thresholds)
                .cmp(&x.worst(self.now, &self.thresholds))
                .then_with(|| x.spec.name.cmp(&y.spec.name))
        });
        order
    }

    /// Account `i`'s balance rows as shown: zero rows hidden on request, sorted
    /// by the chosen column (amounts largest first, absent last; ties by currency).
    pub fn rows(&self, i: usize) -> Vec<&crate::model::CurrencyBalance> {
        let Some(snap) = self.accounts.get(i).and_then(|a| a.snapshot.as_ref()) else {
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
        self.tab.checked_sub(1).filter(|i| *i < self.accounts.len())
    }

    pub fn counts(&self) -> (usize, usize) {
        let mut warn = 0;
        let mut crit = 0;
        for a in &self.accounts {
            match a.worst(self.now, &self.thresholds) {
                Severity::Critical => crit += 1,
                Severity::Warn => warn += 1,
                _ => {}
            }
        }
        (crit, warn)
    }

    /// Accounts with an unacknowledged cleared critical / warn (by its worst mark).
    pub fn mark_counts(&self) -> (usize, usize) {
        let mut out = (0, 0);
        for m in self.accounts.iter().filter_map(AccountView::worst_mark) {
            match m.severity {
                Severity::Critical => out.0 += 1,
                _ => out.1 += 1,
            }
        }
        out
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

    /// Acknowledge cleared warnings: the open account's, or on the All tab
    /// every account's.
    fn acknowledge(&mut self) -> Vec<Effect> {
        let before = self.title();
        let range = match self.tab {
            0 => 0..self.accounts.len(),
            n => (n - 1)..n.min(self.accounts.len()),
        };
        let mut n = 0;
        for i in range {
            n += self.accounts[i].marks.len();
            self.accounts[i].marks.clear();
        }
        if n > 0 {
            let who = if self.tab == 0 {
                "all".to_string()
            } else {
                self.accounts
                    .get(self.tab - 1)
                    .map_or_else(String::new, |a| a.spec.name.clone())
            };
            self.push_event(
                who,
                Severity::Notice,
                format!(
                    "acknowledged {n} cleared warning{}",
                    if n == 1 { "" } else { "s" }
                ),
            );
        }
        let title = self.title();
        if title != before {
            vec![Effect::SetTitle(title)]
        } else {
            Vec::new()
        }
    }

    pub fn push_event(&mut self, account: String, severity: Severity, text: String) {
        if self.events.len() == EVENTS_LEN {
            self.events.pop_back();
        }
        self.events.push_front(EventLine {
            at: self.now,
            account,
            severity,
            text,
        });
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
            None => self.accounts.len(),
        }
    }

    /// Announce a rise in an account's worst severity: bell and title.
    fn announce(&mut self, i: usize) -> Vec<Effect> {
        let worst = self.accounts[i].worst(self.now, &self.thresholds);
        let before = self.accounts[i].announced;
        self.accounts[i].announced = worst;
        let mut fx = Vec::new();
        // A new mark changes the title too ("; was 1 critical").
        let marked = std::mem::take(&mut self.accounts[i].new_mark);
        if worst != before || marked {
            fx.push(Effect::SetTitle(self.title()));
        }
        if worst > before && worst >= Severity::Warn && self.bell {
            fx.push(Effect::Bell);
        }
        fx
    }

    fn polled(
        &mut self,
        i: usize,
        at: DateTime<Utc>,
        result: Result<Snapshot, VenueError>,
        next_poll_at: Option<DateTime<Utc>>,
    ) -> Vec<Effect> {
        let t = self.thresholds.clone();
        let name = self.accounts[i].spec.name.clone();
        let acc = &mut self.accounts[i];
        acc.last_attempt_at = Some(at);
        acc.next_poll_at = next_poll_at;
        let before_poll = acc.poll;
        let before: Vec<(String, Severity, String)> = acc
            .findings
            .iter()
            .map(|f| (f.subject.clone(), f.severity, f.message.clone()))
            .collect();
        let mut log: Vec<(Severity, String)> = Vec::new();
        match result {
            Ok(snap) => {
                let findings = health::evaluate(&snap, &t);
                for f in &findings {
                    if !acc
                        .findings
                        .iter()
                        .any(|o| o.subject == f.subject && o.severity == f.severity)
                    {
                        log.push((f.severity, f.message.clone()));
                    }
                }
                for o in &acc.findings {
                    if !findings.iter().any(|f| f.subject == o.subject) {
                        log.push((Severity::Ok, format!("cleared: {}", o.message)));
                    }
                }
                if let Some(r) = snap.risk.margin_ratio {
                    if acc.margin_history.len() == HISTORY_LEN {
                        acc.margin_history.pop_front();
                    }
                    acc.margin_history.push_back(r);
                }
                if !matches!(before_poll, PollState::Ok | PollState::Loading) {
                    log.push((Severity::Ok, "recovered".into()));
                }
                acc.findings = findings;
                acc.track_episodes(at);
                acc.snapshot = Some(snap);
                acc.poll = PollState::Ok;
                acc.last_error = None;
            }
            Err(e) => {
                let state = match e.class() {
                    ErrorClass::RateLimited => PollState::RateLimited,
                    ErrorClass::Auth => PollState::AuthFailed,
                    ErrorClass::Config => PollState::ConfigError,
                    ErrorClass::Transient => PollState::Error,
                };
                let text = e.to_string();
                if state != before_poll || acc.last_error.as_deref() != Some(text.as_str()) {
                    let sev = if state == PollState::AuthFailed {
                        Severity::Critical
                    } else {
                        Severity::Warn
                    };
                    log.push((sev, text.clone()));
                }
                acc.poll = state;
                acc.last_error = Some(text);
            }
        }
        for (sev, text) in log {
            self.push_event(name.clone(), sev, text);
        }
        let mut fx = self.announce(i);
        fx.extend(self.transitions(i, &before, before_poll, at));
        fx
    }

    /// Alert effects for what changed in account `i` in this poll: each finding
    /// whose severity moved, and the account's status.
    fn transitions(
        &mut self,
        i: usize,
        before: &[(String, Severity, String)],
        before_poll: PollState,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        let acc = &self.accounts[i];
        let mut found: Vec<(String, Severity, Severity, String)> = Vec::new();
        for f in &acc.findings {
            let prev = before
                .iter()
                .find(|b| b.0 == f.subject)
                .map_or(Severity::Ok, |b| b.1);
            if prev != f.severity {
                found.push((f.subject.clone(), f.severity, prev, f.message.clone()));
            }
        }
        for (subject, prev, message) in before {
            if !acc.findings.iter().any(|f| &f.subject == subject) {
                found.push((
                    subject.clone(),
                    Severity::Ok,
                    *prev,
                    format!("cleared: {message}"),
                ));
            }
        }
        let status_sev = |p: PollState| match p {
            PollState::AuthFailed | PollState::ConfigError => Severity::Critical,
            PollState::RateLimited | PollState::Error => Severity::Warn,
            PollState::Ok | PollState::Loading => Severity::Ok,
        };
        let (was, is) = (status_sev(before_poll), status_sev(acc.poll));
        if was != is {
            let message = acc.last_error.clone().unwrap_or_else(|| "recovered".into());
            found.push(("status".into(), is, was, message));
        }
        let (name, venue, window) = (
            acc.spec.name.clone(),
            acc.spec.venue,
            acc.spec.poll_interval,
        );
        let mut fx = Vec::new();
        for (subject, severity, previous, message) in found {
            let t = crate::alerts::Transition {
                account: name.clone(),
                venue,
                severity,
                previous,
                subject,
                message,
            };
            // Every transition goes to the log, so it answers "what happened at 03:12".
            fx.push(Effect::LogTransition(t.clone()));
            if let Some(min) = self.alert_min
                && severity.max(previous) >= min
                && let Some(t) = self.alerts.offer(t, now, window)
            {
                fx.push(Effect::Alert(t));
            }
        }
        fx
    }

    /// Take a re-read config: accounts whose name and venue are unchanged keep
    /// their numbers, history and state; replies still on their way from the old
    /// pollers carry the old generation and are dropped.
    fn reconfigure(&mut self, r: Reconfig) {
        let mut old: Vec<AccountView> = std::mem::take(&mut self.accounts);
        let (mut kept, mut added) = (0, 0);
        self.accounts = r
            .specs
            .into_iter()
            .map(|spec| {
                let same = old.iter().position(|a| {
                    a.spec.venue == spec.venue
                        && (a.spec.name == spec.name
                            || a.spec.group.as_deref() == Some(spec.name.as_str()))
                        && a.spec.discovered_from.is_none()
                });
                match same {
                    Some(k) => {
                        kept += 1;
                        let mut v = old.remove(k);
                        v.spec = spec;
                        v
                    }
                    None => {
                        added += 1;
                        AccountView::new(spec)
                    }
                }
            })
            .collect();
        let removed = old
            .iter()
            .filter(|a| a.spec.discovered_from.is_none())
            .count();
        self.generation += 1;
        self.thresholds = r.thresholds;
        self.bell = r.bell;
        self.keymap = r.keymap;
        self.tab = self.tab.min(self.accounts.len());
        self.row = 0;
        self.push_event(
            "config".into(),
            Severity::Notice,
            format!("config reloaded: {kept} kept, {added} added, {removed} removed"),
        );
        for (name, note) in r.notes {
            self.push_event(name, Severity::Notice, note);
        }
    }

    /// Discovery under account `i` found `found`: the configured tab becomes the
    /// first account's, each further new one gets a tab (and, by the effect, a poller).
    fn discovered(&mut self, i: usize, found: Vec<crate::venues::Discovered>) -> Vec<Effect> {
        let Some(first) = found.first() else {
            return Vec::new();
        };
        let parent = &mut self.accounts[i].spec;
        let group = parent.group.clone().unwrap_or_else(|| parent.name.clone());
        if parent.account_id.is_none() {
            parent.group = Some(group.clone());
            parent.account_id = Some(first.id.clone());
            parent.name = format!("{group}/{}", first.label);
        }
        let template = parent.clone();
        let known: Vec<String> = self
            .accounts
            .iter()
            .enumerate()
            .filter(|(k, a)| *k == i || a.spec.discovered_from == Some(i))
            .filter_map(|(_, a)| a.spec.account_id.clone())
            .collect();
        let mut fx = Vec::new();
        for f in found.iter().filter(|f| !known.contains(&f.id)) {
            let index = self.accounts.len();
            self.accounts.push(AccountView::new(AccountSpec {
                name: format!("{group}/{}", f.label),
                account_id: Some(f.id.clone()),
                discovered_from: Some(i),
                ..template.clone()
            }));
            fx.push(Effect::AddAccount {
                parent: i,
                index,
                account_id: f.id.clone(),
            });
        }
        let labels: Vec<&str> = found.iter().map(|f| f.label.as_str()).collect();
        let text = format!(
            "account discovery: {} account(s): {}",
            found.len(),
            labels.join(", ")
        );
        if fx.is_empty() && known.len() == found.len() {
            tracing::info!(group = %group, "{text}");
        } else {
            self.push_event(group, Severity::Notice, text);
        }
        fx
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
                // Staleness can rise with time alone.
                let mut fx: Vec<Effect> = (0..self.accounts.len())
                    .flat_map(|i| self.announce(i))
                    .collect();
                if self.alert_min.is_some() {
                    fx.extend(self.alerts.due(now).into_iter().map(Effect::Alert));
                }
                fx
            }
            Msg::AlertFailed { account, error } => {
                self.push_event(account, Severity::Warn, error);
                Vec::new()
            }
            Msg::Discovered {
                account,
                generation,
                found,
            } => {
                if generation != self.generation || account >= self.accounts.len() {
                    return Vec::new();
                }
                self.discovered(account, found)
            }
            Msg::Reconfigured(r) => {
                self.reconfigure(*r);
                vec![Effect::SetTitle(self.title())]
            }
            Msg::ReloadFailed(e) => {
                self.push_event(
                    "config".into(),
                    Severity::Warn,
                    format!("reload failed, keeping the running config: {e}"),
                );
                Vec::new()
            }
            Msg::Planned {
                account,
                interval,
                note,
            } => {
                let Some(a) = self.accounts.get_mut(account) else {
                    return Vec::new();
                };
                a.spec.poll_interval = interval;
                a.spec.interval_note = note.clone();
                let name = a.spec.name.clone();
                if let Some(n) = note {
                    self.push_event(name, Severity::Notice, n);
                }
                Vec::new()
            }
            Msg::Polled {
                account,
                generation,
                at,
                result,
                next_poll_at,
            } => {
                if generation != self.generation || account >= self.accounts.len() {
                    return Vec::new();
                }
                self.now = self.now.max(at);
                self.polled(account, at, result, next_poll_at)
            }
        }
    }
}
