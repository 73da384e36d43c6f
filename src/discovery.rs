//! Account discovery: the accounts an account's credentials reach (Webull: an
//! app key without `account_id`). One place for the poller, the monitor and
//! `snapshot`, so they cannot disagree on names or on an empty answer.

use crate::config::AccountConfig;
use crate::venues::{Discovered, ErrorKind, VenueClient, VenueError};

/// The account id the config names, if any; None for a venue without
/// discovery or an account still to be discovered.
pub fn configured_account_id(a: &AccountConfig) -> Option<String> {
    a.account_id().map(str::to_string)
}

/// The accounts under `client`'s credentials. None at all is an error: the
/// account would otherwise sit in "loading" with nothing to poll.
pub async fn discover(client: &VenueClient) -> Result<Vec<Discovered>, VenueError> {
    let found = client.discover().await?;
    if found.is_empty() {
        return Err(VenueError::new(
            client.venue(),
            ErrorKind::Api {
                code: "NO_ACCOUNTS".into(),
                message: "account discovery found no account under this app key".into(),
            },
        ));
    }
    Ok(found)
}

/// The name of an account found under the configured account `group`:
/// "wb-hk/5MV12345".
pub fn account_name(group: &str, found: &Discovered) -> String {
    format!("{group}/{}", found.label)
}

/// A configured account as the accounts to fetch once: itself, or, while its
/// id is still to be discovered, each account found under its credentials
/// (named by `account_name`). A failed discovery keeps the configured name.
pub async fn expand(
    name: &str,
    client: VenueClient,
) -> Vec<(String, Result<VenueClient, VenueError>)> {
    if !client.needs_discovery() {
        return vec![(name.to_string(), Ok(client))];
    }
    match discover(&client).await {
        Ok(found) => found
            .iter()
            .map(|f| (account_name(name, f), Ok(client.for_account(&f.id))))
            .collect(),
        Err(e) => vec![(name.to_string(), Err(e))],
    }
}
