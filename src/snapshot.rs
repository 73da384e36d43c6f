//! `baltui snapshot`: poll every account once and print a table, JSON, CSV or
//! Prometheus text (node_exporter textfile format). Exit codes: 0 all fine, 1 any warning, 2 any critical finding, 3 any account
//! could not be fetched.

use crate::app::Status;
use crate::config::Config;
use crate::health::{self, Finding, Severity};
use crate::model::{CurrencyBalance, Risk, Snapshot, Totals, VenueKind, View};
use crate::venues::{ErrorClass, VenueError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Debug, Serialize)]
pub struct Report {
    pub generated_at: DateTime<Utc>,
    pub worst: Severity,
    pub accounts: Vec<AccountReport>,
}

#[derive(Debug, Serialize)]
pub struct AccountReport {
    pub name: String,
    pub venue: VenueKind,
    pub status: Status,
    pub error: Option<String>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub venue_time: Option<DateTime<Utc>>,
    /// The venue's account mode in its own words (OKX: "Futures mode").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_mode: Option<String>,
    pub totals: Option<Totals>,
    pub risk: Option<Risk>,
    /// The same account in its other account currencies (LongPort), each with
    /// its totals and risk; `totals`/`risk` above are the primary view.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_views: Vec<View>,
    pub currencies: Vec<CurrencyBalance>,
    pub findings: Vec<Finding>,
}

impl AccountReport {
    pub fn new(
        name: &str,
        venue: VenueKind,
        result: Result<Snapshot, VenueError>,
        cfg: &Config,
    ) -> Self {
        match result {
            Ok(s) => AccountReport {
                name: name.into(),
                venue,
                status: Status::Ok,
                error: None,
                fetched_at: Some(s.fetched_at),
                venue_time: s.venue_time,
                findings: health::evaluate(&s, &cfg.thresholds),
                account_mode: s.account_mode,
                totals: Some(s.totals),
                risk: Some(s.risk),
                other_views: s.other_views,
                currencies: s.currencies,
            },
            Err(e) => {
                let (status, severity) = match e.class() {
                    ErrorClass::Auth => (Status::AuthFailed, Severity::Critical),
                    ErrorClass::RateLimited => (Status::RateLimited, Severity::Warn),
                    ErrorClass::Transient => (Status::Error, Severity::Warn),
                };
                let msg = format!("account \"{name}\": {e}");
                AccountReport {
                    name: name.into(),
                    venue,
                    status,
                    findings: vec![Finding {
                        severity,
                        subject: "fetch".into(),
                        message: msg.clone(),
                    }],
                    error: Some(msg),
                    fetched_at: None,
                    venue_time: None,
                    account_mode: None,
                    totals: None,
                    risk: None,
                    other_views: Vec::new(),
                    currencies: Vec::new(),
                }
            }
        }
    }
}

impl Report {
    pub fn new(accounts: Vec<AccountReport>) -> Self {
        let worst = accounts
            .iter()
            .flat_map(|a| a.findings.iter().map(|f| f.severity))
            .max()
            .unwrap_or(Severity::Ok);
        Report {
            generated_at: Utc::now(),
            worst,
            accounts,
        }
    }

    pub fn exit_code(&self) -> i32 {
        if self.accounts.iter().any(|a| a.status != Status::Ok) {
            3
        } else {
            match self.worst {
                Severity::Critical => 2,
                Severity::Warn => 1,
                _ => 0,
            }
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub fn to_table(&self) -> String {
        let dash =
            |v: &Option<rust_decimal::Decimal>| v.map_or("—".to_string(), |d| d.to_string());
        let mut out = String::new();
        for a in &self.accounts {
            let _ = writeln!(
                out,
                "{} ({}) — {}",
                a.name,
                a.venue.label(),
                a.status.label()
            );
            if let Some(e) = &a.error {
                let _ = writeln!(out, "  error: {e}");
            }
            if let Some(t) = &a.totals {
                let cur = t
                    .currency
                    .as_deref()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  net assets: {}{cur}   total cash: {}",
                    dash(&t.net_assets),
                    dash(&t.total_cash)
                );
            }
            if let Some(r) = &a.risk {
                let ratio = r.margin_ratio.map_or("—".into(), health::percent);
                let _ = writeln!(
                    out,
                    "  margin ratio: {ratio}   initial margin: {}   maintenance margin: {}",
                    dash(&r.initial_margin),
                    dash(&r.maintenance_margin)
                );
                // Venue risk, where the venue reports it.
                let mut extra = Vec::new();
                if let Some(l) = r.level {
                    extra.push(format!("risk level: {} {}", l as u8, health::level_word(l)));
                }
                if let Some(mc) = r.margin_call {
                    extra.push(format!("margin call: {mc}"));
                }
                if let Some(u) = r.utilization {
                    extra.push(format!("margin utilization: {}", health::percent(u)));
                }
                if !extra.is_empty() {
                    let _ = writeln!(out, "  {}", extra.join("   "));
                }
            }
            if !a.currencies.is_empty() {
                let header = [
                    "CURRENCY",
                    "CASH",
                    "AVAILABLE",
                    "FROZEN",
                    "SETTLING",
                    "WITHDRAWABLE",
                    "EQUITY",
                ];
                let rows: Vec<[String; 7]> = a
                    .currencies
                    .iter()
                    .map(|c| {
                        [
                            c.currency.clone(),
                            dash(&c.cash),
                            dash(&c.available),
                            dash(&c.frozen),
                            dash(&c.settling),
                            dash(&c.withdrawable),
                            dash(&c.equity),
                        ]
                    })
                    .collect();
                let width = |i: usize| {
                    rows.iter()
                        .map(|r| r[i].chars().count())
                        .chain([header[i].len()])
                        .max()
                        .unwrap_or(0)
                };
                let widths: Vec<usize> = (0..7).map(width).collect();
                let mut line = |cells: &[String]| {
                    let mut l = String::from(" ");
                    for (i, c) in cells.iter().enumerate() {
                        let pad = widths[i].saturating_sub(c.chars().count());
                        if i == 0 {
                            let _ = write!(l, " {c}{}", " ".repeat(pad));
                        } else {
                            let _ = write!(l, "  {}{c}", " ".repeat(pad));
                        }
                    }
                    let _ = writeln!(out, "{}", l.trim_end());
                };
                line(&header.map(String::from));
                for r in &rows {
                    line(r);
                }
            }
            for f in &a.findings {
                let _ = writeln!(
                    out,
                    "  {} {}: {}",
                    f.severity.symbol(),
                    f.severity.word(),
                    f.message
                );
            }
            out.push('\n');
        }
        let _ = writeln!(out, "worst: {}", self.worst.as_str());
        out
    }
}

/// Poll each account once (through its budget) and report.
pub async fn run(cfg: &Config) -> Result<Report, String> {
    let mut clients = crate::venues::clients_for(&cfg.accounts, cfg.request_timeout).await?;
    crate::poll::plan_with(&mut clients, &[], cfg.rate_margin);
    // Accounts still to be discovered (Webull without account_id) become one
    // entry per account found, named "<name>/<account number>".
    let expanded =
        futures::future::join_all(cfg.accounts.iter().zip(clients).map(|(a, c)| async move {
            if !c.needs_discovery() {
                return vec![(a.name.clone(), a.venue, Ok(c))];
            }
            match c.discover().await {
                Ok(found) if !found.is_empty() => found
                    .iter()
                    .map(|f| {
                        (
                            format!("{}/{}", a.name, f.label),
                            a.venue,
                            Ok(c.for_account(&f.id)),
                        )
                    })
                    .collect(),
                Ok(_) => vec![(
                    a.name.clone(),
                    a.venue,
                    Err(crate::venues::VenueError::new(
                        a.venue,
                        crate::venues::ErrorKind::Api {
                            code: "NO_ACCOUNTS".into(),
                            message: "account discovery found no account under this app key".into(),
                        },
                    )),
                )],
                Err(e) => vec![(a.name.clone(), a.venue, Err(e))],
            }
        }))
        .await;
    let fetches = expanded
        .into_iter()
        .flatten()
        .map(|(name, venue, c)| async move {
            let r = match c {
                Ok(c) => c.fetch().await,
                Err(e) => Err(e),
            };
            if let Err(e) = &r {
                tracing::warn!(account = %name, error = %e, "snapshot fetch failed");
            }
            AccountReport::new(&name, venue, r, cfg)
        });
    Ok(Report::new(futures::future::join_all(fetches).await))
}

/// The configured accounts named in `names` (`--account`, repeatable); empty
/// selects all. A Webull app key without account_id is selected by its
/// configured name, which covers every account discovered under it.
/// An unknown name is an error listing the known ones.
pub fn select_accounts(cfg: &Config, names: &[String]) -> Result<Config, String> {
    if names.is_empty() {
        return Ok(cfg.clone());
    }
    let known: Vec<&str> = cfg.accounts.iter().map(|a| a.name.as_str()).collect();
    let unknown: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !known.contains(n))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "unknown account{} {}; the config has: {}",
            if unknown.len() > 1 { "s" } else { "" },
            unknown
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", "),
            if known.is_empty() {
                "no accounts".to_string()
            } else {
                known.join(", ")
            }
        ));
    }
    let mut out = cfg.clone();
    out.accounts.retain(|a| names.contains(&a.name));
    Ok(out)
}

/// RFC 3339 in UTC, as the JSON output writes it.
fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// One CSV field: quoted when it holds a comma, quote, CR or LF, or has
/// leading/trailing space; a quote inside is doubled (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Prometheus label value: backslash, double quote and newline escaped.
pub fn prom_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

pub const CSV_HEADER: &str = "account,venue,status,currency,cash,available,frozen,settling,withdrawable,equity,net_assets,totals_currency,margin_ratio,risk_level,worst_severity,fetched_at";

impl AccountReport {
    /// The worst finding of this account (`ok` when none).
    pub fn worst(&self) -> Severity {
        self.findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Ok)
    }
}

fn risk_level_str(l: crate::model::RiskLevel) -> &'static str {
    use crate::model::RiskLevel;
    match l {
        RiskLevel::Safe => "safe",
        RiskLevel::Medium => "medium",
        RiskLevel::Warning => "warning",
        RiskLevel::Danger => "danger",
    }
}

impl Report {
    /// One row per account and currency; an account without currencies (an
    /// error) gets one row with an empty currency. Absent values are empty.
    pub fn to_csv(&self) -> String {
        let opt = |v: Option<rust_decimal::Decimal>| v.map(|d| d.to_string()).unwrap_or_default();
        let mut out = String::from(CSV_HEADER);
        out.push('\n');
        for a in &self.accounts {
            let totals = a.totals.as_ref();
            let risk = a.risk.as_ref();
            let account_fields = [
                opt(totals.and_then(|t| t.net_assets)),
                totals.and_then(|t| t.currency.clone()).unwrap_or_default(),
                opt(risk.and_then(|r| r.margin_ratio)),
                risk.and_then(|r| r.level)
                    .map(risk_level_str)
                    .unwrap_or_default()
                    .to_string(),
                a.worst().as_str().to_string(),
                a.fetched_at.as_ref().map(timestamp).unwrap_or_default(),
            ];
            let empty = CurrencyBalance::default();
            let rows: Vec<&CurrencyBalance> = if a.currencies.is_empty() {
                vec![&empty]
            } else {
                a.currencies.iter().collect()
            };
            for c in rows {
                let fields = [
                    a.name.clone(),
                    a.venue.as_str().to_string(),
                    a.status.as_str().to_string(),
                    c.currency.clone(),
                    opt(c.cash),
                    opt(c.available),
                    opt(c.frozen),
                    opt(c.settling),
                    opt(c.withdrawable),
                    opt(c.equity),
                ];
                let line: Vec<String> = fields
                    .iter()
                    .chain(account_fields.iter())
                    .map(|f| csv_field(f))
                    .collect();
                out.push_str(&line.join(","));
                out.push('\n');
            }
        }
        out
    }

    /// node_exporter textfile format: every present amount as a gauge, with
    /// the venue's exact decimal text as the value.
    pub fn to_prometheus(&self) -> String {
        let mut out = String::new();
        let mut family = |name: &str, help: &str, samples: Vec<(String, String)>| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{{{labels}}} {value}");
            }
        };
        let base = |a: &AccountReport| {
            format!(
                "account=\"{}\",venue=\"{}\"",
                prom_label(&a.name),
                a.venue.as_str()
            )
        };

        let mut balances = Vec::new();
        for a in &self.accounts {
            for c in &a.currencies {
                let fields = [
                    ("cash", c.cash),
                    ("available", c.available),
                    ("frozen", c.frozen),
                    ("settling", c.settling),
                    ("withdrawable", c.withdrawable),
                    ("equity", c.equity),
                    ("liabilities", c.liabilities),
                    ("value_in_base", c.value_in_base),
                    ("buying_power", c.buying_power),
                    ("market_value", c.market_value),
                    ("interest", c.interest),
                    ("frozen_fees", c.frozen_fees),
                ];
                // A LongPort row from another account-currency view carries
                // `view`, so two views of one currency stay two series.
                let view = c
                    .view
                    .as_ref()
                    .map(|v| format!(",view=\"{}\"", prom_label(v)))
                    .unwrap_or_default();
                for (field, v) in fields {
                    if let Some(v) = v {
                        balances.push((
                            format!(
                                "{},currency=\"{}\",field=\"{field}\"{view}",
                                base(a),
                                prom_label(&c.currency)
                            ),
                            v.to_string(),
                        ));
                    }
                }
            }
        }
        family(
            "baltui_balance",
            "Balance per account, currency and field (cash, available, frozen, settling, withdrawable, equity, ...), in that currency.",
            balances,
        );

        let per = |f: &dyn Fn(&AccountReport) -> Option<(String, String)>| {
            self.accounts.iter().filter_map(f).collect::<Vec<_>>()
        };
        family(
            "baltui_net_assets",
            "Net assets of the account in its totals currency.",
            per(&|a| {
                let t = a.totals.as_ref()?;
                Some((
                    format!(
                        "{},currency=\"{}\"",
                        base(a),
                        prom_label(t.currency.as_deref().unwrap_or(""))
                    ),
                    t.net_assets?.to_string(),
                ))
            }),
        );
        family(
            "baltui_margin_ratio",
            "Equity / maintenance margin as a plain ratio (1 = liquidation line).",
            per(&|a| Some((base(a), a.risk.as_ref()?.margin_ratio?.to_string()))),
        );
        family(
            "baltui_risk_level",
            "The venue's risk level: 0 safe, 1 medium, 2 early warning, 3 danger.",
            per(&|a| Some((base(a), (a.risk.as_ref()?.level? as u8).to_string()))),
        );
        family(
            "baltui_data_age_seconds",
            "Seconds between the fetch and this report.",
            per(&|a| {
                let age = self.generated_at - a.fetched_at?;
                let secs = age.num_milliseconds().max(0) as f64 / 1000.0;
                Some((base(a), format!("{secs}")))
            }),
        );
        let mut findings = Vec::new();
        for a in &self.accounts {
            for sev in [
                Severity::Ok,
                Severity::Notice,
                Severity::Warn,
                Severity::Critical,
            ] {
                let n = a.findings.iter().filter(|f| f.severity == sev).count();
                findings.push((
                    format!("{},severity=\"{}\"", base(a), sev.as_str()),
                    n.to_string(),
                ));
            }
        }
        family(
            "baltui_findings",
            "Number of findings per severity (ok, notice, warn, critical).",
            findings,
        );
        family(
            "baltui_up",
            "1 when the account was fetched, 0 when it could not be.",
            per(&|a| {
                Some((
                    base(a),
                    if a.status == Status::Ok { "1" } else { "0" }.into(),
                ))
            }),
        );
        out
    }
}

/// Write `text` to `path` atomically: a temp file in the same directory, then
/// a rename, so a reader (node_exporter) never sees half a file. On error the
/// temp file is removed and `path` is left as it was.
pub fn write_atomic(path: &std::path::Path, text: &str) -> Result<(), String> {
    use std::io::Write as _;
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    // Not ending in .prom, so the textfile collector skips it while it is written.
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}
