//! `text/csv`: a header row naming a `phone` column, an optional `name`
//! column, and any others, which are kept as the entries' fields.

use super::{Collector, ImportError, Imported, ImportedEntry, Unit, count_lines, utf8};
use crate::phone::{Phone, PhoneError};
use csv::{ReaderBuilder, StringRecord};

/// Parses a CSV body (RFC 4180 as spreadsheets write it: commas, `"`
/// quotes, `\n` or `\r\n`, an optional UTF-8 byte order mark). The header
/// is line 1; `phone` and `name` are found in any case, surrounding spaces
/// ignored. A row with more or fewer fields than the header is a bad line:
/// its values cannot be told apart. Blank lines are skipped.
///
/// Records are read one at a time into one reused record, so that a
/// million-line file costs the entries and nothing more.
pub fn parse_csv(body: &[u8]) -> Result<Imported, ImportError> {
    let text = utf8(body)?;
    if text.trim().is_empty() {
        return Err(ImportError::whole(
            "the file is empty: a CSV import needs a header row with a phone column, then one row per number",
        ));
    }
    let mut reader = ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(whole_file)?;
    let columns = Columns::find(header)?;
    let mut out = Collector::new(Unit::Line, count_lines(text.as_bytes()));
    let mut lines = Lines::new(text.as_bytes());
    let mut record = StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                out.admit()?;
                match columns.entry(&record) {
                    Ok(entry) => out.push(entry),
                    Err(e) => out.bad(lines.of(record.position()), e),
                }
            }
            Err(e) => match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    pos,
                    expected_len,
                    len,
                } => {
                    out.admit()?;
                    out.bad(
                        lines.of(pos.as_ref()),
                        format!(
                            "{len} {} where the header has {expected_len}",
                            if *len == 1 { "field" } else { "fields" }
                        ),
                    );
                }
                _ => return Err(whole_file(e)),
            },
        }
    }
    out.finish(
        columns.extra_names,
        "the file has a header but no numbers: add one row per number",
    )
}

/// Where each column the import uses sits in a row.
struct Columns {
    phone: usize,
    name: Option<usize>,
    extra: Vec<usize>,
    extra_names: Vec<String>,
}

impl Columns {
    fn find(header: &StringRecord) -> Result<Columns, ImportError> {
        let mut phone = None;
        let mut name = None;
        let mut extra = Vec::new();
        let mut extra_names = Vec::new();
        for (i, raw) in header.iter().enumerate() {
            let title = raw.trim();
            let slot = if title.eq_ignore_ascii_case("phone") {
                &mut phone
            } else if title.eq_ignore_ascii_case("name") {
                &mut name
            } else {
                extra.push(i);
                extra_names.push(title.to_string());
                continue;
            };
            if slot.replace(i).is_some() {
                return Err(ImportError::whole(format!(
                    "the header (line 1) has two {} columns: keep one",
                    title.to_ascii_lowercase()
                )));
            }
        }
        let Some(phone) = phone else {
            return Err(ImportError::whole(no_phone_column(header)));
        };
        Ok(Columns {
            phone,
            name,
            extra,
            extra_names,
        })
    }

    /// One row as an entry; the row has as many fields as the header (the
    /// reader checks), so every index is there.
    fn entry(&self, record: &StringRecord) -> Result<ImportedEntry, PhoneError> {
        let phone = Phone::parse(&record[self.phone])?;
        let name = self
            .name
            .map(|i| record[i].trim())
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let fields = self.extra.iter().map(|&i| record[i].to_string()).collect();
        Ok(ImportedEntry {
            phone,
            name,
            fields,
        })
    }
}

/// Names what the header has instead, and the usual cause when there is a
/// single column: a spreadsheet that saved with `;` or tabs.
fn no_phone_column(header: &StringRecord) -> String {
    const SHOWN: usize = 10;
    let mut found: Vec<String> = header
        .iter()
        .take(SHOWN)
        .map(|t| format!("{:?}", t.chars().take(40).collect::<String>()))
        .collect();
    if header.len() > SHOWN {
        found.push("…".to_string());
    }
    let mut msg = format!(
        "the header (line 1) has no phone column: name one column \"phone\" (found {})",
        found.join(", ")
    );
    if header.len() == 1 && header[0].contains([';', '\t']) {
        msg.push_str("; columns must be separated by commas");
    }
    msg
}

/// The file's line a record starts on, from its byte offset.
///
/// Not `Position::line()`: the csv crate counts a record's line before
/// skipping what precedes it, so after a blank line, or after any `\r\n`,
/// it names the line before (rust-csv issues 208 and 395). The byte offset
/// has the same lag, but it is exact about where it stands: past the line
/// breaks that follow it is the record's first byte. Offsets only grow, so
/// each byte of the file is counted once, and only bad rows ask.
struct Lines<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a [u8]) -> Lines<'a> {
        Lines {
            text,
            at: 0,
            line: 1,
        }
    }

    fn of(&mut self, pos: Option<&csv::Position>) -> usize {
        let byte = pos.map_or(self.at, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        let mut start = byte.clamp(self.at, self.text.len());
        while let Some(b'\r' | b'\n') = self.text.get(start) {
            start += 1;
        }
        self.line += self.text[self.at..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.at = start;
        self.line
    }
}

/// A reader error that is not about one row. The body is UTF-8 and in
/// memory, so this is not expected; it is still named, never a panic.
fn whole_file(e: csv::Error) -> ImportError {
    ImportError::whole(format!("the file is not valid CSV: {e}"))
}
