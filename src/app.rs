//! The TUI's state: the engine's `Monitor` plus what only the screen has (the
//! open tab, the selected row, sort, privacy, the help popup, the bell), the
//! messages that change it, and `update`: the only place it changes. The
//! fields are private; `render` (in ui/) reads through the accessors.

use crate::health::{Severity, Thresholds};
use crate::keymap::{Action, Context};
use crate::monitor::{Account, AccountSpec, Monitor, Outcome};
use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use rust_decimal::Decimal;
use std::time::Duration;

// `snapshot` still names the status here; the engine owns it.
pub use crate::monitor::Status;

// A few messages a second: boxing the event would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// An action that did not come from the keyboard (a mouse click or wheel).
    Action(Action),
    Resize,
    /// The slow clock: refreshes "ago" labels and staleness.
    Tick(DateTime<Utc>),
    /// What a poller reported, for the monitor.
    Poll(crate::poll::Event),
    /// A re-read config is running: these accounts, under a new generation.
    Reconfigured(Box<Reconfig>),
    /// Re-reading the config failed; the old one keeps running.
    ReloadFailed(String),
    /// An alert command failed (did not start, exited non-zero, timed out).
    AlertFailed {
        account: String,
        error: String,
    },
    /// A line for the events log from beside the engine (the history store).
    Note {
        account: String,
        severity: Severity,
        text: String,
    },
    /// The scheduler changed an account's interval (more accounts share its budget).
    Planned {
        account: usize,
        interval: Duration,
        note: Option<String>,
    },
    /// The history store's answer to `Effect::LoadHistory`.
    History {
        account: String,
        range: HistoryRange,
        result: Result<crate::model::Series, String>,
    },
    /// The store's answer for the All tab's trend: account `account`'s
    /// history up to `at` (24h ago).
    Trend {
        account: String,
        at: DateTime<Utc>,
        result: Result<crate::model::Series, String>,
    },
    /// The store's last known snapshot of each account (by name), shown
    /// with its age until the first poll answers (or why it could not be read).
    Restored(Result<Vec<(String, crate::model::Snapshot)>, String>),
    /// What the connection to a running service reported (attached mode).
    Attach(crate::attach::Update),
}

impl From<crate::poll::Event> for Msg {
    fn from(e: crate::poll::Event) -> Msg {
        Msg::Poll(e)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Ask the poller of this account (None: every account) to poll now.
    Refresh(Option<usize>),
    /// Start polling account `index`, found by discovery under `parent`.
    AddAccount {
        parent: usize,
        index: usize,
        account_id: String,
    },
    Bell,
    SetTitle(String),
    /// Run the alert command for this transition.
    Alert(crate::alerts::Transition),
    /// Write a finding or status transition to the log (every one, alerted or not).
    LogTransition(crate::alerts::Transition),
    /// Re-read the config and restart the pollers.
    Reload,
    /// Read account `account`'s history from `from` to `to` off the loop
    /// (the store blocks); answered with `Msg::History`.
    LoadHistory {
        account: String,
        range: HistoryRange,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    /// Read each account's margin ratio as it was at `at` (24h ago) for the
    /// All tab's trend marker; answered with a `Msg::Trend` per account.
    LoadTrend {
        accounts: Vec<String>,
        at: DateTime<Utc>,
    },
    /// Attached mode: ask the service to refresh this account (by name;
    /// None: every account).
    RefreshService(Option<String>),
    Quit,
}

/// The history chart's span (`H` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HistoryRange {
    Hour,
    #[default]
    Day,
    Week,
}

impl HistoryRange {
    pub const ALL: [HistoryRange; 3] = [HistoryRange::Hour, HistoryRange::Day, HistoryRange::Week];

    pub fn next(self) -> HistoryRange {
        let i = Self::ALL.iter().position(|r| *r == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    pub fn label(self) -> &'static str {
        match self {
            HistoryRange::Hour => "1h",
            HistoryRange::Day => "24h",
            HistoryRange::Week => "7d",
        }
    }

    pub fn span(self) -> chrono::Duration {
        match self {
            HistoryRange::Hour => chrono::Duration::hours(1),
            HistoryRange::Day => chrono::Duration::hours(24),
            HistoryRange::Week => chrono::Duration::days(7),
        }
    }
}

/// What the history pane of the open account tab has to show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum History<'a> {
    /// This screen has no store (history off, or attached to a service).
    Off,
    /// Asked the store; no answer yet.
    Loading,
    Loaded(&'a crate::model::Series),
    Failed(&'a str),
}

/// Reload the open account's history after its polls at most this often
/// (a chart of an hour or more gains nothing from each 2 s poll).
pub const HISTORY_EVERY: chrono::Duration = chrono::Duration::seconds(10);

/// How often the All tab's 24h trend is read again from the store.
pub const TREND_EVERY: chrono::Duration = chrono::Duration::minutes(5);
/// The trend compares with the value this long ago.
pub const TREND_SPAN: chrono::Duration = chrono::Duration::hours(24);
/// A value older than this before `TREND_SPAN` ago is not the value then
/// (the store writes a heartbeat well within it).
pub const TREND_WINDOW: chrono::Duration = chrono::Duration::hours(1);

/// An account's margin ratio now against 24h ago (the All tab's marker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    /// Higher: further from liquidation.
    Up,
    Down,
    /// Within 1% of the value then.
    Same,
}

impl Trend {
    pub fn symbol(self) -> &'static str {
        match self {
            Trend::Up => "▲",
            Trend::Down => "▼",
            Trend::Same => "=",
        }
    }

    /// For a screen without color.
    pub fn word(self) -> &'static str {
        match self {
            Trend::Up => "up",
            Trend::Down => "down",
            Trend::Same => "same",
        }
    }
}

/// The margin ratio in force at `at`: the last point at or before it (a
/// point holds until the next), if recent enough and from a good poll.
/// None when the series cannot say: never a guess.
pub fn ratio_at(s: &crate::model::Series, at: DateTime<Utc>) -> Option<Decimal> {
    let p = s.points.iter().rev().find(|p| p.at <= at)?;
    if !p.ok || at - p.at > TREND_WINDOW {
        return None;
    }
    p.margin_ratio
}

/// The connection of an attached monitor to its service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Connecting,
    Connected,
    /// Gone since `since`; the client tries again at `retry_at`.
    Lost {
        error: String,
        since: DateTime<Utc>,
        retry_at: DateTime<Utc>,
    },
}

/// An attached monitor's service (`--connect`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    /// "127.0.0.1:9477": no scheme, path or credentials.
    pub host: String,
    pub link: Link,
}

/// The column the balances table is sorted by (`s` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortColumn {
    #[default]
    Currency,
    Cash,
    Available,
    Frozen,
    Settling,
    Withdrawable,
    Equity,
}

impl SortColumn {
    pub const ALL: [SortColumn; 7] = [
        SortColumn::Currency,
        SortColumn::Cash,
        SortColumn::Available,
        SortColumn::Frozen,
        SortColumn::Settling,
        SortColumn::Withdrawable,
        SortColumn::Equity,
    ];

    pub fn next(self) -> SortColumn {
        let i = SortColumn::ALL.iter().position(|c| *c == self).unwrap_or(0);
        SortColumn::ALL[(i + 1) % SortColumn::ALL.len()]
    }

    pub fn name(self) -> &'static str {
        match self {
            SortColumn::Currency => "currency",
            SortColumn::Cash => "cash",
            SortColumn::Available => "available",
            SortColumn::Frozen => "frozen",
            SortColumn::Settling => "settling",
            SortColumn::Withdrawable => "withdrawable",
            SortColumn::Equity => "equity",
        }
    }

    fn value(self, c: &crate::model::CurrencyBalance) -> Option<Decimal> {
        match self {
            SortColumn::Currency => None,
            SortColumn::Cash => c.cash,
            SortColumn::Available => c.available,
            SortColumn::Frozen => c.frozen,
            SortColumn::Settling => c.settling,
            SortColumn::Withdrawable => c.withdrawable,
            SortColumn::Equity => c.equity,
        }
    }
}

/// What the All tab's accounts are sorted by (`s` cycles there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverviewSort {
    /// Worst severity first, then by name.
    #[default]
    Severity,
    Name,
    Venue,
    /// Net assets, valued in the report currency where a rate is known.
    NetAssets,
    /// Margin ratio, lowest (closest to liquidation) first.
    Margin,
    /// Data age, oldest first.
    Updated,
}

impl OverviewSort {
    pub const ALL: [OverviewSort; 6] = [
        OverviewSort::Severity,
        OverviewSort::Name,
        OverviewSort::Venue,
        OverviewSort::NetAssets,
        OverviewSort::Margin,
        OverviewSort::Updated,
    ];

    pub fn next(self) -> OverviewSort {
        let i = Self::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// The column header it sorts by.
    pub fn name(self) -> &'static str {
        match self {
            OverviewSort::Severity => "severity",
            OverviewSort::Name => "account",
            OverviewSort::Venue => "venue",
            OverviewSort::NetAssets => "net assets",
            OverviewSort::Margin => "headroom",
            OverviewSort::Updated => "updated",
        }
    }
}

/// One tab's sort: its column and whether `S` reversed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort<C> {
    pub column: C,
    pub reversed: bool,
}

/// A line of text being typed: the All tab's filter or the account picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// `/`: the All tab shows only accounts whose name or venue contains it.
    Filter,
    /// The account picker: its query and the selected match.
    Picker { query: String, row: usize },
}

/// What covers the tabs' own content, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cover {
    /// Every field of one currency (of one account-currency view) of one
    /// account, exact.
    Detail {
        account: usize,
        currency: String,
        view: Option<String>,
    },
    /// The events log, full screen, scrolled down by this many lines.
    Log { scroll: usize },
}

/// Longest filter or picker query kept (typed text is bounded like every buffer).
const INPUT_MAX: usize = 64;

/// Rows moved by PgUp/PgDn.
pub const PAGE: usize = 10;

/// What a config reload changes.
#[derive(Debug)]
pub struct Reconfig {
    pub specs: Vec<AccountSpec>,
    pub thresholds: Thresholds,
    pub bell: bool,
    pub keymap: crate::keymap::Keymap,
    /// How amounts read on screen (`[display]`).
    pub numbers: crate::ui::format::Numbers,
    /// The currency of the totals across accounts.
    pub report_currency: String,
    /// Notes for the events pane (raised intervals).
    pub notes: Vec<(String, String)>,
}

pub struct App {
    monitor: Monitor,
    /// 0 = the All overview, n = account n-1.
    tab: usize,
    /// The All tab's selected account (an index into the accounts): the
    /// selection follows the account when the rows reorder.
    pick_account: Option<usize>,
    /// The open account tab's selected row, by currency and view (LongPort
    /// shows a currency once per account-currency view), followed the same way.
    pick_currency: Option<(String, Option<String>)>,
    /// Where the selection last was, for when its account or currency leaves
    /// the rows (filtered, hidden): the row at that place is selected then.
    row_hint: usize,
    /// Each account tab's sort, by account name (tabs renumber on reload).
    sorts: std::collections::HashMap<String, Sort<SortColumn>>,
    overview_sort: Sort<OverviewSort>,
    /// The All tab's filter (empty: every account).
    filter: String,
    /// Text being typed, if any: keys go to it, not to the keymap.
    input: Option<Input>,
    cover: Option<Cover>,
    /// The All tab shows per-currency totals instead of the accounts.
    by_currency: bool,
    /// The help overlay's scroll.
    help_scroll: usize,
    /// The zone clocks are shown in.
    zone: crate::ui::clock::Zone,
    hide_zero: bool,
    show_events: bool,
    /// Shown above everything in demo mode.
    banner: Option<String>,
    bell: bool,
    should_quit: bool,
    keymap: crate::keymap::Keymap,
    privacy: bool,
    show_help: bool,
    /// How amounts read on screen (`[display]`).
    numbers: crate::ui::format::Numbers,
    /// The totals across accounts in the report currency, brought up to
    /// date by `update` (render only reads it).
    portfolio: crate::portfolio::Portfolio,
    /// The screen's clock: ticks, and never behind the latest poll.
    now: DateTime<Utc>,
    /// A history store answers `Effect::LoadHistory` on this screen.
    history_store: bool,
    history_range: HistoryRange,
    /// The store's last answer: (account, range, result).
    history: Option<(String, HistoryRange, Result<crate::model::Series, String>)>,
    /// The last history asked for the open tab: (account, range, when).
    /// None while no account tab is open, so reopening one asks again.
    history_asked: Option<(String, HistoryRange, DateTime<Utc>)>,
    /// Set in attached mode: the service's host and the link's state.
    attached: Option<Attached>,
    /// Each account's margin ratio 24h ago, by name (None: the store has
    /// no value then).
    trend_then: std::collections::HashMap<String, Option<Decimal>>,
    /// When the trend was last asked for.
    trend_asked: Option<DateTime<Utc>>,
}

impl App {
    pub fn new(specs: Vec<AccountSpec>, thresholds: Thresholds, now: DateTime<Utc>) -> Self {
        // One account: open its tab directly; several: start on the overview.
        let tab = usize::from(specs.len() == 1);
        App {
            monitor: Monitor::new(specs, thresholds),
            tab,
            pick_account: None,
            pick_currency: None,
            row_hint: 0,
            sorts: std::collections::HashMap::new(),
            overview_sort: Sort::default(),
            filter: String::new(),
            input: None,
            cover: None,
            by_currency: false,
            help_scroll: 0,
            zone: crate::ui::clock::Zone::Local,
            hide_zero: false,
            show_events: true,
            banner: None,
            bell: true,
            should_quit: false,
            keymap: crate::keymap::Keymap::default(),
            privacy: false,
            show_help: false,
            numbers: crate::ui::format::Numbers::default(),
            portfolio: crate::portfolio::Portfolio::build(
                &[],
                crate::config::DEFAULT_REPORT_CURRENCY,
            ),
            now,
            history_store: false,
            history_range: HistoryRange::default(),
            history: None,
            history_asked: None,
            attached: None,
            trend_then: std::collections::HashMap::new(),
            trend_asked: None,
        }
    }

    /// Account `acc`'s margin ratio now against 24h ago, when both are known.
    pub fn trend(&self, acc: &Account) -> Option<Trend> {
        let then = (*self.trend_then.get(&acc.spec.name)?)?;
        let now = acc.snapshot.as_ref()?.risk.margin_ratio?;
        let tolerance = then.abs() / Decimal::ONE_HUNDRED;
        Some(if (now - then).abs() <= tolerance {
            Trend::Same
        } else if now > then {
            Trend::Up
        } else {
            Trend::Down
        })
    }

    /// Ask for the 24h-ago values while the All tab shows, every few minutes.
    fn trend_effect(&mut self) -> Option<Effect> {
        if !self.history_store || self.tab != 0 || self.accounts().is_empty() {
            return None;
        }
        if self
            .trend_asked
            .is_some_and(|at| self.now - at < TREND_EVERY)
        {
            return None;
        }
        self.trend_asked = Some(self.now);
        Some(Effect::LoadTrend {
            accounts: self
                .accounts()
                .iter()
                .map(|a| a.spec.name.clone())
                .collect(),
            at: self.now - TREND_SPAN,
        })
    }

    /// A history store answers `Effect::LoadHistory` (the chart asks it).
    pub fn with_history(mut self, store: bool) -> Self {
        self.history_store = store;
        self
    }

    /// Attached to the service at `host`: refreshes go to it, the config is
    /// its own, the screen says where the data comes from.
    pub fn with_attached(mut self, host: &str) -> Self {
        self.attached = Some(Attached {
            host: host.to_string(),
            link: Link::Connecting,
        });
        self
    }

    /// The service this screen is attached to, if any.
    pub fn attached(&self) -> Option<&Attached> {
        self.attached.as_ref()
    }

    /// The history chart's range.
    pub fn history_range(&self) -> HistoryRange {
        self.history_range
    }

    /// What the open account tab's history pane shows.
    pub fn history(&self) -> History<'_> {
        if !self.history_store {
            return History::Off;
        }
        let Some(acc) = self.selected().and_then(|i| self.accounts().get(i)) else {
            return History::Off;
        };
        match &self.history {
            Some((a, r, res)) if *a == acc.spec.name && *r == self.history_range => match res {
                Ok(s) => History::Loaded(s),
                Err(e) => History::Failed(e),
            },
            _ => History::Loading,
        }
    }

    /// The history the open tab needs: its account and the range.
    fn history_wanted(&self) -> Option<(String, HistoryRange)> {
        if !self.history_store {
            return None;
        }
        let acc = self.selected().and_then(|i| self.accounts().get(i))?;
        Some((acc.spec.name.clone(), self.history_range))
    }

    /// Ask for the open tab's history when it opened, its range changed, or
    /// (`polled`) its account was just polled and the last ask is old enough.
    fn history_effect(&mut self, polled: bool) -> Option<Effect> {
        let Some((account, range)) = self.history_wanted() else {
            self.history_asked = None;
            return None;
        };
        let due = match &self.history_asked {
            Some((a, r, at)) if *a == account && *r == range => {
                polled && self.now - *at >= HISTORY_EVERY
            }
            _ => true,
        };
        if !due {
            return None;
        }
        self.history_asked = Some((account.clone(), range, self.now));
        Some(Effect::LoadHistory {
            account,
            range,
            from: self.now - range.span(),
            to: self.now,
        })
    }

    // Set up before the first frame; afterwards only `update` changes the app.

    pub fn with_banner(mut self, banner: Option<String>) -> Self {
        self.banner = banner;
        self
    }

    pub fn with_bell(mut self, bell: bool) -> Self {
        self.bell = bell;
        self
    }

    /// Clocks in this zone (default: the machine's, TZ).
    pub fn with_zone(mut self, zone: crate::ui::clock::Zone) -> Self {
        self.zone = zone;
        self
    }

    pub fn with_keymap(mut self, keymap: crate::keymap::Keymap) -> Self {
        self.keymap = keymap;
        self
    }

    /// Totals across accounts in `currency` (default USD).
    pub fn with_report_currency(mut self, currency: &str) -> Self {
        self.portfolio = crate::portfolio::Portfolio::build(&[], currency);
        self.refresh_portfolio();
        self
    }

    /// Recompute the totals from the accounts as they are now.
    fn refresh_portfolio(&mut self) {
        let ccy = std::mem::take(&mut self.portfolio.currency);
        self.portfolio = crate::portfolio::Portfolio::of_accounts(
            self.monitor.accounts(),
            &ccy,
            self.now,
            self.monitor.thresholds(),
        );
    }

    /// The totals across accounts, in the report currency.
    pub fn portfolio(&self) -> &crate::portfolio::Portfolio {
        &self.portfolio
    }

    pub fn with_numbers(mut self, numbers: crate::ui::format::Numbers) -> Self {
        self.numbers = numbers;
        self
    }

    /// Run the alert command for transitions reaching `min` (None: no command).
    pub fn with_alerts(mut self, min: Option<Severity>) -> Self {
        self.monitor = self.monitor.with_alerts(min);
        self
    }

    /// Lines for the events pane from before the start (config warnings,
    /// raised intervals): (account, severity, text), oldest first.
    pub fn with_events(
        mut self,
        events: impl IntoIterator<Item = (String, Severity, String)>,
    ) -> Self {
        for (account, severity, text) in events {
            self.monitor.log(account, severity, text, self.now);
        }
        self
    }

    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    pub fn accounts(&self) -> &[Account] {
        self.monitor.accounts()
    }

    pub fn thresholds(&self) -> &Thresholds {
        self.monitor.thresholds()
    }

    pub fn generation(&self) -> u64 {
        self.monitor.generation()
    }

    /// The events log, newest first.
    pub fn events(&self) -> &std::collections::VecDeque<crate::monitor::EventLine> {
        self.monitor.events()
    }

    /// 0 = the All overview, n = account n-1.
    pub fn tab(&self) -> usize {
        self.tab
    }

    /// The selected row of the open tab: the selected account's place in
    /// the All tab's rows, or the selected currency's in the balances; where
    /// it left the rows, the row at its last place (clamped).
    pub fn row(&self) -> usize {
        let n = self.row_count();
        let found = match self.selected() {
            Some(i) => self.pick_currency.as_ref().and_then(|key| {
                let rows = self.rows(i);
                let is = |r: &&crate::model::CurrencyBalance| {
                    (r.currency.as_str(), r.group()) == (key.0.as_str(), key.1.as_deref())
                };
                // Where a venue repeats a row, the one at the last place.
                match rows.get(self.row_hint) {
                    Some(r) if is(r) => Some(self.row_hint),
                    _ => rows.iter().position(is),
                }
            }),
            None if self.by_currency => None,
            None => self
                .pick_account
                .and_then(|a| self.overview_order().iter().position(|&i| i == a)),
        };
        found.unwrap_or(self.row_hint).min(n.saturating_sub(1))
    }

    /// The open account tab's balance sort (an account tab's own; All: the default).
    pub fn sort(&self) -> SortColumn {
        self.balance_sort().column
    }

    /// The open account tab's balance sort with its direction.
    pub fn balance_sort(&self) -> Sort<SortColumn> {
        self.selected()
            .and_then(|i| self.accounts().get(i))
            .and_then(|a| self.sorts.get(&a.spec.name))
            .copied()
            .unwrap_or_default()
    }

    /// The All tab's sort.
    pub fn overview_sort(&self) -> Sort<OverviewSort> {
        self.overview_sort
    }

    /// The All tab's filter as typed (empty: none).
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// What is being typed, if anything.
    pub fn input(&self) -> Option<&Input> {
        self.input.as_ref()
    }

    /// What covers the tab, if anything.
    pub fn cover(&self) -> Option<&Cover> {
        self.cover.as_ref()
    }

    /// The All tab shows its per-currency totals.
    pub fn by_currency(&self) -> bool {
        self.by_currency
    }

    pub fn zone(&self) -> crate::ui::clock::Zone {
        self.zone
    }

    pub fn help_scroll(&self) -> usize {
        self.help_scroll
    }

    /// What the keys depend on, for the keymap (which knows no app).
    pub fn key_view(&self) -> crate::keymap::View {
        let selected = self.selected();
        crate::keymap::View {
            help: self.show_help,
            tab: self.tab,
            tabs: self.tab_count(),
            rows: self.row_count(),
            marks: match selected {
                Some(i) => self
                    .accounts()
                    .get(i)
                    .is_some_and(|a| a.worst_mark().is_some()),
                None => self.mark_counts() != (0, 0),
            },
            detail: matches!(self.cover, Some(Cover::Detail { .. })),
            log: matches!(self.cover, Some(Cover::Log { .. })),
            by_currency: selected.is_none() && self.by_currency,
            filtered: selected.is_none() && !self.filter.is_empty(),
        }
    }

    pub fn hide_zero(&self) -> bool {
        self.hide_zero
    }

    pub fn show_events(&self) -> bool {
        self.show_events
    }

    pub fn banner(&self) -> Option<&str> {
        self.banner.as_deref()
    }

    pub fn bell(&self) -> bool {
        self.bell
    }

    pub fn should_quit(&self) -> bool {
        self.should_quit
    }

    pub fn keymap(&self) -> &crate::keymap::Keymap {
        &self.keymap
    }

    pub fn privacy(&self) -> bool {
        self.privacy
    }

    pub fn show_help(&self) -> bool {
        self.show_help
    }

    pub fn numbers(&self) -> &crate::ui::format::Numbers {
        &self.numbers
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    pub fn tab_count(&self) -> usize {
        self.accounts().len() + 1
    }

    /// Account indices as the All tab shows them: those the filter keeps,
    /// in the All tab's sort (default: worst severity first, then by name).
    pub fn overview_order(&self) -> Vec<usize> {
        let accounts = self.accounts();
        let t = self.thresholds();
        let now = self.now;
        let needle = self.filter.to_lowercase();
        let mut order: Vec<usize> = (0..accounts.len())
            .filter(|&i| needle.is_empty() || matches_filter(&accounts[i], &needle))
            .collect();
        let sort = self.overview_sort;
        let net = |a: &Account| self.net_assets_value(a);
        // Venue-neutral: the margin headroom (lowest, nearest liquidation, first).
        let ratio = |a: &Account| {
            a.snapshot
                .as_ref()
                .and_then(|s| s.risk.headroom.as_ref())
                .map(|h| h.fraction)
        };
        let at = |a: &Account| a.snapshot.as_ref().map(|s| s.fetched_at);
        order.sort_by(|a, b| {
            use std::cmp::Ordering;
            let (x, y) = (&accounts[*a], &accounts[*b]);
            // Absent values go last whichever way the sort runs.
            let present_first = |p: Option<Ordering>, q: (bool, bool)| match q {
                (true, true) => p.unwrap_or(Ordering::Equal),
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => Ordering::Equal,
            };
            let dir = |o: Ordering| if sort.reversed { o.reverse() } else { o };
            let by = match sort.column {
                OverviewSort::Severity => dir(y.worst(now, t).cmp(&x.worst(now, t))),
                OverviewSort::Name => dir(x.spec.name.cmp(&y.spec.name)),
                OverviewSort::Venue => dir(x.spec.venue.label().cmp(y.spec.venue.label())),
                OverviewSort::NetAssets => {
                    let (p, q) = (net(x), net(y));
                    present_first(
                        p.zip(q).map(|((pk, p), (qk, q))| {
                            // Valued in the report currency first, either way.
                            qk.cmp(&pk).then_with(|| dir(q.cmp(&p)))
                        }),
                        (p.is_some(), q.is_some()),
                    )
                }
                OverviewSort::Margin => {
                    let (p, q) = (ratio(x), ratio(y));
                    present_first(
                        p.zip(q).map(|(p, q)| dir(p.cmp(&q))),
                        (p.is_some(), q.is_some()),
                    )
                }
                OverviewSort::Updated => {
                    let (p, q) = (at(x), at(y));
                    present_first(
                        p.zip(q).map(|(p, q)| dir(p.cmp(&q))),
                        (p.is_some(), q.is_some()),
                    )
                }
            };
            by.then_with(|| x.spec.name.cmp(&y.spec.name))
        });
        order
    }

    /// An account's net assets as a number to sort by (see `sort_value`).
    fn net_assets_value(&self, a: &Account) -> Option<(bool, Decimal)> {
        let t = &a.snapshot.as_ref()?.totals;
        self.sort_value(t.net_assets?, t.currency.as_deref())
    }

    /// An amount to sort by: (true, its value in the report currency) where
    /// a rate from the venues is known, so 0.52 BTC sorts above 42.5 OKB;
    /// else (false, the amount as it is), which sorts after every valued one.
    pub fn sort_value(&self, v: Decimal, ccy: Option<&str>) -> Option<(bool, Decimal)> {
        let report = self.portfolio.currency.as_str();
        let valued = match ccy {
            Some(c) if c == report => Some(v),
            Some(c) => self
                .portfolio
                .rate(c, report)
                .and_then(|r| v.checked_mul(r.rate)),
            None => None,
        };
        Some(match valued {
            Some(x) => (true, x),
            None => (false, v),
        })
    }

    /// Account `i`'s balance rows as shown: zero rows hidden on request, sorted
    /// by its tab's column (amounts largest first, absent last; ties by
    /// currency), reversed by `S` (absent still last).
    pub fn rows(&self, i: usize) -> Vec<&crate::model::CurrencyBalance> {
        let Some(acc) = self.monitor.account(i) else {
            return Vec::new();
        };
        let Some(snap) = acc.snapshot.as_ref() else {
            return Vec::new();
        };
        let mut rows: Vec<_> = snap
            .currencies
            .iter()
            .filter(|c| !self.hide_zero || !c.is_all_zero())
            .collect();
        let sort = self.sorts.get(&acc.spec.name).copied().unwrap_or_default();
        let col = sort.column;
        let dir = |o: std::cmp::Ordering| if sort.reversed { o.reverse() } else { o };
        let value = |c: &crate::model::CurrencyBalance| {
            col.value(c)
                .and_then(|v| self.sort_value(v, Some(&c.currency)))
        };
        rows.sort_by(|a, b| match (value(a), value(b)) {
            (Some((xk, x)), Some((yk, y))) => yk
                .cmp(&xk)
                .then_with(|| dir(y.cmp(&x)))
                .then_with(|| a.currency.cmp(&b.currency)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => dir(a.currency.cmp(&b.currency)),
        });
        rows
    }

    /// Accounts the picker offers for its query: names containing it (any
    /// case), in tab order.
    pub fn picker_matches(&self, query: &str) -> Vec<usize> {
        let q = query.to_lowercase();
        (0..self.accounts().len())
            .filter(|&i| q.is_empty() || matches_filter(&self.accounts()[i], &q))
            .collect()
    }

    /// The account whose tab is open, if any.
    pub fn selected(&self) -> Option<usize> {
        self.tab
            .checked_sub(1)
            .filter(|i| *i < self.accounts().len())
    }

    /// Accounts whose worst is critical, and warn, by the screen's clock.
    pub fn counts(&self) -> (usize, usize) {
        self.monitor.counts(self.now)
    }

    /// Accounts with an unacknowledged cleared critical / warn (by its worst mark).
    pub fn mark_counts(&self) -> (usize, usize) {
        self.monitor.mark_counts()
    }

    /// Terminal title: names the trouble so a hidden tmux pane shows it, and
    /// keeps counting a cleared warning until it is acknowledged.
    pub fn title(&self) -> String {
        let now = match self.counts() {
            (0, 0) => "ok".to_string(),
            (c, 0) => format!("{c} critical"),
            (0, w) => format!("{w} warn"),
            (c, w) => format!("{c} critical, {w} warn"),
        };
        let was = match self.mark_counts() {
            (0, 0) => String::new(),
            (c, 0) => format!("; was {c} critical"),
            (0, w) => format!("; was {w} warn"),
            (c, w) => format!("; was {c} critical, {w} warn"),
        };
        // A hidden pane still tells that its numbers stopped moving.
        let lost = match &self.attached {
            Some(Attached {
                link: Link::Lost { .. },
                ..
            }) => "; service unreachable",
            _ => "",
        };
        format!("baltui: {now}{was}{lost}")
    }

    /// What the monitor's outcomes mean on this screen.
    fn effects(&self, out: Vec<Outcome>) -> Vec<Effect> {
        out.into_iter()
            .filter_map(|o| match o {
                Outcome::Summary => Some(Effect::SetTitle(self.title())),
                Outcome::Rose => self.bell.then_some(Effect::Bell),
                Outcome::AddAccount {
                    parent,
                    index,
                    account_id,
                } => Some(Effect::AddAccount {
                    parent,
                    index,
                    account_id,
                }),
                Outcome::Alert(t) => Some(Effect::Alert(t)),
                Outcome::LogTransition(t) => Some(Effect::LogTransition(t)),
            })
            .collect()
    }

    /// Acknowledge cleared warnings: the open account's, or on the All tab
    /// every account's.
    fn acknowledge(&mut self) -> Vec<Effect> {
        let before = self.title();
        self.monitor.acknowledge(self.tab.checked_sub(1), self.now);
        let title = self.title();
        if title != before {
            vec![Effect::SetTitle(title)]
        } else {
            Vec::new()
        }
    }

    fn act(&mut self, action: Action) -> Vec<Effect> {
        // A key that does nothing here does nothing (help and the status line
        // offer only keys that act, by the same rule).
        if !action.acts(&self.key_view()) {
            return Vec::new();
        }
        if self.show_help {
            // Help scrolls over at most its bindings and a few more lines;
            // the screen clamps to what is really there.
            let most = self.keymap.bindings.len() + 12;
            let s = &mut self.help_scroll;
            match action {
                Action::Down => *s = s.saturating_add(1).min(most),
                Action::Up => *s = s.saturating_sub(1),
                Action::PageDown => *s = s.saturating_add(PAGE).min(most),
                Action::PageUp => *s = s.saturating_sub(PAGE),
                Action::Top => *s = 0,
                Action::Bottom => *s = most,
                _ => {}
            }
            if action.moves() {
                return Vec::new();
            }
        }
        if let Some(Cover::Log { scroll }) = &mut self.cover {
            let last = self.monitor.events().len().saturating_sub(1);
            match action {
                Action::Down => *scroll = scroll.saturating_add(1).min(last),
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::PageDown => *scroll = scroll.saturating_add(PAGE).min(last),
                Action::PageUp => *scroll = scroll.saturating_sub(PAGE),
                Action::Top => *scroll = 0,
                Action::Bottom => *scroll = last,
                _ => {}
            }
            if action.moves() {
                return Vec::new();
            }
        }
        let row = self.row();
        let last = self.row_count().saturating_sub(1);
        match action {
            Action::Quit => {
                self.should_quit = true;
                return vec![Effect::Quit];
            }
            Action::NextTab => self.go_tab((self.tab + 1) % self.tab_count()),
            Action::PrevTab => self.go_tab((self.tab + self.tab_count() - 1) % self.tab_count()),
            Action::GoTab(n) => {
                if n < self.tab_count() {
                    self.go_tab(n);
                }
            }
            Action::Down => self.select_row(row.saturating_add(1).min(last)),
            Action::Up => self.select_row(row.saturating_sub(1).min(last)),
            Action::PageDown => self.select_row(row.saturating_add(PAGE).min(last)),
            Action::PageUp => self.select_row(row.saturating_sub(PAGE).min(last)),
            Action::Top => self.select_row(0),
            Action::Bottom => self.select_row(last),
            Action::Open => match (self.selected(), &self.cover) {
                (_, Some(Cover::Detail { .. })) => self.cover = None,
                (Some(i), _) => {
                    if let Some(c) = self.rows(i).get(row) {
                        self.cover = Some(Cover::Detail {
                            account: i,
                            currency: c.currency.clone(),
                            view: c.group().map(str::to_string),
                        });
                    }
                }
                (None, _) => {
                    if let Some(i) = self.overview_order().get(row) {
                        self.go_tab(i + 1);
                    }
                }
            },
            Action::Refresh | Action::RefreshAll if self.attached.is_some() => {
                // The service polls; it refreshes through its own budget.
                let name = match action {
                    Action::Refresh => self
                        .selected()
                        .and_then(|i| self.accounts().get(i))
                        .map(|a| a.spec.name.clone()),
                    _ => None,
                };
                return vec![Effect::RefreshService(name)];
            }
            Action::Refresh => return vec![Effect::Refresh(self.selected())],
            Action::RefreshAll => return vec![Effect::Refresh(None)],
            Action::CycleSort | Action::ReverseSort => {
                let reverse = action == Action::ReverseSort;
                match self.selected().and_then(|i| self.accounts().get(i)) {
                    Some(acc) => {
                        let name = acc.spec.name.clone();
                        let s = self.sorts.entry(name).or_default();
                        if reverse {
                            s.reversed = !s.reversed;
                        } else {
                            *s = Sort {
                                column: s.column.next(),
                                reversed: false,
                            };
                        }
                    }
                    None if reverse => self.overview_sort.reversed = !self.overview_sort.reversed,
                    None => {
                        self.overview_sort = Sort {
                            column: self.overview_sort.column.next(),
                            reversed: false,
                        }
                    }
                }
            }
            Action::ToggleZero => self.hide_zero = !self.hide_zero,
            Action::ToggleEvents => self.show_events = !self.show_events,
            Action::TogglePrivacy => self.privacy = !self.privacy,
            Action::ToggleHelp => {
                self.show_help = !self.show_help;
                self.help_scroll = 0;
            }
            Action::CloseOverlay => self.show_help = false,
            Action::Reload => match &self.attached {
                Some(a) => {
                    let text = format!(
                        "the service at {} owns the config: reload it there (send it SIGUSR1)",
                        a.host
                    );
                    self.monitor
                        .log("config".into(), Severity::Notice, text, self.now);
                }
                None => return vec![Effect::Reload],
            },
            Action::HistoryRange => self.history_range = self.history_range.next(),
            Action::Acknowledge => return self.acknowledge(),
            Action::Filter => self.input = Some(Input::Filter),
            Action::PickAccount => {
                self.input = Some(Input::Picker {
                    query: String::new(),
                    row: 0,
                })
            }
            Action::EventsLog => {
                self.cover = match self.cover {
                    Some(Cover::Log { .. }) => None,
                    _ => Some(Cover::Log { scroll: 0 }),
                }
            }
            Action::ByCurrency => {
                self.by_currency = !self.by_currency;
                self.row_hint = 0;
            }
            Action::Back => {
                if self.cover.is_some() {
                    self.cover = None;
                } else if self.by_currency {
                    self.by_currency = false;
                } else {
                    self.filter.clear();
                }
            }
        }
        Vec::new()
    }

    /// Select row `row` of the open tab: remember its account or currency.
    fn select_row(&mut self, row: usize) {
        self.row_hint = row;
        match self.selected() {
            Some(i) => {
                let key = self
                    .rows(i)
                    .get(row)
                    .map(|r| (r.currency.clone(), r.group().map(str::to_string)));
                // Up and down in a detail walk the currencies.
                if let (Some(Cover::Detail { currency, view, .. }), Some(k)) =
                    (&mut self.cover, &key)
                {
                    currency.clone_from(&k.0);
                    view.clone_from(&k.1);
                }
                self.pick_currency = key;
            }
            None if self.by_currency => {}
            None => self.pick_account = self.overview_order().get(row).copied(),
        }
    }

    fn go_tab(&mut self, n: usize) {
        self.tab = n;
        self.row_hint = 0;
        self.pick_currency = None;
        self.cover = None;
    }

    /// Rows the selection moves over on the current tab.
    fn row_count(&self) -> usize {
        match (&self.cover, self.selected()) {
            (Some(Cover::Log { .. }), _) => self.monitor.events().len(),
            (_, Some(i)) => self.rows(i).len(),
            (_, None) if self.by_currency => self.currency_rows(),
            (_, None) => self.overview_order().len(),
        }
    }

    /// Rows of the All tab's per-currency view.
    fn currency_rows(&self) -> usize {
        self.portfolio.by_currency.len()
    }

    /// A key while text is typed: printable keys edit it, Enter accepts,
    /// Esc cancels, Up/Down move the picker's selection.
    fn type_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        use crossterm::event::{KeyCode, KeyModifiers};
        let Some(input) = self.input.take() else {
            return Vec::new();
        };
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && ev.code == KeyCode::Char('c') {
            self.should_quit = true;
            return vec![Effect::Quit];
        }
        match input {
            Input::Filter => match ev.code {
                KeyCode::Esc => self.filter.clear(),
                KeyCode::Enter => {}
                KeyCode::Backspace => {
                    self.filter.pop();
                    self.input = Some(Input::Filter);
                }
                KeyCode::Char(c) if !ctrl && self.filter.chars().count() < INPUT_MAX => {
                    self.filter.push(c);
                    self.input = Some(Input::Filter);
                }
                _ => self.input = Some(Input::Filter),
            },
            Input::Picker { mut query, mut row } => {
                let n = self.picker_matches(&query).len();
                match ev.code {
                    KeyCode::Esc => return Vec::new(),
                    KeyCode::Enter => {
                        if let Some(i) = self.picker_matches(&query).get(row) {
                            self.go_tab(i + 1);
                        }
                        return Vec::new();
                    }
                    KeyCode::Backspace => {
                        query.pop();
                        row = 0;
                    }
                    KeyCode::Down => row = (row + 1).min(n.saturating_sub(1)),
                    KeyCode::Up => row = row.saturating_sub(1),
                    KeyCode::Char(c) if !ctrl && query.chars().count() < INPUT_MAX => {
                        query.push(c);
                        row = 0;
                    }
                    _ => {}
                }
                self.input = Some(Input::Picker { query, row });
            }
        }
        if matches!(self.input, Some(Input::Filter)) || self.input.is_none() {
            // The filter changed the rows: keep the selected account if it
            // is still shown.
            self.row_hint = self.row();
        }
        Vec::new()
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        // Keys change no data: the totals move with polls, ticks and reloads.
        let data = !matches!(msg, Msg::Key(_) | Msg::Action(_) | Msg::Resize);
        // A poll of the open account (or a service's update of it) may have
        // added to its history.
        let viewed = self.selected();
        let polled = match &msg {
            Msg::Poll(crate::poll::Event::Polled { account, .. }) => Some(*account) == viewed,
            Msg::Attach(crate::attach::Update::State { .. }) => viewed.is_some(),
            _ => false,
        };
        let mut fx = self.apply(msg);
        if data {
            self.refresh_portfolio();
        }
        fx.extend(self.history_effect(polled));
        fx.extend(self.trend_effect());
        fx
    }

    fn apply(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(ev) if self.input.is_some() => self.type_key(ev),
            Msg::Key(ev) => {
                let ctx = if self.show_help {
                    Context::Help
                } else {
                    Context::Global
                };
                match self.keymap.lookup(&ev, ctx) {
                    Some(a) => self.act(a),
                    None => Vec::new(),
                }
            }
            Msg::Action(a) if !self.show_help && self.input.is_none() => self.act(a),
            Msg::Action(_) => Vec::new(),
            Msg::Resize => Vec::new(),
            Msg::Tick(now) => {
                self.now = now;
                let out = self.monitor.tick(now);
                self.effects(out)
            }
            Msg::Poll(e) => {
                if !self.monitor.accepts(&e) {
                    return Vec::new();
                }
                if let crate::poll::Event::Polled { at, .. } = &e {
                    self.now = self.now.max(*at);
                }
                let out = self.monitor.apply(e, self.now);
                self.effects(out)
            }
            Msg::AlertFailed { account, error } => {
                self.monitor.log(account, Severity::Warn, error, self.now);
                Vec::new()
            }
            Msg::Note {
                account,
                severity,
                text,
            } => {
                self.monitor.log(account, severity, text, self.now);
                Vec::new()
            }
            Msg::Reconfigured(r) => {
                let r = *r;
                self.monitor.reconfigure(r.specs, r.thresholds, self.now);
                self.bell = r.bell;
                self.keymap = r.keymap;
                self.numbers = r.numbers;
                self.portfolio.currency = r.report_currency;
                self.tab = self.tab.min(self.accounts().len());
                self.row_hint = 0;
                self.pick_account = None;
                self.cover = None;
                for (name, note) in r.notes {
                    self.monitor.log(name, Severity::Notice, note, self.now);
                }
                vec![Effect::SetTitle(self.title())]
            }
            Msg::ReloadFailed(e) => {
                self.monitor.log(
                    "config".into(),
                    Severity::Warn,
                    format!("reload failed, keeping the running config: {e}"),
                    self.now,
                );
                Vec::new()
            }
            Msg::Planned {
                account,
                interval,
                note,
            } => {
                self.monitor.planned(account, interval, note, self.now);
                Vec::new()
            }
            Msg::History {
                account,
                range,
                result,
            } => {
                self.history = Some((account, range, result));
                Vec::new()
            }
            Msg::Trend {
                account,
                at,
                result,
            } => {
                // An unreadable store shows no marker (the chart names the error).
                let then = result.ok().and_then(|s| ratio_at(&s, at));
                // Kept for accounts still here only: bounded by the accounts.
                if self.accounts().iter().any(|a| a.spec.name == account) {
                    self.trend_then.insert(account, then);
                }
                Vec::new()
            }
            Msg::Restored(Err(e)) => {
                let text = format!("cannot read the last known values from the history store: {e}");
                self.monitor
                    .log("history".into(), Severity::Warn, text, self.now);
                Vec::new()
            }
            Msg::Restored(Ok(snaps)) => {
                for (name, snap) in snaps {
                    // A poll that answered first wins (restore skips it).
                    self.monitor.restore(&name, snap);
                }
                Vec::new()
            }
            Msg::Attach(u) => self.attach(u),
        }
    }

    /// What an attached monitor's connection reported.
    fn attach(&mut self, u: crate::attach::Update) -> Vec<Effect> {
        use crate::attach::Update;
        let Some(att) = self.attached.as_mut() else {
            return Vec::new();
        };
        match u {
            Update::Connected { host } => {
                let again = matches!(att.link, Link::Lost { .. });
                att.host = host;
                att.link = Link::Connected;
                let text = if again {
                    format!("reconnected to the service at {}", att.host)
                } else {
                    format!("attached to the service at {}", att.host)
                };
                self.monitor
                    .log("service".into(), Severity::Notice, text, self.now);
                if again {
                    vec![Effect::SetTitle(self.title())]
                } else {
                    Vec::new()
                }
            }
            Update::State { accounts, .. } => {
                // Ages are by this screen's clock: the service's data ages
                // here as it does there.
                let out = self.monitor.mirror(accounts, self.now);
                self.tab = self.tab.min(self.accounts().len());
                self.effects(out)
            }
            Update::Event(line) => {
                self.monitor
                    .log(line.account, line.severity, line.text, line.at);
                Vec::new()
            }
            Update::Lost { error, retry_in } => {
                let retry_at =
                    self.now + chrono::Duration::from_std(retry_in).unwrap_or(HISTORY_EVERY);
                let since = match &att.link {
                    Link::Lost { since, .. } => *since,
                    _ => self.now,
                };
                let first = !matches!(att.link, Link::Lost { .. });
                let text = format!("the service at {} is unreachable: {error}", att.host);
                att.link = Link::Lost {
                    error,
                    since,
                    retry_at,
                };
                // Logged once per outage; the banner counts the retries down.
                if first {
                    self.monitor
                        .log("service".into(), Severity::Warn, text, self.now);
                }
                vec![Effect::SetTitle(self.title())]
            }
        }
    }
}

/// The filter keeps an account whose name or venue contains `needle`
/// (lower case).
fn matches_filter(a: &Account, needle: &str) -> bool {
    a.spec.name.to_lowercase().contains(needle)
        || a.spec.venue.label().to_lowercase().contains(needle)
        || a.spec.venue.as_str().contains(needle)
}
