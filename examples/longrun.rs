//! Long run: the real poller + App (+ the screen, drawn into a 200x50
//! TestBackend after every message, as the monitor draws) against the
//! in-process simulator, every account at the fastest safe rate
//! (poll_interval 1s; the rate budget raises it where the venue's limit needs).
//! No faults. Prints RSS (VmRSS), open file descriptors, threads and live tokio
//! tasks after a 30 s warm-up, at the middle and at the end, so a leak shows as
//! growth between the three lines. RSS includes the simulator (same process).
//!
//!     cargo run --release --example longrun -- --minutes 20 [--warmup 30] [--accounts 10]
//!
//! `--accounts` above the demo set's 7 adds copies of the OKX demo accounts
//! (other names, same credentials, so they share the OKX budget).

use baltui::app::{App, Effect, Msg};
use baltui::config::Config;
use baltui::poll::Event;
use baltui::sim::{Sim, SimOptions, demo_accounts};
use baltui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

struct Sample {
    label: &'static str,
    at_s: u64,
    rss_kib: u64,
    fds: usize,
    threads: u64,
    tasks: usize,
    polls: u64,
}

fn sample(label: &'static str, start: Instant, polls: u64) -> Sample {
    Sample {
        label,
        at_s: start.elapsed().as_secs(),
        rss_kib: status_kib("VmRSS:"),
        fds: open_fds(),
        threads: status_kib("Threads:"),
        tasks: tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks(),
        polls,
    }
}

#[tokio::main]
async fn main() {
    let minutes = arg("--minutes", 20);
    let warmup = Duration::from_secs(arg("--warmup", 30));
    let want = arg("--accounts", 10) as usize;
    let sim = Sim::start(
        ([127, 0, 0, 1], 0).into(),
        SimOptions {
            seed: 7,
            ..SimOptions::default()
        },
        demo_accounts(),
    )
    .await
    .expect("simulator");
    let mut toml = sim.config_toml();
    // The demo set is 7 accounts (Webull's app key discovers 2). Copies of the
    // OKX ones make up the rest.
    let base = sim.base_url();
    for i in 0..want.saturating_sub(7) {
        let n = if i % 2 == 0 { "main" } else { "margin" };
        toml.push_str(&format!(
            "\n[[account]]\nname = \"okx-{n}-copy{i}\"\nvenue = \"okx\"\nbase_url = \"{base}\"\n\
             api_key = \"sim-okx-{n}-key\"\nsecret_key = \"sim-okx-{n}-secret\"\n\
             passphrase = \"sim-okx-{n}-pass\"\n"
        ));
    }
    let mut cfg = Config::parse(&toml, "longrun").expect("sim config");
    for a in &mut cfg.accounts {
        a.poll_interval = Duration::from_secs(1);
    }
    let clients = baltui::clients::clients_for(&cfg.accounts, cfg.request_timeout)
        .await
        .expect("clients");
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let intervals: Vec<Duration> = cfg.accounts.iter().map(|a| a.poll_interval).collect();
    let mut pollers = baltui::poll::spawn(clients, &intervals, 0, tx);
    let specs = cfg
        .accounts
        .iter()
        .zip(&pollers.plans)
        .map(|(a, p)| baltui::monitor::AccountSpec::new(a.name.clone(), a.venue, true, p.interval))
        .collect();
    let mut app = App::new(specs, cfg.thresholds.clone(), chrono::Utc::now());
    let theme = Theme::color();
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");

    let start = Instant::now();
    let total = warmup + Duration::from_secs(minutes * 60);
    let middle = start + warmup + (total - warmup) / 2;
    let end = start + total;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut polls = 0u64;
    let mut errors = 0u64;
    let mut samples: Vec<Sample> = Vec::new();
    let mut draws = 0u64;
    let mut next_progress = start;
    loop {
        let now = Instant::now();
        if samples.is_empty() && now >= start + warmup {
            samples.push(sample("start", start, polls));
        } else if samples.len() == 1 && now >= middle {
            samples.push(sample("middle", start, polls));
        } else if now >= end {
            samples.push(sample("end", start, polls));
            break;
        }
        if now >= next_progress {
            // Progress for whoever tails the output.
            eprintln!(
                "longrun: {} s, {polls} polls, RSS {} KiB, {} fds",
                start.elapsed().as_secs(),
                status_kib("VmRSS:"),
                open_fds()
            );
            next_progress = now + Duration::from_secs(60);
        }
        let msg = tokio::select! {
            Some(e) = rx.recv() => Msg::from(e),
            _ = tick.tick() => Msg::Tick(chrono::Utc::now()),
        };
        if let Msg::Poll(Event::Polled { result, .. }) = &msg {
            polls += 1;
            errors += u64::from(result.is_err());
        }
        let effects = app.update(msg);
        for fx in effects {
            if let Effect::AddAccount {
                parent,
                index,
                account_id,
            } = fx
            {
                for (i, p) in pollers.add_discovered(parent, index, &account_id) {
                    app.update(Msg::Planned {
                        account: i,
                        interval: p.interval,
                        note: p.note,
                    });
                }
            }
        }
        term.draw(|f| baltui::ui::render(f, &app, &theme))
            .expect("draw");
        draws += 1;
    }
    pollers.shutdown();
    let secs = start.elapsed().as_secs();
    println!(
        "longrun: {secs} s ({} s warm-up), {} accounts, {polls} polls ({errors} failed), {draws} frames drawn",
        warmup.as_secs(),
        app.accounts().len()
    );
    for a in app.accounts() {
        println!("  {:<22} interval {:?}", a.spec.name, a.spec.poll_interval);
    }
    println!(
        "rate-limit violations counted by the simulator: {}",
        sim.state.violations()
    );
    println!(
        "{:<7} {:>7} {:>9} {:>5} {:>8} {:>11} {:>8}",
        "sample", "at_s", "rss_kib", "fds", "threads", "tokio_tasks", "polls"
    );
    for s in &samples {
        println!(
            "{:<7} {:>7} {:>9} {:>5} {:>8} {:>11} {:>8}",
            s.label, s.at_s, s.rss_kib, s.fds, s.threads, s.tasks, s.polls
        );
    }
    println!("peak RSS (VmHWM): {} KiB", status_kib("VmHWM:"));
    sim.shutdown().await;
}
