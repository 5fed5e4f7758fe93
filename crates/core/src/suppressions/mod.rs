//! Do-not-call lists (design.md, "Do-not-call (suppression) lists"): what
//! a suppression is, how it is written, and which stored keys say whether
//! a number may be dialed — checked at import and again before every
//! dial, since opt-outs arrive while lists wait.
//!
//! The lists themselves live in the server's store, not here: core says
//! which keys to look up ([`keys_for`]) and the store answers with what it
//! holds under them, at most 32 lookups a dial. A bulk upload's numbers (a
//! registry copy holds tens of millions) the store holds as sorted arrays
//! of integers, asked first by binary search, at 8 bytes a number.
//!
//! - [`pattern`]: one number, or every number under a prefix (`+1301*`).
//! - [`record`]: a suppression with its scope, source and reason, and the
//!   audit log's records of every add, remove and bulk import.
//! - [`registry`]: the US registry's download formats, a line at a time.

mod pattern;
mod record;
mod registry;

pub use pattern::{Pattern, PatternError};
pub use record::{Action, AuditRecord, Scope, ScopeError, Source, Suppression};
pub use registry::{
    REGISTRY_MAX_AGE_DAYS, RegistryForm, RegistryLineError, read_registry_date, read_registry_line,
    registry_form, registry_hold,
};

/// The store keys under which a suppression of `digits` would be found for
/// a dial of campaign `campaign`: the number itself and each of its
/// prefixes, globally and for that campaign. The longest match is the
/// most specific, so keys come exact first, then prefixes from the
/// longest, each globally before the campaign's own.
pub fn keys_for(digits: &str, campaign: u64) -> impl Iterator<Item = Vec<u8>> + '_ {
    let scopes = [Scope::Global, Scope::Campaign(campaign)];
    let exact = scopes
        .into_iter()
        .map(move |s| Pattern::exact_key(s, digits));
    let prefixes = (1..=digits.len())
        .rev()
        .flat_map(move |n| scopes.into_iter().map(move |s| (s, n)))
        .map(move |(s, n)| Pattern::prefix_key(s, &digits[..n]));
    exact.chain(prefixes)
}

/// A bulk upload's digest as its audit record keeps it (SHA-1, hex): it
/// proves which copy of a list was used, not that nobody changed it.
pub fn digest(body: &[u8]) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// [`digest`] of a body read in pieces, for an upload that streams.
#[derive(Debug, Clone, Default)]
pub struct Digest(sha1::Sha1);

impl Digest {
    pub fn update(&mut self, piece: &[u8]) {
        use sha1::Digest as _;
        self.0.update(piece);
    }

    pub fn finish(self) -> String {
        use sha1::Digest as _;
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The first suppression that stops a dial of `digits` in `campaign`,
/// asked of whatever holds them (the store, or a map in tests).
pub fn find<E>(
    digits: &str,
    campaign: u64,
    mut lookup: impl FnMut(&[u8]) -> Result<Option<Suppression>, E>,
) -> Result<Option<Suppression>, E> {
    for key in keys_for(digits, campaign) {
        if let Some(s) = lookup(&key)? {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
