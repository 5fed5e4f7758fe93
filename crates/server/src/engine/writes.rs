//! Changes that clients ask for: a lifecycle operation, a new campaign, a
//! delete, and a provider's report on a call. Each is refused while the
//! store fails, written under the lock, and answered only once durable.

use super::{Engine, EngineError};
use crate::clock;
use crate::store::StoreError;
use numdialer_core::api::{CampaignSummary, WebhookAck};
use numdialer_core::{CallReport, Campaigns, NewCampaign, Operation, Status};
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
            (CampaignSummary::from(c), changed.is_some(), ticket)
        };
        if let Some(t) = ticket {
            tracing::info!(campaign = id, operation = %op, state = %summary.state, "campaign {}", summary.state);
            self.durable(t).await?;
            self.wake_driver.notify_one();
            self.wake_timer.notify_one();
        }
        Ok((summary, changed))
    }

    /// Stores a new campaign: its entries first, then its record, durable
    /// before it returns; started too if asked. An upload repeated with the
    /// same `Idempotency-Key` returns the campaign the first one created,
    /// and `false`.
    pub async fn create(&self, new: NewCampaign) -> Result<(CampaignSummary, bool), EngineError> {
        self.degradation.check()?;
        let _one_at_a_time = self.imports.lock().await;
        let id = {
            let mut all = self.lock();
            if let Some(id) = new.idempotency_key.as_deref().and_then(|k| all.by_key(k)) {
                let c = all.get(id).ok_or(EngineError::NoCampaign(id))?;
                return Ok((CampaignSummary::from(c), false));
            }
            all.reserve_id()
        };
        let total = new.entries.len();
        let records = self.store.records_of(id);
        let entries = new.entries;
        // Off the runtime: a million entries take a second to write.
        let written = tokio::task::spawn_blocking(move || {
            records.put_list(&entries)?;
            Ok::<_, StoreError>(entries)
        })
        .await;
        let entries = match written {
            Ok(Ok(entries)) => entries,
            Ok(Err(e)) => return Err(self.degradation.fail(e)),
            Err(e) => return Err(self.degradation.fail(StoreError::Flush(e.to_string()))),
        };
        let ticket = {
            let mut all = self.lock();
            all.create_reserved(id, NewCampaign { entries, ..new }, clock::wall());
            self.persist(&mut all, id, &[])?
        };
        self.durable(ticket).await?;
        tracing::info!(campaign = id, entries = total, "campaign created");
        // The campaign exists now, durably: a start that cannot be stored
        // leaves it a draft, and the answer says so by its state rather
        // than by an error that a client would answer with a second upload.
        if new.start
            && let Err(e) = self.operate(id, Operation::Start).await
        {
            tracing::warn!(campaign = id, "created, but not started: {e}");
        }
        Ok((self.summary(id).await?, true))
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

/// Entries waiting for a retry in the campaign of `token`.
fn retries_of(all: &Campaigns, token: &str) -> usize {
    Campaigns::campaign_of(token)
        .and_then(|id| all.get(id))
        .map_or(0, |c| c.count(Status::Waiting))
}
