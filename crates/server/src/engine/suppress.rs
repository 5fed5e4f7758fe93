//! Do-not-call lists changed through the engine, so that an addition is
//! durable before it is answered: from that answer on, no dial of the
//! number begins (the dial-time rule reads the same store, under the
//! engine's lock, at each pick).
//!
//! An addition also cancels at once the idle and waiting entries it stops
//! in every campaign not final, written with it before the answer, so
//! that the lists and the statuses a client reads agree from then on
//! rather than at each entry's turn.

use super::{Engine, EngineError};
use crate::clock;
use crate::store::BulkImport;
use numdialer_core::Campaigns;
use numdialer_core::suppressions::{self, AuditRecord, Pattern, Scope, Suppression};
use numdialer_core::webhooks::EventType;

impl Engine {
    fn check_scope(&self, scope: Scope) -> Result<(), EngineError> {
        match scope {
            Scope::Campaign(id) if self.lock().get(id).is_none() => {
                Err(EngineError::NoCampaign(id))
            }
            _ => Ok(()),
        }
    }

    /// Adds one suppression and cancels the entries it stops; answered
    /// once both are durable. Under the engine's lock, so that no pick
    /// falls between the two.
    pub async fn suppress(&self, s: &Suppression) -> Result<(), EngineError> {
        self.degradation.check()?;
        let ticket = {
            let mut all = self.lock();
            if let Scope::Campaign(id) = s.scope
                && all.get(id).is_none()
            {
                return Err(EngineError::NoCampaign(id));
            }
            // Its event goes first, as a campaign change's does.
            let event = self.outbound.collect_other(
                &self.store,
                EventType::SuppressionCreated,
                serde_json::to_value(s).expect("suppressions serialise"),
                clock::wall(),
            )?;
            self.store.put_outbox(event.deliveries(), &[])?;
            let written = self.store.add_suppression(s)?;
            self.outbound.stored(event, written);
            let reason = s.reason_for_entry();
            let changed = all.suppress(
                s.scope,
                |digits, _| s.phone.covers(digits).then(|| reason.clone()),
                clock::wall(),
            );
            self.persist_suppressed(&mut all, changed)?
                .map_or(written, |t| t.max(written))
        };
        self.durable(ticket).await?;
        Ok(())
    }

    /// Writes the entries a suppression canceled, logs and counts them;
    /// the ticket of the last write, if any.
    fn persist_suppressed(
        &self,
        all: &mut Campaigns,
        changed: Vec<(u64, Vec<usize>)>,
    ) -> Result<Option<u64>, EngineError> {
        let mut ticket = None;
        for (id, indices) in changed {
            tracing::info!(
                campaign = id,
                entries = indices.len(),
                "entries canceled: their number was put on a do-not-call list"
            );
            self.metrics.suppressed_at_dial(indices.len() as u64);
            ticket = Some(self.persist(all, id, &indices)?);
        }
        Ok(ticket)
    }

    /// Removes one, leaving its tombstone; `None` when there was none.
    /// Entries it had already canceled stay canceled.
    pub async fn unsuppress(
        &self,
        phone: &Pattern,
        scope: Scope,
        reason: &str,
        actor: &str,
    ) -> Result<Option<Suppression>, EngineError> {
        self.degradation.check()?;
        let at = crate::clock::now().wall;
        let Some((removed, written)) = self
            .store
            .remove_suppression(phone, scope, reason, actor, at)?
        else {
            return Ok(None);
        };
        // Written after the removal, which alone says whether there was
        // one, and made durable by the same flush before the answer: a
        // crash before it loses both or, unanswered, the event alone.
        let mut data = serde_json::to_value(&removed).expect("suppressions serialise");
        data["removed_reason"] = reason.into();
        let event =
            self.outbound
                .collect_other(&self.store, EventType::SuppressionRemoved, data, at)?;
        self.store.put_outbox(event.deliveries(), &[])?;
        let ticket = self.store.sync_ticket().max(written);
        self.outbound.stored(event, ticket);
        self.durable(ticket).await?;
        Ok(Some(removed))
    }

    /// Adds the numbers of a bulk upload (already checked line by line,
    /// and bounded by the route's body limit) and its one audit record;
    /// answered once durable.
    pub async fn import_suppressions(
        &self,
        numbers: Vec<u64>,
        import: BulkImport<'_>,
    ) -> Result<AuditRecord, EngineError> {
        self.degradation.check()?;
        self.check_scope(import.scope)?;
        let numbers = numbers.into_iter().map(Ok::<_, std::convert::Infallible>);
        // Sorting and writing ten million numbers takes a second: off the
        // worker, so that dials and webhooks go on meanwhile.
        let write = || self.store.import_suppressions(numbers, import);
        let multi_thread = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let written = if multi_thread {
            tokio::task::block_in_place(write)
        } else {
            write()
        };
        let (record, written) = match written? {
            Ok(written) => written,
            Err(never) => match never {},
        };
        let ticket = {
            let mut all = self.lock();
            // The import holds numbers only, in an array: one binary search
            // per idle or waiting entry, not the dial's 32 lookups.
            let reason = Suppression {
                phone: Pattern::Exact(String::new()),
                scope: record.scope,
                source: record.source,
                reason: record.reason.clone(),
                created_at: record.at,
                actor: record.actor.clone(),
            }
            .reason_for_entry();
            let store = &self.store;
            let changed = all.suppress(
                record.scope,
                |digits, _| {
                    store
                        .holds_exactly(record.scope, digits)
                        .then(|| reason.clone())
                },
                clock::wall(),
            );
            self.persist_suppressed(&mut all, changed)?
                .map_or(written, |t| t.max(written))
        };
        self.durable(ticket).await?;
        if let suppressions::Action::Import {
            registry_date: Some(d),
            ..
        } = &record.action
        {
            *crate::sync::lock(&self.registry_date) = Some(d.clone());
            // A campaign held for want of a current copy may dial now.
            self.wake_driver.notify_one();
        }
        Ok(record)
    }
}
