//! The account picker: a popup over the tabs listing the accounts whose name
//! or venue contains what was typed, with their severity; Enter opens the
//! selected one's tab. It reaches accounts past tab 9, which have no digit.

use super::format::clip;
use crate::app::App;
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub fn render(frame: &mut Frame, area: Rect, app: &App, query: &str, row: usize, theme: &Theme) {
    let matches = app.picker_matches(query);
    let w = area.width.saturating_sub(4).clamp(1, 60);
    let h = u16::try_from(matches.len() + 3)
        .unwrap_or(u16::MAX)
        .clamp(4, area.height.saturating_sub(2).max(4))
        .min(area.height);
    let popup = super::centered(area, w, h);
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .title(Span::styled(" open account ", theme.title))
        .title_bottom(Span::styled(
            " type to filter · ↑↓ · Enter open · Esc ",
            theme.muted,
        ));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let inner_w = usize::from(inner.width);
    let visible = usize::from(inner.height).saturating_sub(1).max(1);
    let row = row.min(matches.len().saturating_sub(1));
    let first = (row + 1).saturating_sub(visible);
    let mut lines = vec![Line::from(vec![
        Span::styled("> ", theme.accent),
        Span::raw(query.to_string()),
        Span::styled("▏", theme.accent),
        Span::styled(
            format!("  {} of {}", matches.len(), app.accounts().len()),
            theme.muted,
        ),
    ])];
    if matches.is_empty() {
        lines.push(Line::styled("no account matches", theme.muted));
    }
    for (k, &i) in matches.iter().enumerate().skip(first).take(visible) {
        let Some(acc) = app.accounts().get(i) else {
            continue;
        };
        let sev = acc.worst(app.now(), app.thresholds());
        let text = format!("{:>3} {} {}", i + 1, acc.spec.name, acc.spec.venue.label());
        let mut line = Line::from(vec![
            Span::styled(format!("{} ", sev.symbol()), theme.severity(sev)),
            Span::raw(clip(&text, inner_w.saturating_sub(2))),
        ]);
        if k == row {
            line = line.style(theme.selected);
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
