//! One table of key bindings: it drives dispatch, the status-line hints and help.
//! Defaults below; config `[keys]` rebinds an action (`quit = ["q", "ctrl-q"]`).

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
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
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
    pub description: &'static str,
    pub context: Context,
    /// Shown in the status line (the rest only in help).
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

#[derive(Debug, Clone)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

fn b(
    name: &'static str,
    keys: &[Key],
    action: Action,
    description: &'static str,
    hint: bool,
) -> Binding {
    Binding {
        keys: keys.to_vec(),
        action,
        description,
        context: Context::Global,
        hint,
        name: Some(name),
    }
}

impl Default for Keymap {
    fn default() -> Self {
        use KeyCode::*;
        let p = Key::plain;
        let c = Key::ch;
        let digits: Vec<Key> = ('0'..='9').map(Key::ch).collect();
        Keymap {
            bindings: vec![
                Binding {
                    keys: vec![p(Esc), c('?'), c('q')],
                    action: Action::CloseOverlay,
                    description: "close help",
                    context: Context::Help,
                    hint: true,
                    name: Some("close"),
                },
                b(
                    "quit",
                    &[
                        c('q'),
                        Key {
                            code: Char('c'),
                            ctrl: true,
                        },
                    ],
                    Action::Quit,
                    "quit",
                    true,
                ),
                b(
                    "next_tab",
                    &[p(Tab), p(Right), c('l')],
                    Action::NextTab,
                    "next tab",
                    true,
                ),
                b(
                    "prev_tab",
                    &[p(BackTab), p(Left), c('h')],
                    Action::PrevTab,
                    "previous tab",
                    false,
                ),
                Binding {
                    keys: digits,
                    action: Action::GoTab(0),
                    description: "go to tab (0 = All)",
                    context: Context::Global,
                    hint: true,
                    name: None,
                },
                b("down", &[c('j'), p(Down)], Action::Down, "next row", false),
                b("up", &[c('k'), p(Up)], Action::Up, "previous row", false),
                b(
                    "page_down",
                    &[p(PageDown)],
                    Action::PageDown,
                    "ten rows down",
                    false,
                ),
                b(
                    "page_up",
                    &[p(PageUp)],
                    Action::PageUp,
                    "ten rows up",
                    false,
                ),
                b("top", &[c('g'), p(Home)], Action::Top, "first row", false),
                b(
                    "bottom",
                    &[c('G'), p(End)],
                    Action::Bottom,
                    "last row",
                    false,
                ),
                b(
                    "open",
                    &[p(Enter)],
                    Action::Open,
                    "open the selected account (All tab)",
                    false,
                ),
                b(
                    "refresh",
                    &[c('r')],
                    Action::Refresh,
                    "refresh this account now (within its rate budget)",
                    true,
                ),
                b(
                    "refresh_all",
                    &[c('R')],
                    Action::RefreshAll,
                    "refresh every account",
                    false,
                ),
                b(
                    "sort",
                    &[c('s')],
                    Action::CycleSort,
                    "sort balances by the next column",
                    false,
                ),
                b(
                    "hide_zero",
                    &[c('z')],
                    Action::ToggleZero,
                    "hide or show all-zero rows",
                    false,
                ),
                b(
                    "events",
                    &[c('e')],
                    Action::ToggleEvents,
                    "show or hide the events pane",
                    false,
                ),
                b(
                    "privacy",
                    &[c('p')],
                    Action::TogglePrivacy,
                    "privacy: mask every amount",
                    true,
                ),
                b("help", &[c('?')], Action::ToggleHelp, "help", true),
                b(
                    "reload",
                    &[c('c')],
                    Action::Reload,
                    "re-read the config file (also SIGUSR1)",
                    false,
                ),
                b(
                    "acknowledge",
                    &[c('a')],
                    Action::Acknowledge,
                    "acknowledge cleared warnings (\"was CRITICAL ...\"; on All: every account's)",
                    false,
                ),
            ],
        }
    }
}

impl Keymap {
    /// Defaults with config `[keys]` applied: `action = ["key", ...]`. An error
    /// is (the action it is about, the message). Ctrl-C always quits, whatever
    /// the config says.
    /// The keymap of a config: the defaults with its `[keys]`; an error names
    /// the file and the action's line.
    pub fn from_config(keys: &crate::config::KeyOverrides) -> Result<Keymap, String> {
        if keys.table.is_empty() {
            return Ok(Keymap::default());
        }
        Keymap::with_overrides(&keys.table).map_err(|(name, e)| {
            let line = keys.lines.get(&name).copied().unwrap_or(0);
            format!("{}:{line}: {e}", keys.file)
        })
    }

    pub fn with_overrides(
        overrides: &BTreeMap<String, Vec<String>>,
    ) -> Result<Keymap, (String, String)> {
        Self::apply(overrides).map_err(|(name, e)| (name, format!("[keys]: {e}")))
    }

    fn apply(overrides: &BTreeMap<String, Vec<String>>) -> Result<Keymap, (String, String)> {
        let mut km = Keymap::default();
        for (name, keys) in overrides {
            let Some(i) = km
                .bindings
                .iter()
                .position(|b| b.name == Some(name.as_str()))
            else {
                let names: Vec<&str> = km.bindings.iter().filter_map(|b| b.name).collect();
                return Err((
                    name.clone(),
                    format!(
                        "unknown action `{name}`; expected one of {}",
                        names.join(", ")
                    ),
                ));
            };
            if keys.is_empty() {
                return Err((name.clone(), format!("`{name}` needs at least one key")));
            }
            let parsed = keys
                .iter()
                .map(|k| {
                    Key::parse(k).ok_or_else(|| {
                        (name.clone(), format!("`{name}`: {k:?} is not a key (e.g. \"q\", \"ctrl-r\", \"pgdn\", \"shift-tab\")"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            km.bindings[i].keys = parsed;
        }
        // One key, one action per context.
        for (i, a) in km.bindings.iter().enumerate() {
            for bb in &km.bindings[i + 1..] {
                if a.context != bb.context {
                    continue;
                }
                if let Some(k) = a.keys.iter().find(|k| bb.keys.contains(k)) {
                    // Name whichever of the two the config rebound.
                    let culprit = [a.name, bb.name]
                        .into_iter()
                        .flatten()
                        .find(|n| overrides.contains_key(*n))
                        .unwrap_or("keys");
                    return Err((
                        culprit.to_string(),
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

    /// Bindings to show in the status line for a context.
    pub fn hints(&self, context: Context) -> impl Iterator<Item = &Binding> {
        self.bindings
            .iter()
            .filter(move |b| b.hint && b.context == context)
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
        for b in Keymap::default().bindings {
            assert!(!b.description.is_empty() && !b.label().is_empty());
        }
    }
}
