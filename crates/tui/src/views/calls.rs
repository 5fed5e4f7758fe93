//! The calls table: one row per list entry of the campaign watched, its
//! status in its colour (a completed call with its outcome: answered or
//! no answer) and how long it has been in it. Columns drop out as the
//! terminal narrows; the selected row is always on screen.
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

/// Terminal widths from which the optional columns fit.
const WIDE: u16 = 72;
const MID: u16 = 56;

pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let rows = app.rows();
    let window = table_window(area, app.selected, rows);
    let first = window.start;
    let shown: Vec<&LenientCall> = window.filter_map(|r| app.entry_at(r)).collect();
    // Room for an outcome where one is shown: measured on the rows drawn,
    // never on the whole list.
    let outcomes = shown.iter().any(|c| completed_outcome(c).is_some());
    let columns = Columns::for_width(area.width, outcomes, app.calls().len());
    let table_rows = shown.iter().map(|c| row(app, &columns, c));
    let (header, widths): (Vec<_>, Vec<_>) = columns.list().into_iter().unzip();
    let border = if app.focus == Focus::Calls && app.pane_shown() {
        app.theme.focused
    } else {
        Style::new()
    };
    let table = Table::new(table_rows, widths)
        .header(Row::new(header).style(app.theme.title))
        .block(Block::bordered().border_style(border).title(title(app)))
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

/// " Calls · 9 ", and once there are campaigns to tell apart, which one:
/// " Calls · #2 spring leads · 9 "; with a filter, how many it lets through.
fn title(app: &App) -> String {
    let Some(s) = &app.statuses else {
        return " Calls ".to_string();
    };
    let total = s.calls.len();
    let which = match app.campaign() {
        Some(c) if app.pane_shown() => format!("#{} {} · ", c.id, c.name),
        _ if app.pane_shown() => format!("#{} · ", app.watching),
        _ => String::new(),
    };
    match &app.filter {
        Some(f) => format!(" Calls · {which}{} of {total} {} ", app.rows(), f.word()),
        None => format!(" Calls · {which}{total} "),
    }
}

/// The outcome a completed entry shows beside its status: answered, no
/// answer, or one this build does not know, as the server wrote it.
fn completed_outcome(c: &LenientCall) -> Option<&Lenient<Outcome>> {
    let o = c.outcome.as_ref()?;
    match (c.status.known(), o.known()) {
        (Some(Status::Completed), None | Some(Outcome::Answered | Outcome::NoAnswer)) => Some(o),
        _ => None,
    }
}

/// Which optional columns fit: the bare digits, and the call id; and how
/// wide the entry number and the status are (the last entry's number
/// whole; an outcome beside the status or not).
struct Columns {
    number: usize,
    digits: bool,
    call_id: bool,
    status: u16,
}

impl Columns {
    fn for_width(width: u16, outcomes: bool, len: usize) -> Columns {
        // An outcome beside the status takes the call id's room on a
        // middling terminal: the outcome says more about a finished call.
        Columns {
            number: len.to_string().len().max(3),
            digits: width >= WIDE,
            call_id: width >= MID && (!outcomes || width >= WIDE),
            status: if outcomes { 21 } else { 9 },
        }
    }

    /// Each column's header and width, left to right.
    fn list(&self) -> Vec<(&'static str, Constraint)> {
        let mut v = vec![
            ("#", Constraint::Length(self.number as u16 + 1)),
            ("Number", Constraint::Length(15)),
        ];
        if self.digits {
            v.push(("Digits", Constraint::Length(11)));
        }
        v.push(("Status", Constraint::Length(self.status)));
        if self.call_id {
            v.push(("Call id", Constraint::Length(9)));
        }
        v.push(("In status", Constraint::Min(8)));
        v
    }
}

fn row(app: &App, columns: &Columns, c: &LenientCall) -> Row<'static> {
    let mut cells = vec![
        Cell::from(format!("{:>w$}", c.index + 1, w = columns.number)),
        Cell::from(format_phone(&c.phone)),
    ];
    if columns.digits {
        cells.push(Cell::from(c.phone.clone()));
    }
    let mut status = vec![Span::styled(
        words::reported(&c.status),
        app.theme.reported(&c.status),
    )];
    if let Some(o) = completed_outcome(c) {
        let style = match o.known() {
            Some(Outcome::Answered) => app.theme.statuses.answered,
            _ => app.theme.warn,
        };
        status.push(Span::raw(" · "));
        status.push(Span::styled(words::outcome_text(o), style));
    }
    cells.push(Cell::from(Line::from(status)));
    if columns.call_id {
        let id = match (&c.id, c.status.known()) {
            (Some(id), _) => id.to_string(),
            (None, Some(Status::Idle)) => String::new(),
            (None, _) => "—".to_string(),
        };
        cells.push(Cell::from(id));
    }
    let age = match c.status.known() {
        Some(Status::Idle) => String::new(),
        Some(Status::Waiting) => app
            .retry_in(c)
            .map(|d| format!("retry in {}", format_age(d)))
            .unwrap_or_default(),
        _ => app.age(c).map(format_age).unwrap_or_default(),
    };
    cells.push(Cell::from(age));
    let row = Row::new(cells);
    if c.status == Status::Idle {
        row.style(app.theme.dim)
    } else {
        row
    }
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
