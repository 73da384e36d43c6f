//! Bybit v5 wire types: /v5/account/wallet-balance, /v5/account/info,
//! /v5/market/time (docs/bybit-*.md). Amounts and rates are JSON strings;
//! `""` is "not applicable" and reads as absent; unknown fields are ignored,
//! missing fields are absent.

use crate::decimal::{opt, opt_str};
use rust_decimal::Decimal;
use serde::Deserialize;

/// `{retCode, retMsg, result, retExtInfo, time}`; success is retCode 0.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    #[serde(deserialize_with = "ret_code")]
    pub ret_code: String,
    #[serde(default)]
    pub ret_msg: String,
    pub result: T,
    /// Server time in ms (a number).
    #[serde(default, deserialize_with = "opt_str")]
    pub time: Option<String>,
}

/// The error fields, read before `result` so that an error whose `result`
/// has another shape is still reported by its code.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorEnvelope {
    #[serde(deserialize_with = "ret_code")]
    pub ret_code: String,
    #[serde(default, deserialize_with = "opt_str")]
    pub ret_msg: Option<String>,
}

/// retCode is a JSON number; read it as its digits (a string tolerated).
fn ret_code<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_str(d)?.ok_or_else(|| serde::de::Error::custom("expected retCode, a number"))
}

#[derive(Debug, Deserialize)]
pub struct WalletResult {
    #[serde(default)]
    pub list: Vec<Wallet>,
}

/// One `result.list[]` entry (one per account type).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wallet {
    #[serde(default, deserialize_with = "opt_str")]
    pub account_type: Option<String>,
    #[serde(rename = "accountIMRate", default, deserialize_with = "opt")]
    pub account_im_rate: Option<Decimal>,
    #[serde(rename = "accountMMRate", default, deserialize_with = "opt")]
    pub account_mm_rate: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_equity: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_wallet_balance: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_margin_balance: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_available_balance: Option<Decimal>,
    #[serde(rename = "totalPerpUPL", default, deserialize_with = "opt")]
    pub total_perp_upl: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_initial_margin: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_maintenance_margin: Option<Decimal>,
    #[serde(default)]
    pub coin: Vec<Coin>,
}

/// One `coin[]` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coin {
    pub coin: String,
    #[serde(default, deserialize_with = "opt")]
    pub equity: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub usd_value: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub wallet_balance: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub locked: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub borrow_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub accrued_interest: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub unrealised_pnl: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub spot_borrow: Option<Decimal>,
    /// Platform collateral restriction: -1 unknown, 0 off, 1 close, 2 on.
    #[serde(default, deserialize_with = "opt_str")]
    pub col_res: Option<String>,
    // availableToWithdraw is not read: deprecated for UNIFIED (always "").
}

/// `result` of /v5/account/info.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountInfo {
    /// An integer: 1 classic, 3/4 UTA 1.0, 5/6 UTA 2.0.
    #[serde(default, deserialize_with = "opt_str")]
    pub unified_margin_status: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    pub margin_mode: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    pub updated_time: Option<String>,
}

/// `result` of /v5/user/query-api (only what baltui reads).
#[derive(Debug, Default, Deserialize)]
pub struct ApiKeyInfo {
    /// The user id (an integer) the per-UID limits count on.
    #[serde(rename = "userID", default, deserialize_with = "opt_str")]
    pub user_id: Option<String>,
}

/// `result` of /v5/market/time.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTime {
    #[serde(default, deserialize_with = "opt_str")]
    pub time_second: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    pub time_nano: Option<String>,
}
