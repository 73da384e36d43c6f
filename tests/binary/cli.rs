//! The real binary end to end: `baltui sim` prints a config, `baltui snapshot`
//! polls it and prints JSON/table with the right exit codes.

use crate::common::*;
use std::time::Duration;

#[test]
fn snapshot_json_against_baltui_sim() {
    let sim = start_sim(3);
    let cfg = write_config("sim.toml", &sim.config);
    let (code, out, err) = run_cfg(&cfg, &["snapshot", "--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    let accounts = v["accounts"].as_array().unwrap();
    let venues: Vec<&str> = accounts
        .iter()
        .map(|a| a["venue"].as_str().unwrap())
        .collect();
    let tabs = demo_tabs();
    assert_eq!(venues, tabs.iter().map(|t| t.1).collect::<Vec<_>>(), "{v}");
    let names: Vec<&str> = accounts
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, tabs.iter().map(|t| t.0.as_str()).collect::<Vec<_>>());
    assert!(
        names
            .windows(2)
            .any(|w| w == ["wb-hk/5MV01001", "wb-hk/5MV01002"]),
        "one Webull app key, its two accounts discovered"
    );
    for a in accounts {
        let okx = a["venue"] == "okx";
        let webull = a["venue"] == "webull";
        let bybit = a["venue"] == "bybit";
        assert_eq!(a["status"], "ok", "{a}");
        assert!(a["error"].is_null());
        assert!(a["fetched_at"].is_string());
        if okx || bybit {
            assert_eq!(a["totals"]["currency"], "USD");
            assert!(a["totals"]["net_assets"].is_string(), "amounts are strings");
            assert!(a["totals"]["total_cash"].is_null(), "absent is null, not 0");
        } else if a["venue"] == "binance" {
            // Wallets are never summed without a rate: no account total.
            assert!(a["totals"]["currency"].is_null(), "{a}");
            assert!(a["totals"]["net_assets"].is_null(), "{a}");
        } else {
            assert!(a["totals"]["currency"].is_string());
            assert!(
                a["totals"]["total_cash"].is_string(),
                "LongPort and Webull report total cash"
            );
        }
        for k in [
            "level",
            "margin_ratio",
            "margin_call",
            "initial_margin",
            "maintenance_margin",
        ] {
            assert!(a["risk"].get(k).is_some(), "risk.{k} present");
        }
        let cur = a["currencies"].as_array().unwrap();
        assert!(!cur.is_empty());
        for c in cur {
            assert!(c["currency"].is_string());
            // OKX: cash but no settling/withdrawable; LongPort: the reverse;
            // Webull: funds in transit (pending_incoming), which is not
            // trade settlement, so no settling.
            let (present, absent): (&str, &[&str]) = if okx {
                ("cash", &["settling", "withdrawable"])
            } else if bybit {
                // walletBalance includes spot borrowing: not cash;
                // availableToWithdraw is "" for unified accounts.
                ("wallet_balance", &["cash", "withdrawable", "available"])
            } else if webull {
                ("in_transit", &["settling", "liabilities"])
            } else if a["venue"] == "binance" {
                // Every row names its wallet; no trade settlement at Binance.
                assert!(c["wallet"].is_string(), "{c}");
                ("available", &["settling"])
            } else {
                ("available", &["cash", "equity"])
            };
            assert!(c[present].is_string(), "{c}");
            assert!(absent.iter().all(|k| c[*k].is_null()), "{c}");
            // exact decimal text: parses as a Decimal, no float exponent noise
            let text = c[present].as_str().unwrap();
            let value: rust_decimal::Decimal = text.parse().unwrap();
            assert_eq!(value.to_string(), text);
        }
        assert!(a["findings"].is_array());
    }
    let worst = v["worst"].as_str().unwrap();
    let want = match worst {
        "ok" | "notice" => 0,
        "warn" => 1,
        "critical" => 2,
        w => panic!("worst = {w}"),
    };
    assert_eq!(
        code, want,
        "exit code matches worst = {worst}; stderr: {err}"
    );
    let t: toml::Value = toml::from_str(&sim.config).unwrap();
    for acc in t["account"].as_array().unwrap() {
        let keys: &[&str] = match acc["venue"].as_str() {
            Some("okx") => &["api_key", "secret_key", "passphrase"],
            Some("binance") | Some("bybit") => &["api_key", "secret_key"],
            _ => &["app_key", "app_secret", "access_token"],
        };
        for k in keys {
            let secret = acc[*k].as_str().unwrap();
            assert!(
                !out.contains(secret) && !err.contains(secret),
                "{k} leaked into the output"
            );
        }
    }
}

#[tokio::test]
async fn snapshot_values_equal_a_direct_fetch_at_the_same_seed() {
    // The binary's JSON carries exactly the digits the venue sent: compare with an
    // in-process simulator at the same seed and step.
    let sim = start_sim(11);
    let cfg = write_config("sim11.toml", &sim.config);
    let (_, out, _) = run_cfg(&cfg, &["snapshot", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();

    let local = baltui::sim::Sim::start(
        ([127, 0, 0, 1], 0).into(),
        baltui::sim::SimOptions {
            seed: 11,
            ..Default::default()
        },
        baltui::sim::demo_accounts(),
    )
    .await
    .unwrap();
    let c = baltui::config::Config::parse(&local.config_toml(), "local").unwrap();
    // The same accounts as the snapshot, discovered ones expanded in place.
    let mut clients = Vec::new();
    for acc in &c.accounts {
        let client =
            baltui::clients::client_for(acc, baltui::venues::http_client(Duration::from_secs(5)))
                .unwrap();
        if client.needs_discovery() {
            for f in client.discover().await.unwrap() {
                clients.push((
                    format!("{}/{}", acc.name, f.label),
                    client.for_account(&f.id),
                ));
            }
        } else {
            clients.push((acc.name.clone(), client));
        }
    }
    assert_eq!(clients.len(), demo_tabs().len());
    // Through budgets, as baltui does: the simulator refuses what a venue would.
    let (names, mut clients): (Vec<String>, Vec<_>) = clients.into_iter().unzip();
    baltui::poll::plan(&mut clients, &[]);
    for (i, (name, client)) in names.iter().zip(&clients).enumerate() {
        let s = client.fetch().await.unwrap();
        let a = &v["accounts"][i];
        assert_eq!(a["name"], name.as_str());
        assert_eq!(
            a["totals"]["net_assets"],
            s.totals.net_assets.map(|d| d.to_string()).into_json()
        );
        assert_eq!(
            a["totals"]["total_cash"],
            s.totals.total_cash.map(|d| d.to_string()).into_json()
        );
        // The whole account level as the model serializes it: every total and
        // risk figure, the other account-currency views, the account mode.
        assert_eq!(
            a["totals"],
            serde_json::to_value(&s.totals).unwrap(),
            "{name}"
        );
        assert_eq!(a["risk"], serde_json::to_value(&s.risk).unwrap(), "{name}");
        assert_eq!(
            a.get("other_views").cloned().unwrap_or_default(),
            if s.other_views.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::to_value(&s.other_views).unwrap()
            },
            "{name}: other_views, left out when there are none"
        );
        assert_eq!(
            a.get("account_mode").cloned().unwrap_or_default(),
            s.account_mode.clone().into_json(),
            "{name}: account_mode, left out when the venue has none"
        );
        if name == "lp-hk" {
            // No currency configured: the sim answers in HKD and USD, the
            // HKD item is the primary view and USD the other one.
            assert_eq!(a["totals"]["currency"], "HKD");
            let views = a["other_views"].as_array().unwrap();
            assert_eq!(views.len(), 1, "{a}");
            assert_eq!(views[0]["totals"]["currency"], "USD");
            for k in ["net_assets", "total_cash", "buying_power"] {
                let t = views[0]["totals"][k].as_str().unwrap();
                t.parse::<rust_decimal::Decimal>().unwrap();
            }
            assert!(views[0]["risk"]["margin_ratio"].is_string(), "{a}");
            assert!(views[0]["risk"]["level"].is_string(), "{a}");
        }
        for (j, cb) in s.currencies.iter().enumerate() {
            let got = &a["currencies"][j];
            assert_eq!(got["currency"], cb.currency.as_str());
            assert_eq!(got["cash"], cb.cash.map(|d| d.to_string()).into_json());
            assert_eq!(
                got["available"],
                cb.available.map(|d| d.to_string()).into_json()
            );
            assert_eq!(got["frozen"], cb.frozen.map(|d| d.to_string()).into_json());
            assert_eq!(got["equity"], cb.equity.map(|d| d.to_string()).into_json());
            assert_eq!(
                got["settling"],
                cb.settling.map(|d| d.to_string()).into_json()
            );
            assert_eq!(
                got["withdrawable"],
                cb.withdrawable.map(|d| d.to_string()).into_json()
            );
        }
    }
    local.shutdown().await;
}

#[test]
fn snapshot_table_and_failures() {
    let sim = start_sim(5);
    let cfg = write_config("sim5.toml", &sim.config);
    let (code, out, err) = run_cfg(&cfg, &["snapshot", "--format", "table"]);
    assert!((0..=2).contains(&code), "{code} {err}");
    assert!(out.contains("okx-main (OKX) — OK"), "{out}");
    assert!(
        out.contains("CURRENCY") && out.contains("AVAILABLE") && out.contains("WITHDRAWABLE"),
        "{out}"
    );
    assert!(out.contains("worst: "), "{out}");
    // Venue risk and totals where the venue reports them.
    assert!(
        out.contains("lp-hk (LongPort) — OK") && out.contains("risk level: "),
        "{out}"
    );
    assert!(
        out.contains("margin utilization: ") && out.contains("total cash: "),
        "{out}"
    );
    // Utilization is a ratio in the model; the table shows it in percent
    // (the sim's margin-loan Webull account is near 20%, never over 100%).
    let utilization: Vec<f64> = out
        .split("margin utilization: ")
        .skip(1)
        .map(|rest| rest.split('%').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        utilization.iter().any(|u| *u >= 1.0) && utilization.iter().all(|u| *u <= 100.0),
        "{utilization:?} {out}"
    );
    // LongPort's other account-currency view, with its totals and risk.
    let lp = &out[out.find("lp-hk (LongPort)").unwrap()..];
    let lp = &lp[..lp.find("\n\n").unwrap()];
    assert!(
        lp.contains("  USD view: net assets ") && lp.contains(" USD   total cash "),
        "{lp}"
    );
    assert!(
        lp.contains("buying power: ") && lp.contains("max finance: "),
        "{lp}"
    );

    // An unreachable account (nothing listens on port 9): exit 3, the others fine.
    let url = sim
        .config
        .lines()
        .find_map(|l| l.strip_prefix("base_url = "))
        .unwrap()
        .to_string();
    let down = sim.config.replacen(&url, "\"http://127.0.0.1:9\"", 1);
    let cfg = write_config("down.toml", &down);
    let (code, out, err) = run_cfg(&cfg, &["snapshot", "--format", "json"]);
    assert_eq!(code, 3, "one account could not be fetched: {out} {err}");

    // One account whose secret cannot be read (an unset variable): that one is
    // a CONFIG ERROR (critical: exit 2), every other account is polled.
    let unset = sim.config.replacen(
        "secret_key = \"",
        "secret_key = { env = \"BALTUI_TEST_UNSET_SECRET_VAR\" }\n# was: \"",
        1,
    );
    let cfg = write_config("unset.toml", &unset);
    let (code, out, err) = run_cfg(&cfg, &["snapshot", "--format", "json"]);
    assert_eq!(code, 2, "{out} {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let statuses: Vec<(&str, &str)> = v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses[0], ("okx-main", "config_error"), "{statuses:?}");
    assert!(statuses[1..].iter().all(|s| s.1 == "ok"), "{statuses:?}");
    assert_eq!(statuses.len(), demo_tabs().len());
    let e = v["accounts"][0]["error"].as_str().unwrap();
    assert!(e.contains("BALTUI_TEST_UNSET_SECRET_VAR"), "{e}");

    // A wrong secret: that account is auth_failed, a critical finding: exit 2
    // whatever else happened; the secret is not printed.
    let bad = sim
        .config
        .replacen("secret_key = \"", "secret_key = \"WRONG", 1);
    let cfg = write_config("bad.toml", &bad);
    let (code, out, err) = run_cfg(&cfg, &["snapshot", "--format", "json"]);
    assert_eq!(code, 2);
    assert!(!err.contains("WRONG"), "secret not on stderr");
    let logs: String = std::fs::read_dir(tmpdir("log"))
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect();
    assert!(
        logs.contains("snapshot fetch failed"),
        "the failure is logged: {logs}"
    );
    assert!(
        logs.contains("credential read"),
        "where credentials came from is logged"
    );
    for secret in ["WRONG", "sim-okx-main-secret", "sim-okx-main-pass"] {
        assert!(!logs.contains(secret), "{secret} leaked into the log");
    }
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["accounts"][0]["status"], "auth_failed");
    let e = v["accounts"][0]["error"].as_str().unwrap();
    assert!(e.contains("okx-main") && e.contains("50113"), "{e}");
    assert!(!out.contains("WRONG"), "secret never printed");
    assert_eq!(
        v["accounts"][1]["status"], "ok",
        "the other account is unaffected"
    );
}

#[test]
fn config_errors_and_usage() {
    let (code, _, err) = baltui(&["--config", "/nonexistent/baltui.toml", "snapshot"]);
    assert_eq!(code, 4);
    assert!(
        err.contains("/nonexistent/baltui.toml: cannot read config"),
        "{err}"
    );
    let cfg = write_config(
        "bad-key.toml",
        "[[account]]\nname = \"x\"\nvenue = \"okx\"\nfoo = 1\n",
    );
    let (code, _, err) = run_cfg(&cfg, &["snapshot"]);
    assert_eq!(code, 4);
    assert!(err.contains("bad-key.toml:4: unknown field `foo`"), "{err}");
    let (code, out, _) = baltui(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("snapshot") && out.contains("sim") && out.contains("--demo"),
        "{out}"
    );
    let (code, _, _) = baltui(&["--bogus"]);
    assert_eq!(code, 4);
}

trait IntoJson {
    fn into_json(self) -> serde_json::Value;
}

impl IntoJson for Option<String> {
    fn into_json(self) -> serde_json::Value {
        self.map_or(serde_json::Value::Null, serde_json::Value::String)
    }
}

/// `--table accounts`: one CSV row per account (the demo's tabs, in order),
/// with its totals; `--table` with another format is a usage error.
#[test]
fn snapshot_csv_accounts_table_has_one_row_per_account() {
    let sim = start_sim(3);
    let cfg = write_config("sim.toml", &sim.config);
    let (_, out, err) = run_cfg(&cfg, &["snapshot", "-f", "csv", "--table", "accounts"]);
    let mut rd = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[0], "account", "{out}{err}");
    assert!(header.contains(&"totals_net_assets".to_string()));
    assert!(
        !header.contains(&"cash".to_string()),
        "no per-currency column"
    );
    let names: Vec<String> = rd
        .records()
        .map(|r| r.unwrap().get(0).unwrap().to_string())
        .collect();
    let tabs: Vec<String> = demo_tabs().into_iter().map(|t| t.0).collect();
    assert_eq!(names, tabs, "one row per account: {out}");
    let (code, _, err) = run_cfg(&cfg, &["snapshot", "-f", "json", "--table", "accounts"]);
    assert_eq!(code, 4);
    assert!(err.contains("--table applies to --format csv"), "{err}");
}
