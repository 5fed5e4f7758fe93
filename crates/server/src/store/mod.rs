//! The sled store: every entry as one record, every event as one record,
//! and a record per campaign.
//!
//! Campaign 1 keeps the trees and keys of the release before campaigns
//! (`entries`, `events`, and its `started`/`version` in `meta`), so that an
//! existing data directory opens as it is, with nothing rewritten. Other
//! campaigns' entries and events share two trees under keys that start with
//! the campaign's id. A campaign exists once its record in `campaigns` does:
//! an import writes its entries first and its record last, so that a crash
//! in between leaves only orphans, which the engine removes once the
//! directory is accepted.
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
//!
//! By job: `records` (what each tree holds and how its keys are built),
//! `load` (a directory read back), `flusher` (group commit), `manifest`
//! (what sled cannot roll back), `suppressions` (do-not-call lists and
//! their audit log), `outbox` (webhook endpoints and the events owed
//! to them) and `fields` (an import's extra columns, in files beside
//! sled's).

mod fields;
mod flusher;
mod load;
pub mod manifest;
pub mod outbox;
mod records;
mod suppressions;
#[cfg(test)]
mod tests;

pub use fields::{EntryText, FieldsFiles, names};
#[cfg(feature = "failpoints")]
pub use flusher::Faults;
pub use load::{SkipReason, Skipped, Stored, StoredCampaign};
pub use records::{CampaignRecords, Meta};
pub use suppressions::{BulkImport, ImportScreen, SuppressionPages, number_of};

use crate::metrics::Histogram;
use flusher::Flusher;
use numdialer_core::{CampaignMeta, Entry, Retired};
use records::{ID_KEY, META_KEY, RETIRED_KEY};
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
    #[error("store: {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
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

/// sled's page cache (its default is 1 GiB). The campaign keeps every entry
/// in memory anyway, so sled needs little cache of its own.
const CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// The directory of the imports' extra columns, inside the data directory.
const FIELDS_DIR: &str = "fields";

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
    /// Imported lists as uploaded, [`records::LIST_SLICE`] entries to a record.
    /// Key: campaign id then the index of the record's first entry.
    campaign_lists: sled::Tree,
    /// Do-not-call lists and their audit log.
    suppressions: suppressions::Trees,
    /// Webhook endpoints and the deliveries owed to them.
    outbox: outbox::Trees,
    /// Imported lists' extra columns, in `fields/` beside sled's files.
    fields: Arc<fields::FieldsFiles>,
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
            match Self::with_config(config.clone(), Some(dir.join(FIELDS_DIR))) {
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
        Self::with_config(sled::Config::new().temporary(true), None)
    }

    fn with_config(config: sled::Config, fields: Option<PathBuf>) -> Result<Self, StoreError> {
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
            suppressions: suppressions::Trees::open(&db)?,
            outbox: outbox::Trees::open(&db)?,
            fields: Arc::new(fields::FieldsFiles::new(fields)),
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

    /// Writes a new campaign's list (entries from index 0, none dialed), in
    /// batches so that none holds all of a large list
    /// ([`CampaignRecords::put_list`]). Their later changes go through
    /// [`Store::put_entries`].
    pub fn put_list(&self, campaign: u64, entries: &[Entry]) -> Result<u64, StoreError> {
        self.records_of(campaign).put_list(entries)?;
        Ok(self.flusher.written())
    }

    /// The names and extra columns of entries `from..to` of campaign `id`,
    /// read from its file; `None` when it has none and its entries hold
    /// their own.
    pub fn texts_of(
        &self,
        id: u64,
        from: usize,
        to: usize,
    ) -> Result<Option<Vec<EntryText>>, StoreError> {
        self.fields.read(id, from, to)
    }

    /// The names of entries `indices` (ascending) of campaign `id`, read
    /// from its file; `None` when it has none.
    pub fn names_of(
        &self,
        id: u64,
        indices: &[usize],
    ) -> Result<Option<Vec<Option<String>>>, StoreError> {
        fields::names(&self.fields, id, indices)
    }

    /// The files of the entries' names and extra columns, to read off the
    /// async runtime.
    pub fn texts(&self) -> Arc<FieldsFiles> {
        self.fields.clone()
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

    /// Writes campaign 1's facts as the release before campaigns did: for
    /// the tests that build such a directory.
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

    /// [`Store::durable`] for a task that can wait: it rides on the
    /// flushes its writers ask for, and asks for one itself only after
    /// `patience` (a write nobody waited on may never be flushed
    /// otherwise). The delivery of outbound events waits this way, so
    /// that it never puts a flush of its own ahead of a dial's.
    pub async fn durable_within(
        &self,
        ticket: u64,
        patience: std::time::Duration,
    ) -> Result<(), StoreError> {
        if !self.flush_each_write {
            let _ = tokio::time::timeout(patience, self.flusher.covered(ticket)).await;
        }
        self.durable(ticket).await
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
