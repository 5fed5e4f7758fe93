//! A suppression as the store keeps it, and the audit log that keeps
//! every change to the lists: a removal is a record of its own with a
//! reason, never a silent delete, so "why was this person called?" always
//! has an answer.

use super::pattern::Pattern;
use crate::time::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Where a suppression applies: every campaign, or one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Campaign(u64),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a scope: write global, or a campaign's id like 2")]
pub struct ScopeError(String);

impl FromStr for Scope {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Scope, ScopeError> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("global") {
            return Ok(Scope::Global);
        }
        match t.parse::<u64>() {
            Ok(id) if id > 0 => Ok(Scope::Campaign(id)),
            _ => Err(ScopeError(t.chars().take(40).collect())),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Global => f.write_str("global"),
            Scope::Campaign(id) => write!(f, "campaign {id}"),
        }
    }
}

/// JSON: `"global"` or the campaign's id as a number, as the API's
/// `scope` parameter is written.
impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Scope::Global => s.serialize_str("global"),
            Scope::Campaign(id) => s.serialize_u64(*id),
        }
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scope, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Id(u64),
            Text(String),
        }
        match Written::deserialize(d)? {
            Written::Id(0) => Err(serde::de::Error::custom(ScopeError("0".into()))),
            Written::Id(id) => Ok(Scope::Campaign(id)),
            Written::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Who asked: an operator by hand, a client of the API, an import's
/// column, a copy of a national registry, or the callee during a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Manual,
    Api,
    Import,
    Registry,
    Call,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::Manual,
        Source::Api,
        Source::Import,
        Source::Registry,
        Source::Call,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Manual => "manual",
            Source::Api => "api",
            Source::Import => "import",
            Source::Registry => "registry",
            Source::Call => "call",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Source {
    type Err = String;
    fn from_str(s: &str) -> Result<Source, String> {
        Source::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "{:?} is not a source: write manual, api, import, registry or call",
                    s.chars().take(40).collect::<String>()
                )
            })
    }
}

/// One number or prefix that must not be dialed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suppression {
    pub phone: Pattern,
    pub scope: Scope,
    pub source: Source,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    pub created_at: Timestamp,
    /// Who added it, as the request said (a token's holder is not known
    /// by name): the command line sends the user's login.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub actor: String,
}

impl Suppression {
    /// What an entry it stops says in its history and reason: the list,
    /// when it was added, and why.
    pub fn reason_for_entry(&self) -> String {
        let mut r = format!(
            "on the do-not-call list ({}, {}) since {}",
            self.scope, self.source, self.created_at
        );
        if !self.reason.is_empty() {
            r.push_str(": ");
            r.push_str(&self.reason);
        }
        r
    }
}

/// What an audit record says happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Add {
        phone: Pattern,
    },
    /// The suppression it removes stays in the log; this is its tombstone.
    Remove {
        phone: Pattern,
    },
    /// A bulk import, one record for all its numbers: how many, and a
    /// digest of what was read, so that the copy used can be proved.
    Import {
        count: u64,
        digest: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        registry_date: Option<String>,
    },
}

/// One line of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    /// Its place in the log, from 1, never reused.
    pub seq: u64,
    pub at: Timestamp,
    #[serde(flatten)]
    pub action: Action,
    pub scope: Scope,
    pub source: Source,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub actor: String,
}
