//! The totals across accounts (`portfolio::Portfolio`) for the All tab: a
//! one-line summary and the per-currency table. Both only read.
//!
//! The App keeps the portfolio up to date (`App::portfolio`); the All tab
//! draws `line` first and, on `t`, `render_by_currency` instead of the
//! accounts.

use super::format::{self, ABSENT, Numbers};
use crate::portfolio::{CurrencySum, Portfolio};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

/// Pieces of a line, each with its style.
type Parts = Vec<(String, Style)>;

fn width_of(parts: &Parts) -> usize {
    parts.iter().map(|(s, _)| format::width(s)).sum()
}

/// "total ≈ 300128.52 USD net · cash 10064.13 USD (not okx-a) · 3 of 7
/// accounts (okx-old stale, wb-cnh no CNH rate)". Detail goes first when
/// `width` is short: the names of accounts without cash, then the reasons
/// (replaced by "+N more", never cut mid-list), then the cash; the count of
/// accounts is the last to go and is never cut: with no room for it the line
/// is empty.
pub fn line(
    p: &Portfolio,
    n: &Numbers,
    privacy: bool,
    theme: &Theme,
    width: usize,
) -> Line<'static> {
    let approx = if p.approximate { "≈ " } else { "" };
    let money = |v| {
        format!(
            "{approx}{} {}",
            n.amount(v, Some(&p.currency), privacy),
            p.currency
        )
    };
    let sep = (" · ".to_string(), theme.muted);
    let plain = Style::new();

    let net = vec![
        ("total ".to_string(), theme.title),
        (money(p.net_assets), plain),
        (" net".to_string(), theme.muted),
    ];
    // Cash from fewer accounts than the total's: said, by name or by count.
    let counted = p.included.len();
    let cash_full = {
        let mut c = vec![("cash ".to_string(), theme.muted), (money(p.cash), plain)];
        if !p.cash_missing.is_empty() {
            c.push((
                format!(" (not {})", p.cash_missing.join(", ")),
                theme.notice,
            ));
        }
        c
    };
    let cash_short = {
        let mut c = vec![("cash ".to_string(), theme.muted), (money(p.cash), plain)];
        if !p.cash_missing.is_empty() {
            let n = counted - p.cash_missing.len().min(counted);
            c.push((format!(" ({n} of {counted})"), theme.notice));
        }
        c
    };
    let out_style = if p.excluded.is_empty() {
        theme.muted
    } else {
        theme.warn
    };
    let count = if p.account_count() == 0 {
        "no accounts".to_string()
    } else {
        format!("{counted} of {} accounts", p.account_count())
    };
    let reasons: Vec<String> = p
        .excluded
        .iter()
        .map(|e| format!("{} {}", e.account, e.reason.text()))
        .collect();
    // The count with the first `k` reasons and how many more.
    let accounts = |k: usize| -> Parts {
        let mut a = vec![(count.clone(), out_style)];
        if reasons.is_empty() {
            return a;
        }
        let more = reasons.len() - k.min(reasons.len());
        let mut listed: Vec<String> = reasons.iter().take(k).cloned().collect();
        if more > 0 && k > 0 {
            listed.push(format!("+{more} more"));
        }
        if k == 0 {
            listed.push(format!("{more} out"));
        }
        a.push((format!(" ({})", listed.join(", ")), out_style));
        a
    };
    let join = |pieces: &[&Parts]| -> Parts {
        let mut out = Parts::new();
        for (i, p) in pieces.iter().enumerate() {
            if i > 0 {
                out.push(sep.clone());
            }
            out.extend(p.iter().cloned());
        }
        out
    };

    let mut candidates: Vec<Parts> = vec![join(&[&net, &cash_full, &accounts(reasons.len())])];
    for k in (0..=reasons.len()).rev() {
        candidates.push(join(&[&net, &cash_short, &accounts(k)]));
    }
    candidates.push(join(&[&net, &accounts(0)]));
    candidates.push(join(&[&net, &vec![(count.clone(), out_style)]]));
    candidates.push(vec![(count.clone(), out_style)]);
    let chosen = candidates
        .into_iter()
        .find(|c| width_of(c) <= width)
        .unwrap_or_default();
    Line::from(
        chosen
            .into_iter()
            .map(|(s, st)| Span::styled(s, st))
            .collect::<Vec<_>>(),
    )
}

/// One amount cell: the value with its point aligned, then "+" when some
/// holder of the currency does not report the figure (the sum leaves it out).
fn amount_cell(v: &str, partial: bool, int_w: usize, frac_w: usize) -> String {
    let mark = if partial { "+" } else { " " };
    format!(
        "{}{mark}",
        format::align_point(v, int_w, frac_w, int_w + frac_w)
    )
}

/// CURRENCY | CASH | AVAILABLE | FROZEN | ACCOUNTS, one row per currency,
/// each amount column with its points lined up; a row with a stale holder
/// is dimmed and names it; "+" after a sum some holder does not report.
pub fn render_by_currency(
    frame: &mut Frame,
    area: Rect,
    p: &Portfolio,
    n: &Numbers,
    privacy: bool,
    selected: usize,
    theme: &Theme,
) {
    if p.by_currency.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("no balances to sum", theme.muted)),
            area,
        );
        return;
    }
    type Get = fn(&CurrencySum) -> Option<rust_decimal::Decimal>;
    let columns: [(&str, &str, Get); 3] = [
        ("CASH", "cash", |c| c.cash),
        ("AVAILABLE", "available", |c| c.available),
        ("FROZEN", "frozen", |c| c.frozen),
    ];
    // Per amount column: the texts, the point widths, the column width.
    let amounts: Vec<(Vec<String>, usize, usize, usize)> = columns
        .iter()
        .map(|(header, _, get)| {
            let texts: Vec<String> = p
                .by_currency
                .iter()
                .map(|c| n.amount(get(c), Some(&c.currency), privacy))
                .collect();
            let (i, f) = format::point_widths(texts.iter().map(String::as_str));
            let w = (i + f + 1).max(format::width(header));
            // Spare room goes to the integer side, so points stay aligned.
            let i = w - 1 - f;
            (texts, i, f, w)
        })
        .collect();
    let ccy_w = p
        .by_currency
        .iter()
        .map(|c| format::width(&c.currency))
        .chain([format::width("CURRENCY")])
        .max()
        .unwrap_or(0);
    let mut widths = vec![Constraint::Length(u16::try_from(ccy_w).unwrap_or(u16::MAX))];
    for (_, _, _, w) in &amounts {
        widths.push(Constraint::Length(u16::try_from(*w).unwrap_or(u16::MAX)));
    }
    widths.push(Constraint::Fill(1));
    let fixed: usize = ccy_w + amounts.iter().map(|a| a.3).sum::<usize>() + 4;
    let fill_w = usize::from(area.width).saturating_sub(fixed);

    let header = Row::new(
        std::iter::once(Cell::from("CURRENCY"))
            .chain(
                columns
                    .iter()
                    .map(|(h, _, _)| Cell::from(Line::from(*h).right_aligned())),
            )
            .chain([Cell::from("ACCOUNTS")]),
    )
    .style(theme.title);
    // Keep the selected row in view: the first row shown follows from it.
    let visible = usize::from(area.height).saturating_sub(1).max(1);
    let last = p.by_currency.len().saturating_sub(1);
    let first = (selected.min(last) + 1).saturating_sub(visible);
    let rows = p
        .by_currency
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .map(|(r, c)| {
            let style = match (r == selected, c.stale.is_empty()) {
                (true, _) => theme.selected,
                (false, true) => Style::new(),
                (false, false) => theme.stale,
            };
            let mut cells = vec![Cell::from(c.currency.clone())];
            for ((_, field, _), (texts, i, f, _)) in columns.iter().zip(&amounts) {
                let text = texts.get(r).map_or(ABSENT, String::as_str);
                cells.push(Cell::from(amount_cell(
                    text,
                    c.partial.contains(field),
                    *i,
                    *f,
                )));
            }
            cells.push(Cell::from(format::clip(&c.holders(), fill_w)));
            Row::new(cells).style(style)
        });
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        area,
    );
}

/// The rates the totals use, with where they come from and how old they
/// are: "1 HKD = 0.1282 USD · lp-hk net_assets USD/HKD · as of 14:02:11".
/// Only rates into the report currency; the freshest per currency.
pub fn rate_lines(
    p: &Portfolio,
    zone: super::clock::Zone,
    now: chrono::DateTime<chrono::Utc>,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for r in p.rates.iter().filter(|r| r.to == p.currency) {
        if seen.contains(&r.from.as_str()) {
            continue;
        }
        seen.push(&r.from);
        out.push(Line::from(vec![
            Span::raw(format!(
                "1 {} = {} {}",
                r.from,
                r.rate.round_sf(8).unwrap_or(r.rate).normalize(),
                r.to
            )),
            Span::styled(
                format!(" · {} · {}", r.source, zone.age(now, r.as_of)),
                theme.muted,
            ),
        ]));
    }
    if out.is_empty() {
        out.push(Line::styled(
            format!("no rate into {} from the venues yet", p.currency),
            theme.muted,
        ));
    } else {
        out.insert(
            0,
            Line::styled(
                format!("rates into {} (from the venues' own figures; ≈ marks a value converted at one)", p.currency),
                theme.title,
            ),
        );
    }
    out
}
