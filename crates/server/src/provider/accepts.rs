//! What a dialer API can dial, declared by its provider: the numDialer
//! simulator takes `^1\d{10}$` (it answers every other number
//! `{"error": "Expected a valid phone"}`), a numDialer-style API of one's
//! own whatever `--dialer-accepts` says (any number by default), Twilio any.
//!
//! An import warns on each line outside it, so that nobody learns after
//! the dial-down that half the list could never be called; at dial time a
//! number outside it fails without a request being sent, and is never
//! retried.

use numdialer_core::{Country, Phone, format_phone};
use regex::Regex;
use std::fmt;

/// The numbers a dialer API takes.
#[derive(Debug, Clone, Default)]
pub enum Accepts {
    /// Any number: the API's own answer is the judge.
    #[default]
    Any,
    /// Numbers whose digits (country code first, no `+`) match.
    Pattern(Regex),
    /// Numbers of these countries, as libphonenumber places them.
    Countries(Vec<Country>),
}

/// The pattern of the numDialer API and of its simulator.
pub const NUMDIALER_PATTERN: &str = r"^1\d{10}$";

impl Accepts {
    /// What the numDialer simulator (and the API it stands for) takes.
    pub fn numdialer() -> Accepts {
        Accepts::Pattern(Regex::new(NUMDIALER_PATTERN).expect("a valid pattern"))
    }

    /// `--dialer-accepts`: `any`, a list of ISO country codes (`US,CA`), or
    /// a regular expression over the digits (`^1\d{10}$`).
    pub fn parse(s: &str) -> Result<Accepts, String> {
        let t = s.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("any") {
            return Ok(Accepts::Any);
        }
        let parts: Vec<&str> = t.split(',').map(str::trim).collect();
        if parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            let countries = parts
                .iter()
                .map(|p| p.parse::<Country>().map_err(|e| e.to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Accepts::Countries(countries));
        }
        Regex::new(t).map(Accepts::Pattern).map_err(|e| {
            format!(
                "{t:?} is neither a list of country codes (US,CA) nor a regular expression: {e}"
            )
        })
    }

    /// Whether the API takes `phone`.
    pub fn takes(&self, phone: &Phone) -> bool {
        match self {
            Accepts::Any => true,
            Accepts::Pattern(re) => re.is_match(phone.digits()),
            Accepts::Countries(list) => phone.country().is_some_and(|c| list.contains(&c)),
        }
    }

    /// Whether the API takes the number of these digits (as they are sent).
    pub fn takes_digits(&self, digits: &str) -> bool {
        match self {
            Accepts::Pattern(re) => re.is_match(digits),
            _ => Phone::parse(digits).is_ok_and(|p| self.takes(&p)),
        }
    }

    /// Why `phone` will not be dialed, for an import's warning on its line;
    /// `None` when the API takes it.
    pub fn warning(&self, phone: &Phone) -> Option<String> {
        (!self.takes(phone)).then(|| {
            format!(
                "{}: {}; its dial will fail without being sent",
                format_phone(phone.digits()),
                self
            )
        })
    }
}

impl fmt::Display for Accepts {
    /// `this dialer API takes +1 numbers only`: the sentence that a
    /// warning and a failed entry's reason both carry.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Accepts::Any => f.write_str("this dialer API takes any number"),
            Accepts::Pattern(re) if re.as_str() == NUMDIALER_PATTERN => f.write_str(
                "this dialer API takes +1 numbers only (11 digits, like +1 301-804-0009)",
            ),
            Accepts::Pattern(re) => write!(
                f,
                "this dialer API takes only numbers whose digits match {} (--dialer-accepts)",
                re.as_str()
            ),
            Accepts::Countries(list) => {
                let codes: Vec<&str> = list.iter().map(Country::code).collect();
                write!(
                    f,
                    "this dialer API takes numbers of {} only (--dialer-accepts)",
                    codes.join(", ")
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(digits: &str) -> Phone {
        Phone::parse(digits).unwrap()
    }

    #[test]
    fn the_simulators_rule_takes_plus_one_numbers_only() {
        let a = Accepts::numdialer();
        assert!(a.takes(&phone("13018040009")));
        assert!(!a.takes(&phone("447911123456")));
        let w = a.warning(&phone("447911123456")).unwrap();
        assert!(w.contains("+1 numbers only"), "{w}");
        assert!(a.warning(&phone("13018040009")).is_none());
    }

    #[test]
    fn the_flag_reads_any_countries_or_a_pattern() {
        assert!(matches!(Accepts::parse("any").unwrap(), Accepts::Any));
        assert!(matches!(Accepts::parse("").unwrap(), Accepts::Any));
        let a = Accepts::parse("us, CA").unwrap();
        assert!(a.takes(&phone("13018040009")), "US");
        assert!(a.takes(&phone("14165550123")), "Toronto, CA");
        assert!(!a.takes(&phone("18762345678")), "Jamaica shares +1");
        assert!(!a.takes(&phone("447911123456")));
        assert!(a.to_string().contains("US, CA"), "{a}");
        let a = Accepts::parse(r"^44\d+$").unwrap();
        assert!(a.takes(&phone("447911123456")));
        assert!(!a.takes(&phone("13018040009")));
        assert!(Accepts::parse("XX").unwrap_err().contains("XX"));
        assert!(Accepts::parse("(").is_err());
    }
}
