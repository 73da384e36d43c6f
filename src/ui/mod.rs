//! The screen. `render` only reads an `&App`: no state changes, no I/O, so it can be
//! called on every redraw and tested against a `TestBackend`.

pub mod account;
pub mod chart;
pub mod clock;
pub mod detail;
pub mod events;
pub mod format;
pub mod help;
pub mod overview;
pub mod picker;
pub mod privacy;
pub mod status;
pub mod tabs;
pub mod totals;

use crate::app::App;
use crate::health::Finding;
use crate::monitor::{Account, Status};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Below this the screen is one line naming the trouble (see `too_small`).
pub const MIN_WIDTH: u16 = 30;
pub const MIN_HEIGHT: u16 = 8;

/// Lines of the events pane in a window `height` tall: it grows with the
/// window, once the balances have room (none below 16 lines: `E` shows them).
pub fn events_height(height: u16) -> u16 {
    match height {
        ..16 => 0,
        16..20 => 2,
        h => (h / 5).clamp(4, 20),
    }
}

pub fn render(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, app, theme);
        return;
    }

    let lost = lost_line(app, theme);
    let banner_h = u16::from(app.banner().is_some()) + u16::from(lost.is_some());
    let log = match app.cover() {
        Some(crate::app::Cover::Log { scroll }) => Some(*scroll),
        _ => None,
    };
    let events_h = if app.show_events() && log.is_none() {
        events_height(area.height)
    } else {
        0
    };
    let [banner, tabs_area, body, events_area, status_area] = Layout::vertical([
        Constraint::Length(banner_h),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(events_h),
        Constraint::Length(1),
    ])
    .areas(area);

    let [demo_a, lost_a] = Layout::vertical([
        Constraint::Length(u16::from(app.banner().is_some())),
        Constraint::Length(u16::from(lost.is_some())),
    ])
    .areas(banner);
    if let Some(text) = app.banner() {
        frame.render_widget(
            Paragraph::new(Line::from(format!(" {text}"))).style(theme.banner),
            demo_a,
        );
    }
    if let Some(l) = lost {
        frame.render_widget(Paragraph::new(l), lost_a);
    }
    tabs::render(frame, tabs_area, app, theme);
    match (log, app.selected()) {
        (Some(scroll), _) => events::render_log(frame, body, app, scroll, theme),
        (None, Some(i)) => account::render(frame, body, app, i, theme),
        (None, None) => overview::render(frame, body, app, theme),
    }
    if events_h > 0 {
        events::render(frame, events_area, app, theme);
    }
    status::render(frame, status_area, app, theme);
    if let Some(crate::app::Cover::Detail {
        account,
        currency,
        view,
    }) = app.cover()
    {
        detail::render(frame, body, app, *account, currency, view.as_deref(), theme);
    }
    if let Some(crate::app::Input::Picker { query, row }) = app.input() {
        picker::render(frame, body, app, query, *row, theme);
    }
    if app.show_help() {
        help::render_in(
            frame,
            area,
            app.keymap(),
            status::view(app),
            app.help_scroll(),
            theme,
        );
    }
}

/// An attached monitor whose service went away: says so in words on top
/// (the values below stay, aging), with the error and the next try.
fn lost_line(app: &App, theme: &Theme) -> Option<Line<'static>> {
    let a = app.attached()?;
    let crate::app::Link::Lost {
        error,
        since,
        retry_at,
    } = &a.link
    else {
        return None;
    };
    let now = app.now();
    Some(Line::from(vec![
        Span::styled(
            " ✖ SERVICE UNREACHABLE ",
            theme.badge(crate::health::Severity::Critical),
        ),
        Span::styled(
            format!(
                " {}: {error} · retrying {} · lost {} · the values below are its last",
                a.host,
                match format::until(now, *retry_at).as_str() {
                    "due" => "now".to_string(),
                    r => r.to_string(),
                },
                format::ago(now, *since),
            ),
            theme.critical,
        ),
    ]))
}

/// One line instead of a broken layout; still names any trouble, so a tiny tmux
/// pane does not hide a critical account.
fn too_small(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let text = format!("window too small (need {MIN_WIDTH}x{MIN_HEIGHT})");
    let (crit, warn) = app.counts();
    let counts = (crit + warn > 0).then(|| status::counts_span(crit, warn, theme));
    let w = usize::from(area.width);
    let both = format::width(&text) + counts.as_ref().map_or(0, |c| 1 + c.width());
    let mut lines = Vec::new();
    match counts {
        Some(c) if both > w => {
            // Too narrow for one line: the trouble count comes first, never cut
            // off by the notice.
            lines.push(Line::from(c));
            lines.push(Line::styled(format::clip(&text, w), theme.warn));
        }
        Some(c) => lines.push(Line::from(vec![
            Span::styled(text, theme.warn),
            Span::raw(" "),
            c,
        ])),
        None => lines.push(Line::styled(format::clip(&text, w), theme.warn)),
    }
    lines.truncate(usize::from(area.height));
    frame.render_widget(Paragraph::new(lines), area);
}

/// The subjects of the findings on an account's margin figures, each under
/// its venue's own name (health.rs); a per-currency one has a `CCY.` prefix.
const MARGIN_SUBJECTS: [&str; 6] = [
    "margin_ratio",
    "maintenance_rate",
    "initial_rate",
    "margin_level",
    "futures_maint_ratio",
    "uni_mmr",
];

/// The worst finding on any of an account's margin figures (findings are
/// worst first): what colors its margin headroom.
pub fn margin_finding(acc: &Account) -> Option<&Finding> {
    acc.findings.iter().find(|f| {
        let s = f.subject.rsplit('.').next().unwrap_or(&f.subject);
        MARGIN_SUBJECTS.contains(&s)
    })
}

/// The account's own headline margin figure, short, under its venue's name:
/// "412%" (margin ratio), "MMR 44.5%" (Bybit), "level 1.62" (Binance cross),
/// "uniMMR 3.2", "fut MM 23%". Ratios are not amounts: shown in privacy mode.
pub fn own_margin_figure(risk: &crate::model::Risk) -> Option<String> {
    if let Some(r) = risk.margin_ratio {
        return Some(format::percent(Some(r), false));
    }
    if let Some(r) = risk.maintenance_rate {
        return Some(format!("MMR {}", format::percent(Some(r), false)));
    }
    if let Some(r) = risk.uni_mmr {
        return Some(format!("uniMMR {}", r.round_dp(2).normalize()));
    }
    if let Some(r) = risk.margin_level {
        return Some(format!("level {}", r.round_dp(2).normalize()));
    }
    risk.futures_maint_ratio
        .map(|r| format!("fut MM {}", format::percent(Some(r), false)))
}

/// The finding that colors an account's margin ratio: the ratio's own
/// (`margin_ratio`, or `<CCY>.margin_ratio` where the ratio is one currency's,
/// OKX Futures mode), else for a per-currency ratio the worst margin-ratio
/// finding of any currency, so a ratio near liquidation never reads OK.
pub fn margin_ratio_finding(acc: &Account) -> Option<&Finding> {
    let ccy = acc
        .snapshot
        .as_ref()
        .and_then(|s| s.risk.margin_ratio_currency.as_deref());
    let Some(ccy) = ccy else {
        return acc.findings.iter().find(|f| f.subject == "margin_ratio");
    };
    let own = format!("{ccy}.margin_ratio");
    // Findings are worst first.
    acc.findings.iter().find(|f| f.subject == own).or_else(|| {
        acc.findings
            .iter()
            .find(|f| f.subject.ends_with(".margin_ratio"))
    })
}

/// The numbers on screen are from an earlier good poll (stale, the latest poll
/// failed, or restored from the store before the first poll): they stay
/// visible, dimmed, with their age.
pub fn data_is_old(acc: &Account, status: Status) -> bool {
    // Loading with numbers: the store's last known values, not fresh ones.
    acc.snapshot.is_some() && status != Status::Ok
}

/// "updated 3s ago" (within a minute), "data as of 14:02:11", "loading" or
/// "never updated".
pub fn updated(app: &App, acc: &Account) -> String {
    match (&acc.snapshot, acc.poll) {
        (Some(s), _) => {
            let age = app.zone().age(app.now(), s.fetched_at);
            if age.starts_with("as of") {
                format!("data {age}")
            } else {
                format!("updated {age}")
            }
        }
        (None, crate::monitor::PollState::Loading) => "loading".to_string(),
        (None, _) => "never updated".to_string(),
    }
}

/// A `w` x `h` popup centered in `area` (clamped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let (w, h) = (w.min(area.width), h.min(area.height));
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Shrink the widest columns one cell at a time until they fit `avail`,
/// never below `min`. Keeps narrow columns intact.
pub fn shrink_widths(widths: &mut [usize], avail: usize, min: usize) {
    while widths.iter().sum::<usize>() > avail {
        let Some((i, w)) = widths.iter().copied().enumerate().max_by_key(|&(_, w)| w) else {
            break;
        };
        if w <= min {
            break;
        }
        widths[i] = w - 1;
    }
}
