//! Alerts beyond the screen: a command run on every severity transition (not
//! on every poll). `Debouncer` is pure and lives in the Monitor; `Runner` starts
//! the commands: no shell, a timeout, once per transition in order (one at a
//! time per account, a bounded line behind it), never a secret.

use crate::health::Severity;
use crate::model::VenueKind;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A finding (or the account's status) moving from one severity to another.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Transition {
    pub account: String,
    pub venue: VenueKind,
    pub severity: Severity,
    pub previous: Severity,
    /// `margin_ratio`, `risk_level`, `USDT.twap`, or `status`.
    pub subject: String,
    pub message: String,
}

impl Transition {
    /// Write it to the log (every transition, alerted or not, so the log
    /// answers "what happened at 03:12").
    pub fn log(&self) {
        tracing::info!(
            account = %self.account,
            subject = %self.subject,
            from = self.previous.as_str(),
            to = self.severity.as_str(),
            message = %self.message,
            "finding transition"
        );
    }
}

/// Config `[alerts]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    /// Terminal bell on a new warn/critical (default true).
    pub bell: Option<bool>,
    /// Program and arguments, run without a shell.
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default = "default_min")]
    pub min_severity: MinSeverity,
    /// How long one run may take before it is killed.
    #[serde(default = "default_timeout")]
    pub timeout: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MinSeverity {
    Notice,
    Warn,
    Critical,
}

impl MinSeverity {
    pub fn severity(self) -> Severity {
        match self {
            MinSeverity::Notice => Severity::Notice,
            MinSeverity::Warn => Severity::Warn,
            MinSeverity::Critical => Severity::Critical,
        }
    }
}

fn default_min() -> MinSeverity {
    MinSeverity::Warn
}

fn default_timeout() -> String {
    "10s".into()
}

/// Per (account, subject): fire the first transition at once; further ones
/// within one poll interval wait for the window to end and fire only if the
/// state then differs from what was last announced (flapping stays quiet).
#[derive(Debug, Default)]
pub struct Debouncer {
    keys: HashMap<(String, String), Slot>,
}

#[derive(Debug)]
struct Slot {
    announced: Severity,
    at: DateTime<Utc>,
    window: Duration,
    pending: Option<Transition>,
}

impl Debouncer {
    /// A transition happened; returns it if it should fire now.
    pub fn offer(
        &mut self,
        t: Transition,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Option<Transition> {
        let key = (t.account.clone(), t.subject.clone());
        match self.keys.get_mut(&key) {
            Some(slot) if elapsed(slot.at, now) < slot.window => {
                slot.pending = Some(t);
                None
            }
            _ => {
                self.keys.insert(
                    key,
                    Slot {
                        announced: t.severity,
                        at: now,
                        window,
                        pending: None,
                    },
                );
                Some(t)
            }
        }
    }

    /// Transitions whose window ended with a state other than the announced one.
    pub fn due(&mut self, now: DateTime<Utc>) -> Vec<Transition> {
        let mut out = Vec::new();
        for slot in self.keys.values_mut() {
            if elapsed(slot.at, now) < slot.window {
                continue;
            }
            if let Some(mut t) = slot.pending.take()
                && t.severity != slot.announced
            {
                t.previous = slot.announced;
                slot.announced = t.severity;
                slot.at = now;
                out.push(t);
            }
        }
        out.sort_by(|a, b| (&a.account, &a.subject).cmp(&(&b.account, &b.subject)));
        out
    }
}

fn elapsed(from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
    (to - from).to_std().unwrap_or(Duration::ZERO)
}

/// What a finished or failed run reports back to the screen.
pub type Report = Box<dyn Fn(String, String) + Send + Sync>;

/// Most transitions waiting for the command, all accounts together: beyond
/// it a transition is dropped, and the drop is reported (screen and log).
pub const QUEUE_CAP: usize = 1000;

/// Runs the alert command once per transition, in order per account: at most
/// one instance per account at a time, the others queued (never replaced).
#[derive(Clone)]
pub struct Runner {
    command: Arc<Vec<String>>,
    timeout: Duration,
    /// Variables the child must not inherit: where baltui's secrets live.
    scrub: Arc<Vec<String>>,
    queues: Arc<Mutex<Queues>>,
    report: Arc<Report>,
}

/// Per account, the transitions waiting while its command runs; an account
/// is in the map exactly while a run chain is active for it.
#[derive(Default)]
struct Queues {
    by_account: HashMap<String, std::collections::VecDeque<Transition>>,
    waiting: usize,
    cap: usize,
    dropped: u64,
}

impl Runner {
    pub fn new(
        command: Vec<String>,
        timeout: Duration,
        scrub: Vec<String>,
        report: Report,
    ) -> Runner {
        Runner::with_capacity(command, timeout, scrub, report, QUEUE_CAP)
    }

    /// As `new`, with at most `cap` transitions waiting.
    pub fn with_capacity(
        command: Vec<String>,
        timeout: Duration,
        scrub: Vec<String>,
        report: Report,
        cap: usize,
    ) -> Runner {
        Runner {
            command: Arc::new(command),
            timeout,
            scrub: Arc::new(scrub),
            queues: Arc::new(Mutex::new(Queues {
                cap,
                ..Queues::default()
            })),
            report: Arc::new(report),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn fire(&self, t: Transition) {
        let dropped = {
            let mut q = self.lock();
            let (cap, waiting) = (q.cap, q.waiting);
            match q.by_account.get_mut(&t.account) {
                // A run is under way for this account: wait in line.
                Some(line) if waiting < cap => {
                    line.push_back(t);
                    q.waiting += 1;
                    return;
                }
                Some(_) => {
                    q.dropped += 1;
                    Some(q.dropped)
                }
                None => {
                    q.by_account.insert(t.account.clone(), Default::default());
                    None
                }
            }
        };
        match dropped {
            Some(n) => {
                let msg = format!(
                    "alert queue full ({} waiting): dropped {} {} -> {} ({n} dropped so far)",
                    self.lock().cap,
                    t.subject,
                    t.previous.as_str(),
                    t.severity.as_str()
                );
                tracing::error!(account = %t.account, dropped = n, "{msg}");
                (self.report)(t.account, msg);
            }
            None => {
                let me = self.clone();
                tokio::spawn(async move { me.run_chain(t).await });
            }
        }
    }

    async fn run_chain(self, first: Transition) {
        let mut next = Some(first);
        while let Some(t) = next {
            let account = t.account.clone();
            if let Err(e) = self.run_one(&t).await {
                tracing::warn!(account = %account, error = %e, "alert command failed");
                (self.report)(account.clone(), e);
            }
            let mut q = self.lock();
            next = q.by_account.get_mut(&account).and_then(|l| l.pop_front());
            match next {
                Some(_) => q.waiting -= 1,
                None => {
                    q.by_account.remove(&account);
                }
            }
        }
    }

    async fn run_one(&self, t: &Transition) -> Result<(), String> {
        let Some((prog, args)) = self.command.split_first() else {
            return Ok(());
        };
        let mut cmd = tokio::process::Command::new(prog);
        cmd.args(args)
            .env("BALTUI_ACCOUNT", &t.account)
            .env("BALTUI_VENUE", t.venue.as_str())
            .env("BALTUI_SEVERITY", t.severity.as_str())
            .env("BALTUI_PREVIOUS", t.previous.as_str())
            .env("BALTUI_SUBJECT", &t.subject)
            .env("BALTUI_MESSAGE", &t.message)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        for v in self.scrub.iter() {
            cmd.env_remove(v);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("alert command `{prog}` did not start: {e}"))?;
        match tokio::time::timeout(self.timeout, child.wait()).await {
            Ok(Ok(st)) if st.success() => Ok(()),
            Ok(Ok(st)) => Err(format!("alert command `{prog}` exited with {st}")),
            Ok(Err(e)) => Err(format!("alert command `{prog}` failed: {e}")),
            Err(_) => {
                let _ = child.kill().await;
                Err(format!(
                    "alert command `{prog}` timed out after {}s and was stopped",
                    self.timeout.as_secs()
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(sev: Severity) -> Transition {
        Transition {
            account: "a".into(),
            venue: crate::venues::okx::KIND,
            severity: sev,
            previous: Severity::Ok,
            subject: "margin_ratio".into(),
            message: "m".into(),
        }
    }

    #[test]
    fn flapping_within_a_window_is_quiet() {
        let t0 = Utc::now();
        let w = Duration::from_secs(5);
        let s = |n: i64| t0 + chrono::Duration::seconds(n);
        let mut d = Debouncer::default();
        assert!(
            d.offer(t(Severity::Warn), s(0), w).is_some(),
            "first fires at once"
        );
        assert!(d.offer(t(Severity::Ok), s(1), w).is_none());
        assert!(d.offer(t(Severity::Warn), s(2), w).is_none());
        assert!(
            d.due(s(6)).is_empty(),
            "back where it was announced: nothing"
        );
        // A real change inside a window fires when the window ends.
        assert!(
            d.offer(t(Severity::Critical), s(7), w).is_some(),
            "window over: at once"
        );
        assert!(d.offer(t(Severity::Ok), s(8), w).is_none());
        let due = d.due(s(12));
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].previous, due[0].severity),
            (Severity::Critical, Severity::Ok)
        );
    }
}
