//! `GET /metrics`: the `snapshot --format prometheus` families for the
//! current values (the same writer, exact decimals), then what a scraper
//! needs to judge them: when each account last succeeded, counters of
//! polls, requests, failures and rate-limit replies, and budget use.

use crate::service::{FAILURE_CLASSES, State};
use crate::snapshot::{AccountReport, Report, prom_label};
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// The report of the service's accounts at `now` (the snapshot JSON schema).
pub fn report(state: &State, now: DateTime<Utc>) -> Report {
    let accounts = state
        .accounts
        .iter()
        .map(|a| AccountReport::from_account(a, now, &state.thresholds))
        .collect();
    let mut r = Report::new(accounts, &state.report_currency);
    r.generated_at = now;
    r
}

/// Seconds since the epoch, exact to the millisecond.
fn seconds(t: DateTime<Utc>) -> String {
    rust_decimal::Decimal::new(t.timestamp_millis(), 3)
        .normalize()
        .to_string()
}

fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, String)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

/// The whole `/metrics` text at `now`.
pub fn text(state: &State, now: DateTime<Utc>) -> String {
    let mut out = report(state, now).to_prometheus();
    let who = |i: usize| {
        let a = &state.accounts[i];
        format!(
            "account=\"{}\",venue=\"{}\"",
            prom_label(&a.spec.name),
            a.spec.venue.as_str()
        )
    };
    let per = |get: &dyn Fn(usize) -> Option<String>| -> Vec<(String, String)> {
        (0..state.accounts.len().min(state.counters.len()))
            .filter_map(|i| Some((who(i), get(i)?)))
            .collect()
    };
    family(
        &mut out,
        "baltui_last_success_timestamp_seconds",
        "gauge",
        "When the last successful poll of the account answered (Unix seconds); absent before the first.",
        &per(&|i| state.counters[i].last_success_at.map(seconds)),
    );
    family(
        &mut out,
        "baltui_polls_total",
        "counter",
        "Poll rounds answered since the service started, successful or not.",
        &per(&|i| Some(state.counters[i].polls.to_string())),
    );
    family(
        &mut out,
        "baltui_requests_total",
        "counter",
        "HTTP requests sent to the venue for the account since the service started.",
        &per(&|i| Some(state.counters[i].requests.to_string())),
    );
    let mut failures = Vec::new();
    for (i, c) in state.counters.iter().enumerate().take(state.accounts.len()) {
        for class in FAILURE_CLASSES {
            let n = c
                .failures
                .iter()
                .find(|(k, _)| *k == class)
                .map_or(0, |(_, n)| *n);
            failures.push((format!("{},class=\"{class}\"", who(i)), n.to_string()));
        }
    }
    family(
        &mut out,
        "baltui_poll_failures_total",
        "counter",
        "Failed polls since the service started, by class (transient, rate_limited, banned, auth, config).",
        &failures,
    );
    family(
        &mut out,
        "baltui_rate_limit_replies_total",
        "counter",
        "Polls the venue answered with a rate-limit reply since the service started.",
        &per(&|i| Some(state.counters[i].rate_limit_replies.to_string())),
    );
    let budget = |get: &dyn Fn(&crate::service::BudgetUse) -> String| -> Vec<(String, String)> {
        state
            .budgets
            .iter()
            .map(|b| {
                (
                    format!(
                        "budget=\"{}\",venue=\"{}\"",
                        prom_label(&b.key),
                        b.venue.as_str()
                    ),
                    get(b),
                )
            })
            .collect()
    };
    family(
        &mut out,
        "baltui_budget_limit",
        "gauge",
        "Requests the venue publishes per window for this budget key (a digest, never a credential).",
        &budget(&|b| b.limit.to_string()),
    );
    family(
        &mut out,
        "baltui_budget_window_seconds",
        "gauge",
        "The window of the budget's published limit, in seconds.",
        &budget(&|b| {
            rust_decimal::Decimal::from_i128_with_scale(b.window.as_millis() as i128, 3)
                .normalize()
                .to_string()
        }),
    );
    family(
        &mut out,
        "baltui_budget_accounts",
        "gauge",
        "Accounts drawing on the budget.",
        &budget(&|b| b.accounts.to_string()),
    );
    family(
        &mut out,
        "baltui_budget_requests_total",
        "counter",
        "Requests granted under the budget since the service started (this config generation's accounts).",
        &budget(&|b| b.grants.to_string()),
    );
    family(
        &mut out,
        "baltui_service_start_time_seconds",
        "gauge",
        "When the service started (Unix seconds).",
        &[(String::new(), seconds(state.started_at))],
    );
    family(
        &mut out,
        "baltui_service_generation",
        "gauge",
        "Config generation of the service (one more per reload).",
        &[(String::new(), state.generation.to_string())],
    );
    out
}
