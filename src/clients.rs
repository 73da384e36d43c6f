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

/// A re-read config and its clients, ready to launch.
pub type Prepared = (crate::config::Config, Vec<VenueClient>);

/// Longest a reload may take to read secrets and build clients.
pub const RELOAD_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Build the clients of a re-read config in a task (a secret command may
/// prompt or hang: never on the caller's loop), within `RELOAD_LIMIT`. On
/// any error the caller keeps its old config running.
pub fn prepare_reload(
    cfg: crate::config::Config,
) -> tokio::task::JoinHandle<Result<Prepared, String>> {
    tokio::spawn(async move {
        let build = clients_for(&cfg.accounts, cfg.request_timeout);
        match tokio::time::timeout(RELOAD_LIMIT, build).await {
            Ok(clients) => Ok((cfg, clients?)),
            Err(_) => Err(format!(
                "reading the secrets took longer than {} s (a secret command waiting for input?); the old config keeps running",
                RELOAD_LIMIT.as_secs()
            )),
        }
    })
}

/// The end of the reload in `slot` (pending forever when there is none:
/// for a `select!` arm guarded by `slot.is_some()`).
pub async fn reloaded(
    slot: &mut Option<tokio::task::JoinHandle<Result<Prepared, String>>>,
) -> Result<Result<Prepared, String>, tokio::task::JoinError> {
    match slot.as_mut() {
        Some(task) => task.await,
        None => std::future::pending().await,
    }
}
