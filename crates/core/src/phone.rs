//! A phone number to dial, parsed once at the edge and carried as a type,
//! so that nothing later re-checks or assumes its format.

use phonenumber::Mode;
use phonenumber::metadata::DATABASE;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::LazyLock;

/// Digits only, country code first, as dialer APIs take them. Stored data
/// is trusted: deserialising does not re-parse, so that a stored list
/// always loads even if a later release parses more strictly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

/// E.164's bounds, country code included. The lower bound is 7, not 8:
/// Niue, Tokelau and Tristan da Cunha have 7-digit numbers (`+683 7012`).
pub const MIN_DIGITS: usize = 7;
pub const MAX_DIGITS: usize = 15;

/// Why a text is not a phone number. Each variant carries the text (cut
/// to 40 characters, so that a pasted paragraph cannot make an import's
/// list of errors huge) and shows it first, then the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("{text:?} is not a phone number: it is empty")]
    Empty { text: String },
    #[error(
        "{text:?} is not a phone number: bad character {found:?} (only digits, spaces, - . ( ) and one leading + are allowed)"
    )]
    BadCharacter { text: String, found: char },
    #[error(
        "{text:?} is not a phone number: too short ({digits} digits; a number has {MIN_DIGITS} to {MAX_DIGITS} with its country code, like +44 7911 123456)"
    )]
    TooShort { text: String, digits: usize },
    #[error(
        "{text:?} is not a phone number: too long ({digits} digits; a number has {MIN_DIGITS} to {MAX_DIGITS} with its country code)"
    )]
    TooLong { text: String, digits: usize },
    #[error(
        "{text:?} is not a phone number: unknown country code (write it with its country code, like +44 7911 123456 or +1 301-804-0009)"
    )]
    UnknownCountryCode { text: String },
}

impl Phone {
    /// The one rule for every list, `--numbers-file` and imports alike:
    /// spaces (any white space), `-`, `.`, `(`, `)` and one `+` before the
    /// first digit are dropped; what remains must be 7 to 15 ASCII digits
    /// that start with a country calling code libphonenumber knows (E.164).
    /// Fewer than 7 digits pass only if libphonenumber calls the number
    /// valid (`+98 9601`, an Iranian UAN number).
    ///
    /// A number that libphonenumber parses but calls *invalid* (an
    /// unassigned range, say) is accepted: its metadata lags the real
    /// numbering plans, and the dialer API, which does know, is the judge
    /// of each dial. Refusing here would refuse real, dialable numbers.
    /// Only what cannot be a number anywhere is refused: a bad character,
    /// a wrong length, or an unknown country code. Hence every number
    /// libphonenumber calls valid, in any country, parses.
    ///
    /// The country code is looked up in libphonenumber's metadata rather
    /// than by running its full parser on each number: the answer is the
    /// same (a test compares the two on every 3-digit start), and the
    /// parser takes 10 to 15 µs a number in release, 10 to 15 s for a
    /// million-line import, where this whole function takes about 30 ns.
    pub fn parse(s: &str) -> Result<Phone, PhoneError> {
        let mut digits = 0;
        let mut plus_allowed = true;
        for c in s.chars() {
            match c {
                '0'..='9' => {
                    digits += 1;
                    plus_allowed = false;
                }
                '+' if plus_allowed => plus_allowed = false,
                '-' | '.' | '(' | ')' => {}
                c if c.is_whitespace() => {}
                found => {
                    return Err(PhoneError::BadCharacter {
                        text: shown(s),
                        found,
                    });
                }
            }
        }
        if digits == 0 && s.trim().is_empty() {
            return Err(PhoneError::Empty { text: shown(s) });
        }
        if digits > MAX_DIGITS {
            return Err(PhoneError::TooLong {
                text: shown(s),
                digits,
            });
        }
        let mut out = String::with_capacity(digits);
        out.extend(s.chars().filter(char::is_ascii_digit));
        if digits < MIN_DIGITS && !is_valid_short(&out) {
            return Err(PhoneError::TooShort {
                text: shown(s),
                digits,
            });
        }
        if !has_country_code(&out) {
            return Err(PhoneError::UnknownCountryCode { text: shown(s) });
        }
        Ok(Phone(out))
    }

    /// What the dialer API is sent: digits only, no `+`.
    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The text as an error shows it: at most 40 characters, then `…`.
fn shown(s: &str) -> String {
    const MAX_CHARS: usize = 40;
    match s.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_string(),
    }
}

/// Whether libphonenumber calls these few digits a valid number: a handful
/// of numbers are shorter than E.164's 7 digits (Iran's 4-digit UAN
/// numbers, `+98 9601`), and every valid number must import. Only numbers
/// under 7 digits get here, so its parser's cost never adds up.
fn is_valid_short(digits: &str) -> bool {
    phonenumber::parse(None, format!("+{digits}")).is_ok_and(|n| phonenumber::is_valid(&n))
}

/// Every country calling code libphonenumber's metadata knows (they are at
/// most 3 digits), as a table read once: a lookup per number costs a few
/// nanoseconds, where `Database::by_code` allocates on every call. The
/// table is filled from `by_code`, not from iterating the regions, because
/// the non-geographic codes (800, 808, 870, 881...) share one region id,
/// `001`, and iterating by id sees only one of them.
static COUNTRY_CODES: LazyLock<[bool; 1000]> = LazyLock::new(|| {
    let mut known = [false; 1000];
    for (code, slot) in (0u16..).zip(known.iter_mut()) {
        *slot = DATABASE.by_code(&code).is_some();
    }
    known
});

/// Whether `digits` (ASCII digits, no `+`) start with a country calling
/// code. Codes are prefix-free, so trying the first 1, 2 and 3 digits is
/// enough: this is how libphonenumber itself splits `+<digits>`. No code
/// starts with 0.
fn has_country_code(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    if bytes.first().is_none_or(|&b| b == b'0') {
        return false;
    }
    let mut code = 0;
    for &b in bytes.iter().take(3) {
        if !b.is_ascii_digit() {
            return false;
        }
        code = code * 10 + usize::from(b - b'0');
        if COUNTRY_CODES[code] {
            return true;
        }
    }
    false
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
    use crate::DEFAULT_NUMBERS;
    use phonenumber::{Metadata, ParseError};

    fn digits(s: &str) -> String {
        Phone::parse(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .digits()
            .to_string()
    }

    #[test]
    fn drops_separators_and_one_leading_plus() {
        for (text, want) in [
            ("13018040009", "13018040009"),
            ("+1 (301) 804-0009", "13018040009"),
            ("1.301.804.0009", "13018040009"),
            ("+44 7911 123456", "447911123456"),
            ("+683 7012", "6837012"),
            ("+49 30 901820", "4930901820"),
            ("(+44) 7911 123456", "447911123456"),
            ("\t+33\u{a0}6 12 34 56 78 ", "33612345678"),
            ("+800 1234 5678", "80012345678"),
        ] {
            assert_eq!(digits(text), want, "{text}");
        }
        let json = serde_json::to_string(&Phone::parse("+1 301 804 0009").unwrap()).unwrap();
        assert_eq!(json, r#""13018040009""#);
    }

    #[test]
    fn names_the_text_and_the_reason() {
        for (text, why) in [
            ("", "it is empty"),
            ("  ", "it is empty"),
            ("12ab", "bad character 'a'"),
            ("++44 7911 123456", "bad character '+'"),
            ("44 7911 123456+", "bad character '+'"),
            ("0044\u{0663}", "bad character '\u{0663}'"),
            ("+1 301 804 0009 x12", "bad character 'x'"),
            ("---", "too short (0 digits;"),
            ("+683 701", "too short (6 digits;"),
            ("1234567890123456", "too long (16 digits;"),
            ("07911 123456", "unknown country code"),
            ("+999 1234567", "unknown country code"),
        ] {
            let err = Phone::parse(text).unwrap_err().to_string();
            let head = format!("{text:?} is not a phone number: {why}");
            assert!(err.starts_with(&head), "{err} (wanted {head})");
        }
    }

    #[test]
    fn a_long_text_is_cut_in_the_error() {
        let text = "x".repeat(1000);
        let err = Phone::parse(&text).unwrap_err();
        let PhoneError::BadCharacter { text: shown, .. } = err else {
            panic!("{err}")
        };
        assert_eq!(shown, format!("{}…", "x".repeat(40)));
    }

    #[test]
    fn valid_numbers_of_several_countries_parse() {
        for (text, want) in [
            ("+44 7911 123456", "447911123456"),
            ("+683 7012", "6837012"),
            ("+1 (301) 804-0009", "13018040009"),
            ("13018040009", "13018040009"),
            ("+49 30 901820", "4930901820"),
            ("+98 9601", "989601"),
        ] {
            let n = phonenumber::parse(None, format!("+{want}")).unwrap();
            assert!(phonenumber::is_valid(&n), "the premise: {text} is valid");
            assert_eq!(digits(text), want, "{text}");
        }
    }

    #[test]
    fn numbers_libphonenumber_calls_invalid_still_parse() {
        let n = phonenumber::parse(None, "+1 999 555 0100").unwrap();
        assert!(
            !phonenumber::is_valid(&n),
            "the premise: NANP has no 999 area"
        );
        assert_eq!(digits("+1 999 555 0100"), "19995550100");
    }

    #[test]
    fn the_shipped_list_parses() {
        for n in DEFAULT_NUMBERS {
            assert_eq!(digits(n), n);
        }
    }

    /// The table lookup gives libphonenumber's own answer: for every
    /// 3-digit start, at the shortest and longest lengths, `Phone::parse`
    /// refuses a country code exactly when `phonenumber::parse("+<digits>")`
    /// does. (Its parser refuses a few more, `+86 11234` say, for what its
    /// national rules strip; those are numbers it would call invalid, and
    /// invalid numbers are accepted.)
    #[test]
    fn country_codes_agree_with_libphonenumber() {
        for start in 0..1000 {
            for tail in ["1234", "123456789012"] {
                let d = format!("{start:03}{tail}");
                let theirs = phonenumber::parse(None, format!("+{d}"));
                let unknown_to_them = matches!(theirs, Err(ParseError::InvalidCountryCode));
                let ours = Phone::parse(&d);
                let unknown_to_us = matches!(ours, Err(PhoneError::UnknownCountryCode { .. }));
                assert_eq!(unknown_to_us, unknown_to_them, "{d}: {theirs:?}");
                assert_eq!(ours.is_err(), unknown_to_us, "{d}: {ours:?}");
            }
        }
    }

    /// Every example number of every country and number type in the
    /// metadata that libphonenumber calls valid parses, whatever its
    /// length: the design's promise that no valid number is refused.
    #[test]
    fn every_valid_example_number_parses() {
        let mut checked = 0;
        for meta in DATABASE.iter() {
            for example in examples(meta) {
                let text = format!("+{} {example}", meta.country_code());
                let Ok(n) = phonenumber::parse(None, &text) else {
                    continue;
                };
                if phonenumber::is_valid(&n) {
                    Phone::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", meta.id()));
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "only {checked} examples checked");
    }

    fn examples(meta: &Metadata) -> impl Iterator<Item = &str> {
        let d = meta.descriptors();
        [
            d.fixed_line(),
            d.mobile(),
            d.toll_free(),
            d.premium_rate(),
            d.shared_cost(),
            d.personal_number(),
            d.voip(),
            d.pager(),
            d.uan(),
            d.voicemail(),
        ]
        .into_iter()
        .flatten()
        .filter_map(|d| d.example())
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
