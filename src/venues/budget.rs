//! Rate budgets: one per venue limit key, shared by every account under it
//! (and, through the ledger, by every baltui process on the machine).

use std::sync::Arc;
use std::time::Duration;

/// One shared budget for all requests under one limit key (OKX: API key).
///
/// Grants are spaced evenly (one token, refilled every `window / n`), so any
/// sliding window of the venue's length holds at most `n + 1` grants; `n` is
/// the published limit times the safety margin, which keeps that under the limit.
pub struct RateBudget {
    limiter: leaky_bucket::RateLimiter,
    pub spacing: Duration,
    pub key_label: String,
    /// Least time between two grants, whatever tokens are stored (LongPort
    /// refuses two identical signed requests in one second).
    min_gap: Duration,
    last_grant: tokio::sync::Mutex<Option<tokio::time::Instant>>,
    /// After a rate-limit reply nobody on this key asks before this instant.
    paused_until: std::sync::Mutex<Option<tokio::time::Instant>>,
    /// The machine-wide ledger, so other baltui processes (and this one after
    /// a restart) share the budget; None: this process only.
    ledger: Option<(Arc<crate::ledger::Ledger>, crate::ledger::Rule)>,
}

/// The ledger a client shares budgets and bans through: its budget's (the
/// engine's), else the process's.
pub fn ledger_of(budget: Option<&RateBudget>) -> Option<Arc<crate::ledger::Ledger>> {
    budget
        .and_then(|b| b.ledger())
        .map(|(l, _)| l.clone())
        .or_else(crate::ledger::global)
}

/// Grants per window for a published `limit` and a `margin` share of it.
/// Evenly spaced grants put at most n + 1 in a sliding window (one at each
/// end), so n stays below the limit whatever the margin: with
/// `rate_margin = 1.0`, OKX's 10 per 2 s is run as 9.
pub fn grants_per_window(limit: u32, margin: f64) -> u32 {
    let wanted = (f64::from(limit) * margin.clamp(0.0, 1.0)).floor() as u32;
    wanted.min(limit.saturating_sub(1)).max(1)
}

/// A venue's published limit for one budget key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// Digest-based key: accounts with equal keys share one budget.
    pub key: String,
    pub requests: u32,
    pub window: Duration,
    pub min_gap: Duration,
}

impl RateBudget {
    /// `limit` requests per `window` published; `margin` in (0, 1].
    pub fn new(
        key_label: impl Into<String>,
        limit: u32,
        window: Duration,
        margin: f64,
    ) -> Arc<Self> {
        let n = grants_per_window(limit, margin);
        let spacing = window / n;
        Arc::new(RateBudget {
            limiter: leaky_bucket::RateLimiter::builder()
                .max(1)
                .initial(1)
                .refill(1)
                .interval(spacing)
                .fair(true)
                .build(),
            spacing,
            key_label: key_label.into(),
            min_gap: Duration::ZERO,
            last_grant: tokio::sync::Mutex::new(None),
            paused_until: std::sync::Mutex::new(None),
            ledger: None,
        })
    }

    /// A budget for `limit`, with its minimum gap, sharing `ledger` (if any)
    /// with every other process.
    pub fn for_limit(
        limit: &Limit,
        margin: f64,
        ledger: Option<Arc<crate::ledger::Ledger>>,
    ) -> Arc<Self> {
        let mut b = RateBudget::new(limit.key.clone(), limit.requests, limit.window, margin);
        if let Some(b) = Arc::get_mut(&mut b) {
            b.min_gap = limit.min_gap;
            b.ledger = ledger.map(|l| {
                let per_window =
                    u32::try_from(limit.window.as_nanos() / b.spacing.as_nanos().max(1))
                        .unwrap_or(1)
                        .max(1);
                let rule = crate::ledger::Rule {
                    per_window,
                    window: limit.window,
                    spacing: b.spacing,
                    min_gap: limit.min_gap,
                };
                (l, rule)
            });
        }
        b
    }

    /// The ledger and rule this budget shares with other processes, if any.
    pub fn ledger(&self) -> Option<&(Arc<crate::ledger::Ledger>, crate::ledger::Rule)> {
        self.ledger.as_ref()
    }

    /// Hold every request on this key for at least `d` (a rate-limit reply
    /// means the venue counts us over, whichever account got it).
    pub fn pause_for(&self, d: Duration) {
        let until = tokio::time::Instant::now() + d;
        if let Ok(mut p) = self.paused_until.lock() {
            *p = Some(p.map_or(until, |old| old.max(until)));
        }
        // Every other process on this key pauses too.
        if let Some((l, _)) = &self.ledger {
            let (l, key) = (l.clone(), self.key_label.clone());
            tokio::spawn(async move { l.pause(&key, d).await });
        }
    }

    pub fn paused_until(&self) -> Option<tokio::time::Instant> {
        self.paused_until.lock().ok().and_then(|p| *p)
    }

    pub async fn acquire(&self) {
        if let Some(until) = self.paused_until() {
            tokio::time::sleep_until(until).await;
        }
        self.limiter.acquire_one().await;
        // Held across the sleeps: grants leave one at a time, min_gap apart,
        // and one at a time through the ledger.
        let mut last = self.last_grant.lock().await;
        if let Some(at) = *last
            && !self.min_gap.is_zero()
        {
            tokio::time::sleep_until(at + self.min_gap).await;
        }
        if let Some((l, rule)) = &self.ledger {
            l.reserve(&self.key_label, rule).await;
        }
        *last = Some(tokio::time::Instant::now());
    }
}
