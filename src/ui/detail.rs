//! One currency of one account, every field: an overlay listing each Decimal
//! field of its `CurrencyBalance` exactly as the venue sent it (grouped, never
//! rounded), its unit, and the venue's own name for it; then the venue's
//! indicators and the account-currency view it comes from (LongPort).
//! Opening and closing it is the caller's: this only draws.

use super::format::{self, clip, width};
use crate::app::App;
use crate::model::CurrencyBalance;
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// What a field is counted in: most are the row's currency.
fn unit(field: &str, row: &CurrencyBalance, base: Option<&str>) -> String {
    match field {
        // A plain ratio (1 = liquidation line) and a multiple.
        "margin_ratio" => "ratio".to_string(),
        "notional_leverage" => "×".to_string(),
        // OKX `eqUsd`: in the totals currency; `borrowFroz` is USD by its document.
        "value_in_base" => base.unwrap_or("base").to_string(),
        "borrow_frozen" => "USD".to_string(),
        _ => row.currency.clone(),
    }
}

/// Draw the detail of `currency` (of the account-currency `view`, None: the
/// primary rows) of account `account` over `area`. A row no longer reported
/// says so instead.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    account: usize,
    currency: &str,
    view: Option<&str>,
    theme: &Theme,
) {
    let acc = app.accounts().get(account);
    let row = acc.and_then(|a| a.snapshot.as_ref()).and_then(|s| {
        s.currencies
            .iter()
            .find(|c| c.currency == currency && c.group() == view)
    });
    let name = acc.map_or("?", |a| a.spec.name.as_str());
    let title = format!(" {currency} · {name} · exact ");
    let lines = match (acc, row) {
        (Some(acc), Some(row)) => field_lines(app, acc, row, theme),
        _ => vec![Line::styled(
            format!("{currency}: not in the latest balances"),
            theme.warn,
        )],
    };
    let need_w = lines
        .iter()
        .map(Line::width)
        .chain([width(&title)])
        .max()
        .unwrap_or(0)
        + 2;
    let w = u16::try_from(need_w).unwrap_or(u16::MAX).min(area.width);
    let h = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let popup = super::centered(area, w, h);
    frame.render_widget(Clear, popup);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(Span::styled(title, theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// One line per Decimal field (points aligned), then indicators and view.
fn field_lines(
    app: &App,
    acc: &crate::monitor::Account,
    row: &CurrencyBalance,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let p = app.privacy();
    let n = app.numbers();
    let base = acc
        .snapshot
        .as_ref()
        .and_then(|s| s.totals.currency.as_deref());
    let wire = crate::venues::registry::by_id(acc.spec.venue.as_str())
        .map_or(&[][..], |v| v.field_names());
    let fields = row.decimal_fields();
    let texts: Vec<String> = fields.iter().map(|(_, v)| n.exact(*v, p)).collect();
    let (int_w, frac_w) = format::point_widths(texts.iter().map(String::as_str));
    let val_w = (int_w + frac_w).max(width("value"));
    let name_w = fields.iter().map(|(f, _)| width(f)).max().unwrap_or(0);
    let units: Vec<String> = fields.iter().map(|(f, _)| unit(f, row, base)).collect();
    let unit_w = units.iter().map(|u| width(u)).max().unwrap_or(0);
    let venue = acc.spec.venue.label();

    let mut lines = vec![Line::styled(
        format!(
            "{:<name_w$}  {:>val_w$}  {:<unit_w$}  {venue} field",
            "field", "value", ""
        ),
        theme.muted,
    )];
    for (((field, v), text), unit) in fields.iter().zip(&texts).zip(&units) {
        let style = if format::is_negative(*v) && !p {
            theme.negative
        } else if v.is_none() {
            theme.muted
        } else {
            Style::new()
        };
        let wire_name = wire
            .iter()
            .find(|(f, _)| f == field)
            .map_or("", |(_, w)| *w);
        lines.push(Line::from(vec![
            Span::raw(format!("{field:<name_w$}  ")),
            Span::styled(
                format!(
                    "{:>val_w$}",
                    format::align_point(text, int_w, frac_w, int_w + frac_w)
                ),
                style,
            ),
            Span::styled(format!("  {unit:<unit_w$}  "), theme.muted),
            Span::raw(wire_name.to_string()),
        ]));
    }
    for ind in &row.indicators {
        let style = if ind.unknown { theme.warn } else { theme.muted };
        lines.push(Line::styled(
            clip(
                &format!("indicator {}={} ({})", ind.key, ind.value, ind.meaning),
                120,
            ),
            style,
        ));
    }
    if let Some(v) = &row.view {
        lines.push(Line::styled(
            format!("from the {v} account-currency view"),
            theme.muted,
        ));
    }
    if let Some(w) = &row.wallet {
        lines.push(Line::styled(format!("in the {w} wallet"), theme.muted));
    }
    lines
}
