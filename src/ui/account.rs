//! One account's tab: title line, reason line when not OK, the per-currency
//! balances (sorted, selection kept in view, points aligned), then the margin
//! pane (ratio, gauge, thresholds, sparkline), totals, the risk pane (venue
//! level on its four-step scale, margins, indicators) and findings.

use super::format::{self, Numbers, clip, width};
use super::{data_is_old, margin_ratio_finding, shrink_widths};
use crate::app::{App, SortColumn};
use crate::health::Thresholds;
use crate::health::{Finding, Severity};
use crate::model::{CurrencyBalance, RiskLevel, Snapshot};
use crate::monitor::{Account, Status};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Sparkline, Table, Wrap};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// One amount column of the balances table (the currency column is apart).
struct Column {
    header: String,
    /// Findings about a cell have the subject `<CCY>.<key>` (`USDT.available`,
    /// `USDT.margin_ratio`).
    key: &'static str,
    get: fn(&CurrencyBalance) -> Option<Decimal>,
    /// A plain ratio, shown as percent.
    percent: bool,
    /// In the totals currency (OKX `eqUsd`), not the row's.
    in_base: bool,
    sort: Option<SortColumn>,
    /// Shown only when some row has a value, and given up first for room;
    /// a `risk` one is never given up.
    optional: bool,
    risk: bool,
}

impl Column {
    fn base(header: &str, sort: SortColumn, get: fn(&CurrencyBalance) -> Option<Decimal>) -> Self {
        Column {
            header: header.to_string(),
            key: sort.name(),
            get,
            percent: false,
            in_base: false,
            sort: Some(sort),
            optional: false,
            risk: false,
        }
    }
    fn extra(
        header: &str,
        key: &'static str,
        get: fn(&CurrencyBalance) -> Option<Decimal>,
    ) -> Self {
        Column {
            header: header.to_string(),
            key,
            get,
            percent: false,
            in_base: false,
            sort: None,
            optional: true,
            risk: false,
        }
    }
    /// The cell's text: a ratio as percent, an amount in the places of its
    /// currency (the row's, or the totals' for an `in_base` column).
    fn text(&self, c: &CurrencyBalance, base: Option<&str>, n: &Numbers, privacy: bool) -> String {
        let v = (self.get)(c);
        // Ratios tell how bad, not how much: privacy mode leaves them.
        if self.percent {
            format::percent(v, false)
        } else if self.in_base {
            n.amount(v, base, privacy)
        } else {
            n.amount(v, Some(&c.currency), privacy)
        }
    }
}

/// The columns of the balances table, named as the venue's document names the
/// field: the six every venue maps, then those only some venues report, each
/// shown only when a row has a value. The per-currency margin ratio (OKX
/// Futures mode) sits next to the currency, where it cannot be missed.
fn columns(snap: &Snapshot, rows: &[&CurrencyBalance]) -> Vec<Column> {
    let base = snap.totals.currency.as_deref().unwrap_or("base");
    let mut all = vec![
        Column {
            percent: true,
            risk: true,
            ..Column::extra("margin ratio", "margin_ratio", |c| c.margin_ratio)
        },
        Column::base("cash", SortColumn::Cash, |c| c.cash),
        Column::base("available", SortColumn::Available, |c| c.available),
        Column::base("frozen", SortColumn::Frozen, |c| c.frozen),
        Column::base("settling", SortColumn::Settling, |c| c.settling),
        Column::base("withdrawable", SortColumn::Withdrawable, |c| c.withdrawable),
        Column::base("equity", SortColumn::Equity, |c| c.equity),
        // Webull `pending_incoming` (在途资金): funds in transit, not settling.
        Column::extra("in transit", "in_transit", |c| c.in_transit),
        // LongPort `frozen_transaction_fees`: a currency may have only these.
        Column::extra("frozen fees", "frozen_fees", |c| c.frozen_fees),
        // OKX `liab`, `interest` (accrued) / Webull `interests_unpaid`.
        Column::extra("liabilities", "liabilities", |c| c.liabilities),
        Column::extra("interest", "interest", |c| c.interest),
        // Bybit `walletBalance` (includes spot borrowing) and `spotBorrow`.
        Column::extra("wallet balance", "wallet_balance", |c| c.wallet_balance),
        Column::extra("spot borrow", "spot_borrow", |c| c.spot_borrow),
        // Webull `margin_power` (融资购买力) and `positions_market_value`.
        Column::extra("margin buying power", "buying_power", |c| c.buying_power),
        Column::extra("market value", "market_value", |c| c.market_value),
        // OKX `eqUsd`: the currency's equity valued in the totals currency.
        Column {
            in_base: true,
            ..Column::extra(&format!("value {base}"), "value_in_base", |c| {
                c.value_in_base
            })
        },
    ];
    all.retain(|col| !col.optional || rows.iter().any(|c| (col.get)(c).is_some()));
    all
}

/// Lines of the summary before the findings: rule, margin, totals, risk.
const SUMMARY_FIXED: usize = 4;

pub fn render(frame: &mut Frame, area: Rect, app: &App, i: usize, theme: &Theme) {
    let Some(acc) = app.accounts().get(i) else {
        return;
    };
    let status = acc.status(app.now(), app.thresholds());
    let old = data_is_old(acc, status);

    let title = title_line(app, acc, status, theme, usize::from(area.width));
    let reason = reason_line(app, acc, status, theme);
    let rows = app.rows(i);
    // A caption line says how many zero rows are hidden.
    let caption = usize::from(app.hide_zero());
    let table_need = 1 + caption + rows.len().max(1);
    let table_min = table_need.min(3 + caption);
    let findings_n = acc.findings.len().max(1);
    let summary_need = if acc.snapshot.is_some() {
        SUMMARY_FIXED + findings_n
    } else {
        0
    };
    // A long error may wrap onto up to 3 lines, using only space nobody else needs.
    let height = usize::from(area.height);
    let reason_h = match &reason {
        None => 0,
        Some(l) => {
            let slack = height.saturating_sub(2 + table_need + summary_need);
            l.width()
                .div_ceil(usize::from(area.width.max(1)))
                .clamp(1, 1 + slack.min(2))
        }
    };
    let rest = height.saturating_sub(1 + reason_h);
    let summary_h = summary_need.min(rest.saturating_sub(table_min));
    // The history pane: a chart may take the balances down to their least
    // (they scroll); a one-line note only takes room nobody else needs.
    let spare = rest - summary_h;
    let history_h = if acc.snapshot.is_none() {
        0
    } else if super::chart::has_chart(app) {
        match spare.saturating_sub(table_min) {
            n if n >= super::chart::CHART_MIN => spare
                .saturating_sub(table_need)
                .clamp(super::chart::CHART_MIN, n.min(super::chart::CHART_MAX)),
            _ => 0,
        }
    } else if spare >= table_need + super::chart::NOTE_HEIGHT {
        super::chart::NOTE_HEIGHT
    } else {
        0
    };
    let table_h = table_need.min(spare - history_h);

    let h = |n: usize| Constraint::Length(u16::try_from(n).unwrap_or(u16::MAX));
    let [title_a, reason_a, table_a, summary_a, history_a] =
        Layout::vertical([h(1), h(reason_h), h(table_h), h(summary_h), h(history_h)]).areas(area);

    frame.render_widget(Paragraph::new(title), title_a);
    if let Some(r) = reason {
        frame.render_widget(Paragraph::new(r).wrap(Wrap { trim: false }), reason_a);
    }
    match &acc.snapshot {
        Some(snap) => {
            balances(frame, table_a, app, acc, snap, &rows, old, theme);
            summary(frame, summary_a, app, acc, snap, old, theme);
            super::chart::render(frame, history_a, app, theme);
        }
        None => {
            let text = match status {
                Status::Loading => "waiting for the first answer…",
                _ => "no data yet",
            };
            frame.render_widget(Paragraph::new(Line::styled(text, theme.muted)), table_a);
        }
    }
}

/// The fetch status and the data's age, apart from the risk: "✓ data fresh
/// 2s", "▲ STALE data as of 14:02:11", "✖ AUTH FAILED no data yet".
fn data_badge(
    app: &App,
    acc: &Account,
    status: Status,
    compact: bool,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let sev = status.severity();
    let age = acc
        .snapshot
        .as_ref()
        .map(|s| app.zone().age(app.now(), s.fetched_at));
    match status {
        Status::Loading => match &acc.snapshot {
            // The store's last known values, until the first poll answers.
            Some(snap) => vec![
                Span::styled("… LOADING", theme.muted),
                Span::styled(
                    format!(
                        " last known, updated {}",
                        format::ago(app.now(), snap.fetched_at)
                    ),
                    theme.warn,
                ),
            ],
            None => vec![Span::styled("… LOADING", theme.muted)],
        },
        Status::Ok => {
            let age = age.unwrap_or_default();
            let age = age.strip_suffix(" ago").unwrap_or(&age).to_string();
            let text = if compact {
                format!("✓ fresh {age}")
            } else {
                format!("✓ data fresh {age}")
            };
            vec![Span::styled(text, theme.ok)]
        }
        _ => vec![
            Span::styled(
                format!("{} {}", sev.symbol(), status.label()),
                theme.badge(sev),
            ),
            Span::styled(
                match age {
                    Some(a) => format!(" data {a}"),
                    None => " no data yet".to_string(),
                },
                if status == Status::Stale {
                    theme.warn
                } else {
                    theme.muted
                },
            ),
        ],
    }
}

/// The risk verdict of the numbers (their findings), apart from the fetch:
/// "risk ▲ WARN". None before any data.
fn risk_badge(acc: &Account, compact: bool, theme: &Theme) -> Option<Vec<Span<'static>>> {
    acc.snapshot.as_ref()?;
    let sev = crate::health::worst(&acc.findings);
    let word = match (compact, sev) {
        (true, Severity::Critical) => "CRIT",
        (true, Severity::Notice) => "NOTE",
        _ => sev.word(),
    };
    let style = if sev == Severity::Ok {
        theme.ok
    } else {
        theme.badge(sev)
    };
    Some(vec![
        Span::styled("risk ", theme.muted),
        Span::styled(format!("{} {word}", sev.symbol()), style),
    ])
}

/// Always names the account, its fetch status with the data's age, and its
/// risk; then, as room allows, LIVE/DEMO, the venue, the account mode and the
/// extras. The name is clipped (to 8 cells at least) before any of the first
/// three goes.
fn title_line(app: &App, acc: &Account, status: Status, theme: &Theme, w: usize) -> Line<'static> {
    let full = title_parts(app, acc, status, false, theme, w);
    let parts = if NAME_MIN + need(&full) > w {
        // Still too wide: the short words ("✓ fresh 3s", "risk ✖ CRIT").
        title_parts(app, acc, status, true, theme, w)
    } else {
        full
    };
    let sep = || Span::styled(" · ", theme.muted);
    let name_w = w.saturating_sub(need(&parts)).max(NAME_MIN);
    let mut spans = vec![Span::styled(clip(&acc.spec.name, name_w), theme.title)];
    for (_, p) in parts {
        spans.push(sep());
        spans.extend(p);
    }
    Line::from(spans)
}

/// The fewest cells of the account name in its title.
const NAME_MIN: usize = 8;

type TitlePart = (u8, Vec<Span<'static>>);

/// Cells the parts take with their separators.
fn need(parts: &[TitlePart]) -> usize {
    parts
        .iter()
        .map(|(_, s)| 3 + s.iter().map(Span::width).sum::<usize>())
        .sum()
}

/// The title's parts after the name, (priority, spans) in display order,
/// with those least needed given up until a readable name fits in `w`.
fn title_parts(
    app: &App,
    acc: &Account,
    status: Status,
    compact: bool,
    theme: &Theme,
    w: usize,
) -> Vec<TitlePart> {
    // (priority: lower is kept first, spans), in display order.
    let mut parts: Vec<TitlePart> = vec![
        (3, vec![Span::raw(acc.spec.venue.label())]),
        (
            2,
            vec![if acc.spec.demo {
                Span::styled("DEMO", theme.badge(Severity::Notice))
            } else {
                Span::styled("LIVE", theme.accent)
            }],
        ),
        (0, data_badge(app, acc, status, compact, theme)),
    ];
    if let Some(r) = risk_badge(acc, compact, theme) {
        parts.push((1, r));
    }
    // The account mode changes what the venue's fields mean (OKX): right after
    // the venue, "OKX · Futures mode" (the margin pane's rule names it too).
    if let Some(mode) = acc
        .snapshot
        .as_ref()
        .and_then(|s| s.account_mode.as_deref())
        && !mode.is_empty()
    {
        parts.insert(1, (4, vec![Span::raw(mode.to_string())]));
    }
    if status != Status::Ok
        && let Some(at) = acc.last_attempt_at
        && acc.snapshot.as_ref().is_none_or(|s| s.fetched_at != at)
    {
        parts.push((
            5,
            vec![Span::styled(
                format!("last try {}", format::ago(app.now(), at)),
                theme.muted,
            )],
        ));
    }
    if let Some(next) = acc.next_poll_at {
        parts.push((
            6,
            vec![Span::styled(
                format!("next {}", format::until(app.now(), next)),
                theme.muted,
            )],
        ));
    }
    // "interval raised to 3s" (the reason is in the events pane).
    if let Some(note) = &acc.spec.interval_note {
        let short = note.split(':').next().unwrap_or(note).to_string();
        parts.push((7, vec![Span::styled(short, theme.muted)]));
    }
    // Enough of the venue's account id to tell accounts apart, not to use it.
    if let Some(id) = &acc.spec.account_id {
        parts.push((
            8,
            vec![Span::styled(
                format!("acct {}", format::mask_id(id)),
                theme.muted,
            )],
        ));
    }
    let name_w = width(&acc.spec.name).min(12);
    // Give up the least needed part until a readable name fits beside the rest.
    while name_w + need(&parts) > w {
        let Some(worst) = parts
            .iter()
            .enumerate()
            .filter(|(_, (p, _))| *p > 1)
            .max_by_key(|(_, (p, _))| *p)
            .map(|(i, _)| i)
        else {
            break;
        };
        parts.remove(worst);
    }
    parts
}

/// Why the account is not OK, or its worst finding; None when all is well.
fn reason_line(app: &App, acc: &Account, status: Status, theme: &Theme) -> Option<Line<'static>> {
    let p = app.privacy();
    let age = acc
        .snapshot
        .as_ref()
        .map(|s| app.zone().age(app.now(), s.fetched_at));
    let (sev, label, text) = match status {
        Status::Ok => match (acc.findings.first(), acc.worst_mark()) {
            (Some(f), _) => {
                let more = acc.findings.len() - 1;
                let mut text = f.message.clone();
                if more > 0 {
                    text.push_str(&format!(" (+{more} more below)"));
                }
                (f.severity, f.severity.word(), text)
            }
            // Cleared by itself, not acknowledged yet: it stays in sight.
            (None, Some(m)) => {
                let more = acc.marks.len() - 1;
                let mut text = m.text_at(app.zone().offset(m.to));
                if more > 0 {
                    text.push_str(&format!(" (+{more} more)"));
                }
                text.push_str(" · a: acknowledge");
                (m.severity, "CLEARED", text)
            }
            (None, None) => return None,
        },
        Status::Loading => (
            Severity::Notice,
            "LOADING",
            match &acc.snapshot {
                Some(snap) => format!(
                    "waiting for {}; the values below are the last known, from {} ({})",
                    acc.spec.venue.label(),
                    app.zone()
                        .age(app.now(), snap.fetched_at)
                        .trim_start_matches("as of "),
                    format::ago(app.now(), snap.fetched_at),
                ),
                None => format!("waiting for {}", acc.spec.venue.label()),
            },
        ),
        Status::Stale => (
            Severity::Warn,
            "STALE",
            format!(
                "no fresh data since {}; polls every {}",
                age.as_deref()
                    .map_or("start", |a| a.strip_prefix("as of ").unwrap_or(a)),
                format::duration(i64::try_from(acc.spec.poll_interval.as_secs()).unwrap_or(0))
            ),
        ),
        Status::RateLimited
        | Status::Banned
        | Status::AuthFailed
        | Status::Error
        | Status::ConfigError => {
            let mut text = acc
                .last_error
                .clone()
                .unwrap_or_else(|| "no detail".to_string());
            if let Some(a) = &age {
                let a = a.strip_prefix("as of ").unwrap_or(a);
                text.push_str(&format!(" — numbers below are from {a}"));
            }
            // What to do: polling has stopped until the key is fixed.
            if status == Status::AuthFailed {
                let reload = app
                    .keymap()
                    .bindings
                    .iter()
                    .find(|b| b.action == crate::keymap::Action::Reload)
                    .map_or_else(|| "c".to_string(), |b| b.label());
                let place = acc
                    .spec
                    .source
                    .as_deref()
                    .map_or_else(|| "the config file".to_string(), |s| s.to_string());
                text = format!(
                    "polling stopped: fix the key in {place}, then press {reload} · {text}"
                );
            }
            (status.severity(), status.label(), text)
        }
    };
    Some(Line::from(vec![
        Span::styled(format!("{} {label}", sev.symbol()), theme.badge(sev)),
        Span::raw(" "),
        Span::styled(
            super::privacy::text(&text, p).into_owned(),
            theme.severity(sev),
        ),
    ]))
}

/// Worst finding about `subject`, e.g. "margin_ratio" or "USDT.available".
fn finding_for<'a>(acc: &'a Account, subject: &str) -> Option<&'a Finding> {
    // Findings are worst first.
    acc.findings.iter().find(|f| f.subject == subject)
}

/// An amount's style: its finding's badge when it has one, else the negative
/// style below zero (not in privacy mode: the color would tell the sign).
fn amount_style(
    f: Option<&Finding>,
    negative: bool,
    privacy: bool,
    base: Style,
    theme: &Theme,
) -> Style {
    match f {
        Some(f) => theme.badge(f.severity),
        None if negative && !privacy => base.patch(theme.negative),
        None => base,
    }
}

/// Header text of a column, with the sort marker on the sorted one: amounts
/// sort largest first (▼), currencies A to Z (▲); `S` turns the marker.
fn header_text(col: Option<&Column>, sort: crate::app::Sort<SortColumn>) -> String {
    let arrow = |down: bool| if down != sort.reversed { "▼" } else { "▲" };
    match col {
        None if sort.column == SortColumn::Currency => format!("currency {}", arrow(false)),
        None => "currency".to_string(),
        Some(c) if c.sort == Some(sort.column) => format!("{} {}", c.header, arrow(true)),
        Some(c) => c.header.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
fn balances(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    acc: &Account,
    snap: &Snapshot,
    rows: &[&CurrencyBalance],
    old: bool,
    theme: &Theme,
) {
    let hidden = snap.currencies.len() - rows.len();
    let area = if app.hide_zero() && area.height > 0 {
        let [cap, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("zero rows hidden ({hidden})"),
                theme.muted,
            )),
            cap,
        );
        rest
    } else {
        area
    };
    if rows.is_empty() {
        let text = if snap.currencies.is_empty() {
            "no balances reported"
        } else {
            "every row is zero"
        };
        frame.render_widget(Paragraph::new(Line::styled(text, theme.muted)), area);
        return;
    }
    let p = app.privacy();
    let numbers = app.numbers();
    let base_ccy = snap.totals.currency.as_deref();
    let base = if old { theme.stale } else { Style::new() };
    let fields = columns(snap, rows);
    let n_cols = 1 + fields.len();

    // Row texts for every shown row (not only visible ones) so widths stay put
    // while scrolling.
    let texts: Vec<(String, Option<Severity>, Vec<String>)> = rows
        .iter()
        .map(|c| {
            let worst = acc
                .findings
                .iter()
                .filter(|f| {
                    f.subject
                        .split_once('.')
                        .is_some_and(|(ccy, _)| ccy == c.currency)
                })
                .map(|f| f.severity)
                .max();
            // A row from another account-currency view says which (LongPort).
            // A row from another account-currency view says which (LongPort),
            // a row of one of several wallets says which (Binance).
            let name = match (&c.view, &c.wallet) {
                (Some(v), _) => format!("{} ({v} view)", c.currency),
                (None, Some(w)) => format!("{} · {w}", c.currency),
                (None, None) => c.currency.clone(),
            };
            let label = match worst {
                Some(s) => format!("{} {name}", s.symbol()),
                None => format!("  {name}"),
            };
            let vals = fields
                .iter()
                .map(|f| f.text(c, base_ccy, numbers, p))
                .collect();
            (label, worst, vals)
        })
        .collect();

    // Per amount column: integer and fraction widths, so the points line up.
    let points: Vec<(usize, usize)> = (0..fields.len())
        .map(|k| format::point_widths(texts.iter().map(|(_, _, vals)| vals[k].as_str())))
        .collect();
    let headers: Vec<String> = std::iter::once(header_text(None, app.balance_sort()))
        .chain(
            fields
                .iter()
                .map(|f| header_text(Some(f), app.balance_sort())),
        )
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| width(h)).collect();
    for (label, _, _) in &texts {
        widths[0] = widths[0].max(width(label)).min(22);
    }
    for (w, (int_w, frac_w)) in widths[1..].iter_mut().zip(&points) {
        *w = (*w).max(int_w + frac_w);
    }
    // Too narrow: first drop columns the venue does not report at all (all "—"),
    // which loses nothing; then the extra columns only some venues have, the
    // rightmost first, never a risk one; only then shorten numbers, visibly.
    let mut cols: Vec<usize> = (0..n_cols).collect();
    {
        let fits = |cols: &[usize]| {
            let avail = usize::from(area.width).saturating_sub(cols.len() - 1);
            cols.iter().map(|&c| widths[c]).sum::<usize>() <= avail
        };
        let absent = |k: usize| {
            texts
                .iter()
                .all(|(_, _, vals)| vals[k - 1] == format::ABSENT)
        };
        let optional = |k: usize| fields[k - 1].optional && !fields[k - 1].risk;
        for drop in [&absent as &dyn Fn(usize) -> bool, &optional] {
            for k in (1..n_cols).rev() {
                if fits(&cols) {
                    break;
                }
                if drop(k) {
                    cols.retain(|&c| c != k);
                }
            }
        }
    }
    let avail = usize::from(area.width).saturating_sub(cols.len() - 1);
    let mut shown: Vec<usize> = cols.iter().map(|&c| widths[c]).collect();
    shrink_widths(&mut shown, avail, 6);
    for (&c, &w) in cols.iter().zip(&shown) {
        widths[c] = w;
    }

    // The selection is always in view: the first row shown follows from it.
    let n = rows.len();
    let selected = app.row().min(n - 1);
    let visible = usize::from(area.height).saturating_sub(1).max(1);
    let first = (selected + 1).saturating_sub(visible);
    // When rows are out of view, the first header cell says where we are.
    let first_header = if n > visible {
        let mark = if app.sort() == SortColumn::Currency {
            " ▲"
        } else {
            ""
        };
        format!("↕ {}/{n}{mark}", selected + 1)
    } else {
        headers[0].clone()
    };
    let header = Row::new(cols.iter().map(|&i| {
        let text = clip(if i == 0 { &first_header } else { &headers[i] }, widths[i]);
        Cell::from(if i == 0 {
            Line::from(text)
        } else {
            Line::from(text).right_aligned()
        })
    }))
    .style(theme.title);

    let table_rows = rows
        .iter()
        .zip(&texts)
        .enumerate()
        .skip(first)
        // Only what fits is built: the widths above already saw every row.
        .take(visible)
        .map(|(r, (c, (label, worst, vals)))| {
            let mut row = vec![Cell::from(Line::styled(
                clip(label, widths[0]),
                worst.map_or(base, |s| theme.severity(s)),
            ))];
            for &k in &cols[1..] {
                let subject = format!("{}.{}", c.currency, fields[k - 1].key);
                let neg = format::is_negative((fields[k - 1].get)(c));
                let style = amount_style(finding_for(acc, &subject), neg, p, base, theme);
                let (int_w, frac_w) = points[k - 1];
                row.push(Cell::from(
                    Line::styled(
                        format::align_point(&vals[k - 1], int_w, frac_w, widths[k]),
                        style,
                    )
                    .right_aligned(),
                ));
            }
            let style = if r == selected {
                base.patch(theme.selected)
            } else {
                base
            };
            Row::new(row).style(style)
        });
    let constraints = cols
        .iter()
        .map(|&c| Constraint::Length(u16::try_from(widths[c]).unwrap_or(u16::MAX)));
    frame.render_widget(
        Table::new(table_rows, constraints)
            .header(header)
            .column_spacing(1),
        area,
    );
}

/// Margin-ratio history as sparkline bars (ratio × 100, saturating).
fn history_bars(acc: &Account) -> Vec<u64> {
    acc.margin_history
        .iter()
        .map(|r| {
            r.checked_mul(Decimal::ONE_HUNDRED)
                .and_then(|v| v.to_u64())
                .unwrap_or(if r.is_sign_negative() { 0 } else { u64::MAX })
        })
        .collect()
}

/// Cells of the margin gauge, brackets not counted.
pub const GAUGE_W: usize = 20;

/// Where `v` falls on a scale of `GAUGE_W` cells running 0..`top`.
fn gauge_pos(v: Decimal, top: Decimal) -> usize {
    if v <= Decimal::ZERO {
        return 0;
    }
    let w = Decimal::from(GAUGE_W);
    v.checked_mul(w)
        .and_then(|x| x.checked_div(top))
        .and_then(|x| x.floor().to_usize())
        .unwrap_or(GAUGE_W)
        .min(GAUGE_W)
}

/// The margin ratio against its lines: `[██│████│░░░░░░░░░░]` on a scale of
/// 0..2×warn; the markers sit at the critical and the warn line (the warn one
/// always mid-way), the filled part is colored by severity. None when the
/// thresholds make no scale.
fn gauge(ratio: Decimal, t: &Thresholds, fill: Style, theme: &Theme) -> Option<Vec<Span<'static>>> {
    let top = t.margin_ratio_warn.checked_mul(Decimal::TWO)?;
    if top <= Decimal::ZERO {
        return None;
    }
    let filled = gauge_pos(ratio, top);
    let last = GAUGE_W - 1;
    let marks = [
        gauge_pos(t.margin_ratio_critical, top).min(last),
        gauge_pos(t.margin_ratio_warn, top).min(last),
    ];
    let mut spans = vec![Span::styled("[", theme.muted)];
    for x in 0..GAUGE_W {
        let style = if x < filled { fill } else { theme.muted };
        let ch = match (marks.contains(&x), x < filled) {
            (true, _) => "│",
            (false, true) => "█",
            (false, false) => "░",
        };
        spans.push(Span::styled(ch, style));
    }
    spans.push(Span::styled("]", theme.muted));
    Some(spans)
}

/// The venue's four-step risk scale: one box per level, filled up to and
/// including the current one, so "danger" fills the scale.
pub fn risk_scale(level: RiskLevel) -> String {
    let n = level as usize + 1;
    format!("{}{}", "■".repeat(n), "□".repeat(4 - n))
}

/// Totals under the names the venue's document gives them, each only where
/// the venue reports it: OKX `availEq` is "available equity" and `notionalUsd`
/// "notional value" (neither is buying power nor market value), in the totals
/// currency. A pair that does not fit is left out whole, never cut mid-number;
/// "+N more" says so.
fn totals_line(
    acc: &Account,
    snap: &Snapshot,
    w: usize,
    (n, p): (&Numbers, bool),
    base: Style,
    theme: &Theme,
) -> Line<'static> {
    let tot = &snap.totals;
    let ccy = tot.currency.as_deref();
    let label = |s: &str| Span::styled(s.to_string(), theme.muted);
    let value = |v: Option<Decimal>, c: Option<&str>, subject: Option<&str>| {
        let f = subject.and_then(|s| finding_for(acc, s));
        let style = amount_style(f, format::is_negative(v), p, base, theme);
        Span::styled(n.amount_ccy(v, c, p), style)
    };
    let mut items: Vec<Vec<Span<'static>>> = vec![
        vec![label("net assets "), value(tot.net_assets, ccy, None)],
        vec![label("cash "), value(tot.total_cash, ccy, None)],
    ];
    let optional = [
        ("buying power ", tot.buying_power, None),
        ("available equity ", tot.available_equity, None),
        ("notional value ", tot.notional_value, None),
        ("market value ", tot.market_value, None),
        ("interest ", tot.interest, None),
        ("unrealized P&L ", tot.unrealized_pnl, None),
        (
            "isolated equity ",
            tot.isolated_equity,
            Some("isolated_equity"),
        ),
        ("potential borrowing IMR ", tot.borrow_frozen, None),
        ("margin balance ", tot.margin_balance, None),
        ("available balance ", tot.available_balance, None),
        ("wallet balance ", tot.wallet_balance, None),
        ("perp unrealized P&L ", tot.perp_unrealized_pnl, None),
    ];
    for (l, v, subject) in optional {
        if v.is_some() {
            items.push(vec![label(l), value(v, ccy, subject)]);
        }
    }
    // Each wallet's totals in its own currency (Binance), never summed.
    for wlt in &snap.wallets {
        let wc = wlt.totals.currency.as_deref();
        items.push(vec![
            label(&format!(
                "· {} ({}): net ",
                wlt.name,
                wc.unwrap_or("currency unknown")
            )),
            value(wlt.totals.net_assets, wc, None),
        ]);
    }
    // The same account in its other account currencies (LongPort).
    for v in &snap.other_views {
        let vc = v.totals.currency.as_deref();
        items.push(vec![
            label(&format!("· {} view: net ", vc.unwrap_or("other"))),
            value(v.totals.net_assets, vc, None),
            label(" cash "),
            value(v.totals.total_cash, vc, None),
        ]);
    }

    let item_w = |item: &Vec<Span>| item.iter().map(Span::width).sum::<usize>();
    let fit = |room: usize| {
        let mut used = 0;
        let mut keep = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let need = item_w(item) + if i == 0 { 0 } else { 2 };
            // The first pair (net assets) is always shown.
            let ok = i == 0 || used + need <= room;
            if ok {
                used += need;
            }
            keep.push(ok);
        }
        keep
    };
    let mut keep = fit(w);
    if keep.contains(&false) {
        // Room for the "+N more" note.
        keep = fit(w.saturating_sub(10));
    }
    let left_out = keep.iter().filter(|k| !**k).count();
    let mut spans = Vec::new();
    for (item, _) in items.into_iter().zip(keep).filter(|(_, k)| *k) {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.extend(item);
    }
    if left_out > 0 {
        spans.push(Span::styled(format!("  +{left_out} more"), theme.muted));
    }
    Line::from(spans)
}

fn summary(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    acc: &Account,
    snap: &Snapshot,
    old: bool,
    theme: &Theme,
) {
    if area.height == 0 {
        return;
    }
    let p = app.privacy();
    let t = app.thresholds();
    let base = if old { theme.stale } else { Style::new() };
    let label = |s: &str| Span::styled(s.to_string(), theme.muted);
    let value = |v: String, f: Option<&Finding>| match f {
        Some(f) => Span::styled(v, theme.badge(f.severity)),
        None => Span::styled(v, base),
    };
    let risk = &snap.risk;

    // The account mode says how to read the figures below (OKX Futures mode:
    // the ratio is one currency's).
    let title = match snap.account_mode.as_deref() {
        Some(m) if !m.is_empty() => format!(" margin · risk · {m} "),
        _ => " margin · risk ".to_string(),
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.muted)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let inner_w = usize::from(inner.width);

    // Margin pane: ratio with its finding, the gauge, thresholds, utilization.
    // A ratio that is one currency's (OKX Futures mode, the worst currency)
    // names it, and its finding is that currency's.
    let ratio_f = margin_ratio_finding(acc);
    let fill = ratio_f.map_or(theme.ok, |f| theme.severity(f.severity));
    // The margin ratio (equity over maintenance) with its lines, unless the
    // account reports its risk only on other scales (Bybit's maintenance
    // rate, Binance's margin level, futures ratio, uniMMR): then "margin
    // ratio —" with OKX-style lines would only mislead.
    let other_scales = [
        risk.maintenance_rate,
        risk.margin_level,
        risk.futures_maint_ratio,
        risk.uni_mmr,
    ]
    .iter()
    .any(Option::is_some);
    let mut margin = Vec::new();
    if risk.margin_ratio.is_some() || !other_scales {
        margin.push(label("margin ratio "));
        margin.push(value(format::percent(risk.margin_ratio, false), ratio_f));
        if let Some(c) = &risk.margin_ratio_currency {
            margin.push(label(&format!(" ({c})")));
        }
        if let Some(f) = ratio_f {
            margin.push(Span::styled(
                format!(" {} {}", f.severity.symbol(), f.severity.word()),
                theme.severity(f.severity),
            ));
        }
    }
    let after_ratio = margin.len();
    if !margin.is_empty() {
        margin.push(label(&format!(
            "  warn <{} crit <{}",
            format::percent(Some(t.margin_ratio_warn), false),
            format::percent(Some(t.margin_ratio_critical), false)
        )));
    }
    if risk.maintenance_rate.is_some() {
        // Bybit: maintenance over margin balance, higher is worse; its own
        // figure and lines, never shown as a margin ratio.
        let mm_f = finding_for(acc, "maintenance_rate");
        if !margin.is_empty() {
            margin.push(label("  "));
        }
        margin.push(label("maint. margin rate "));
        margin.push(value(format::percent(risk.maintenance_rate, false), mm_f));
        if let Some(f) = mm_f {
            margin.push(Span::styled(
                format!(" {} {}", f.severity.symbol(), f.severity.word()),
                theme.severity(f.severity),
            ));
        }
        margin.push(label(&format!(
            "  warn ≥{} crit ≥{} liquidation 100%",
            format::percent(Some(t.maintenance_rate_warn), false),
            format::percent(Some(t.maintenance_rate_critical), false)
        )));
        if risk.initial_rate.is_some() {
            margin.push(label("  IM rate "));
            margin.push(value(
                format::percent(risk.initial_rate, false),
                finding_for(acc, "initial_rate"),
            ));
        }
    }
    if risk.utilization.is_some() {
        // A ratio in the model (Webull sends percent); the screen shows percent.
        margin.push(label("  utilization "));
        margin.push(value(
            format::percent(risk.utilization, false),
            finding_for(acc, "margin_utilization"),
        ));
    }
    // Binance's own risk numbers, each on its own scale.
    if let Some(ml) = risk.margin_level {
        margin.push(label(if margin.is_empty() {
            "margin level "
        } else {
            "  margin level "
        }));
        margin.push(value(
            ml.normalize().to_string(),
            finding_for(acc, "margin_level"),
        ));
        if let Some(b) = risk.margin_level_bars {
            margin.push(label(&format!(
                " (bars {} / call {} / liq {})",
                b.normal.normalize(),
                b.margin_call.normalize(),
                b.liquidation.normalize()
            )));
        }
    }
    if risk.futures_maint_ratio.is_some() {
        margin.push(label("  futures maint/margin "));
        margin.push(value(
            format::percent(risk.futures_maint_ratio, false),
            finding_for(acc, "futures_maint_ratio"),
        ));
    }
    if let Some(u) = risk.uni_mmr {
        margin.push(label("  uniMMR "));
        margin.push(value(
            u.round_dp(4).normalize().to_string(),
            finding_for(acc, "uni_mmr"),
        ));
    }
    // The venue-neutral figure last: the share of collateral that can be
    // lost before the venue's liquidation line (`Headroom`).
    if let Some(h) = &risk.headroom {
        margin.push(label(if margin.is_empty() {
            "headroom "
        } else {
            "  headroom "
        }));
        margin.push(value(
            format::percent(Some(h.fraction), false),
            super::margin_finding(acc),
        ));
    }
    // The gauge (a ratio, shown in privacy mode too) is left out of a line
    // too narrow for it.
    if let Some(r) = risk.margin_ratio
        && let Some(g) = gauge(r, t, fill, theme)
    {
        let used: usize = margin.iter().map(Span::width).sum();
        if used + 2 + GAUGE_W + 2 <= inner_w {
            let mut g = g;
            g.insert(0, Span::raw("  "));
            margin.splice(after_ratio..after_ratio, g);
        }
    }

    let numbers = app.numbers();
    let totals = totals_line(acc, snap, inner_w, (numbers, p), base, theme);

    // Risk pane: the venue's level on its scale, margin call, margins,
    // indicators that are not "0".
    let level_f = finding_for(acc, "risk_level");
    let mut risk_line = vec![label("risk ")];
    match risk.level {
        Some(l) => {
            let style = level_f.map_or(theme.ok, |f| theme.severity(f.severity));
            risk_line.push(Span::styled(risk_scale(l), style));
            risk_line.push(Span::raw(" "));
            risk_line.push(value(
                format!("{} {}", l as u8, crate::health::level_word(l)),
                level_f,
            ));
        }
        None => risk_line.push(value(format::ABSENT.to_string(), None)),
    }
    // Margins are in the totals currency (LongPort's account currency, OKX USD).
    let ccy = snap.totals.currency.as_deref();
    let money = |v: Option<Decimal>, f: Option<&Finding>| {
        let style = amount_style(f, format::is_negative(v), p, base, theme);
        Span::styled(numbers.amount_ccy(v, ccy, p), style)
    };
    if risk.margin_call.is_some() {
        risk_line.push(label("  margin call "));
        risk_line.push(money(risk.margin_call, finding_for(acc, "margin_call")));
    }
    // Initial and maintenance margin: in their own currency where the
    // venue says it (Binance: the futures or PM wallet's), at its places.
    let margin_ccy = risk.margin_currency.as_deref().or(ccy);
    let margin_money = |v: Option<Decimal>| {
        let style = amount_style(None, format::is_negative(v), p, base, theme);
        Span::styled(numbers.amount_ccy(v, margin_ccy, p), style)
    };
    risk_line.push(label("  initial "));
    risk_line.push(margin_money(risk.initial_margin));
    risk_line.push(label("  maint "));
    risk_line.push(margin_money(risk.maintenance_margin));
    let mut indicators = 0;
    let account_level = risk.indicators.iter().map(|i| (None, i));
    let per_ccy = snap.currencies.iter().flat_map(|c| {
        c.indicators
            .iter()
            .map(move |i| (Some(c.currency.as_str()), i))
    });
    for (ccy, ind) in account_level.chain(per_ccy) {
        if ind.value == "0" {
            continue;
        }
        indicators += 1;
        let subject = match ccy {
            Some(c) => format!("{c}.{}", ind.key),
            None => ind.key.clone(),
        };
        let name = match ccy {
            Some(c) => format!("{c} {}", ind.key),
            None => ind.key.clone(),
        };
        risk_line.push(label("  "));
        risk_line.push(value(
            format!("{name}={} ({})", ind.value, ind.meaning),
            finding_for(acc, &subject),
        ));
    }
    if indicators == 0 {
        risk_line.push(label("  no venue indicators"));
    }

    let mut lines = vec![Line::from(margin), totals, Line::from(risk_line)];
    let room = usize::from(area.height).saturating_sub(SUMMARY_FIXED);
    if acc.findings.is_empty() {
        lines.push(Line::styled(
            format!("{} no findings", Severity::Ok.symbol()),
            theme.ok,
        ));
    } else {
        let n = acc.findings.len();
        let shown = if n > room { room.saturating_sub(1) } else { n };
        for f in &acc.findings[..shown] {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} {:<8}", f.severity.symbol(), f.severity.word()),
                    theme.badge(f.severity),
                ),
                Span::raw(" "),
                Span::styled(
                    super::privacy::text(&f.message, p).into_owned(),
                    theme.severity(f.severity),
                ),
            ]));
        }
        if shown < n && room > 0 {
            lines.push(Line::styled(
                format!("+{} more findings", n - shown),
                theme.warn,
            ));
        }
    }

    // The sparkline (the ratio's history) sits at the right end of the
    // margin line.
    let bars = history_bars(acc);
    let text_w = lines[0].width();
    let spark_w = bars.len().min(40).min(inner_w.saturating_sub(text_w + 2));
    let [first, others] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    let [text_a, spark_a] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(u16::try_from(spark_w).unwrap_or(0)),
    ])
    .spacing(u16::from(spark_w > 0))
    .areas(first);
    let mut lines = lines.into_iter();
    if let Some(l) = lines.next() {
        frame.render_widget(Paragraph::new(l), text_a);
    }
    if spark_w > 0 {
        let tail = &bars[bars.len() - spark_w..];
        frame.render_widget(
            Sparkline::default().data(tail.iter().copied()).style(fill),
            spark_a,
        );
    }
    frame.render_widget(Paragraph::new(lines.collect::<Vec<_>>()), others);
}
