//! End-to-end: the real `baltui --demo` binary in a detached tmux session.
//!
//! Every test runs its own tmux server on a private socket (`-S <tmpdir>/sock`,
//! `-f /dev/null`), so it never touches the user's tmux or its config, and a
//! Drop guard kills that server and removes the temp dir, also on failure.
//! Every wait polls `capture-pane` against a deadline.
//!
//! In CI (`CI` set, as `.ci/run` runs) tmux is required: without it these tests
//! FAIL, so nothing is skipped silently (`.ci/run` installs it). On a developer
//! machine with only Rust they are skipped with a message saying how to run
//! them, so `cargo test` works out of the box. `BALTUI_SKIP_TMUX=1` skips always.
//!
//! The exit status is taken from a shell wrapper that writes `EXIT:<status>` to
//! a file, not from `#{pane_dead_status}` (some tmux builds leave it empty).
//! An inner `sh -c 'echo $$ > pid; exec baltui --demo'` records baltui's own pid
//! for the SIGTERM test.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const COLS: u16 = 120;
const ROWS: u16 = 32;
const SESSION: &str = "e2e";
const POLL: Duration = Duration::from_millis(50);
const STARTUP: Duration = Duration::from_secs(10);
const STEP: Duration = Duration::from_secs(5);

const ACCOUNTS: [&str; 6] = [
    "okx-main",
    "okx-margin",
    "lp-hk",
    "lp-legacy",
    "wb-hk/5MV01001",
    "wb-hk/5MV01002",
];

/// Quote for POSIX sh.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `None` when the test should be skipped; panics when tmux is missing.
fn tmux_available() -> Option<()> {
    let skip = std::env::var("BALTUI_SKIP_TMUX").is_ok_and(|v| v == "1");
    if skip {
        eprintln!("tmux_e2e: skipped (BALTUI_SKIP_TMUX=1)");
        return None;
    }
    match Command::new("tmux").arg("-V").output() {
        Ok(out) if out.status.success() => Some(()),
        Ok(out) => panic!(
            "`tmux -V` failed ({}): {}. The tmux end-to-end tests need a working tmux \
             (install it: apt-get install tmux), or set BALTUI_SKIP_TMUX=1 to skip them.",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) if std::env::var_os("CI").is_some() => panic!(
            "tmux not found ({e}). The tmux end-to-end tests need tmux: install it \
             (apt-get install tmux / brew install tmux; CI installs it), \
             or set BALTUI_SKIP_TMUX=1 to skip them."
        ),
        Err(_) => {
            eprintln!(
                "tmux_e2e: SKIPPED: tmux is not installed. Install it (apt-get install tmux) \
                 to run the end-to-end tests; in CI they run."
            );
            None
        }
    }
}

/// A private tmux server running `baltui --demo` in one session, torn down on drop.
struct Tmux {
    dir: PathBuf,
    sock: PathBuf,
}

impl Tmux {
    fn start(tag: &str) -> Tmux {
        Tmux::start_with(tag, "--demo")
    }

    /// `baltui <args>` (already shell-quoted) in a private tmux server.
    fn start_with(tag: &str, args: &str) -> Tmux {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "baltui-e2e-{}-{}-{}",
            std::process::id(),
            tag,
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("logs")).expect("create temp dir");
        let tmux = Tmux {
            sock: dir.join("sock"),
            dir,
        };

        let path = |name: &str| {
            let p = tmux.dir.join(name);
            sh_quote(p.to_str().expect("temp path is UTF-8"))
        };
        let inner = format!(
            "echo $$ > {pid}; exec {bin} {args}",
            pid = path("pid"),
            bin = sh_quote(env!("CARGO_BIN_EXE_baltui")),
        );
        let outer = format!(
            "BALTUI_LOG_DIR={logs}; BALTUI_STATE_DIR={logs}; BALTUI_DATA_DIR={logs}; export BALTUI_LOG_DIR BALTUI_STATE_DIR BALTUI_DATA_DIR; /bin/sh -c {inner}; echo EXIT:$? > {exit}",
            logs = path("logs"),
            inner = sh_quote(&inner),
            exit = path("exit"),
        );
        // remain-on-exit keeps the pane after baltui exits, so the test can
        // look at what the terminal shows once the alternate screen is left.
        let (cols, rows) = (COLS.to_string(), ROWS.to_string());
        tmux.run(&[
            "start-server",
            ";",
            "set-option",
            "-g",
            "remain-on-exit",
            "on",
            ";",
            "new-session",
            "-d",
            "-s",
            SESSION,
            "-x",
            &cols,
            "-y",
            &rows,
            "/bin/sh",
            "-c",
            &outer,
        ]);
        tmux
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(&self.sock).arg("-f").arg("/dev/null");
        c.env_remove("TMUX")
            .env("SHELL", "/bin/sh")
            .env("TERM", "xterm-256color");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self
            .cmd()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("running tmux {args:?}: {e}"));
        assert!(
            out.status.success(),
            "tmux {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", SESSION]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn send(&self, key: &str) {
        self.run(&["send-keys", "-t", SESSION, key]);
    }

    fn resize(&self, cols: u16, rows: u16) {
        self.run(&[
            "resize-window",
            "-t",
            SESSION,
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
        ]);
    }

    /// Polls the screen until `pred` holds; panics with the last screen at the deadline.
    fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if Instant::now() >= deadline {
                panic!(
                    "timed out after {timeout:?} waiting for: {what}\n\
                     --- last screen ---\n{screen}\n--- end of screen ---{}",
                    self.exit_note()
                );
            }
            thread::sleep(POLL);
        }
    }

    /// Waits for the wrapper's `EXIT:<status>` file; returns the status text.
    fn wait_exit(&self, timeout: Duration) -> String {
        let file = self.dir.join("exit");
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(s) = fs::read_to_string(&file)
                && s.ends_with('\n')
            {
                return s.trim().to_string();
            }
            if Instant::now() >= deadline {
                panic!(
                    "baltui did not exit within {timeout:?}\n--- last screen ---\n{}\n--- end of screen ---",
                    self.screen()
                );
            }
            thread::sleep(POLL);
        }
    }

    fn exit_note(&self) -> String {
        match fs::read_to_string(self.dir.join("exit")) {
            Ok(s) => format!("\n(baltui already exited: {})", s.trim()),
            Err(_) => String::new(),
        }
    }

    /// baltui's own pid (the inner shell records `$$` and then execs baltui).
    fn baltui_pid(&self) -> u32 {
        let file = self.dir.join("pid");
        let deadline = Instant::now() + STEP;
        loop {
            if let Ok(s) = fs::read_to_string(&file)
                && let Ok(pid) = s.trim().parse()
            {
                return pid;
            }
            assert!(Instant::now() < deadline, "no pid file at {file:?}");
            thread::sleep(POLL);
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").output();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn tab_row(screen: &str) -> Option<&str> {
    screen.lines().find(|l| l.contains(" 0 All │"))
}

fn has_tabs(screen: &str, names: &[&str]) -> bool {
    tab_row(screen).is_some_and(|row| names.iter().all(|n| row.contains(&format!(" {n} │"))))
}

/// Account names in the All overview's `account` column (the rows under its header).
fn overview_accounts(screen: &str) -> Vec<String> {
    let mut lines = screen.lines();
    if !lines.any(|l| l.contains("account") && l.contains("net assets")) {
        return Vec::new();
    }
    lines
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| {
            l.split_whitespace()
                .find(|w| ACCOUNTS.contains(w))
                .map(str::to_string)
        })
        .collect()
}

/// The balances rows of an account tab: the lines between the `currency … withdrawable`
/// header and the `margin · risk` rule. `None` until the header is drawn.
fn balance_rows(screen: &str) -> Option<Vec<&str>> {
    let mut lines = screen.lines();
    lines.find(|l| is_balances_header(l))?;
    Some(
        lines
            .take_while(|l| !l.contains("margin · risk") && !l.trim().is_empty())
            .collect(),
    )
}

fn is_balances_header(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    // Columns that are all "—" may be dropped for room: only those every
    // venue fills are required.
    ["currency", "available", "frozen"]
        .iter()
        .all(|h| words.contains(h))
}

/// The amount cells of a balances row (everything after the currency code).
fn amount_cells(row: &str) -> Vec<&str> {
    row.split_whitespace().skip(1).collect()
}

fn has_digit(cell: &str) -> bool {
    cell.chars().any(|ch| ch.is_ascii_digit())
}

/// Privacy on: no digit left in any amount cell, and amounts show as `•••••`.
fn all_masked(screen: &str) -> bool {
    balance_rows(screen).is_some_and(|rows| {
        rows.iter().any(|row| amount_cells(row).contains(&"•••••"))
            && rows
                .iter()
                .all(|row| !amount_cells(row).into_iter().any(has_digit))
    })
}

/// Privacy off: no `•` in any amount cell, and amounts show digits.
fn all_unmasked(screen: &str) -> bool {
    balance_rows(screen).is_some_and(|rows| {
        rows.iter()
            .any(|row| amount_cells(row).into_iter().any(has_digit))
            && rows
                .iter()
                .all(|row| !amount_cells(row).iter().any(|c| c.contains('•')))
    })
}

#[test]
fn demo_walkthrough_in_tmux() {
    if tmux_available().is_none() {
        return;
    }
    let started = Instant::now();
    let t = Tmux::start("walk");

    // 1. Banner, tab row, discovered Webull tabs, every account in the All overview.
    t.wait_for("demo banner and tab row", STARTUP, |s| {
        s.lines()
            .next()
            .is_some_and(|l| l.trim_start().starts_with("DEMO"))
            && has_tabs(s, &["okx-main", "lp-hk"])
    });
    t.wait_for(
        "the discovered wb-hk/5MV01001 tab and every account in the All overview",
        STARTUP,
        |s| {
            let listed = overview_accounts(s);
            has_tabs(s, &["wb-hk/5MV01001"])
                && ACCOUNTS.iter().all(|a| listed.iter().any(|l| l == a))
        },
    );

    // 2. `2` opens okx-margin's tab with its title line and balances header.
    t.send("2");
    t.wait_for(
        "okx-margin tab: title line and balances header",
        STEP,
        |s| {
            s.lines().any(|l| {
                l.contains("okx-margin · OKX · Multi-currency margin · DEMO")
                    && l.contains("data fresh")
            }) && s.lines().any(is_balances_header)
        },
    );
    t.wait_for("balances rows with digits", STEP, all_unmasked);

    // 2b. Enter opens the detail of the selected currency (BTC, the first
    // row): every field, exact, with OKX's own field names; Esc closes it.
    t.send("Enter");
    t.wait_for("BTC detail with OKX field names", STEP, |s| {
        s.contains(" BTC · okx-margin · exact ") && s.contains("cashBal")
    });
    t.send("Escape");
    t.wait_for("detail closed", STEP, |s| {
        !s.contains(" · exact ") && s.lines().any(is_balances_header)
    });

    // 3. `?` opens help, Esc (sent alone) closes it.
    t.send("?");
    t.wait_for("help popup", STEP, |s| {
        s.contains("help — keys") && s.contains("privacy: mask every amount")
    });
    t.send("Escape");
    t.wait_for("help closed", STEP, |s| {
        !s.contains("help — keys") && s.lines().any(is_balances_header)
    });

    // 4. `p` masks every amount on the balances rows; `p` again restores them.
    t.send("p");
    t.wait_for("every balance amount masked as •••••", STEP, all_masked);
    t.send("p");
    t.wait_for("balance amounts shown again", STEP, all_unmasked);

    // 5. 40x12 still draws the account and its title; smaller says so;
    // back to full size draws the tabs again.
    t.resize(40, 12);
    t.wait_for("okx-margin at 40x12", STEP, |s| {
        !s.contains("window too small")
            && s.lines().any(|l| l.starts_with("okx-mar"))
            && s.contains(" critical, ")
    });
    t.resize(28, 6);
    t.wait_for("window too small", STEP, |s| {
        s.contains("window too small (need 30x8)")
    });
    t.resize(COLS, ROWS);
    t.wait_for("tab row after resizing back", STEP, |s| {
        !s.contains("window too small") && has_tabs(s, &["okx-main", "lp-hk"])
    });

    // 6. The account picker: `o`, type part of a name, Enter opens its tab.
    t.send("o");
    t.wait_for("the account picker", STEP, |s| s.contains(" open account "));
    for k in ["l", "p", "-", "l", "e"] {
        t.send(k);
    }
    t.wait_for("one match in the picker", STEP, |s| s.contains("1 of "));
    t.send("Enter");
    t.wait_for("lp-legacy's tab", STEP, |s| {
        !s.contains(" open account ") && s.lines().any(|l| l.starts_with("lp-legacy · LongPort"))
    });

    // 7. `q` exits 0 and leaves the alternate screen.
    t.send("q");
    let status = t.wait_exit(STEP);
    assert_eq!(status, "EXIT:0", "baltui exit status after q");
    t.wait_for("alternate screen left after q", STEP, |s| {
        tab_row(s).is_none() && !s.contains("DEMO")
    });

    eprintln!("tmux walkthrough took {:?}", started.elapsed());
}

#[test]
fn sigterm_exits_cleanly_in_tmux() {
    if tmux_available().is_none() {
        return;
    }
    let t = Tmux::start("term");
    t.wait_for("tab row", STARTUP, |s| has_tabs(s, &["okx-main", "lp-hk"]));

    let pid = t.baltui_pid();
    let out = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .output()
        .expect("run kill");
    assert!(
        out.status.success(),
        "kill -TERM {pid} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let status = t.wait_exit(STEP);
    assert_eq!(status, "EXIT:0", "baltui exit status after SIGTERM");
    t.wait_for("alternate screen left after SIGTERM", STEP, |s| {
        tab_row(s).is_none() && !s.contains("DEMO")
    });
}

/// A reload whose secret command hangs must not freeze the screen: keys are
/// still answered while it waits, and `q` still quits at once.
#[test]
fn reload_with_a_hanging_secret_command_keeps_the_screen_live() {
    use std::os::unix::fs::PermissionsExt;
    if tmux_available().is_none() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("baltui-e2e-reload-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("create temp dir");
    let cfg = dir.join("config.toml");
    // Port 9 on loopback: nothing answers, the account just shows an error.
    let account = |secret: &str| {
        format!(
            "[[account]]\nname = \"acct-a\"\nvenue = \"okx\"\nbase_url = \"http://127.0.0.1:9\"\napi_key = \"k\"\nsecret_key = {secret}\npassphrase = \"p\"\n"
        )
    };
    fs::write(&cfg, account("\"s\"")).expect("write config");
    fs::set_permissions(&cfg, fs::Permissions::from_mode(0o600)).expect("chmod");
    let t = Tmux::start_with(
        "reload",
        &format!("--config {}", sh_quote(cfg.to_str().expect("UTF-8 path"))),
    );
    t.wait_for("acct-a tab", STARTUP, |s| has_tabs(s, &["acct-a"]));

    fs::write(&cfg, account("{ command = [\"sleep\", \"30\"] }")).expect("rewrite config");
    t.send("c");
    let asked = Instant::now();
    t.send("?");
    t.wait_for(
        "help popup while the reload waits for its secret",
        STEP,
        |s| s.contains("help — keys"),
    );
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "{:?}",
        asked.elapsed()
    );
    t.send("Escape");
    t.wait_for("help closed", STEP, |s| !s.contains("help — keys"));
    t.send("q");
    let status = t.wait_exit(STEP);
    assert_eq!(status, "EXIT:0", "q quits while the reload still waits");
    let _ = fs::remove_dir_all(&dir);
}

/// `--connect` to a port nobody listens on: the screen says in words that
/// the service is unreachable, names it, and `q` still quits cleanly.
#[test]
fn an_attached_monitor_says_when_its_service_is_unreachable() {
    if tmux_available().is_none() {
        return;
    }
    // A free loopback port: bound, then let go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port();
    let host = format!("127.0.0.1:{port}");
    let url = format!("http://{host}");
    let t = Tmux::start_with("attach", &format!("--connect {}", sh_quote(&url)));
    let lost = format!("✖ lost {host}");
    let screen = t.wait_for("the unreachable banner", STARTUP, |s| {
        s.contains("SERVICE UNREACHABLE") && s.contains(&lost)
    });
    assert!(screen.contains(&format!("{host}: ")), "{screen}");
    t.send("q");
    assert_eq!(t.wait_exit(STEP), "EXIT:0", "{}", t.exit_note());
}

/// A monitor attached to a real `baltui serve` shows its accounts and says
/// where they come from; when the service stops it says so and keeps the
/// last values; when the service is back on its port it attaches again.
#[test]
fn an_attached_monitor_follows_a_real_service_through_a_restart() {
    if tmux_available().is_none() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = rt.block_on(super::serve::sim(super::serve::SEED));
    let text = super::serve::config_text(&sim, &["okx-margin"], "");
    let cfg = super::common::write_config("tmux-attach.toml", &text);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port();
    let host = format!("127.0.0.1:{port}");
    let data = super::common::fresh_state_dir();
    let env = [("BALTUI_DATA_DIR", data.to_str().unwrap())];
    let first = super::serve::serve_on(&cfg, &host, &env);
    let t = Tmux::start_with(
        "attach-real",
        &format!("--connect {}", sh_quote(&format!("http://{host}"))),
    );
    let attached = format!("attached to {host}");
    let screen = t.wait_for("the service's account", STARTUP * 3, |s| {
        s.contains(&attached) && overview_accounts(s).contains(&"okx-margin".to_string())
    });
    assert!(!screen.contains("UNREACHABLE"), "{screen}");
    drop(first);
    let screen = t.wait_for("the unreachable banner", STARTUP * 3, |s| {
        s.contains("SERVICE UNREACHABLE")
    });
    assert!(
        overview_accounts(&screen).contains(&"okx-margin".to_string()),
        "the last values stay: {screen}"
    );
    let _second = super::serve::serve_on(&cfg, &host, &env);
    t.wait_for("attached again", STARTUP * 6, |s| {
        s.contains(&attached) && !s.contains("SERVICE UNREACHABLE")
    });
    t.send("q");
    assert_eq!(t.wait_exit(STEP), "EXIT:0", "{}", t.exit_note());
}
