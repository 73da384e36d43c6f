//! `baltui history`: a store filled through the library in a temp dir,
//! exported by the real binary as CSV and JSON.

use crate::common::*;
use baltui::history::{PollRecord, Writer};
use baltui::model::{CurrencyBalance, Risk, Snapshot, Totals};
use baltui::monitor::PollState;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Account "okx-main": two polls (USDT changes in the second), then a
/// failed one; account "lp": one poll, long ago (outside --since 24h).
fn fill(path: &Path) -> chrono::DateTime<chrono::Utc> {
    let t = chrono::Utc::now() - chrono::Duration::hours(1);
    let snap = |at, usdt: &str| Snapshot {
        fetched_at: at,
        venue_time: None,
        account_mode: None,
        totals: Totals {
            currency: Some("USD".into()),
            net_assets: Some(d("25000.125")),
            ..Totals::default()
        },
        risk: Risk {
            margin_ratio: Some(d("3.50")),
            ..Risk::default()
        },
        currencies: vec![
            CurrencyBalance {
                currency: "USDT".into(),
                cash: Some(d(usdt)),
                available: Some(d("900.00")),
                frozen: Some(d("0")),
                ..CurrencyBalance::default()
            },
            CurrencyBalance {
                currency: "BTC".into(),
                cash: Some(d("0.00012345")),
                ..CurrencyBalance::default()
            },
        ],
        other_views: vec![],
        wallets: vec![],
    };
    let rec = |account: &str, venue: &str, at, s: Option<Snapshot>| PollRecord {
        account: account.into(),
        venue: venue.into(),
        at,
        status: if s.is_some() {
            PollState::Ok
        } else {
            PollState::Error
        },
        error: s.is_none().then(|| "okx: timeout after 10s".to_string()),
        snapshot: s,
    };
    let mut w = Writer::start(
        path,
        Duration::from_secs(90 * 86_400),
        Duration::from_secs(300),
        Box::new(|_, m| panic!("{m}")),
    )
    .unwrap();
    let t1 = t + chrono::Duration::seconds(5);
    let t2 = t + chrono::Duration::seconds(10);
    let old = t - chrono::Duration::days(3);
    w.record_poll(rec("okx-main", "okx", t, Some(snap(t, "1000.50"))));
    w.record_poll(rec("okx-main", "okx", t1, Some(snap(t1, "999.25"))));
    w.record_poll(rec("okx-main", "okx", t2, None));
    w.record_poll(rec("lp", "longport", old, Some(snap(old, "1"))));
    w.close();
    t
}

fn history_at(data_dir: &Path, args: &[&str]) -> (i32, String, String) {
    let home = tmpdir("history-home");
    let o = Command::new(BIN)
        .arg("history")
        .args(args)
        // No config file here: the default store path is used.
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("BALTUI_DATA_DIR", data_dir)
        .env("BALTUI_LOG_DIR", tmpdir("log"))
        .env("BALTUI_STATE_DIR", fresh_state_dir())
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn data_dir(tag: &str) -> PathBuf {
    let d = tmpdir(tag);
    let _ = std::fs::remove_file(d.join("history.sqlite3"));
    d
}

#[test]
fn history_csv_from_the_default_store() {
    let dir = data_dir("history-csv");
    let t = fill(&dir.join("history.sqlite3"));
    let (code, out, err) = history_at(&dir, &["--since", "24h"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "at,account,venue,status,currency,wallet,view,cash,available,frozen,settling,withdrawable,\
         equity,liabilities,value_in_base,net_assets,total_cash,totals_currency,margin_ratio,\
         headroom,risk_level,error"
    );
    let at = |s: i64| {
        (t + chrono::Duration::seconds(s)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    // Sorted currencies per poll; the second poll stored only USDT, BTC is
    // carried from the first; "lp" is older than 24h.
    assert_eq!(
        lines[1..],
        [
            format!(
                "{},okx-main,okx,ok,BTC,,,0.00012345,,,,,,,,25000.125,,USD,3.50,,,",
                at(0)
            ),
            format!(
                "{},okx-main,okx,ok,USDT,,,1000.50,900.00,0,,,,,,25000.125,,USD,3.50,,,",
                at(0)
            ),
            format!(
                "{},okx-main,okx,ok,BTC,,,0.00012345,,,,,,,,25000.125,,USD,3.50,,,",
                at(5)
            ),
            format!(
                "{},okx-main,okx,ok,USDT,,,999.25,900.00,0,,,,,,25000.125,,USD,3.50,,,",
                at(5)
            ),
            format!(
                "{},okx-main,okx,error,,,,,,,,,,,,,,,,,,okx: timeout after 10s",
                at(10)
            ),
        ]
    );
    // One account, one currency.
    let (code, out, err) = history_at(&dir, &["okx-main", "--currency", "BTC", "--since", "7d"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.lines().filter(|l| l.contains(",BTC,")).count(),
        2,
        "{out}"
    );
    let (code, out, _) = history_at(&dir, &["lp", "--since", "7d"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().count(),
        3,
        "header and lp's two currencies: {out}"
    );
}

#[test]
fn history_json_and_a_config_path() {
    let dir = data_dir("history-json");
    let store = dir.join("elsewhere.sqlite3");
    let _ = std::fs::remove_file(&store);
    fill(&store);
    let cfg = write_config(
        "history.toml",
        &format!("[history]\npath = {:?}\n", store.display().to_string()),
    );
    let (code, out, err) = run_cfg(&cfg, &["history", "okx-main", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 5, "{v}");
    let usdt = &rows[3];
    assert_eq!(usdt["account"], "okx-main");
    assert_eq!(usdt["venue"], "okx");
    assert_eq!(usdt["currency"], "USDT");
    assert_eq!(usdt["cash"], "999.25", "exact, as a string");
    assert_eq!(usdt["frozen"], "0", "a real zero stays");
    assert!(usdt["settling"].is_null(), "absent is null, never 0");
    assert_eq!(usdt["net_assets"], "25000.125");
    assert_eq!(usdt["margin_ratio"], "3.50");
    assert!(usdt["wallet"].is_null());
    assert_eq!(rows[4]["status"], "error");
    assert_eq!(rows[4]["error"], "okx: timeout after 10s");
    assert!(rows[4]["currency"].is_null());
}

#[test]
fn history_names_known_accounts_and_a_missing_store() {
    let dir = data_dir("history-err");
    fill(&dir.join("history.sqlite3"));
    let (code, out, err) = history_at(&dir, &["nobody"]);
    assert_eq!(code, 4, "{out}");
    assert_eq!(
        err.trim(),
        "baltui: no account \"nobody\" in the history store; it knows: lp, okx-main"
    );
    let empty = data_dir("history-none");
    let (code, _, err) = history_at(&empty, &[]);
    assert_eq!(code, 4);
    assert!(
        err.contains(&format!(
            "no history store at {}",
            empty.join("history.sqlite3").display()
        )),
        "{err}"
    );
}
