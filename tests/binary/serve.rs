//! `baltui serve`, the real binary, against the in-process simulator on
//! 127.0.0.1: the routes and their values, the event stream through the
//! attach client, the token rule, SIGUSR1 reload and SIGTERM.
//!
//! The account polls once an hour, so after its first poll the simulator
//! serves nothing new until a refresh asks: every value is known exactly
//! (the simulator's book at the step it served).

use super::common::{BIN, fresh_state_dir, tmpdir, write_config};
use baltui::attach::Update;
use baltui::sim::{Scenario, Sim, SimOptions, demo_accounts, scenario};
use rust_decimal::Decimal;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Long waits: a shared 2-core machine under load; nothing here is timed.
const WAIT: Duration = Duration::from_secs(60);

pub struct Served {
    pub child: Child,
    pub url: String,
    /// Everything it wrote on stderr so far.
    pub log: Arc<Mutex<String>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    pub fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success(), "kill -{sig} failed");
    }
}

/// `baltui --config cfg serve --listen 127.0.0.1:0 <extra>`, once it says
/// where it listens.
pub fn serve(cfg: &Path, env: &[(&str, &str)]) -> Served {
    serve_on(cfg, "127.0.0.1:0", env)
}

/// `baltui --config cfg serve --listen <listen>`, once it says where it listens.
pub fn serve_on(cfg: &Path, listen: &str, env: &[(&str, &str)]) -> Served {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "--config",
        cfg.to_str().unwrap(),
        "serve",
        "--listen",
        listen,
    ])
    .env("BALTUI_LOG_DIR", tmpdir("log"))
    .env("BALTUI_STATE_DIR", fresh_state_dir())
    .env("BALTUI_DATA_DIR", fresh_state_dir())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let mut served = Served {
        child,
        url: String::new(),
        log: log.clone(),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let err = served.child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("baltui serve: listening on ") {
                let _ = tx.send(url.to_string());
            }
            let mut l = log.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
    match rx.recv_timeout(WAIT) {
        Ok(url) => served.url = url,
        Err(_) => panic!("baltui serve did not start: {}", served.log.lock().unwrap()),
    }
    served
}

pub async fn sim(seed: u64) -> Sim {
    let opts = SimOptions {
        seed,
        ..SimOptions::default()
    };
    Sim::start(([127, 0, 0, 1], 0).into(), opts, demo_accounts())
        .await
        .unwrap()
}

/// The `[[account]]` blocks of `names` from the simulator's config, each
/// polled once an hour, plus `extra` at the top.
pub fn config_text(sim: &Sim, names: &[&str], extra: &str) -> String {
    let full = sim.config_toml();
    let mut text = format!("{extra}\n");
    for b in full.split("[[account]]").skip(1) {
        let b = b.replace(baltui::sim::END_MARKER, "");
        if names
            .iter()
            .any(|n| b.contains(&format!("name = \"{n}\"\n")))
        {
            text.push_str(&format!(
                "[[account]]\npoll_interval = \"3600s\"{}\n",
                b.trim_end()
            ));
        }
    }
    text
}

/// The simulator's margin ratio for its MarginSwing account `name` as last
/// served (the step before the next).
pub fn sim_ratio(sim: &Sim, name: &str) -> Decimal {
    let a = sim
        .state
        .accounts()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap();
    assert_eq!(a.scenario, Scenario::MarginSwing);
    let step = sim.state.step_for(&a.api_key);
    assert!(step > 0, "nothing served yet");
    scenario::book(SEED, name, a.scenario, step - 1)
        .margin
        .unwrap()
        .ratio
}

pub const SEED: u64 = 7;

pub async fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let mut rb = reqwest::Client::new().get(url);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    let r = rb.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Wait until `/metrics` says `line` (with its value), or fail.
pub async fn metrics_with(url: &str, token: Option<&str>, line: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let (code, text) = get(&format!("{url}/metrics"), token).await;
        assert_eq!(code, 200, "{text}");
        if text.lines().any(|l| l == line) {
            return text;
        }
        assert!(Instant::now() < deadline, "no {line:?} in:\n{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn value_of(text: &str, series: &str) -> Option<Decimal> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_report_the_simulators_values() {
    let sim = sim(SEED).await;
    let cfg = write_config("serve-routes.toml", &config_text(&sim, &["okx-margin"], ""));
    let srv = serve(&cfg, &[]);
    let (code, body) = get(&format!("{}/healthz", srv.url), None).await;
    assert_eq!((code, body.as_str()), (200, "ok"));

    let text = metrics_with(
        &srv.url,
        None,
        "baltui_up{account=\"okx-margin\",venue=\"okx\"} 1",
    )
    .await;
    let want = sim_ratio(&sim, "okx-margin");
    let labels = "{account=\"okx-margin\",venue=\"okx\"}";
    assert_eq!(
        value_of(&text, &format!("baltui_margin_ratio{labels}")),
        Some(want),
        "{text}"
    );
    assert_eq!(
        value_of(&text, &format!("baltui_polls_total{labels}")),
        Some(Decimal::ONE)
    );
    assert!(value_of(&text, &format!("baltui_requests_total{labels}")) >= Some(Decimal::ONE));
    assert_eq!(
        value_of(
            &text,
            "baltui_poll_failures_total{account=\"okx-margin\",venue=\"okx\",class=\"transient\"}"
        ),
        Some(Decimal::ZERO)
    );
    let success = value_of(
        &text,
        &format!("baltui_last_success_timestamp_seconds{labels}"),
    )
    .expect("a last success");
    let age = value_of(&text, &format!("baltui_data_age_seconds{labels}")).expect("an age");
    assert!(age >= Decimal::ZERO, "{age}");
    assert!(success > Decimal::from(1_600_000_000), "{success}");
    assert!(text.contains("# TYPE baltui_requests_total counter"));
    assert!(text.contains("baltui_budget_limit{budget=\""));

    let (code, body) = get(&format!("{}/api/v1/state", srv.url), None).await;
    assert_eq!(code, 200);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let a = &doc["accounts"][0];
    assert_eq!(a["name"], "okx-margin");
    assert_eq!(a["status"], "ok");
    assert_eq!(a["risk"]["margin_ratio"], want.to_string());
    assert_eq!(a["monitor"]["poll"], "ok");
    assert_eq!(a["monitor"]["poll_interval_ms"], 3_600_000);
    assert_eq!(a["monitor"]["demo"], true);
    assert_eq!(
        a["monitor"]["snapshot"]["risk"]["margin_ratio"],
        want.to_string()
    );
    assert_eq!(doc["service"]["generation"], 0);
    assert!(doc["events"].is_array());

    // Refresh: an unknown account is 404; a known one is polled again.
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/api/v1/refresh?account=nope", srv.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = client
        .post(format!("{}/api/v1/refresh?account=okx-margin", srv.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    metrics_with(&srv.url, None, &format!("baltui_polls_total{labels} 2")).await;
}

async fn next(rx: &mut tokio::sync::mpsc::Receiver<Update>) -> Update {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("an update in time")
        .expect("the client runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attach_client_follows_the_stream_and_a_refresh_polls_again() {
    let sim = sim(SEED).await;
    let cfg = write_config("serve-attach.toml", &config_text(&sim, &["okx-margin"], ""));
    let srv = serve(&cfg, &[]);
    metrics_with(
        &srv.url,
        None,
        "baltui_up{account=\"okx-margin\",venue=\"okx\"} 1",
    )
    .await;
    let (mut rx, handle) = baltui::attach::connect(&srv.url, None);
    let host = srv.url.trim_start_matches("http://").to_string();
    match next(&mut rx).await {
        Update::Connected { host: h } => assert_eq!(h, host),
        other => panic!("first update: {other:?}"),
    }
    let ratio_of = |u: &Update| match u {
        Update::State { accounts, .. } => {
            assert_eq!(accounts.len(), 1);
            assert_eq!(accounts[0].spec.name, "okx-margin");
            assert_eq!(accounts[0].spec.venue, baltui::venues::okx::KIND);
            assert_eq!(accounts[0].spec.poll_interval, Duration::from_secs(3600));
            accounts[0]
                .snapshot
                .as_ref()
                .and_then(|s| s.risk.margin_ratio)
        }
        _ => None,
    };
    let first = sim_ratio(&sim, "okx-margin");
    let mut got = None;
    while got.is_none() {
        got = ratio_of(&next(&mut rx).await);
    }
    assert_eq!(got, Some(first));

    // A refresh through the handle: the service polls, the stream brings
    // the new value (the simulator's next step).
    let steps = |sim: &Sim| {
        let key = sim
            .state
            .accounts()
            .into_iter()
            .find(|a| a.name == "okx-margin")
            .unwrap()
            .api_key;
        sim.state.step_for(&key)
    };
    let before = steps(&sim);
    handle.refresh(Some("okx-margin".into()));
    let deadline = Instant::now() + WAIT;
    loop {
        let u = next(&mut rx).await;
        if steps(&sim) == before + 1
            && let Some(r) = ratio_of(&u)
            && r == sim_ratio(&sim, "okx-margin")
            && r != first
        {
            break;
        }
        assert!(Instant::now() < deadline, "no new value after the refresh");
    }
    assert_eq!(steps(&sim), before + 1, "one refresh, one poll");

    // The service goes away: the client says so, with a retry time.
    drop(srv);
    loop {
        match next(&mut rx).await {
            Update::Lost { error, retry_in } => {
                assert!(!error.is_empty());
                assert!(retry_in >= baltui::attach::RETRY_FIRST);
                assert!(retry_in <= baltui::attach::RETRY_CAP);
                break;
            }
            _ => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_needed_off_loopback_and_checked_and_never_served() {
    let sim = sim(SEED).await;
    // Off loopback without a token: refused, exit 4, saying why.
    let cfg = write_config(
        "serve-open.toml",
        &config_text(&sim, &["okx-margin"], "[serve]\nlisten = \"0.0.0.0:0\"\n"),
    );
    let out = Command::new(BIN)
        .args(["--config", cfg.to_str().unwrap(), "serve"])
        .env("BALTUI_STATE_DIR", fresh_state_dir())
        .env("BALTUI_DATA_DIR", fresh_state_dir())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0 without a token"),
        "{err}"
    );
    assert!(err.contains("[serve] token"), "{err}");

    // With a token: 401 without it or with another, 200 with it.
    const TOKEN: &str = "tok-3f9a1c77e2b54d08";
    let cfg = write_config(
        "serve-token.toml",
        &config_text(
            &sim,
            &["okx-margin"],
            "[serve]\ntoken = { env = \"BALTUI_TEST_SERVE_TOKEN\" }\n",
        ),
    );
    let srv = serve(&cfg, &[("BALTUI_TEST_SERVE_TOKEN", TOKEN)]);
    let client = reqwest::Client::new();
    for path in ["/metrics", "/api/v1/state", "/api/v1/events"] {
        for auth in [
            None,
            Some("Bearer wrong"),
            Some("Basic dG9rOg=="),
            Some(TOKEN),
        ] {
            let mut rb = client.get(format!("{}{path}", srv.url));
            if let Some(a) = auth {
                rb = rb.header("Authorization", a);
            }
            let r = rb.send().await.unwrap();
            assert_eq!(r.status().as_u16(), 401, "{path} with {auth:?}");
            assert!(
                r.headers()
                    .get("www-authenticate")
                    .is_some_and(|v| v.to_str().unwrap().starts_with("Bearer")),
                "{path}"
            );
            assert!(!r.text().await.unwrap().contains(TOKEN));
        }
    }
    let r = client
        .post(format!("{}/api/v1/refresh", srv.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // /healthz needs none.
    assert_eq!(get(&format!("{}/healthz", srv.url), None).await.0, 200);
    let text = metrics_with(
        &srv.url,
        Some(TOKEN),
        "baltui_up{account=\"okx-margin\",venue=\"okx\"} 1",
    )
    .await;
    assert!(!text.contains(TOKEN));
    let (code, state) = get(&format!("{}/api/v1/state", srv.url), Some(TOKEN)).await;
    assert_eq!(code, 200);
    assert!(!state.contains(TOKEN));
    // Nor does any credential of the account appear.
    let acc = sim
        .state
        .accounts()
        .into_iter()
        .find(|a| a.name == "okx-margin")
        .unwrap();
    for secret in [&acc.secret_key, &acc.passphrase] {
        assert!(!state.contains(secret.as_str()) && !text.contains(secret.as_str()));
    }
    let r = client
        .post(format!("{}/api/v1/refresh", srv.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    // The attach client sends it too, and reads the stream.
    let (mut rx, _h) = baltui::attach::connect(&srv.url, Some(baltui::secrets::Secret::new(TOKEN)));
    match tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap()
    {
        Update::Connected { .. } => {}
        other => panic!("{other:?}"),
    }
    let (mut rx, _h) = baltui::attach::connect(&srv.url, None);
    match tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap()
    {
        Update::Lost { error, .. } => assert!(error.contains("401"), "{error}"),
        other => panic!("{other:?}"),
    }
    assert!(!srv.log.lock().unwrap().contains(TOKEN));
}

/// Write `text` over `path` (as an editor saving the file would).
fn rewrite(path: &PathBuf, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigusr1_reloads_and_sigterm_stops() {
    let sim = sim(SEED).await;
    let cfg = write_config("serve-reload.toml", &config_text(&sim, &["okx-margin"], ""));
    let mut srv = serve(&cfg, &[]);
    metrics_with(
        &srv.url,
        None,
        "baltui_up{account=\"okx-margin\",venue=\"okx\"} 1",
    )
    .await;
    rewrite(&cfg, &config_text(&sim, &["okx-margin", "okx-main"], ""));
    srv.signal("USR1");
    metrics_with(
        &srv.url,
        None,
        "baltui_up{account=\"okx-main\",venue=\"okx\"} 1",
    )
    .await;
    metrics_with(&srv.url, None, "baltui_service_generation 1").await;
    // The kept account keeps its counters: the new poller's first poll is
    // its second.
    metrics_with(
        &srv.url,
        None,
        "baltui_polls_total{account=\"okx-margin\",venue=\"okx\"} 2",
    )
    .await;

    // A broken file: the old config keeps running.
    rewrite(&cfg, "[[account]]\nname = \n");
    srv.signal("USR1");
    let deadline = Instant::now() + WAIT;
    loop {
        let (_, state) = get(&format!("{}/api/v1/state", srv.url), None).await;
        if state.contains("reload failed, the old config keeps running") {
            break;
        }
        assert!(Instant::now() < deadline, "{state}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(get(&format!("{}/healthz", srv.url), None).await.0, 200);

    srv.signal("TERM");
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(st) = srv.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}: {}", srv.log.lock().unwrap());
    assert!(srv.log.lock().unwrap().contains("stopped"));
    // Plain lines: no colour codes on a pipe.
    assert!(!srv.log.lock().unwrap().contains('\u{1b}'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_in_use_is_named() {
    let sim = sim(SEED).await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let cfg = write_config("serve-busy.toml", &config_text(&sim, &["okx-margin"], ""));
    let out = Command::new(BIN)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "serve",
            "--listen",
            &addr,
        ])
        .env("BALTUI_STATE_DIR", fresh_state_dir())
        .env("BALTUI_DATA_DIR", fresh_state_dir())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
    assert!(err.contains("in use"), "{err}");
}
