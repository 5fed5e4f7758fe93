//! The key bindings, written down once.
//!
//! `MAIN` says which keys do what on the calls screen and how each row is
//! shown. `App::update` looks keys up here, and the footer, the `?` help and
//! the "Keys:" line of `numdialer --help` are all printed from the same
//! rows: moving a key moves it everywhere at once, the three texts cannot
//! disagree, and a key can only be shown in the row that binds it (the
//! tests check that last part). `QUIT_PROMPT` does the same for the
//! answers of the quit prompt, which lists them from there.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks the `App` to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Call,
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
    History,
    Help,
    /// Quit, or ask first when quitting would cut calls off.
    Quit,
    /// Quit although calls are in flight: the answer to the quit prompt.
    ConfirmQuit,
    /// Close the popup that is open.
    Close,
}

/// A key as the tables name it. A key matches whatever other modifiers are
/// held (Alt-q still quits), except that one bound with Ctrl needs Ctrl and
/// wins over the same key without it (Ctrl-C quits, c calls).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    code: KeyCode,
    ctrl: bool,
}

impl Key {
    const fn new(code: KeyCode) -> Key {
        Key { code, ctrl: false }
    }

    const fn char(c: char) -> Key {
        Key::new(KeyCode::Char(c))
    }

    const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
        }
    }

    /// The key pressed, for tests that press every key of a table.
    #[cfg(test)]
    pub fn event(self) -> KeyEvent {
        let modifiers = if self.ctrl {
            KeyModifiers::CONTROL
        } else {
            KeyModifiers::NONE
        };
        KeyEvent::new(self.code, modifiers)
    }

    fn matches(self, k: &KeyEvent) -> bool {
        self.code == k.code && (!self.ctrl || k.modifiers.contains(KeyModifiers::CONTROL))
    }

    /// How the help and `--help` write the key: plain text that any
    /// terminal and any pager shows, the same on every platform (crossterm
    /// would call Enter "Return" on macOS).
    pub fn name(self) -> String {
        match self.code {
            KeyCode::Char(c) if self.ctrl => format!("Ctrl-{}", c.to_ascii_uppercase()),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            other => other.to_string(),
        }
    }

    /// How the footer writes the key: as short as it can be, to fit.
    pub fn glyph(self) -> String {
        match self.code {
            KeyCode::Enter => "⏎".into(),
            _ => self.name(),
        }
    }
}

/// Keys bound to one action.
pub type Binding = (Action, &'static [Key]);

/// One line of the help, one item of the footer and of `--help`.
#[derive(Debug)]
pub struct Row {
    /// What the keys do.
    pub bindings: &'static [Binding],
    /// The footer's and `--help`'s keys for this row, written together
    /// ("↑↓"), then `label`.
    pub hint: &'static [Key],
    pub label: &'static str,
    /// The help's key column: groups of keys ("↑ ↓ j k", "PgUp PgDn"), and
    /// what else does the same, such as a click. Keys left out of every
    /// group still work (C, Home, g); they are aliases not worth the room.
    pub help_keys: &'static [&'static [Key]],
    pub also: Option<&'static str>,
    pub help: &'static str,
}

const UP: Key = Key::new(KeyCode::Up);
const DOWN: Key = Key::new(KeyCode::Down);
const PAGE_UP: Key = Key::new(KeyCode::PageUp);
const PAGE_DOWN: Key = Key::new(KeyCode::PageDown);
const ENTER: Key = Key::new(KeyCode::Enter);
const ESC: Key = Key::new(KeyCode::Esc);
const QUESTION: Key = Key::char('?');
const QUIT: Key = Key::char('q');
const CTRL_C: Key = Key::ctrl('c');

/// The calls screen.
pub const MAIN: &[Row] = &[
    Row {
        bindings: &[(Action::Call, &[Key::char('c'), Key::char('C')])],
        hint: &[Key::char('c')],
        label: "call",
        help_keys: &[&[Key::char('c')]],
        also: Some("click [ Call ]"),
        help: "start dialing the list (once)",
    },
    Row {
        bindings: &[
            (Action::Up, &[UP, Key::char('k')]),
            (Action::Down, &[DOWN, Key::char('j')]),
            (Action::PageUp, &[PAGE_UP]),
            (Action::PageDown, &[PAGE_DOWN]),
            (Action::First, &[Key::new(KeyCode::Home), Key::char('g')]),
            (Action::Last, &[Key::new(KeyCode::End), Key::char('G')]),
        ],
        hint: &[UP, DOWN],
        label: "select",
        help_keys: &[
            &[UP, DOWN, Key::char('j'), Key::char('k')],
            &[PAGE_UP, PAGE_DOWN],
        ],
        also: None,
        help: "select an entry",
    },
    Row {
        bindings: &[(Action::History, &[ENTER])],
        hint: &[ENTER],
        label: "history",
        help_keys: &[&[ENTER]],
        also: None,
        help: "the selected entry's history",
    },
    Row {
        bindings: &[(Action::Help, &[QUESTION])],
        hint: &[QUESTION],
        label: "help",
        help_keys: &[&[QUESTION]],
        also: None,
        help: "this help",
    },
    Row {
        bindings: &[(Action::Quit, &[QUIT, ESC, CTRL_C])],
        hint: &[QUIT],
        label: "quit",
        help_keys: &[&[QUIT], &[ESC], &[CTRL_C]],
        also: None,
        help: "quit (asks if that cuts calls off)",
    },
];

/// While a popup is open: the keys that opened it close it again, and q
/// and Ctrl-C still quit (Esc closes rather than quits).
pub const POPUP: &[Binding] = &[
    (Action::Close, &[ESC, ENTER, QUESTION]),
    (Action::Quit, &[QUIT, CTRL_C]),
];

/// One answer to a question on screen: its keys, and the words the
/// question lists it with (the first key, then `label`).
#[derive(Debug)]
pub struct Choice {
    pub binding: Binding,
    pub label: &'static str,
}

/// The quit prompt, asked when quitting would stop calls in flight. A
/// "pause first" answer belongs here once campaigns can be paused.
pub const QUIT_PROMPT: &[Choice] = &[
    Choice {
        binding: (Action::ConfirmQuit, &[Key::char('y'), Key::char('Y')]),
        label: "quit",
    },
    Choice {
        binding: (Action::Close, &[Key::char('n'), Key::char('N'), ESC]),
        label: "keep dialing",
    },
];

/// What `k` does on the calls screen.
pub fn main_action(k: &KeyEvent) -> Option<Action> {
    pick(MAIN.iter().flat_map(|row| row.bindings), k)
}

/// What `k` does while a popup is open.
pub fn popup_action(k: &KeyEvent) -> Option<Action> {
    pick(POPUP.iter(), k)
}

/// What `k` answers to the quit prompt. Only its own keys: a second q or
/// Ctrl-C, pressed out of habit, must not answer a question the person
/// has not read.
pub fn quit_prompt_action(k: &KeyEvent) -> Option<Action> {
    pick(QUIT_PROMPT.iter().map(|c| &c.binding), k)
}

/// How a question lists its answers: "y quit · n keep dialing".
pub fn choices(table: &[Choice]) -> String {
    table
        .iter()
        .map(|c| {
            let key = c.binding.1.first().map_or_else(String::new, |k| k.name());
            format!("{key} {}", c.label)
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn pick<'a>(bindings: impl Iterator<Item = &'a Binding> + Clone, k: &KeyEvent) -> Option<Action> {
    let find = |with_ctrl: bool| {
        bindings.clone().find_map(|(action, keys)| {
            keys.iter()
                .any(|key| key.ctrl == with_ctrl && key.matches(k))
                .then_some(*action)
        })
    };
    find(true).or_else(|| find(false))
}

/// The footer: " c call · ↑↓ select · ⏎ history · ? help · q quit".
pub fn footer() -> String {
    format!(" {}", hints(Key::glyph))
}

/// The same for `--help`, in plain text: "c call · … · Enter history · …".
pub fn help_hints() -> String {
    hints(Key::name)
}

fn hints(write: fn(Key) -> String) -> String {
    MAIN.iter()
        .map(|row| {
            let keys: String = row.hint.iter().map(|&k| write(k)).collect();
            format!("{keys} {}", row.label)
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The help's lines about keys, a key column and what they do.
pub fn help_lines() -> Vec<String> {
    MAIN.iter()
        .map(|row| {
            let groups: Vec<String> = row
                .help_keys
                .iter()
                .map(|group| group.iter().map(|k| k.name()).collect::<Vec<_>>().join(" "))
                .collect();
            let mut keys = groups.join("  ");
            if let Some(also) = row.also {
                keys = format!("{keys} / {also}");
            }
            format!(" {keys:<20} {}", row.help)
        })
        .collect()
}

/// How running text names the key for `action` ("press c", "Esc to
/// close"): the first key bound to it.
pub fn key_for(action: Action) -> String {
    MAIN.iter()
        .flat_map(|row| row.bindings)
        .chain(POPUP)
        .find(|(a, _)| *a == action)
        .and_then(|(_, keys)| keys.first())
        .map_or_else(String::new, |k| k.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footer_help_and_cli_hints_are_printed_from_the_table() {
        assert_eq!(
            footer(),
            " c call · ↑↓ select · ⏎ history · ? help · q quit"
        );
        assert_eq!(
            help_hints(),
            "c call · ↑↓ select · Enter history · ? help · q quit"
        );
        assert_eq!(
            help_lines(),
            [
                " c / click [ Call ]   start dialing the list (once)",
                " ↑ ↓ j k  PgUp PgDn   select an entry",
                " Enter                the selected entry's history",
                " ?                    this help",
                " q  Esc  Ctrl-C       quit (asks if that cuts calls off)",
            ]
        );
        assert_eq!(key_for(Action::Call), "c");
        assert_eq!(key_for(Action::Close), "Esc");
        let footer = footer();
        let lines = help_lines();
        for (row, line) in MAIN.iter().zip(&lines) {
            let hint: String = row.hint.iter().map(|&k| k.glyph()).collect();
            assert!(footer.contains(&format!("{hint} {}", row.label)), "{row:?}");
            assert!(line.ends_with(row.help), "{row:?}");
        }
    }

    #[test]
    fn every_key_shown_is_bound_in_its_row_and_bound_once() {
        for row in MAIN {
            let bound: Vec<Key> = row.bindings.iter().flat_map(|(_, k)| *k).copied().collect();
            let shown = row
                .hint
                .iter()
                .chain(row.help_keys.iter().copied().flatten());
            for key in shown {
                assert!(bound.contains(key), "{key:?} shown but not bound: {row:?}");
            }
        }
        for table in [
            MAIN.iter().flat_map(|r| r.bindings).collect::<Vec<_>>(),
            POPUP.iter().collect(),
            QUIT_PROMPT.iter().map(|c| &c.binding).collect(),
        ] {
            let keys: Vec<Key> = table.iter().flat_map(|(_, k)| *k).copied().collect();
            for (i, key) in keys.iter().enumerate() {
                assert!(!keys[i + 1..].contains(key), "{key:?} bound twice");
            }
        }
    }

    #[test]
    fn ctrl_c_quits_and_other_modifiers_do_not_matter() {
        let press = |code, modifiers| KeyEvent::new(code, modifiers);
        let c = KeyCode::Char('c');
        assert_eq!(
            main_action(&press(c, KeyModifiers::NONE)),
            Some(Action::Call)
        );
        assert_eq!(
            main_action(&press(c, KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            main_action(&press(KeyCode::Char('q'), KeyModifiers::ALT)),
            Some(Action::Quit)
        );
        assert_eq!(
            main_action(&press(KeyCode::Char('C'), KeyModifiers::SHIFT)),
            Some(Action::Call)
        );
        assert_eq!(main_action(&press(KeyCode::Tab, KeyModifiers::NONE)), None);
        assert_eq!(
            popup_action(&press(KeyCode::Esc, KeyModifiers::NONE)),
            Some(Action::Close)
        );
        assert_eq!(
            popup_action(&press(c, KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(popup_action(&press(c, KeyModifiers::NONE)), None);
    }

    #[test]
    fn the_quit_prompt_answers_only_to_its_own_keys() {
        let press = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(choices(QUIT_PROMPT), "y quit · n keep dialing");
        assert_eq!(quit_prompt_action(&press('y')), Some(Action::ConfirmQuit));
        assert_eq!(quit_prompt_action(&press('n')), Some(Action::Close));
        assert_eq!(
            quit_prompt_action(&KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
            Some(Action::Close)
        );
        assert_eq!(quit_prompt_action(&press('q')), None);
        assert_eq!(
            quit_prompt_action(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            None
        );
    }
}
