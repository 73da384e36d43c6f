//! The history store: an SQLite file (WAL, one writer, any number of
//! readers) holding each account's polls (only when something changed, plus
//! a heartbeat), their per-currency balances, every finding transition and
//! event, and each account's last good snapshot (for a fast start).
//!
//! `schema` holds the tables and their migrations, `store` opens, locks and
//! repairs the file, `write` is the engine's `Recorder` (a writer thread),
//! `read` answers the front ends (`HistoryReader`, the export), `export`
//! turns exported rows into CSV or JSON text.

mod export;
mod read;
pub mod schema;
mod store;
mod write;

pub use export::{ExportRow, to_csv, to_json};
pub use read::{ExportError, Reader};
pub use store::{LockError, Store, StoreLock};
pub use write::{PollRecord, Writer};

use crate::config::HistorySettings;
use chrono::{DateTime, Utc};
use std::path::PathBuf;

/// The store's file name in a data directory.
pub const FILE_NAME: &str = "history.sqlite3";

/// Where the store is: `[history] path`, else `$BALTUI_DATA_DIR/history.sqlite3`,
/// else the platform data dir (`~/.local/share/baltui/history.sqlite3`).
/// None when there is no home to find a data dir in.
pub fn default_path(s: &HistorySettings) -> Option<PathBuf> {
    if let Some(p) = &s.path {
        return Some(p.clone());
    }
    if let Some(d) = std::env::var_os("BALTUI_DATA_DIR") {
        return Some(PathBuf::from(d).join(FILE_NAME));
    }
    let dirs = directories::ProjectDirs::from("", "", "baltui")?;
    Some(dirs.data_dir().join(FILE_NAME))
}

/// Unix milliseconds (UTC): how the store keeps times.
pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Back from unix milliseconds; None for a value out of chrono's range.
pub(crate) fn from_ms(v: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(v)
}
