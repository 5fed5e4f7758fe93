//! The bottom lines: the progress bar with the Call button beside it, the
//! last message, and the key footer.

use crate::app::{App, Button};
use crate::keys::{self, Action};
use numdialer_core::campaign::CampaignState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The bar is at most this many cells wide, however wide the terminal.
const MAX_BAR: usize = 40;

pub(super) fn draw_progress(frame: &mut Frame, app: &App, area: Rect) {
    let (done, total) = app.progress();
    // A paused or stopped campaign's calls in flight still end: said, so
    // that "paused" or "stopped" is not read as "nothing happens".
    let live = app
        .campaign()
        .filter(|c| matches!(c.state, CampaignState::Paused | CampaignState::Stopped))
        .map_or(0, |c| c.active);
    let label = match live {
        0 => format!(" {done} of {total} finished"),
        1 => format!(" {done} of {total} finished · 1 call in flight"),
        n => format!(" {done} of {total} finished · {n} calls in flight"),
    };
    let bar_width = usize::from(area.width)
        .saturating_sub(label.chars().count() + 2)
        .min(MAX_BAR);
    let filled = (bar_width * done).checked_div(total).unwrap_or(0);
    let line = Line::from(vec![
        Span::raw(" "),
        Span::styled("█".repeat(filled), app.theme.ok),
        Span::styled("░".repeat(bar_width - filled), app.theme.dim),
        Span::raw(label),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

pub(super) fn draw_button(frame: &mut Frame, app: &App, area: Rect) {
    let (suffix, enabled) = match app.button() {
        Button::Waiting => ("waiting…".to_string(), false),
        Button::Ready => (format!("press {}", keys::key_for(Action::Call)), true),
        Button::Starting => ("starting…".to_string(), false),
        // The campaign's real state, not the button's: a paused campaign
        // dials nobody, and a stopped one is not "done".
        Button::Dialing if app.paused() => ("paused".to_string(), false),
        Button::Dialing => ("dialing…".to_string(), false),
        Button::Done => match app.campaign().map(|c| c.state) {
            Some(CampaignState::Stopped) => ("stopped".to_string(), false),
            _ => ("done".to_string(), false),
        },
    };
    let style = if enabled {
        app.theme.button
    } else {
        app.theme.button_disabled
    };
    let line = Line::from(vec![
        Span::styled("[ Call ]", style),
        Span::raw(format!(" {suffix}")),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

pub(super) fn draw_message(frame: &mut Frame, app: &App, area: Rect) {
    let Some(m) = &app.message else {
        return;
    };
    let style = if m.is_error {
        app.theme.error
    } else {
        Style::new()
    };
    frame.render_widget(
        Paragraph::new(Line::styled(format!(" {}", m.text), style)),
        area,
    );
}

pub(super) fn draw_footer(frame: &mut Frame, app: &App, area: Rect) {
    frame.render_widget(
        Paragraph::new(keys::footer(area.width)).style(app.theme.dim),
        area,
    );
}
