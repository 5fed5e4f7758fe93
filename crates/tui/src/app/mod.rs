//! The TUI's state and how events change it. No I/O: `update` returns the
//! side effect to run (start the calls, fetch a history, import a file),
//! and the run loop feeds the result back as another event. Nothing here
//! draws: the views read an `App`, and both share the geometry of `layout`.
//!
//! The calls table shows one campaign at a time, `watching`: [`OPENING`]
//! until the person picks another in the campaigns pane. Every campaign,
//! the one it opens on included, is asked for and acted on by its id. The
//! pane appears once the server holds another campaign than the one on
//! screen; until then the screen speaks of dialing the list, not of
//! campaign numbers, so that a person who never imports sees the screen,
//! the words and the `c` key they always had.

mod campaigns;
mod forms;
mod notes;

use campaigns::megabytes;
pub use notes::{Note, Tone};

use crate::client::{ClientError, Created, Format, Settings};
use crate::keys::{self, Action};
use crate::layout;
use crate::mode::Mode;
use crate::prompt::{Filter, Form, Submitted};
use crate::theme::Theme;
use crate::words;
use numdialer_core::api::{
    CampaignSummary, CampaignsResponse, LenientCall, LenientDetail, LenientStatuses, LineError,
};
use numdialer_core::campaign::{AlreadyStarted, CampaignState, DeleteError, Operation};
use numdialer_core::{Status, Timestamp};
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};
use std::time::{Duration, Instant};

/// The campaign the screen opens on: campaign 1, which every data
/// directory has (the built-in list or `--numbers-file`), and the only
/// list of a server older than campaigns.
pub const OPENING: u64 = crate::client::legacy::LEGACY;

/// How far behind this screen's estimate of the server's clock an answer
/// may read before the estimate gives way: more than any answer's travel
/// time on a loaded machine, less than a step of the clock anyone would
/// notice.
const CLOCK_JITTER_MS: u64 = 5_000;

#[derive(Debug, Clone)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Time passed: ages and staleness change on screen.
    Tick,
    /// A full answer, or a delta (`since` set) to merge into the last one.
    /// It carries its campaign's summary, except from a server older than
    /// campaigns, where it can only be about the one list.
    Polled(Result<LenientStatuses, ClientError>),
    /// The server answered that nothing changed.
    Unchanged,
    Detail(usize, Result<LenientDetail, ClientError>),
    /// `GET /campaigns` answered with a change; a `TooOld` error means the
    /// server has no campaigns, and the pane stays away.
    Campaigns(Result<CampaignsResponse, ClientError>),
    /// A start, pause, resume or stop of a campaign came back, with the
    /// campaign's summary; `None` from a server older than campaigns,
    /// which starts its list without one.
    Operated(u64, Operation, Result<Option<CampaignSummary>, ClientError>),
    Deleted(u64, Result<(), ClientError>),
    /// Bytes of an import sent so far, and in all when known.
    Uploading(u64, Option<u64>),
    Imported(String, Result<Created, ImportFailure>),
    /// An export written to the path, of so many bytes, or why not.
    Exported(u64, String, Result<u64, String>),
    /// An export not written: a file is at the path already, and nobody
    /// said yet to replace it.
    ExportWouldOverwrite(u64, String),
    /// The names that complete a typed path.
    Completions(String, Vec<String>),
    /// A number put on the global do-not-call list, or why not.
    NeverCalled(String, Result<(), ClientError>),
}

/// Why an import created nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportFailure {
    /// The file could not be read here; nothing was sent.
    File(String),
    Server(ClientError),
}

/// A side effect for the run loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// One entry of a campaign, with every attempt.
    FetchCampaignDetail(u64, usize),
    /// Show this campaign's statuses from now on.
    Watch(u64),
    Operate(u64, Operation),
    Delete(u64),
    /// `country`: where numbers without `+` are read (`?country=`).
    Import {
        path: String,
        format: Format,
        settings: Settings,
        country: Option<String>,
        answers: crate::client::upload::AnswerFlags,
        /// Boxed: the rarest part of the largest command.
        hours: Box<crate::client::upload::HoursSettings>,
    },
    /// `overwrite`: replace a file already at `path`; without it, the
    /// run loop writes nothing there and asks back
    /// ([`Event::ExportWouldOverwrite`]).
    Export {
        id: u64,
        path: String,
        overwrite: bool,
    },
    /// List what completes this typed path.
    Complete(String),
    /// Put this number (digits with their country code) on the global
    /// do-not-call list, source `manual`.
    NeverCall(String),
}

/// Which list the arrow keys move in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Calls,
    Campaigns,
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
    Loaded(Box<LenientDetail>),
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
    /// "Quit?": asked in embedded mode, where quitting stops the server
    /// and cuts the calls off, or forgets a temporary store's campaigns
    /// and results.
    QuitPrompt,
    /// A line to type: import, export, filter.
    Form(Form),
    /// Stop or delete a campaign? Asked first, since neither can be undone.
    Confirm(Question),
    /// An import the server refused, with its bad lines.
    ImportErrors(ImportErrors),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// `cancels`: the idle and waiting entries that stopping cancels.
    Stop {
        id: u64,
        name: String,
        cancels: usize,
    },
    Delete {
        id: u64,
        name: String,
    },
    /// Replace the file at `path` with campaign `id`'s export?
    Overwrite {
        id: u64,
        path: String,
    },
    /// Never call this number (its digits) again, in any campaign?
    NeverCall {
        phone: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportErrors {
    pub path: String,
    pub message: String,
    /// The first bad lines, as the server lists them.
    pub errors: Vec<LineError>,
    /// Every bad line, counted.
    pub error_count: usize,
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
    pub statuses: Option<LenientStatuses>,
    /// Entries of `statuses` in a final status, counted once per poll
    /// rather than once per frame: a long list would make every frame
    /// walk it.
    finished: usize,
    /// When the last good poll arrived, by the local clock.
    pub last_ok: Option<Instant>,
    /// The server's clock as this screen reads it: what an answer said
    /// (`now`) and when, locally, that answer arrived. Ages and countdowns
    /// are measured on it, so that they count from the server's instants
    /// whatever the local clock says, and a poll that says "unchanged"
    /// (no `now` in it) cannot set them back.
    server_clock: Option<(Timestamp, Instant)>,
    pub connection: Connection,
    pub now: Instant,
    pub selected: usize,
    pub starting: bool,
    pub message: Option<Message>,
    pub overlay: Overlay,
    /// The terminal's size, for mapping mouse clicks to what was drawn.
    pub size: Rect,
    pub quit: bool,
    /// Every campaign, as `GET /campaigns` last said; `None` before it
    /// answers, and for a server without campaigns.
    pub campaigns: Option<CampaignsResponse>,
    /// The campaign whose entries `statuses` holds, or is loading.
    pub watching: u64,
    pub focus: Focus,
    /// The status or outcome the calls table shows alone.
    pub filter: Option<Filter>,
    /// Whether any entry has a name, worked out on each full answer (names
    /// never change), so that the Name column does not flicker as rows
    /// scroll and no frame walks the list to know.
    has_names: bool,
    /// With a filter, the entries it lets through, in list order: worked
    /// out when a poll or the filter changes, never per frame, so that a
    /// frame of a filtered million-entry list costs what an unfiltered
    /// one does.
    shown: Option<Vec<usize>>,
    /// The file being imported, while it is.
    pub importing: Option<String>,
    /// Lines the open popup (help, history, an import's bad lines) is
    /// scrolled by; back to 0 whenever another opens. The views clamp it
    /// to what they have to show.
    pub scroll: u16,
    /// The import form as it was sent, until the import succeeds: a
    /// refused import opens it again as it was typed, to be fixed rather
    /// than typed over.
    import_form: Option<Form>,
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
            server_clock: None,
            connection: Connection::Connecting,
            now,
            selected: 0,
            starting: false,
            message: None,
            overlay: Overlay::None,
            size: Rect::new(0, 0, 80, 24),
            quit: false,
            campaigns: None,
            watching: OPENING,
            focus: Focus::Calls,
            filter: None,
            shown: None,
            has_names: false,
            importing: None,
            scroll: 0,
            import_form: None,
        }
    }

    /// Why the server's store fails, while it says so.
    pub fn degraded(&self) -> Option<&str> {
        self.statuses.as_ref()?.degraded.as_deref()
    }

    pub fn calls(&self) -> &[LenientCall] {
        self.statuses.as_ref().map_or(&[], |s| &s.calls)
    }

    /// Whether the calls table has a Name column.
    pub fn has_names(&self) -> bool {
        self.has_names
    }

    /// Whether the campaign on screen is paused: its waiting entries wait
    /// for a resume, not for their retry time.
    pub fn paused(&self) -> bool {
        self.campaign()
            .is_some_and(|c| c.state == CampaignState::Paused)
    }

    /// Entries in a final status, and entries in all.
    pub fn progress(&self) -> (usize, usize) {
        (self.finished, self.calls().len())
    }

    /// Calls between POST /call and their final status, as of the last
    /// poll: of every campaign where the server lists them, since quitting
    /// cuts off the calls of campaigns not on screen too.
    pub fn in_flight(&self) -> usize {
        match &self.campaigns {
            Some(list) => list.campaigns.iter().map(|c| c.active).sum(),
            None => self.statuses.as_ref().map_or(0, |s| s.active),
        }
    }

    /// Whether quitting now would cut calls off: the server stops with the
    /// TUI, and calls are in flight or being started.
    pub fn quitting_stops_calls(&self) -> bool {
        self.mode.quitting_stops_the_server() && (self.in_flight() > 0 || self.starting)
    }

    /// Whether quitting now would forget work: the store is temporary and
    /// holds an imported campaign, or results (a campaign started).
    pub fn quitting_forgets_work(&self) -> bool {
        let Mode::Embedded(e) = &self.mode else {
            return false;
        };
        if e.data.is_some() {
            return false;
        }
        match &self.campaigns {
            Some(list) => list
                .campaigns
                .iter()
                .any(|c| c.id != OPENING || c.state != CampaignState::Draft),
            None => self.statuses.as_ref().is_some_and(|s| s.started),
        }
    }

    /// The screen's areas on this terminal, for mapping clicks and pages.
    pub fn areas(&self) -> layout::Areas {
        self.areas_in(self.size)
    }

    /// The screen's areas in `area`: the terminal, or the buffer a test
    /// draws into.
    pub fn areas_in(&self, area: Rect) -> layout::Areas {
        let pane = self.pane_shown().then(|| self.campaign_list().len());
        layout::with_pane(area, self.warning_lines(), pane)
    }

    /// The button follows the campaign's state, once its statuses are on
    /// screen; a server older than campaigns has no state to tell, and
    /// its statuses say whether the list started or finished.
    pub fn button(&self) -> Button {
        if self.starting {
            return Button::Starting;
        }
        let Some(s) = &self.statuses else {
            return Button::Waiting;
        };
        match self.campaign().map(|c| c.state) {
            Some(CampaignState::Draft) => Button::Ready,
            Some(CampaignState::Running | CampaignState::Paused) => Button::Dialing,
            Some(CampaignState::Done | CampaignState::Stopped) => Button::Done,
            None if s.finished => Button::Done,
            None if s.started => Button::Dialing,
            None => Button::Ready,
        }
    }

    /// The server's clock now: its last reading, moved on by the local
    /// time since it arrived.
    pub fn server_now(&self) -> Option<Timestamp> {
        let (said, at) = self.server_clock?;
        let local = self.now.saturating_duration_since(at);
        Some(said.plus_millis(u64::try_from(local.as_millis()).unwrap_or(u64::MAX)))
    }

    /// Takes the server's reading `said`, arrived at `at`. A reading behind
    /// this screen's own estimate by no more than [`CLOCK_JITTER_MS`] is the
    /// answer's own travel time and is ignored, so that durations never run
    /// back; a larger gap is the server's clock stepped (or another
    /// server), and is believed.
    fn read_server_clock(&mut self, said: Timestamp, at: Instant) {
        let estimate = self.server_clock.map(|(before, then)| {
            let local = at.saturating_duration_since(then);
            before.plus_millis(u64::try_from(local.as_millis()).unwrap_or(u64::MAX))
        });
        let keep = estimate.is_some_and(|e| e >= said && e.since(said) <= CLOCK_JITTER_MS);
        if !keep {
            self.server_clock = Some((said, at));
        }
    }

    /// How long a call has been in its status, on the server's clock.
    pub fn age(&self, call: &LenientCall) -> Option<Duration> {
        let at = call.updated_at?;
        Some(Duration::from_millis(self.server_now()?.since(at)))
    }

    /// How long until a waiting entry's next attempt, on the server's
    /// clock.
    pub fn retry_in(&self, call: &LenientCall) -> Option<Duration> {
        let due = call.retry_at?;
        Some(Duration::from_millis(due.since(self.server_now()?)))
    }

    /// Seconds since the last good poll, once that is longer than the polls
    /// should take.
    pub fn stale_for(&self) -> Option<Duration> {
        let age = self.now.saturating_duration_since(self.last_ok?);
        let allowed = self.expected_gap + Duration::from_secs(2);
        (age > allowed).then_some(age)
    }

    pub fn update(&mut self, event: Event, now: Instant) -> Option<Command> {
        let before = std::mem::discriminant(&self.overlay);
        let command = self.apply(event, now);
        if std::mem::discriminant(&self.overlay) != before {
            self.scroll = 0;
        }
        command
    }

    fn apply(&mut self, event: Event, now: Instant) -> Option<Command> {
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
                // A server answers "unchanged" only while its dialer API
                // answers (see `StatusesResponse::dialer_unreachable`).
                if let Some(s) = self.statuses.as_mut() {
                    s.dialer_unreachable = None;
                }
                self.mark_live(now);
                None
            }
            Event::Polled(Ok(s)) if s.campaign.as_ref().is_some_and(|c| c.id != self.watching) => {
                // An answer about the campaign watched before a switch.
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
                self.has_names = s.calls.iter().any(|c| c.name.is_some());
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
            Event::Campaigns(r) => self.receive_campaigns(r),
            Event::Operated(id, op, r) => self.operated(id, op, r),
            Event::Deleted(id, r) => self.deleted(id, r),
            Event::Uploading(sent, total) => {
                if let Some(path) = self.importing.clone() {
                    let of = total.map_or_else(String::new, |t| format!(" of {}", megabytes(t)));
                    self.say(
                        &format!("importing {path}: {}{of} sent…", megabytes(sent)),
                        false,
                    );
                }
                None
            }
            Event::Imported(path, r) => self.imported(path, r),
            Event::Exported(id, path, r) => {
                self.exported(id, path, r);
                None
            }
            Event::ExportWouldOverwrite(id, path) => {
                self.message = None;
                if self.overlay == Overlay::None {
                    self.overlay = Overlay::Confirm(Question::Overwrite { id, path });
                } else {
                    self.say(&format!("{path} exists already: nothing written"), true);
                }
                None
            }
            Event::NeverCalled(phone, r) => {
                self.never_called(&phone, r);
                None
            }
            Event::Completions(typed, names) => {
                if let Overlay::Form(form) = &mut self.overlay {
                    form.complete_with(&typed, names);
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
    fn receive(&mut self, s: LenientStatuses, was_finished: Option<bool>, now: Instant) {
        if !s.calls.is_empty() {
            self.selected = self.selected.min(s.calls.len() - 1);
        }
        if s.finished && was_finished == Some(false) {
            let text = match &s.campaign {
                // A campaign's summary counts its outcomes already.
                Some(c) if !self.alone() => {
                    format!("campaign {} {}: {}", c.id, c.state, words::outcomes(c))
                }
                Some(c) => format!("finished: {}", words::outcomes(c)),
                // A server older than campaigns counts no outcomes: every
                // final status, counted here once.
                None => format!(
                    "finished: {} completed, {} failed, {} canceled",
                    s.count(Status::Completed),
                    s.count(Status::Failed),
                    s.count(Status::Canceled)
                ),
            };
            self.say(&text, false);
        }
        // A campaign's summary has the count already; a server older than
        // campaigns sends none, and its list is counted.
        self.finished = match &s.campaign {
            Some(c) => c.finished(),
            None => s.finished_count(),
        };
        self.read_server_clock(s.now, now);
        self.statuses = Some(s);
        self.refilter();
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

    /// Whether the server holds only the campaign on screen, as a server
    /// before campaigns held its one list: the screen then says "dialing"
    /// and "the list", as it always did, rather than campaign numbers.
    pub fn alone(&self) -> bool {
        !self.pane_shown()
    }

    fn press_call(&mut self) -> Option<Command> {
        match self.button() {
            Button::Ready => {
                self.starting = true;
                self.say("starting…", false);
                Some(Command::Operate(self.watching, Operation::Start))
            }
            Button::Waiting => {
                self.say("not connected to the server yet", true);
                None
            }
            // Said in the server's own words for a second start of the
            // list (the 409 of `POST /calls`), without asking it: nobody
            // is dialed either way.
            Button::Dialing | Button::Done if self.alone() => {
                self.say(&AlreadyStarted.to_string(), true);
                None
            }
            Button::Dialing | Button::Done => {
                let state = self.campaign().map_or("started", |c| c.state.as_str());
                self.say(
                    &format!("campaign {} is {state}: only a draft starts", self.watching),
                    true,
                );
                None
            }
            Button::Starting => None,
        }
    }

    fn open_history(&mut self) -> Option<Command> {
        let index = self.entry_at(self.selected)?.index;
        self.overlay = Overlay::History {
            index,
            detail: Detail::Loading,
        };
        Some(Command::FetchCampaignDetail(self.watching, index))
    }

    fn select(&mut self, to: usize) {
        let n = self.rows();
        if n > 0 {
            self.selected = to.min(n - 1);
        }
    }

    /// Moves whichever list has the focus.
    fn move_to(&mut self, to: impl Fn(usize, usize) -> usize) -> Option<Command> {
        let page = usize::from(layout::table_rows(self.areas().table).max(1));
        match self.focus {
            Focus::Calls => {
                self.select(to(self.selected, page));
                None
            }
            Focus::Campaigns => {
                let row = self.campaign_row().unwrap_or(0);
                let page = usize::from(layout::table_rows(self.areas().campaigns).max(1));
                self.select_campaign(to(row, page))
            }
        }
    }

    /// Keys mean what the table in `keys` says, which is also what the
    /// footer and the help say they mean.
    fn on_key(&mut self, k: KeyEvent) -> Option<Command> {
        let action = match self.overlay {
            Overlay::None => keys::main_action(&k),
            Overlay::QuitPrompt => keys::quit_prompt_action(&k),
            Overlay::Confirm(_) => keys::confirm_action(&k),
            Overlay::Form(_) => return self.on_form_key(&k),
            Overlay::Help | Overlay::History { .. } | Overlay::ImportErrors(_) => {
                keys::popup_action(&k)
            }
        };
        self.perform(action?)
    }

    /// Quits, unless that would cut calls off or forget a temporary
    /// store's work: then asks first, so that nobody loses calls or
    /// results to a key pressed out of habit. A remote server keeps
    /// dialing and keeps its data, so there it quits at once.
    fn ask_to_quit(&mut self) {
        if self.quitting_stops_calls() || self.quitting_forgets_work() {
            self.overlay = Overlay::QuitPrompt;
        } else {
            self.quit = true;
        }
    }

    fn perform(&mut self, action: Action) -> Option<Command> {
        match action {
            Action::Call => return self.press_call(),
            Action::History => return self.open_history(),
            Action::Help => self.overlay = Overlay::Help,
            Action::Close => self.close(),
            Action::Quit => self.ask_to_quit(),
            Action::ConfirmQuit => self.quit = true,
            Action::Up | Action::Down | Action::PageUp | Action::PageDown
                if self.overlay != Overlay::None =>
            {
                self.scroll_popup(action)
            }
            Action::Up => return self.move_to(|at, _| at.saturating_sub(1)),
            Action::Down => return self.move_to(|at, _| at + 1),
            Action::PageUp => return self.move_to(|at, page| at.saturating_sub(page)),
            Action::PageDown => return self.move_to(|at, page| at + page),
            Action::First => return self.move_to(|_, _| 0),
            Action::Last => return self.move_to(|_, _| usize::MAX),
            Action::Pause => return self.pause(),
            Action::Stop => self.ask_stop(),
            Action::Delete => self.ask_delete(),
            Action::NeverCall => self.ask_never_call(),
            Action::Confirm => return self.confirm(),
            Action::New => self.open_import(),
            Action::Export => self.open_export(),
            Action::Filter => self.overlay = Overlay::Form(Form::filter(self.filter.as_ref())),
            Action::Focus => {
                self.focus = match self.focus {
                    Focus::Calls if self.pane_shown() => Focus::Campaigns,
                    _ => Focus::Calls,
                }
            }
            Action::Submit
            | Action::Complete
            | Action::PrevField
            | Action::NextField
            | Action::Erase => return self.form_action(action),
        }
        None
    }

    /// The arrows in a popup: scroll it, by a line or by a page, no
    /// further than it has lines.
    fn scroll_popup(&mut self, action: Action) {
        let page = self.size.height.saturating_sub(6).max(1);
        let lines = match &self.overlay {
            Overlay::Help => crate::views::HELP_LINES,
            Overlay::ImportErrors(e) => e.errors.len() + 2,
            Overlay::History {
                detail: Detail::Loaded(d),
                ..
            } => d.history.len() + 4,
            _ => 0,
        };
        let most = u16::try_from(lines).unwrap_or(u16::MAX);
        self.scroll = match action {
            Action::Up => self.scroll.saturating_sub(1),
            Action::Down => self.scroll.saturating_add(1),
            Action::PageUp => self.scroll.saturating_sub(page),
            _ => self.scroll.saturating_add(page),
        }
        .min(most);
    }

    fn on_mouse(&mut self, m: MouseEvent) -> Option<Command> {
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {}
            // The wheel moves the table's selection even under a popup.
            MouseEventKind::ScrollDown => return self.move_to(|at, _| at + 1),
            MouseEventKind::ScrollUp => return self.move_to(|at, _| at.saturating_sub(1)),
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
        if areas.campaigns.contains(at) {
            self.focus = Focus::Campaigns;
            let (selected, len) = (self.campaign_row().unwrap_or(0), self.campaign_list().len());
            if let Some(row) = layout::row_at(areas.campaigns, selected, len, at) {
                return self.select_campaign(row);
            }
            return None;
        }
        if areas.table.contains(at) {
            self.focus = Focus::Calls;
        }
        if let Some(row) = layout::row_at(areas.table, self.selected, self.rows(), at) {
            self.select(row);
        }
        None
    }
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
pub(crate) mod campaign_tests;
