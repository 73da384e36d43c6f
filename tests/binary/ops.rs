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

use crate::common::*;
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

/// The configured accounts of `baltui sim` (a Webull app key is one).
fn sim_accounts() -> Vec<String> {
    baltui::sim::demo_accounts()
        .into_iter()
        .map(|a| a.name)
        .collect()
}

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
    for a in sim_accounts() {
        let b = block(&out, &a);
        assert!(b.contains("inline in the config file"), "{b}");
        assert!(b.contains("base URL     http://127.0.0.1:"), "{b}");
        // Binance and Bybit default to 15 s (PROTOCOLS.md §7), the others 5 s.
        let every = if a.starts_with("bybit") || a.starts_with("bn-") {
            "15s"
        } else {
            "5s"
        };
        assert!(
            b.contains(&format!(
                "interval     {every} configured, {every} effective"
            )),
            "{b}"
        );
        assert!(b.contains("budget       "), "{b}");
        assert!(!b.contains("PROBLEM"), "{b}");
    }
    assert!(
        block(&out, "okx-main").contains("budget       8 per 2s"),
        "80% of OKX's 10 per 2 s: {out}"
    );
    let n = sim_accounts().len();
    assert!(
        out.contains(&format!("{n} accounts checked: no problems")),
        "{out}"
    );
    // Offline the OKX user ids are unknown: keyed by the API key.
    assert!(
        block(&out, "okx-futures").contains("keyed by the API key"),
        "{out}"
    );
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
    for a in sim_accounts() {
        let b = block(&out, &a);
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
    let n = sim_accounts().len();
    assert!(
        out.contains(&format!("{n} accounts checked online: no problems")),
        "{out}"
    );
    // The account mode and the user id the budget is keyed on, from the
    // account config call; two API keys of one user share one budget.
    let fut = block(&out, "okx-futures");
    assert!(fut.contains("account mode: Futures mode"), "{fut}");
    assert!(
        fut.contains(&format!(
            "keyed by user id {}",
            baltui::venues::okx::sim::SHARED_UID
        )),
        "{fut}"
    );
    assert!(fut.contains("shared by 2 accounts"), "{fut}");
    assert!(
        block(&out, "okx-main").contains("account mode: Spot mode"),
        "{out}"
    );
    assert!(
        block(&out, "okx-margin").contains("account mode: Multi-currency margin"),
        "{out}"
    );
    assert!(
        fut.contains("no other baltui process used it in the last 2s"),
        "the shared ledger's view: {fut}"
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

/// Seconds between two RFC 3339 times.
fn secs_apart(a: &str, b: &str) -> f64 {
    let t =
        |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    ((t(a) - t(b)).num_milliseconds() as f64 / 1000.0).abs()
}

fn text_or_empty(v: &serde_json::Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_default()
}

/// The CSV column of a JSON field: `object` is "totals" or "risk" (account
/// level, the primary view) or "currency" (one row). Columns are named as the
/// JSON names them, account fields as `<object>_<name>`, except the first
/// release's `net_assets`, `margin_ratio` and `risk_level`, and
/// `currency_margin_ratio` (`margin_ratio` was taken). None: not a CSV field.
fn csv_column(object: &str, key: &str) -> Option<String> {
    Some(match (object, key) {
        (_, "indicators") => return None,
        ("totals", "net_assets") | ("risk", "margin_ratio") => key.to_string(),
        ("risk", "level") => "risk_level".into(),
        ("currency", "margin_ratio") => "currency_margin_ratio".into(),
        ("currency", k) => k.to_string(),
        (o, k) => format!("{o}_{k}"),
    })
}

/// The CSV header of the first release, which must stay first, in order.
const CSV_HEADER_V1: &str = "account,venue,status,currency,cash,available,frozen,settling,withdrawable,equity,net_assets,totals_currency,margin_ratio,risk_level,worst_severity,fetched_at";

#[test]
fn csv_rows_equal_the_json_of_the_same_seed() {
    // Two fresh simulators at one seed: the first snapshot of each sees the same step.
    let json = snapshot_json(21);
    let sim = start_sim(21);
    let cfg = write_config("csv-21.toml", &sim.config);
    let (code, out, err) = run_cfg(&cfg, &["snapshot", "--format", "csv"]);
    assert!((0..=2).contains(&code), "{code} {err}");
    let rows = parse_csv(&out);
    let header = rows[0].clone();
    assert_eq!(header[..16].join(","), CSV_HEADER_V1, "old columns first");
    assert_eq!(header.join(","), baltui::snapshot::CSV_HEADER);
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no CSV column {name}: {header:?}"))
    };
    let mut i = 1;
    let mut compared = 0;
    for a in json["accounts"].as_array().unwrap() {
        for c in a["currencies"].as_array().unwrap() {
            let r = &rows[i];
            i += 1;
            assert_eq!(r.len(), header.len(), "{r:?}");
            assert_eq!(r[col("account")], a["name"].as_str().unwrap());
            assert_eq!(r[col("venue")], a["venue"].as_str().unwrap());
            assert_eq!(r[col("status")], a["status"].as_str().unwrap());
            assert_eq!(r[col("currency")], c["currency"].as_str().unwrap());
            // Every field of the currency present in the JSON, as its exact
            // decimal text; every amount column empty where JSON has null or
            // leaves the field out.
            for (k, v) in c.as_object().unwrap() {
                if let Some(name) = csv_column("currency", k).filter(|_| k != "currency") {
                    assert_eq!(r[col(&name)], text_or_empty(v), "{name} of {r:?}");
                    compared += 1;
                }
            }
            for f in [
                "cash",
                "liabilities",
                "in_transit",
                "view",
                "currency_margin_ratio",
            ] {
                let key = if f == "currency_margin_ratio" {
                    "margin_ratio"
                } else {
                    f
                };
                assert_eq!(r[col(f)], text_or_empty(&c[key]), "{f} absent: empty");
            }
            // Every account-level figure of the JSON, on every row of the account.
            for object in ["totals", "risk"] {
                for (k, v) in a[object].as_object().unwrap() {
                    if object == "risk" && k == "headroom" {
                        let f = text_or_empty(&v["fraction"]);
                        assert_eq!(r[col("risk_margin_headroom")], f);
                        let b = text_or_empty(&v["basis"]);
                        assert_eq!(r[col("risk_margin_headroom_basis")], b);
                        compared += 1;
                        continue;
                    }
                    if let Some(name) = csv_column(object, k) {
                        assert_eq!(r[col(&name)], text_or_empty(v), "{object}.{k} of {r:?}");
                        compared += 1;
                    }
                }
            }
            assert_eq!(r[col("account_mode")], text_or_empty(&a["account_mode"]));
            // Times are the simulator's clock and ours, a few seconds apart
            // between the two runs: same presence, RFC 3339, close.
            for t in ["venue_time", "fetched_at"] {
                match a[t].as_str() {
                    None => assert_eq!(r[col(t)], "", "{t}"),
                    Some(j) => assert!(secs_apart(&r[col(t)], j) < 60.0, "{t} {r:?}"),
                }
            }
            assert!(
                ["ok", "notice", "warn", "critical"].contains(&r[col("worst_severity")].as_str())
            );
        }
    }
    assert_eq!(i, rows.len(), "one row per account and currency");
    assert!(compared > 300, "{compared}");
    // Ratios are ratios: Webull's utilization (sent in percent) is below 1.
    let u = col("risk_utilization");
    let wb: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[1] == "webull").collect();
    assert!(!wb.is_empty());
    for r in wb {
        let v: rust_decimal::Decimal = r[u].parse().unwrap();
        assert!(v < rust_decimal::Decimal::ONE, "{r:?}");
    }
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
    assert_eq!(code, 2, "an authentication failure is critical");
    let rows = parse_csv(&out);
    assert_eq!(rows.len(), 2, "{out}");
    assert_eq!(rows[1].len(), rows[0].len());
    assert_eq!(
        rows[1][..16],
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
    assert!(rows[1][16..].iter().all(String::is_empty), "{:?}", rows[1]);
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

/// Every metric family `baltui snapshot --format prometheus` writes.
const FAMILIES: [&str; 51] = [
    "baltui_balance",
    "baltui_currency_margin_ratio",
    "baltui_currency_notional_leverage_ratio",
    "baltui_net_assets",
    "baltui_total_cash",
    "baltui_buying_power",
    "baltui_market_value",
    "baltui_max_finance",
    "baltui_remaining_finance",
    "baltui_available_equity",
    "baltui_notional_value",
    "baltui_unrealized_pnl",
    "baltui_borrow_frozen",
    "baltui_isolated_equity",
    "baltui_interest",
    "baltui_margin_call",
    "baltui_initial_margin",
    "baltui_maintenance_margin",
    "baltui_adjusted_equity",
    "baltui_wallet_balance",
    "baltui_margin_balance",
    "baltui_available_balance",
    "baltui_perp_unrealized_pnl",
    "baltui_margin_ratio",
    "baltui_maintenance_rate_ratio",
    "baltui_initial_rate_ratio",
    "baltui_utilization_ratio",
    "baltui_margin_headroom_ratio",
    "baltui_wallet_amount",
    "baltui_margin_level",
    "baltui_margin_level_normal_bar",
    "baltui_margin_level_call_bar",
    "baltui_margin_level_liquidation_bar",
    "baltui_futures_maint_ratio",
    "baltui_uni_mmr",
    "baltui_risk_level",
    "baltui_indicator",
    "baltui_account_mode_info",
    "baltui_venue_timestamp_seconds",
    "baltui_data_age_seconds",
    "baltui_findings",
    "baltui_up",
    // The totals across accounts (JSON `totals`).
    "baltui_portfolio_net_assets",
    "baltui_portfolio_cash",
    "baltui_portfolio_approximate",
    "baltui_portfolio_accounts",
    "baltui_portfolio_excluded",
    "baltui_portfolio_rate_ratio",
    "baltui_currency_cash",
    "baltui_currency_available",
    "baltui_currency_frozen",
];

#[test]
fn prometheus_samples_equal_the_json_of_the_same_seed() {
    let json = snapshot_json(22);
    let sim = start_sim(22);
    let cfg = write_config("prom-22.toml", &sim.config);
    let (code, out, err) = run_cfg(&cfg, &["snapshot", "--format", "prometheus"]);
    assert!((0..=2).contains(&code), "{code} {err}");
    let (samples, meta) = parse_prometheus(&out);
    for m in FAMILIES {
        assert!(meta.contains(&format!("# TYPE {m} gauge")), "{m}");
        assert!(
            meta.iter().any(|l| l.starts_with(&format!("# HELP {m} "))),
            "{m}"
        );
    }
    assert_eq!(
        meta.len(),
        2 * FAMILIES.len(),
        "HELP and TYPE of each family, no other: {meta:?}"
    );
    for s in &samples {
        assert!(FAMILIES.contains(&s.0.as_str()), "{s:?}");
        s.2.parse::<f64>()
            .unwrap_or_else(|_| panic!("not a number: {s:?}"));
    }
    // Which samples a JSON field accounted for: at the end, every sample is.
    let used = std::cell::RefCell::new(vec![false; samples.len()]);
    // The one sample of `name` for `account` whose labels besides account and
    // venue are exactly `want` (None: that label absent).
    let find = |name: &str, account: &str, want: &[(&str, Option<&str>)]| -> Option<String> {
        let hits: Vec<usize> = (0..samples.len())
            .filter(|&i| {
                let s = &samples[i];
                s.0 == name
                    && label(s, "account") == Some(account)
                    && want.iter().all(|(k, v)| label(s, k) == *v)
                    && s.1.len() == 2 + want.iter().filter(|(_, v)| v.is_some()).count()
            })
            .collect();
        assert!(hits.len() <= 1, "{name} {account} {want:?}: {hits:?}");
        let i = *hits.first()?;
        used.borrow_mut()[i] = true;
        Some(samples[i].2.clone())
    };
    let json_text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let mut balances = 0;
    let mut account_level = 0;
    for a in json["accounts"].as_array().unwrap() {
        let name = a["name"].as_str().unwrap();
        let venue = a["venue"].as_str().unwrap();
        assert_eq!(
            find("baltui_up", name, &[]).as_deref(),
            Some("1"),
            "{name} {venue}"
        );
        // The primary view, then the other account-currency views (LongPort)
        // under a `view` label.
        let mut views = vec![(None, &a["totals"], &a["risk"])];
        for v in a["other_views"].as_array().into_iter().flatten() {
            views.push((v["totals"]["currency"].as_str(), &v["totals"], &v["risk"]));
        }
        for (view, totals, risk) in views {
            let ccy = totals["currency"].as_str();
            for (k, v) in totals.as_object().unwrap() {
                if k == "currency" {
                    continue;
                }
                let got = find(
                    &format!("baltui_{k}"),
                    name,
                    &[("currency", ccy), ("view", view)],
                );
                assert_eq!(got, json_text(v), "{name} {view:?} totals.{k}");
                account_level += usize::from(got.is_some());
            }
            for (k, v) in risk.as_object().unwrap() {
                let got = match k.as_str() {
                    "margin_ratio_currency" => continue,
                    "indicators" => {
                        for i in v.as_array().unwrap() {
                            let key = i["key"].as_str().unwrap();
                            let got = find(
                                "baltui_indicator",
                                name,
                                &[("key", Some(key)), ("view", view)],
                            );
                            let code = i["value"].as_str().unwrap();
                            let want = code.parse::<rust_decimal::Decimal>().ok();
                            assert_eq!(got, want.map(|d| d.to_string()), "{name} {key}");
                        }
                        continue;
                    }
                    "level" => {
                        let got = find("baltui_risk_level", name, &[("view", view)]);
                        let want = v.as_str().map(|l| {
                            ["safe", "medium", "warning", "danger"]
                                .iter()
                                .position(|w| *w == l)
                                .unwrap()
                                .to_string()
                        });
                        assert_eq!(got, want, "{name} risk.level");
                        got
                    }
                    "margin_ratio" => {
                        let from = risk["margin_ratio_currency"].as_str();
                        let got = find(
                            "baltui_margin_ratio",
                            name,
                            &[("currency", from), ("view", view)],
                        );
                        assert_eq!(got, json_text(v), "{name} risk.margin_ratio");
                        got
                    }
                    "utilization" => {
                        let got = find("baltui_utilization_ratio", name, &[("view", view)]);
                        assert_eq!(got, json_text(v), "{name} risk.utilization");
                        got
                    }
                    // The margins' currency label (Binance), checked below.
                    "margin_currency" => continue,
                    k @ ("initial_margin" | "maintenance_margin") => {
                        let ccy = risk["margin_currency"].as_str().or(ccy);
                        let got = find(
                            &format!("baltui_{k}"),
                            name,
                            &[("currency", ccy), ("view", view)],
                        );
                        assert_eq!(got, json_text(v), "{name} risk.{k} in {ccy:?}");
                        got
                    }
                    "headroom" => {
                        let got = find("baltui_margin_headroom_ratio", name, &[("view", view)]);
                        assert_eq!(got, json_text(&v["fraction"]), "{name} risk.headroom");
                        assert!(v["basis"].as_str().is_some_and(|b| !b.is_empty()));
                        got
                    }
                    k @ ("maintenance_rate" | "initial_rate") => {
                        let got = find(&format!("baltui_{k}_ratio"), name, &[("view", view)]);
                        assert_eq!(got, json_text(v), "{name} risk.{k}");
                        got
                    }
                    k => {
                        let got = find(
                            &format!("baltui_{k}"),
                            name,
                            &[("currency", ccy), ("view", view)],
                        );
                        assert_eq!(got, json_text(v), "{name} {view:?} risk.{k}");
                        got
                    }
                };
                account_level += usize::from(got.is_some());
            }
        }
        // Each wallet's totals (Binance), in the wallet's own currency.
        for w in a["wallets"].as_array().into_iter().flatten() {
            let (wallet, ccy) = (w["name"].as_str(), w["totals"]["currency"].as_str());
            for (k, v) in w["totals"].as_object().unwrap() {
                if k == "currency" {
                    continue;
                }
                let got = find(
                    "baltui_wallet_amount",
                    name,
                    &[("wallet", wallet), ("currency", ccy), ("field", Some(k))],
                );
                assert_eq!(got, json_text(v), "{name} wallet {wallet:?} {k}");
                account_level += usize::from(got.is_some());
            }
        }
        assert_eq!(
            find(
                "baltui_account_mode_info",
                name,
                &[("account_mode", a["account_mode"].as_str())]
            ),
            a["account_mode"].as_str().map(|_| "1".to_string())
        );
        // The simulator's clock, a few seconds apart between the two runs.
        let venue_time = find("baltui_venue_timestamp_seconds", name, &[]);
        assert_eq!(venue_time.is_some(), a["venue_time"].is_string(), "{name}");
        if let (Some(p), Some(j)) = (venue_time, a["venue_time"].as_str()) {
            let (secs, ms) = p.split_once('.').unwrap();
            assert_eq!(ms.len(), 3, "{p}");
            let p = chrono::DateTime::from_timestamp_millis(
                secs.parse::<i64>().unwrap() * 1000 + ms.parse::<i64>().unwrap(),
            )
            .unwrap();
            assert!(secs_apart(&p.to_rfc3339(), j) < 60.0, "{name} {p} {j}");
        }
        for c in a["currencies"].as_array().unwrap() {
            let cur = c["currency"].as_str();
            let view = c["view"].as_str();
            // A row of one of several wallets (Binance) carries a wallet label.
            let wallet = c["wallet"].as_str();
            for (f, v) in c.as_object().unwrap() {
                let got = match f.as_str() {
                    "currency" | "view" | "wallet" => continue,
                    "indicators" => {
                        for i in v.as_array().unwrap() {
                            let key = i["key"].as_str().unwrap();
                            let got = find(
                                "baltui_indicator",
                                name,
                                &[
                                    ("currency", cur),
                                    ("key", Some(key)),
                                    ("view", view),
                                    ("wallet", wallet),
                                ],
                            );
                            let code = i["value"].as_str().unwrap();
                            let want = code.parse::<rust_decimal::Decimal>().ok();
                            assert_eq!(got, want.map(|d| d.to_string()), "{name} {key}");
                        }
                        continue;
                    }
                    "margin_ratio" => find(
                        "baltui_currency_margin_ratio",
                        name,
                        &[("currency", cur), ("view", view), ("wallet", wallet)],
                    ),
                    "notional_leverage" => find(
                        "baltui_currency_notional_leverage_ratio",
                        name,
                        &[("currency", cur), ("view", view), ("wallet", wallet)],
                    ),
                    f => find(
                        "baltui_balance",
                        name,
                        &[
                            ("currency", cur),
                            ("field", Some(f)),
                            ("view", view),
                            ("wallet", wallet),
                        ],
                    ),
                };
                // Present amounts as their exact decimal text; absent ones left out.
                assert_eq!(got, json_text(v), "{name} {cur:?} {f}");
                balances += usize::from(got.is_some());
            }
        }
        let findings = a["findings"].as_array().unwrap();
        for sev in ["ok", "notice", "warn", "critical"] {
            let n = findings.iter().filter(|f| f["severity"] == sev).count();
            assert_eq!(
                find("baltui_findings", name, &[("severity", Some(sev))]),
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
    assert!(balances > 60, "{balances}");
    assert!(account_level > 40, "{account_level}");
    // The totals across accounts: each sample from a field of JSON `totals`,
    // found by exactly these labels.
    let total = |name: &str, want: &[(&str, &str)]| -> Option<String> {
        let hits: Vec<usize> = (0..samples.len())
            .filter(|&i| {
                let s = &samples[i];
                s.0 == name
                    && s.1.len() == want.len()
                    && want.iter().all(|(k, v)| label(s, k) == Some(*v))
            })
            .collect();
        assert!(hits.len() <= 1, "{name} {want:?}: {hits:?}");
        let i = *hits.first()?;
        used.borrow_mut()[i] = true;
        Some(samples[i].2.clone())
    };
    let t = &json["totals"];
    let ccy = t["currency"].as_str().unwrap();
    assert_eq!(ccy, "USD", "the default report currency");
    for (name, field) in [
        ("baltui_portfolio_net_assets", "net_assets"),
        ("baltui_portfolio_cash", "cash"),
    ] {
        assert_eq!(
            total(name, &[("currency", ccy)]),
            json_text(&t[field]),
            "{field}"
        );
    }
    let approx = if t["approximate"] == true { "1" } else { "0" };
    assert_eq!(
        total("baltui_portfolio_approximate", &[("currency", ccy)]).as_deref(),
        Some(approx)
    );
    let included = t["included"].as_array().unwrap();
    // Converted: at the account's rate, or at a rate of one of its wallets.
    let converted = included
        .iter()
        .filter(|i| {
            !i["rate"].is_null()
                || i["wallet_parts"]
                    .as_array()
                    .is_some_and(|w| w.iter().any(|p| !p["rate"].is_null()))
        })
        .count();
    let excluded = t["excluded"].as_array().unwrap();
    for (state, n) in [
        ("included", included.len() - converted),
        ("converted", converted),
        ("excluded", excluded.len()),
    ] {
        assert_eq!(
            total("baltui_portfolio_accounts", &[("state", state)]),
            Some(n.to_string()),
            "{state}"
        );
    }
    assert_eq!(
        included.len() + excluded.len(),
        json["accounts"].as_array().unwrap().len(),
        "every account in one list"
    );
    for e in excluded {
        let l = |k: &str| e[k].as_str().unwrap();
        assert_eq!(
            total(
                "baltui_portfolio_excluded",
                &[
                    ("account", l("account")),
                    ("venue", l("venue")),
                    ("reason", l("reason"))
                ]
            )
            .as_deref(),
            Some("1")
        );
    }
    for r in t["rates"].as_array().unwrap() {
        let l = |k: &str| r[k].as_str().unwrap();
        assert_eq!(
            total(
                "baltui_portfolio_rate_ratio",
                &[
                    ("from", l("from")),
                    ("to", l("to")),
                    ("source", l("source"))
                ]
            ),
            json_text(&r["rate"])
        );
    }
    let by_currency = t["by_currency"].as_array().unwrap();
    assert!(!by_currency.is_empty());
    for c in by_currency {
        let cur = c["currency"].as_str().unwrap();
        for f in ["cash", "available", "frozen"] {
            assert_eq!(
                total(&format!("baltui_currency_{f}"), &[("currency", cur)]),
                json_text(&c[f]),
                "{cur} {f}"
            );
        }
    }
    // Nothing in Prometheus that the JSON does not have.
    let used = used.into_inner();
    let extra: Vec<&Sample> = (0..samples.len())
        .filter(|&i| !used[i])
        .map(|i| &samples[i])
        .collect();
    assert!(extra.is_empty(), "samples without a JSON field: {extra:?}");
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
    assert_eq!(code, 2, "an authentication failure is critical");
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
            err.contains("unknown account \"nope\"") && err.contains(&sim_accounts().join(", ")),
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

/// `--output` leaves the finished file readable by a collector running as
/// another user, and no temp file behind (it is created exclusively with a
/// random name, so a planted symlink is never followed).
#[test]
fn output_is_world_readable_and_leaves_no_temp_file() {
    use std::os::unix::fs::PermissionsExt;
    let sim = start_sim(1);
    let cfg = write_config("planted.toml", &sim.config);
    let dir = tmpdir("output-mode");
    let out = dir.join("baltui.prom");
    let (code, _, err) = run_cfg(
        &cfg,
        &[
            "snapshot",
            "-f",
            "prometheus",
            "-a",
            "okx-main",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert!(code <= 2, "{err}");
    assert!(std::fs::read_to_string(&out).unwrap().contains("baltui_up"));
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["baltui.prom"]);
}

/// `[keys]` belongs to the screen: a bad one stops the monitor before the
/// terminal opens (exit 4, file:line) and is a PROBLEM for `check`; a
/// headless snapshot, which has no keys, still runs.
#[test]
fn bad_keys_stop_the_monitor_and_check_says_so_but_not_snapshot() {
    let sim = start_sim(1);
    let text = format!("{}\n[keys]\nreboot = [\"x\"]\n", sim.config);
    let cfg = write_config("bad-keys.toml", &text);
    let (code, _, err) = run_cfg(&cfg, &[]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("[keys]: unknown action `reboot`"), "{err}");
    assert!(err.contains("bad-keys.toml:"), "{err}");
    let (code, out, _) = run_cfg(&cfg, &["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("PROBLEM") && out.contains("unknown action `reboot`"),
        "{out}"
    );
    let (code, out, err) = run_cfg(&cfg, &["snapshot", "-f", "json", "-a", "okx-main"]);
    assert!(code < 4, "{out} {err}");
}
