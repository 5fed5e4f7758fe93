//! The records and their keys: what each tree holds, how a key is built
//! from a campaign's id, an entry's index and an event's number, and how a
//! record is read back.
//!
//! Keys are big-endian integers so that entries sort by list position.
//! Campaign 1 keeps the trees and keys of the release before campaigns
//! (no campaign prefix, its `started`/`version` in `meta`), so that an old
//! data directory opens as it is; every other campaign's keys start with
//! its id.

use super::fields::FieldsFiles;
use super::{Store, StoreError};
use numdialer_core::Entry;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The campaign whose records keep the keys of the release before
/// campaigns.
pub(super) const LEGACY_CAMPAIGN: u64 = numdialer_core::campaign::FIRST;

/// Key in `meta` of campaign 1's [`Meta`].
pub(super) const META_KEY: &[u8] = b"meta";
/// Key in `meta` of the directory's identity, also kept in its manifest.
pub(super) const ID_KEY: &[u8] = b"id";
/// Key in `meta` of what outlives deleted campaigns ([`numdialer_core::Retired`]).
pub(super) const RETIRED_KEY: &[u8] = b"retired";

/// The most history events one change adds: an attempt's last event and
/// the retry it earned.
const EVENTS_PER_CHANGE: usize = 2;

/// An event's key: the entry's index (u64) then the event's number (u32),
/// after the campaign's id for campaigns other than 1.
pub(super) const EVENT_KEY_LEN: usize = 12;

/// The most entries in one record of `campaign_lists`.
pub(super) const LIST_SLICE: usize = 256;

/// The most JSON bytes in one record of `campaign_lists` (one entry alone
/// may be more). sled 0.34 writes a page of more than a quarter of its
/// 512 KiB segment to a file of its own under `blobs/`, and a leaf page
/// holds up to 16 records: 16 of these stay under that quarter. A blob is
/// never given back when its records are removed (measured: ten rounds of
/// importing and deleting a 30 MB list of 100 columns left 925 MB in
/// `blobs/`), so records are kept under it.
pub(super) const SLICE_BYTES: usize = 6 * 1024;

/// Entries of an imported list written in one sled batch, in records of
/// [`slices`]: one batch of a whole large list holds hundreds of bytes per
/// entry in memory long after it is applied.
const LIST_BATCH: usize = 16 * 1024;

/// Entries of campaign 1's new list written in one sled batch, each as its
/// own record: smaller than [`LIST_BATCH`] because each entry is a record.
const ENTRY_BATCH: usize = 1024;

/// Records removed in one sled batch when a campaign's records go.
const REMOVE_BATCH: usize = 4096;

/// Campaign 1's facts as the release before campaigns stored them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub started: bool,
    pub version: u64,
}

/// A campaign's entry and event records, apart from the store. Writes are
/// durable once a later [`Store`] ticket is.
pub struct CampaignRecords {
    /// Its entries that have their own record.
    entries: sled::Tree,
    events: sled::Tree,
    /// Its list as imported, in slices; campaign 1 has none.
    lists: Option<sled::Tree>,
    /// What its keys start with: nothing for campaign 1, the id otherwise.
    prefix: Vec<u8>,
    /// Where its extra columns go; campaign 1 keeps them in its entries.
    fields: Option<(u64, Arc<FieldsFiles>)>,
}

impl Store {
    /// The entries and events of campaign `id`, to write or remove off the
    /// async runtime: an import or a delete touches millions of records.
    /// Campaign 1 lives where it did before campaigns existed.
    pub fn records_of(&self, id: u64) -> CampaignRecords {
        if id == LEGACY_CAMPAIGN {
            return CampaignRecords {
                entries: self.entries.clone(),
                events: self.events.clone(),
                lists: None,
                prefix: Vec::new(),
                fields: None,
            };
        }
        CampaignRecords {
            entries: self.campaign_entries.clone(),
            events: self.campaign_events.clone(),
            lists: Some(self.campaign_lists.clone()),
            prefix: id.to_be_bytes().to_vec(),
            fields: Some((id, self.fields.clone())),
        }
    }
}

impl CampaignRecords {
    /// The key of entry `index`, or of the list record that starts there.
    fn key(&self, index: u64) -> Vec<u8> {
        let mut key = self.prefix.clone();
        key.extend_from_slice(&index.to_be_bytes());
        key
    }

    /// Writes entries in one atomic batch, each with its last
    /// [`EVENTS_PER_CHANGE`] history events under their own keys: a change
    /// adds at most that many, always at the end (a webhook that ends an
    /// attempt adds itself and the retry it earned), and rewriting one that
    /// is stored already writes the same value again.
    pub fn put<'a>(&self, entries: impl IntoIterator<Item = &'a Entry>) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        let mut events = sled::Batch::default();
        for e in entries {
            let v = serde_json::to_vec(e).expect("entries always serialise");
            let key = self.key(e.index as u64);
            let history = &e.details().history;
            let from = history.len().saturating_sub(EVENTS_PER_CHANGE);
            for (n, event) in history.iter().enumerate().skip(from) {
                let mut event_key = key.clone();
                event_key.extend_from_slice(&(n as u32).to_be_bytes());
                let v = serde_json::to_vec(event).expect("events always serialise");
                events.insert(event_key, v);
            }
            batch.insert(key, v);
        }
        self.events.apply_batch(events)?;
        self.entries.apply_batch(batch)?;
        Ok(())
    }

    /// Writes the extra columns of a new list to their own file, durably,
    /// and takes them out of `entries`: before [`CampaignRecords::put_list`],
    /// so that its records hold only what dialing needs. Campaign 1, and a
    /// store without a directory, keep them in the entries.
    pub fn put_fields(&self, entries: &mut [Entry]) -> Result<(), StoreError> {
        match &self.fields {
            Some((id, files)) => files.write(*id, entries),
            None => Ok(()),
        }
    }

    /// Writes a new list (entries from index 0, none dialed) in records of
    /// [`slices`], a batch of [`LIST_BATCH`] at a time, so that
    /// no batch holds all of a large list. Campaign 1's list is written
    /// entry by entry, as before campaigns existed.
    pub fn put_list(&self, entries: &[Entry]) -> Result<(), StoreError> {
        let Some(lists) = &self.lists else {
            for batch in entries.chunks(ENTRY_BATCH) {
                self.put(batch)?;
            }
            return Ok(());
        };
        for entries in entries.chunks(LIST_BATCH) {
            let mut batch = sled::Batch::default();
            for (first, record) in slices(entries) {
                batch.insert(self.key(first), record);
            }
            lists.apply_batch(batch)?;
        }
        Ok(())
    }

    /// Removes them in batches, and the file of its extra columns. Not
    /// flushed: without the campaign's record they are orphans, and a
    /// crash leaves them for the next open. Never for campaign 1, whose
    /// keys have no prefix.
    pub fn remove(self) -> Result<(), StoreError> {
        let prefix = &self.prefix;
        if prefix.is_empty() {
            return Ok(());
        }
        if let Some((id, files)) = &self.fields {
            files.remove(*id)?;
        }
        let trees = [Some(&self.entries), Some(&self.events), self.lists.as_ref()];
        for tree in trees.into_iter().flatten() {
            loop {
                let mut batch = sled::Batch::default();
                let mut n = 0;
                for k in tree.scan_prefix(prefix).keys().take(REMOVE_BATCH) {
                    batch.remove(k?);
                    n += 1;
                }
                if n == 0 {
                    break;
                }
                tree.apply_batch(batch)?;
            }
        }
        Ok(())
    }
}

/// `entries` as records of `campaign_lists`: each a JSON array of at most
/// [`LIST_SLICE`] entries and, past its first, [`SLICE_BYTES`], with the
/// index of its first entry.
fn slices(entries: &[Entry]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut record = Vec::with_capacity(SLICE_BYTES);
    let mut first = 0;
    let mut n = 0;
    let mut entries = entries.iter().peekable();
    while let Some(e) = entries.next() {
        let before = record.len();
        record.push(if n == 0 { b'[' } else { b',' });
        serde_json::to_writer(&mut record, e).expect("entries always serialise");
        if n > 0 && record.len() + 1 > SLICE_BYTES {
            // Over: this record ends before `e`, which starts the next.
            record.truncate(before);
            record.push(b']');
            out.push((
                first,
                std::mem::replace(&mut record, Vec::with_capacity(SLICE_BYTES)),
            ));
            n = 0;
            record.push(b'[');
            serde_json::to_writer(&mut record, e).expect("entries always serialise");
        }
        if n == 0 {
            first = e.index as u64;
        }
        n += 1;
        if n == LIST_SLICE || entries.peek().is_none() {
            record.push(b']');
            out.push((
                first,
                std::mem::replace(&mut record, Vec::with_capacity(SLICE_BYTES)),
            ));
            n = 0;
        }
    }
    out
}

/// A record's value, or the error that names the record by `key`.
pub(super) fn decode<T: DeserializeOwned>(
    value: &[u8],
    key: impl FnOnce() -> String,
) -> Result<T, StoreError> {
    serde_json::from_slice(value).map_err(|error| StoreError::Corrupt { key: key(), error })
}

/// The integer a big-endian key (or key part) of 8 bytes holds.
pub(super) fn key_index(k: &[u8]) -> Option<u64> {
    k.try_into().ok().map(u64::from_be_bytes)
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
