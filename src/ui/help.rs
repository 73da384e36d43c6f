//! The help overlay, generated from the app's keymap (defaults plus config
//! `[keys]`) so it cannot drift from what the keys do.

use crate::health::Severity;
use crate::keymap::{Context, Keymap};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

fn context_name(c: Context) -> &'static str {
    match c {
        Context::Global => "Everywhere",
        Context::Help => "In this help",
    }
}

pub fn lines(keymap: &Keymap, theme: &Theme) -> Vec<Line<'static>> {
    let label_w = keymap
        .bindings
        .iter()
        .map(|b| b.all_labels().chars().count())
        .max()
        .unwrap_or(0);
    let mut out = Vec::new();
    for ctx in [Context::Global, Context::Help] {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(context_name(ctx), theme.title));
        for b in keymap.bindings.iter().filter(|b| b.context == ctx) {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<label_w$}  ", b.all_labels()), theme.accent),
                Span::raw(b.description),
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

pub fn render(frame: &mut Frame, area: Rect, keymap: &Keymap, theme: &Theme) {
    let lines = lines(keymap, theme);
    let want_w = lines.iter().map(Line::width).max().unwrap_or(0) + 4;
    let w = u16::try_from(want_w)
        .unwrap_or(u16::MAX)
        .min(area.width.saturating_sub(4))
        .max(area.width.min(20));
    let h = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2))
        .max(area.height.min(3));
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, popup);
    let close: Vec<String> = keymap
        .hints(Context::Help)
        .map(|b| format!(" {}: {} ", b.label(), b.description))
        .collect();
    let block = Block::bordered()
        .title(Span::styled(" help — keys ", theme.title))
        .title_bottom(Span::styled(close.concat(), theme.muted));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        popup,
    );
}
