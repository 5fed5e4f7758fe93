//! Do-not-call lists changed through the engine, so that an addition is
//! durable before it is answered: from that answer on, no dial of the
//! number begins (the dial-time rule reads the same store, under the
//! engine's lock, at each pick).

use super::{Engine, EngineError};
use crate::store::BulkImport;
use numdialer_core::suppressions::{AuditRecord, Pattern, Scope, Suppression};

impl Engine {
    fn check_scope(&self, scope: Scope) -> Result<(), EngineError> {
        match scope {
            Scope::Campaign(id) if self.lock().get(id).is_none() => {
                Err(EngineError::NoCampaign(id))
            }
            _ => Ok(()),
        }
    }

    /// Adds one suppression; answered once it is durable.
    pub async fn suppress(&self, s: &Suppression) -> Result<(), EngineError> {
        self.degradation.check()?;
        self.check_scope(s.scope)?;
        let ticket = self.store.add_suppression(s)?;
        self.durable(ticket).await?;
        Ok(())
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
        let Some((removed, ticket)) = self
            .store
            .remove_suppression(phone, scope, reason, actor, at)?
        else {
            return Ok(None);
        };
        self.durable(ticket).await?;
        Ok(Some(removed))
    }

    /// Adds the numbers of a bulk upload (already checked line by line,
    /// and bounded by the route's body limit) and its one audit record;
    /// answered once durable.
    pub async fn import_suppressions(
        &self,
        numbers: Vec<String>,
        import: BulkImport<'_>,
    ) -> Result<AuditRecord, EngineError> {
        self.degradation.check()?;
        self.check_scope(import.scope)?;
        let numbers = numbers.into_iter().map(Ok::<_, std::convert::Infallible>);
        let (record, ticket) = match self.store.import_suppressions(numbers, import)? {
            Ok(written) => written,
            Err(never) => match never {},
        };
        self.durable(ticket).await?;
        Ok(record)
    }
}
