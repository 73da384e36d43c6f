//! Semantic styles. Only the 16 ANSI colors, so the user's terminal palette applies.
//! Color is never the only carrier of meaning: every severity also gets a symbol or
//! word from `Severity::symbol`/`word`, and the mono theme keeps working without it.

use crate::health::Severity;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub ok: Style,
    pub notice: Style,
    pub warn: Style,
    pub critical: Style,
    /// Numbers that are no longer fresh: dimmed, still readable.
    pub stale: Style,
    pub muted: Style,
    pub accent: Style,
    pub title: Style,
    /// The demo banner.
    pub banner: Style,
    /// The open tab.
    pub selected: Style,
    /// A negative amount (a loss, a borrow) with no finding of its own; the
    /// minus sign says it too.
    pub negative: Style,
    /// Filled "badge" styles for a severity word that must not be missed.
    pub badge_ok: Style,
    pub badge_notice: Style,
    pub badge_warn: Style,
    pub badge_critical: Style,
    /// True for the NO_COLOR variant.
    pub mono: bool,
}

impl Theme {
    pub fn color() -> Self {
        let bold = Modifier::BOLD;
        Theme {
            ok: Style::new().fg(Color::Green),
            notice: Style::new().fg(Color::Cyan),
            warn: Style::new().fg(Color::Yellow).add_modifier(bold),
            critical: Style::new().fg(Color::LightRed).add_modifier(bold),
            stale: Style::new().fg(Color::DarkGray),
            muted: Style::new().fg(Color::Gray),
            accent: Style::new().fg(Color::Cyan).add_modifier(bold),
            title: Style::new().add_modifier(bold),
            banner: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(bold),
            selected: Style::new().add_modifier(bold | Modifier::REVERSED),
            negative: Style::new().fg(Color::Red),
            badge_ok: Style::new().fg(Color::Black).bg(Color::Green),
            badge_notice: Style::new().fg(Color::Black).bg(Color::Cyan),
            badge_warn: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(bold),
            badge_critical: Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(bold),
            mono: false,
        }
    }

    /// No colors at all: meaning comes from symbols, words and text attributes.
    pub fn mono() -> Self {
        let bold = Modifier::BOLD;
        let rev = Modifier::REVERSED;
        Theme {
            ok: Style::new(),
            notice: Style::new(),
            warn: Style::new().add_modifier(bold),
            critical: Style::new().add_modifier(bold | Modifier::UNDERLINED),
            stale: Style::new().add_modifier(Modifier::DIM),
            muted: Style::new().add_modifier(Modifier::DIM),
            accent: Style::new().add_modifier(bold),
            title: Style::new().add_modifier(bold),
            banner: Style::new().add_modifier(bold | rev),
            selected: Style::new().add_modifier(bold | rev),
            negative: Style::new().add_modifier(Modifier::ITALIC),
            badge_ok: Style::new(),
            badge_notice: Style::new().add_modifier(bold),
            badge_warn: Style::new().add_modifier(bold | rev),
            badge_critical: Style::new().add_modifier(bold | rev | Modifier::UNDERLINED),
            mono: true,
        }
    }

    /// Mono when `NO_COLOR` is set to a non-empty value (https://no-color.org).
    pub fn from_env() -> Self {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::mono(),
            _ => Theme::color(),
        }
    }

    pub fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Ok => self.ok,
            Severity::Notice => self.notice,
            Severity::Warn => self.warn,
            Severity::Critical => self.critical,
        }
    }

    pub fn badge(&self, s: Severity) -> Style {
        match s {
            Severity::Ok => self.badge_ok,
            Severity::Notice => self.badge_notice,
            Severity::Warn => self.badge_warn,
            Severity::Critical => self.badge_critical,
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::color()
    }
}
