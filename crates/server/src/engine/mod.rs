//! The engine: every campaign behind one lock, and the rule that no change
//! is acknowledged and no call placed before the store holds it.
//!
//! Each change is written to the store under the lock, so that records land
//! in the order their changes happened, and made durable before the caller
//! is answered or a dial leaves. The never-dial-twice guarantee lives here:
//! an entry is marked `dialing` under a fresh token, and that mark is on
//! disk before its dial is sent.
//!
//! By job:
//! - `open`: a data directory's campaigns opened, or campaign 1 created
//!   from the list given;
//! - `persist`: a change written and published to long polls, and what a
//!   reader waits on;
//! - `degradation`: the failing store's reason and the work parked for the
//!   healer;
//! - `reads`: snapshots, summaries, details and export pages, each answered
//!   once what it shows is durable;
//! - `writes`: operate, create, delete, and a provider's report;
//! - `suppress`: do-not-call lists changed, durable before answered;
//! - `dial`: begin and finish a dial, and expire the calls that timed out.

mod answers;
mod degradation;
mod dial;
mod open;
mod persist;
mod reads;
mod suppress;
mod writes;

pub use degradation::Degraded;
pub use reads::{Page, READ_SLICE};

use crate::metrics::Metrics;
use crate::store::{Store, StoreError};
use degradation::Degradation;
use numdialer_core::api::CampaignSummary;
use numdialer_core::hours::{CallingHours, CallingRules};
use numdialer_core::rules::{CallingHoursRule, DoNotCall, RetryDue, Rule, Rules};
use numdialer_core::{
    AlreadyStarted, Campaign, Campaigns, DeleteError, OperationError, RestoreError, WebhookError,
};
use persist::Versions;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
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
    #[error(
        "Idempotency-Key {key:?} already created campaign {id} from another body or other \
         settings; nothing was stored: send that upload again unchanged, or use a new key \
         for a new list"
    )]
    KeyConflict { key: String, id: u64 },
    #[error(
        "this server holds {0} campaigns, its most (--max-campaigns); nothing was stored: \
         delete finished campaigns first"
    )]
    TooManyCampaigns(usize),
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

/// The rules every dial is asked: the do-not-call lists first (a `never`
/// wins whatever the others say), a retry's own delay, and calling hours
/// when the server has them (`calling_rules` is then its stricter file,
/// if any).
fn rules_of(store: &Store, calling_rules: Option<Option<CallingRules>>) -> Rules {
    let mut rules: Vec<Arc<dyn Rule>> = vec![
        Arc::new(DoNotCall::new(store.suppression_lookup())),
        Arc::new(RetryDue),
    ];
    if let Some(file) = calling_rules {
        rules.push(Arc::new(CallingHoursRule::new(file)));
    }
    Rules::new(rules)
}

pub struct Engine {
    campaigns: Mutex<Campaigns>,
    store: Store,
    /// Wakes the driver: dialing started or a line was freed.
    pub(crate) wake_driver: Notify,
    /// Wakes the timeout task: a new deadline exists.
    pub(crate) wake_timer: Notify,
    /// Voicemails to leave, for [`crate::driver::run_voicemail`].
    voicemails: Mutex<Vec<numdialer_core::VoicemailOrder>>,
    /// Wakes the voicemail task: an order is queued.
    pub(crate) wake_voicemail: Notify,
    versions: watch::Sender<Versions>,
    pub metrics: Metrics,
    /// The store ticket of the latest write, so that reads can wait until
    /// what they show is durable.
    last_ticket: AtomicU64,
    /// Set while the store fails: nothing changes and nothing is dialed
    /// until a flush succeeds again, so that no change is acknowledged and
    /// no call placed without a durable record. Holds what the heal must
    /// write or send first.
    degradation: Degradation,
    /// Serialises imports, so that two uploads with one `Idempotency-Key`
    /// cannot both create a campaign.
    imports: tokio::sync::Mutex<()>,
    /// `--calling-hours`: the window of a new campaign whose import gives
    /// none.
    calling_hours: CallingHours,
    /// [`Calling::real_provider`].
    real_provider: bool,
    /// Campaign 1 was created by this open (a new data directory), so it
    /// takes the server's calling hours; an older directory's keeps none.
    first_is_new: bool,
    /// Campaigns held at most (`--max-campaigns`).
    max_campaigns: AtomicUsize,
    /// The wall clock when this engine opened its store: a call in flight
    /// that was dialed before it was dialed by an earlier run.
    pub(crate) opened_at: numdialer_core::Timestamp,
    /// The newest registry import's `registry_date`, for the campaigns
    /// with `require_registry`: read from the audit log at open, then set
    /// by each registry import, so that a dial does not walk the log.
    registry_date: Mutex<Option<String>>,
    /// The events owed to webhook endpoints (`crate::events`).
    pub outbound: crate::events::Outbound,
}

/// What the server's flags say about calling hours.
#[derive(Debug, Clone, Default)]
pub struct Calling {
    /// `--calling-hours`: the window of new campaigns.
    pub default_hours: CallingHours,
    /// Campaign 1 of a new data directory takes `default_hours` too (the
    /// flag was given explicitly); otherwise it dials as it always did.
    pub first_takes_default: bool,
    /// Dialing through a real provider: a campaign without calling hours
    /// is then worth a warning.
    pub real_provider: bool,
    /// `--calling-rules`: stricter windows by number prefix, intersected
    /// with every campaign's.
    pub rules: Option<CallingRules>,
}

impl Engine {
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Dials under calling hours: every campaign's window is checked at
    /// each dial (narrowed by `calling.rules`), and new campaigns take
    /// `calling.default_hours` unless their import says otherwise. Campaign
    /// 1 of a new data directory takes it too when the operator asked
    /// ([`Calling::first_takes_default`]); one stored before keeps what it
    /// had (no window), so an older directory dials as it did.
    pub fn with_calling(mut self, calling: Calling) -> Result<Self, EngineError> {
        self.calling_hours = calling.default_hours;
        self.real_provider = calling.real_provider;
        let rules = rules_of(&self.store, Some(calling.rules));
        let all = self.campaigns.get_mut().unwrap_or_else(|e| e.into_inner());
        *all = std::mem::replace(
            all,
            Campaigns::new(Vec::new(), Default::default(), all.settings()),
        )
        .with_rules(rules);
        if self.first_is_new
            && calling.first_takes_default
            && let Some(first) = all.get_mut(numdialer_core::campaign::FIRST)
            && first.meta().hours.calling_hours != calling.default_hours
        {
            first.set_calling_hours(calling.default_hours);
            if let Some(meta) = first.meta_due() {
                let ticket = self.store.put_campaign(&meta)?;
                first.meta_stored();
                self.last_ticket
                    .fetch_max(ticket, std::sync::atomic::Ordering::SeqCst);
            }
        }
        Ok(self)
    }

    /// `--calling-hours`: the window of a new campaign whose import gives
    /// none.
    pub fn default_calling_hours(&self) -> CallingHours {
        self.calling_hours
    }

    /// Whether the server dials through a real provider (see
    /// [`Calling::real_provider`]).
    pub fn real_provider(&self) -> bool {
        self.real_provider
    }

    /// `c`'s summary, saying when its calling hours are off while a real
    /// provider dials.
    fn summarize(&self, c: &Campaign) -> CampaignSummary {
        self.said(CampaignSummary::from(c))
    }

    fn said(&self, mut s: CampaignSummary) -> CampaignSummary {
        s.calling.at_any_hour = self.real_provider && s.calling.hours.is_off();
        s
    }

    fn lock(&self) -> MutexGuard<'_, Campaigns> {
        crate::sync::lock(&self.campaigns)
    }

    /// Caps the campaigns held; a directory that holds more already keeps
    /// them, and takes no new one until it is under the cap.
    pub fn set_max_campaigns(&self, max: usize) {
        self.max_campaigns.store(max, Ordering::Relaxed);
    }

    /// Refuses a new campaign when the server holds its most: asked before
    /// an import's body is parsed, and again under the lock that creates it.
    pub fn room_for_campaign(&self) -> Result<(), EngineError> {
        let held = self.lock().len();
        full(held, self.max_campaigns.load(Ordering::Relaxed))
    }
}

/// [`EngineError::TooManyCampaigns`] when `held` reached `max`.
fn full(held: usize, max: usize) -> Result<(), EngineError> {
    if held >= max {
        return Err(EngineError::TooManyCampaigns(max));
    }
    Ok(())
}
