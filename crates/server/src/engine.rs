//! The campaigns behind one lock, persisted: every change is written to the
//! store under the lock (so records land in order) and made durable before
//! the caller acknowledges it.

use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::store::manifest::Marks;
use crate::store::{Skipped, Store, StoreError, Stored};
use numdialer_core::api::{
    CallDetail, CampaignSummary, CampaignsResponse, StatusesResponse, WebhookAck,
};
use numdialer_core::campaign::FIRST;
use numdialer_core::{
    AlreadyStarted, CallReport, Campaign, CampaignState, Campaigns, DeleteError, DialAnswer,
    DialOrder, Entry, Mono, NewCampaign, Now, Operation, OperationError, Phone, RestoreError,
    Settings, Status, Timestamp, WebhookError,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{Notify, watch};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    AlreadyStarted(#[from] AlreadyStarted),
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    #[error(transparent)]
    Operation(#[from] OperationError),
    #[error(transparent)]
    Delete(#[from] DeleteError),
    #[error("no campaign {0}")]
    NoCampaign(u64),
    #[error("the data directory is unusable: {0}")]
    Restore(#[from] RestoreError),
    #[error(
        "the data directory holds a different list of {stored} numbers than the {given} given; \
         use a fresh --data-dir for a new list"
    )]
    ListMismatch { stored: usize, given: usize },
    #[error(
        "the store is failing ({0}): nothing is changed or dialed until it works again; \
         try again later"
    )]
    Degraded(String),
}

/// The store failed: since when, and why.
#[derive(Debug, Clone)]
pub struct Degraded {
    pub reason: String,
    pub since: std::time::Instant,
}

/// The wall clock: what is shown and stored, never what a deadline is
/// measured on.
pub fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Timestamp(ms)
}

/// The monotonic clock that call deadlines are measured on, in milliseconds
/// since this process first read it. `Instant` never moves when the system
/// clock is stepped, so a step can neither fail calls in flight nor hold
/// their lines. Like tokio's timers, it stands still while the machine
/// sleeps.
pub fn mono_now() -> Mono {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    Mono(ORIGIN.get_or_init(Instant::now).elapsed().as_millis() as u64)
}

/// Both clocks, for the campaign methods that start or check a deadline.
pub fn clock() -> Now {
    Now {
        wall: now(),
        mono: mono_now(),
    }
}

/// Every campaign's version and the directory's, for long polls: waiters
/// read this, never the engine's lock.
#[derive(Debug, Clone, Default)]
struct Versions {
    all: u64,
    campaigns: HashMap<u64, u64>,
}

pub struct Engine {
    campaigns: Mutex<Campaigns>,
    store: Store,
    /// Wakes the driver: dialing started or a line was freed.
    pub(crate) wake_driver: Notify,
    /// Wakes the timeout task: a new deadline exists.
    pub(crate) wake_timer: Notify,
    versions: watch::Sender<Versions>,
    pub metrics: Metrics,
    /// The store ticket of the latest write, so that reads can wait until
    /// what they show is durable.
    last_ticket: AtomicU64,
    /// Set while the store fails: nothing changes and nothing is dialed
    /// until a flush succeeds again, so that no change is acknowledged and
    /// no call placed without a durable record.
    degraded: Mutex<Option<Degraded>>,
    /// Wakes the healer: the store just failed.
    pub(crate) wake_healer: Notify,
    /// A dial whose `dialing` record could not be made durable, so it was
    /// never sent: it goes out first once the store works again.
    unsent: Mutex<Option<DialOrder>>,
    /// Entries whose change could not even be written (not only not
    /// flushed) while the store failed: written again by the heal.
    unwritten: Mutex<Vec<(u64, usize)>>,
    /// Serialises imports, so that two uploads with one `Idempotency-Key`
    /// cannot both create a campaign.
    imports: tokio::sync::Mutex<()>,
}

impl Engine {
    /// Opens the campaigns that `store` held (`stored`, what
    /// [`Store::load`] read, so that the caller could check it first), or
    /// creates campaign 1 from `numbers` when it held none. `explicit` says
    /// the list was chosen by the user, so a stored campaign 1 that differs
    /// from it is an error rather than silently kept.
    pub fn open(
        store: Store,
        stored: Option<Stored>,
        numbers: Vec<Phone>,
        explicit: bool,
        concurrency: usize,
        call_timeout: Duration,
    ) -> Result<Self, EngineError> {
        let metrics = Metrics::default();
        let settings = Settings {
            concurrency,
            call_timeout_ms: call_timeout.as_millis() as u64,
        };
        // The ticket of what opening wrote: the manifest may count it only
        // once it is durable.
        let mut opened = 0;
        let campaigns = match stored {
            Some(stored) => {
                report_skipped(&stored.skipped);
                store.remove_orphans(&stored.orphans)?;
                metrics.store_skipped(stored.skipped.len());
                let first = stored.campaigns.first();
                let phones: Vec<&Phone> = first
                    .map(|c| c.entries.iter().map(|e| &e.phone).collect())
                    .unwrap_or_default();
                if explicit && phones != numbers.iter().collect::<Vec<_>>() {
                    return Err(EngineError::ListMismatch {
                        stored: phones.len(),
                        given: numbers.len(),
                    });
                }
                let now = clock();
                let list = stored
                    .campaigns
                    .into_iter()
                    .map(|c| Campaign::restore(c.meta, c.entries, settings, now))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut all = Campaigns::new(list, stored.retired, settings);
                let ids: Vec<u64> = all.iter().map(Campaign::id).collect();
                for id in ids {
                    if let Some(meta) = all.get_mut(id).and_then(Campaign::take_meta) {
                        opened = opened.max(store.put_campaign(&meta)?);
                    }
                }
                all
            }
            None => {
                let mut c = Campaign::new(numbers, settings);
                // In slices: one sled batch of a whole large list holds
                // hundreds of bytes per entry in memory long after.
                for slice in c.entries().chunks(1024) {
                    store.put_entries(FIRST, slice)?;
                }
                if let Some(mut meta) = c.take_meta() {
                    meta.created_at = now();
                    opened = store.put_campaign(&meta)?;
                }
                let mut all = Campaigns::new(Vec::new(), Default::default(), settings);
                all.insert_first(c);
                all
            }
        };
        let versions = Versions {
            all: campaigns.version(),
            campaigns: campaigns.iter().map(|c| (c.id(), c.version())).collect(),
        };
        let (versions, _) = watch::channel(versions);
        Ok(Engine {
            campaigns: Mutex::new(campaigns),
            store,
            wake_driver: Notify::new(),
            wake_timer: Notify::new(),
            versions,
            last_ticket: AtomicU64::new(opened),
            degraded: Mutex::new(None),
            wake_healer: Notify::new(),
            unsent: Mutex::new(None),
            unwritten: Mutex::new(Vec::new()),
            imports: tokio::sync::Mutex::new(()),
            metrics,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// How far the campaigns have come, and the store ticket that makes it
    /// durable, for the data directory's manifest.
    pub fn marks(&self) -> (Marks, u64) {
        let c = self.lock();
        let marks = Marks {
            version: c.version(),
            dialed: c.dialed(),
        };
        (marks, self.last_ticket.load(Ordering::SeqCst))
    }

    fn lock(&self) -> MutexGuard<'_, Campaigns> {
        self.campaigns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the given entries of campaign `id` and its record if that
    /// changed, and publishes the new versions.
    fn persist(&self, all: &mut Campaigns, id: u64, indices: &[usize]) -> Result<u64, EngineError> {
        let written = self.write(all, id, indices);
        let ticket = written.map_err(|e| {
            // Kept, to be written when the store heals: the change stands
            // in memory, and the manifest must not count it before the
            // store holds it.
            let mut unwritten = self.unwritten.lock().unwrap_or_else(|p| p.into_inner());
            unwritten.extend(indices.iter().map(|&i| (id, i)));
            self.store_failed(e)
        })?;
        self.publish(all, &[id]);
        self.last_ticket.fetch_max(ticket, Ordering::SeqCst);
        Ok(ticket)
    }

    fn write(&self, all: &mut Campaigns, id: u64, indices: &[usize]) -> Result<u64, StoreError> {
        let Some(c) = all.get_mut(id) else {
            return self.store.put_entries(id, []);
        };
        let mut ticket = self
            .store
            .put_entries(id, indices.iter().filter_map(|&i| c.entry(i)))?;
        if let Some(meta) = c.take_meta() {
            if meta.state.is_final() {
                tracing::info!(campaign = id, state = %meta.state, "campaign {}", meta.state);
            }
            ticket = match self.store.put_campaign(&meta) {
                Ok(t) => t,
                Err(e) => {
                    c.meta_unwritten();
                    return Err(e);
                }
            };
        }
        Ok(ticket)
    }

    /// Writes again what failed to be written while the store failed:
    /// those entries as they are now, and every campaign record due.
    fn rewrite_unwritten(&self) -> Result<u64, StoreError> {
        let mut all = self.lock();
        let pending: Vec<(u64, usize)> =
            std::mem::take(&mut *self.unwritten.lock().unwrap_or_else(|p| p.into_inner()));
        let ids: Vec<u64> = all.iter().map(Campaign::id).collect();
        let mut ticket = 0;
        for id in ids {
            let indices: Vec<usize> = pending
                .iter()
                .filter(|(c, _)| *c == id)
                .map(|&(_, i)| i)
                .collect();
            match self.write(&mut all, id, &indices) {
                Ok(t) => ticket = ticket.max(t),
                Err(e) => {
                    let mut unwritten = self.unwritten.lock().unwrap_or_else(|p| p.into_inner());
                    unwritten.extend(pending);
                    return Err(e);
                }
            }
        }
        self.last_ticket.fetch_max(ticket, Ordering::SeqCst);
        Ok(ticket)
    }

    fn publish(&self, all: &Campaigns, ids: &[u64]) {
        let total = all.version();
        self.versions.send_modify(|v| {
            v.all = total;
            for &id in ids {
                match all.get(id) {
                    Some(c) => v.campaigns.insert(id, c.version()),
                    None => v.campaigns.remove(&id),
                };
            }
        });
    }

    /// Waits until the write with `ticket` is durable.
    async fn durable(&self, ticket: u64) -> Result<(), EngineError> {
        let result = self.store.durable(ticket).await;
        result.map_err(|e| self.store_failed(e))
    }

    /// Enters the degraded state (once) and says why.
    fn store_failed(&self, e: StoreError) -> EngineError {
        let reason = e.to_string();
        let mut d = self.degraded.lock().unwrap_or_else(|p| p.into_inner());
        if d.is_none() {
            tracing::error!(
                "{reason}: no change is acknowledged and nothing is dialed until the store works again"
            );
            *d = Some(Degraded {
                reason: reason.clone(),
                since: std::time::Instant::now(),
            });
            self.wake_healer.notify_one();
        }
        EngineError::Degraded(reason)
    }

    /// The store's failure, while it lasts.
    pub fn degraded(&self) -> Option<Degraded> {
        self.degraded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn check_writable(&self) -> Result<(), EngineError> {
        match self.degraded() {
            Some(d) => Err(EngineError::Degraded(d.reason)),
            None => Ok(()),
        }
    }

    /// Flushes everything written so far; when that works again, leaves the
    /// degraded state and wakes the tasks. Everything that was written
    /// before the failure becomes durable with it.
    pub async fn try_heal(&self) -> bool {
        if self.rewrite_unwritten().is_err() || self.store.sync().await.is_err() {
            return false;
        }
        let was = self
            .degraded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(d) = was {
            tracing::info!(
                after_s = d.since.elapsed().as_secs_f64(),
                "the store works again: dialing resumes"
            );
        }
        self.wake_driver.notify_one();
        self.wake_timer.notify_one();
        true
    }

    /// Waits until what was read under the lock (with `ticket`) is durable,
    /// unless the store fails: then the answer says so instead.
    async fn settle_read(&self, ticket: u64) -> Option<String> {
        if self.degraded().is_none() {
            let _ = self.durable(ticket).await;
        }
        self.degraded().map(|d| d.reason)
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
                Some(v) => StatusesResponse::since(c, v, now()),
                None => StatusesResponse::of(c, now()),
            };
            snap.concurrency = all.settings().concurrency;
            if with_summary {
                snap.campaign = Some(CampaignSummary::from(c));
            }
            (snap, self.last_ticket.load(Ordering::SeqCst))
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
            (resp, self.last_ticket.load(Ordering::SeqCst))
        };
        self.settle_read(ticket).await;
        resp
    }

    pub async fn summary(&self, id: u64) -> Result<CampaignSummary, EngineError> {
        let (summary, ticket) = {
            let all = self.lock();
            let c = all.get(id).ok_or(EngineError::NoCampaign(id))?;
            (
                CampaignSummary::from(c),
                self.last_ticket.load(Ordering::SeqCst),
            )
        };
        self.settle_read(ticket).await;
        Ok(summary)
    }

    /// Campaign `id`'s version (`None`: all campaigns').
    pub fn version_of(&self, id: Option<u64>) -> Option<u64> {
        let v = self.versions.borrow();
        match id {
            None => Some(v.all),
            Some(id) => v.campaigns.get(&id).copied(),
        }
    }

    /// Campaign 1's version, the ETag of `GET /statuses`.
    pub fn version(&self) -> u64 {
        self.version_of(Some(FIRST)).unwrap_or(0)
    }

    /// Waits until the version of campaign `id` (of all, for `None`)
    /// passes `known`, for at most `limit` or until the server stops.
    pub async fn wait_past(&self, id: Option<u64>, known: u64, limit: Duration, stop: &Shutdown) {
        let mut rx = self.versions.subscribe();
        let passed = move |v: &Versions| match id {
            None => v.all > known,
            // A deleted campaign changes no more: nothing to wait for.
            Some(id) => v.campaigns.get(&id).is_none_or(|&c| c > known),
        };
        tokio::select! {
            _ = rx.wait_for(passed) => {}
            _ = tokio::time::sleep(limit) => {}
            _ = stop.wait() => {}
        }
    }

    /// One entry of campaign `id`, with every attempt's history.
    pub async fn detail(&self, id: u64, index: usize) -> Result<Option<CallDetail>, EngineError> {
        let (detail, ticket) = {
            let all = self.lock();
            let c = all.get(id).ok_or(EngineError::NoCampaign(id))?;
            let d = c.entry(index).map(CallDetail::from);
            (d, self.last_ticket.load(Ordering::SeqCst))
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

    /// `POST /calls`: starts campaign 1, once.
    pub async fn start(&self) -> Result<(), EngineError> {
        self.check_writable()?;
        if self.lock().get(FIRST).is_some_and(Campaign::started) {
            return Err(AlreadyStarted.into());
        }
        match self.operate(FIRST, Operation::Start).await {
            Ok((_, true)) => Ok(()),
            Ok((_, false)) => Err(AlreadyStarted.into()),
            Err(EngineError::Operation(OperationError::NotAllowed(_))) => {
                Err(AlreadyStarted.into())
            }
            Err(e) => Err(e),
        }
    }

    /// A lifecycle operation on campaign `id`, durable before it returns.
    /// Returns the summary after it, and whether anything changed.
    pub async fn operate(
        &self,
        id: u64,
        op: Operation,
    ) -> Result<(CampaignSummary, bool), EngineError> {
        self.check_writable()?;
        let (summary, changed, ticket) = {
            let mut all = self.lock();
            let changed = all.operate(id, op, now())?;
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
        self.check_writable()?;
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
        // Off the runtime: a million entries take a second to write. In
        // slices: one sled batch of a whole large list holds hundreds of
        // bytes per entry in memory long after.
        let written = tokio::task::spawn_blocking(move || {
            for slice in entries.chunks(16 * 1024) {
                records.put_list(slice)?;
            }
            Ok::<_, StoreError>(entries)
        })
        .await;
        let entries = match written {
            Ok(Ok(entries)) => entries,
            Ok(Err(e)) => return Err(self.store_failed(e)),
            Err(e) => return Err(self.store_failed(StoreError::Flush(e.to_string()))),
        };
        let ticket = {
            let mut all = self.lock();
            all.create_reserved(id, NewCampaign { entries, ..new }, now());
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
        self.check_writable()?;
        let ticket = {
            let mut all = self.lock();
            all.delete(id)?;
            let t = self
                .store
                .delete_campaign(id, all.retired())
                .map_err(|e| self.store_failed(e))?;
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
        self.check_writable()?;
        let applied = {
            let mut all = self.lock();
            let before = retries_of(&all, token);
            all.apply_report(token, report, clock())
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

    /// Takes the next entry to dial, if a line is free, durably marked as
    /// `dialing` under a fresh token before anything is sent.
    pub async fn begin_dial(&self) -> Result<Option<DialOrder>, EngineError> {
        self.check_writable()?;
        let unsent = self.unsent.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(order) = unsent {
            // The heal made its record durable. Still its entry's dial?
            let mut all = self.lock();
            let current = all
                .get(order.campaign)
                .and_then(|c| c.entry(order.index))
                .is_some_and(|e| {
                    e.status == Status::Dialing && e.token.as_deref() == Some(order.token.as_str())
                });
            if current {
                return Ok(Some(order));
            }
            // Settled meanwhile (timed out): it is answered as never sent,
            // which frees the one dial that may be out.
            let reason = "never sent: the store failed before the dial could leave".into();
            all.finish_dial(
                order.campaign,
                order.index,
                DialAnswer::Unreachable { reason },
                clock(),
            );
            self.persist(&mut all, order.campaign, &[order.index])?;
        }
        let (order, ticket) = {
            let mut all = self.lock();
            let Some(order) = all.begin_dial(&new_token(), clock()) else {
                return Ok(None);
            };
            match self.persist(&mut all, order.campaign, &[order.index]) {
                Ok(ticket) => (order, ticket),
                Err(e) => {
                    // Not even written: answered as never sent, which frees
                    // the one dial that may be out. The heal writes it.
                    let reason = "never sent: the store failed before the dial could leave".into();
                    let answer = DialAnswer::Unreachable { reason };
                    all.finish_dial(order.campaign, order.index, answer, clock());
                    return Err(e);
                }
            }
        };
        self.wake_timer.notify_one();
        if let Err(e) = self.durable(ticket).await {
            *self.unsent.lock().unwrap_or_else(|p| p.into_inner()) = Some(order);
            return Err(e);
        }
        Ok(Some(order))
    }

    /// Records how a dial ended. Not flushed here: nobody is answered on
    /// it, the next dial's flush covers it, and losing it in a crash (or to
    /// a failing store) only leaves the entry `dialing` for its webhooks or
    /// timeout to settle. So a write that fails here degrades the store but
    /// is not the driver's to retry.
    pub fn finish_dial(&self, order: &DialOrder, answer: DialAnswer) {
        let mut all = self.lock();
        let waiting = |all: &Campaigns| {
            all.get(order.campaign)
                .and_then(|c| c.entry(order.index))
                .is_some_and(|e| e.status == Status::Waiting)
        };
        let was_waiting = waiting(&all);
        all.finish_dial(order.campaign, order.index, answer, clock());
        if !was_waiting && waiting(&all) {
            self.metrics.retries_scheduled(1);
        }
        let _ = self.persist(&mut all, order.campaign, &[order.index]);
        drop(all);
        self.wake_timer.notify_one();
    }

    /// Fails the entries whose call timeout has passed; returns when, on
    /// [`mono_now`]'s clock, the next call times out or retry is due. Wakes
    /// the driver when a retry is due now.
    pub async fn expire_due(&self) -> Result<Option<Mono>, EngineError> {
        self.check_writable()?;
        let now = clock();
        let (expired, ticket, next, due) = {
            let mut all = self.lock();
            let expired = all.expire(now);
            let mut ticket = None;
            for (id, indices) in &expired {
                let waiting = all.get(*id).map_or(0, |c| {
                    indices
                        .iter()
                        .filter(|&&i| c.entry(i).is_some_and(|e| e.status == Status::Waiting))
                        .count()
                });
                self.metrics.retries_scheduled(waiting);
                ticket = Some(self.persist(&mut all, *id, indices)?);
            }
            let next = all.next_wakeup(now.mono);
            (expired, ticket, next, all.can_dial(now.mono))
        };
        if due {
            self.wake_driver.notify_one();
        }
        if let Some(t) = ticket {
            let mut n = 0;
            for (id, indices) in &expired {
                for i in indices {
                    tracing::warn!(
                        campaign = id,
                        index = i,
                        "no final webhook in time; attempt failed"
                    );
                }
                n += indices.len();
            }
            self.metrics.timed_out(n);
            self.wake_driver.notify_one();
            self.durable(t).await?;
        }
        Ok(next)
    }
}

/// Entries waiting for a retry in the campaign of `token`.
fn retries_of(all: &Campaigns, token: &str) -> usize {
    Campaigns::campaign_of(token)
        .and_then(|id| all.get(id))
        .map_or(0, |c| c.count(Status::Waiting))
}

/// Says loudly what the store could not place: a damaged data directory
/// must explain itself, not quietly lose history.
fn report_skipped(skipped: &[Skipped]) {
    if skipped.is_empty() {
        return;
    }
    for s in skipped.iter().take(20) {
        tracing::error!("data directory: skipped {s}");
    }
    tracing::error!(
        skipped = skipped.len(),
        "data directory: {} record(s) could not be placed and were skipped; the data \
         directory may be damaged (see docs/operations.md, backups)",
        skipped.len()
    );
}

/// 128 random bits: the webhook URL is the only credential a webhook carries.
fn new_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}
