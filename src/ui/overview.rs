//! The All tab: one row per account, worst first (`App::overview_order`), the
//! selected one highlighted (Enter opens it). On narrow screens whole columns
//! are dropped by priority instead of cutting numbers.

use super::format::{self, clip, fit_number, width};
use super::{data_is_old, shrink_widths};
use crate::app::App;
use crate::health::Severity;
use crate::monitor::Status;
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

struct Col {
    header: &'static str,
    /// Lower is kept first when the screen is narrow.
    priority: u8,
    number: bool,
    /// Takes the leftover width (the message column).
    fill: bool,
    /// Widest a cell may be before it is clipped; 0: the default.
    max: usize,
    cells: Vec<(String, Style)>,
    /// Longer cells to use when every kept column still leaves room for them.
    wide: Vec<(String, Style)>,
}

impl Col {
    fn new(header: &'static str, priority: u8) -> Self {
        Col {
            header,
            priority,
            number: false,
            fill: false,
            max: 0,
            cells: Vec::new(),
            wide: Vec::new(),
        }
    }
    fn width(&self) -> usize {
        if self.fill {
            return 12;
        }
        let cap = match self.max {
            0 if self.number => 26,
            0 => 20,
            m => m,
        };
        self.cells
            .iter()
            .map(|(s, _)| width(s))
            .chain([width(self.header)])
            .max()
            .unwrap_or(0)
            .min(cap)
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if app.accounts().is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("no accounts configured", theme.warn)),
            area,
        );
        return;
    }
    let now = app.now();
    let t = app.thresholds();
    let p = app.privacy();

    let mut sev = Col::new("", 0);
    let mut name = Col::new("account", 1);
    let mut mode = Col::new("mode", 2);
    let mut net = Col {
        number: true,
        ..Col::new("net assets", 1)
    };
    let mut status = Col::new("status", 3);
    let mut risk = Col::new("risk level", 6);
    let mut margin = Col {
        number: true,
        ..Col::new("margin", 4)
    };
    let mut age = Col::new("updated", 5);
    // The venue, and its account mode (OKX) when there is room to spare.
    let mut venue = Col {
        max: 30,
        ..Col::new("venue", 6)
    };
    let mut cash = Col {
        number: true,
        ..Col::new("cash", 7)
    };
    let mut msg = Col {
        fill: true,
        ..Col::new("worst finding", 8)
    };

    let order = app.overview_order();
    let selected = app.row().min(order.len() - 1);
    // Keep the selection in view: the first row shown follows from it.
    let visible = usize::from(area.height).saturating_sub(1).max(1);
    let first = (selected + 1).saturating_sub(visible);
    for acc in order
        .iter()
        .skip(first)
        .filter_map(|&i| app.accounts().get(i))
    {
        let st = acc.status(now, t);
        let worst = acc.worst(now, t);
        let data = if data_is_old(acc, st) {
            theme.stale
        } else {
            Style::new()
        };
        let snap = acc.snapshot.as_ref();
        let totals = snap.map(|s| &s.totals);
        let ccy = totals.and_then(|t| t.currency.as_deref());

        // No data yet is no verdict: never "✓ OK" beside LOADING.
        sev.cells.push(if st == Status::Loading {
            ("… LOADING".into(), theme.muted)
        } else {
            (
                format!("{} {}", worst.symbol(), worst.word()),
                theme.severity(worst),
            )
        });
        name.cells.push((acc.spec.name.clone(), theme.title));
        mode.cells.push(if acc.spec.demo {
            ("DEMO".into(), theme.notice)
        } else {
            ("LIVE".into(), theme.accent)
        });
        net.cells.push((
            format::amount_ccy(totals.and_then(|t| t.net_assets), ccy, p),
            data,
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
        // takes that currency's finding.
        let ratio_sev = super::margin_ratio_finding(acc).map(|f| f.severity);
        let ratio = format::percent(snap.and_then(|s| s.risk.margin_ratio), p);
        margin.cells.push((
            match snap.and_then(|s| s.risk.margin_ratio_currency.as_deref()) {
                Some(c) => format!("{c} {ratio}"),
                None => ratio,
            },
            ratio_sev.map_or(data, |s| theme.severity(s)),
        ));
        age.cells.push((
            match snap {
                Some(s) => format::ago(now, s.fetched_at),
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
        venue.wide.push((
            match snap.and_then(|s| s.account_mode.as_deref()) {
                Some(m) if !m.is_empty() => format!("{v} · {m}"),
                _ => v.into(),
            },
            Style::new(),
        ));
        cash.cells
            .push((format::amount(totals.and_then(|t| t.total_cash), p), data));
        let (text, s) = match (acc.findings.first(), &acc.last_error) {
            (_, Some(e)) if st != Status::Ok => (e.clone(), st.severity()),
            (Some(f), _) => (f.message.clone(), f.severity),
            (None, _) if st == Status::Stale => ("no fresh data".into(), Severity::Warn),
            // A warning that cleared by itself stays until acknowledged.
            (None, _) => match acc.worst_mark() {
                Some(m) => (m.text(), m.severity),
                None => (String::new(), Severity::Ok),
            },
        };
        msg.cells
            .push((format::text(&text, p).into_owned(), theme.severity(s)));
    }

    let mut cols = [
        sev, name, status, venue, mode, net, cash, risk, margin, age, msg,
    ];
    // Keep columns by priority while they fit, then show them in display order.
    let total = usize::from(area.width);
    let mut order: Vec<usize> = (0..cols.len()).collect();
    order.sort_by_key(|&i| cols[i].priority);
    let mut keep = vec![false; cols.len()];
    let mut used = 0;
    for i in order {
        let w = cols[i].width() + usize::from(used > 0);
        if used + w <= total {
            keep[i] = true;
            used += w;
        }
    }
    // Then the longer cells where the room left allows (only the message
    // column, which takes what is left, gets narrower).
    for (c, _) in cols.iter_mut().zip(&keep).filter(|(_, k)| **k) {
        if c.wide.is_empty() {
            continue;
        }
        let narrow_w = c.width();
        let wide = std::mem::take(&mut c.wide);
        let narrow = std::mem::replace(&mut c.cells, wide);
        let extra = c.width().saturating_sub(narrow_w);
        if used + extra <= total {
            used += extra;
        } else {
            c.cells = narrow;
        }
    }
    let shown: Vec<&Col> = cols
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(c, _)| c)
        .collect();
    let mut widths: Vec<usize> = shown.iter().map(|c| c.width()).collect();
    let spacing = shown.len().saturating_sub(1);
    shrink_widths(&mut widths, total.saturating_sub(spacing), 4);
    // The message column gets what is left, and a cut message says so.
    let fixed: usize = shown
        .iter()
        .zip(&widths)
        .filter(|(c, _)| !c.fill)
        .map(|(_, w)| w)
        .sum();
    let fill_w = total.saturating_sub(fixed + spacing);

    let constraints: Vec<Constraint> = shown
        .iter()
        .zip(&widths)
        .map(|(c, w)| {
            if c.fill {
                Constraint::Fill(1)
            } else {
                Constraint::Length(u16::try_from(*w).unwrap_or(u16::MAX))
            }
        })
        .collect();
    let header = Row::new(shown.iter().map(|c| {
        let line = Line::from(c.header);
        Cell::from(if c.number { line.right_aligned() } else { line })
    }))
    .style(theme.title);
    let n = shown.first().map_or(0, |c| c.cells.len());
    let rows = (0..n).map(|r| {
        let row_style = if first + r == selected {
            theme.selected
        } else {
            Style::new()
        };
        Row::new(shown.iter().zip(&widths).map(|(c, w)| {
            let (text, style) = &c.cells[r];
            if c.number {
                Cell::from(Line::styled(fit_number(text, *w), *style).right_aligned())
            } else if c.fill {
                Cell::from(Line::styled(clip(text, fill_w), *style))
            } else {
                Cell::from(Line::styled(clip(text, *w), *style))
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
