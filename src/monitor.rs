//! The engine's picture of the accounts: how each is set up, its last data,
//! poll state, findings and their episodes (the "was CRITICAL" marks), the
//! alert debouncer and the events log. It is driven by the poller's events
//! (`apply`), the clock (`tick`) and a few requests (`acknowledge`,
//! `reconfigure`, `planned`, `log`); it knows no screen, so the TUI, `snapshot`
//! and a service can all drive it. Its fields are private: those methods are
//! the only way to change it.

use crate::alerts::{Debouncer, Transition};
use crate::health::{self, Finding, Severity, Thresholds};
use crate::model::{Snapshot, VenueKind};
use crate::poll::Event;
use crate::venues::{Discovered, ErrorClass, VenueError};
use chrono::Offset as _;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// Margin-ratio samples kept per account for the sparkline.
pub const HISTORY_LEN: usize = 120;
/// Lines kept in the events log.
pub const EVENTS_LEN: usize = 1000;
/// Most unacknowledged marks kept per account (the oldest go first).
pub const MARKS_LEN: usize = 8;

/// Outcome of the latest poll of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PollState {
    Loading,
    Ok,
    RateLimited,
    /// The venue banned this IP: nothing is sent until the ban ends.
    Banned,
    AuthFailed,
    Error,
    /// The account's own config or secrets are unusable: not polled.
    ConfigError,
}

/// What a user sees as an account's status: the poll state, plus Stale when the
/// last good data is older than `stale_after_intervals` poll intervals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Loading,
    Ok,
    Stale,
    RateLimited,
    Banned,
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
            Status::Banned => "banned",
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
            Status::Banned => "IP BANNED",
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
            Status::Banned | Status::AuthFailed | Status::ConfigError => Severity::Critical,
        }
    }
}

/// How an account is set up.
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
    /// Where its config is written ("FILE:LINE"), to point at after an
    /// authentication failure.
    pub source: Option<String>,
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
            source: None,
        }
    }

    /// A configured account as the scheduler runs it.
    pub fn configured(a: &crate::config::AccountConfig, plan: &crate::poll::Plan) -> Self {
        AccountSpec {
            account_id: crate::discovery::configured_account_id(a),
            interval_note: plan.note.clone(),
            source: a.source.clone(),
            // The interval actually run: staleness is judged against it.
            ..AccountSpec::new(a.name.clone(), a.venue, a.is_demo(), plan.interval)
        }
    }
}

/// One account as the monitor knows it. Only `&Account` leaves the monitor,
/// so its public fields are for reading.
#[derive(Debug, Clone)]
pub struct Account {
    pub spec: AccountSpec,
    pub poll: PollState,
    /// The last error, already formatted (no secrets: VenueError never holds any).
    pub last_error: Option<String>,
    /// The last good snapshot; kept when later polls fail.
    pub snapshot: Option<Snapshot>,
    pub findings: Vec<Finding>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub margin_history: VecDeque<Decimal>,
    /// Warnings that cleared by themselves and are not acknowledged yet,
    /// newest last (at most MARKS_LEN).
    pub marks: Vec<Mark>,
    /// Worst severity when last announced (a rise is announced once).
    announced: Severity,
    /// Warn/critical findings under way, by subject: since when, the worst
    /// severity reached and its message.
    episodes: HashMap<String, Episode>,
    /// A mark was added since the summary was last announced.
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
/// "was CRITICAL 03:12-03:13 (margin ratio 132% below 150%)" until acknowledged.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
        self.text_at(chrono::Utc.fix())
    }

    /// The same, its times at `offset` (the screen's zone).
    pub fn text_at(&self, offset: chrono::FixedOffset) -> String {
        format!(
            "was {} {}-{} ({})",
            self.severity.word(),
            self.from.with_timezone(&offset).format("%H:%M"),
            self.to.with_timezone(&offset).format("%H:%M"),
            self.message
        )
    }
}

impl Account {
    fn new(spec: AccountSpec) -> Self {
        Account {
            spec,
            poll: PollState::Loading,
            last_error: None,
            snapshot: None,
            findings: Vec::new(),
            last_attempt_at: None,
            next_poll_at: None,
            margin_history: VecDeque::with_capacity(HISTORY_LEN),
            announced: Severity::Ok,
            episodes: HashMap::new(),
            marks: Vec::new(),
            new_mark: false,
        }
    }

    /// A margin-ratio sample for the sparkline (the oldest goes past HISTORY_LEN).
    fn push_margin(&mut self, r: Decimal) {
        if self.margin_history.len() == HISTORY_LEN {
            self.margin_history.pop_front();
        }
        self.margin_history.push_back(r);
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
            PollState::Banned => Status::Banned,
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

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventLine {
    pub at: DateTime<Utc>,
    pub account: String,
    pub severity: Severity,
    pub text: String,
}

/// One account as a running service reports it (`Monitor::mirror`).
#[derive(Debug, Clone)]
pub struct Mirror {
    pub spec: AccountSpec,
    pub poll: PollState,
    pub last_error: Option<String>,
    pub snapshot: Option<Snapshot>,
    pub findings: Vec<Finding>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub marks: Vec<Mark>,
}

/// What a change in the monitor asks of whoever drives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An account's worst severity changed, or a cleared warning left a mark:
    /// `counts` / `mark_counts` may read differently (the TUI retitles).
    Summary,
    /// An account's worst severity rose to warn or critical (the TUI rings).
    Rose,
    /// Start polling account `index`, found by discovery under `parent`.
    AddAccount {
        parent: usize,
        index: usize,
        account_id: String,
    },
    /// Run the alert command for this transition.
    Alert(Transition),
    /// Write a finding or status transition to the log (every one, alerted or not).
    LogTransition(Transition),
}

/// The accounts of the running config and everything learned about them.
#[derive(Debug)]
pub struct Monitor {
    accounts: Vec<Account>,
    /// Replies tagged with another generation come from replaced pollers.
    generation: u64,
    /// Newest first, at most EVENTS_LEN.
    events: VecDeque<EventLine>,
    thresholds: Thresholds,
    /// Least severity that runs the alert command; None: no command configured.
    alert_min: Option<Severity>,
    alerts: Debouncer,
}

impl Monitor {
    pub fn new(specs: Vec<AccountSpec>, thresholds: Thresholds) -> Self {
        Monitor {
            accounts: specs.into_iter().map(Account::new).collect(),
            generation: 0,
            events: VecDeque::with_capacity(EVENTS_LEN),
            thresholds,
            alert_min: None,
            alerts: Debouncer::default(),
        }
    }

    /// Alert on transitions reaching `min` (None: no alert command).
    pub fn with_alerts(mut self, min: Option<Severity>) -> Self {
        self.alert_min = min;
        self
    }

    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    pub fn account(&self, i: usize) -> Option<&Account> {
        self.accounts.get(i)
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The events log, newest first.
    pub fn events(&self) -> &VecDeque<EventLine> {
        &self.events
    }

    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    pub fn alert_min(&self) -> Option<Severity> {
        self.alert_min
    }

    /// Accounts whose worst is critical, and warn, at `now`.
    pub fn counts(&self, now: DateTime<Utc>) -> (usize, usize) {
        let mut warn = 0;
        let mut crit = 0;
        for a in &self.accounts {
            match a.worst(now, &self.thresholds) {
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
        for m in self.accounts.iter().filter_map(Account::worst_mark) {
            match m.severity {
                Severity::Critical => out.0 += 1,
                _ => out.1 += 1,
            }
        }
        out
    }

    /// Whether `apply` takes this event: the current generation's, for a
    /// known account.
    pub fn accepts(&self, e: &Event) -> bool {
        let (account, generation) = match e {
            Event::Polled {
                account,
                generation,
                ..
            }
            | Event::Discovered {
                account,
                generation,
                ..
            } => (*account, *generation),
        };
        generation == self.generation && account < self.accounts.len()
    }

    /// Take a poller's event at `now` (stamps the events log, judges staleness).
    /// One it does not `accept` is dropped.
    pub fn apply(&mut self, e: Event, now: DateTime<Utc>) -> Vec<Outcome> {
        if !self.accepts(&e) {
            return Vec::new();
        }
        match e {
            Event::Polled {
                account,
                at,
                result,
                next_poll_at,
                ..
            } => self.polled(account, at, result, next_poll_at, now),
            Event::Discovered { account, found, .. } => self.discovered(account, found, now),
        }
    }

    /// The clock moved to `now`: staleness can rise with time alone, and
    /// debounced alerts come due.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Outcome> {
        let mut out: Vec<Outcome> = (0..self.accounts.len())
            .flat_map(|i| self.announce(i, now))
            .collect();
        if self.alert_min.is_some() {
            out.extend(self.alerts.due(now).into_iter().map(Outcome::Alert));
        }
        out
    }

    /// Add a line to the events log.
    pub fn log(&mut self, account: String, severity: Severity, text: String, now: DateTime<Utc>) {
        if self.events.len() == EVENTS_LEN {
            self.events.pop_back();
        }
        self.events.push_front(EventLine {
            at: now,
            account,
            severity,
            text,
        });
    }

    /// Acknowledge cleared warnings: account `which`'s, or (None) every
    /// account's. Returns how many marks went.
    pub fn acknowledge(&mut self, which: Option<usize>, now: DateTime<Utc>) -> usize {
        let range = match which {
            None => 0..self.accounts.len(),
            Some(i) => i..(i + 1).min(self.accounts.len()),
        };
        let mut n = 0;
        for i in range {
            n += self.accounts[i].marks.len();
            self.accounts[i].marks.clear();
        }
        if n > 0 {
            let who = match which {
                None => "all".to_string(),
                Some(i) => self
                    .accounts
                    .get(i)
                    .map_or_else(String::new, |a| a.spec.name.clone()),
            };
            self.log(
                who,
                Severity::Notice,
                format!(
                    "acknowledged {n} cleared warning{}",
                    if n == 1 { "" } else { "s" }
                ),
                now,
            );
        }
        n
    }

    /// The scheduler runs account `i` every `interval` now, for the reason in
    /// `note` (logged).
    pub fn planned(
        &mut self,
        i: usize,
        interval: Duration,
        note: Option<String>,
        now: DateTime<Utc>,
    ) {
        let Some(a) = self.accounts.get_mut(i) else {
            return;
        };
        a.spec.poll_interval = interval;
        a.spec.interval_note = note.clone();
        let name = a.spec.name.clone();
        if let Some(n) = note {
            self.log(name, Severity::Notice, n, now);
        }
    }

    /// Take a re-read config: accounts whose name and venue are unchanged keep
    /// their numbers, history and state; replies still on their way from the old
    /// pollers carry the old generation and are dropped.
    pub fn reconfigure(
        &mut self,
        specs: Vec<AccountSpec>,
        thresholds: Thresholds,
        now: DateTime<Utc>,
    ) {
        let mut old: Vec<Account> = std::mem::take(&mut self.accounts);
        let (mut kept, mut added) = (0, 0);
        self.accounts = specs
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
                        Account::new(spec)
                    }
                }
            })
            .collect();
        let removed = old
            .iter()
            .filter(|a| a.spec.discovered_from.is_none())
            .count();
        self.generation += 1;
        self.thresholds = thresholds;
        self.log(
            "config".into(),
            Severity::Notice,
            format!("config reloaded: {kept} kept, {added} added, {removed} removed"),
            now,
        );
    }

    /// Show `snapshot` (the last one recorded, from the history store) on
    /// account `name` until its first poll answers: it keeps its own
    /// `fetched_at`, so every screen shows its age. Nothing is alerted or
    /// logged for it; an account that already has data keeps its own.
    /// Returns whether an account took it.
    pub fn restore(&mut self, name: &str, snapshot: Snapshot) -> bool {
        let Some(acc) = self
            .accounts
            .iter_mut()
            .find(|a| a.spec.name == name && a.snapshot.is_none())
        else {
            return false;
        };
        if let Some(r) = snapshot.risk.margin_ratio {
            acc.push_margin(r);
        }
        acc.snapshot = Some(snapshot);
        true
    }

    /// Take the accounts as a service reports them (a monitor attached with
    /// `--connect` polls nothing): each account's state is replaced by the
    /// service's; findings, marks and errors are the service's own. The
    /// margin history grows when a newer snapshot arrives. Announces like
    /// `apply` (the bell and title of an attached screen still work).
    pub fn mirror(&mut self, accounts: Vec<Mirror>, now: DateTime<Utc>) -> Vec<Outcome> {
        let mut old: Vec<Account> = std::mem::take(&mut self.accounts);
        self.accounts = accounts
            .into_iter()
            .map(|m| {
                let mut acc = match old.iter().position(|a| a.spec.name == m.spec.name) {
                    Some(k) => old.remove(k),
                    None => Account::new(m.spec.clone()),
                };
                let newer = match (&m.snapshot, &acc.snapshot) {
                    (Some(n), Some(o)) => n.fetched_at > o.fetched_at,
                    (Some(_), None) => true,
                    _ => false,
                };
                if newer && let Some(r) = m.snapshot.as_ref().and_then(|s| s.risk.margin_ratio) {
                    acc.push_margin(r);
                }
                acc.spec = m.spec;
                acc.poll = m.poll;
                acc.last_error = m.last_error;
                acc.snapshot = m.snapshot;
                acc.findings = m.findings;
                acc.last_attempt_at = m.last_attempt_at;
                acc.next_poll_at = m.next_poll_at;
                if acc.marks.len() < m.marks.len() {
                    acc.new_mark = true;
                }
                acc.marks = m.marks;
                acc
            })
            .collect();
        (0..self.accounts.len())
            .flat_map(|i| self.announce(i, now))
            .collect()
    }

    /// Announce a change in account `i`'s worst severity or a new mark.
    fn announce(&mut self, i: usize, now: DateTime<Utc>) -> Vec<Outcome> {
        let worst = self.accounts[i].worst(now, &self.thresholds);
        let acc = &mut self.accounts[i];
        let before = acc.announced;
        acc.announced = worst;
        let mut out = Vec::new();
        // A new mark changes the summary too ("; was 1 critical").
        let marked = std::mem::take(&mut acc.new_mark);
        if worst != before || marked {
            out.push(Outcome::Summary);
        }
        if worst > before && worst >= Severity::Warn {
            out.push(Outcome::Rose);
        }
        out
    }

    fn polled(
        &mut self,
        i: usize,
        at: DateTime<Utc>,
        result: Result<Snapshot, VenueError>,
        next_poll_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Vec<Outcome> {
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
                        // Says what cleared and from how bad.
                        log.push((
                            Severity::Ok,
                            format!("cleared (was {}): {}", o.severity.word(), o.message),
                        ));
                    }
                }
                if let Some(r) = snap.risk.margin_ratio {
                    acc.push_margin(r);
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
                    ErrorClass::Banned => PollState::Banned,
                    ErrorClass::Auth => PollState::AuthFailed,
                    ErrorClass::Config => PollState::ConfigError,
                    ErrorClass::Transient => PollState::Error,
                };
                let text = e.to_string();
                if state != before_poll || acc.last_error.as_deref() != Some(text.as_str()) {
                    let sev = if matches!(state, PollState::AuthFailed | PollState::Banned) {
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
            self.log(name.clone(), sev, text, now);
        }
        let mut out = self.announce(i, now);
        out.extend(self.transitions(i, &before, before_poll, at));
        out
    }

    /// Alert outcomes for what changed in account `i` in this poll: each finding
    /// whose severity moved, and the account's status.
    fn transitions(
        &mut self,
        i: usize,
        before: &[(String, Severity, String)],
        before_poll: PollState,
        now: DateTime<Utc>,
    ) -> Vec<Outcome> {
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
                    format!("cleared (was {}): {message}", prev.word()),
                ));
            }
        }
        let status_sev = |p: PollState| match p {
            PollState::AuthFailed | PollState::ConfigError | PollState::Banned => {
                Severity::Critical
            }
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
        let mut out = Vec::new();
        for (subject, severity, previous, message) in found {
            let t = Transition {
                account: name.clone(),
                venue,
                severity,
                previous,
                subject,
                message,
            };
            // Every transition goes to the log, so it answers "what happened at 03:12".
            out.push(Outcome::LogTransition(t.clone()));
            if let Some(min) = self.alert_min
                && severity.max(previous) >= min
                && let Some(t) = self.alerts.offer(t, now, window)
            {
                out.push(Outcome::Alert(t));
            }
        }
        out
    }

    /// Discovery under account `i` found `found`: the configured account becomes
    /// the first one found, each further new one is added (and, by the outcome,
    /// polled).
    fn discovered(&mut self, i: usize, found: Vec<Discovered>, now: DateTime<Utc>) -> Vec<Outcome> {
        let Some(first) = found.first() else {
            return Vec::new();
        };
        let parent = &mut self.accounts[i].spec;
        let group = parent.group.clone().unwrap_or_else(|| parent.name.clone());
        if parent.account_id.is_none() {
            parent.group = Some(group.clone());
            parent.account_id = Some(first.id.clone());
            parent.name = crate::discovery::account_name(&group, first);
        }
        let template = parent.clone();
        let known: Vec<String> = self
            .accounts
            .iter()
            .enumerate()
            .filter(|(k, a)| *k == i || a.spec.discovered_from == Some(i))
            .filter_map(|(_, a)| a.spec.account_id.clone())
            .collect();
        let mut out = Vec::new();
        for f in found.iter().filter(|f| !known.contains(&f.id)) {
            let index = self.accounts.len();
            self.accounts.push(Account::new(AccountSpec {
                name: crate::discovery::account_name(&group, f),
                account_id: Some(f.id.clone()),
                discovered_from: Some(i),
                ..template.clone()
            }));
            out.push(Outcome::AddAccount {
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
        if out.is_empty() && known.len() == found.len() {
            tracing::info!(group = %group, "{text}");
        } else {
            self.log(group, Severity::Notice, text, now);
        }
        out
    }
}
