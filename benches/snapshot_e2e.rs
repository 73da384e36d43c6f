//! End to end: `snapshot::run` of 3 accounts (OKX, LongPort, and Webull with
//! `account_id`, so no discovery) against the in-process simulator over
//! loopback: config -> clients -> signed HTTP -> parse -> normalize -> health.
//!
//! The simulator enforces each venue's rate limit (LongPort: never two requests
//! in one second), so every iteration gets a fresh simulator, started outside
//! the timed part; the timed part is exactly one `snapshot::run`, which builds
//! its own HTTP client (new connections, as the real `baltui snapshot` does).

use baltui::config::Config;
use baltui::sim::{Sim, SimOptions};
use baltui::snapshot;
use baltui::venues::longport::sim::demo_accounts as longport_demo_accounts;
use baltui::venues::okx::sim::demo_accounts as okx_demo_accounts;
use baltui::venues::webull::sim::demo_accounts as webull_demo_accounts;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::time::Duration;

fn config(base: &str) -> Config {
    let toml = format!(
        r#"
[[account]]
name = "okx-main"
venue = "okx"
base_url = "{base}"
api_key = "sim-okx-main-key"
secret_key = "sim-okx-main-secret"
passphrase = "sim-okx-main-pass"

[[account]]
name = "lp-hk"
venue = "longport"
base_url = "{base}"
app_key = "sim-lp-hk-app-key"
app_secret = "sim-lp-hk-app-secret"
access_token = "sim-lp-hk-token"

[[account]]
name = "wb-hk"
venue = "webull"
region = "hk"
base_url = "{base}"
account_id = "SIMWBACC0001"
app_key = "sim-wb-hk-app-key"
app_secret = "sim-wb-hk-app-secret"
access_token = "sim-wb-hk-token"
"#
    );
    Config::parse(&toml, "bench.toml").expect("bench config")
}

async fn start_sim() -> (Sim, Config) {
    let mut accounts = vec![
        okx_demo_accounts().remove(0),
        longport_demo_accounts().remove(0),
    ];
    accounts.extend(webull_demo_accounts());
    let sim = Sim::start(([127, 0, 0, 1], 0).into(), SimOptions::default(), accounts)
        .await
        .expect("simulator");
    let cfg = config(&sim.base_url());
    (sim, cfg)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();

    // Once, untimed: every account answers OK, so the bench times the real path.
    let (sim, cfg) = rt.block_on(start_sim());
    let report = rt.block_on(snapshot::run(&cfg)).expect("snapshot");
    for a in &report.accounts {
        assert!(a.error.is_none(), "{}: {:?}", a.name, a.error);
        assert!(!a.currencies.is_empty(), "{} has balances", a.name);
    }
    drop(sim);

    let mut g = c.benchmark_group("snapshot_e2e");
    g.sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    g.bench_function("3_accounts_sim_loopback", |b| {
        b.iter_batched(
            || rt.block_on(start_sim()),
            |(sim, cfg)| {
                let r = rt.block_on(snapshot::run(&cfg)).expect("snapshot");
                (sim, r)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
