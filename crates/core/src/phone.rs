//! A phone number to dial, parsed once at the edge and carried as a type,
//! so that nothing later re-checks or assumes its format.

mod rules;

use compact_str::CompactString;
use phonenumber::Mode;
use phonenumber::metadata::DATABASE;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// Digits only, country code first, as dialer APIs take them. Stored data
/// is trusted: deserialising does not re-parse, so that a stored list
/// always loads even if a later release parses more strictly. Held
/// inline (up to 24 bytes, and E.164 has at most 15 digits): a list of a
/// million numbers is not a million small allocations.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(CompactString);

/// E.164's bounds, country code included. The lower bound is 7, not 8:
/// Niue, Tokelau and Tristan da Cunha have 7-digit numbers (`+683 7012`).
pub const MIN_DIGITS: usize = 7;
pub const MAX_DIGITS: usize = 15;

/// The longest extension kept (`ext. 12`): extensions have a few digits.
pub const MAX_EXTENSION: usize = 10;

/// Why a text is not a phone number. Each variant carries the text (cut
/// to 40 characters, so that a pasted paragraph cannot make an import's
/// list of errors huge) and shows it first, then the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("{text:?} is not a phone number: it is empty")]
    Empty { text: String },
    #[error(
        "{text:?} is not a phone number: bad character {found:?} (only digits, spaces, - . ( ) / and one leading + are allowed)"
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
        "{text:?} is not a phone number: unknown country code (write it with its country code, like +44 7911 123456 or +1 301-804-0009, or import the list with its country, like --country GB)"
    )]
    UnknownCountryCode { text: String },
    #[error(
        "{text:?} is a number in scientific notation: a spreadsheet took the phone number for a quantity, and its last digits are lost. Format the column as Text (or start each number with ') and save the file again"
    )]
    Float { text: String },
    /// Read with its country code (no country was given), not a number
    /// libphonenumber calls valid: most often a national number read as
    /// an international one, `3018040009` as `+30 18040009`.
    #[error("{}", not_valid(text, digits))]
    NotValid { text: String, digits: String },
    /// Read in the import's country, not a number libphonenumber calls
    /// valid there.
    #[error("{}", not_valid_in(text, digits, *country))]
    NotValidIn {
        text: String,
        digits: String,
        country: Country,
    },
}

/// What [`Phone::read`] made of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub phone: Phone,
    /// The digits of `ext. 12` or `x12` after the number: kept, never dialed.
    pub extension: Option<String>,
    /// Written with `+` or `00`, but not a number libphonenumber knows as
    /// valid. It is imported all the same, with [`unverified_warning`]:
    /// libphonenumber's data lags new ranges, and the writer said which
    /// country they meant.
    pub unverified: bool,
}

impl Phone {
    /// The structural rule, for lists that are already digits (stored
    /// lists, tests): spaces (any white space), `-`, `.`, `/`, `(`, `)`,
    /// dashes and one `+` before the first digit are dropped; what remains
    /// must be 7 to 15 ASCII digits that start with a country calling code
    /// libphonenumber knows (E.164). Fewer than 7 digits pass only if
    /// libphonenumber calls the number valid (`+98 9601`, an Iranian UAN
    /// number). It does not ask whether the number is valid: what people
    /// write is read by [`Phone::read`].
    ///
    /// The country code is looked up in libphonenumber's metadata rather
    /// than by running its full parser on each number (10 to 15 µs a
    /// number in release); this whole function takes about 30 ns.
    pub fn parse(s: &str) -> Result<Phone, PhoneError> {
        let (digits, _) = scan(s, s)?;
        check_length(s, &digits)?;
        if !has_country_code(&digits) {
            return Err(PhoneError::UnknownCountryCode { text: shown(s) });
        }
        Ok(Phone(CompactString::new(&digits)))
    }

    /// The one rule for what people write, `--numbers-file` and imports
    /// alike, so that a number is dialed as its writer meant it:
    ///
    /// - Written with `+` or `00`: the country code is the writer's. A
    ///   number libphonenumber does not know as valid is still taken, as
    ///   [`Reading::unverified`] (its data lags new ranges).
    /// - Otherwise, with a `country`: read as that country's national
    ///   number (`(984) 206-8287` in US is `+1 984-206-8287`), its national
    ///   prefix dropped (`0` in Europe, `1` in North America), or as the
    ///   digits with that country's code (`13018040009`). It must be valid.
    /// - Otherwise the digits must be a valid number with their country
    ///   code: `3018040009` would be `+30 18040009`, not valid in Greece,
    ///   and is refused rather than dialed in Greece.
    ///
    /// Spreadsheet habits are read too: a leading `'`, en and em dashes,
    /// `/`, and an extension after the number (`ext. 12`, `x12`), which is
    /// kept apart and not dialed. A number in scientific notation
    /// (`1.30180400E+10`) is refused with how to keep it as text.
    ///
    /// Validity is libphonenumber's `is_valid`, run on its metadata with
    /// regexes compiled once (module `rules`): a few hundred nanoseconds a
    /// number, where its parser takes 10 to 15 µs.
    pub fn read(text: &str, country: Option<Country>) -> Result<Reading, PhoneError> {
        let trimmed = text.trim();
        let trimmed = trimmed.strip_prefix('\'').map_or(trimmed, str::trim_start);
        if looks_like_float(trimmed) {
            return Err(PhoneError::Float { text: shown(text) });
        }
        let (number, extension) = split_extension(trimmed);
        let (digits, plus) = scan(number, text)?;
        let (phone, unverified) = if plus {
            international(text, &digits)?
        } else if let Some(rest) = digits.strip_prefix("00") {
            international(text, rest)?
        } else if let Some(country) = country {
            (national(text, &digits, country)?, false)
        } else {
            (as_written(text, digits)?, false)
        };
        Ok(Reading {
            phone,
            extension: extension.map(str::to_string),
            unverified,
        })
    }

    /// What the dialer API is sent: digits only, no `+`.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// The country the number belongs to, when libphonenumber can tell
    /// (a shared calling code such as +1 is told by its area code): what a
    /// dialer API that takes some countries only is asked about.
    pub fn country(&self) -> Option<Country> {
        let (code, nsn) = rules::split_code(&self.0)?;
        let region = rules::region_of(code, nsn).or(match rules::regions(code) {
            [only] => Some(only),
            _ => None,
        })?;
        region.id().parse().ok()
    }
}

/// The digits of a number as written, and whether a `+` led them; a
/// character that has no place in a number is an error naming `text`.
fn scan(number: &str, text: &str) -> Result<(String, bool), PhoneError> {
    let mut digits = String::with_capacity(16);
    let mut plus = false;
    for c in number.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if !plus && digits.is_empty() => plus = true,
            '-' | '.' | '(' | ')' | '/' | '\u{2010}'..='\u{2015}' | '\u{2212}' => {}
            c if c.is_whitespace() => {}
            found => {
                return Err(PhoneError::BadCharacter {
                    text: shown(text),
                    found,
                });
            }
        }
    }
    if digits.is_empty() && number.trim().is_empty() {
        return Err(PhoneError::Empty { text: shown(text) });
    }
    Ok((digits, plus))
}

/// E.164's bounds on the digits with their country code.
fn check_length(text: &str, digits: &str) -> Result<(), PhoneError> {
    let n = digits.len();
    if n > MAX_DIGITS {
        return Err(PhoneError::TooLong {
            text: shown(text),
            digits: n,
        });
    }
    if n < MIN_DIGITS && !is_valid_short(digits) {
        return Err(PhoneError::TooShort {
            text: shown(text),
            digits: n,
        });
    }
    Ok(())
}

/// A number written with its country code (`+` or `00`). Invalid ones
/// pass, marked unverified; `+44 (0)7911 123456`, with the national
/// prefix kept, is read without it when that makes it valid, as
/// libphonenumber reads it.
fn international(text: &str, digits: &str) -> Result<(Phone, bool), PhoneError> {
    check_length(text, digits)?;
    let Some((code, nsn)) = rules::split_code(digits) else {
        return Err(PhoneError::UnknownCountryCode { text: shown(text) });
    };
    if rules::is_valid(code, nsn) {
        return Ok((Phone(CompactString::new(digits)), false));
    }
    let without_prefix = rules::regions(code)
        .iter()
        .filter_map(|r| r.national_prefix().and_then(|p| nsn.strip_prefix(p)))
        .find(|rest| rules::is_valid(code, rest));
    match without_prefix {
        Some(rest) => Ok((Phone(compact_str::format_compact!("{code}{rest}")), false)),
        None => Ok((Phone(CompactString::new(digits)), true)),
    }
}

/// Digits without `+` and no country given: they must be a valid number
/// with their country code.
fn as_written(text: &str, digits: String) -> Result<Phone, PhoneError> {
    check_length(text, &digits)?;
    let Some((code, nsn)) = rules::split_code(&digits) else {
        return Err(PhoneError::UnknownCountryCode { text: shown(text) });
    };
    if !rules::is_valid(code, nsn) {
        return Err(PhoneError::NotValid {
            text: shown(text),
            digits,
        });
    }
    Ok(Phone(CompactString::new(&digits)))
}

/// Digits without `+` read in `country`; see [`national_digits`].
fn national(text: &str, digits: &str, country: Country) -> Result<Phone, PhoneError> {
    if digits.len() > MAX_DIGITS + 2 {
        return Err(PhoneError::TooLong {
            text: shown(text),
            digits: digits.len(),
        });
    }
    if digits.is_empty() {
        return Err(PhoneError::TooShort {
            text: shown(text),
            digits: 0,
        });
    }
    let region = country.region();
    match national_digits(region, digits) {
        Ok(phone) => Ok(phone),
        Err(guess) => {
            // A number dialed from this country to abroad, `011 44…` in
            // the United States, when it is a valid number there.
            if let Some(rest) = region.strip_idd(digits)
                && let Ok((phone, false)) = international(text, rest)
            {
                return Ok(phone);
            }
            Err(PhoneError::NotValidIn {
                text: shown(text),
                digits: guess,
                country,
            })
        }
    }
}

/// A national number of `region` as stored digits, when it is valid:
/// without its national prefix, as it is, or as digits that start with
/// the region's own country code (`13018040009`), in that order, as
/// libphonenumber reads one. Otherwise the digits it was read as, for the
/// error.
fn national_digits(region: &rules::Region, digits: &str) -> Result<Phone, String> {
    let code = region.meta.country_code();
    let stripped = region.strip_national_prefix(digits);
    if let Some(nsn) = &stripped
        && rules::is_valid(code, nsn)
    {
        return Ok(Phone(compact_str::format_compact!("{code}{nsn}")));
    }
    if rules::is_valid(code, digits) {
        return Ok(Phone(compact_str::format_compact!("{code}{digits}")));
    }
    let own = code.to_string();
    if let Some(nsn) = digits.strip_prefix(own.as_str())
        && rules::is_valid(code, nsn)
    {
        return Ok(Phone(CompactString::new(digits)));
    }
    let nsn = stripped.unwrap_or(Cow::Borrowed(digits));
    Err(format!("{code}{nsn}"))
}

/// `1.30180400E+10` (or `1,3018E+10`): what a spreadsheet writes for a
/// long number in a cell it formats as a quantity.
fn looks_like_float(t: &str) -> bool {
    let Some((mantissa, exponent)) = t.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (whole, fraction) = mantissa.split_once(['.', ',']).unwrap_or((mantissa, ""));
    !exponent.is_empty()
        && all_digits(exponent)
        && !whole.is_empty()
        && all_digits(whole)
        && all_digits(fraction)
}

/// The number and its extension: `+1 301-804-0009 ext. 12`, `x12`,
/// `extension 12` or `#12` after the number. Anything else after it is
/// left in the number, where it is a bad character.
fn split_extension(t: &str) -> (&str, Option<&str>) {
    let Some(at) = t.find(|c: char| c.is_ascii_alphabetic() || c == '#') else {
        return (t, None);
    };
    let tail = &t[at..];
    for mark in ["extension", "ext.", "ext", "x", "#"] {
        let Some(head) = tail.get(..mark.len()) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(mark) {
            continue;
        }
        let ext = tail[mark.len()..]
            .trim_start_matches([' ', '.', ':'])
            .trim();
        let number = t[..at].trim_end().trim_end_matches([',', ';']).trim_end();
        if !ext.is_empty()
            && ext.len() <= MAX_EXTENSION
            && ext.bytes().all(|b| b.is_ascii_digit())
            && !number.is_empty()
        {
            return (number, Some(ext));
        }
    }
    (t, None)
}

/// A country (or territory) libphonenumber has a numbering plan for, by
/// its ISO 3166 alpha-2 code: the `country` an import's national numbers
/// are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country([u8; 2]);

/// A `country` that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a country libphonenumber knows: give its ISO 3166 two-letter code, like US, GB or DE"
)]
pub struct CountryError(String);

impl Country {
    /// `US`.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Its usual English name, `the United States`.
    pub fn name(&self) -> &'static str {
        rules::country_name(self.code()).unwrap_or("that country")
    }

    /// Its country calling code: 1 for the United States.
    pub fn calling_code(&self) -> u16 {
        self.region().meta.country_code()
    }

    fn region(&self) -> &'static rules::Region {
        rules::region(self.code()).expect("a Country is a region libphonenumber knows")
    }
}

impl FromStr for Country {
    type Err = CountryError;

    /// Two letters, in any case, that libphonenumber has a region for.
    fn from_str(s: &str) -> Result<Country, CountryError> {
        let t = s.trim();
        let bytes = t.as_bytes();
        if let [a, b] = bytes
            && a.is_ascii_alphabetic()
            && b.is_ascii_alphabetic()
        {
            let code = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
            let id = std::str::from_utf8(&code).unwrap_or_default();
            if DATABASE.by_id(id).is_some() {
                return Ok(Country(code));
            }
        }
        Err(CountryError(s.chars().take(40).collect()))
    }
}

impl TryFrom<String> for Country {
    type Error = CountryError;
    fn try_from(s: String) -> Result<Country, CountryError> {
        s.parse()
    }
}

impl From<Country> for String {
    fn from(c: Country) -> String {
        c.code().to_string()
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where a number with its country code is: `in Greece`, or `with
/// country code +1` when the code is shared and the number fits none of
/// its countries.
fn place(digits: &str) -> String {
    let Some((code, nsn)) = rules::split_code(digits) else {
        return "anywhere".to_string();
    };
    let region = rules::region_of(code, nsn).or(match rules::regions(code) {
        [only] => Some(only),
        _ => None,
    });
    match region.and_then(|r| rules::country_name(r.id())) {
        Some(name) => format!("in {name}"),
        None => format!("with country code +{code}"),
    }
}

fn not_valid(text: &str, digits: &str) -> String {
    let us = rules::region("US").is_some_and(|r| national_digits(r, digits).is_ok());
    let hint = if us {
        "if these are US numbers, import with --country US"
    } else {
        "if it is written without its country code, import with the list's country, like --country GB"
    };
    format!(
        "{text:?}: read with its country code, {} is not a valid number {}; {hint}",
        format_phone(digits),
        place(digits)
    )
}

fn not_valid_in(text: &str, digits: &str, country: Country) -> String {
    format!(
        "{text:?}: read in {} ({country}), {} is not a valid number there; write a number of another country with + and its country code",
        country.name(),
        format_phone(digits)
    )
}

/// The warning for a [`Reading::unverified`] number.
pub fn unverified_warning(phone: &Phone) -> String {
    format!(
        "{} is not a valid number {} as far as libphonenumber's data knows (it can lag new numbers); imported as written",
        format_phone(phone.digits()),
        place(phone.digits())
    )
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
/// numbers, `+98 9601`), and every valid number must import.
fn is_valid_short(digits: &str) -> bool {
    rules::split_code(digits).is_some_and(|(code, nsn)| rules::is_valid(code, nsn))
}

/// Whether `digits` (ASCII digits, no `+`) start with a country calling
/// code libphonenumber knows.
fn has_country_code(digits: &str) -> bool {
    rules::split_code(digits).is_some()
}

/// Whether `digits` start with a country calling code libphonenumber
/// knows and go on past it: `1301` does, `44` does not.
pub(crate) fn longer_than_its_country_code(digits: &str) -> bool {
    rules::split_code(digits).is_some_and(|(_, rest)| !rest.is_empty())
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

    fn read(s: &str, country: Option<&str>) -> Result<Reading, PhoneError> {
        Phone::read(s, country.map(|c| c.parse().unwrap()))
    }

    fn read_digits(s: &str, country: Option<&str>) -> String {
        let r = read(s, country).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert!(!r.unverified, "{s} is valid");
        r.phone.digits().to_string()
    }

    /// The bug this reading fixes: US numbers written the national way
    /// were read as Iranian and Greek numbers.
    #[test]
    fn national_numbers_are_read_in_the_given_country() {
        for (text, want) in [
            ("(984) 206-8287", "19842068287"),
            ("3018040009", "13018040009"),
            ("1 301 804 0009", "13018040009"),
            ("+1 301 804 0009", "13018040009"),
            ("011 44 7911 123456", "447911123456"),
            ("0044 7911 123456", "447911123456"),
            ("(604) 555-0123", "16045550123"),
        ] {
            assert_eq!(read_digits(text, Some("us")), want, "{text}");
        }
        assert_eq!(read_digits("07911 123456", Some("GB")), "447911123456");
        assert_eq!(read_digits("44 7911 123456", Some("GB")), "447911123456");
        assert_eq!(read_digits("030 901820", Some("DE")), "4930901820");
        assert_eq!(read_digits("7012", Some("NU")), "6837012");
        assert_eq!(
            format_phone(read("(984) 206-8287", Some("US")).unwrap().phone.digits()),
            "+1 984-206-8287"
        );
    }

    #[test]
    fn without_a_country_an_invalid_reading_is_refused_naming_it() {
        let err = read("3018040009", None).unwrap_err().to_string();
        assert!(
            err.contains("+30 18040009 is not a valid number in Greece; if these are US numbers, import with --country US"),
            "{err}"
        );
        let err = read("(984) 206-8287", None).unwrap_err().to_string();
        assert!(
            err.starts_with("\"(984) 206-8287\": read with its country code, +98 42068287 is not a valid number in Iran; if these are US numbers"),
            "{err}"
        );
        let err = read("555 0100 99", Some("US")).unwrap_err().to_string();
        assert!(
            err.starts_with("\"555 0100 99\": read in the United States (US), +1 555010099 is not a valid number there"),
            "{err}"
        );
        assert_eq!(read_digits("13018040009", None), "13018040009");
        assert_eq!(read_digits("447911123456", None), "447911123456");
    }

    #[test]
    fn invalid_numbers_with_a_plus_are_taken_unverified() {
        let r = read("+1 999 555 0100", None).unwrap();
        assert!(r.unverified);
        assert_eq!(r.phone.digits(), "19995550100");
        assert_eq!(
            unverified_warning(&r.phone),
            "+1 999-555-0100 is not a valid number with country code +1 as far as libphonenumber's data knows (it can lag new numbers); imported as written"
        );
        let r = read("+44 (0)7911 123456", None).unwrap();
        assert!(!r.unverified);
        assert_eq!(r.phone.digits(), "447911123456");
    }

    #[test]
    fn spreadsheet_habits_are_read() {
        for (text, want, ext) in [
            ("'+1 301 804 0009", "13018040009", None),
            ("+1 301 \u{2013} 804 \u{2014} 0009", "13018040009", None),
            ("+1 301-804-0009 ext. 12", "13018040009", Some("12")),
            ("+1 301-804-0009 x12", "13018040009", Some("12")),
            ("+1 301-804-0009, Ext 7", "13018040009", Some("7")),
            ("+1 301-804-0009 #345", "13018040009", Some("345")),
        ] {
            let r = read(text, None).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(r.phone.digits(), want, "{text}");
            assert_eq!(r.extension.as_deref(), ext, "{text}");
        }
        let err = read("1.30180400E+10", None).unwrap_err();
        assert!(matches!(err, PhoneError::Float { .. }), "{err}");
        assert!(
            err.to_string().contains("Format the column as Text"),
            "{err}"
        );
        let err = read("+1 301-804-0009 call after 5", None).unwrap_err();
        assert!(
            matches!(err, PhoneError::BadCharacter { found: 'c', .. }),
            "{err}"
        );
    }

    #[test]
    fn countries_are_two_letter_codes_libphonenumber_knows() {
        let us: Country = " us ".parse().unwrap();
        assert_eq!(us.to_string(), "US");
        assert_eq!(us.name(), "the United States");
        assert_eq!(us.calling_code(), 1);
        assert_eq!("gr".parse::<Country>().unwrap().name(), "Greece");
        for bad in ["", "U", "USA", "ZZ", "001", "1A"] {
            assert!(bad.parse::<Country>().is_err(), "{bad}");
        }
        for meta in DATABASE.iter().filter(|m| m.id() != "001") {
            let c: Country = meta.id().parse().unwrap();
            assert_ne!(c.name(), "that country", "{} has a name", meta.id());
        }
    }

    /// The compiled rules agree with libphonenumber's `is_valid` on every
    /// example number of the metadata, and on each with its last digit
    /// changed, a digit added and a digit dropped.
    #[test]
    fn validity_agrees_with_libphonenumber() {
        let mut checked = 0;
        for meta in DATABASE.iter() {
            let code = meta.country_code();
            for example in examples(meta) {
                let mut variants = vec![
                    example.to_string(),
                    format!("{example}0"),
                    example[..example.len() - 1].to_string(),
                ];
                for d in [b'0', b'3', b'7'] {
                    let mut v = example.as_bytes().to_vec();
                    *v.last_mut().unwrap() = d;
                    variants.push(String::from_utf8(v.clone()).unwrap());
                    v[0] = d;
                    variants.push(String::from_utf8(v).unwrap());
                }
                for nsn in variants {
                    let Ok(n) = phonenumber::parse(None, format!("+{code}{nsn}")) else {
                        continue;
                    };
                    if n.national().to_string() != nsn || n.code().value() != code {
                        continue;
                    }
                    assert_eq!(
                        rules::is_valid(code, &nsn),
                        phonenumber::is_valid(&n),
                        "+{code} {nsn}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 8_000, "only {checked} checked");
    }

    /// Every valid example number of every country, written the national
    /// way (as libphonenumber formats it) and read in its country, gives
    /// the same number as libphonenumber's parser.
    #[test]
    fn national_writing_agrees_with_libphonenumber() {
        let mut checked = 0;
        for meta in DATABASE.iter().filter(|m| m.id() != "001") {
            let country: Country = meta.id().parse().unwrap();
            let id = meta.id().parse().ok();
            for example in examples(meta) {
                let full = format!("+{} {example}", meta.country_code());
                let Ok(n) = phonenumber::parse(None, &full) else {
                    continue;
                };
                if !phonenumber::is_valid(&n) {
                    continue;
                }
                let national = n.format().mode(Mode::National).to_string();
                let Ok(theirs) = phonenumber::parse(id, &national) else {
                    continue;
                };
                if !phonenumber::is_valid(&theirs) {
                    continue;
                }
                let want = format!("{}{}", theirs.code().value(), theirs.national());
                let ours = Phone::read(&national, Some(country))
                    .unwrap_or_else(|e| panic!("{}: {national}: {e}", meta.id()));
                assert_eq!(ours.phone.digits(), want, "{}: {national}", meta.id());
                checked += 1;
            }
        }
        assert!(checked > 1000, "only {checked} checked");
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
