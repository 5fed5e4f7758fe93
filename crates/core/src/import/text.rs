//! `text/plain`: one number a line, the `--numbers-file` format.

use super::{Check, Collector, ImportError, Imported, Unit, count_lines, utf8};
use crate::numbers::number_lines;
use crate::phone::Country;

/// Parses one number a line; blank lines and `#` comments are skipped
/// exactly as in `--numbers-file` (the same code reads both), but every
/// bad line is reported rather than the first. Numbers without `+` are
/// read in `country` when one is given.
pub fn parse_text(body: &[u8], country: Option<Country>) -> Result<Imported, ImportError> {
    read_text(body, country, &|_| None)
}

/// [`parse_text`], each number given to `check` ([`super::parse_checked`]).
pub(super) fn read_text(
    body: &[u8],
    country: Option<Country>,
    check: Check<'_>,
) -> Result<Imported, ImportError> {
    let text = utf8(body)?;
    let mut out = Collector::new(Unit::Line, count_lines(text.as_bytes()), country, check);
    for (line, number) in number_lines(text) {
        out.admit()?;
        if number.len() > super::MAX_FIELD_BYTES {
            out.bad(line, super::oversized("the line", number.len()));
            continue;
        }
        match out.read(number) {
            Ok(reading) => out.push_read(line, reading, None, Vec::new(), None),
            Err(e) => out.bad(line, e),
        }
    }
    out.finish(
        Vec::new(),
        "the list has no numbers (one number a line; blank lines and # comments are skipped)",
    )
}
