//! Who answered: a provider's answering-machine detection results, and the
//! voicemails they call for.
//!
//! A result is applied like a status callback (refused while the store
//! fails, written under the lock, answered once durable). A voicemail is
//! not left from the webhook's own request: the provider waits for its
//! answer, and a call update may take a second. The order goes to a queue
//! that its own task ([`crate::driver::run_voicemail`]) empties, and the
//! update's outcome comes back through [`Engine::record_voicemail`].

use super::{Engine, EngineError};
use crate::clock;
use numdialer_core::VoicemailOrder;
use numdialer_core::answer::Detection;
use numdialer_core::api::WebhookAck;
use std::time::Duration;

impl Engine {
    /// Applies a provider's detection result on the call dialed under
    /// `token`.
    pub async fn detection(
        &self,
        token: &str,
        detection: Detection,
    ) -> Result<WebhookAck, EngineError> {
        self.degradation.check()?;
        let (by, raw, took) = (
            detection.answered_by,
            detection.raw.clone(),
            detection.duration_ms,
        );
        let (campaign, outcome, ticket) = {
            let mut all = self.lock();
            let (campaign, outcome) = all
                .apply_detection(token, detection, clock::now())
                .inspect_err(|e| tracing::warn!("detection result refused: {e}"))?;
            let ticket = self.persist(&mut all, campaign, &[outcome.index])?;
            (campaign, outcome, ticket)
        };
        tracing::info!(
            campaign,
            index = outcome.index,
            answered_by = %by,
            raw = raw.as_deref().unwrap_or_default(),
            applied = outcome.applied,
            "answering-machine result"
        );
        if outcome.applied {
            self.metrics.answer(by, took.map(Duration::from_millis));
        }
        if outcome.freed_slot {
            self.wake_driver.notify_one();
            self.wake_timer.notify_one();
        }
        self.durable(ticket).await?;
        if let Some(order) = outcome.voicemail {
            self.voicemails.lock().expect("voicemail queue").push(order);
            self.wake_voicemail.notify_one();
        }
        Ok(WebhookAck {
            applied: outcome.applied,
            status: outcome.status,
        })
    }

    /// The voicemails to leave now, oldest first.
    pub fn take_voicemails(&self) -> Vec<VoicemailOrder> {
        std::mem::take(&mut *self.voicemails.lock().expect("voicemail queue"))
    }

    /// Records how leaving `order`'s voicemail went. Not flushed here, as a
    /// dial's answer is not: the history keeps it once the next write is.
    pub fn record_voicemail(&self, order: &VoicemailOrder, result: Result<(), String>) {
        match &result {
            Ok(()) => tracing::info!(
                campaign = order.campaign,
                index = order.index,
                "voicemail left"
            ),
            Err(e) => tracing::warn!(
                campaign = order.campaign,
                index = order.index,
                "voicemail not left: {e}"
            ),
        }
        let mut all = self.lock();
        if all.record_voicemail(order, result, clock::wall()) {
            let _ = self.persist(&mut all, order.campaign, &[order.index]);
        }
    }
}
