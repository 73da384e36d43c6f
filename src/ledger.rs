//! One rate budget per key across every baltui process on the machine and
//! across restarts: a small file per budget key in the user's state directory
//! holding the recent grant times, read and rewritten under an advisory lock.
//!
//! - No secret and no raw key in it: the file name is the budget key, which is
//!   already a digest (`okx:1a2b...`).
//! - The lock is the OS's (`flock`): a process that dies never leaves it held.
//! - A corrupt file is rebuilt (with a warning); an unreadable directory only
//!   costs the cross-process part (a warning once): polling never stops.
//! - Times are wall-clock milliseconds: processes share no monotonic clock. A
//!   grant stamped in the future (the clock went back) counts as "now".

use std::collections::HashSet;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const HEADER: &str = "baltui-ledger 1";
/// Written when a pause carries a note (`pause <ms> <kind> <status> <words>`);
/// version 1 files (`pause <ms>`) still parse.
const HEADER_2: &str = "baltui-ledger 2";
/// Longest single wait before the ledger is read again (another process may
/// have been paused or stopped meanwhile).
const MAX_WAIT: Duration = Duration::from_secs(5);
/// Poll interval while another process holds the lock (held for microseconds).
const LOCK_RETRY: Duration = Duration::from_millis(2);

/// What one budget key allows, as this process plans it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Grants allowed in any sliding `window` (the published limit times the margin).
    pub per_window: u32,
    pub window: Duration,
    /// Least time between two grants from any process (window / per_window:
    /// evenly spaced, as inside one process).
    pub spacing: Duration,
    /// Venue minimum gap (LongPort: 1 s between two requests).
    pub min_gap: Duration,
}

/// The ledger directory and this process's identity in it.
pub struct Ledger {
    dir: PathBuf,
    /// Who a grant belongs to (the process id; tests open several owners).
    owner: u64,
    warned: Mutex<HashSet<String>>,
}

/// How a key's budget was used in its last window, for `check`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub mine: usize,
    pub others: usize,
    /// Other owners (process ids) seen in the window.
    pub other_owners: Vec<u64>,
    /// A rate-limit reply paused the key until then (unix ms), if still ahead.
    pub paused_until_ms: Option<i64>,
}

/// Why a key is paused, so that every process can show it, not only the one
/// that got the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PauseNote {
    pub kind: PauseKind,
    /// The HTTP status that caused it (418, 403, 429).
    pub status: u16,
    /// The venue's words for people, e.g. "IP banned by Binance".
    pub words: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseKind {
    /// The venue refuses every request from this IP until the pause ends.
    Ban,
    /// Too many requests: this key waits.
    RateLimit,
}

impl PauseKind {
    fn word(self) -> &'static str {
        match self {
            PauseKind::Ban => "ban",
            PauseKind::RateLimit => "limit",
        }
    }
}

/// A pause in force: until when (unix ms) and why, if said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    pub until_ms: i64,
    pub note: Option<PauseNote>,
}

#[derive(Debug, Default, PartialEq)]
struct Entries {
    pause_ms: Option<i64>,
    /// Why the pause (None: a version 1 pause, or none said).
    pause_note: Option<PauseNote>,
    grants: Vec<(i64, u64)>,
    /// Owners waiting for a grant: (owner, waiting since, last seen), so the
    /// longest waiter goes first and no process starves another.
    wants: Vec<(u64, i64, i64)>,
}

/// A waiter not seen for this long is gone (it re-reads at least every MAX_WAIT).
const WANT_STALE_MS: i64 = 8_000;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Ledger {
    /// A ledger in `dir` for this process.
    pub fn open(dir: PathBuf) -> Arc<Ledger> {
        Ledger::open_as(dir, u64::from(std::process::id()))
    }

    /// A ledger in `dir` for `owner` (tests: two engines in one process).
    pub fn open_as(dir: PathBuf, owner: u64) -> Arc<Ledger> {
        Arc::new(Ledger {
            dir,
            owner,
            warned: Mutex::new(HashSet::new()),
        })
    }

    /// `$BALTUI_STATE_DIR/budgets`, else the platform state dir
    /// (`~/.local/state/baltui/budgets`).
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(d) = std::env::var_os("BALTUI_STATE_DIR") {
            return Some(PathBuf::from(d).join("budgets"));
        }
        let dirs = directories::ProjectDirs::from("", "", "baltui")?;
        Some(
            dirs.state_dir()
                .unwrap_or(dirs.data_local_dir())
                .join("budgets"),
        )
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whose grants this handle records (the process id; tests: any).
    pub fn owner(&self) -> u64 {
        self.owner
    }

    fn path(&self, key: &str) -> PathBuf {
        // Keys are `venue:hexdigest`; anything else is replaced, never a path.
        let name: String = key
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        self.dir.join(format!("{name}.ledger"))
    }

    fn warn_once(&self, key: &str, what: &str, e: &dyn std::fmt::Display) {
        let mut w = self.warned.lock().unwrap_or_else(|e| e.into_inner());
        if w.insert(format!("{key}|{what}")) {
            tracing::warn!(budget = %key, dir = %self.dir.display(), error = %e,
                "rate ledger: {what}; this process keeps to its own budget");
        }
    }

    /// Wait until `rule` allows one more request on `key` across every process
    /// using this ledger, and record it.
    pub async fn reserve(&self, key: &str, rule: &Rule) {
        loop {
            match self.try_grant(key, rule, now_ms()).await {
                Ok(()) => return,
                Err(wait) => tokio::time::sleep(wait.min(MAX_WAIT)).await,
            }
        }
    }

    /// Record that a rate-limit reply paused `key` for `d`: every process waits.
    pub async fn pause(&self, key: &str, d: Duration) {
        self.pause_noted(key, d, None).await;
    }

    /// Record a pause of `key` for `d` and why: every process waits, and can
    /// say why. The later end wins; a note replaces an older one.
    pub async fn pause_noted(&self, key: &str, d: Duration, note: Option<PauseNote>) {
        let until = now_ms().saturating_add(ms(d));
        let _ = self
            .with_file(key, move |e| {
                e.pause_ms = Some(e.pause_ms.map_or(until, |p| p.max(until)));
                if note.is_some() {
                    e.pause_note = note;
                }
                (true, ())
            })
            .await;
    }

    /// The pause of `key` still in force, if any, with its note.
    pub async fn paused(&self, key: &str) -> Option<Pause> {
        let now = now_ms();
        self.with_file(key, move |e| {
            let p = e.pause_ms.filter(|t| *t > now).map(|until_ms| Pause {
                until_ms,
                note: e.pause_note.clone(),
            });
            (false, p)
        })
        .await?
    }

    /// How the last `window` of `key` was used.
    pub async fn usage(&self, key: &str, window: Duration) -> Usage {
        let now = now_ms();
        let owner = self.owner;
        self.with_file(key, move |e| {
            let mut u = Usage::default();
            for (t, o) in &e.grants {
                if *t > now - ms(window) {
                    if *o == owner {
                        u.mine += 1;
                    } else {
                        u.others += 1;
                        if !u.other_owners.contains(o) {
                            u.other_owners.push(*o);
                        }
                    }
                }
            }
            u.paused_until_ms = e.pause_ms.filter(|p| *p > now);
            (false, u)
        })
        .await
        .unwrap_or_default()
    }

    /// One grant if the rule allows it at `now`; else how long to wait.
    async fn try_grant(&self, key: &str, rule: &Rule, now: i64) -> Result<(), Duration> {
        let owner = self.owner;
        let rule = *rule;
        let done = self
            .with_file(key, move |e| {
                let wait = match next_allowed(e, &rule, now)
                    .or_else(|| turn_of_other(e, owner, &rule, now))
                {
                    Some(at) if at > now => {
                        want(e, owner, now);
                        Duration::from_millis(u64::try_from(at - now).unwrap_or(0))
                    }
                    _ => {
                        e.wants.retain(|w| w.0 != owner);
                        e.grants.push((now, owner));
                        Duration::ZERO
                    }
                };
                (true, wait)
            })
            .await;
        match done {
            // The file could not be used: the in-process budget still holds.
            None => Ok(()),
            Some(wait) if wait.is_zero() => Ok(()),
            Some(wait) => Err(wait),
        }
    }

    /// Open, lock, read, let `f` change the entries (it says whether to
    /// write, and what to return), write, unlock. None when the ledger cannot
    /// be used at all. The file work runs on tokio's blocking pool, never on
    /// an async worker; waiting for another process's lock is an async sleep.
    async fn with_file<R: Send + 'static>(
        &self,
        key: &str,
        f: impl FnOnce(&mut Entries) -> (bool, R) + Send + 'static,
    ) -> Option<R> {
        let (dir, path) = (self.dir.clone(), self.path(key));
        let opened = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir).map_err(|e| ("cannot create the ledger directory", e))?;
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| ("cannot open the ledger file", e))
        })
        .await;
        let file = match opened {
            Ok(Ok(file)) => file,
            Ok(Err((what, e))) => {
                self.warn_once(key, what, &e);
                return None;
            }
            Err(e) => {
                self.warn_once(key, "the ledger task failed", &e);
                return None;
            }
        };
        loop {
            // try_lock does not block: safe on an async worker.
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => tokio::time::sleep(LOCK_RETRY).await,
                Err(std::fs::TryLockError::Error(e)) => {
                    self.warn_once(key, "cannot lock the ledger file", &e);
                    return None;
                }
            }
        }
        let (key_owned, path) = (key.to_string(), self.path(key));
        let done = tokio::task::spawn_blocking(move || {
            let mut file = file;
            let r = read_change_write(&mut file, &key_owned, &path, f);
            let _ = file.unlock();
            r
        })
        .await;
        match done {
            Ok((r, None)) => Some(r),
            Ok((r, Some(e))) => {
                self.warn_once(key, "cannot write the ledger file", &e);
                Some(r)
            }
            Err(e) => {
                self.warn_once(key, "the ledger task failed", &e);
                None
            }
        }
    }
}

/// Under the lock: read the entries (a corrupt or unreadable file is rebuilt
/// empty), let `f` change them, write them back when `f` says so or the file
/// lacks a header. The value of `f`, and the write error if any.
fn read_change_write<R>(
    file: &mut std::fs::File,
    key: &str,
    path: &Path,
    f: impl FnOnce(&mut Entries) -> (bool, R),
) -> (R, Option<std::io::Error>) {
    let mut text = String::new();
    let mut entries = match file.read_to_string(&mut text) {
        Ok(_) => match parse(&text) {
            Ok(e) => e,
            Err(why) => {
                tracing::warn!(budget = %key, file = %path.display(), %why,
                    "rate ledger was corrupt; rebuilt empty");
                Entries::default()
            }
        },
        Err(e) => {
            tracing::warn!(budget = %key, file = %path.display(), error = %e,
                "rate ledger unreadable; rebuilt empty");
            Entries::default()
        }
    };
    let (write, r) = f(&mut entries);
    if write || !(text.starts_with(HEADER) || text.starts_with(HEADER_2)) {
        let out = render(&entries);
        let written = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(out.as_bytes()));
        if let Err(e) = written {
            return (r, Some(e));
        }
    }
    (r, None)
}

/// When the next grant may be given, or None if at once.
fn next_allowed(e: &mut Entries, rule: &Rule, now: i64) -> Option<i64> {
    let window = ms(rule.window);
    // A grant from the future (the clock went back) counts as now.
    for g in &mut e.grants {
        g.0 = g.0.min(now);
    }
    e.grants.retain(|(t, _)| *t > now - window);
    e.grants.sort_unstable();
    if e.pause_ms.is_some_and(|p| p <= now) {
        e.pause_ms = None;
        e.pause_note = None;
    }
    let mut at = e.pause_ms.unwrap_or(i64::MIN);
    if let Some((last, _)) = e.grants.last() {
        at = at.max(last.saturating_add(ms(rule.spacing.max(rule.min_gap))));
    }
    let n = usize::try_from(rule.per_window.max(1)).unwrap_or(usize::MAX);
    if e.grants.len() >= n
        && let Some((t, _)) = e.grants.get(e.grants.len() - n)
    {
        // The oldest of the last n must leave the window first.
        at = at.max(t.saturating_add(window));
    }
    (at > now).then_some(at)
}

/// Note that `owner` waits (since the first time it had to), seen `now`.
fn want(e: &mut Entries, owner: u64, now: i64) {
    match e.wants.iter_mut().find(|w| w.0 == owner) {
        Some(w) => w.2 = now,
        None => e.wants.push((owner, now, now)),
    }
}

/// When the budget is free but another owner has waited longer: not before
/// one spacing from now (that owner takes this grant meanwhile).
fn turn_of_other(e: &mut Entries, owner: u64, rule: &Rule, now: i64) -> Option<i64> {
    e.wants.retain(|w| w.2 > now - WANT_STALE_MS);
    let mine = e.wants.iter().find(|w| w.0 == owner).map(|w| w.1);
    let older = e
        .wants
        .iter()
        .any(|w| w.0 != owner && mine.is_none_or(|m| w.1 < m));
    older.then(|| now.saturating_add(ms(rule.spacing.max(rule.min_gap)).max(1)))
}

fn parse(text: &str) -> Result<Entries, String> {
    let mut lines = text.lines();
    match lines.next() {
        None => return Ok(Entries::default()),
        Some(h) if h == HEADER || h == HEADER_2 => {}
        Some(h) => {
            return Err(format!(
                "unexpected first line {:?}",
                crate::decimal::excerpt(h)
            ));
        }
    }
    let mut e = Entries::default();
    for (i, line) in lines.enumerate() {
        let mut parts = line.split(' ');
        let bad = || format!("line {}: {:?}", i + 2, crate::decimal::excerpt(line));
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("pause"), Some(t), None, None) => {
                e.pause_ms = Some(t.parse().map_err(|_| bad())?);
            }
            (Some("pause"), Some(t), Some(kind), Some(status)) => {
                e.pause_ms = Some(t.parse().map_err(|_| bad())?);
                let kind = match kind {
                    "ban" => PauseKind::Ban,
                    "limit" => PauseKind::RateLimit,
                    _ => return Err(bad()),
                };
                e.pause_note = Some(PauseNote {
                    kind,
                    status: status.parse().map_err(|_| bad())?,
                    // The rest of the line, spaces and all.
                    words: parts.collect::<Vec<_>>().join(" "),
                });
            }
            (Some("g"), Some(t), Some(o), None) => {
                e.grants
                    .push((t.parse().map_err(|_| bad())?, o.parse().map_err(|_| bad())?));
            }
            (Some("w"), Some(o), Some(since), Some(seen)) => {
                e.wants.push((
                    o.parse().map_err(|_| bad())?,
                    since.parse().map_err(|_| bad())?,
                    seen.parse().map_err(|_| bad())?,
                ));
            }
            (Some(""), None, None, None) => {}
            _ => return Err(bad()),
        }
    }
    Ok(e)
}

fn render(e: &Entries) -> String {
    use std::fmt::Write as _;
    // Version 2 only when needed: a file without notes stays readable by
    // older baltui processes.
    let header = if e.pause_note.is_some() && e.pause_ms.is_some() {
        HEADER_2
    } else {
        HEADER
    };
    let mut out = format!("{header}\n");
    match (e.pause_ms, &e.pause_note) {
        (Some(p), Some(n)) => {
            // One line: no line breaks in the words.
            let words: String = n
                .words
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let _ = writeln!(out, "pause {p} {} {} {words}", n.kind.word(), n.status);
        }
        (Some(p), None) => {
            let _ = writeln!(out, "pause {p}");
        }
        _ => {}
    }
    for (t, o) in &e.grants {
        let _ = writeln!(out, "g {t} {o}");
    }
    for (o, since, seen) in &e.wants {
        let _ = writeln!(out, "w {o} {since} {seen}");
    }
    out
}

static GLOBAL: OnceLock<Option<Arc<Ledger>>> = OnceLock::new();

/// Use `ledger` for every budget this process makes from now on (set once, by
/// the binary: the monitor, `snapshot`, `check`). Tests in one process leave it
/// unset and get in-process budgets only.
pub fn set_global(ledger: Option<Arc<Ledger>>) {
    let _ = GLOBAL.set(ledger);
}

pub fn global() -> Option<Arc<Ledger>> {
    GLOBAL.get().cloned().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(n: u32, window_ms: u64, gap_ms: u64) -> Rule {
        Rule {
            per_window: n,
            window: Duration::from_millis(window_ms),
            spacing: Duration::from_millis(window_ms / u64::from(n)),
            min_gap: Duration::from_millis(gap_ms),
        }
    }

    #[test]
    fn never_more_than_n_in_a_window_and_spaced() {
        let r = rule(4, 2000, 0);
        let mut e = Entries::default();
        let mut granted = Vec::new();
        let mut now = 0;
        while now < 10_000 {
            match next_allowed(&mut e, &r, now) {
                None => {
                    e.grants.push((now, 1));
                    granted.push(now);
                }
                Some(at) => assert!(at > now),
            }
            now += 10;
        }
        for (i, t) in granted.iter().enumerate() {
            let in_window = granted[i..].iter().take_while(|u| **u < t + 2000).count();
            assert!(in_window <= 4, "{in_window} grants in the window from {t}");
        }
        assert!(granted.windows(2).all(|w| w[1] - w[0] >= 500));
        assert_eq!(granted.len(), 20, "{granted:?}");
    }

    #[test]
    fn min_gap_pause_and_future_grants() {
        let r = rule(30, 30_000, 1000);
        let mut e = Entries {
            grants: vec![(10_000, 1)],
            ..Entries::default()
        };
        assert_eq!(next_allowed(&mut e, &r, 10_500), Some(11_000));
        e.pause_ms = Some(20_000);
        assert_eq!(next_allowed(&mut e, &r, 12_000), Some(20_000));
        assert_eq!(next_allowed(&mut e, &r, 20_000), None);
        // The clock went back 1 h: the grant counts as now, not as a block for an hour.
        let mut e = Entries {
            grants: vec![(3_600_000 + 5_000, 1)],
            ..Entries::default()
        };
        assert_eq!(next_allowed(&mut e, &r, 5_000), Some(6_000));
    }

    #[test]
    fn the_longest_waiter_goes_first() {
        let r = rule(4, 2000, 0);
        let mut e = Entries::default();
        // Owner 2 has waited since 100; owner 1 arrives when the budget is free.
        want(&mut e, 2, 100);
        assert_eq!(turn_of_other(&mut e, 1, &r, 600), Some(1100));
        assert_eq!(turn_of_other(&mut e, 2, &r, 600), None, "owner 2's turn");
        // A waiter gone quiet (its process died) stops blocking others.
        assert_eq!(turn_of_other(&mut e, 1, &r, 100 + WANT_STALE_MS + 1), None);
    }

    #[test]
    fn parse_round_trip_and_corruption() {
        let e = Entries {
            pause_ms: Some(7),
            pause_note: None,
            grants: vec![(1, 2), (3, 4)],
            wants: vec![(5, 6, 7)],
        };
        assert_eq!(parse(&render(&e)), Ok(e));
        let e = Entries {
            pause_ms: Some(7),
            pause_note: Some(PauseNote {
                kind: PauseKind::Ban,
                status: 418,
                words: "IP banned by Binance".into(),
            }),
            ..Entries::default()
        };
        let text = render(&e);
        assert_eq!(
            text,
            "baltui-ledger 2\npause 7 ban 418 IP banned by Binance\n"
        );
        assert_eq!(parse(&text), Ok(e));
        // A version 1 file, as older processes write it, still parses.
        assert_eq!(
            parse("baltui-ledger 1\npause 9\ng 1 2\n").map(|e| (e.pause_ms, e.pause_note)),
            Ok((Some(9), None))
        );
        assert!(parse("baltui-ledger 2\npause 9 nap 418 x\n").is_err());
        assert_eq!(parse(""), Ok(Entries::default()));
        assert!(parse("garbage\n").is_err());
        assert!(parse("baltui-ledger 1\ng 12x 3\n").is_err());
    }
}
