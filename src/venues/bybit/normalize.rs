//! Bybit wallet balance -> venue-neutral Snapshot.
//!
//! Every figure keeps Bybit's meaning: `walletBalance` (which includes spot
//! borrowing) is `wallet_balance`, not `cash`; `accountMMRate` (maintenance
//! over margin balance, 1 = liquidation) is `maintenance_rate`, never the
//! inverse `margin_ratio`. `""` (not applicable, e.g. the account-wide rates
//! in isolated margin) stays absent. `availableToWithdraw` is always `""` for
//! unified accounts: `withdrawable` stays absent.

use super::wire::{Coin, Wallet};
use crate::model::{CurrencyBalance, Headroom, Indicator, Risk, Snapshot, Totals};
use chrono::{DateTime, Utc};

/// `fetched_at` is when the reply arrived (local clock); `venue_time` the
/// envelope's `time`.
pub fn normalize(
    w: &Wallet,
    fetched_at: DateTime<Utc>,
    venue_time: Option<DateTime<Utc>>,
) -> Snapshot {
    let mut currencies: Vec<CurrencyBalance> = w.coin.iter().map(currency).collect();
    currencies.sort_by(|a, b| a.currency.cmp(&b.currency));
    Snapshot {
        fetched_at,
        venue_time,
        account_mode: None,
        totals: Totals {
            currency: Some("USD".into()),
            net_assets: w.total_equity,
            wallet_balance: w.total_wallet_balance,
            margin_balance: w.total_margin_balance,
            available_balance: w.total_available_balance,
            perp_unrealized_pnl: w.total_perp_upl,
            ..Totals::default()
        },
        risk: Risk {
            initial_margin: w.total_initial_margin,
            maintenance_margin: w.total_maintenance_margin,
            maintenance_rate: w.account_mm_rate,
            initial_rate: w.account_im_rate,
            headroom: w
                .account_mm_rate
                .and_then(|r| Headroom::from_usage(r, HEADROOM_BASIS)),
            ..Risk::default()
        },
        currencies,
        other_views: Vec::new(),
        wallets: Vec::new(),
    }
}

/// Where the margin headroom comes from: liquidation when `accountMMRate`
/// reaches 1, so the headroom is 1 − accountMMRate.
pub const HEADROOM_BASIS: &str = "accountMMRate (liquidation 1)";

/// The indicator key of Bybit's `coin[].colRes`. Not OKX's `colRes` key:
/// PROTOCOLS.md §8 judges Bybit's (1 warn, 2 critical) more strictly than
/// OKX's (1 notice, 2 warn), so the two must not share a rule.
pub const COL_RES_KEY: &str = "collateralRestriction";

/// What `currency` reads each field from, as the Bybit document names it.
pub const FIELD_NAMES: &[(&str, &str)] = &[
    ("wallet_balance", "coin[].walletBalance"),
    ("frozen", "coin[].locked"),
    ("equity", "coin[].equity"),
    ("liabilities", "coin[].borrowAmount"),
    ("interest", "coin[].accruedInterest"),
    ("value_in_base", "coin[].usdValue"),
    ("unrealized_pnl", "coin[].unrealisedPnl"),
    ("spot_borrow", "coin[].spotBorrow"),
];

fn currency(c: &Coin) -> CurrencyBalance {
    let mut indicators = Vec::new();
    if let Some(v) = &c.col_res {
        let k = COL_RES_KEY;
        indicators.push(match v.as_str() {
            "-1" => Indicator::new(k, v, "unknown (colRes -1)"),
            "0" => Indicator::new(k, v, "none (colRes 0)"),
            "1" => Indicator::new(k, v, "close to the platform collateral limit (colRes 1)"),
            "2" => Indicator::new(
                k,
                v,
                "restricted: adding collateral or switching mode is rejected (colRes 2)",
            ),
            _ => Indicator::unknown(k, v),
        });
    }
    CurrencyBalance {
        currency: c.coin.clone(),
        wallet_balance: c.wallet_balance,
        frozen: c.locked,
        equity: c.equity,
        liabilities: c.borrow_amount,
        interest: c.accrued_interest,
        value_in_base: c.usd_value,
        unrealized_pnl: c.unrealised_pnl,
        spot_borrow: c.spot_borrow,
        indicators,
        ..CurrencyBalance::default()
    }
}
