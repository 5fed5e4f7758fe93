//! What a suppression covers: one number in E.164, or every number that
//! starts with some digits (`+1301*`, a whole area code).

use super::record::Scope;
use crate::phone::{Country, Phone, PhoneError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One number, or a prefix of numbers; both as digits with their country
/// code, the way the dialer is sent them, so that a list written `(301)
/// 804-0009` and a dial of `13018040009` meet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Pattern {
    Exact(String),
    Prefix(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error(transparent)]
    Phone(#[from] PhoneError),
    #[error("{0:?} is not a prefix: write its digits with the country code, then *, like +1301*")]
    BadPrefix(String),
    #[error(
        "{0:?} is too short a prefix: give a country code and at least one digit more, like +1301* (a whole country by mistake is too easy)"
    )]
    ShortPrefix(String),
}

/// The longest prefix is a number's worth of digits (E.164).
const MAX_DIGITS: usize = 15;

const GLOBAL: u8 = b'g';
const CAMPAIGN: u8 = b'c';
const EXACT: u8 = b'=';
const PREFIX: u8 = b'*';

impl Pattern {
    /// `+1 301-804-0009`, `(301) 804-0009` with a country, or `+1301*`.
    /// A prefix is digits only, written with its country code (`+` or
    /// not); a number is read as [`Phone::read`] reads any list.
    pub fn read(text: &str, country: Option<Country>) -> Result<Pattern, PatternError> {
        let t = text.trim();
        match t.strip_suffix('*') {
            Some(head) => {
                let digits: String = head
                    .trim_start()
                    .trim_start_matches('+')
                    .chars()
                    .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
                    .collect();
                let ok = !digits.is_empty()
                    && digits.len() <= MAX_DIGITS
                    && digits.bytes().all(|b| b.is_ascii_digit());
                if !ok {
                    Err(PatternError::BadPrefix(t.chars().take(40).collect()))
                } else if !crate::phone::longer_than_its_country_code(&digits) {
                    Err(PatternError::ShortPrefix(t.chars().take(40).collect()))
                } else {
                    Ok(Pattern::Prefix(digits))
                }
            }
            None => Ok(Pattern::Exact(
                Phone::read(t, country)?.phone.digits().to_string(),
            )),
        }
    }

    /// The digits it covers, without the `*`.
    pub fn digits(&self) -> &str {
        match self {
            Pattern::Exact(d) | Pattern::Prefix(d) => d,
        }
    }

    pub fn covers(&self, digits: &str) -> bool {
        match self {
            Pattern::Exact(d) => d == digits,
            Pattern::Prefix(p) => digits.starts_with(p.as_str()),
        }
    }

    /// Where the store keeps this pattern for `scope`: keys of one scope
    /// sort together, and a number's exact key and its prefixes' keys are
    /// built the same way by [`super::keys_for`].
    pub fn key(&self, scope: Scope) -> Vec<u8> {
        match self {
            Pattern::Exact(d) => Pattern::exact_key(scope, d),
            Pattern::Prefix(p) => Pattern::prefix_key(scope, p),
        }
    }

    pub(super) fn exact_key(scope: Scope, digits: &str) -> Vec<u8> {
        key(scope, EXACT, digits)
    }

    pub(super) fn prefix_key(scope: Scope, digits: &str) -> Vec<u8> {
        key(scope, PREFIX, digits)
    }
}

fn key(scope: Scope, kind: u8, digits: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + 8 + 1 + digits.len());
    match scope {
        Scope::Global => k.push(GLOBAL),
        Scope::Campaign(id) => {
            k.push(CAMPAIGN);
            k.extend_from_slice(&id.to_be_bytes());
        }
    }
    k.push(kind);
    k.extend_from_slice(digits.as_bytes());
    k
}

impl fmt::Display for Pattern {
    /// `+13018040009` or `+1301*`: what the API answers and the audit log
    /// keeps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Exact(d) => write!(f, "+{d}"),
            Pattern::Prefix(p) => write!(f, "+{p}*"),
        }
    }
}

impl From<Pattern> for String {
    fn from(p: Pattern) -> String {
        p.to_string()
    }
}

impl TryFrom<String> for Pattern {
    type Error = PatternError;
    /// Stored and answered patterns carry their country code.
    fn try_from(s: String) -> Result<Pattern, PatternError> {
        Pattern::read(&s, None)
    }
}
