//! Rendering: `draw` only reads the `App`. Where things go comes from
//! `layout`, which `App::update` also uses so that mouse clicks land on
//! what was drawn.

use crate::app::{App, Button, Connection, Detail, Overlay};
use crate::keys::{self, Action};
use crate::layout::{layout, table_offset};
use numdialer_core::wire::{CallDetail, EventKind};
use numdialer_core::{Status, format_phone};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};
use std::time::Duration;

pub fn format_age(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{}m {:02}s", d.as_secs() / 60, d.as_secs() % 60)
    } else {
        format!("{}h {:02}m", d.as_secs() / 3600, d.as_secs() % 3600 / 60)
    }
}

pub fn draw(frame: &mut Frame, app: &App) {
    let areas = layout(frame.area());
    draw_header(frame, app, areas.header);
    draw_table(frame, app, areas.table);
    draw_progress(frame, app, areas.progress);
    draw_button(frame, app, areas.button);
    if let Some(m) = &app.message {
        let style = if m.is_error {
            app.theme.error
        } else {
            Style::new()
        };
        frame.render_widget(
            Paragraph::new(Line::styled(format!(" {}", m.text), style)),
            areas.message,
        );
    }
    frame.render_widget(
        Paragraph::new(keys::footer()).style(app.theme.dim),
        areas.footer,
    );
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help => draw_help(frame, app),
        Overlay::History { index, detail } => draw_history(frame, app, *index, detail),
    }
}

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let (dot, state, style) = match &app.connection {
        Connection::Connecting => ("○", "connecting…".to_string(), theme.warn),
        Connection::Unreachable { since, .. } => (
            "✕",
            format!(
                "unreachable, retrying ({} s)",
                app.now.saturating_duration_since(*since).as_secs()
            ),
            theme.error,
        ),
        Connection::Live => match app.stale_for() {
            Some(d) => ("●", format!("stale for {} s", d.as_secs()), theme.warn),
            None => ("●", "live".to_string(), theme.ok),
        },
    };
    let lines = app
        .statuses
        .as_ref()
        .map(|s| format!("lines {}/{} ", s.active, s.concurrency))
        .unwrap_or_default();
    let left = Line::from(vec![
        Span::styled(" numdialer", theme.title),
        Span::raw(format!(" · {} · ", app.server_label)),
        Span::styled(format!("{dot} {state}"), style),
    ]);
    let [l, r] = Layout::horizontal([Constraint::Min(1), Constraint::Length(lines.len() as u16)])
        .areas(area);
    frame.render_widget(Paragraph::new(left), l);
    frame.render_widget(Paragraph::new(lines), r);
}

fn draw_table(frame: &mut Frame, app: &App, area: Rect) {
    let wide = area.width >= 72;
    let mid = area.width >= 56;
    let mut header = vec!["#", "Number"];
    let mut widths = vec![Constraint::Length(4), Constraint::Length(15)];
    if wide {
        header.push("Digits");
        widths.push(Constraint::Length(11));
    }
    header.push("Status");
    widths.push(Constraint::Length(9));
    if mid {
        header.push("Call id");
        widths.push(Constraint::Length(9));
    }
    header.push("In status");
    widths.push(Constraint::Min(8));

    let rows = app.calls().iter().map(|c| {
        let mut cells = vec![
            Cell::from(format!("{:>3}", c.index + 1)),
            Cell::from(format_phone(&c.phone)),
        ];
        if wide {
            cells.push(Cell::from(c.phone.clone()));
        }
        cells.push(Cell::from(c.status.as_str()).style(app.theme.status(c.status)));
        if mid {
            let id = match (c.id, c.status) {
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
    });
    let title = match &app.statuses {
        Some(s) => format!(" Calls · {} ", s.calls.len()),
        None => " Calls ".to_string(),
    };
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(app.theme.title))
        .block(Block::bordered().title(title))
        .row_highlight_style(app.theme.selected)
        .highlight_symbol("›");
    let visible = usize::from(area.height.saturating_sub(3));
    let mut state = TableState::default()
        .with_offset(table_offset(app.selected, visible))
        .with_selected((!app.calls().is_empty()).then_some(app.selected));
    frame.render_stateful_widget(table, area, &mut state);
    if app.statuses.is_none() {
        let inner = area.inner(ratatui::layout::Margin::new(2, 2));
        let text = match &app.connection {
            Connection::Unreachable { error, .. } => format!("Cannot reach the server: {error}"),
            _ => "Connecting to the server…".to_string(),
        };
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
    }
}

fn draw_progress(frame: &mut Frame, app: &App, area: Rect) {
    let (done, total) = app
        .statuses
        .as_ref()
        .map_or((0, 0), |s| (s.finished_count(), s.calls.len()));
    let label = format!(" {done} of {total} finished");
    let bar_width = usize::from(area.width)
        .saturating_sub(label.chars().count() + 2)
        .min(40);
    let filled = (bar_width * done).checked_div(total).unwrap_or(0);
    let line = Line::from(vec![
        Span::raw(" "),
        Span::styled("█".repeat(filled), app.theme.ok),
        Span::styled("░".repeat(bar_width - filled), app.theme.dim),
        Span::raw(label),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_button(frame: &mut Frame, app: &App, area: Rect) {
    let (suffix, enabled) = match app.button() {
        Button::Waiting => ("waiting…".to_string(), false),
        Button::Ready => (format!("press {}", keys::key_for(Action::Call)), true),
        Button::Starting => ("starting…".to_string(), false),
        Button::Dialing => ("dialing…".to_string(), false),
        Button::Done => ("done".to_string(), false),
    };
    let button_style = if enabled {
        app.theme.button
    } else {
        app.theme.button_disabled
    };
    let line = Line::from(vec![
        Span::styled("[ Call ]", button_style),
        Span::raw(format!(" {suffix}")),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

fn popup(frame: &mut Frame, width: u16, height: u16, title: String) -> Rect {
    let area = frame.area();
    let w = width.min(area.width);
    let h = height.min(area.height);
    let rect = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

fn draw_help(frame: &mut Frame, app: &App) {
    let title = format!(" Help · {} to close ", keys::key_for(Action::Close));
    let inner = popup(frame, 62, 18, title);
    let mut lines: Vec<Line> = keys::help_lines().into_iter().map(Line::from).collect();
    lines.push(Line::from(""));
    lines.push(Line::from(" Statuses:"));
    let legend = [
        (Status::Idle, "not dialed yet"),
        (Status::Dialing, "POST /call sent, no webhook yet"),
        (Status::Ringing, "the phone is ringing"),
        (Status::Answered, "picked up"),
        (Status::Completed, "call over"),
        (Status::Failed, "refused, unreachable or timed out"),
    ];
    for (s, what) in legend {
        lines.push(Line::from(vec![
            Span::raw("   "),
            Span::styled(format!("{:<10}", s.as_str()), app.theme.status(s)),
            Span::raw(what),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_history(frame: &mut Frame, app: &App, index: usize, detail: &Detail) {
    let phone = app
        .calls()
        .get(index)
        .map(|c| c.phone.clone())
        .unwrap_or_default();
    let title = format!(
        " Entry {} · {} ({phone}) · {} to close ",
        index + 1,
        format_phone(&phone),
        keys::key_for(Action::Close)
    );
    let inner = popup(frame, 76, 20, title);
    let lines = match detail {
        Detail::Loading => vec![Line::from(" loading…")],
        Detail::Failed(e) => vec![Line::styled(format!(" {e}"), app.theme.error)],
        Detail::Loaded(d) => history_lines(app, d),
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn history_lines(app: &App, d: &CallDetail) -> Vec<Line<'static>> {
    let c = &d.call;
    let mut lines = vec![Line::from(vec![
        Span::raw(" status "),
        Span::styled(c.status.as_str(), app.theme.status(c.status)),
        Span::raw(match c.id {
            Some(id) => format!(" · call id {id}"),
            None => String::new(),
        }),
    ])];
    if let Some(r) = &c.reason {
        lines.push(Line::styled(format!(" reason {r}"), app.theme.error));
    }
    lines.push(Line::from(""));
    for e in &d.history {
        let time = e.at.to_string();
        let what = match &e.kind {
            EventKind::Dialed => "dial sent".to_string(),
            EventKind::Placed { id } => format!("placed, id {id}"),
            EventKind::Refused { reason } => format!("refused: {reason}"),
            EventKind::Unreachable { reason } => format!("unreachable: {reason}"),
            EventKind::Unanswered { reason } => format!("no answer: {reason}"),
            EventKind::Webhook { id, status } => format!("webhook {status} (id {id})"),
            EventKind::TimedOut { after_ms } => {
                format!(
                    "timed out after {}",
                    numdialer_core::campaign::format_seconds(*after_ms)
                )
            }
        };
        let outcome = match (&e.applied, &e.note) {
            (true, None) => "applied".to_string(),
            (true, Some(n)) => format!("applied · {n}"),
            (false, Some(n)) => format!("ignored · {n}"),
            (false, None) => "ignored".to_string(),
        };
        let style = if e.applied {
            Style::new()
        } else {
            app.theme.dim
        };
        lines.push(Line::from(vec![
            Span::raw(format!(" {} ", &time[11..23])),
            Span::styled(format!("{what:<30} "), style),
            Span::styled(outcome, style),
        ]));
    }
    if d.events_dropped > 0 {
        lines.push(Line::from(format!(
            " … and {} more events",
            d.events_dropped
        )));
    }
    lines
}

#[cfg(test)]
#[path = "ui_tests.rs"]
mod tests;
