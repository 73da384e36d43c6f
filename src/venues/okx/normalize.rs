//! OKX balance -> venue-neutral Snapshot.

use super::wire::{Balance, Detail};
use crate::model::{CurrencyBalance, Indicator, Risk, Snapshot, Totals};
use chrono::{DateTime, TimeZone, Utc};

/// `fetched_at` is when the reply arrived (local clock).
pub fn normalize(b: &Balance, fetched_at: DateTime<Utc>) -> Snapshot {
    let mut currencies: Vec<CurrencyBalance> = b.details.iter().map(currency).collect();
    currencies.sort_by(|a, b| a.currency.cmp(&b.currency));
    let mut indicators = Vec::new();
    if let Some(s) = &b.delta_neutral_status {
        indicators.push(Indicator {
            key: "deltaNeutralStatus".into(),
            value: s.clone(),
            meaning: match s.as_str() {
                "0" => "normal",
                "1" => "transfer restricted",
                "2" => "delta reducing",
                _ => "unknown status",
            }
            .into(),
        });
    }
    Snapshot {
        fetched_at,
        venue_time: b.u_time.as_deref().and_then(millis),
        totals: Totals {
            currency: Some("USD".into()),
            net_assets: b.total_eq,
            total_cash: None,
            buying_power: b.avail_eq,
            market_value: b.notional_usd,
            ..Totals::default()
        },
        risk: Risk {
            level: None,
            margin_ratio: b.mgn_ratio,
            margin_call: None,
            initial_margin: b.imr,
            maintenance_margin: b.mmr,
            adjusted_equity: b.adj_eq,
            utilization: None,
            indicators,
        },
        currencies,
        other_views: Vec::new(),
    }
}

fn currency(d: &Detail) -> CurrencyBalance {
    let mut indicators = Vec::new();
    if let Some(t) = &d.twap {
        let frp = match d.frp_type.as_deref() {
            Some("1") => ", user-based forced repayment",
            Some("2") => ", platform-based forced repayment",
            _ => "",
        };
        indicators.push(Indicator {
            key: "twap".into(),
            value: t.clone(),
            meaning: format!("forced-repayment risk {t} of 5{frp}"),
        });
    }
    if let Some(c) = &d.col_res {
        indicators.push(Indicator {
            key: "colRes".into(),
            value: c.clone(),
            meaning: match c.as_str() {
                "0" => "no collateral restriction",
                "1" => "close to the platform collateral limit",
                "2" => "collateral restricted: not usable as margin for new orders",
                _ => "unknown collateral status",
            }
            .into(),
        });
    }
    if let Some(a) = &d.col_borr_auto_conversion {
        indicators.push(Indicator {
            key: "colBorrAutoConversion".into(),
            value: a.clone(),
            meaning: match a.as_str() {
                "0" => "no auto-conversion risk",
                "1" | "2" | "3" => "auto-conversion risk",
                "4" => "auto-conversion soon",
                "5" => "auto-conversion under way",
                _ => "unknown auto-conversion status",
            }
            .into(),
        });
    }
    CurrencyBalance {
        currency: d.ccy.clone(),
        cash: d.cash_bal,
        available: d.avail_bal,
        frozen: d.frozen_bal,
        settling: None,
        withdrawable: None,
        equity: d.eq,
        liabilities: d.liab,
        value_in_base: d.eq_usd,
        interest: d.interest,
        indicators,
        ..CurrencyBalance::default()
    }
}

fn millis(s: &str) -> Option<DateTime<Utc>> {
    let ms: i64 = s.parse().ok()?;
    Utc.timestamp_millis_opt(ms).single()
}
