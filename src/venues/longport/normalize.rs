//! LongPort `list` items -> venue-neutral Snapshot.

use super::wire::Item;
use crate::model::{CurrencyBalance, Headroom, Indicator, Risk, RiskLevel, Snapshot, Totals, View};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// `risk_level` "0".."3" -> Safe/Medium/Warning/Danger. Anything else is a value
/// the venue has not documented: Err (what was expected, what came) rather
/// than a guess. `normalize` shows the account anyway, with no level and an
/// unknown `risk_level` indicator (a warning finding).
pub fn risk_level(s: &str) -> Result<RiskLevel, String> {
    match s.trim() {
        "0" => Ok(RiskLevel::Safe),
        "1" => Ok(RiskLevel::Medium),
        "2" => Ok(RiskLevel::Warning),
        "3" => Ok(RiskLevel::Danger),
        other => Err(format!("expected a risk level 0-3, got {other:?}")),
    }
}

/// net assets / maintenance margin, when both are known and maintenance > 0.
/// Derived by baltui, not sent by the venue: 4 places are plenty for a ratio
/// compared with thresholds like 1.5 and 3.
pub fn margin_ratio(net_assets: Option<Decimal>, maintenance: Option<Decimal>) -> Option<Decimal> {
    match (net_assets, maintenance) {
        (Some(n), Some(m)) if m > Decimal::ZERO => n.checked_div(m).map(|r| r.round_dp(4)),
        _ => None,
    }
}

fn view(item: &Item) -> Result<View, (String, String)> {
    // A level the document does not list never hides the account: its
    // balances still show, and the indicator makes a warning of it.
    let (level, indicators) = match item.risk_level.as_deref() {
        None => (None, Vec::new()),
        Some(s) => match risk_level(s) {
            Ok(l) => (Some(l), Vec::new()),
            Err(_) => (None, vec![Indicator::unknown("risk_level", s.trim())]),
        },
    };
    Ok(View {
        totals: Totals {
            currency: item.currency.clone(),
            net_assets: item.net_assets,
            total_cash: item.total_cash,
            buying_power: item.buy_power,
            market_value: None,
            max_finance: item.max_finance_amount,
            remaining_finance: item.remaining_finance_amount,
            ..Totals::default()
        },
        risk: Risk {
            level,
            indicators,
            margin_ratio: margin_ratio(item.net_assets, item.maintenance_margin),
            // Net assets below the maintenance margin is where LongPort
            // closes positions (risk level 3, "danger").
            headroom: match (item.net_assets, item.maintenance_margin) {
                (Some(n), Some(m)) if n > Decimal::ZERO && m > Decimal::ZERO => {
                    m.checked_div(n).and_then(|u| {
                        Headroom::from_usage(u, "maintenance_margin / net_assets (line 1)")
                    })
                }
                _ => None,
            },
            margin_call: item.margin_call,
            initial_margin: item.init_margin,
            maintenance_margin: item.maintenance_margin,
            ..Risk::default()
        },
    })
}

/// What `rows` reads each field from, as the LongPort document names it.
/// `frozen_fees` (`frozen_transaction_fees[]`) is left out: the account
/// balance document we hold does not name that list.
pub const FIELD_NAMES: &[(&str, &str)] = &[
    ("available", "cash_infos[].available_cash"),
    ("frozen", "cash_infos[].frozen_cash"),
    ("settling", "cash_infos[].settling_cash"),
    ("withdrawable", "cash_infos[].withdraw_cash"),
];

/// One row per `cash_infos` entry, with the fee frozen in its currency; a
/// `frozen_transaction_fees` entry in a currency with no cash row is a row
/// of its own (only `frozen_fees` set): money is never dropped.
fn rows(item: &Item) -> Vec<CurrencyBalance> {
    let fees = &item.frozen_transaction_fees;
    let mut out: Vec<CurrencyBalance> = item
        .cash_infos
        .iter()
        .map(|c| CurrencyBalance {
            currency: c.currency.clone(),
            // LongPort reports no per-currency cash balance, only its parts.
            cash: None,
            available: c.available_cash,
            frozen: c.frozen_cash,
            settling: c.settling_cash,
            withdrawable: c.withdraw_cash,
            frozen_fees: fees
                .iter()
                .find(|f| f.currency == c.currency)
                .and_then(|f| f.frozen_transaction_fee),
            ..CurrencyBalance::default()
        })
        .collect();
    for f in fees {
        if !out.iter().any(|c| c.currency == f.currency) {
            out.push(CurrencyBalance {
                currency: f.currency.clone(),
                frozen_fees: f.frozen_transaction_fee,
                ..CurrencyBalance::default()
            });
        }
    }
    out
}

/// The primary view is the item in `preferred` currency (the configured one),
/// else the first. Rows of other items are added only where they differ from
/// the primary's, marked with their view's currency, so nothing is hidden and
/// nothing shows twice. Errors: (field path, what was wrong).
pub fn normalize(
    items: &[Item],
    preferred: Option<&str>,
    fetched_at: DateTime<Utc>,
) -> Result<Snapshot, (String, String)> {
    let primary = preferred
        .and_then(|p| items.iter().position(|i| i.currency.as_deref() == Some(p)))
        .unwrap_or(0);
    let mut views = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        views.push(view(item).map_err(|(f, e)| (format!("data.list[{i}].{f}"), e))?);
    }
    if views.is_empty() {
        return Err((
            "data.list".into(),
            "expected at least one account item, got none".into(),
        ));
    }
    let main = views.remove(primary);
    let mut currencies = rows(&items[primary]);
    for (i, item) in items.iter().enumerate() {
        if i == primary {
            continue;
        }
        for mut r in rows(item) {
            if !currencies
                .iter()
                .any(|c| c.currency == r.currency && same_amounts(c, &r))
            {
                r.view = item.currency.clone();
                currencies.push(r);
            }
        }
    }
    Ok(Snapshot {
        fetched_at,
        venue_time: None,
        account_mode: None,
        totals: main.totals,
        risk: main.risk,
        currencies,
        wallets: Vec::new(),
        other_views: views,
    })
}

/// Two rows of one currency say the same. A fee counts only when both views
/// report one (a view without the fee list adds no row for that alone).
fn same_amounts(a: &CurrencyBalance, b: &CurrencyBalance) -> bool {
    (a.available, a.frozen, a.settling, a.withdrawable)
        == (b.available, b.frozen, b.settling, b.withdrawable)
        && match (a.frozen_fees, b.frozen_fees) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        }
}
