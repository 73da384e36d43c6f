//! Webull balance -> venue-neutral Snapshot.

use super::wire::{Asset, Balance};
use crate::model::{CurrencyBalance, Risk, Snapshot, Totals};
use chrono::{DateTime, Utc};

/// The reply as it stands: totals in the currency it names (None if it names none).
pub fn normalize(b: &Balance, fetched_at: DateTime<Utc>) -> Snapshot {
    normalize_asked(b, None, fetched_at)
}

/// As `normalize`; when the reply names no `total_asset_currency`, the totals
/// are in `asked_currency`, the one the request sent (or the venue's default).
pub fn normalize_asked(
    b: &Balance,
    asked_currency: Option<&str>,
    fetched_at: DateTime<Utc>,
) -> Snapshot {
    Snapshot {
        fetched_at,
        venue_time: None,
        account_mode: None,
        totals: Totals {
            currency: b
                .total_asset_currency
                .clone()
                .or_else(|| asked_currency.map(String::from)),
            net_assets: b.total_asset,
            total_cash: b.total_cash_balance,
            buying_power: None,
            market_value: b.total_market_value,
            ..Totals::default()
        },
        risk: Risk {
            // Sent as a percentage ("1.00" = 1%); the model holds ratios.
            utilization: b
                .margin_utilization_rate
                .and_then(|p| p.checked_div(rust_decimal::Decimal::ONE_HUNDRED)),
            ..Risk::default()
        },
        currencies: b
            .account_currency_assets
            .iter()
            .flatten()
            .map(currency)
            .collect(),
        wallets: Vec::new(),
        other_views: Vec::new(),
    }
}

/// What `currency` reads each field from, as the Webull document names it.
pub const FIELD_NAMES: &[(&str, &str)] = &[
    ("cash", "account_currency_assets[].cash_balance"),
    ("available", "account_currency_assets[].cash_power"),
    ("frozen", "account_currency_assets[].cash_frozen"),
    ("in_transit", "account_currency_assets[].pending_incoming"),
    (
        "withdrawable",
        "account_currency_assets[].available_withdrawal",
    ),
    ("equity", "account_currency_assets[].net_liquidation_value"),
    ("buying_power", "account_currency_assets[].margin_power"),
    (
        "market_value",
        "account_currency_assets[].positions_market_value",
    ),
    ("interest", "account_currency_assets[].interests_unpaid"),
];

fn currency(a: &Asset) -> CurrencyBalance {
    CurrencyBalance {
        currency: a.currency.clone(),
        cash: a.cash_balance,
        available: a.cash_power,
        frozen: a.cash_frozen,
        // 在途资金: funds in transit, not trade settlement (LongPort keeps
        // `settling_cash` for that).
        settling: None,
        in_transit: a.pending_incoming,
        withdrawable: a.available_withdrawal,
        equity: a.net_liquidation_value,
        buying_power: a.margin_power,
        market_value: a.positions_market_value,
        interest: a.interests_unpaid,
        ..CurrencyBalance::default()
    }
}
