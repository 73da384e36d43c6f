//! Venue-neutral types. Every amount is an exact `Decimal`; what a venue does not
//! report is `None` (shown as `—`), never zero.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// Which protocol an account speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VenueKind {
    Okx,
    Longport,
    Webull,
}

impl VenueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VenueKind::Okx => "okx",
            VenueKind::Longport => "longport",
            VenueKind::Webull => "webull",
        }
    }
    /// Name for humans, e.g. in a title line.
    pub fn label(self) -> &'static str {
        match self {
            VenueKind::Okx => "OKX",
            VenueKind::Longport => "LongPort",
            VenueKind::Webull => "Webull",
        }
    }
}

impl std::fmt::Display for VenueKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// One currency's balances in one account.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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
    /// The account currency whose view this row comes from, when the venue reports
    /// several views that disagree (LongPort: one `list` item per account currency).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
    /// Venue risk indicators for this currency (OKX twap, colRes, auto-conversion).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<Indicator>,
}

impl CurrencyBalance {
    /// True when every reported amount is zero or absent (for "hide zero rows").
    pub fn is_all_zero(&self) -> bool {
        [
            self.cash,
            self.available,
            self.frozen,
            self.settling,
            self.withdrawable,
            self.equity,
        ]
        .iter()
        .all(|v| v.is_none_or(|d| d.is_zero()))
    }
}

/// Account-wide totals, in `currency` where the venue says which.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    pub currency: Option<String>,
    pub net_assets: Option<Decimal>,
    pub total_cash: Option<Decimal>,
    pub buying_power: Option<Decimal>,
    pub market_value: Option<Decimal>,
    /// Margin financing limit and what is left of it (LongPort).
    pub max_finance: Option<Decimal>,
    pub remaining_finance: Option<Decimal>,
}

/// The venue's own four-step risk scale (LongPort); None where the venue has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskLevel {
    Safe = 0,
    Medium = 1,
    Warning = 2,
    Danger = 3,
}

/// A venue-specific risk signal, kept by name so the risk pane can show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Indicator {
    /// Stable key, e.g. `twap`, `colRes`, `colBorrAutoConversion`, `deltaNeutralStatus`.
    pub key: String,
    /// The venue's raw value, e.g. "2".
    pub value: String,
    /// What the value means, e.g. "transfer restricted".
    pub meaning: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Risk {
    pub level: Option<RiskLevel>,
    /// Equity / maintenance requirement as a plain ratio: 1 = liquidation line.
    pub margin_ratio: Option<Decimal>,
    pub margin_call: Option<Decimal>,
    pub initial_margin: Option<Decimal>,
    pub maintenance_margin: Option<Decimal>,
    pub adjusted_equity: Option<Decimal>,
    pub utilization: Option<Decimal>,
    /// Account-level venue indicators (OKX deltaNeutralStatus).
    pub indicators: Vec<Indicator>,
}

/// One successful read of one account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    pub fetched_at: DateTime<Utc>,
    /// When the venue says it computed the numbers (OKX uTime).
    pub venue_time: Option<DateTime<Utc>>,
    pub totals: Totals,
    pub risk: Risk,
    pub currencies: Vec<CurrencyBalance>,
    /// The same account seen in its other account currencies (LongPort returns
    /// one `list` item per currency); `totals`/`risk` above are the primary view.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_views: Vec<View>,
}

/// Totals and risk of an account in one of its account currencies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    pub totals: Totals,
    pub risk: Risk,
}
