//! `baltui history` output: one row per stored poll and currency, as CSV
//! (with a header) or a JSON array of objects with the same names. Absent
//! values are empty / null, never 0; amounts are exact decimals (strings in
//! JSON, as in the snapshot JSON).

use rust_decimal::Decimal;
use serde::Serialize;

/// One exported row. Field order is the CSV column order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportRow {
    /// RFC 3339, UTC, milliseconds.
    pub at: String,
    pub account: String,
    pub venue: String,
    /// The poll's state: ok, error, rate_limited, banned, auth_failed, ...
    pub status: String,
    pub currency: Option<String>,
    pub wallet: Option<String>,
    pub view: Option<String>,
    pub cash: Option<Decimal>,
    pub available: Option<Decimal>,
    pub frozen: Option<Decimal>,
    pub settling: Option<Decimal>,
    pub withdrawable: Option<Decimal>,
    pub equity: Option<Decimal>,
    pub liabilities: Option<Decimal>,
    pub value_in_base: Option<Decimal>,
    pub net_assets: Option<Decimal>,
    pub total_cash: Option<Decimal>,
    pub totals_currency: Option<String>,
    pub margin_ratio: Option<Decimal>,
    pub headroom: Option<Decimal>,
    pub risk_level: Option<String>,
    pub error: Option<String>,
}

/// CSV with a header line (also when there are no rows).
pub fn to_csv(rows: &[ExportRow]) -> Result<String, String> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let fail = |e: csv::Error| format!("cannot write the CSV: {e}");
    w.write_record(HEADER).map_err(fail)?;
    for r in rows {
        w.serialize(r).map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| format!("cannot write the CSV: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("cannot write the CSV: {e}"))
}

/// The CSV header: the field names of `ExportRow`, in order.
const HEADER: [&str; 22] = [
    "at",
    "account",
    "venue",
    "status",
    "currency",
    "wallet",
    "view",
    "cash",
    "available",
    "frozen",
    "settling",
    "withdrawable",
    "equity",
    "liabilities",
    "value_in_base",
    "net_assets",
    "total_cash",
    "totals_currency",
    "margin_ratio",
    "headroom",
    "risk_level",
    "error",
];

/// A JSON array, one object per row, with a final newline.
pub fn to_json(rows: &[ExportRow]) -> Result<String, String> {
    serde_json::to_string_pretty(rows)
        .map(|s| s + "\n")
        .map_err(|e| format!("cannot write the JSON: {e}"))
}
