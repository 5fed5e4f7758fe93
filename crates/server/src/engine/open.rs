//! Opening the engine on a data directory: the campaigns it held, restored,
//! or campaign 1 created from the list given when it held none.

use super::{Degradation, Engine, EngineError, Versions};
use crate::clock;
use crate::metrics::Metrics;
use crate::store::{Skipped, Store, Stored};
use numdialer_core::{Campaign, CampaignMeta, Campaigns, Entry, Phone, Settings};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::time::Duration;
use tokio::sync::{Notify, watch};

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
        let first_is_new = stored.is_none();
        let (campaigns, opened) = match stored {
            Some(stored) => {
                report_skipped(&stored.skipped);
                store.remove_orphans(&stored.orphans)?;
                metrics.store_skipped(stored.skipped.len());
                restore(&store, stored, &numbers, explicit, settings)?
            }
            None => create_first(&store, numbers, settings)?,
        };
        // Every engine asks the do-not-call lists before each dial, with
        // or without calling hours (see `Engine::with_calling`).
        let campaigns = campaigns.with_rules(super::rules_of(&store, None));
        let versions = Versions::of(&campaigns);
        let (versions, _) = watch::channel(versions);
        // Read once: a registry import sets it anew.
        let registry_date = Mutex::new(store.newest_registry_date()?);
        let outbound = crate::events::Outbound::open(&store, &campaigns)?;
        Ok(Engine {
            outbound,
            registry_date,
            campaigns: Mutex::new(campaigns),
            store,
            wake_driver: Notify::new(),
            wake_timer: Notify::new(),
            voicemails: Default::default(),
            wake_voicemail: Notify::new(),
            versions,
            last_ticket: AtomicU64::new(opened),
            degradation: Degradation::default(),
            imports: tokio::sync::Mutex::new(()),
            max_campaigns: AtomicUsize::new(usize::MAX),
            metrics,
            calling_hours: Default::default(),
            real_provider: false,
            first_is_new,
            opened_at: crate::clock::wall(),
        })
    }
}

/// The stored campaigns, restored, with every record that restoring made
/// due written again; and the ticket of those writes.
fn restore(
    store: &Store,
    stored: Stored,
    numbers: &[Phone],
    explicit: bool,
    settings: Settings,
) -> Result<(Campaigns, u64), EngineError> {
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
    let now = clock::now();
    let list = stored
        .campaigns
        .into_iter()
        .map(|c| Campaign::restore(c.meta, c.entries, settings, now))
        .collect::<Result<Vec<_>, _>>()?;
    let mut all = Campaigns::new(list, stored.retired, settings);
    let ids: Vec<u64> = all.iter().map(Campaign::id).collect();
    let mut opened = 0;
    for id in ids {
        let Some(c) = all.get_mut(id) else { continue };
        if let Some(meta) = c.meta_due() {
            opened = opened.max(store.put_campaign(&meta)?);
            c.meta_stored();
        }
    }
    Ok((all, opened))
}

/// Campaign 1, new, from `numbers`: its entries first, then its record.
fn create_first(
    store: &Store,
    numbers: Vec<Phone>,
    settings: Settings,
) -> Result<(Campaigns, u64), EngineError> {
    // Created now, in memory as on disk: a record dated 1970 would be
    // what clients read until the next start.
    let entries = numbers
        .into_iter()
        .enumerate()
        .map(|(i, p)| Entry::new(i, p))
        .collect();
    let meta = CampaignMeta {
        created_at: clock::wall(),
        ..CampaignMeta::first(false, 0)
    };
    let mut c = Campaign::create(meta, entries, settings);
    let mut opened = store.put_list(c.id(), c.entries())?;
    if let Some(meta) = c.meta_due() {
        opened = store.put_campaign(&meta)?;
        c.meta_stored();
    }
    let mut all = Campaigns::new(Vec::new(), Default::default(), settings);
    all.insert_first(c);
    Ok((all, opened))
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
