//! Opening the store: the writer's connection (creates, migrates, moves a
//! corrupt file aside), a reader's (read-only), and the one-writer lock.

use super::schema;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a statement waits for another connection's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An open connection to the store.
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
}

/// Why a file could not be opened: corrupt files are moved aside by the
/// writer; anything else is reported as it is.
enum OpenError {
    Corrupt(String),
    Other(String),
}

fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

/// `path` with `suffix` appended to its file name (`x.sqlite3` -> `x.sqlite3-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s: OsString = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

impl Store {
    /// The writer's connection: creates the directory and file, WAL journal,
    /// migrations. A corrupt file (not a database, or failing `quick_check`)
    /// is moved aside with its -wal/-shm and a fresh store started; the
    /// returned note says both paths, for the caller to show as an event.
    pub fn open(path: &Path) -> Result<(Store, Option<String>), String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                format!(
                    "{}: cannot create the history directory: {e}",
                    dir.display()
                )
            })?;
        }
        match Self::open_rw(path) {
            Ok(s) => Ok((s, None)),
            Err(OpenError::Other(e)) => Err(e),
            Err(OpenError::Corrupt(why)) => {
                let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
                let aside = with_suffix(path, &format!(".corrupt-{stamp}"));
                for ext in ["", "-wal", "-shm"] {
                    let from = with_suffix(path, ext);
                    if from.exists() {
                        let to = with_suffix(&aside, ext);
                        std::fs::rename(&from, &to).map_err(|e| {
                            format!(
                                "{}: corrupt ({why}) and cannot be moved to {}: {e}",
                                from.display(),
                                to.display()
                            )
                        })?;
                    }
                }
                let store = Self::open_rw(path).map_err(|e| match e {
                    OpenError::Corrupt(e) | OpenError::Other(e) => e,
                })?;
                let note = format!(
                    "history: {} was not a usable database ({why}); moved it to {} and started a fresh one",
                    path.display(),
                    aside.display()
                );
                Ok((store, Some(note)))
            }
        }
    }

    fn open_rw(path: &Path) -> Result<Store, OpenError> {
        let other = |e: rusqlite::Error| {
            if is_corrupt(&e) {
                OpenError::Corrupt(e.to_string())
            } else {
                OpenError::Other(format!(
                    "{}: cannot open the history store: {e}",
                    path.display()
                ))
            }
        };
        let mut conn = Connection::open(path).map_err(other)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(other)?;
        // The first statement that reads the file: garbage fails here.
        let _: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(other)?;
        // WAL keeps the file consistent on power loss with NORMAL; only the
        // last transactions may be lost, which a monitor can afford.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(other)?;
        let check: String = conn
            .pragma_query_value(None, "quick_check", |r| r.get(0))
            .map_err(other)?;
        if check != "ok" {
            return Err(OpenError::Corrupt(format!("quick_check: {check}")));
        }
        schema::migrate(&mut conn, path).map_err(OpenError::Other)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// A reader's connection: read-only, never creates, migrates or moves
    /// anything. A file newer than this build is refused.
    pub fn open_read(path: &Path) -> Result<Store, String> {
        if !path.exists() {
            return Err(format!("no history store at {}", path.display()));
        }
        let fail =
            |e: rusqlite::Error| format!("{}: cannot read the history store: {e}", path.display());
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(fail)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        let v = schema::version(&conn).map_err(fail)?;
        schema::check_not_newer(v, path)?;
        if v < 1 {
            return Err(format!(
                "{}: not a history store yet (no tables); start baltui with history on to create it",
                path.display()
            ));
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The one-writer lock: `<path>.lock`, held while the returned guard
    /// lives, with this process's id in it. A second writer is refused with
    /// the holder's pid.
    pub fn lock(path: &Path) -> Result<StoreLock, LockError> {
        use std::io::{Read, Seek, Write};
        let lock_path = with_suffix(path, ".lock");
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                LockError::Io(format!(
                    "{}: cannot create the history directory: {e}",
                    dir.display()
                ))
            })?;
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| {
                LockError::Io(format!(
                    "{}: cannot open the lock file: {e}",
                    lock_path.display()
                ))
            })?;
        match file.try_lock() {
            Ok(()) => {
                // Best effort: the pid is for the message a second writer gets.
                let _ = file.set_len(0);
                let _ = file.rewind();
                let _ = write!(file, "{}", std::process::id());
                let _ = file.flush();
                Ok(StoreLock {
                    _file: file,
                    path: lock_path,
                })
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                let pid = if pid.is_empty() { "unknown" } else { pid };
                Err(LockError::Held(format!(
                    "another baltui process (pid {pid}) is recording into {}; stop it, or give this one its own [history] path",
                    path.display()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(LockError::Io(format!(
                "{}: cannot lock the history store: {e}",
                lock_path.display()
            ))),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Why the lock was not taken.
#[derive(Debug, Clone, PartialEq)]
pub enum LockError {
    /// Another process holds it: the message names it and the store.
    Held(String),
    /// The lock file cannot be made (a read-only or missing directory).
    Io(String),
}

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::Held(m) | LockError::Io(m) => f.write_str(m),
        }
    }
}

/// Held by the one process that writes the store; released on drop (and by
/// the OS when the process ends, however it ends).
pub struct StoreLock {
    _file: std::fs::File,
    path: PathBuf,
}

impl StoreLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
