//! A monitor attached to a running `baltui serve` (`--connect URL`): reads
//! the service's state and event stream, and asks it to refresh. It polls no
//! venue itself.

use crate::monitor::{EventLine, Mirror};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// What the connection reports to the screen.
#[derive(Debug, Clone)]
pub enum Update {
    /// Connected (again) to the service at `host`.
    Connected { host: String },
    /// The service's accounts as of `generated_at` (its clock).
    State {
        accounts: Vec<Mirror>,
        generated_at: DateTime<Utc>,
    },
    /// A line of the service's events log.
    Event(EventLine),
    /// The connection is gone; the next try is in `retry_in`.
    Lost { error: String, retry_in: Duration },
}

/// The connection's handle: asks the service for a refresh (through the
/// service's budget; coalesced there).
#[derive(Debug, Clone)]
pub struct Handle {
    pub base_url: String,
}

impl Handle {
    /// Ask the service to refresh `account` (by name), or every account.
    /// Returns at once; a failure comes back as an `Update::Event`.
    pub fn refresh(&self, account: Option<String>) {
        let _ = account;
    }
}

/// Connect to the service at `base_url` (e.g. "http://127.0.0.1:9477") with
/// an optional bearer token, and keep reconnecting until the receiver is
/// dropped. (Placeholder until the client lands: reports it is not built.)
pub fn connect(
    base_url: &str,
    token: Option<crate::secrets::Secret>,
) -> (tokio::sync::mpsc::Receiver<Update>, Handle) {
    let _ = token;
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let _ = tx.try_send(Update::Lost {
        error: "the attach client is not built yet".into(),
        retry_in: Duration::from_secs(60),
    });
    (
        rx,
        Handle {
            base_url: base_url.to_string(),
        },
    )
}
