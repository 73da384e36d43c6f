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

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // Each tab is a list of (text, style) pieces.
    let mut tabs: Vec<Vec<(String, Style)>> = vec![vec![(" 0 All ".to_string(), theme.title)]];
    for (i, acc) in app.accounts.iter().enumerate() {
        let sev = acc.worst(app.now, &app.thresholds);
        let n = i + 1;
        let num = if n <= 9 {
            format!(" {n} ")
        } else {
            " ".to_string()
        };
        tabs.push(vec![
            (num, Style::new()),
            (sev.symbol().to_string(), theme.severity(sev)),
            (
                format!(" {} ", clip(&acc.spec.name, NAME_MAX)),
                Style::new(),
            ),
        ]);
    }
    let selected = app.selected().map_or(0, |i| i + 1);
    let w = |t: &Vec<(String, Style)>| t.iter().map(|(s, _)| width(s)).sum::<usize>() + 1;

    // Scroll the row so the open tab is always on screen.
    let avail = usize::from(area.width).saturating_sub(2);
    let mut start = 0;
    while start < selected && tabs[start..=selected].iter().map(w).sum::<usize>() > avail {
        start += 1;
    }

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
