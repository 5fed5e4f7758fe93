//! The top line: the product, which server, whether it answers, and how many
//! lines are in use.

use crate::app::{App, Connection};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
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
