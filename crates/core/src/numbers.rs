//! The list of numbers to dial: the built-in default and the `--numbers-file` format.

use phonenumber::Mode;

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

/// A stored number as people read it: `13018040009` → `+1 301-804-0009`,
/// `447911123456` → `+44 7911 123456`, `6837012` → `+683 7012`. The
/// grouping differs from country to country and changes with numbering
/// plans, so it comes from libphonenumber's metadata (the `phonenumber`
/// crate) in its international format. Anything that is not the digits of
/// a number with a known country code (an optional leading `+` allowed) is
/// returned as is.
pub fn format_phone(s: &str) -> String {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_string();
    }
    match phonenumber::parse(None, format!("+{digits}")) {
        Ok(number) => number.format().mode(Mode::International).to_string(),
        Err(_) => s.to_string(),
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
    }

    #[test]
    fn formats_numbers_the_international_way() {
        for (digits, shown) in [
            ("13018040009", "+1 301-804-0009"),
            ("447911123456", "+44 7911 123456"),
            ("+447911123456", "+44 7911 123456"),
            ("6837012", "+683 7012"),
            ("4930123456", "+49 30 123456"),
            ("33612345678", "+33 6 12 34 56 78"),
        ] {
            assert_eq!(format_phone(digits), shown, "{digits}");
        }
        for n in DEFAULT_NUMBERS {
            let nanp = format!("+1 {}-{}-{}", &n[1..4], &n[4..7], &n[7..]);
            assert_eq!(format_phone(n), nanp, "the shipped list reads as before");
        }
    }

    #[test]
    fn leaves_what_is_not_a_number_alone() {
        for s in [
            "",
            "+",
            "x",
            "999",
            "00447911123456",
            "1301 804 0009",
            "13018040009x",
        ] {
            assert_eq!(format_phone(s), s);
        }
    }
}
