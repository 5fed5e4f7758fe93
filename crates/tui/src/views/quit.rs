//! The quit prompt: how many calls are in flight and what quitting does
//! to them in this mode, or what a temporary store would forget; and the
//! answers, listed from the key table that handles them. Asked only where
//! quitting stops the server (embedded).

use super::popup;
use crate::app::App;
use crate::keys;
use crate::mode::{Embedded, Mode};
use numdialer_core::campaign::format_seconds;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

pub(super) fn draw(frame: &mut Frame, app: &App) {
    let Mode::Embedded(embedded) = &app.mode else {
        return;
    };
    let inner = popup(frame, 64, 10, " Quit? ".to_string()).inner(Margin::new(1, 0));
    // The answers take the last line, so that a narrow terminal cuts the
    // explanation short rather than the way out.
    let [text, _, answers] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let calls = app.in_flight() > 0 || app.starting;
    let lines = if calls {
        vec![
            Line::styled(in_flight(app), app.theme.title),
            Line::from(""),
            Line::from(consequence(embedded)),
        ]
    } else {
        vec![
            Line::styled(kept(app), app.theme.title),
            Line::from(""),
            Line::from(format!(
                "The store is temporary: quitting forgets every campaign and result. \
                 Export first ({}) to keep them.",
                keys::key_for(keys::Action::Export)
            )),
        ]
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), text);
    // "Keep dialing" only where something dials.
    let mut choices = keys::choices(keys::QUIT_PROMPT);
    if !calls {
        choices = choices.replace("keep dialing", "stay");
    }
    frame.render_widget(Paragraph::new(choices), answers);
}

/// "2 campaigns and their results are held only in this run."
fn kept(app: &App) -> String {
    match app.campaign_list().len() {
        0 | 1 => "The results are held only in this run.".to_string(),
        n => format!("{n} campaigns and their results are held only in this run."),
    }
}

/// "3 calls in flight." The count follows the polls while the prompt is
/// open, so that it never understates what quitting cuts off.
fn in_flight(app: &App) -> String {
    match app.in_flight() {
        0 if app.starting => "Dialing is starting.".to_string(),
        0 => "No calls in flight any more.".to_string(),
        n => format!(
            "{}.",
            crate::words::plural(n, "call in flight", "calls in flight")
        ),
    }
}

/// What quitting does to those calls, which depends on the store.
fn consequence(e: &Embedded) -> String {
    let stops = "Quitting stops the embedded server: their status updates are lost";
    match (&e.data, e.simulated) {
        (Some(_), _) => {
            let timeout = u64::try_from(e.call_timeout.as_millis()).unwrap_or(u64::MAX);
            // A no-break space keeps "60 s" on one line.
            format!(
                "{stops}, and after a restart they end as failed by timeout ({}). \
                 Nobody is dialed twice: the list resumes where it is.",
                format_seconds(timeout).replace(' ', "\u{a0}")
            )
        }
        (None, false) => format!(
            "{stops}, and the store is temporary: a new run starts the list over \
             and dials these people again."
        ),
        (None, true) => format!(
            "{stops}, and the temporary store with them (the simulator called nobody real)."
        ),
    }
}
