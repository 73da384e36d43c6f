//! Clients for configured accounts: each account's settings and secrets
//! turned into its venue's client (engine layer: it reads the config, the
//! venues below it do not). One bad account becomes a client that answers
//! with its config error; the others run.

use crate::venues::{BrokenClient, VenueClient, http_client, identify_all};
use std::time::Duration;

/// Clients for every account. Reading secrets can block (files, `pass` asking
/// for a PIN), so it runs on the blocking pool, not on an async worker. Then
/// each venue that needs one asks who the key belongs to (`identify_all`).
pub async fn clients_for(
    accounts: &[crate::config::AccountConfig],
    timeout: Duration,
) -> Result<Vec<VenueClient>, String> {
    let accounts = accounts.to_vec();
    let mut clients: Vec<VenueClient> = tokio::task::spawn_blocking(move || {
        let http = http_client(timeout);
        accounts
            .iter()
            .map(|a| {
                // One bad account stays one bad account: the others run.
                client_for(a, http.clone()).unwrap_or_else(|error| {
                    tracing::warn!(account = %a.name, %error, "account not polled: config error");
                    VenueClient::from(BrokenClient {
                        venue: a.venue,
                        name: a.name.clone(),
                        error,
                    })
                })
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| format!("reading credentials failed: {e}"))?;
    identify_all(&mut clients, timeout).await;
    Ok(clients)
}

/// Build the client for one configured account, resolving its secrets.
/// Errors name the account and the key whose secret could not be read.
pub fn client_for(
    acc: &crate::config::AccountConfig,
    http: reqwest::Client,
) -> Result<VenueClient, String> {
    if let Some(problem) = &acc.problem {
        return Err(problem.clone());
    }
    let resolve = |src: &crate::secrets::SecretSource, key: &str| {
        let (secret, from) = src
            .resolve_from()
            .map_err(|e| format!("account \"{}\": key `{key}`: {e}", acc.name))?;
        let in_header = acc
            .settings
            .as_ref()
            .is_none_or(|s| s.secret_in_header(key));
        if in_header && !secret.is_header_safe() {
            return Err(format!(
                "account \"{}\": key `{key}`: the value from {from} has characters an HTTP header cannot carry (a stray newline or control character?)",
                acc.name
            ));
        }
        // Where each credential came from, never its value.
        tracing::info!(account = %acc.name, key, source = %from, "credential read");
        Ok::<_, String>(secret)
    };
    let Some(settings) = &acc.settings else {
        return Err(format!(
            "account \"{}\": its settings are invalid (see the config errors)",
            acc.name
        ));
    };
    let mut secret = |key: &'static str, src: &crate::secrets::SecretSource| resolve(src, key);
    settings
        .build(&acc.base_url, http, &mut secret)
        .map(VenueClient::new)
}
