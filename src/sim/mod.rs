//! Simulated venues: real HTTP servers on loopback that speak each venue's
//! protocol, verify signatures, enforce rate limits, drift balances and
//! inject faults. Used by `baltui --demo`, `baltui sim` and the tests.
//!
//! One server hosts every venue (their paths do not collide); each venue's
//! handlers live in a sibling file (okx.rs; longport.rs / webull.rs later).

mod okx;
pub mod scenario;
mod state;

pub use state::SimState;

use crate::model::VenueKind;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Seed of the deterministic drift.
    pub seed: u64,
    /// HTTP status sent with OKX 50011: 429 (default) or 200; OKX uses both.
    pub rate_limit_status: u16,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 42,
            rate_limit_status: 429,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Spot-like account, small drift, no margin risk.
    Calm,
    /// Margin account whose ratio cycles 8 -> 1.2 -> 8 every 40 replies.
    MarginSwing,
}

/// One simulated account. The credentials are test values, not secrets.
#[derive(Clone)]
pub struct SimAccount {
    pub name: String,
    pub venue: VenueKind,
    pub api_key: String,
    pub secret_key: String,
    pub passphrase: String,
    pub scenario: Scenario,
}

impl std::fmt::Debug for SimAccount {
    // Test credentials still stay out of logs, so habits stay safe.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimAccount")
            .field("name", &self.name)
            .field("venue", &self.venue)
            .field("scenario", &self.scenario)
            .finish_non_exhaustive()
    }
}

/// The built-in demo set.
pub fn demo_accounts() -> Vec<SimAccount> {
    let okx = |name: &str, scenario| SimAccount {
        name: name.into(),
        venue: VenueKind::Okx,
        api_key: format!("sim-{name}-key"),
        secret_key: format!("sim-{name}-secret"),
        passphrase: format!("sim-{name}-pass"),
        scenario,
    };
    vec![
        okx("okx-main", Scenario::Calm),
        okx("okx-margin", Scenario::MarginSwing),
    ]
}

/// A fault for the next balance requests of one key (checked after auth).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 500 with a non-JSON body, as a failing gateway sends.
    Http500,
    /// Code 50011 with `rate_limit_status`; not counted as a violation.
    RateLimited,
    /// Sleep this long, then answer normally.
    Timeout(Duration),
    /// Valid JSON with one field wrong: `data[0].details[0].cashBal` = "12.3.4".
    Malformed,
    /// The connection drops mid-body (Content-Length promises more).
    Truncated,
}

pub struct Sim {
    pub addr: SocketAddr,
    pub state: Arc<SimState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sim {
    /// Bind (loopback only; port 0 picks one) and serve in the background.
    pub async fn start(
        bind: SocketAddr,
        opts: SimOptions,
        accounts: Vec<SimAccount>,
    ) -> std::io::Result<Sim> {
        use std::io::{Error, ErrorKind};
        if !bind.ip().is_loopback() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "the simulator binds loopback only",
            ));
        }
        let mut keys = std::collections::HashSet::new();
        for a in &accounts {
            if a.venue != VenueKind::Okx {
                let msg = format!(
                    "sim account {}: venue {} is not simulated yet",
                    a.name,
                    a.venue.as_str()
                );
                return Err(Error::new(ErrorKind::InvalidInput, msg));
            }
            if !keys.insert(a.api_key.as_str()) {
                let msg = format!("sim account {}: API key used twice", a.name);
                return Err(Error::new(ErrorKind::InvalidInput, msg));
            }
        }
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(SimState::new(opts, accounts));
        let app = router(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                // Dropping the sender (Sim dropped) also stops the server.
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!("sim server stopped: {e}");
            }
        });
        Ok(Sim {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// e.g. "http://127.0.0.1:18080".
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A ready-to-use baltui config, one `[[account]]` per sim account.
    pub fn config_toml(&self) -> String {
        let base = self.base_url();
        let mut out = format!(
            "# baltui config for the simulator at {base} (test credentials, not secrets)\n"
        );
        for a in self.state.accounts() {
            out.push_str("\n[[account]]\n");
            for (k, v) in [
                ("name", a.name.as_str()),
                ("venue", a.venue.as_str()),
                ("base_url", base.as_str()),
                ("api_key", a.api_key.as_str()),
                ("secret_key", a.secret_key.as_str()),
                ("passphrase", a.passphrase.as_str()),
            ] {
                out.push_str(&format!("{k} = {}\n", toml_string(v)));
            }
        }
        out
    }

    /// Stop accepting, let in-flight requests finish (at most 3 s), then stop.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(3), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        // Dropping `stop` ends the server; a detached task must not outlive us.
        self.stop.take();
    }
}

fn router(state: Arc<SimState>) -> Router {
    okx::routes().fallback(not_found).with_state(state)
}

/// Unknown paths: 404 with an OKX-shaped body (the only venue so far).
async fn not_found() -> axum::response::Response {
    okx::error(axum::http::StatusCode::NOT_FOUND, "404", "Not Found")
}

/// A TOML string literal, escaped by the toml crate.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_round_trip() {
        let nasty = "a\"b\\c\nd\u{1}e\u{7f}é";
        let doc = format!("k = {}", toml_string(nasty));
        let v: toml::Value = toml::from_str(&doc).unwrap();
        assert_eq!(v["k"].as_str(), Some(nasty));
    }
}
