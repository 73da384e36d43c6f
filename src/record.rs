//! Where the engine writes down what happened, for the history store: a seam
//! between whoever drives the `Monitor` (the service, the TUI) and the store.

use crate::alerts::Transition;
use crate::monitor::{Account, EventLine};
use chrono::{DateTime, Utc};

/// Takes what the engine saw, in order. Called on the engine's own task:
/// an implementation queues and returns at once (no disk I/O in these
/// calls), and reports its own failures as events of the engine.
pub trait Recorder: Send {
    /// Account `account` right after a poll at `at`: its `poll` state says
    /// whether this poll failed; its `snapshot` is the last good one.
    fn polled(&mut self, account: &Account, at: DateTime<Utc>);
    /// A finding or status moved (every one, alerted or not).
    fn transition(&mut self, t: &Transition, at: DateTime<Utc>);
    /// A line of the events log.
    fn event(&mut self, e: &EventLine);
}

/// Reads the history store. Calls block on the disk: callers run them off
/// the async workers (`spawn_blocking`) and never on a render path.
pub trait HistoryReader: Send + Sync {
    /// Each account's last good snapshot, by account name.
    fn last_known(&self) -> Result<Vec<(String, crate::model::Snapshot)>, String>;
    /// Account `account`'s margin ratio and net assets from `from` to `to`
    /// (see `model::Series` for the gap rule).
    fn series(
        &self,
        account: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<crate::model::Series, String>;
}
