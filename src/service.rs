//! The headless engine driver behind `baltui serve`: the `Monitor`, its
//! pollers, the alert runner, config reloads and the history recorder, in one
//! task. It knows no HTTP: it publishes its state (a `watch` of an `Arc`,
//! read by whoever serves it) and its changes (a bounded `broadcast`, for
//! event streams), and takes requests (refresh, reload, stop).

use crate::alerts::{Runner, Transition};
use crate::config::Config;
use crate::health::{Severity, Thresholds};
use crate::model::{Snapshot, VenueKind};
use crate::monitor::{Account, AccountSpec, EventLine, Monitor, Outcome};
use crate::poll::{self, PollerSet};
use crate::record::Recorder;
use crate::venues::{ErrorClass, VenueClient};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};

/// Events-log lines kept in the published state (newest first).
pub const RECENT_EVENTS: usize = 200;
/// Changes a slow event-stream reader may fall behind by before it skips
/// (it is told, and re-reads the whole state).
pub const CHANGES_CAP: usize = 1024;

/// One account's counters since the service started (kept across reloads,
/// by account name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Poll rounds answered (successful or not).
    pub polls: u64,
    /// HTTP requests sent to the venue.
    pub requests: u64,
    /// Failed polls by class: transient, rate_limited, banned, auth, config.
    pub failures: Vec<(&'static str, u64)>,
    /// Polls the venue answered with a rate-limit reply.
    pub rate_limit_replies: u64,
    /// When a poll last succeeded.
    pub last_success_at: Option<DateTime<Utc>>,
}

/// Every failure class, in the order `Counters::failures` lists them.
pub const FAILURE_CLASSES: [&str; 5] = ["transient", "rate_limited", "banned", "auth", "config"];

pub fn class_name(c: ErrorClass) -> &'static str {
    match c {
        ErrorClass::Transient => "transient",
        ErrorClass::RateLimited => "rate_limited",
        ErrorClass::Banned => "banned",
        ErrorClass::Auth => "auth",
        ErrorClass::Config => "config",
    }
}

/// One rate budget (limit key) and how it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetUse {
    /// The budget key: a digest, never a credential.
    pub key: String,
    pub venue: VenueKind,
    /// Requests the venue publishes per `window`.
    pub limit: u32,
    pub window: Duration,
    /// Accounts drawing on it.
    pub accounts: u32,
    /// Requests sent under it (its accounts' requests).
    pub grants: u64,
}

/// What the service publishes, as of `generated_at`.
#[derive(Debug, Clone)]
pub struct State {
    /// The config generation (one more per reload).
    pub generation: u64,
    pub started_at: DateTime<Utc>,
    pub generated_at: DateTime<Utc>,
    /// Shared with the next states while unchanged (a poll changes one).
    pub accounts: Vec<Arc<Account>>,
    /// `counters[i]` belongs to `accounts[i]`.
    pub counters: Vec<Counters>,
    /// The events log, newest first, at most RECENT_EVENTS.
    pub events: Vec<EventLine>,
    pub thresholds: Thresholds,
    pub report_currency: String,
    pub budgets: Vec<BudgetUse>,
}

/// A change, for event streams.
#[derive(Debug, Clone)]
pub enum Change {
    /// Account `name` changed (a poll answered, a plan changed).
    Account(String),
    /// A finding or status moved.
    Transition(Transition),
    /// A new events-log line.
    Event(EventLine),
    /// The account list changed (a reload, a discovered account).
    Accounts,
}

enum Request {
    Refresh(Option<usize>),
    Reload,
    /// A line for the events log from beside the engine (the history store).
    Log(String, Severity, String),
    Stop,
}

/// The running service, as its front end holds it.
pub struct Service {
    pub state: watch::Receiver<Arc<State>>,
    changes: broadcast::Sender<Change>,
    requests: mpsc::Sender<Request>,
    task: tokio::task::JoinHandle<()>,
}

impl Service {
    /// A new receiver of changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// The sender of changes (`subscribe` on it from anywhere).
    pub fn changes(&self) -> broadcast::Sender<Change> {
        self.changes.clone()
    }

    /// A handle that asks for refreshes and reloads (cheap to clone).
    pub fn handle(&self) -> Handle {
        Handle {
            requests: self.requests.clone(),
        }
    }

    /// Stop: pollers stopped, the recorder dropped (closed), the task ended.
    pub async fn stop(self) {
        let _ = self.requests.send(Request::Stop).await;
        let _ = self.task.await;
    }
}

/// Asks the running service for things; every call returns at once.
#[derive(Clone)]
pub struct Handle {
    requests: mpsc::Sender<Request>,
}

impl Handle {
    /// Poll account `i` (None: all) now, through its budget; coalesced with a
    /// refresh already pending. False when the service is too busy to take it
    /// (a refresh is already queued) or stopped.
    pub fn refresh(&self, account: Option<usize>) -> bool {
        self.requests.try_send(Request::Refresh(account)).is_ok()
    }

    /// Re-read the config file (the old config keeps running on an error).
    pub fn reload(&self) -> bool {
        self.requests.try_send(Request::Reload).is_ok()
    }

    /// Add a line to the events log (published, recorded, streamed), waiting
    /// for room rather than losing it.
    pub async fn log(&self, account: String, severity: Severity, text: String) -> bool {
        self.requests
            .send(Request::Log(account, severity, text))
            .await
            .is_ok()
    }
}

/// Build the clients for `cfg` (secrets are read here), start polling, and
/// drive the monitor in a task. `restored`: each account's last recorded
/// snapshot, shown until its first poll answers.
pub async fn start(
    cfg: Config,
    recorder: Option<Box<dyn Recorder>>,
    restored: Vec<(String, Snapshot)>,
) -> Result<Service, String> {
    let clients = crate::clients::clients_for(&cfg.accounts, cfg.request_timeout).await?;
    Ok(start_with(cfg, clients, recorder, restored))
}

/// As `start`, with the clients already built.
pub fn start_with(
    cfg: Config,
    clients: Vec<VenueClient>,
    recorder: Option<Box<dyn Recorder>>,
    restored: Vec<(String, Snapshot)>,
) -> Service {
    let (poll_tx, poll_rx) = mpsc::channel(256);
    let (pollers, specs) = launch(&cfg, clients, 0, poll_tx.clone());
    let now = Utc::now();
    let mut monitor = Monitor::new(specs, cfg.thresholds.clone())
        .with_alerts((!cfg.alert_command.is_empty()).then_some(cfg.alert_min));
    for w in &cfg.warnings {
        monitor.log("config".into(), Severity::Warn, w.clone(), now);
    }
    for (i, p) in pollers.plans.iter().enumerate() {
        if let Some(note) = &p.note {
            monitor.planned(i, p.interval, Some(note.clone()), now);
        }
    }
    for (name, snap) in restored {
        monitor.restore(&name, snap);
    }
    let (alert_tx, alert_rx) = mpsc::channel(64);
    let runner = runner(&cfg, alert_tx.clone());
    let (changes, _) = broadcast::channel(CHANGES_CAP);
    let (requests, req_rx) = mpsc::channel(16);
    let mut engine = Engine {
        monitor,
        pollers,
        runner,
        recorder,
        path: cfg.path.clone(),
        report_currency: cfg.report_currency.clone(),
        poll_tx,
        alert_tx,
        counters: HashMap::new(),
        requests_before: HashMap::new(),
        newest_event: None,
        started_at: now,
        changes: changes.clone(),
        pending: Vec::new(),
        published: Vec::new(),
        dirty: None,
        state: None,
    };
    engine.note_events();
    let (state_tx, state) = watch::channel(Arc::new(engine.snapshot(now)));
    engine.state = Some(state_tx);
    let task = tokio::spawn(engine.run(poll_rx, alert_rx, req_rx));
    Service {
        state,
        changes,
        requests,
        task,
    }
}

/// The alert runner for `cfg`; its failures come back on `tx`.
fn runner(cfg: &Config, tx: mpsc::Sender<(String, String)>) -> Runner {
    Runner::new(
        cfg.alert_command.clone(),
        cfg.alert_timeout,
        cfg.secret_env_vars(),
        Box::new(move |account, error| {
            let _ = tx.try_send((account, error));
        }),
    )
}

/// Start the pollers for `clients`, under `generation`.
fn launch(
    cfg: &Config,
    clients: Vec<VenueClient>,
    generation: u64,
    tx: mpsc::Sender<poll::Event>,
) -> (PollerSet, Vec<AccountSpec>) {
    let intervals: Vec<Duration> = cfg.accounts.iter().map(|a| a.poll_interval).collect();
    let pollers = poll::spawn_with(clients, &intervals, generation, tx, cfg.rate_margin);
    let specs = cfg
        .accounts
        .iter()
        .zip(&pollers.plans)
        .map(|(a, p)| {
            // Names, venues and hosts only: never a credential.
            tracing::info!(account = %a.name, venue = %a.venue, base_url = %a.base_url,
                interval = ?p.interval, generation, "watching");
            AccountSpec::configured(a, p)
        })
        .collect();
    (pollers, specs)
}

use crate::clients::Prepared;

struct Engine {
    monitor: Monitor,
    pollers: PollerSet,
    runner: Runner,
    recorder: Option<Box<dyn Recorder>>,
    path: Option<std::path::PathBuf>,
    report_currency: String,
    poll_tx: mpsc::Sender<poll::Event>,
    alert_tx: mpsc::Sender<(String, String)>,
    /// By account name, so they survive reloads.
    counters: HashMap<String, Counters>,
    /// Requests sent by pollers of earlier generations, by account name.
    requests_before: HashMap<String, u64>,
    /// The newest events-log line already passed on.
    newest_event: Option<EventLine>,
    started_at: DateTime<Utc>,
    changes: broadcast::Sender<Change>,
    /// Changes sent once the state that has them is published.
    pending: Vec<Change>,
    /// The accounts as last published, and which changed since (None: any).
    published: Vec<Arc<Account>>,
    dirty: Option<Vec<usize>>,
    state: Option<watch::Sender<Arc<State>>>,
}

impl Engine {
    async fn run(
        mut self,
        mut poll_rx: mpsc::Receiver<poll::Event>,
        mut alert_rx: mpsc::Receiver<(String, String)>,
        mut req_rx: mpsc::Receiver<Request>,
    ) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // A reload reads secrets (a command may hang): beside the loop.
        let mut reloading: Option<tokio::task::JoinHandle<Result<Prepared, String>>> = None;
        loop {
            let now = Utc::now();
            let changed = tokio::select! {
                Some(e) = poll_rx.recv() => self.polled(e, now),
                _ = tick.tick() => {
                    let out = self.monitor.tick(now);
                    let any = !out.is_empty();
                    if any {
                        self.touch(None);
                    }
                    self.outcomes(out, now);
                    any
                }
                Some((account, error)) = alert_rx.recv() => {
                    self.monitor.log(account, Severity::Warn, error, now);
                    true
                }
                r = req_rx.recv() => match r {
                    None | Some(Request::Stop) => break,
                    Some(Request::Refresh(a)) => {
                        self.pollers.refresh(a);
                        false
                    }
                    Some(Request::Log(account, severity, text)) => {
                        self.monitor.log(account, severity, text, now);
                        true
                    }
                    Some(Request::Reload) => {
                        if reloading.is_some() {
                            self.monitor.log("config".into(), Severity::Warn,
                                "a reload is already under way (reading secrets); this one is skipped".into(), now);
                        } else {
                            match self.prepare() {
                                Ok(task) => reloading = Some(task),
                                Err(e) => self.reload_failed(e, now),
                            }
                        }
                        true
                    }
                },
                done = crate::clients::reloaded(&mut reloading), if reloading.is_some() => {
                    reloading = None;
                    match done {
                        Ok(Ok((cfg, clients))) => {
                            self.touch(None);
                            self.reconfigure(cfg, clients, now)
                        }
                        Ok(Err(e)) => self.reload_failed(e, now),
                        Err(e) => self.reload_failed(format!("the reload stopped: {e}"), now),
                    }
                    true
                }
            };
            self.note_events();
            if changed || !self.pending.is_empty() {
                self.publish(now);
            }
            // After the publish: a reader of a change finds it in the state.
            for c in self.pending.drain(..) {
                let _ = self.changes.send(c);
            }
        }
        if let Some(task) = reloading {
            task.abort();
        }
        // Dropping the recorder closes it (its queue is written out).
        self.recorder = None;
        let Engine { pollers, .. } = self;
        pollers.shutdown();
    }

    /// Take a poller's event; whether anything changed.
    fn polled(&mut self, e: poll::Event, now: DateTime<Utc>) -> bool {
        if !self.monitor.accepts(&e) {
            return false;
        }
        let polled = match &e {
            poll::Event::Polled {
                account, result, ..
            } => Some((*account, result.as_ref().err().map(|e| e.class()))),
            poll::Event::Discovered { .. } => None,
        };
        let out = self.monitor.apply(e, now);
        self.touch(polled.map(|(i, _)| i));
        if let Some((i, failed)) = polled
            && let Some(acc) = self.monitor.account(i)
        {
            let c = self.counters.entry(acc.spec.name.clone()).or_default();
            c.polls += 1;
            match failed {
                None => c.last_success_at = acc.last_attempt_at,
                Some(class) => {
                    let name = class_name(class);
                    match c.failures.iter_mut().find(|(k, _)| *k == name) {
                        Some((_, n)) => *n += 1,
                        None => c.failures.push((name, 1)),
                    }
                    if class == ErrorClass::RateLimited {
                        c.rate_limit_replies += 1;
                    }
                }
            }
            if let Some(r) = self.recorder.as_mut() {
                r.polled(acc, now);
            }
            self.pending.push(Change::Account(acc.spec.name.clone()));
        } else {
            self.pending.push(Change::Accounts);
        }
        self.outcomes(out, now);
        true
    }

    fn outcomes(&mut self, out: Vec<Outcome>, now: DateTime<Utc>) {
        for o in out {
            match o {
                Outcome::Summary | Outcome::Rose => {}
                Outcome::Alert(t) => self.runner.fire(t),
                Outcome::LogTransition(t) => {
                    t.log();
                    if let Some(r) = self.recorder.as_mut() {
                        r.transition(&t, now);
                    }
                    self.pending.push(Change::Transition(t));
                }
                Outcome::AddAccount {
                    parent,
                    index,
                    account_id,
                } => {
                    self.dirty = None;
                    for (account, plan) in self.pollers.add_discovered(parent, index, &account_id) {
                        self.monitor.planned(account, plan.interval, plan.note, now);
                    }
                    self.pending.push(Change::Accounts);
                }
            }
        }
    }

    /// Pass on the events-log lines added since the last call (oldest first).
    fn note_events(&mut self) {
        let events = self.monitor.events();
        let fresh: Vec<EventLine> = events
            .iter()
            .take_while(|e| Some(*e) != self.newest_event.as_ref())
            .take(RECENT_EVENTS)
            .cloned()
            .collect();
        if let Some(first) = events.front() {
            self.newest_event = Some(first.clone());
        }
        for e in fresh.into_iter().rev() {
            if let Some(r) = self.recorder.as_mut() {
                r.event(&e);
            }
            self.pending.push(Change::Event(e));
        }
    }

    /// Re-read the file now (a parse error answers at once) and build the
    /// clients in a task.
    fn prepare(&self) -> Result<tokio::task::JoinHandle<Result<Prepared, String>>, String> {
        let Some(path) = &self.path else {
            return Err("this service has no config file to re-read".into());
        };
        let cfg = Config::load(path)?;
        Ok(crate::clients::prepare_reload(cfg))
    }

    fn reload_failed(&mut self, e: String, now: DateTime<Utc>) {
        tracing::warn!(error = %e, "config reload failed; the old config keeps running");
        self.monitor.log(
            "config".into(),
            Severity::Warn,
            format!("reload failed, the old config keeps running: {e}"),
            now,
        );
    }

    fn reconfigure(&mut self, cfg: Config, clients: Vec<VenueClient>, now: DateTime<Utc>) {
        // The old pollers' requests stay counted.
        for (a, n) in self.monitor.accounts().iter().zip(self.pollers.requests()) {
            *self.requests_before.entry(a.spec.name.clone()).or_default() += n;
        }
        let generation = self.monitor.generation() + 1;
        let (new, specs) = launch(&cfg, clients, generation, self.poll_tx.clone());
        std::mem::replace(&mut self.pollers, new).shutdown();
        self.monitor.reconfigure(specs, cfg.thresholds.clone(), now);
        for (i, p) in self.pollers.plans.clone().into_iter().enumerate() {
            if p.note.is_some() {
                self.monitor.planned(i, p.interval, p.note, now);
            }
        }
        self.runner = runner(&cfg, self.alert_tx.clone());
        self.report_currency = cfg.report_currency.clone();
        self.path = cfg.path.clone();
        tracing::info!(generation, "config reloaded");
        self.pending.push(Change::Accounts);
    }

    fn snapshot(&mut self, now: DateTime<Utc>) -> State {
        let requests = self.pollers.requests();
        let all = self.monitor.accounts();
        // Only what changed is copied (200 accounts x 50 currencies each
        // poll would be most of the service's work).
        match self.dirty.take() {
            Some(changed) if self.published.len() == all.len() => {
                for i in changed {
                    if let Some(a) = all.get(i) {
                        self.published[i] = Arc::new(a.clone());
                    }
                }
            }
            _ => self.published = all.iter().cloned().map(Arc::new).collect(),
        }
        self.dirty = Some(Vec::new());
        let accounts = self.published.clone();
        let counters: Vec<Counters> = accounts
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut c = self.counters.get(&a.spec.name).cloned().unwrap_or_default();
                c.requests = self.requests_before.get(&a.spec.name).copied().unwrap_or(0)
                    + requests.get(i).copied().unwrap_or(0);
                c
            })
            .collect();
        let mut budgets: Vec<BudgetUse> = Vec::new();
        for (i, l) in self.pollers.limits().iter().enumerate() {
            let Some(account) = accounts.get(i) else {
                continue;
            };
            let sent = requests.get(i).copied().unwrap_or(0);
            match budgets.iter_mut().find(|b| b.key == l.key) {
                Some(b) => {
                    b.accounts += 1;
                    b.grants += sent;
                }
                None => budgets.push(BudgetUse {
                    key: l.key.clone(),
                    venue: account.spec.venue,
                    limit: l.requests,
                    window: l.window,
                    accounts: 1,
                    grants: sent,
                }),
            }
        }
        State {
            generation: self.monitor.generation(),
            started_at: self.started_at,
            generated_at: now,
            accounts,
            counters,
            events: self
                .monitor
                .events()
                .iter()
                .take(RECENT_EVENTS)
                .cloned()
                .collect(),
            thresholds: self.monitor.thresholds().clone(),
            report_currency: self.report_currency.clone(),
            budgets,
        }
    }

    fn publish(&mut self, now: DateTime<Utc>) {
        let state = Arc::new(self.snapshot(now));
        if let Some(tx) = &self.state {
            tx.send_replace(state);
        }
    }

    /// Account `i` changed (None: any may have).
    fn touch(&mut self, i: Option<usize>) {
        match (i, self.dirty.as_mut()) {
            (Some(i), Some(d)) => d.push(i),
            _ => self.dirty = None,
        }
    }
}
