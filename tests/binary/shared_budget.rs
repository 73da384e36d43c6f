//! Binance limits are per IP, not per key: every baltui process on one
//! machine draws from the same family budgets through the rate ledger in
//! `BALTUI_STATE_DIR`. Two real `baltui snapshot` loops run against the
//! simulator (in this test process, with a small published weight limit so
//! the budget is reached within seconds); the simulator counts violations
//! and the most `/api` weight spent within any 60 s.
//!
//! Sharing one state dir, the two processes together stay within one
//! process's share of the limit. The control (a state dir each) spends about
//! twice that, so the first test can fail. Neither breaks the limit.

use super::common::{BIN, tmpdir, write_config};
use baltui::sim::{Sim, SimOptions, demo_accounts};
use baltui::venues::binance::SHARE;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The simulator's published and enforced weight per minute, every family.
const LIMIT: u32 = 1000;
/// How long both loops run: past one whole 60 s window. Budgets space
/// their grants evenly, so a shorter run would not reach a share.
const RUN: Duration = Duration::from_secs(65);

async fn sim() -> Sim {
    let opts = SimOptions {
        binance_weight_limit: Some(LIMIT),
        ..SimOptions::default()
    };
    Sim::start(([127, 0, 0, 1], 0).into(), opts, demo_accounts())
        .await
        .unwrap()
}

/// The simulator's Binance classic account three times, under three names
/// (one key, one IP: what a user with three sub-account keys has).
fn config(sim: &Sim, tag: &str) -> PathBuf {
    let full = sim.config_toml();
    let block = full
        .split("[[account]]")
        .find(|b| b.contains("name = \"bn-main\""))
        .unwrap()
        .trim_end()
        .trim_end_matches("# end of baltui sim config")
        .to_string();
    let text: String = ["bn-a", "bn-b", "bn-c"]
        .iter()
        .map(|n| {
            format!(
                "[[account]]{}\n",
                block.replace("\"bn-main\"", &format!("\"{n}\""))
            )
        })
        .collect();
    write_config(&format!("shared-{tag}.toml"), &text)
}

/// `baltui snapshot` again and again until `until`, with `state` as its
/// state dir; the number of runs that finished. The run still waiting for
/// its budget at the end is killed.
fn snapshot_loop(cfg: PathBuf, state: PathBuf, until: Instant) -> usize {
    let mut done = 0;
    while Instant::now() < until {
        let mut child = Command::new(BIN)
            .args([
                "--config",
                cfg.to_str().unwrap(),
                "snapshot",
                "--format",
                "json",
            ])
            .env("BALTUI_LOG_DIR", tmpdir("log"))
            .env("BALTUI_STATE_DIR", &state)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                done += 1;
                break;
            }
            if Instant::now() >= until {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    done
}

/// Two loops at once, in the state dirs given; (runs of each, peak /api
/// weight in 60 s, violations).
async fn two_processes(tag: &str, dirs: [&Path; 2]) -> ([usize; 2], u32, u64) {
    let sim = sim().await;
    let cfg = config(&sim, tag);
    let until = Instant::now() + RUN;
    let loops = dirs.map(|d| {
        let (cfg, d) = (cfg.clone(), d.to_path_buf());
        tokio::task::spawn_blocking(move || snapshot_loop(cfg, d, until))
    });
    let [a, b] = loops;
    let runs = [a.await.unwrap(), b.await.unwrap()];
    let out = (runs, sim.state.peak_weight("/api"), sim.state.violations());
    eprintln!(
        "{tag}: snapshot runs {runs:?}, peak /api weight in 60 s {} (limit {LIMIT}, share {}), violations {}",
        out.1,
        share(),
        out.2
    );
    sim.shutdown().await;
    out
}

/// An empty state dir (no ledger left from an earlier run).
fn empty_dir(tag: &str) -> PathBuf {
    let d = tmpdir(tag);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One process's share of the limit, in weight.
fn share() -> u32 {
    (f64::from(LIMIT) * SHARE) as u32
}

/// Evenly spaced grants put at most one more than the share in a sliding
/// window (one at each end).
fn share_bound() -> u32 {
    share() + baltui::venues::binance::UNIT
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_ip_share_one_binance_budget() {
    let state = empty_dir("shared-budget-one");
    let (runs, peak, violations) = two_processes("one", [&state, &state]).await;
    assert_eq!(violations, 0, "runs {runs:?}, peak {peak}");
    // Both processes polled, and together they used the one share.
    assert!(runs.iter().all(|&n| n >= 1), "runs {runs:?}");
    assert!(peak >= share() / 2, "the budget was used: peak {peak}");
    assert!(
        peak <= share_bound(),
        "peak {peak} > one share {}",
        share_bound()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_shared_ledger_two_processes_spend_twice_the_share() {
    let (a, b) = (empty_dir("shared-budget-a"), empty_dir("shared-budget-b"));
    let (runs, peak, violations) = two_processes("two", [&a, &b]).await;
    assert_eq!(violations, 0, "each within its own share: {runs:?}");
    assert!(peak > share_bound(), "peak {peak}, runs {runs:?}");
}
