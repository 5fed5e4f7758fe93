//! Do-not-call lists on disk: one record per number or prefix under the
//! key core builds for it ([`Pattern::key`]), and an append-only audit log.
//!
//! A dial asks at most 32 keys ([`numdialer_core::suppressions::keys_for`]),
//! so a list of any size costs a dial the same few microseconds and no
//! memory. A number added one at a time keeps its whole [`Suppression`];
//! a number of a bulk import (a registry copy holds millions) keeps only
//! what its import does not say for all of them — its source, when, and the
//! audit record that says the rest — in [`BULK_LEN`] bytes.

use super::{Store, StoreError};
use numdialer_core::Timestamp;
use numdialer_core::rules::SuppressionLookup;
use numdialer_core::suppressions::{
    self, Action, AuditRecord, Pattern, Scope, Source, Suppression,
};
use std::sync::Arc;

/// A bulk record: a tag, its import's audit `seq`, its source and time.
const BULK_TAG: u8 = b'#';
const BULK_LEN: usize = 1 + 8 + 1 + 8;

/// Numbers of a bulk import written in one sled batch.
const IMPORT_BATCH: usize = 4096;

/// The two trees; cheap to clone (sled's trees are shared handles), so
/// that the dial-time rule holds its own.
#[derive(Clone, Debug)]
pub(super) struct Trees {
    /// Key: [`Pattern::key`]; value: a [`Suppression`] as JSON, or a bulk
    /// record.
    list: sled::Tree,
    /// Key: the record's `seq`, big-endian; value: an [`AuditRecord`].
    log: sled::Tree,
}

impl Trees {
    pub(super) fn open(db: &sled::Db) -> Result<Trees, StoreError> {
        Ok(Trees {
            list: db.open_tree("suppressions")?,
            log: db.open_tree("suppression_log")?,
        })
    }

    fn find(&self, digits: &str, campaign: u64) -> Result<Option<Suppression>, StoreError> {
        suppressions::find(digits, campaign, |key| self.at(key))
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

    fn page(
        &self,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Suppression)>, StoreError> {
        let range = match after {
            Some(k) => self
                .list
                .range::<&[u8], _>((std::ops::Bound::Excluded(k), std::ops::Bound::Unbounded)),
            None => self.list.iter(),
        };
        range
            .take(limit)
            .map(|kv| {
                let (k, v) = kv?;
                Ok((k.to_vec(), self.read(&k, &v)?))
            })
            .collect()
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
    /// No list holds anything: nothing to look up.
    empty: bool,
}

impl ImportScreen {
    /// The suppression that keeps `digits` out of a new campaign, if any:
    /// its exact one, else its longest global prefix.
    pub fn stops(&self, digits: &str) -> Result<Option<Suppression>, StoreError> {
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
        self.log_and_set(&record, s.phone.key(s.scope), Some(json(s)))
    }

    /// Removes a suppression, leaving its tombstone in the audit log, and
    /// says what was removed (`None`: there was nothing to remove, and
    /// nothing is logged).
    pub fn remove_suppression(
        &self,
        phone: &Pattern,
        scope: Scope,
        reason: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<Option<(Suppression, u64)>, StoreError> {
        let key = phone.key(scope);
        let Some(removed) = self.suppression_at(&key)? else {
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
        let ticket = self.log_and_set(&record, key, None)?;
        Ok(Some((removed, ticket)))
    }

    fn log_and_set(
        &self,
        record: &AuditRecord,
        key: Vec<u8>,
        value: Option<Vec<u8>>,
    ) -> Result<u64, StoreError> {
        use sled::Transactional;
        let logged = json(record);
        // sled may run this closure more than once: it only sets values.
        (&self.suppressions.list, &self.suppressions.log)
            .transaction(|(list, log)| {
                match &value {
                    Some(v) => list.insert(key.as_slice(), v.as_slice())?,
                    None => list.remove(key.as_slice())?,
                };
                log.insert(&record.seq.to_be_bytes(), logged.as_slice())?;
                Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
                sled::transaction::TransactionError::Abort(()) => {
                    StoreError::Flush("suppression write aborted".into())
                }
            })?;
        Ok(self.flusher.written())
    }

    /// Adds the numbers of a bulk import in batches, then its one audit
    /// record, and returns the record and the write's ticket. The numbers
    /// stop dials as soon as their batch is durable; a crash before the
    /// audit record leaves them in force (the safe side), and the client,
    /// which got no answer, sends the file again.
    pub fn import_suppressions<E>(
        &self,
        numbers: impl IntoIterator<Item = Result<String, E>>,
        import: BulkImport<'_>,
    ) -> Result<Result<(AuditRecord, u64), E>, StoreError> {
        let seq = self.db.generate_id()? + 1;
        let mut value = [0u8; BULK_LEN];
        value[0] = BULK_TAG;
        value[1..9].copy_from_slice(&seq.to_be_bytes());
        value[9] = Source::ALL
            .iter()
            .position(|&s| s == import.source)
            .and_then(|i| u8::try_from(i).ok())
            .unwrap_or(0);
        value[10..18].copy_from_slice(&import.at.0.to_be_bytes());
        let mut count = 0u64;
        let mut batch = sled::Batch::default();
        let mut in_batch = 0;
        for n in numbers {
            let digits = match n {
                Ok(d) => d,
                Err(e) => return Ok(Err(e)),
            };
            batch.insert(Pattern::Exact(digits).key(import.scope), &value[..]);
            count += 1;
            in_batch += 1;
            if in_batch == IMPORT_BATCH {
                self.suppressions
                    .list
                    .apply_batch(std::mem::take(&mut batch))?;
                in_batch = 0;
            }
        }
        self.suppressions.list.apply_batch(batch)?;
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
        self.suppressions
            .log
            .insert(seq.to_be_bytes(), json(&record))?;
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
        let numbers = (0..10_000u64).map(|i| Ok::<_, ()>(format!("1301{:07}", 2_000_000 + i)));
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
    fn a_bad_line_stops_the_import_and_logs_nothing() {
        let store = Store::open_temporary().unwrap();
        let numbers = vec![Ok("13018040009".to_string()), Err("line 2")];
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
    }
}
