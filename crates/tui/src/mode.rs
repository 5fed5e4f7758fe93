//! Which server the TUI talks to, and so what quitting does to the calls.
//!
//! A remote numdialer-server keeps dialing when the TUI quits. An embedded
//! one lives in this process and stops with it: calls in flight then lose
//! their status updates, and where the store is temporary the list itself
//! is forgotten. The `App` asks before quitting, and the header warns,
//! from what this module says about the mode; both stay plain functions
//! of it, so tests can build any mode without starting a server.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// A numdialer-server elsewhere: it keeps dialing when the TUI quits.
    Remote { url: String },
    /// A server inside this process, which stops when the TUI quits.
    Embedded(Embedded),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embedded {
    /// Where the data lives, as the header writes it
    /// ("~/.local/share/numdialer"); `None` is a temporary store.
    pub data: Option<String>,
    /// Calls go to the embedded simulator: nobody real is dialed, so a
    /// temporary store loses nothing that matters.
    pub simulated: bool,
    /// The server speaks Twilio's protocol (`--dialer twilio`), which the
    /// header names: its pacing and its outcomes differ from the demo's.
    pub twilio: bool,
    /// Dials a second at most (`--max-cps`), as the header writes it
    /// ("1", "2.5"): it, not the lines, sets the pace of a long list.
    /// `None` is no cap. Text, so that the mode stays `Eq`.
    pub max_cps: Option<String>,
    /// Started inside an SSH session, whose end ends the TUI (SIGHUP) and
    /// so the dialing.
    pub in_ssh: bool,
    /// How long a call left in flight by a quit waits, after a restart,
    /// before the server fails it: its webhooks went to a server that is
    /// gone.
    pub call_timeout: Duration,
}

/// Something the header keeps saying under its first line, because it
/// stays true for as long as the TUI runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    /// A real dialer from inside SSH: the session's end stops the dialing.
    InsideSsh,
    /// A real dialer with a temporary store: a new run dials everyone again.
    TemporaryStore,
}

impl Warning {
    /// The warning's lines, each short enough for an 80-column terminal.
    pub fn lines(self) -> &'static [&'static str] {
        match self {
            Warning::InsideSsh => &[
                "⚠ Inside SSH: dialing stops when this session ends. To dial unattended, run",
                "  numdialer-server; see \"The TUI over SSH\" in docs/operations.md.",
            ],
            Warning::TemporaryStore => {
                &["⚠ Temporary store: quit, and a new run dials the whole list again."]
            }
        }
    }
}

impl Mode {
    /// What the header must keep saying. Nothing against the simulator:
    /// nobody real is called there.
    pub fn warnings(&self) -> Vec<Warning> {
        let Mode::Embedded(e) = self else {
            return Vec::new();
        };
        let mut v = Vec::new();
        if !e.simulated && e.in_ssh {
            v.push(Warning::InsideSsh);
        }
        if !e.simulated && e.data.is_none() {
            v.push(Warning::TemporaryStore);
        }
        v
    }

    /// Lines the warnings take on screen.
    pub fn warning_lines(&self) -> u16 {
        let n: usize = self.warnings().iter().map(|w| w.lines().len()).sum();
        u16::try_from(n).unwrap_or(u16::MAX)
    }

    /// Whether quitting the TUI stops the server, and with it the calls.
    pub fn quitting_stops_the_server(&self) -> bool {
        matches!(self, Mode::Embedded(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded(data: Option<&str>, simulated: bool, in_ssh: bool) -> Mode {
        Mode::Embedded(Embedded {
            data: data.map(str::to_string),
            simulated,
            in_ssh,
            twilio: false,
            max_cps: None,
            call_timeout: Duration::from_secs(60),
        })
    }

    #[test]
    fn warnings_only_where_a_real_person_can_be_dialed() {
        assert_eq!(embedded(None, true, true).warnings(), []);
        assert_eq!(embedded(Some("~/d"), false, false).warnings(), []);
        assert_eq!(
            embedded(Some("~/d"), false, true).warnings(),
            [Warning::InsideSsh]
        );
        let both = embedded(None, false, true);
        assert_eq!(
            both.warnings(),
            [Warning::InsideSsh, Warning::TemporaryStore]
        );
        assert_eq!(both.warning_lines(), 3);
        let remote = Mode::Remote { url: "x".into() };
        assert_eq!(remote.warnings(), []);
        assert!(!remote.quitting_stops_the_server());
    }

    #[test]
    fn every_warning_line_fits_80_columns_beside_its_margin() {
        for w in [Warning::InsideSsh, Warning::TemporaryStore] {
            for line in w.lines() {
                assert!(line.chars().count() < 80, "{line}");
            }
        }
    }
}
