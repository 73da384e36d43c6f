//! The tabs row: "0 All", then "n <severity symbol> <name>" per account. The
//! symbol makes a troubled account visible from any tab. When the tabs do
//! not fit, "0 All" stays, the row scrolls to keep the open tab in sight,
//! and `‹ N ▲` / `✖ N ›` say how many tabs are hidden on each side and the
//! worst of them, so trouble off screen is never out of sight.

use super::format::{clip, width};
use crate::app::App;
use crate::health::Severity;
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const NAME_MAX: usize = 18;

type Pieces = Vec<(String, Style)>;

/// What a stretch of the row is: a tab, or the marker of tabs hidden to
/// one side (clicking it goes to the nearest hidden tab).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Tab(usize),
    Hidden(usize),
}

fn tab_pieces(app: &App, theme: &Theme) -> (Vec<Pieces>, Vec<Severity>) {
    let mut tabs: Vec<Pieces> = vec![vec![(" 0 All ".to_string(), theme.title)]];
    let mut sevs = vec![Severity::Ok];
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
        sevs.push(sev);
    }
    (tabs, sevs)
}

/// Width of a tab with its divider.
fn tab_width(t: &Pieces) -> usize {
    t.iter().map(|(s, _)| width(s)).sum::<usize>() + 1
}

fn marker(count: usize, worst: Severity, left: bool, theme: &Theme) -> Pieces {
    let text = if left {
        format!("‹ {count} {} ", worst.symbol())
    } else {
        format!(" {} {count} ›", worst.symbol())
    };
    let style = if worst == Severity::Ok {
        theme.muted
    } else {
        theme.severity(worst)
    };
    vec![(text, style)]
}

/// The row's items in order with their pieces: every tab when they fit;
/// otherwise "0 All", the markers and the widest run of account tabs
/// around the open one that fits `width`.
fn layout(app: &App, theme: &Theme, width: u16) -> Vec<(Item, Pieces)> {
    let (tabs, sevs) = tab_pieces(app, theme);
    let avail = usize::from(width);
    let all: usize = tabs.iter().map(tab_width).sum();
    if all <= avail || tabs.len() == 1 {
        return tabs
            .into_iter()
            .enumerate()
            .map(|(i, t)| (Item::Tab(i), t))
            .collect();
    }
    let n = tabs.len() - 1;
    let open = app.selected().map_or(1, |i| i + 1);
    let worst = |r: std::ops::Range<usize>| sevs[r].iter().copied().max().unwrap_or(Severity::Ok);
    let need = |start: usize, end: usize| {
        let mut w = tab_width(&tabs[0]) + (start..=end).map(|i| tab_width(&tabs[i])).sum::<usize>();
        if start > 1 {
            w += tab_width(&marker(start - 1, worst(1..start), true, theme)) - 1;
        }
        if end < n {
            w += tab_width(&marker(n - end, worst(end + 1..n + 1), false, theme)) - 1;
        }
        w
    };
    // From the first tab as far as the open one allows, then to the right:
    // the row moves only when the open tab would be off screen.
    let (mut start, mut end) = (open, open);
    while start > 1 && need(start - 1, end) <= avail {
        start -= 1;
    }
    while end < n && need(start, end + 1) <= avail {
        end += 1;
    }
    let mut out = Vec::new();
    let mut tabs = tabs.into_iter().enumerate();
    if let Some((_, all_tab)) = tabs.next() {
        out.push((Item::Tab(0), all_tab));
    }
    if start > 1 {
        out.push((
            Item::Hidden(start - 1),
            marker(start - 1, worst(1..start), true, theme),
        ));
    }
    out.extend(
        tabs.filter(|(i, _)| (start..=end).contains(i))
            .map(|(i, t)| (Item::Tab(i), t)),
    );
    if end < n {
        out.push((
            Item::Hidden(end + 1),
            marker(n - end, worst(end + 1..n + 1), false, theme),
        ));
    }
    out
}

/// The tab drawn at column `x` of a tabs row `width` wide, if any (a marker:
/// the nearest tab it hides).
pub fn tab_at(app: &App, width: u16, x: u16) -> Option<usize> {
    let x = usize::from(x);
    let mut left = 0;
    for (item, pieces) in layout(app, &Theme::mono(), width) {
        let right = left + tab_width(&pieces);
        if x >= left && x < right {
            return Some(match item {
                Item::Tab(i) | Item::Hidden(i) => i,
            });
        }
        left = right;
    }
    None
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let selected = app.selected().map_or(0, |i| i + 1);
    let mut spans = Vec::new();
    for (item, pieces) in layout(app, theme, area.width) {
        for (text, style) in pieces {
            let style = if item == Item::Tab(selected) {
                style.patch(theme.selected)
            } else {
                style
            };
            spans.push(Span::styled(text, style));
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
