//! Changes that clients ask for: a lifecycle operation, a new campaign, a
//! delete, and a provider's report on a call. Each is refused while the
//! store fails, written under the lock, and answered only once durable.

use super::{Engine, EngineError};
use crate::clock;
use crate::store::StoreError;
use numdialer_core::api::{CampaignSummary, WebhookAck};
use numdialer_core::{CallReport, Campaigns, NewCampaign, Operation, Outcome, Status};
use std::sync::atomic::Ordering;

impl Engine {
    /// A lifecycle operation on campaign `id`, durable before it returns.
    /// Returns the summary after it, and whether anything changed.
    pub async fn operate(
        &self,
        id: u64,
        op: Operation,
    ) -> Result<(CampaignSummary, bool), EngineError> {
        self.degradation.check()?;
        let (summary, changed, ticket) = {
            let mut all = self.lock();
            let changed = all.operate(id, op, clock::wall())?;
            let ticket = match &changed {
                // Only the campaign's record: the entries a stop cancels
                // were never dialed or are waiting, and a restart cancels
                // them again from the record (`Campaign::restore`), so a
                // stop of a million entries is one small write.
                Some(_) => Some(self.persist(&mut all, id, &[])?),
                None => None,
            };
            let c = all.get(id).ok_or(EngineError::NoCampaign(id))?;
            (self.summarize(c), changed.is_some(), ticket)
        };
        if let Some(t) = ticket {
            tracing::info!(campaign = id, operation = %op, state = %summary.state, "campaign {}", summary.state);
            self.durable(t).await?;
            self.wake_driver.notify_one();
            self.wake_timer.notify_one();
        }
        Ok((summary, changed))
    }

    /// The campaign that an earlier upload with `key` created, if one
    /// did: its summary when `digest` is that upload's (or the record
    /// predates digests), [`EngineError::KeyConflict`] when the key came
    /// with another body or other settings. Asked before a body is parsed,
    /// so that a retried upload costs a hash, not an import.
    pub async fn replay(
        &self,
        key: &str,
        digest: &str,
    ) -> Result<Option<CampaignSummary>, EngineError> {
        let (summary, ticket) = {
            let all = self.lock();
            let Some(summary) = replayed(&all, key, digest)? else {
                return Ok(None);
            };
            (self.said(summary), self.read_ticket())
        };
        if self.degraded().is_none() {
            self.durable(ticket).await?;
        }
        Ok(Some(summary))
    }

    /// Stores a new campaign: its entries first, then its record, durable
    /// before it returns; started too if asked. An upload repeated with the
    /// same `Idempotency-Key` and digest returns the campaign the first one
    /// created, and `false`; the key with another digest is refused.
    ///
    /// Entries whose numbers are on a global do-not-call list are kept in
    /// the list, final (`canceled · suppressed`); the third value counts
    /// them (for a repeated upload, the campaign's `suppressed` outcomes).
    /// A suppression added while the list is written is not among them,
    /// and the dial-time rule stops it instead.
    pub async fn create(
        &self,
        new: NewCampaign,
    ) -> Result<(CampaignSummary, bool, usize), EngineError> {
        self.degradation.check()?;
        let _one_at_a_time = self.imports.lock().await;
        let id = {
            let mut all = self.lock();
            if let Some(key) = new.idempotency_key.as_deref() {
                let digest = new.idempotency_digest.as_deref().unwrap_or_default();
                if let Some(summary) = replayed(&all, key, digest)? {
                    let suppressed = summary.outcome(Outcome::Suppressed);
                    return Ok((self.said(summary), false, suppressed));
                }
            }
            super::full(all.len(), self.max_campaigns.load(Ordering::Relaxed))?;
            all.reserve_id()
        };
        let total = new.entries.len();
        let records = self.store.records_of(id);
        let screen = self.store.import_screen()?;
        let mut entries = new.entries;
        // Off the runtime: a million entries take a second to write.
        let written = tokio::task::spawn_blocking(move || {
            let now = clock::wall();
            let mut suppressed = Vec::new();
            for e in &mut entries {
                if let Some(s) = screen.stops(e.phone.digits())? {
                    e.suppress_at_import(s.reason_for_entry(), now);
                    suppressed.push(e.index);
                }
            }
            records.put_fields(&mut entries)?;
            records.put_list(&entries)?;
            Ok::<_, StoreError>((entries, suppressed))
        })
        .await;
        let (entries, suppressed) = match written {
            Ok(Ok(entries)) => entries,
            Ok(Err(e)) => return Err(self.degradation.fail(e)),
            Err(e) => return Err(self.degradation.fail(StoreError::Flush(e.to_string()))),
        };
        let ticket = {
            let mut all = self.lock();
            all.create_reserved(id, NewCampaign { entries, ..new }, clock::wall());
            // Their history too, which the list's slices do not hold.
            self.persist(&mut all, id, &suppressed)?
        };
        self.durable(ticket).await?;
        self.metrics.suppressed_at_import(suppressed.len() as u64);
        tracing::info!(
            campaign = id,
            entries = total,
            suppressed = suppressed.len(),
            "campaign created"
        );
        // The campaign exists now, durably: a start that cannot be stored
        // leaves it a draft, and the answer says so by its state rather
        // than by an error that a client would answer with a second upload.
        if new.start
            && let Err(e) = self.operate(id, Operation::Start).await
        {
            tracing::warn!(campaign = id, "created, but not started: {e}");
        }
        Ok((self.summary(id).await?, true, suppressed.len()))
    }

    /// Deletes a campaign that is over or never started, durably; its
    /// records go after.
    pub async fn delete(&self, id: u64) -> Result<(), EngineError> {
        self.degradation.check()?;
        let ticket = {
            let mut all = self.lock();
            all.delete(id)?;
            let t = self
                .store
                .delete_campaign(id, all.retired())
                .map_err(|e| self.degradation.fail(e))?;
            self.publish(&all, &[id]);
            self.outbound.forget(id);
            self.last_ticket.fetch_max(t, Ordering::SeqCst);
            t
        };
        self.durable(ticket).await?;
        tracing::info!(campaign = id, "campaign deleted");
        let records = self.store.records_of(id);
        let removed = tokio::task::spawn_blocking(move || records.remove()).await;
        if let Ok(Err(e)) = removed {
            tracing::warn!(
                campaign = id,
                "the deleted campaign's records stay until the next start: {e}"
            );
        }
        Ok(())
    }

    /// Applies a provider's report on the call dialed under `token`.
    pub async fn report(&self, token: &str, report: CallReport) -> Result<WebhookAck, EngineError> {
        let began = std::time::Instant::now();
        let (id, event) = (report.id.clone(), report.event.clone());
        self.degradation.check()?;
        let applied = {
            let mut all = self.lock();
            let before = retries_of(&all, token);
            all.apply_report(token, report, clock::now())
                .map_err(EngineError::from)
                .and_then(|(campaign, o)| {
                    if retries_of(&all, token) > before {
                        self.metrics.retries_scheduled(1);
                    }
                    Ok((campaign, o, self.persist(&mut all, campaign, &[o.index])?))
                })
        };
        let (campaign, outcome, ticket) = match applied {
            Ok(v) => v,
            Err(e) => {
                self.metrics.webhook(&event, None);
                tracing::warn!(
                    call_id = id.as_number(),
                    call_sid = id.as_text(),
                    status = event.as_str(),
                    "webhook refused: {e}"
                );
                return Err(e);
            }
        };
        self.metrics.webhook(&event, Some(outcome.effect));
        tracing::info!(
            campaign,
            index = outcome.index,
            call_id = id.as_number(),
            call_sid = id.as_text(),
            status = event.as_str(),
            outcome = outcome.effect.as_str(),
            "webhook"
        );
        // The next dial is flushed before it leaves, which also covers this
        // write, so the driver may start before this webhook is durable.
        if outcome.freed_slot {
            self.wake_driver.notify_one();
        }
        // A freed line, or a call that now waits for its answering-machine
        // result: either way a deadline changed.
        if outcome.freed_slot || outcome.applied {
            self.wake_timer.notify_one();
        }
        self.durable(ticket).await?;
        self.metrics.webhook_latency.observe(began.elapsed());
        Ok(WebhookAck {
            applied: outcome.applied,
            status: outcome.status,
        })
    }
}

/// The summary of the campaign that `key` created, if it did and `digest`
/// matches what created it. A record without a digest (written before
/// digests were kept) matches any upload, as every upload did then.
fn replayed(
    all: &Campaigns,
    key: &str,
    digest: &str,
) -> Result<Option<CampaignSummary>, EngineError> {
    let Some(id) = all.by_key(key) else {
        return Ok(None);
    };
    let c = all.get(id).ok_or(EngineError::NoCampaign(id))?;
    match c.meta().idempotency_digest.as_deref() {
        Some(stored) if stored != digest => Err(EngineError::KeyConflict {
            key: key.to_string(),
            id,
        }),
        _ => Ok(Some(CampaignSummary::from(c))),
    }
}

/// Entries waiting for a retry in the campaign of `token`.
fn retries_of(all: &Campaigns, token: &str) -> usize {
    Campaigns::campaign_of(token)
        .and_then(|id| all.get(id))
        .map_or(0, |c| c.count(Status::Waiting))
}

#[cfg(test)]
mod tests {
    use super::*;
    use numdialer_core::{
        Campaign, CampaignMeta, Entry, Mono, Now, Phone, Retired, Settings, Timestamp,
    };

    /// A registry holding campaign 2, created with `key`, from the record
    /// `meta` as the store would read it.
    fn holding(meta: serde_json::Value) -> Campaigns {
        let settings = Settings {
            concurrency: 1,
            call_timeout_ms: 60_000,
        };
        let meta: CampaignMeta = serde_json::from_value(meta).unwrap();
        let entries = vec![Entry::new(0, Phone::parse("13018040009").unwrap())];
        let now = Now {
            wall: Timestamp(1),
            mono: Mono(0),
        };
        let c = Campaign::restore(meta, entries, settings, now).unwrap();
        Campaigns::new(vec![c], Retired::default(), settings)
    }

    fn record(digest: Option<&str>) -> serde_json::Value {
        let mut meta = serde_json::to_value(CampaignMeta {
            id: 2,
            idempotency_key: Some("k".into()),
            ..CampaignMeta::first(false, 1)
        })
        .unwrap();
        if let Some(d) = digest {
            meta["idempotency_digest"] = d.into();
        }
        meta
    }

    #[test]
    fn a_key_stored_before_digests_matches_any_upload() {
        let all = holding(record(None));
        for digest in ["sha1:aa", "sha1:bb", ""] {
            let s = replayed(&all, "k", digest).unwrap().unwrap();
            assert_eq!(s.id, 2);
        }
        assert!(replayed(&all, "k ", "sha1:aa").unwrap().is_none());
    }

    #[test]
    fn a_key_with_its_digest_matches_that_upload_only() {
        let all = holding(record(Some("sha1:aa")));
        assert_eq!(replayed(&all, "k", "sha1:aa").unwrap().unwrap().id, 2);
        match replayed(&all, "k", "sha1:bb") {
            Err(EngineError::KeyConflict { key, id }) => assert_eq!((key.as_str(), id), ("k", 2)),
            other => panic!("{other:?}"),
        }
        assert!(replayed(&all, "other", "sha1:bb").unwrap().is_none());
    }
}
