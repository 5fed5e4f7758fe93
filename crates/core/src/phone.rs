//! A phone number to dial, parsed once at the edge and carried as a type,
//! so that nothing later re-checks or assumes its format.

use crate::protocol::numdialer::is_valid_phone;
use phonenumber::Mode;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Digits only, country code first, as dialer APIs take them. Stored data
/// is trusted: deserialising does not re-parse, so that a stored list
/// always loads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a phone number (expected 11 digits starting with 1, like 13018040009)")]
pub struct PhoneError(String);

impl Phone {
    /// A list holds what the numDialer API accepts, `^1\d{10}$`, so that no
    /// entry is refused for its format after dialing started.
    pub fn parse(s: &str) -> Result<Phone, PhoneError> {
        if is_valid_phone(s) {
            Ok(Phone(s.to_string()))
        } else {
            Err(PhoneError(s.to_string()))
        }
    }

    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
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

    #[test]
    fn parses_only_valid_numbers() {
        assert_eq!(Phone::parse("13018040009").unwrap().digits(), "13018040009");
        let err = Phone::parse("2301804000").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("\"2301804000\" is not a phone number")
        );
        let json = serde_json::to_string(&Phone::parse("13018040009").unwrap()).unwrap();
        assert_eq!(json, r#""13018040009""#);
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
