//! The scheduler: one task per account, budgets shared by limit key, backoff with
//! jitter on failure, a full-window pause on rate limits, a stop on auth failure,
//! coalesced manual refresh, and generation tags on every reply.

use crate::app::Msg;
use crate::venues::{ErrorClass, RateBudget, VenueClient, VenueError};
use chrono::Utc;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Longest wait after repeated failures.
pub const BACKOFF_CAP: Duration = Duration::from_secs(300);
/// Share of a venue's published limit that baltui uses.
pub const SAFETY_MARGIN: f64 = 0.8;

/// What the scheduler does after a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Poll again after this long (a manual refresh may cut it short).
    After(Duration),
    /// Rate limited: not before this long, whatever the user presses.
    Pause(Duration),
    /// Authentication failed: only a manual refresh polls again.
    Stop,
}

/// Failure counters of one account.
#[derive(Debug, Default, Clone)]
pub struct Backoff {
    failures: u32,
    rate_limits: u32,
}

impl Backoff {
    /// `jitter` in [0, 1): spreads retries so accounts do not retry in lockstep.
    pub fn next(
        &mut self,
        outcome: Result<(), ErrorClass>,
        interval: Duration,
        window: Duration,
        jitter: f64,
    ) -> Next {
        match outcome {
            Ok(()) => {
                *self = Backoff::default();
                Next::After(interval)
            }
            Err(ErrorClass::Auth) => Next::Stop,
            Err(ErrorClass::RateLimited) => {
                self.rate_limits = self.rate_limits.saturating_add(1);
                let base = window.max(interval);
                Next::Pause(exp(base, self.rate_limits - 1))
            }
            Err(ErrorClass::Transient) => {
                self.failures = self.failures.saturating_add(1);
                let d = exp(interval, self.failures);
                // Jitter takes off up to a fifth, so the cap is never exceeded.
                Next::After(d.mul_f64(1.0 - 0.2 * jitter.clamp(0.0, 1.0)))
            }
        }
    }
}

fn exp(base: Duration, n: u32) -> Duration {
    base.saturating_mul(2u32.saturating_pow(n.min(16)))
        .min(BACKOFF_CAP)
}

pub struct Poller {
    refresh: mpsc::Sender<()>,
    task: JoinHandle<()>,
}

/// All pollers of one config generation.
pub struct PollerSet {
    pollers: Vec<Poller>,
    /// The schedule each account actually runs on.
    pub plans: Vec<Plan>,
}

/// One account's schedule after its budget is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The configured interval, raised when the shared budget cannot carry it.
    pub interval: Duration,
    /// The venue's rate-limit window: the least pause after a rate-limit reply.
    pub window: Duration,
    /// Why the interval was raised, for the screen.
    pub note: Option<String>,
}

/// Give each client its budget (one per limit key, shared by all its accounts)
/// and raise any interval the shared budget cannot carry: with n accounts on a
/// key whose budget grants one request per `spacing`, each gets one per n x spacing.
pub fn plan(clients: &mut [VenueClient], intervals: &[Duration]) -> Vec<Plan> {
    let limits: Vec<_> = clients.iter().map(VenueClient::limit).collect();
    let mut by_key: HashMap<String, Arc<RateBudget>> = HashMap::new();
    for (c, limit) in clients.iter_mut().zip(&limits) {
        let b = by_key
            .entry(limit.key.clone())
            .or_insert_with(|| RateBudget::for_limit(limit, SAFETY_MARGIN))
            .clone();
        c.set_budget(b);
    }
    limits
        .iter()
        .enumerate()
        .map(|(i, limit)| {
            let wanted = intervals
                .get(i)
                .copied()
                .unwrap_or(crate::config::DEFAULT_POLL_INTERVAL);
            let sharing = limits.iter().filter(|l| l.key == limit.key).count() as u32;
            let spacing = by_key.get(&limit.key).map_or(Duration::ZERO, |b| b.spacing);
            // Whole seconds, so the title says a plain number.
            let floor = spacing
                .saturating_mul(sharing)
                .max(limit.min_gap.saturating_mul(sharing));
            let floor = Duration::from_secs(floor.as_secs() + u64::from(floor.subsec_nanos() > 0));
            if wanted >= floor {
                Plan {
                    interval: wanted,
                    window: limit.window,
                    note: None,
                }
            } else {
                Plan {
                    interval: floor,
                    window: limit.window,
                    note: Some(if sharing > 1 {
                        format!(
                            "interval raised to {}s: the rate budget is shared by {sharing} accounts",
                            floor.as_secs()
                        )
                    } else {
                        format!("interval raised to {}s: the venue's rate limit allows no faster", floor.as_secs())
                    }),
                }
            }
        })
        .collect()
}

impl PollerSet {
    /// Ask for a poll now; a request while one is pending coalesces with it.
    pub fn refresh(&self, account: Option<usize>) {
        for (i, p) in self.pollers.iter().enumerate() {
            if account.is_none_or(|a| a == i) {
                let _ = p.refresh.try_send(());
            }
        }
    }

    pub fn shutdown(self) {
        for p in self.pollers {
            p.task.abort();
        }
    }
}

/// Start one poller per client. `intervals[i]` is account i's poll interval.
pub fn spawn(
    mut clients: Vec<VenueClient>,
    intervals: &[Duration],
    generation: u64,
    tx: mpsc::Sender<Msg>,
) -> PollerSet {
    let plans = plan(&mut clients, intervals);
    let pollers = clients
        .into_iter()
        .zip(&plans)
        .enumerate()
        .map(|(i, (client, p))| {
            let (refresh, rx) = mpsc::channel(1);
            let task = tokio::spawn(run(
                i,
                generation,
                client,
                p.interval,
                p.window,
                tx.clone(),
                rx,
            ));
            Poller { refresh, task }
        })
        .collect();
    PollerSet { pollers, plans }
}

async fn run(
    account: usize,
    generation: u64,
    client: VenueClient,
    interval: Duration,
    window: Duration,
    tx: mpsc::Sender<Msg>,
    mut refresh: mpsc::Receiver<()>,
) {
    let mut backoff = Backoff::default();
    loop {
        let result = client.fetch().await;
        let at = Utc::now();
        let outcome = result.as_ref().map(|_| ()).map_err(VenueError::class);
        if let Err(e) = &result {
            tracing::warn!(account, error = %e, "poll failed");
        }
        let next = backoff.next(outcome, interval, window, rand::random::<f64>());
        let wait = match next {
            Next::After(d) | Next::Pause(d) => Some(d),
            Next::Stop => None,
        };
        let next_poll_at = wait
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| at + d);
        let msg = Msg::Polled {
            account,
            generation,
            at,
            result,
            next_poll_at,
        };
        if tx.send(msg).await.is_err() {
            return; // the screen is gone
        }
        // A refresh asked for during the fetch is satisfied by it.
        while refresh.try_recv().is_ok() {}
        match next {
            Next::After(d) => {
                tokio::select! {
                    _ = tokio::time::sleep(d) => {}
                    r = refresh.recv() => if r.is_none() { return },
                }
            }
            Next::Pause(d) => tokio::time::sleep(d).await,
            Next::Stop => {
                if refresh.recv().await.is_none() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I: Duration = Duration::from_secs(5);
    const W: Duration = Duration::from_secs(2);

    #[test]
    fn transient_failures_back_off_exponentially_to_the_cap() {
        let mut b = Backoff::default();
        let seq: Vec<Next> = (0..10)
            .map(|_| b.next(Err(ErrorClass::Transient), I, W, 0.0))
            .collect();
        assert_eq!(seq[0], Next::After(Duration::from_secs(10)));
        assert_eq!(seq[1], Next::After(Duration::from_secs(20)));
        assert_eq!(seq[2], Next::After(Duration::from_secs(40)));
        assert_eq!(seq[9], Next::After(BACKOFF_CAP));
        // jitter never pushes past the cap and never below 80%
        let d = match b.next(Err(ErrorClass::Transient), I, W, 0.999) {
            Next::After(d) => d,
            n => panic!("{n:?}"),
        };
        assert!(d <= BACKOFF_CAP && d >= BACKOFF_CAP.mul_f64(0.8));
        assert_eq!(b.next(Ok(()), I, W, 0.0), Next::After(I), "success resets");
        assert_eq!(
            b.next(Err(ErrorClass::Transient), I, W, 0.0),
            Next::After(Duration::from_secs(10))
        );
    }

    #[test]
    fn rate_limits_pause_at_least_a_window_doubling() {
        let mut b = Backoff::default();
        let short = Duration::from_secs(1);
        assert_eq!(
            b.next(Err(ErrorClass::RateLimited), short, W, 0.5),
            Next::Pause(W)
        );
        assert_eq!(
            b.next(Err(ErrorClass::RateLimited), short, W, 0.5),
            Next::Pause(W * 2)
        );
        assert_eq!(
            b.next(Err(ErrorClass::RateLimited), short, W, 0.5),
            Next::Pause(W * 4)
        );
    }

    #[test]
    fn auth_failure_stops() {
        assert_eq!(
            Backoff::default().next(Err(ErrorClass::Auth), I, W, 0.0),
            Next::Stop
        );
    }

    #[tokio::test(start_paused = true)]
    async fn budget_spaces_grants_within_the_limit() {
        // OKX: 10 per 2 s published, 80% -> one grant every 250 ms.
        let b = RateBudget::new("k", 10, W, SAFETY_MARGIN);
        assert_eq!(b.spacing, Duration::from_millis(250));
        let start = tokio::time::Instant::now();
        let mut at = Vec::new();
        for _ in 0..41 {
            b.acquire().await;
            at.push(start.elapsed());
        }
        // Any 2 s sliding window holds at most 9 grants (< 10).
        for (i, t) in at.iter().enumerate() {
            let n = at[i..].iter().take_while(|u| **u < *t + W).count();
            assert!(n <= 9, "window from {t:?} holds {n}");
        }
        assert_eq!(
            at[40],
            Duration::from_secs(10),
            "40 further grants take 40 x 250 ms"
        );
    }
}
