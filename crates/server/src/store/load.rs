//! Reading a data directory back: every campaign's record, its list with
//! its changed entries laid over it, and each entry's history; what cannot
//! be placed is listed, not dropped in silence.

use super::records::{
    EVENT_KEY_LEN, LEGACY_CAMPAIGN, META_KEY, Meta, RETIRED_KEY, decode, hex, key_index,
};
use super::{Store, StoreError};
use crate::store::manifest::Marks;
use numdialer_core::{CampaignMeta, Entry, Retired, Status};
use std::collections::BTreeMap;

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

impl Store {
    /// The stored campaigns, or `None` for a fresh directory. Entries and
    /// events of a campaign without a record (an import cut short) are
    /// listed in [`Stored::orphans`], not removed here.
    pub fn load(&self) -> Result<Option<Stored>, StoreError> {
        if self.entries.is_empty() && self.campaigns.is_empty() {
            return Ok(None);
        }
        let mut metas = self.campaign_records()?;
        let mut skipped = Vec::new();
        let legacy = self.legacy_meta(metas.remove(&LEGACY_CAMPAIGN))?;
        let mut campaigns = vec![self.load_legacy(legacy, &mut skipped)?];
        for meta in metas.into_values() {
            campaigns.push(self.load_imported(meta, &mut skipped)?);
        }
        let orphans = self.orphans(&campaigns)?;
        let retired = self.retired()?;
        Ok(Some(Stored {
            campaigns,
            retired,
            skipped,
            orphans,
        }))
    }

    /// Every campaign record, by id.
    fn campaign_records(&self) -> Result<BTreeMap<u64, CampaignMeta>, StoreError> {
        let mut metas = BTreeMap::new();
        for kv in self.campaigns.iter() {
            let (k, v) = kv?;
            let meta: CampaignMeta = decode(&v, || format!("campaign {:?}", key_index(&k)))?;
            metas.insert(meta.id, meta);
        }
        Ok(metas)
    }

    /// Campaign 1's record: `stored` if it has one, or else made from the
    /// facts the release before campaigns kept in `meta`.
    fn legacy_meta(&self, stored: Option<CampaignMeta>) -> Result<CampaignMeta, StoreError> {
        if let Some(meta) = stored {
            return Ok(meta);
        }
        let old = match self.meta.get(META_KEY)? {
            Some(v) => decode(&v, || "meta".into())?,
            None => Meta {
                started: false,
                version: 0,
            },
        };
        Ok(CampaignMeta::first(old.started, old.version))
    }

    /// Campaign 1, from the trees of the release before campaigns.
    fn load_legacy(
        &self,
        meta: CampaignMeta,
        skipped: &mut Vec<Skipped>,
    ) -> Result<StoredCampaign, StoreError> {
        let mut entries = read_entries(self.entries.iter(), 0)?;
        read_events(self.events.iter(), 0, &mut entries, skipped)?;
        Ok(StoredCampaign { meta, entries })
    }

    /// Any other campaign: its list as imported, its changed entries laid
    /// over it, then its events.
    fn load_imported(
        &self,
        meta: CampaignMeta,
        skipped: &mut Vec<Skipped>,
    ) -> Result<StoredCampaign, StoreError> {
        let prefix = meta.id.to_be_bytes();
        let mut entries = read_list(self.campaign_lists.scan_prefix(prefix))?;
        let changed = read_entries(self.campaign_entries.scan_prefix(prefix), 8)?;
        for e in changed {
            match entries.get_mut(e.index) {
                Some(slot) => *slot = e,
                None => entries.push(e),
            }
        }
        let events = self.campaign_events.scan_prefix(prefix);
        read_events(events, 8, &mut entries, skipped)?;
        self.fields.open(meta.id, &mut entries)?;
        Ok(StoredCampaign { meta, entries })
    }

    /// The ids that have lists, entries or a file of extra columns but no
    /// campaign record. One seek per campaign id present, not one step per
    /// record.
    fn orphans(&self, campaigns: &[StoredCampaign]) -> Result<Vec<u64>, StoreError> {
        let mut orphans: Vec<u64> = self
            .fields
            .ids()?
            .into_iter()
            .filter(|&id| id != LEGACY_CAMPAIGN && !campaigns.iter().any(|c| c.meta.id == id))
            .collect();
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
        Ok(orphans)
    }

    /// What outlives deleted campaigns; nothing yet if none was deleted.
    fn retired(&self) -> Result<Retired, StoreError> {
        match self.meta.get(RETIRED_KEY)? {
            Some(v) => decode(&v, || "retired".into()),
            None => Ok(Retired::default()),
        }
    }
}

type Records = sled::Iter;

/// A campaign's list from its records in `campaign_lists`, in order.
fn read_list(records: Records) -> Result<Vec<Entry>, StoreError> {
    let mut entries = Vec::new();
    for kv in records {
        let (k, v) = kv?;
        let slice: Vec<Entry> = decode(&v, || format!("list slice {}", hex(&k)))?;
        entries.extend(slice);
    }
    Ok(entries)
}

/// Entries from `records`, whose keys carry `skip` bytes of prefix.
fn read_entries(records: Records, skip: usize) -> Result<Vec<Entry>, StoreError> {
    records
        .map(|kv| {
            let (k, v) = kv?;
            decode(&v, || {
                format!("entry {:?}", k.get(skip..).and_then(key_index))
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
        let event = decode(&v, || format!("event of entry {index}"))?;
        entry.details_mut().history.push(event);
    }
    Ok(())
}
