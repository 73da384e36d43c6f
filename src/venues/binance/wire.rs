//! Binance wire types (docs/binance-*.md). Amounts are strings, read exactly
//! (`crate::decimal::opt`); `""` is absent; unknown fields are ignored.

use crate::decimal::{opt, opt_str};
use rust_decimal::Decimal;
use serde::Deserialize;

/// `{"code": <int>, "msg": "..."}` on every error.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub code: i64,
    #[serde(default)]
    pub msg: String,
}

/// GET /api/v3/account
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpotAccount {
    pub balances: Vec<SpotBalance>,
    #[serde(default)]
    pub update_time: Option<i64>,
    #[serde(default, deserialize_with = "opt_str")]
    pub account_type: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SpotBalance {
    pub asset: String,
    #[serde(default, deserialize_with = "opt")]
    pub free: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub locked: Option<Decimal>,
}

/// GET /sapi/v1/margin/account
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarginAccount {
    #[serde(default)]
    pub created: Option<bool>,
    #[serde(default, deserialize_with = "opt")]
    pub margin_level: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub collateral_margin_level: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_asset_of_btc: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_liability_of_btc: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_net_asset_of_btc: Option<Decimal>,
    /// Capital `T` on the wire.
    #[serde(
        default,
        rename = "TotalCollateralValueInUSDT",
        deserialize_with = "opt"
    )]
    pub total_collateral_value_in_usdt: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_str")]
    pub account_type: Option<String>,
    pub user_assets: Vec<MarginAsset>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarginAsset {
    pub asset: String,
    #[serde(default, deserialize_with = "opt")]
    pub free: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub locked: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub borrowed: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub interest: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub net_asset: Option<Decimal>,
}

/// GET /sapi/v1/margin/isolated/account (with `symbols`).
#[derive(Debug, Deserialize)]
pub struct IsolatedAccount {
    pub assets: Vec<IsolatedPair>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IsolatedPair {
    pub symbol: String,
    #[serde(default)]
    pub isolated_created: Option<bool>,
    #[serde(default, deserialize_with = "opt")]
    pub margin_level: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_str")]
    pub margin_level_status: Option<String>,
    #[serde(default, deserialize_with = "opt")]
    pub liquidate_price: Option<Decimal>,
    pub base_asset: MarginAsset,
    pub quote_asset: MarginAsset,
}

/// GET /sapi/v1/margin/tradeCoeff: the user's own bars for `marginLevel`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TradeCoeff {
    #[serde(default, deserialize_with = "opt")]
    pub normal_bar: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub margin_call_bar: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub force_liquidation_bar: Option<Decimal>,
}

/// GET /fapi/v3/account (USDⓈ-M) and the common part of GET /dapi/v1/account.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FuturesAccount {
    #[serde(default, deserialize_with = "opt")]
    pub total_initial_margin: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_maint_margin: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_wallet_balance: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_unrealized_profit: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_margin_balance: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub available_balance: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub max_withdraw_amount: Option<Decimal>,
    pub assets: Vec<FuturesAsset>,
    #[serde(default)]
    pub update_time: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FuturesAsset {
    pub asset: String,
    #[serde(default, deserialize_with = "opt")]
    pub wallet_balance: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub unrealized_profit: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub margin_balance: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub maint_margin: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub initial_margin: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub available_balance: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub max_withdraw_amount: Option<Decimal>,
    #[serde(default)]
    pub update_time: Option<i64>,
}

/// GET /fapi/v1/accountConfig (only what changes the meaning of totals).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountConfig {
    pub multi_assets_margin: bool,
}

/// GET /papi/v1/account
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PmAccount {
    #[serde(rename = "uniMMR", default, deserialize_with = "opt")]
    pub uni_mmr: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub account_equity: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub actual_equity: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub account_initial_margin: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub account_maint_margin: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_str")]
    pub account_status: Option<String>,
    #[serde(default, deserialize_with = "opt")]
    pub virtual_max_withdraw_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_available_balance: Option<Decimal>,
    #[serde(default)]
    pub update_time: Option<i64>,
}

/// One entry of GET /papi/v1/balance (array form, no `asset`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PmBalance {
    pub asset: String,
    #[serde(default, deserialize_with = "opt")]
    pub total_wallet_balance: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub cross_margin_asset: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub cross_margin_borrowed: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub cross_margin_free: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub cross_margin_interest: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub cross_margin_locked: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub um_wallet_balance: Option<Decimal>,
    #[serde(rename = "umUnrealizedPNL", default, deserialize_with = "opt")]
    pub um_unrealized_pnl: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub cm_wallet_balance: Option<Decimal>,
    #[serde(rename = "cmUnrealizedPNL", default, deserialize_with = "opt")]
    pub cm_unrealized_pnl: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub negative_balance: Option<Decimal>,
    #[serde(default)]
    pub update_time: Option<i64>,
}

/// GET /api/v3/time, /fapi/v1/time
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTime {
    pub server_time: i64,
}

/// GET /api/v3/exchangeInfo, /fapi/v1/exchangeInfo: only `rateLimits`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeInfo {
    #[serde(default)]
    pub rate_limits: Vec<RateLimit>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    pub rate_limit_type: String,
    pub interval: String,
    pub interval_num: u32,
    pub limit: u32,
}

impl ExchangeInfo {
    /// The REQUEST_WEIGHT limit per one minute, if published.
    pub fn weight_per_minute(&self) -> Option<u32> {
        self.rate_limits
            .iter()
            .find(|r| {
                r.rate_limit_type == "REQUEST_WEIGHT"
                    && r.interval == "MINUTE"
                    && r.interval_num == 1
            })
            .map(|r| r.limit)
    }
}
