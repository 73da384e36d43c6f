//! Typed config: `config.toml` -> `Config`. Unknown keys are errors; every error
//! names the file, the line and the key. Secrets stay as sources until a client
//! is built (see secrets.rs).

use crate::health::Thresholds;
use crate::model::VenueKind;
use crate::secrets::SecretSource;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// Faster than this risks byte-identical signed requests in one second (LongPort 403202).
pub const MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(3600);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Config {
    /// Where it was read from (None: built in, e.g. the demo).
    pub path: Option<PathBuf>,
    pub accounts: Vec<AccountConfig>,
    pub thresholds: Thresholds,
    pub bell: bool,
    pub request_timeout: Duration,
    /// Problems worth telling the user before the screen opens.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct AccountConfig {
    pub name: String,
    pub venue: VenueKind,
    pub base_url: String,
    pub poll_interval: Duration,
    pub demo_trading: bool,
    pub currencies: Vec<String>,
    pub credentials: Credentials,
}

impl AccountConfig {
    /// Not real money: demo trading, or a server on this machine (the simulator).
    pub fn is_demo(&self) -> bool {
        self.demo_trading || is_loopback_url(&self.base_url)
    }
}

#[derive(Debug, Clone)]
pub enum Credentials {
    Okx {
        api_key: SecretSource,
        secret_key: SecretSource,
        passphrase: SecretSource,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    account: Vec<RawAccount>,
    #[serde(default)]
    thresholds: Thresholds,
    bell: Option<bool>,
    request_timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    name: Spanned<String>,
    venue: Spanned<VenueKind>,
    base_url: Option<Spanned<String>>,
    poll_interval: Option<Spanned<String>>,
    demo_trading: Option<Spanned<bool>>,
    currencies: Option<Spanned<Vec<String>>>,
    api_key: Option<Spanned<SecretSource>>,
    secret_key: Option<Spanned<SecretSource>>,
    passphrase: Option<Spanned<SecretSource>>,
}

/// `~/.config/baltui/config.toml` on Linux (per platform via `directories`).
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "baltui").map(|d| d.config_dir().join("config.toml"))
}

/// Parse "5s", "500ms", "2m", "1h", "1m30s".
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60)?),
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            _ => return None,
        };
        total = total.checked_add(unit)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

pub fn is_loopback_url(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The bare key assigned on a 1-based line, if the line is `key = ...`.
fn key_on_line(text: &str, line: usize) -> Option<&str> {
    let l = text.lines().nth(line.checked_sub(1)?)?;
    let (k, _) = l.split_once('=')?;
    let k = k.trim();
    (!k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    .then_some(k)
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<String>,
}

impl Ctx<'_> {
    fn err(
        &mut self,
        span: std::ops::Range<usize>,
        account: Option<&str>,
        key: &str,
        msg: impl AsRef<str>,
    ) {
        let line = line_of(self.text, span.start);
        let who = account
            .map(|a| format!("account \"{a}\": "))
            .unwrap_or_default();
        self.errors.push(format!(
            "{}:{line}: {who}key `{key}`: {}",
            self.file,
            msg.as_ref()
        ));
    }
}

impl Config {
    /// Read and validate a config file.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read config: {e}", path.display()))?;
        let mut cfg = Config::parse(&text, &path.display().to_string())?;
        cfg.path = Some(path.to_path_buf());
        if cfg.has_inline_secrets() && readable_by_others(path) {
            cfg.warnings.push(format!(
                "{}: holds secrets inline but other users can read it; run `chmod 600 {}`",
                path.display(),
                path.display()
            ));
        }
        Ok(cfg)
    }

    fn has_inline_secrets(&self) -> bool {
        self.accounts.iter().any(|a| match &a.credentials {
            Credentials::Okx {
                api_key,
                secret_key,
                passphrase,
            } => api_key.is_inline() || secret_key.is_inline() || passphrase.is_inline(),
        })
    }

    /// Parse config text; `file` names it in errors. All errors are reported at once.
    pub fn parse(text: &str, file: &str) -> Result<Config, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let Some(span) = e.span() else {
                return format!("{file}: {}", e.message());
            };
            let line = line_of(text, span.start);
            // Name the key when toml's message does not (e.g. a value of the wrong shape).
            let key = key_on_line(text, line).filter(|k| !e.message().contains(&format!("`{k}`")));
            match key {
                Some(k) => format!("{file}:{line}: key `{k}`: {}", e.message()),
                None => format!("{file}:{line}: {}", e.message()),
            }
        })?;
        let mut cx = Ctx {
            file,
            text,
            errors: Vec::new(),
        };
        let mut accounts = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for a in raw.account {
            if let Some(acc) = validate_account(&mut cx, a, &mut seen) {
                accounts.push(acc);
            }
        }
        let request_timeout = match raw.request_timeout {
            None => DEFAULT_TIMEOUT,
            Some(t) => match parse_duration(t.get_ref()) {
                Some(d) if d >= Duration::from_secs(1) && d <= Duration::from_secs(120) => d,
                _ => {
                    cx.err(
                        t.span(),
                        None,
                        "request_timeout",
                        "expected a duration from \"1s\" to \"120s\"",
                    );
                    DEFAULT_TIMEOUT
                }
            },
        };
        let t = &raw.thresholds;
        if t.margin_ratio_critical > t.margin_ratio_warn {
            cx.errors.push(format!(
                "{file}: [thresholds]: margin_ratio_critical ({}) must not be above margin_ratio_warn ({})",
                t.margin_ratio_critical, t.margin_ratio_warn
            ));
        }
        if !cx.errors.is_empty() {
            return Err(cx.errors.join("\n"));
        }
        Ok(Config {
            path: None,
            accounts,
            thresholds: raw.thresholds,
            bell: raw.bell.unwrap_or(true),
            request_timeout,
            warnings: Vec::new(),
        })
    }
}

fn validate_account(
    cx: &mut Ctx<'_>,
    a: RawAccount,
    seen: &mut Vec<String>,
) -> Option<AccountConfig> {
    let name = a.name.get_ref().trim().to_string();
    let venue = *a.venue.get_ref();
    let n = Some(name.as_str());
    let before = cx.errors.len();
    if name.is_empty() || name.chars().any(char::is_control) || name.chars().count() > 40 {
        cx.err(
            a.name.span(),
            None,
            "name",
            "expected 1 to 40 printable characters",
        );
    } else if seen.contains(&name) {
        cx.err(
            a.name.span(),
            n,
            "name",
            "another account already has this name; names must be unique",
        );
    }
    seen.push(name.clone());

    let base_url = match &a.base_url {
        None => match venue {
            VenueKind::Okx => crate::venues::okx::DEFAULT_BASE_URL.to_string(),
            _ => String::new(),
        },
        Some(u) => {
            let s = u.get_ref().trim().trim_end_matches('/').to_string();
            match reqwest::Url::parse(&s) {
                Ok(url) if url.scheme() == "https" => {}
                Ok(url) if url.scheme() == "http" && is_loopback_url(&s) => {}
                Ok(url) if url.scheme() == "http" => cx.err(
                    u.span(),
                    n,
                    "base_url",
                    "plain http is allowed only to this machine (127.0.0.1, localhost, [::1]); use https",
                ),
                Ok(_) => cx.err(u.span(), n, "base_url", "expected an https:// URL"),
                Err(e) => cx.err(u.span(), n, "base_url", format!("expected a URL ({e})")),
            }
            s
        }
    };

    let poll_interval = match &a.poll_interval {
        None => DEFAULT_POLL_INTERVAL,
        Some(p) => match parse_duration(p.get_ref()) {
            Some(d) if (MIN_POLL_INTERVAL..=MAX_POLL_INTERVAL).contains(&d) => d,
            Some(_) => {
                cx.err(
                    p.span(),
                    n,
                    "poll_interval",
                    "expected a duration from \"1s\" to \"1h\"",
                );
                DEFAULT_POLL_INTERVAL
            }
            None => {
                cx.err(
                    p.span(),
                    n,
                    "poll_interval",
                    "expected a duration such as \"5s\", \"500ms\" or \"1m\"",
                );
                DEFAULT_POLL_INTERVAL
            }
        },
    };

    let currencies = match &a.currencies {
        None => Vec::new(),
        Some(c) => {
            let list: Vec<String> = c
                .get_ref()
                .iter()
                .map(|s| s.trim().to_uppercase())
                .collect();
            if list.len() > 20 {
                cx.err(
                    c.span(),
                    n,
                    "currencies",
                    "at most 20 currencies (the venue's limit)",
                );
            }
            if let Some(bad) = list
                .iter()
                .find(|s| s.is_empty() || !s.chars().all(|ch| ch.is_ascii_alphanumeric()))
            {
                cx.err(
                    c.span(),
                    n,
                    "currencies",
                    format!("expected currency codes like \"BTC\", got {bad:?}"),
                );
            }
            list
        }
    };

    let demo_trading = a
        .demo_trading
        .as_ref()
        .map(|d| *d.get_ref())
        .unwrap_or(false);

    let credentials = match venue {
        VenueKind::Okx => {
            let mut need = |s: Option<Spanned<SecretSource>>, key: &str| match s {
                Some(s) => Some(s.into_inner()),
                None => {
                    cx.err(
                        a.name.span(),
                        n,
                        key,
                        "missing: OKX needs api_key, secret_key and passphrase",
                    );
                    None
                }
            };
            let api_key = need(a.api_key, "api_key");
            let secret_key = need(a.secret_key, "secret_key");
            let passphrase = need(a.passphrase, "passphrase");
            match (api_key, secret_key, passphrase) {
                (Some(api_key), Some(secret_key), Some(passphrase)) => Some(Credentials::Okx {
                    api_key,
                    secret_key,
                    passphrase,
                }),
                _ => None,
            }
        }
        other => {
            cx.err(
                a.venue.span(),
                n,
                "venue",
                format!(
                    "venue \"{}\" is not supported yet by this build (okx is)",
                    other.as_str()
                ),
            );
            None
        }
    };

    if cx.errors.len() > before {
        return None;
    }
    Some(AccountConfig {
        name,
        venue,
        base_url,
        poll_interval,
        demo_trading,
        currencies,
        credentials: credentials?,
    })
}

#[cfg(unix)]
fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o077 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn readable_by_others(_: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        for bad in ["", "5", "s", "5x", "-5s", "5.5s", "99999999999999999999h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn loopback() {
        assert!(is_loopback_url("http://127.0.0.1:8080"));
        assert!(is_loopback_url("http://localhost:1"));
        assert!(is_loopback_url("http://[::1]:1"));
        assert!(!is_loopback_url("http://10.0.0.1"));
        assert!(!is_loopback_url("https://www.okx.com"));
    }
}
