//! One table of key bindings: it drives dispatch, the status-line hints and help.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    NextTab,
    PrevTab,
    /// 0 = the All overview, n = the n-th account.
    GoTab(usize),
    ScrollDown,
    ScrollUp,
    Refresh,
    RefreshAll,
    TogglePrivacy,
    ToggleHelp,
    CloseOverlay,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Global,
    Help,
}

pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the keys are written in hints and help.
    pub label: &'static str,
    pub action: Action,
    pub description: &'static str,
    pub context: Context,
    /// Shown in the status line (the rest only in help).
    pub hint: bool,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

macro_rules! digits {
    ($($n:literal => $c:literal),*) => {
        [$(Binding {
            keys: &[(KeyCode::Char($c), NONE)],
            label: "",
            action: Action::GoTab($n),
            description: "",
            context: Context::Global,
            hint: false,
        }),*]
    };
}

pub static DIGITS: [Binding; 10] = digits!(0 => '0', 1 => '1', 2 => '2', 3 => '3', 4 => '4',
    5 => '5', 6 => '6', 7 => '7', 8 => '8', 9 => '9');

pub static BINDINGS: &[Binding] = &[
    Binding {
        keys: &[
            (KeyCode::Esc, NONE),
            (KeyCode::Char('?'), NONE),
            (KeyCode::Char('q'), NONE),
        ],
        label: "Esc",
        action: Action::CloseOverlay,
        description: "close help",
        context: Context::Help,
        hint: true,
    },
    Binding {
        keys: &[(KeyCode::Char('q'), NONE), (KeyCode::Char('c'), CTRL)],
        label: "q",
        action: Action::Quit,
        description: "quit (also Ctrl-C)",
        context: Context::Global,
        hint: true,
    },
    Binding {
        keys: &[
            (KeyCode::Tab, NONE),
            (KeyCode::Right, NONE),
            (KeyCode::Char('l'), NONE),
        ],
        label: "Tab",
        action: Action::NextTab,
        description: "next tab (also → and l)",
        context: Context::Global,
        hint: true,
    },
    Binding {
        keys: &[
            (KeyCode::BackTab, SHIFT),
            (KeyCode::BackTab, NONE),
            (KeyCode::Left, NONE),
            (KeyCode::Char('h'), NONE),
        ],
        label: "S-Tab",
        action: Action::PrevTab,
        description: "previous tab (also ← and h)",
        context: Context::Global,
        hint: false,
    },
    Binding {
        keys: &[],
        label: "0-9",
        action: Action::GoTab(0),
        description: "go to tab (0 = All)",
        context: Context::Global,
        hint: true,
    },
    Binding {
        keys: &[(KeyCode::Down, NONE), (KeyCode::Char('j'), NONE)],
        label: "j",
        action: Action::ScrollDown,
        description: "scroll down (also ↓)",
        context: Context::Global,
        hint: false,
    },
    Binding {
        keys: &[(KeyCode::Up, NONE), (KeyCode::Char('k'), NONE)],
        label: "k",
        action: Action::ScrollUp,
        description: "scroll up (also ↑)",
        context: Context::Global,
        hint: false,
    },
    Binding {
        keys: &[(KeyCode::Char('r'), NONE)],
        label: "r",
        action: Action::Refresh,
        description: "refresh this account now (within its rate budget)",
        context: Context::Global,
        hint: true,
    },
    Binding {
        keys: &[(KeyCode::Char('R'), SHIFT), (KeyCode::Char('R'), NONE)],
        label: "R",
        action: Action::RefreshAll,
        description: "refresh every account",
        context: Context::Global,
        hint: false,
    },
    Binding {
        keys: &[(KeyCode::Char('p'), NONE)],
        label: "p",
        action: Action::TogglePrivacy,
        description: "privacy: mask every amount",
        context: Context::Global,
        hint: true,
    },
    Binding {
        keys: &[(KeyCode::Char('?'), NONE)],
        label: "?",
        action: Action::ToggleHelp,
        description: "help",
        context: Context::Global,
        hint: true,
    },
];

fn matches(keys: &[(KeyCode, KeyModifiers)], ev: &KeyEvent) -> bool {
    keys.iter().any(|(code, mods)| {
        *code == ev.code && (*mods == ev.modifiers || (*mods == NONE && ev.modifiers == SHIFT))
    })
}

/// The action a key means in `context`, if any. Help context falls back to nothing
/// else, so a stray key while help is open does not act behind it (except Ctrl-C).
pub fn lookup(ev: &KeyEvent, context: Context) -> Option<Action> {
    if ev.code == KeyCode::Char('c') && ev.modifiers.contains(CTRL) {
        return Some(Action::Quit);
    }
    let found = BINDINGS
        .iter()
        .filter(|b| b.context == context)
        .find(|b| matches(b.keys, ev))
        .map(|b| b.action);
    if found.is_some() || context != Context::Global {
        return found;
    }
    DIGITS
        .iter()
        .find(|b| matches(b.keys, ev))
        .map(|b| b.action)
}

/// Bindings to show in the status line for a context.
pub fn hints(context: Context) -> impl Iterator<Item = &'static Binding> {
    BINDINGS
        .iter()
        .filter(move |b| b.hint && b.context == context)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, NONE)
    }

    #[test]
    fn dispatch() {
        assert_eq!(
            lookup(&key(KeyCode::Char('q')), Context::Global),
            Some(Action::Quit)
        );
        assert_eq!(
            lookup(&KeyEvent::new(KeyCode::Char('c'), CTRL), Context::Help),
            Some(Action::Quit)
        );
        assert_eq!(
            lookup(&key(KeyCode::Tab), Context::Global),
            Some(Action::NextTab)
        );
        assert_eq!(
            lookup(&KeyEvent::new(KeyCode::BackTab, SHIFT), Context::Global),
            Some(Action::PrevTab)
        );
        assert_eq!(
            lookup(&key(KeyCode::Char('3')), Context::Global),
            Some(Action::GoTab(3))
        );
        assert_eq!(
            lookup(&key(KeyCode::Char('0')), Context::Global),
            Some(Action::GoTab(0))
        );
        assert_eq!(
            lookup(&KeyEvent::new(KeyCode::Char('R'), SHIFT), Context::Global),
            Some(Action::RefreshAll)
        );
        assert_eq!(lookup(&key(KeyCode::Char('x')), Context::Global), None);
        assert_eq!(
            lookup(&key(KeyCode::Char('q')), Context::Help),
            Some(Action::CloseOverlay)
        );
        assert_eq!(lookup(&key(KeyCode::Char('3')), Context::Help), None);
    }

    #[test]
    fn every_global_binding_has_a_description() {
        for b in BINDINGS {
            assert!(!b.description.is_empty() && !b.label.is_empty());
        }
    }
}
