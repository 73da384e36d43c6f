//! `baltui snapshot`: poll every account once and print a table or JSON.
//! Exit codes: 0 all fine, 1 any warning, 2 any critical finding, 3 any account
//! could not be fetched.

use crate::app::Status;
use crate::config::Config;
use crate::health::{self, Finding, Severity};
use crate::model::{CurrencyBalance, Risk, Snapshot, Totals, VenueKind};
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
    pub totals: Option<Totals>,
    pub risk: Option<Risk>,
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
                totals: Some(s.totals),
                risk: Some(s.risk),
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
                    totals: None,
                    risk: None,
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
                let cur = t.currency.as_deref().unwrap_or("");
                let _ = writeln!(out, "  net assets: {} {cur}", dash(&t.net_assets));
            }
            if let Some(r) = &a.risk {
                let ratio = r.margin_ratio.map_or("—".into(), health::percent);
                let _ = writeln!(
                    out,
                    "  margin ratio: {ratio}   initial margin: {}   maintenance margin: {}",
                    dash(&r.initial_margin),
                    dash(&r.maintenance_margin)
                );
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
    crate::poll::plan(&mut clients, &[]);
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
