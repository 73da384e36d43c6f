//! The All tab: one row per account in the All tab's sort (worst first by
//! default; `App::overview_order`), the selected one highlighted (Enter
//! opens it), above it the filter being typed. Column widths are planned
//! from the window, not from the values shown, so a row changing severity
//! or a number gaining a digit does not move the other columns; on narrow
//! screens whole columns go by priority, never the severity or the data age.

use super::format::{self, clip, width};
use super::{data_is_old, privacy};
use crate::app::{App, OverviewSort};
use crate::health::Severity;
use crate::monitor::Status;
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

/// Below this many columns the severity column uses short words.
const COMPACT_BELOW: u16 = 80;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    /// An amount: right-aligned on its decimal point, digits never cut.
    Number,
    /// Takes the leftover width (the message column).
    Fill,
}

struct Col {
    header: &'static str,
    /// Lower is kept first when the screen is narrow; 0 is always kept.
    priority: u8,
    kind: Kind,
    /// The width planned for it, whatever the values.
    plan: usize,
    /// Which sort it shows the marker of.
    sort: Option<OverviewSort>,
    cells: Vec<(String, Style)>,
}

impl Col {
    fn new(header: &'static str, priority: u8, plan: usize) -> Self {
        Col {
            header,
            priority,
            kind: Kind::Text,
            plan,
            sort: None,
            cells: Vec::new(),
        }
    }
    fn number(mut self) -> Self {
        self.kind = Kind::Number;
        self
    }
    fn sorts(mut self, s: OverviewSort) -> Self {
        self.sort = Some(s);
        self
    }
    fn header_text(&self, app: &App) -> String {
        let s = app.overview_sort();
        match self.sort {
            Some(c) if c == s.column => {
                // The default direction of each sort: worst, biggest, lowest
                // ratio, oldest, A to Z first.
                let down = matches!(c, OverviewSort::Severity | OverviewSort::NetAssets);
                let arrow = if down != s.reversed { "▼" } else { "▲" };
                format!("{} {arrow}", self.header)
            }
            _ => self.header.to_string(),
        }
    }
    /// Its width: the plan, or more for a header or a number that needs it
    /// (a number's digits are never cut).
    fn width(&self, header: &str) -> usize {
        let need = match self.kind {
            Kind::Number => self.cells.iter().map(|(s, _)| width(s)).max().unwrap_or(0),
            _ => 0,
        };
        self.plan.max(width(header)).max(need)
    }
}

/// Planned widths: amounts up to a billion with 2 places, grouped, and a
/// currency ("1,234,567,890.12 HKD").
const NET_W: usize = 20;
const CASH_W: usize = 16;
/// Room beside the venue for " · Futures mode" (longer modes are clipped).
const VENUE_EXTRA: usize = 20;
/// The message column's planned width.
const MSG_MIN: usize = 12;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if app.accounts().is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("no accounts configured", theme.warn)),
            area,
        );
        return;
    }
    let filter_h = u16::from(
        !app.by_currency()
            && (!app.filter().is_empty() || app.input() == Some(&crate::app::Input::Filter)),
    );
    let [totals_a, filter_a, table_a] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(filter_h),
        Constraint::Fill(1),
    ])
    .areas(area);
    // The one total a treasury person looks for, first.
    frame.render_widget(
        Paragraph::new(super::totals::line(
            app.portfolio(),
            app.numbers(),
            app.privacy(),
            theme,
            usize::from(area.width),
        )),
        totals_a,
    );
    if app.by_currency() {
        // The sums, then the rates the total used, with source and age.
        let rates = super::totals::rate_lines(app.portfolio(), app.zone(), app.now(), theme);
        let rows = u16::try_from(app.portfolio().by_currency.len() + 2).unwrap_or(u16::MAX);
        let [sums_a, rates_a] =
            Layout::vertical([Constraint::Max(rows), Constraint::Fill(1)]).areas(table_a);
        super::totals::render_by_currency(
            frame,
            sums_a,
            app.portfolio(),
            app.numbers(),
            app.privacy(),
            app.row(),
            theme,
        );
        frame.render_widget(Paragraph::new(rates), rates_a);
        return;
    }
    let order = app.overview_order();
    if filter_h > 0 {
        frame.render_widget(
            Paragraph::new(filter_line(app, order.len(), theme)),
            filter_a,
        );
    }
    if order.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "no account matches the filter (Esc clears it)",
                theme.muted,
            )),
            table_a,
        );
        return;
    }
    table(frame, table_a, app, &order, theme);
}

/// "/ okx▏ 3 of 15 accounts · Enter keeps · Esc clears".
fn filter_line(app: &App, shown: usize, theme: &Theme) -> Line<'static> {
    let typing = app.input() == Some(&crate::app::Input::Filter);
    let mut spans = vec![
        Span::styled("/ ", theme.accent),
        Span::raw(app.filter().to_string()),
    ];
    if typing {
        spans.push(Span::styled("▏", theme.accent));
    }
    spans.push(Span::styled(
        format!(
            "  {shown} of {} accounts{}",
            app.accounts().len(),
            if typing {
                " · Enter keeps · Esc clears"
            } else {
                " · Esc clears"
            }
        ),
        theme.muted,
    ));
    Line::from(spans)
}

fn table(frame: &mut Frame, area: Rect, app: &App, order: &[usize], theme: &Theme) {
    let now = app.now();
    let t = app.thresholds();
    let p = app.privacy();
    let compact = area.width < COMPACT_BELOW;

    let name_w = app
        .accounts()
        .iter()
        .map(|a| width(&a.spec.name))
        .max()
        .unwrap_or(0)
        .clamp(8, 20);
    let venue_w = app
        .accounts()
        .iter()
        .map(|a| width(a.spec.venue.label()))
        .max()
        .unwrap_or(0);
    let mut sev = Col::new("worst", 0, if compact { 7 } else { 10 }).sorts(OverviewSort::Severity);
    let mut name = Col::new("account", 1, name_w).sorts(OverviewSort::Name);
    let mut mode = Col::new("mode", 2, 4);
    let mut net = Col::new("net assets", 1, NET_W)
        .number()
        .sorts(OverviewSort::NetAssets);
    let mut status = Col::new("status", 3, 12);
    let mut risk = Col::new("risk level", 6, 15);
    let mut margin = Col::new("margin", 8, 12).number();
    // The venue-neutral column: how far from the liquidation line.
    let mut headroom = Col::new("headroom", 4, 9)
        .number()
        .sorts(OverviewSort::Margin);
    // Never dropped: numbers without their age are not to be trusted.
    let mut age = Col::new("updated", 0, 14).sorts(OverviewSort::Updated);
    let mut venue = Col::new("venue", 6, venue_w).sorts(OverviewSort::Venue);
    // The venue with its account mode (OKX), in a wider column when the
    // window has room to spare for it.
    let mut venue_wide: Vec<String> = Vec::new();
    let mut cash = Col::new("cash", 7, CASH_W).number();
    let mut msg = Col::new("worst finding", 5, MSG_MIN);
    msg.kind = Kind::Fill;

    let selected = app.row().min(order.len() - 1);
    // Keep the selection in view: the first row shown follows from it.
    let visible = usize::from(area.height).saturating_sub(1).max(1);
    let first = (selected + 1).saturating_sub(visible);
    let shown: Vec<usize> = order.iter().copied().skip(first).take(visible).collect();
    // Amount texts first, to line their points up.
    let mut nets = Vec::new();
    let mut cashes = Vec::new();
    let n = app.numbers();
    for acc in shown.iter().filter_map(|&i| app.accounts().get(i)) {
        let totals = acc.snapshot.as_ref().map(|s| &s.totals);
        let ccy = totals.and_then(|t| t.currency.clone());
        let c = ccy.as_deref();
        nets.push((
            n.amount(totals.and_then(|t| t.net_assets), c, p),
            ccy.clone(),
        ));
        cashes.push((n.amount(totals.and_then(|t| t.total_cash), c, p), ccy));
    }
    let net_cells = aligned(&nets);
    let cash_cells = aligned(&cashes);

    for (k, acc) in shown
        .iter()
        .filter_map(|&i| app.accounts().get(i))
        .enumerate()
    {
        let st = acc.status(now, t);
        let worst = acc.worst(now, t);
        let data = if data_is_old(acc, st) {
            theme.stale
        } else {
            Style::new()
        };
        let snap = acc.snapshot.as_ref();
        // No data yet is no verdict: never "✓ OK" beside LOADING.
        sev.cells.push(if st == Status::Loading {
            (
                if compact { "… LOAD" } else { "… LOADING" }.into(),
                theme.muted,
            )
        } else {
            let word = match (compact, worst) {
                (true, Severity::Critical) => "CRIT",
                (true, Severity::Notice) => "NOTE",
                _ => worst.word(),
            };
            (format!("{} {word}", worst.symbol()), theme.severity(worst))
        });
        name.cells.push((acc.spec.name.clone(), theme.title));
        mode.cells.push(if acc.spec.demo {
            ("DEMO".into(), theme.notice)
        } else {
            ("LIVE".into(), theme.accent)
        });
        // A negative total stands out (its sign would leak in privacy mode).
        let amount_style = |v: Option<rust_decimal::Decimal>| {
            if format::is_negative(v) && !p {
                data.patch(theme.negative)
            } else {
                data
            }
        };
        let totals = snap.map(|s| &s.totals);
        net.cells.push((
            net_cells[k].clone(),
            amount_style(totals.and_then(|t| t.net_assets)),
        ));
        cash.cells.push((
            cash_cells[k].clone(),
            amount_style(totals.and_then(|t| t.total_cash)),
        ));
        status
            .cells
            .push((st.label().into(), theme.severity(st.severity())));
        let level_sev = acc
            .findings
            .iter()
            .find(|f| f.subject == "risk_level")
            .map(|f| f.severity);
        risk.cells.push((
            match snap.and_then(|s| s.risk.level) {
                Some(l) => format!("{} {}", l as u8, crate::health::level_word(l)),
                None => format::ABSENT.to_string(),
            },
            level_sev.map_or(data, |s| theme.severity(s)),
        ));
        // A ratio that is one currency's (OKX Futures mode) names it and
        // takes that currency's finding. Ratios stay visible in privacy mode.
        let ratio_sev = super::margin_ratio_finding(acc).map(|f| f.severity);
        let margin_sev = super::margin_finding(acc).map(|f| f.severity);
        let own = snap.and_then(|s| super::own_margin_figure(&s.risk));
        margin.cells.push((
            match (
                own,
                snap.and_then(|s| s.risk.margin_ratio_currency.as_deref()),
            ) {
                (Some(r), Some(c)) => format!("{c} {r}"),
                (Some(r), None) => r,
                (None, _) => format::ABSENT.to_string(),
            },
            ratio_sev.or(margin_sev).map_or(data, |s| theme.severity(s)),
        ));
        let room = format::percent(
            snap.and_then(|s| s.risk.headroom.as_ref())
                .map(|h| h.fraction),
            false,
        );
        // The 24h trend of the margin ratio: a shape, and a word without color.
        let room = match app.trend(acc) {
            Some(t) if theme.mono => format!("{room} {}{}", t.symbol(), t.word()),
            Some(t) => format!("{room} {}", t.symbol()),
            None => room,
        };
        headroom
            .cells
            .push((room, margin_sev.map_or(data, |s| theme.severity(s))));
        age.cells.push((
            match snap {
                Some(s) => app.zone().age(now, s.fetched_at),
                None => super::updated(app, acc),
            },
            if st == Status::Stale {
                theme.warn
            } else {
                theme.muted
            },
        ));
        let v = acc.spec.venue.label();
        venue.cells.push((v.into(), Style::new()));
        venue_wide.push(match snap.and_then(|s| s.account_mode.as_deref()) {
            Some(m) if !m.is_empty() => format!("{v} · {m}"),
            _ => v.into(),
        });
        let (text, s) = match (acc.findings.first(), &acc.last_error) {
            (_, Some(e)) if st != Status::Ok => (e.clone(), st.severity()),
            (Some(f), _) => (f.message.clone(), f.severity),
            (None, _) if st == Status::Stale => ("no fresh data".into(), Severity::Warn),
            // A warning that cleared by itself stays until acknowledged.
            (None, _) => match acc.worst_mark() {
                Some(m) => (m.text_at(app.zone().offset(m.to)), m.severity),
                None => (String::new(), Severity::Ok),
            },
        };
        msg.cells
            .push((privacy::text(&text, p).into_owned(), theme.severity(s)));
    }

    let mut cols = [
        sev, name, status, venue, mode, net, cash, risk, headroom, margin, age, msg,
    ];
    const VENUE: usize = 3;
    let headers: Vec<String> = cols.iter().map(|c| c.header_text(app)).collect();
    let mut widths: Vec<usize> = cols.iter().zip(&headers).map(|(c, h)| c.width(h)).collect();
    // Keep columns by priority while they fit, then show them in display order.
    let total = usize::from(area.width);
    let mut by_priority: Vec<usize> = (0..cols.len()).collect();
    by_priority.sort_by_key(|&i| cols[i].priority);
    let mut keep = vec![false; cols.len()];
    let mut used = 0;
    for i in by_priority {
        let w = widths[i] + usize::from(used > 0);
        if used + w <= total || cols[i].priority == 0 {
            keep[i] = true;
            used += w;
        }
    }
    // Room for the account modes: what is left past a readable message.
    if keep[VENUE] && total.saturating_sub(used) >= VENUE_EXTRA {
        widths[VENUE] += VENUE_EXTRA;
        for (cell, wide) in cols[VENUE].cells.iter_mut().zip(venue_wide) {
            cell.0 = wide;
        }
    }
    let shown_cols: Vec<usize> = (0..cols.len()).filter(|&i| keep[i]).collect();
    let spacing = shown_cols.len().saturating_sub(1);
    let fixed: usize = shown_cols
        .iter()
        .filter(|&&i| cols[i].kind != Kind::Fill)
        .map(|&i| widths[i])
        .sum();
    let fill_w = total.saturating_sub(fixed + spacing);

    let constraints: Vec<Constraint> = shown_cols
        .iter()
        .map(|&i| match cols[i].kind {
            Kind::Fill => Constraint::Fill(1),
            _ => Constraint::Length(u16::try_from(widths[i]).unwrap_or(u16::MAX)),
        })
        .collect();
    let header = Row::new(shown_cols.iter().map(|&i| {
        let line = Line::from(headers[i].clone());
        Cell::from(if cols[i].kind == Kind::Number {
            line.right_aligned()
        } else {
            line
        })
    }))
    .style(theme.title);
    let rows = (0..shown.len()).map(|r| {
        let row_style = if first + r == selected {
            theme.selected
        } else {
            Style::new()
        };
        Row::new(shown_cols.iter().map(|&i| {
            let c = &cols[i];
            let (text, style) = &c.cells[r];
            match c.kind {
                Kind::Number => Cell::from(Line::styled(text.clone(), *style).right_aligned()),
                Kind::Fill => Cell::from(Line::styled(clip(text, fill_w), *style)),
                Kind::Text => Cell::from(Line::styled(clip(text, widths[i]), *style)),
            }
        }))
        .style(row_style)
    });
    frame.render_widget(
        Table::new(rows, constraints)
            .header(header)
            .column_spacing(1),
        area,
    );
}

/// Amounts with their currencies, padded so the decimal points line up and
/// the currencies start in one column: "  1,234.50 USD", "12.00000000 BTC".
fn aligned(vals: &[(String, Option<String>)]) -> Vec<String> {
    let (int_w, frac_w) = format::point_widths(vals.iter().map(|(v, _)| v.as_str()));
    let ccy_w = vals
        .iter()
        .map(|(_, c)| c.as_deref().map_or(0, width))
        .max()
        .unwrap_or(0);
    vals.iter()
        .map(|(v, c)| {
            let num = format::align_point(v, int_w, frac_w, int_w + frac_w);
            match c {
                // An absent value has no currency to show.
                Some(c) if v != format::ABSENT => format!("{num} {c:<ccy_w$}"),
                _ if ccy_w > 0 => format!("{num} {}", " ".repeat(ccy_w)),
                _ => num,
            }
        })
        .collect()
}
