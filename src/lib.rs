//! baltui: a terminal monitor of cash and margin risk across brokers and exchanges.

pub mod alerts;
pub mod app;
pub mod attach;
pub mod check;
pub mod cli;
pub mod clients;
pub mod config;
pub mod decimal;
pub mod demo;
pub mod discovery;
pub mod health;
pub mod keymap;
pub mod ledger;
pub mod logging;
pub mod model;
pub mod monitor;
pub mod poll;
pub mod portfolio;
pub mod record;
pub mod secrets;
pub mod sim;
pub mod snapshot;
pub mod theme;
pub mod tui;
pub mod ui;
pub mod venues;
