//! Operator commands against the real binary and `baltui sim`: `check [--online]`,
//! `snapshot --format csv|prometheus`, `--output`, `--account`, completions, man,
//! `--version`.
//!
//! The simulator is deterministic per seed and per step (each request advances
//! it), so formats are compared value for value by giving each format run its
//! own fresh `baltui sim` at the same seed: the first snapshot of each sees the
//! same numbers. LongPort refuses two identical signed requests within one
//! second (403202) and Webull HK allows 2 requests per 2 s across processes, so
//! runs against one simulator are limited to other accounts or spaced out.

mod common;
use common::*;
use std::time::Duration;

/// Every secret value written in a sim config.
fn secrets_of(config: &str) -> Vec<String> {
    let t: toml::Value = toml::from_str(config).unwrap();
    let mut out = Vec::new();
    for acc in t["account"].as_array().unwrap() {
        for k in [
            "api_key",
            "secret_key",
            "passphrase",
            "app_key",
            "app_secret",
            "access_token",
        ] {
            if let Some(v) = acc.get(k).and_then(|v| v.as_str()) {
                out.push(v.to_string());
            }
        }
    }
    assert!(out.len() >= 15, "{out:?}");
    out
}

fn assert_no_secret(config: &str, text: &str) {
    for s in secrets_of(config) {
        assert!(!text.contains(&s), "secret {s:?} printed:\n{text}");
    }
}

const ACCOUNTS: [&str; 5] = ["okx-main", "okx-margin", "lp-hk", "lp-legacy", "wb-hk"];

/// The lines of one account's block in `check` output.
fn block<'a>(out: &'a str, account: &str) -> &'a str {
    let start = out
        .find(&format!("account {account}\n"))
        .unwrap_or_else(|| panic!("no block for {account}:\n{out}"));
    let rest = &out[start..];
    &rest[..rest.find("\n\n").unwrap_or(rest.len())]
}

#[test]
fn check_on_the_sim_config_is_clean_and_prints_no_secret() {
    let sim = start_sim(1);
    let cfg = write_config("check-ok.toml", &sim.config);
    let (code, out, err) = run_cfg(&cfg, &["check"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains(&format!("config  {}", cfg.display())), "{out}");
    assert!(out.contains("mode 0600"), "{out}");
    assert!(
        out.contains("log     ") && out.contains("baltui.<date>.log"),
        "{out}"
    );
    for a in ACCOUNTS {
        let b = block(&out, a);
        assert!(b.contains("inline in the config file"), "{b}");
        assert!(b.contains("base URL     http://127.0.0.1:"), "{b}");
        assert!(
            b.contains("interval     5s configured, 5s effective"),
            "{b}"
        );
        assert!(b.contains("budget       "), "{b}");
        assert!(!b.contains("PROBLEM"), "{b}");
    }
    assert!(
        block(&out, "okx-main").contains("budget       8 per 2s"),
        "80% of OKX's 10 per 2 s: {out}"
    );
    assert!(out.contains("5 accounts checked: no problems"), "{out}");
    assert_no_secret(&sim.config, &out);
    assert_no_secret(&sim.config, &err);
}

#[test]
fn check_flags_a_readable_file_with_inline_secrets() {
    use std::os::unix::fs::PermissionsExt;
    let sim = start_sim(1);
    let cfg = write_config("check-0644.toml", &sim.config);
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, out, err) = run_cfg(&cfg, &["check"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("mode 0644"), "{out}");
    assert!(
        out.contains(&format!(
            "PROBLEM      {} holds secrets inline",
            cfg.display()
        )) && out.contains(&format!("chmod 600 {}", cfg.display())),
        "{out}"
    );
    assert!(out.contains("1 problem found"), "{out}");
    assert_no_secret(&sim.config, &out);
}

#[test]
fn check_names_an_unset_variable_and_the_fix() {
    let sim = start_sim(1);
    let text = sim.config.replacen(
        "api_key = \"sim-okx-margin-key\"",
        "api_key = { env = \"BALTUI_TEST_UNSET_VAR\" }",
        1,
    );
    assert_ne!(text, sim.config);
    let cfg = write_config("check-env.toml", &text);
    let line = text
        .lines()
        .position(|l| l.contains("BALTUI_TEST_UNSET_VAR"))
        .unwrap()
        + 1;
    let (code, out, err) = run_cfg(&cfg, &["check"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let b = block(&out, "okx-margin");
    assert!(b.contains("api_key      cannot be read"), "{b}");
    assert!(
        b.contains("environment variable BALTUI_TEST_UNSET_VAR is not set"),
        "{b}"
    );
    assert!(
        b.contains(&format!(
            "fix: export BALTUI_TEST_UNSET_VAR=... or change `api_key` in {}:{line}",
            cfg.display()
        )),
        "{b}"
    );
    assert!(
        !block(&out, "okx-main").contains("PROBLEM"),
        "other accounts unaffected"
    );
    assert_no_secret(&sim.config, &out);
}

#[test]
fn check_online_reports_ok_and_latency_per_account() {
    let sim = start_sim(1);
    let cfg = write_config("check-online.toml", &sim.config);
    let (code, out, err) = run_cfg(&cfg, &["check", "--online"]);
    assert_eq!(code, 0, "{out}\n{err}");
    for a in ACCOUNTS {
        let b = block(&out, a);
        let line = b
            .lines()
            .find(|l| l.trim_start().starts_with("online"))
            .unwrap_or_else(|| panic!("{b}"));
        let rest = line.split("OK in ").nth(1).unwrap_or_else(|| panic!("{b}"));
        let ms: String = rest.chars().take_while(char::is_ascii_digit).collect();
        assert!(
            !ms.is_empty() && rest[ms.len()..].starts_with(" ms"),
            "{line}"
        );
    }
    assert!(
        block(&out, "wb-hk").contains("2 accounts found: wb-hk/5MV01001, wb-hk/5MV01002"),
        "{out}"
    );
    assert!(
        out.contains("5 accounts checked online: no problems"),
        "{out}"
    );
    assert_no_secret(&sim.config, &out);
}

#[test]
fn check_online_with_a_wrong_secret_is_an_auth_failure_with_the_code() {
    let sim = start_sim(1);
    let bad = sim
        .config
        .replacen("secret_key = \"", "secret_key = \"WRONG", 1);
    let cfg = write_config("check-wrong.toml", &bad);
    let (code, out, err) = run_cfg(
        &cfg,
        &[
            "check",
            "--online",
            "--account",
            "okx-main",
            "-a",
            "okx-margin",
        ],
    );
    assert_eq!(code, 1, "{out}\n{err}");
    let b = block(&out, "okx-main");
    assert!(
        b.contains("PROBLEM      authentication failed (code 50113") && b.contains("check that"),
        "{b}"
    );
    assert!(block(&out, "okx-margin").contains("OK in "), "{out}");
    assert!(!out.contains("account lp-hk"), "filtered: {out}");
    assert!(!out.contains("WRONG") && !err.contains("WRONG"));
    assert_no_secret(&sim.config, &out);
}

#[test]
fn check_online_against_an_unreachable_port_says_so() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sim = start_sim(1);
    let url = sim
        .config
        .lines()
        .find_map(|l| l.strip_prefix("base_url = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    let text = sim
        .config
        .replace(&url, &format!("http://127.0.0.1:{port}"));
    let cfg = write_config("check-unreachable.toml", &text);
    let (code, out, err) = run_cfg(
        &cfg,
        &["check", "--online", "-a", "okx-main", "-a", "wb-hk"],
    );
    assert_eq!(code, 1, "{out}\n{err}");
    for a in ["okx-main", "wb-hk"] {
        let b = block(&out, a);
        assert!(
            b.contains("network error: cannot connect")
                && b.contains(&format!("check base_url (http://127.0.0.1:{port})")),
            "{b}"
        );
    }
    assert!(out.contains("2 problems found"), "{out}");
}

/// Split CSV text into records (quotes, doubled quotes, commas and newlines inside quotes).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "CSV ends with a newline"
    );
    rows
}

fn snapshot_json(seed: u64) -> serde_json::Value {
    let sim = start_sim(seed);
    let cfg = write_config(&format!("json-{seed}.toml"), &sim.config);
    let (_, out, err) = run_cfg(&cfg, &["snapshot", "--format", "json"]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"))
}

fn text_or_empty(v: &serde_json::Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_default()
}

#[test]
fn csv_rows_equal_the_json_of_the_same_seed() {
    // Two fresh simulators at one seed: the first snapshot of each sees the same step.
    let json = snapshot_json(21);
    let sim = start_sim(21);
    let cfg = write_config("csv-21.toml", &sim.config);
    let (code, out, err) = run_cfg(&cfg, &["snapshot", "--format", "csv"]);
    assert!((0..=2).contains(&code), "{code} {err}");
    let rows = parse_csv(&out);
    let header = "account,venue,status,currency,cash,available,frozen,settling,withdrawable,equity,net_assets,totals_currency,margin_ratio,risk_level,worst_severity,fetched_at";
    assert_eq!(rows[0].join(","), header);
    let col = |name: &str| header.split(',').position(|h| h == name).unwrap();
    let mut i = 1;
    for a in json["accounts"].as_array().unwrap() {
        for c in a["currencies"].as_array().unwrap() {
            let r = &rows[i];
            i += 1;
            assert_eq!(r.len(), 16, "{r:?}");
            assert_eq!(r[col("account")], a["name"].as_str().unwrap());
            assert_eq!(r[col("venue")], a["venue"].as_str().unwrap());
            assert_eq!(r[col("status")], a["status"].as_str().unwrap());
            assert_eq!(r[col("currency")], c["currency"].as_str().unwrap());
            for f in [
                "cash",
                "available",
                "frozen",
                "settling",
                "withdrawable",
                "equity",
            ] {
                // The exact decimal text, empty where JSON has null.
                assert_eq!(r[col(f)], text_or_empty(&c[f]), "{f} of {r:?}");
            }
            assert_eq!(
                r[col("net_assets")],
                text_or_empty(&a["totals"]["net_assets"])
            );
            assert_eq!(
                r[col("totals_currency")],
                text_or_empty(&a["totals"]["currency"])
            );
            assert_eq!(
                r[col("margin_ratio")],
                text_or_empty(&a["risk"]["margin_ratio"])
            );
            assert_eq!(r[col("risk_level")], text_or_empty(&a["risk"]["level"]));
            assert!(
                ["ok", "notice", "warn", "critical"].contains(&r[col("worst_severity")].as_str())
            );
            chrono::DateTime::parse_from_rfc3339(&r[col("fetched_at")]).unwrap();
        }
    }
    assert_eq!(i, rows.len(), "one row per account and currency");
    assert_no_secret(&sim.config, &out);
}

#[test]
fn csv_quoting_and_an_account_without_currencies() {
    use baltui::snapshot::csv_field;
    assert_eq!(csv_field("plain"), "plain");
    assert_eq!(csv_field("a,b"), "\"a,b\"");
    assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    assert_eq!(csv_field(" pad"), "\" pad\"");
    assert_eq!(csv_field("-25000"), "-25000");
    let rows = parse_csv(&format!("{},{}\n", csv_field("x,\"y\"\nz"), csv_field("")));
    assert_eq!(rows, vec![vec!["x,\"y\"\nz".to_string(), String::new()]]);

    // A failed account: one row, empty currency and amounts.
    let sim = start_sim(1);
    let bad = sim
        .config
        .replacen("secret_key = \"", "secret_key = \"WRONG", 1);
    let cfg = write_config("csv-bad.toml", &bad);
    let (code, out, _) = run_cfg(&cfg, &["snapshot", "--format", "csv", "-a", "okx-main"]);
    assert_eq!(code, 3);
    let rows = parse_csv(&out);
    assert_eq!(rows.len(), 2, "{out}");
    assert_eq!(
        rows[1],
        [
            "okx-main",
            "okx",
            "auth_failed",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "critical",
            ""
        ]
    );
}

/// A parsed sample line: metric name, labels, value text.
type Sample = (String, Vec<(String, String)>, String);

fn parse_prometheus(text: &str) -> (Vec<Sample>, Vec<String>) {
    let mut samples = Vec::new();
    let mut meta = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            meta.push(line.to_string());
            continue;
        }
        let open = line.find('{').unwrap_or_else(|| panic!("{line}"));
        let close = line.rfind('}').unwrap();
        let name = line[..open].to_string();
        let value = line[close + 1..].trim().to_string();
        let mut labels = Vec::new();
        let mut rest = &line[open + 1..close];
        while !rest.is_empty() {
            let eq = rest.find("=\"").unwrap();
            let key = rest[..eq].to_string();
            let mut val = String::new();
            let mut chars = rest[eq + 2..].char_indices();
            let mut end = 0;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next().unwrap().1 {
                        'n' => val.push('\n'),
                        c => val.push(c),
                    },
                    '"' => {
                        end = eq + 2 + i + 1;
                        break;
                    }
                    c => val.push(c),
                }
            }
            labels.push((key, val));
            rest = rest[end..].trim_start_matches(',');
        }
        samples.push((name, labels, value));
    }
    (samples, meta)
}

fn label<'a>(s: &'a Sample, key: &str) -> Option<&'a str> {
    s.1.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[test]
fn prometheus_samples_equal_the_json_of_the_same_seed() {
    let json = snapshot_json(22);
    let sim = start_sim(22);
    let cfg = write_config("prom-22.toml", &sim.config);
    let (code, out, err) = run_cfg(&cfg, &["snapshot", "--format", "prometheus"]);
    assert!((0..=2).contains(&code), "{code} {err}");
    let (samples, meta) = parse_prometheus(&out);
    for m in [
        "baltui_balance",
        "baltui_net_assets",
        "baltui_margin_ratio",
        "baltui_risk_level",
        "baltui_data_age_seconds",
        "baltui_findings",
        "baltui_up",
    ] {
        assert!(meta.contains(&format!("# TYPE {m} gauge")), "{m}");
        assert!(
            meta.iter().any(|l| l.starts_with(&format!("# HELP {m} "))),
            "{m}"
        );
    }
    for s in &samples {
        s.2.parse::<f64>()
            .unwrap_or_else(|_| panic!("not a number: {s:?}"));
    }
    let find = |name: &str, account: &str, extra: &[(&str, &str)]| -> Option<String> {
        samples
            .iter()
            .find(|s| {
                s.0 == name
                    && label(s, "account") == Some(account)
                    && extra.iter().all(|(k, v)| label(s, k) == Some(*v))
            })
            .map(|s| s.2.clone())
    };
    let mut balances = 0;
    for a in json["accounts"].as_array().unwrap() {
        let name = a["name"].as_str().unwrap();
        let venue = a["venue"].as_str().unwrap();
        assert_eq!(
            find("baltui_up", name, &[("venue", venue)]).as_deref(),
            Some("1")
        );
        for c in a["currencies"].as_array().unwrap() {
            let cur = c["currency"].as_str().unwrap();
            for f in [
                "cash",
                "available",
                "frozen",
                "settling",
                "withdrawable",
                "equity",
                "liabilities",
            ] {
                let got = find("baltui_balance", name, &[("currency", cur), ("field", f)]);
                // Present amounts as their exact decimal text; absent ones left out.
                assert_eq!(got, c[f].as_str().map(str::to_string), "{name} {cur} {f}");
                balances += usize::from(got.is_some());
            }
        }
        assert_eq!(
            find("baltui_net_assets", name, &[]),
            a["totals"]["net_assets"].as_str().map(str::to_string)
        );
        assert_eq!(
            find("baltui_margin_ratio", name, &[]),
            a["risk"]["margin_ratio"].as_str().map(str::to_string)
        );
        let findings = a["findings"].as_array().unwrap();
        for sev in ["ok", "notice", "warn", "critical"] {
            let n = findings.iter().filter(|f| f["severity"] == sev).count();
            assert_eq!(
                find("baltui_findings", name, &[("severity", sev)]),
                Some(n.to_string()),
                "{name} {sev}"
            );
        }
        let age: f64 = find("baltui_data_age_seconds", name, &[])
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..60.0).contains(&age), "{age}");
    }
    assert!(balances > 30, "{balances}");
    assert_no_secret(&sim.config, &out);
}

#[test]
fn prometheus_escapes_labels_and_marks_a_failed_account_down() {
    use baltui::snapshot::prom_label;
    assert_eq!(prom_label(r#"a"b\c"#), r#"a\"b\\c"#);
    assert_eq!(prom_label("x\ny"), r"x\ny");

    let sim = start_sim(1);
    let bad = sim
        .config
        .replacen("secret_key = \"", "secret_key = \"WRONG", 1);
    let cfg = write_config("prom-bad.toml", &bad);
    let (code, out, _) = run_cfg(&cfg, &["snapshot", "-f", "prometheus", "-a", "okx-main"]);
    assert_eq!(code, 3);
    let (samples, _) = parse_prometheus(&out);
    let up: Vec<_> = samples.iter().filter(|s| s.0 == "baltui_up").collect();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].2, "0");
    assert!(!samples.iter().any(|s| s.0 == "baltui_balance"));
    assert!(samples.iter().any(|s| s.0 == "baltui_findings"
        && label(s, "severity") == Some("critical")
        && s.2 == "1"));
}

#[test]
fn output_writes_the_file_atomically_and_leaves_it_alone_on_error() {
    let sim = start_sim(1);
    let cfg = write_config("output.toml", &sim.config);
    let dir = tmpdir("out");
    let file = dir.join("baltui.prom");
    let _ = std::fs::remove_file(&file);
    let (code, out, err) = run_cfg(
        &cfg,
        &[
            "snapshot",
            "--format",
            "prometheus",
            "-a",
            "okx-main",
            "--output",
            file.to_str().unwrap(),
        ],
    );
    assert!((0..=2).contains(&code), "{code} {err}");
    assert!(out.is_empty(), "nothing on stdout: {out}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.contains("baltui_up{account=\"okx-main\",venue=\"okx\"} 1"),
        "{written}"
    );

    // A config that does not load: exit 4, the old file untouched.
    let (code, _, _) = baltui(&[
        "--config",
        "/nonexistent/baltui.toml",
        "snapshot",
        "--format",
        "prometheus",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 4);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);

    // A directory that does not exist: exit 4, nothing created.
    let missing = dir.join("no-such-dir").join("x.csv");
    let (code, _, err) = run_cfg(
        &cfg,
        &[
            "snapshot",
            "-f",
            "csv",
            "-a",
            "okx-margin",
            "-o",
            missing.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 4);
    assert!(
        err.contains("cannot write") && err.contains("x.csv"),
        "{err}"
    );
    assert!(!missing.exists());

    // A target that cannot be replaced (a directory): no temp file is left behind.
    let blocker = dir.join("taken.json");
    std::fs::create_dir_all(&blocker).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let (code, _, err) = run_cfg(
        &cfg,
        &[
            "snapshot",
            "-f",
            "json",
            "-a",
            "okx-main",
            "-o",
            blocker.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 4, "{err}");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn account_filter_and_unknown_names() {
    let sim = start_sim(1);
    let cfg = write_config("filter.toml", &sim.config);
    let (_, out, err) = run_cfg(&cfg, &["snapshot", "-f", "json", "--account", "okx-margin"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e} {err}"));
    let names: Vec<&str> = v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["okx-margin"]);

    // The configured name of a Webull app key selects every discovered account.
    let (_, out, err) = run_cfg(
        &cfg,
        &["snapshot", "-f", "csv", "-a", "wb-hk", "-a", "okx-main"],
    );
    let mut accounts: Vec<String> = parse_csv(&out)[1..].iter().map(|r| r[0].clone()).collect();
    accounts.dedup();
    assert_eq!(
        accounts,
        ["okx-main", "wb-hk/5MV01001", "wb-hk/5MV01002"],
        "{out} {err}"
    );

    for cmd in ["snapshot", "check"] {
        let (code, out, err) = run_cfg(&cfg, &[cmd, "--account", "nope", "-a", "okx-main"]);
        assert_eq!(code, 4, "{cmd}: {out} {err}");
        assert!(
            err.contains("unknown account \"nope\"")
                && err.contains("okx-main, okx-margin, lp-hk, lp-legacy, wb-hk"),
            "{err}"
        );
        assert!(out.is_empty());
    }
}

#[test]
fn completions_man_and_version() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, err) = baltui(&["completions", shell]);
        assert_eq!(code, 0, "{err}");
        assert!(out.len() > 200 && out.contains("baltui"), "{shell}: {out}");
        assert!(out.contains("snapshot") && out.contains("check"), "{shell}");
    }
    let (code, _, _) = baltui(&["completions", "tcsh"]);
    assert_eq!(code, 4);
    let (code, out, _) = baltui(&["man"]);
    assert_eq!(code, 0);
    assert!(out.starts_with(".ie") || out.contains(".TH"), "roff: {out}");
    assert!(out.contains("baltui") && out.contains("snapshot"));
    let (code, out, _) = baltui(&["--version"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(&format!("baltui {}", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
}
