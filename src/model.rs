//! Venue-neutral types. Every amount is an exact `Decimal`; what a venue does not
//! report is `None` (shown as `—`), never zero.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Which venue an account is at: its config id ("okx") and its name for
/// people ("OKX"). Each venue defines its own (`venues::okx::KIND`), and the
/// venue registry lists them: this layer names no venue.
/// One pointer wide, so errors that carry it stay small.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VenueKind(&'static VenueName);

/// A venue's two names.
#[derive(PartialEq, Eq, Hash)]
pub struct VenueName {
    pub id: &'static str,
    pub label: &'static str,
}

impl VenueKind {
    pub const fn new(name: &'static VenueName) -> Self {
        VenueKind(name)
    }
    /// The id used in config files and machine output.
    pub fn as_str(self) -> &'static str {
        self.0.id
    }
    /// Name for humans, e.g. in a title line.
    pub fn label(self) -> &'static str {
        self.0.label
    }
}

impl std::fmt::Display for VenueKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl std::fmt::Debug for VenueKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.id)
    }
}

impl Serialize for VenueKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.id)
    }
}

/// One currency's balances in one account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CurrencyBalance {
    pub currency: String,
    pub cash: Option<Decimal>,
    pub available: Option<Decimal>,
    pub frozen: Option<Decimal>,
    pub settling: Option<Decimal>,
    pub withdrawable: Option<Decimal>,
    pub equity: Option<Decimal>,
    pub liabilities: Option<Decimal>,
    pub value_in_base: Option<Decimal>,
    /// Margin buying power in this currency (Webull `margin_power`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buying_power: Option<Decimal>,
    /// Market value of positions in this currency (Webull `positions_market_value`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub market_value: Option<Decimal>,
    /// Interest accrued and not yet paid (OKX `interest`, Webull `interests_unpaid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interest: Option<Decimal>,
    /// Transaction fees frozen in this currency (LongPort `frozen_transaction_fees`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frozen_fees: Option<Decimal>,
    /// Funds in transit to the account (Webull `pending_incoming`, 在途资金):
    /// not the same as cash waiting for trade settlement (`settling`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_transit: Option<Decimal>,
    /// Available equity of this currency, in this currency (OKX `details[].availEq`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_equity: Option<Decimal>,
    /// Unrealized profit and loss of this currency's positions (OKX `upl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unrealized_pnl: Option<Decimal>,
    /// Potential borrowing initial margin of this currency, in USD (OKX `borrowFroz`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub borrow_frozen: Option<Decimal>,
    /// Isolated margin equity of this currency (OKX `isoEq`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isolated_equity: Option<Decimal>,
    /// Strategy equity (OKX `stgyEq`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy_equity: Option<Decimal>,
    /// Trial fund balance (OKX `rewardBal`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reward_balance: Option<Decimal>,
    /// Largest loan possible in this currency (OKX `maxLoan`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_loan: Option<Decimal>,
    /// Cross maintenance margin ratio of this currency as a plain ratio
    /// (OKX Futures mode `details[].mgnRatio`; 1 = liquidation line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin_ratio: Option<Decimal>,
    /// Cross initial / maintenance margin requirement in this currency (OKX Futures mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_margin: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintenance_margin: Option<Decimal>,
    /// Leverage of this currency (OKX Futures mode `notionalLever`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notional_leverage: Option<Decimal>,
    /// Wallet balance as Bybit reports it (`walletBalance`): since 2025-10 it
    /// includes coins borrowed in spot margin (`spot_borrow`), so it is not
    /// the cash the account owns (`cash`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wallet_balance: Option<Decimal>,
    /// Liability from spot margin trading and manual borrowing, part of
    /// `wallet_balance` (Bybit `spotBorrow`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spot_borrow: Option<Decimal>,
    /// The account currency whose view this row comes from, when the venue reports
    /// several views that disagree (LongPort: one `list` item per account currency).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
    /// The wallet of the account this row belongs to, where one account
    /// has several (Binance: "spot", "margin", "futures", "coinm", "pm").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wallet: Option<String>,
    /// Venue risk indicators for this currency (OKX twap, colRes, auto-conversion).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub indicators: Vec<Indicator>,
}

impl CurrencyBalance {
    /// Every Decimal field by its name in this struct (the names the venues'
    /// `field_names` tables and the detail view use), in declaration order.
    /// All amounts in this currency except `value_in_base` (the totals
    /// currency), `borrow_frozen` (USD), `margin_ratio` (a plain ratio) and
    /// `notional_leverage` (a multiple).
    pub fn decimal_fields(&self) -> [(&'static str, Option<Decimal>); 26] {
        [
            ("cash", self.cash),
            ("available", self.available),
            ("frozen", self.frozen),
            ("settling", self.settling),
            ("withdrawable", self.withdrawable),
            ("equity", self.equity),
            ("liabilities", self.liabilities),
            ("value_in_base", self.value_in_base),
            ("buying_power", self.buying_power),
            ("market_value", self.market_value),
            ("interest", self.interest),
            ("frozen_fees", self.frozen_fees),
            ("in_transit", self.in_transit),
            ("available_equity", self.available_equity),
            ("unrealized_pnl", self.unrealized_pnl),
            ("borrow_frozen", self.borrow_frozen),
            ("isolated_equity", self.isolated_equity),
            ("strategy_equity", self.strategy_equity),
            ("reward_balance", self.reward_balance),
            ("max_loan", self.max_loan),
            ("margin_ratio", self.margin_ratio),
            ("initial_margin", self.initial_margin),
            ("maintenance_margin", self.maintenance_margin),
            ("notional_leverage", self.notional_leverage),
            ("wallet_balance", self.wallet_balance),
            ("spot_borrow", self.spot_borrow),
        ]
    }

    /// What tells two rows of one currency apart in an account: the
    /// account-currency view (LongPort), else the wallet (Binance).
    pub fn group(&self) -> Option<&str> {
        self.view.as_deref().or(self.wallet.as_deref())
    }

    /// True when every reported amount is zero or absent (for "hide zero rows").
    pub fn is_all_zero(&self) -> bool {
        // Every amount a row can show: a row whose only money is a frozen fee
        // or funds in transit (or a debt) must never be hidden.
        [
            self.cash,
            self.available,
            self.frozen,
            self.settling,
            self.withdrawable,
            self.equity,
            self.in_transit,
            self.frozen_fees,
            self.liabilities,
            self.interest,
            self.buying_power,
            self.market_value,
            self.available_equity,
            self.wallet_balance,
            self.spot_borrow,
        ]
        .iter()
        .all(|v| v.is_none_or(|d| d.is_zero()))
    }
}

/// Account-wide totals, in `currency` where the venue says which.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub currency: Option<String>,
    pub net_assets: Option<Decimal>,
    pub total_cash: Option<Decimal>,
    pub buying_power: Option<Decimal>,
    pub market_value: Option<Decimal>,
    /// Margin financing limit and what is left of it (LongPort).
    pub max_finance: Option<Decimal>,
    pub remaining_finance: Option<Decimal>,
    /// Available equity (free margin) in `currency` (OKX `availEq`): not buying power.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_equity: Option<Decimal>,
    /// Notional value of positions (OKX `notionalUsd`): not a market value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notional_value: Option<Decimal>,
    /// Unrealized profit and loss at the account level (OKX `upl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unrealized_pnl: Option<Decimal>,
    /// Potential borrowing initial margin of the account (OKX `borrowFroz`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub borrow_frozen: Option<Decimal>,
    /// Isolated margin equity (OKX `isoEq`): isolated positions are outside
    /// the account's margin ratio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isolated_equity: Option<Decimal>,
    /// Interest accrued and not yet paid, account-wide (Webull has it per currency).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interest: Option<Decimal>,
    /// Sum of the coins' wallet balances in `currency` (Bybit `totalWalletBalance`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wallet_balance: Option<Decimal>,
    /// Wallet balance plus perpetual/futures unrealized PnL: what the margin
    /// rates are computed on (Bybit `totalMarginBalance`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin_balance: Option<Decimal>,
    /// Margin balance less haircut and initial margin: room for new
    /// positions (Bybit `totalAvailableBalance`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_balance: Option<Decimal>,
    /// Unrealized PnL of perpetuals and futures only (Bybit `totalPerpUPL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perp_unrealized_pnl: Option<Decimal>,
}

/// The venue's own four-step risk scale (LongPort); None where the venue has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskLevel {
    Safe = 0,
    Medium = 1,
    Warning = 2,
    Danger = 3,
}

/// A venue-specific risk signal, kept by name so the risk pane can show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    /// Stable key, e.g. `twap`, `colRes`, `colBorrAutoConversion`, `deltaNeutralStatus`.
    pub key: String,
    /// The venue's raw value, e.g. "2".
    pub value: String,
    /// What the value means, e.g. "transfer restricted".
    pub meaning: String,
    /// The value is not one the venue documents: a warning, never a guess.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub unknown: bool,
}

impl Indicator {
    /// A documented value and its meaning.
    pub fn new(key: &str, value: &str, meaning: impl Into<String>) -> Self {
        Indicator {
            key: key.into(),
            value: value.into(),
            meaning: meaning.into(),
            unknown: false,
        }
    }
    /// A value the venue's document does not list (an enum the venue extended).
    pub fn unknown(key: &str, value: &str) -> Self {
        Indicator {
            key: key.into(),
            value: value.into(),
            meaning: "not a documented value".into(),
            unknown: true,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    pub level: Option<RiskLevel>,
    /// Equity / maintenance requirement as a plain ratio: 1 = liquidation line.
    /// Where the venue reports it per currency only (OKX Futures mode), the
    /// worst currency's ratio, named in `margin_ratio_currency`.
    pub margin_ratio: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin_ratio_currency: Option<String>,
    pub margin_call: Option<Decimal>,
    pub initial_margin: Option<Decimal>,
    pub maintenance_margin: Option<Decimal>,
    /// The currency of the two margins above where the account has no one
    /// totals currency (Binance: the futures or PM wallet's); else None.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin_currency: Option<String>,
    pub adjusted_equity: Option<Decimal>,
    /// Margin utilization as a plain ratio (0.2 = 20%; Webull sends percent).
    pub utilization: Option<Decimal>,
    /// Maintenance margin over margin balance as a fraction (Bybit
    /// `accountMMRate`): higher is worse, 1 = liquidation. The inverse sense
    /// of `margin_ratio`; never converted into it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintenance_rate: Option<Decimal>,
    /// Initial margin over margin balance as a fraction (Bybit
    /// `accountIMRate`): at 1 no new positions that need margin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_rate: Option<Decimal>,
    /// Account-level venue indicators (OKX deltaNeutralStatus).
    #[serde(default)]
    pub indicators: Vec<Indicator>,
    /// Binance cross margin `marginLevel`: total assets / (liabilities +
    /// interest), a plain ratio; lower is riskier (Binance's own scale, not
    /// `margin_ratio`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin_level: Option<Decimal>,
    /// The venue's own bars for `margin_level` (Binance tradeCoeff), when
    /// read; in JSON as `margin_level_normal_bar`, `_call_bar`, `_liquidation_bar`.
    #[serde(flatten)]
    pub margin_level_bars: Option<MarginLevelBars>,
    /// Binance USDⓈ-M futures `totalMaintMargin / totalMarginBalance`
    /// (a plain ratio; 1 = liquidation; higher is riskier).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub futures_maint_ratio: Option<Decimal>,
    /// Binance Portfolio Margin `uniMMR` (a plain ratio; lower is riskier).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uni_mmr: Option<Decimal>,
    /// The one figure comparable across venues: how far the account is from
    /// its venue's liquidation line (see `Headroom`). Filled by the venue's
    /// normalization from its own figure; None where the venue gives no line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headroom: Option<Headroom>,
}

/// Margin headroom: the share of the collateral (equity, margin balance,
/// assets) that can be lost before the venue's liquidation line is reached,
/// as a fraction (0.25 = 25%; 0 = at the line; negative = past it). Derived
/// from the venue's own figure and line, which `basis` names; the figure
/// itself stays under its own name in `Risk`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Headroom {
    pub fraction: Decimal,
    /// The venue figure and line it comes from, e.g. "accountMMRate (line 1)".
    pub basis: String,
}

impl Headroom {
    /// From a usage fraction whose line is 1 (maintenance over equity: Bybit
    /// `accountMMRate`, Binance futures maint/margin balance): 1 − usage.
    pub fn from_usage(usage: Decimal, basis: impl Into<String>) -> Option<Headroom> {
        Some(Headroom {
            // A derived figure: 6 places (0.0001%) are plenty.
            fraction: Decimal::ONE.checked_sub(usage)?.round_dp(6),
            basis: basis.into(),
        })
    }

    /// From a cover ratio (collateral over requirement: OKX `mgnRatio`,
    /// Binance `marginLevel`, `uniMMR`) whose liquidation line is `line`:
    /// 1 − line / ratio. None for a ratio ≤ 0 (no meaningful share).
    pub fn from_cover(ratio: Decimal, line: Decimal, basis: impl Into<String>) -> Option<Headroom> {
        if ratio <= Decimal::ZERO {
            return None;
        }
        Some(Headroom {
            fraction: Decimal::ONE
                .checked_sub(line.checked_div(ratio)?)?
                .round_dp(6),
            basis: basis.into(),
        })
    }

    /// The smaller headroom of two (an account with several margin figures
    /// is as close to liquidation as its closest one).
    pub fn worst(a: Option<Headroom>, b: Option<Headroom>) -> Option<Headroom> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.fraction < a.fraction { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

/// A venue's own levels for a margin level (Binance `tradeCoeff`): at or
/// below `normal` a warning, at or below `margin_call` a margin call, at or
/// below `liquidation` forced liquidation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MarginLevelBars {
    #[serde(rename = "margin_level_normal_bar")]
    pub normal: Decimal,
    #[serde(rename = "margin_level_call_bar")]
    pub margin_call: Decimal,
    #[serde(rename = "margin_level_liquidation_bar")]
    pub liquidation: Decimal,
}

/// One wallet's totals in the wallet's own currency (Binance: margin in BTC,
/// futures in USDT or USD); never added to another wallet's without a rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wallet {
    /// "spot", "margin", "futures", "coinm", "pm".
    pub name: String,
    pub totals: Totals,
}

/// One successful read of one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub fetched_at: DateTime<Utc>,
    /// When the venue says it computed the numbers (OKX uTime).
    pub venue_time: Option<DateTime<Utc>>,
    /// The venue's account mode in its own words (OKX: "Futures mode"), where
    /// the venue has modes that change what the fields mean.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_mode: Option<String>,
    pub totals: Totals,
    pub risk: Risk,
    pub currencies: Vec<CurrencyBalance>,
    /// The same account seen in its other account currencies (LongPort returns
    /// one `list` item per currency); `totals`/`risk` above are the primary view.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub other_views: Vec<View>,
    /// Per-wallet totals, each in its own currency, where the account has
    /// several wallets (Binance). Not views of one account: no rate is taken
    /// from them.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub wallets: Vec<Wallet>,
}

/// Totals and risk of an account in one of its account currencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub totals: Totals,
    pub risk: Risk,
}

/// One account's stored figures over a time range, for a chart (from the
/// history store). Points are in time order; the first carries the values in
/// force at `from` where the store knows them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub account: String,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub points: Vec<SeriesPoint>,
}

/// The account's figures from `at` until the next point. `ok == false`
/// starts a gap (a failed poll, or no data: the recorder was not running),
/// drawn as a break in the line until the next ok point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub margin_ratio: Option<Decimal>,
    pub net_assets: Option<Decimal>,
    /// The currency of `net_assets`.
    pub currency: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `decimal_fields` names every Decimal field: built with every field
    /// set (a struct literal without `..`, so a new field fails to compile
    /// here), the serialized keys are exactly those names plus the others.
    #[test]
    fn decimal_fields_names_every_decimal_field() {
        let one = Some(Decimal::ONE);
        let all = CurrencyBalance {
            currency: "X".into(),
            cash: one,
            available: one,
            frozen: one,
            settling: one,
            withdrawable: one,
            equity: one,
            liabilities: one,
            value_in_base: one,
            buying_power: one,
            market_value: one,
            interest: one,
            frozen_fees: one,
            in_transit: one,
            available_equity: one,
            unrealized_pnl: one,
            borrow_frozen: one,
            isolated_equity: one,
            strategy_equity: one,
            reward_balance: one,
            max_loan: one,
            margin_ratio: one,
            initial_margin: one,
            maintenance_margin: one,
            notional_leverage: one,
            wallet_balance: one,
            spot_borrow: one,
            view: Some("USD".into()),
            wallet: Some("spot".into()),
            indicators: vec![Indicator::new("k", "0", "m")],
        };
        let json = serde_json::to_value(&all).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.retain(|k| !["currency", "view", "wallet", "indicators"].contains(k));
        keys.sort();
        let mut names: Vec<&str> = all.decimal_fields().iter().map(|(n, _)| *n).collect();
        assert!(all.decimal_fields().iter().all(|(_, v)| *v == one));
        names.sort();
        assert_eq!(keys, names);
    }

    #[test]
    fn a_row_with_only_a_fee_or_funds_in_transit_is_not_zero() {
        let one = Some(Decimal::ONE);
        assert!(CurrencyBalance::default().is_all_zero());
        for row in [
            CurrencyBalance {
                frozen_fees: one,
                ..CurrencyBalance::default()
            },
            CurrencyBalance {
                in_transit: one,
                ..CurrencyBalance::default()
            },
            CurrencyBalance {
                liabilities: one,
                ..CurrencyBalance::default()
            },
        ] {
            assert!(!row.is_all_zero(), "{row:?}");
        }
    }
}

#[cfg(test)]
mod headroom_tests {
    use super::Headroom;
    use rust_decimal::Decimal;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn usage_and_cover_meet_at_the_line() {
        // Bybit accountMMRate 0.8: 20% of the margin balance left.
        assert_eq!(
            Headroom::from_usage(dec("0.8"), "x").unwrap().fraction,
            dec("0.2")
        );
        // OKX mgnRatio 4 (line 1): equity can fall 75%.
        assert_eq!(
            Headroom::from_cover(dec("4"), dec("1"), "x")
                .unwrap()
                .fraction,
            dec("0.75")
        );
        // Binance marginLevel 1.1 at a liquidation bar of 1.1: at the line.
        assert_eq!(
            Headroom::from_cover(dec("1.1"), dec("1.1"), "x")
                .unwrap()
                .fraction,
            dec("0")
        );
        // Past the line: negative, never clamped.
        assert!(Headroom::from_usage(dec("1.2"), "x").unwrap().fraction < dec("0"));
        assert_eq!(Headroom::from_cover(dec("0"), dec("1"), "x"), None);
        let w = Headroom::worst(
            Headroom::from_usage(dec("0.3"), "a"),
            Headroom::from_usage(dec("0.6"), "b"),
        )
        .unwrap();
        assert_eq!((w.fraction, w.basis.as_str()), (dec("0.4"), "b"));
    }
}
