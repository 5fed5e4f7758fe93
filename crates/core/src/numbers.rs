//! The list of numbers to dial: the built-in default and the `--numbers-file` format.

use crate::phone::{Phone, PhoneError};

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

/// Parses one number a line (the rule is [`Phone::parse`]'s); blank lines
/// and lines starting with `#` are skipped. Stops at the first bad line: a
/// file read at start-up is fixed by hand, one message at a time.
pub fn parse_numbers(text: &str) -> Result<Vec<Phone>, NumbersError> {
    let mut out = Vec::new();
    for (line, number) in number_lines(text) {
        let phone = Phone::parse(number).map_err(|error| NumbersError::Invalid { line, error })?;
        out.push(phone);
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
            format!("line 3: {}", Phone::parse("+1 301 80").unwrap_err())
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
}
