//! Logging goes to a file, never to the terminal the screen draws on.
//! Daily files, the last 7 kept, so a monitor left for weeks stays bounded.

use std::path::PathBuf;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// `$BALTUI_LOG_DIR`, else the platform state dir (`~/.local/state/baltui`).
pub fn log_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("BALTUI_LOG_DIR") {
        return Some(PathBuf::from(d));
    }
    let dirs = directories::ProjectDirs::from("", "", "baltui")?;
    Some(
        dirs.state_dir()
            .unwrap_or(dirs.data_local_dir())
            .to_path_buf(),
    )
}

/// Start logging; keep the guard alive until exit so lines are flushed.
/// `BALTUI_LOG` sets the filter (default `info`). No log dir: no logging.
pub fn init() -> Option<WorkerGuard> {
    let dir = log_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("baltui")
        .filename_suffix("log")
        .max_log_files(7)
        .build(&dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("BALTUI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}

/// Logging for `baltui serve`: plain lines on stderr (no colour when stderr
/// is not a terminal, so journald and container logs stay clean).
/// `BALTUI_LOG` sets the filter (default `info`).
pub fn init_stderr() {
    use std::io::IsTerminal;
    let filter = EnvFilter::try_from_env("BALTUI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
