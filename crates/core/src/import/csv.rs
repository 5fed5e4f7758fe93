//! `text/csv`: a header row naming a `phone` column, an optional `name`
//! column, and any others, which are kept as the entries' fields.

use super::{
    Check, Collector, EXTENSION_COLUMN, ImportError, Imported, MAX_COLUMNS, MAX_FIELD_BYTES,
    TIMEZONE_COLUMN, Unit, count_lines, oversized, utf8, zone_of,
};
use crate::api::EXPORT_COLUMNS;
use crate::phone::Country;
use csv::{ReaderBuilder, StringRecord};

/// Parses a CSV body (RFC 4180 as spreadsheets write it: `"` quotes, `\n`
/// or `\r\n`, an optional UTF-8 byte order mark), its fields separated by
/// commas, semicolons or tabs: whichever the header line has most of, as
/// spreadsheets save with `;` where the comma is the decimal mark. The
/// header is line 1; `phone` and `name` are found in any case, spaces
/// ignored, and a list without a `phone` column takes one column named
/// like a phone number (`Phone Number`, `mobile`, `tel`, `telephone`). A
/// row with more or fewer fields than the header is a bad line: its values
/// cannot be told apart. Blank lines are skipped. Numbers without `+` are
/// read in `country` when one is given.
///
/// Records are read one at a time into one reused record, so that a
/// million-line file costs the entries and nothing more.
pub fn parse_csv(body: &[u8], country: Option<Country>) -> Result<Imported, ImportError> {
    read_csv(body, country, &|_| None)
}

/// [`parse_csv`], each number given to `check` ([`super::parse_checked`]).
pub(super) fn read_csv(
    body: &[u8],
    country: Option<Country>,
    check: Check<'_>,
) -> Result<Imported, ImportError> {
    let text = utf8(body)?;
    if text.trim().is_empty() {
        return Err(ImportError::whole(
            "the file is empty: a CSV import needs a header row with a phone column, then one row per number",
        ));
    }
    let mut reader = ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .delimiter(separator(text))
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(whole_file)?;
    if header.len() > MAX_COLUMNS {
        return Err(ImportError::whole(format!(
            "the header has {} columns; an import takes at most {MAX_COLUMNS}: remove the columns the campaign does not need",
            header.len()
        )));
    }
    if let Some(title) = header.iter().find(|t| t.len() > MAX_FIELD_BYTES) {
        return Err(ImportError::whole(oversized(
            "a column title on line 1",
            title.len(),
        )));
    }
    let titles: Vec<String> = header.iter().map(str::to_string).collect();
    let mut columns = Columns::find(header)?;
    let mut out = Collector::new(Unit::Line, count_lines(text.as_bytes()), country, check);
    for name in &mut columns.extra_names {
        if let Some(fixed) = EXPORT_COLUMNS.iter().find(|c| c.eq_ignore_ascii_case(name)) {
            let kept = format!("x_{name}");
            out.warn(1, || {
                format!(
                    "column {name:?} is kept as {kept:?}: the export has its own {fixed} column"
                )
            });
            *name = kept;
        }
    }
    let mut lines = Lines::new(text.as_bytes());
    let mut record = StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                out.admit()?;
                if let Some((at, value)) = record
                    .iter()
                    .enumerate()
                    .find(|(_, v)| v.len() > MAX_FIELD_BYTES)
                {
                    let what = format!("column {:?}", titles[at]);
                    out.bad(lines.of(record.position()), oversized(&what, value.len()));
                    continue;
                }
                let zones = match columns.timezone.map(|i| zone_of(&record[i])) {
                    None => None,
                    Some(Ok(z)) => z,
                    Some(Err(e)) => {
                        out.bad(lines.of(record.position()), e);
                        continue;
                    }
                };
                match out.read(&record[columns.phone]) {
                    Ok((mut reading, refusal)) => {
                        let line = if reading.unverified || refusal.is_some() {
                            lines.of(record.position())
                        } else {
                            0
                        };
                        let mut fields = columns.fields(&record);
                        // The file's own extension column keeps what it
                        // says; an extension after the number fills it
                        // where it is empty.
                        if let Some(at) = columns.extension
                            && let Some(ext) = reading.extension.take()
                            && fields[at].is_empty()
                        {
                            fields[at] = ext;
                        }
                        let read = (reading, refusal);
                        out.push_read(line, read, columns.name(&record), fields, zones);
                    }
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
    /// The `timezone` column: each entry's zone, not an extra column.
    timezone: Option<usize>,
    extra: Vec<usize>,
    extra_names: Vec<String>,
    /// The file's own extension column, among `extra`: an extension
    /// written after a number goes there when its cell is empty.
    extension: Option<usize>,
}

/// Header titles read as the phone column when none is named `phone`,
/// with case, spaces, `_` and `-` ignored.
const PHONE_TITLES: [&str; 7] = [
    "phonenumber",
    "mobile",
    "mobilenumber",
    "tel",
    "telephone",
    "cell",
    "cellphone",
];

/// A title without case, spaces, `_` or `-`: `Phone Number` is
/// `phonenumber`.
fn folded(title: &str) -> String {
    title
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

impl Columns {
    fn find(header: &StringRecord) -> Result<Columns, ImportError> {
        let titles: Vec<String> = header.iter().map(folded).collect();
        let named = |want: &str| -> Result<Option<usize>, ImportError> {
            let mut found = titles.iter().enumerate().filter(|(_, t)| *t == want);
            let first = found.next().map(|(i, _)| i);
            if found.next().is_some() {
                return Err(ImportError::whole(format!(
                    "the header (line 1) has two {want} columns: keep one"
                )));
            }
            Ok(first)
        };
        let name = named("name")?;
        let timezone = named(TIMEZONE_COLUMN)?;
        let phone = match named("phone")? {
            Some(i) => i,
            None => {
                let like: Vec<usize> = (0..titles.len())
                    .filter(|&i| PHONE_TITLES.contains(&titles[i].as_str()))
                    .collect();
                match like[..] {
                    [one] => one,
                    [] => return Err(ImportError::whole(no_phone_column(header))),
                    _ => {
                        let names: Vec<String> = like
                            .iter()
                            .map(|&i| format!("{:?}", header[i].trim()))
                            .collect();
                        return Err(ImportError::whole(format!(
                            "the header (line 1) has {} columns that could be the phone numbers: name the one to dial \"phone\"",
                            names.join(" and ")
                        )));
                    }
                }
            }
        };
        let mut extra = Vec::new();
        let mut extra_names = Vec::new();
        let mut extension = None;
        for (i, raw) in header.iter().enumerate() {
            if i == phone || Some(i) == name || Some(i) == timezone {
                continue;
            }
            if titles[i] == EXTENSION_COLUMN && extension.is_none() {
                extension = Some(extra.len());
            }
            extra.push(i);
            extra_names.push(raw.trim().to_string());
        }
        Ok(Columns {
            phone,
            name,
            timezone,
            extra,
            extra_names,
            extension,
        })
    }

    /// A row's name, trimmed; the row has as many fields as the header
    /// (the reader checks), so every index is there.
    fn name(&self, record: &StringRecord) -> Option<String> {
        self.name
            .map(|i| record[i].trim())
            .filter(|n| !n.is_empty())
            .map(str::to_string)
    }

    fn fields(&self, record: &StringRecord) -> Vec<String> {
        self.extra.iter().map(|&i| record[i].to_string()).collect()
    }
}

/// The field separator: the one of `,`, `;` and tab that the header line
/// has most of, outside quotes; a comma when it has none.
fn separator(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let [comma, semicolon, tab] = counts;
    if semicolon > comma && semicolon >= tab {
        b';'
    } else if tab > comma && tab > semicolon {
        b'\t'
    } else {
        b','
    }
}

/// Names what the header has instead.
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
    format!(
        "the header (line 1) has no phone column: name one column \"phone\" (found {})",
        found.join(", ")
    )
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
