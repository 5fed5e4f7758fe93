//! Do-not-call lists on disk: a number or prefix added one at a time is a
//! record under the key core builds for it ([`Pattern::key`]); the numbers
//! of a bulk upload are sorted arrays held in memory and stored in slices
//! ([`bulk`]); every change is in an append-only audit log.
//!
//! A dial asks the arrays first (a binary search each), then, only when
//! any single record exists, at most 32 keys
//! ([`numdialer_core::suppressions::keys_for`]). Directories written
//! before the arrays keep a bulk number as a record of [`BULK_LEN`] bytes
//! in the single tree, still read as they were.

mod bulk;

use super::{Store, StoreError};
use numdialer_core::Timestamp;
use numdialer_core::rules::SuppressionLookup;
use numdialer_core::suppressions::{
    self, Action, AuditRecord, Pattern, Scope, Source, Suppression,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A bulk record: a tag, its import's audit `seq`, its source and time.
const BULK_TAG: u8 = b'#';
const BULK_LEN: usize = 1 + 8 + 1 + 8;

/// Where a page of `GET /suppressions` goes on into the bulk arrays: a
/// key after every single record's (those start with `g` or `c`), then the
/// upload's `seq` and the number's place in it.
const BULK_PAGE: u8 = 0xff;

/// The two trees; cheap to clone (sled's trees are shared handles), so
/// that the dial-time rule holds its own.
#[derive(Clone, Debug)]
pub(super) struct Trees {
    /// Key: [`Pattern::key`]; value: a [`Suppression`] as JSON, or a bulk
    /// record.
    list: sled::Tree,
    /// Key: the record's `seq`, big-endian; value: an [`AuditRecord`].
    log: sled::Tree,
    /// Bulk uploads: per upload, a header and slices ([`bulk`]).
    bulk: sled::Tree,
    /// Numbers removed from bulk uploads. Key: [`Pattern::key`]; value:
    /// the removal's `seq`, big-endian.
    gone: sled::Tree,
    held: Arc<RwLock<bulk::Held>>,
    /// Records in `list`, so that a dial skips its 32 lookups when there
    /// are none.
    singles: Arc<AtomicU64>,
}

impl Trees {
    pub(super) fn open(db: &sled::Db) -> Result<Trees, StoreError> {
        let list = db.open_tree("suppressions")?;
        let singles = Arc::new(AtomicU64::new(list.len() as u64));
        let trees = Trees {
            list,
            log: db.open_tree("suppression_log")?,
            bulk: db.open_tree("suppression_bulk")?,
            gone: db.open_tree("suppression_bulk_gone")?,
            held: Arc::default(),
            singles,
        };
        let held = trees.load()?;
        *trees.held_mut() = held;
        Ok(trees)
    }

    /// Every bulk upload and tombstone, read into memory at open.
    fn load(&self) -> Result<bulk::Held, StoreError> {
        let corrupt = |key: &[u8], error| StoreError::Corrupt {
            key: format!("suppression_bulk/{}", hex(key)),
            error,
        };
        let mut held = bulk::Held::default();
        for kv in self.bulk.iter() {
            let (k, v) = kv?;
            match k.len() {
                8 => {
                    let seq = u64::from_be_bytes(k[..].try_into().expect("8 bytes"));
                    let header: bulk::Header =
                        serde_json::from_slice(&v).map_err(|e| corrupt(&k, e))?;
                    let audit = self.audit_record(seq)?;
                    held.copies.push(bulk::Copy {
                        seq,
                        header,
                        reason: audit.as_ref().map(|r| r.reason.clone()).unwrap_or_default(),
                        actor: audit.map(|r| r.actor).unwrap_or_default(),
                        numbers: Vec::new(),
                    });
                }
                12 => {
                    let seq = u64::from_be_bytes(k[..8].try_into().expect("8 bytes"));
                    let numbers = bulk::unpack(&v).ok_or_else(|| {
                        corrupt(&k, serde::de::Error::custom("a slice of no whole numbers"))
                    })?;
                    match held.copies.last_mut() {
                        Some(c) if c.seq == seq => c.numbers.extend(numbers),
                        _ => {
                            return Err(corrupt(
                                &k,
                                serde::de::Error::custom("a slice without its header"),
                            ));
                        }
                    }
                }
                _ => {
                    return Err(corrupt(
                        &k,
                        serde::de::Error::custom("a key of no known shape"),
                    ));
                }
            }
        }
        for c in &mut held.copies {
            c.numbers.shrink_to_fit();
        }
        for kv in self.gone.iter() {
            let (k, v) = kv?;
            let found = decode_key(&k).and_then(|(scope, p)| match p {
                Pattern::Exact(d) => Some((scope, bulk::number(&d)?)),
                Pattern::Prefix(_) => None,
            });
            let seq = <[u8; 8]>::try_from(&v[..]).ok().map(u64::from_be_bytes);
            let (Some(at), Some(seq)) = (found, seq) else {
                return Err(StoreError::Corrupt {
                    key: format!("suppression_bulk_gone/{}", hex(&k)),
                    error: serde::de::Error::custom("a tombstone of no known shape"),
                });
            };
            held.gone.insert(at, seq);
        }
        Ok(held)
    }

    fn held(&self) -> RwLockReadGuard<'_, bulk::Held> {
        self.held.read().unwrap_or_else(|p| p.into_inner())
    }

    fn held_mut(&self) -> RwLockWriteGuard<'_, bulk::Held> {
        self.held.write().unwrap_or_else(|p| p.into_inner())
    }

    fn find(&self, digits: &str, campaign: u64) -> Result<Option<Suppression>, StoreError> {
        if let Some(n) = bulk::number(digits)
            && let Some(c) = self.held().find(n, campaign)
        {
            return Ok(Some(c.suppression(n)));
        }
        if self.singles.load(Ordering::Acquire) == 0 {
            return Ok(None);
        }
        suppressions::find(digits, campaign, |key| self.at(key))
    }

    /// The bulk upload of `scope` holding `digits`, as a suppression.
    fn bulk_exact(&self, scope: Scope, digits: &str) -> Option<Suppression> {
        let n = bulk::number(digits)?;
        self.held().holds(scope, n).map(|c| c.suppression(n))
    }

    /// Suppressions held: single records, and bulk numbers less those
    /// removed.
    fn count(&self) -> u64 {
        self.singles.load(Ordering::Acquire) + self.held().count()
    }

    fn at(&self, key: &[u8]) -> Result<Option<Suppression>, StoreError> {
        let Some(v) = self.list.get(key)? else {
            return Ok(None);
        };
        self.read(key, &v).map(Some)
    }

    fn read(&self, key: &[u8], v: &[u8]) -> Result<Suppression, StoreError> {
        let corrupt = |error| StoreError::Corrupt {
            key: format!("suppressions/{}", String::from_utf8_lossy(key)),
            error,
        };
        if v.len() != BULK_LEN || v[0] != BULK_TAG {
            return serde_json::from_slice(v).map_err(corrupt);
        }
        let seq = u64::from_be_bytes(v[1..9].try_into().expect("8 bytes"));
        let source = Source::ALL
            .get(usize::from(v[9]))
            .copied()
            .unwrap_or(Source::Registry);
        let at = Timestamp(u64::from_be_bytes(v[10..18].try_into().expect("8 bytes")));
        let (scope, phone) = decode_key(key).ok_or_else(|| {
            corrupt(serde::de::Error::custom(
                "a suppression key of no known shape",
            ))
        })?;
        // The import's own record says why and who; an import cut short
        // by a crash has none, and its numbers still stop dials.
        let import = self.audit_record(seq)?;
        Ok(Suppression {
            phone,
            scope,
            source,
            reason: import
                .as_ref()
                .map(|r| r.reason.clone())
                .unwrap_or_default(),
            created_at: at,
            actor: import.map(|r| r.actor).unwrap_or_default(),
        })
    }

    /// Single records in key order, then each bulk upload's numbers,
    /// oldest upload first.
    fn page(
        &self,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Suppression)>, StoreError> {
        let in_bulk = after.and_then(|k| {
            let rest = k.strip_prefix(&[BULK_PAGE])?;
            let seq = u64::from_be_bytes(rest.get(..8)?.try_into().ok()?);
            let at = u64::from_be_bytes(rest.get(8..16)?.try_into().ok()?);
            Some((seq, at + 1))
        });
        let mut out = Vec::new();
        if in_bulk.is_none() {
            let range = match after {
                Some(k) => self
                    .list
                    .range::<&[u8], _>((std::ops::Bound::Excluded(k), std::ops::Bound::Unbounded)),
                None => self.list.iter(),
            };
            for kv in range.take(limit) {
                let (k, v) = kv?;
                out.push((k.to_vec(), self.read(&k, &v)?));
            }
        }
        let (from_seq, from) = in_bulk.unwrap_or((0, 0));
        let held = self.held();
        for c in held.copies.iter().filter(|c| c.seq >= from_seq) {
            let start = if c.seq == from_seq { from } else { 0 };
            for (i, &n) in c.numbers.iter().enumerate().skip(start as usize) {
                if out.len() >= limit {
                    return Ok(out);
                }
                if held
                    .gone
                    .get(&(c.header.scope, n))
                    .is_some_and(|&g| g > c.seq)
                {
                    continue;
                }
                let mut key = Vec::with_capacity(17);
                key.push(BULK_PAGE);
                key.extend_from_slice(&c.seq.to_be_bytes());
                key.extend_from_slice(&(i as u64).to_be_bytes());
                out.push((key, c.suppression(n)));
            }
        }
        Ok(out)
    }

    pub(super) fn audit_record(&self, seq: u64) -> Result<Option<AuditRecord>, StoreError> {
        self.log
            .get(seq.to_be_bytes())?
            .map(|v| {
                serde_json::from_slice(&v).map_err(|error| StoreError::Corrupt {
                    key: format!("suppression_log/{seq}"),
                    error,
                })
            })
            .transpose()
    }
}

/// The lists as an import checks a new campaign's numbers against them:
/// its own handle on the trees, and the global prefixes (a few) read once,
/// so that a number costs one lookup rather than a dial's 32. A new
/// campaign has no list of its own yet: only global ones apply.
#[derive(Debug)]
pub struct ImportScreen {
    trees: Trees,
    prefixes: Vec<Suppression>,
    /// No single record exists: nothing to look up in sled.
    empty: bool,
}

impl ImportScreen {
    /// The suppression that keeps `digits` out of a new campaign, if any:
    /// its exact one, else its longest global prefix.
    pub fn stops(&self, digits: &str) -> Result<Option<Suppression>, StoreError> {
        if let Some(s) = self.trees.bulk_exact(Scope::Global, digits) {
            return Ok(Some(s));
        }
        if self.empty {
            return Ok(None);
        }
        let exact = Pattern::Exact(digits.to_string()).key(Scope::Global);
        if let Some(s) = self.trees.at(&exact)? {
            return Ok(Some(s));
        }
        Ok(self
            .prefixes
            .iter()
            .filter(|s| s.phone.covers(digits))
            .max_by_key(|s| s.phone.digits().len())
            .cloned())
    }
}

/// The lists, paged in key order; cheap to clone.
#[derive(Debug, Clone)]
pub struct SuppressionPages(Trees);

impl SuppressionPages {
    /// See [`Store::suppressions_page`].
    pub fn page(
        &self,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Suppression)>, StoreError> {
        self.0.page(after, limit)
    }
}

/// A bulk import as its audit record will say it.
pub struct BulkImport<'a> {
    pub scope: Scope,
    pub source: Source,
    pub reason: &'a str,
    pub actor: &'a str,
    pub at: Timestamp,
    pub registry_date: Option<String>,
    /// A digest of the body read, computed by the caller as it streamed.
    pub digest: String,
}

impl Store {
    /// The suppression that stops a dial of `digits` in `campaign`, if any.
    pub fn suppression_for(
        &self,
        digits: &str,
        campaign: u64,
    ) -> Result<Option<Suppression>, StoreError> {
        self.suppressions.find(digits, campaign)
    }

    /// The global lists as an import reads them ([`ImportScreen`]).
    pub fn import_screen(&self) -> Result<ImportScreen, StoreError> {
        let trees = self.suppressions.clone();
        let start = Pattern::Prefix(String::new()).key(Scope::Global);
        let prefixes = trees
            .list
            .scan_prefix(&start)
            .map(|kv| {
                let (k, v) = kv?;
                trees.read(&k, &v)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let empty = trees.list.is_empty();
        Ok(ImportScreen {
            trees,
            prefixes,
            empty,
        })
    }

    /// Whether `digits` is suppressed exactly in `scope` (not by prefix).
    /// A read that fails says no: the dial-time rule, which holds a dial
    /// back when the lists cannot be read, still stops the number.
    pub fn holds_exactly(&self, scope: Scope, digits: &str) -> bool {
        if self.suppressions.bulk_exact(scope, digits).is_some() {
            return true;
        }
        if self.suppressions.singles.load(Ordering::Acquire) == 0 {
            return false;
        }
        let key = Pattern::Exact(digits.to_string()).key(scope);
        self.suppressions
            .list
            .contains_key(key)
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "a do-not-call list could not be read");
                false
            })
    }

    /// The lists as the dial-time rule asks them: its own handle on the
    /// trees, read under the engine's lock at each dial.
    pub fn suppression_lookup(&self) -> Arc<dyn SuppressionLookup> {
        Arc::new(self.suppressions.clone())
    }

    fn suppression_at(&self, key: &[u8]) -> Result<Option<Suppression>, StoreError> {
        self.suppressions.at(key)
    }

    /// Suppressions held, for the `numdialer_suppressions` gauge: single
    /// records, and bulk numbers (once per upload holding them) less those
    /// removed.
    pub fn suppression_count(&self) -> u64 {
        self.suppressions.count()
    }

    /// Adds one suppression and its audit record in one transaction, and
    /// returns the write's ticket: once it is durable, no dial of the
    /// number starts.
    pub fn add_suppression(&self, s: &Suppression) -> Result<u64, StoreError> {
        let seq = self.db.generate_id()? + 1;
        let record = AuditRecord {
            seq,
            at: s.created_at,
            action: Action::Add {
                phone: s.phone.clone(),
            },
            scope: s.scope,
            source: s.source,
            reason: s.reason.clone(),
            actor: s.actor.clone(),
        };
        self.log_and_set(&record, s.phone.key(s.scope), Some(json(s)), false)
    }

    /// Removes a suppression, leaving its tombstone in the audit log, and
    /// says what was removed (`None`: there was nothing to remove, and
    /// nothing is logged). A number of a bulk upload is removed by a
    /// tombstone beside the upload; a single record of it too, if any.
    pub fn remove_suppression(
        &self,
        phone: &Pattern,
        scope: Scope,
        reason: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<Option<(Suppression, u64)>, StoreError> {
        let key = phone.key(scope);
        let single = self.suppression_at(&key)?;
        let in_bulk = match phone {
            Pattern::Exact(d) => self.suppressions.bulk_exact(scope, d),
            Pattern::Prefix(_) => None,
        };
        let tombstone = in_bulk.is_some();
        let Some(removed) = single.or(in_bulk) else {
            return Ok(None);
        };
        let record = AuditRecord {
            seq: self.db.generate_id()? + 1,
            at,
            action: Action::Remove {
                phone: phone.clone(),
            },
            scope,
            source: removed.source,
            reason: reason.to_string(),
            actor: actor.to_string(),
        };
        let ticket = self.log_and_set(&record, key, None, tombstone)?;
        if tombstone && let Some(n) = bulk::number(phone.digits()) {
            self.suppressions
                .held_mut()
                .gone
                .insert((scope, n), record.seq);
        }
        Ok(Some((removed, ticket)))
    }

    /// Writes `record` to the log and sets (or removes) `key` in the single
    /// tree in one transaction, with a bulk tombstone under `key` when
    /// `tombstone`.
    fn log_and_set(
        &self,
        record: &AuditRecord,
        key: Vec<u8>,
        value: Option<Vec<u8>>,
        tombstone: bool,
    ) -> Result<u64, StoreError> {
        use sled::Transactional;
        let logged = json(record);
        let t = &self.suppressions;
        // sled may run this closure more than once: it only sets values,
        // and says whether the single tree held the key before.
        let had = (&t.list, &t.log, &t.gone)
            .transaction(|(list, log, gone)| {
                let had = match &value {
                    Some(v) => list.insert(key.as_slice(), v.as_slice())?,
                    None => list.remove(key.as_slice())?,
                }
                .is_some();
                if tombstone {
                    gone.insert(key.as_slice(), &record.seq.to_be_bytes())?;
                }
                log.insert(&record.seq.to_be_bytes(), logged.as_slice())?;
                Ok::<_, sled::transaction::ConflictableTransactionError<()>>(had)
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
                sled::transaction::TransactionError::Abort(()) => {
                    StoreError::Flush("suppression write aborted".into())
                }
            })?;
        match (&value, had) {
            (Some(_), false) => {
                t.singles.fetch_add(1, Ordering::AcqRel);
            }
            (None, true) => {
                t.singles.fetch_sub(1, Ordering::AcqRel);
            }
            _ => {}
        }
        Ok(self.flusher.written())
    }

    /// Adds the numbers of a bulk import (digits as integers,
    /// [`number_of`]) and its one audit record, and returns the record
    /// and the write's ticket. Nothing is written until every number is
    /// read: a bad one stores nothing. The numbers are sorted into one
    /// array, held at once, and written as a header and slices; a crash
    /// before the audit record leaves the slices written in force (the
    /// safe side), and the client, which got no answer, sends the file
    /// again.
    pub fn import_suppressions<E>(
        &self,
        numbers: impl IntoIterator<Item = Result<u64, E>>,
        import: BulkImport<'_>,
    ) -> Result<Result<(AuditRecord, u64), E>, StoreError> {
        let numbers = numbers.into_iter();
        let mut all = Vec::with_capacity(numbers.size_hint().0);
        for n in numbers {
            match n {
                Ok(n) => all.push(n),
                Err(e) => return Ok(Err(e)),
            }
        }
        let count = all.len() as u64;
        all.sort_unstable();
        all.dedup();
        all.shrink_to_fit();
        let seq = self.db.generate_id()? + 1;
        let header = bulk::Header {
            scope: import.scope,
            source: import.source,
            at: import.at,
        };
        let t = &self.suppressions;
        let mut batch = sled::Batch::default();
        batch.insert(&bulk::header_key(seq), json(&header));
        for (i, slices) in all.chunks(bulk::SLICE * bulk::SLICES_PER_BATCH).enumerate() {
            for (j, slice) in slices.chunks(bulk::SLICE).enumerate() {
                let n = i * bulk::SLICES_PER_BATCH + j;
                let n = u32::try_from(n).map_err(|_| {
                    StoreError::Flush("a bulk upload of more than 4 billion slices".into())
                })?;
                batch.insert(&bulk::slice_key(seq, n), bulk::pack(slice));
            }
            t.bulk.apply_batch(std::mem::take(&mut batch))?;
        }
        t.bulk.apply_batch(batch)?;
        let record = AuditRecord {
            seq,
            at: import.at,
            action: Action::Import {
                count,
                digest: import.digest,
                registry_date: import.registry_date,
            },
            scope: import.scope,
            source: import.source,
            reason: import.reason.to_string(),
            actor: import.actor.to_string(),
        };
        t.log.insert(seq.to_be_bytes(), json(&record))?;
        t.held_mut().copies.push(bulk::Copy {
            seq,
            header,
            reason: record.reason.clone(),
            actor: record.actor.clone(),
            numbers: all,
        });
        Ok(Ok((record, self.flusher.written())))
    }

    /// Up to `limit` suppressions after the key `after` (exclusive), in key
    /// order: every global one, then each campaign's.
    pub fn suppressions_page(
        &self,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Suppression)>, StoreError> {
        self.suppressions.page(after, limit)
    }

    /// A handle on the lists for a task of its own (an export read from a
    /// blocking thread).
    pub fn suppression_pages(&self) -> SuppressionPages {
        SuppressionPages(self.suppressions.clone())
    }

    /// Up to `limit` audit records after `after`, oldest first.
    pub fn suppression_log(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.suppressions
            .log
            .range((after + 1).to_be_bytes()..)
            .take(limit)
            .map(|kv| {
                let (k, v) = kv?;
                serde_json::from_slice(&v).map_err(|error| StoreError::Corrupt {
                    key: format!("suppression_log/{}", String::from_utf8_lossy(&k)),
                    error,
                })
            })
            .collect()
    }

    /// The newest registry import's `registry_date`, for the 31-day rule.
    pub fn newest_registry_date(&self) -> Result<Option<String>, StoreError> {
        for kv in self.suppressions.log.iter().rev() {
            let (_, v) = kv?;
            if let Ok(AuditRecord {
                action:
                    Action::Import {
                        registry_date: Some(d),
                        ..
                    },
                ..
            }) = serde_json::from_slice(&v)
            {
                return Ok(Some(d));
            }
        }
        Ok(None)
    }
}

/// A number's digits as a bulk import takes them; `None` for what is not
/// a number's digits.
pub fn number_of(digits: &str) -> Option<u64> {
    bulk::number(digits)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("suppression records always serialise")
}

/// The scope and pattern a key was built from ([`Pattern::key`]).
fn decode_key(key: &[u8]) -> Option<(Scope, Pattern)> {
    let (scope, rest) = match key.split_first()? {
        (b'g', rest) => (Scope::Global, rest),
        (b'c', rest) if rest.len() > 8 => {
            let (id, rest) = rest.split_at(8);
            (
                Scope::Campaign(u64::from_be_bytes(id.try_into().ok()?)),
                rest,
            )
        }
        _ => return None,
    };
    let (kind, digits) = rest.split_first()?;
    let digits = std::str::from_utf8(digits).ok()?.to_string();
    match kind {
        b'=' => Some((scope, Pattern::Exact(digits))),
        b'*' => Some((scope, Pattern::Prefix(digits))),
        _ => None,
    }
}

impl SuppressionLookup for Trees {
    fn find(&self, digits: &str, campaign: u64) -> Result<Option<Suppression>, String> {
        Trees::find(self, digits, campaign).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(phone: &str, scope: Scope) -> Suppression {
        Suppression {
            phone: Pattern::read(phone, None).unwrap(),
            scope,
            source: Source::Api,
            reason: "asked".into(),
            created_at: Timestamp(1_764_000_000_000),
            actor: "ops".into(),
        }
    }

    #[test]
    fn added_found_removed_and_every_change_logged() {
        let store = Store::open_temporary().unwrap();
        let s = one("+13018040009", Scope::Global);
        store.add_suppression(&s).unwrap();
        store
            .add_suppression(&one("+1206*", Scope::Campaign(2)))
            .unwrap();
        assert_eq!(
            store.suppression_for("13018040009", 5).unwrap(),
            Some(s.clone())
        );
        assert!(store.suppression_for("12062000001", 2).unwrap().is_some());
        assert!(store.suppression_for("12062000001", 3).unwrap().is_none());
        let (removed, _) = store
            .remove_suppression(&s.phone, Scope::Global, "by mistake", "ops", Timestamp(2))
            .unwrap()
            .unwrap();
        assert_eq!(removed, s);
        assert!(store.suppression_for("13018040009", 5).unwrap().is_none());
        assert!(
            store
                .remove_suppression(&s.phone, Scope::Global, "again", "ops", Timestamp(3))
                .unwrap()
                .is_none()
        );
        let log = store.suppression_log(0, 10).unwrap();
        let actions: Vec<_> = log.iter().map(|r| &r.action).collect();
        assert!(matches!(
            actions[..],
            [
                Action::Add { .. },
                Action::Add { .. },
                Action::Remove { .. }
            ]
        ));
        assert_eq!(log[2].reason, "by mistake");
        assert!(log.windows(2).all(|w| w[0].seq < w[1].seq));
    }

    #[test]
    fn a_bulk_import_is_one_audit_record_and_its_numbers_read_back_whole() {
        let store = Store::open_temporary().unwrap();
        let numbers = (0..10_000u64).map(|i| Ok::<_, ()>(13_012_000_000 + i));
        let (record, _) = store
            .import_suppressions(
                numbers,
                BulkImport {
                    scope: Scope::Global,
                    source: Source::Registry,
                    reason: "national registry",
                    actor: "cron",
                    at: Timestamp(7),
                    registry_date: Some("2026-11-30".into()),
                    digest: "d".into(),
                },
            )
            .unwrap()
            .unwrap();
        assert!(matches!(
            record.action,
            Action::Import { count: 10_000, .. }
        ));
        let s = store.suppression_for("13012009999", 4).unwrap().unwrap();
        assert_eq!(s.source, Source::Registry);
        assert_eq!(s.reason, "national registry");
        assert_eq!(s.created_at, Timestamp(7));
        assert_eq!(s.phone, Pattern::Exact("13012009999".into()));
        assert!(store.suppression_for("13012010000", 4).unwrap().is_none());
        assert_eq!(store.suppression_log(0, 10).unwrap().len(), 1);
        assert_eq!(
            store.newest_registry_date().unwrap().as_deref(),
            Some("2026-11-30")
        );
        let page = store.suppressions_page(None, 3).unwrap();
        assert_eq!(page.len(), 3);
        let next = store.suppressions_page(Some(&page[2].0), 3).unwrap();
        assert!(next[0].0 > page[2].0);
    }

    #[test]
    fn a_bad_line_stops_the_import_and_stores_and_logs_nothing() {
        let store = Store::open_temporary().unwrap();
        let numbers = vec![Ok(13_018_040_009), Err("line 2")];
        let r = store
            .import_suppressions(
                numbers,
                BulkImport {
                    scope: Scope::Global,
                    source: Source::Registry,
                    reason: "",
                    actor: "",
                    at: Timestamp(1),
                    registry_date: None,
                    digest: String::new(),
                },
            )
            .unwrap();
        assert_eq!(r.unwrap_err(), "line 2");
        assert!(store.suppression_log(0, 10).unwrap().is_empty());
        assert!(store.suppression_for("13018040009", 1).unwrap().is_none());
        assert_eq!(store.suppression_count(), 0, "nothing stored");
    }

    fn registry(at: u64) -> BulkImport<'static> {
        BulkImport {
            scope: Scope::Global,
            source: Source::Registry,
            reason: "national registry",
            actor: "cron",
            at: Timestamp(at),
            registry_date: None,
            digest: String::new(),
        }
    }

    #[tokio::test]
    async fn bulk_numbers_are_slices_on_disk_and_a_removal_outlives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let numbers: Vec<u64> = (0..5_000u64).map(|i| 13_012_000_000 + 2 * i).collect();
        {
            let store = Store::open(dir.path()).unwrap();
            store
                .add_suppression(&one("+1206*", Scope::Global))
                .unwrap();
            let shuffled = numbers.iter().rev().map(|&n| Ok::<_, ()>(n));
            store
                .import_suppressions(shuffled, registry(7))
                .unwrap()
                .unwrap();
            let values: Vec<usize> = store
                .suppressions
                .bulk
                .iter()
                .map(|kv| kv.unwrap().1.len())
                .collect();
            assert_eq!(values.len(), 1 + 5_000usize.div_ceil(bulk::SLICE));
            assert!(values.iter().all(|&l| l <= 6 * 1024), "{values:?}");
            assert_eq!(store.suppressions.list.len(), 1, "one record: the prefix");
            let gone = Pattern::Exact("13012000002".into());
            let (removed, _) = store
                .remove_suppression(&gone, Scope::Global, "asked", "ops", Timestamp(8))
                .unwrap()
                .unwrap();
            assert_eq!(removed.source, Source::Registry);
            assert!(store.suppression_for("13012000002", 3).unwrap().is_none());
            assert_eq!(store.suppression_count(), 1 + 5_000 - 1);
            store.sync().await.unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let s = store.suppression_for("13012009998", 3).unwrap().unwrap();
        assert_eq!(
            (s.reason.as_str(), s.created_at),
            ("national registry", Timestamp(7))
        );
        assert!(store.suppression_for("13012000002", 3).unwrap().is_none());
        assert!(store.suppression_for("13012000001", 3).unwrap().is_none());
        assert!(store.suppression_for("12065550100", 3).unwrap().is_some());
        assert_eq!(store.suppression_count(), 1 + 5_000 - 1);
        // A newer upload holds the removed number again.
        store
            .import_suppressions([Ok::<_, ()>(13_012_000_002)], registry(9))
            .unwrap()
            .unwrap();
        assert!(store.suppression_for("13012000002", 3).unwrap().is_some());
        let mut seen = 0;
        let mut after = None;
        loop {
            let page = store.suppressions_page(after.as_deref(), 700).unwrap();
            seen += page.len();
            match page.last() {
                Some((k, _)) if page.len() == 700 => after = Some(k.clone()),
                _ => break,
            }
        }
        assert_eq!(seen, 1 + 4_999 + 1, "every held suppression, paged");
    }
}
