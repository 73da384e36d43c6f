//! The account tab's history pane: the margin ratio with its warn and
//! critical lines, and net assets, over the chosen range (`H`), on a time
//! axis in the screen's zone. A failed poll breaks the line until the next
//! good one. The data is what the store last answered (`App::history`).

use super::format;
use crate::app::{App, History, HistoryRange};
use crate::model::{Series, SeriesPoint};
use crate::theme::Theme;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Lines the pane takes with a chart to draw (the rule, a title, the plot
/// and its axis); below this it is left out, the balances come first.
pub const CHART_MIN: usize = 9;
/// Lines the pane takes when it has only a sentence to say.
pub const NOTE_HEIGHT: usize = 2;
/// Most lines the pane takes however tall the window.
pub const CHART_MAX: usize = 18;
/// Narrowest chart; two side by side need twice this.
const CHART_MIN_W: u16 = 36;

/// Whether the pane has a chart to draw (else it says why in one line).
pub fn has_chart(app: &App) -> bool {
    matches!(app.history(), History::Loaded(s) if !s.points.is_empty())
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let range = app.history_range();
    // Without a store a range means nothing: the title stays plain.
    let title = if app.history() == History::Off {
        Line::styled(" history ", theme.title)
    } else {
        Line::from(vec![
            Span::styled(format!(" history · {} ", range.label()), theme.title),
            Span::styled(hint(app), theme.muted),
        ])
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.muted)
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let mut note = |text: String, style: Style| {
        frame.render_widget(Paragraph::new(Line::styled(text, style)), inner);
    };
    let series = match app.history() {
        History::Off => {
            let text = match app.attached() {
                Some(a) => format!("no history here: the service at {} keeps it", a.host),
                None => "no history: the history store is off".to_string(),
            };
            return note(text, theme.muted);
        }
        History::Loading => return note("loading history…".into(), theme.muted),
        History::Failed(e) => {
            return note(format!("▲ history unavailable: {e}"), theme.warn);
        }
        History::Loaded(s) if s.points.is_empty() => {
            return note("no history yet".into(), theme.muted);
        }
        History::Loaded(s) => s,
    };
    let (from, to) = span(series, range, app.now());
    let has_ratio = series.points.iter().any(|p| p.margin_ratio.is_some());
    let has_net = series.points.iter().any(|p| p.net_assets.is_some());
    let mut kinds = Vec::new();
    if has_ratio {
        kinds.push(Kind::Ratio);
    }
    if has_net && (kinds.is_empty() || inner.width >= 2 * CHART_MIN_W) {
        kinds.push(Kind::Net);
    }
    if kinds.is_empty() {
        return note(
            "no margin ratio or net assets recorded in this range".into(),
            theme.muted,
        );
    }
    let cols = Layout::horizontal(vec![Constraint::Fill(1); kinds.len()])
        .spacing(1)
        .split(inner);
    for (kind, a) in kinds.into_iter().zip(cols.iter()) {
        match kind {
            Kind::Ratio => ratio_chart(frame, *a, app, series, (from, to), theme),
            Kind::Net => net_chart(frame, *a, app, series, (from, to), theme),
        }
    }
}

enum Kind {
    Ratio,
    Net,
}

/// "H: 1h 24h 7d", the key as the keymap binds it.
fn hint(app: &App) -> String {
    let key = app
        .keymap()
        .bindings
        .iter()
        .find(|b| b.action == crate::keymap::Action::HistoryRange)
        .map(|b| b.label());
    let ranges: Vec<&str> = HistoryRange::ALL.iter().map(|r| r.label()).collect();
    match key {
        Some(k) => format!("{k}: {} ", ranges.join(" ")),
        None => String::new(),
    }
}

/// The time span drawn: the one asked of the store, else the range to now.
fn span(s: &Series, range: HistoryRange, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let to = s.to.unwrap_or(now);
    let from = s.from.unwrap_or(to - range.span());
    if from < to {
        (from, to)
    } else {
        (to - range.span(), to)
    }
}

/// The lines of one figure as drawn: each point's value holds until the next
/// point (or `to`); a point that is not ok, or has no value, starts a gap
/// that lasts until the next point with one. x is seconds since `from`.
pub fn segments(
    points: &[SeriesPoint],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    value: impl Fn(&SeriesPoint) -> Option<Decimal>,
) -> Vec<Vec<(f64, f64)>> {
    let x = |t: DateTime<Utc>| (t.clamp(from, to) - from).num_milliseconds() as f64 / 1000.0;
    let mut out = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for (k, p) in points.iter().enumerate() {
        let v = if p.ok {
            value(p).and_then(|d| d.to_f64())
        } else {
            None
        };
        let next = points.get(k + 1).map_or(to, |n| n.at);
        match v {
            Some(v) if p.at <= to && next >= from => {
                cur.push((x(p.at), v));
                cur.push((x(next), v));
            }
            _ => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// At most four points per `bucket` of x (its first, lowest, highest and
/// last, in order): the drawing is the same at the screen's resolution, a
/// dip toward liquidation is never smoothed away, and a week of 5 s polls
/// draws a few thousand points per frame instead of a quarter million.
pub fn thin(seg: &[(f64, f64)], bucket: f64) -> Vec<(f64, f64)> {
    if bucket <= 0.0 || seg.len() <= 4 {
        return seg.to_vec();
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < seg.len() {
        let b = (seg[i].0 / bucket).floor();
        let (mut lo, mut hi, mut j) = (i, i, i);
        while j < seg.len() && (seg[j].0 / bucket).floor() == b {
            if seg[j].1 < seg[lo].1 {
                lo = j;
            }
            if seg[j].1 > seg[hi].1 {
                hi = j;
            }
            j += 1;
        }
        let mut keep = [i, lo, hi, j - 1];
        keep.sort_unstable();
        let mut last = None;
        for k in keep {
            if last != Some(k) {
                out.push(seg[k]);
                last = Some(k);
            }
        }
        i = j;
    }
    out
}

/// Each segment thinned to the braille dots of a plot `w` cells wide.
fn thinned(segs: Vec<Vec<(f64, f64)>>, secs: f64, w: u16) -> Vec<Vec<(f64, f64)>> {
    let bucket = secs / (2.0 * f64::from(w.max(1)));
    segs.iter().map(|s| thin(s, bucket)).collect()
}

/// The y bounds: the values and any lines that must show, with some room.
fn bounds(values: impl Iterator<Item = Decimal>, lines: &[Decimal]) -> Option<(Decimal, Decimal)> {
    let all: Vec<Decimal> = values.chain(lines.iter().copied()).collect();
    let lo = all.iter().min().copied()?;
    let hi = all.iter().max().copied()?;
    let room = match (hi - lo) / Decimal::TEN {
        r if r > Decimal::ZERO => r,
        _ => (hi.abs() / Decimal::TEN).max(Decimal::new(1, 2)),
    };
    Some((lo - room, hi + room))
}

/// "04:27" (1h, 24h) or "11-25 04:27" (7d), in the screen's zone.
fn time_labels(app: &App, from: DateTime<Utc>, to: DateTime<Utc>, w: u16) -> Vec<Line<'static>> {
    let fmt = if to - from > chrono::Duration::hours(36) {
        "%m-%d %H:%M"
    } else {
        "%H:%M"
    };
    let at = |t: DateTime<Utc>| {
        let z = app.zone().offset(t);
        t.with_timezone(&z).format(fmt).to_string()
    };
    let mid = from + (to - from) / 2;
    // Three labels need room for three; else the ends.
    if usize::from(w) >= 4 * at(from).len() {
        vec![at(from).into(), at(mid).into(), at(to).into()]
    } else {
        vec![at(from).into(), at(to).into()]
    }
}

fn line_dataset<'a>(data: &'a [(f64, f64)], style: Style, marker: Marker) -> Dataset<'a> {
    Dataset::default()
        .graph_type(GraphType::Line)
        .marker(marker)
        .style(style)
        .data(data)
}

fn x_axis(
    app: &App,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    w: u16,
    theme: &Theme,
) -> Axis<'static> {
    let secs = (to - from).num_milliseconds() as f64 / 1000.0;
    Axis::default()
        .style(theme.muted)
        .bounds([0.0, secs])
        .labels(time_labels(app, from, to, w))
}

fn y_axis(lo: Decimal, hi: Decimal, labels: [String; 2], theme: &Theme) -> Axis<'static> {
    Axis::default()
        .style(theme.muted)
        .bounds([lo.to_f64().unwrap_or(0.0), hi.to_f64().unwrap_or(1.0)])
        .labels(labels.map(Line::from))
}

/// The margin ratio with the warn and critical lines (named with their
/// values above the plot, so they read without color too).
fn ratio_chart(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    s: &Series,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    theme: &Theme,
) {
    let t = app.thresholds();
    let (warn, crit) = (t.margin_ratio_warn, t.margin_ratio_critical);
    let [head, plot] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("margin ratio  ", theme.title),
            Span::styled(
                format!("▀ warn {}", format::percent(Some(warn), false)),
                theme.warn,
            ),
            Span::raw("  "),
            Span::styled(
                format!("• crit {}", format::percent(Some(crit), false)),
                theme.critical,
            ),
        ])),
        head,
    );
    let values = s
        .points
        .iter()
        .filter(|p| p.ok)
        .filter_map(|p| p.margin_ratio);
    let Some((lo, hi)) = bounds(values, &[warn, crit]) else {
        return;
    };
    let secs = (to - from).num_milliseconds() as f64 / 1000.0;
    let segs = thinned(
        segments(&s.points, from, to, |p| p.margin_ratio),
        secs,
        plot.width,
    );
    let w_line = [
        (0.0, warn.to_f64().unwrap_or(0.0)),
        (secs, warn.to_f64().unwrap_or(0.0)),
    ];
    let c_line = [
        (0.0, crit.to_f64().unwrap_or(0.0)),
        (secs, crit.to_f64().unwrap_or(0.0)),
    ];
    // Drawn in order: the thresholds under the figure.
    let mut sets = vec![
        line_dataset(&w_line, theme.warn, Marker::HalfBlock),
        line_dataset(&c_line, theme.critical, Marker::Dot),
    ];
    sets.extend(
        segs.iter()
            .map(|seg| line_dataset(seg, theme.accent, Marker::Braille)),
    );
    let pct = |v: Decimal| format::percent(Some(v.round_dp(2)), false);
    let chart = Chart::new(sets)
        .x_axis(x_axis(app, from, to, plot.width, theme))
        .y_axis(y_axis(lo, hi, [pct(lo), pct(hi)], theme));
    frame.render_widget(chart, plot);
}

/// Net assets in the currency of the latest point (a point in another one
/// is a gap); masked in privacy mode.
fn net_chart(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    s: &Series,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    theme: &Theme,
) {
    let ccy = s
        .points
        .iter()
        .rev()
        .find(|p| p.ok && p.net_assets.is_some())
        .and_then(|p| p.currency.clone());
    let [head, plot] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let name = match &ccy {
        Some(c) => format!("net assets {c}"),
        None => "net assets".to_string(),
    };
    frame.render_widget(Paragraph::new(Span::styled(name, theme.title)), head);
    if app.privacy() {
        frame.render_widget(
            Paragraph::new(Line::styled("hidden (privacy)", theme.muted)),
            plot,
        );
        return;
    }
    let same = |p: &SeriesPoint| p.currency == ccy;
    let values = s
        .points
        .iter()
        .filter(|p| p.ok && same(p))
        .filter_map(|p| p.net_assets);
    let Some((lo, hi)) = bounds(values, &[]) else {
        return;
    };
    let secs = (to - from).num_milliseconds() as f64 / 1000.0;
    let segs = segments(&s.points, from, to, |p| {
        if same(p) { p.net_assets } else { None }
    });
    let segs = thinned(segs, secs, plot.width);
    let sets = segs
        .iter()
        .map(|seg| line_dataset(seg, theme.accent, Marker::Braille))
        .collect();
    let n = app.numbers();
    let amount = |v: Decimal| n.amount(Some(v), ccy.as_deref(), false);
    let chart = Chart::new(sets)
        .x_axis(x_axis(app, from, to, plot.width, theme))
        .y_axis(y_axis(lo, hi, [amount(lo), amount(hi)], theme));
    frame.render_widget(chart, plot);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn p(min: i64, ok: bool, r: Option<i64>) -> SeriesPoint {
        SeriesPoint {
            at: at(min),
            ok,
            margin_ratio: r.map(Decimal::from),
            net_assets: None,
            currency: None,
        }
    }

    #[test]
    fn a_failed_poll_breaks_the_line_until_the_next_good_point() {
        let pts = [
            p(0, true, Some(3)),
            p(10, true, Some(2)),
            p(20, false, None),
            p(40, true, Some(4)),
        ];
        let segs = segments(&pts, at(0), at(60), |p| p.margin_ratio);
        assert_eq!(
            segs,
            vec![
                vec![(0.0, 3.0), (600.0, 3.0), (600.0, 2.0), (1200.0, 2.0)],
                vec![(2400.0, 4.0), (3600.0, 4.0)],
            ]
        );
    }

    #[test]
    fn points_before_the_range_hold_into_it_and_a_missing_value_is_a_gap() {
        let pts = [
            p(-30, true, Some(3)),
            p(10, true, None),
            p(20, true, Some(5)),
        ];
        let segs = segments(&pts, at(0), at(30), |p| p.margin_ratio);
        assert_eq!(
            segs,
            vec![
                vec![(0.0, 3.0), (600.0, 3.0)],
                vec![(1200.0, 5.0), (1800.0, 5.0)]
            ]
        );
        // A point older than the range whose value ended before it: nothing.
        let old = [p(-30, true, Some(3)), p(-10, false, None)];
        assert!(segments(&old, at(0), at(30), |p| p.margin_ratio).is_empty());
    }

    #[test]
    fn thinning_keeps_each_buckets_ends_and_extremes_in_order() {
        let seg: Vec<(f64, f64)> = (0..10)
            .map(|k| (k as f64, [3., 1., 9., 4., 5., 2., 2., 8., 0., 6.][k]))
            .collect();
        // Buckets of 5: [0..5) and [5..10).
        assert_eq!(
            thin(&seg, 5.0),
            vec![
                (0., 3.),
                (1., 1.),
                (2., 9.),
                (4., 5.),
                (5., 2.),
                (7., 8.),
                (8., 0.),
                (9., 6.)
            ]
        );
        assert_eq!(thin(&seg, 0.5), seg, "finer than the points: all kept");
    }

    #[test]
    fn bounds_include_the_lines_with_room() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let (lo, hi) = bounds([d("3"), d("2")].into_iter(), &[d("1.5"), d("1.2")]).unwrap();
        assert_eq!((lo, hi), (d("1.02"), d("3.18")));
        // One flat value still gets a visible band.
        let (lo, hi) = bounds([d("2")].into_iter(), &[]).unwrap();
        assert_eq!((lo, hi), (d("1.8"), d("2.2")));
        assert_eq!(bounds(std::iter::empty(), &[]), None);
    }
}
