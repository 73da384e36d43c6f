//! Tests with no child process: parsers, config, health, the screen, the
//! scheduler on paused time, the architecture, and the registry conformance
//! (whose simulator round trip runs in-process on 127.0.0.1).
//!
//! One test binary per group: linking dominates `cargo test` on a small
//! machine, so the files are modules of one crate.

mod alerts;
mod app_update;
mod architecture;
mod binance_fixture;
mod budget_plan;
mod bybit_fixture;
mod config;
mod conformance;
#[path = "../common/fake.rs"]
mod fake;
mod fuzz_parsers;
mod history;
mod keys;
mod longport_fixture;
mod mirror;
mod okx_fixture;
mod render;
mod render_attach;
mod render_binance;
mod render_bybit;
mod render_chart;
mod render_headroom;
mod render_nav;
mod render_numbers;
mod render_totals;
mod scheduler;
mod webull_fixture;
