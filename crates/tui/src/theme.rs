//! Every style the screen uses, by what it means rather than by colour.
//!
//! Two themes: `COLOR`, and `PLAIN` for terminals and people that ask for
//! no colour through `NO_COLOR` (<https://no-color.org>). The choice is made
//! once, when the `App` is built; views ask the theme for "error" or
//! "ringing" and never test for colour themselves, so a new view cannot
//! forget `NO_COLOR`. The plain theme keeps the words and the bold and
//! reversed text that carry meaning without colour (final statuses, the
//! enabled button, the selected row).

use numdialer_core::Status;
use numdialer_core::campaign::CampaignState;
use numdialer_core::status::Lenient;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// The product name and the table's column header.
    pub title: Style,
    /// Secondary text: the key footer, entries not dialed yet, ignored events.
    pub dim: Style,
    /// What went wrong: refusals, failures, an unreachable server.
    pub error: Style,
    /// What is well: a live connection, the finished part of the bar.
    pub ok: Style,
    /// Worth a look: connecting, a connection gone stale.
    pub warn: Style,
    /// The Call button while it can be pressed.
    pub button: Style,
    /// The Call button while it cannot.
    pub button_disabled: Style,
    /// The selected row of the table.
    pub selected: Style,
    /// The focused pane's border.
    pub focused: Style,
    pub statuses: StatusStyles,
    pub states: StateStyles,
}

/// One style per campaign state, for the pane's badges: the final ones
/// stand out, as final statuses do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateStyles {
    pub draft: Style,
    pub running: Style,
    pub paused: Style,
    pub done: Style,
    pub stopped: Style,
}

/// One style per call status, so that the table, the help legend and the
/// history show a status alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusStyles {
    pub idle: Style,
    pub dialing: Style,
    pub ringing: Style,
    pub answered: Style,
    pub completed: Style,
    pub failed: Style,
    pub waiting: Style,
    /// `waiting · hours`: held back until the callee's calling hours
    /// open, apart from a retry's wait.
    pub held: Style,
    pub canceled: Style,
    /// `completed · machine` and `· voicemail left`: a machine answered,
    /// apart from a person (answered) and from nobody (no answer).
    pub machine: Style,
    /// `canceled · do not call`: the number is on a do-not-call list.
    pub suppressed: Style,
}

const BOLD: Style = Style::new().add_modifier(Modifier::BOLD);
const PLAIN_TEXT: Style = Style::new();

impl Theme {
    pub const COLOR: Theme = Theme {
        title: BOLD,
        dim: Style::new().fg(Color::DarkGray),
        error: Style::new().fg(Color::Red),
        ok: Style::new().fg(Color::Green),
        warn: Style::new().fg(Color::Yellow),
        button: Style::new()
            .fg(Color::Green)
            .add_modifier(Modifier::BOLD.union(Modifier::REVERSED)),
        button_disabled: Style::new().fg(Color::DarkGray).add_modifier(Modifier::DIM),
        selected: Style::new().add_modifier(Modifier::REVERSED),
        focused: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        statuses: StatusStyles {
            idle: Style::new().fg(Color::DarkGray),
            dialing: Style::new().fg(Color::Blue),
            ringing: Style::new().fg(Color::Yellow),
            answered: Style::new().fg(Color::Green),
            completed: BOLD,
            failed: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            waiting: Style::new().fg(Color::Magenta),
            held: Style::new().fg(Color::LightBlue),
            canceled: Style::new()
                .fg(Color::DarkGray)
                .add_modifier(Modifier::BOLD),
            machine: Style::new().fg(Color::Cyan),
            suppressed: Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
        },
        states: StateStyles {
            draft: Style::new().fg(Color::Cyan),
            running: Style::new().fg(Color::Green),
            paused: Style::new().fg(Color::Yellow),
            done: BOLD,
            stopped: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        },
    };

    pub const PLAIN: Theme = Theme {
        title: BOLD,
        dim: PLAIN_TEXT,
        error: PLAIN_TEXT,
        ok: PLAIN_TEXT,
        warn: PLAIN_TEXT,
        button: Style::new().add_modifier(Modifier::BOLD.union(Modifier::REVERSED)),
        button_disabled: Style::new().add_modifier(Modifier::DIM),
        selected: Style::new().add_modifier(Modifier::REVERSED),
        focused: BOLD,
        statuses: StatusStyles {
            idle: PLAIN_TEXT,
            dialing: PLAIN_TEXT,
            ringing: PLAIN_TEXT,
            answered: PLAIN_TEXT,
            completed: BOLD,
            failed: BOLD,
            waiting: PLAIN_TEXT,
            held: PLAIN_TEXT,
            canceled: BOLD,
            machine: PLAIN_TEXT,
            suppressed: BOLD,
        },
        states: StateStyles {
            draft: PLAIN_TEXT,
            running: PLAIN_TEXT,
            paused: PLAIN_TEXT,
            done: BOLD,
            stopped: BOLD,
        },
    };

    /// The colour theme, or the plain one when `color` is false.
    pub fn new(color: bool) -> Theme {
        if color { Theme::COLOR } else { Theme::PLAIN }
    }

    /// A status as the server reported it: one this build does not know
    /// is drawn plain.
    pub fn reported(&self, status: &Lenient<Status>) -> Style {
        status.known().map_or(Style::new(), |s| self.status(s))
    }

    pub fn status(&self, status: Status) -> Style {
        let s = &self.statuses;
        match status {
            Status::Idle => s.idle,
            Status::Dialing => s.dialing,
            Status::Ringing => s.ringing,
            Status::Answered => s.answered,
            Status::Completed => s.completed,
            Status::Failed => s.failed,
            Status::Waiting => s.waiting,
            Status::Canceled => s.canceled,
        }
    }
}

impl Theme {
    pub fn state(&self, state: CampaignState) -> Style {
        let s = &self.states;
        match state {
            CampaignState::Draft => s.draft,
            CampaignState::Running => s.running,
            CampaignState::Paused => s.paused,
            CampaignState::Done => s.done,
            CampaignState::Stopped => s.stopped,
        }
    }
}

/// Whether this process may use colour: `NO_COLOR` unset or empty, as
/// no-color.org asks.
pub fn color_from_env() -> bool {
    color_allowed(std::env::var_os("NO_COLOR").as_deref())
}

fn color_allowed(no_color: Option<&std::ffi::OsStr>) -> bool {
    no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_set_and_not_empty_turns_colour_off() {
        assert!(color_allowed(None));
        assert!(color_allowed(Some("".as_ref())));
        assert!(!color_allowed(Some("1".as_ref())));
        assert_eq!(Theme::new(true), Theme::COLOR);
        assert_eq!(Theme::new(false), Theme::PLAIN);
    }

    #[test]
    fn the_plain_theme_has_no_colour_and_keeps_the_emphasis() {
        let t = Theme::PLAIN;
        let mut styles = vec![
            t.title,
            t.dim,
            t.error,
            t.ok,
            t.warn,
            t.button,
            t.button_disabled,
            t.selected,
            t.focused,
        ];
        styles.extend(Status::ALL.map(|s| t.status(s)));
        styles.extend(CampaignState::ALL.map(|s| t.state(s)));
        for s in styles {
            assert_eq!((s.fg, s.bg), (None, None), "{s:?}");
        }
        for s in Status::ALL {
            assert_eq!(
                t.status(s).add_modifier.contains(Modifier::BOLD),
                s.is_final(),
                "{s}: final statuses stand out"
            );
            assert_eq!(
                t.status(s).add_modifier,
                Theme::COLOR.status(s).add_modifier,
                "{s}: the same emphasis in both themes"
            );
        }
    }
}
