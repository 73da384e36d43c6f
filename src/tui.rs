//! The interactive monitor: terminal enter/restore, the event loop, signals.
//! The terminal is restored on every exit path: q, Ctrl-C, SIGTERM, SIGHUP,
//! SIGINT, an error, and a panic (ratatui's hook restores before the report).

use crate::app::{App, Effect, Msg, Reconfig};
use crate::config::Config;
use crate::health::Severity;
use crate::monitor::AccountSpec;
use crate::poll::{self, PollerSet};
use crate::theme::Theme;
use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind, MouseButton, MouseEventKind};
use futures::StreamExt;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How the monitor was started.
pub struct Launch {
    pub config: Config,
    /// Shown on top of the screen (demo mode).
    pub banner: Option<String>,
    /// The history store's read side: the charts and the last known values
    /// at start (None: no store; the chart pane says so).
    pub history: Option<Arc<dyn crate::record::HistoryReader>>,
    /// Records this monitor's polls into the store (None: history is off,
    /// or another process, e.g. `baltui serve`, records into it).
    pub recorder: Option<Box<dyn crate::record::Recorder>>,
    /// What the store has to say (its faults, a note at start), for the
    /// events pane.
    pub notes: Option<mpsc::Receiver<(Severity, String)>>,
}

/// How an attached monitor (`--connect`) was started.
pub struct AttachLaunch {
    /// The service, e.g. "http://127.0.0.1:9477".
    pub url: String,
    /// The bearer token the service asks for (`[serve] token`).
    pub token: Option<crate::secrets::Secret>,
    /// The local config, if any: thresholds, keys, display and bell.
    pub config: Option<Config>,
    /// The store the service records into, when it is on this machine:
    /// the charts read it (None: the chart pane says there is none).
    pub history: Option<Arc<dyn crate::record::HistoryReader>>,
}

/// What effects reach besides the pollers.
struct Io {
    history: Option<Arc<dyn crate::record::HistoryReader>>,
    /// Attached mode: the service that polls.
    service: Option<crate::attach::Handle>,
    /// Work done off the loop (store reads) answers here.
    tx: mpsc::Sender<Msg>,
    /// Fires the alert command.
    runner: crate::alerts::Runner,
    /// Writes polls, transitions and events into the history store.
    recorder: std::sync::Mutex<Recording>,
}

/// The recorder and the newest events-log line it has been given.
#[derive(Default)]
struct Recording {
    recorder: Option<Box<dyn crate::record::Recorder>>,
    newest_event: Option<crate::monitor::EventLine>,
}

impl Recording {
    /// After `app.update`: the poll just applied (if any), the transitions
    /// among `effects`, and the events-log lines added since last time.
    fn note(
        &mut self,
        app: &App,
        polled: Option<(usize, chrono::DateTime<Utc>)>,
        effects: &[Effect],
    ) {
        let Some(r) = self.recorder.as_mut() else {
            return;
        };
        if let Some((i, at)) = polled
            && let Some(acc) = app.accounts().get(i)
        {
            r.polled(acc, at);
        }
        for fx in effects {
            if let Effect::LogTransition(t) = fx {
                r.transition(t, Utc::now());
            }
        }
        let events = app.monitor().events();
        let fresh: Vec<&crate::monitor::EventLine> = events
            .iter()
            .take_while(|e| Some(*e) != self.newest_event.as_ref())
            .collect();
        for e in fresh.iter().rev() {
            r.event(e);
        }
        if let Some(first) = events.front() {
            self.newest_event = Some(first.clone());
        }
    }
}

/// "127.0.0.1:9477" from "http://user:pw@127.0.0.1:9477/x": what the screen
/// may name (no scheme, path or credentials).
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    rest.rsplit_once('@').map_or(rest, |(_, h)| h).to_string()
}

/// Read the store's last known values off the loop; the app shows them with
/// their age until the first poll answers.
fn restore(history: &Option<Arc<dyn crate::record::HistoryReader>>, tx: &mpsc::Sender<Msg>) {
    let Some(reader) = history.clone() else {
        return;
    };
    let tx = tx.clone();
    tokio::spawn(async move {
        let result = match tokio::task::spawn_blocking(move || reader.last_known()).await {
            Ok(r) => r,
            Err(e) => Err(format!("the read stopped: {e}")),
        };
        let _ = tx.send(Msg::Restored(result)).await;
    });
}

/// Clients, pollers and the account list for a config, under `generation`.
/// Secrets are read here (off the async workers).
async fn start(
    cfg: &Config,
    generation: u64,
    tx: mpsc::Sender<poll::Event>,
) -> Result<(PollerSet, Reconfig), String> {
    let clients = crate::clients::clients_for(&cfg.accounts, cfg.request_timeout).await?;
    Ok(launch(cfg, clients, generation, tx))
}

/// Start the pollers for clients already built (no waiting here).
fn launch(
    cfg: &Config,
    clients: Vec<crate::venues::VenueClient>,
    generation: u64,
    tx: mpsc::Sender<poll::Event>,
) -> (PollerSet, Reconfig) {
    let intervals: Vec<Duration> = cfg.accounts.iter().map(|a| a.poll_interval).collect();
    let pollers = poll::spawn_with(clients, &intervals, generation, tx, cfg.rate_margin);
    let specs: Vec<AccountSpec> = cfg
        .accounts
        .iter()
        .zip(&pollers.plans)
        .map(|(a, p)| AccountSpec::configured(a, p))
        .collect();
    let mut notes = Vec::new();
    for (a, p) in cfg.accounts.iter().zip(&pollers.plans) {
        // Names, venues and hosts only: never a credential.
        tracing::info!(account = %a.name, venue = %a.venue, base_url = %a.base_url,
            interval = ?p.interval, generation, "watching");
        if let Some(note) = &p.note {
            notes.push((a.name.clone(), note.clone()));
        }
    }
    let reconfig = Reconfig {
        specs,
        thresholds: cfg.thresholds.clone(),
        bell: cfg.bell,
        // Checked before the pollers start (run, Reloader::prepare).
        keymap: crate::keymap::Keymap::from_config(&cfg.keys).unwrap_or_default(),
        numbers: crate::ui::format::Numbers::from_config(&cfg.display),
        report_currency: cfg.report_currency.clone(),
        notes,
    };
    (pollers, reconfig)
}

/// Build clients (secrets are read here, before the screen opens, so a missing
/// one is a plain error on stderr), then run until the user quits.
pub async fn run(launch: Launch) -> color_eyre::Result<()> {
    let cfg = launch.config;
    // Bounded: pollers wait (they never drop data) if the screen falls behind.
    let (tx, rx) = mpsc::channel(256);
    // Asked before the pollers start, so it usually answers before them.
    restore(&launch.history, &tx);
    if let Some(mut notes) = launch.notes {
        let forward = tx.clone();
        tokio::spawn(async move {
            while let Some((severity, text)) = notes.recv().await {
                let note = Msg::Note {
                    account: "history".into(),
                    severity,
                    text,
                };
                if forward.send(note).await.is_err() {
                    break;
                }
            }
        });
    }
    // The pollers speak the engine's events; they reach the screen as messages.
    let (poll_tx, mut poll_rx) = mpsc::channel::<poll::Event>(256);
    let forward = tx.clone();
    tokio::spawn(async move {
        while let Some(e) = poll_rx.recv().await {
            if forward.send(Msg::from(e)).await.is_err() {
                break;
            }
        }
    });
    let (pollers, first) = start(&cfg, 0, poll_tx.clone())
        .await
        .map_err(|e| color_eyre::eyre::eyre!(e))?;
    // Shown in the events pane from the first frame.
    let warnings = cfg
        .warnings
        .iter()
        .map(|w| ("config".to_string(), Severity::Warn, w.clone()));
    let notes = first
        .notes
        .into_iter()
        .map(|(name, note)| (name, Severity::Notice, note));
    let app = App::new(first.specs, cfg.thresholds.clone(), Utc::now())
        .with_banner(launch.banner)
        .with_bell(cfg.bell)
        .with_keymap(first.keymap)
        .with_numbers(first.numbers)
        .with_report_currency(&first.report_currency)
        .with_alerts((!cfg.alert_command.is_empty()).then_some(cfg.alert_min))
        .with_history(launch.history.is_some())
        .with_events(warnings.chain(notes));
    let report_tx = tx.clone();
    let runner = crate::alerts::Runner::new(
        cfg.alert_command.clone(),
        cfg.alert_timeout,
        cfg.secret_env_vars(),
        Box::new(move |account, error| {
            let _ = report_tx.try_send(Msg::AlertFailed { account, error });
        }),
    );
    let io = Io {
        history: launch.history,
        service: None,
        tx,
        runner,
        recorder: std::sync::Mutex::new(Recording {
            recorder: launch.recorder,
            newest_event: None,
        }),
    };
    let reload = Reloader {
        path: cfg.path.clone(),
        tx: poll_tx,
    };
    screen(app, pollers, rx, reload, io).await
}

/// Show the accounts of a running `baltui serve` (no pollers here): its
/// state and events come over the connection, refreshes go to it.
pub async fn run_attached(launch: AttachLaunch) -> color_eyre::Result<()> {
    let cfg = launch.config;
    let host = host_of(&launch.url);
    let (mut updates, handle) = crate::attach::connect(&launch.url, launch.token);
    let (tx, rx) = mpsc::channel(256);
    let forward = tx.clone();
    tokio::spawn(async move {
        while let Some(u) = updates.recv().await {
            if forward.send(Msg::Attach(u)).await.is_err() {
                break;
            }
        }
    });
    // No accounts polled here: an empty set, so the loop stays one loop.
    let (poll_tx, _) = mpsc::channel::<poll::Event>(1);
    let pollers = poll::spawn_with(Vec::new(), &[], 0, poll_tx.clone(), 0.0);
    let thresholds = cfg
        .as_ref()
        .map(|c| c.thresholds.clone())
        .unwrap_or_default();
    let mut app = App::new(Vec::new(), thresholds, Utc::now())
        .with_attached(&host)
        .with_history(launch.history.is_some());
    if let Some(c) = &cfg {
        app = app
            .with_bell(c.bell)
            // Checked by main before the screen opens.
            .with_keymap(crate::keymap::Keymap::from_config(&c.keys).unwrap_or_default())
            .with_numbers(crate::ui::format::Numbers::from_config(&c.display))
            .with_report_currency(&c.report_currency)
            .with_events(
                c.warnings
                    .iter()
                    .map(|w| ("config".to_string(), Severity::Warn, w.clone())),
            );
    }
    // The service fires the alert command; a second run here would double it.
    let runner = crate::alerts::Runner::new(
        Vec::new(),
        Duration::from_secs(1),
        Vec::new(),
        Box::new(|_, _| {}),
    );
    let io = Io {
        history: launch.history,
        service: Some(handle),
        tx,
        runner,
        // The service records; an attached monitor only reads.
        recorder: std::sync::Mutex::new(Recording::default()),
    };
    let reload = Reloader {
        path: None,
        tx: poll_tx,
    };
    screen(app, pollers, rx, reload, io).await
}

/// Open the terminal, run the loop until the user quits, restore it.
async fn screen(
    mut app: App,
    mut pollers: PollerSet,
    rx: mpsc::Receiver<Msg>,
    reload: Reloader,
    io: Io,
) -> color_eyre::Result<()> {
    let theme = Theme::from_env();

    let mut terminal = ratatui::try_init().map_err(|e| {
        color_eyre::eyre::eyre!(
            "cannot open the terminal ({e}); baltui needs a terminal, or use `baltui snapshot`"
        )
    })?;
    // Mouse capture is ours to undo: ratatui's restore does not know of it, so
    // the panic hook gets one more step.
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
        hook(info);
    }));
    let result = event_loop(
        &mut terminal,
        &mut app,
        &mut pollers,
        rx,
        &theme,
        &reload,
        &io,
    )
    .await;
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    ratatui::restore();
    pollers.shutdown();
    // Leave the window title as the shell had it (most shells reset it anyway).
    let _ = crossterm::execute!(std::io::stdout(), crossterm::terminal::SetTitle(""));
    result
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    pollers: &mut PollerSet,
    mut rx: mpsc::Receiver<Msg>,
    theme: &Theme,
    reloader: &Reloader,
    io: &Io,
) -> color_eyre::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    // SIGUSR1 re-reads the config (SIGHUP means the terminal went away).
    let mut sigusr1 = signal(SignalKind::user_defined1())?;
    apply(&[Effect::SetTitle(app.title())], pollers, io);
    // A reload reads secrets (a command may prompt or hang) and asks venues
    // who the keys belong to: it runs beside the loop, never inside it.
    let mut reloading: Option<tokio::task::JoinHandle<Result<Prepared, String>>> = None;
    loop {
        terminal.draw(|f| crate::ui::render(f, app, theme))?;
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => Msg::Key(k),
                Some(Ok(Event::Resize(..))) => Msg::Resize,
                Some(Ok(Event::Mouse(m))) => {
                    let size = terminal.size()?;
                    match m.kind {
                        MouseEventKind::Down(MouseButton::Left) => {
                            match crate::ui::tabs::click(app, size.width, size.height, m.column, m.row) {
                                Some(tab) => Msg::Action(crate::keymap::Action::GoTab(tab)),
                                None => continue,
                            }
                        }
                        MouseEventKind::ScrollDown => Msg::Action(crate::keymap::Action::Down),
                        MouseEventKind::ScrollUp => Msg::Action(crate::keymap::Action::Up),
                        _ => continue,
                    }
                }
                Some(Ok(_)) => continue,
                // The terminal is gone (e.g. the tmux pane was killed).
                Some(Err(_)) | None => return Ok(()),
            },
            _ = tick.tick() => Msg::Tick(Utc::now()),
            Some(m) = rx.recv() => m,
            _ = sigterm.recv() => return Ok(()),
            _ = sighup.recv() => return Ok(()),
            _ = sigint.recv() => return Ok(()),
            _ = sigusr1.recv() => Msg::Action(crate::keymap::Action::Reload),
            done = crate::clients::reloaded(&mut reloading), if reloading.is_some() => {
                reloading = None;
                match done {
                    Ok(Ok((cfg, clients))) => {
                        let (new, reconfig) =
                            launch(&cfg, clients, app.generation() + 1, reloader.tx.clone());
                        tracing::info!(generation = app.generation() + 1, "config reloaded");
                        std::mem::replace(pollers, new).shutdown();
                        Msg::Reconfigured(Box::new(reconfig))
                    }
                    Ok(Err(e)) => Msg::ReloadFailed(e),
                    Err(e) => Msg::ReloadFailed(format!("the reload stopped: {e}")),
                }
            }
        };
        // A poll this app takes is recorded once it is applied.
        let polled = match &msg {
            Msg::Poll(e @ poll::Event::Polled { account, at, .. }) if app.monitor().accepts(e) => {
                Some((*account, *at))
            }
            _ => None,
        };
        let mut effects = app.update(msg);
        if let Ok(mut r) = io.recorder.lock() {
            r.note(app, polled, &effects);
        }
        // Carrying out an effect can answer with messages (a new plan), whose
        // own effects are carried out in turn.
        while !effects.is_empty() {
            let (quit, mut replies) = apply(&effects, pollers, io);
            if effects.contains(&Effect::Reload) {
                if reloading.is_some() {
                    replies.push(Msg::ReloadFailed(
                        "a reload is already under way (reading secrets); this one is skipped"
                            .into(),
                    ));
                } else {
                    match reloader.prepare() {
                        Ok(task) => reloading = Some(task),
                        Err(e) => replies.push(Msg::ReloadFailed(e)),
                    }
                }
            }
            if quit || app.should_quit() {
                return Ok(());
            }
            effects = replies.into_iter().flat_map(|m| app.update(m)).collect();
        }
        if app.should_quit() {
            return Ok(());
        }
    }
}

/// Carry out effects: whether to quit, and the messages they answer with.
fn apply(effects: &[Effect], pollers: &mut PollerSet, io: &Io) -> (bool, Vec<Msg>) {
    let mut quit = false;
    let mut replies = Vec::new();
    for fx in effects {
        match fx {
            Effect::Refresh(a) => pollers.refresh(*a),
            Effect::AddAccount {
                parent,
                index,
                account_id,
            } => {
                for (account, plan) in pollers.add_discovered(*parent, *index, account_id) {
                    replies.push(Msg::Planned {
                        account,
                        interval: plan.interval,
                        note: plan.note,
                    });
                }
            }
            Effect::Bell => {
                let mut out = std::io::stdout();
                let _ = out.write_all(b"\x07").and_then(|_| out.flush());
            }
            Effect::SetTitle(t) => {
                let _ = crossterm::execute!(std::io::stdout(), crossterm::terminal::SetTitle(t));
            }
            Effect::Alert(t) => io.runner.fire(t.clone()),
            Effect::LogTransition(t) => t.log(),
            Effect::LoadHistory {
                account,
                range,
                from,
                to,
            } => {
                let Some(reader) = io.history.clone() else {
                    continue;
                };
                let (account, range, from, to) = (account.clone(), *range, *from, *to);
                let tx = io.tx.clone();
                // The store blocks on the disk: never on the loop.
                tokio::spawn(async move {
                    let name = account.clone();
                    let read = move || reader.series(&name, from, to);
                    let result = match tokio::task::spawn_blocking(read).await {
                        Ok(r) => r,
                        Err(e) => Err(format!("the read stopped: {e}")),
                    };
                    let _ = tx
                        .send(Msg::History {
                            account,
                            range,
                            result,
                        })
                        .await;
                });
            }
            Effect::LoadTrend { accounts, at } => {
                let Some(reader) = io.history.clone() else {
                    continue;
                };
                let (accounts, at, tx) = (accounts.clone(), *at, io.tx.clone());
                // One blocking task reads them in turn: a burst of many
                // accounts does not take the blocking pool.
                tokio::task::spawn_blocking(move || {
                    for account in accounts {
                        let result = reader.series(&account, at - crate::app::TREND_WINDOW, at);
                        let msg = Msg::Trend {
                            account,
                            at,
                            result,
                        };
                        if tx.blocking_send(msg).is_err() {
                            break;
                        }
                    }
                });
            }
            Effect::RefreshService(account) => {
                if let Some(s) = &io.service {
                    s.refresh(account.clone());
                }
            }
            Effect::Quit => quit = true,
            // Needs awaiting: done by the loop.
            Effect::Reload => {}
        }
    }
    (quit, replies)
}

/// Re-reads the config file the monitor started from.
struct Reloader {
    path: Option<std::path::PathBuf>,
    /// Where the new pollers report.
    tx: mpsc::Sender<poll::Event>,
}

use crate::clients::Prepared;

impl Reloader {
    /// Re-read the file now (a parse error answers at once) and build the
    /// clients in a task; the loop launches them when it ends. On any error
    /// the old config keeps running.
    fn prepare(&self) -> Result<tokio::task::JoinHandle<Result<Prepared, String>>, String> {
        let Some(path) = &self.path else {
            return Err("the demo has no config file to re-read".into());
        };
        let cfg = Config::load(path)?;
        crate::keymap::Keymap::from_config(&cfg.keys)?;
        Ok(crate::clients::prepare_reload(cfg))
    }
}
