//! The help overlay, generated from the app's keymap (defaults plus config
//! `[keys]`) so it cannot drift from what the keys do. Given the view under
//! it, it lists only the keys that act there.

use crate::health::Severity;
use crate::keymap::{Binding, Context, Keymap, View};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// Every binding, by context (for a caller without the screen's state).
pub fn lines(keymap: &Keymap, theme: &Theme) -> Vec<Line<'static>> {
    let of = |c: Context| keymap.bindings.iter().filter(move |b| b.context == c);
    let sections = [
        ("Everywhere", of(Context::Global).collect()),
        ("In this help", of(Context::Help).collect()),
    ];
    lines_of(keymap, sections, theme)
}

/// The keys that act in `view` (the tab under the overlay), then help's own.
pub fn lines_in(keymap: &Keymap, view: View, theme: &Theme) -> Vec<Line<'static>> {
    let here = if view.tab == 0 {
        "On the All tab"
    } else {
        "On this account's tab"
    };
    let sections = [
        (
            here,
            keymap
                .commands(View {
                    help: false,
                    ..view
                })
                .collect(),
        ),
        (
            "In this help",
            keymap.commands(View { help: true, ..view }).collect(),
        ),
    ];
    lines_of(keymap, sections, theme)
}

fn lines_of(
    keymap: &Keymap,
    sections: [(&str, Vec<&Binding>); 2],
    theme: &Theme,
) -> Vec<Line<'static>> {
    // Over every binding, so the descriptions start in the same column
    // whichever keys a view shows.
    let label_w = keymap
        .bindings
        .iter()
        .map(|b| b.all_labels().chars().count())
        .max()
        .unwrap_or(0);
    let mut out = Vec::new();
    for (title, bindings) in sections {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(title.to_string(), theme.title));
        for b in bindings {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<label_w$}  ", b.all_labels()), theme.accent),
                Span::raw(b.description.clone()),
            ]));
        }
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Severity", theme.title));
    let mut legend = vec![Span::raw("  ")];
    for s in [
        Severity::Ok,
        Severity::Notice,
        Severity::Warn,
        Severity::Critical,
    ] {
        legend.push(Span::styled(
            format!("{} {}", s.symbol(), s.word()),
            theme.severity(s),
        ));
        legend.push(Span::raw("   "));
    }
    out.push(Line::from(legend));
    out.push(Line::styled(
        "  — means the venue did not report the value (not zero)",
        theme.muted,
    ));
    out
}

/// Every binding (see `lines`).
pub fn render(frame: &mut Frame, area: Rect, keymap: &Keymap, theme: &Theme) {
    draw(frame, area, keymap, lines(keymap, theme), 0, theme);
}

/// The keys that act in `view` (see `lines_in`).
pub fn render_in(
    frame: &mut Frame,
    area: Rect,
    keymap: &Keymap,
    view: View,
    scroll: usize,
    theme: &Theme,
) {
    draw(
        frame,
        area,
        keymap,
        lines_in(keymap, view, theme),
        scroll,
        theme,
    );
}

/// The popup: as wide as its longest line allows, the lines wrapped, and
/// scrolled by `scroll` (clamped so the last line ends the box) when they
/// do not all fit; the title says where the view is.
fn draw(
    frame: &mut Frame,
    area: Rect,
    keymap: &Keymap,
    lines: Vec<Line<'static>>,
    scroll: usize,
    theme: &Theme,
) {
    let want_w = lines.iter().map(Line::width).max().unwrap_or(0) + 4;
    let w = u16::try_from(want_w)
        .unwrap_or(u16::MAX)
        .min(area.width.saturating_sub(4))
        .max(area.width.min(20));
    let h = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2))
        .max(area.height.min(3));
    let popup = super::centered(area, w, h);
    frame.render_widget(Clear, popup);
    let close: Vec<String> = keymap
        .hints(Context::Help)
        .map(|b| format!(" {}: {} ", b.label(), b.description))
        .collect();
    let para = Paragraph::new(lines).wrap(Wrap { trim: false });
    let inner_h = usize::from(h.saturating_sub(2));
    let total = para.line_count(w.saturating_sub(2));
    let scroll = scroll.min(total.saturating_sub(inner_h));
    let title = if total > inner_h {
        format!(
            " help — keys ({}-{} of {} lines; j/k scroll) ",
            scroll + 1,
            (scroll + inner_h).min(total),
            total
        )
    } else {
        " help — keys ".to_string()
    };
    let block = Block::bordered()
        .title(Span::styled(title, theme.title))
        .title_bottom(Span::styled(close.concat(), theme.muted));
    frame.render_widget(
        para.block(block)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        popup,
    );
}
