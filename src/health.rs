//! What counts as a warning: Snapshot + Thresholds -> findings with a Severity.
//! Defaults are PROTOCOLS.md section 4; every number is configurable.

use crate::model::{RiskLevel, Snapshot};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Ok,
    Notice,
    Warn,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Notice => "notice",
            Severity::Warn => "warn",
            Severity::Critical => "critical",
        }
    }
    /// A symbol that carries the severity without color.
    pub fn symbol(self) -> &'static str {
        match self {
            Severity::Ok => "✓",
            Severity::Notice => "i",
            Severity::Warn => "▲",
            Severity::Critical => "✖",
        }
    }
    pub fn word(self) -> &'static str {
        match self {
            Severity::Ok => "OK",
            Severity::Notice => "NOTICE",
            Severity::Warn => "WARN",
            Severity::Critical => "CRITICAL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    /// What it is about: `margin_ratio`, `risk_level`, `USDT.twap`, `USDT.available`...
    pub subject: String,
    pub message: String,
}

/// Config `[thresholds]`. Ratios are plain (3 = 300%).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    pub margin_ratio_warn: Decimal,
    pub margin_ratio_critical: Decimal,
    pub risk_level_warn: u8,
    pub risk_level_critical: u8,
    pub twap_warn: u8,
    pub twap_critical: u8,
    pub auto_conversion_warn: u8,
    pub auto_conversion_critical: u8,
    pub stale_after_intervals: u32,
    /// Webull `margin_utilization_rate` (a percentage; its scale is unconfirmed,
    /// so there is no threshold unless one is set).
    pub margin_utilization_warn: Option<Decimal>,
    pub margin_utilization_critical: Option<Decimal>,
    /// A negative cash balance (borrowing) is a notice; true lifts it to warn.
    pub negative_cash_warn: bool,
    /// Maintenance margin over margin balance (Bybit `accountMMRate`, a
    /// fraction; 1 = liquidation): warn / critical at or above.
    pub maintenance_rate_warn: Decimal,
    pub maintenance_rate_critical: Decimal,
    /// Initial margin over margin balance (Bybit `accountIMRate`, a
    /// fraction; at 1 no new margin positions): warn / critical at or above.
    pub initial_rate_warn: Decimal,
    pub initial_rate_critical: Decimal,
    /// Binance cross margin `marginLevel`: warn / critical at or below. None:
    /// the account's own bars from tradeCoeff (`normalBar`, `marginCallBar`),
    /// else 1.5 / 1.3 (PROTOCOLS.md §8).
    pub margin_level_warn: Option<Decimal>,
    pub margin_level_critical: Option<Decimal>,
    /// Binance futures `totalMaintMargin / totalMarginBalance`: at or above.
    pub futures_maint_ratio_warn: Decimal,
    pub futures_maint_ratio_critical: Decimal,
    /// Binance Portfolio Margin `uniMMR`: at or below.
    pub uni_mmr_warn: Decimal,
    pub uni_mmr_critical: Decimal,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            margin_ratio_warn: Decimal::new(3, 0),
            margin_ratio_critical: Decimal::new(15, 1),
            risk_level_warn: 2,
            risk_level_critical: 3,
            twap_warn: 1,
            twap_critical: 4,
            auto_conversion_warn: 1,
            auto_conversion_critical: 4,
            stale_after_intervals: 3,
            margin_utilization_warn: None,
            margin_utilization_critical: None,
            negative_cash_warn: false,
            // PROTOCOLS.md section 8 (Bybit UTA trading rules).
            maintenance_rate_warn: Decimal::new(5, 1),
            maintenance_rate_critical: Decimal::new(8, 1),
            initial_rate_warn: Decimal::new(8, 1),
            initial_rate_critical: Decimal::ONE,
            margin_level_warn: None,
            margin_level_critical: None,
            futures_maint_ratio_warn: Decimal::new(5, 1),
            futures_maint_ratio_critical: Decimal::new(8, 1),
            uni_mmr_warn: Decimal::new(15, 1),
            uni_mmr_critical: Decimal::new(12, 1),
        }
    }
}

/// Plain ratio as a percentage string: 2.61 -> "261%".
/// A ratio too large to scale (near Decimal's limits) shows as `×ratio`.
pub fn percent(r: Decimal) -> String {
    match r.checked_mul(Decimal::ONE_HUNDRED) {
        Some(p) => format!("{}%", p.round_dp(1).normalize()),
        None => format!("×{r}"),
    }
}

fn level_of(sev_warn: u8, sev_crit: u8, v: u8) -> Option<Severity> {
    if v >= sev_crit {
        Some(Severity::Critical)
    } else if v >= sev_warn {
        Some(Severity::Warn)
    } else {
        None
    }
}

/// Account-level rules (margin ratio, venue risk level, margin call) for one
/// view of the account; `prefix` goes before subjects and messages of other views.
fn risk_findings(
    r: &crate::model::Risk,
    ccy: Option<&str>,
    t: &Thresholds,
    prefix: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |severity, subject: &str, message: String| {
        out.push(Finding {
            severity,
            subject: format!("{prefix}{subject}"),
            message: format!("{prefix}{message}"),
        })
    };
    // A ratio taken from one currency (OKX Futures mode) is judged with the
    // other currencies, under that currency's name, in `evaluate`.
    if let Some(ratio) = r.margin_ratio
        && r.margin_ratio_currency.is_none()
        && let Some((sev, message)) = ratio_finding(ratio, t)
    {
        push(sev, "margin_ratio", message);
    }
    if let Some(level) = r.level {
        let n = match level {
            RiskLevel::Safe => 0,
            RiskLevel::Medium => 1,
            RiskLevel::Warning => 2,
            RiskLevel::Danger => 3,
        };
        if let Some(sev) = level_of(t.risk_level_warn, t.risk_level_critical, n) {
            push(
                sev,
                "risk_level",
                format!("venue risk level {n} ({})", level_word(level)),
            );
        }
    }
    // The model holds a ratio; the thresholds are configured in percent.
    if let Some(u) = r
        .utilization
        .and_then(|u| u.checked_mul(Decimal::ONE_HUNDRED))
    {
        let sev = match (t.margin_utilization_critical, t.margin_utilization_warn) {
            (Some(c), _) if u >= c => Some((Severity::Critical, c)),
            (_, Some(w)) if u >= w => Some((Severity::Warn, w)),
            _ => None,
        };
        if let Some((sev, line)) = sev {
            push(
                sev,
                "margin_utilization",
                format!("margin utilization {}% at or above {line}%", u.normalize()),
            );
        }
    }
    // Rates where higher is worse (Bybit): at or above the line.
    for (rate, warn, critical, key, words, end) in [
        (
            r.maintenance_rate,
            t.maintenance_rate_warn,
            t.maintenance_rate_critical,
            "maintenance_rate",
            "maintenance margin rate",
            "liquidation at 100%",
        ),
        (
            r.initial_rate,
            t.initial_rate_warn,
            t.initial_rate_critical,
            "initial_rate",
            "initial margin rate",
            "no new margin positions at 100%",
        ),
    ] {
        let Some(rate) = rate else { continue };
        let (sev, line) = if rate >= critical {
            (Severity::Critical, critical)
        } else if rate >= warn {
            (Severity::Warn, warn)
        } else {
            continue;
        };
        push(
            sev,
            key,
            format!(
                "{words} {} at or above {} ({end})",
                percent(rate),
                percent(line)
            ),
        );
    }
    if let Some(ml) = r.margin_level {
        // Configured lines first, then the account's own bars, then §8.
        let bars = r.margin_level_bars;
        let warn = t
            .margin_level_warn
            .or(bars.map(|b| b.normal))
            .unwrap_or(Decimal::new(15, 1));
        let crit = t
            .margin_level_critical
            .or(bars.map(|b| b.margin_call))
            .unwrap_or(Decimal::new(13, 1));
        let liq = bars
            .map(|b| format!(" (liquidation at {})", b.liquidation.normalize()))
            .unwrap_or_default();
        let found = if ml <= crit {
            Some((Severity::Critical, "margin call", crit))
        } else if ml <= warn {
            Some((Severity::Warn, "warning", warn))
        } else {
            None
        };
        if let Some((sev, what, line)) = found {
            push(
                sev,
                "margin_level",
                format!(
                    "margin level {} at or below the {what} line {}{liq}",
                    ml.normalize(),
                    line.normalize()
                ),
            );
        }
    }
    if let Some(fr) = r.futures_maint_ratio {
        let found = if fr >= t.futures_maint_ratio_critical {
            Some((Severity::Critical, t.futures_maint_ratio_critical))
        } else if fr >= t.futures_maint_ratio_warn {
            Some((Severity::Warn, t.futures_maint_ratio_warn))
        } else {
            None
        };
        if let Some((sev, line)) = found {
            push(
                sev,
                "futures_maint_ratio",
                format!(
                    "futures maintenance margin {} of margin balance, at or above {} (liquidation at 100%)",
                    percent(fr),
                    percent(line)
                ),
            );
        }
    }
    if let Some(u) = r.uni_mmr {
        let found = if u <= t.uni_mmr_critical {
            Some((Severity::Critical, t.uni_mmr_critical))
        } else if u <= t.uni_mmr_warn {
            Some((Severity::Warn, t.uni_mmr_warn))
        } else {
            None
        };
        if let Some((sev, line)) = found {
            push(
                sev,
                "uni_mmr",
                format!("uniMMR {} at or below {}", u.normalize(), line.normalize()),
            );
        }
    }
    if let Some(mc) = r.margin_call
        && mc > Decimal::ZERO
    {
        let ccy = ccy.map(|c| format!(" {c}")).unwrap_or_default();
        push(
            Severity::Critical,
            "margin_call",
            format!("margin call of {mc}{ccy}"),
        );
    }
    out
}

/// Warn or critical for a margin ratio under the thresholds, with its message.
fn ratio_finding(ratio: Decimal, t: &Thresholds) -> Option<(Severity, String)> {
    let (sev, line) = if ratio < t.margin_ratio_critical {
        (Severity::Critical, t.margin_ratio_critical)
    } else if ratio < t.margin_ratio_warn {
        (Severity::Warn, t.margin_ratio_warn)
    } else {
        return None;
    };
    let (shown, limit) = below(ratio, line);
    Some((sev, format!("margin ratio {shown} below {limit}")))
}

/// `value` and `line` (value < line) as percents that read in that order:
/// the value rounded toward the line's other side (down), with one more
/// place until the two differ, so a message never says "150% below 150%".
fn below(value: Decimal, line: Decimal) -> (String, String) {
    use rust_decimal::RoundingStrategy::ToNegativeInfinity;
    let (Some(v), Some(l)) = (
        value.checked_mul(Decimal::ONE_HUNDRED),
        line.checked_mul(Decimal::ONE_HUNDRED),
    ) else {
        return (percent(value), percent(line));
    };
    for dp in 1..=8 {
        let (a, b) = (
            v.round_dp_with_strategy(dp, ToNegativeInfinity),
            l.round_dp(dp),
        );
        if a < b {
            return (format!("{}%", a.normalize()), format!("{}%", b.normalize()));
        }
    }
    (format!("{}%", v.normalize()), format!("{}%", l.normalize()))
}

/// A key as words for a message: `risk_level` -> "risk level".
fn key_words(key: &str) -> String {
    key.replace('_', " ")
}

/// The venue's own words for its four risk levels.
pub fn level_word(l: RiskLevel) -> &'static str {
    match l {
        RiskLevel::Safe => "safe",
        RiskLevel::Medium => "medium risk",
        RiskLevel::Warning => "early warning",
        RiskLevel::Danger => "danger",
    }
}

/// Every finding for one snapshot, worst first.
pub fn evaluate(s: &Snapshot, t: &Thresholds) -> Vec<Finding> {
    let mut out = risk_findings(&s.risk, s.totals.currency.as_deref(), t, "");
    // Other account-currency views (LongPort): only what the primary view lacks.
    for v in &s.other_views {
        let ccy = v.totals.currency.as_deref().unwrap_or("?");
        for f in risk_findings(
            &v.risk,
            v.totals.currency.as_deref(),
            t,
            &format!("{ccy} view: "),
        ) {
            let base = f
                .subject
                .rsplit(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            if !out
                .iter()
                .any(|o| o.subject == base && o.severity >= f.severity)
            {
                out.push(f);
            }
        }
    }
    let mut push = |severity, subject: String, message: String| {
        out.push(Finding {
            severity,
            subject,
            message,
        })
    };

    if let Some(iso) = s.totals.isolated_equity
        && !iso.is_zero()
    {
        let ccy = s.totals.currency.as_deref().unwrap_or("");
        push(
            Severity::Notice,
            "isolated_equity".into(),
            format!("isolated positions ({iso} {ccy} equity) are outside the account margin ratio")
                .replace("  ", " "),
        );
    }

    for ind in &s.risk.indicators {
        if ind.unknown {
            push(
                Severity::Warn,
                ind.key.clone(),
                format!("unknown {} {}", key_words(&ind.key), ind.value),
            );
        } else if ind.key == "accountStatus" {
            // Binance Portfolio Margin (§8).
            let sev = match ind.value.as_str() {
                "MARGIN_CALL" | "SUPPLY_MARGIN" => Some(Severity::Warn),
                "REDUCE_ONLY" | "ACTIVE_LIQUIDATION" | "FORCE_LIQUIDATION" | "BANKRUPTED" => {
                    Some(Severity::Critical)
                }
                _ => None,
            };
            if let Some(sev) = sev {
                push(
                    sev,
                    "accountStatus".into(),
                    format!("account status {}: {}", ind.value, ind.meaning),
                );
            }
        } else if ind.key.ends_with(" marginLevelStatus") {
            // Binance isolated margin pair (§8).
            let sev = match ind.value.as_str() {
                "MARGIN_CALL" => Some(Severity::Warn),
                "PRE_LIQUIDATION" | "FORCE_LIQUIDATION" => Some(Severity::Critical),
                _ => None,
            };
            if let Some(sev) = sev {
                push(
                    sev,
                    ind.key.clone(),
                    format!("isolated {}: {}", ind.key, ind.meaning),
                );
            }
        } else if ind.key == "deltaNeutralStatus" {
            let sev = match ind.value.as_str() {
                "1" => Some(Severity::Warn),
                "2" => Some(Severity::Critical),
                _ => None,
            };
            if let Some(sev) = sev {
                push(
                    sev,
                    "deltaNeutralStatus".into(),
                    format!("delta status: {}", ind.meaning),
                );
            }
        }
    }

    for c in &s.currencies {
        // Cash below zero is money borrowed: never a silent minus sign.
        if let Some(cash) = c.cash
            && cash.is_sign_negative()
            && !cash.is_zero()
        {
            let sev = if t.negative_cash_warn {
                Severity::Warn
            } else {
                Severity::Notice
            };
            push(
                sev,
                format!("{}.cash", c.currency),
                format!("{} cash {cash}: borrowing", c.currency),
            );
        }
        // Binance COIN-M: each coin is its own collateral; its maintenance
        // ratio is judged like the USDⓈ-M one (§8).
        if let Some(ind) = c.indicators.iter().find(|i| i.key == "coinmMaintRatio")
            && let Ok(r) = ind.value.parse::<Decimal>()
        {
            let line = if r >= t.futures_maint_ratio_critical {
                Some((Severity::Critical, t.futures_maint_ratio_critical))
            } else if r >= t.futures_maint_ratio_warn {
                Some((Severity::Warn, t.futures_maint_ratio_warn))
            } else {
                None
            };
            if let Some((sev, line)) = line {
                push(
                    sev,
                    format!("{}.coinmMaintRatio", c.currency),
                    format!(
                        "{} COIN-M maintenance margin {} of margin balance, at or above {} (liquidation at 100%)",
                        c.currency,
                        percent(r),
                        percent(line)
                    ),
                );
            }
        }
        if let Some(ratio) = c.margin_ratio
            && let Some((sev, message)) = ratio_finding(ratio, t)
        {
            push(
                sev,
                format!("{}.margin_ratio", c.currency),
                format!("{} {message}", c.currency),
            );
        }
        for ind in &c.indicators {
            if ind.unknown {
                push(
                    Severity::Warn,
                    format!("{}.{}", c.currency, ind.key),
                    format!(
                        "{} unknown {} {}",
                        c.currency,
                        key_words(&ind.key),
                        ind.value
                    ),
                );
                continue;
            }
            let n: Option<u8> = ind.value.parse().ok();
            let sev = match (ind.key.as_str(), n) {
                ("twap", Some(n)) => level_of(t.twap_warn, t.twap_critical, n),
                ("colBorrAutoConversion", Some(n)) => {
                    level_of(t.auto_conversion_warn, t.auto_conversion_critical, n)
                }
                ("colRes", Some(2)) => Some(Severity::Warn),
                ("colRes", Some(1)) => Some(Severity::Notice),
                // PROTOCOLS.md §8: a collateral restriction warns at 1, is critical at 2.
                ("collateralRestriction", Some(2)) => Some(Severity::Critical),
                ("collateralRestriction", Some(1)) => Some(Severity::Warn),
                // Binance PM balance: a negative balance being carried.
                ("negativeBalance", _) => Some(Severity::Warn),
                _ => None,
            };
            if let Some(sev) = sev {
                push(
                    sev,
                    format!("{}.{}", c.currency, ind.key),
                    format!("{} {}: {}", c.currency, ind.key, ind.meaning),
                );
            }
        }
        if let Some(a) = c.available
            && a < Decimal::ZERO
        {
            push(
                Severity::Warn,
                format!("{}.available", c.currency),
                format!("{} available cash is negative: {a}", c.currency),
            );
        }
    }

    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    out
}

/// The worst severity among findings (Ok when there are none).
pub fn worst(f: &[Finding]) -> Severity {
    f.iter().map(|f| f.severity).max().unwrap_or(Severity::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CurrencyBalance, Indicator, Risk, Snapshot, Totals};

    fn snap(ratio: Option<&str>) -> Snapshot {
        Snapshot {
            fetched_at: chrono::Utc::now(),
            venue_time: None,
            account_mode: None,
            totals: Totals::default(),
            risk: Risk {
                margin_ratio: ratio.map(|r| r.parse().unwrap()),
                ..Risk::default()
            },
            currencies: vec![],
            wallets: Vec::new(),
            other_views: Vec::new(),
        }
    }

    #[test]
    fn utilization_threshold_is_opt_in() {
        let mut s = snap(None);
        s.risk.utilization = Some("0.955".parse().unwrap());
        assert!(
            evaluate(&s, &Thresholds::default()).is_empty(),
            "no threshold by default"
        );
        let t = Thresholds {
            margin_utilization_warn: Some("80".parse().unwrap()),
            margin_utilization_critical: Some("95".parse().unwrap()),
            ..Thresholds::default()
        };
        let f = evaluate(&s, &t);
        assert_eq!(f[0].severity, Severity::Critical);
        assert_eq!(f[0].message, "margin utilization 95.5% at or above 95%");
    }

    #[test]
    fn extreme_ratios_do_not_overflow() {
        let t = Thresholds::default();
        let f = evaluate(&snap(Some("-79228162514264337593543950335")), &t);
        assert_eq!(
            f[0].message,
            "margin ratio ×-79228162514264337593543950335 below 150%"
        );
        assert_eq!(percent(Decimal::MAX), format!("×{}", Decimal::MAX));
    }

    #[test]
    fn margin_ratio_levels() {
        let t = Thresholds::default();
        assert!(evaluate(&snap(None), &t).is_empty());
        assert!(evaluate(&snap(Some("3")), &t).is_empty());
        let f = evaluate(&snap(Some("2.61")), &t);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warn);
        assert_eq!(f[0].message, "margin ratio 261% below 300%");
        let f = evaluate(&snap(Some("1.2")), &t);
        assert_eq!(f[0].severity, Severity::Critical);
        assert_eq!(f[0].message, "margin ratio 120% below 150%");
    }

    #[test]
    fn a_ratio_just_below_a_line_never_reads_as_the_line() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            below(d("1.49996"), d("1.5")),
            ("149.9%".into(), "150%".into())
        );
        assert_eq!(below(d("1.2"), d("1.5")), ("120%".into(), "150%".into()));
        // Rounded half-up, 1.49996 would have read "150%".
        assert_eq!(percent(d("1.49996")), "150%");
        // A line with more places than the default: one more place each.
        assert_eq!(
            below(d("1.50001"), d("1.50004")),
            ("150.001%".into(), "150.004%".into())
        );
        let t = Thresholds::default();
        let (_, msg) = ratio_finding(d("1.49999"), &t).unwrap();
        assert_eq!(msg, "margin ratio 149.9% below 150%");
    }

    #[test]
    fn negative_cash_is_a_notice_that_a_threshold_lifts_to_warn() {
        let d = |s: &str| s.parse::<Decimal>().ok();
        let snap = |cash: &str| Snapshot {
            fetched_at: chrono::Utc::now(),
            venue_time: None,
            account_mode: None,
            totals: crate::model::Totals::default(),
            risk: crate::model::Risk::default(),
            currencies: vec![crate::model::CurrencyBalance {
                currency: "USD".into(),
                cash: d(cash),
                ..Default::default()
            }],
            wallets: Vec::new(),
            other_views: vec![],
        };
        let mut t = Thresholds::default();
        let f = evaluate(&snap("-31665.18"), &t);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Notice);
        assert_eq!(f[0].subject, "USD.cash");
        assert_eq!(f[0].message, "USD cash -31665.18: borrowing");
        t.negative_cash_warn = true;
        assert_eq!(evaluate(&snap("-0.01"), &t)[0].severity, Severity::Warn);
        for fine in ["0", "-0", "0.00", "12.5"] {
            assert!(evaluate(&snap(fine), &t).is_empty(), "{fine}");
        }
    }

    #[test]
    fn okx_indicators() {
        let mut s = snap(None);
        let ind = |k: &str, v: &str| Indicator::new(k, v, "m");
        s.currencies.push(CurrencyBalance {
            currency: "USDT".into(),
            available: Some("-1".parse().unwrap()),
            indicators: vec![
                ind("twap", "4"),
                ind("colRes", "2"),
                ind("colBorrAutoConversion", "2"),
            ],
            ..CurrencyBalance::default()
        });
        s.risk.indicators.push(ind("deltaNeutralStatus", "1"));
        let f = evaluate(&s, &Thresholds::default());
        let by = |subj: &str| f.iter().find(|f| f.subject == subj).map(|f| f.severity);
        assert_eq!(by("USDT.twap"), Some(Severity::Critical));
        assert_eq!(by("USDT.colRes"), Some(Severity::Warn));
        assert_eq!(by("USDT.colBorrAutoConversion"), Some(Severity::Warn));
        assert_eq!(by("USDT.available"), Some(Severity::Warn));
        assert_eq!(by("deltaNeutralStatus"), Some(Severity::Warn));
        assert_eq!(f[0].severity, Severity::Critical, "worst first");
        assert_eq!(worst(&f), Severity::Critical);
    }

    #[test]
    fn bybit_rates_warn_at_or_above_their_lines() {
        let t = Thresholds::default();
        let with = |mm: &str, im: &str| {
            let mut s = snap(None);
            s.risk.maintenance_rate = Some(mm.parse().unwrap());
            s.risk.initial_rate = Some(im.parse().unwrap());
            evaluate(&s, &t)
        };
        assert!(with("0.4999", "0.7999").is_empty());
        let f = with("0.5", "0.8");
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f.iter().all(|f| f.severity == Severity::Warn));
        assert_eq!(
            f[0].message,
            "maintenance margin rate 50% at or above 50% (liquidation at 100%)"
        );
        assert_eq!(f[1].subject, "initial_rate");
        let f = with("0.8312", "1");
        assert_eq!(f[0].severity, Severity::Critical);
        assert_eq!(f[0].subject, "maintenance_rate");
        assert_eq!(
            f[0].message,
            "maintenance margin rate 83.1% at or above 80% (liquidation at 100%)"
        );
        assert_eq!(f[1].severity, Severity::Critical);
        assert_eq!(f[1].subject, "initial_rate");
    }

    #[test]
    fn zero_indicators_are_quiet() {
        let mut s = snap(None);
        let ind = |k: &str| Indicator::new(k, "0", "m");
        s.currencies.push(CurrencyBalance {
            currency: "BTC".into(),
            indicators: vec![ind("twap"), ind("colRes"), ind("colBorrAutoConversion")],
            ..CurrencyBalance::default()
        });
        assert!(evaluate(&s, &Thresholds::default()).is_empty());
    }
}
