//! The popups that ask something: a form to type into (import, export,
//! filter), a yes-or-no question (stop, delete), and the bad lines of an
//! import the server refused. Each lists its own keys from the tables in
//! `keys`, as the quit prompt does.

use super::popup;
use crate::app::{App, ImportErrors, Question};
use crate::keys::{self, Action};
use crate::prompt::{Form, Purpose};
use crate::words;
use numdialer_core::Status;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// How wide a form is, at most.
const POPUP_WIDTH: u16 = 72;

pub(super) fn draw_form(frame: &mut Frame, app: &App, form: &Form) {
    let (title, submit) = match form.purpose {
        Purpose::Import => (" New campaign from a file ".to_string(), "import"),
        Purpose::Export { id } => (format!(" Export campaign {id} as CSV "), "export"),
        Purpose::Filter => (" Filter the calls ".to_string(), "filter"),
    };
    let width = form.fields.iter().map(|f| f.label.len()).max().unwrap_or(0);
    let mut lines = Vec::new();
    for (i, field) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        let cursor = if focused { "▏" } else { "" };
        let style = if focused {
            app.theme.title.add_modifier(Modifier::UNDERLINED)
        } else {
            ratatui::style::Style::new()
        };
        lines.push(Line::from(vec![
            Span::raw(format!("{:>width$}: ", field.label)),
            Span::styled(format!("{}{cursor}", field.text), style),
        ]));
        if focused {
            for c in &form.candidates {
                lines.push(Line::styled(format!("{:>width$}  {c}", ""), app.theme.dim));
            }
        }
    }
    lines.push(Line::from(""));
    if let Purpose::Filter = form.purpose {
        lines.push(Line::styled(
            "a status or outcome: idle dialing ringing answered completed failed \
             waiting canceled no_answer; empty shows every entry",
            app.theme.dim,
        ));
    }
    if let Some(e) = &form.error {
        lines.push(Line::styled(e.clone(), app.theme.error));
    }
    // As tall as its lines once wrapped (and a line to spare), so that the
    // reason a submit was refused is never cut off under a long hint; a
    // word that wraps whole leaves the end of a line empty, hence the room
    // given up per line.
    let text_width = usize::from(POPUP_WIDTH.min(frame.area().width).saturating_sub(4 + 10)).max(1);
    let wrapped: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(text_width).max(1))
        .sum();
    let height = u16::try_from(wrapped).unwrap_or(u16::MAX).saturating_add(4);
    let inner = popup(frame, POPUP_WIDTH, height, title).inner(Margin::new(1, 0));
    let [body, hints] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    frame.render_widget(
        Paragraph::new(keys::prompt_hints(submit, form.fields.len())).style(app.theme.dim),
        hints,
    );
}

pub(super) fn draw_question(frame: &mut Frame, app: &App, q: &Question) {
    let (title, text) = match q {
        Question::Stop { id, name, cancels } => (
            format!(" Stop campaign {id}? "),
            // Counted anew as the polls come, while the question is open:
            // dialing goes on until the answer.
            format!(
                "Stop \"{name}\" for good: {} will be canceled and never dialed. \
                 Calls in flight finish. A stopped campaign cannot be resumed.",
                words::entries(
                    app.campaign_list()
                        .iter()
                        .find(|c| c.id == *id)
                        .map_or(*cancels, |c| c.count(Status::Idle)
                            + c.count(Status::Waiting))
                )
            ),
        ),
        Question::Delete { id, name } => (
            format!(" Delete campaign {id}? "),
            format!(
                "Delete \"{name}\" and its history from the server. Export it first to keep it."
            ),
        ),
        Question::NeverCall { phone } => (
            " Never call? ".to_string(),
            format!(
                "Never call {} again? (all campaigns) Its entries not dialed yet are \
                 canceled in every campaign; a call in flight finishes.",
                numdialer_core::format_phone(phone)
            ),
        ),
        Question::Overwrite { id, path } => (
            " Replace the file? ".to_string(),
            format!(
                "{path} exists already. Replace it with campaign {id}'s export? \
                 What it holds now is lost."
            ),
        ),
    };
    let inner = popup(frame, 60, 9, title).inner(Margin::new(1, 0));
    let [body, _, answers] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Line::styled(text, app.theme.title)).wrap(Wrap { trim: true }),
        body,
    );
    frame.render_widget(Paragraph::new(keys::choices(keys::CONFIRM)), answers);
}

pub(super) fn draw_import_errors(frame: &mut Frame, app: &App, e: &ImportErrors) {
    let title = format!(
        " {} refused · {} to close ",
        e.path,
        keys::key_for(Action::Close)
    );
    let inner = popup(frame, 76, 20, title).inner(Margin::new(1, 0));
    let [head, list, foot_area] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Line::styled(e.message.clone(), app.theme.error)).wrap(Wrap { trim: true }),
        head,
    );
    // Every bad line the server sent, each wrapped whole, scrolled by
    // the arrows; those it only counted are said to exist.
    let mut lines: Vec<Line> = e
        .errors
        .iter()
        .map(|l| Line::from(format!("line {}: {}", l.line, l.error)))
        .collect();
    let more = e.error_count.saturating_sub(lines.len());
    if more > 0 {
        lines.push(Line::from(format!(
            "… and {more} more (the server lists the first {})",
            e.errors.len()
        )));
    }
    // Lines once wrapped, a little over rather than under: a word wrapped
    // whole leaves the end of its line empty.
    let width = usize::from(list.width.saturating_sub(8)).max(1);
    let wrapped: usize = lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum();
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let most = u16::try_from(wrapped)
        .unwrap_or(u16::MAX)
        .saturating_sub(list.height);
    frame.render_widget(paragraph.scroll((app.scroll.min(most), 0)), list);
    let foot = match e.error_count {
        // A refusal of the whole file: its reason is above, no line to count.
        0 => "nothing was imported".to_string(),
        n if most > 0 => format!(
            "{}; nothing was imported · ↑↓ scroll",
            words::plural(n, "bad line", "bad lines")
        ),
        n => format!(
            "{}; nothing was imported",
            words::plural(n, "bad line", "bad lines")
        ),
    };
    frame.render_widget(
        Paragraph::new(Line::styled(foot, app.theme.title)),
        foot_area,
    );
}
