//! `baltui check [--online]`: is this config usable? Per account: venue, base URL,
//! where each secret comes from (never its value), poll interval and rate budget;
//! the config file's permissions and the log location; with `--online` one
//! signed request per account. Every problem says how to fix it.

use crate::config::{AccountConfig, Config};
use crate::model::VenueKind;
use crate::secrets::{Secret, SecretSource};
use crate::venues::settings::AccountSettings;
use crate::venues::{ErrorKind, VenueClient, VenueError};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

/// What `check` found: the text to print and how many problems.
#[derive(Debug, Clone)]
pub struct Checked {
    pub text: String,
    pub problems: usize,
}

impl Checked {
    pub fn exit_code(&self) -> i32 {
        i32::from(self.problems > 0)
    }
}

struct Out {
    text: String,
    problems: usize,
}

impl Out {
    fn line(&mut self, s: impl AsRef<str>) {
        self.text.push_str(s.as_ref());
        self.text.push('\n');
    }
    fn field(&mut self, name: &str, value: impl AsRef<str>) {
        let _ = writeln!(self.text, "  {name:<12} {}", value.as_ref());
    }
    fn problem(&mut self, s: impl AsRef<str>) {
        self.problems += 1;
        let _ = writeln!(self.text, "  PROBLEM      {}", s.as_ref());
    }
}

/// One secret of one account after trying to read it.
struct SecretCheck {
    key: &'static str,
    /// Ok: where it came from; Err: why it could not be read.
    result: Result<String, String>,
}

/// Read every secret of one account (blocking: files, commands). Returns the
/// checks and, when all were read, the account with its secrets resolved
/// inline (so building the client does not run a secret command twice).
fn read_secrets(acc: &AccountConfig) -> (Vec<SecretCheck>, Option<AccountConfig>) {
    let mut checks = Vec::new();
    let mut values: Vec<Secret> = Vec::new();
    for (key, src) in acc.secrets() {
        let result = match src.resolve_from() {
            Ok((secret, from))
                if secret.is_header_safe()
                    || acc
                        .settings
                        .as_ref()
                        .is_some_and(|s| !s.secret_in_header(key)) =>
            {
                values.push(secret);
                Ok(from)
            }
            Ok((_, from)) => Err(format!(
                "the value from {from} has characters an HTTP header cannot carry (a stray newline or control character?)"
            )),
            Err(e) => Err(e),
        };
        checks.push(SecretCheck { key, result });
    }
    if checks.iter().any(|c| c.result.is_err()) {
        return (checks, None);
    }
    let mut resolved = acc.clone();
    if let Some(inner) = &acc.settings {
        let values = acc
            .secrets()
            .into_iter()
            .map(|(k, _)| k)
            .zip(values)
            .map(|(k, v)| (k, SecretSource::Inline(v.expose().to_string())))
            .collect();
        resolved.settings = Some(std::sync::Arc::new(Resolved {
            inner: inner.clone(),
            values,
        }));
    }
    (checks, Some(resolved))
}

/// An account's settings with its secrets already read (so building the
/// client does not run a secret command twice).
#[derive(Debug)]
struct Resolved {
    inner: std::sync::Arc<dyn AccountSettings>,
    values: Vec<(&'static str, SecretSource)>,
}

impl AccountSettings for Resolved {
    fn default_base_url(&self) -> String {
        self.inner.default_base_url()
    }
    fn secrets(&self) -> Vec<(&'static str, &SecretSource)> {
        self.values.iter().map(|(k, v)| (*k, v)).collect()
    }
    fn build(
        &self,
        base_url: &str,
        http: reqwest::Client,
        secret: &mut dyn FnMut(&'static str, &SecretSource) -> Result<Secret, String>,
    ) -> Result<Box<dyn crate::venues::Account>, String> {
        let mut read = |key: &'static str, src: &SecretSource| match self
            .values
            .iter()
            .find(|(k, _)| *k == key)
        {
            Some((_, v)) => secret(key, v),
            None => secret(key, src),
        };
        self.inner.build(base_url, http, &mut read)
    }
    fn demo_trading(&self) -> bool {
        self.inner.demo_trading()
    }
    fn account_id(&self) -> Option<&str> {
        self.inner.account_id()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self.inner.as_any()
    }
}

/// The 1-based line of `key = ...` inside the `[[account]]` block named `name`.
pub fn key_line(text: &str, name: &str, key: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let starts: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[account]]"))
        .map(|(i, _)| i)
        .collect();
    let assigned = |l: &str, k: &str| -> Option<String> {
        let (lhs, rhs) = l.split_once('=')?;
        (lhs.trim() == k).then(|| rhs.trim().to_string())
    };
    for &start in &starts {
        let end = lines[start + 1..]
            .iter()
            .position(|l| l.trim_start().starts_with('['))
            .map_or(lines.len(), |p| start + 1 + p);
        let block = &lines[start + 1..end];
        let named = block.iter().any(|l| {
            assigned(l, "name").is_some_and(|v| {
                let v = v.split('#').next().unwrap_or("").trim();
                v.trim_matches(|c| c == '"' || c == '\'') == name
            })
        });
        if named {
            return block
                .iter()
                .position(|l| assigned(l, key).is_some())
                .map(|p| start + 2 + p);
        }
    }
    None
}

/// How to fix a secret that could not be read.
fn secret_fix(src: &SecretSource, key: &str, file: &str, line: Option<usize>) -> String {
    let at = match line {
        Some(l) => format!("{file}:{l}"),
        None => file.to_string(),
    };
    match src {
        SecretSource::Env { env } => format!("export {env}=... or change `{key}` in {at}"),
        SecretSource::EnvChain(vars) => format!(
            "export {}=... (or {}), or set `{key}` for this account in {at}",
            vars.first().map(String::as_str).unwrap_or("VAR"),
            vars.get(1..).unwrap_or_default().join(", ")
        ),
        SecretSource::File { file: f } => format!(
            "write the value to {} (chmod 600), or change `{key}` in {at}",
            f.display()
        ),
        SecretSource::Command { command } => format!(
            "check that `{}` runs without a terminal and prints the value, or change `{key}` in {at}",
            command.join(" ")
        ),
        SecretSource::Inline(_) => format!("put the value in `{key}` in {at}"),
    }
}

fn fmt_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// What to do about an authentication failure, per venue.
fn auth_hint(venue: VenueKind, code: &str) -> &'static str {
    crate::venues::registry::venue(venue)
        .map_or("check the account's credentials", |v| v.auth_hint(code))
}

/// One line for a failed online request: what happened and what to do.
fn describe_error(e: &VenueError, base_url: &str) -> String {
    match &e.kind {
        ErrorKind::Auth { code, message } => format!(
            "authentication failed (code {code}: {message}): {}",
            auth_hint(e.venue, code)
        ),
        ErrorKind::Network(_) | ErrorKind::Timeout => {
            format!("{e}: check base_url ({base_url}), the network and any proxy or firewall")
        }
        ErrorKind::Clock { .. } => format!("{e}: check this machine's clock (NTP)"),
        ErrorKind::RateLimited { .. } => {
            format!("{e}: another program may be using the same key; wait a minute and check again")
        }
        ErrorKind::Banned { .. } => {
            format!(
                "{e}: another program on this IP spent the venue's limit; nothing is sent until the ban ends"
            )
        }
        _ => e.to_string(),
    }
}

/// Budget line: "8 per 2s shared by 2 accounts (OKX publishes 10 per 2s; baltui uses 80%)".
fn budget_line(client: &VenueClient, sharing: usize, filtered: bool, margin: f64) -> String {
    let l = client.limit();
    let n = crate::venues::grants_per_window(l.requests, margin);
    let who = match (sharing, filtered) {
        (1, _) => "for this account alone".to_string(),
        (s, false) => format!("shared by {s} accounts"),
        (s, true) => format!("shared by {s} of the checked accounts"),
    };
    let mut s = format!(
        "{n} per {} {who} ({} publishes {} per {}; baltui uses {:.0}%)",
        fmt_duration(l.window),
        client.venue().label(),
        l.requests,
        fmt_duration(l.window),
        margin * 100.0
    );
    if !l.min_gap.is_zero() {
        let _ = write!(s, ", at least {} apart", fmt_duration(l.min_gap));
    }
    if client.needs_discovery() {
        s.push_str("; every account discovered under this app key shares it");
    }
    if let Some(basis) = client.budget_basis() {
        let _ = write!(s, "; keyed by {basis}");
    }
    s
}

/// Per budget key, how other baltui processes on this machine used it in the
/// last window (from the shared ledger), as a line for the report.
async fn ledger_usage(clients: &[VenueClient]) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    for c in clients {
        let Some(b) = c.budget() else { continue };
        let Some((ledger, rule)) = b.ledger() else {
            continue;
        };
        if out.contains_key(&b.key_label) {
            continue;
        }
        let u = ledger.usage(&b.key_label, rule.window).await;
        let mut line = if u.others == 0 {
            format!(
                "no other baltui process used it in the last {}",
                fmt_duration(rule.window)
            )
        } else {
            format!(
                "other baltui processes used {} of {} in the last {} (pid {})",
                u.others,
                rule.per_window,
                fmt_duration(rule.window),
                u.other_owners
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        if let Some(p) = u.paused_until_ms {
            let left = p - chrono::Utc::now().timestamp_millis();
            let _ = write!(
                line,
                "; paused {} ms more after a rate-limit reply",
                left.max(0)
            );
        }
        let _ = write!(line, " (ledger {})", ledger.dir().display());
        out.insert(b.key_label.clone(), line);
    }
    out
}

/// Check `cfg` (already filtered by `--account`; `filtered` says so).
pub async fn run(cfg: &Config, online: bool, filtered: bool) -> Checked {
    let mut out = Out {
        text: String::new(),
        problems: 0,
    };
    let file = cfg
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "the config file".into());
    let text = cfg
        .path
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();

    out.line(format!("config  {file}"));
    if let Some(p) = &cfg.path {
        check_permissions(&mut out, cfg, p);
    }
    match crate::logging::log_dir() {
        Some(d) => out.line(format!(
            "log     {}/baltui.<date>.log (daily files, the last 7 kept)",
            d.display()
        )),
        None => out.line("log     none: no state directory for this user (set BALTUI_LOG_DIR)"),
    }
    if let Err(e) = crate::keymap::Keymap::from_config(&cfg.keys) {
        out.problem(e);
    }
    if cfg.accounts.is_empty() {
        out.line("");
        out.problem(format!(
            "no [[account]] in {file}: add one (see config.example.toml)"
        ));
    }

    // Secrets: read on the blocking pool (files, commands may block).
    let accounts = cfg.accounts.clone();
    let read =
        tokio::task::spawn_blocking(move || accounts.iter().map(read_secrets).collect::<Vec<_>>())
            .await
            .unwrap_or_default();

    // Clients for the accounts whose secrets were all read, planned together.
    let http = crate::venues::http_client(cfg.request_timeout);
    let mut built: Vec<(usize, VenueClient)> = Vec::new();
    let mut build_errors: Vec<Option<String>> = vec![None; cfg.accounts.len()];
    for (i, (_, resolved)) in read.iter().enumerate() {
        if let Some(acc) = resolved {
            match crate::clients::client_for(acc, http.clone()) {
                Ok(c) => built.push((i, c)),
                Err(e) => build_errors[i] = Some(e),
            }
        }
    }
    let (idx, mut clients): (Vec<usize>, Vec<VenueClient>) = built.into_iter().unzip();
    // Online, OKX keys are asked who they belong to first, so the budget is
    // planned on the user id exactly as the monitor plans it.
    if online {
        crate::venues::identify_all(&mut clients, cfg.request_timeout).await;
    }
    let intervals: Vec<Duration> = idx.iter().map(|&i| cfg.accounts[i].poll_interval).collect();
    let plans = crate::poll::plan_with(&mut clients, &intervals, cfg.rate_margin);
    let keys: Vec<String> = clients.iter().map(|c| c.limit().key).collect();
    let usage = ledger_usage(&clients).await;

    // Online: one request per account, all at once (each waits for its budget).
    let results: Vec<Option<String>> = if online {
        futures::future::join_all(clients.iter().zip(&idx).map(|(c, &i)| {
            let acc = &cfg.accounts[i];
            async move { Some(online_one(c, acc).await) }
        }))
        .await
    } else {
        vec![None; clients.len()]
    };

    for (i, acc) in cfg.accounts.iter().enumerate() {
        out.line("");
        out.line(format!("account {}", acc.name));
        out.field("venue", acc.venue.label());
        let mut url = acc.base_url.clone();
        if crate::config::is_loopback_url(&url) {
            url.push_str(" (this machine: not real money)");
        } else if acc.demo_trading() {
            url.push_str(" (demo trading)");
        }
        out.field("base URL", url);
        for sc in &read[i].0 {
            match &sc.result {
                Ok(from) => out.field(sc.key, from),
                Err(e) => {
                    out.field(sc.key, "cannot be read");
                    let src = acc
                        .secrets()
                        .into_iter()
                        .find(|(k, _)| *k == sc.key)
                        .map(|(_, s)| s.clone());
                    let fix = src
                        .map(|s| secret_fix(&s, sc.key, &file, key_line(&text, &acc.name, sc.key)))
                        .unwrap_or_default();
                    out.problem(format!("{}: {e}; fix: {fix}", sc.key));
                }
            }
        }
        if let Some(e) = &build_errors[i] {
            out.problem(e);
        }
        let Some(pos) = idx.iter().position(|&j| j == i) else {
            out.field(
                "interval",
                format!(
                    "{} configured (budget unknown until the secrets can be read)",
                    fmt_duration(acc.poll_interval)
                ),
            );
            if online {
                out.field("online", "not tried: the secrets cannot be read");
            }
            continue;
        };
        let plan = &plans[pos];
        let interval = match &plan.note {
            None => format!(
                "{} configured, {} effective",
                fmt_duration(acc.poll_interval),
                fmt_duration(plan.interval)
            ),
            Some(note) => format!("{} configured; {note}", fmt_duration(acc.poll_interval)),
        };
        out.field("interval", interval);
        let sharing = keys.iter().filter(|k| **k == keys[pos]).count();
        out.field(
            "budget",
            budget_line(&clients[pos], sharing, filtered, cfg.rate_margin),
        );
        if let Some(u) = usage.get(&keys[pos]) {
            out.field("shared", u);
        }
        if let Some(Some(r)) = results.get(pos) {
            if let Some(problem) = r.strip_prefix("PROBLEM ") {
                out.field("online", "failed");
                out.problem(problem);
            } else {
                out.field("online", r);
            }
        }
    }

    out.line("");
    if out.problems == 0 {
        out.line(format!(
            "{} account{} checked{}: no problems",
            cfg.accounts.len(),
            if cfg.accounts.len() == 1 { "" } else { "s" },
            if online { " online" } else { "" }
        ));
    } else {
        out.line(format!(
            "{} problem{} found",
            out.problems,
            if out.problems == 1 { "" } else { "s" }
        ));
    }
    Checked {
        text: out.text,
        problems: out.problems,
    }
}

#[cfg(unix)]
fn mode_of(p: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode_of(_: &Path) -> Option<u32> {
    None
}

fn check_permissions(out: &mut Out, cfg: &Config, p: &Path) {
    let mode = mode_of(p)
        .map(|m| format!("mode {m:04o}"))
        .unwrap_or_default();
    let others = crate::config::readable_by_others(p);
    match (others, cfg.has_inline_secrets()) {
        (false, _) => out.line(format!("        {mode}: only the owner can read it")),
        (true, false) => out.line(format!(
            "        {mode}: others can read it, but it holds no secret inline"
        )),
        (true, true) => {
            out.line(format!("        {mode}: others can read it"));
            out.problem(format!(
                "{} holds secrets inline and other users can read it; fix: chmod 600 {}",
                p.display(),
                p.display()
            ));
        }
    }
}

/// One signed request; "OK in N ms ..." or "PROBLEM <what and how to fix>".
async fn online_one(c: &VenueClient, acc: &AccountConfig) -> String {
    let start = Instant::now();
    if c.needs_discovery() {
        return match c.discover().await {
            Ok(found) if found.is_empty() => format!(
                "PROBLEM account discovery found no account under this app key ({} ms): check that the app key is subscribed to an account, or set account_id",
                start.elapsed().as_millis()
            ),
            Ok(found) => format!(
                "OK in {} ms; {} account{} found: {}",
                start.elapsed().as_millis(),
                found.len(),
                if found.len() == 1 { "" } else { "s" },
                found
                    .iter()
                    .map(|f| format!("{}/{}", acc.name, f.label))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Err(e) => format!("PROBLEM {}", describe_error(&e, &acc.base_url)),
        };
    }
    let r = c.fetch().await;
    let ms = start.elapsed().as_millis();
    let clock = c.clock_note().map(|n| format!("; {n}")).unwrap_or_default();
    match r {
        Ok(s) => format!(
            "OK in {ms} ms ({} currenc{}){}{clock}",
            s.currencies.len(),
            if s.currencies.len() == 1 { "y" } else { "ies" },
            s.account_mode
                .as_deref()
                .map(|m| format!("; account mode: {m}"))
                .unwrap_or_default()
        ),
        Err(e) => format!("PROBLEM {}{clock}", describe_error(&e, &acc.base_url)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_line_of_a_key_in_its_account() {
        let text = "[[account]]\nname = \"a\"\napi_key = \"x\"\n\n[[account]]\nname = \"b\"\nvenue = \"okx\"\napi_key = { env = \"B\" }\n";
        assert_eq!(key_line(text, "a", "api_key"), Some(3));
        assert_eq!(key_line(text, "b", "api_key"), Some(8));
        assert_eq!(key_line(text, "b", "passphrase"), None);
        assert_eq!(key_line(text, "c", "api_key"), None);
    }
}
