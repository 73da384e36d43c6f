//! Parse the command line, install hooks and logging, dispatch. Nothing else.

use baltui::cli::{Cli, Command, Format};
use baltui::config::{self, Config};
use clap::Parser;
use std::process::ExitCode;

/// Exit code for a bad config or bad usage.
const EXIT_CONFIG: u8 = 4;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_CONFIG } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // Need no config, runtime or log.
    match cli.command {
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell.to_clap(), &mut cmd, "baltui", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            return match clap_mangen::Man::new(cmd).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("baltui: cannot write the man page: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        _ => {}
    }
    let _ = color_eyre::install();
    // The service logs to stderr (journald, containers); the rest to a file.
    let _log = if matches!(cli.command, Some(Command::Serve { .. })) {
        baltui::logging::init_stderr();
        None
    } else {
        baltui::logging::init()
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("baltui: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = rt.block_on(dispatch(cli));
    // A secret command still running (a reload left waiting) must not hold
    // the exit: blocking tasks are not waited for past this.
    rt.shutdown_timeout(std::time::Duration::from_millis(500));
    code
}

async fn dispatch(cli: Cli) -> ExitCode {
    match cli.command {
        None => monitor(cli.config, cli.demo, cli.connect).await,
        Some(Command::Snapshot {
            format,
            table,
            output,
            accounts,
        }) => snapshot(cli.config, format, table, output, accounts).await,
        Some(Command::Check { online, accounts }) => check(cli.config, online, accounts).await,
        Some(Command::Sim {
            port,
            seed,
            binance_weight_limit,
        }) => sim(port, seed, binance_weight_limit).await,
        Some(Command::History {
            account,
            since,
            currency,
            format,
        }) => history(cli.config, account, since, currency, format),
        Some(Command::Serve { listen }) => serve(cli.config, listen).await,
        Some(Command::Completions { .. } | Command::Man) => ExitCode::SUCCESS,
    }
}

async fn serve(path: Option<std::path::PathBuf>, listen: Option<std::net::SocketAddr>) -> ExitCode {
    let cfg = match load_required(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    share_budgets();
    match baltui::serve::run(cfg, listen).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baltui: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// Take every request grant from the machine-wide ledger, so this process,
/// other baltui processes and the next start share each venue budget.
fn share_budgets() {
    let ledger = baltui::ledger::Ledger::default_dir().map(baltui::ledger::Ledger::open);
    if ledger.is_none() {
        tracing::warn!("no state directory: budgets are not shared with other processes");
    }
    baltui::ledger::set_global(ledger);
}

/// The config a headless command needs: a missing or broken one is said
/// on stderr (exit 4); its warnings are printed.
fn load_required(path: Option<std::path::PathBuf>) -> Result<Config, ExitCode> {
    let cfg = match load(path) {
        Ok(Some(c)) => c,
        Ok(None) => {
            eprintln!(
                "baltui: no config file; pass --config PATH or create {}",
                config::default_path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
            return Err(ExitCode::from(EXIT_CONFIG));
        }
        Err(e) => {
            eprintln!("baltui: config error:\n{e}");
            return Err(ExitCode::from(EXIT_CONFIG));
        }
    };
    for w in &cfg.warnings {
        eprintln!("baltui: warning: {w}");
    }
    Ok(cfg)
}

fn load(path: Option<std::path::PathBuf>) -> Result<Option<Config>, String> {
    match path {
        Some(p) => Config::load(&p).map(Some),
        None => match config::default_path() {
            Some(p) if p.exists() => Config::load(&p).map(Some),
            _ => Ok(None),
        },
    }
}

async fn monitor(
    path: Option<std::path::PathBuf>,
    demo: bool,
    connect: Option<String>,
) -> ExitCode {
    let loaded = if demo { Ok(None) } else { load(path) };
    let config = match loaded {
        Ok(c) => c,
        Err(e) => {
            eprintln!("baltui: config error:\n{e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    // `[keys]` belongs to the screen: checked here, a config error as before.
    if let Some(c) = &config
        && let Err(e) = baltui::keymap::Keymap::from_config(&c.keys)
    {
        eprintln!("baltui: config error:\n{e}");
        return ExitCode::from(EXIT_CONFIG);
    }
    // `--connect`, else `[serve] connect`: show a running service's screens.
    let connect = connect.or_else(|| config.as_ref().and_then(|c| c.serve.connect.clone()));
    if let Some(url) = connect {
        if demo {
            eprintln!("baltui: --demo and --connect cannot go together");
            return ExitCode::from(EXIT_CONFIG);
        }
        return attached(url, config).await;
    }
    // The demo's in-process simulator is this process's alone: no ledger.
    if config.is_some() {
        share_budgets();
    }
    let (mut launch, sim) = match config {
        Some(config) => (
            baltui::tui::Launch {
                config,
                banner: None,
                history: None,
                recorder: None,
                notes: None,
            },
            None,
        ),
        None => match baltui::demo::start().await {
            Ok((launch, sim)) => (launch, Some(sim)),
            Err(e) => {
                eprintln!("baltui: cannot start the demo: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    // The demo's numbers are not the user's: its history lives in a temp
    // dir, gone when it quits. Held until the screen closes.
    let demo_dir = match &sim {
        Some(_) => match tempfile::tempdir() {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("baltui: cannot make a temp dir for the demo's history: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    let mut settings = launch.config.history.clone();
    if let Some(d) = &demo_dir {
        settings.path = Some(d.path().join(baltui::history::FILE_NAME));
    }
    // The monitor records when no other process does (a running `serve`
    // records; then this one reads only). The store's notes and faults
    // (from the writer's own thread) reach the events pane through `notes`.
    let (note_tx, notes) = tokio::sync::mpsc::channel(64);
    let start_notes = note_tx.clone();
    match baltui::history::open_for(
        &settings,
        false,
        Box::new(move |severity, text| {
            tracing::warn!(severity = severity.as_str(), "{text}");
            let _ = note_tx.try_send((severity, text));
        }),
    ) {
        Ok(opened) => {
            for n in opened.notes {
                tracing::info!("{n}");
                let _ = start_notes.try_send((baltui::health::Severity::Notice, n));
            }
            launch.notes = Some(notes);
            launch.recorder = opened
                .writer
                .map(|w| Box::new(w) as Box<dyn baltui::record::Recorder>);
            launch.history = opened
                .reader
                .map(|r| r as std::sync::Arc<dyn baltui::record::HistoryReader>);
        }
        Err(e) => tracing::warn!("history: {e}"),
    }
    let result = baltui::tui::run(launch).await;
    drop(demo_dir);
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baltui: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The monitor attached to the service at `url`: the token (`[serve] token`)
/// is read before the screen opens, so a missing one is a plain error.
async fn attached(url: String, config: Option<Config>) -> ExitCode {
    let token = match config.as_ref().and_then(|c| c.serve.token.clone()) {
        Some(source) => {
            // A secret command may block: off the async workers.
            match tokio::task::spawn_blocking(move || source.resolve()).await {
                Ok(Ok(t)) => Some(t),
                Ok(Err(e)) => {
                    eprintln!("baltui: config error:\n[serve] token: {e}");
                    return ExitCode::from(EXIT_CONFIG);
                }
                Err(e) => {
                    eprintln!("baltui: reading [serve] token stopped: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        None => None,
    };
    // The service's store, read when the service is on this machine (the
    // same config names the same store).
    let settings = config
        .as_ref()
        .map(|c| c.history.clone())
        .unwrap_or_default();
    let history = if settings.enabled && config::is_loopback_url(&url) {
        baltui::history::default_path(&settings).map(|p| {
            std::sync::Arc::new(baltui::history::LazyReader::new(p, settings.heartbeat))
                as std::sync::Arc<dyn baltui::record::HistoryReader>
        })
    } else {
        None
    };
    let launch = baltui::tui::AttachLaunch {
        url,
        token,
        config,
        history,
    };
    match baltui::tui::run_attached(launch).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baltui: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn snapshot(
    path: Option<std::path::PathBuf>,
    format: Format,
    table: baltui::cli::CsvTable,
    output: Option<std::path::PathBuf>,
    accounts: Vec<String>,
) -> ExitCode {
    if table != baltui::cli::CsvTable::Balances && format != Format::Csv {
        eprintln!("baltui: --table applies to --format csv only");
        return ExitCode::from(EXIT_CONFIG);
    }
    let cfg = match load_required(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let cfg = match baltui::snapshot::select_accounts(&cfg, &accounts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("baltui: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    share_budgets();
    match baltui::snapshot::run(&cfg).await {
        Ok(report) => {
            let text = match format {
                Format::Json => format!("{}\n", report.to_json()),
                Format::Table => report.to_table(),
                Format::Csv if table == baltui::cli::CsvTable::Accounts => report.to_csv_accounts(),
                Format::Csv if table == baltui::cli::CsvTable::Wallets => report.to_csv_wallets(),
                Format::Csv => report.to_csv(),
                Format::Prometheus => report.to_prometheus(),
            };
            match output {
                None => print!("{text}"),
                Some(path) => {
                    if let Err(e) = baltui::snapshot::write_atomic(&path, &text) {
                        eprintln!("baltui: {e}");
                        return ExitCode::from(EXIT_CONFIG);
                    }
                }
            }
            ExitCode::from(report.exit_code() as u8)
        }
        Err(e) => {
            eprintln!("baltui: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

/// `baltui history`: the store named by the config (or the default path,
/// with no config), read-only, exported as CSV or JSON.
fn history(
    path: Option<std::path::PathBuf>,
    account: Option<String>,
    since: std::time::Duration,
    currency: Option<String>,
    format: baltui::cli::HistoryFormat,
) -> ExitCode {
    let settings = match load(path) {
        Ok(c) => c.map(|c| c.history).unwrap_or_default(),
        Err(e) => {
            eprintln!("baltui: config error:\n{e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let Some(store) = baltui::history::default_path(&settings) else {
        eprintln!(
            "baltui: no data directory for the history store; set [history] path or BALTUI_DATA_DIR"
        );
        return ExitCode::from(EXIT_CONFIG);
    };
    if !store.exists() {
        eprintln!(
            "baltui: no history store at {} (from [history] path, else $BALTUI_DATA_DIR, else the data dir); it is created by a running baltui with [history] on",
            store.display()
        );
        return ExitCode::from(EXIT_CONFIG);
    }
    let reader = match baltui::history::Reader::open(&store, settings.heartbeat) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("baltui: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    // A span longer than chrono's range means "everything".
    let now = chrono::Utc::now();
    let since = chrono::Duration::from_std(since)
        .ok()
        .and_then(|d| now.checked_sub_signed(d))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    let rows = match reader.export(account.as_deref(), since, currency.as_deref()) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("baltui: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let text = match format {
        baltui::cli::HistoryFormat::Csv => baltui::history::to_csv(&rows),
        baltui::cli::HistoryFormat::Json => baltui::history::to_json(&rows),
    };
    match text {
        Ok(t) => {
            print!("{t}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("baltui: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn check(path: Option<std::path::PathBuf>, online: bool, accounts: Vec<String>) -> ExitCode {
    let cfg = match load(path.clone()) {
        Ok(Some(c)) => c,
        Ok(None) => {
            let p = path
                .or_else(config::default_path)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            println!("config  {p} (does not exist)");
            println!(
                "  PROBLEM      no config file; fix: create {p} (see config.example.toml), or pass --config PATH"
            );
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("baltui: config error:\n{e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let filtered = !accounts.is_empty();
    let cfg = match baltui::snapshot::select_accounts(&cfg, &accounts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("baltui: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    share_budgets();
    let checked = baltui::check::run(&cfg, online, filtered).await;
    print!("{}", checked.text);
    ExitCode::from(checked.exit_code() as u8)
}

async fn sim(port: u16, seed: u64, binance_weight_limit: Option<u32>) -> ExitCode {
    use baltui::sim::{Sim, SimOptions, demo_accounts};
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let opts = SimOptions {
        seed,
        binance_weight_limit,
        ..SimOptions::default()
    };
    let sim = match Sim::start(addr, opts, demo_accounts()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("baltui: cannot start the simulator on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", sim.config_toml());
    use std::io::Write;
    let _ = std::io::stdout().flush();
    eprintln!(
        "baltui sim: listening on {} (Ctrl-C to stop)",
        sim.base_url()
    );
    wait_for_stop().await;
    let (violations, requests) = (sim.state.violations(), sim.state.requests());
    sim.shutdown().await;
    eprintln!(
        "baltui sim: stopped; balance requests: {requests}; rate-limit violations: {violations}"
    );
    ExitCode::SUCCESS
}

async fn wait_for_stop() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = hup.recv() => {}
    }
}
