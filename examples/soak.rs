//! Soak: the real poller and App against the in-process simulator, with faults
//! injected in random bursts, for a set time. Prints what a reviewer needs:
//! requests per venue, rate-limit violations the simulator counted (must be 0),
//! faults injected, recoveries, the longest time any account showed old data
//! as OK (must be 0) and peak RSS.
//!
//!     cargo run --release --example soak -- --minutes 10 [--seed 7]

use baltui::app::{App, Msg};
use baltui::config::Config;
use baltui::model::VenueKind;
use baltui::monitor::Status;
use baltui::poll::Event;
use baltui::sim::{Fault, Sim, SimOptions, demo_accounts};
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let minutes = arg("--minutes", 1);
    let seed = arg("--seed", 7);
    let sim = Sim::start(
        ([127, 0, 0, 1], 0).into(),
        SimOptions {
            seed,
            ..SimOptions::default()
        },
        demo_accounts(),
    )
    .await
    .expect("simulator");
    let mut cfg = Config::parse(&sim.config_toml(), "soak").expect("sim config");
    for a in &mut cfg.accounts {
        a.poll_interval = Duration::from_secs(2);
    }
    cfg.request_timeout = Duration::from_secs(2);
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

    // Which simulator key each account's requests use, for fault injection.
    let keys: Vec<(String, VenueKind)> = demo_accounts()
        .into_iter()
        .map(|a| (a.api_key, a.venue))
        .collect();
    let faults = [
        Fault::Http500,
        Fault::Timeout(Duration::from_secs(3)),
        Fault::Truncated,
        Fault::Malformed,
        Fault::RateLimited,
        Fault::ClockSkew,
        Fault::TokenExpired,
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut injected: HashMap<String, u32> = HashMap::new();
    let mut recoveries = 0u32;
    let mut failing: HashMap<usize, bool> = HashMap::new();
    let mut last_ok: HashMap<usize, Instant> = HashMap::new();
    // Per account: how long old data has been shown as OK right now; the longest.
    let mut unmarked: HashMap<usize, Duration> = HashMap::new();
    let mut unmarked_stale = Duration::ZERO;
    let mut auth_stopped: Vec<(usize, Instant)> = Vec::new();

    let start = Instant::now();
    let end = start + Duration::from_secs(minutes * 60);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut next_burst = start + Duration::from_secs(10);
    let mut last_tick = Instant::now();
    while Instant::now() < end {
        tokio::select! {
            Some(e) = rx.recv() => {
                let m = Msg::from(e);
                if let Msg::Poll(Event::Polled { account, result, .. }) = &m {
                    match result {
                        Ok(_) => {
                            if failing.insert(*account, false) == Some(true) {
                                recoveries += 1;
                            }
                            last_ok.insert(*account, Instant::now());
                        }
                        Err(e) => {
                            failing.insert(*account, true);
                            if e.class() == baltui::venues::ErrorClass::Auth {
                                // The user fixes the credentials and presses r, 15 s later.
                                auth_stopped.push((*account, Instant::now() + Duration::from_secs(15)));
                            }
                        }
                    }
                }
                let effects = app.update(m);
                for fx in effects {
                    if let baltui::app::Effect::AddAccount { parent, index, account_id } = fx {
                        for (i, p) in pollers.add_discovered(parent, index, &account_id) {
                            app.update(Msg::Planned { account: i, interval: p.interval, note: p.note });
                        }
                    }
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                app.update(Msg::Tick(chrono::Utc::now()));
                // Old data shown as plain OK is the one thing that must never happen.
                for (i, a) in app.accounts().iter().enumerate() {
                    let limit = a.spec.poll_interval * 3 + Duration::from_secs(1);
                    let streak = unmarked.entry(i).or_default();
                    if let Some(ok_at) = last_ok.get(&i)
                        && now - *ok_at > limit
                        && a.status(app.now(), app.thresholds()) == Status::Ok
                    {
                        *streak += now - last_tick;
                        unmarked_stale = unmarked_stale.max(*streak);
                    } else {
                        *streak = Duration::ZERO;
                    }
                }
                last_tick = now;
                auth_stopped.retain(|(i, at)| {
                    if now >= *at {
                        pollers.refresh(Some(*i));
                        false
                    } else {
                        true
                    }
                });
                if now >= next_burst {
                    let (key, venue) = &keys[rng.random_range(0..keys.len())];
                    let fault = faults[rng.random_range(0..faults.len())].clone();
                    let times = rng.random_range(1..=4);
                    sim.state.inject(key, fault.clone(), times);
                    *injected.entry(format!("{venue:?} {fault:?}")).or_default() += times;
                    next_burst = now + Duration::from_secs(rng.random_range(5..=25));
                }
            }
        }
    }
    pollers.shutdown();
    let elapsed = start.elapsed().as_secs();
    println!(
        "soak: {elapsed} s, seed {seed}, {} accounts",
        app.accounts().len()
    );
    let mut per_venue: HashMap<VenueKind, u64> = HashMap::new();
    for (key, venue) in &keys {
        *per_venue.entry(*venue).or_default() += sim.state.requests_for(key);
    }
    let mut venues: Vec<_> = per_venue.into_iter().collect();
    venues.sort_by_key(|(v, _)| v.as_str());
    for (v, n) in venues {
        println!("requests {:<9} {n}", v.as_str());
    }
    println!(
        "rate-limit violations counted by the simulator: {}",
        sim.state.violations()
    );
    let total: u32 = injected.values().sum();
    println!("faults injected: {total}");
    let mut kinds: Vec<_> = injected.into_iter().collect();
    kinds.sort();
    for (k, n) in kinds {
        println!("  {k}: {n}");
    }
    println!("recoveries (failing -> ok): {recoveries}");
    println!(
        "longest time old data was shown as OK: {} ms",
        unmarked_stale.as_millis()
    );
    println!("peak RSS: {} KiB", peak_rss_kib());
    sim.shutdown().await;
}
