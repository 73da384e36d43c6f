//! Binance replies -> venue-neutral rows, wallet totals and risk.
//!
//! One account shows every wallet: each row names its wallet ("spot",
//! "margin", "futures", "coinm", "pm"); each wallet's totals stay in their own
//! currency (margin in BTC, futures in USDT or USD, PM in USD) and are never
//! added together. The account-level `Totals` stay empty: Binance gives no
//! one number for the whole account without a price source.

use super::wire::{
    FuturesAccount, IsolatedAccount, MarginAccount, PmAccount, PmBalance, SpotAccount, TradeCoeff,
};
use crate::model::{
    CurrencyBalance, Headroom, Indicator, MarginLevelBars, Risk, Snapshot, Totals, Wallet,
};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;

/// The wallet names rows and totals carry.
pub const SPOT: &str = "spot";
pub const MARGIN: &str = "margin";
pub const FUTURES: &str = "futures";
pub const COINM: &str = "coinm";
pub const PM: &str = "pm";
/// Isolated margin rows name their pair: "isolated BTCUSDT".
pub const ISOLATED: &str = "isolated";

/// Cross margin liquidates at this `marginLevel` unless tradeCoeff says
/// otherwise (`forceLiquidationBar`, §8).
pub const MARGIN_LIQUIDATION_DEFAULT: Decimal = Decimal::from_parts(11, 0, 0, false, 1);
/// Portfolio Margin liquidates at this `uniMMR` (§8, PM FAQ).
pub const UNI_MMR_LIQUIDATION: Decimal = Decimal::from_parts(105, 0, 0, false, 2);

/// Keep the account's headroom at its closest figure to liquidation.
fn headroom(s: &mut Snapshot, h: Option<Headroom>) {
    s.risk.headroom = Headroom::worst(s.risk.headroom.take(), h);
}

/// What `CurrencyBalance` fields are read from. Rows of several wallets fill
/// the same fields: each pair names the wire field of the wallet that fills
/// it most (the detail view names the row's wallet).
pub const FIELD_NAMES: &[(&str, &str)] = &[
    ("available", "userAssets[].free"),
    ("frozen", "userAssets[].locked"),
    ("liabilities", "userAssets[].borrowed"),
    ("interest", "userAssets[].interest"),
    ("equity", "userAssets[].netAsset"),
    ("cash", "assets[].walletBalance"),
    ("unrealized_pnl", "assets[].unrealizedProfit"),
    ("maintenance_margin", "assets[].maintMargin"),
    ("initial_margin", "assets[].initialMargin"),
    ("withdrawable", "assets[].maxWithdrawAmount"),
];

fn add(a: Option<Decimal>, b: Option<Decimal>) -> Option<Decimal> {
    a?.checked_add(b?)
}

fn millis(ms: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms).single().filter(|_| ms > 0)
}

/// An empty snapshot to which wallets are added.
pub fn empty(fetched_at: DateTime<Utc>) -> Snapshot {
    Snapshot {
        fetched_at,
        venue_time: None,
        account_mode: None,
        totals: Totals::default(),
        risk: Risk::default(),
        currencies: Vec::new(),
        wallets: Vec::new(),
        other_views: Vec::new(),
    }
}

fn later(s: &mut Snapshot, t: Option<i64>) {
    if let Some(t) = t.and_then(millis) {
        s.venue_time = Some(s.venue_time.map_or(t, |v| v.max(t)));
    }
}

/// Spot: cash = free + locked, available = free, frozen = locked. No totals
/// (spot balances carry no price) and no risk (spot cannot go negative).
pub fn add_spot(s: &mut Snapshot, a: &SpotAccount) {
    for b in &a.balances {
        s.currencies.push(CurrencyBalance {
            currency: b.asset.clone(),
            cash: add(b.free, b.locked),
            available: b.free,
            frozen: b.locked,
            wallet: Some(SPOT.into()),
            ..CurrencyBalance::default()
        });
    }
    later(s, a.update_time);
}

/// Cross margin: per asset free/locked/borrowed/interest/netAsset; the
/// wallet's totals in BTC; `marginLevel` with the account's own bars when read.
/// A margin account never opened (`created: false`) adds nothing.
pub fn add_margin(s: &mut Snapshot, m: &MarginAccount, bars: Option<&TradeCoeff>) {
    if m.created == Some(false) {
        return;
    }
    for a in &m.user_assets {
        s.currencies.push(CurrencyBalance {
            currency: a.asset.clone(),
            cash: add(a.free, a.locked),
            available: a.free,
            frozen: a.locked,
            liabilities: a.borrowed,
            interest: a.interest,
            equity: a.net_asset,
            wallet: Some(MARGIN.into()),
            ..CurrencyBalance::default()
        });
    }
    s.wallets.push(Wallet {
        name: MARGIN.into(),
        totals: Totals {
            currency: Some("BTC".into()),
            net_assets: m.total_net_asset_of_btc,
            ..Totals::default()
        },
    });
    s.risk.margin_level = m.margin_level;
    s.risk.margin_level_bars = bars.and_then(|b| {
        Some(MarginLevelBars {
            normal: b.normal_bar?,
            margin_call: b.margin_call_bar?,
            liquidation: b.force_liquidation_bar?,
        })
    });
    let line = bars
        .and_then(|b| b.force_liquidation_bar)
        .unwrap_or(MARGIN_LIQUIDATION_DEFAULT);
    if let Some(ml) = m.margin_level {
        headroom(
            s,
            Headroom::from_cover(ml, line, format!("marginLevel (liquidation {line})")),
        );
    }
    if let Some(t) = &m.account_type {
        let meaning = match t.as_str() {
            "MARGIN_1" => Some("Cross Margin Classic"),
            "MARGIN_2" => Some("Cross Margin Pro"),
            _ => None,
        };
        s.risk.indicators.push(match meaning {
            Some(m) => Indicator::new("marginAccountType", t, m),
            None => Indicator::unknown("marginAccountType", t),
        });
    }
}

/// USDⓈ-M futures: per margin asset; the wallet's totals in USDT
/// (single-asset mode) or USD (multi-assets mode; None when not yet known);
/// the maintenance ratio `totalMaintMargin / totalMarginBalance`.
pub fn add_futures(s: &mut Snapshot, f: &FuturesAccount, multi_assets: Option<bool>, wallet: &str) {
    for a in &f.assets {
        s.currencies.push(CurrencyBalance {
            currency: a.asset.clone(),
            cash: a.wallet_balance,
            equity: a.margin_balance,
            unrealized_pnl: a.unrealized_profit,
            maintenance_margin: a.maint_margin,
            initial_margin: a.initial_margin,
            available: a.available_balance,
            withdrawable: a.max_withdraw_amount,
            wallet: Some(wallet.into()),
            ..CurrencyBalance::default()
        });
        later(s, a.update_time);
    }
    if wallet != FUTURES {
        // COIN-M: amounts per coin only; no totals across coins.
        add_coinm_ratios(s);
        return;
    }
    let currency = multi_assets.map(|m| if m { "USD" } else { "USDT" }.to_string());
    s.wallets.push(Wallet {
        name: FUTURES.into(),
        totals: Totals {
            currency: currency.clone(),
            net_assets: f.total_margin_balance,
            total_cash: f.total_wallet_balance,
            available_equity: f.available_balance,
            unrealized_pnl: f.total_unrealized_profit,
            ..Totals::default()
        },
    });
    s.risk.futures_maint_ratio = match (f.total_maint_margin, f.total_margin_balance) {
        (Some(mm), Some(mb)) if mb > Decimal::ZERO => mm.checked_div(mb).map(|r| r.round_dp(6)),
        _ => None,
    };
    if let Some(r) = s.risk.futures_maint_ratio {
        headroom(
            s,
            Headroom::from_usage(
                r,
                "futures totalMaintMargin/totalMarginBalance (liquidation 1)",
            ),
        );
    }
    if s.risk.maintenance_margin.is_none() {
        s.risk.maintenance_margin = f.total_maint_margin;
        s.risk.initial_margin = f.total_initial_margin;
        s.risk.margin_currency = currency;
    }
    later(s, f.update_time);
}

/// The indicator key of a COIN-M coin's maintenance ratio.
pub const COINM_RATIO: &str = "coinmMaintRatio";

/// COIN-M margin is per coin (each coin is its own collateral): per coin
/// `maintMargin / marginBalance`, as an indicator on the coin's row (judged
/// with the futures thresholds by `health`); the worst coin is the headroom
/// candidate, named in its basis.
fn add_coinm_ratios(s: &mut Snapshot) {
    let mut worst: Option<Headroom> = None;
    for c in s
        .currencies
        .iter_mut()
        .filter(|c| c.wallet.as_deref() == Some(COINM))
    {
        let (Some(mm), Some(mb)) = (c.maintenance_margin, c.equity) else {
            continue;
        };
        if mb <= Decimal::ZERO {
            continue;
        }
        let Some(r) = mm.checked_div(mb).map(|r| r.round_dp(6)) else {
            continue;
        };
        c.indicators.push(Indicator::new(
            COINM_RATIO,
            &r.normalize().to_string(),
            "COIN-M maintMargin/marginBalance, liquidation at 1",
        ));
        worst = Headroom::worst(
            worst,
            Headroom::from_usage(
                r,
                format!(
                    "COIN-M {} maintMargin/marginBalance (liquidation 1)",
                    c.currency
                ),
            ),
        );
    }
    headroom(s, worst);
}

/// Documented `marginLevelStatus` values of an isolated pair.
fn level_status(pair: &str, v: &str) -> Indicator {
    let key = format!("{pair} marginLevelStatus");
    let meaning = match v {
        "EXCESSIVE" => "excessive (no debt)",
        "NORMAL" => "normal",
        "MARGIN_CALL" => "margin call",
        "PRE_LIQUIDATION" => "pre-liquidation",
        "FORCE_LIQUIDATION" => "force liquidation",
        _ => return Indicator::unknown(&key, v),
    };
    Indicator::new(&key, v, meaning)
}

/// Isolated margin: per pair, its base and quote rows (wallet
/// "isolated <pair>"), its `marginLevel` and `marginLevelStatus` as
/// indicators (judged by `health`, §8). Pairs never created add nothing.
pub fn add_isolated(s: &mut Snapshot, a: &IsolatedAccount) {
    for p in &a.assets {
        if p.isolated_created == Some(false) {
            continue;
        }
        let wallet = format!("{ISOLATED} {}", p.symbol);
        for b in [&p.base_asset, &p.quote_asset] {
            s.currencies.push(CurrencyBalance {
                currency: b.asset.clone(),
                cash: add(b.free, b.locked),
                available: b.free,
                frozen: b.locked,
                liabilities: b.borrowed,
                interest: b.interest,
                equity: b.net_asset,
                wallet: Some(wallet.clone()),
                ..CurrencyBalance::default()
            });
        }
        if let Some(ml) = p.margin_level {
            s.risk.indicators.push(Indicator::new(
                &format!("{} marginLevel", p.symbol),
                &ml.normalize().to_string(),
                "isolated pair margin level (assets over liabilities)",
            ));
        }
        if let Some(st) = &p.margin_level_status {
            s.risk.indicators.push(level_status(&p.symbol, st));
        }
    }
}

/// Documented `accountStatus` values of /papi/v1/account.
fn account_status(v: &str) -> Indicator {
    let meaning = match v {
        "NORMAL" => "normal",
        "MARGIN_CALL" => "margin call",
        "SUPPLY_MARGIN" => "supply margin",
        "REDUCE_ONLY" => "reduce only",
        "ACTIVE_LIQUIDATION" => "active liquidation",
        "FORCE_LIQUIDATION" => "force liquidation",
        "BANKRUPTED" => "bankrupted",
        _ => return Indicator::unknown("accountStatus", v),
    };
    Indicator::new("accountStatus", v, meaning)
}

/// Portfolio Margin account: `uniMMR`, equity and margins in USD, status.
pub fn add_pm_account(s: &mut Snapshot, a: &PmAccount) {
    s.wallets.push(Wallet {
        name: PM.into(),
        totals: Totals {
            currency: Some("USD".into()),
            net_assets: a.account_equity,
            available_equity: a.total_available_balance,
            ..Totals::default()
        },
    });
    s.risk.uni_mmr = a.uni_mmr;
    if let Some(u) = a.uni_mmr {
        headroom(
            s,
            Headroom::from_cover(
                u,
                UNI_MMR_LIQUIDATION,
                format!("uniMMR (liquidation {UNI_MMR_LIQUIDATION})"),
            ),
        );
    }
    s.risk.initial_margin = a.account_initial_margin;
    s.risk.maintenance_margin = a.account_maint_margin;
    s.risk.margin_currency = Some("USD".into());
    if let Some(st) = &a.account_status {
        s.risk.indicators.push(account_status(st));
    }
    later(s, a.update_time);
}

/// Portfolio Margin balances, per asset: cross margin free/locked/borrowed/
/// interest, total wallet balance, UM unrealized PnL; `negativeBalance` > 0
/// is an indicator.
pub fn add_pm_balance(s: &mut Snapshot, list: &[PmBalance]) {
    for b in list {
        let mut indicators = Vec::new();
        if let Some(n) = b.negative_balance
            && n > Decimal::ZERO
        {
            indicators.push(Indicator::new(
                "negativeBalance",
                &n.normalize().to_string(),
                "negative balance carried",
            ));
        }
        s.currencies.push(CurrencyBalance {
            currency: b.asset.clone(),
            cash: b.total_wallet_balance,
            available: b.cross_margin_free,
            frozen: b.cross_margin_locked,
            liabilities: b.cross_margin_borrowed,
            interest: b.cross_margin_interest,
            equity: b.cross_margin_asset,
            unrealized_pnl: b.um_unrealized_pnl,
            wallet: Some(PM.into()),
            indicators,
            ..CurrencyBalance::default()
        });
        later(s, b.update_time);
    }
}

/// Rows by wallet, then currency.
pub fn finish(s: &mut Snapshot) {
    s.currencies
        .sort_by(|a, b| (&a.wallet, &a.currency).cmp(&(&b.wallet, &b.currency)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Wallet;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn wallet_totals_keep_their_own_currency() {
        let m: MarginAccount = serde_json::from_str(
            r#"{"created":true,"marginLevel":"1.25","totalNetAssetOfBtc":"0.5","userAssets":[{"asset":"USDT","free":"1","locked":"2","borrowed":"10","interest":"0.1","netAsset":"-7.1"}]}"#,
        )
        .unwrap();
        let f: FuturesAccount = serde_json::from_str(
            r#"{"totalMaintMargin":"30","totalMarginBalance":"100","totalWalletBalance":"90","assets":[]}"#,
        )
        .unwrap();
        let mut s = empty(Utc::now());
        add_margin(&mut s, &m, None);
        add_futures(&mut s, &f, Some(false), FUTURES);
        let w: Vec<(&str, Option<&str>)> = s
            .wallets
            .iter()
            .map(|w: &Wallet| (w.name.as_str(), w.totals.currency.as_deref()))
            .collect();
        assert_eq!(w, vec![("margin", Some("BTC")), ("futures", Some("USDT"))]);
        assert_eq!(s.totals.net_assets, None, "never added across wallets");
        assert_eq!(s.risk.margin_level, Some(d("1.25")));
        assert_eq!(s.risk.futures_maint_ratio, Some(d("0.3")));
        let r = &s.currencies[0];
        assert_eq!(r.cash, Some(d("3")));
        assert_eq!(r.liabilities, Some(d("10")));
        assert_eq!(r.equity, Some(d("-7.1")));
        assert_eq!(r.wallet.as_deref(), Some("margin"));
    }

    #[test]
    fn unopened_margin_and_unknown_mode_add_nothing_invented() {
        let m: MarginAccount =
            serde_json::from_str(r#"{"created":false,"marginLevel":"999","userAssets":[]}"#)
                .unwrap();
        let mut s = empty(Utc::now());
        add_margin(&mut s, &m, None);
        assert!(s.wallets.is_empty() && s.risk.margin_level.is_none());
        let f: FuturesAccount = serde_json::from_str(
            r#"{"totalMarginBalance":"0","totalMaintMargin":"0","assets":[]}"#,
        )
        .unwrap();
        add_futures(&mut s, &f, None, FUTURES);
        assert_eq!(s.wallets[0].totals.currency, None);
        assert_eq!(
            s.risk.futures_maint_ratio, None,
            "no ratio over a zero balance"
        );
    }
}
