//! Privacy mode for free text (findings, errors, events). Every amount in
//! the text becomes the same fixed mask, so neither the value nor its number
//! of digits shows; ratios ("227.1%"), risk levels ("level 2") and clock
//! times ("03:12") stay, as they do in the tables: they tell how bad things
//! are without telling how much money there is. Anything else made of
//! digits (an error code, an id) is masked too, the safe side.

use super::format::MASK;
use std::borrow::Cow;

pub fn text(s: &str, privacy: bool) -> Cow<'_, str> {
    if !privacy || !s.bytes().any(|b| b.is_ascii_digit()) {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // A number starts with a digit not inside a word ("v5", "USDT2").
        let starts = c.is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric());
        if !starts {
            out.push(c);
            i += 1;
            continue;
        }
        // The token: digits with the separators a number or a time uses.
        let mut j = i;
        while j < chars.len()
            && (chars[j].is_ascii_digit()
                || (matches!(chars[j], '.' | ',' | ':' | '\'' | '_')
                    && chars.get(j + 1).is_some_and(char::is_ascii_digit)))
        {
            j += 1;
        }
        let token: String = chars[i..j].iter().collect();
        let keep = chars.get(j) == Some(&'%') || token.contains(':') || after_level(&chars[..i]);
        if keep {
            out.push_str(&token);
        } else {
            // The sign of a masked amount would still tell a debt: it goes too.
            if out.ends_with('-') {
                out.pop();
            }
            out.push_str(MASK);
        }
        i = j;
    }
    Cow::Owned(out)
}

/// The text before a number ends with the word "level" (a risk level).
fn after_level(before: &[char]) -> bool {
    let end = before
        .iter()
        .rposition(|c| !c.is_whitespace())
        .map_or(0, |p| p + 1);
    end >= 5
        && before[end - 5..end]
            .iter()
            .zip("level".chars())
            .all(|(a, b)| a.to_ascii_lowercase() == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_go_ratios_levels_and_times_stay() {
        let m = |s: &str| text(s, true).into_owned();
        assert_eq!(m("margin call of 12.5"), format!("margin call of {MASK}"));
        assert_eq!(
            m("USD cash -31665.18: borrowing"),
            format!("USD cash {MASK}: borrowing")
        );
        // Same mask for 3 digits and 9: the number of digits does not show.
        assert_eq!(m("1,254,415.06"), m("7.5"));
        assert_eq!(
            m("margin ratio 227.1% below 300%"),
            "margin ratio 227.1% below 300%"
        );
        assert_eq!(
            m("venue risk level 2 (early warning)"),
            "venue risk level 2 (early warning)"
        );
        assert_eq!(
            m("was CRITICAL 03:12-03:13 (margin ratio 132% below 150%)"),
            "was CRITICAL 03:12-03:13 (margin ratio 132% below 150%)"
        );
        assert_eq!(m("OKX v5 code 51008"), format!("OKX v5 code {MASK}"));
        assert_eq!(text("no digits", true), "no digits");
        assert_eq!(text("12.5", false), "12.5");
    }
}
