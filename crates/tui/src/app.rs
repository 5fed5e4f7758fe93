//! The TUI's state and how events change it. No I/O: `update` returns the
//! side effect to run (start the calls, fetch a history), and the run loop
//! feeds the result back as another event. Nothing here draws: the views
//! read an `App`, and both share the geometry of `layout`.

use crate::client::ClientError;
use crate::keys::{self, Action};
use crate::layout;
use crate::mode::Mode;
use crate::theme::Theme;
use numdialer_core::Status;
use numdialer_core::api::{CallDetail, CallSummary, StatusesResponse};
use numdialer_core::campaign::AlreadyStarted;
use ratatui::crossterm::event::{KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Time passed: ages and staleness change on screen.
    Tick,
    /// A full answer, or a delta (`since` set) to merge into the last one.
    Polled(Result<StatusesResponse, ClientError>),
    /// The server answered that nothing changed.
    Unchanged,
    Started(Result<(), ClientError>),
    Detail(usize, Result<CallDetail, ClientError>),
}

/// A side effect for the run loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    StartCalls,
    FetchDetail(usize),
}

/// What the Call button shows. It is enabled only in `Ready`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    /// No answer from the server yet.
    Waiting,
    Ready,
    Starting,
    Dialing,
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Live,
    /// Polls fail, since `since`, for the reason the last one gave. The
    /// last known statuses stay on screen meanwhile.
    Failing {
        since: Instant,
        error: ClientError,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    Loading,
    Loaded(Box<CallDetail>),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    History {
        index: usize,
        detail: Detail,
    },
    /// "Quit with calls in flight?": asked in embedded mode, where quitting
    /// stops the server and cuts the calls off.
    QuitPrompt,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub is_error: bool,
}

#[derive(Debug, Clone)]
pub struct App {
    /// Embedded or remote, which decides what quitting does.
    pub mode: Mode,
    /// The styles the views draw with, chosen once from `NO_COLOR`.
    pub theme: Theme,
    /// The longest quiet between two answers of a healthy server: the
    /// long-poll wait plus the pause between polls.
    pub expected_gap: Duration,
    pub statuses: Option<StatusesResponse>,
    /// Entries of `statuses` in a final status, counted once per poll
    /// rather than once per frame: a long list would make every frame
    /// walk it.
    finished: usize,
    /// When the last good poll arrived, by the local clock.
    pub last_ok: Option<Instant>,
    pub connection: Connection,
    pub now: Instant,
    pub selected: usize,
    pub starting: bool,
    pub message: Option<Message>,
    pub overlay: Overlay,
    /// The terminal's size, for mapping mouse clicks to what was drawn.
    pub size: Rect,
    pub quit: bool,
}

impl App {
    /// `color` picks the theme (false: the plain one), once for the run.
    pub fn new(mode: Mode, color: bool, expected_gap: Duration, now: Instant) -> Self {
        App {
            mode,
            theme: Theme::new(color),
            expected_gap,
            statuses: None,
            finished: 0,
            last_ok: None,
            connection: Connection::Connecting,
            now,
            selected: 0,
            starting: false,
            message: None,
            overlay: Overlay::None,
            size: Rect::new(0, 0, 80, 24),
            quit: false,
        }
    }

    /// Why the server's store fails, while it says so.
    pub fn degraded(&self) -> Option<&str> {
        self.statuses.as_ref()?.degraded.as_deref()
    }

    pub fn calls(&self) -> &[CallSummary] {
        self.statuses.as_ref().map_or(&[], |s| &s.calls)
    }

    /// Entries in a final status, and entries in all.
    pub fn progress(&self) -> (usize, usize) {
        (self.finished, self.calls().len())
    }

    /// Calls between POST /call and their final status, as of the last poll.
    pub fn in_flight(&self) -> usize {
        self.statuses.as_ref().map_or(0, |s| s.active)
    }

    /// Whether quitting now would cut calls off: the server stops with the
    /// TUI, and calls are in flight or being started.
    pub fn quitting_stops_calls(&self) -> bool {
        self.mode.quitting_stops_the_server() && (self.in_flight() > 0 || self.starting)
    }

    /// The screen's areas on this terminal, for mapping clicks and pages.
    pub fn areas(&self) -> layout::Areas {
        layout::layout(self.size, self.mode.warning_lines())
    }

    pub fn button(&self) -> Button {
        match &self.statuses {
            _ if self.starting => Button::Starting,
            None => Button::Waiting,
            Some(s) if s.finished => Button::Done,
            Some(s) if s.started => Button::Dialing,
            Some(_) => Button::Ready,
        }
    }

    /// How long a call has been in its status: the server's own measure at
    /// the last poll, plus the local time since, so clocks need not agree.
    pub fn age(&self, call: &CallSummary) -> Option<Duration> {
        let s = self.statuses.as_ref()?;
        let at = call.updated_at?;
        let server = Duration::from_millis(s.now.since(at));
        let local = self
            .last_ok
            .map_or(Duration::ZERO, |t| self.now.saturating_duration_since(t));
        Some(server + local)
    }

    /// Seconds since the last good poll, once that is longer than the polls
    /// should take.
    pub fn stale_for(&self) -> Option<Duration> {
        let age = self.now.saturating_duration_since(self.last_ok?);
        let allowed = self.expected_gap + Duration::from_secs(2);
        (age > allowed).then_some(age)
    }

    pub fn update(&mut self, event: Event, now: Instant) -> Option<Command> {
        self.now = now;
        match event {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.on_key(k),
            Event::Key(_) | Event::Tick => None,
            Event::Mouse(m) => self.on_mouse(m),
            Event::Resize(w, h) => {
                self.size = Rect::new(0, 0, w, h);
                None
            }
            Event::Unchanged => {
                self.mark_live(now);
                None
            }
            Event::Polled(Ok(delta)) if delta.since.is_some() => {
                // Merged in place: copying a long list on every change
                // would cost more than the change.
                let mut s = self.statuses.take()?;
                let was_finished = s.finished;
                s.apply_delta(delta);
                self.receive(s, Some(was_finished), now);
                None
            }
            Event::Polled(Ok(s)) => {
                let was_finished = self.statuses.as_ref().map(|p| p.finished);
                self.receive(s, was_finished, now);
                None
            }
            Event::Polled(Err(e)) => {
                let since = match &self.connection {
                    Connection::Failing { since, .. } => *since,
                    _ => now,
                };
                self.connection = Connection::Failing { since, error: e };
                None
            }
            Event::Started(r) => {
                self.starting = false;
                match r {
                    Ok(()) => {
                        self.say("dialing started", false);
                        if let Some(s) = &mut self.statuses {
                            s.started = true;
                        }
                    }
                    Err(ClientError::Http {
                        status: 409,
                        message,
                    }) => self.say(&message, true),
                    Err(e) => self.say(&format!("could not start dialing: {e}"), true),
                }
                None
            }
            Event::Detail(index, r) => {
                if let Overlay::History {
                    index: open,
                    detail,
                } = &mut self.overlay
                    && *open == index
                {
                    *detail = match r {
                        Ok(d) => Detail::Loaded(Box::new(d)),
                        Err(e) => Detail::Failed(e.to_string()),
                    };
                }
                None
            }
        }
    }

    /// Takes a poll's statuses; `was_finished` is what the previous ones
    /// said, if there were any, so that "finished" is said once, when it
    /// happens while the screen watches.
    fn receive(&mut self, s: StatusesResponse, was_finished: Option<bool>, now: Instant) {
        if !s.calls.is_empty() {
            self.selected = self.selected.min(s.calls.len() - 1);
        }
        if s.finished && was_finished == Some(false) {
            self.say(
                &format!(
                    "finished: {} completed, {} failed",
                    s.count(Status::Completed),
                    s.count(Status::Failed)
                ),
                false,
            );
        }
        self.finished = s.finished_count();
        self.statuses = Some(s);
        self.mark_live(now);
    }

    fn mark_live(&mut self, now: Instant) {
        self.last_ok = Some(now);
        if matches!(self.connection, Connection::Failing { .. }) {
            self.say("server is back", false);
        }
        self.connection = Connection::Live;
    }

    fn say(&mut self, text: &str, is_error: bool) {
        self.message = Some(Message {
            text: text.to_string(),
            is_error,
        });
    }

    fn press_call(&mut self) -> Option<Command> {
        match self.button() {
            Button::Ready => {
                self.starting = true;
                self.say("starting…", false);
                Some(Command::StartCalls)
            }
            Button::Waiting => {
                self.say("not connected to the server yet", true);
                None
            }
            // Said in the server's own words for a second start (its 409),
            // without asking it: nobody is dialed either way.
            Button::Dialing | Button::Done => {
                self.say(&AlreadyStarted.to_string(), true);
                None
            }
            Button::Starting => None,
        }
    }

    fn open_history(&mut self) -> Option<Command> {
        if self.selected >= self.calls().len() {
            return None;
        }
        self.overlay = Overlay::History {
            index: self.selected,
            detail: Detail::Loading,
        };
        Some(Command::FetchDetail(self.selected))
    }

    fn select(&mut self, to: usize) {
        let n = self.calls().len();
        if n > 0 {
            self.selected = to.min(n - 1);
        }
    }

    /// Keys mean what the table in `keys` says, which is also what the
    /// footer and the help say they mean.
    fn on_key(&mut self, k: KeyEvent) -> Option<Command> {
        let action = match self.overlay {
            Overlay::None => keys::main_action(&k),
            Overlay::QuitPrompt => keys::quit_prompt_action(&k),
            Overlay::Help | Overlay::History { .. } => keys::popup_action(&k),
        };
        self.perform(action?)
    }

    /// Quits, unless that would cut calls off: then asks first, so that
    /// nobody loses calls to a key pressed out of habit. A remote server
    /// keeps dialing, so there it quits at once.
    fn ask_to_quit(&mut self) {
        if self.quitting_stops_calls() {
            self.overlay = Overlay::QuitPrompt;
        } else {
            self.quit = true;
        }
    }

    fn perform(&mut self, action: Action) -> Option<Command> {
        let page = usize::from(layout::visible_rows(self.size, self.mode.warning_lines()).max(1));
        match action {
            Action::Call => return self.press_call(),
            Action::History => return self.open_history(),
            Action::Help => self.overlay = Overlay::Help,
            Action::Close => self.overlay = Overlay::None,
            Action::Quit => self.ask_to_quit(),
            Action::ConfirmQuit => self.quit = true,
            Action::Up => self.select(self.selected.saturating_sub(1)),
            Action::Down => self.select(self.selected + 1),
            Action::PageUp => self.select(self.selected.saturating_sub(page)),
            Action::PageDown => self.select(self.selected + page),
            Action::First => self.select(0),
            Action::Last => self.select(usize::MAX),
        }
        None
    }

    fn on_mouse(&mut self, m: MouseEvent) -> Option<Command> {
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {}
            MouseEventKind::ScrollDown => return self.perform(Action::Down),
            MouseEventKind::ScrollUp => return self.perform(Action::Up),
            _ => return None,
        }
        if self.overlay != Overlay::None {
            self.overlay = Overlay::None;
            return None;
        }
        let at = Position::new(m.column, m.row);
        let areas = self.areas();
        if areas.button.contains(at) {
            return self.press_call();
        }
        if let Some(row) = layout::row_at(areas.table, self.selected, self.calls().len(), at) {
            self.select(row);
        }
        None
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
pub(crate) mod tests;
