//! What clients read: statuses, summaries, one entry's detail, export pages
//! and health. A read is answered only once what it shows is durable, so
//! that whatever a client has seen survives a crash; while the store fails
//! it says so instead of waiting for a flush that fails.

use super::{Degraded, Engine, EngineError};
use crate::clock;
use crate::store::{EntryText, StoreError, names};
use numdialer_core::api::{
    BeforeRestart, CallDetail, CallSummary, CampaignSummary, CampaignsResponse, StatusesResponse,
};
use numdialer_core::{Campaign, CampaignState, Entry, Now, Status};
use std::ops::Range;
use std::sync::atomic::Ordering;

/// Entries a statuses answer copies per lock.
pub const READ_SLICE: usize = 4096;

/// Names read from a campaign's file on the runtime for at most this many
/// entries; more are read on the blocking pool (a scattered delta reads
/// one line per entry).
const NAMES_INLINE: usize = 64;

/// A page of a statuses answer: the entries after index `after` (from
/// the first without it), at most `limit` of them (all without it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Page {
    pub after: Option<usize>,
    pub limit: Option<usize>,
}

/// The entries an answer shows: a run of indices, or the listed ones (a
/// delta's changed entries), in list order.
enum Wanted {
    Range(Range<usize>),
    Listed(Vec<usize>),
}

impl Wanted {
    fn len(&self) -> usize {
        match self {
            Wanted::Range(r) => r.len(),
            Wanted::Listed(l) => l.len(),
        }
    }

    /// The summaries of the `slice` of these entries that `c` still has,
    /// as its campaign shows them (with their zones while its calling
    /// hours are on).
    fn summaries(&self, c: &Campaign, slice: Range<usize>) -> Vec<CallSummary> {
        let hours = &c.meta().hours;
        match self {
            Wanted::Range(r) => c
                .entries()
                .get(r.start + slice.start..r.start + slice.end)
                .unwrap_or(&[])
                .iter()
                .map(|e| CallSummary::of(e, hours))
                .collect(),
            Wanted::Listed(l) => l[slice]
                .iter()
                .filter_map(|&i| c.entry(i).map(|e| CallSummary::of(e, hours)))
                .collect(),
        }
    }
}

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
    /// given, and only the `page` asked for), answered only once they are
    /// durable: whatever a client has seen survives a crash. While the
    /// store fails, nothing changes, and the answer says `degraded` instead
    /// of waiting for a flush that fails. `with_summary` adds the
    /// campaign's summary.
    ///
    /// A large answer is copied in slices of [`READ_SLICE`] entries, one
    /// lock each with a yield between, so that four clients reading a
    /// million entries in a loop never hold the dialing and the webhooks
    /// behind them. The counters and `version` are read first: an entry
    /// copied later is as new or newer, and a change after `version`
    /// shows in the next `since=version` answer.
    pub async fn snapshot(
        &self,
        id: u64,
        since: Option<u64>,
        with_summary: bool,
        page: Page,
    ) -> Result<StatusesResponse, EngineError> {
        let (mut snap, wanted, mut ticket, mut done) = {
            let all = self.lock();
            let c = all.get(id).ok_or(EngineError::NoCampaign(id))?;
            let mut snap = StatusesResponse::head(c, clock::wall());
            snap.concurrency = all.settings().concurrency;
            snap.before_restart = self.before_restart(c, clock::now());
            snap.real_provider = self.real_provider();
            if with_summary {
                snap.campaign = Some(self.summarize(c));
            }
            // A `since` from the future (a client that knew another data
            // directory) gets the whole list, as `StatusesResponse::since`.
            let changed = since.and_then(|v| c.changed_since(v));
            snap.since = changed.as_ref().and(since);
            let from = page.after.map_or(0, |a| a.saturating_add(1));
            let limit = page.limit.unwrap_or(usize::MAX);
            let wanted = match changed {
                Some(list) => Wanted::Listed(
                    list.into_iter()
                        .filter(|&i| i >= from)
                        .take(limit)
                        .collect(),
                ),
                None => Wanted::Range(from..from.saturating_add(limit).min(c.len())),
            };
            // A small answer is copied at once, under this lock.
            let mut done = 0;
            if wanted.len() <= READ_SLICE {
                snap.calls = wanted.summaries(c, 0..wanted.len());
                done = wanted.len();
            } else {
                snap.calls.reserve_exact(wanted.len());
            }
            (snap, wanted, self.read_ticket(), done)
        };
        while done < wanted.len() {
            tokio::task::yield_now().await;
            let slice = done..(done + READ_SLICE).min(wanted.len());
            let all = self.lock();
            let c = all.get(id).ok_or(EngineError::NoCampaign(id))?;
            snap.calls.extend(wanted.summaries(c, slice.clone()));
            ticket = self.read_ticket();
            done = slice.end;
        }
        self.name(id, &mut snap.calls).await?;
        Ok(self.settled(snap, ticket).await)
    }

    /// The calls of `c` in flight that an earlier run dialed (before this
    /// engine opened), and when, on the wall clock, the last of them times
    /// out: deadlines are kept on the monotonic clock, so the time left is
    /// added to `now.wall`. Walks only the calls holding a line.
    fn before_restart(&self, c: &Campaign, now: Now) -> Option<BeforeRestart> {
        let mut calls = 0;
        let mut last = 0;
        for (i, deadline) in c.deadlines() {
            // Without a dial time, it was stored by an older build: this
            // run dialed nothing without one.
            let dialed = c.entry(i).and_then(|e| e.details().dialed_at);
            if dialed.is_none_or(|at| at < self.opened_at) {
                calls += 1;
                last = last.max(deadline.since(now.mono));
            }
        }
        (calls > 0).then(|| BeforeRestart {
            calls,
            times_out_by: now.wall.plus_millis(last),
        })
    }

    /// `snap` once what it shows (read with `ticket`) is durable, or with
    /// the store's failure.
    async fn settled(&self, mut snap: StatusesResponse, ticket: u64) -> StatusesResponse {
        snap.degraded = self.settle_read(ticket).await;
        snap
    }

    /// Every campaign's summary.
    pub async fn list(&self) -> CampaignsResponse {
        let (resp, ticket) = {
            let all = self.lock();
            let resp = CampaignsResponse {
                version: all.version(),
                campaigns: all.iter().map(|c| self.summarize(c)).collect(),
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
            (self.summarize(c), self.read_ticket())
        };
        self.settle_read(ticket).await;
        Ok(summary)
    }

    /// One entry of campaign `id`, with every attempt's history.
    pub async fn detail(&self, id: u64, index: usize) -> Result<Option<CallDetail>, EngineError> {
        let (mut detail, ticket) = {
            let all = self.lock();
            let c = all.get(id).ok_or(EngineError::NoCampaign(id))?;
            let d = CallDetail::of(c, index);
            (d, self.read_ticket())
        };
        if let Some(d) = &mut detail {
            self.name(id, std::slice::from_mut(&mut d.call)).await?;
        }
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

    /// The names and extra columns of entries `from..to` of campaign `id`
    /// where the store keeps them apart from the entries (see
    /// `store/fields.rs`); `None` where the entries hold their own. A read
    /// that fails is the caller's error only: it changes nothing, so
    /// dialing goes on.
    pub fn stored_texts(
        &self,
        id: u64,
        from: usize,
        to: usize,
    ) -> Result<Option<Vec<EntryText>>, EngineError> {
        Ok(self.store.texts_of(id, from, to)?)
    }

    /// Gives `calls` of campaign `id` their names where the store keeps
    /// them apart from the entries: read after the entries were copied,
    /// outside the lock, and off the runtime when there are many.
    async fn name(&self, id: u64, calls: &mut [CallSummary]) -> Result<(), EngineError> {
        let texts = self.store.texts();
        if calls.is_empty() || !texts.has(id) {
            return Ok(());
        }
        let indices: Vec<usize> = calls.iter().map(|c| c.index).collect();
        let read = move || names(&texts, id, &indices);
        let found = if calls.len() > NAMES_INLINE {
            tokio::task::spawn_blocking(read)
                .await
                .map_err(|e| StoreError::Flush(format!("reading names: {e}")))??
        } else {
            read()?
        };
        for (call, name) in calls.iter_mut().zip(found.into_iter().flatten()) {
            call.name = name;
        }
        Ok(())
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
        let mut text = self.metrics.render(
            active,
            &by_status,
            &by_state,
            self.store.flush_latency(),
            self.store.suppression_count(),
        );
        let endpoints = self.outbound.figures(clock::wall());
        if !endpoints.is_empty() {
            text.push_str(&crate::metrics::render_endpoints(&endpoints));
        }
        text
    }
}
