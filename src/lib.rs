//! baltui: a terminal monitor of cash and margin risk across brokers and exchanges.

pub mod app;
pub mod decimal;
pub mod health;
pub mod keymap;
pub mod model;
pub mod secrets;
pub mod theme;
pub mod ui;
pub mod venues;
