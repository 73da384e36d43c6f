//! A client that answers from a script with no I/O, for scheduler tests on
//! paused tokio time (test code: it is not in the shipped binary). Every call goes through its budget and
//! is logged with the (tokio) instant it was granted.

use baltui::model::{Snapshot, VenueKind};
use baltui::venues::{Account, BoxFuture, Limit, RateBudget, VenueError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The scripted client's venue (not in the registry).
pub const KIND: VenueKind = VenueKind::new(&baltui::model::VenueName {
    id: "fake",
    label: "Fake",
});

/// Call number (from 0) -> the answer.
pub type Script = Arc<dyn Fn(u64) -> Result<Snapshot, VenueError> + Send + Sync>;

#[derive(Clone)]
pub struct FakeClient {
    pub name: String,
    /// Accounts with equal keys share one budget.
    pub key: String,
    pub requests: u32,
    pub window: Duration,
    pub script: Script,
    /// (when, account name) of every call, shared by clones.
    pub log: Arc<Mutex<Vec<(Instant, String)>>>,
    budget: Option<Arc<RateBudget>>,
}

impl FakeClient {
    pub fn new(name: &str, key: &str, requests: u32, window: Duration, script: Script) -> Self {
        FakeClient {
            name: name.into(),
            key: key.into(),
            requests,
            window,
            script,
            log: Arc::new(Mutex::new(Vec::new())),
            budget: None,
        }
    }

    /// Share one call log between several fakes.
    pub fn with_log(mut self, log: Arc<Mutex<Vec<(Instant, String)>>>) -> Self {
        self.log = log;
        self
    }

    async fn call(&self) -> Result<Snapshot, VenueError> {
        if let Some(b) = &self.budget {
            b.acquire().await;
        }
        let n = match self.log.lock() {
            Ok(mut log) => {
                let n = log.iter().filter(|(_, who)| *who == self.name).count() as u64;
                log.push((Instant::now(), self.name.clone()));
                n
            }
            Err(_) => 0,
        };
        (self.script)(n)
    }
}

impl Account for FakeClient {
    /// A venue of its own: the scripted client is no real venue.
    fn venue(&self) -> VenueKind {
        KIND
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Snapshot, VenueError>> {
        Box::pin(self.call())
    }
    fn limit(&self) -> Limit {
        Limit {
            key: format!("fake:{}", self.key),
            requests: self.requests,
            window: self.window,
            min_gap: Duration::ZERO,
        }
    }
    fn budget(&self) -> Option<&Arc<RateBudget>> {
        self.budget.as_ref()
    }
    fn set_budget(&mut self, b: Arc<RateBudget>) {
        self.budget = Some(b);
    }
}
