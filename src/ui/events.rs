//! The events log, newest first: when an account entered or left a warning,
//! failed, or was rate limited.

use super::format;
use crate::app::App;
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.muted)
        .title(Span::styled(" events ", theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let rows = usize::from(inner.height);
    let lines: Vec<Line> = if app.events().is_empty() {
        vec![Line::styled("no events yet", theme.muted)]
    } else {
        app.events()
            .iter()
            .take(rows)
            .map(|e| {
                let sev = theme.severity(e.severity);
                Line::from(vec![
                    Span::styled(format::clock(e.at), theme.muted),
                    Span::raw(" "),
                    Span::raw(format::clip(&e.account, 16)),
                    Span::raw(" "),
                    Span::styled(e.severity.symbol(), sev),
                    Span::raw(" "),
                    Span::styled(format::text(&e.text, app.privacy()).into_owned(), sev),
                ])
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), inner);
}
