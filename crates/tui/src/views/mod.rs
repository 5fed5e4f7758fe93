//! Rendering: `draw` composes the screen from one module per part, and
//! every part only reads the `App`. Where each part goes comes from
//! `layout`, the geometry `App::update` also uses to map clicks; how it
//! looks comes from the `App`'s theme.
//!
//! A new screen or pane is a new module here, drawn from `draw` into an
//! area that `layout` gives it.

mod calls;
mod campaigns;
mod header;
mod help;
mod history;
mod prompt;
mod quit;
mod status_bar;

use crate::app::{App, Overlay};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Clear};

pub use help::LINES as HELP_LINES;

pub fn draw(frame: &mut Frame, app: &App) {
    let areas = app.areas_in(frame.area());
    header::draw(frame, app, areas.header);
    header::draw_warnings(frame, app, areas.warnings);
    campaigns::draw(frame, app, areas.campaigns);
    calls::draw(frame, app, areas.table);
    status_bar::draw_progress(frame, app, areas.progress);
    status_bar::draw_button(frame, app, areas.button);
    status_bar::draw_message(frame, app, areas.message);
    status_bar::draw_footer(frame, app, areas.footer);
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help => help::draw(frame, app),
        Overlay::History { index, detail } => history::draw(frame, app, *index, detail),
        Overlay::QuitPrompt => quit::draw(frame, app),
        Overlay::Form(form) => prompt::draw_form(frame, app, form),
        Overlay::Confirm(q) => prompt::draw_question(frame, app, q),
        Overlay::ImportErrors(e) => prompt::draw_import_errors(frame, app, e),
    }
}

/// Clears a centred box of at most `width` × `height` over the screen,
/// frames it with `title`, and returns the inside to draw the popup in.
/// The focused pane is told by more than a colour (which `--no-color`
/// and some terminals drop): a mark before its title, so that a key meant
/// for one pane is not pressed in the other.
fn focus_mark(focused: bool) -> &'static str {
    if focused { "▶ " } else { " " }
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
    let block = Block::bordered().title(title);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
mod campaign_tests;
