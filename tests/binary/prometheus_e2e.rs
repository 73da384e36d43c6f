//! A real Prometheus (Debian's `prometheus` package) scrapes `baltui serve`
//! running against the simulator, and its HTTP API answers the margin ratio
//! the simulator served and `baltui_up` 1.
//!
//! In CI (`CI` set) the prometheus binary is required: without it this test
//! FAILS. Elsewhere it is skipped with a message. `PROMETHEUS=/path` picks
//! the binary.

use super::common::{tmpdir, write_config};
use super::serve::{config_text, metrics_with, serve, sim};
use baltui::sim::scenario;
use rust_decimal::Decimal;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Prom(Child);

impl Drop for Prom {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn prometheus() -> Option<String> {
    let bin = std::env::var("PROMETHEUS").unwrap_or_else(|_| "prometheus".into());
    match Command::new(&bin).arg("--version").output() {
        Ok(out) if out.status.success() => Some(bin),
        Ok(out) => panic!(
            "`{bin} --version` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) if std::env::var_os("CI").is_some() => panic!(
            "prometheus not found ({e}): this test needs it in CI (apt-get install prometheus)"
        ),
        Err(_) => {
            eprintln!(
                "prometheus_e2e: SKIPPED: prometheus is not installed (apt-get install prometheus); in CI it runs."
            );
            None
        }
    }
}

fn free_port() -> u16 {
    // Released at once for prometheus to take (loopback, a port just free).
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The instant query's samples: (labels, value).
async fn query(api: &str, q: &str) -> Vec<(serde_json::Value, String)> {
    let r = reqwest::Client::new()
        .get(format!("{api}/api/v1/query"))
        .query(&[("query", q)])
        .send()
        .await;
    let Ok(r) = r else { return Vec::new() };
    let Ok(doc) = r.json::<serde_json::Value>().await else {
        return Vec::new();
    };
    doc["data"]["result"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|s| {
                    (
                        s["metric"].clone(),
                        s["value"][1].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_the_service() {
    let Some(bin) = prometheus() else { return };
    let sim = sim(7).await;
    let cfg = write_config(
        "prom-e2e.toml",
        &config_text(&sim, &["okx-margin", "okx-main"], ""),
    );
    let srv = serve(&cfg, &[]);
    metrics_with(
        &srv.url,
        None,
        "baltui_up{account=\"okx-margin\",venue=\"okx\"} 1",
    )
    .await;
    let dir = tmpdir("prometheus");
    let target = srv.url.trim_start_matches("http://");
    let yml = dir.join("prometheus.yml");
    std::fs::write(
        &yml,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: baltui\n    static_configs:\n      - targets: [\"{target}\"]\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let api = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
    let _prom = Prom(
        Command::new(&bin)
            .arg(format!("--config.file={}", yml.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    // The account polls hourly: the value stays what the simulator served.
    let a = sim
        .state
        .accounts()
        .into_iter()
        .find(|a| a.name == "okx-margin")
        .unwrap();
    let step = sim.state.step_for(&a.api_key);
    let want = scenario::book(7, "okx-margin", a.scenario, step - 1)
        .margin
        .unwrap()
        .ratio;
    let deadline = Instant::now() + Duration::from_secs(120);
    let q = "baltui_margin_ratio{account=\"okx-margin\"}";
    let ratio = loop {
        let got = query(&api, q).await;
        if let Some((labels, v)) = got.first() {
            assert_eq!(labels["job"], "baltui");
            assert_eq!(labels["venue"], "okx");
            break v.clone();
        }
        assert!(
            Instant::now() < deadline,
            "prometheus has no {q}: {}",
            std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    eprintln!("prometheus: {q} = {ratio} (simulator: {want})");
    // Prometheus keeps float64: equal as a float to the exact value.
    let f: f64 = ratio.parse().unwrap();
    let exact: f64 = want.to_string().parse().unwrap();
    assert_eq!(f, exact, "{ratio} vs {want}");
    assert!(ratio.parse::<Decimal>().is_ok());

    let want_up = vec![
        ("okx-main".to_string(), "1".to_string()),
        ("okx-margin".to_string(), "1".to_string()),
    ];
    loop {
        let up = query(&api, "baltui_up").await;
        let mut names: Vec<(String, String)> = up
            .iter()
            .map(|(l, v)| {
                (
                    l["account"].as_str().unwrap_or_default().to_string(),
                    v.clone(),
                )
            })
            .collect();
        names.sort();
        if names == want_up {
            eprintln!("prometheus: baltui_up = {up:?}");
            break;
        }
        assert!(Instant::now() < deadline, "baltui_up: {names:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
