//! The real `baltui` binary: the CLI, ops commands, tmux end to end, the
//! Prometheus output through promtool, and the vendors' official SDKs
//! against `baltui sim`.
//!
//! One test binary per group: linking dominates `cargo test` on a small
//! machine, so the files are modules of one crate.

mod cli;
#[path = "../common/mod.rs"]
mod common;
mod history_cli;
mod ops;
mod prometheus_e2e;
mod promtool;
mod sdk;
mod serve;
mod serve_history;
mod shared_budget;
mod tmux_e2e;
