//! The screen's geometry: where each part goes, and which list entries the
//! calls table shows.
//!
//! Both sides need it: the views draw into these areas, and `App::update`
//! maps a mouse click back to the button or the row under it and pages by
//! the table's height. Kept apart from both so that neither imports the
//! other; were it in the renderer, the state would depend on the drawing
//! code and the two could not change alone.

use ratatui::layout::{Constraint, Layout, Position, Rect};
use std::ops::Range;

/// Width of the progress bar's right-hand part: the Call button and its
/// one-word state (`[ Call ] starting…`).
pub const BUTTON_WIDTH: u16 = 24;

/// The areas of one screen, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    /// Under the header: warnings that stay true while the TUI runs (see
    /// `mode::Warning`); no height when there are none.
    pub warnings: Rect,
    pub table: Rect,
    pub progress: Rect,
    pub button: Rect,
    pub message: Rect,
    pub footer: Rect,
}

/// The screen of `area` with `warning_lines` lines of warnings.
pub fn layout(area: Rect, warning_lines: u16) -> Areas {
    let [header, warnings, table, bar, message, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(warning_lines),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let [progress, button] =
        Layout::horizontal([Constraint::Min(10), Constraint::Length(BUTTON_WIDTH)]).areas(bar);
    Areas {
        header,
        warnings,
        table,
        progress,
        button,
        message,
        footer,
    }
}

/// Rows of a table in `table` that fit inside its borders and under its
/// column header.
pub fn table_rows(table: Rect) -> u16 {
    table.height.saturating_sub(3)
}

/// Table rows on a terminal of `size`: how far a page key moves.
pub fn visible_rows(size: Rect, warning_lines: u16) -> u16 {
    table_rows(layout(size, warning_lines).table)
}

/// The first row shown, so that the selected row is always visible.
pub fn table_offset(selected: usize, visible: usize) -> usize {
    (selected + 1).saturating_sub(visible.max(1))
}

/// The list entries that a table in `table` shows of a list of `len` with
/// `selected` selected. Drawing only these keeps a frame's work
/// proportional to the screen, not to the list.
pub fn table_window(table: Rect, selected: usize, len: usize) -> Range<usize> {
    let visible = usize::from(table_rows(table)).max(1);
    let first = table_offset(selected, visible).min(len);
    first..(first + visible).min(len)
}

/// The list entry drawn at `at` by a table in `table`, if any.
pub fn row_at(table: Rect, selected: usize, len: usize, at: Position) -> Option<usize> {
    let first = table.y + 2;
    if !table.contains(at) || at.y < first || at.y >= table.bottom().saturating_sub(1) {
        return None;
    }
    let visible = usize::from(table_rows(table));
    let row = table_offset(selected, visible) + usize::from(at.y - first);
    (row < len).then_some(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_follows_the_selection_and_stays_small() {
        let table = layout(Rect::new(0, 0, 80, 24), 0).table;
        assert_eq!(table_rows(table), 17);
        assert_eq!(visible_rows(Rect::new(0, 0, 80, 24), 2), 15);
        assert_eq!(table_window(table, 0, 9), 0..9);
        assert_eq!(table_window(table, 0, 1_000_000), 0..17);
        assert_eq!(table_window(table, 16, 1_000_000), 0..17);
        assert_eq!(table_window(table, 17, 1_000_000), 1..18);
        assert_eq!(table_window(table, 999_999, 1_000_000), 999_983..1_000_000);
        assert_eq!(table_window(table, 0, 0), 0..0);
        let squeezed = Rect::new(0, 0, 10, 3);
        assert_eq!(table_window(squeezed, 5, 9), 5..6);
    }

    #[test]
    fn clicks_map_to_the_rows_shown() {
        let table = layout(Rect::new(0, 0, 80, 24), 0).table;
        let at = |y| Position::new(table.x + 5, table.y + y);
        assert_eq!(row_at(table, 0, 9, at(1)), None, "the column header");
        assert_eq!(row_at(table, 0, 9, at(2)), Some(0));
        assert_eq!(row_at(table, 0, 9, at(10)), Some(8));
        assert_eq!(row_at(table, 0, 9, at(11)), None, "below the list");
        assert_eq!(row_at(table, 40, 100, at(2)), Some(24));
        assert_eq!(row_at(table, 40, 100, at(table.height - 1)), None);
    }
}
