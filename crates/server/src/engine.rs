//! The campaign behind a lock, persisted: every change is written to the
//! store under the lock (so records land in order) and made durable before
//! the caller acknowledges it.

use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::store::manifest::Marks;
use crate::store::{Meta, Skipped, Store, StoreError, Stored};
use numdialer_core::api::{CallDetail, StatusesResponse, WebhookAck};
use numdialer_core::{
    AlreadyStarted, CallReport, Campaign, DialAnswer, DialOrder, Entry, Mono, Now, Phone,
    RestoreError, Settings, Status, Timestamp, WebhookError,
};
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
fn clock() -> Now {
    Now {
        wall: now(),
        mono: mono_now(),
    }
}

pub struct Engine {
    campaign: Mutex<Campaign>,
    store: Store,
    /// Wakes the driver: dialing started or a line was freed.
    pub(crate) wake_driver: Notify,
    /// Wakes the timeout task: a new deadline exists.
    pub(crate) wake_timer: Notify,
    version: watch::Sender<u64>,
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
}

impl Engine {
    /// Opens the campaign that `store` held (`stored`, what
    /// [`Store::load`] read, so that the caller could check it first), or
    /// creates one from `numbers` when it held none. `explicit` says the
    /// list was chosen by the user, so a stored list that differs from it is
    /// an error rather than silently kept.
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
        let campaign = match stored {
            Some(stored) => {
                report_skipped(&stored.skipped);
                metrics.store_skipped(stored.skipped.len());
                let phones: Vec<&Phone> = stored.entries.iter().map(|e| &e.phone).collect();
                if explicit && phones != numbers.iter().collect::<Vec<_>>() {
                    return Err(EngineError::ListMismatch {
                        stored: phones.len(),
                        given: numbers.len(),
                    });
                }
                Campaign::restore(
                    stored.entries,
                    stored.meta.started,
                    stored.meta.version,
                    settings,
                    clock(),
                )?
            }
            None => {
                let c = Campaign::new(numbers, settings);
                // In slices: one sled batch of a whole large list holds
                // hundreds of bytes per entry in memory long after.
                for slice in c.entries().chunks(1024) {
                    store.put_entries(slice)?;
                }
                c
            }
        };
        let (version, _) = watch::channel(campaign.version());
        Ok(Engine {
            campaign: Mutex::new(campaign),
            store,
            wake_driver: Notify::new(),
            wake_timer: Notify::new(),
            version,
            last_ticket: AtomicU64::new(0),
            degraded: Mutex::new(None),
            wake_healer: Notify::new(),
            unsent: Mutex::new(None),
            metrics,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// How far the campaign has come, and the store ticket that makes it
    /// durable, for the data directory's manifest.
    pub fn marks(&self) -> (Marks, u64) {
        let c = self.lock();
        let dialed = c
            .entries()
            .iter()
            .filter(|e| e.status != Status::Idle)
            .count();
        let marks = Marks {
            version: c.version(),
            dialed: dialed as u64,
        };
        (marks, self.last_ticket.load(Ordering::SeqCst))
    }

    fn lock(&self) -> MutexGuard<'_, Campaign> {
        self.campaign.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the given entries of `c` and publishes the new version.
    fn persist(&self, c: &Campaign, indices: &[usize]) -> Result<u64, EngineError> {
        let ticket = self
            .store
            .put_entries(indices.iter().filter_map(|&i| c.entry(i)))
            .map_err(|e| self.store_failed(e))?;
        self.version.send_replace(c.version());
        self.last_ticket.fetch_max(ticket, Ordering::SeqCst);
        Ok(ticket)
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
        if self.store.sync().await.is_err() {
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

    /// The current statuses (only those changed after `since`, if given),
    /// answered only once they are durable: whatever a client has seen
    /// survives a crash. While the store fails, nothing changes, and the
    /// answer says `degraded` instead of waiting for a flush that fails.
    pub async fn snapshot(&self, since: Option<u64>) -> Result<StatusesResponse, EngineError> {
        let (mut snap, ticket) = {
            let c = self.lock();
            let snap = match since {
                Some(v) => c.snapshot_since(v, now()),
                None => c.snapshot(now()),
            };
            (snap, self.last_ticket.load(Ordering::SeqCst))
        };
        if self.degraded().is_none() {
            let _ = self.durable(ticket).await;
        }
        snap.degraded = self.degraded().map(|d| d.reason);
        Ok(snap)
    }

    pub fn version(&self) -> u64 {
        *self.version.borrow()
    }

    /// Waits until the version passes `known`, for at most `limit` or until
    /// the server stops.
    pub async fn wait_past(&self, known: u64, limit: Duration, stop: &Shutdown) {
        let mut rx = self.version.subscribe();
        tokio::select! {
            _ = rx.wait_for(|&v| v > known) => {}
            _ = tokio::time::sleep(limit) => {}
            _ = stop.wait() => {}
        }
    }

    pub async fn detail(&self, index: usize) -> Result<Option<CallDetail>, EngineError> {
        let (detail, ticket) = {
            let c = self.lock();
            let d = c.entry(index).map(Entry::detail);
            (d, self.last_ticket.load(Ordering::SeqCst))
        };
        if self.degraded().is_none() {
            self.durable(ticket).await?;
        }
        Ok(detail)
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
        let (active, by_status) = {
            let c = self.lock();
            let mut counts = [0usize; 6];
            for e in c.entries() {
                counts[Status::ALL.iter().position(|&s| s == e.status).unwrap_or(0)] += 1;
            }
            (c.active(), counts)
        };
        let by_status: Vec<(Status, usize)> = Status::ALL.into_iter().zip(by_status).collect();
        self.metrics
            .render(active, &by_status, self.store.flush_latency())
    }

    pub async fn start(&self) -> Result<(), EngineError> {
        self.check_writable()?;
        let ticket = {
            let mut c = self.lock();
            c.start()?;
            let meta = Meta {
                started: true,
                version: c.version(),
            };
            let t = self
                .store
                .put_meta(meta)
                .map_err(|e| self.store_failed(e))?;
            self.version.send_replace(c.version());
            self.last_ticket.fetch_max(t, Ordering::SeqCst);
            t
        };
        self.durable(ticket).await?;
        self.wake_driver.notify_one();
        Ok(())
    }

    /// Applies a provider's report on the call dialed under `token`.
    pub async fn report(&self, token: &str, report: CallReport) -> Result<WebhookAck, EngineError> {
        let began = std::time::Instant::now();
        let (id, event) = (report.id.clone(), report.event.clone());
        self.check_writable()?;
        let applied = {
            let mut c = self.lock();
            c.apply_report(token, report, now())
                .map_err(EngineError::from)
                .and_then(|o| Ok((o, self.persist(&c, &[o.index])?)))
        };
        let (outcome, ticket) = match applied {
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
            let mut c = self.lock();
            let current = c.entry(order.index).is_some_and(|e| {
                e.status == Status::Dialing && e.token.as_deref() == Some(order.token.as_str())
            });
            if current {
                return Ok(Some(order));
            }
            // Settled meanwhile (timed out): it is answered as never sent,
            // which frees the one dial that may be out.
            let reason = "never sent: the store failed before the dial could leave".into();
            c.finish_dial(order.index, DialAnswer::Unreachable { reason }, now());
            self.persist(&c, &[order.index])?;
        }
        let (order, ticket) = {
            let mut c = self.lock();
            let Some(order) = c.begin_dial(new_token(), clock()) else {
                return Ok(None);
            };
            let ticket = self.persist(&c, &[order.index])?;
            (order, ticket)
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
    pub fn finish_dial(&self, index: usize, answer: DialAnswer) {
        let mut c = self.lock();
        c.finish_dial(index, answer, now());
        let _ = self.persist(&c, &[index]);
    }

    /// Fails the entries whose call timeout has passed; returns when, on
    /// [`mono_now`]'s clock, the next one is due.
    pub async fn expire_due(&self) -> Result<Option<Mono>, EngineError> {
        self.check_writable()?;
        let (expired, ticket, next) = {
            let mut c = self.lock();
            let expired = c.expire(clock());
            let ticket = if expired.is_empty() {
                None
            } else {
                Some(self.persist(&c, &expired)?)
            };
            (expired, ticket, c.next_deadline())
        };
        if let Some(t) = ticket {
            for i in &expired {
                tracing::warn!(index = i, "no final webhook in time; entry failed");
            }
            self.metrics.timed_out(expired.len());
            self.wake_driver.notify_one();
            self.durable(t).await?;
        }
        Ok(next)
    }
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
