//! The shipped example parses; bad configs give messages naming file, line and key.

use baltui::config::{AccountConfig, Config};
use baltui::venues::longport::config::LongportConfig;
use baltui::venues::okx::config::OkxConfig;
use baltui::venues::webull::config::WebullConfig;

fn okx(a: &AccountConfig) -> &OkxConfig {
    a.settings_as().expect("OKX settings")
}
fn lp(a: &AccountConfig) -> &LongportConfig {
    a.settings_as().expect("LongPort settings")
}
fn wb(a: &AccountConfig) -> &WebullConfig {
    a.settings_as().expect("Webull settings")
}
use std::time::Duration;

/// The errors of a config: the file's, else its accounts' own problems.
fn err(text: &str) -> String {
    Config::parse(text, "cfg.toml")
        .and_then(Config::strict)
        .unwrap_err()
}

const OK: &str = r#"
[[account]]
name = "a"
venue = "okx"
api_key = "k"
secret_key = "s"
passphrase = "p"
"#;

#[test]
fn bybit_account_keys() {
    let base = "[[account]]\nname = \"b\"\nvenue = \"bybit\"\napi_key = \"k\"\n";
    let c = Config::parse(
        &format!("{base}private_key = {{ file = \"/x.pem\" }}\nrecv_window = 10000\n"),
        "cfg.toml",
    )
    .and_then(Config::strict)
    .unwrap();
    let bc: &baltui::venues::bybit::config::BybitConfig = c.accounts[0].settings_as().unwrap();
    assert!(bc.rsa);
    assert_eq!(bc.recv_window, 10000);
    let e = err(&format!("{base}secret_key = \"s\"\nprivate_key = \"p\"\n"));
    assert!(e.contains("not both"), "{e}");
    let e = err(base);
    assert!(
        e.contains("secret_key (HMAC) or private_key (RSA PEM)"),
        "{e}"
    );
    let e = err(&format!("{base}secret_key = \"s\"\nrecv_window = 0\n"));
    assert!(
        e.contains("recv_window") && e.contains("expected milliseconds"),
        "{e}"
    );
    let e = err(&format!(
        "{base}secret_key = \"s\"\n[thresholds]\nmaintenance_rate_warn = \"0.9\"\n"
    ));
    assert!(
        e.contains("maintenance_rate_critical (0.8) must not be below maintenance_rate_warn (0.9)"),
        "{e}"
    );
}

#[test]
fn shipped_example_parses() {
    let text = include_str!("../../config.example.toml");
    let c = Config::parse(text, "config.example.toml").unwrap();
    assert_eq!(c.accounts.len(), 5);
    let by = &c.accounts[3];
    assert_eq!(
        (by.name.as_str(), by.venue),
        ("bybit-main", baltui::venues::bybit::KIND)
    );
    assert_eq!(by.base_url, "https://api.bybit.com");
    let bc: &baltui::venues::bybit::config::BybitConfig = by.settings_as().unwrap();
    assert!(!bc.rsa);
    assert_eq!(bc.recv_window, 5000);
    assert_eq!(bc.api_key.describe(), "environment variable BYBIT_API_KEY");
    assert_eq!(c.thresholds.maintenance_rate_warn, "0.5".parse().unwrap());
    assert_eq!(
        c.thresholds.maintenance_rate_critical,
        "0.8".parse().unwrap()
    );
    assert_eq!(c.thresholds.initial_rate_warn, "0.8".parse().unwrap());
    assert_eq!(c.thresholds.initial_rate_critical, "1".parse().unwrap());
    let bn = &c.accounts[4];
    assert_eq!(
        (bn.name.as_str(), bn.venue),
        ("bn-main", baltui::venues::binance::KIND)
    );
    let wb = &c.accounts[2];
    assert_eq!(
        (wb.name.as_str(), wb.venue),
        ("wb-hk", baltui::venues::webull::KIND)
    );
    assert_eq!(wb.base_url, "https://api.webull.hk");
    let lp_acc = &c.accounts[1];
    assert_eq!(
        (lp_acc.name.as_str(), lp_acc.venue),
        ("lp-hk", baltui::venues::longport::KIND)
    );
    assert_eq!(lp_acc.base_url, "https://openapi.longbridge.com");
    assert_eq!(lp_acc.poll_interval, Duration::from_secs(10));
    assert!(
        matches!(lp(lp_acc), LongportConfig { currency: Some(c), path, .. }
        if c == "HKD" && path == "/v1/asset/account")
    );
    let a = &c.accounts[0];
    assert_eq!(a.name, "okx-main");
    assert_eq!(a.venue, baltui::venues::okx::KIND);
    assert_eq!(a.base_url, "https://www.okx.com");
    assert_eq!(a.poll_interval, Duration::from_secs(5));
    assert_eq!(okx(a).currencies, ["BTC", "USDT"]);
    assert!(!a.is_demo());
    assert!(okx(a).api_key.describe() == "environment variable OKX_API_KEY");
    assert_eq!(c.thresholds.margin_ratio_warn, "3".parse().unwrap());
    assert_eq!(c.request_timeout, Duration::from_secs(10));
    assert!(c.bell);
}

#[test]
fn defaults() {
    let c = Config::parse(OK, "cfg.toml").unwrap();
    assert_eq!(c.accounts[0].poll_interval, Duration::from_secs(5));
    assert_eq!(c.accounts[0].base_url, "https://www.okx.com");
    assert!(okx(&c.accounts[0]).currencies.is_empty());
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let e = err(&format!("{OK}colour = \"red\"\n"));
    assert!(e.starts_with("cfg.toml:"), "{e}");
    assert!(e.contains("colour"), "{e}");
    assert!(e.contains(":8"), "line 8: {e}");
}

#[test]
fn unknown_top_level_key() {
    let e = err("bel = true\n");
    assert!(e.starts_with("cfg.toml:1:"), "{e}");
    assert!(e.contains("bel"), "{e}");
}

#[test]
fn bad_venue() {
    // Binance is a venue now: a name no venue registers.
    let e = err("[[account]]\nname = \"a\"\nvenue = \"kraken\"\n");
    assert!(
        e.starts_with("cfg.toml:3: key `venue`: unknown variant `kraken`"),
        "{e}"
    );
    assert!(e.contains("okx"), "{e}");
}

#[test]
fn plain_http_only_for_loopback() {
    let e = err(&OK.replace(
        "venue = \"okx\"",
        "venue = \"okx\"\nbase_url = \"http://example.com\"",
    ));
    assert_eq!(
        e,
        "cfg.toml:5: account \"a\": key `base_url`: plain http is allowed only to this machine \
         (127.0.0.1, localhost, [::1]); use https"
    );
    let ok = OK.replace(
        "venue = \"okx\"",
        "venue = \"okx\"\nbase_url = \"http://127.0.0.1:9/\"",
    );
    let c = Config::parse(&ok, "cfg.toml").unwrap();
    assert_eq!(c.accounts[0].base_url, "http://127.0.0.1:9");
    assert!(
        c.accounts[0].is_demo(),
        "a loopback venue is the simulator, never LIVE"
    );
}

#[test]
fn bybit_and_binance_poll_politely_by_default() {
    let text = |venue: &str, extra: &str| {
        format!(
            "[[account]]\nname = \"x\"\nvenue = \"{venue}\"\napi_key = \"k\"\nsecret_key = \"s\"\n{extra}"
        )
    };
    for venue in ["bybit", "binance"] {
        let cfg = Config::parse(&text(venue, ""), "cfg.toml").unwrap();
        assert_eq!(
            cfg.accounts[0].poll_interval,
            Duration::from_secs(15),
            "{venue}"
        );
        let e = err(&text(venue, "poll_interval = \"2s\"\n"));
        assert!(e.contains("from \"5s\" to \"1h\""), "{venue}: {e}");
        let cfg = Config::parse(&text(venue, "poll_interval = \"5s\"\n"), "cfg.toml").unwrap();
        assert_eq!(
            cfg.accounts[0].poll_interval,
            Duration::from_secs(5),
            "{venue}"
        );
    }
    // Others keep 5 s.
    let cfg = Config::parse(OK, "cfg.toml").unwrap();
    assert_eq!(cfg.accounts[0].poll_interval, Duration::from_secs(5));
}

#[test]
fn binance_isolated_pairs_are_classic_only_and_look_like_pairs() {
    use baltui::venues::binance::config::BinanceConfig;
    let text = |mode: &str, pairs: &str| {
        format!(
            "[[account]]\nname = \"b\"\nvenue = \"binance\"\nmode = \"{mode}\"\napi_key = \"k\"\nsecret_key = \"s\"\nisolated_pairs = {pairs}\n"
        )
    };
    let cfg = Config::parse(&text("classic", r#"["BTCUSDT", "ETHUSDT"]"#), "cfg.toml").unwrap();
    let b: &BinanceConfig = cfg.accounts[0].settings_as().unwrap();
    assert_eq!(b.isolated_pairs, ["BTCUSDT", "ETHUSDT"]);
    let e = err(&text("portfolio_margin", r#"["BTCUSDT"]"#));
    assert!(
        e.starts_with("cfg.toml:7: account \"b\": key `isolated_pairs`"),
        "{e}"
    );
    assert!(e.contains("classic mode only"), "{e}");
    let e = err(&text("classic", r#"["BTC/USDT"]"#));
    assert!(
        e.contains("expected trading pairs such as \"BTCUSDT\", got \"BTC/USDT\""),
        "{e}"
    );
}

#[test]
fn bad_poll_interval_and_currencies() {
    let e = err(&format!("{OK}poll_interval = \"fast\"\n"));
    assert_eq!(
        e,
        "cfg.toml:8: account \"a\": key `poll_interval`: expected a duration such as \"5s\", \"500ms\" or \"1m\""
    );
    let e = err(&format!("{OK}poll_interval = \"100ms\"\n"));
    assert!(e.contains("from \"1s\" to \"1h\""), "{e}");
    let e = err(&format!("{OK}currencies = [\"BTC\", \"US DT\"]\n"));
    assert!(e.contains("key `currencies`") && e.contains("US DT"), "{e}");
}

#[test]
fn missing_credentials_and_duplicates() {
    let e = err("[[account]]\nname = \"a\"\nvenue = \"okx\"\napi_key = \"k\"\n");
    assert!(
        e.contains("cfg.toml:2: account \"a\": key `secret_key`: missing"),
        "{e}"
    );
    assert!(e.contains("key `passphrase`: missing"), "{e}");
    let e = err(&format!("{OK}{OK}"));
    assert!(
        e.contains("cfg.toml:10: account \"a\": key `name`: another account already has this name"),
        "{e}"
    );
}

#[test]
fn bad_secret_shape() {
    let e = err(&OK.replace("api_key = \"k\"", "api_key = { vault = \"x\" }"));
    assert!(
        e.starts_with("cfg.toml:5: key `api_key`: expected a string, { env = \"VAR\" }"),
        "{e}"
    );
}

#[test]
fn not_toml() {
    let e = err("[[account]\nname=");
    assert!(e.starts_with("cfg.toml:1:"), "{e}");
}

#[test]
fn thresholds_are_checked() {
    let e = err("[thresholds]\nmargin_ratio_warn = \"1\"\nmargin_ratio_critical = \"2\"\n");
    assert!(
        e.contains("margin_ratio_critical (2) must not be above margin_ratio_warn (1)"),
        "{e}"
    );
    let e = err("[thresholds]\nmargin_ratio_wran = \"1\"\n");
    assert!(
        e.contains("cfg.toml:2") && e.contains("margin_ratio_wran"),
        "{e}"
    );
}

#[test]
fn inline_secret_in_readable_file_warns() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("baltui-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("c.toml");
    std::fs::write(&p, OK).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    let c = Config::load(&p).unwrap();
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].contains("chmod 600"), "{:?}", c.warnings);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(Config::load(&p).unwrap().warnings.is_empty());
    let e = Config::load(&dir.join("missing.toml")).unwrap_err();
    assert!(e.contains("missing.toml: cannot read config"), "{e}");
}

#[test]
fn base_url_is_host_only() {
    let e = err(&OK.replace(
        "venue = \"okx\"",
        "venue = \"okx\"\nbase_url = \"https://proxy.example/okx\"",
    ));
    assert!(
        e.starts_with(
            "cfg.toml:5: account \"a\": key `base_url`: expected only scheme, host and port"
        ),
        "{e}"
    );
    let c = Config::parse(
        &OK.replace(
            "venue = \"okx\"",
            "venue = \"okx\"\nbase_url = \"https://eea.okx.com/\"",
        ),
        "x",
    )
    .unwrap();
    assert_eq!(c.accounts[0].base_url, "https://eea.okx.com");
}

#[test]
fn rate_group_for_okx_only() {
    let c = Config::parse(&format!("{OK}rate_group = \"uid-1\"\n"), "cfg.toml").unwrap();
    assert_eq!(okx(&c.accounts[0]).rate_group.as_deref(), Some("uid-1"));
    let e = err("[[account]]\nname = \"lp\"\nvenue = \"longport\"\nrate_group = \"x\"\n");
    assert_eq!(
        e,
        "cfg.toml:4: account \"lp\": key `rate_group`: not a longport setting (see config.example.toml)"
    );
}

const LP: &str = r#"
[[account]]
name = "lp-hk"
venue = "longport"
currency = "hkd"
app_key = "k"
app_secret = { env = "MY_LP_SECRET" }
access_token = "t"
"#;

#[test]
fn longport_account() {
    let c = Config::parse(LP, "cfg.toml").unwrap();
    let a = &c.accounts[0];
    assert_eq!(a.venue, baltui::venues::longport::KIND);
    assert_eq!(a.base_url, "https://openapi.longbridge.com");
    let LongportConfig {
        path,
        currency,
        app_secret,
        ..
    } = lp(a);
    assert_eq!(path, "/v1/asset/account");
    assert_eq!(currency.as_deref(), Some("HKD"));
    assert_eq!(app_secret.describe(), "environment variable MY_LP_SECRET");
    let legacy = LP.replace(
        "currency = \"hkd\"",
        "path = \"/v1/trade/asset/GetAccountCashInfo\"\nregion = \"cn\"",
    );
    let c = Config::parse(&legacy, "cfg.toml").unwrap();
    assert_eq!(c.accounts[0].base_url, "https://openapi.longbridge.cn");
    assert!(lp(&c.accounts[0]).path == "/v1/trade/asset/GetAccountCashInfo");
}

#[test]
fn longport_bad_keys() {
    let e = err(&LP.replace("\"hkd\"", "\"EUR\""));
    assert_eq!(
        e,
        "cfg.toml:5: account \"lp-hk\": key `currency`: expected one of HKD, USD, CNH, got \"EUR\""
    );
    let e = err(&format!("{LP}api_key = \"x\"\n"));
    assert_eq!(
        e,
        "cfg.toml:9: account \"lp-hk\": key `api_key`: not a longport setting (see config.example.toml)"
    );
    let e = err(&format!("{LP}region = \"mars\"\n"));
    assert!(
        e.contains("key `region`: expected \"global\" or \"cn\""),
        "{e}"
    );
    let e = err(&format!("{LP}path = \"v1/asset/account?x=1\"\n"));
    assert!(e.contains("key `path`: expected a path such as"), "{e}");
    let e = err(&format!("{OK}app_key = \"x\"\n"));
    assert!(e.contains("key `app_key`: not a okx setting"), "{e}");
}

#[test]
fn longport_credentials_default_to_the_sdk_environment() {
    // No credential keys: LONGBRIDGE_* first, then LONGPORT_* (as the SDKs do).
    let c = Config::parse(
        "[[account]]\nname = \"lp\"\nvenue = \"longport\"\n",
        "cfg.toml",
    )
    .unwrap();
    let LongportConfig {
        app_key,
        app_secret,
        access_token,
        ..
    } = lp(&c.accounts[0]);
    assert_eq!(
        app_key.describe(),
        "environment variable LONGBRIDGE_APP_KEY or LONGPORT_APP_KEY"
    );
    assert_eq!(
        app_secret.describe(),
        "environment variable LONGBRIDGE_APP_SECRET or LONGPORT_APP_SECRET"
    );
    assert_eq!(
        access_token.describe(),
        "environment variable LONGBRIDGE_ACCESS_TOKEN or LONGPORT_ACCESS_TOKEN"
    );
    // Resolution order, on variable names no other test uses.
    use baltui::secrets::SecretSource;
    let chain = SecretSource::EnvChain(vec!["BALTUI_T_NEW".into(), "BALTUI_T_OLD".into()]);
    // An environment of its own: tests run in parallel threads, and changing
    // the process environment under them is undefined behaviour.
    let mut vars = std::collections::HashMap::from([("BALTUI_T_OLD", "old-value")]);
    let (v, from) = chain
        .resolve_in(&|k| vars.get(k).map(|v| v.to_string()))
        .unwrap();
    assert_eq!(
        (v.expose(), from.as_str()),
        ("old-value", "environment variable BALTUI_T_OLD")
    );
    vars.insert("BALTUI_T_NEW", "new-value");
    let (v, from) = chain
        .resolve_in(&|k| vars.get(k).map(|v| v.to_string()))
        .unwrap();
    assert_eq!(
        (v.expose(), from.as_str()),
        ("new-value", "environment variable BALTUI_T_NEW")
    );
    let none = SecretSource::EnvChain(vec!["BALTUI_T_UNSET_A".into(), "BALTUI_T_UNSET_B".into()]);
    assert_eq!(
        none.resolve().unwrap_err(),
        "none of the environment variables BALTUI_T_UNSET_A, BALTUI_T_UNSET_B is set"
    );
}

const WB: &str = r#"
[[account]]
name = "wb-hk"
venue = "webull"
region = "hk"
app_key = { env = "WEBULL_APP_KEY" }
app_secret = { env = "WEBULL_APP_SECRET" }
access_token = { env = "WEBULL_ACCESS_TOKEN" }
"#;

#[test]
fn webull_account() {
    use baltui::venues::webull::{Region, sign::Algorithm};
    let c = Config::parse(WB, "cfg.toml").unwrap();
    let a = &c.accounts[0];
    assert_eq!(a.base_url, "https://api.webull.hk");
    let WebullConfig {
        region,
        account_id,
        algorithm,
        access_token,
        total_asset_currency,
        ..
    } = wb(a);
    assert_eq!(*region, Region::Hk);
    assert_eq!(*account_id, None, "discovered");
    assert_eq!(*algorithm, Algorithm::HmacSha256);
    assert!(access_token.is_some());
    // None set: the report currency (USD by default), which Webull takes.
    assert_eq!(total_asset_currency.as_deref(), Some("USD"));
    let full = format!(
        "{WB}account_id = \"QJHO3P1PR9425Q6UAT7QLJTEKB\"\ntotal_asset_currency = \"usd\"\nsignature_algorithm = \"HMAC-SHA1\"\nbase_url = \"https://api.sandbox.webull.hk\"\n"
    );
    let c = Config::parse(&full, "cfg.toml").unwrap();
    assert_eq!(c.accounts[0].base_url, "https://api.sandbox.webull.hk");
    assert!(
        matches!(wb(&c.accounts[0]), WebullConfig { account_id: Some(id), total_asset_currency: Some(t), algorithm, .. }
        if id == "QJHO3P1PR9425Q6UAT7QLJTEKB" && t == "USD" && *algorithm == Algorithm::HmacSha1)
    );
    // A base_url without a region gets the strictest budget (US: 10 per 30 s).
    let no_region = WB.replace("region = \"hk\"", "base_url = \"http://127.0.0.1:9\"");
    let c = Config::parse(&no_region, "cfg.toml").unwrap();
    assert_eq!(wb(&c.accounts[0]).region, Region::Us);
}

#[test]
fn webull_bad_keys() {
    let e = err(&WB.replace("\"hk\"", "\"mars\""));
    assert_eq!(
        e,
        "cfg.toml:5: account \"wb-hk\": key `region`: expected one of us, hk, jp, sg, au, uk, eu, got \"mars\""
    );
    // With a base_url the region still sets the budget: a bad one is
    // reported (it used to drop the account without a word).
    let text = format!(
        "{}base_url = \"https://api.sandbox.webull.hk\"\n",
        WB.replace("\"hk\"", "\"mars\"")
    );
    let c = Config::parse(&text, "cfg.toml").unwrap();
    assert_eq!(c.accounts.len(), 1, "the account stays, as a CONFIG ERROR");
    let p = c.accounts[0].problem.as_deref().unwrap_or_default();
    assert!(p.contains("key `region`: expected one of us"), "{p}");
    let e = err(&WB.replace("region = \"hk\"\n", ""));
    assert!(
        e.contains("key `region`: missing: Webull needs region"),
        "{e}"
    );
    let e = err(&format!("{WB}signature_algorithm = \"MD5\"\n"));
    assert!(
        e.contains("key `signature_algorithm`: expected \"HMAC-SHA256\" or \"HMAC-SHA1\""),
        "{e}"
    );
    let e = err(&format!("{WB}passphrase = \"x\"\n"));
    assert!(e.contains("key `passphrase`: not a webull setting"), "{e}");
    let e = err(&format!("{WB}path = \"/x\"\n"));
    assert!(e.contains("key `path`: not a webull setting"), "{e}");
    let e = err(&WB.replace("app_secret = { env = \"WEBULL_APP_SECRET\" }\n", ""));
    assert!(
        e.contains("key `app_secret`: missing: Webull needs app_key and app_secret"),
        "{e}"
    );
    let e = err(&format!("{WB}account_id = \"a b\"\n"));
    assert!(
        e.contains("key `account_id`: expected an account id"),
        "{e}"
    );
    let e = err(&format!("{LP}account_id = \"x\"\n"));
    assert!(
        e.contains("key `account_id`: not a longport setting"),
        "{e}"
    );
}

#[test]
fn keys_rebind_and_bad_keys_are_errors() {
    let c = Config::parse(
        &format!("{OK}\n[keys]\nrefresh = [\"ctrl-r\"]\nquit = [\"Q\"]\n"),
        "cfg.toml",
    )
    .unwrap();
    let km = baltui::keymap::Keymap::from_config(&c.keys).unwrap();
    let r = km
        .bindings
        .iter()
        .find(|b| b.name == Some("refresh"))
        .unwrap();
    assert_eq!(r.label(), "C-r");
    // The screen's keymap is built from the config's [keys]; errors name file:line.
    let err = |text: &str| {
        let c = Config::parse(text, "cfg.toml").unwrap();
        baltui::keymap::Keymap::from_config(&c.keys).unwrap_err()
    };
    let e = err("[keys]\nreboot = [\"c\"]\n");
    assert!(
        e.starts_with("cfg.toml:2: [keys]: unknown action `reboot`"),
        "{e}"
    );
    let e = err("[keys]\nquit = [\"r\"]\n");
    assert_eq!(
        e,
        "cfg.toml:2: [keys]: r is bound to both `quit` and `refresh`"
    );
}

#[test]
fn alerts_section() {
    let c = Config::parse(
        &format!("{OK}\n[alerts]\nbell = false\ncommand = [\"notify-send\", \"baltui\"]\nmin_severity = \"critical\"\ntimeout = \"3s\"\n"),
        "cfg.toml",
    )
    .unwrap();
    assert!(!c.bell);
    assert_eq!(c.alert_command, ["notify-send", "baltui"]);
    assert_eq!(c.alert_min, baltui::health::Severity::Critical);
    assert_eq!(c.alert_timeout, Duration::from_secs(3));
    let e = err("[alerts]\nmin_severity = \"loud\"\n");
    assert!(e.contains("cfg.toml:2") && e.contains("loud"), "{e}");
    let e = err("[alerts]\ncommand = [\"x\"]\ntimeout = \"forever\"\n");
    assert!(e.contains("key `timeout`"), "{e}");
    // Secrets' variables are known, so an alert command never inherits them.
    let c = Config::parse(include_str!("../../config.example.toml"), "x").unwrap();
    let vars = c.secret_env_vars();
    assert!(
        vars.contains(&"OKX_API_KEY".to_string())
            && vars.contains(&"WEBULL_APP_SECRET".to_string()),
        "{vars:?}"
    );
}

#[test]
fn no_credentials_in_urls() {
    let e = err(&OK.replace(
        "venue = \"okx\"",
        "venue = \"okx\"\nbase_url = \"https://me:hunter2@www.okx.com\"",
    ));
    assert!(
        e.contains("key `base_url`: credentials do not belong in a URL"),
        "{e}"
    );
    assert!(
        !e.contains("hunter2"),
        "the error does not repeat the password"
    );
}

#[test]
fn rate_margin_is_a_share_of_the_limit() {
    assert_eq!(
        Config::parse(OK, "cfg.toml").unwrap().rate_margin,
        0.8,
        "default 80%"
    );
    let c = Config::parse(&format!("rate_margin = 0.5\n{OK}"), "cfg.toml").unwrap();
    assert_eq!(c.rate_margin, 0.5);
    let e = err(&format!("rate_margin = 1.5\n{OK}"));
    assert!(
        e.starts_with("cfg.toml:1: key `rate_margin`: expected a share"),
        "{e}"
    );
}

/// An account whose own settings are invalid is kept as a CONFIG ERROR with
/// its message; the file and the other accounts load.
#[test]
fn a_bad_account_stays_a_bad_account() {
    let text = format!(
        "{OK}\n[[account]]\nname = \"b\"\nvenue = \"okx\"\nbase_url = \"http://example.com\"\napi_key = \"k\"\nsecret_key = \"s\"\npassphrase = \"p\"\n\n[[account]]\nname = \"c\"\nvenue = \"okx\"\napi_key = \"k2\"\nsecret_key = \"s2\"\npassphrase = \"p2\"\n"
    );
    let c = Config::parse(&text, "cfg.toml").unwrap();
    let names: Vec<&str> = c.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert!(c.accounts[0].problem.is_none() && c.accounts[2].problem.is_none());
    let p = c.accounts[1].problem.as_deref().unwrap();
    assert!(
        p.starts_with(
            "cfg.toml:12: account \"b\": key `base_url`: plain http is allowed only to this machine"
        ),
        "{p}"
    );
    assert!(c.accounts[1].settings.is_none());
    // Strict callers still get the message.
    assert_eq!(
        Config::parse(&text, "cfg.toml")
            .and_then(Config::strict)
            .unwrap_err(),
        p
    );
    // A file that does not parse at all still stops everything.
    assert!(Config::parse("[[account]\n", "cfg.toml").is_err());
}

/// A broken account becomes a client that answers with its config error and
/// sends nothing; the good ones are real clients.
#[tokio::test]
async fn clients_for_keeps_the_good_accounts() {
    use baltui::venues::ErrorClass;
    let text = format!(
        "{OK}\n[[account]]\nname = \"b\"\nvenue = \"okx\"\napi_key = {{ env = \"BALTUI_TEST_SURELY_UNSET_1234\" }}\nsecret_key = \"s\"\npassphrase = \"p\"\n"
    );
    let c = Config::parse(&text, "cfg.toml").unwrap();
    let clients = baltui::clients::clients_for(&c.accounts, std::time::Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(clients.len(), 2);
    assert_eq!(clients[0].venue(), baltui::venues::okx::KIND);
    assert!(
        clients[0]
            .account()
            .as_any()
            .downcast_ref::<baltui::venues::okx::OkxClient>()
            .is_some()
    );
    let e = clients[1].fetch().await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::Config);
    let msg = e.to_string();
    assert!(
        msg.contains("account \"b\": key `api_key`")
            && msg.contains("BALTUI_TEST_SURELY_UNSET_1234"),
        "{msg}"
    );
}

/// A refused base URL that carries credentials is not kept for the CONFIG
/// ERROR account (it would be logged and shown).
#[test]
fn a_refused_url_with_credentials_is_not_kept() {
    let text = "[[account]]\nname = \"a\"\nvenue = \"okx\"\nbase_url = \"https://user:hunter2@www.okx.com\"\napi_key = \"k\"\nsecret_key = \"s\"\npassphrase = \"p\"\n";
    let c = Config::parse(text, "cfg.toml").unwrap();
    let a = &c.accounts[0];
    assert!(
        a.problem
            .as_deref()
            .unwrap()
            .contains("credentials do not belong in a URL")
    );
    assert!(!a.base_url.contains("hunter2"), "{}", a.base_url);
    assert!(!format!("{a:?}").contains("hunter2"));
}

/// Every commented-out setting in the example can be uncommented as it is,
/// alone or all at once, and the file still loads with no account problem
/// (a second `[thresholds]` table used to be a duplicate-key error).
#[test]
fn every_commented_setting_in_the_example_can_be_uncommented() {
    let text = include_str!("../../config.example.toml");
    let is_setting = |l: &str| {
        let Some(rest) = l.strip_prefix("# ") else {
            return false;
        };
        let key = rest.split('=').next().unwrap_or("").trim();
        rest.contains(" = ")
            && !key.is_empty()
            && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    };
    let lines: Vec<&str> = text.lines().collect();
    let settings: Vec<usize> = (0..lines.len()).filter(|&i| is_setting(lines[i])).collect();
    assert!(settings.len() >= 5, "{settings:?}");
    let uncomment = |which: &[usize]| {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| if which.contains(&i) { &l[2..] } else { l })
            .collect::<Vec<_>>()
            .join("\n")
    };
    for &i in &settings {
        let c = Config::parse(&uncomment(&[i]), "config.example.toml")
            .and_then(Config::strict)
            .unwrap_or_else(|e| panic!("line {}: {}\n{e}", i + 1, lines[i]));
        assert_eq!(c.accounts.len(), 5, "line {}", i + 1);
    }
    let all = Config::parse(&uncomment(&settings), "config.example.toml")
        .and_then(Config::strict)
        .unwrap();
    assert_eq!(
        all.thresholds.margin_utilization_warn,
        Some("80".parse().unwrap())
    );
}

#[test]
fn display_groups_and_places() {
    let c = Config::parse(OK, "cfg.toml").unwrap();
    assert_eq!(c.display.group_separator, Some(','));
    assert!(c.display.precision.is_empty());
    let text = format!(
        "{OK}\n[display]\ngroup_separator = \"none\"\n[display.precision]\nBTC = 4\njpy = 2\n"
    );
    let c = Config::parse(&text, "cfg.toml").unwrap();
    assert_eq!(c.display.group_separator, None);
    assert_eq!(c.display.precision.get("BTC"), Some(&4));
    assert_eq!(c.display.precision.get("JPY"), Some(&2));
    let c = Config::parse(
        &format!("{OK}\n[display]\ngroup_separator = \"\\u2009\"\n"),
        "cfg.toml",
    )
    .unwrap();
    assert_eq!(c.display.group_separator, Some('\u{2009}'));

    // Errors name the file, the line and the key.
    let e = err(&format!("{OK}\n[display]\ngroup_separator = \".\"\n"));
    assert!(
        e.starts_with("cfg.toml:10: [display]: key `group_separator`: expected")
            && e.contains("decimal mark"),
        "{e}"
    );
    let e = err(&format!("{OK}\n[display.precision]\nBTC = 4\nETH = 30\n"));
    assert!(
        e.starts_with("cfg.toml:11: [display.precision]: key `ETH`: expected a number of decimal places from 0 to 18, got 30"),
        "{e}"
    );
    let e = err(&format!("{OK}\n[display.precision]\nBTC = -1\n"));
    assert!(
        e.starts_with("cfg.toml:10: [display.precision]: key `BTC`"),
        "{e}"
    );
    let e = err(&format!("{OK}\n[display.precision]\nBTC = \"8\"\n"));
    assert!(e.starts_with("cfg.toml:10: key `BTC`"), "{e}");
    let e = err(&format!("{OK}\n[display]\ndecimals = 2\n"));
    assert!(
        e.starts_with("cfg.toml:10: key `decimals`") || e.contains("unknown field `decimals`"),
        "{e}"
    );
}

#[test]
fn report_currency_defaults_to_usd_is_uppercased_and_checked() {
    let c = Config::parse(OK, "cfg.toml").unwrap();
    assert_eq!(c.report_currency, "USD");
    let c = Config::parse(&format!("report_currency = \" hkd \"\n{OK}"), "cfg.toml").unwrap();
    assert_eq!(c.report_currency, "HKD");
    let c = Config::parse(&format!("report_currency = \"USDT\"\n{OK}"), "cfg.toml").unwrap();
    assert_eq!(c.report_currency, "USDT");
    for bad in ["U", "US$", "ABCDEFGHIJK", ""] {
        assert_eq!(
            err(&format!("report_currency = \"{bad}\"\n{OK}")),
            format!(
                "cfg.toml:1: key `report_currency`: expected a currency code of 2 to 10 letters such as \"USD\", got \"{bad}\""
            ),
            "{bad}"
        );
    }
}

#[test]
fn webull_is_asked_for_the_report_currency_only_where_it_takes_it() {
    let asked = |text: &str| {
        let c = Config::parse(text, "cfg.toml").unwrap();
        wb(&c.accounts[0]).total_asset_currency.clone()
    };
    assert_eq!(
        asked(&format!("report_currency = \"CNH\"\n{WB}")).as_deref(),
        Some("CNH")
    );
    // EUR is not a documented total_asset_currency: the region's default stays.
    assert_eq!(asked(&format!("report_currency = \"EUR\"\n{WB}")), None);
    // The account's own choice wins.
    let own = format!("{WB}total_asset_currency = \"HKD\"\n");
    assert_eq!(asked(&own).as_deref(), Some("HKD"));
}

const BN: &str = r#"
[[account]]
name = "bn"
venue = "binance"
mode = "classic"
api_key = "k"
secret_key = "s"
"#;

#[test]
fn binance_account_and_bad_keys() {
    let c = Config::parse(BN, "cfg.toml")
        .and_then(Config::strict)
        .unwrap();
    assert_eq!(c.accounts[0].venue, baltui::venues::binance::KIND);
    assert_eq!(c.accounts[0].base_url, "https://api.binance.com");
    let e = err(&BN.replace("\"classic\"", "\"unified\""));
    assert!(
        e.contains("key `mode`: expected \"classic\" or \"portfolio_margin\", got \"unified\""),
        "{e}"
    );
    let e = err(&BN.replace("mode = \"classic\"\n", ""));
    assert!(e.contains("key `mode`: missing"), "{e}");
    let e = err(&format!("{BN}private_key = {{ file = \"/k.pem\" }}\n"));
    assert!(e.contains("not both"), "{e}");
    let e = err(&BN.replace("secret_key = \"s\"\n", ""));
    assert!(e.contains("key `secret_key`: missing"), "{e}");
    let e = err(&format!("{BN}wallets = [\"spot\", \"options\"]\n"));
    assert!(e.contains("key `wallets`: expected some of"), "{e}");
    let e = err(&format!(
        "{}wallets = [\"spot\"]\n",
        BN.replace("\"classic\"", "\"portfolio_margin\"")
    ));
    assert!(e.contains("key `wallets`: classic mode only"), "{e}");
    let e = err(&format!("{BN}recv_window = 70000\n"));
    assert!(
        e.contains("key `recv_window`: expected milliseconds"),
        "{e}"
    );
    let e = err(&format!("{BN}passphrase = \"x\"\n"));
    assert!(e.contains("key `passphrase`: not a binance setting"), "{e}");
}
