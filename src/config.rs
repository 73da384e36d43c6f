//! Typed config: `config.toml` -> `Config`. Unknown keys are errors; every error
//! names the file, the line and the key. Secrets stay as sources until a client
//! is built (see secrets.rs).

use crate::health::Thresholds;
use crate::model::VenueKind;
use crate::secrets::SecretSource;
use crate::venues::Venue;
use crate::venues::settings::{AccountKeys, AccountSettings};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use toml::Spanned;
use toml::de::DeValue;

/// Most venues' default and shortest poll interval (a venue may ask for
/// others: `Venue::poll_intervals`). Faster than 1 s risks byte-identical
/// signed requests in one second (LongPort 403202).
pub use crate::venues::api::{DEFAULT_POLL_INTERVAL, MIN_POLL_INTERVAL};
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(3600);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The currency totals across accounts are given in when none is configured.
pub const DEFAULT_REPORT_CURRENCY: &str = "USD";

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
    /// `[display]`: how amounts read on screen (the front end builds its
    /// format from it, `ui::format::Numbers::from_config`).
    pub display: DisplaySettings,
    /// The currency of the totals across accounts (`report_currency`,
    /// default USD): uppercase ASCII letters.
    pub report_currency: String,
    /// `[serve]`: where `baltui serve` listens, its token, and the service a
    /// monitor attaches to.
    pub serve: ServeSettings,
    /// `[history]`: the history store.
    pub history: HistorySettings,
    /// Problems worth telling the user before the screen opens.
    pub warnings: Vec<String>,
}

/// Where `baltui serve` listens by default (loopback: no token needed).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9477";
/// How long the history store keeps rows by default.
pub const DEFAULT_KEEP: Duration = Duration::from_secs(90 * 86_400);
/// Longest a quiet account goes without a stored row (so a chart can tell a
/// steady account from a recorder that was not running).
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(300);

/// Config `[serve]`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeSettings {
    /// `listen = "127.0.0.1:9477"`.
    pub listen: std::net::SocketAddr,
    /// `token = { env = "..." }` (any secret source): the bearer token the
    /// service requires, and a monitor that attaches sends.
    pub token: Option<SecretSource>,
    /// `connect = "http://127.0.0.1:9477"`: plain `baltui` attaches to this
    /// service instead of polling. http only to loopback.
    pub connect: Option<String>,
}

impl Default for ServeSettings {
    fn default() -> Self {
        ServeSettings {
            listen: DEFAULT_LISTEN
                .parse()
                .unwrap_or(std::net::SocketAddr::from(([127, 0, 0, 1], 9477))),
            token: None,
            connect: None,
        }
    }
}

/// Config `[history]`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct HistorySettings {
    /// `enabled = false` keeps no history (default true).
    pub enabled: bool,
    /// `path = "..."`: the SQLite file (default `history.sqlite3` in the
    /// platform data dir, or `$BALTUI_DATA_DIR`).
    pub path: Option<PathBuf>,
    /// `keep = "90d"`: rows older than this are pruned.
    pub keep: Duration,
    /// `heartbeat = "5m"`: a quiet account still gets a row this often.
    pub heartbeat: Duration,
}

impl Default for HistorySettings {
    fn default() -> Self {
        HistorySettings {
            enabled: true,
            path: None,
            keep: DEFAULT_KEEP,
            heartbeat: DEFAULT_HEARTBEAT,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServe {
    listen: Option<String>,
    token: Option<SecretSource>,
    connect: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHistory {
    enabled: Option<bool>,
    path: Option<PathBuf>,
    keep: Option<String>,
    heartbeat: Option<String>,
}

/// Config `[display]`, checked: the digit-group separator (None: no grouping)
/// and places per currency (keys upper case). Display only: exports stay exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplaySettings {
    pub group_separator: Option<char>,
    pub precision: std::collections::BTreeMap<String, u32>,
}

impl Default for DisplaySettings {
    fn default() -> Self {
        DisplaySettings {
            group_separator: Some(','),
            precision: std::collections::BTreeMap::new(),
        }
    }
}

/// Separators `group_separator` accepts, by their config text. Not '.': it
/// is the decimal mark the columns align on.
pub const GROUP_SEPARATORS: [(&str, Option<char>); 6] = [
    (",", Some(',')),
    ("'", Some('\'')),
    ("_", Some('_')),
    (" ", Some(' ')),
    ("\u{2009}", Some('\u{2009}')),
    ("none", None),
];

/// The most decimal places `[display.precision]` accepts.
pub const MAX_PLACES: u32 = 18;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDisplay {
    group_separator: Option<Spanned<String>>,
    precision: Option<std::collections::BTreeMap<String, Spanned<i64>>>,
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
    /// The venue's own settings (its keys, secrets and defaults); None when
    /// they are invalid (`problem` says why).
    pub settings: Option<Arc<dyn AccountSettings>>,
    /// Why this account cannot be polled as configured (its own settings are
    /// invalid): it shows CONFIG ERROR with this message and the others run.
    pub problem: Option<String>,
    /// Where it is written, "FILE:LINE" of its `name`: what to fix after an
    /// authentication failure.
    pub source: Option<String>,
}

impl AccountConfig {
    /// Not real money: demo trading, or a server on this machine (the simulator).
    pub fn is_demo(&self) -> bool {
        self.demo_trading() || is_loopback_url(&self.base_url)
    }

    /// The venue's demo trading setting.
    pub fn demo_trading(&self) -> bool {
        self.settings.as_ref().is_some_and(|s| s.demo_trading())
    }

    /// Where each secret comes from, by key.
    pub fn secrets(&self) -> Vec<(&'static str, &SecretSource)> {
        self.settings
            .as_ref()
            .map(|s| s.secrets())
            .unwrap_or_default()
    }

    /// The venue account id when configured (None: to be discovered).
    pub fn account_id(&self) -> Option<&str> {
        self.settings.as_ref().and_then(|s| s.account_id())
    }

    /// The venue's settings as its own type (e.g. `okx::config::OkxConfig`).
    pub fn settings_as<T: 'static>(&self) -> Option<&T> {
        self.settings.as_ref()?.as_any().downcast_ref::<T>()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    thresholds: Thresholds,
    bell: Option<bool>,
    request_timeout: Option<Spanned<String>>,
    /// Read again with spans, key by key (`account_tables`): this pass
    /// only checks it is a list of tables.
    #[allow(dead_code)]
    #[serde(default)]
    account: Vec<serde::de::IgnoredAny>,
    /// Rebindings: action name -> keys.
    keys: Option<Spanned<std::collections::BTreeMap<String, Vec<String>>>>,
    alerts: Option<Spanned<crate::alerts::AlertConfig>>,
    rate_margin: Option<Spanned<f64>>,
    display: Option<RawDisplay>,
    report_currency: Option<Spanned<String>>,
    serve: Option<Spanned<RawServe>>,
    history: Option<Spanned<RawHistory>>,
}

/// The keys every account has; the venue reads the rest.
const COMMON_KEYS: [&str; 4] = ["name", "venue", "base_url", "poll_interval"];

/// One `[[account]]` table, read key by key so each value keeps its place.
struct RawAccount<'a> {
    name: Spanned<String>,
    venue: Spanned<&'static dyn Venue>,
    base_url: Option<Spanned<String>>,
    poll_interval: Option<Spanned<String>>,
    /// Every other key known to some venue (an unknown key fails the file).
    rest: Vec<(String, Spanned<DeValue<'a>>)>,
}

use std::ops::Range;

/// `~/.config/baltui/config.toml` on Linux (per platform via `directories`).
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "baltui").map(|d| d.config_dir().join("config.toml"))
}

/// Parse "5s", "500ms", "2m", "1h", "1m30s", "1.5s" (humantime's syntax; a
/// unit is required, no sign).
pub fn parse_duration(s: &str) -> Option<Duration> {
    humantime::parse_duration(s.trim()).ok()
}

pub use crate::venues::settings::{check_url, is_loopback_url};

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
            .flat_map(|a| a.secrets().into_iter().map(|(_, s)| s.clone()))
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
            .any(|a| a.secrets().iter().any(|(_, s)| s.is_inline()))
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
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| toml_error(text, file, e.span(), e.message()))?;
        let tables = account_tables(text, file)?;
        let mut cx = Ctx {
            file,
            text,
            errors: Vec::new(),
        };
        let mut accounts = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for a in tables {
            if let Some(acc) = validate_account(&mut cx, a, &mut seen)? {
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
        // Rates where higher is worse: critical must not be below warn.
        for (name, warn, critical) in [
            (
                "maintenance_rate",
                t.maintenance_rate_warn,
                t.maintenance_rate_critical,
            ),
            ("initial_rate", t.initial_rate_warn, t.initial_rate_critical),
        ] {
            if critical < warn {
                cx.errors.push(format!(
                    "{file}: [thresholds]: {name}_critical ({critical}) must not be below {name}_warn ({warn})"
                ));
            }
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
        let display = display_settings(&mut cx, raw.display.as_ref());
        let report_currency = match &raw.report_currency {
            None => DEFAULT_REPORT_CURRENCY.to_string(),
            Some(c) => match report_currency(c.get_ref()) {
                Some(code) => code,
                None => {
                    cx.err(
                        c.span(),
                        None,
                        "report_currency",
                        format!(
                            "expected a currency code of 2 to 10 letters such as \"USD\", got {:?}",
                            c.get_ref()
                        ),
                    );
                    DEFAULT_REPORT_CURRENCY.to_string()
                }
            },
        };
        // Venues that can give an account's totals in the report currency are
        // asked to, unless the account names its own currency.
        for a in &mut accounts {
            if let Some(s) = a
                .settings
                .as_ref()
                .and_then(|s| s.prefer_currency(&report_currency))
            {
                a.settings = Some(s);
            }
        }
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
        let serve = serve_settings(&mut cx, raw.serve.as_ref());
        let history = history_settings(&mut cx, raw.history.as_ref());
        if !cx.errors.is_empty() {
            return Err(cx.errors.join("\n"));
        }
        Ok(Config {
            serve,
            history,
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
            display,
            report_currency,
            warnings: Vec::new(),
        })
    }
}

/// `[serve]` checked; a bad value is reported.
fn serve_settings(cx: &mut Ctx<'_>, raw: Option<&Spanned<RawServe>>) -> ServeSettings {
    let mut out = ServeSettings::default();
    let Some(raw) = raw else {
        return out;
    };
    let (file, line) = (cx.file, line_of(cx.text, raw.span().start));
    let r = raw.get_ref();
    if let Some(l) = &r.listen {
        match l.trim().parse::<std::net::SocketAddr>() {
            Ok(a) => out.listen = a,
            Err(_) => cx.errors.push(format!(
                "{file}:{line}: [serve]: key `listen`: expected an address and port such as \"127.0.0.1:9477\", got {l:?}"
            )),
        }
    }
    out.token = r.token.clone();
    if let Some(c) = &r.connect {
        let c = c.trim().trim_end_matches('/');
        match check_url(c) {
            Ok(()) => out.connect = Some(c.to_string()),
            Err(e) => cx
                .errors
                .push(format!("{file}:{line}: [serve]: key `connect`: {e}")),
        }
    }
    out
}

/// `[history]` checked; a bad value is reported.
fn history_settings(cx: &mut Ctx<'_>, raw: Option<&Spanned<RawHistory>>) -> HistorySettings {
    let mut out = HistorySettings::default();
    let Some(raw) = raw else {
        return out;
    };
    let (file, line) = (cx.file, line_of(cx.text, raw.span().start));
    let r = raw.get_ref();
    out.enabled = r.enabled.unwrap_or(true);
    out.path = r.path.clone();
    let mut duration = |key: &str, v: &Option<String>, min: Duration, max: Duration, hint: &str| {
        let v = v.as_ref()?;
        match parse_duration(v) {
            Some(d) if d >= min && d <= max => Some(d),
            _ => {
                cx.errors.push(format!(
                    "{file}:{line}: [history]: key `{key}`: expected a duration {hint}, got {v:?}"
                ));
                None
            }
        }
    };
    if let Some(d) = duration(
        "keep",
        &r.keep,
        Duration::from_secs(3600),
        Duration::from_secs(3650 * 86_400),
        "from \"1h\" to \"3650d\", e.g. \"90d\"",
    ) {
        out.keep = d;
    }
    if let Some(d) = duration(
        "heartbeat",
        &r.heartbeat,
        Duration::from_secs(10),
        Duration::from_secs(3600),
        "from \"10s\" to \"1h\"",
    ) {
        out.heartbeat = d;
    }
    out
}

/// `[display]` checked; a bad value is reported and its default kept.
fn display_settings(cx: &mut Ctx<'_>, raw: Option<&RawDisplay>) -> DisplaySettings {
    let mut out = DisplaySettings::default();
    let Some(raw) = raw else {
        return out;
    };
    if let Some(sep) = &raw.group_separator {
        match GROUP_SEPARATORS.iter().find(|(t, _)| t == sep.get_ref()) {
            Some((_, c)) => out.group_separator = *c,
            None => {
                let line = line_of(cx.text, sep.span().start);
                cx.errors.push(format!(
                    "{}:{line}: [display]: key `group_separator`: expected \",\", \"'\", \"_\", \" \", \"\\u2009\" (thin space) or \"none\", got {:?}{}",
                    cx.file,
                    sep.get_ref(),
                    if sep.get_ref() == "." { " (the point is the decimal mark)" } else { "" }
                ));
            }
        }
    }
    for (ccy, places) in raw.precision.iter().flatten() {
        let line = line_of(cx.text, places.span().start);
        let code_ok =
            !ccy.is_empty() && ccy.len() <= 16 && ccy.chars().all(|c| c.is_ascii_alphanumeric());
        if !code_ok {
            cx.errors.push(format!(
                "{}:{line}: [display.precision]: key `{ccy}`: expected a currency code (letters and digits, e.g. BTC)",
                cx.file
            ));
            continue;
        }
        match u32::try_from(*places.get_ref()) {
            Ok(p) if p <= MAX_PLACES => {
                out.precision.insert(ccy.to_ascii_uppercase(), p);
            }
            _ => cx.errors.push(format!(
                "{}:{line}: [display.precision]: key `{ccy}`: expected a number of decimal places from 0 to {MAX_PLACES}, got {}",
                cx.file,
                places.get_ref()
            )),
        }
    }
    out
}

/// A currency code as given (trimmed, uppercased): 2 to 10 ASCII letters
/// (crypto codes are longer than ISO's three); None otherwise.
pub fn report_currency(s: &str) -> Option<String> {
    let s = s.trim();
    ((2..=10).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| s.to_ascii_uppercase())
}

/// A TOML-level error as `file:line: key `k`: message` (the key named when
/// toml's message does not, e.g. a value of the wrong shape).
fn toml_error(text: &str, file: &str, span: Option<Range<usize>>, message: &str) -> String {
    let Some(span) = span else {
        return format!("{file}: {message}");
    };
    let line = line_of(text, span.start);
    let key = key_on_line(text, line).filter(|k| !message.contains(&format!("`{k}`")));
    match key {
        Some(k) => format!("{file}:{line}: key `{k}`: {message}"),
        None => format!("{file}:{line}: {message}"),
    }
}

/// serde's wording for a list of names: "`a`, `b`" / "`a` or `b`".
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

/// The `[[account]]` tables with every value's place. Their common keys are
/// read here (a wrong shape, an unknown key or venue fails the file, as any
/// TOML error does); the venue reads the rest.
fn account_tables<'a>(text: &'a str, file: &str) -> Result<Vec<RawAccount<'a>>, String> {
    let fail = |span: Option<Range<usize>>, msg: &str| toml_error(text, file, span, msg);
    let doc = toml::de::DeTable::parse(text).map_err(|e| fail(e.span(), e.message()))?;
    let Some(list) = doc.get_ref().get("account") else {
        return Ok(Vec::new());
    };
    let Some(items) = list.get_ref().as_array() else {
        return Err(fail(
            Some(list.span()),
            "key `account`: expected [[account]] tables",
        ));
    };
    let ids: Vec<&str> = crate::venues::registry::venues()
        .map(|v| v.venue().as_str())
        .collect();
    let mut all_keys: Vec<&str> = COMMON_KEYS.to_vec();
    for v in crate::venues::registry::venues() {
        for k in v.keys() {
            if !all_keys.contains(k) {
                all_keys.push(k);
            }
        }
    }
    let mut out = Vec::new();
    for item in items.iter() {
        let table_span = item.span();
        let Some(table) = item.get_ref().as_table() else {
            return Err(fail(Some(table_span), "expected an [[account]] table"));
        };
        let mut name = None;
        let mut venue = None;
        let mut base_url = None;
        let mut poll_interval = None;
        let mut rest = Vec::new();
        for (k, v) in table.iter() {
            let key: &str = k.get_ref();
            let string = || {
                Spanned::<String>::deserialize(toml::de::ValueDeserializer::from(v.clone()))
                    .map_err(|e| fail(e.span().or(Some(v.span())), e.message()))
            };
            match key {
                "name" => name = Some(string()?),
                "base_url" => base_url = Some(string()?),
                "poll_interval" => poll_interval = Some(string()?),
                "venue" => {
                    let id = string()?;
                    let Some(found) = crate::venues::registry::by_id(id.get_ref()) else {
                        return Err(fail(
                            Some(id.span()),
                            &format!(
                                "unknown variant `{}`, expected {}",
                                id.get_ref(),
                                one_of(&ids)
                            ),
                        ));
                    };
                    venue = Some(Spanned::new(id.span(), found));
                }
                k if all_keys.contains(&k) => {
                    rest.push((k.to_string(), v.clone()));
                }
                k => {
                    return Err(fail(
                        Some(v.span()),
                        &format!("unknown field `{k}`, expected {}", one_of(&all_keys)),
                    ));
                }
            }
        }
        let missing = |f: &str| fail(Some(table_span.clone()), &format!("missing field `{f}`"));
        out.push(RawAccount {
            name: name.ok_or_else(|| missing("name"))?,
            venue: venue.ok_or_else(|| missing("venue"))?,
            base_url,
            poll_interval,
            rest,
        });
    }
    Ok(out)
}

/// An account's settings, or None to drop it; Err: a TOML-level error that
/// fails the file.
fn validate_account(
    cx: &mut Ctx<'_>,
    a: RawAccount<'_>,
    seen: &mut Vec<String>,
) -> Result<Option<AccountConfig>, String> {
    let name = a.name.get_ref().trim().to_string();
    let venue_def = *a.venue.get_ref();
    let venue = venue_def.venue();
    let n = Some(name.as_str());
    let before = cx.errors.len();
    let source = Some(format!(
        "{}:{}",
        cx.file,
        line_of(cx.text, a.name.span().start)
    ));
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
    let own = venue_def.keys();
    let mut entries = Vec::new();
    for (key, value) in a.rest {
        if own.contains(&key.as_str()) {
            entries.push((key, value));
        } else {
            cx.err(
                value.span(),
                n,
                &key,
                format!("not a {} setting (see config.example.toml)", venue.as_str()),
            );
        }
    }

    let given_url = a.base_url.as_ref().map(|u| {
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
    });

    let (default_interval, min_interval) = venue_def.poll_intervals();
    let poll_interval = match &a.poll_interval {
        None => default_interval,
        Some(p) => match parse_duration(p.get_ref()) {
            Some(d) if (min_interval..=MAX_POLL_INTERVAL).contains(&d) => d,
            Some(_) => {
                cx.err(
                    p.span(),
                    n,
                    "poll_interval",
                    format!(
                        "expected a duration from \"{}\" to \"1h\" for {}",
                        humantime::format_duration(min_interval),
                        venue.label()
                    ),
                );
                default_interval
            }
            None => {
                cx.err(
                    p.span(),
                    n,
                    "poll_interval",
                    "expected a duration such as \"5s\", \"500ms\" or \"1m\"",
                );
                default_interval
            }
        },
    };

    let mut keys = AccountKeys::new(venue.as_str(), entries, a.name.span(), given_url.is_some());
    let settings = venue_def.parse_settings(&mut keys);
    let (fatal, problems) = keys.finish();
    if let Some((span, msg)) = fatal {
        return Err(toml_error(cx.text, cx.file, Some(span), &msg));
    }
    for (span, key, msg) in problems {
        cx.err(span, n, &key, msg);
    }
    let base_url = match (given_url, &settings) {
        (Some(u), _) => u,
        (None, Some(s)) => s.default_base_url(),
        (None, None) => String::new(),
    };

    // This account's own problems: it stays in the list as a CONFIG ERROR,
    // the file and the other accounts load.
    if cx.errors.len() > before {
        let problem = cx.errors.drain(before..).collect::<Vec<_>>().join("\n");
        let name = if name_ok {
            name
        } else {
            format!("account {index}")
        };
        return Ok(Some(AccountConfig {
            name,
            venue,
            base_url,
            poll_interval,
            settings: None,
            problem: Some(problem),
            source,
        }));
    }
    let Some(settings) = settings else {
        return Ok(None);
    };
    Ok(Some(AccountConfig {
        name,
        venue,
        base_url,
        poll_interval,
        settings: Some(settings),
        problem: None,
        source,
    }))
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
