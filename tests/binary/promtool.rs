//! `promtool check metrics` (Prometheus' own parser and linter) on what
//! `baltui snapshot --format prometheus` writes: against the simulator, and on
//! a report built from the venues' document examples that has a sample in
//! every metric family (OKX Futures mode, LongPort with two account-currency
//! views, Webull).
//!
//! Passing means exit status 0 and nothing printed: no parse error and no
//! lint problem at all. promtool's lints are all about names and HELP (no
//! HELP text, camelCase, abbreviated or non-base units, counters without
//! `_total`, reserved suffixes and characters), and every one of them matters
//! to whoever writes queries against these names, so none is allowed.
//!
//! In CI (`CI` set, as `.ci/run` runs) promtool is required: without it these
//! tests FAIL (`.ci/run` installs Debian's `prometheus` package, which ships
//! it). On a machine without it they are skipped with a message.
//! `BALTUI_SKIP_PROMTOOL=1` skips always; `PROMTOOL=/path/to/promtool`
//! picks the binary.

use crate::common::*;
use baltui::config::Config;
use baltui::model::{Indicator, Snapshot};
use baltui::snapshot::{AccountReport, Report};
use baltui::venues::decode;
use std::io::Write;
use std::process::{Command, Stdio};

/// The promtool to run, or None when the test should be skipped; panics in
/// CI when there is none.
fn promtool() -> Option<String> {
    if std::env::var("BALTUI_SKIP_PROMTOOL").is_ok_and(|v| v == "1") {
        eprintln!("promtool: skipped (BALTUI_SKIP_PROMTOOL=1)");
        return None;
    }
    let bin = std::env::var("PROMTOOL").unwrap_or_else(|_| "promtool".into());
    match Command::new(&bin).arg("--version").output() {
        Ok(out) if out.status.success() => {
            let v = String::from_utf8_lossy(&out.stdout);
            eprintln!("using {}", v.lines().next().unwrap_or("promtool"));
            Some(bin)
        }
        Ok(out) => panic!(
            "`{bin} --version` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) if std::env::var_os("CI").is_some() => panic!(
            "promtool not found ({e}). These tests need it: install it \
             (apt-get install prometheus; CI installs it), or set BALTUI_SKIP_PROMTOOL=1."
        ),
        Err(_) => {
            eprintln!(
                "promtool: SKIPPED: promtool is not installed. Install it \
                 (apt-get install prometheus) to run these tests; in CI they run."
            );
            None
        }
    }
}

/// `promtool check metrics` on `text`: passes only with exit 0 and no output.
fn assert_promtool_passes(bin: &str, text: &str) {
    let mut child = Command::new(bin)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool check metrics: {} {said}\n--- input:\n{text}",
        out.status
    );
}

/// Metric names that have at least one sample.
fn families_with_samples(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('{').next())
        .map(String::from)
        .collect();
    names.dedup();
    names
}

#[test]
fn promtool_accepts_the_snapshot_of_the_sim() {
    let Some(bin) = promtool() else { return };
    let sim = start_sim(31);
    let cfg = write_config("promtool-31.toml", &sim.config);
    let (code, out, err) = run_cfg(&cfg, &["snapshot", "--format", "prometheus"]);
    assert!((0..=2).contains(&code), "{code} {err}");
    assert!(out.contains("baltui_up{"), "{out}");
    assert_promtool_passes(&bin, &out);
}

#[test]
fn promtool_accepts_a_snapshot_with_an_account_down() {
    let Some(bin) = promtool() else { return };
    let sim = start_sim(32);
    let bad = sim
        .config
        .replacen("secret_key = \"", "secret_key = \"WRONG", 1);
    let cfg = write_config("promtool-bad.toml", &bad);
    let (code, out, err) = run_cfg(
        &cfg,
        &[
            "snapshot",
            "-f",
            "prometheus",
            "-a",
            "okx-main",
            "-a",
            "okx-margin",
        ],
    );
    assert_eq!(code, 2, "an authentication failure is critical: {err}");
    assert!(
        out.contains("baltui_up{account=\"okx-main\",venue=\"okx\"} 0"),
        "{out}"
    );
    assert_promtool_passes(&bin, &out);
}

/// OKX's document example as a Futures-mode account: per-currency margin
/// figures, the worst currency's ratio, the account mode, an indicator value
/// the document does not list.
fn okx_futures() -> Snapshot {
    use baltui::venues::okx::{normalize::normalize, wire};
    let body = include_str!("../../assets/fixtures/okx/balance-doc.json");
    let env: wire::Envelope<wire::Balance> =
        decode(baltui::venues::okx::KIND, body.as_bytes()).unwrap();
    let mut s = normalize(&env.data[0], chrono::Utc::now());
    s.account_mode = Some("Futures mode".into());
    for (i, c) in s.currencies.iter_mut().enumerate() {
        c.margin_ratio = Some(format!("{}.25", 3 + i).parse().unwrap());
        c.initial_margin = Some("120.5".parse().unwrap());
        c.maintenance_margin = Some("80.25".parse().unwrap());
        c.notional_leverage = Some("1.75".parse().unwrap());
    }
    s.risk.margin_ratio = s.currencies[0].margin_ratio;
    s.risk.margin_ratio_currency = Some(s.currencies[0].currency.clone());
    s.risk.utilization = Some("0.35".parse().unwrap());
    s.risk.indicators.push(Indicator::unknown("colRes", "9"));
    s.totals.interest = Some("1.5".parse().unwrap());
    s
}

/// LongPort's document example with a second list item in USD whose cash
/// rows differ: a primary view, another view, rows marked with their view.
fn longport_two_views() -> Snapshot {
    use baltui::venues::longport::{normalize::normalize, wire};
    let body = include_str!("../../assets/fixtures/longport/account-doc.json");
    let mut v: serde_json::Value = serde_json::from_str(body).unwrap();
    let list = v["data"]["list"].as_array_mut().unwrap();
    let mut usd = list[0].clone();
    usd["currency"] = "USD".into();
    usd["net_assets"] = "3095.63".into();
    for c in usd["cash_infos"].as_array_mut().unwrap() {
        c["available_cash"] = "1.23".into();
    }
    list.push(usd);
    let body = v.to_string();
    let env: wire::Envelope = decode(baltui::venues::longport::KIND, body.as_bytes()).unwrap();
    let items = env.data.map(|d| d.list).or(env.list).unwrap();
    let s = normalize(&items, Some("HKD"), chrono::Utc::now()).unwrap();
    assert_eq!(s.other_views.len(), 1);
    assert!(s.currencies.iter().any(|c| c.view.is_some()));
    s
}

fn bybit() -> Snapshot {
    let body = include_str!("../../assets/fixtures/bybit/wallet-balance-doc.json");
    baltui::venues::bybit::parse_wallet(
        reqwest::StatusCode::OK,
        body.as_bytes(),
        chrono::Utc::now(),
    )
    .unwrap()
}

fn webull() -> Snapshot {
    use baltui::venues::webull::{normalize::normalize, wire};
    let body = include_str!("../../assets/fixtures/webull/balance-doc.json");
    let b: wire::Balance = decode(baltui::venues::webull::KIND, body.as_bytes()).unwrap();
    normalize(&b, chrono::Utc::now())
}

/// A Binance classic account (margin with its bars, futures) and the PM
/// account's risk, from the vendor examples: every Binance family has a sample.
fn binance() -> Snapshot {
    use baltui::venues::binance::{normalize, wire};
    let k = baltui::venues::binance::KIND;
    let margin: wire::MarginAccount = decode(
        k,
        include_bytes!("../../assets/fixtures/binance/margin-account-doc.json"),
    )
    .unwrap();
    let futures: wire::FuturesAccount = decode(
        k,
        include_bytes!("../../assets/fixtures/binance/futures-account-doc.json"),
    )
    .unwrap();
    let pm: wire::PmAccount = decode(
        k,
        include_bytes!("../../assets/fixtures/binance/pm-account-verbatim.json"),
    )
    .unwrap();
    let coeff = wire::TradeCoeff {
        normal_bar: "1.5".parse().ok(),
        margin_call_bar: "1.3".parse().ok(),
        force_liquidation_bar: "1.1".parse().ok(),
    };
    let mut s = normalize::empty(chrono::Utc::now());
    normalize::add_margin(&mut s, &margin, Some(&coeff));
    normalize::add_futures(&mut s, &futures, Some(false), normalize::FUTURES);
    // The PM account's uniMMR on the same snapshot, so one account has all.
    s.risk.uni_mmr = pm.uni_mmr;
    normalize::finish(&mut s);
    s
}

#[test]
fn promtool_accepts_every_family_from_the_document_examples() {
    let cfg = Config::parse("", "test").unwrap();
    let report = Report::new(
        vec![
            AccountReport::new(
                "okx-futures",
                baltui::venues::okx::KIND,
                Ok(okx_futures()),
                &cfg,
            ),
            AccountReport::new(
                "lp \"views\"",
                baltui::venues::longport::KIND,
                Ok(longport_two_views()),
                &cfg,
            ),
            AccountReport::new("wb", baltui::venues::webull::KIND, Ok(webull()), &cfg),
            AccountReport::new("bybit", baltui::venues::bybit::KIND, Ok(bybit()), &cfg),
            AccountReport::new("bn", baltui::venues::binance::KIND, Ok(binance()), &cfg),
        ],
        "USD",
    );
    let text = report.to_prometheus();
    // Every family has samples here, so promtool lints each one's samples.
    let have = families_with_samples(&text);
    let declared: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(declared.len(), 51, "{declared:?}");
    for f in &declared {
        assert!(have.iter().any(|h| h == f), "no sample of {f}:\n{text}");
    }
    assert!(text.contains("view=\"USD\""), "{text}");
    assert!(text.contains("account_mode=\"Futures mode\""), "{text}");
    let Some(bin) = promtool() else { return };
    assert_promtool_passes(&bin, &text);
}

/// `promtool check config` / `check rules` on the files in `deploy/`.
fn assert_promtool_check(bin: &str, what: &str, file: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(file);
    let out = Command::new(bin)
        .args(["check", what])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool check {what} {file}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn promtool_accepts_the_deploy_config_and_rules() {
    let Some(bin) = promtool() else { return };
    // The config names the rules file: checked along with it.
    assert_promtool_check(&bin, "config", "prometheus.yml");
    assert_promtool_check(&bin, "rules", "baltui-rules.yml");
    // The three rules the README promises.
    let rules = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/baltui-rules.yml"),
    )
    .unwrap();
    for name in [
        "BaltuiMarginNearLiquidation",
        "BaltuiAccountDown",
        "BaltuiDataStale",
    ] {
        assert!(rules.contains(&format!("alert: {name}")), "{name}");
    }
}

/// What `baltui serve` serves on /metrics, every demo account of the
/// simulator polled, passes promtool (the service's own counters too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_accepts_the_served_metrics() {
    let Some(bin) = promtool() else { return };
    let sim = super::serve::sim(7).await;
    let names: Vec<String> = sim.state.accounts().into_iter().map(|a| a.name).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let cfg = write_config(
        "promtool-serve.toml",
        &super::serve::config_text(&sim, &names, ""),
    );
    let srv = super::serve::serve(&cfg, &[]);
    let text = super::serve::metrics_with(
        &srv.url,
        None,
        "baltui_up{account=\"okx-futures\",venue=\"okx\"} 1",
    )
    .await;
    for family in [
        "baltui_requests_total",
        "baltui_poll_failures_total",
        "baltui_rate_limit_replies_total",
        "baltui_last_success_timestamp_seconds",
        "baltui_budget_requests_total",
    ] {
        assert!(text.contains(&format!("\n{family}{{")), "{family}");
    }
    assert_promtool_passes(&bin, &text);
}
