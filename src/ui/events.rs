//! The events log, newest first: when an account entered or left a warning,
//! failed, or was rate limited. A pane under the tabs (as many lines as the
//! window gives it) and, on `E`, the whole screen, scrolling over the
//! session's last `EVENTS_LEN` events.

use super::{format, privacy};
use crate::app::App;
use crate::monitor::{EVENTS_LEN, EventLine};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

fn line(app: &App, e: &EventLine, name_w: usize, theme: &Theme) -> Line<'static> {
    let sev = theme.severity(e.severity);
    Line::from(vec![
        Span::styled(app.zone().time(e.at), theme.muted),
        Span::raw(" "),
        Span::raw(format::clip(&e.account, name_w)),
        Span::raw(" "),
        Span::styled(e.severity.symbol(), sev),
        Span::raw(" "),
        Span::styled(privacy::text(&e.text, app.privacy()).into_owned(), sev),
    ])
}

/// The pane: the newest events that fit.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let n = app.events().len();
    let title = if n > 0 {
        format!(" events ({n}; E: all) ")
    } else {
        " events ".to_string()
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.muted)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let rows = usize::from(inner.height);
    let lines: Vec<Line> = if app.events().is_empty() {
        vec![Line::styled("no events yet", theme.muted)]
    } else {
        app.events()
            .iter()
            .take(rows)
            .map(|e| line(app, e, 16, theme))
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The whole log over `area`, from `scroll` lines below the newest.
pub fn render_log(frame: &mut Frame, area: Rect, app: &App, scroll: usize, theme: &Theme) {
    let events = app.events();
    let rows = usize::from(area.height.saturating_sub(1));
    // Scrolled past the end (events were dropped): show the last page.
    let first = scroll.min(events.len().saturating_sub(rows.max(1)));
    let last = (first + rows).min(events.len());
    let title = if events.is_empty() {
        " events: none yet · Esc: back ".to_string()
    } else {
        format!(
            " events {}-{last} of {} (newest first; the session's last {EVENTS_LEN} are kept) · j/k PgUp/PgDn scroll · Esc: back ",
            first + 1,
            events.len(),
        )
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.muted)
        .title(Span::styled(
            format::clip(&title, usize::from(area.width)),
            theme.title,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let name_w = events
        .iter()
        .map(|e| format::width(&e.account))
        .max()
        .unwrap_or(0)
        .min(24);
    let lines: Vec<Line> = events
        .iter()
        .skip(first)
        .take(rows)
        .map(|e| line(app, e, name_w, theme))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
