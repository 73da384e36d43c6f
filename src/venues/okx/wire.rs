//! OKX wire types for GET /api/v5/account/balance and /api/v5/public/time.
//! Every documented field that baltui reads; unknown fields are ignored;
//! `""` is absent.

use crate::decimal::{opt, opt_str};
use rust_decimal::Decimal;
use serde::Deserialize;

/// The envelope of every OKX reply: `code` is a string, "0" on success.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    pub code: String,
    #[serde(default)]
    pub msg: String,
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
}

/// The error envelope, read before the data so that an error with
/// an unexpected `data` shape is still reported by its code.
#[derive(Debug, Deserialize)]
pub struct ErrorEnvelope {
    #[serde(deserialize_with = "code_string")]
    pub code: String,
    #[serde(default)]
    pub msg: String,
}

fn code_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_str(d).map(Option::unwrap_or_default)
}

/// One entry of GET /api/v5/account/config (unknown fields ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountConfig {
    #[serde(default, deserialize_with = "opt_str")]
    pub uid: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    pub main_uid: Option<String>,
    /// 1 Spot, 2 Futures (single-currency margin), 3 Multi-currency margin, 4 Portfolio margin.
    #[serde(default, deserialize_with = "opt_str")]
    pub acct_lv: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    pub perm: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ServerTime {
    pub ts: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    #[serde(default, deserialize_with = "opt_str")]
    pub u_time: Option<String>,
    #[serde(default, deserialize_with = "opt")]
    pub total_eq: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub iso_eq: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub adj_eq: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub avail_eq: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub ord_froz: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub imr: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub mmr: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub borrow_froz: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub mgn_ratio: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub notional_usd: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub upl: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub delta: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_str")]
    pub delta_neutral_status: Option<String>,
    #[serde(default)]
    pub details: Vec<Detail>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Detail {
    pub ccy: String,
    #[serde(default, deserialize_with = "opt")]
    pub eq: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub cash_bal: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_str")]
    pub u_time: Option<String>,
    #[serde(default, deserialize_with = "opt")]
    pub iso_eq: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub avail_eq: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub dis_eq: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub fixed_bal: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub avail_bal: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub frozen_bal: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub ord_frozen: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub liab: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub upl: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub cross_liab: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub interest: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_str")]
    pub twap: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    pub frp_type: Option<String>,
    #[serde(default, deserialize_with = "opt")]
    pub max_loan: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub eq_usd: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub borrow_froz: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub stgy_eq: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub reward_bal: Option<Decimal>,
    /// Futures mode (cross positions): the currency's own margin figures.
    #[serde(default, deserialize_with = "opt")]
    pub mgn_ratio: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub imr: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub mmr: Option<Decimal>,
    #[serde(default, deserialize_with = "opt")]
    pub notional_lever: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_str")]
    pub col_res: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    pub col_borr_auto_conversion: Option<String>,
}
