//! `--demo` (and plain `baltui` with no config): the simulator in-process, and a
//! config that points at it, read through the same parser as a user's file.

use crate::config::Config;
use crate::sim::{Sim, SimOptions, demo_accounts};
use crate::tui::Launch;
use std::time::Duration;

/// Demo accounts poll fast so every state shows within a couple of minutes.
const DEMO_INTERVAL: Duration = Duration::from_secs(2);

pub async fn start() -> Result<(Launch, Sim), String> {
    let seed = std::process::id() as u64;
    let sim = Sim::start(
        ([127, 0, 0, 1], 0).into(),
        SimOptions {
            seed,
            ..SimOptions::default()
        },
        demo_accounts(),
    )
    .await
    .map_err(|e| format!("simulator: {e}"))?;
    let mut config = Config::parse(&sim.config_toml(), "<built-in demo>")?;
    for a in &mut config.accounts {
        a.poll_interval = DEMO_INTERVAL;
    }
    let where_ = crate::config::default_path()
        .map(|p| tilde(&p))
        .unwrap_or_else(|| "the config dir".into());
    let banner = format!("DEMO · simulated venues, no real money · your config goes in {where_}");
    Ok((
        Launch {
            config,
            banner: Some(banner),
            history: None,
            recorder: None,
            notes: None,
        },
        sim,
    ))
}

/// `/home/me/.config/x` -> `~/.config/x`, for a short banner.
fn tilde(p: &std::path::Path) -> String {
    let rest = directories::BaseDirs::new()
        .and_then(|b| p.strip_prefix(b.home_dir()).ok().map(|r| r.to_path_buf()));
    match rest {
        Some(rest) => format!("~/{}", rest.display()),
        None => p.display().to_string(),
    }
}
