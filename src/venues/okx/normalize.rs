//! OKX balance -> venue-neutral Snapshot.
//!
//! `""` in a field means "not applicable in this account mode" (docs table
//! "Distribution of applicable fields"), never "no risk": in Futures mode the
//! account-level `mgnRatio`/`imr`/`mmr` are `""` and the risk is per currency.

use super::wire::{Balance, Detail};
use crate::model::{CurrencyBalance, Headroom, Indicator, Risk, Snapshot, Totals};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;

/// `fetched_at` is when the reply arrived (local clock).
pub fn normalize(b: &Balance, fetched_at: DateTime<Utc>) -> Snapshot {
    let mut currencies: Vec<CurrencyBalance> = b.details.iter().map(currency).collect();
    currencies.sort_by(|a, b| a.currency.cmp(&b.currency));
    let mut indicators = Vec::new();
    if let Some(s) = &b.delta_neutral_status {
        indicators.push(match s.as_str() {
            "0" => Indicator::new("deltaNeutralStatus", s, "normal"),
            "1" => Indicator::new("deltaNeutralStatus", s, "transfer restricted"),
            "2" => Indicator::new("deltaNeutralStatus", s, "delta reducing"),
            _ => Indicator::unknown("deltaNeutralStatus", s),
        });
    }
    // Account-level ratio where the mode has one; else (Futures mode) the
    // worst currency's cross margin ratio, naming the currency.
    let (margin_ratio, margin_ratio_currency) = match b.mgn_ratio {
        Some(r) => (Some(r), None),
        None => currencies
            .iter()
            .filter_map(|c| c.margin_ratio.map(|r| (r, c.currency.clone())))
            .min_by(|a, b| a.0.cmp(&b.0))
            .map_or((None, None), |(r, c)| (Some(r), Some(c))),
    };
    // OKX liquidates at mgnRatio 100% (equity = maintenance).
    let headroom = margin_ratio.and_then(|r| {
        let basis = match &margin_ratio_currency {
            Some(c) => format!("{c} mgnRatio (liquidation 100%)"),
            None => "mgnRatio (liquidation 100%)".into(),
        };
        Headroom::from_cover(r, Decimal::ONE, basis)
    });
    Snapshot {
        fetched_at,
        venue_time: b.u_time.as_deref().and_then(millis),
        account_mode: None,
        totals: Totals {
            currency: Some("USD".into()),
            net_assets: b.total_eq,
            total_cash: None,
            available_equity: b.avail_eq,
            notional_value: b.notional_usd,
            unrealized_pnl: b.upl,
            borrow_frozen: b.borrow_froz,
            isolated_equity: b.iso_eq,
            ..Totals::default()
        },
        risk: Risk {
            level: None,
            margin_ratio,
            margin_ratio_currency,
            margin_call: None,
            initial_margin: b.imr,
            maintenance_margin: b.mmr,
            adjusted_equity: b.adj_eq,
            utilization: None,
            maintenance_rate: None,
            initial_rate: None,
            indicators,
            headroom,
            ..Risk::default()
        },
        currencies,
        wallets: Vec::new(),
        other_views: Vec::new(),
    }
}

/// What `currency` reads each field from, as the OKX document names it.
pub const FIELD_NAMES: &[(&str, &str)] = &[
    ("cash", "details[].cashBal"),
    ("available", "details[].availBal"),
    ("frozen", "details[].frozenBal"),
    ("equity", "details[].eq"),
    ("liabilities", "details[].liab"),
    ("value_in_base", "details[].eqUsd"),
    ("interest", "details[].interest"),
    ("available_equity", "details[].availEq"),
    ("unrealized_pnl", "details[].upl"),
    ("borrow_frozen", "details[].borrowFroz"),
    ("isolated_equity", "details[].isoEq"),
    ("strategy_equity", "details[].stgyEq"),
    ("reward_balance", "details[].rewardBal"),
    ("max_loan", "details[].maxLoan"),
    ("margin_ratio", "details[].mgnRatio"),
    ("initial_margin", "details[].imr"),
    ("maintenance_margin", "details[].mmr"),
    ("notional_leverage", "details[].notionalLever"),
];

fn currency(d: &Detail) -> CurrencyBalance {
    let mut indicators = Vec::new();
    if let Some(t) = &d.twap {
        let frp = match d.frp_type.as_deref() {
            Some("1") => ", user-based forced repayment",
            Some("2") => ", platform-based forced repayment",
            _ => "",
        };
        indicators.push(match t.parse::<u8>() {
            Ok(0..=5) => Indicator::new("twap", t, format!("forced-repayment risk {t} of 5{frp}")),
            _ => Indicator::unknown("twap", t),
        });
    }
    if let Some(c) = &d.col_res {
        indicators.push(match c.as_str() {
            "0" => Indicator::new("colRes", c, "no collateral restriction"),
            "1" => Indicator::new("colRes", c, "close to the platform collateral limit"),
            "2" => Indicator::new(
                "colRes",
                c,
                "collateral restricted: not usable as margin for new orders",
            ),
            _ => Indicator::unknown("colRes", c),
        });
    }
    if let Some(a) = &d.col_borr_auto_conversion {
        indicators.push(match a.as_str() {
            "0" => Indicator::new("colBorrAutoConversion", a, "no auto-conversion risk"),
            "1" | "2" | "3" => Indicator::new("colBorrAutoConversion", a, "auto-conversion risk"),
            "4" => Indicator::new("colBorrAutoConversion", a, "auto-conversion soon"),
            "5" => Indicator::new("colBorrAutoConversion", a, "auto-conversion under way"),
            _ => Indicator::unknown("colBorrAutoConversion", a),
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
        available_equity: d.avail_eq,
        unrealized_pnl: d.upl,
        borrow_frozen: d.borrow_froz,
        isolated_equity: d.iso_eq,
        strategy_equity: d.stgy_eq,
        reward_balance: d.reward_bal,
        max_loan: d.max_loan,
        margin_ratio: d.mgn_ratio,
        initial_margin: d.imr,
        maintenance_margin: d.mmr,
        notional_leverage: d.notional_lever,
        indicators,
        ..CurrencyBalance::default()
    }
}

fn millis(s: &str) -> Option<DateTime<Utc>> {
    let ms: i64 = s.parse().ok()?;
    Utc.timestamp_millis_opt(ms).single()
}
