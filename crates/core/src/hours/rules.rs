//! The stricter calling-rules file (`--calling-rules FILE`): number
//! prefixes mapped to a named window, intersected with every campaign's
//! calling hours. Parsed here from the file's text; the server reads the
//! file.
//!
//! ```toml
//! [[rule]]
//! name = "Florida"
//! hours = "08:00-20:00"
//! prefixes = ["1305", "1786"]
//! ```
//!
//! Prefixes are digits with the country code (a leading `+`, spaces and
//! dashes are dropped). A number takes the rule of its longest matching
//! prefix; a prefix listed twice is an error.

use super::window::{HoursError, Window};
use crate::zones::PrefixTrie;
use serde::Deserialize;

/// One rule: a name for reasons and logs, and its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallingRule {
    pub name: String,
    pub window: Window,
}

/// A rule of a [`CallingRules`], by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(u16);

/// A parsed rules file.
#[derive(Debug, Clone)]
pub struct CallingRules {
    rules: Vec<CallingRule>,
    by_prefix: PrefixTrie<RuleId>,
}

/// Why a rules file does not parse; each names the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("{0}")]
    Toml(String),
    #[error("line {line}: {error}")]
    Hours { line: usize, error: HoursError },
    #[error("line {line}: prefix {prefix:?} is not digits with a country code (like \"1305\")")]
    Prefix { line: usize, prefix: String },
    #[error("line {line}: prefix {prefix:?} is already in rule {first:?}")]
    Duplicate {
        line: usize,
        prefix: String,
        first: String,
    },
    #[error("line {line}: rule {name:?} has no prefixes")]
    NoPrefixes { line: usize, name: String },
    #[error("line {line}: a rule needs a name")]
    NoName { line: usize },
    #[error("too many rules (at most {})", u16::MAX)]
    TooMany,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: toml::Spanned<String>,
    hours: toml::Spanned<String>,
    prefixes: toml::Spanned<Vec<toml::Spanned<String>>>,
}

impl CallingRules {
    /// The rules of a file's text, all or nothing.
    pub fn parse(text: &str) -> Result<CallingRules, RulesError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| RulesError::Toml(e.to_string()))?;
        let line = |span: std::ops::Range<usize>| text[..span.start].lines().count().max(1);
        let mut rules = Vec::new();
        let mut by_prefix = PrefixTrie::new();
        for r in raw.rule {
            let id = RuleId(u16::try_from(rules.len()).map_err(|_| RulesError::TooMany)?);
            let name = r.name.get_ref().trim().to_string();
            if name.is_empty() {
                return Err(RulesError::NoName {
                    line: line(r.name.span()),
                });
            }
            let window =
                r.hours
                    .get_ref()
                    .parse::<Window>()
                    .map_err(|error| RulesError::Hours {
                        line: line(r.hours.span()),
                        error,
                    })?;
            if r.prefixes.get_ref().is_empty() {
                return Err(RulesError::NoPrefixes {
                    line: line(r.prefixes.span()),
                    name,
                });
            }
            for p in r.prefixes.get_ref() {
                let digits: String = p
                    .get_ref()
                    .trim()
                    .trim_start_matches('+')
                    .chars()
                    .filter(|c| !matches!(c, ' ' | '-'))
                    .collect();
                if digits.is_empty()
                    || digits.len() > crate::phone::MAX_DIGITS
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                    || digits.starts_with('0')
                {
                    return Err(RulesError::Prefix {
                        line: line(p.span()),
                        prefix: p.get_ref().clone(),
                    });
                }
                if let Some(RuleId(first)) = by_prefix.insert(&digits, id) {
                    let first = rules
                        .get(usize::from(first))
                        .map_or(&name, |r: &CallingRule| &r.name);
                    return Err(RulesError::Duplicate {
                        line: line(p.span()),
                        prefix: p.get_ref().clone(),
                        first: first.clone(),
                    });
                }
            }
            rules.push(CallingRule { name, window });
        }
        Ok(CallingRules { rules, by_prefix })
    }

    /// The rule of a number (`digits`, country code first) by its longest
    /// matching prefix.
    pub fn rule_for(&self, digits: &str) -> Option<RuleId> {
        self.by_prefix.longest(digits)
    }

    pub fn get(&self, id: RuleId) -> &CallingRule {
        &self.rules[usize::from(id.0)]
    }

    pub fn rules(&self) -> &[CallingRule] {
        &self.rules
    }
}
