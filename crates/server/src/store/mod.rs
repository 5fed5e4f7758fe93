//! The sled store: every entry as one record, every event as one record,
//! and a record per campaign.
//!
//! Campaign 1 keeps the trees and keys of the release before campaigns
//! (`entries`, `events`, and its `started`/`version` in `meta`), so that an
//! existing data directory opens as it is, with nothing rewritten. Other
//! campaigns' entries and events share two trees under keys that start with
//! the campaign's id. A campaign exists once its record in `campaigns` does:
//! an import writes its entries first and its record last, so that a crash
//! in between leaves only orphans, which the next open removes.
//!
//! An import writes its list as it was uploaded in `campaign_lists`, a few
//! hundred entries to a record, and each entry gets a record of its own in
//! `campaign_entries` only when it changes; loading lays the changed
//! entries over the list. One sled insert per entry cost 10 to 15 µs, so
//! that storing a million-line import took most of its time (docs/benchmarks.md).
//!
//! This is the only module that knows about sled, so that its limits live in
//! one place (see docs/architecture.md) and the engine could be swapped:
//! - writes are durable only after `flush()`; `flush_async()` can deadlock on
//!   0.34.7 when called concurrently (upstream #1308), so one dedicated thread
//!   runs the blocking `flush()` for every waiting writer (group commit);
//! - one open `Db` per path per process;
//! - keys are big-endian integers so that entries sort by list position.

mod flusher;
pub mod manifest;

#[cfg(feature = "failpoints")]
pub use flusher::Faults;

use crate::metrics::Histogram;
use flusher::Flusher;
use manifest::Marks;
use numdialer_core::{CampaignMeta, Entry, Retired, Status};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // The messages hold their cause, and no variant names a `source`, so
    // that an error chain printed whole says each cause once.
    #[error("store: {0}")]
    Sled(sled::Error),
    #[error(
        "the data directory {dir} is in use by another process (it holds sled's lock on its \
         db file): stop that numdialer-server or numdialer, or choose another --data-dir"
    )]
    Locked { dir: PathBuf },
    #[error("store: record {key} is unreadable: {error}")]
    Corrupt {
        key: String,
        error: serde_json::Error,
    },
    #[error("store: flush failed: {0}")]
    Flush(String),
    #[error("store: the flusher has stopped")]
    Closed,
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Sled(e)
    }
}

/// Campaign 1's facts as the release before campaigns stored them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub started: bool,
    pub version: u64,
}

/// One campaign as stored.
#[derive(Debug, Clone)]
pub struct StoredCampaign {
    pub meta: CampaignMeta,
    pub entries: Vec<Entry>,
}

impl StoredCampaign {
    /// Its version: that of its record or of its latest entry.
    fn version(&self) -> u64 {
        self.entries
            .iter()
            .map(|e| e.version)
            .fold(self.meta.version, u64::max)
    }

    /// Entries dialed at least once; an entry of the release before
    /// campaigns has no `attempt`, and was dialed if it is not idle.
    fn dialed(&self) -> u64 {
        let dialed =
            |e: &&Entry| e.attempt > 0 || !matches!(e.status, Status::Idle | Status::Canceled);
        self.entries.iter().filter(dialed).count() as u64
    }
}

/// What a data directory held when it was opened.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Campaign 1 first, then the others by id.
    pub campaigns: Vec<StoredCampaign>,
    pub retired: Retired,
    /// Records that could not be placed, so that a damaged directory says
    /// so instead of quietly losing history.
    pub skipped: Vec<Skipped>,
    /// Campaigns with records but no campaign record (an import cut short,
    /// a delete half done): removed once the directory is accepted
    /// ([`Store::remove_orphans`]), never before, so that a refused
    /// directory keeps everything for a restore.
    pub orphans: Vec<u64>,
}

impl Stored {
    /// How far the store had come: the sum of its campaigns' versions and
    /// how many entries were ever dialed, deleted campaigns included; the
    /// engine counts both the same way.
    pub fn marks(&self) -> Marks {
        let version = self.retired.version
            + self
                .campaigns
                .iter()
                .map(StoredCampaign::version)
                .sum::<u64>();
        let dialed = self.retired.dialed
            + self
                .campaigns
                .iter()
                .map(StoredCampaign::dialed)
                .sum::<u64>();
        Marks { version, dialed }
    }
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
}

impl CampaignRecords {
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
            let mut key = self.prefix.clone();
            key.extend_from_slice(&(e.index as u64).to_be_bytes());
            let from = e.history.len().saturating_sub(EVENTS_PER_CHANGE);
            for (n, event) in e.history.iter().enumerate().skip(from) {
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

    /// Writes a new list (entries from index 0, none dialed) in records of
    /// [`LIST_SLICE`] entries, in one batch: pass a large list in slices so
    /// that no batch holds all of it. Campaign 1's list is written entry by
    /// entry, as before campaigns existed.
    pub fn put_list(&self, entries: &[Entry]) -> Result<(), StoreError> {
        let Some(lists) = &self.lists else {
            return self.put(entries);
        };
        let mut batch = sled::Batch::default();
        for slice in entries.chunks(LIST_SLICE) {
            let first = slice.first().map_or(0, |e| e.index as u64);
            let mut key = self.prefix.clone();
            key.extend_from_slice(&first.to_be_bytes());
            batch.insert(
                key,
                serde_json::to_vec(slice).expect("entries always serialise"),
            );
        }
        lists.apply_batch(batch)?;
        Ok(())
    }

    /// Removes them in batches. Not flushed: without the campaign's record
    /// they are orphans, and a crash leaves them for the next open. Never
    /// for campaign 1, whose keys have no prefix.
    pub fn remove(self) -> Result<(), StoreError> {
        let prefix = &self.prefix;
        if prefix.is_empty() {
            return Ok(());
        }
        let trees = [Some(&self.entries), Some(&self.events), self.lists.as_ref()];
        for tree in trees.into_iter().flatten() {
            loop {
                let mut batch = sled::Batch::default();
                let mut n = 0;
                for k in tree.scan_prefix(prefix).keys().take(4096) {
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

/// A record [`Store::load`] could not use, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The record's key, in hex.
    pub key: String,
    pub why: SkipReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    #[error("an event key shorter than an entry index and an event number")]
    ShortEventKey,
    #[error("an event of entry {index}, past the list of {len}")]
    EventPastList { index: u64, len: usize },
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "record {}: {}", self.key, self.why)
    }
}

const META_KEY: &[u8] = b"meta";
/// The directory's identity, also kept in its manifest.
const ID_KEY: &[u8] = b"id";
/// The most history events one change adds: an attempt's last event and
/// the retry it earned.
const EVENTS_PER_CHANGE: usize = 2;

/// What outlives deleted campaigns ([`Retired`]).
const RETIRED_KEY: &[u8] = b"retired";
const FIRST: u64 = numdialer_core::campaign::FIRST;

/// sled's page cache (its default is 1 GiB). The campaign keeps every entry
/// in memory anyway, so sled needs little cache of its own.
const CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// How long [`Store::open`] waits for a lock that is being let go.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(1);

pub struct Store {
    db: sled::Db,
    /// Campaign 1's entries. Key: entry index, big-endian.
    entries: sled::Tree,
    /// Campaign 1's events. Key: entry index then event number, both
    /// big-endian.
    events: sled::Tree,
    meta: sled::Tree,
    /// Key: campaign id; value: its [`CampaignMeta`].
    campaigns: sled::Tree,
    /// Other campaigns' entries. Key: campaign id then entry index.
    campaign_entries: sled::Tree,
    /// Other campaigns' events. Key: campaign id, entry index, event number.
    campaign_events: sled::Tree,
    /// Imported lists as uploaded, [`LIST_SLICE`] entries to a record.
    /// Key: campaign id then the index of the record's first entry.
    campaign_lists: sled::Tree,
    flusher: Flusher,
    flush_latency: Arc<Histogram>,
    /// The naive design, kept for the benchmark: one flush per write.
    flush_each_write: bool,
}

impl Store {
    /// Opens the store in `dir`. A directory locked by another handle is
    /// tried again for a moment: sled lets go of its file lock when its last
    /// internal handle drops, and its I/O threads can hold one for a few
    /// milliseconds after a store of this process was closed.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let config = sled::Config::new().path(dir).cache_capacity(CACHE_BYTES);
        let until = std::time::Instant::now() + LOCK_PATIENCE;
        loop {
            match Self::with_config(config.clone()) {
                Err(StoreError::Sled(sled::Error::Io(e)))
                    if e.to_string().contains("could not acquire lock") =>
                {
                    if std::time::Instant::now() >= until {
                        return Err(StoreError::Locked {
                            dir: dir.to_path_buf(),
                        });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                other => return other,
            }
        }
    }

    /// A store that vanishes with the process, for the embedded demo.
    pub fn open_temporary() -> Result<Self, StoreError> {
        Self::with_config(sled::Config::new().temporary(true))
    }

    fn with_config(config: sled::Config) -> Result<Self, StoreError> {
        let db = config.open()?;
        let flush_latency = Arc::new(Histogram::default());
        Ok(Store {
            entries: db.open_tree("entries")?,
            events: db.open_tree("events")?,
            meta: db.open_tree("meta")?,
            campaigns: db.open_tree("campaigns")?,
            campaign_entries: db.open_tree("campaign_entries")?,
            campaign_events: db.open_tree("campaign_events")?,
            campaign_lists: db.open_tree("campaign_lists")?,
            flusher: Flusher::spawn(db.clone(), flush_latency.clone()),
            db,
            flush_latency,
            flush_each_write: false,
        })
    }

    /// Flush once per write instead of sharing flushes (the naive design
    /// that `numdialer-bench` compares against).
    pub fn with_flush_each_write(mut self, on: bool) -> Self {
        self.flush_each_write = on;
        self
    }

    /// The stored campaigns, or `None` for a fresh directory. Entries and
    /// events of a campaign without a record (an import cut short) are
    /// removed.
    pub fn load(&self) -> Result<Option<Stored>, StoreError> {
        if self.entries.is_empty() && self.campaigns.is_empty() {
            return Ok(None);
        }
        let mut metas = std::collections::BTreeMap::new();
        for kv in self.campaigns.iter() {
            let (k, v) = kv?;
            let meta: CampaignMeta =
                serde_json::from_slice(&v).map_err(|error| StoreError::Corrupt {
                    key: format!("campaign {:?}", key_index(&k)),
                    error,
                })?;
            metas.insert(meta.id, meta);
        }
        let first_meta = match metas.remove(&FIRST) {
            Some(m) => m,
            None => {
                let old = match self.meta.get(META_KEY)? {
                    Some(v) => serde_json::from_slice(&v).map_err(|error| StoreError::Corrupt {
                        key: "meta".into(),
                        error,
                    })?,
                    None => Meta {
                        started: false,
                        version: 0,
                    },
                };
                CampaignMeta::first(old.started, old.version)
            }
        };
        let mut skipped = Vec::new();
        let mut first = StoredCampaign {
            meta: first_meta,
            entries: read_entries(self.entries.iter(), 0)?,
        };
        read_events(self.events.iter(), 0, &mut first.entries, &mut skipped)?;
        let mut campaigns = vec![first];
        let mut orphans = Vec::new();
        for (id, meta) in metas {
            let prefix = id.to_be_bytes();
            let mut entries = read_list(self.campaign_lists.scan_prefix(prefix))?;
            let changed = read_entries(self.campaign_entries.scan_prefix(prefix), 8)?;
            for e in changed {
                match entries.get_mut(e.index) {
                    Some(slot) => *slot = e,
                    None => entries.push(e),
                }
            }
            read_events(
                self.campaign_events.scan_prefix(prefix),
                8,
                &mut entries,
                &mut skipped,
            )?;
            campaigns.push(StoredCampaign { meta, entries });
        }
        // One seek per campaign id present, not one step per record.
        for tree in [&self.campaign_lists, &self.campaign_entries] {
            let mut from = 0u64;
            while let Some(kv) = tree.range(from.to_be_bytes()..).keys().next() {
                let Some(id) = kv?.get(..8).and_then(key_index) else {
                    break;
                };
                if !campaigns.iter().any(|c| c.meta.id == id) && !orphans.contains(&id) {
                    orphans.push(id);
                }
                match id.checked_add(1) {
                    Some(next) => from = next,
                    None => break,
                }
            }
        }
        let retired = match self.meta.get(RETIRED_KEY)? {
            Some(v) => serde_json::from_slice(&v).map_err(|error| StoreError::Corrupt {
                key: "retired".into(),
                error,
            })?,
            None => Retired::default(),
        };
        Ok(Some(Stored {
            campaigns,
            retired,
            skipped,
            orphans,
        }))
    }

    /// Writes entries of campaign `campaign` in one atomic batch and
    /// returns the write's ticket for [`Store::durable`]. Callers write
    /// under the engine's lock so that records land in the order their
    /// changes happened.
    ///
    /// Each entry's last history event is written beside it under its own
    /// key; the two batches land in one flush.
    pub fn put_entries<'a>(
        &self,
        campaign: u64,
        entries: impl IntoIterator<Item = &'a Entry>,
    ) -> Result<u64, StoreError> {
        self.records_of(campaign).put(entries)?;
        Ok(self.flusher.written())
    }

    /// Writes a new campaign's list (entries from index 0, none dialed) in
    /// records of [`LIST_SLICE`] entries, one batch per call: the caller
    /// passes a large list in slices so that no batch holds all of it.
    /// Their later changes go through [`Store::put_entries`].
    pub fn put_list(&self, campaign: u64, entries: &[Entry]) -> Result<u64, StoreError> {
        self.records_of(campaign).put_list(entries)?;
        Ok(self.flusher.written())
    }

    /// Writes a campaign's record: once it is durable, the campaign exists.
    pub fn put_campaign(&self, meta: &CampaignMeta) -> Result<u64, StoreError> {
        let v = serde_json::to_vec(meta).expect("campaign records always serialise");
        self.campaigns.insert(meta.id.to_be_bytes(), v)?;
        Ok(self.flusher.written())
    }

    /// Removes a campaign's record and records what outlives it, in one
    /// transaction (the manifest must never see the directory's version or
    /// dial count go down). Its entries and events go afterwards: without
    /// a record they are orphans, and a crash leaves them for the next
    /// open to remove.
    pub fn delete_campaign(&self, id: u64, retired: Retired) -> Result<u64, StoreError> {
        use sled::Transactional;
        let v = serde_json::to_vec(&retired).expect("retired always serialises");
        // sled may run this closure more than once: it only sets values.
        (&self.campaigns, &self.meta)
            .transaction(|(campaigns, meta)| {
                campaigns.remove(&id.to_be_bytes())?;
                meta.insert(RETIRED_KEY, v.clone())?;
                Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
                sled::transaction::TransactionError::Abort(()) => {
                    StoreError::Flush("campaign delete aborted".into())
                }
            })?;
        Ok(self.flusher.written())
    }

    /// Removes the records of the campaigns that [`Store::load`] found
    /// without a campaign record.
    pub fn remove_orphans(&self, orphans: &[u64]) -> Result<(), StoreError> {
        for &id in orphans {
            tracing::warn!(
                campaign = id,
                "removing the records of an import or a delete that never finished"
            );
            self.remove_campaign_records(id)?;
        }
        Ok(())
    }

    /// Removes the entries and events of a campaign without a record.
    pub fn remove_campaign_records(&self, id: u64) -> Result<(), StoreError> {
        self.records_of(id).remove()
    }

    /// The entries and events of campaign `id`, to write or remove off the
    /// async runtime: an import or a delete touches millions of records.
    /// Campaign 1 lives where it did before campaigns existed.
    pub fn records_of(&self, id: u64) -> CampaignRecords {
        if id == FIRST {
            return CampaignRecords {
                entries: self.entries.clone(),
                events: self.events.clone(),
                lists: None,
                prefix: Vec::new(),
            };
        }
        CampaignRecords {
            entries: self.campaign_entries.clone(),
            events: self.campaign_events.clone(),
            lists: Some(self.campaign_lists.clone()),
            prefix: id.to_be_bytes().to_vec(),
        }
    }

    pub fn put_meta(&self, meta: Meta) -> Result<u64, StoreError> {
        let v = serde_json::to_vec(&meta).expect("meta always serialises");
        self.meta.insert(META_KEY, v)?;
        Ok(self.flusher.written())
    }

    /// The directory's identity, if one was stored.
    pub fn identity(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .meta
            .get(ID_KEY)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn set_identity(&self, id: &str) -> Result<u64, StoreError> {
        self.meta.insert(ID_KEY, id.as_bytes())?;
        Ok(self.flusher.written())
    }

    /// `Err` while flushes fail: the store promises no durability then.
    pub fn health(&self) -> Result<(), String> {
        match self.flusher.failure() {
            Some(e) => Err(format!("flush failed: {e}")),
            None => Ok(()),
        }
    }

    /// Makes everything written so far durable: a failed store that passes
    /// this takes writes again.
    pub async fn sync(&self) -> Result<(), StoreError> {
        let ticket = self.flusher.written();
        self.durable(ticket).await
    }

    /// Test-only fault injection.
    #[cfg(feature = "failpoints")]
    pub fn faults(&self) -> &Faults {
        &self.flusher.faults
    }

    pub fn flush_latency(&self) -> &Histogram {
        &self.flush_latency
    }

    /// Waits until the write with `ticket` is on disk.
    pub async fn durable(&self, ticket: u64) -> Result<(), StoreError> {
        if self.flush_each_write {
            let db = self.db.clone();
            let began = std::time::Instant::now();
            tokio::task::spawn_blocking(move || db.flush())
                .await
                .map_err(|e| StoreError::Flush(e.to_string()))??;
            self.flush_latency.observe(began.elapsed());
            return Ok(());
        }
        self.flusher.wait(ticket).await
    }
}

/// Entries in one record of `campaign_lists`: about 30 KB of JSON, well
/// under the size at which sled 0.34 writes a value to a file of its own.
const LIST_SLICE: usize = 256;

/// A campaign's list from its records in `campaign_lists`, in order.
fn read_list(records: Records) -> Result<Vec<Entry>, StoreError> {
    let mut entries = Vec::new();
    for kv in records {
        let (k, v) = kv?;
        let slice: Vec<Entry> =
            serde_json::from_slice(&v).map_err(|error| StoreError::Corrupt {
                key: format!("list slice {}", hex(&k)),
                error,
            })?;
        entries.extend(slice);
    }
    Ok(entries)
}

/// An event's key: the entry's index (u64) then the event's number (u32),
/// after the campaign's id for campaigns other than 1.
const EVENT_KEY_LEN: usize = 12;

type Records = sled::Iter;

/// Entries from `records`, whose keys carry `skip` bytes of prefix.
fn read_entries(records: Records, skip: usize) -> Result<Vec<Entry>, StoreError> {
    records
        .map(|kv| {
            let (k, v) = kv?;
            serde_json::from_slice(&v).map_err(|error| StoreError::Corrupt {
                key: format!("entry {:?}", k.get(skip..).and_then(key_index)),
                error,
            })
        })
        .collect()
}

/// Places each event of `records` in its entry's history; what cannot be
/// placed is listed in `skipped`.
fn read_events(
    records: Records,
    skip: usize,
    entries: &mut [Entry],
    skipped: &mut Vec<Skipped>,
) -> Result<(), StoreError> {
    for kv in records {
        let (full, v) = kv?;
        let k = &full[skip.min(full.len())..];
        let skip_it = |why| Skipped {
            key: hex(&full),
            why,
        };
        let Some(index) = k
            .get(..8)
            .and_then(key_index)
            .filter(|_| k.len() == EVENT_KEY_LEN)
        else {
            skipped.push(skip_it(SkipReason::ShortEventKey));
            continue;
        };
        let Some(entry) = usize::try_from(index).ok().and_then(|i| entries.get_mut(i)) else {
            let len = entries.len();
            skipped.push(skip_it(SkipReason::EventPastList { index, len }));
            continue;
        };
        let event = serde_json::from_slice(&v).map_err(|error| StoreError::Corrupt {
            key: format!("event of entry {index}"),
            error,
        })?;
        entry.history.push(event);
    }
    Ok(())
}

fn key_index(k: &[u8]) -> Option<u64> {
    k.try_into().ok().map(u64::from_be_bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use numdialer_core::campaign::CampaignMeta;
    use numdialer_core::{CampaignState, Phone};

    fn phone(i: usize) -> Phone {
        Phone::parse(&format!("1{i:010}")).unwrap()
    }

    #[tokio::test]
    async fn entries_survive_a_reopen_in_list_order() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            assert!(store.load().unwrap().is_none());
            let entries: Vec<Entry> = (0..300).rev().map(|i| Entry::new(i, phone(i))).collect();
            let t = store.put_entries(1, &entries).unwrap();
            let m = store
                .put_meta(Meta {
                    started: true,
                    version: 7,
                })
                .unwrap();
            store.durable(t.max(m)).await.unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let loaded = store.load().unwrap().unwrap();
        let idx: Vec<usize> = loaded.campaigns[0]
            .entries
            .iter()
            .map(|e| e.index)
            .collect();
        assert_eq!(idx, (0..300).collect::<Vec<_>>());
        let meta = &loaded.campaigns[0].meta;
        assert_eq!((meta.state, meta.version), (CampaignState::Running, 7));
    }

    #[tokio::test]
    async fn each_change_stores_its_event_beside_the_entry() {
        use numdialer_core::protocol::numdialer::{CallStatus, WebhookBody};
        use numdialer_core::{Campaign, Mono, Now, Settings, Timestamp};
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            concurrency: 1,
            call_timeout_ms: 60_000,
        };
        let mut c = Campaign::new(vec![phone(0); 2], settings);
        c.start().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store.put_entries(1, c.entries()).unwrap();
            let t0 = Timestamp(1);
            let now = Now {
                wall: t0,
                mono: Mono(0),
            };
            let o = c.begin_dial("tok".into(), now).unwrap();
            store.put_entries(1, c.entry(o.index)).unwrap();
            let body = |status| WebhookBody { id: 5, status }.into();
            for s in [
                CallStatus::Ringing,
                CallStatus::Ringing,
                CallStatus::Completed,
            ] {
                c.apply_report("tok", body(s), now).unwrap();
                let t = store.put_entries(1, c.entry(0)).unwrap();
                store.durable(t).await.unwrap();
            }
        }
        let loaded = Store::open(dir.path()).unwrap().load().unwrap().unwrap();
        assert_eq!(loaded.campaigns[0].entries[0], *c.entry(0).unwrap());
        assert_eq!(
            loaded.campaigns[0].entries[0].history.len(),
            4,
            "dialed, ringing, duplicate, completed"
        );
    }

    #[tokio::test]
    async fn load_reports_the_event_records_it_cannot_place() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            let entries: Vec<Entry> = (0..2).map(|i| Entry::new(i, phone(i))).collect();
            store.put_entries(1, &entries).unwrap();
            let event = br#"{"at":"2026-11-23T20:01:02.123Z","event":"dialed","applied":true}"#;
            store.events.insert([0u8, 1, 2], &event[..]).unwrap();
            let mut past = 7u64.to_be_bytes().to_vec();
            past.extend_from_slice(&0u32.to_be_bytes());
            store.events.insert(past, &event[..]).unwrap();
            let mut good = 1u64.to_be_bytes().to_vec();
            good.extend_from_slice(&0u32.to_be_bytes());
            store.events.insert(good, &event[..]).unwrap();
            let t = store.put_meta(Meta {
                started: true,
                version: 1,
            });
            store.durable(t.unwrap()).await.unwrap();
        }
        let loaded = Store::open(dir.path()).unwrap().load().unwrap().unwrap();
        assert_eq!(
            loaded.campaigns[0].entries[1].history.len(),
            1,
            "the good event is kept"
        );
        assert_eq!(
            loaded.skipped,
            vec![
                Skipped {
                    key: "000000000000000700000000".into(),
                    why: SkipReason::EventPastList { index: 7, len: 2 }
                },
                Skipped {
                    key: "000102".into(),
                    why: SkipReason::ShortEventKey
                },
            ]
        );
        assert_eq!(
            loaded.skipped[0].to_string(),
            "record 000000000000000700000000: an event of entry 7, past the list of 2"
        );
    }

    #[tokio::test]
    async fn an_imported_list_loads_with_its_changed_entries_laid_over_it() {
        use numdialer_core::{CampaignMeta, RetryPolicy, Timestamp};
        let dir = tempfile::tempdir().unwrap();
        let n = 3 * LIST_SLICE + 7;
        let mut list: Vec<Entry> = (0..n).map(|i| Entry::new(i, phone(i))).collect();
        {
            let store = Store::open(dir.path()).unwrap();
            for slice in list.chunks(2 * LIST_SLICE) {
                store.put_list(5, slice).unwrap();
            }
            // An import cut short: its list, and no campaign record.
            store.put_list(6, &list[..10]).unwrap();
            list[LIST_SLICE + 1].status = Status::Canceled;
            list[LIST_SLICE + 1].version = 2;
            store.put_entries(5, [&list[LIST_SLICE + 1]]).unwrap();
            let meta = CampaignMeta {
                id: 5,
                name: "imported".into(),
                state: CampaignState::Stopped,
                created_at: Timestamp(1),
                started_at: None,
                finished_at: None,
                start_seq: 0,
                retry: RetryPolicy::default(),
                columns: Vec::new(),
                idempotency_key: None,
                version: 2,
            };
            let t = store.put_campaign(&meta).unwrap();
            store.durable(t).await.unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let loaded = store.load().unwrap().unwrap();
        let ids: Vec<u64> = loaded.campaigns.iter().map(|c| c.meta.id).collect();
        assert_eq!(ids, [1, 5], "the cut-short import is not a campaign");
        assert_eq!(loaded.campaigns[1].entries, list);
        store.remove_orphans(&loaded.orphans).unwrap();
        assert_eq!(
            store.campaign_lists.scan_prefix(6u64.to_be_bytes()).count(),
            0,
            "the cut-short import's list is removed"
        );
        assert_eq!(
            store.campaign_lists.scan_prefix(5u64.to_be_bytes()).count(),
            4,
            "{n} entries in records of {LIST_SLICE}"
        );
    }

    #[tokio::test]
    async fn concurrent_writers_all_become_durable() {
        let store = Arc::new(Store::open_temporary().unwrap());
        let mut tasks = Vec::new();
        for i in 0..64 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let t = store.put_entries(1, [&Entry::new(i, phone(i))]).unwrap();
                store.durable(t).await.unwrap();
                t
            }));
        }
        for t in tasks {
            let ticket = t.await.unwrap();
            assert!(store.flusher.flushed() >= ticket);
        }
    }

    fn meta(id: u64) -> CampaignMeta {
        CampaignMeta {
            id,
            name: format!("c{id}"),
            state: CampaignState::Draft,
            ..CampaignMeta::first(false, 1)
        }
    }

    #[tokio::test]
    async fn campaigns_load_by_id_and_an_import_cut_short_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            let list: Vec<Entry> = (0..3).map(|i| Entry::new(i, phone(i))).collect();
            store.put_entries(1, &list).unwrap();
            for id in [2, 3, 4] {
                store.put_entries(id, &list[..id as usize - 1]).unwrap();
            }
            store.put_campaign(&meta(2)).unwrap();
            // Campaign 3's import never wrote its record; 4 was deleted.
            store.put_campaign(&meta(4)).unwrap();
            let retired = Retired {
                next_id: 5,
                version: 9,
                dialed: 2,
            };
            let t = store.delete_campaign(4, retired).unwrap();
            store.durable(t).await.unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let loaded = store.load().unwrap().unwrap();
        let ids: Vec<(u64, usize)> = loaded
            .campaigns
            .iter()
            .map(|c| (c.meta.id, c.entries.len()))
            .collect();
        assert_eq!(
            ids,
            [(1, 3), (2, 1)],
            "campaign 1 from the old trees, then 2"
        );
        assert_eq!(loaded.retired.next_id, 5);
        let marks = loaded.marks();
        assert_eq!(
            (marks.version, marks.dialed),
            (9 + 1, 2),
            "retired, plus campaign 2's 1"
        );
        assert_eq!(loaded.orphans, [3, 4], "found, not yet removed");
        assert!(
            store
                .campaign_entries
                .scan_prefix(3u64.to_be_bytes())
                .count()
                > 0
        );
        store.remove_orphans(&loaded.orphans).unwrap();
        for orphan in [3u64, 4] {
            let prefix = orphan.to_be_bytes();
            assert_eq!(
                store.campaign_entries.scan_prefix(prefix).count(),
                0,
                "{orphan}"
            );
        }
    }

    #[tokio::test]
    async fn a_change_that_adds_two_events_stores_both() {
        use numdialer_core::campaign::{Event, EventKind};
        use numdialer_core::{Outcome, Timestamp};
        let event = |kind| Event {
            at: Timestamp(1),
            kind,
            applied: true,
            note: None,
            attempt: 1,
        };
        let dir = tempfile::tempdir().unwrap();
        let mut e = Entry::new(0, phone(0));
        {
            let store = Store::open(dir.path()).unwrap();
            e.history.push(event(EventKind::Dialed));
            store.put_entries(2, [&e]).unwrap();
            // A timeout that earns a retry: two events in one change.
            e.history.push(event(EventKind::TimedOut { after_ms: 5 }));
            e.history.push(event(EventKind::RetryScheduled {
                outcome: Outcome::Failed,
                retry_at: Timestamp(9),
            }));
            store.put_entries(2, [&e]).unwrap();
            let t = store.put_campaign(&meta(2)).unwrap();
            store.durable(t).await.unwrap();
        }
        let loaded = Store::open(dir.path()).unwrap().load().unwrap().unwrap();
        assert_eq!(loaded.campaigns[1].entries[0].history, e.history);
    }
}
