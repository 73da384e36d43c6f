//! Text for amounts, ages and clocks. Amounts are the venue's exact Decimal text:
//! no rounding, no separators, so what is shown is what the venue sent.

use crate::health;
use chrono::{DateTime, Utc};
use ratatui::text::Span;
use rust_decimal::Decimal;
use std::borrow::Cow;

/// What a venue did not report. Never shown as 0.
pub const ABSENT: &str = "—";
/// Every amount in privacy mode: fixed length, so not even the magnitude leaks.
pub const MASK: &str = "•••••";

pub fn amount(v: Option<Decimal>, privacy: bool) -> String {
    match v {
        None => ABSENT.to_string(),
        Some(_) if privacy => MASK.to_string(),
        Some(d) => d.to_string(),
    }
}

/// An amount followed by its currency when known: "12.5 USD".
pub fn amount_ccy(v: Option<Decimal>, ccy: Option<&str>, privacy: bool) -> String {
    match (v, ccy) {
        (Some(_), Some(c)) if !c.is_empty() => format!("{} {c}", amount(v, privacy)),
        _ => amount(v, privacy),
    }
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

/// Free text (events, findings, errors) may quote amounts: in privacy mode every
/// digit goes. Over-masks codes too, which is the safe side.
pub fn text(s: &str, privacy: bool) -> Cow<'_, str> {
    if privacy && s.bytes().any(|b| b.is_ascii_digit()) {
        Cow::Owned(
            s.chars()
                .map(|c| if c.is_ascii_digit() { '•' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
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

pub fn clock(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
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
        assert_eq!(amount(Some(d), false), "4850.435693622894");
        assert_eq!(amount(Some(d), true), MASK);
        assert_eq!(amount(None, false), ABSENT);
        assert_eq!(amount(Some("1.50".parse().unwrap()), false), "1.50");
        assert_eq!(percent(Some("2.61".parse().unwrap()), false), "261%");
        assert_eq!(
            percent(Some(Decimal::MAX), false),
            format!("×{}", Decimal::MAX)
        );
        assert_eq!(text("margin call of 12.5", true), "margin call of ••.•");
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
