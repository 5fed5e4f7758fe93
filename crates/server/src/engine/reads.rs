//! What clients read: statuses, summaries, one entry's detail, export pages
//! and health. A read is answered only once what it shows is durable, so
//! that whatever a client has seen survives a crash; while the store fails
//! it says so instead of waiting for a flush that fails.

use super::{Degraded, Engine, EngineError};
use crate::clock;
use numdialer_core::api::{CallDetail, CampaignSummary, CampaignsResponse, StatusesResponse};
use numdialer_core::{CampaignState, Entry, Status};
use std::sync::atomic::Ordering;

impl Engine {
    /// The store's failure, while it lasts.
    pub fn degraded(&self) -> Option<Degraded> {
        self.degradation.current()
    }

    /// Waits until what was read under the lock (with `ticket`) is durable,
    /// unless the store fails: then the answer says so instead.
    async fn settle_read(&self, ticket: u64) -> Option<String> {
        if self.degraded().is_none() {
            let _ = self.durable(ticket).await;
        }
        self.degraded().map(|d| d.reason)
    }

    /// The ticket of the latest write, read under the lock with what it
    /// covers.
    pub(super) fn read_ticket(&self) -> u64 {
        self.last_ticket.load(Ordering::SeqCst)
    }

    /// Campaign `id`'s statuses (only those changed after `since`, if
    /// given), answered only once they are durable: whatever a client has
    /// seen survives a crash. While the store fails, nothing changes, and
    /// the answer says `degraded` instead of waiting for a flush that
    /// fails. `with_summary` adds the campaign's summary.
    pub async fn snapshot(
        &self,
        id: u64,
        since: Option<u64>,
        with_summary: bool,
    ) -> Result<StatusesResponse, EngineError> {
        let (mut snap, ticket) = {
            let all = self.lock();
            let c = all.get(id).ok_or(EngineError::NoCampaign(id))?;
            let mut snap = match since {
                Some(v) => StatusesResponse::since(c, v, clock::wall()),
                None => StatusesResponse::of(c, clock::wall()),
            };
            snap.concurrency = all.settings().concurrency;
            if with_summary {
                snap.campaign = Some(CampaignSummary::from(c));
            }
            (snap, self.read_ticket())
        };
        snap.degraded = self.settle_read(ticket).await;
        Ok(snap)
    }

    /// Every campaign's summary.
    pub async fn list(&self) -> CampaignsResponse {
        let (resp, ticket) = {
            let all = self.lock();
            let resp = CampaignsResponse {
                version: all.version(),
                campaigns: all.iter().map(CampaignSummary::from).collect(),
            };
            (resp, self.read_ticket())
        };
        self.settle_read(ticket).await;
        resp
    }

    pub async fn summary(&self, id: u64) -> Result<CampaignSummary, EngineError> {
        let (summary, ticket) = {
            let all = self.lock();
            let c = all.get(id).ok_or(EngineError::NoCampaign(id))?;
            (CampaignSummary::from(c), self.read_ticket())
        };
        self.settle_read(ticket).await;
        Ok(summary)
    }

    /// One entry of campaign `id`, with every attempt's history.
    pub async fn detail(&self, id: u64, index: usize) -> Result<Option<CallDetail>, EngineError> {
        let (detail, ticket) = {
            let all = self.lock();
            let c = all.get(id).ok_or(EngineError::NoCampaign(id))?;
            let d = c.entry(index).map(CallDetail::from);
            (d, self.read_ticket())
        };
        if self.degraded().is_none() {
            self.durable(ticket).await?;
        }
        Ok(detail)
    }

    /// Rows of campaign `id` from `from`, at most `limit` of them, made by
    /// `row` under the lock: an export reads a large campaign in slices so
    /// that dialing never waits long behind it.
    pub fn entries_page<T>(
        &self,
        id: u64,
        from: usize,
        limit: usize,
        row: impl Fn(&Entry) -> T,
    ) -> Result<(Vec<T>, Vec<String>), EngineError> {
        let all = self.lock();
        let c = all.get(id).ok_or(EngineError::NoCampaign(id))?;
        let end = from.saturating_add(limit).min(c.len());
        let rows = c
            .entries()
            .get(from..end)
            .unwrap_or(&[])
            .iter()
            .map(row)
            .collect();
        Ok((rows, c.meta().columns.clone()))
    }

    /// Whether the store takes durable writes.
    pub fn store_ok(&self) -> Result<(), String> {
        match self.degraded() {
            Some(d) => Err(d.reason),
            None => self.store.health(),
        }
    }

    /// The Prometheus exposition for `GET /metrics`.
    pub fn metrics_text(&self) -> String {
        let (active, by_status, by_state) = {
            let all = self.lock();
            let by_status: Vec<(Status, usize)> = Status::ALL
                .into_iter()
                .map(|s| (s, all.iter().map(|c| c.count(s)).sum()))
                .collect();
            let by_state: Vec<(CampaignState, usize)> = CampaignState::ALL
                .into_iter()
                .map(|s| (s, all.iter().filter(|c| c.state() == s).count()))
                .collect();
            (all.active(), by_status, by_state)
        };
        self.metrics
            .render(active, &by_status, &by_state, self.store.flush_latency())
    }
}
