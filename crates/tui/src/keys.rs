//! The key bindings, written down once.
//!
//! `MAIN` says which keys do what on the calls screen and how each row is
//! shown. `App::update` looks keys up here, and the footer, the `?` help and
//! the "Keys:" line of `numdialer --help` are all printed from the same
//! rows: moving a key moves it everywhere at once, the three texts cannot
//! disagree, and a key can only be shown in the row that binds it (the
//! tests check that last part). `QUIT_PROMPT` and `CONFIRM` do the same
//! for the answers of the questions, which list them from there, and
//! `PROMPT` for the keys of a line being typed.

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
    /// Pause the selected campaign, or resume it.
    Pause,
    /// Stop the selected campaign (asks first).
    Stop,
    /// Import a file as a new campaign.
    New,
    /// Export the selected campaign as CSV.
    Export,
    /// Delete the selected campaign (asks first).
    Delete,
    /// Never call the selected entry's number again, in any campaign
    /// (asks first).
    NeverCall,
    /// Filter the calls table by status or outcome.
    Filter,
    /// Move the focus between the campaigns pane and the calls table.
    Focus,
    /// Yes to a question on screen.
    Confirm,
    /// Send what a prompt holds.
    Submit,
    /// Complete the word being typed.
    Complete,
    /// The prompt's previous field.
    PrevField,
    /// The prompt's next field.
    NextField,
    /// Erase the character before the cursor.
    Erase,
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
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Backspace => "Backspace".into(),
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
const TAB: Key = Key::new(KeyCode::Tab);

/// The main screen, in the order the footer offers room: the footer shows
/// rows from the top while they fit, and always the last two (`?` and
/// `q`), which lead to the rest. Esc is not among them: it is the reflex
/// after a popup or a prompt closes, and it only ever closes things.
pub const MAIN: &[Row] = &[
    Row {
        bindings: &[(Action::Call, &[Key::char('c'), Key::char('C')])],
        hint: &[Key::char('c')],
        label: "call",
        help_keys: &[&[Key::char('c')]],
        also: Some("click [ Call ]"),
        help: "start dialing the selected list (once)",
    },
    Row {
        bindings: &[(Action::New, &[Key::char('n')])],
        hint: &[Key::char('n')],
        label: "new",
        help_keys: &[&[Key::char('n')]],
        also: None,
        help: "import a .csv, .txt or .json file as a campaign",
    },
    Row {
        bindings: &[(Action::Pause, &[Key::char('p')])],
        hint: &[Key::char('p')],
        label: "pause",
        help_keys: &[&[Key::char('p')]],
        also: None,
        help: "pause the selected campaign, or resume it",
    },
    Row {
        bindings: &[(Action::Stop, &[Key::char('s')])],
        hint: &[Key::char('s')],
        label: "stop",
        help_keys: &[&[Key::char('s')]],
        also: None,
        help: "stop it for good (asks first)",
    },
    Row {
        bindings: &[(Action::Export, &[Key::char('e')])],
        hint: &[Key::char('e')],
        label: "export",
        help_keys: &[&[Key::char('e')]],
        also: None,
        help: "export it as CSV to a file",
    },
    Row {
        bindings: &[(Action::Filter, &[Key::char('/')])],
        hint: &[Key::char('/')],
        label: "filter",
        help_keys: &[&[Key::char('/')]],
        also: None,
        help: "show only one status or outcome",
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
        help: "select an entry (or a campaign)",
    },
    Row {
        bindings: &[(Action::Focus, &[TAB])],
        hint: &[TAB],
        label: "focus",
        help_keys: &[&[TAB]],
        also: Some("click"),
        help: "move between the campaigns and the calls",
    },
    Row {
        bindings: &[(Action::History, &[ENTER])],
        hint: &[ENTER],
        label: "history",
        help_keys: &[&[ENTER]],
        also: None,
        help: "the selected entry's history, every attempt",
    },
    Row {
        bindings: &[(Action::Delete, &[Key::char('d')])],
        hint: &[Key::char('d')],
        label: "delete",
        help_keys: &[&[Key::char('d')]],
        also: None,
        help: "delete a finished campaign (asks first)",
    },
    Row {
        bindings: &[(Action::NeverCall, &[Key::char('x')])],
        hint: &[Key::char('x')],
        label: "never call",
        help_keys: &[&[Key::char('x')]],
        also: None,
        help: "never call the selected number again (asks)",
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
        bindings: &[(Action::Quit, &[QUIT, CTRL_C])],
        hint: &[QUIT],
        label: "quit",
        help_keys: &[&[QUIT], &[CTRL_C]],
        also: None,
        help: "quit (asks first if anything would be lost)",
    },
];

/// While a popup is open: the keys that opened it close it again, the
/// arrows scroll what does not fit, and q and Ctrl-C still quit (Esc
/// closes rather than quits).
pub const POPUP: &[Binding] = &[
    (Action::Close, &[ESC, ENTER, QUESTION]),
    (Action::Quit, &[QUIT, CTRL_C]),
    (Action::Up, &[UP, Key::char('k')]),
    (Action::Down, &[DOWN, Key::char('j')]),
    (Action::PageUp, &[PAGE_UP]),
    (Action::PageDown, &[PAGE_DOWN]),
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

/// A question about one campaign (stop it? delete it?): yes or no.
pub const CONFIRM: &[Choice] = &[
    Choice {
        binding: (Action::Confirm, &[Key::char('y'), Key::char('Y')]),
        label: "yes",
    },
    Choice {
        binding: (Action::Close, &[Key::char('n'), Key::char('N'), ESC]),
        label: "no",
    },
];

/// While a line is being typed (a path, a filter): every other key is
/// typed into it, so only keys that type nothing do anything else.
pub const PROMPT: &[Binding] = &[
    (Action::Close, &[ESC]),
    (Action::Quit, &[CTRL_C]),
    (Action::Submit, &[ENTER]),
    (Action::Complete, &[TAB]),
    (Action::PrevField, &[UP, Key::new(KeyCode::BackTab)]),
    (Action::NextField, &[DOWN]),
    (Action::Erase, &[Key::new(KeyCode::Backspace)]),
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

/// What `k` answers to a yes-or-no question; as for the quit prompt, only
/// its own keys.
pub fn confirm_action(k: &KeyEvent) -> Option<Action> {
    pick(CONFIRM.iter().map(|c| &c.binding), k)
}

/// What `k` does in a prompt; `None` for a key to type.
pub fn prompt_action(k: &KeyEvent) -> Option<Action> {
    pick(PROMPT.iter(), k)
}

/// How a prompt's own keys read under it: "Enter import · Tab complete …";
/// "next field" only in a form of more than one.
pub fn prompt_hints(submit: &str, fields: usize) -> String {
    PROMPT
        .iter()
        .filter_map(|(action, keys)| {
            let label = match action {
                Action::Submit => submit,
                Action::Close => "cancel",
                Action::Complete => "complete",
                Action::NextField if fields > 1 => "next field",
                _ => return None,
            };
            Some(format!("{} {label}", keys.first()?.name()))
        })
        .collect::<Vec<_>>()
        .join(" · ")
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

/// The footer for a terminal `width` wide: " c call · n new · … · ? help ·
/// q quit", as many rows from the top of `MAIN` as fit beside the last two.
pub fn footer(width: u16) -> String {
    let items: Vec<String> = MAIN.iter().map(|row| hint(row, Key::glyph)).collect();
    let (rest, last) = items.split_at(items.len().saturating_sub(2));
    let room = usize::from(width).saturating_sub(1);
    let tail = last.join(" · ");
    let mut used = tail.chars().count();
    let mut shown = Vec::new();
    for item in rest {
        let cost = item.chars().count() + " · ".chars().count();
        if used + cost <= room {
            used += cost;
            shown.push(item.as_str());
        }
    }
    shown.extend(last.iter().map(String::as_str));
    format!(" {}", shown.join(" · "))
}

/// The same for `--help`, in plain text: "c call · … · Enter history · …".
pub fn help_hints() -> String {
    hints(Key::name)
}

fn hints(write: fn(Key) -> String) -> String {
    MAIN.iter()
        .map(|row| hint(row, write))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn hint(row: &Row, write: fn(Key) -> String) -> String {
    let keys: String = row.hint.iter().map(|&k| write(k)).collect();
    format!("{keys} {}", row.label)
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
            footer(80),
            " c call · n new · p pause · s stop · e export · / filter · ? help · q quit"
        );
        assert_eq!(footer(44), " c call · n new · p pause · ? help · q quit");
        assert_eq!(footer(10), " ? help · q quit", "the way to the rest stays");
        assert_eq!(
            footer(200),
            " c call · n new · p pause · s stop · e export · / filter · ↑↓ select · \
             Tab focus · ⏎ history · d delete · x never call · ? help · q quit"
        );
        assert_eq!(
            help_hints(),
            "c call · n new · p pause · s stop · e export · / filter · ↑↓ select · \
             Tab focus · Enter history · d delete · x never call · ? help · q quit"
        );
        assert_eq!(
            help_lines(),
            [
                " c / click [ Call ]   start dialing the selected list (once)",
                " n                    import a .csv, .txt or .json file as a campaign",
                " p                    pause the selected campaign, or resume it",
                " s                    stop it for good (asks first)",
                " e                    export it as CSV to a file",
                " /                    show only one status or outcome",
                " ↑ ↓ j k  PgUp PgDn   select an entry (or a campaign)",
                " Tab / click          move between the campaigns and the calls",
                " Enter                the selected entry's history, every attempt",
                " d                    delete a finished campaign (asks first)",
                " x                    never call the selected number again (asks)",
                " ?                    this help",
                " q  Ctrl-C            quit (asks first if anything would be lost)",
            ]
        );
        assert_eq!(key_for(Action::Call), "c");
        assert_eq!(key_for(Action::Close), "Esc");
        assert_eq!(
            prompt_hints("import", 5),
            "Esc cancel · Enter import · Tab complete · ↓ next field"
        );
        assert_eq!(
            prompt_hints("export", 1),
            "Esc cancel · Enter export · Tab complete"
        );
        let footer = footer(u16::MAX);
        let lines = help_lines();
        for (row, line) in MAIN.iter().zip(&lines) {
            let hint: String = row.hint.iter().map(|&k| k.glyph()).collect();
            assert!(footer.contains(&format!("{hint} {}", row.label)), "{row:?}");
            assert!(line.ends_with(row.help), "{row:?}");
        }
        for width in [1, 20, 44, 60, 80, 120] {
            assert!(footer_fits(width), "{width}");
        }
    }

    fn footer_fits(width: u16) -> bool {
        let f = footer(width);
        f.chars().count() <= usize::from(width).max(" ? help · q quit".chars().count())
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
            CONFIRM.iter().map(|c| &c.binding).collect(),
            PROMPT.iter().collect(),
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
        assert_eq!(
            main_action(&press(KeyCode::Tab, KeyModifiers::NONE)),
            Some(Action::Focus)
        );
        assert_eq!(main_action(&press(KeyCode::F(2), KeyModifiers::NONE)), None);
        assert_eq!(
            main_action(&press(KeyCode::Esc, KeyModifiers::NONE)),
            None,
            "Esc never quits"
        );
        assert_eq!(
            prompt_action(&press(c, KeyModifiers::NONE)),
            None,
            "typed into the prompt"
        );
        assert_eq!(
            prompt_action(&press(c, KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            confirm_action(&press(KeyCode::Char('q'), KeyModifiers::NONE)),
            None
        );
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
