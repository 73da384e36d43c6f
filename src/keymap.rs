//! One table of key bindings: it drives dispatch, the status-line hints and help.
//! The defaults are data, `assets/keymap.toml`, read by the same code that
//! applies config `[keys]`, which rebinds an action (`quit = ["q", "ctrl-q"]`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    NextTab,
    PrevTab,
    /// 0 = the All overview, n = the n-th account.
    GoTab(usize),
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    /// On the overview: open the selected account's tab.
    Open,
    Refresh,
    RefreshAll,
    CycleSort,
    ToggleZero,
    ToggleEvents,
    TogglePrivacy,
    ToggleHelp,
    CloseOverlay,
    /// Re-read the config file.
    Reload,
    /// Acknowledge cleared warnings ("was CRITICAL ..."): this account's, or
    /// every account's on the All tab.
    Acknowledge,
    /// Reverse the open tab's sort.
    ReverseSort,
    /// Type a filter for the All tab's accounts.
    Filter,
    /// The account picker: type part of a name, Enter opens that tab.
    PickAccount,
    /// The full-screen events log (scrolls over the session's last events).
    EventsLog,
    /// The All tab's per-currency totals across accounts.
    ByCurrency,
    /// Close what is open on top (a detail, the events log, the per-currency
    /// view) or clear the All tab's filter.
    Back,
    /// The account tab's history chart: the next range (1h, 24h, 7d).
    HistoryRange,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    Help,
}

/// One key with its modifiers (Shift is implied by an upper-case letter or `?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    const fn plain(code: KeyCode) -> Key {
        Key { code, ctrl: false }
    }

    /// "q", "?", "R", "ctrl-c", "tab", "shift-tab", "enter", "esc", "left",
    /// "right", "up", "down", "pgup", "pgdn", "home", "end", "space".
    pub fn parse(s: &str) -> Option<Key> {
        let lower = s.to_ascii_lowercase();
        if let Some(rest) = lower
            .strip_prefix("ctrl-")
            .or_else(|| lower.strip_prefix("c-"))
        {
            let mut chars = rest.chars();
            return match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_alphanumeric() => Some(Key {
                    code: KeyCode::Char(c),
                    ctrl: true,
                }),
                _ => None,
            };
        }
        let code = match lower.as_str() {
            "tab" => KeyCode::Tab,
            "shift-tab" | "backtab" => KeyCode::BackTab,
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            _ => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if !c.is_control() => KeyCode::Char(c),
                    _ => return None,
                }
            }
        };
        Some(Key::plain(code))
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            other => format!("{other:?}"),
        };
        if self.ctrl { format!("C-{base}") } else { base }
    }

    fn matches(&self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl != self.ctrl || ev.modifiers.contains(KeyModifiers::ALT) {
            return false;
        }
        match (self.code, ev.code) {
            // Terminals send 'R' with or without SHIFT, and Ctrl-letters in either case.
            (KeyCode::Char(a), KeyCode::Char(b)) if self.ctrl => a.eq_ignore_ascii_case(&b),
            (a, b) => a == b,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub action: Action,
    pub description: String,
    pub context: Context,
    /// Shown in the status line where it acts (the rest only in help).
    pub hint: bool,
    /// Name in config `[keys]` (None: not rebindable).
    pub name: Option<&'static str>,
}

impl Binding {
    /// How the binding is written in hints: its first key ("0-9" for tabs).
    pub fn label(&self) -> String {
        if matches!(self.action, Action::GoTab(_)) {
            return "0-9".into();
        }
        self.keys.first().map(Key::label).unwrap_or_default()
    }

    /// Every key, for help.
    pub fn all_labels(&self) -> String {
        if matches!(self.action, Action::GoTab(_)) {
            return "0-9".into();
        }
        self.keys
            .iter()
            .map(Key::label)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The name of each action in the keymap file and in config `[keys]`, in
/// the order a `[keys]` error lists them. `go_tab` (the digit pressed is the
/// tab) is only in the file: config cannot rebind it.
pub const ACTIONS: [(&str, Action); 28] = [
    ("close", Action::CloseOverlay),
    ("quit", Action::Quit),
    ("next_tab", Action::NextTab),
    ("prev_tab", Action::PrevTab),
    ("go_tab", Action::GoTab(0)),
    ("down", Action::Down),
    ("up", Action::Up),
    ("page_down", Action::PageDown),
    ("page_up", Action::PageUp),
    ("top", Action::Top),
    ("bottom", Action::Bottom),
    ("open", Action::Open),
    ("refresh", Action::Refresh),
    ("refresh_all", Action::RefreshAll),
    ("sort", Action::CycleSort),
    ("hide_zero", Action::ToggleZero),
    ("events", Action::ToggleEvents),
    ("privacy", Action::TogglePrivacy),
    ("help", Action::ToggleHelp),
    ("reload", Action::Reload),
    ("acknowledge", Action::Acknowledge),
    ("reverse_sort", Action::ReverseSort),
    ("filter", Action::Filter),
    ("pick_account", Action::PickAccount),
    ("events_log", Action::EventsLog),
    ("by_currency", Action::ByCurrency),
    ("back", Action::Back),
    ("history_range", Action::HistoryRange),
];

/// Not rebindable by config `[keys]`.
const FIXED: &str = "go_tab";

impl Action {
    /// Its name in the keymap file (`GoTab(n)`: "go_tab"), as in `ACTIONS`.
    pub fn name(self) -> &'static str {
        use Action::*;
        // A match, so a new action cannot go without a name.
        match self {
            CloseOverlay => "close",
            Quit => "quit",
            NextTab => "next_tab",
            PrevTab => "prev_tab",
            GoTab(_) => "go_tab",
            Down => "down",
            Up => "up",
            PageDown => "page_down",
            PageUp => "page_up",
            Top => "top",
            Bottom => "bottom",
            Open => "open",
            Refresh => "refresh",
            RefreshAll => "refresh_all",
            CycleSort => "sort",
            ToggleZero => "hide_zero",
            ToggleEvents => "events",
            TogglePrivacy => "privacy",
            ToggleHelp => "help",
            Reload => "reload",
            Acknowledge => "acknowledge",
            ReverseSort => "reverse_sort",
            Filter => "filter",
            PickAccount => "pick_account",
            EventsLog => "events_log",
            ByCurrency => "by_currency",
            Back => "back",
            HistoryRange => "history_range",
        }
    }

    /// Moves a selection or scrolls.
    pub fn moves(self) -> bool {
        use Action::*;
        matches!(self, Down | Up | PageDown | PageUp | Top | Bottom)
    }

    /// Whether pressing a key for this action does something in `view`
    /// (which of a context's bindings act; the context itself is chosen by
    /// `Keymap::commands`, as `lookup` chooses it).
    pub fn acts(self, view: &View) -> bool {
        use Action::*;
        let account_tab = view.tab > 0;
        // A detail or the events log covers the tabs: only its own keys act.
        let covered = view.detail || view.log;
        match self {
            Quit | ToggleHelp | TogglePrivacy | CloseOverlay => true,
            Back => covered || view.by_currency || view.filtered,
            EventsLog => !view.detail,
            ToggleEvents | Reload => !covered,
            NextTab | PrevTab | GoTab(_) | RefreshAll => !covered && view.tabs > 1,
            Down | Up | PageDown | PageUp | Top | Bottom => view.help || view.rows > 1,
            // Enter opens the selected account (All) or the selected
            // currency's detail (an account tab), and closes the detail.
            Open => view.detail || (!view.log && !view.by_currency && view.rows > 0),
            // On the All tab `r` refreshes every account, which `R` offers
            // there; "this account" would be false.
            Refresh => account_tab && !covered,
            CycleSort | ReverseSort => !covered && !view.by_currency,
            // Hiding rows changes the balances of an account tab.
            ToggleZero | HistoryRange => account_tab && !covered,
            Acknowledge => view.marks && !covered,
            Filter | ByCurrency => !account_tab && !covered,
            PickAccount => !covered && view.tabs > 2,
        }
    }
}

/// What the screen shows, as far as the keys care. The caller builds it
/// from its own state, so the keymap needs no app.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct View {
    /// The help overlay is open: only its own keys act.
    pub help: bool,
    /// The open tab: 0 = All, n = the n-th account.
    pub tab: usize,
    /// Tabs in all, the All tab included.
    pub tabs: usize,
    /// Rows the selection moves over: accounts on All, balance rows on an
    /// account tab.
    pub rows: usize,
    /// Cleared warnings not acknowledged yet, in what `a` acknowledges here
    /// (this account's; on All, any account's).
    pub marks: bool,
    /// A balance row's detail is open.
    pub detail: bool,
    /// The full-screen events log is open.
    pub log: bool,
    /// The All tab shows its per-currency totals.
    pub by_currency: bool,
    /// The All tab's accounts are filtered.
    pub filtered: bool,
}

#[derive(Debug, Clone)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

/// Where the built-in keymap's errors point.
pub const BUILTIN_FILE: &str = "assets/keymap.toml";
const BUILTIN: &str = include_str!("../assets/keymap.toml");

/// Parsed once; a broken file is an error here (tests parse it), never a panic.
static BUILTIN_KEYMAP: std::sync::LazyLock<Result<Keymap, String>> =
    std::sync::LazyLock::new(|| Keymap::from_toml(BUILTIN, BUILTIN_FILE));

/// A keymap file: per context a list of bindings (yazi's shape).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    help: Option<Section>,
    global: Option<Section>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    keymap: Vec<toml::Spanned<FileEntry>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    on: Vec<String>,
    run: String,
    desc: String,
    #[serde(default)]
    hint: bool,
}

/// One binding as written, in a keymap file (context, description and hint
/// given) or in config `[keys]` (keys only, for the action wherever it is
/// bound).
struct Entry<'a> {
    context: Option<Context>,
    run: &'a str,
    on: &'a [String],
    desc: Option<&'a str>,
    hint: Option<bool>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn section_name(c: Context) -> &'static str {
    match c {
        Context::Global => "global",
        Context::Help => "help",
    }
}

/// Applies `entries` in order: an action already bound gets the entry's keys
/// instead of its own (an override); one not bound yet is added (how the
/// built-in file builds the keymap). Then a key may mean only one action per
/// context. An error is (the entry it is about, if any, the message).
fn apply(km: &mut Keymap, entries: &[Entry<'_>]) -> Result<(), (Option<usize>, String)> {
    // Which entry set each binding's keys, to name the culprit of a clash.
    let mut set_by: Vec<Option<usize>> = vec![None; km.bindings.len()];
    let mut seen = std::collections::HashSet::new();
    for (i, e) in entries.iter().enumerate() {
        let err = |msg: String| Err((Some(i), msg));
        let from_file = e.context.is_some();
        let known = ACTIONS
            .iter()
            .find(|(n, _)| *n == e.run && (from_file || *n != FIXED));
        let Some(&(name, action)) = known else {
            let names: Vec<&str> = ACTIONS
                .iter()
                .map(|(n, _)| *n)
                .filter(|n| from_file || *n != FIXED)
                .collect();
            return err(format!(
                "unknown action `{}`; expected one of {}",
                e.run,
                names.join(", ")
            ));
        };
        if !seen.insert((e.context, name)) {
            return err(format!("`{name}` is bound twice"));
        }
        if e.on.is_empty() {
            return err(format!("`{name}` needs at least one key"));
        }
        let mut keys = Vec::with_capacity(e.on.len());
        for k in e.on {
            let Some(key) = Key::parse(k) else {
                return err(format!(
                    "`{name}`: {k:?} is not a key (e.g. \"q\", \"ctrl-r\", \"pgdn\", \"shift-tab\")"
                ));
            };
            keys.push(key);
        }
        // Config [keys] (no context) rebinds the action in every context
        // it is bound in (help scrolls with the same keys as the rows).
        let bound: Vec<usize> = km
            .bindings
            .iter()
            .enumerate()
            .filter(|(_, b)| b.action.name() == name && e.context.is_none_or(|c| c == b.context))
            .map(|(j, _)| j)
            .collect();
        match (bound.is_empty(), e.context, e.desc) {
            (false, _, _) => {
                for j in bound {
                    let b = &mut km.bindings[j];
                    b.keys.clone_from(&keys);
                    if let Some(d) = e.desc {
                        b.description = d.to_string();
                    }
                    if let Some(h) = e.hint {
                        b.hint = h;
                    }
                    set_by[j] = Some(i);
                }
            }
            (true, Some(context), Some(desc)) => {
                km.bindings.push(Binding {
                    keys,
                    action,
                    description: desc.to_string(),
                    context,
                    hint: e.hint.unwrap_or(false),
                    name: (name != FIXED).then_some(name),
                });
                set_by.push(Some(i));
            }
            // Config [keys] for an action with no binding to rebind.
            _ => return err(format!("`{name}` has no built-in binding to rebind")),
        }
    }
    // One key, one action per context.
    for (i, a) in km.bindings.iter().enumerate() {
        for (j, bb) in km.bindings.iter().enumerate().skip(i + 1) {
            if a.context != bb.context {
                continue;
            }
            if let Some(k) = a.keys.iter().find(|k| bb.keys.contains(k)) {
                // Name whichever of the two these entries bound.
                let culprit = set_by[i].or(set_by[j]);
                return Err((
                    culprit,
                    format!(
                        "{} is bound to both `{}` and `{}`",
                        k.label(),
                        a.name.unwrap_or("0-9"),
                        bb.name.unwrap_or("0-9")
                    ),
                ));
            }
        }
    }
    Ok(())
}

impl Default for Keymap {
    /// The built-in keymap. Should that file be broken (the tests parse it),
    /// an empty keymap: the monitor refuses to start before this is used
    /// (`from_config` fails), and Ctrl-C quits whatever the keymap says.
    fn default() -> Self {
        Keymap::builtin().unwrap_or(Keymap {
            bindings: Vec::new(),
        })
    }
}

impl Keymap {
    /// The built-in keymap, `assets/keymap.toml`.
    pub fn builtin() -> Result<Keymap, String> {
        BUILTIN_KEYMAP.clone()
    }

    /// A keymap from a file in the built-in's shape: `[global]` and `[help]`,
    /// each `keymap = [{ on = [keys], run = "action", desc = "...", hint = bool }]`.
    /// An error names `file:line`.
    pub fn from_toml(text: &str, file: &str) -> Result<Keymap, String> {
        let doc: KeymapFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            format!("{file}:{line}: {}", e.message())
        })?;
        let mut entries = Vec::new();
        let mut lines = Vec::new();
        // Help first: the order `[keys]` errors list actions in.
        for (section, context) in [(&doc.help, Context::Help), (&doc.global, Context::Global)] {
            for e in section.iter().flat_map(|s| &s.keymap) {
                lines.push((line_of(text, e.span().start), context));
                let e = e.get_ref();
                entries.push(Entry {
                    context: Some(context),
                    run: &e.run,
                    on: &e.on,
                    desc: Some(&e.desc),
                    hint: Some(e.hint),
                });
            }
        }
        let mut km = Keymap {
            bindings: Vec::new(),
        };
        apply(&mut km, &entries).map_err(|(i, e)| match i.and_then(|i| lines.get(i)) {
            Some((line, c)) => format!("{file}:{line}: [{}]: {e}", section_name(*c)),
            None => format!("{file}: {e}"),
        })?;
        Ok(km)
    }

    /// The keymap of a config: the built-in one with its `[keys]` applied
    /// (`action = ["key", ...]`); an error names the file and the action's
    /// line. Ctrl-C always quits, whatever the config says.
    pub fn from_config(keys: &crate::config::KeyOverrides) -> Result<Keymap, String> {
        Keymap::with_overrides(&keys.table).map_err(|(name, e)| {
            let line = keys.lines.get(&name).copied().unwrap_or(0);
            format!("{}:{line}: {e}", keys.file)
        })
    }

    /// The built-in keymap with `[keys]` applied. An error is (the action it
    /// is about, the message).
    pub fn with_overrides(
        overrides: &BTreeMap<String, Vec<String>>,
    ) -> Result<Keymap, (String, String)> {
        let mut km = Keymap::builtin().map_err(|e| ("keys".to_string(), e))?;
        let entries: Vec<Entry> = overrides
            .iter()
            .map(|(run, on)| Entry {
                context: None,
                run,
                on,
                desc: None,
                hint: None,
            })
            .collect();
        apply(&mut km, &entries).map_err(|(i, e)| {
            let name = i
                .and_then(|i| entries.get(i))
                .map_or("keys", |e| e.run)
                .to_string();
            (name, format!("[keys]: {e}"))
        })?;
        Ok(km)
    }

    /// The action a key means in `context`. Help context offers only its own
    /// bindings, so a stray key while help is open does nothing behind it.
    pub fn lookup(&self, ev: &KeyEvent, context: Context) -> Option<Action> {
        if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
            return Some(Action::Quit);
        }
        let b = self
            .bindings
            .iter()
            .filter(|b| b.context == context)
            .find(|b| b.keys.iter().any(|k| k.matches(ev)))?;
        match (b.action, ev.code) {
            (Action::GoTab(_), KeyCode::Char(c)) => {
                c.to_digit(10).map(|n| Action::GoTab(n as usize))
            }
            (a, _) => Some(a),
        }
    }

    /// Bindings marked for the status line in a context, wherever they act.
    pub fn hints(&self, context: Context) -> impl Iterator<Item = &Binding> {
        self.bindings
            .iter()
            .filter(move |b| b.hint && b.context == context)
    }

    /// The bindings whose keys act in `view`, in keymap order (gitui's
    /// `commands()`): with help open only help's own (as `lookup` dispatches),
    /// else those whose action does something there. Help and the status line
    /// offer only these.
    pub fn commands(&self, view: View) -> impl Iterator<Item = &Binding> {
        let context = if view.help {
            Context::Help
        } else {
            Context::Global
        };
        self.bindings
            .iter()
            .filter(move |b| b.context == context && b.action.acts(&view))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn dispatch() {
        let km = Keymap::default();
        let g = Context::Global;
        assert_eq!(km.lookup(&key(KeyCode::Char('q')), g), Some(Action::Quit));
        assert_eq!(
            km.lookup(
                &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
                Context::Help
            ),
            Some(Action::Quit)
        );
        assert_eq!(km.lookup(&key(KeyCode::Tab), g), Some(Action::NextTab));
        assert_eq!(
            km.lookup(&KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT), g),
            Some(Action::PrevTab)
        );
        assert_eq!(
            km.lookup(&key(KeyCode::Char('3')), g),
            Some(Action::GoTab(3))
        );
        assert_eq!(
            km.lookup(&key(KeyCode::Char('0')), g),
            Some(Action::GoTab(0))
        );
        assert_eq!(
            km.lookup(&KeyEvent::new(KeyCode::Char('R'), KeyModifiers::SHIFT), g),
            Some(Action::RefreshAll)
        );
        assert_eq!(
            km.lookup(&key(KeyCode::Char('R')), g),
            Some(Action::RefreshAll)
        );
        assert_eq!(km.lookup(&key(KeyCode::Char('G')), g), Some(Action::Bottom));
        assert_eq!(
            km.lookup(&key(KeyCode::PageDown), g),
            Some(Action::PageDown)
        );
        assert_eq!(km.lookup(&key(KeyCode::Enter), g), Some(Action::Open));
        assert_eq!(km.lookup(&key(KeyCode::Char('x')), g), None);
        assert_eq!(
            km.lookup(&KeyEvent::new(KeyCode::Char('q'), KeyModifiers::ALT), g),
            None,
            "Alt-q is not q"
        );
        assert_eq!(
            km.lookup(&key(KeyCode::Char('q')), Context::Help),
            Some(Action::CloseOverlay)
        );
        assert_eq!(km.lookup(&key(KeyCode::Char('3')), Context::Help), None);
    }

    #[test]
    fn overrides_rebind_and_are_checked() {
        let mut o = BTreeMap::new();
        o.insert(
            "refresh".to_string(),
            vec!["ctrl-r".to_string(), "F".to_string()],
        );
        let km = Keymap::with_overrides(&o).unwrap();
        let g = Context::Global;
        assert_eq!(
            km.lookup(&KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL), g),
            Some(Action::Refresh)
        );
        assert_eq!(
            km.lookup(&key(KeyCode::Char('F')), g),
            Some(Action::Refresh)
        );
        assert_eq!(
            km.lookup(&key(KeyCode::Char('r')), g),
            None,
            "the old key is free"
        );
        let hint = km.hints(g).find(|b| b.action == Action::Refresh).unwrap();
        assert_eq!(hint.label(), "C-r", "hints follow the new binding");

        let mut bad = BTreeMap::new();
        bad.insert("refesh".to_string(), vec!["x".to_string()]);
        assert!(
            Keymap::with_overrides(&bad)
                .unwrap_err()
                .1
                .contains("unknown action `refesh`")
        );
        let mut bad = BTreeMap::new();
        bad.insert("quit".to_string(), vec!["ctrl-".to_string()]);
        assert!(
            Keymap::with_overrides(&bad)
                .unwrap_err()
                .1
                .contains("\"ctrl-\" is not a key")
        );
        let mut clash = BTreeMap::new();
        clash.insert("quit".to_string(), vec!["r".to_string()]);
        assert_eq!(
            Keymap::with_overrides(&clash).unwrap_err(),
            (
                "quit".to_string(),
                "[keys]: r is bound to both `quit` and `refresh`".to_string()
            )
        );
    }

    #[test]
    fn every_binding_has_a_label_and_description() {
        let km = Keymap::default();
        // Help scrolls with four of the row keys, bound in both contexts.
        assert_eq!(
            km.bindings.len(),
            ACTIONS.len() + 4,
            "the built-in file parses"
        );
        for b in km.bindings {
            assert!(!b.description.is_empty() && !b.label().is_empty());
        }
    }
}
