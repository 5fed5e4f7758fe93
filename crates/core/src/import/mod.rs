//! Imports: a `POST /campaigns` body, already in memory, turned into a
//! campaign's entries, or refused whole.
//!
//! All or nothing: a list with one bad line is refused, so that nobody
//! finds out after dialing started that part of their list was silently
//! dropped. Every bad line is counted and the first
//! [`MAX_LINE_ERRORS`] are named with their line, so that one upload
//! shows what to fix rather than one mistake at a time.
//!
//! - `text/csv`, read by [`parse_csv`]: a header row with a `phone` column.
//! - `text/plain`, read by [`parse_text`]: one number a line, as
//!   `--numbers-file`.
//! - `application/json`, read by [`parse_json`]: a
//!   [`CreateCampaign`](crate::api::CreateCampaign), settings included.
//! - Any of them by [`Format`], read by [`parse`].
//!
//! Pure functions: no I/O, no clock. The server reads the body, picks the
//! [`Format`] from its `Content-Type` and stores what comes back.

mod csv;
mod json;
mod text;

#[cfg(test)]
mod tests;

pub use self::csv::parse_csv;
pub use self::json::{BodySettings, parse_json};
pub use self::text::parse_text;

use crate::api::{ImportErrorBody, LineError, LineWarning};
use crate::campaign::Fields;
use crate::phone::{Country, Phone, PhoneError, Reading, unverified_warning};
use crate::zones::{ZoneSetId, parse_zone};
use std::fmt;

/// The most entries one import takes (design: "up to 1,000,000 entries").
pub const MAX_ENTRIES: usize = 1_000_000;

/// The largest body an import accepts, 32 MiB: a million numbers with
/// names fit. The server enforces it while reading; it is here so that the
/// server and its clients share one figure.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The most columns a CSV import takes (`phone` and `name` included): every
/// extra column is kept with every entry and shown in every summary.
pub const MAX_COLUMNS: usize = 100;

/// The most bytes one value may hold (a number, a name, any other cell):
/// a list is names and numbers, not documents.
pub const MAX_FIELD_BYTES: usize = 1024;

/// Why a value of `bytes` bytes is refused, naming where it is.
fn oversized(what: &str, bytes: usize) -> String {
    format!("{what} holds {bytes} bytes; a value holds at most {MAX_FIELD_BYTES} bytes")
}

/// How many bad lines an error names; the rest are only counted, so that a
/// wholly wrong file (the wrong column picked, say) gives a short answer.
pub const MAX_LINE_ERRORS: usize = 100;

/// How many warnings an import's answer names; the rest are counted.
pub const MAX_LINE_WARNINGS: usize = 100;

/// The column an extension written after a number (`ext. 12`) is kept
/// in: exported with the entry, never dialed.
pub const EXTENSION_COLUMN: &str = "extension";

/// A body's format, from its media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Text,
    Json,
}

impl Format {
    /// The format a `Content-Type` names: `text/csv`, `text/plain` or
    /// `application/json`, in any case, parameters (`; charset=utf-8`)
    /// ignored. `None` for anything else, which the server answers 415.
    pub fn from_media_type(content_type: &str) -> Option<Format> {
        let media_type = content_type.split(';').next().unwrap_or("").trim();
        [Format::Csv, Format::Text, Format::Json]
            .into_iter()
            .find(|f| f.media_type().eq_ignore_ascii_case(media_type))
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv",
            Format::Text => "text/plain",
            Format::Json => "application/json",
        }
    }
}

/// A list ready to become a campaign.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// The CSV columns beyond `phone` and `name`, in file order, kept so
    /// that the export gives them back, then [`EXTENSION_COLUMN`] when a
    /// number had an extension and the file had no such column.
    pub columns: Vec<String>,
    /// In list order, never empty.
    pub entries: Vec<ImportedEntry>,
    /// The first [`MAX_LINE_WARNINGS`] lines imported with a warning (a
    /// number written with `+` that libphonenumber does not know as
    /// valid), in file order.
    pub warnings: Vec<LineWarning>,
    /// Every line imported with a warning, counted.
    pub warning_count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedEntry {
    pub phone: Phone,
    /// Trimmed; `None` when absent or blank.
    pub name: Option<String>,
    /// This entry's values of [`Imported::columns`], aligned with them.
    pub fields: Fields,
    /// The zone its `timezone` column (or JSON field) named; `None`: its
    /// number's.
    pub zones: Option<ZoneSetId>,
}

/// The column (and JSON field) that names an entry's time zone. Read as
/// the entry's zone, not kept as an extra column.
pub const TIMEZONE_COLUMN: &str = "timezone";

/// A `timezone` cell: blank for the number's own zones, else an IANA name.
fn zone_of(cell: &str) -> Result<Option<ZoneSetId>, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(None);
    }
    parse_zone(cell)
        .map(Some)
        .map_err(|e| format!("{TIMEZONE_COLUMN}: {e}"))
}

/// What [`parse`] read: the entries, and the settings when the body
/// carries its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// `Some` for JSON bodies only: CSV and plain-text bodies carry their
    /// settings in the query string instead.
    pub settings: Option<BodySettings>,
    pub imported: Imported,
}

/// Parses a body of any format, reading numbers without `+` in `country`
/// when one is given (for JSON, the body's own `country` first; see
/// [`Phone::read`]). For JSON the body's own settings come back too;
/// [`parse_csv`], [`parse_text`] and [`parse_json`] are the same for one
/// format.
pub fn parse(format: Format, body: &[u8], country: Option<Country>) -> Result<Upload, ImportError> {
    parse_checked(format, body, country, &|_| None)
}

/// A number's warning from whoever will dial it: why its dial will fail
/// (the dialer API does not take it), or `None`.
pub type Check<'a> = &'a (dyn Fn(&Phone) -> Option<String> + Sync);

/// [`parse`], with every number read also given to `check`: each line it
/// answers is imported with that warning (the server's dialer API cannot
/// dial it, say), counted with the others.
pub fn parse_checked(
    format: Format,
    body: &[u8],
    country: Option<Country>,
    check: Check<'_>,
) -> Result<Upload, ImportError> {
    Ok(match format {
        Format::Csv => Upload {
            settings: None,
            imported: self::csv::read_csv(body, country, check)?,
        },
        Format::Text => Upload {
            settings: None,
            imported: self::text::read_text(body, country, check)?,
        },
        Format::Json => {
            let (settings, imported) = self::json::read_json(body, country, check)?;
            Upload {
                settings: Some(settings),
                imported,
            }
        }
    })
}

/// What an upload sent, as a short text: its format, its settings given
/// beside the body (a query's `name=value` pairs, in the caller's order,
/// `None` for one not given) and the body's bytes, hashed together. An
/// `Idempotency-Key` is stored with it, so that the key reused with
/// another body or other settings is told from a retry of the same upload
/// (the IETF Idempotency-Key draft's rule). SHA-1 serves: it tells
/// uploads apart, it guards no secret.
pub fn upload_digest(format: Format, settings: &[(&str, Option<&str>)], body: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(format.media_type().as_bytes());
    for (name, value) in settings {
        // Lengths first, so that no two different settings run together
        // into the same bytes.
        h.update(name.len().to_be_bytes());
        h.update(name.as_bytes());
        match value {
            Some(v) => {
                h.update([1]);
                h.update(v.len().to_be_bytes());
                h.update(v.as_bytes());
            }
            None => h.update([0]),
        }
    }
    h.update(body);
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha1:{hex}")
}

/// Why an import was refused; nothing of it is stored. The same fields as
/// the `422` body ([`ImportErrorBody`]), which it converts into.
///
/// A problem with the whole body (empty, not UTF-8, no `phone` column,
/// malformed JSON, no numbers, too many) has only `error`: `errors` is
/// empty and `error_count` 0. Bad lines each get a [`LineError`], whose
/// `line` is the file's line from 1 (the CSV header is line 1), or for
/// JSON the item's position from 1 in `numbers` or `entries`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct ImportError {
    /// One sentence for the whole import; with bad lines, how many and
    /// the first of them.
    pub error: String,
    /// The first [`MAX_LINE_ERRORS`] bad lines, in file order.
    pub errors: Vec<LineError>,
    /// Every bad line, counted.
    pub error_count: usize,
}

impl ImportError {
    /// A problem with the whole body rather than with some of its lines.
    fn whole(error: impl Into<String>) -> ImportError {
        ImportError {
            error: error.into(),
            errors: Vec::new(),
            error_count: 0,
        }
    }
}

impl From<ImportError> for ImportErrorBody {
    fn from(e: ImportError) -> Self {
        ImportErrorBody {
            error: e.error,
            errors: e.errors,
            error_count: e.error_count,
        }
    }
}

/// What a body's positions are called in messages: CSV and text have
/// lines, JSON has items of an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Line,
    Item,
}

impl Unit {
    fn word(self, count: usize) -> &'static str {
        match (self, count == 1) {
            (Unit::Line, true) => "line",
            (Unit::Line, false) => "lines",
            (Unit::Item, true) => "item",
            (Unit::Item, false) => "items",
        }
    }
}

/// Gathers the entries and the bad lines of one import, the same way for
/// every format: the limit on entries, the first bad lines kept and all
/// counted, and the final verdict.
struct Collector<'a> {
    unit: Unit,
    check: Check<'a>,
    country: Option<Country>,
    entries: Vec<ImportedEntry>,
    errors: Vec<LineError>,
    error_count: usize,
    warnings: Vec<LineWarning>,
    warning_count: usize,
    /// Extensions read from the numbers, by entry, for a list that has no
    /// extension column of its own.
    extensions: Vec<(usize, String)>,
}

impl<'a> Collector<'a> {
    /// `expected` is a guess at the number of entries, to allocate once.
    fn new(
        unit: Unit,
        expected: usize,
        country: Option<Country>,
        check: Check<'a>,
    ) -> Collector<'a> {
        Collector {
            unit,
            check,
            country,
            entries: Vec::with_capacity(expected.min(MAX_ENTRIES)),
            errors: Vec::new(),
            error_count: 0,
            warnings: Vec::new(),
            warning_count: 0,
            extensions: Vec::new(),
        }
    }

    /// One number, read in the import's country, with the check's warning.
    fn read(&self, text: &str) -> Result<(Reading, Option<String>), PhoneError> {
        let reading = Phone::read(text, self.country)?;
        let refusal = (self.check)(&reading.phone);
        Ok((reading, refusal))
    }

    /// An entry whose number was read: its warnings counted (and named
    /// while fewer than [`MAX_LINE_WARNINGS`] are), its extension kept
    /// for the extension column. `refusal` is the check's warning.
    fn push_read(
        &mut self,
        line: usize,
        (reading, refusal): (Reading, Option<String>),
        name: Option<String>,
        fields: Vec<String>,
        zones: Option<ZoneSetId>,
    ) {
        if reading.unverified {
            self.warn(line, || unverified_warning(&reading.phone));
        }
        if let Some(refusal) = refusal {
            self.warn(line, || refusal);
        }
        if let Some(ext) = reading.extension {
            self.extensions.push((self.entries.len(), ext));
        }
        self.entries.push(ImportedEntry {
            phone: reading.phone,
            name,
            fields: fields.into(),
            zones,
        });
    }

    fn warn(&mut self, line: usize, warning: impl FnOnce() -> String) {
        self.warning_count += 1;
        if self.warnings.len() < MAX_LINE_WARNINGS {
            self.warnings.push(LineWarning {
                line,
                warning: warning(),
            });
        }
    }

    /// Called before each entry, good or bad: a body over the limit is
    /// refused as soon as it shows it, without reading the rest.
    fn admit(&self) -> Result<(), ImportError> {
        if self.entries.len() + self.error_count >= MAX_ENTRIES {
            return Err(too_many());
        }
        Ok(())
    }

    fn bad(&mut self, line: usize, error: impl fmt::Display) {
        self.error_count += 1;
        if self.errors.len() < MAX_LINE_ERRORS {
            self.errors.push(LineError {
                line,
                error: error.to_string(),
            });
        }
    }

    fn finish(mut self, mut columns: Vec<String>, empty: &str) -> Result<Imported, ImportError> {
        if let Some(first) = self.errors.first() {
            let n = self.error_count;
            return Err(ImportError {
                error: format!(
                    "{n} {} could not be imported; nothing was stored (first: {} {}: {})",
                    self.unit.word(n),
                    self.unit.word(1),
                    first.line,
                    first.error
                ),
                errors: self.errors,
                error_count: n,
            });
        }
        if self.entries.is_empty() {
            return Err(ImportError::whole(empty));
        }
        if !self.extensions.is_empty() {
            columns.push(EXTENSION_COLUMN.to_string());
            let mut extensions = self.extensions.into_iter().peekable();
            for (i, entry) in self.entries.iter_mut().enumerate() {
                let ext = extensions.next_if(|(at, _)| *at == i).map(|(_, e)| e);
                entry.fields = entry.fields.with(&ext.unwrap_or_default());
            }
        }
        Ok(Imported {
            columns,
            entries: self.entries,
            warnings: self.warnings,
            warning_count: self.warning_count,
        })
    }
}

const _: () = assert!(
    MAX_ENTRIES == 1_000_000,
    "too_many's message says 1,000,000"
);

fn too_many() -> ImportError {
    ImportError::whole(
        "too many entries: one import takes at most 1,000,000; split the list into several campaigns",
    )
}

/// The body as text, after an optional UTF-8 byte order mark (which
/// spreadsheet programs write). Anything but UTF-8 is refused whole, with
/// the line of the first bad byte: it is an encoding to change when
/// saving, not a line to fix.
fn utf8(body: &[u8]) -> Result<&str, ImportError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    std::str::from_utf8(body).map_err(|e| {
        let line = count_lines(&body[..e.valid_up_to()]);
        ImportError::whole(format!(
            "the file is not UTF-8 text (the first bad byte is on line {line}): save it as UTF-8"
        ))
    })
}

/// The line that the end of `text` is on, from 1.
fn count_lines(text: &[u8]) -> usize {
    text.iter().filter(|&&b| b == b'\n').count() + 1
}
