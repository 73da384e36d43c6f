//! The shipped example parses; bad configs give messages naming file, line and key.

use baltui::config::{Config, Credentials};
use baltui::model::VenueKind;
use std::time::Duration;

fn err(text: &str) -> String {
    Config::parse(text, "cfg.toml").unwrap_err()
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
fn shipped_example_parses() {
    let text = include_str!("../config.example.toml");
    let c = Config::parse(text, "config.example.toml").unwrap();
    assert_eq!(c.accounts.len(), 1);
    let a = &c.accounts[0];
    assert_eq!(a.name, "okx-main");
    assert_eq!(a.venue, VenueKind::Okx);
    assert_eq!(a.base_url, "https://www.okx.com");
    assert_eq!(a.poll_interval, Duration::from_secs(5));
    assert_eq!(a.currencies, ["BTC", "USDT"]);
    assert!(!a.is_demo());
    assert!(
        matches!(&a.credentials, Credentials::Okx { api_key, .. } if api_key.describe() == "environment variable OKX_API_KEY")
    );
    assert_eq!(c.thresholds.margin_ratio_warn, "3".parse().unwrap());
    assert_eq!(c.request_timeout, Duration::from_secs(10));
    assert!(c.bell);
}

#[test]
fn defaults() {
    let c = Config::parse(OK, "cfg.toml").unwrap();
    assert_eq!(c.accounts[0].poll_interval, Duration::from_secs(5));
    assert_eq!(c.accounts[0].base_url, "https://www.okx.com");
    assert!(c.accounts[0].currencies.is_empty());
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
    let e = err("[[account]]\nname = \"a\"\nvenue = \"binance\"\n");
    assert!(
        e.starts_with("cfg.toml:3: key `venue`: unknown variant `binance`"),
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
