//! The list of numbers to dial: the built-in default and the `--numbers-file` format.

use crate::phone::{Country, Phone, PhoneError, unverified_warning};

/// The list the product ships with, in dialing order. Repeats are deliberate:
/// each position is its own entry with its own call.
pub const DEFAULT_NUMBERS: [&str; 9] = [
    "13018040009",
    "19842068287",
    "15512459377",
    "19362072765",
    "18582210308",
    "13018040009",
    "19842068287",
    "15512459377",
    "19362072765",
];

pub fn default_numbers() -> Vec<Phone> {
    DEFAULT_NUMBERS
        .iter()
        .map(|s| Phone::parse(s).expect("the shipped list is valid"))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumbersError {
    #[error("line {line}: {error}")]
    Invalid { line: usize, error: PhoneError },
    #[error("the list has no numbers (one number a line; blank lines and # comments are skipped)")]
    Empty,
}

/// Reads one number a line with no country given (the rule is
/// [`Phone::read`]'s); see [`read_numbers`].
pub fn parse_numbers(text: &str) -> Result<Vec<Phone>, NumbersError> {
    read_numbers(text, None).map(|(phones, _)| phones)
}

/// Reads one number a line (the rule is [`Phone::read`]'s, numbers without
/// `+` read in `country` when one is given); blank lines and lines starting
/// with `#` are skipped. Stops at the first bad line: a file read at
/// start-up is fixed by hand, one message at a time. Also returns a
/// warning, with its line, for each number written with `+` that
/// libphonenumber does not know as valid. An extension after a number
/// (`x12`) is read and not kept: a list file has nowhere to keep it, and
/// it is never dialed.
pub fn read_numbers(
    text: &str,
    country: Option<Country>,
) -> Result<(Vec<Phone>, Vec<String>), NumbersError> {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for (line, number) in number_lines(text) {
        let reading =
            Phone::read(number, country).map_err(|error| NumbersError::Invalid { line, error })?;
        if reading.unverified {
            warnings.push(format!(
                "line {line}: {}",
                unverified_warning(&reading.phone)
            ));
        }
        out.push(reading.phone);
    }
    if out.is_empty() {
        return Err(NumbersError::Empty);
    }
    Ok((out, warnings))
}

/// Reads one number a line by the rule of releases before numbers were
/// checked for validity ([`Phone::parse`]: digits with any known country
/// code). A data directory made then dials the list as it was read then;
/// the server compares it with this reading, so that a list file which
/// the stricter [`read_numbers`] refuses, or reads differently, does not
/// stop an upgraded server that already dials it.
pub fn parse_numbers_as_before(text: &str) -> Result<Vec<Phone>, NumbersError> {
    let mut out = Vec::new();
    for (line, number) in number_lines(text) {
        out.push(Phone::parse(number).map_err(|error| NumbersError::Invalid { line, error })?);
    }
    if out.is_empty() {
        return Err(NumbersError::Empty);
    }
    Ok(out)
}

/// The one-number-a-line format, shared by `--numbers-file` and
/// `text/plain` imports: each line that holds a number, trimmed, with its
/// line number counted from 1 as editors do. Blank lines and lines
/// starting with `#` (after white space) are skipped; `\r\n` ends a line
/// as `\n` does, and a byte order mark (Windows editors write one) is not
/// part of the first number.
pub(crate) fn number_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().enumerate().filter_map(|(i, raw)| {
        let line = raw.trim();
        (!line.is_empty() && !line.starts_with('#')).then_some((i + 1, line))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_list_is_valid_and_has_repeats() {
        assert_eq!(default_numbers().len(), DEFAULT_NUMBERS.len());
        assert_eq!(DEFAULT_NUMBERS[0], DEFAULT_NUMBERS[5]);
    }

    #[test]
    fn parses_comments_blanks_and_whitespace() {
        let list =
            parse_numbers("\u{feff}# team A\n13018040009\n\n  19842068287 \r\n#x\n").unwrap();
        let digits: Vec<&str> = list.iter().map(Phone::digits).collect();
        assert_eq!(digits, vec!["13018040009", "19842068287"]);
    }

    #[test]
    fn names_the_bad_line() {
        let err = parse_numbers("13018040009\n\n+1 301 80\n").unwrap_err();
        let NumbersError::Invalid { line: 3, error } = &err else {
            panic!("{err}")
        };
        assert!(matches!(error, PhoneError::TooShort { digits: 6, .. }));
        assert_eq!(
            err.to_string(),
            format!("line 3: {}", Phone::read("+1 301 80", None).unwrap_err())
        );
        assert!(
            err.to_string()
                .starts_with("line 3: \"+1 301 80\" is not a phone number: too short"),
            "{err}"
        );
        assert_eq!(parse_numbers("# nothing\n\n"), Err(NumbersError::Empty));
    }

    #[test]
    fn takes_any_country_in_any_usual_writing() {
        let list = parse_numbers("+44 7911 123456\n+1 (301) 804-0009\n+683 7012\n").unwrap();
        let digits: Vec<&str> = list.iter().map(Phone::digits).collect();
        assert_eq!(digits, vec!["447911123456", "13018040009", "6837012"]);
    }

    #[test]
    fn national_numbers_need_a_country() {
        let err = parse_numbers("13018040009\n3018040009\n").unwrap_err();
        assert!(
            err.to_string().starts_with("line 2: \"3018040009\": read with its country code, +30 18040009 is not a valid number in Greece"),
            "{err}"
        );
        let us = Some("US".parse().unwrap());
        let (list, warnings) = read_numbers("3018040009\n+1 999 555 0100\n", us).unwrap();
        let digits: Vec<&str> = list.iter().map(Phone::digits).collect();
        assert_eq!(digits, vec!["13018040009", "19995550100"]);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("line 2: +1 999-555-0100 is not a valid number"),
            "{}",
            warnings[0]
        );
        let before = parse_numbers_as_before("3018040009\n").unwrap();
        assert_eq!(
            before[0].digits(),
            "3018040009",
            "the old reading, for old data directories"
        );
    }
}
