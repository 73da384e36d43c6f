//! baltui: a terminal monitor of cash and margin risk across brokers and exchanges.

pub mod decimal;
pub mod model;
pub mod secrets;
pub mod sim;
pub mod venues;
