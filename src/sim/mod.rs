//! Simulated venues: real HTTP servers on loopback that speak each venue's
//! protocol, verify signatures, enforce rate limits, drift balances and
//! inject faults. Used by `baltui --demo`, `baltui sim` and the tests.
//!
//! One server hosts every venue (their paths do not collide); each venue's
//! handlers live in its own folder (`venues/<venue>/sim.rs`) and are listed
//! by the venue registry ([`SimVenue`]).

pub mod scenario;
pub(crate) mod state;

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
    /// Binance's per-minute request weight limit of every family, published
    /// in exchangeInfo and enforced, instead of the venue's (a small one is
    /// quick to reach in a test).
    pub binance_weight_limit: Option<u32>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 42,
            rate_limit_status: 429,
            binance_weight_limit: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Spot mode account (acctLv 1), small drift, no borrowing. (Bybit: a
    /// unified account without positions.)
    Calm,
    /// Margin account whose ratio cycles 8 -> 1.2 -> 8 every 40 replies
    /// (Bybit: accountMMRate 0.125 -> 0.83 -> 0.125).
    MarginSwing,
    /// LongPort: broker margin account whose `risk_level` walks
    /// 0 -> 1 -> 2 -> 3 -> 2 -> 1 -> 0 every 40 replies (`margin_call` > 0 at 3).
    RiskWalk,
    /// LongPort: broker account at risk level 0, small drift.
    BrokerCalm,
    /// LongPort: as BrokerCalm, but every third reply has "" for `risk_level`,
    /// `net_assets`, `init_margin`, `maintenance_margin` and `buy_power`.
    BrokerBlanks,
    /// Webull: an app key's brokerage accounts holding HKD, USD and CNH. The
    /// first sub-account carries a USD margin loan whose
    /// `margin_utilization_rate` swings about 20% -> 85% -> 20% every 40
    /// replies (interest accruing); the others are calm cash accounts.
    BrokerMargin,
    /// OKX Futures mode (single-currency margin): no account-level ratio;
    /// USDT's cross margin ratio cycles 8 -> 1.1 -> 8 every 40 replies, BTC's
    /// stays near 12.
    FuturesSwing,
    /// Binance classic (spot, cross margin, USDⓈ-M futures): the cross
    /// `marginLevel` walks 3.0 -> 1.15 -> 3.0 every 40 replies, through the
    /// 1.5 (normal) and 1.3 (margin call) bars, never to 1.1.
    MarginLevelWalk,
    /// Binance Portfolio Margin: uniMMR near 4, status NORMAL, small drift.
    PortfolioMargin,
}

impl Scenario {
    /// Whether this scenario can be served for `venue`.
    pub fn serves(self, venue: VenueKind) -> bool {
        match self {
            Scenario::Calm | Scenario::MarginSwing => {
                venue == crate::venues::okx::KIND || venue == crate::venues::bybit::KIND
            }
            Scenario::FuturesSwing => venue == crate::venues::okx::KIND,
            Scenario::RiskWalk | Scenario::BrokerCalm | Scenario::BrokerBlanks => {
                venue == crate::venues::longport::KIND
            }
            Scenario::BrokerMargin => venue == crate::venues::webull::KIND,
            Scenario::MarginLevelWalk | Scenario::PortfolioMargin => {
                venue == crate::venues::binance::KIND
            }
        }
    }
}

/// One simulated account. The credentials are test values, not secrets.
///
/// The three credential fields are named after OKX's; for LongPort,
/// `api_key` is the app key, `secret_key` the app secret and `passphrase`
/// the access token. `api_key` identifies the account, so it must be unique.
///
/// For Webull one `SimAccount` is one APP KEY: `api_key` = app key,
/// `secret_key` = app secret, `passphrase` = access token ("" = this app key
/// needs none), and `webull` lists the brokerage accounts under it and the
/// app key's rate budget.
#[derive(Clone)]
pub struct SimAccount {
    pub name: String,
    pub venue: VenueKind,
    pub api_key: String,
    pub secret_key: String,
    pub passphrase: String,
    pub scenario: Scenario,
    /// LongPort only: the balance path this account is configured with.
    /// None = the current `/v1/asset/account`; `Some(longport::sim::LEGACY_PATH)` =
    /// the legacy call. Both paths answer for every LongPort account; this
    /// only decides what `config_toml()` writes. Must be None for OKX.
    pub path: Option<String>,
    /// Webull only (required there, None for OKX and LongPort): the
    /// brokerage accounts under this app key and its rate budget.
    pub webull: Option<WebullApp>,
    /// OKX only: the user id this API key belongs to. Keys with the same uid
    /// share one balance limit (10 per 2 s per user id), as OKX counts it.
    /// None: a user of its own (uid derived from the key).
    pub okx_uid: Option<String>,
}

/// What a Webull app key holds besides its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebullApp {
    /// (account_id, account_number) of each brokerage account under the app
    /// key, in discovery order. `account_id` is what the balance call takes;
    /// ids must be unique across the simulator.
    pub sub_accounts: Vec<(String, String)>,
    /// (calls, window): the app key's sliding-window budget, shared by all
    /// its balance and discovery calls.
    pub rate: (usize, Duration),
}

impl WebullApp {
    /// Balance budget in Hong Kong and Japan: 2 calls per 2 s per app key.
    pub const HK_RATE: (usize, Duration) = (2, Duration::from_secs(2));
    /// Balance budget in the US: 10 calls per 30 s per app key.
    pub const US_RATE: (usize, Duration) = (10, Duration::from_secs(30));

    /// Sub-accounts from (account_id, account_number) pairs, HK budget.
    pub fn hk(sub_accounts: &[(&str, &str)]) -> WebullApp {
        WebullApp {
            sub_accounts: sub_accounts
                .iter()
                .map(|(id, n)| (id.to_string(), n.to_string()))
                .collect(),
            rate: Self::HK_RATE,
        }
    }
}

impl std::fmt::Debug for SimAccount {
    // Test credentials still stay out of logs, so habits stay safe.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimAccount")
            .field("name", &self.name)
            .field("venue", &self.venue)
            .field("scenario", &self.scenario)
            .field("path", &self.path)
            .field("webull", &self.webull)
            .finish_non_exhaustive()
    }
}

/// The last line of `Sim::config_toml()`.
pub const END_MARKER: &str = "# end of baltui sim config";

/// Every demo account: each venue's, in registry order.
pub fn demo_accounts() -> Vec<SimAccount> {
    crate::venues::registry::entries()
        .flat_map(|e| e.sim.demo_accounts())
        .collect()
}

/// What each venue's simulator provides; the venue registry lists one per venue.
pub trait SimVenue: Sync {
    fn venue(&self) -> VenueKind;
    /// The venue's handlers.
    fn routes(&self) -> Router<Arc<SimState>>;
    /// A 404 in the venue's error shape, when `path` is under its prefix
    /// (or whatever the path, when `fallback`).
    fn not_found(
        &self,
        st: &SimState,
        path: &str,
        fallback: bool,
    ) -> Option<axum::response::Response>;
    /// Why this venue cannot serve `a` as given, if it cannot.
    fn refuse(&self, a: &SimAccount) -> Option<String>;
    /// The `[[account]]` keys for `a` besides name, venue and base_url.
    fn config_keys(&self, a: &SimAccount) -> Vec<(&'static str, String)>;
    /// The demo's accounts of this venue.
    fn demo_accounts(&self) -> Vec<SimAccount>;
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
    /// LongPort: HTTP 401, code 401003 "token expired". (OKX: 401, 50114;
    /// Webull: 401 INVALID_TOKEN.)
    TokenExpired,
    /// The server finds the request's timestamp too far from its clock
    /// (whatever the client sent). Webull: 401 CLOCK_SKEW_EXCEEDED; OKX: 401,
    /// 50102 "Timestamp request expired"; LongPort: 403, 403201 (the code the
    /// simulator's own LongPort timestamp check sends).
    ClockSkew,
    /// Webull: an error body (`error_code`, `message`) sent with HTTP 200.
    ErrorBodyOk,
    /// LongPort: `risk_level` outside the documented 0-3 (here "7").
    UnknownRiskLevel,
    /// Bybit: HTTP 403 "access too frequent", the IP rate-limit ban; the
    /// simulated IP stays banned for `bybit::BAN_FIRST` (a request during
    /// the ban is a violation). Binance: HTTP 403 from its web application
    /// firewall (an HTML page). Other venues answer normally.
    IpBan,
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
        let mut webull_ids = std::collections::HashSet::new();
        for a in &accounts {
            let refuse = |why: String| {
                let msg = format!("sim account {}: {why}", a.name);
                Err(Error::new(ErrorKind::InvalidInput, msg))
            };
            if !a.scenario.serves(a.venue) {
                return refuse(format!(
                    "scenario {:?} is not available for {}",
                    a.scenario,
                    a.venue.as_str()
                ));
            }
            if let Some(why) = sim_of(a.venue).and_then(|v| v.refuse(a)) {
                return refuse(why);
            }
            if let Some(w) = &a.webull {
                for (id, _) in &w.sub_accounts {
                    if !webull_ids.insert(id.as_str()) {
                        return refuse(format!("Webull account_id {id:?} empty or used twice"));
                    }
                }
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
            let extra = sim_of(a.venue)
                .map(|v| v.config_keys(&a))
                .unwrap_or_default();
            keys.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
            for (k, v) in keys {
                out.push_str(&format!("{k} = {}\n", toml_string(v)));
            }
        }
        // A last line that says the config is complete (a reader of a pipe can
        // wait for it instead of guessing).
        out.push_str(&format!("\n{END_MARKER}\n"));
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
    crate::venues::registry::entries()
        .fold(Router::new(), |r, e| r.merge(e.sim.routes()))
        .fallback(not_found)
        .with_state(state)
}

/// The simulator of `venue`.
fn sim_of(venue: VenueKind) -> Option<&'static dyn SimVenue> {
    crate::venues::registry::entries()
        .find(|e| e.venue.venue() == venue)
        .map(|e| e.sim)
}

/// Unknown paths: 404 in the shape of the venue whose prefix it is under
/// (the first venue's otherwise).
async fn not_found(
    axum::extract::State(st): axum::extract::State<Arc<SimState>>,
    uri: axum::http::Uri,
) -> axum::response::Response {
    let path = uri.path();
    let entries: Vec<_> = crate::venues::registry::entries().collect();
    entries
        .iter()
        .find_map(|e| e.sim.not_found(&st, path, false))
        .or_else(|| {
            entries
                .first()
                .and_then(|e| e.sim.not_found(&st, path, true))
        })
        .unwrap_or_else(|| {
            axum::response::IntoResponse::into_response(axum::http::StatusCode::NOT_FOUND)
        })
}

/// Half the body, then the connection drops although Content-Length promised all.
pub(crate) fn truncated(body: String) -> axum::response::Response {
    use axum::body::{Body, Bytes};
    use futures::StreamExt;
    let full = body.len();
    let half = Bytes::copy_from_slice(&body.as_bytes()[..full / 2]);
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(half) }).chain(
        futures::stream::once(async {
            // Let the first half reach the wire before the abort.
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err(std::io::Error::other("sim: truncated on purpose"))
        }),
    );
    axum::response::Response::builder()
        .status(axum::http::StatusCode::OK)
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .header(axum::http::header::CONTENT_LENGTH, full)
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| {
            axum::response::IntoResponse::into_response(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            )
        })
}

/// A TOML string literal, escaped by the toml crate.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venues::longport::sim::{
        ACCOUNT_PATH as LONGPORT_PATH, LEGACY_PATH as LONGPORT_LEGACY_PATH,
    };
    use crate::venues::okx::sim::demo_accounts as okx_demo_accounts;
    use crate::venues::webull::sim::demo_accounts as webull_demo_accounts;

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
            venue: crate::venues::longport::KIND,
            api_key: format!("{name}-k"),
            secret_key: format!("{name}-s"),
            passphrase: format!("{name}-t"),
            scenario,
            path: path.map(String::from),
            webull: None,
            okx_uid: None,
        }
    }

    async fn start(accounts: Vec<SimAccount>) -> std::io::Result<Sim> {
        Sim::start(([127, 0, 0, 1], 0).into(), SimOptions::default(), accounts).await
    }

    #[tokio::test]
    async fn start_refuses_what_it_cannot_serve() {
        let mut okx_walk = lp("a", Scenario::RiskWalk, None);
        okx_walk.venue = crate::venues::okx::KIND;
        let mut webull = lp("w", Scenario::BrokerCalm, None);
        webull.venue = crate::venues::webull::KIND;
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
    async fn start_checks_webull_app_keys() {
        let wb = || webull_demo_accounts().remove(0);
        let mut no_subs = wb();
        no_subs.webull = Some(WebullApp::hk(&[]));
        let mut no_app = wb();
        no_app.webull = None;
        let mut okx_app = okx_demo_accounts().remove(0);
        okx_app.webull = wb().webull;
        let mut twin = wb();
        twin.api_key = "other".into();
        let mut zero_rate = wb();
        if let Some(w) = zero_rate.webull.as_mut() {
            w.rate = (0, Duration::from_secs(2));
        }
        let mut calm = wb();
        calm.scenario = Scenario::BrokerCalm;
        for bad in [
            vec![no_subs],
            vec![no_app],
            vec![okx_app],
            vec![wb(), twin],
            vec![zero_rate],
            vec![calm],
        ] {
            let what = format!("{bad:?}");
            assert!(start(bad).await.is_err(), "{what}");
        }
        assert!(start(demo_accounts()).await.is_ok());
    }

    #[tokio::test]
    async fn config_toml_writes_webull_keys_without_account_ids() {
        let mut no_token = webull_demo_accounts().remove(0);
        no_token.name = "wb-us".into();
        no_token.api_key = "sim-wb-us-app-key".into();
        no_token.passphrase = String::new();
        no_token.webull = Some(WebullApp {
            sub_accounts: vec![("SIMWBUS1".into(), "5MVUS1".into())],
            rate: WebullApp::US_RATE,
        });
        let mut all = demo_accounts();
        all.push(no_token);
        let sim = start(all).await.unwrap();
        let doc: toml::Value = toml::from_str(&sim.config_toml()).unwrap();
        let find = |name: &str| {
            doc["account"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"].as_str() == Some(name))
                .unwrap()
                .clone()
        };
        let keys = |a: &toml::Value| {
            let mut k: Vec<String> = a.as_table().unwrap().keys().cloned().collect();
            k.sort_unstable();
            k
        };
        let hk = find("wb-hk");
        assert_eq!(
            keys(&hk),
            [
                "access_token",
                "app_key",
                "app_secret",
                "base_url",
                "name",
                "region",
                "venue"
            ]
        );
        assert_eq!(hk["region"].as_str(), Some("hk"));
        assert_eq!(hk["venue"].as_str(), Some("webull"));
        assert_eq!(hk["app_key"].as_str(), Some("sim-wb-hk-app-key"));
        assert_eq!(hk["app_secret"].as_str(), Some("sim-wb-hk-app-secret"));
        assert_eq!(hk["access_token"].as_str(), Some("sim-wb-hk-token"));
        assert_eq!(hk["base_url"].as_str(), Some(sim.base_url().as_str()));
        let us = find("wb-us");
        assert_eq!(
            keys(&us),
            [
                "app_key",
                "app_secret",
                "base_url",
                "name",
                "region",
                "venue"
            ]
        );
        assert_eq!(us["region"].as_str(), Some("us"));
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
