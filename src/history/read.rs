//! The store's read side: each account's last snapshot, a chart's series,
//! and the rows `baltui history` exports.

use super::export::ExportRow;
use super::store::Store;
use super::{from_ms, ms};
use crate::model::{Series, SeriesPoint, Snapshot};
use crate::record::HistoryReader;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// A read-only connection to the store (it never creates, migrates or
/// moves the file). Calls block on the disk.
pub struct Reader {
    store: Mutex<Store>,
    /// The recorder's heartbeat: rows further apart than two of them mean
    /// it was not running.
    heartbeat: chrono::Duration,
}

/// Why `export` gave no rows.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportError {
    /// The account is not in the store; the ones that are, by name.
    UnknownAccount {
        name: String,
        known: Vec<String>,
    },
    Store(String),
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportError::UnknownAccount { name, known } if known.is_empty() => {
                write!(
                    f,
                    "no account {name:?} in the history store (it holds none yet)"
                )
            }
            ExportError::UnknownAccount { name, known } => write!(
                f,
                "no account {name:?} in the history store; it knows: {}",
                known.join(", ")
            ),
            ExportError::Store(e) => f.write_str(e),
        }
    }
}

fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> String + '_ {
    move |e| format!("{}: cannot read the history store: {e}", path.display())
}

/// A stored decimal; text that is not one (edited by hand?) reads as absent.
fn dec(s: Option<String>) -> Option<Decimal> {
    s.and_then(|s| s.parse().ok())
}

/// One stored poll row, as the export walks them.
struct PollRow {
    id: i64,
    at: i64,
    status: String,
    error: Option<String>,
    currency: Option<String>,
    net_assets: Option<String>,
    total_cash: Option<String>,
    margin_ratio: Option<String>,
    headroom: Option<String>,
    risk_level: Option<String>,
    full: bool,
}

/// One currency's stored amounts.
#[derive(Clone)]
struct Amounts([Option<String>; 8]);

impl Reader {
    /// Opens `path` read-only; `heartbeat` is the recorder's (`[history] heartbeat`).
    pub fn open(path: &Path, heartbeat: Duration) -> Result<Reader, String> {
        Ok(Reader {
            store: Mutex::new(Store::open_read(path)?),
            heartbeat: chrono::Duration::from_std(heartbeat)
                .unwrap_or(chrono::Duration::minutes(5)),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&Store) -> Result<T, String>) -> Result<T, String> {
        let store = self
            .store
            .lock()
            .map_err(|_| "history reader: an earlier read failed midway".to_string())?;
        f(&store)
    }

    /// The accounts in the store, by name.
    pub fn accounts(&self) -> Result<Vec<(i64, String, String)>, String> {
        self.with(|s| {
            let err = sql_err(&s.path);
            s.conn
                .prepare("SELECT id, name, venue FROM accounts ORDER BY name")
                .map_err(&err)?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(&err)?
                .collect::<Result<_, _>>()
                .map_err(&err)
        })
    }

    /// One row per stored poll and currency since `since` (all accounts, or
    /// `account`; all currencies, or `currency`), by account then time. A
    /// row stored with only its changed currencies is completed from the
    /// rows before it (back to the last full one). A failed poll is one row
    /// with its error and no currency.
    pub fn export(
        &self,
        account: Option<&str>,
        since: DateTime<Utc>,
        currency: Option<&str>,
    ) -> Result<Vec<ExportRow>, ExportError> {
        let accounts = self.accounts().map_err(ExportError::Store)?;
        let chosen: Vec<&(i64, String, String)> = match account {
            None => accounts.iter().collect(),
            Some(name) => {
                let found: Vec<_> = accounts.iter().filter(|a| a.1 == name).collect();
                if found.is_empty() {
                    return Err(ExportError::UnknownAccount {
                        name: name.to_string(),
                        known: accounts.iter().map(|a| a.1.clone()).collect(),
                    });
                }
                found
            }
        };
        let mut out = Vec::new();
        for (id, name, venue) in chosen {
            self.with(|s| export_account(s, *id, name, venue, ms(since), currency, &mut out))
                .map_err(ExportError::Store)?;
        }
        Ok(out)
    }
}

fn export_account(
    s: &Store,
    account: i64,
    name: &str,
    venue: &str,
    since: i64,
    currency: Option<&str>,
    out: &mut Vec<ExportRow>,
) -> Result<(), String> {
    let err = sql_err(&s.path);
    // Start at the last full row at or before `since`: what was in force then.
    let start: i64 = s
        .conn
        .query_row(
            "SELECT coalesce(max(id), 0) FROM polls WHERE account = ?1 AND at <= ?2 AND full = 1",
            params![account, since],
            |r| r.get(0),
        )
        .map_err(&err)?;
    let mut polls = s
        .conn
        .prepare(
            "SELECT id, at, status, error, currency, net_assets, total_cash, margin_ratio, headroom,
                    risk_level, full
             FROM polls WHERE account = ?1 AND id >= ?2 ORDER BY id",
        )
        .map_err(&err)?;
    let mut balances = s
        .conn
        .prepare(
            "SELECT currency, wallet, view, gone, cash, available, frozen, settling, withdrawable,
                    equity, liabilities, value_in_base
             FROM balances WHERE poll = ?1",
        )
        .map_err(&err)?;
    let rows = polls
        .query_map(params![account, start], |r| {
            Ok(PollRow {
                id: r.get(0)?,
                at: r.get(1)?,
                status: r.get(2)?,
                error: r.get(3)?,
                currency: r.get(4)?,
                net_assets: r.get(5)?,
                total_cash: r.get(6)?,
                margin_ratio: r.get(7)?,
                headroom: r.get(8)?,
                risk_level: r.get(9)?,
                full: r.get(10)?,
            })
        })
        .map_err(&err)?;
    let mut state: BTreeMap<(String, String, String), Amounts> = BTreeMap::new();
    for row in rows {
        let p = row.map_err(&err)?;
        if p.full {
            state.clear();
        }
        let changes = balances
            .query_map([p.id], |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ),
                    r.get::<_, bool>(3)?,
                    Amounts([
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                        r.get(10)?,
                        r.get(11)?,
                    ]),
                ))
            })
            .map_err(&err)?;
        for c in changes {
            let (key, gone, amounts) = c.map_err(&err)?;
            if gone {
                state.remove(&key);
            } else {
                state.insert(key, amounts);
            }
        }
        if p.at < since {
            continue;
        }
        let Some(at) = from_ms(p.at) else { continue };
        let base = ExportRow {
            at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            account: name.to_string(),
            venue: venue.to_string(),
            status: p.status.clone(),
            currency: None,
            wallet: None,
            view: None,
            cash: None,
            available: None,
            frozen: None,
            settling: None,
            withdrawable: None,
            equity: None,
            liabilities: None,
            value_in_base: None,
            net_assets: dec(p.net_assets.clone()),
            total_cash: dec(p.total_cash.clone()),
            totals_currency: p.currency.clone(),
            margin_ratio: dec(p.margin_ratio.clone()),
            headroom: dec(p.headroom.clone()),
            risk_level: p.risk_level.clone(),
            error: p.error.clone(),
        };
        if p.status != "ok" {
            out.push(base);
            continue;
        }
        for ((ccy, wallet, view), Amounts(a)) in &state {
            if currency.is_some_and(|c| !c.eq_ignore_ascii_case(ccy)) {
                continue;
            }
            let some = |s: &String| (!s.is_empty()).then(|| s.clone());
            out.push(ExportRow {
                currency: Some(ccy.clone()),
                wallet: some(wallet),
                view: some(view),
                cash: dec(a[0].clone()),
                available: dec(a[1].clone()),
                frozen: dec(a[2].clone()),
                settling: dec(a[3].clone()),
                withdrawable: dec(a[4].clone()),
                equity: dec(a[5].clone()),
                liabilities: dec(a[6].clone()),
                value_in_base: dec(a[7].clone()),
                ..base.clone()
            });
        }
    }
    Ok(())
}

impl HistoryReader for Reader {
    fn last_known(&self) -> Result<Vec<(String, Snapshot)>, String> {
        self.with(|s| {
            let err = sql_err(&s.path);
            let rows: Vec<(String, String)> = s
                .conn
                .prepare("SELECT account, snapshot FROM latest ORDER BY account")
                .map_err(&err)?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(&err)?
                .collect::<Result<_, _>>()
                .map_err(&err)?;
            let mut out = Vec::with_capacity(rows.len());
            for (account, json) in rows {
                match serde_json::from_str::<Snapshot>(&json) {
                    Ok(snap) => out.push((account, snap)),
                    // One unreadable row (written by another version?) must
                    // not hide the others.
                    Err(e) => tracing::warn!(
                        "{}: the stored snapshot of {account:?} does not read back: {e}",
                        s.path.display()
                    ),
                }
            }
            Ok(out)
        })
    }

    fn series(
        &self,
        account: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Series, String> {
        let mut series = Series {
            account: account.to_string(),
            from: Some(from),
            to: Some(to),
            points: Vec::new(),
        };
        let rows: Vec<SeriesRow> = self.with(|s| {
            let err = sql_err(&s.path);
            let id: Option<i64> = s
                .conn
                .query_row("SELECT id FROM accounts WHERE name = ?1", [account], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(&err)?;
            let Some(id) = id else { return Ok(Vec::new()) };
            // From the last row before `from` (the value in force then).
            s.conn
                .prepare_cached(
                    "SELECT at, status, margin_ratio, net_assets, currency FROM polls
                         WHERE account = ?1 AND at <= ?3 AND at >= coalesce(
                             (SELECT max(at) FROM polls WHERE account = ?1 AND at < ?2), ?2)
                         ORDER BY at, id",
                )
                .map_err(&err)?
                .query_map(params![id, ms(from), ms(to)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .map_err(&err)?
                .collect::<Result<_, _>>()
                .map_err(&err)
        })?;
        let silence = self.heartbeat * 2;
        let mut prev: Option<DateTime<Utc>> = None;
        for (at, status, ratio, net, ccy) in rows {
            let Some(at) = from_ms(at) else { continue };
            if let Some(p) = prev
                && at - p > silence
            {
                series
                    .points
                    .push(gap(p.checked_add_signed(self.heartbeat).unwrap_or(p)));
            }
            prev = Some(at);
            series.points.push(SeriesPoint {
                at: at.max(from),
                ok: status == "ok",
                margin_ratio: dec(ratio),
                net_assets: dec(net),
                currency: ccy,
            });
        }
        // The recorder stopped (or is not running now).
        if let Some(p) = prev
            && to - p > silence
        {
            series.points.push(gap(p
                .checked_add_signed(self.heartbeat)
                .unwrap_or(p)
                .max(from)));
        }
        Ok(series)
    }
}

/// A poll row as a chart reads it: at, status, margin ratio, net assets, currency.
type SeriesRow = (i64, String, Option<String>, Option<String>, Option<String>);

/// A point that starts a gap: nothing is known from `at`.
fn gap(at: DateTime<Utc>) -> SeriesPoint {
    SeriesPoint {
        at,
        ok: false,
        margin_ratio: None,
        net_assets: None,
        currency: None,
    }
}
