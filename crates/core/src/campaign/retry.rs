//! A campaign's retry policy: which outcomes earn another attempt, how many
//! attempts an entry gets in all, and how long it waits between them.

use crate::status::Outcome;
use serde::{Deserialize, Serialize};

/// The most attempts a policy may ask for: a number that did not answer ten
/// times is not going to, and every attempt is a call someone pays for.
pub const MAX_ATTEMPTS: u32 = 10;

/// The longest `retry_delay`, one week: longer is a new campaign.
pub const MAX_RETRY_DELAY_S: u64 = 7 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (1: no retries).
    pub max_attempts: u32,
    /// Seconds from the end of an attempt to the next one.
    pub retry_delay: u64,
    /// The outcomes that earn another attempt: `no_answer`, `failed`,
    /// `machine` (never by default: it needs detection on).
    pub retry_on: Vec<Outcome>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 1,
            retry_delay: 300,
            retry_on: vec![Outcome::NoAnswer, Outcome::Failed],
        }
    }
}

/// A policy as a client sent it, not yet checked: every field optional
/// (the default fills it), numbers as given so that a negative or
/// fractional one gets its own message rather than a type error.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RetryInput {
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub max_attempts: Option<serde_json::Number>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub retry_delay: Option<serde_json::Number>,
    /// A list, or one comma-separated string as in a query string.
    pub retry_on: Option<RetryOnInput>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum RetryOnInput {
    List(Vec<String>),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetryError {
    #[error("max_attempts must be a whole number from 1 to {MAX_ATTEMPTS}, not {0}")]
    MaxAttempts(String),
    #[error("retry_delay must be a whole number of seconds from 0 to {MAX_RETRY_DELAY_S}, not {0}")]
    RetryDelay(String),
    #[error(
        "retry_on: unknown value {0:?} (expected no_answer, failed or machine, comma-separated: no_answer,failed)"
    )]
    RetryOn(String),
}

impl RetryInput {
    pub fn is_empty(&self) -> bool {
        self.max_attempts.is_none() && self.retry_delay.is_none() && self.retry_on.is_none()
    }

    /// Checks every field; what is absent takes the default.
    pub fn policy(&self) -> Result<RetryPolicy, RetryError> {
        let mut p = RetryPolicy::default();
        if let Some(n) = &self.max_attempts {
            p.max_attempts =
                n.as_u64()
                    .filter(|&n| (1..=MAX_ATTEMPTS as u64).contains(&n))
                    .ok_or_else(|| RetryError::MaxAttempts(n.to_string()))? as u32;
        }
        if let Some(n) = &self.retry_delay {
            p.retry_delay = n
                .as_u64()
                .filter(|&n| n <= MAX_RETRY_DELAY_S)
                .ok_or_else(|| RetryError::RetryDelay(n.to_string()))?;
        }
        if let Some(on) = &self.retry_on {
            let words: Vec<&str> = match on {
                RetryOnInput::List(v) => v.iter().map(String::as_str).collect(),
                RetryOnInput::Text(s) => s
                    .split(',')
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                    .collect(),
            };
            let mut retry_on = Vec::new();
            for w in words {
                let o = match w {
                    "no_answer" => Outcome::NoAnswer,
                    "failed" => Outcome::Failed,
                    "machine" => Outcome::Machine,
                    other => return Err(RetryError::RetryOn(other.to_string())),
                };
                if !retry_on.contains(&o) {
                    retry_on.push(o);
                }
            }
            retry_on.sort();
            p.retry_on = retry_on;
        }
        Ok(p)
    }
}

impl RetryPolicy {
    /// Whether an attempt `attempt` (from 1) that ended in `outcome` earns
    /// another one.
    pub fn retries(&self, outcome: Outcome, attempt: u32) -> bool {
        attempt < self.max_attempts && self.retry_on.contains(&outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: serde_json::Value) -> Result<RetryPolicy, String> {
        let i: RetryInput = serde_json::from_value(v).map_err(|e| e.to_string())?;
        i.policy().map_err(|e| e.to_string())
    }

    #[test]
    fn absent_fields_take_the_defaults() {
        assert_eq!(
            input(serde_json::json!({})).unwrap(),
            RetryPolicy::default()
        );
        let p = input(serde_json::json!({"max_attempts": 3, "retry_on": "failed"})).unwrap();
        assert_eq!(p.max_attempts, 3);
        assert_eq!(p.retry_on, vec![Outcome::Failed]);
        assert_eq!(p.retry_delay, 300);
        let p = input(serde_json::json!({"retry_on": ["failed", "no_answer", "failed"]})).unwrap();
        assert_eq!(p.retry_on, vec![Outcome::NoAnswer, Outcome::Failed]);
        let p = input(serde_json::json!({"retry_on": "machine,no_answer"})).unwrap();
        assert_eq!(p.retry_on, vec![Outcome::NoAnswer, Outcome::Machine]);
        assert!(!RetryPolicy::default().retry_on.contains(&Outcome::Machine));
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        for (v, want) in [
            (
                serde_json::json!({"max_attempts": 0}),
                "max_attempts must be",
            ),
            (serde_json::json!({"max_attempts": 11}), "not 11"),
            (serde_json::json!({"max_attempts": 2.5}), "not 2.5"),
            (
                serde_json::json!({"retry_delay": -5}),
                "retry_delay must be",
            ),
            (
                serde_json::json!({"retry_on": "busy"}),
                "unknown value \"busy\"",
            ),
            (
                serde_json::json!({"retry_on": ["answered"]}),
                "unknown value \"answered\"",
            ),
        ] {
            let err = input(v.clone()).unwrap_err();
            assert!(err.contains(want), "{v}: {err}");
        }
    }

    #[test]
    fn retries_only_listed_outcomes_while_attempts_remain() {
        let p = RetryPolicy {
            max_attempts: 3,
            retry_delay: 0,
            retry_on: vec![Outcome::NoAnswer],
        };
        assert!(p.retries(Outcome::NoAnswer, 1));
        assert!(p.retries(Outcome::NoAnswer, 2));
        assert!(!p.retries(Outcome::NoAnswer, 3));
        assert!(!p.retries(Outcome::Failed, 1));
        assert!(!p.retries(Outcome::Answered, 1));
    }
}
