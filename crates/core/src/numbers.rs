//! The list of numbers to dial: the built-in default and the `--numbers-file` format.

use crate::phone::Phone;

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
    #[error(
        "line {line}: {text:?} is not a phone number (expected 11 digits starting with 1, like 13018040009)"
    )]
    Invalid { line: usize, text: String },
    #[error("the list has no numbers (one number a line; blank lines and # comments are skipped)")]
    Empty,
}

/// Parses one number a line; blank lines and lines starting with `#` are
/// skipped, surrounding white space is ignored. Line numbers in errors count
/// from 1 as editors do.
pub fn parse_numbers(text: &str) -> Result<Vec<Phone>, NumbersError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Ok(phone) = Phone::parse(line) else {
            let mut shown: String = line.chars().take(40).collect();
            if shown.len() < line.len() {
                shown.push('…');
            }
            return Err(NumbersError::Invalid {
                line: i + 1,
                text: shown,
            });
        };
        out.push(phone);
    }
    if out.is_empty() {
        return Err(NumbersError::Empty);
    }
    Ok(out)
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
        let list = parse_numbers("# team A\n13018040009\n\n  19842068287 \r\n#x\n").unwrap();
        let digits: Vec<&str> = list.iter().map(Phone::digits).collect();
        assert_eq!(digits, vec!["13018040009", "19842068287"]);
    }

    #[test]
    fn names_the_bad_line() {
        let err = parse_numbers("13018040009\n\n2301804000\n").unwrap_err();
        assert_eq!(
            err,
            NumbersError::Invalid {
                line: 3,
                text: "2301804000".into()
            }
        );
        assert!(err.to_string().starts_with("line 3:"));
        assert_eq!(parse_numbers("# nothing\n\n"), Err(NumbersError::Empty));
    }
}
