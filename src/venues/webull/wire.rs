//! Webull wire types: GET /account/balance (a bare object, no envelope) and
//! GET /app/subscriptions/list. `""` is absent; unknown fields are ignored.

use crate::decimal::{opt, opt_str};
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct Balance {
    #[serde(default, deserialize_with = "opt_str")]
    pub account_id: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    pub total_asset_currency: Option<String>,
    #[serde(default, deserialize_with = "opt")]
    pub total_asset: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_market_value: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub total_cash_balance: Option<Decimal>,
    /// A percentage; documented as reserved.
    #[serde(default, deserialize_with = "opt")]
    pub margin_utilization_rate: Option<Decimal>,
    /// Documented; None when the reply lacks it (an error, not an empty account).
    #[serde(default)]
    pub account_currency_assets: Option<Vec<Asset>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Asset {
    pub currency: String,
    #[serde(default, deserialize_with = "opt")]
    pub net_liquidation_value: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub positions_market_value: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub cash_balance: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub margin_power: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub cash_power: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub pending_incoming: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub cash_frozen: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub available_withdrawal: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub interests_unpaid: Option<Decimal>,
}

/// One entry of /app/subscriptions/list.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Subscription {
    #[serde(default, deserialize_with = "opt_str")]
    pub subscription_id: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    pub user_id: Option<String>,
    /// What the balance call takes.
    #[serde(deserialize_with = "required_str")]
    pub account_id: String,
    /// What a person knows the account by.
    #[serde(default, deserialize_with = "opt_str")]
    pub account_number: Option<String>,
}

fn required_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_str(d)?.ok_or_else(|| serde::de::Error::custom("expected a non-empty account id"))
}

/// The error body: `{"error_code": "<STRING>", "message": "<text>"}`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    #[serde(default, deserialize_with = "opt_str")]
    pub error_code: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    pub message: Option<String>,
}
