//! LongPort wire types for both shapes: current (`cash_infos`, `message`) and the
//! legacy Longbridge cash-info call (`cashInfos`, `msg`, integer amounts). The
//! legacy document's example is the bare `data` object, so a top-level `list`
//! is accepted too. `""` is absent; unknown fields are ignored.

use crate::decimal::{opt, opt_str};
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Envelope {
    /// A JSON integer on the wire; 0 on success.
    #[serde(default, deserialize_with = "opt_str")]
    pub code: Option<String>,
    #[serde(default, alias = "msg", deserialize_with = "opt_str")]
    pub message: Option<String>,
    #[serde(default)]
    pub data: Option<Data>,
    /// Bare-data form (legacy document example).
    #[serde(default)]
    pub list: Option<Vec<Item>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Data {
    #[serde(default)]
    pub list: Vec<Item>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Item {
    #[serde(default, deserialize_with = "opt_str")]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "opt")]
    pub total_cash: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub max_finance_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub remaining_finance_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_str")]
    pub risk_level: Option<String>,
    #[serde(default, deserialize_with = "opt")]
    pub margin_call: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub net_assets: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub init_margin: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub maintenance_margin: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub buy_power: Option<Decimal>,
    /// Missing means an empty list.
    #[serde(default, alias = "cashInfos")]
    pub cash_infos: Vec<CashInfo>,
    #[serde(default)]
    pub frozen_transaction_fees: Vec<FrozenFee>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CashInfo {
    pub currency: String,
    #[serde(default, deserialize_with = "opt")]
    pub withdraw_cash: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub available_cash: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub frozen_cash: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub settling_cash: Option<Decimal>,
}

#[derive(Debug, Default, Deserialize)]
pub struct FrozenFee {
    pub currency: String,
    #[serde(default, deserialize_with = "opt")]
    pub frozen_transaction_fee: Option<Decimal>,
}

/// The error body: `{"code": <int>, "message": "<text>"}` (legacy: `msg`).
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    #[serde(default, deserialize_with = "opt_str")]
    pub code: Option<String>,
    #[serde(default, alias = "msg", deserialize_with = "opt_str")]
    pub message: Option<String>,
}
