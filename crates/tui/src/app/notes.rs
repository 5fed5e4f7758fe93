//! What the server says about the watched campaign that the header shows
//! under its top line, one line each: a dialer API that does not answer,
//! calls from before a restart still holding their lines, a campaign held
//! for want of a current do-not-call registry copy, and the campaign's
//! calling hours. Worked out from the last answer (never by
//! walking the list), so a frame costs the same for any list.

use super::App;
use numdialer_core::Timestamp;
use numdialer_core::hours::CallingHours;
use std::time::Duration;

/// How a note is shown: in the plain style, or the theme's warning or
/// error style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Warn,
    Error,
}

/// One line under the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub tone: Tone,
}

impl App {
    /// The notes of the last answer, most pressing first. Nothing before
    /// the first answer; no calling hours from a server too old to send a
    /// campaign's summary.
    pub fn notes(&self) -> Vec<Note> {
        let Some(s) = &self.statuses else {
            return Vec::new();
        };
        let mut notes = Vec::new();
        if let Some(why) = &s.dialer_unreachable {
            notes.push(Note {
                text: format!("✕ dialer API unreachable: {why}"),
                tone: Tone::Error,
            });
        }
        if let Some(why) = &s.events_failing {
            notes.push(Note {
                text: format!("▲ {why}"),
                tone: Tone::Warn,
            });
        }
        if let Some(b) = &s.before_restart {
            // Short enough for 80 columns with a countdown in minutes.
            let (calls, wait, time) = match b.calls {
                1 => ("1 call".to_string(), "awaits", "times"),
                n => (format!("{n} calls"), "await", "time"),
            };
            notes.push(Note {
                text: format!(
                    "▲ {calls} from before the restart {wait} a final webhook; {time} out {}",
                    self.countdown(b.times_out_by),
                ),
                tone: Tone::Warn,
            });
        }
        if let Some(why) = s
            .campaign
            .as_ref()
            .and_then(|c| c.calling.registry_hold.as_ref())
        {
            notes.push(Note {
                text: format!("▲ not dialing: {why}"),
                tone: Tone::Warn,
            });
        }
        if let Some(c) = &s.campaign {
            let calling = &c.calling;
            let note = match calling.hours.calling_hours {
                CallingHours::Off if s.real_provider => Note {
                    text: "calling hours off: this campaign dials at any hour, through a real \
                           dialer API"
                        .into(),
                    tone: Tone::Warn,
                },
                CallingHours::Off => Note {
                    text: "calling hours off".into(),
                    tone: Tone::Plain,
                },
                CallingHours::Window(w) => {
                    let window = w.to_string().replace('-', "–");
                    let days = match calling.hours.days.is_every_day() {
                        true => String::new(),
                        false => format!(" {}", calling.hours.days),
                    };
                    let waiting = match (calling.waiting_for_hours, calling.next_opening) {
                        (0, _) => String::new(),
                        (n, Some(at)) => {
                            format!(
                                " · {n} wait for their window, next opens {}",
                                self.countdown(at)
                            )
                        }
                        (n, None) => format!(" · {n} wait for their window"),
                    };
                    Note {
                        text: format!("calling hours {window}{days}{waiting}"),
                        tone: Tone::Plain,
                    }
                }
            };
            notes.push(note);
        }
        notes
    }

    /// Lines the header takes under its top line: the mode's warnings and
    /// the notes.
    pub fn warning_lines(&self) -> u16 {
        let notes = u16::try_from(self.notes().len()).unwrap_or(u16::MAX);
        self.mode.warning_lines().saturating_add(notes)
    }

    /// "in 42 s", "in 2h 05m", "now": the time to `at` on the server's
    /// clock, so that it counts down with the server's instants.
    fn countdown(&self, at: Timestamp) -> String {
        let left = self
            .server_now()
            .map_or(0, |now| at.millis().saturating_sub(now.millis()));
        if left == 0 {
            return "now".into();
        }
        let d = Duration::from_millis(left);
        let s = d.as_secs().max(1);
        match s {
            0..60 => format!("in {s} s"),
            60..3600 => format!("in {}m {:02}s", s / 60, s % 60),
            _ => format!("in {}h {:02}m", s / 3600, s % 3600 / 60),
        }
    }
}
