//! The calls table: one row per list entry of the campaign watched, its
//! status in its colour (a completed call with its outcome: answered or
//! no answer; an entry held until its calling hours open as `waiting ·
//! hours`, in a colour of its own), its name when the list has names, and how long it has been
//! in its status. Columns are as wide as their widest cell on screen and
//! drop out whole as the terminal narrows, least useful first: a number
//! or a call id is never cut. The selected row is always on screen.
//!
//! Only the rows on screen are built: a list of a million entries costs a
//! frame no more than a list of twenty.

use crate::app::{App, Connection, Focus};
use crate::layout::table_window;
use crate::words;
use numdialer_core::api::LenientCall;
use numdialer_core::status::{Lenient, Outcome};
use numdialer_core::{Status, format_phone};
use ratatui::Frame;
use ratatui::layout::{Constraint, Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};
use std::time::Duration;

pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let rows = app.rows();
    let window = table_window(area, app.selected, rows);
    let first = window.start;
    // Each row's number formatted once, and the columns measured on the
    // rows drawn, never on the whole list.
    let shown: Vec<(&LenientCall, String)> = window
        .filter_map(|r| app.entry_at(r))
        .map(|c| (c, format_phone(&c.phone)))
        .collect();
    // Inside the borders, beside the selection mark.
    let frame_cells = if bordered(area) { 3 } else { 1 };
    let columns = Columns::fit(
        area.width.saturating_sub(frame_cells),
        &Measured::of(&shown, app.calls().len(), app.has_names()),
    );
    let table_rows = shown.iter().map(|(c, phone)| row(app, &columns, c, phone));
    let (header, widths): (Vec<_>, Vec<_>) = columns.list().into_iter().unzip();
    let focused = app.focus == Focus::Calls && app.pane_shown();
    let border = if focused {
        app.theme.focused
    } else {
        Style::new()
    };
    let block = if bordered(area) {
        Block::bordered().border_style(border).title(format!(
            "{}{}",
            super::focus_mark(focused),
            title(app)
        ))
    } else {
        Block::new()
    };
    let table = Table::new(table_rows, widths)
        .header(Row::new(header).style(app.theme.title))
        .block(block)
        .row_highlight_style(app.theme.selected)
        .highlight_symbol("›");
    let mut state =
        TableState::default().with_selected((rows > 0).then(|| app.selected.saturating_sub(first)));
    frame.render_stateful_widget(table, area, &mut state);
    let empty = match (&app.statuses, &app.connection) {
        (None, Connection::Failing { error, .. }) => {
            Some(format!("No answer from the server yet: {error}"))
        }
        (None, Connection::Live) => Some(format!("Loading campaign {}…", app.watching)),
        (None, _) => Some("Connecting to the server…".to_string()),
        (Some(_), _) if rows == 0 && app.filter.is_some() => {
            Some("No entry matches the filter (/ to change it).".to_string())
        }
        _ => None,
    };
    if let Some(text) = empty {
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }),
            area.inner(Margin::new(2, 2)),
        );
    }
}

/// "Calls · 9 " (after the focus mark), and once there are campaigns to tell apart, which one:
/// "Calls · #2 spring leads · 9 "; with a filter, how many it lets through.
fn title(app: &App) -> String {
    let Some(s) = &app.statuses else {
        return "Calls ".to_string();
    };
    let total = s.calls.len();
    let which = match app.campaign() {
        Some(c) if app.pane_shown() => format!("#{} {} · ", c.id, c.name),
        _ if app.pane_shown() => format!("#{} · ", app.watching),
        _ => String::new(),
    };
    match &app.filter {
        Some(f) => format!("Calls · {which}{} of {total} {} ", app.rows(), f.word()),
        None => format!("Calls · {which}{total} "),
    }
}

/// The outcome a completed entry shows beside its status: answered, no
/// answer, or one this build does not know, as the server wrote it.
fn completed_outcome(c: &LenientCall) -> Option<&Lenient<Outcome>> {
    let o = c.outcome.as_ref()?;
    match (c.status.known(), o.known()) {
        (
            Some(Status::Completed),
            None | Some(Outcome::Answered | Outcome::NoAnswer | Outcome::Machine),
        ) => Some(o),
        _ => None,
    }
}

/// A canceled entry whose number is on a do-not-call list.
fn suppressed(c: &LenientCall) -> bool {
    c.status.known() == Some(Status::Canceled)
        && c.outcome.as_ref().and_then(|o| o.known()) == Some(Outcome::Suppressed)
}

/// A waiting entry held back by its calling hours, not by a retry.
fn held(c: &LenientCall) -> bool {
    c.held && c.status.known() == Some(Status::Waiting)
}

/// What the rows drawn need: the widest of each column's cells.
struct Measured {
    /// Digits of the list's last entry number.
    index: u16,
    phone: u16,
    digits: u16,
    /// `None` when the list has no names.
    name: Option<u16>,
    call_id: u16,
    outcomes: bool,
    /// An entry on screen left a voicemail: the status column says so.
    voicemail: bool,
    /// A row says `canceled · do not call`, a cell wider than the others.
    suppressed: bool,
}

/// The status column's width with outcomes: `completed · no answer`.
const WITH_OUTCOME: u16 = 21;
/// And with a voicemail: `completed · machine · voicemail left`.
const WITH_VOICEMAIL: u16 = 36;
/// And on a do-not-call list: `canceled · do not call`.
const WITH_SUPPRESSED: u16 = 22;

impl Measured {
    fn of(shown: &[(&LenientCall, String)], len: usize, names: bool) -> Measured {
        let widest = |f: &dyn Fn(&LenientCall, &str) -> usize| {
            shown
                .iter()
                .map(|(c, p)| f(c, p))
                .max()
                .unwrap_or(0)
                .try_into()
                .unwrap_or(u16::MAX)
        };
        Measured {
            index: u16::try_from(len.to_string().len().max(3)).unwrap_or(u16::MAX),
            phone: widest(&|_, p| p.chars().count()).max(6),
            digits: widest(&|c, _| c.phone.chars().count()).max(6),
            name: names
                .then(|| widest(&|c, _| c.name.as_deref().map_or(0, |n| n.chars().count())).max(4)),
            call_id: widest(&|c, _| c.id.as_ref().map_or(1, |id| id.to_string().len())).max(7),
            outcomes: shown
                .iter()
                .any(|(c, _)| completed_outcome(c).is_some() || held(c)),
            voicemail: shown.iter().any(|(c, _)| c.voicemail_left),
            suppressed: shown.iter().any(|(c, _)| suppressed(c)),
        }
    }
}

/// The columns that fit, each as wide as its widest cell on screen: a
/// number or a call id is shown whole or not at all, never cut. When the
/// room runs out the least useful go first: the bare digits (the number
/// says them), the call id, then the name (cut with … before it goes),
/// then the outcome beside the status, then the time in status.
struct Columns {
    index: u16,
    phone: u16,
    digits: Option<u16>,
    name: Option<u16>,
    status: u16,
    call_id: Option<u16>,
    age: bool,
}

/// The narrowest a cut name is still worth showing.
const MIN_NAME: u16 = 6;
/// The "In status" column's least width: "12.3 s", "retry in".
const AGE: u16 = 8;

impl Columns {
    /// Fits the columns into `room` cells (inside the borders, beside the
    /// selection mark).
    fn fit(room: u16, m: &Measured) -> Columns {
        let mut c = Columns {
            index: m.index + 1,
            phone: m.phone,
            digits: Some(m.digits),
            name: m.name,
            status: match (m.voicemail, m.suppressed, m.outcomes) {
                (true, _, _) => WITH_VOICEMAIL,
                (false, true, _) => WITH_SUPPRESSED,
                (false, false, true) => WITH_OUTCOME,
                (false, false, false) => 9,
            },
            call_id: Some(m.call_id),
            age: true,
        };
        if c.width() > room {
            c.digits = None;
        }
        if c.width() > room {
            c.call_id = None;
        }
        if c.width() > room
            && let Some(want) = c.name
        {
            let over = c.width() - room;
            c.name = (want.saturating_sub(over) >= MIN_NAME).then(|| want - over);
        }
        if c.width() > room && c.status == WITH_VOICEMAIL {
            c.status = if m.suppressed {
                WITH_SUPPRESSED
            } else {
                WITH_OUTCOME
            };
        }
        if c.width() > room {
            c.status = 9;
        }
        if c.width() > room {
            c.age = false;
        }
        c
    }

    /// Cells taken, with a space between columns.
    fn width(&self) -> u16 {
        let widths = [
            Some(self.index),
            Some(self.phone),
            self.digits,
            self.name,
            Some(self.status),
            self.call_id,
            self.age.then_some(AGE),
        ];
        let shown: Vec<u16> = widths.into_iter().flatten().collect();
        let gaps = u16::try_from(shown.len().saturating_sub(1)).unwrap_or(0);
        shown.iter().sum::<u16>() + gaps
    }

    /// Each column's header and width, left to right.
    fn list(&self) -> Vec<(&'static str, Constraint)> {
        let mut v = vec![
            ("#", Constraint::Length(self.index)),
            ("Number", Constraint::Length(self.phone)),
        ];
        if let Some(w) = self.digits {
            v.push(("Digits", Constraint::Length(w)));
        }
        if let Some(w) = self.name {
            v.push(("Name", Constraint::Length(w)));
        }
        v.push(("Status", Constraint::Length(self.status)));
        if let Some(w) = self.call_id {
            v.push(("Call id", Constraint::Length(w)));
        }
        if self.age {
            v.push(("In status", Constraint::Min(AGE)));
        }
        v
    }
}

/// Whether the table has room for its border and title: a terminal only a
/// few lines high shows rows instead.
pub(crate) fn bordered(area: Rect) -> bool {
    crate::layout::table_bordered(area)
}

fn row(app: &App, columns: &Columns, c: &LenientCall, phone: &str) -> Row<'static> {
    let mut cells = vec![
        Cell::from(format!(
            "{:>w$}",
            c.index,
            w = usize::from(columns.index - 1)
        )),
        Cell::from(phone.to_string()),
    ];
    if columns.digits.is_some() {
        cells.push(Cell::from(c.phone.clone()));
    }
    if let Some(w) = columns.name {
        cells.push(Cell::from(cut(c.name.as_deref().unwrap_or(""), w)));
    }
    let mut status = vec![Span::styled(
        words::reported(&c.status),
        if held(c) {
            app.theme.statuses.held
        } else if suppressed(c) {
            app.theme.statuses.suppressed
        } else {
            app.theme.reported(&c.status)
        },
    )];
    if suppressed(c) && columns.status > 9 {
        status.push(Span::raw(" · "));
        status.push(Span::styled(
            words::outcome_words(Outcome::Suppressed),
            app.theme.statuses.suppressed,
        ));
    }
    if held(c) && columns.status > 9 {
        status.push(Span::raw(" · "));
        status.push(Span::styled("hours", app.theme.statuses.held));
    }
    if let Some(o) = completed_outcome(c).filter(|_| columns.status > 9) {
        let style = match o.known() {
            Some(Outcome::Answered) => app.theme.statuses.answered,
            Some(Outcome::Machine) => app.theme.statuses.machine,
            _ => app.theme.warn,
        };
        status.push(Span::raw(" · "));
        status.push(Span::styled(words::outcome_text(o), style));
        if c.voicemail_left && columns.status >= WITH_VOICEMAIL {
            status.push(Span::raw(" · "));
            status.push(Span::styled("voicemail left", app.theme.statuses.machine));
        }
    }
    cells.push(Cell::from(Line::from(status)));
    if columns.call_id.is_some() {
        let id = match (&c.id, c.status.known()) {
            (Some(id), _) => id.to_string(),
            (None, Some(Status::Idle)) => String::new(),
            (None, _) => "—".to_string(),
        };
        cells.push(Cell::from(id));
    }
    if columns.age {
        cells.push(Cell::from(age(app, c)));
    }
    let row = Row::new(cells);
    if c.status == Status::Idle {
        row.style(app.theme.dim)
    } else {
        row
    }
}

/// The "In status" cell: how long in its status, or for a waiting entry
/// when its next attempt is due; a paused campaign's waiting entries wait
/// for its resume, not for a countdown.
fn age(app: &App, c: &LenientCall) -> String {
    match c.status.known() {
        Some(Status::Idle) => String::new(),
        Some(Status::Waiting) if app.paused() => "paused".to_string(),
        Some(Status::Waiting) => match (app.retry_in(c), held(c)) {
            (Some(d), false) if d.is_zero() => "retry due".to_string(),
            (Some(d), false) => format!("retry in {}", format_age(d)),
            (Some(d), true) if d.is_zero() => "opens now".to_string(),
            (Some(d), true) => format!("opens in {}", format_age(d)),
            (None, _) => String::new(),
        },
        _ => app.age(c).map(format_age).unwrap_or_default(),
    }
}

/// `text` in at most `width` cells, its end replaced by … when cut.
fn cut(text: &str, width: u16) -> String {
    let width = usize::from(width);
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// "2.5 s", "3m 07s", "1h 02m": precise while it changes fast, short once
/// it does not.
pub(super) fn format_age(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{}m {:02}s", d.as_secs() / 60, d.as_secs() % 60)
    } else {
        format!("{}h {:02}m", d.as_secs() / 3600, d.as_secs() % 3600 / 60)
    }
}
