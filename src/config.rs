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
    /// `[keys]` as written; the front end builds its keymap from it
    /// (`keymap::from_config`), so the config knows no terminal.
    pub keys: KeyOverrides,
    /// `[alerts] command`, its timeout and the least severity that runs it.
    pub alert_command: Vec<String>,
    pub alert_timeout: Duration,
    pub alert_min: crate::health::Severity,
    /// Share of each venue's published rate limit baltui uses (default 0.8).
    pub rate_margin: f64,
    /// Problems worth telling the user before the screen opens.
    pub warnings: Vec<String>,
}

/// Config `[keys]`: action name -> keys, and the line of each action so an
/// error can name file:line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyOverrides {
    pub file: String,
    pub table: std::collections::BTreeMap<String, Vec<String>>,
    pub lines: std::collections::BTreeMap<String, usize>,
}

#[derive(Debug, Clone)]
pub struct AccountConfig {
    pub name: String,
    pub venue: VenueKind,
    pub base_url: String,
    pub poll_interval: Duration,
    pub demo_trading: bool,
    pub currencies: Vec<String>,
    /// OKX counts its limit per user ID: accounts whose different API keys belong
    /// to one user ID name the same group, and share one budget.
    pub rate_group: Option<String>,
    pub credentials: Credentials,
    /// Why this account cannot be polled as configured (its own settings are
    /// invalid): it shows CONFIG ERROR with this message and the others run.
    pub problem: Option<String>,
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
    Longport {
        app_key: SecretSource,
        app_secret: SecretSource,
        access_token: SecretSource,
        path: String,
        currency: Option<String>,
    },
    Webull {
        app_key: SecretSource,
        app_secret: SecretSource,
        access_token: Option<SecretSource>,
        region: crate::venues::webull::Region,
        /// None: discover the app key's accounts.
        account_id: Option<String>,
        total_asset_currency: Option<String>,
        algorithm: crate::venues::webull::sign::Algorithm,
    },
    /// The account's settings are invalid (`AccountConfig::problem` says
    /// why): it is shown with CONFIG ERROR and never polled.
    Invalid,
}

impl Credentials {
    pub fn sources(&self) -> Vec<(&'static str, &SecretSource)> {
        match self {
            Credentials::Okx {
                api_key,
                secret_key,
                passphrase,
            } => {
                vec![
                    ("api_key", api_key),
                    ("secret_key", secret_key),
                    ("passphrase", passphrase),
                ]
            }
            Credentials::Webull {
                app_key,
                app_secret,
                access_token,
                ..
            } => {
                let mut v = vec![("app_key", app_key), ("app_secret", app_secret)];
                if let Some(t) = access_token {
                    v.push(("access_token", t));
                }
                v
            }
            Credentials::Longport {
                app_key,
                app_secret,
                access_token,
                ..
            } => {
                vec![
                    ("app_key", app_key),
                    ("app_secret", app_secret),
                    ("access_token", access_token),
                ]
            }
            Credentials::Invalid => Vec::new(),
        }
    }
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
    /// Rebindings: action name -> keys.
    keys: Option<Spanned<std::collections::BTreeMap<String, Vec<String>>>>,
    alerts: Option<Spanned<crate::alerts::AlertConfig>>,
    rate_margin: Option<Spanned<f64>>,
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
    app_key: Option<Spanned<SecretSource>>,
    app_secret: Option<Spanned<SecretSource>>,
    access_token: Option<Spanned<SecretSource>>,
    region: Option<Spanned<String>>,
    currency: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    rate_group: Option<Spanned<String>>,
    account_id: Option<Spanned<String>>,
    total_asset_currency: Option<Spanned<String>>,
    signature_algorithm: Option<Spanned<String>>,
}

type Span = std::ops::Range<usize>;
/// A venue-specific key: its name, where it is (if present), the venues that use it.
type KeyUse = (&'static str, Option<Span>, &'static [VenueKind]);

impl RawAccount {
    /// Keys present that only another venue uses: (key, where).
    fn foreign_keys(&self, venue: VenueKind) -> Vec<(&'static str, std::ops::Range<usize>)> {
        let sp = |s: Option<Span>| s;
        // (key, where, the venues that use it)
        use VenueKind::{Longport as L, Okx as O, Webull as W};
        let all: [KeyUse; 15] = [
            (
                "demo_trading",
                sp(self.demo_trading.as_ref().map(Spanned::span)),
                &[O],
            ),
            (
                "currencies",
                sp(self.currencies.as_ref().map(Spanned::span)),
                &[O],
            ),
            (
                "api_key",
                sp(self.api_key.as_ref().map(Spanned::span)),
                &[O],
            ),
            (
                "secret_key",
                sp(self.secret_key.as_ref().map(Spanned::span)),
                &[O],
            ),
            (
                "passphrase",
                sp(self.passphrase.as_ref().map(Spanned::span)),
                &[O],
            ),
            (
                "rate_group",
                sp(self.rate_group.as_ref().map(Spanned::span)),
                &[O],
            ),
            (
                "app_key",
                sp(self.app_key.as_ref().map(Spanned::span)),
                &[L, W],
            ),
            (
                "app_secret",
                sp(self.app_secret.as_ref().map(Spanned::span)),
                &[L, W],
            ),
            (
                "access_token",
                sp(self.access_token.as_ref().map(Spanned::span)),
                &[L, W],
            ),
            (
                "region",
                sp(self.region.as_ref().map(Spanned::span)),
                &[L, W],
            ),
            (
                "currency",
                sp(self.currency.as_ref().map(Spanned::span)),
                &[L],
            ),
            ("path", sp(self.path.as_ref().map(Spanned::span)), &[L]),
            (
                "account_id",
                sp(self.account_id.as_ref().map(Spanned::span)),
                &[W],
            ),
            (
                "total_asset_currency",
                sp(self.total_asset_currency.as_ref().map(Spanned::span)),
                &[W],
            ),
            (
                "signature_algorithm",
                sp(self.signature_algorithm.as_ref().map(Spanned::span)),
                &[W],
            ),
        ];
        all.into_iter()
            .filter(|(_, _, used_by)| !used_by.contains(&venue))
            .filter_map(|(k, s, _)| s.map(|s| (k, s)))
            .collect()
    }
}

/// `~/.config/baltui/config.toml` on Linux (per platform via `directories`).
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "baltui").map(|d| d.config_dir().join("config.toml"))
}

/// Parse "5s", "500ms", "2m", "1h", "1m30s", "1.5s" (humantime's syntax; a
/// unit is required, no sign).
pub fn parse_duration(s: &str) -> Option<Duration> {
    humantime::parse_duration(s.trim()).ok()
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

    /// Environment variables that hold this config's secrets: an alert command
    /// must not inherit them.
    pub fn secret_env_vars(&self) -> Vec<String> {
        let mut vars: Vec<String> = self
            .accounts
            .iter()
            .flat_map(|a| a.credentials.sources().into_iter().map(|(_, s)| s.clone()))
            .flat_map(|s| match s {
                SecretSource::Env { env } => vec![env],
                SecretSource::EnvChain(vars) => vars,
                _ => Vec::new(),
            })
            .collect();
        vars.sort();
        vars.dedup();
        vars
    }

    pub fn has_inline_secrets(&self) -> bool {
        self.accounts
            .iter()
            .any(|a| a.credentials.sources().iter().any(|(_, s)| s.is_inline()))
    }

    /// Every account's own problems, as one error (tests and strict callers):
    /// `Err` when any account is a CONFIG ERROR.
    pub fn strict(self) -> Result<Config, String> {
        let problems: Vec<&str> = self
            .accounts
            .iter()
            .filter_map(|a| a.problem.as_deref())
            .collect();
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(problems.join("\n"))
        }
    }

    /// Parse config text; `file` names it in errors. All errors are reported
    /// at once. An account whose own settings are invalid is kept with its
    /// `problem` (shown as CONFIG ERROR); only errors that concern the whole
    /// file (TOML syntax, top-level settings) fail the parse.
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
        let keys = match &raw.keys {
            None => KeyOverrides::default(),
            Some(k) => {
                // The line of each `name = ...` inside the [keys] table.
                let from = line_of(text, k.span().start);
                let lines = k
                    .get_ref()
                    .keys()
                    .map(|name| {
                        let line = (from..=text.lines().count())
                            .find(|l| key_on_line(text, *l) == Some(name.as_str()))
                            .unwrap_or(from);
                        (name.clone(), line)
                    })
                    .collect();
                KeyOverrides {
                    file: file.to_string(),
                    table: k.get_ref().clone(),
                    lines,
                }
            }
        };
        let rate_margin = match &raw.rate_margin {
            None => crate::poll::SAFETY_MARGIN,
            Some(m) if (0.1..=1.0).contains(m.get_ref()) => *m.get_ref(),
            Some(m) => {
                cx.err(
                    m.span(),
                    None,
                    "rate_margin",
                    "expected a share of the published limit from 0.1 to 1.0, e.g. 0.8",
                );
                crate::poll::SAFETY_MARGIN
            }
        };
        let mut bell = raw.bell.unwrap_or(true);
        let (mut alert_command, mut alert_timeout, mut alert_min) = (
            Vec::new(),
            Duration::from_secs(10),
            crate::health::Severity::Warn,
        );
        if let Some(a) = &raw.alerts {
            let line = line_of(text, a.span().start);
            let cfg = a.get_ref();
            bell = cfg.bell.unwrap_or(bell);
            if cfg.command.first().is_some_and(|p| p.trim().is_empty()) {
                cx.errors.push(format!(
                    "{file}:{line}: [alerts]: key `command`: expected a program name first"
                ));
            }
            alert_command = cfg.command.clone();
            alert_min = cfg.min_severity.severity();
            match parse_duration(&cfg.timeout) {
                Some(d) if d >= Duration::from_secs(1) && d <= Duration::from_secs(300) => alert_timeout = d,
                _ => cx.errors.push(format!(
                    "{file}:{line}: [alerts]: key `timeout`: expected a duration from \"1s\" to \"5m\", got {:?}",
                    cfg.timeout
                )),
            }
        }
        if !cx.errors.is_empty() {
            return Err(cx.errors.join("\n"));
        }
        Ok(Config {
            path: None,
            accounts,
            thresholds: raw.thresholds,
            bell,
            request_timeout,
            keys,
            alert_command,
            alert_timeout,
            alert_min,
            rate_margin,
            warnings: Vec::new(),
        })
    }
}

/// SDK environment names for LongPort, newest first, as the official SDKs read them.
fn longport_env(suffix: &str) -> Vec<String> {
    vec![format!("LONGBRIDGE_{suffix}"), format!("LONGPORT_{suffix}")]
}

/// Check a base URL: https, or plain http to this machine only.
fn check_url(s: &str) -> Result<(), String> {
    match reqwest::Url::parse(s) {
        // It is logged and shown: credentials have their own keys.
        Ok(url) if !url.username().is_empty() || url.password().is_some() => Err(
            "credentials do not belong in a URL (it is logged and shown); use the key settings".into(),
        ),
        Ok(url) if !matches!(url.path(), "" | "/") || url.query().is_some() => Err(
            "expected only scheme, host and port, e.g. \"https://www.okx.com\" (requests are signed over the venue's own path)".into(),
        ),
        Ok(url) if url.scheme() == "https" => Ok(()),
        Ok(url) if url.scheme() == "http" && is_loopback_url(s) => Ok(()),
        Ok(url) if url.scheme() == "http" => Err(
            "plain http is allowed only to this machine (127.0.0.1, localhost, [::1]); use https"
                .into(),
        ),
        Ok(_) => Err("expected an https:// URL".into()),
        Err(e) => Err(format!("expected a URL ({e})")),
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
    // 1-based place in the file: the tab's name when its own is unusable.
    let index = seen.len() + 1;
    let name_ok = !(name.is_empty()
        || name.chars().any(char::is_control)
        || name.chars().count() > 40
        || seen.contains(&name));
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
    for (key, span) in a.foreign_keys(venue) {
        cx.err(
            span,
            n,
            key,
            format!("not a {} setting (see config.example.toml)", venue.as_str()),
        );
    }

    let base_url = match &a.base_url {
        Some(u) => {
            let s = u.get_ref().trim().trim_end_matches('/').to_string();
            match check_url(&s) {
                Ok(()) => s,
                Err(e) => {
                    cx.err(u.span(), n, "base_url", e);
                    // A refused URL is never kept: it may hold credentials,
                    // and the account is logged and shown.
                    String::new()
                }
            }
        }
        None => match venue {
            VenueKind::Okx => crate::venues::okx::DEFAULT_BASE_URL.to_string(),
            VenueKind::Longport => longport_base_url(cx, &a, n),
            VenueKind::Webull => match webull_region(cx, &a, n) {
                Some(r) => r.host().to_string(),
                None => {
                    if a.region.is_none() {
                        cx.err(
                            a.name.span(),
                            n,
                            "region",
                            "missing: Webull needs region (us, hk, jp, sg, au, uk, eu) or base_url",
                        );
                    }
                    String::new()
                }
            },
        },
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
    let rate_group = match &a.rate_group {
        Some(g) if g.get_ref().trim().is_empty() => {
            cx.err(g.span(), n, "rate_group", "expected a non-empty name");
            None
        }
        g => g.as_ref().map(|g| g.get_ref().trim().to_string()),
    };

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
        VenueKind::Longport => {
            // Left out: the SDK's environment variables, as an SDK user has them.
            let or_env = |s: Option<Spanned<SecretSource>>, suffix: &str| {
                s.map(Spanned::into_inner)
                    .unwrap_or_else(|| SecretSource::EnvChain(longport_env(suffix)))
            };
            let currency = match &a.currency {
                None => None,
                Some(c) => {
                    let v = c.get_ref().trim().to_uppercase();
                    if !crate::venues::longport::CURRENCIES.contains(&v.as_str()) {
                        cx.err(
                            c.span(),
                            n,
                            "currency",
                            format!("expected one of HKD, USD, CNH, got {v:?}"),
                        );
                    }
                    Some(v)
                }
            };
            let path = match &a.path {
                None => crate::venues::longport::PATH.to_string(),
                Some(p) => {
                    let v = p.get_ref().trim().to_string();
                    if !v.starts_with('/') || v.contains(['?', '#', ' ']) {
                        cx.err(
                            p.span(),
                            n,
                            "path",
                            format!(
                                "expected a path such as \"{}\" or \"{}\"",
                                crate::venues::longport::PATH,
                                crate::venues::longport::LEGACY_PATH
                            ),
                        );
                    }
                    v
                }
            };
            Some(Credentials::Longport {
                app_key: or_env(a.app_key, "APP_KEY"),
                app_secret: or_env(a.app_secret, "APP_SECRET"),
                access_token: or_env(a.access_token, "ACCESS_TOKEN"),
                path,
                currency,
            })
        }
        VenueKind::Webull => webull_credentials(cx, &a, n),
    };

    // This account's own problems: it stays in the list as a CONFIG ERROR,
    // the file and the other accounts load.
    let (name, credentials, problem) = if cx.errors.len() > before {
        let problem = cx.errors.drain(before..).collect::<Vec<_>>().join("\n");
        let name = if name_ok {
            name
        } else {
            format!("account {index}")
        };
        (name, Credentials::Invalid, Some(problem))
    } else {
        (name, credentials?, None)
    };
    Some(AccountConfig {
        name,
        venue,
        base_url,
        poll_interval,
        demo_trading,
        currencies,
        rate_group,
        credentials,
        problem,
    })
}

/// Webull's `region`, if given and valid (errors name the key).
fn webull_region(
    cx: &mut Ctx<'_>,
    a: &RawAccount,
    n: Option<&str>,
) -> Option<crate::venues::webull::Region> {
    let r = a.region.as_ref()?;
    let v = r.get_ref().trim().to_lowercase();
    let region = crate::venues::webull::Region::parse(&v);
    if region.is_none() {
        cx.err(
            r.span(),
            n,
            "region",
            format!("expected one of us, hk, jp, sg, au, uk, eu, got {v:?}"),
        );
    }
    region
}

fn webull_credentials(cx: &mut Ctx<'_>, a: &RawAccount, n: Option<&str>) -> Option<Credentials> {
    use crate::venues::webull::{Region, sign::Algorithm};
    // Without a region (a base_url alone), the budget is the strictest published one.
    let region = if a.region.is_some() {
        // An invalid region was reported with the base URL.
        a.region
            .as_ref()
            .and_then(|r| Region::parse(r.get_ref().trim().to_lowercase().as_str()))
    } else {
        Some(Region::Us)
    };
    let algorithm = match &a.signature_algorithm {
        None => Some(Algorithm::HmacSha256),
        Some(s) => {
            let alg = Algorithm::parse(s.get_ref().trim());
            if alg.is_none() {
                cx.err(
                    s.span(),
                    n,
                    "signature_algorithm",
                    format!(
                        "expected \"HMAC-SHA256\" or \"HMAC-SHA1\", got {:?}",
                        s.get_ref()
                    ),
                );
            }
            alg
        }
    };
    let account_id = a.account_id.as_ref().and_then(|id| {
        let v = id.get_ref().trim().to_string();
        if v.is_empty()
            || !v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            cx.err(
                id.span(),
                n,
                "account_id",
                format!("expected an account id like \"QJHO3P1PR9425Q6UAT7QLJTEKB\", got {v:?}"),
            );
            return None;
        }
        Some(v)
    });
    let total_asset_currency = a.total_asset_currency.as_ref().and_then(|c| {
        let v = c.get_ref().trim().to_uppercase();
        if v.len() != 3 || !v.chars().all(|ch| ch.is_ascii_alphabetic()) {
            cx.err(
                c.span(),
                n,
                "total_asset_currency",
                format!("expected a currency code such as \"HKD\", got {v:?}"),
            );
            return None;
        }
        Some(v)
    });
    let mut need = |s: &Option<Spanned<SecretSource>>, key: &str| match s {
        Some(s) => Some(s.get_ref().clone()),
        None => {
            cx.err(
                a.name.span(),
                n,
                key,
                "missing: Webull needs app_key and app_secret",
            );
            None
        }
    };
    let app_key = need(&a.app_key, "app_key");
    let app_secret = need(&a.app_secret, "app_secret");
    Some(Credentials::Webull {
        app_key: app_key?,
        app_secret: app_secret?,
        access_token: a.access_token.as_ref().map(|t| t.get_ref().clone()),
        region: region?,
        account_id,
        total_asset_currency,
        algorithm: algorithm?,
    })
}

/// LongPort's host when `base_url` is not given: the SDK's LONGBRIDGE_HTTP_URL /
/// LONGPORT_HTTP_URL if set, else by `region` ("cn" or "global", the default).
fn longport_base_url(cx: &mut Ctx<'_>, a: &RawAccount, n: Option<&str>) -> String {
    use crate::venues::longport::{CN_BASE_URL, DEFAULT_BASE_URL};
    if let Some(r) = &a.region {
        return match r.get_ref().trim() {
            "cn" => CN_BASE_URL.into(),
            "global" => DEFAULT_BASE_URL.into(),
            other => {
                cx.err(
                    r.span(),
                    n,
                    "region",
                    format!("expected \"global\" or \"cn\", got {other:?}"),
                );
                DEFAULT_BASE_URL.into()
            }
        };
    }
    for var in longport_env("HTTP_URL") {
        if let Ok(v) = std::env::var(&var)
            && !v.trim().is_empty()
        {
            let v = v.trim().trim_end_matches('/').to_string();
            if let Err(e) = check_url(&v) {
                cx.err(
                    a.name.span(),
                    n,
                    "base_url",
                    format!("from environment variable {var}: {e}"),
                );
            }
            return v;
        }
    }
    DEFAULT_BASE_URL.into()
}

/// True when users other than the owner may read (or write) the file.
#[cfg(unix)]
pub fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o077 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
pub fn readable_by_others(_: &Path) -> bool {
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
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration(" 1min "), Some(Duration::from_secs(60)));
        for bad in ["", "5", "s", "5x", "-5s", "99999999999999999999h"] {
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
