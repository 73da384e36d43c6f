//! What every venue client shares: the venue API (`api`), the one HTTP path
//! (`http`), errors, rate budgets, and the registry of venues.

pub mod api;
pub mod binance;
pub mod budget;
pub mod bybit;
pub mod error;
pub mod http;
pub mod longport;
pub mod okx;
pub mod registry;
pub mod settings;
pub mod webull;

pub use api::{Account, AccountBase, BoxFuture, Discovered, Protocol, Venue};
pub use budget::{Limit, RateBudget, grants_per_window};
pub use error::{ErrorClass, ErrorKind, VenueError, decode};
pub use http::{MAX_BODY, http_client, read_body, status_error, transport_error, unknown_code};

use crate::model::{Snapshot, VenueKind};
use std::sync::Arc;
use std::time::Duration;

/// A configured client for one account, whatever its venue.
pub struct VenueClient(Box<dyn Account>);

impl Clone for VenueClient {
    fn clone(&self) -> Self {
        VenueClient(self.0.clone_box())
    }
}

impl<A: Account> From<A> for VenueClient {
    fn from(a: A) -> Self {
        VenueClient(Box::new(a))
    }
}

/// The stand-in for an account that cannot be polled as configured: every
/// fetch answers with the config error, no request is sent, the others run.
#[derive(Clone, Debug)]
pub struct BrokenClient {
    pub venue: VenueKind,
    pub name: String,
    pub error: String,
}

impl Account for BrokenClient {
    fn venue(&self) -> VenueKind {
        self.venue
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Snapshot, VenueError>> {
        let e = VenueError::new(self.venue, ErrorKind::Config(self.error.clone()));
        Box::pin(async move { Err(e) })
    }
    /// A key of its own: it shares no budget and slows no one.
    fn limit(&self) -> Limit {
        Limit {
            key: format!("broken:{}", digest(&format!("broken|{}", self.name))),
            requests: 10,
            window: Duration::from_secs(1),
            min_gap: Duration::ZERO,
        }
    }
    fn budget(&self) -> Option<&Arc<RateBudget>> {
        None
    }
    // It sends nothing: no budget to wait for.
    fn set_budget(&mut self, _: Arc<RateBudget>) {}
}

/// A short hex digest for a budget key (no credential is kept in a key).
pub fn digest(s: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(s.as_bytes())[..8])
}

impl VenueClient {
    pub fn new(a: Box<dyn Account>) -> Self {
        VenueClient(a)
    }

    /// The account behind it, to reach a venue's own methods in tests and
    /// tools (`as_any().downcast_ref::<okx::OkxClient>()`).
    pub fn account(&self) -> &dyn Account {
        self.0.as_ref()
    }

    pub async fn fetch(&self) -> Result<Snapshot, VenueError> {
        self.0.fetch().await
    }

    /// The budget this client's requests wait for.
    pub fn budget(&self) -> Option<&Arc<RateBudget>> {
        self.0.budget()
    }

    /// Make every request of this client wait for `budget`.
    pub fn set_budget(&mut self, budget: Arc<RateBudget>) {
        self.0.set_budget(budget)
    }

    pub fn venue(&self) -> VenueKind {
        self.0.venue()
    }

    /// True while the account id is still to be discovered.
    pub fn needs_discovery(&self) -> bool {
        self.0.needs_discovery()
    }

    /// Whether this venue lists an app key's accounts (so a manual refresh
    /// of an account found that way looks for new ones).
    pub fn discovers(&self) -> bool {
        self.0.discovers()
    }

    /// The accounts under these credentials (through the budget).
    pub async fn discover(&self) -> Result<Vec<Discovered>, VenueError> {
        self.0.discover().await
    }

    /// The same credentials and budget, for another account.
    pub fn for_account(&self, id: &str) -> VenueClient {
        VenueClient(self.0.for_account(id))
    }

    /// Note that the budget is being planned now.
    pub fn mark_planned(&self) {
        self.0.mark_planned()
    }

    /// What the budget key is derived from, for `check`.
    pub fn budget_basis(&self) -> Option<String> {
        self.0.budget_basis()
    }

    /// What `check --online` says about the clock, if measured.
    pub fn clock_note(&self) -> Option<String> {
        self.0.clock_note()
    }

    /// Which requests share one budget, and that budget's published limit.
    pub fn limit(&self) -> Limit {
        self.0.limit()
    }
}

/// Longest wait for the identity calls before polling starts: a venue that
/// does not answer must not hold up the screen (its poller asks again later).
pub const IDENTIFY_WAIT: Duration = Duration::from_secs(5);

/// One identity call per identity group (OKX: per API key, through that
/// key's config budget), so budgets can be keyed on who the key belongs to
/// before the accounts are planned. Failures are logged; the venue keeps its
/// fallback key.
pub async fn identify_all(clients: &mut [VenueClient], timeout: Duration) {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, c) in clients.iter().enumerate() {
        if let Some(key) = c.0.identity_group() {
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(i),
                None => groups.push((key, vec![i])),
            }
        }
    }
    let wait = timeout.min(IDENTIFY_WAIT);
    let asks = groups.iter().filter_map(|(_, members)| {
        let first = clients.get(*members.first()?)?.clone();
        Some(async move {
            let venue = first.venue();
            match tokio::time::timeout(wait, first.0.identify()).await {
                Ok(Ok(())) => Some(first),
                Ok(Err(e)) => {
                    tracing::warn!(%venue, error = %e, "identity call failed; budget keyed by the key");
                    None
                }
                Err(_) => {
                    tracing::warn!(%venue, "identity call timed out; budget keyed by the key");
                    None
                }
            }
        })
    });
    let found = futures::future::join_all(asks).await;
    for ((_, members), first) in groups.iter().zip(found) {
        let Some(first) = first else { continue };
        for &i in members {
            if let Some(c) = clients.get(i) {
                c.0.adopt_identity(first.account());
            }
        }
    }
}
