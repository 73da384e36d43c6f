//! `baltui serve` with its history store (a temp dir): it records, a second
//! service on the same store refuses, `baltui history` exports what it
//! recorded, and the next start shows the last values, with their age,
//! before any poll answers.

use super::common::{BIN, fresh_state_dir, tmpdir, write_config};
use super::serve::{SEED, config_text, get, metrics_with, serve, sim, sim_ratio, value_of};
use std::process::Command;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_records_refuses_a_second_writer_and_starts_from_the_store() {
    let sim = sim(SEED).await;
    let dir = tmpdir("serve-history");
    let store = dir.join("h.sqlite3");
    let extra = format!("[history]\npath = {:?}\n", store.display().to_string());
    let cfg = write_config(
        "serve-history.toml",
        &config_text(&sim, &["okx-margin"], &extra),
    );
    let first = serve(&cfg, &[]);
    let labels = "{account=\"okx-margin\",venue=\"okx\"}";
    let text = metrics_with(&first.url, None, &format!("baltui_up{labels} 1")).await;
    let ratio = sim_ratio(&sim, "okx-margin");
    assert_eq!(
        value_of(&text, &format!("baltui_margin_ratio{labels}")),
        Some(ratio)
    );
    let (_, state) = get(&format!("{}/api/v1/state", first.url), None).await;
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    let fetched_at = state["accounts"][0]["fetched_at"]
        .as_str()
        .unwrap()
        .to_string();
    let net_assets = state["accounts"][0]["totals"]["net_assets"]
        .as_str()
        .unwrap()
        .to_string();

    // A second service on the same store refuses, naming it and the holder.
    let out = Command::new(BIN)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("BALTUI_LOG_DIR", tmpdir("log"))
        .env("BALTUI_STATE_DIR", fresh_state_dir())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&store.display().to_string()), "{err}");
    assert!(err.contains(&format!("pid {}", first.child.id())), "{err}");

    // SIGTERM closes the store with the poll written.
    first.signal("TERM");
    let mut first = first;
    let deadline = Instant::now() + Duration::from_secs(30);
    while first.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = Command::new(BIN)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "history",
            "okx-margin",
            "--format",
            "json",
        ])
        .env("BALTUI_LOG_DIR", tmpdir("log"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["account"] == "okx-margin"));
    assert_eq!(rows[0]["margin_ratio"], ratio.to_string());
    assert_eq!(rows[0]["net_assets"], net_assets.as_str());

    // The venue is gone: the next start shows the stored values, with
    // their own time, while its polls fail.
    sim.shutdown().await;
    let second = serve(&cfg, &[]);
    let (_, state) = get(&format!("{}/api/v1/state", second.url), None).await;
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    let acc = &state["accounts"][0];
    assert_eq!(acc["name"], "okx-margin");
    assert_eq!(
        acc["fetched_at"].as_str(),
        Some(fetched_at.as_str()),
        "{acc}"
    );
    assert_eq!(
        acc["totals"]["net_assets"].as_str(),
        Some(net_assets.as_str())
    );
    assert_eq!(acc["risk"]["margin_ratio"], ratio.to_string());
}
