//! The calls table: one row per list entry, its status in its colour and
//! how long it has been in it. Columns drop out as the terminal narrows;
//! the selected row is always on screen.
//!
//! Only the rows on screen are built: a list of a million entries costs a
//! frame no more than a list of twenty.

use crate::app::{App, Connection};
use crate::layout::table_window;
use numdialer_core::api::CallSummary;
use numdialer_core::{Status, format_phone};
use ratatui::Frame;
use ratatui::layout::{Constraint, Margin, Rect};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};
use std::time::Duration;

/// Terminal widths from which the optional columns fit.
const WIDE: u16 = 72;
const MID: u16 = 56;

pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let columns = Columns::for_width(area.width);
    let calls = app.calls();
    let window = table_window(area, app.selected, calls.len());
    let first = window.start;
    let rows = calls[window].iter().map(|c| row(app, &columns, c));
    let title = match &app.statuses {
        Some(s) => format!(" Calls · {} ", s.calls.len()),
        None => " Calls ".to_string(),
    };
    let (header, widths): (Vec<_>, Vec<_>) = columns.list().into_iter().unzip();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(app.theme.title))
        .block(Block::bordered().title(title))
        .row_highlight_style(app.theme.selected)
        .highlight_symbol("›");
    let mut state = TableState::default()
        .with_selected((!calls.is_empty()).then(|| app.selected.saturating_sub(first)));
    frame.render_stateful_widget(table, area, &mut state);
    if app.statuses.is_none() {
        let text = match &app.connection {
            Connection::Failing { error, .. } => format!("No answer from the server yet: {error}"),
            _ => "Connecting to the server…".to_string(),
        };
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }),
            area.inner(Margin::new(2, 2)),
        );
    }
}

/// Which optional columns fit: the bare digits, and the call id.
struct Columns {
    digits: bool,
    call_id: bool,
}

impl Columns {
    fn for_width(width: u16) -> Columns {
        Columns {
            digits: width >= WIDE,
            call_id: width >= MID,
        }
    }

    /// Each column's header and width, left to right.
    fn list(&self) -> Vec<(&'static str, Constraint)> {
        let mut v = vec![
            ("#", Constraint::Length(4)),
            ("Number", Constraint::Length(15)),
        ];
        if self.digits {
            v.push(("Digits", Constraint::Length(11)));
        }
        v.push(("Status", Constraint::Length(9)));
        if self.call_id {
            v.push(("Call id", Constraint::Length(9)));
        }
        v.push(("In status", Constraint::Min(8)));
        v
    }
}

fn row(app: &App, columns: &Columns, c: &CallSummary) -> Row<'static> {
    let mut cells = vec![
        Cell::from(format!("{:>3}", c.index + 1)),
        Cell::from(format_phone(&c.phone)),
    ];
    if columns.digits {
        cells.push(Cell::from(c.phone.clone()));
    }
    cells.push(Cell::from(c.status.as_str()).style(app.theme.status(c.status)));
    if columns.call_id {
        let id = match (&c.id, c.status) {
            (Some(id), _) => id.to_string(),
            (None, Status::Idle) => String::new(),
            (None, _) => "—".to_string(),
        };
        cells.push(Cell::from(id));
    }
    let age = match c.status {
        Status::Idle => String::new(),
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
