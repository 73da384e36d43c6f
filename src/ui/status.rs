//! The last row: key hints from the keymap table (only keys that act here),
//! trouble counts and a UTC clock.

use super::format;
use crate::app::App;
use crate::health::Severity;
use crate::keymap::{Action, Binding, Keymap, View};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// "✖ 1 critical, 2 warn", styled by the worst of the two.
pub fn counts_span(crit: usize, warn: usize, theme: &Theme) -> Span<'static> {
    let sev = if crit > 0 {
        Severity::Critical
    } else if warn > 0 {
        Severity::Warn
    } else {
        Severity::Ok
    };
    let style = if sev == Severity::Ok {
        theme.ok
    } else {
        theme.badge(sev)
    };
    Span::styled(
        format!("{} {crit} critical, {warn} warn", sev.symbol()),
        style,
    )
}

/// "⇄ attached to 127.0.0.1:9477", or that it is not (yet, any more).
pub fn attach_span(a: &crate::app::Attached, theme: &Theme) -> Span<'static> {
    use crate::app::Link;
    match &a.link {
        Link::Connected => Span::styled(format!("⇄ attached to {}", a.host), theme.accent),
        Link::Connecting => Span::styled(format!("… connecting to {}", a.host), theme.muted),
        Link::Lost { .. } => Span::styled(
            format!("✖ lost {}", a.host),
            theme.badge(Severity::Critical),
        ),
    }
}

/// Short form of a description for the status line: the part before " (".
fn short(desc: &str) -> &str {
    desc.split(" (").next().unwrap_or(desc)
}

/// What the keys depend on, read from the app in one place (the keymap
/// itself knows no app).
pub fn view(app: &App) -> View {
    app.key_view()
}

/// The status line's key hints in `view`: (key, short description) of each
/// hint binding that acts there, the help key first so that, if the row is
/// cut, help still explains the rest.
pub fn hints(keymap: &Keymap, view: View) -> Vec<(String, String)> {
    let mut hints: Vec<&Binding> = keymap.commands(view).filter(|b| b.hint).collect();
    hints.sort_by_key(|b| b.action != Action::ToggleHelp);
    hints
        .into_iter()
        .map(|b| (b.label(), short(&b.description).to_string()))
        .collect()
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (crit, warn) = app.counts();
    // The right side's pieces, most needed first: the trouble count is never
    // cut (a cut "1 critical" could read as "1 crit" or worse, "1"); the
    // rest goes whole, from the end, when the row is too narrow.
    let mut right: Vec<Span> = vec![counts_span(crit, warn, theme)];
    // Where the numbers come from, on an attached monitor: always in sight.
    if let Some(a) = app.attached() {
        right.push(attach_span(a, theme));
    }
    // Cleared warnings nobody acknowledged yet stay in sight.
    let (mc, mw) = app.mark_counts();
    if mc + mw > 0 {
        let sev = if mc > 0 {
            Severity::Critical
        } else {
            Severity::Warn
        };
        let what = match (mc, mw) {
            (c, 0) => format!("{c} critical"),
            (0, w) => format!("{w} warn"),
            (c, w) => format!("{c} critical, {w} warn"),
        };
        right.push(Span::styled(
            format!("⚑ was {what} (a: ack)"),
            theme.severity(sev),
        ));
    }
    if app.privacy() {
        right.push(Span::styled(" PRIVACY ", theme.badge(Severity::Notice)));
    }
    let now = app.now();
    right.push(Span::styled(
        format!("{} {}", app.zone().time(now), app.zone().label(now)),
        theme.muted,
    ));
    let avail = usize::from(area.width);
    let width_of = |v: &[Span]| v.iter().map(Span::width).sum::<usize>() + v.len() - 1;
    while right.len() > 1 && width_of(&right) > avail {
        right.pop();
    }
    // Display order: privacy first, then counts, marks and the clock.
    if let Some(p) = right.iter().position(|s| s.content == " PRIVACY ") {
        let badge = right.remove(p);
        right.insert(0, badge);
    }
    let mut spans = Vec::new();
    for s in right {
        if !spans.is_empty() {
            spans.push(Span::raw(" "));
        }
        spans.push(s);
    }
    let right = Line::from(spans);
    let right_w = u16::try_from(right.width())
        .unwrap_or(u16::MAX)
        .min(area.width);

    let mut left = Vec::new();
    for (key, what) in hints(app.keymap(), view(app)) {
        if !left.is_empty() {
            left.push(Span::styled(" · ", theme.muted));
        }
        left.push(Span::styled(key, theme.accent));
        left.push(Span::raw(format!(" {what}")));
    }

    let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_w)])
        .spacing(1)
        .areas(area);
    let left = Line::from(left);
    // Cut whole words visibly rather than mid-hint without a mark.
    let left = if left.width() > usize::from(l.width) {
        let text: String = left.spans.iter().map(|s| s.content.as_ref()).collect();
        Line::raw(format::clip(&text, usize::from(l.width)))
    } else {
        left
    };
    frame.render_widget(Paragraph::new(left), l);
    frame.render_widget(Paragraph::new(right), r);
}
