//! Command line: `baltui [--demo] [--config PATH] [--connect URL]`, `snapshot`,
//! `check`, `serve`, `history`, `sim`, `completions`, `man`.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `0.1.0`, or `0.1.0 (abc1234)` when built from a git checkout (see build.rs).
pub const VERSION: &str = env!("BALTUI_VERSION");

#[derive(Debug, Parser)]
#[command(
    name = "baltui",
    version = VERSION,
    about = "Terminal monitor of cash and margin risk across brokers and exchanges (OKX, LongPort, Webull, Bybit, Binance)",
    after_help = "With no config file, baltui opens its built-in demo on simulated venues.\n\
                  Config: ~/.config/baltui/config.toml (see config.example.toml).\n\
                  Log: ~/.local/state/baltui/baltui.<date>.log (never the terminal)."
)]
pub struct Cli {
    /// Config file (default: the platform config dir, e.g. ~/.config/baltui/config.toml).
    #[arg(long, short, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Run on the built-in simulated venues (no keys, no network).
    #[arg(long)]
    pub demo: bool,

    /// Attach to a running `baltui serve` (e.g. http://127.0.0.1:9477) and
    /// show its accounts; poll nothing here. Default: `[serve] connect`.
    #[arg(long, value_name = "URL", conflicts_with = "demo")]
    pub connect: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Poll every configured account once and print the result.
    ///
    /// Exit code: 2 any critical finding (whatever else happened); else 3 any
    /// account could not be fetched; else 1 any warning; else 0. 4: bad
    /// config or usage.
    Snapshot {
        #[arg(long, short, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// CSV only: one file shape per level, so a spreadsheet SUM never
        /// double-counts: `balances`, a row per account and currency (the
        /// default); `accounts`, a row per account with its totals, risk,
        /// status and error; `wallets`, a row per account and wallet with the
        /// wallet's totals in its own currency (Binance).
        #[arg(long, value_enum, default_value_t = CsvTable::Balances, value_name = "LEVEL")]
        table: CsvTable,
        /// Write to FILE atomically (a temp file in the same directory, then a
        /// rename) instead of stdout: for node_exporter's textfile directory.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Only this account (repeatable). The name of a Webull app key without
        /// account_id selects every account discovered under it.
        #[arg(long = "account", short = 'a', value_name = "NAME")]
        accounts: Vec<String>,
    },
    /// Check the config without starting the monitor: where each secret comes
    /// from, file permissions, poll intervals and rate budgets.
    ///
    /// With --online, one signed request per account. Exit code: 0 everything
    /// usable, 1 any problem, 4 a config that does not load or bad usage.
    Check {
        /// Also make one signed request per account (reports latency or the error).
        #[arg(long)]
        online: bool,
        /// Only this account (repeatable).
        #[arg(long = "account", short = 'a', value_name = "NAME")]
        accounts: Vec<String>,
    },
    /// Run headless: poll, evaluate, alert and record like the monitor, and
    /// serve /metrics (Prometheus), /healthz and /api/v1/{state,events,refresh}.
    ///
    /// Listens on `[serve] listen` (default 127.0.0.1:9477); anything but
    /// loopback requires `[serve] token`. SIGTERM stops it, SIGUSR1 re-reads
    /// the config.
    Serve {
        /// Listen here instead of `[serve] listen`.
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Export the history store: one row per stored poll and currency.
    History {
        /// Only this account (all when left out).
        account: Option<String>,
        /// How far back, e.g. 24h, 7d.
        #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
        since: std::time::Duration,
        /// Only this currency.
        #[arg(long, value_name = "CCY")]
        currency: Option<String>,
        #[arg(long, short, value_enum, default_value_t = HistoryFormat::Csv)]
        format: HistoryFormat,
    },
    /// Run the simulated venues on 127.0.0.1 until interrupted.
    ///
    /// Prints a ready-to-use baltui config (TOML) to stdout first:
    /// `baltui sim > demo.toml` then `baltui --config demo.toml`.
    Sim {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, short, default_value_t = 18080)]
        port: u16,
        /// Seed for the balance drift (same seed, same numbers).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Binance request weight per minute of every API family, published
        /// in exchangeInfo and enforced, instead of Binance's own (a small one
        /// shows baltui's budgets at work within seconds).
        #[arg(long, value_name = "WEIGHT", value_parser = clap::value_parser!(u32).range(20..))]
        binance_weight_limit: Option<u32>,
    },
    /// Print a shell completion script to stdout.
    ///
    /// e.g. `baltui completions bash > ~/.local/share/bash-completion/completions/baltui`
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the man page (roff) to stdout: `baltui man | man -l -`.
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    /// One row per account and currency.
    Csv,
    /// node_exporter textfile format.
    Prometheus,
}

/// `baltui history --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    Csv,
    Json,
}

/// The level of a CSV file's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CsvTable {
    Balances,
    Accounts,
    Wallets,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

impl CompletionShell {
    pub fn to_clap(self) -> clap_complete::Shell {
        match self {
            CompletionShell::Bash => clap_complete::Shell::Bash,
            CompletionShell::Zsh => clap_complete::Shell::Zsh,
            CompletionShell::Fish => clap_complete::Shell::Fish,
        }
    }
}
