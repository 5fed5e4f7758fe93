//! The list of numbers to dial: the built-in default and the `--numbers-file` format.

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

pub fn default_numbers() -> Vec<String> {
    DEFAULT_NUMBERS.iter().map(|s| s.to_string()).collect()
}

/// The dialer API's own rule: `^1\d{10}$`.
pub fn is_valid_phone(s: &str) -> bool {
    s.len() == 11 && s.starts_with('1') && s.bytes().all(|b| b.is_ascii_digit())
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
pub fn parse_numbers(text: &str) -> Result<Vec<String>, NumbersError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !is_valid_phone(line) {
            let mut shown: String = line.chars().take(40).collect();
            if shown.len() < line.len() {
                shown.push('…');
            }
            return Err(NumbersError::Invalid {
                line: i + 1,
                text: shown,
            });
        }
        out.push(line.to_string());
    }
    if out.is_empty() {
        return Err(NumbersError::Empty);
    }
    Ok(out)
}

/// `13018040009` → `+1 301-804-0009`, for people; anything else is returned as is.
pub fn format_phone(s: &str) -> String {
    if is_valid_phone(s) {
        format!("+1 {}-{}-{}", &s[1..4], &s[4..7], &s[7..])
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_list_is_valid_and_has_repeats() {
        assert!(DEFAULT_NUMBERS.iter().all(|n| is_valid_phone(n)));
        assert_eq!(DEFAULT_NUMBERS[0], DEFAULT_NUMBERS[5]);
    }

    #[test]
    fn parses_comments_blanks_and_whitespace() {
        let list = parse_numbers("# team A\n13018040009\n\n  19842068287 \r\n#x\n").unwrap();
        assert_eq!(list, vec!["13018040009", "19842068287"]);
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

    #[test]
    fn validates_like_the_dialer_api() {
        for ok in ["10000000000", "19999999999"] {
            assert!(is_valid_phone(ok));
        }
        for bad in [
            "",
            "1301804000",
            "130180400091",
            "23018040009",
            "1301804000a",
            "+13018040009",
            "１3018040009",
        ] {
            assert!(!is_valid_phone(bad), "{bad}");
        }
        assert_eq!(format_phone("13018040009"), "+1 301-804-0009");
        assert_eq!(format_phone("x"), "x");
    }
}
