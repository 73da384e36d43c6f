//! Simulated venues: real HTTP servers on loopback that speak each venue's
//! protocol, verify signatures, enforce rate limits, drift balances and
//! inject faults. Used by `baltui --demo`, `baltui sim` and the tests.
//!
//! One server hosts every venue (their paths do not collide); each venue's
//! handlers live in a sibling file (okx.rs, longport.rs; webull.rs later).

mod longport;
mod okx;
pub mod scenario;
mod state;

pub use longport::{ACCOUNT_PATH as LONGPORT_PATH, LEGACY_PATH as LONGPORT_LEGACY_PATH};
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
    /// LongPort: broker margin account whose `risk_level` walks
    /// 0 -> 1 -> 2 -> 3 -> 2 -> 1 -> 0 every 40 replies (`margin_call` > 0 at 3).
    RiskWalk,
    /// LongPort: broker account at risk level 0, small drift.
    BrokerCalm,
    /// LongPort: as BrokerCalm, but every third reply has "" for `risk_level`,
    /// `net_assets`, `init_margin`, `maintenance_margin` and `buy_power`.
    BrokerBlanks,
}

impl Scenario {
    /// Whether this scenario can be served for `venue`.
    pub fn serves(self, venue: VenueKind) -> bool {
        match self {
            Scenario::Calm | Scenario::MarginSwing => venue == VenueKind::Okx,
            Scenario::RiskWalk | Scenario::BrokerCalm | Scenario::BrokerBlanks => {
                venue == VenueKind::Longport
            }
        }
    }
}

/// One simulated account. The credentials are test values, not secrets.
///
/// The three credential fields are named after OKX's; for LongPort,
/// `api_key` is the app key, `secret_key` the app secret and `passphrase`
/// the access token. `api_key` identifies the account, so it must be unique.
#[derive(Clone)]
pub struct SimAccount {
    pub name: String,
    pub venue: VenueKind,
    pub api_key: String,
    pub secret_key: String,
    pub passphrase: String,
    pub scenario: Scenario,
    /// LongPort only: the balance path this account is configured with.
    /// None = the current `/v1/asset/account`; `Some(LONGPORT_LEGACY_PATH)` =
    /// the legacy call. Both paths answer for every LongPort account; this
    /// only decides what `config_toml()` writes. Must be None for OKX.
    pub path: Option<String>,
}

impl std::fmt::Debug for SimAccount {
    // Test credentials still stay out of logs, so habits stay safe.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimAccount")
            .field("name", &self.name)
            .field("venue", &self.venue)
            .field("scenario", &self.scenario)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The OKX part of the demo set (OKX-only tests use it).
pub fn okx_demo_accounts() -> Vec<SimAccount> {
    let okx = |name: &str, scenario| SimAccount {
        name: name.into(),
        venue: VenueKind::Okx,
        api_key: format!("sim-{name}-key"),
        secret_key: format!("sim-{name}-secret"),
        passphrase: format!("sim-{name}-pass"),
        scenario,
        path: None,
    };
    vec![
        okx("okx-main", Scenario::Calm),
        okx("okx-margin", Scenario::MarginSwing),
    ]
}

/// The LongPort demo accounts: "lp-hk" (RiskWalk, current path) and
/// "lp-legacy" (BrokerCalm, legacy path).
pub fn longport_demo_accounts() -> Vec<SimAccount> {
    let longport = |name: &str, scenario, path: Option<&str>| SimAccount {
        name: name.into(),
        venue: VenueKind::Longport,
        api_key: format!("sim-{name}-app-key"),
        secret_key: format!("sim-{name}-app-secret"),
        passphrase: format!("sim-{name}-token"),
        scenario,
        path: path.map(String::from),
    };
    vec![
        longport("lp-hk", Scenario::RiskWalk, None),
        longport(
            "lp-legacy",
            Scenario::BrokerCalm,
            Some(LONGPORT_LEGACY_PATH),
        ),
    ]
}

/// Every demo account: `okx_demo_accounts()` then `longport_demo_accounts()`.
pub fn demo_accounts() -> Vec<SimAccount> {
    let mut all = okx_demo_accounts();
    all.extend(longport_demo_accounts());
    all
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
    /// LongPort: HTTP 401, code 401003 "token expired". (OKX: 401, 50114.)
    TokenExpired,
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
            let refuse = |why: String| {
                let msg = format!("sim account {}: {why}", a.name);
                Err(Error::new(ErrorKind::InvalidInput, msg))
            };
            match a.venue {
                VenueKind::Okx | VenueKind::Longport => {}
                other => return refuse(format!("venue {} is not simulated yet", other.as_str())),
            }
            if !a.scenario.serves(a.venue) {
                return refuse(format!(
                    "scenario {:?} is not available for {}",
                    a.scenario,
                    a.venue.as_str()
                ));
            }
            match (a.venue, a.path.as_deref()) {
                (_, None) => {}
                (VenueKind::Longport, Some(p))
                    if p == LONGPORT_PATH || p == LONGPORT_LEGACY_PATH => {}
                (_, Some(p)) => return refuse(format!("path {p:?} is not simulated")),
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
            let mut keys = vec![
                ("name", a.name.as_str()),
                ("venue", a.venue.as_str()),
                ("base_url", base.as_str()),
            ];
            match a.venue {
                VenueKind::Longport => {
                    keys.extend([
                        ("app_key", a.api_key.as_str()),
                        ("app_secret", a.secret_key.as_str()),
                        ("access_token", a.passphrase.as_str()),
                    ]);
                    if let Some(p) = a.path.as_deref().filter(|p| *p != LONGPORT_PATH) {
                        keys.push(("path", p));
                    }
                }
                _ => keys.extend([
                    ("api_key", a.api_key.as_str()),
                    ("secret_key", a.secret_key.as_str()),
                    ("passphrase", a.passphrase.as_str()),
                ]),
            }
            for (k, v) in keys {
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
    okx::routes()
        .merge(longport::routes())
        .fallback(not_found)
        .with_state(state)
}

/// Unknown paths: 404 with a LongPort-shaped body under /v1/, else OKX-shaped.
async fn not_found(
    axum::extract::State(st): axum::extract::State<Arc<SimState>>,
    uri: axum::http::Uri,
) -> axum::response::Response {
    let status = axum::http::StatusCode::NOT_FOUND;
    if uri.path().starts_with("/v1/") {
        longport::error(&st, status, 404001, "not found")
    } else {
        okx::error(status, "404", "Not Found")
    }
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

    fn lp(name: &str, scenario: Scenario, path: Option<&str>) -> SimAccount {
        SimAccount {
            name: name.into(),
            venue: VenueKind::Longport,
            api_key: format!("{name}-k"),
            secret_key: format!("{name}-s"),
            passphrase: format!("{name}-t"),
            scenario,
            path: path.map(String::from),
        }
    }

    async fn start(accounts: Vec<SimAccount>) -> std::io::Result<Sim> {
        Sim::start(([127, 0, 0, 1], 0).into(), SimOptions::default(), accounts).await
    }

    #[tokio::test]
    async fn start_refuses_what_it_cannot_serve() {
        let mut okx_walk = lp("a", Scenario::RiskWalk, None);
        okx_walk.venue = VenueKind::Okx;
        let mut webull = lp("w", Scenario::BrokerCalm, None);
        webull.venue = VenueKind::Webull;
        let mut okx_path = demo_accounts().remove(0);
        okx_path.path = Some(LONGPORT_PATH.into());
        for bad in [
            vec![okx_walk],
            vec![webull],
            vec![okx_path],
            vec![lp("b", Scenario::MarginSwing, None)],
            vec![lp("c", Scenario::Calm, None)],
            vec![lp("d", Scenario::RiskWalk, Some("/v1/other"))],
            vec![lp("e", Scenario::RiskWalk, None), {
                let mut twin = lp("f", Scenario::BrokerCalm, None);
                twin.api_key = "e-k".into();
                twin
            }],
        ] {
            let what = format!("{bad:?}");
            assert!(start(bad).await.is_err(), "{what}");
        }
        let ok = start(vec![
            lp("g", Scenario::RiskWalk, Some(LONGPORT_PATH)),
            lp("h", Scenario::BrokerBlanks, Some(LONGPORT_LEGACY_PATH)),
        ])
        .await;
        assert!(ok.is_ok());
    }

    #[tokio::test]
    async fn config_toml_writes_longport_keys() {
        let sim = start(demo_accounts()).await.unwrap();
        let doc: toml::Value = toml::from_str(&sim.config_toml()).unwrap();
        let accounts = doc["account"].as_array().unwrap();
        let keys = |name: &str| {
            let a = accounts
                .iter()
                .find(|a| a["name"].as_str() == Some(name))
                .unwrap();
            let mut k: Vec<&str> = a.as_table().unwrap().keys().map(String::as_str).collect();
            k.sort_unstable();
            (a.clone(), k)
        };
        let (hk, k) = keys("lp-hk");
        assert_eq!(
            k,
            [
                "access_token",
                "app_key",
                "app_secret",
                "base_url",
                "name",
                "venue"
            ]
        );
        assert_eq!(hk["venue"].as_str(), Some("longport"));
        assert_eq!(hk["app_key"].as_str(), Some("sim-lp-hk-app-key"));
        assert_eq!(hk["base_url"].as_str(), Some(sim.base_url().as_str()));
        let (legacy, k) = keys("lp-legacy");
        assert_eq!(
            k,
            [
                "access_token",
                "app_key",
                "app_secret",
                "base_url",
                "name",
                "path",
                "venue"
            ]
        );
        assert_eq!(legacy["path"].as_str(), Some(LONGPORT_LEGACY_PATH));
        let (_, k) = keys("okx-main");
        assert_eq!(
            k,
            [
                "api_key",
                "base_url",
                "name",
                "passphrase",
                "secret_key",
                "venue"
            ]
        );
    }
}
