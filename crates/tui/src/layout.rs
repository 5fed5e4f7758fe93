//! The screen's geometry: where each part goes, and which list entries the
//! calls table (and the campaigns pane) shows.
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

/// From this width the campaigns pane stands beside the calls table, which
/// keeps room for all its columns; on narrower terminals it goes above.
pub const BESIDE_FROM: u16 = 150;

/// The pane's width beside the table: every column of the pane.
pub const PANE_WIDTH: u16 = 76;

/// Campaigns the pane shows at once above the table; it scrolls for more,
/// so that the calls keep most of a small terminal.
pub const PANE_ROWS: u16 = 5;

/// Rows the calls table keeps under a pane above it.
const TABLE_KEEPS: u16 = 6;

/// The areas of one screen, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    /// Under the header: warnings that stay true while the TUI runs (see
    /// `mode::Warning`); no height when there are none.
    pub warnings: Rect,
    /// The campaigns pane; no area while it is hidden.
    pub campaigns: Rect,
    pub table: Rect,
    pub progress: Rect,
    pub button: Rect,
    pub message: Rect,
    pub footer: Rect,
}

/// The screen of `area` with `warning_lines` lines of warnings, and no
/// campaigns pane.
pub fn layout(area: Rect, warning_lines: u16) -> Areas {
    with_pane(area, warning_lines, None)
}

/// The screen with a campaigns pane of `pane` campaigns, if any: beside
/// the table on a wide terminal, else above it, as many rows high as fit
/// (up to `PANE_ROWS`) while the table keeps `TABLE_KEEPS` rows.
pub fn with_pane(area: Rect, warning_lines: u16, pane: Option<usize>) -> Areas {
    // A terminal a few lines high gives up the footer, then the message
    // line, so that some rows still show. The warnings stay: they are
    // about real people being dialed.
    let footer_lines = u16::from(area.height >= 10 + warning_lines);
    let message_lines = u16::from(area.height >= 7 + warning_lines);
    let [header, warnings, table, bar, message, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(warning_lines),
        Constraint::Min(2),
        Constraint::Length(1),
        Constraint::Length(message_lines),
        Constraint::Length(footer_lines),
    ])
    .areas(area);
    let [progress, button] =
        Layout::horizontal([Constraint::Min(10), Constraint::Length(BUTTON_WIDTH)]).areas(bar);
    let (campaigns, table) = split_pane(table, pane);
    Areas {
        header,
        warnings,
        campaigns,
        table,
        progress,
        button,
        message,
        footer,
    }
}

/// The middle of the screen shared by the pane (first) and the table.
fn split_pane(middle: Rect, pane: Option<usize>) -> (Rect, Rect) {
    let Some(campaigns) = pane else {
        return (Rect::new(middle.x, middle.y, 0, 0), middle);
    };
    if middle.width >= BESIDE_FROM {
        let [p, t] =
            Layout::horizontal([Constraint::Length(PANE_WIDTH), Constraint::Min(1)]).areas(middle);
        return (p, t);
    }
    let rows = u16::try_from(campaigns)
        .unwrap_or(u16::MAX)
        .clamp(1, PANE_ROWS);
    let room = middle.height.saturating_sub(TABLE_KEEPS + 3);
    let height = (rows + 3).min(room);
    if height < 4 {
        return (Rect::new(middle.x, middle.y, 0, 0), middle);
    }
    let [p, t] = Layout::vertical([Constraint::Length(height), Constraint::Min(1)]).areas(middle);
    (p, t)
}

/// Rows of a table in `table` that fit inside its borders and under its
/// column header.
pub fn table_rows(table: Rect) -> u16 {
    if table_bordered(table) {
        table.height.saturating_sub(3)
    } else {
        table.height.saturating_sub(1)
    }
}

/// Whether a table has room for its border and title as well as rows: a
/// terminal a few lines high shows its rows under the column header
/// alone, rather than a frame with nothing in it.
pub fn table_bordered(table: Rect) -> bool {
    table.height >= 4
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
    let bordered = table_bordered(table);
    let first = table.y + if bordered { 2 } else { 1 };
    let last = table.bottom().saturating_sub(u16::from(bordered));
    if !table.contains(at) || at.y < first || at.y >= last {
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
        assert_eq!(table_rows(squeezed), 2, "no border: the rows show");
        assert_eq!(table_window(squeezed, 5, 9), 4..6);
        let tiny = layout(Rect::new(0, 0, 20, 5), 0);
        assert!(table_rows(tiny.table) >= 2, "{tiny:?}");
    }

    #[test]
    fn the_pane_goes_above_a_narrow_table_and_beside_a_wide_one() {
        let none = layout(Rect::new(0, 0, 80, 24), 0);
        assert_eq!(none.campaigns.area(), 0);
        let above = with_pane(Rect::new(0, 0, 80, 24), 0, Some(2));
        assert_eq!(above.campaigns, Rect::new(0, 1, 80, 5));
        assert_eq!(above.table, Rect::new(0, 6, 80, 15));
        let many = with_pane(Rect::new(0, 0, 60, 20), 0, Some(40));
        assert_eq!((many.campaigns.height, table_rows(many.campaigns)), (7, 4));
        assert!(table_rows(many.table) >= TABLE_KEEPS);
        let wide = with_pane(Rect::new(0, 0, 200, 50), 0, Some(2));
        assert_eq!(wide.campaigns, Rect::new(0, 1, PANE_WIDTH, 46));
        assert_eq!(wide.table, Rect::new(PANE_WIDTH, 1, 200 - PANE_WIDTH, 46));
        let tiny = with_pane(Rect::new(0, 0, 40, 12), 0, Some(2));
        assert_eq!(tiny.campaigns.area(), 0, "the calls come first");
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
