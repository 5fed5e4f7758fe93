//! Numbers of bulk uploads (a registry copy holds tens of millions) as
//! sorted arrays of integers in memory, checked by binary search, so that
//! a dial asks them in well under a microsecond whatever their size.
//!
//! On disk each upload is a header record and its numbers in slices of
//! [`SLICE`] packed little-endian `u64`s: about 5.5 KiB a record, which
//! keeps sled's pages out of its blob files (sled 0.34 writes a page past
//! 128 KiB to a blob it never frees, and a leaf holds up to 16 values), and
//! costs a number 8 bytes rather than a record of its own. A removal of a
//! bulk number is a tombstone, checked after the array: an upload newer
//! than the tombstone holds the number again.

use numdialer_core::Timestamp;
use numdialer_core::suppressions::{Pattern, Scope, Source, Suppression};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Numbers to a slice record: 5,600 bytes, under sled's 6 KiB comfort.
pub(super) const SLICE: usize = 700;
const _: () = assert!(SLICE * 8 <= 6 * 1024);

/// Slice records written in one sled batch.
pub(super) const SLICES_PER_BATCH: usize = 64;

/// What a bulk upload's header record says for all its numbers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Header {
    pub scope: Scope,
    pub source: Source,
    pub at: Timestamp,
}

/// One bulk upload as held: its numbers sorted and without repeats, and
/// what its header and audit record say for all of them.
#[derive(Debug)]
pub(super) struct Copy {
    pub seq: u64,
    pub header: Header,
    /// From its audit record; empty for an upload cut short by a crash,
    /// whose numbers still stop dials.
    pub reason: String,
    pub actor: String,
    pub numbers: Vec<u64>,
}

impl Copy {
    pub fn suppression(&self, n: u64) -> Suppression {
        Suppression {
            phone: Pattern::Exact(n.to_string()),
            scope: self.header.scope,
            source: self.header.source,
            reason: self.reason.clone(),
            created_at: self.header.at,
            actor: self.actor.clone(),
        }
    }
}

/// Every bulk upload, oldest first, and the tombstones of numbers removed
/// from them (the removal's audit `seq`).
#[derive(Debug, Default)]
pub(super) struct Held {
    pub copies: Vec<Copy>,
    pub gone: HashMap<(Scope, u64), u64>,
}

impl Held {
    /// The newest upload of `scope` that holds `n` and whose number was
    /// not removed after it.
    pub fn holds(&self, scope: Scope, n: u64) -> Option<&Copy> {
        self.copies.iter().rev().find(|c| {
            c.header.scope == scope
                && c.numbers.binary_search(&n).is_ok()
                && self.gone.get(&(scope, n)).is_none_or(|&g| g < c.seq)
        })
    }

    /// The upload that stops a dial of `n` in `campaign`: global first.
    pub fn find(&self, n: u64, campaign: u64) -> Option<&Copy> {
        self.holds(Scope::Global, n)
            .or_else(|| self.holds(Scope::Campaign(campaign), n))
    }

    /// Numbers held, each counted once per upload that holds it, less
    /// those removed.
    pub fn count(&self) -> u64 {
        let all: usize = self.copies.iter().map(|c| c.numbers.len()).sum();
        (all as u64).saturating_sub(self.gone.len() as u64)
    }
}

/// A number's digits as an integer; `None` for what is not a number's
/// digits (E.164 never starts with 0, so nothing is lost).
pub(super) fn number(digits: &str) -> Option<u64> {
    let ok = (1..=15).contains(&digits.len())
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| digits.parse().ok()).flatten()
}

pub(super) fn header_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

pub(super) fn slice_key(seq: u64, slice: u32) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..8].copy_from_slice(&seq.to_be_bytes());
    k[8..].copy_from_slice(&slice.to_be_bytes());
    k
}

pub(super) fn pack(numbers: &[u64]) -> Vec<u8> {
    numbers.iter().flat_map(|n| n.to_le_bytes()).collect()
}

/// A slice record's numbers; `None` when its length is not whole numbers.
pub(super) fn unpack(v: &[u8]) -> Option<impl Iterator<Item = u64> + '_> {
    v.len().is_multiple_of(8).then(|| {
        v.chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(seq: u64, scope: Scope, numbers: Vec<u64>) -> Copy {
        Copy {
            seq,
            header: Header {
                scope,
                source: Source::Registry,
                at: Timestamp(seq),
            },
            reason: String::new(),
            actor: String::new(),
            numbers,
        }
    }

    #[test]
    fn a_tombstone_removes_a_number_until_a_newer_upload_holds_it_again() {
        let mut held = Held::default();
        held.copies.push(copy(1, Scope::Global, vec![10, 20, 30]));
        held.copies.push(copy(2, Scope::Campaign(4), vec![40]));
        assert_eq!(held.find(20, 9).map(|c| c.seq), Some(1));
        assert_eq!(held.find(40, 4).map(|c| c.seq), Some(2));
        assert!(held.find(40, 5).is_none());
        held.gone.insert((Scope::Global, 20), 3);
        assert!(held.find(20, 9).is_none());
        assert_eq!(held.count(), 3);
        held.copies.push(copy(5, Scope::Global, vec![20]));
        assert_eq!(held.find(20, 9).map(|c| c.seq), Some(5));
    }

    #[test]
    fn numbers_are_digits_without_a_leading_zero() {
        assert_eq!(number("13018040009"), Some(13_018_040_009));
        assert_eq!(number("013018040009"), None);
        assert_eq!(number("1301*"), None);
        assert_eq!(number(""), None);
        let packed = pack(&[1, u64::MAX]);
        assert_eq!(packed.len(), 16);
        assert_eq!(unpack(&packed).unwrap().collect::<Vec<_>>(), [1, u64::MAX]);
    }
}
