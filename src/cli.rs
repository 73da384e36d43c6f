//! Command line: `baltui [--demo] [--config PATH]`, `snapshot`, `sim`.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "baltui",
    version,
    about = "Terminal monitor of cash and margin risk across brokers and exchanges (OKX, LongPort, Webull)",
    after_help = "With no config file, baltui opens its built-in demo on simulated venues.\n\
                  Config: ~/.config/baltui/config.toml (see config.example.toml).\n\
                  Log: ~/.local/state/baltui/baltui.log (never the terminal)."
)]
pub struct Cli {
    /// Config file (default: the platform config dir, e.g. ~/.config/baltui/config.toml).
    #[arg(long, short, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Run on the built-in simulated venues (no keys, no network).
    #[arg(long)]
    pub demo: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Poll every configured account once and print the result.
    ///
    /// Exit code: 0 all fine, 1 any warning, 2 any critical finding,
    /// 3 any account could not be fetched, 4 bad config or usage.
    Snapshot {
        #[arg(long, short, value_enum, default_value_t = Format::Table)]
        format: Format,
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
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}
