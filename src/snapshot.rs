//! `baltui snapshot`: poll every account once and print a table, JSON, CSV or
//! Prometheus text (node_exporter textfile format). Exit codes: 2 any critical
//! finding (whatever else), else 3 any account not fetched, else 1 any warning, else 0.

use crate::app::Status;
use crate::config::Config;
use crate::health::{self, Finding, Severity};
use crate::model::{CurrencyBalance, Risk, Snapshot, Totals, VenueKind, View};
use crate::portfolio::{DataState, Figures, Holding, Portfolio};
use crate::venues::{ErrorClass, VenueError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Debug, Serialize)]
pub struct Report {
    pub generated_at: DateTime<Utc>,
    pub worst: Severity,
    pub accounts: Vec<AccountReport>,
    /// Net assets and cash across the accounts in the report currency, the
    /// accounts left out and why, the rates used, and each currency summed
    /// across accounts (see `portfolio`). Made by `Report::new` from
    /// `accounts`.
    pub totals: Portfolio,
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
    /// A failed account's `totals` and `risk` are objects whose fields are
    /// all null (never a bare `null`: `a["risk"]["margin_ratio"]` must not
    /// break a script); `status` says why.
    #[serde(serialize_with = "or_empty")]
    pub totals: Option<Totals>,
    #[serde(serialize_with = "or_empty")]
    pub risk: Option<Risk>,
    /// The same account in its other account currencies (LongPort), each with
    /// its totals and risk; `totals`/`risk` above are the primary view.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_views: Vec<View>,
    /// Each wallet's totals in its own currency (Binance), never summed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wallets: Vec<crate::model::Wallet>,
    pub currencies: Vec<CurrencyBalance>,
    pub findings: Vec<Finding>,
}

/// `None` as the type's empty value (every field null).
fn or_empty<T: Serialize + Default, S: serde::Serializer>(
    v: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => v.serialize(s),
        None => T::default().serialize(s),
    }
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
                wallets: s.wallets,
                currencies: s.currencies,
            },
            Err(e) => {
                let (status, severity) = match e.class() {
                    ErrorClass::Auth => (Status::AuthFailed, Severity::Critical),
                    ErrorClass::Config => (Status::ConfigError, Severity::Critical),
                    ErrorClass::RateLimited => (Status::RateLimited, Severity::Warn),
                    ErrorClass::Banned => (Status::Banned, Severity::Critical),
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
                    wallets: Vec::new(),
                    currencies: Vec::new(),
                }
            }
        }
    }
}

impl AccountReport {
    /// An account as a running monitor knows it (`baltui serve`): its status
    /// at `now`, its last good snapshot (kept through failed polls; the
    /// status and `fetched_at` say how old it is), its findings.
    pub fn from_account(
        a: &crate::monitor::Account,
        now: DateTime<Utc>,
        t: &health::Thresholds,
    ) -> Self {
        let s = a.snapshot.clone();
        AccountReport {
            name: a.spec.name.clone(),
            venue: a.spec.venue,
            status: a.status(now, t),
            error: a.last_error.clone(),
            fetched_at: s.as_ref().map(|s| s.fetched_at),
            venue_time: s.as_ref().and_then(|s| s.venue_time),
            account_mode: s.as_ref().and_then(|s| s.account_mode.clone()),
            findings: a.findings.clone(),
            other_views: s
                .as_ref()
                .map(|s| s.other_views.clone())
                .unwrap_or_default(),
            wallets: s.as_ref().map(|s| s.wallets.clone()).unwrap_or_default(),
            currencies: s.as_ref().map(|s| s.currencies.clone()).unwrap_or_default(),
            totals: s.as_ref().map(|s| s.totals.clone()),
            risk: s.map(|s| s.risk),
        }
    }

    /// This account as the totals see it: a fetched account is fresh (it was
    /// fetched for this report), any other has no figures.
    fn holding(&self) -> Holding<'_> {
        let figures = match (&self.totals, self.fetched_at) {
            (Some(totals), Some(fetched_at)) => Some(Figures {
                fetched_at,
                totals,
                other_views: &self.other_views,
                currencies: &self.currencies,
                wallets: &self.wallets,
            }),
            _ => None,
        };
        let state = match self.status {
            Status::Ok | Status::Stale if figures.is_none() => DataState::Failed,
            Status::Ok => DataState::Fresh,
            Status::Stale => DataState::Stale,
            Status::Loading => DataState::Loading,
            Status::ConfigError => DataState::ConfigError,
            Status::RateLimited | Status::Banned | Status::AuthFailed | Status::Error => {
                DataState::Failed
            }
        };
        Holding {
            name: &self.name,
            venue: self.venue,
            state,
            figures,
        }
    }
}

impl Report {
    /// The report of these accounts, with their totals in `report_currency`.
    pub fn new(accounts: Vec<AccountReport>, report_currency: &str) -> Self {
        let worst = accounts
            .iter()
            .flat_map(|a| a.findings.iter().map(|f| f.severity))
            .max()
            .unwrap_or(Severity::Ok);
        let holdings: Vec<Holding> = accounts.iter().map(AccountReport::holding).collect();
        let totals = Portfolio::build(&holdings, report_currency);
        Report {
            generated_at: Utc::now(),
            worst,
            accounts,
            totals,
        }
    }

    /// 2 if any finding is critical, whatever else happened (a cron job that
    /// pages on 2 must not miss a margin breach because another account is
    /// down); else 3 if any account could not be fetched; else 1 for any
    /// warning; else 0. (4, config or usage, is decided before a report.)
    pub fn exit_code(&self) -> i32 {
        if self.worst == Severity::Critical {
            2
        } else if self.accounts.iter().any(|a| a.status != Status::Ok) {
            3
        } else if self.worst == Severity::Warn {
            1
        } else {
            0
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
            if let Some(m) = &a.account_mode {
                let _ = writeln!(out, "  account mode: {m}");
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
                // The other totals, where the venue reports them.
                let no_risk = Risk::default();
                let r = a.risk.as_ref().unwrap_or(&no_risk);
                let more: Vec<String> = ACCOUNT_AMOUNTS[2..]
                    .iter()
                    .filter(|f| f.0 == "totals")
                    .filter_map(|(_, name, _, get)| {
                        Some(format!("{}: {}", name.replace('_', " "), get(t, r)?))
                    })
                    .collect();
                if !more.is_empty() {
                    let _ = writeln!(out, "  {}", more.join("   "));
                }
            }
            if let Some(r) = &a.risk {
                let ratio = r.margin_ratio.map_or("—".into(), health::percent);
                // OKX Futures mode: the worst currency's ratio, named.
                let from = r
                    .margin_ratio_currency
                    .as_deref()
                    .map(|c| format!(" ({c}, the worst currency)"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  margin ratio: {ratio}{from}   initial margin: {}   maintenance margin: {}",
                    dash(&r.initial_margin),
                    dash(&r.maintenance_margin)
                );
                // Venue risk, where the venue reports it.
                let mut extra = Vec::new();
                if let Some(l) = r.level {
                    // The word JSON and CSV carry, then the number Prometheus does.
                    extra.push(format!("risk level: {} ({})", risk_level_str(l), l as u8));
                }
                if let Some(mc) = r.margin_call {
                    extra.push(format!("margin call: {mc}"));
                }
                if let Some(e) = r.adjusted_equity {
                    extra.push(format!("adjusted equity: {e}"));
                }
                // A ratio in every machine format; percent only here.
                if let Some(u) = r.utilization {
                    extra.push(format!("margin utilization: {}", health::percent(u)));
                }
                if let Some(m) = r.maintenance_rate {
                    extra.push(format!("maintenance margin rate: {}", health::percent(m)));
                }
                if let Some(i) = r.initial_rate {
                    extra.push(format!("initial margin rate: {}", health::percent(i)));
                }
                if let Some(l) = r.margin_level {
                    let bars = r
                        .margin_level_bars
                        .map(|b| {
                            format!(
                                " (bars {} / call {} / liquidation {})",
                                b.normal, b.margin_call, b.liquidation
                            )
                        })
                        .unwrap_or_default();
                    extra.push(format!("margin level: {l}{bars}"));
                }
                if let Some(f) = r.futures_maint_ratio {
                    extra.push(format!("futures maint/margin: {}", health::percent(f)));
                }
                if let Some(u) = r.uni_mmr {
                    extra.push(format!("uniMMR: {u}"));
                }
                if let Some(h) = &r.headroom {
                    extra.push(format!(
                        "margin headroom: {} (from {})",
                        health::percent(h.fraction),
                        h.basis
                    ));
                }
                if !extra.is_empty() {
                    let _ = writeln!(out, "  {}", extra.join("   "));
                }
            }
            // Each wallet's totals in its own currency (Binance), never summed.
            for w in &a.wallets {
                let t = &w.totals;
                let ccy = t.currency.as_deref().unwrap_or("");
                let mut parts = Vec::new();
                for (name, get) in &WALLET_AMOUNTS {
                    if let Some(v) = get(t) {
                        parts.push(format!("{} {v} {ccy}", name.replace('_', " ")));
                    }
                }
                let _ = writeln!(out, "  {} wallet: {}", w.name, parts.join("   "));
            }
            // The same account in its other account currencies (LongPort).
            for v in &a.other_views {
                let (t, r) = (&v.totals, &v.risk);
                let ccy = t.currency.as_deref().unwrap_or("other");
                let mut parts = vec![format!("net assets {} {ccy}", dash(&t.net_assets))];
                for (_, name, _, get) in &ACCOUNT_AMOUNTS[1..] {
                    if let Some(d) = get(t, r) {
                        parts.push(format!("{} {d}", name.replace('_', " ")));
                    }
                }
                if let Some(m) = r.margin_ratio {
                    parts.push(format!("margin ratio {}", health::percent(m)));
                }
                if let Some(l) = r.level {
                    parts.push(format!("risk level {} ({})", risk_level_str(l), l as u8));
                }
                let _ = writeln!(out, "  {ccy} view: {}", parts.join("   "));
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
                            match (&c.view, &c.wallet) {
                                (Some(v), _) => format!("{} ({v} view)", c.currency),
                                (None, Some(w)) => format!("{} ({w})", c.currency),
                                (None, None) => c.currency.clone(),
                            },
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
            // Per-currency margin (OKX Futures mode), where reported.
            for c in &a.currencies {
                if c.margin_ratio.is_none()
                    && c.initial_margin.is_none()
                    && c.maintenance_margin.is_none()
                    && c.notional_leverage.is_none()
                {
                    continue;
                }
                let view = match (&c.view, &c.wallet) {
                    (Some(v), _) => format!(" ({v} view)"),
                    (None, Some(w)) => format!(" ({w})"),
                    (None, None) => String::new(),
                };
                let _ = writeln!(
                    out,
                    "  {}{view}: margin ratio {}   initial margin {}   maintenance margin {}   leverage {}",
                    c.currency,
                    c.margin_ratio.map_or("—".into(), health::percent),
                    dash(&c.initial_margin),
                    dash(&c.maintenance_margin),
                    dash(&c.notional_leverage)
                );
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
        self.totals_table(&mut out);
        let _ = writeln!(out, "worst: {}", self.worst.as_str());
        out
    }

    /// The table's totals section: the sums, who is in and out, the rates,
    /// and each currency across accounts.
    fn totals_table(&self, out: &mut String) {
        let p = &self.totals;
        let dash =
            |v: &Option<rust_decimal::Decimal>| v.map_or("—".to_string(), |d| d.to_string());
        let approx = if p.approximate { "≈ " } else { "" };
        let _ = writeln!(
            out,
            "TOTAL in {}: net assets {approx}{}   cash {approx}{}",
            p.currency,
            dash(&p.net_assets),
            dash(&p.cash)
        );
        let _ = writeln!(
            out,
            "  {} of {} accounts included",
            p.included.len(),
            p.account_count()
        );
        for (what, names) in [
            ("net assets", &p.net_assets_missing),
            ("total cash", &p.cash_missing),
        ] {
            if !names.is_empty() {
                let _ = writeln!(out, "  no {what} reported by: {}", names.join(", "));
            }
        }
        for i in p.included.iter().filter(|i| !i.wallet_parts.is_empty()) {
            for w in &i.wallet_parts {
                let _ = writeln!(
                    out,
                    "  {} {}: {} {} {} = {} {}{}",
                    if w.rate.is_some() { "≈" } else { "=" },
                    i.account,
                    w.wallet,
                    w.amount,
                    w.currency,
                    w.value,
                    p.currency,
                    match &w.rate {
                        Some(r) => format!(" at {} {}/{} ({})", r.rate, r.to, r.from, r.source),
                        None => String::new(),
                    }
                );
            }
        }
        for i in p.included.iter().filter(|i| i.wallet_parts.is_empty()) {
            if let Some(r) = &i.rate {
                let _ = writeln!(
                    out,
                    "  ≈ {}: {} at {} {}/{} ({})",
                    i.account, i.currency, r.rate, r.to, r.from, r.source
                );
            }
        }
        for e in &p.excluded {
            let _ = writeln!(out, "  excluded {}: {}", e.account, e.reason.text());
        }
        for r in &p.rates {
            let _ = writeln!(
                out,
                "  rate 1 {} = {} {} ({}, as of {})",
                r.from,
                r.rate,
                r.to,
                r.source,
                timestamp(&r.as_of)
            );
        }
        for m in &p.problems {
            let _ = writeln!(out, "  problem: {m}");
        }
        if !p.by_currency.is_empty() {
            let header = ["CURRENCY", "CASH", "AVAILABLE", "FROZEN", "ACCOUNTS"].map(String::from);
            let rows: Vec<[String; 5]> = p
                .by_currency
                .iter()
                .map(|c| {
                    // A sum some holder does not report is marked "+".
                    let cell = |f: &str, v: &Option<Dec>| {
                        let mark = if c.partial.contains(&f) { "+" } else { "" };
                        format!("{}{mark}", dash(v))
                    };
                    [
                        c.currency.clone(),
                        cell("cash", &c.cash),
                        cell("available", &c.available),
                        cell("frozen", &c.frozen),
                        c.holders(),
                    ]
                })
                .collect();
            let widths: Vec<usize> = (0..5)
                .map(|i| {
                    rows.iter()
                        .chain([&header])
                        .map(|r| r[i].chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for r in [&header].into_iter().chain(&rows) {
                let mut l = String::from(" ");
                for (i, c) in r.iter().enumerate() {
                    let pad = " ".repeat(widths[i].saturating_sub(c.chars().count()));
                    match i {
                        0 => {
                            let _ = write!(l, " {c}{pad}");
                        }
                        4 => {
                            let _ = write!(l, "  {c}");
                        }
                        _ => {
                            let _ = write!(l, "  {pad}{c}");
                        }
                    }
                }
                let _ = writeln!(out, "{}", l.trim_end());
            }
            if p.by_currency.iter().any(|c| !c.partial.is_empty()) {
                let _ = writeln!(out, "  + some holders do not report this figure");
            }
        }
        out.push('\n');
    }
}

/// Poll each account once (through its budget) and report.
pub async fn run(cfg: &Config) -> Result<Report, String> {
    let mut clients = crate::clients::clients_for(&cfg.accounts, cfg.request_timeout).await?;
    crate::poll::plan_with(&mut clients, &[], cfg.rate_margin);
    // Accounts still to be discovered (Webull without account_id) become one
    // entry per account found, named "<name>/<account number>".
    let expanded =
        futures::future::join_all(cfg.accounts.iter().zip(clients).map(|(a, c)| async move {
            crate::discovery::expand(&a.name, c)
                .await
                .into_iter()
                .map(|(name, c)| (name, a.venue, c))
                .collect::<Vec<_>>()
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
    Ok(Report::new(
        futures::future::join_all(fetches).await,
        &cfg.report_currency,
    ))
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
///
/// `Report::to_csv` writes through the `csv` crate instead, which quotes
/// only what RFC 4180 needs (a padded value stays unquoted there); this
/// stays for callers that format one field by hand.
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

/// The CSV header: the sixteen columns of the first release in their order,
/// then the columns added since, at the end, so scripts that index columns
/// keep working. A column is named as its field in the JSON: per-currency
/// fields as in `currencies[]`, account fields as `totals_<name>` /
/// `risk_<name>` (their JSON object and name). The exceptions: the first
/// release's `net_assets` (totals.net_assets) and `margin_ratio`
/// (risk.margin_ratio), and, because `margin_ratio` is taken,
/// `currency_margin_ratio` (currencies[].margin_ratio).
pub const CSV_HEADER: &str = "account,venue,status,currency,cash,available,frozen,settling,withdrawable,equity,net_assets,totals_currency,margin_ratio,risk_level,worst_severity,fetched_at,\
liabilities,value_in_base,buying_power,market_value,interest,frozen_fees,in_transit,available_equity,unrealized_pnl,borrow_frozen,isolated_equity,strategy_equity,reward_balance,max_loan,initial_margin,maintenance_margin,currency_margin_ratio,notional_leverage,view,\
account_mode,venue_time,totals_total_cash,totals_buying_power,totals_market_value,totals_max_finance,totals_remaining_finance,totals_available_equity,totals_notional_value,totals_unrealized_pnl,totals_borrow_frozen,totals_isolated_equity,totals_interest,risk_margin_ratio_currency,risk_margin_call,risk_initial_margin,risk_maintenance_margin,risk_adjusted_equity,risk_utilization,\
wallet_balance,spot_borrow,wallet,totals_wallet_balance,totals_margin_balance,totals_available_balance,totals_perp_unrealized_pnl,risk_maintenance_rate,risk_initial_rate,risk_margin_level,risk_margin_level_normal_bar,risk_margin_level_call_bar,risk_margin_level_liquidation_bar,risk_futures_maint_ratio,risk_uni_mmr,risk_margin_headroom,risk_margin_headroom_basis,risk_margin_currency";

/// The Binance risk numbers (added after the first releases): JSON name in
/// `risk` and value, in CSV and Prometheus order.
pub fn venue_risk(r: &Risk) -> [(&'static str, Option<Dec>); 6] {
    let bars = r.margin_level_bars;
    [
        ("margin_level", r.margin_level),
        ("margin_level_normal_bar", bars.map(|b| b.normal)),
        ("margin_level_call_bar", bars.map(|b| b.margin_call)),
        ("margin_level_liquidation_bar", bars.map(|b| b.liquidation)),
        ("futures_maint_ratio", r.futures_maint_ratio),
        ("uni_mmr", r.uni_mmr),
    ]
}

type Dec = rust_decimal::Decimal;

/// The margin headroom and what it was derived from, then the currency of
/// the margins where it is not the totals currency (Binance): the CSV
/// tables' last columns.
fn headroom_fields(r: &Risk) -> [String; 3] {
    let (fraction, basis) = match &r.headroom {
        Some(h) => (h.fraction.to_string(), h.basis.clone()),
        None => (String::new(), String::new()),
    };
    [
        fraction,
        basis,
        r.margin_currency.clone().unwrap_or_default(),
    ]
}

/// A wallet's totals (Binance), in the wallet's currency: CSV `--table
/// wallets` columns and Prometheus `baltui_wallet_amount{field}`.
type TotalsGet = fn(&Totals) -> Option<Dec>;
const WALLET_AMOUNTS: [(&str, TotalsGet); 4] = [
    ("net_assets", |t| t.net_assets),
    ("total_cash", |t| t.total_cash),
    ("available_equity", |t| t.available_equity),
    ("unrealized_pnl", |t| t.unrealized_pnl),
];

/// Per-currency amounts added after the CSV's `risk_utilization` column
/// (Bybit), at the end of each row; in Prometheus as `CURRENCY_AMOUNTS`.
const CURRENCY_AMOUNTS_LATER: [(&str, CurrencyGet); 2] = [
    ("wallet_balance", |c| c.wallet_balance),
    ("spot_borrow", |c| c.spot_borrow),
];

/// Account totals added after the CSV's `risk_utilization` column (Bybit),
/// as `ACCOUNT_AMOUNTS`, at the end of each row.
const ACCOUNT_AMOUNTS_LATER: [(&str, &str, &str, AccountGet); 4] = [
    (
        "totals",
        "wallet_balance",
        "Sum of the wallet balances (Bybit totalWalletBalance), in the totals currency (label currency).",
        |t, _| t.wallet_balance,
    ),
    (
        "totals",
        "margin_balance",
        "Wallet balance plus perpetual/futures unrealized PnL (Bybit totalMarginBalance), in the totals currency (label currency).",
        |t, _| t.margin_balance,
    ),
    (
        "totals",
        "available_balance",
        "Margin balance less haircut and initial margin (Bybit totalAvailableBalance), in the totals currency (label currency).",
        |t, _| t.available_balance,
    ),
    (
        "totals",
        "perp_unrealized_pnl",
        "Unrealized PnL of perpetuals and futures (Bybit totalPerpUPL), in the totals currency (label currency).",
        |t, _| t.perp_unrealized_pnl,
    ),
];

/// Account rates where higher is worse (Bybit): CSV column, Prometheus
/// family, HELP, value.
type RateGet = fn(&Risk) -> Option<Dec>;
const ACCOUNT_RATES: [(&str, &str, &str, RateGet); 2] = [
    (
        "risk_maintenance_rate",
        "baltui_maintenance_rate_ratio",
        "Maintenance margin / margin balance as a plain ratio (Bybit accountMMRate; higher is worse, 1 = liquidation).",
        |r| r.maintenance_rate,
    ),
    (
        "risk_initial_rate",
        "baltui_initial_rate_ratio",
        "Initial margin / margin balance as a plain ratio (Bybit accountIMRate; at 1 no new margin positions).",
        |r| r.initial_rate,
    ),
];

/// Per-currency amounts, in the row's currency except `value_in_base` and
/// `borrow_frozen` (USD at OKX, its only source): JSON name and value. The
/// first six are the CSV's original columns; in Prometheus all are
/// `baltui_balance{field=<name>}`.
type CurrencyGet = fn(&CurrencyBalance) -> Option<Dec>;
const CURRENCY_AMOUNTS: [(&str, CurrencyGet); 22] = [
    ("cash", |c| c.cash),
    ("available", |c| c.available),
    ("frozen", |c| c.frozen),
    ("settling", |c| c.settling),
    ("withdrawable", |c| c.withdrawable),
    ("equity", |c| c.equity),
    ("liabilities", |c| c.liabilities),
    ("value_in_base", |c| c.value_in_base),
    ("buying_power", |c| c.buying_power),
    ("market_value", |c| c.market_value),
    ("interest", |c| c.interest),
    ("frozen_fees", |c| c.frozen_fees),
    ("in_transit", |c| c.in_transit),
    ("available_equity", |c| c.available_equity),
    ("unrealized_pnl", |c| c.unrealized_pnl),
    ("borrow_frozen", |c| c.borrow_frozen),
    ("isolated_equity", |c| c.isolated_equity),
    ("strategy_equity", |c| c.strategy_equity),
    ("reward_balance", |c| c.reward_balance),
    ("max_loan", |c| c.max_loan),
    ("initial_margin", |c| c.initial_margin),
    ("maintenance_margin", |c| c.maintenance_margin),
];

/// Account-level amounts of one view, all in its totals currency: JSON object
/// and name, Prometheus HELP, value. Prometheus names them `baltui_<name>`,
/// the CSV `<object>_<name>` (but the first column, `net_assets`, is older).
type AccountGet = fn(&Totals, &Risk) -> Option<Dec>;
const ACCOUNT_AMOUNTS: [(&str, &str, &str, AccountGet); 16] = [
    (
        "totals",
        "net_assets",
        "Net assets (OKX totalEq, LongPort net_assets, Webull total_asset), in the totals currency (label currency).",
        |t, _| t.net_assets,
    ),
    (
        "totals",
        "total_cash",
        "Total cash (LongPort total_cash, Webull total_cash_balance), in the totals currency (label currency).",
        |t, _| t.total_cash,
    ),
    (
        "totals",
        "buying_power",
        "Buying power (LongPort buy_power), in the totals currency (label currency).",
        |t, _| t.buying_power,
    ),
    (
        "totals",
        "market_value",
        "Market value of positions (Webull total_market_value), in the totals currency (label currency).",
        |t, _| t.market_value,
    ),
    (
        "totals",
        "max_finance",
        "Margin financing limit (LongPort max_finance_amount), in the totals currency (label currency).",
        |t, _| t.max_finance,
    ),
    (
        "totals",
        "remaining_finance",
        "Margin financing still available (LongPort remaining_finance_amount), in the totals currency (label currency).",
        |t, _| t.remaining_finance,
    ),
    (
        "totals",
        "available_equity",
        "Available equity, i.e. free margin (OKX availEq; not buying power), in the totals currency (label currency).",
        |t, _| t.available_equity,
    ),
    (
        "totals",
        "notional_value",
        "Notional value of positions (OKX notionalUsd; not a market value), in the totals currency (label currency).",
        |t, _| t.notional_value,
    ),
    (
        "totals",
        "unrealized_pnl",
        "Unrealized profit and loss (OKX upl), in the totals currency (label currency).",
        |t, _| t.unrealized_pnl,
    ),
    (
        "totals",
        "borrow_frozen",
        "Potential borrowing initial margin (OKX borrowFroz), in the totals currency (label currency).",
        |t, _| t.borrow_frozen,
    ),
    (
        "totals",
        "isolated_equity",
        "Isolated margin equity, outside the account margin ratio (OKX isoEq), in the totals currency (label currency).",
        |t, _| t.isolated_equity,
    ),
    (
        "totals",
        "interest",
        "Interest accrued and not yet paid, account-wide, in the totals currency (label currency).",
        |t, _| t.interest,
    ),
    (
        "risk",
        "margin_call",
        "Margin call amount (LongPort margin_call), in the totals currency (label currency).",
        |_, r| r.margin_call,
    ),
    (
        "risk",
        "initial_margin",
        "Initial margin requirement (OKX imr, LongPort init_margin, Binance totalInitialMargin / accountInitialMargin), in the totals currency or the margins' own (label currency).",
        |_, r| r.initial_margin,
    ),
    (
        "risk",
        "maintenance_margin",
        "Maintenance margin requirement (OKX mmr, LongPort maintenance_margin, Binance totalMaintMargin / accountMaintMargin), in the totals currency or the margins' own (label currency).",
        |_, r| r.maintenance_margin,
    ),
    (
        "risk",
        "adjusted_equity",
        "Adjusted equity (OKX adjEq), in the totals currency (label currency).",
        |_, r| r.adjusted_equity,
    ),
];

impl AccountReport {
    /// The worst finding of this account (`ok` when none).
    pub fn worst(&self) -> Severity {
        self.findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Ok)
    }

    /// The primary view and the other account-currency views, each with the
    /// `view` label it gets in Prometheus (none for the primary).
    fn views(&self) -> Vec<(Option<String>, &Totals, &Risk)> {
        let mut out = Vec::new();
        if let (Some(t), Some(r)) = (&self.totals, &self.risk) {
            out.push((None, t, r));
        }
        for (i, v) in self.other_views.iter().enumerate() {
            // LongPort names every view; a nameless one still gets its own series.
            let name = v
                .totals
                .currency
                .clone()
                .unwrap_or_else(|| format!("view{}", i + 1));
            out.push((Some(name), &v.totals, &v.risk));
        }
        out
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

/// Unix time in seconds with milliseconds, exact (no float round trip).
fn unix_seconds(t: &DateTime<Utc>) -> String {
    let ms = t.timestamp_millis();
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// One sample (labels, value) from an account's view (`view` label, totals, risk).
type ViewSample = dyn Fn(&AccountReport, Option<&str>, &Totals, &Risk) -> Option<(String, String)>;

/// One metric family: HELP, TYPE gauge, then its samples (labels, value).
fn family(out: &mut String, name: &str, help: &str, samples: &[(String, String)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{{{labels}}} {value}");
    }
}

/// `account="..",venue=".."` and then each (key, value) given, escaped.
fn labels(a: &AccountReport, extra: &[(&str, Option<&str>)]) -> String {
    let mut l = format!(
        "account=\"{}\",venue=\"{}\"",
        prom_label(&a.name),
        a.venue.as_str()
    );
    for (k, v) in extra {
        if let Some(v) = v {
            let _ = write!(l, ",{k}=\"{}\"", prom_label(v));
        }
    }
    l
}

impl Report {
    /// One row per account and currency; an account without currencies (an
    /// error) gets one row with an empty currency. Absent values are empty.
    /// Account fields (the primary view's) repeat on every row of the
    /// account; other account-currency views are in the JSON and Prometheus.
    pub fn to_csv(&self) -> String {
        // Writing to memory fails only on a row of another length than the
        // header, which the rows below never are; should it happen, the
        // text says so (as to_json does) rather than the process dying.
        self.write_csv()
            .unwrap_or_else(|e| format!("error: writing CSV: {e}\n"))
    }

    /// The CSV text; quoting and escaping are the `csv` crate's (RFC 4180,
    /// fields quoted only when needed, `\n` after each record).
    fn write_csv(&self) -> Result<String, csv::Error> {
        let opt = |v: Option<Dec>| v.map(|d| d.to_string()).unwrap_or_default();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(CSV_HEADER.split(','))?;
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
            let mut added_account = vec![
                a.account_mode.clone().unwrap_or_default(),
                a.venue_time.as_ref().map(timestamp).unwrap_or_default(),
            ];
            let empty_totals = Totals::default();
            let empty_risk = Risk::default();
            let (t, r) = (totals.unwrap_or(&empty_totals), risk.unwrap_or(&empty_risk));
            // Totals (net_assets is among the original columns), then risk.
            let amounts = |object: &'static str| {
                ACCOUNT_AMOUNTS[1..]
                    .iter()
                    .filter(move |f| f.0 == object)
                    .map(|(_, _, _, get)| opt(get(t, r)))
            };
            added_account.extend(amounts("totals"));
            added_account.push(r.margin_ratio_currency.clone().unwrap_or_default());
            added_account.extend(amounts("risk"));
            added_account.push(opt(r.utilization));
            let later_account: Vec<String> = ACCOUNT_AMOUNTS_LATER
                .iter()
                .map(|(_, _, _, get)| opt(get(t, r)))
                .chain(ACCOUNT_RATES.iter().map(|(_, _, _, get)| opt(get(r))))
                .chain(venue_risk(r).iter().map(|(_, v)| opt(*v)))
                .chain(headroom_fields(r))
                .collect();
            let empty = CurrencyBalance::default();
            let rows: Vec<&CurrencyBalance> = if a.currencies.is_empty() {
                vec![&empty]
            } else {
                a.currencies.iter().collect()
            };
            for c in rows {
                let mut fields = vec![
                    a.name.clone(),
                    a.venue.as_str().to_string(),
                    a.status.as_str().to_string(),
                    c.currency.clone(),
                ];
                fields.extend(CURRENCY_AMOUNTS[..6].iter().map(|(_, get)| opt(get(c))));
                fields.extend(account_fields.iter().cloned());
                fields.extend(CURRENCY_AMOUNTS[6..].iter().map(|(_, get)| opt(get(c))));
                fields.push(opt(c.margin_ratio));
                fields.push(opt(c.notional_leverage));
                fields.push(c.view.clone().unwrap_or_default());
                fields.extend(added_account.iter().cloned());
                fields.extend(CURRENCY_AMOUNTS_LATER.iter().map(|(_, get)| opt(get(c))));
                fields.push(c.wallet.clone().unwrap_or_default());
                fields.extend(later_account.iter().cloned());
                w.write_record(&fields)?;
            }
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        // Every field came from a &str, so the bytes are UTF-8; lossy never replaces here.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// `--table accounts`: one row per account, with its totals (in
    /// `totals_currency`), risk, status and error; no per-currency amount,
    /// so summing a column never counts an account twice.
    pub fn to_csv_accounts(&self) -> String {
        self.write_csv_accounts()
            .unwrap_or_else(|e| format!("error: writing CSV: {e}\n"))
    }

    fn write_csv_accounts(&self) -> Result<String, csv::Error> {
        let opt = |v: Option<Dec>| v.map(|d| d.to_string()).unwrap_or_default();
        let mut header: Vec<String> = [
            "account",
            "venue",
            "status",
            "error",
            "worst_severity",
            "fetched_at",
            "venue_time",
            "account_mode",
            "totals_currency",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        header.extend(
            ACCOUNT_AMOUNTS
                .iter()
                .map(|(o, n, _, _)| format!("{o}_{n}")),
        );
        header.extend(
            [
                "risk_margin_ratio",
                "risk_margin_ratio_currency",
                "risk_level",
                "risk_utilization",
            ]
            .map(String::from),
        );
        header.extend(
            ACCOUNT_AMOUNTS_LATER
                .iter()
                .map(|(o, n, _, _)| format!("{o}_{n}")),
        );
        header.extend(ACCOUNT_RATES.iter().map(|(c, _, _, _)| c.to_string()));
        header.extend(
            venue_risk(&Risk::default())
                .iter()
                .map(|(n, _)| format!("risk_{n}")),
        );
        header.extend(
            [
                "risk_margin_headroom",
                "risk_margin_headroom_basis",
                "risk_margin_currency",
            ]
            .map(String::from),
        );
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&header)?;
        let (empty_totals, empty_risk) = (Totals::default(), Risk::default());
        for a in &self.accounts {
            let t = a.totals.as_ref().unwrap_or(&empty_totals);
            let r = a.risk.as_ref().unwrap_or(&empty_risk);
            let mut row = vec![
                a.name.clone(),
                a.venue.as_str().to_string(),
                a.status.as_str().to_string(),
                a.error.clone().unwrap_or_default(),
                a.worst().as_str().to_string(),
                a.fetched_at.as_ref().map(timestamp).unwrap_or_default(),
                a.venue_time.as_ref().map(timestamp).unwrap_or_default(),
                a.account_mode.clone().unwrap_or_default(),
                t.currency.clone().unwrap_or_default(),
            ];
            row.extend(ACCOUNT_AMOUNTS.iter().map(|(_, _, _, get)| opt(get(t, r))));
            row.push(opt(r.margin_ratio));
            row.push(r.margin_ratio_currency.clone().unwrap_or_default());
            row.push(r.level.map(risk_level_str).unwrap_or_default().to_string());
            row.push(opt(r.utilization));
            row.extend(
                ACCOUNT_AMOUNTS_LATER
                    .iter()
                    .map(|(_, _, _, get)| opt(get(t, r))),
            );
            row.extend(ACCOUNT_RATES.iter().map(|(_, _, _, get)| opt(get(r))));
            row.extend(venue_risk(r).iter().map(|(_, v)| opt(*v)));
            row.extend(headroom_fields(r));
            w.write_record(&row)?;
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// `--table wallets`: one row per account and wallet (Binance), each
    /// wallet's totals in the wallet's own currency; accounts without
    /// wallets have no row. Summing a column adds amounts of different
    /// currencies: filter by `currency` first.
    pub fn to_csv_wallets(&self) -> String {
        self.write_csv_wallets()
            .unwrap_or_else(|e| format!("error: writing CSV: {e}\n"))
    }

    fn write_csv_wallets(&self) -> Result<String, csv::Error> {
        let opt = |v: Option<Dec>| v.map(|d| d.to_string()).unwrap_or_default();
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec![
            "account",
            "venue",
            "status",
            "fetched_at",
            "wallet",
            "currency",
        ];
        header.extend(WALLET_AMOUNTS.iter().map(|(n, _)| *n));
        w.write_record(&header)?;
        for a in &self.accounts {
            for wl in &a.wallets {
                let mut row = vec![
                    a.name.clone(),
                    a.venue.as_str().to_string(),
                    a.status.as_str().to_string(),
                    a.fetched_at.as_ref().map(timestamp).unwrap_or_default(),
                    wl.name.clone(),
                    wl.totals.currency.clone().unwrap_or_default(),
                ];
                row.extend(WALLET_AMOUNTS.iter().map(|(_, get)| opt(get(&wl.totals))));
                w.write_record(&row)?;
            }
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// node_exporter textfile format: every present figure as a gauge, with
    /// the venue's exact decimal text as the value; absent figures have no
    /// sample (never 0).
    ///
    /// Amounts and ratios live in different families: a family's samples
    /// share one unit, so `sum`/`avg` over a family's labels never adds a
    /// ratio to an amount. Amounts carry a `currency` label (the currency of
    /// the amount); ratios are plain ratios (1.5 = 150%) in families ending
    /// in `_ratio`. Other account-currency views (LongPort) repeat the
    /// account families with a `view` label.
    pub fn to_prometheus(&self) -> String {
        let mut out = String::new();

        let mut balances = Vec::new();
        let mut ccy_margin = Vec::new();
        let mut ccy_leverage = Vec::new();
        for a in &self.accounts {
            for c in &a.currencies {
                // A LongPort row from another account-currency view carries
                // `view`, so two views of one currency stay two series.
                let row = labels(a, &[("currency", Some(&c.currency))]);
                let mut view = c
                    .view
                    .as_ref()
                    .map(|v| format!(",view=\"{}\"", prom_label(v)))
                    .unwrap_or_default();
                // One currency in several wallets (Binance): one series each.
                if let Some(w) = &c.wallet {
                    let _ = write!(view, ",wallet=\"{}\"", prom_label(w));
                }
                for (field, get) in CURRENCY_AMOUNTS.iter().chain(&CURRENCY_AMOUNTS_LATER) {
                    if let Some(v) = get(c) {
                        balances.push((format!("{row},field=\"{field}\"{view}"), v.to_string()));
                    }
                }
                if let Some(v) = c.margin_ratio {
                    ccy_margin.push((format!("{row}{view}"), v.to_string()));
                }
                if let Some(v) = c.notional_leverage {
                    ccy_leverage.push((format!("{row}{view}"), v.to_string()));
                }
            }
        }
        family(
            &mut out,
            "baltui_balance",
            "Amount per account, currency and field (named as in the JSON: cash, available, frozen, settling, withdrawable, equity, liabilities, in_transit, initial_margin, ...), in that currency; value_in_base and borrow_frozen are in USD (OKX eqUsd, borrowFroz).",
            &balances,
        );
        family(
            &mut out,
            "baltui_currency_margin_ratio",
            "Cross maintenance margin ratio of one currency as a plain ratio (OKX Futures mode details[].mgnRatio; 1 = liquidation line).",
            &ccy_margin,
        );
        family(
            &mut out,
            "baltui_currency_notional_leverage_ratio",
            "Leverage of one currency, notional / equity as a plain ratio (OKX Futures mode details[].notionalLever).",
            &ccy_leverage,
        );

        // Account-level families: the primary view, then the other views.
        let per_view = |f: &ViewSample| {
            let mut v = Vec::new();
            for a in &self.accounts {
                for (view, t, r) in a.views() {
                    v.extend(f(a, view.as_deref(), t, r));
                }
            }
            v
        };
        for (_, name, help, get) in ACCOUNT_AMOUNTS.iter().chain(&ACCOUNT_AMOUNTS_LATER) {
            // `margin_currency` is the unit of these two only.
            let margins = matches!(*name, "initial_margin" | "maintenance_margin");
            let samples = per_view(&move |a, view, t, r| {
                // No totals currency (Binance: wallets are not summed): no
                // label, except on the margins, which name their own.
                let own = if margins {
                    r.margin_currency.as_deref()
                } else {
                    None
                };
                let ccy = own.or(t.currency.as_deref());
                Some((
                    labels(a, &[("currency", ccy), ("view", view)]),
                    get(t, r)?.to_string(),
                ))
            });
            family(&mut out, &format!("baltui_{name}"), help, &samples);
        }
        family(
            &mut out,
            "baltui_margin_ratio",
            "Equity / maintenance margin as a plain ratio (1 = liquidation line); with a currency label when it is one currency's ratio (OKX Futures mode: the worst currency's).",
            &per_view(&|a, view, _, r| {
                Some((
                    labels(
                        a,
                        &[
                            ("currency", r.margin_ratio_currency.as_deref()),
                            ("view", view),
                        ],
                    ),
                    r.margin_ratio?.to_string(),
                ))
            }),
        );
        for (_, name, help, get) in &ACCOUNT_RATES {
            let samples = per_view(&|a, view, _, r| {
                Some((labels(a, &[("view", view)]), get(r)?.to_string()))
            });
            family(&mut out, name, help, &samples);
        }
        family(
            &mut out,
            "baltui_utilization_ratio",
            "Margin utilization as a plain ratio (0.2 = 20%; Webull margin_utilization_rate, sent in percent, / 100).",
            &per_view(&|a, view, _, r| {
                Some((labels(a, &[("view", view)]), r.utilization?.to_string()))
            }),
        );
        family(
            &mut out,
            "baltui_margin_headroom_ratio",
            "Margin headroom: the share of collateral that can be lost before the venue's liquidation line, as a plain ratio (0.25 = 25%; 0 at the line; negative past it). Derived by baltui from the venue's own figure (OKX mgnRatio, Bybit accountMMRate, Binance marginLevel / futures maint ratio / uniMMR, LongPort maintenance margin / net assets).",
            &per_view(&|a, view, _, r| {
                Some((
                    labels(a, &[("view", view)]),
                    r.headroom.as_ref()?.fraction.to_string(),
                ))
            }),
        );
        let mut wallets = Vec::new();
        for a in &self.accounts {
            for wl in &a.wallets {
                for (field, get) in &WALLET_AMOUNTS {
                    if let Some(v) = get(&wl.totals) {
                        wallets.push((
                            labels(
                                a,
                                &[
                                    ("wallet", Some(&wl.name)),
                                    ("currency", wl.totals.currency.as_deref()),
                                    ("field", Some(field)),
                                ],
                            ),
                            v.to_string(),
                        ));
                    }
                }
            }
        }
        family(
            &mut out,
            "baltui_wallet_amount",
            "A wallet's totals (Binance: margin in BTC, futures in USDT or USD, PM in USD) per account, wallet and field (net_assets, total_cash, available_equity, unrealized_pnl), in the wallet's own currency; never added across wallets.",
            &wallets,
        );
        for (i, (name, _)) in venue_risk(&Risk::default()).iter().enumerate() {
            let samples = per_view(&move |a, view, t, r| {
                let ccy = t.currency.as_deref();
                let (_, v) = venue_risk(r)[i];
                Some((
                    labels(a, &[("currency", ccy), ("view", view)]),
                    v?.to_string(),
                ))
            });
            let help = match *name {
                "margin_level" => {
                    "Binance cross margin marginLevel (assets / liabilities) as a plain ratio; lower is riskier."
                }
                "margin_level_normal_bar" => {
                    "Binance tradeCoeff normalBar: the account's warning line for marginLevel."
                }
                "margin_level_call_bar" => {
                    "Binance tradeCoeff marginCallBar: the account's margin call line for marginLevel."
                }
                "margin_level_liquidation_bar" => {
                    "Binance tradeCoeff forceLiquidationBar: the account's liquidation line for marginLevel."
                }
                "futures_maint_ratio" => {
                    "Binance USD-M futures totalMaintMargin / totalMarginBalance as a plain ratio (1 = liquidation)."
                }
                _ => "Binance Portfolio Margin uniMMR as a plain ratio; lower is riskier.",
            };
            family(&mut out, &format!("baltui_{name}"), help, &samples);
        }
        family(
            &mut out,
            "baltui_risk_level",
            "The venue's risk level as a number: 0 safe, 1 medium, 2 warning, 3 danger (JSON and CSV carry the word).",
            &per_view(&|a, view, _, r| {
                Some((labels(a, &[("view", view)]), (r.level? as u8).to_string()))
            }),
        );
        let mut indicators = Vec::new();
        for a in &self.accounts {
            let account_level = a.views().into_iter().flat_map(|(view, _, r)| {
                r.indicators
                    .iter()
                    .map(move |i| (None, view.clone(), None, i))
            });
            let per_currency = a.currencies.iter().flat_map(|c| {
                c.indicators.iter().map(move |i| {
                    (
                        Some(c.currency.as_str()),
                        c.view.clone(),
                        c.wallet.as_deref(),
                        i,
                    )
                })
            });
            for (ccy, view, wallet, ind) in account_level.chain(per_currency) {
                // Only numeric codes are a gauge; the JSON has every value.
                if let Ok(v) = ind.value.trim().parse::<Dec>() {
                    indicators.push((
                        labels(
                            a,
                            &[
                                ("currency", ccy),
                                ("key", Some(&ind.key)),
                                ("view", view.as_deref()),
                                ("wallet", wallet),
                            ],
                        ),
                        v.to_string(),
                    ));
                }
            }
        }
        family(
            &mut out,
            "baltui_indicator",
            "A venue risk indicator's code, by key as the venue names it (OKX deltaNeutralStatus; per currency twap, colRes, colBorrAutoConversion; an undocumented LongPort risk_level); the JSON has its meaning.",
            &indicators,
        );
        let per = |f: &dyn Fn(&AccountReport) -> Option<(String, String)>| {
            self.accounts.iter().filter_map(f).collect::<Vec<_>>()
        };
        family(
            &mut out,
            "baltui_account_mode_info",
            "The venue's account mode in its own words (label account_mode; OKX), always 1.",
            &per(&|a| {
                Some((
                    labels(a, &[("account_mode", Some(a.account_mode.as_deref()?))]),
                    "1".into(),
                ))
            }),
        );
        family(
            &mut out,
            "baltui_venue_timestamp_seconds",
            "When the venue says it computed the numbers (OKX uTime), Unix time in seconds.",
            &per(&|a| Some((labels(a, &[]), unix_seconds(a.venue_time.as_ref()?)))),
        );
        family(
            &mut out,
            "baltui_data_age_seconds",
            "Seconds between the fetch and this report.",
            &per(&|a| {
                let age = self.generated_at - a.fetched_at?;
                let secs = age.num_milliseconds().max(0) as f64 / 1000.0;
                Some((labels(a, &[]), format!("{secs}")))
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
                    labels(a, &[("severity", Some(sev.as_str()))]),
                    n.to_string(),
                ));
            }
        }
        family(
            &mut out,
            "baltui_findings",
            "Number of findings per severity (ok, notice, warn, critical).",
            &findings,
        );
        family(
            &mut out,
            "baltui_up",
            "1 when the account was fetched, 0 when it could not be.",
            &per(&|a| {
                Some((
                    labels(a, &[]),
                    if a.status == Status::Ok { "1" } else { "0" }.into(),
                ))
            }),
        );
        self.totals_prometheus(&mut out);
        out
    }

    /// The totals across accounts (`totals` in the JSON) as gauges.
    fn totals_prometheus(&self, out: &mut String) {
        let p = &self.totals;
        let ccy = format!("currency=\"{}\"", prom_label(&p.currency));
        let one = |v: Option<Dec>| {
            v.map(|v| vec![(ccy.clone(), v.to_string())])
                .unwrap_or_default()
        };
        family(
            out,
            "baltui_portfolio_net_assets",
            "Net assets across the included accounts, in the report currency (label currency); see baltui_portfolio_approximate.",
            &one(p.net_assets),
        );
        family(
            out,
            "baltui_portfolio_cash",
            "Total cash across the included accounts that report it, in the report currency (label currency).",
            &one(p.cash),
        );
        family(
            out,
            "baltui_portfolio_approximate",
            "1 when some amount in the totals was converted at a rate from the venues' own figures, else 0.",
            &[(ccy.clone(), u8::from(p.approximate).to_string())],
        );
        let converted = p.included.iter().filter(|i| i.converted()).count();
        family(
            out,
            "baltui_portfolio_accounts",
            "Accounts by their place in the totals: included (the venue's own figures in the report currency), converted (at a rate), excluded (stale, failed, not convertible, ...).",
            &[
                ("included", p.included.len() - converted),
                ("converted", converted),
                ("excluded", p.excluded.len()),
            ]
            .map(|(state, n)| (format!("state=\"{state}\""), n.to_string())),
        );
        family(
            out,
            "baltui_portfolio_excluded",
            "An account left out of the totals, with the reason (stale, failed, loading, config_error, not_convertible, no_totals_currency, no_totals, overflow); always 1.",
            &p.excluded
                .iter()
                .map(|e| {
                    (
                        format!(
                            "account=\"{}\",venue=\"{}\",reason=\"{}\"",
                            prom_label(&e.account),
                            e.venue.as_str(),
                            e.reason.code()
                        ),
                        "1".to_string(),
                    )
                })
                .collect::<Vec<_>>(),
        );
        family(
            out,
            "baltui_portfolio_rate_ratio",
            "A rate from the venues' own figures: 1 unit of label from is this many of label to (label source names the account and fields).",
            &p.rates
                .iter()
                .map(|r| {
                    (
                        format!(
                            "from=\"{}\",to=\"{}\",source=\"{}\"",
                            prom_label(&r.from),
                            prom_label(&r.to),
                            prom_label(&r.source)
                        ),
                        r.rate.to_string(),
                    )
                })
                .collect::<Vec<_>>(),
        );
        type SumGet = fn(&crate::portfolio::CurrencySum) -> Option<Dec>;
        let fields: [(&str, &str, SumGet); 3] = [
            ("cash", "Cash", |c| c.cash),
            ("available", "Available cash", |c| c.available),
            ("frozen", "Frozen cash", |c| c.frozen),
        ];
        for (name, what, get) in fields {
            family(
                out,
                &format!("baltui_currency_{name}"),
                &format!(
                    "{what} of one currency summed over every account with data that holds it (stale ones too), in that currency (label currency)."
                ),
                &p.by_currency
                    .iter()
                    .filter_map(|c| {
                        Some((
                            format!("currency=\"{}\"", prom_label(&c.currency)),
                            get(c)?.to_string(),
                        ))
                    })
                    .collect::<Vec<_>>(),
            );
        }
    }
}

/// Write `text` to `path` atomically: a temp file in the same directory, then
/// a rename, so a reader (node_exporter) never sees half a file. The temp file
/// has an unpredictable name and is created exclusively (never through a
/// symlink someone placed there); on error it is removed and `path` is left
/// as it was.
pub fn write_atomic(path: &std::path::Path, text: &str) -> Result<(), String> {
    use std::io::Write as _;
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    path.file_name()
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    // Not ending in .prom, so the textfile collector skips it while it is written.
    let mut tmp = tempfile::Builder::new()
        .prefix(".baltui-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| fail(&e))?;
    tmp.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
    // Readable by others like a file written with `>`: the collector may run
    // as another user (the temp file starts private).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| fail(&e))?;
    }
    tmp.as_file().sync_all().map_err(|e| fail(&e))?;
    tmp.persist(path).map_err(|e| fail(&e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! One snapshot with every model field present (built without
    //! `..Default::default()`, so a new field fails to compile here until it
    //! is given a value) goes through every format; each field of its JSON
    //! must come back, with the same text, from the CSV and Prometheus.

    use super::*;
    use crate::model::{Indicator, RiskLevel};
    use rust_decimal::Decimal;
    use serde_json::Value;
    use std::collections::BTreeMap;

    /// A fresh decimal per call, so two fields never share a value and a
    /// column or series taken from the wrong field is caught.
    struct Next(i64);
    impl Next {
        fn d(&mut self) -> Option<Decimal> {
            self.0 += 1;
            Some(Decimal::new(self.0 * 1001, 3))
        }
    }

    fn totals(n: &mut Next, ccy: &str) -> Totals {
        Totals {
            currency: Some(ccy.into()),
            net_assets: n.d(),
            total_cash: n.d(),
            buying_power: n.d(),
            market_value: n.d(),
            max_finance: n.d(),
            remaining_finance: n.d(),
            available_equity: n.d(),
            notional_value: n.d(),
            unrealized_pnl: n.d(),
            borrow_frozen: n.d(),
            isolated_equity: n.d(),
            interest: n.d(),
            wallet_balance: n.d(),
            margin_balance: n.d(),
            available_balance: n.d(),
            perp_unrealized_pnl: n.d(),
        }
    }

    fn risk(n: &mut Next, ratio_ccy: Option<&str>) -> Risk {
        Risk {
            level: Some(RiskLevel::Medium),
            margin_ratio: n.d(),
            margin_ratio_currency: ratio_ccy.map(String::from),
            margin_call: n.d(),
            initial_margin: n.d(),
            maintenance_margin: n.d(),
            adjusted_equity: n.d(),
            utilization: Some("0.2".parse().unwrap()),
            maintenance_rate: n.d(),
            initial_rate: n.d(),
            indicators: vec![Indicator::new(
                "deltaNeutralStatus",
                "1",
                "transfer restricted",
            )],
            ..Risk::default()
        }
    }

    fn balance(n: &mut Next, ccy: &str, view: Option<&str>) -> CurrencyBalance {
        CurrencyBalance {
            currency: ccy.into(),
            cash: n.d(),
            available: n.d(),
            frozen: n.d(),
            settling: n.d(),
            withdrawable: n.d(),
            equity: n.d(),
            liabilities: n.d(),
            value_in_base: n.d(),
            buying_power: n.d(),
            market_value: n.d(),
            interest: n.d(),
            frozen_fees: n.d(),
            in_transit: n.d(),
            available_equity: n.d(),
            unrealized_pnl: n.d(),
            borrow_frozen: n.d(),
            isolated_equity: n.d(),
            strategy_equity: n.d(),
            reward_balance: n.d(),
            max_loan: n.d(),
            margin_ratio: n.d(),
            initial_margin: n.d(),
            maintenance_margin: n.d(),
            notional_leverage: n.d(),
            wallet_balance: n.d(),
            spot_borrow: n.d(),
            view: view.map(String::from),
            wallet: None,
            indicators: vec![
                Indicator::new("twap", "2", "forced-repayment risk 2 of 5"),
                Indicator::unknown("colRes", "x"),
            ],
        }
    }

    fn full_report() -> Report {
        let mut n = Next(0);
        let snap = Snapshot {
            fetched_at: "2026-11-25T17:00:00Z".parse().unwrap(),
            venue_time: Some("2026-11-25T16:59:59.125Z".parse().unwrap()),
            account_mode: Some("Futures mode".into()),
            totals: totals(&mut n, "USD"),
            risk: risk(&mut n, Some("BTC")),
            currencies: vec![
                balance(&mut n, "BTC", None),
                balance(&mut n, "USDT", None),
                balance(&mut n, "USDT", Some("HKD")),
            ],
            wallets: Vec::new(),
            other_views: vec![View {
                totals: totals(&mut n, "HKD"),
                risk: risk(&mut n, None),
            }],
        };
        let cfg = Config::parse("", "test").unwrap();
        Report::new(
            vec![AccountReport::new(
                "acc \"one\"",
                crate::venues::okx::KIND,
                Ok(snap),
                &cfg,
            )],
            "USD",
        )
    }

    fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        lines
            .map(|l| {
                // The test's account name is quoted; no other field needs it.
                let l = l.replacen("\"acc \"\"one\"\"\"", "acc \"one\"", 1);
                let cells: Vec<&str> = l.split(',').collect();
                assert_eq!(cells.len(), header.len(), "{l}");
                header
                    .iter()
                    .zip(cells)
                    .map(|(h, c)| (h.to_string(), c.to_string()))
                    .collect()
            })
            .collect()
    }

    /// (name, labels, value) of every sample, and the metric names with HELP.
    type Sample = (String, BTreeMap<String, String>, String);
    fn prom_samples(text: &str) -> (Vec<Sample>, Vec<String>) {
        let mut out = Vec::new();
        let mut helped = Vec::new();
        for l in text.lines() {
            if let Some(h) = l.strip_prefix("# HELP ") {
                helped.push(h.split(' ').next().unwrap().to_string());
                continue;
            }
            if l.starts_with('#') {
                continue;
            }
            let (series, value) = l.rsplit_once(' ').unwrap();
            let (name, labels) = series.split_once('{').unwrap();
            let labels = labels
                .strip_suffix('}')
                .unwrap()
                .replace("\\\"", "\u{1}")
                .split("\",")
                .map(|kv| {
                    let (k, v) = kv.split_once("=\"").unwrap();
                    (
                        k.to_string(),
                        v.trim_end_matches('"').replace('\u{1}', "\""),
                    )
                })
                .collect();
            out.push((name.to_string(), labels, value.to_string()));
        }
        (out, helped)
    }

    /// A metric name and the labels that single out one of its samples.
    type Series<'a> = (String, Vec<(&'a str, &'a str)>);

    fn text(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            v => panic!("not a string: {v}"),
        }
    }

    #[test]
    fn every_json_field_is_in_csv_and_prometheus_with_the_same_text() {
        let report = full_report();
        let json = serde_json::to_value(&report).unwrap();
        let a = &json["accounts"][0];
        let rows = csv_rows(&report.to_csv());
        let (samples, helped) = prom_samples(&report.to_prometheus());
        let one = |name: &str, want: &[(&str, &str)]| -> Vec<&Sample> {
            samples
                .iter()
                .filter(|s| {
                    s.0 == name
                        && s.1.get("account").map(String::as_str) == Some("acc \"one\"")
                        && want.iter().all(|(k, v)| {
                            s.1.get(*k).map(String::as_str) == Some(*v)
                                || (v.is_empty() && !s.1.contains_key(*k))
                        })
                })
                .collect()
        };
        let prom = |name: &str, want: &[(&str, &str)]| -> String {
            let found = one(name, want);
            assert_eq!(found.len(), 1, "{name} {want:?}: {found:?}");
            found[0].2.clone()
        };
        assert_eq!(rows.len(), 3, "one row per currency");

        // Account level: the primary view.
        let mut checked = 0;
        for (object, fields) in [("totals", &a["totals"]), ("risk", &a["risk"])] {
            for (k, v) in fields.as_object().unwrap() {
                let (col, series): (String, Option<Series>) = match (object, k.as_str()) {
                    ("totals", "currency") => ("totals_currency".into(), None),
                    ("totals", "net_assets") => (
                        "net_assets".into(),
                        Some((
                            "baltui_net_assets".into(),
                            vec![("currency", "USD"), ("view", "")],
                        )),
                    ),
                    ("risk", "margin_ratio") => (
                        "margin_ratio".into(),
                        Some((
                            "baltui_margin_ratio".into(),
                            vec![("currency", "BTC"), ("view", "")],
                        )),
                    ),
                    ("risk", "level") => ("risk_level".into(), None),
                    ("risk", "margin_ratio_currency") => {
                        ("risk_margin_ratio_currency".into(), None)
                    }
                    ("risk", "utilization") => (
                        "risk_utilization".into(),
                        Some(("baltui_utilization_ratio".into(), vec![("view", "")])),
                    ),
                    ("risk", k @ ("maintenance_rate" | "initial_rate")) => (
                        format!("risk_{k}"),
                        Some((format!("baltui_{k}_ratio"), vec![("view", "")])),
                    ),
                    ("risk", "indicators") => {
                        for i in v.as_array().unwrap() {
                            let key = text(&i["key"]);
                            let got = prom(
                                "baltui_indicator",
                                &[("key", &key), ("currency", ""), ("view", "")],
                            );
                            assert_eq!(got, text(&i["value"]), "{key}");
                        }
                        continue;
                    }
                    (o, k) => (
                        format!("{o}_{k}"),
                        Some((
                            format!("baltui_{k}"),
                            vec![("currency", "USD"), ("view", "")],
                        )),
                    ),
                };
                for r in &rows {
                    assert_eq!(r[&col], text(v), "CSV {col}");
                }
                if let Some((name, labels)) = series {
                    assert_eq!(prom(&name, &labels), text(v), "{name}");
                    assert!(helped.contains(&name), "{name} has HELP");
                }
                checked += 1;
            }
        }
        assert_eq!(
            checked,
            17 + 10,
            "every total and risk figure but indicators"
        );
        assert_eq!(prom("baltui_risk_level", &[("view", "")]), "1", "medium");
        assert_eq!(rows[0]["risk_level"], "medium");
        assert_eq!(a["account_mode"], "Futures mode");
        assert_eq!(rows[0]["account_mode"], "Futures mode");
        assert_eq!(
            prom(
                "baltui_account_mode_info",
                &[("account_mode", "Futures mode")]
            ),
            "1"
        );
        assert_eq!(text(&a["venue_time"]), "2026-11-25T16:59:59.125Z");
        assert_eq!(rows[0]["venue_time"], "2026-11-25T16:59:59.125Z");
        assert_eq!(
            prom("baltui_venue_timestamp_seconds", &[]),
            "1795625999.125"
        );
        assert_eq!(rows[0]["fetched_at"], text(&a["fetched_at"]));

        // The other view: every figure in Prometheus under view="HKD".
        let v = &a["other_views"][0];
        assert_eq!(v["totals"]["currency"], "HKD");
        for (k, val) in v["totals"].as_object().unwrap() {
            if k != "currency" {
                let got = prom(
                    &format!("baltui_{k}"),
                    &[("currency", "HKD"), ("view", "HKD")],
                );
                assert_eq!(got, text(val), "view {k}");
            }
        }
        for k in [
            "margin_call",
            "initial_margin",
            "maintenance_margin",
            "adjusted_equity",
        ] {
            let got = prom(
                &format!("baltui_{k}"),
                &[("currency", "HKD"), ("view", "HKD")],
            );
            assert_eq!(got, text(&v["risk"][k]), "view {k}");
        }
        assert_eq!(
            prom("baltui_margin_ratio", &[("view", "HKD"), ("currency", "")]),
            text(&v["risk"]["margin_ratio"])
        );
        assert_eq!(prom("baltui_utilization_ratio", &[("view", "HKD")]), "0.2");
        assert_eq!(prom("baltui_risk_level", &[("view", "HKD")]), "1");

        // Per currency: every field of every row.
        for (i, c) in a["currencies"].as_array().unwrap().iter().enumerate() {
            let ccy = text(&c["currency"]);
            let view = c.get("view").map(text).unwrap_or_default();
            let r = &rows[i];
            assert_eq!(r["currency"], ccy);
            assert_eq!(r["view"], view);
            let mut fields = 0;
            for (k, val) in c.as_object().unwrap() {
                let (col, name, field) = match k.as_str() {
                    "currency" | "view" => continue,
                    "indicators" => {
                        for ind in val.as_array().unwrap() {
                            let key = text(&ind["key"]);
                            let found = one(
                                "baltui_indicator",
                                &[("key", &key), ("currency", &ccy), ("view", &view)],
                            );
                            // Numeric codes only; "x" is in the JSON alone.
                            match text(&ind["value"]).parse::<Decimal>() {
                                Ok(d) => assert_eq!(found[0].2, d.to_string()),
                                Err(_) => assert!(found.is_empty(), "{found:?}"),
                            }
                        }
                        continue;
                    }
                    "margin_ratio" => (
                        "currency_margin_ratio",
                        "baltui_currency_margin_ratio",
                        None,
                    ),
                    "notional_leverage" => (
                        "notional_leverage",
                        "baltui_currency_notional_leverage_ratio",
                        None,
                    ),
                    k => (k, "baltui_balance", Some(k)),
                };
                assert_eq!(r[col], text(val), "CSV {ccy} {col}");
                let mut labels = vec![("currency", ccy.as_str()), ("view", view.as_str())];
                if let Some(f) = field {
                    labels.push(("field", f));
                }
                assert_eq!(prom(name, &labels), text(val), "{name} {ccy} {k}");
                fields += 1;
            }
            assert_eq!(fields, 26, "every amount and ratio of a currency");
        }
    }

    #[test]
    fn csv_fields_with_a_comma_a_quote_and_a_newline_read_back_exactly() {
        let mut r = full_report();
        let name = "desk, \"alpha\"\nline two";
        let mode = " padded, \"mode\"\r\nend ";
        r.accounts[0].name = name.to_string();
        r.accounts[0].account_mode = Some(mode.to_string());
        let text = r.to_csv();
        // RFC 4180 as the crate writes it: quoted, the inner quote doubled.
        assert!(
            text.contains("\n\"desk, \"\"alpha\"\"\nline two\",okx,"),
            "{text}"
        );
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header.join(","), CSV_HEADER);
        let col = |n: &str| header.iter().position(|h| h == n).unwrap();
        let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
        let currencies: Vec<&str> = rows.iter().map(|row| &row[col("currency")]).collect();
        assert_eq!(currencies, ["BTC", "USDT", "USDT"]);
        for row in &rows {
            assert_eq!(row.len(), header.len());
            assert_eq!(&row[col("account")], name);
            assert_eq!(&row[col("account_mode")], mode);
            assert_eq!(&row[col("venue")], "okx");
        }
    }

    #[test]
    fn csv_keeps_the_old_columns_first_and_names_each_column_once() {
        let old = "account,venue,status,currency,cash,available,frozen,settling,withdrawable,equity,net_assets,totals_currency,margin_ratio,risk_level,worst_severity,fetched_at";
        assert!(CSV_HEADER.starts_with(&format!("{old},")), "{CSV_HEADER}");
        let cols: Vec<&str> = CSV_HEADER.split(',').collect();
        let mut unique = cols.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), cols.len(), "a column named twice");
        // Every row has as many fields as the header, a failed account too.
        let mut r = full_report();
        let cfg = Config::parse("", "test").unwrap();
        r.accounts.push(AccountReport::new(
            "down",
            crate::venues::webull::KIND,
            Err(VenueError::new(
                crate::venues::webull::KIND,
                crate::venues::ErrorKind::Api {
                    code: "X".into(),
                    message: "y".into(),
                },
            )),
            &cfg,
        ));
        let rows = csv_rows(&r.to_csv());
        let last = rows.last().unwrap();
        assert_eq!(last["account"], "down");
        assert!(
            cols.iter()
                .filter(|c| !["account", "venue", "status", "worst_severity"].contains(c))
                .all(|c| last[*c].is_empty()),
            "{last:?}"
        );
    }

    #[test]
    fn prometheus_series_are_unique_and_ratios_apart_from_amounts() {
        let (samples, helped) = prom_samples(&full_report().to_prometheus());
        // The totals' families name no account: they must not share a name
        // with an account family (baltui_total_cash is one).
        let (totals, _) = prom_samples(&totals_report().to_prometheus());
        let account_families: std::collections::HashSet<&String> = samples
            .iter()
            .filter(|s| s.1.contains_key("account"))
            .map(|s| &s.0)
            .collect();
        for s in totals.iter().filter(|s| !s.1.contains_key("account")) {
            assert!(!account_families.contains(&s.0), "{s:?}");
        }
        let mut seen = std::collections::HashSet::new();
        for s in &samples {
            assert!(seen.insert((&s.0, &s.1)), "duplicate series {s:?}");
            assert!(helped.contains(&s.0), "{} has HELP", s.0);
            s.2.parse::<f64>().unwrap();
        }
        // Families holding amounts carry the currency of the amount; the
        // ratio families hold ratios only.
        for s in &samples {
            let ratio = s.0.ends_with("_ratio");
            if s.0 == "baltui_balance" {
                let f = &s.1["field"];
                assert!(
                    !["margin_ratio", "notional_leverage"].contains(&f.as_str()),
                    "{s:?}"
                );
            }
            if ratio || s.0 == "baltui_risk_level" {
                assert!(!s.1.contains_key("field"), "{s:?}");
            }
            if ACCOUNT_AMOUNTS
                .iter()
                .any(|f| format!("baltui_{}", f.1) == s.0)
            {
                assert!(s.1.contains_key("currency"), "{s:?}");
            }
        }
    }

    #[test]
    fn table_shows_mode_ratio_currency_percent_and_other_views() {
        let t = full_report().to_table();
        assert!(t.contains("  account mode: Futures mode\n"), "{t}");
        assert!(t.contains("(BTC, the worst currency)"), "{t}");
        assert!(
            t.contains("margin utilization: 20%"),
            "a ratio shown in percent: {t}"
        );
        assert!(
            t.contains("available equity: ") && t.contains("notional value: "),
            "{t}"
        );
        assert!(t.contains("  HKD view: net assets "), "{t}");
        assert!(t.contains("USDT (HKD view)"), "{t}");
        assert!(t.contains("  BTC: margin ratio "), "{t}");
    }

    /// An account report with `status` and findings of these severities.
    fn account(status: Status, sevs: &[Severity]) -> AccountReport {
        AccountReport {
            name: "a".into(),
            venue: crate::venues::okx::KIND,
            status,
            error: None,
            fetched_at: None,
            venue_time: None,
            account_mode: None,
            totals: None,
            risk: None,
            other_views: Vec::new(),
            wallets: Vec::new(),
            currencies: Vec::new(),
            findings: sevs
                .iter()
                .map(|s| Finding {
                    severity: *s,
                    subject: "x".into(),
                    message: "x".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn exit_code_critical_wins_over_an_unreachable_account() {
        use Severity::{Critical, Notice, Warn};
        let code = |accounts: Vec<AccountReport>| Report::new(accounts, "USD").exit_code();
        let down = || account(Status::Error, &[Warn]);
        assert_eq!(code(vec![account(Status::Ok, &[Critical]), down()]), 2);
        assert_eq!(code(vec![account(Status::AuthFailed, &[Critical])]), 2);
        assert_eq!(code(vec![account(Status::Ok, &[Warn]), down()]), 3);
        assert_eq!(code(vec![account(Status::Ok, &[Warn, Notice])]), 1);
        assert_eq!(code(vec![account(Status::Ok, &[Notice])]), 0);
        assert_eq!(code(vec![]), 0);
    }

    #[test]
    fn a_failed_account_keeps_totals_and_risk_as_objects_of_nulls() {
        let cfg = Config::parse("", "test").unwrap();
        let e = VenueError::new(crate::venues::okx::KIND, crate::venues::ErrorKind::Timeout);
        let report = Report::new(
            vec![AccountReport::new(
                "down",
                crate::venues::okx::KIND,
                Err(e),
                &cfg,
            )],
            "USD",
        );
        let v: Value = serde_json::from_str(&report.to_json()).unwrap();
        let a = &v["accounts"][0];
        assert_eq!(a["status"], "error");
        assert!(a["totals"].is_object(), "{a}");
        assert!(a["risk"].is_object(), "{a}");
        assert!(a["risk"]["margin_ratio"].is_null());
        assert!(a["risk"]["level"].is_null());
        assert!(a["totals"]["net_assets"].is_null());
        // A fetched account's numbers are untouched.
        let ok = full_report();
        let v: Value = serde_json::from_str(&ok.to_json()).unwrap();
        assert!(v["accounts"][0]["totals"]["net_assets"].is_string());
    }

    #[test]
    fn csv_accounts_has_one_row_per_account_and_no_currency_rows() {
        let mut report = full_report();
        let cfg = Config::parse("", "test").unwrap();
        let e = VenueError::new(crate::venues::okx::KIND, crate::venues::ErrorKind::Timeout);
        report.accounts.push(AccountReport::new(
            "down, really",
            crate::venues::okx::KIND,
            Err(e),
            &cfg,
        ));
        let text = report.to_csv_accounts();
        let mut rd = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
        let rows: Vec<BTreeMap<String, String>> = rd
            .records()
            .map(|r| {
                let r = r.unwrap();
                assert_eq!(r.len(), header.len());
                header
                    .iter()
                    .cloned()
                    .zip(r.iter().map(String::from))
                    .collect()
            })
            .collect();
        assert_eq!(rows.len(), report.accounts.len(), "one row per account");
        let first = &rows[0];
        let a = &report.accounts[0];
        assert_eq!(first["account"], a.name);
        let t = a.totals.as_ref().unwrap();
        assert_eq!(
            first["totals_net_assets"],
            t.net_assets.map(|d| d.to_string()).unwrap_or_default()
        );
        assert!(!first.contains_key("cash"), "no per-currency columns");
        let down = &rows[rows.len() - 1];
        assert_eq!(down["account"], "down, really");
        assert_eq!(down["status"], "error");
        assert!(down["error"].contains("timed out"), "{down:?}");
        assert_eq!(down["totals_net_assets"], "");
        // The balances table is unchanged by the new one.
        assert!(report.to_csv().starts_with(CSV_HEADER));
    }

    #[test]
    fn csv_wallets_has_a_row_per_wallet_in_its_own_currency_and_headroom_columns() {
        use crate::model::{Headroom, Wallet};
        let mut report = full_report();
        let a = &mut report.accounts[0];
        a.wallets = vec![
            Wallet {
                name: "margin".into(),
                totals: Totals {
                    currency: Some("BTC".into()),
                    net_assets: Some("0.66666667".parse().unwrap()),
                    ..Totals::default()
                },
            },
            Wallet {
                name: "futures".into(),
                totals: Totals {
                    currency: Some("USDT".into()),
                    net_assets: Some("7964".parse().unwrap()),
                    total_cash: Some("8000".parse().unwrap()),
                    ..Totals::default()
                },
            },
        ];
        if let Some(r) = a.risk.as_mut() {
            r.headroom =
                Headroom::from_usage("0.3".parse().unwrap(), "accountMMRate (liquidation 1)");
        }
        let name = a.name.clone();
        let text = report.to_csv_wallets();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(
                "account,venue,status,fetched_at,wallet,currency,net_assets,total_cash,available_equity,unrealized_pnl"
            )
        );
        let mut rd = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<Vec<String>> = rd
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect();
        assert_eq!(rows.len(), 2, "{text}");
        assert_eq!(rows[0][0], name);
        assert_eq!(rows[0][4..8], ["margin", "BTC", "0.66666667", ""]);
        assert_eq!(rows[1][4..8], ["futures", "USDT", "7964", "8000"]);
        // Both other tables end with the headroom and its basis.
        for table in [report.to_csv(), report.to_csv_accounts()] {
            let mut rd = csv::Reader::from_reader(table.as_bytes());
            let h: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
            assert_eq!(
                h[h.len() - 3..],
                [
                    "risk_margin_headroom",
                    "risk_margin_headroom_basis",
                    "risk_margin_currency"
                ]
            );
            let first = rd.records().next().unwrap().unwrap();
            assert_eq!(first.get(h.len() - 3), Some("0.7"));
            assert_eq!(
                first.get(h.len() - 2),
                Some("accountMMRate (liquidation 1)")
            );
        }
    }

    #[test]
    fn the_risk_level_reads_the_same_in_every_format() {
        use crate::model::RiskLevel;
        let mut report = full_report();
        if let Some(r) = report.accounts[0].risk.as_mut() {
            r.level = Some(RiskLevel::Warning);
        }
        let v: Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(v["accounts"][0]["risk"]["level"], "warning");
        let csv_text = report.to_csv();
        let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
        let col = rd
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "risk_level")
            .unwrap();
        let first = rd.records().next().unwrap().unwrap();
        assert_eq!(&first[col], "warning");
        assert!(report.to_table().contains("risk level: warning (2)"));
        let (samples, _) = prom_samples(&report.to_prometheus());
        let level = samples
            .iter()
            .find(|s| s.0 == "baltui_risk_level")
            .unwrap_or_else(|| panic!("no level sample"));
        assert_eq!(level.2, "2");
    }

    /// OKX in USD, LongPort in HKD with a USD view, Webull in CNH (no rate),
    /// and one account down.
    fn totals_report() -> Report {
        let cfg = Config::parse("", "test").unwrap();
        let dd = |s: &str| Some(s.parse::<Decimal>().unwrap());
        let at: DateTime<Utc> = "2026-11-25T17:00:00Z".parse().unwrap();
        let snap = |t: Totals, views: Vec<Totals>, rows: Vec<CurrencyBalance>| Snapshot {
            fetched_at: at,
            venue_time: None,
            account_mode: None,
            totals: t,
            risk: Risk::default(),
            currencies: rows,
            wallets: Vec::new(),
            other_views: views
                .into_iter()
                .map(|totals| View {
                    totals,
                    risk: Risk::default(),
                })
                .collect(),
        };
        let t = |ccy: &str, net: &str, cash: Option<&str>| Totals {
            currency: Some(ccy.into()),
            net_assets: dd(net),
            total_cash: cash.and_then(dd),
            ..Totals::default()
        };
        let okx = snap(
            t("USD", "1000.5", None),
            vec![],
            vec![CurrencyBalance {
                currency: "USD".into(),
                cash: dd("10.25"),
                available: dd("9"),
                ..CurrencyBalance::default()
            }],
        );
        let lp = snap(
            t("HKD", "7800", Some("780")),
            vec![t("USD", "1000", Some("100"))],
            vec![CurrencyBalance {
                currency: "USD".into(),
                available: dd("5.5"),
                frozen: dd("1"),
                ..CurrencyBalance::default()
            }],
        );
        let wb = snap(t("CNH", "70", Some("7")), vec![], vec![]);
        let down = VenueError::new(crate::venues::okx::KIND, crate::venues::ErrorKind::Timeout);
        Report::new(
            vec![
                AccountReport::new("okx-a", crate::venues::okx::KIND, Ok(okx), &cfg),
                AccountReport::new("lp-hk", crate::venues::longport::KIND, Ok(lp), &cfg),
                AccountReport::new("wb-cn", crate::venues::webull::KIND, Ok(wb), &cfg),
                AccountReport::new("okx-down", crate::venues::okx::KIND, Err(down), &cfg),
            ],
            "USD",
        )
    }

    #[test]
    fn totals_read_the_same_in_json_table_and_prometheus() {
        let report = totals_report();
        let v: Value = serde_json::from_str(&report.to_json()).unwrap();
        let t = &v["totals"];
        assert_eq!(t["currency"], "USD");
        assert_eq!(t["net_assets"], "2000.5");
        assert_eq!(t["cash"], "100");
        assert_eq!(t["approximate"], false);
        assert_eq!(t["cash_missing"], serde_json::json!(["okx-a"]));
        let inc: Vec<&str> = t["included"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["account"].as_str().unwrap())
            .collect();
        assert_eq!(inc, ["okx-a", "lp-hk"]);
        assert!(t["included"][1]["rate"].is_null(), "its own USD view");
        let exc: Vec<(&str, &str)> = t["excluded"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["account"].as_str().unwrap(),
                    e["reason"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(exc, [("wb-cn", "not_convertible"), ("okx-down", "failed")]);
        assert_eq!(t["rates"][0]["from"], "HKD");
        assert_eq!(t["rates"][0]["source"], "lp-hk net_assets USD/HKD");
        assert_eq!(t["rates"][0]["as_of"], "2026-11-25T17:00:00Z");
        let usd = &t["by_currency"][0];
        assert_eq!(usd["currency"], "USD");
        assert_eq!(usd["cash"], "10.25");
        assert_eq!(usd["available"], "14.5");
        assert_eq!(usd["frozen"], "1");
        assert_eq!(usd["accounts"], serde_json::json!(["okx-a", "lp-hk"]));
        // The accounts' own fields are unchanged.
        assert_eq!(v["accounts"][0]["totals"]["net_assets"], "1000.5");

        let (samples, helped) = prom_samples(&report.to_prometheus());
        let get = |name: &str, labels: &[(&str, &str)]| -> String {
            let found: Vec<&Sample> = samples
                .iter()
                .filter(|s| {
                    s.0 == name
                        && labels
                            .iter()
                            .all(|(k, v)| s.1.get(*k).map(String::as_str) == Some(*v))
                })
                .collect();
            assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
            assert!(helped.contains(&found[0].0), "{name} has HELP");
            found[0].2.clone()
        };
        let usd_l = [("currency", "USD")];
        assert_eq!(
            get("baltui_portfolio_net_assets", &usd_l),
            text(&t["net_assets"])
        );
        assert_eq!(get("baltui_portfolio_cash", &usd_l), text(&t["cash"]));
        assert_eq!(get("baltui_portfolio_approximate", &usd_l), "0");
        assert_eq!(
            get("baltui_portfolio_accounts", &[("state", "included")]),
            "2"
        );
        assert_eq!(
            get("baltui_portfolio_accounts", &[("state", "converted")]),
            "0"
        );
        assert_eq!(
            get("baltui_portfolio_accounts", &[("state", "excluded")]),
            "2"
        );
        assert_eq!(
            get(
                "baltui_portfolio_excluded",
                &[("account", "wb-cn"), ("reason", "not_convertible")]
            ),
            "1"
        );
        assert_eq!(
            get(
                "baltui_portfolio_rate_ratio",
                &[("from", "HKD"), ("to", "USD")]
            ),
            text(&t["rates"][0]["rate"])
        );
        for f in ["cash", "available", "frozen"] {
            assert_eq!(
                get(&format!("baltui_currency_{f}"), &usd_l),
                text(&usd[f]),
                "{f}"
            );
        }

        let table = report.to_table();
        assert!(
            table.contains("TOTAL in USD: net assets 2000.5   cash 100\n"),
            "{table}"
        );
        assert!(table.contains("  2 of 4 accounts included\n"), "{table}");
        assert!(
            table.contains("  no total cash reported by: okx-a\n"),
            "{table}"
        );
        assert!(table.contains("  excluded wb-cn: no CNH rate\n"), "{table}");
        assert!(table.contains("  excluded okx-down: failed\n"), "{table}");
        // "+": a sum some holder does not report (LongPort has no cash row
        // amount, OKX no frozen).
        assert!(
            table.contains("  CURRENCY    CASH  AVAILABLE  FROZEN  ACCOUNTS\n  USD       10.25+       14.5      1+  okx-a, lp-hk\n"),
            "{table}"
        );
    }

    #[test]
    fn a_converted_total_is_marked_in_every_format() {
        let mut report = totals_report();
        report.totals = {
            let holdings: Vec<Holding> =
                report.accounts.iter().map(AccountReport::holding).collect();
            Portfolio::build(&holdings, "HKD")
        };
        let v: Value = serde_json::from_str(&report.to_json()).unwrap();
        let t = &v["totals"];
        assert_eq!(t["approximate"], true);
        // OKX's USD at LongPort's own rate (7800/1000), LongPort exact in HKD.
        assert_eq!(t["net_assets"], "15603.90");
        assert_eq!(
            t["included"][0]["rate"]["source"],
            "lp-hk net_assets HKD/USD"
        );
        assert_eq!(t["included"][0]["net_assets"], "7803.90");
        let (samples, _) = prom_samples(&report.to_prometheus());
        let approx = samples
            .iter()
            .find(|s| s.0 == "baltui_portfolio_approximate")
            .unwrap();
        assert_eq!(
            (approx.1["currency"].as_str(), approx.2.as_str()),
            ("HKD", "1")
        );
        let table = report.to_table();
        assert!(
            table.contains("TOTAL in HKD: net assets ≈ 15603.90"),
            "{table}"
        );
        assert!(
            table.contains("  ≈ okx-a: USD at 7.80 HKD/USD (lp-hk net_assets HKD/USD)\n"),
            "{table}"
        );
    }
}
