//! The `?` popup: the keys, from the same table that handles them, and what
//! each status means, in the colours the table uses.

use super::popup;
use crate::app::App;
use crate::keys::{self, Action};
use numdialer_core::Status;
use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// What each status means, in the order a call goes through them.
const LEGEND: [(Status, &str); 8] = [
    (Status::Idle, "not dialed yet"),
    (Status::Dialing, "POST /call sent, no webhook yet"),
    (Status::Ringing, "the phone is ringing"),
    (Status::Answered, "picked up"),
    (Status::Completed, "call over: answered, or no answer"),
    (Status::Failed, "refused, unreachable or timed out"),
    (Status::Waiting, "its next attempt is due later"),
    (Status::Canceled, "never dialed: its campaign was stopped"),
];

/// Lines the help has: a line a key row, the legend's title and a line a
/// status; no blank between them, so that it fits 24 rows whole.
pub const LINES: usize = crate::keys::MAIN.len() + 1 + LEGEND.len();

pub(super) fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    // Scrolled rather than cut where it does not fit: the title says how.
    let fits = u16::try_from(LINES + 2).is_ok_and(|h| h <= area.height);
    let title = if fits {
        format!(" Help · {} to close ", keys::key_for(Action::Close))
    } else {
        format!(
            " Help · ↑↓ scroll · {} to close ",
            keys::key_for(Action::Close)
        )
    };
    let inner = popup(frame, 72, 27, title);
    let mut lines: Vec<Line> = keys::help_lines().into_iter().map(Line::from).collect();
    lines.push(Line::from(" Statuses:"));
    for (s, what) in LEGEND {
        lines.push(Line::from(vec![
            Span::raw("   "),
            Span::styled(format!("{:<10}", s.as_str()), app.theme.status(s)),
            Span::raw(what),
        ]));
    }
    let most = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_sub(inner.height);
    frame.render_widget(
        Paragraph::new(lines).scroll((app.scroll.min(most), 0)),
        inner,
    );
}
