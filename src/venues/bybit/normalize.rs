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

/// One account's wallets (one wallet-balance reply per `accountType`, in
/// the order read) as one snapshot. A single wallet stays as it is. Several
/// (UTA 1.0: UNIFIED + CONTRACT; classic: CONTRACT + SPOT): each row names
/// its wallet ("unified", "contract", "spot") and each wallet's totals are
/// listed on their own; the account's totals and risk are the UNIFIED
/// wallet's, since CONTRACT and SPOT have no account-wide figures ("") and
/// their coins carry no USD value to add.
pub fn combine(mut parts: Vec<(&str, Snapshot)>) -> Snapshot {
    if parts.len() == 1
        && let Some((_, s)) = parts.pop()
    {
        return s;
    }
    let mut base: Option<Snapshot> = None;
    let mut rows = Vec::new();
    let mut wallets = Vec::new();
    let mut venue_time = None;
    let mut fetched_at = None;
    for (account_type, s) in parts {
        let name = account_type.to_ascii_lowercase();
        venue_time = venue_time.max(s.venue_time);
        fetched_at = fetched_at.max(Some(s.fetched_at));
        rows.extend(s.currencies.iter().cloned().map(|mut c| {
            c.wallet = Some(name.clone());
            c
        }));
        let mut totals = s.totals.clone();
        let t = &totals;
        if [
            t.net_assets,
            t.wallet_balance,
            t.margin_balance,
            t.available_balance,
        ]
        .iter()
        .all(Option::is_none)
        {
            // Nothing in USD: do not claim a currency.
            totals.currency = None;
        }
        wallets.push(crate::model::Wallet { name, totals });
        if account_type == "UNIFIED" {
            base = Some(s);
        }
    }
    let mut out = base.unwrap_or_else(|| Snapshot {
        fetched_at: fetched_at.unwrap_or_default(),
        venue_time: None,
        account_mode: None,
        totals: Totals::default(),
        risk: Risk::default(),
        currencies: Vec::new(),
        other_views: Vec::new(),
        wallets: Vec::new(),
    });
    rows.sort_by(|a, b| (&a.currency, &a.wallet).cmp(&(&b.currency, &b.wallet)));
    out.currencies = rows;
    out.wallets = wallets;
    out.venue_time = venue_time;
    if let Some(at) = fetched_at {
        out.fetched_at = at;
    }
    out
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
