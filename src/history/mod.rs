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

/// A reader that opens the store when first asked, and again after a
/// failed read (the store may not exist yet when a front end starts, or be
/// moved aside and started afresh by the writer).
pub struct LazyReader {
    path: PathBuf,
    heartbeat: std::time::Duration,
    reader: std::sync::Mutex<Option<Reader>>,
}

impl LazyReader {
    pub fn new(path: PathBuf, heartbeat: std::time::Duration) -> Self {
        LazyReader {
            path,
            heartbeat,
            reader: std::sync::Mutex::new(None),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&Reader) -> Result<T, String>) -> Result<T, String> {
        let mut slot = self
            .reader
            .lock()
            .map_err(|_| "history reader: an earlier read failed midway".to_string())?;
        let reader = match slot.take() {
            Some(r) => r,
            None => Reader::open(&self.path, self.heartbeat)?,
        };
        let out = f(&reader);
        // Kept only while it reads: a failure opens afresh next time.
        if out.is_ok() {
            *slot = Some(reader);
        }
        out
    }
}

impl crate::record::HistoryReader for LazyReader {
    fn last_known(&self) -> Result<Vec<(String, crate::model::Snapshot)>, String> {
        self.with(|r| r.last_known())
    }

    fn series(
        &self,
        account: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<crate::model::Series, String> {
        self.with(|r| r.series(account, from, to))
    }
}

/// The store as a front end opens it at start.
pub struct Opened {
    /// Records this process's polls; None when history is off, or (a
    /// monitor) another process already records into the store.
    pub writer: Option<Writer>,
    /// Reads the store (charts, last known values); None when history is off.
    pub reader: Option<std::sync::Arc<LazyReader>>,
    /// What to tell the user (history off, another process records).
    pub notes: Vec<String>,
}

/// Open the store `settings` name for a front end. `must_record` (the
/// service): a store another process records into is an error, so two
/// services never share one. A monitor then only reads (the service
/// records), and says so. The writer's own faults reach `report`.
pub fn open_for(
    settings: &HistorySettings,
    must_record: bool,
    report: write::Report,
) -> Result<Opened, String> {
    let mut out = Opened {
        writer: None,
        reader: None,
        notes: Vec::new(),
    };
    if !settings.enabled {
        out.notes
            .push("history is off ([history] enabled = false): no charts, nothing recorded".into());
        return Ok(out);
    }
    let Some(path) = default_path(settings) else {
        out.notes.push(
            "no data directory for the history store; set [history] path or BALTUI_DATA_DIR".into(),
        );
        return Ok(out);
    };
    match Writer::start(&path, settings.keep, settings.heartbeat, report) {
        Ok(w) => out.writer = Some(w),
        Err(e) if must_record => return Err(e),
        Err(e) => out.notes.push(format!("history: reading only ({e})")),
    }
    out.reader = Some(std::sync::Arc::new(LazyReader::new(
        path,
        settings.heartbeat,
    )));
    Ok(out)
}
