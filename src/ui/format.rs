//! Text for amounts, ages and clocks. `amount` is the venue's exact Decimal
//! text (what was sent, as sent); `Numbers` is the screen's display format:
//! digit groups and a fixed number of places per currency, rounded for display
//! only. Exports never go through `Numbers` (see snapshot.rs).

use crate::config::{DisplaySettings, MAX_PLACES};
use crate::health;
use chrono::{DateTime, Utc};
use ratatui::text::Span;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;

/// What a venue did not report. Never shown as 0.
pub const ABSENT: &str = "—";
/// Every amount in privacy mode: fixed length, so not even the magnitude leaks.
pub const MASK: &str = "•••••";

/// ISO 4217 minor units of the fiat currencies a venue may report; a fiat
/// currency not listed gets 2, which is what most of ISO 4217 has.
const FIAT: [(&str, u32); 44] = [
    ("USD", 2),
    ("HKD", 2),
    ("CNY", 2),
    ("CNH", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("SGD", 2),
    ("AUD", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("NZD", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("TWD", 2),
    ("INR", 2),
    ("MYR", 2),
    ("THB", 2),
    ("IDR", 2),
    ("PHP", 2),
    ("VND", 0),
    ("MXN", 2),
    ("BRL", 2),
    ("ARS", 2),
    ("CLP", 0),
    ("ZAR", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("PLN", 2),
    ("CZK", 2),
    ("HUF", 2),
    ("TRY", 2),
    ("RUB", 2),
    ("UAH", 2),
    ("AED", 2),
    ("SAR", 2),
    ("ILS", 2),
    ("ISK", 0),
    ("KWD", 3),
    ("BHD", 3),
    ("OMR", 3),
    ("JOD", 3),
    ("TND", 3),
    ("NGN", 2),
];

/// Stablecoins pegged to a fiat currency read like that currency: cents.
/// Their dust (interest accrued, fees) still shows as non-zero (`amount`).
const STABLECOINS: [&str; 14] = [
    "USDT", "USDC", "DAI", "FDUSD", "TUSD", "USDE", "PYUSD", "USDP", "USDD", "BUSD", "RLUSD",
    "USDG", "EURC", "EURT",
];

/// Places of any other currency (crypto). Fixed, not "up to": OKX sends
/// "1.50" one poll and "1.5" the next, and a column must not jump.
pub const CRYPTO_PLACES: u32 = 8;

/// Built-in places of a currency (case-insensitive): ISO minor units for fiat,
/// 2 for USD/EUR stablecoins, `CRYPTO_PLACES` for anything else, and for a
/// currency not known at all (nothing a currency might need is hidden).
pub fn default_places(ccy: Option<&str>) -> u32 {
    let Some(c) = ccy else {
        return CRYPTO_PLACES;
    };
    let c = c.to_ascii_uppercase();
    if let Some((_, p)) = FIAT.iter().find(|(f, _)| *f == c) {
        return *p;
    }
    if STABLECOINS.contains(&c.as_str()) {
        return 2;
    }
    CRYPTO_PLACES
}

/// How amounts read on screen: digit groups and places per currency.
///
/// Rounding is half away from zero, for display only: the error is at most
/// half the last place shown, the same for a balance and for a debt (toward
/// zero would shrink every debt), and it is how venues and spreadsheets round.
/// A value that is not zero never reads as zero: one that rounds to zero shows
/// as "<0.01" (or ">-0.01"), a true bound that keeps its sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbers {
    group: Option<char>,
    /// Per-currency places, keys upper case; over `default_places`.
    places: BTreeMap<String, u32>,
}

impl Default for Numbers {
    fn default() -> Self {
        Numbers::new(Some(','))
    }
}

impl Numbers {
    /// Built-in places, grouped by `group` (None: no grouping).
    pub fn new(group: Option<char>) -> Self {
        Numbers {
            group,
            places: BTreeMap::new(),
        }
    }

    /// `ccy` shown with `places` decimals (capped at `MAX_PLACES`).
    pub fn with_places(mut self, ccy: &str, places: u32) -> Self {
        self.places
            .insert(ccy.to_ascii_uppercase(), places.min(MAX_PLACES));
        self
    }

    /// The config's `[display]`.
    pub fn from_config(d: &DisplaySettings) -> Self {
        d.precision
            .iter()
            .fold(Numbers::new(d.group_separator), |n, (c, p)| {
                n.with_places(c, *p)
            })
    }

    pub fn group_separator(&self) -> Option<char> {
        self.group
    }

    /// Places shown for `ccy`: the config's, else the built-in ones.
    pub fn places(&self, ccy: Option<&str>) -> u32 {
        ccy.and_then(|c| self.places.get(&c.to_ascii_uppercase()).copied())
            .unwrap_or_else(|| default_places(ccy))
    }

    /// `v` in `ccy` for the screen: rounded to the currency's places, padded
    /// to exactly that many, grouped. `—` when absent, the mask in privacy.
    pub fn amount(&self, v: Option<Decimal>, ccy: Option<&str>, privacy: bool) -> String {
        match v {
            None => ABSENT.to_string(),
            Some(_) if privacy => MASK.to_string(),
            Some(d) => self.group(&rounded(d, self.places(ccy))),
        }
    }

    /// As `amount`, followed by the currency when known: "1,254.50 USD".
    pub fn amount_ccy(&self, v: Option<Decimal>, ccy: Option<&str>, privacy: bool) -> String {
        match (v, ccy) {
            (Some(_), Some(c)) if !c.is_empty() => format!("{} {c}", self.amount(v, ccy, privacy)),
            _ => self.amount(v, ccy, privacy),
        }
    }

    /// Every digit the venue sent, never rounded (the detail view): only
    /// grouped, which adds no digit and drops none.
    pub fn exact(&self, v: Option<Decimal>, privacy: bool) -> String {
        match v {
            None => ABSENT.to_string(),
            Some(_) if privacy => MASK.to_string(),
            Some(d) => self.group(&d.to_string()),
        }
    }

    /// `s` (a plain decimal text, "-1234567.5") with its integer digits grouped
    /// by threes; anything else (`—`, the mask, "<0.01") comes back as it is.
    pub fn group(&self, s: &str) -> String {
        let Some(sep) = self.group else {
            return s.to_string();
        };
        let (int, frac) = split_point(s);
        let (sign, digits) = match int.strip_prefix('-') {
            Some(d) => ("-", d),
            None => ("", int),
        };
        if digits.len() <= 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return s.to_string();
        }
        let mut out = String::with_capacity(s.len() + digits.len() / 3 * sep.len_utf8());
        out.push_str(sign);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(sep);
            }
            out.push(c);
        }
        out.push_str(frac);
        out
    }
}

/// `d` with exactly `places` decimals, half away from zero; a non-zero value
/// that rounds to zero reads "<0.01" / ">-0.01" (its bound), never "0.00".
fn rounded(d: Decimal, places: u32) -> String {
    let r = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    if r.is_zero() && !d.is_zero() {
        let unit = if places == 0 {
            "1".to_string()
        } else {
            format!("0.{}1", "0".repeat(places as usize - 1))
        };
        return if d.is_sign_negative() {
            format!(">-{unit}")
        } else {
            format!("<{unit}")
        };
    }
    // A zero keeps no sign ("-0" is still zero).
    let r = if r.is_zero() { Decimal::ZERO } else { r };
    let s = r.to_string();
    let (int, frac) = split_point(&s);
    let have = frac.len().saturating_sub(1);
    if places == 0 {
        return int.to_string();
    }
    format!(
        "{int}.{}{}",
        frac.get(1..).unwrap_or(""),
        "0".repeat((places as usize).saturating_sub(have))
    )
}

/// True for an amount below zero (it gets the negative style and keeps its
/// minus sign on screen).
pub fn is_negative(v: Option<Decimal>) -> bool {
    v.is_some_and(|d| d < Decimal::ZERO)
}

/// A plain ratio as percent, via `health::percent` so it matches finding messages;
/// a ratio too big to multiply by 100 is shown as a ratio instead of panicking.
pub fn percent(r: Option<Decimal>, privacy: bool) -> String {
    match r {
        None => ABSENT.to_string(),
        Some(_) if privacy => MASK.to_string(),
        Some(r) => match r.checked_mul(Decimal::ONE_HUNDRED) {
            Some(_) => health::percent(r),
            None => format!("×{r}"),
        },
    }
}

/// Seconds as "3s", "2m", "1h 5m", "2d 3h".
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => {
            let m = (s % 3600) / 60;
            if m == 0 {
                format!("{}h", s / 3600)
            } else {
                format!("{}h {m}m", s / 3600)
            }
        }
        _ => {
            let h = (s % 86400) / 3600;
            if h == 0 {
                format!("{}d", s / 86400)
            } else {
                format!("{}d {h}h", s / 86400)
            }
        }
    }
}

/// "3s ago". A time in the future (clock skew) counts as now.
pub fn ago(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    format!("{} ago", duration((now - then).num_seconds()))
}

/// "in 4s", or "due" once the time has passed.
pub fn until(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let s = (then - now).num_seconds();
    if s <= 0 {
        "due".to_string()
    } else {
        format!("in {}", duration(s))
    }
}

/// Display width in cells.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// Clip text to `w` cells, marking the cut with "…".
pub fn clip(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = width(c.encode_utf8(&mut [0; 4]));
        if used + cw > w - 1 {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

/// Fit a number into `w` cells without hiding that digits are missing: cut only
/// fraction digits, marked with "…"; if even the integer part does not fit, fill
/// with '#' (spreadsheet style) rather than show a wrong magnitude.
pub fn fit_number(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let int_len = s.find('.').unwrap_or(s.len());
    // Keep "int." plus at least one fraction digit before the ellipsis.
    if int_len + 3 <= w {
        clip(s, w)
    } else {
        "#".repeat(w)
    }
}

/// An amount's text split at its decimal point: `("1234", ".5678")`. Integers,
/// `—` and the privacy mask have no fraction side.
pub fn split_point(s: &str) -> (&str, &str) {
    match s.find('.') {
        Some(i) => s.split_at(i),
        None => (s, ""),
    }
}

/// Widths of the integer side and the fraction side (point included) a column
/// needs so every value's point sits in the same cell.
pub fn point_widths<'a>(vals: impl IntoIterator<Item = &'a str>) -> (usize, usize) {
    vals.into_iter().fold((0, 0), |(i, f), v| {
        let (a, b) = split_point(v);
        (i.max(width(a)), f.max(width(b)))
    })
}

/// `s` padded so its point lands after `int_w` cells, within `w` cells in all:
/// the integer side is padded on the left, the fraction side on the right.
/// Digits are never rounded: a fraction too long for the room left is cut with
/// "…"; when not even the integer side and one fraction digit fit, the value
/// falls back to `fit_number` on its own (points no longer line up there).
pub fn align_point(s: &str, int_w: usize, frac_w: usize, w: usize) -> String {
    let (int, frac) = split_point(s);
    let room = w.saturating_sub(int_w).min(frac_w);
    let frac_fits = width(frac) <= room;
    if width(int) > int_w || !(frac_fits || room >= 2) {
        return fit_number(s, w);
    }
    let frac = if frac_fits {
        frac.to_string()
    } else {
        clip(frac, room)
    };
    format!(
        "{}{int}{frac}{}",
        " ".repeat(int_w - width(int)),
        " ".repeat(room - width(&frac))
    )
}

/// `QJHO3P1PR9425Q6UAT7QLJTEKB` -> `…TEKB`: the last 4 characters.
pub fn mask_id(id: &str) -> String {
    let n = id.chars().count();
    if n <= 4 {
        return "…".repeat(n.min(1)) + &"•".repeat(n);
    }
    let tail: String = id.chars().skip(n - 4).collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_masked() {
        assert_eq!(mask_id("QJHO3P1PR9425Q6UAT7QLJTEKB"), "…TEKB");
        assert_eq!(mask_id("ABC"), "…•••");
        assert_eq!(mask_id(""), "");
    }
    use chrono::TimeZone;

    #[test]
    fn ages() {
        let now = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).single().unwrap();
        let s = |n: i64| ago(now, now - chrono::Duration::seconds(n));
        assert_eq!(s(3), "3s ago");
        assert_eq!(s(125), "2m ago");
        assert_eq!(s(3900), "1h 5m ago");
        assert_eq!(s(7200), "2h ago");
        assert_eq!(s(90000), "1d 1h ago");
        assert_eq!(s(-5), "0s ago");
        assert_eq!(until(now, now + chrono::Duration::seconds(4)), "in 4s");
        assert_eq!(until(now, now), "due");
    }

    #[test]
    fn amounts() {
        let d: Decimal = "4850.435693622894".parse().unwrap();
        let n = Numbers::default();
        assert_eq!(n.exact(Some(d), false), "4,850.435693622894");
        assert_eq!(n.exact(Some(d), true), MASK);
        assert_eq!(n.exact(None, false), ABSENT);
        assert_eq!(percent(Some("2.61".parse().unwrap()), false), "261%");
        assert_eq!(
            percent(Some(Decimal::MAX), false),
            format!("×{}", Decimal::MAX)
        );
    }

    fn dec(s: &str) -> Option<Decimal> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn numbers_group_and_round_per_currency() {
        let n = Numbers::default();
        assert_eq!(
            n.amount(dec("1254415.055"), Some("USD"), false),
            "1,254,415.06"
        );
        assert_eq!(
            n.amount(dec("-1254415.055"), Some("USD"), false),
            "-1,254,415.06"
        );
        assert_eq!(n.amount(dec("999.994"), Some("HKD"), false), "999.99");
        assert_eq!(n.amount(dec("999.995"), Some("HKD"), false), "1,000.00");
        assert_eq!(n.amount(dec("1234.5"), Some("JPY"), false), "1,235");
        assert_eq!(n.amount(dec("1.2345"), Some("KWD"), false), "1.235");
        assert_eq!(
            n.amount(dec("4850.435693622894"), Some("USDT"), false),
            "4,850.44"
        );
        // Crypto: a fixed 8 places, so "1.50" and "1.5" read the same.
        assert_eq!(n.amount(dec("0.01234"), Some("BTC"), false), "0.01234000");
        assert_eq!(n.amount(dec("1.50"), Some("ETH"), false), "1.50000000");
        assert_eq!(n.amount(dec("1.5"), Some("ETH"), false), "1.50000000");
        assert_eq!(
            n.amount(dec("1.123456785"), Some("btc"), false),
            "1.12345679"
        );
        // No currency known: as many places as crypto.
        assert_eq!(n.amount(dec("7"), None, false), "7.00000000");
        assert_eq!(n.amount(None, Some("USD"), false), ABSENT);
        assert_eq!(n.amount(dec("-5"), Some("USD"), true), MASK);
        assert_eq!(n.amount(dec("-0"), Some("USD"), false), "0.00");
        assert_eq!(n.amount_ccy(dec("12.5"), Some("USD"), false), "12.50 USD");
        assert_eq!(n.amount_ccy(None, Some("USD"), false), ABSENT);
    }

    #[test]
    fn a_value_that_rounds_to_zero_never_reads_zero() {
        let n = Numbers::default();
        assert_eq!(n.amount(dec("0.004"), Some("USD"), false), "<0.01");
        assert_eq!(n.amount(dec("-0.004"), Some("USD"), false), ">-0.01");
        assert_eq!(n.amount(dec("0.4"), Some("JPY"), false), "<1");
        assert_eq!(
            n.amount(dec("0.000000001"), Some("BTC"), false),
            "<0.00000001"
        );
        assert_eq!(n.amount(dec("0.005"), Some("USD"), false), "0.01");
        assert!(is_negative(dec("-0.004")));
        assert!(!is_negative(dec("0")) && !is_negative(None));
    }

    #[test]
    fn separators_and_config() {
        assert_eq!(
            Numbers::new(None).amount(dec("1234567.891"), Some("USD"), false),
            "1234567.89"
        );
        assert_eq!(Numbers::new(Some('\'')).group("-1234567.5"), "-1'234'567.5");
        assert_eq!(Numbers::new(Some('\u{2009}')).group("1234"), "1\u{2009}234");
        let n = Numbers::new(Some('_'));
        assert_eq!(n.group("123"), "123");
        assert_eq!(n.group("—"), "—");
        assert_eq!(n.group("<0.01"), "<0.01");
        let mut d = DisplaySettings::default();
        d.precision.insert("BTC".into(), 4);
        d.precision.insert("JPY".into(), 2);
        let n = Numbers::from_config(&d);
        assert_eq!(n.amount(dec("1.23456"), Some("BTC"), false), "1.2346");
        assert_eq!(n.amount(dec("1000"), Some("JPY"), false), "1,000.00");
        assert_eq!(n.places(Some("usd")), 2);
        // Exact: grouped, never rounded, trailing zeros as sent.
        assert_eq!(
            n.exact(dec("4850.435693622894"), false),
            "4,850.435693622894"
        );
        assert_eq!(n.exact(dec("1.50"), false), "1.50");
        assert_eq!(n.exact(dec("1.50"), true), MASK);
        assert_eq!(n.exact(None, false), ABSENT);
    }

    #[test]
    fn points_line_up() {
        let vals = ["1.5", "1234.56789", "—", "-7"];
        let (i, f) = point_widths(vals);
        assert_eq!((i, f), (4, 6));
        let out: Vec<String> = vals.iter().map(|v| align_point(v, i, f, 10)).collect();
        assert_eq!(
            out,
            ["   1.5    ", "1234.56789", "   —      ", "  -7      "]
        );
        // Narrower: the long fraction is cut visibly, points still line up.
        assert_eq!(align_point("1234.56789", i, f, 8), "1234.56…");
        assert_eq!(align_point("1.5", i, f, 8), "   1.5  ");
        // Too narrow for the integer side: spreadsheet marks.
        assert_eq!(align_point("1234.56789", i, f, 5), "#####");
    }

    #[test]
    fn fitting() {
        assert_eq!(fit_number("4850.435693622894", 20), "4850.435693622894");
        assert_eq!(fit_number("4850.435693622894", 10), "4850.4356…");
        assert_eq!(fit_number("4850.43", 6), "######");
        assert_eq!(fit_number("123456789", 5), "#####");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 0), "");
    }
}
