//! The campaigns pane: one row per campaign, its state as a badge, a
//! progress gauge, its counts by outcome and its attempts. The selected
//! row is the campaign the calls table shows. Columns narrow with the
//! terminal; only the rows on screen are built.

use crate::app::{App, Focus};
use crate::layout::table_window;
use numdialer_core::api::CampaignSummary;
use numdialer_core::status::Outcome;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table, TableState};

/// From this width each outcome has a column of its own.
const FULL: u16 = 72;

/// Cells of the gauge's bar.
const GAUGE: usize = 10;

pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
    if area.area() == 0 {
        return;
    }
    let list = app.campaign_list();
    let selected = app.campaign_row().unwrap_or(0);
    let window = table_window(area, selected, list.len());
    let first = window.start;
    let full = area.width >= FULL;
    let rows = list[window].iter().map(|c| row(app, c, full));
    let (header, widths): (Vec<_>, Vec<_>) = columns(full).into_iter().unzip();
    let focused = app.focus == Focus::Campaigns;
    let border = if focused {
        app.theme.focused
    } else {
        ratatui::style::Style::new()
    };
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(app.theme.title))
        .block(Block::bordered().border_style(border).title(format!(
            "{}Campaigns · {} ",
            super::focus_mark(focused),
            list.len()
        )))
        .row_highlight_style(if focused {
            app.theme.selected
        } else {
            ratatui::style::Style::new()
        })
        .highlight_symbol("›");
    let mut state = TableState::default()
        .with_selected((!list.is_empty()).then(|| selected.saturating_sub(first)));
    frame.render_stateful_widget(table, area, &mut state);
}

fn columns(full: bool) -> Vec<(&'static str, Constraint)> {
    let mut v = vec![
        ("#", Constraint::Length(3)),
        ("Name", Constraint::Min(6)),
        ("State", Constraint::Length(7)),
        ("Progress", Constraint::Length(15)),
    ];
    if full {
        v.extend([
            ("Answ", Constraint::Length(5)),
            ("NoAns", Constraint::Length(5)),
            ("Fail", Constraint::Length(5)),
            ("Canc", Constraint::Length(5)),
            ("Tries", Constraint::Length(6)),
        ]);
    } else {
        v.push(("Ans/No/Fail/Canc", Constraint::Length(16)));
    }
    v
}

fn row(app: &App, c: &CampaignSummary, full: bool) -> Row<'static> {
    let theme = &app.theme;
    let mut cells = vec![
        Cell::from(format!("{:>3}", c.id)),
        Cell::from(c.name.clone()),
        Cell::from(c.state.as_str()).style(theme.state(c.state)),
        Cell::from(gauge(app, c)),
    ];
    let counts = Outcome::USUAL.map(|o| c.outcome(o));
    if full {
        cells.extend(counts.map(|n| Cell::from(format!("{n:>5}"))));
        cells.push(Cell::from(format!("{:>6}", c.attempts)));
    } else {
        let words: Vec<String> = counts.iter().map(usize::to_string).collect();
        cells.push(Cell::from(words.join("/")));
    }
    Row::new(cells)
}

/// "██████░░░░ 60%": entries final out of all.
fn gauge(app: &App, c: &CampaignSummary) -> Line<'static> {
    let done = c.finished();
    let filled = (GAUGE * done).checked_div(c.total).unwrap_or(0);
    let percent = (100 * done).checked_div(c.total).unwrap_or(0);
    Line::from(vec![
        Span::styled("█".repeat(filled), app.theme.ok),
        Span::styled("░".repeat(GAUGE - filled), app.theme.dim),
        Span::raw(format!("{percent:>4}%")),
    ])
}
