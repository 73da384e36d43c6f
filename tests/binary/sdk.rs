//! The vendors' official Python SDKs against the real `baltui sim` with the
//! credentials it prints: binance-connector (spot, cross margin),
//! binance-futures-connector (USDⓈ-M, COIN-M), binance-sdk-spot and the
//! modular Portfolio Margin SDK (`/papi`), pybit (Bybit unified account).
//! The scripts are in tests/sdk/; each prints what its SDK returned as JSON.
//!
//! Each test compares the SDK's amounts with what baltui's own client reads
//! from an in-process simulator at the same seed, making the same calls in
//! the same order (the simulator is deterministic per seed and per step, and
//! the step moves with the margin, PM account and Bybit wallet replies), then
//! makes one call with a wrong secret and expects the vendor's
//! authentication error to reach the SDK as the SDK's own error.
//!
//! The interpreter is `BALTUI_SDK_PYTHON` (a venv made by tests/sdk/setup.sh,
//! as `.ci/run` does). Without it, or without the SDKs, the tests are skipped
//! with a message; with `CI` set they FAIL instead (CI must not skip).

use crate::common::*;
use baltui::model::{CurrencyBalance, Snapshot};
use rust_decimal::Decimal;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// What every script imports; a venv without one of these is incomplete.
const IMPORTS: &str = "import binance.spot, binance_sdk_spot, binance_sdk_margin_trading, \
    binance_sdk_derivatives_trading_usds_futures, \
    binance_sdk_derivatives_trading_portfolio_margin, pybit.unified_trading";

/// The interpreter with the SDKs, or None when the tests should be skipped;
/// panics in CI, or when BALTUI_SDK_PYTHON is set but lacks the SDKs.
fn sdk_python() -> Option<String> {
    let set = std::env::var("BALTUI_SDK_PYTHON").ok();
    let python = set.clone().unwrap_or_else(|| "python3".into());
    let probe = Command::new(&python).args(["-c", IMPORTS]).output();
    let problem = match probe {
        Ok(o) if o.status.success() => return Some(python),
        Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
        Err(e) => e.to_string(),
    };
    let how = "make the venv with `tests/sdk/setup.sh DIR` and set \
               BALTUI_SDK_PYTHON=DIR/bin/python (.ci/run does)";
    if set.is_some() || std::env::var_os("CI").is_some() {
        panic!("the official SDKs are not importable with {python:?}: {problem}. {how}");
    }
    eprintln!("sdk: SKIPPED: the official SDKs are not installed for {python:?}; {how}.");
    None
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sdk")
        .join(name)
}

/// One simulated account as `baltui sim` printed it.
struct Creds {
    base_url: String,
    api_key: String,
    secret: String,
}

fn creds(config: &str, name: &str) -> Creds {
    let t: toml::Value = toml::from_str(config).unwrap();
    let acc = t["account"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("`baltui sim` printed no account {name}"));
    let get = |k: &str| acc[k].as_str().unwrap().to_string();
    Creds {
        base_url: get("base_url"),
        api_key: get("api_key"),
        secret: get("secret_key"),
    }
}

/// Run a script with the credentials in the environment (never on the
/// command line); the JSON it printed.
fn run_script(python: &str, name: &str, args: &[&str], env: [(&str, &str); 2]) -> Value {
    let out = Command::new(python)
        .arg(script(name))
        .args(args)
        .envs(env)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} {args:?}: {}\n{stdout}\n{stderr}",
        out.status
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{name}: {e}\n{stdout}\n{stderr}"))
}

fn binance(python: &str, sdk: &str, c: &Creds, secret: &str) -> Value {
    run_script(
        python,
        "binance_sdk.py",
        &[sdk, &c.base_url],
        [
            ("BINANCE_API_KEY", c.api_key.as_str()),
            ("BINANCE_SECRET_KEY", secret),
        ],
    )
}

fn bybit(python: &str, c: &Creds, secret: &str) -> Value {
    run_script(
        python,
        "bybit_sdk.py",
        &[&c.base_url],
        [
            ("BYBIT_API_KEY", c.api_key.as_str()),
            ("BYBIT_SECRET_KEY", secret),
        ],
    )
}

/// What baltui's own client reads in its first poll of `account`, from an
/// in-process simulator at `seed`; `extra` is added to the account's config.
async fn baltui_reads(seed: u64, account: &str, extra: &str) -> Snapshot {
    let local = baltui::sim::Sim::start(
        ([127, 0, 0, 1], 0).into(),
        baltui::sim::SimOptions {
            seed,
            ..Default::default()
        },
        baltui::sim::demo_accounts(),
    )
    .await
    .unwrap();
    let name_line = format!("name = \"{account}\"\n");
    let toml = local
        .config_toml()
        .replacen(&name_line, &format!("{name_line}{extra}\n"), 1);
    let c = baltui::config::Config::parse(&toml, "local").unwrap();
    let acc = c.accounts.iter().find(|a| a.name == account).unwrap();
    let client =
        baltui::clients::client_for(acc, baltui::venues::http_client(Duration::from_secs(10)))
            .unwrap();
    let s = client.fetch().await.unwrap();
    local.shutdown().await;
    s
}

fn dec(v: &Value, what: &str) -> Decimal {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{what}: not a decimal string: {v}"))
}

/// The row baltui shows for `currency` in `wallet` (None: any wallet).
fn row<'a>(s: &'a Snapshot, wallet: Option<&str>, currency: &str) -> &'a CurrencyBalance {
    s.currencies
        .iter()
        .find(|c| c.currency == currency && (wallet.is_none() || c.wallet.as_deref() == wallet))
        .unwrap_or_else(|| panic!("baltui read no {currency} row in {wallet:?}"))
}

fn wallet_net(s: &Snapshot, wallet: &str) -> Option<Decimal> {
    s.wallets
        .iter()
        .find(|w| w.name == wallet)
        .and_then(|w| w.totals.net_assets)
}

/// An SDK's field name and where baltui keeps that value.
type Field = (&'static str, fn(&CurrencyBalance) -> Option<Decimal>);

/// `list` (an SDK's array of per-asset objects) equals baltui's rows of
/// `wallet`, asset by asset: `fields` pairs an SDK field with baltui's value.
fn same_rows(list: &Value, s: &Snapshot, wallet: &str, asset_key: &str, fields: &[Field]) {
    let list = list
        .as_array()
        .unwrap_or_else(|| panic!("{wallet}: {list}"));
    let ours = s
        .currencies
        .iter()
        .filter(|c| c.wallet.as_deref() == Some(wallet))
        .count();
    assert_eq!(list.len(), ours, "{wallet}: rows {list:?}");
    assert!(!list.is_empty(), "{wallet}: no rows");
    for item in list {
        let asset = item[asset_key].as_str().unwrap();
        let r = row(s, Some(wallet), asset);
        for (field, ours) in fields {
            assert_eq!(
                Some(dec(&item[*field], field)),
                ours(r),
                "{wallet} {asset} {field}"
            );
        }
    }
}

/// A classic account as an SDK read it (`spot_account`, `margin_account`,
/// `margin_trade_coeff`, `um_account_config`, `um_account`) equals what
/// baltui read.
fn assert_classic(v: &Value, s: &Snapshot) {
    same_rows(
        &v["spot_account"]["balances"],
        s,
        "spot",
        "asset",
        &[("free", |r| r.available), ("locked", |r| r.frozen)],
    );
    let m = &v["margin_account"];
    assert_eq!(
        Some(dec(&m["marginLevel"], "marginLevel")),
        s.risk.margin_level
    );
    assert_eq!(
        Some(dec(&m["totalNetAssetOfBtc"], "totalNetAssetOfBtc")),
        wallet_net(s, "margin")
    );
    same_rows(
        &m["userAssets"],
        s,
        "margin",
        "asset",
        &[
            ("free", |r| r.available),
            ("locked", |r| r.frozen),
            ("borrowed", |r| r.liabilities),
            ("interest", |r| r.interest),
            ("netAsset", |r| r.equity),
        ],
    );
    let bars = s
        .risk
        .margin_level_bars
        .as_ref()
        .expect("baltui read the bars");
    let coeff = &v["margin_trade_coeff"];
    assert_eq!(dec(&coeff["normalBar"], "normalBar"), bars.normal);
    assert_eq!(
        dec(&coeff["marginCallBar"], "marginCallBar"),
        bars.margin_call
    );
    assert_eq!(
        dec(&coeff["forceLiquidationBar"], "forceLiquidationBar"),
        bars.liquidation
    );
    assert_eq!(v["um_account_config"]["multiAssetsMargin"], false, "{v}");
    assert_eq!(
        s.account_mode.as_deref(),
        Some("futures single-asset mode (totals in USDT)")
    );
    let um = &v["um_account"];
    assert_eq!(
        Some(dec(&um["totalMarginBalance"], "totalMarginBalance")),
        wallet_net(s, "futures")
    );
    assert_eq!(
        Some(dec(&um["totalMaintMargin"], "totalMaintMargin")),
        s.risk.maintenance_margin
    );
    same_rows(&um["assets"], s, "futures", "asset", FUTURES_ROWS);
}

/// A futures asset as the SDK returns it and as baltui shows it.
const FUTURES_ROWS: &[Field] = &[
    ("walletBalance", |r| r.cash),
    ("marginBalance", |r| r.equity),
    ("unrealizedProfit", |r| r.unrealized_pnl),
    ("maintMargin", |r| r.maintenance_margin),
    ("maxWithdrawAmount", |r| r.withdrawable),
];

/// Every call of `v` failed with Binance's -1022 as the SDK's `sdk_error`.
fn assert_bad_signature(v: &Value, sdk_error: &str) {
    let calls = v.as_object().unwrap();
    assert!(!calls.is_empty());
    for (call, got) in calls {
        let e = &got["error"];
        assert_eq!(e["code"], -1022, "{call}: {v}");
        assert_eq!(e["http_status"], 400, "{call}: {v}");
        assert_eq!(e["type"], sdk_error, "{call}: {v}");
        assert_eq!(
            e["message"], "Signature for this request is not valid.",
            "{call}: {v}"
        );
    }
}

/// Both objects' calls in one object.
fn merged(a: Value, b: Value) -> Value {
    let mut a = a.as_object().unwrap().clone();
    a.extend(b.as_object().unwrap().clone());
    Value::Object(a)
}

#[tokio::test]
async fn binance_connectors_read_what_baltui_reads() {
    let Some(py) = sdk_python() else { return };
    const SEED: u64 = 61;
    let sim = start_sim(SEED);
    let c = creds(&sim.config, "bn-main");
    // baltui's order: spot, cross margin (+ bars), USDⓈ-M (config, account), COIN-M.
    let v = merged(
        binance(&py, "connector", &c, &c.secret),
        binance(&py, "futures-connector", &c, &c.secret),
    );
    let s = baltui_reads(
        SEED,
        "bn-main",
        r#"wallets = ["spot", "margin", "futures", "coinm"]"#,
    )
    .await;
    assert_classic(&v, &s);
    same_rows(
        &v["cm_account"]["assets"],
        &s,
        "coinm",
        "asset",
        FUTURES_ROWS,
    );

    // A wrong secret: Binance's -1022 reaches each connector as its ClientError.
    let bad = format!("{}-WRONG", c.secret);
    assert_bad_signature(&binance(&py, "connector", &c, &bad), "ClientError");
    assert_bad_signature(&binance(&py, "futures-connector", &c, &bad), "ClientError");
}

#[tokio::test]
async fn binance_modular_sdks_read_what_baltui_reads() {
    let Some(py) = sdk_python() else { return };
    const SEED: u64 = 62;
    // Each account has its own steps, so one simulator serves both.
    let sim = start_sim(SEED);
    let main = creds(&sim.config, "bn-main");
    let v = binance(&py, "sdk-classic", &main, &main.secret);
    let s = baltui_reads(SEED, "bn-main", "").await;
    assert_classic(&v, &s);

    // Portfolio Margin, in baltui's order: spot, then /papi account and balance.
    let pm = creds(&sim.config, "bn-pm");
    let v = binance(&py, "sdk-pm", &pm, &pm.secret);
    let s = baltui_reads(SEED, "bn-pm", "").await;
    same_rows(
        &v["spot_account"]["balances"],
        &s,
        "spot",
        "asset",
        &[("free", |r| r.available), ("locked", |r| r.frozen)],
    );
    let a = &v["pm_account"];
    assert_eq!(Some(dec(&a["uniMMR"], "uniMMR")), s.risk.uni_mmr);
    assert_eq!(
        Some(dec(&a["accountEquity"], "accountEquity")),
        wallet_net(&s, "pm")
    );
    assert_eq!(
        Some(dec(&a["accountMaintMargin"], "accountMaintMargin")),
        s.risk.maintenance_margin
    );
    assert_eq!(a["accountStatus"], "NORMAL", "{a}");
    same_rows(
        &v["pm_balance"],
        &s,
        "pm",
        "asset",
        &[
            ("totalWalletBalance", |r| r.cash),
            ("crossMarginFree", |r| r.available),
            ("crossMarginLocked", |r| r.frozen),
            ("crossMarginBorrowed", |r| r.liabilities),
            ("crossMarginInterest", |r| r.interest),
            ("umUnrealizedPNL", |r| r.unrealized_pnl),
        ],
    );

    // A wrong secret: -1022 with HTTP 400 is binance-common's BadRequestError.
    let bad = format!("{}-WRONG", main.secret);
    assert_bad_signature(&binance(&py, "sdk-classic", &main, &bad), "BadRequestError");
    let bad = format!("{}-WRONG", pm.secret);
    assert_bad_signature(&binance(&py, "sdk-pm", &pm, &bad), "BadRequestError");
}

#[tokio::test]
async fn pybit_reads_what_baltui_reads() {
    let Some(py) = sdk_python() else { return };
    const SEED: u64 = 63;
    let sim = start_sim(SEED);
    let c = creds(&sim.config, "bybit-unified");
    let v = bybit(&py, &c, &c.secret);
    let s = baltui_reads(SEED, "bybit-unified", "").await;

    let info = &v["account_info"];
    assert_eq!(info["retCode"], 0, "{v}");
    assert_eq!(info["result"]["unifiedMarginStatus"], 5, "{v}");
    assert_eq!(s.account_mode.as_deref(), Some("UTA 2.0, cross margin"));
    let w = &v["wallet_balance"];
    assert_eq!(w["retCode"], 0, "{v}");
    let acct = &w["result"]["list"][0];
    assert_eq!(acct["accountType"], "UNIFIED");
    assert_eq!(
        Some(dec(&acct["accountMMRate"], "accountMMRate")),
        s.risk.maintenance_rate
    );
    assert_eq!(
        Some(dec(&acct["totalEquity"], "totalEquity")),
        s.totals.net_assets
    );
    assert_eq!(
        Some(dec(
            &acct["totalMaintenanceMargin"],
            "totalMaintenanceMargin"
        )),
        s.risk.maintenance_margin
    );
    let coins = acct["coin"].as_array().unwrap();
    assert_eq!(coins.len(), s.currencies.len(), "{acct}");
    assert!(!coins.is_empty());
    for coin in coins {
        let name = coin["coin"].as_str().unwrap();
        let r = row(&s, None, name);
        for (field, ours) in [
            ("walletBalance", r.wallet_balance),
            ("equity", r.equity),
            ("borrowAmount", r.liabilities),
            ("accruedInterest", r.interest),
            ("usdValue", r.value_in_base),
        ] {
            assert_eq!(Some(dec(&coin[field], field)), ours, "{name} {field}");
        }
        // Not applicable for a unified account: "" on the wire, absent in baltui.
        assert_eq!(coin["availableToWithdraw"], "", "{name}");
        assert_eq!(r.withdrawable, None, "{name}");
    }

    // A wrong secret: Bybit's 10004 (HTTP 200) is pybit's InvalidRequestError.
    let v = bybit(&py, &c, &format!("{}-WRONG", c.secret));
    for call in ["account_info", "wallet_balance"] {
        let e = &v[call]["error"];
        assert_eq!(e["type"], "InvalidRequestError", "{call}: {v}");
        assert_eq!(e["code"], 10004, "{call}: {v}");
        assert_eq!(e["http_status"], 200, "{call}: {v}");
    }
}
