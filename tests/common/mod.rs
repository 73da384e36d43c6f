//! Helpers shared by the tests that run the real binary: `baltui sim` as a
//! child process, temp dirs, private config files, and running `baltui`.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_baltui");

pub struct SimProc {
    pub child: Child,
    pub config: String,
}

impl Drop for SimProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `baltui sim --port 0 --seed N` and collect the config it prints.
pub fn start_sim(seed: u64) -> SimProc {
    let child = Command::new(BIN)
        .args(["sim", "--port", "0", "--seed", &seed.to_string()])
        .env("BALTUI_LOG_DIR", tmpdir("log"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Owned by the guard at once, so every exit path (a failed assert too) kills it.
    let mut sim = SimProc {
        child,
        config: String::new(),
    };
    let out = Arc::new(Mutex::new(String::new()));
    let stdout = sim.child.stdout.take().unwrap();
    let sink = out.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    // stderr says "listening" only after stdout was flushed.
    let mut err = BufReader::new(sim.child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("listening on http://127.0.0.1:"), "{line}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = out.lock().unwrap().clone();
        // Complete only with the end marker: a prefix can parse as TOML too.
        if text.contains(baltui::sim::END_MARKER) {
            sim.config = text;
            return sim;
        }
        assert!(Instant::now() < deadline, "sim printed no config: {text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn tmpdir(tag: &str) -> PathBuf {
    // Per test binary and process, so parallel test binaries never share files.
    let d = std::env::temp_dir().join(format!(
        "baltui-{}-{tag}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn write_config(name: &str, text: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = tmpdir("cfg").join(name);
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

/// A state directory of its own (the rate ledger lives there), so parallel
/// tests against different simulators with the same test keys never wait on
/// each other. Tests of the shared ledger pass one directory on purpose.
pub fn fresh_state_dir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    tmpdir(&format!("state-{}", N.fetch_add(1, Ordering::Relaxed)))
}

pub fn baltui(args: &[&str]) -> (i32, String, String) {
    baltui_in(&fresh_state_dir(), args)
}

/// `baltui <args>` with `BALTUI_STATE_DIR` = `state`.
pub fn baltui_in(state: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(BIN)
        .args(args)
        .env("BALTUI_LOG_DIR", tmpdir("log"))
        .env("BALTUI_STATE_DIR", state)
        .env("BALTUI_DATA_DIR", state)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `baltui --config <cfg> <args>`.
pub fn run_cfg(cfg: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["--config", cfg.to_str().unwrap()];
    all.extend_from_slice(args);
    baltui(&all)
}

/// The demo's tabs as `baltui sim` serves them: (name, venue), a Webull app
/// key giving one tab per discovered account, in the simulator's order.
pub fn demo_tabs() -> Vec<(String, &'static str)> {
    baltui::sim::demo_accounts()
        .into_iter()
        .flat_map(|a| match &a.webull {
            Some(w) => w
                .sub_accounts
                .iter()
                .map(|(_, number)| (format!("{}/{number}", a.name), a.venue.as_str()))
                .collect::<Vec<_>>(),
            None => vec![(a.name.clone(), a.venue.as_str())],
        })
        .collect()
}
