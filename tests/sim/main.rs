//! Venue clients, the poller and the ledger against the in-process simulator
//! on 127.0.0.1.
//!
//! One test binary per group: linking dominates `cargo test` on a small
//! machine, so the files are modules of one crate.

mod binance_client_sim;
mod bybit_client_sim;
mod ledger;
mod longport_client_sim;
mod longport_sim;
mod monitor;
mod okx_client_sim;
mod okx_clock;
mod poller_sim;
mod webull_client_sim;
mod webull_sim;
