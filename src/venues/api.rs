//! What a venue implements. Two parts:
//!
//! - [`Protocol`]: the venue's wire rules with no I/O (error body, error codes,
//!   trace header, hints). The shared HTTP path (`http::exchange`) applies them
//!   the same way for every venue.
//! - [`Account`]: one configured account's client. It builds and signs its
//!   requests (pure functions in the venue's `sign` module), sends them only
//!   through `http::exchange`, and parses the replies (pure functions in its
//!   `normalize` module). Optional capabilities (identity, discovery) are
//!   methods with a default of "not offered".

use super::{ErrorKind, Limit, RateBudget, VenueError};
use crate::model::{Snapshot, VenueKind};
use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A venue's wire rules, without sockets, sleeps or clocks.
pub trait Protocol: Send + Sync {
    fn venue(&self) -> VenueKind;

    /// The venue's error code and message when `body` is an error body (a code
    /// that is not the venue's success code). Judged at ANY HTTP status: an
    /// error body sent with 200 is an error, never a healthy account.
    fn error_code(&self, body: &[u8]) -> Option<(String, String)>;

    /// The meaning of a documented code; None: judged by the HTTP status it
    /// came with (`http::unknown_code`).
    fn classify(&self, code: &str, message: &str) -> Option<ErrorKind>;

    /// The response header carrying the venue's request id, for a support ticket.
    fn trace_header(&self) -> Option<&'static str> {
        None
    }

    /// What to check when the venue refused the credentials (for `check`).
    fn auth_hint(&self, code: &str) -> &'static str;
}

/// An account found through a venue's account discovery (Webull).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// What the balance call takes.
    pub id: String,
    /// What a person knows it by (the account number, else the id).
    pub label: String,
}

/// Cloning and downcasting for every `Account` (a blanket impl: no venue
/// writes these).
pub trait AccountBase {
    fn clone_box(&self) -> Box<dyn Account>;
    fn as_any(&self) -> &dyn Any;
}

impl<T: Account + Clone> AccountBase for T {
    fn clone_box(&self) -> Box<dyn Account> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// One configured account's client. Clones share budgets and learned state.
pub trait Account: AccountBase + Send + Sync + 'static {
    fn venue(&self) -> VenueKind;

    /// One poll: every request the balance needs, through the budget.
    fn fetch(&self) -> BoxFuture<'_, Result<Snapshot, VenueError>>;

    /// Which requests share one budget, and that budget's published limit.
    /// The key is a digest, so no credential is kept in it.
    fn limit(&self) -> Limit;

    fn budget(&self) -> Option<&Arc<RateBudget>>;

    /// Make every request of this client wait for `budget`.
    fn set_budget(&mut self, budget: Arc<RateBudget>);

    // --- Identity (a call that tells who the key belongs to, e.g. OKX's
    // account config, before the budget is planned).

    /// Accounts answering the same key share one identity call; None: this
    /// venue has no identity call.
    fn identity_group(&self) -> Option<String> {
        None
    }

    /// Ask who the key belongs to (through its own budget) and remember it.
    fn identify(&self) -> BoxFuture<'_, Result<(), VenueError>> {
        let v = self.venue();
        Box::pin(async move { Err(not_offered(v, "identity")) })
    }

    /// Take what another account of the same identity group learned.
    fn adopt_identity(&self, _from: &dyn Account) {}

    /// Note that the budget is being planned now (so an identity learned later
    /// is reported, not silently ignored).
    fn mark_planned(&self) {}

    /// What the budget key is derived from, where the venue decides it at run
    /// time (for `check`).
    fn budget_basis(&self) -> Option<String> {
        None
    }

    /// What `check --online` says about the clock, if the venue measured it.
    fn clock_note(&self) -> Option<String> {
        None
    }

    // --- Discovery (listing the accounts under one key, e.g. Webull).

    /// Whether this venue lists a key's accounts.
    fn discovers(&self) -> bool {
        false
    }

    /// True while the account id is still to be discovered.
    fn needs_discovery(&self) -> bool {
        false
    }

    /// The accounts under these credentials (through the budget).
    fn discover(&self) -> BoxFuture<'_, Result<Vec<Discovered>, VenueError>> {
        let v = self.venue();
        Box::pin(async move { Err(not_offered(v, "discovery")) })
    }

    /// The same credentials and budget, for another account (discovery).
    fn for_account(&self, _id: &str) -> Box<dyn Account> {
        self.clone_box()
    }
}

fn not_offered(venue: VenueKind, what: &str) -> VenueError {
    VenueError::new(
        venue,
        ErrorKind::Api {
            code: format!("NO_{}", what.to_uppercase()),
            message: format!("this venue has no account {what}"),
        },
    )
}

/// A venue as the registry lists it: its wire rules, and the `[[account]]`
/// keys it reads.
/// The poll interval of an account that sets none (most venues).
pub const DEFAULT_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);
/// The shortest poll interval an account may set (most venues): faster
/// risks byte-identical signed requests in one second (LongPort 403202).
pub const MIN_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

pub trait Venue: Protocol {
    /// The keys this venue reads besides name, venue, base_url and poll_interval.
    fn keys(&self) -> &'static [&'static str];

    /// A balance reply's body (HTTP 200) as the client reads it for an
    /// account with default settings (Webull: the account the body names):
    /// the error rule, the decode and the normalization, no I/O. What the
    /// conformance tests and the fuzz test drive for every venue.
    fn parse_balance(&self, body: &[u8]) -> Result<Snapshot, VenueError>;

    /// `CurrencyBalance` field name -> the wire field it is read from, as the
    /// venue's document names it (`details[].cashBal`), for each field the
    /// venue's normalization fills. Empty: the venue names none.
    fn field_names(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// The poll interval when the account sets none, and the shortest one
    /// it may set. Binance and Bybit ask for a politer default (§7).
    fn poll_intervals(&self) -> (std::time::Duration, std::time::Duration) {
        (DEFAULT_POLL_INTERVAL, MIN_POLL_INTERVAL)
    }

    /// Read them (errors go into `keys`); None when the account cannot be
    /// set up (a required key is missing or unusable).
    fn parse_settings(
        &self,
        keys: &mut super::settings::AccountKeys<'_>,
    ) -> Option<Arc<dyn super::settings::AccountSettings>>;
}
