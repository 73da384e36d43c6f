//! The store's tables, as versioned steps: `PRAGMA user_version` says how
//! many have run. A new version appends a step; a step is never edited
//! once released. A file newer than this build knows is refused, never
//! downgraded.
//!
//! Decimals are TEXT, exactly as the venue sent them; times are INTEGER
//! unix milliseconds UTC (the `*_v` views add readable times and names).

use rusqlite::Connection;
use std::path::Path;

/// Each step brings the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the tables.
    "
    CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        venue TEXT NOT NULL
    );
    -- One row per poll that changed something (status, error, a figure),
    -- plus a heartbeat row for a quiet account. Figures are NULL on a
    -- failed poll. `full` = balances holds every currency of this poll;
    -- otherwise only the currencies that changed since the previous row
    -- of the account (and `gone` rows for those that went away).
    CREATE TABLE polls (
        id INTEGER PRIMARY KEY,
        account INTEGER NOT NULL REFERENCES accounts(id),
        at INTEGER NOT NULL,
        status TEXT NOT NULL,
        error TEXT,
        fetched_at INTEGER,
        currency TEXT,
        net_assets TEXT,
        total_cash TEXT,
        margin_ratio TEXT,
        headroom TEXT,
        risk_level TEXT,
        heartbeat INTEGER NOT NULL DEFAULT 0,
        full INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX polls_account_at ON polls(account, at);
    CREATE TABLE balances (
        poll INTEGER NOT NULL REFERENCES polls(id),
        currency TEXT NOT NULL,
        wallet TEXT NOT NULL DEFAULT '',
        view TEXT NOT NULL DEFAULT '',
        gone INTEGER NOT NULL DEFAULT 0,
        cash TEXT,
        available TEXT,
        frozen TEXT,
        settling TEXT,
        withdrawable TEXT,
        equity TEXT,
        liabilities TEXT,
        value_in_base TEXT,
        PRIMARY KEY (poll, currency, wallet, view)
    ) WITHOUT ROWID;
    CREATE TABLE transitions (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        account TEXT NOT NULL,
        venue TEXT NOT NULL,
        subject TEXT NOT NULL,
        previous TEXT NOT NULL,
        severity TEXT NOT NULL,
        message TEXT NOT NULL
    );
    CREATE INDEX transitions_at ON transitions(at);
    CREATE INDEX transitions_account_at ON transitions(account, at);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        account TEXT NOT NULL,
        severity TEXT NOT NULL,
        text TEXT NOT NULL
    );
    CREATE INDEX events_at ON events(at);
    CREATE INDEX events_account_at ON events(account, at);
    -- Each account's last good snapshot (the snapshot JSON schema), for a
    -- front end's start; one row per account, overwritten.
    CREATE TABLE latest (
        account TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        snapshot TEXT NOT NULL
    );
    ",
    // 2: views for people at the sqlite3 prompt: names and RFC 3339 times.
    "
    CREATE VIEW polls_v AS
        SELECT p.id, strftime('%Y-%m-%dT%H:%M:%fZ', p.at / 1000.0, 'unixepoch') AS at_utc,
               a.name AS account, a.venue, p.status, p.error, p.currency, p.net_assets,
               p.total_cash, p.margin_ratio, p.headroom, p.risk_level, p.heartbeat, p.full, p.at
        FROM polls p JOIN accounts a ON a.id = p.account;
    CREATE VIEW balances_v AS
        SELECT p.at_utc, p.account, b.currency, b.wallet, b.view, b.gone, b.cash, b.available,
               b.frozen, b.settling, b.withdrawable, b.equity, b.liabilities, b.value_in_base,
               p.full, b.poll
        FROM balances b JOIN polls_v p ON p.id = b.poll;
    CREATE VIEW transitions_v AS
        SELECT strftime('%Y-%m-%dT%H:%M:%fZ', at / 1000.0, 'unixepoch') AS at_utc, *
        FROM transitions;
    CREATE VIEW events_v AS
        SELECT strftime('%Y-%m-%dT%H:%M:%fZ', at / 1000.0, 'unixepoch') AS at_utc, *
        FROM events;
    ",
];

/// The version this build writes.
pub fn current() -> i64 {
    MIGRATIONS.len() as i64
}

/// The file's `user_version`.
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// A message when the file is newer than this build: never downgraded.
pub fn check_not_newer(v: i64, path: &Path) -> Result<(), String> {
    if v > current() {
        return Err(format!(
            "{}: history store schema version {v} is newer than this baltui knows ({}); \
             run a newer baltui, or give this one its own [history] path",
            path.display(),
            current()
        ));
    }
    Ok(())
}

/// Runs the steps the file has not had yet, each in its own transaction.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<(), String> {
    let fail =
        |e: rusqlite::Error| format!("{}: cannot update the history schema: {e}", path.display());
    let v = version(conn).map_err(fail)?;
    check_not_newer(v, path)?;
    for (i, step) in MIGRATIONS.iter().enumerate().skip(v.max(0) as usize) {
        let tx = conn.transaction().map_err(fail)?;
        tx.execute_batch(step).map_err(fail)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
}
