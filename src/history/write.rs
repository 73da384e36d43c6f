//! The engine's `Recorder`: calls queue into a bounded channel and return at
//! once; a thread writes batches of them in transactions, keeps only the
//! polls that changed something (plus a heartbeat), prunes old rows, and
//! reports its faults through the caller's callback, once per episode.

use super::ms;
use super::store::{LockError, Store, StoreLock};
use crate::alerts::Transition;
use crate::health::Severity;
use crate::model::{CurrencyBalance, Snapshot};
use crate::monitor::{Account, EventLine, PollState};
use crate::record::Recorder;
use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Records waiting for the writer thread: at 10 accounts polled every 5 s,
/// half an hour of polls.
const QUEUE: usize = 4096;
/// Most records written in one transaction.
const BATCH: usize = 1024;
/// Rows deleted per pruning transaction (each a short lock).
const PRUNE_BATCH: usize = 2000;
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// A store that cannot be opened is tried again this often.
const RETRY: Duration = Duration::from_secs(5);

/// The caller's way to hear about the writer's faults and recoveries.
pub type Report = Box<dyn Fn(Severity, String) + Send>;

/// One account right after a poll, as the store keeps it.
#[derive(Debug, Clone)]
pub struct PollRecord {
    pub account: String,
    /// The venue's config id ("okx").
    pub venue: String,
    pub at: DateTime<Utc>,
    pub status: PollState,
    /// Why the poll failed (None when it did not).
    pub error: Option<String>,
    /// This poll's data; None when it failed.
    pub snapshot: Option<Snapshot>,
}

impl PollRecord {
    /// From the monitor's account: the last good snapshot counts as this
    /// poll's data only when this poll succeeded.
    pub fn of(account: &Account, at: DateTime<Utc>) -> PollRecord {
        let ok = account.poll == PollState::Ok;
        PollRecord {
            account: account.spec.name.clone(),
            venue: account.spec.venue.as_str().to_string(),
            at,
            status: account.poll,
            error: if ok { None } else { account.last_error.clone() },
            snapshot: if ok { account.snapshot.clone() } else { None },
        }
    }
}

enum Msg {
    Poll(Box<PollRecord>),
    Transition(Transition, DateTime<Utc>),
    Event(EventLine),
    /// Answered once everything queued before it is written.
    Flush(SyncSender<()>),
}

/// Shared between the engine side and the thread.
struct Shared {
    report: Mutex<Report>,
    /// Records the full queue turned away in the current episode.
    queue_dropped: AtomicU64,
    queue_full: AtomicBool,
    /// Records the thread could not write, in all.
    write_dropped: AtomicU64,
}

impl Shared {
    fn say(&self, severity: Severity, text: String) {
        if let Ok(f) = self.report.lock() {
            f(severity, text);
        }
    }
}

/// Writes the history store on its own thread. `close()` (or drop) writes
/// what is queued and stops it.
pub struct Writer {
    tx: Option<SyncSender<Msg>>,
    thread: Option<std::thread::JoinHandle<()>>,
    shared: Arc<Shared>,
    path: PathBuf,
}

impl Writer {
    /// Takes the store's lock (refused when another process records into
    /// `path`: the message names it and its pid) and starts the thread. The
    /// store is opened on the thread: a corrupt file moved aside, or a store
    /// that cannot be locked or opened (a read-only directory: both are
    /// tried again), is told through `report`, and recording goes on.
    pub fn start(
        path: &Path,
        keep: Duration,
        heartbeat: Duration,
        report: Report,
    ) -> Result<Writer, String> {
        let lock = match Store::lock(path) {
            Ok(l) => Some(l),
            Err(LockError::Held(e)) => return Err(e),
            // Told by the thread, which tries again.
            Err(LockError::Io(_)) => None,
        };
        let shared = Arc::new(Shared {
            report: Mutex::new(report),
            queue_dropped: AtomicU64::new(0),
            queue_full: AtomicBool::new(false),
            write_dropped: AtomicU64::new(0),
        });
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let mut thread = Thread {
            path: path.to_path_buf(),
            lock,
            store: None,
            retry_at: Instant::now(),
            failing: None,
            keep: chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::MAX),
            heartbeat: chrono::Duration::from_std(heartbeat)
                .unwrap_or(chrono::Duration::minutes(5)),
            last: HashMap::new(),
            ids: HashMap::new(),
            latest: BTreeMap::new(),
            next_prune: Instant::now(),
            shared: shared.clone(),
        };
        let handle = std::thread::Builder::new()
            .name("history-writer".into())
            .spawn(move || thread.run(rx))
            .map_err(|e| format!("cannot start the history writer thread: {e}"))?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(handle),
            shared,
            path: path.to_path_buf(),
        })
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues one poll's record (what `Recorder::polled` does with an account).
    pub fn record_poll(&mut self, r: PollRecord) {
        self.send(Msg::Poll(Box::new(r)));
    }

    /// Records lost so far: turned away by a full queue, or not writable.
    pub fn dropped(&self) -> u64 {
        self.shared.queue_dropped.load(Ordering::Relaxed)
            + self.shared.write_dropped.load(Ordering::Relaxed)
    }

    /// Waits (at most `timeout`) until everything queued so far is written
    /// or dropped. False on timeout.
    pub fn flush(&self, timeout: Duration) -> bool {
        let Some(tx) = &self.tx else { return true };
        let (ack, done) = std::sync::mpsc::sync_channel(1);
        let deadline = Instant::now() + timeout;
        let mut msg = Msg::Flush(ack);
        loop {
            match tx.try_send(msg) {
                Ok(()) => break,
                Err(TrySendError::Full(m)) if Instant::now() < deadline => {
                    msg = m;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return false,
            }
        }
        done.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }

    /// Writes what is queued and stops the thread.
    pub fn close(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        // Dropping the sender ends the thread's loop after the queue drains.
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    fn send(&mut self, msg: Msg) {
        let Some(tx) = &self.tx else { return };
        match tx.try_send(msg) {
            Ok(()) => {
                if self.shared.queue_full.swap(false, Ordering::Relaxed) {
                    let n = self.shared.queue_dropped.load(Ordering::Relaxed);
                    self.shared.say(Severity::Notice, format!(
                        "history: recording into {} again ({n} records were dropped while its queue was full)",
                        self.path.display()
                    ));
                }
            }
            Err(TrySendError::Full(_)) => {
                self.shared.queue_dropped.fetch_add(1, Ordering::Relaxed);
                if !self.shared.queue_full.swap(true, Ordering::Relaxed) {
                    self.shared.say(Severity::Warn, format!(
                        "history: cannot write {}: the write queue is full (the disk is slow or stuck); dropping records; polling and alerts go on",
                        self.path.display()
                    ));
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                self.shared.write_dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Recorder for Writer {
    fn polled(&mut self, account: &Account, at: DateTime<Utc>) {
        self.record_poll(PollRecord::of(account, at));
    }
    fn transition(&mut self, t: &Transition, at: DateTime<Utc>) {
        self.send(Msg::Transition(t.clone(), at));
    }
    fn event(&mut self, e: &EventLine) {
        self.send(Msg::Event(e.clone()));
    }
}

/// The key of a balance row within an account.
type Key = (String, String, String);

fn key_of(c: &CurrencyBalance) -> Key {
    (
        c.currency.clone(),
        c.wallet.clone().unwrap_or_default(),
        c.view.clone().unwrap_or_default(),
    )
}

/// What was last stored for an account, to tell a change.
struct Last {
    at: DateTime<Utc>,
    status: PollState,
    error: Option<String>,
    /// The account-wide figures (totals, risk, views, wallets) as JSON.
    figures: Option<String>,
    /// Each currency row as JSON (as of the last good poll stored).
    currencies: HashMap<Key, String>,
    /// When balances last held every currency.
    full_at: DateTime<Utc>,
}

struct Thread {
    path: PathBuf,
    /// Taken before the store is opened; released when the thread ends.
    lock: Option<StoreLock>,
    store: Option<Store>,
    retry_at: Instant,
    /// Records dropped in the current failure episode (Some while failing).
    failing: Option<u64>,
    keep: chrono::Duration,
    heartbeat: chrono::Duration,
    last: HashMap<String, Last>,
    ids: HashMap<String, i64>,
    /// Snapshots for the `latest` table, written with the batch.
    latest: BTreeMap<String, (DateTime<Utc>, String)>,
    next_prune: Instant,
    shared: Arc<Shared>,
}

impl Thread {
    fn run(&mut self, rx: Receiver<Msg>) {
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let wait = self
                .next_prune
                .saturating_duration_since(Instant::now())
                .min(Duration::from_secs(1));
            let open = match rx.recv_timeout(wait) {
                Ok(m) => {
                    batch.push(m);
                    while batch.len() < BATCH {
                        match rx.try_recv() {
                            Ok(m) => batch.push(m),
                            Err(_) => break,
                        }
                    }
                    true
                }
                Err(RecvTimeoutError::Timeout) => true,
                Err(RecvTimeoutError::Disconnected) => false,
            };
            self.ensure_open();
            // Before the batch: a flush right after the start sees the store pruned.
            if self.store.is_some() && Instant::now() >= self.next_prune {
                self.prune();
                self.next_prune = Instant::now() + PRUNE_EVERY;
            }
            if !batch.is_empty() {
                self.write(&mut batch);
            }
            if !open {
                break;
            }
        }
    }

    /// Opens the store when there is none (at start, after a failure, or
    /// when the file was removed), at most every RETRY.
    fn ensure_open(&mut self) {
        if self.store.is_some() && !self.path.exists() {
            self.fail(format!("{} was removed", self.path.display()), 0);
            self.store = None;
            self.retry_at = Instant::now();
        }
        if self.store.is_some() || Instant::now() < self.retry_at {
            return;
        }
        if self.lock.is_none() {
            match Store::lock(&self.path) {
                Ok(l) => self.lock = Some(l),
                Err(e) => {
                    self.fail(e.to_string(), 0);
                    self.retry_at = Instant::now() + RETRY;
                    return;
                }
            }
        }
        match Store::open(&self.path) {
            Ok((store, note)) => {
                if let Some(note) = note {
                    self.shared.say(Severity::Warn, note);
                }
                self.store = Some(store);
                // A fresh file knows nothing: the next row of each account
                // holds every currency again.
                self.last.clear();
                self.ids.clear();
                self.next_prune = Instant::now();
            }
            Err(e) => {
                self.fail(e, 0);
                self.retry_at = Instant::now() + RETRY;
            }
        }
    }

    /// Starts or continues a failure episode: told once, then counted.
    fn fail(&mut self, why: String, dropped: u64) {
        self.shared
            .write_dropped
            .fetch_add(dropped, Ordering::Relaxed);
        match &mut self.failing {
            Some(n) => *n += dropped,
            None => {
                self.failing = Some(dropped);
                self.shared.say(
                    Severity::Warn,
                    format!(
                        "history: cannot write {}: {why}; polling and alerts go on",
                        self.path.display()
                    ),
                );
            }
        }
    }

    fn write(&mut self, batch: &mut Vec<Msg>) {
        let acks: Vec<SyncSender<()>> = batch
            .iter_mut()
            .filter_map(|m| match m {
                Msg::Flush(a) => Some(a.clone()),
                _ => None,
            })
            .collect();
        let records = batch.iter().filter(|m| !matches!(m, Msg::Flush(_))).count() as u64;
        if records > 0 {
            let result = match self.store.take() {
                None => Err(None),
                Some(mut store) => {
                    let r = self.write_batch(&mut store, batch);
                    self.store = Some(store);
                    r.map_err(Some)
                }
            };
            match result {
                Ok(()) => {
                    if let Some(n) = self.failing.take() {
                        self.shared.say(
                            Severity::Notice,
                            format!(
                                "history: writing {} again ({n} records were lost)",
                                self.path.display()
                            ),
                        );
                    }
                }
                Err(e) => {
                    // What this batch changed in memory was not stored: the
                    // next row of each account starts over in full.
                    self.last.clear();
                    self.ids.clear();
                    self.latest.clear();
                    let why = e.unwrap_or_else(|| "the store is not open".into());
                    if self.store.is_some() {
                        // A connection that failed is reopened (it may be
                        // the file that went away).
                        self.store = None;
                        self.retry_at = Instant::now() + RETRY;
                    }
                    self.fail(why, records);
                }
            }
        }
        batch.clear();
        for a in acks {
            let _ = a.try_send(());
        }
    }

    fn write_batch(&mut self, store: &mut Store, batch: &[Msg]) -> Result<(), String> {
        let tx = store.conn.transaction().map_err(|e| e.to_string())?;
        for m in batch {
            match m {
                Msg::Poll(r) => self.poll(&tx, r).map_err(|e| e.to_string())?,
                Msg::Transition(t, at) => {
                    tx.prepare_cached(
                        "INSERT INTO transitions (at, account, venue, subject, previous, severity, message)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            ms(*at),
                            t.account,
                            t.venue.as_str(),
                            t.subject,
                            t.previous.as_str(),
                            t.severity.as_str(),
                            t.message
                        ])
                    })
                    .map_err(|e| e.to_string())?;
                }
                Msg::Event(e) => {
                    tx.prepare_cached(
                        "INSERT INTO events (at, account, severity, text) VALUES (?1, ?2, ?3, ?4)",
                    )
                    .and_then(|mut s| {
                        s.execute(params![ms(e.at), e.account, e.severity.as_str(), e.text])
                    })
                    .map_err(|e| e.to_string())?;
                }
                Msg::Flush(_) => {}
            }
        }
        for (account, (at, json)) in std::mem::take(&mut self.latest) {
            tx.prepare_cached(
                "INSERT INTO latest (account, at, snapshot) VALUES (?1, ?2, ?3)
                 ON CONFLICT(account) DO UPDATE SET at = excluded.at, snapshot = excluded.snapshot",
            )
            .and_then(|mut s| s.execute(params![account, ms(at), json]))
            .map_err(|e| e.to_string())?;
        }
        tx.commit().map_err(|e| e.to_string())
    }

    fn account_id(
        &mut self,
        tx: &Transaction<'_>,
        name: &str,
        venue: &str,
    ) -> rusqlite::Result<i64> {
        if let Some(id) = self.ids.get(name) {
            return Ok(*id);
        }
        let id = tx
            .prepare_cached(
                "INSERT INTO accounts (name, venue) VALUES (?1, ?2)
                 ON CONFLICT(name) DO UPDATE SET venue = excluded.venue RETURNING id",
            )?
            .query_row(params![name, venue], |r| r.get(0))?;
        self.ids.insert(name.to_string(), id);
        Ok(id)
    }

    /// Stores a poll when it changed something, or as the heartbeat.
    fn poll(&mut self, tx: &Transaction<'_>, r: &PollRecord) -> rusqlite::Result<()> {
        let figures = r.snapshot.as_ref().map(figures_json);
        let currencies: Option<Vec<(Key, String, &CurrencyBalance)>> =
            r.snapshot.as_ref().map(|s| {
                s.currencies
                    .iter()
                    .map(|c| (key_of(c), serde_json::to_string(c).unwrap_or_default(), c))
                    .collect()
            });
        let (write, full, heartbeat) = match self.last.get(&r.account) {
            None => (true, true, false),
            Some(l) => {
                let currencies_changed = currencies.as_ref().is_some_and(|cs| {
                    cs.len() != l.currencies.len()
                        || cs.iter().any(|(k, j, _)| l.currencies.get(k) != Some(j))
                });
                let changed = l.status != r.status
                    || l.error != r.error
                    || (figures.is_some() && figures != l.figures)
                    || currencies_changed;
                let beat = r.at - l.at >= self.heartbeat;
                let full = r.at - l.full_at >= self.heartbeat;
                (changed || beat, full, !changed)
            }
        };
        if !write {
            return Ok(());
        }
        let account = self.account_id(tx, &r.account, &r.venue)?;
        let snap = r.snapshot.as_ref();
        let dec = |d: Option<rust_decimal::Decimal>| d.map(|d| d.to_string());
        tx.prepare_cached(
            "INSERT INTO polls (account, at, status, error, fetched_at, currency, net_assets, total_cash,
                                margin_ratio, headroom, risk_level, heartbeat, full)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            account,
            ms(r.at),
            status_str(r.status),
            r.error,
            snap.map(|s| ms(s.fetched_at)),
            snap.and_then(|s| s.totals.currency.clone()),
            dec(snap.and_then(|s| s.totals.net_assets)),
            dec(snap.and_then(|s| s.totals.total_cash)),
            dec(snap.and_then(|s| s.risk.margin_ratio)),
            dec(snap.and_then(|s| s.risk.headroom.as_ref().map(|h| h.fraction))),
            snap.and_then(|s| s.risk.level).map(|l| format!("{l:?}").to_lowercase()),
            heartbeat,
            // A failed poll has no balances, full or not.
            full && snap.is_some(),
        ])?;
        let poll = tx.last_insert_rowid();
        let entry = self.last.entry(r.account.clone()).or_insert_with(|| Last {
            at: r.at,
            status: r.status,
            error: None,
            figures: None,
            currencies: HashMap::new(),
            full_at: r.at,
        });
        entry.at = r.at;
        entry.status = r.status;
        entry.error = r.error.clone();
        if let (Some(cs), Some(s)) = (currencies, snap) {
            let mut ins = tx.prepare_cached(
                "INSERT OR REPLACE INTO balances (poll, currency, wallet, view, gone, cash, available, frozen,
                                       settling, withdrawable, equity, liabilities, value_in_base)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            let mut now = HashMap::with_capacity(cs.len());
            for (k, json, c) in cs {
                if full || entry.currencies.get(&k) != Some(&json) {
                    ins.execute(params![
                        poll,
                        k.0,
                        k.1,
                        k.2,
                        false,
                        dec(c.cash),
                        dec(c.available),
                        dec(c.frozen),
                        dec(c.settling),
                        dec(c.withdrawable),
                        dec(c.equity),
                        dec(c.liabilities),
                        dec(c.value_in_base),
                    ])?;
                }
                now.insert(k, json);
            }
            if !full {
                for k in entry.currencies.keys().filter(|k| !now.contains_key(*k)) {
                    let none: Option<String> = None;
                    ins.execute(params![
                        poll, k.0, k.1, k.2, true, none, none, none, none, none, none, none, none
                    ])?;
                }
            }
            entry.currencies = now;
            entry.figures = figures;
            if full {
                entry.full_at = r.at;
            }
            if let Ok(json) = serde_json::to_string(s) {
                self.latest.insert(r.account.clone(), (r.at, json));
            }
        }
        Ok(())
    }

    /// Deletes rows older than `keep`, in short transactions. Each account
    /// keeps its last full row before the cutoff: the values in force when
    /// the kept history begins.
    fn prune(&mut self) {
        let Some(store) = self.store.as_mut() else {
            return;
        };
        // A keep longer than chrono's range keeps everything.
        let Some(cutoff) = Utc::now().checked_sub_signed(self.keep).map(ms) else {
            return;
        };
        let result = (|| -> rusqlite::Result<()> {
            let accounts: Vec<i64> = store
                .conn
                .prepare("SELECT id FROM accounts")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for account in accounts {
                let keep_from: Option<i64> = store.conn.query_row(
                    "SELECT max(id) FROM polls WHERE account = ?1 AND at < ?2 AND full = 1",
                    params![account, cutoff],
                    |r| r.get(0),
                )?;
                let Some(keep_from) = keep_from else { continue };
                loop {
                    let tx = store.conn.transaction()?;
                    let ids: Vec<i64> = tx
                        .prepare_cached(
                            "SELECT id FROM polls WHERE account = ?1 AND id < ?2 ORDER BY id LIMIT ?3",
                        )?
                        .query_map(params![account, keep_from, PRUNE_BATCH as i64], |r| r.get(0))?
                        .collect::<Result<_, _>>()?;
                    for id in &ids {
                        tx.prepare_cached("DELETE FROM balances WHERE poll = ?1")?
                            .execute([id])?;
                        tx.prepare_cached("DELETE FROM polls WHERE id = ?1")?
                            .execute([id])?;
                    }
                    tx.commit()?;
                    if ids.len() < PRUNE_BATCH {
                        break;
                    }
                }
            }
            for table in ["transitions", "events"] {
                let sql = format!(
                    "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE at < ?1 LIMIT ?2)"
                );
                while store
                    .conn
                    .execute(&sql, params![cutoff, PRUNE_BATCH as i64])?
                    == PRUNE_BATCH
                {}
            }
            Ok(())
        })();
        if let Err(e) = result {
            self.fail(format!("pruning rows older than the keep period: {e}"), 0);
        }
    }
}

/// The account-wide figures that count as a change (not `fetched_at` nor
/// `venue_time`).
fn figures_json(s: &Snapshot) -> String {
    serde_json::to_string(&(
        &s.account_mode,
        &s.totals,
        &s.risk,
        &s.other_views,
        &s.wallets,
    ))
    .unwrap_or_default()
}

/// The poll state as the store spells it (`ok`, `rate_limited`, ...).
pub(crate) fn status_str(s: PollState) -> &'static str {
    match s {
        PollState::Loading => "loading",
        PollState::Ok => "ok",
        PollState::RateLimited => "rate_limited",
        PollState::Banned => "banned",
        PollState::AuthFailed => "auth_failed",
        PollState::Error => "error",
        PollState::ConfigError => "config_error",
    }
}
