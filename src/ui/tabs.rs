//! The tabs row: "0 All", then "n <severity symbol> <name>" per account. The
//! symbol makes a troubled account visible from any tab.

use super::format::{clip, width};
use crate::app::App;
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const NAME_MAX: usize = 18;

type Tab = Vec<(String, Style)>;

/// The tabs' pieces, the open tab, and the first tab shown: the row scrolls
/// so the open tab is always on screen. Drawing and clicking both use this.
fn layout(app: &App, theme: &Theme, width: u16) -> (Vec<Tab>, usize, usize) {
    let mut tabs: Vec<Tab> = vec![vec![(" 0 All ".to_string(), theme.title)]];
    for (i, acc) in app.accounts().iter().enumerate() {
        let sev = acc.worst(app.now(), app.thresholds());
        let n = i + 1;
        let num = if n <= 9 {
            format!(" {n} ")
        } else {
            " ".to_string()
        };
        // Loading: no verdict yet, so no "✓".
        let mark = if acc.status(app.now(), app.thresholds()) == crate::monitor::Status::Loading {
            ("…".to_string(), theme.muted)
        } else {
            (sev.symbol().to_string(), theme.severity(sev))
        };
        let mut tab = vec![
            (num, Style::new()),
            mark,
            (
                format!(" {} ", clip(&acc.spec.name, NAME_MAX)),
                Style::new(),
            ),
        ];
        // A cleared, unacknowledged warning: "⚑" in its severity's colour.
        if let Some(m) = acc.worst_mark() {
            tab.push(("⚑ ".to_string(), theme.severity(m.severity)));
        }
        tabs.push(tab);
    }
    let selected = app.selected().map_or(0, |i| i + 1);
    let avail = usize::from(width).saturating_sub(2);
    let mut start = 0;
    while start < selected && tabs[start..=selected].iter().map(tab_width).sum::<usize>() > avail {
        start += 1;
    }
    (tabs, selected, start)
}

/// Width of a tab with its divider.
fn tab_width(t: &Tab) -> usize {
    t.iter().map(|(s, _)| width(s)).sum::<usize>() + 1
}

/// The tab drawn at column `x` of a tabs row `width` wide, if any.
pub fn tab_at(app: &App, width: u16, x: u16) -> Option<usize> {
    let (tabs, _, start) = layout(app, &Theme::mono(), width);
    let mut left = usize::from(start > 0); // the "‹" marker
    let x = usize::from(x);
    for (i, t) in tabs.iter().enumerate().skip(start) {
        let right = left + tab_width(t);
        if x >= left && x < right {
            return Some(i);
        }
        left = right;
    }
    None
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (tabs, selected, start) = layout(app, theme, area.width);
    let mut spans = Vec::new();
    if start > 0 {
        spans.push(Span::styled("‹", theme.muted));
    }
    for (i, tab) in tabs.iter().enumerate().skip(start) {
        for (text, style) in tab {
            let style = if i == selected {
                style.patch(theme.selected)
            } else {
                *style
            };
            spans.push(Span::styled(text.clone(), style));
        }
        spans.push(Span::styled("│", theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Which tab a click at (x, y) of a `width` x `height` screen hits.
pub fn click(app: &App, width: u16, height: u16, x: u16, y: u16) -> Option<usize> {
    let tabs_y = u16::from(app.banner().is_some());
    if width < super::MIN_WIDTH || height < super::MIN_HEIGHT || y != tabs_y {
        return None;
    }
    tab_at(app, width, x)
}
