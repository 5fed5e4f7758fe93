//! Every campaign of a data directory, and the rule that shares the lines
//! between the running ones: the next dial comes from the earliest-started
//! running campaign that has an entry the dial-time rules let through, and
//! one dial is out at a time across all of them, so that the dialer API
//! receives dials in exactly that order.

use super::{
    Campaign, CampaignMeta, CampaignState, Changed, DetectionOutcome, DialAnswer, DialOrder,
    NewCampaign, NotAllowed, Operation, Settings, VoicemailOrder, WebhookError, WebhookOutcome,
};
use crate::answer::Detection;
use crate::call::CallReport;
use crate::rules::Rules;
use crate::suppressions::Scope;
use crate::time::{Mono, Now, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// What outlives deleted campaigns, stored once for the directory: so that
/// ids are never reused and the directory's version and dial count never
/// go down (the manifest checks both).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retired {
    /// The next campaign id to hand out.
    pub next_id: u64,
    /// The versions of deleted campaigns, plus one per deletion.
    pub version: u64,
    /// Entries of deleted campaigns that had been dialed.
    pub dialed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OperationError {
    #[error("no campaign {0}")]
    NotFound(u64),
    #[error(transparent)]
    NotAllowed(#[from] NotAllowed),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeleteError {
    #[error("no campaign {0}")]
    NotFound(u64),
    #[error("campaign {id} is {state}: stop it first")]
    Live { id: u64, state: CampaignState },
    #[error("campaign {id} still has {active} call(s) in flight: try again when they end")]
    InFlight { id: u64, active: usize },
    #[error("campaign 1 cannot be deleted: it is the list behind POST /calls and GET /statuses")]
    First,
}

impl DeleteError {
    /// What a campaign's id and state alone forbid, whatever else holds:
    /// one rule for the server and for a client that says it before asking.
    pub fn forbids(id: u64, state: CampaignState) -> Option<DeleteError> {
        if id == super::FIRST {
            return Some(DeleteError::First);
        }
        matches!(state, CampaignState::Running | CampaignState::Paused)
            .then_some(DeleteError::Live { id, state })
    }
}

#[derive(Debug, Clone)]
pub struct Campaigns {
    campaigns: BTreeMap<u64, Campaign>,
    settings: Settings,
    /// The one dial that may be out, across every campaign.
    pending: Option<(u64, usize)>,
    retired: Retired,
    next_start_seq: u64,
    /// Campaign ids by the `Idempotency-Key` that created them.
    keys: HashMap<String, u64>,
    /// Asked about every entry before it is dialed.
    rules: Rules,
    /// A campaign's pick stopped with candidates left to ask.
    cut: bool,
}

impl Campaigns {
    /// The campaigns of a directory, as restored, and what outlived the
    /// deleted ones.
    pub fn new(campaigns: Vec<Campaign>, retired: Retired, settings: Settings) -> Self {
        let campaigns: BTreeMap<u64, Campaign> =
            campaigns.into_iter().map(|c| (c.id(), c)).collect();
        // Ids start at 1 (0 is never one) and are never reused.
        let next_id = campaigns.keys().max().map_or(1, |id| id + 1);
        let next_start_seq = campaigns
            .values()
            .map(|c| c.meta().start_seq + 1)
            .max()
            .unwrap_or(1);
        let keys = campaigns
            .values()
            .filter_map(|c| c.meta().idempotency_key.clone().map(|k| (k, c.id())))
            .collect();
        Campaigns {
            campaigns,
            settings,
            pending: None,
            retired: Retired {
                next_id: retired.next_id.max(next_id),
                ..retired
            },
            next_start_seq,
            keys,
            rules: Rules::standard(),
            cut: false,
        }
    }

    /// The same registry dialing under `rules` instead of today's.
    pub fn with_rules(self, rules: Rules) -> Self {
        Campaigns { rules, ..self }
    }

    pub fn settings(&self) -> Settings {
        self.settings
    }

    pub fn retired(&self) -> Retired {
        self.retired
    }

    pub fn get(&self, id: u64) -> Option<&Campaign> {
        self.campaigns.get(&id)
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut Campaign> {
        self.campaigns.get_mut(&id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Campaign> {
        self.campaigns.values()
    }

    pub fn len(&self) -> usize {
        self.campaigns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.campaigns.is_empty()
    }

    /// The campaign an earlier upload with this `Idempotency-Key` created.
    pub fn by_key(&self, key: &str) -> Option<u64> {
        self.keys.get(key).copied()
    }

    /// Hands out the next campaign id, so that an import can store its
    /// entries before the campaign exists. An id that is never used is a
    /// gap, never a reuse.
    pub fn reserve_id(&mut self) -> u64 {
        let id = self.retired.next_id;
        self.retired.next_id += 1;
        id
    }

    /// Adds `new` as a draft under the next id. `new.start` is the
    /// caller's to act on.
    pub fn create(&mut self, new: NewCampaign, now: Timestamp) -> &mut Campaign {
        let id = self.reserve_id();
        self.create_reserved(id, new, now)
    }

    /// Adds `new` as a draft under `id`, from [`Campaigns::reserve_id`].
    /// `new.start` is the caller's to act on.
    pub fn create_reserved(&mut self, id: u64, new: NewCampaign, now: Timestamp) -> &mut Campaign {
        let meta = CampaignMeta {
            id,
            name: new.name.unwrap_or_else(|| format!("campaign {id}")),
            state: CampaignState::Draft,
            created_at: now,
            started_at: None,
            finished_at: None,
            start_seq: 0,
            retry: new.retry,
            columns: new.columns,
            idempotency_key: new.idempotency_key,
            idempotency_digest: new.idempotency_digest,
            version: 1,
            hours: new.hours,
            answers: new.answers,
            require_registry: new.require_registry,
        };
        if let Some(k) = &meta.idempotency_key {
            self.keys.insert(k.clone(), id);
        }
        let entries = new.entries;
        self.campaigns
            .entry(id)
            .or_insert_with(|| Campaign::create(meta, entries, self.settings))
    }

    /// Adds campaign 1 to a new directory.
    pub fn insert_first(&mut self, campaign: Campaign) {
        self.retired.next_id = self.retired.next_id.max(campaign.id() + 1);
        self.campaigns.insert(campaign.id(), campaign);
    }

    /// Rises on every change to any campaign, and never goes down: a
    /// deleted campaign's versions move to [`Retired`].
    pub fn version(&self) -> u64 {
        self.retired.version + self.campaigns.values().map(Campaign::version).sum::<u64>()
    }

    /// Entries ever dialed, deleted campaigns included.
    pub fn dialed(&self) -> u64 {
        self.retired.dialed + self.campaigns.values().map(Campaign::dialed).sum::<u64>()
    }

    /// Entries holding a line, across campaigns.
    pub fn active(&self) -> usize {
        self.campaigns.values().map(Campaign::active).sum()
    }

    pub fn pending_dial(&self) -> Option<(u64, usize)> {
        self.pending
    }

    /// The running campaigns with an entry due, earliest started first:
    /// the order the next dial is looked for in. O(campaigns).
    fn due_campaigns(&self, now: Mono) -> Vec<u64> {
        let mut due: Vec<(u64, u64)> = self
            .campaigns
            .values()
            .filter(|c| c.has_due(now))
            .map(|c| (c.meta().start_seq, c.id()))
            .collect();
        due.sort_unstable();
        due.into_iter().map(|(_, id)| id).collect()
    }

    /// A line is free, no dial is out, and some running campaign has an
    /// entry due at `now` (before the dial-time rules are asked: see
    /// [`Campaign::has_due`]).
    pub fn can_dial(&self, now: Mono) -> bool {
        self.pending.is_none()
            && self.active() < self.settings.concurrency.max(1)
            && self.campaigns.values().any(|c| c.has_due(now))
    }

    /// Marks the next entry that the rules let through `dialing` under a
    /// token made from `secret` and returns what to send: from the
    /// earliest-started campaign that has one, so that one campaign whose
    /// candidates the rules all pass over does not hold up the next. The
    /// entries the rules deferred or forbade on the way are for
    /// [`Campaigns::take_ruled`].
    pub fn begin_dial(&mut self, secret: &str, now: Now) -> Option<DialOrder> {
        if !self.can_dial(now.mono) {
            return None;
        }
        for id in self.due_campaigns(now.mono) {
            let token = Self::token_for(id, secret);
            let Some(c) = self.campaigns.get_mut(&id) else {
                continue;
            };
            if let Some(order) = c.begin_dial_under(&self.rules, token, now) {
                self.pending = Some((id, order.index));
                return Some(order);
            }
            if c.take_cut() {
                // Its later candidates go before any later campaign's.
                self.cut = true;
                return None;
            }
        }
        None
    }

    /// Whether the last [`Campaigns::begin_dial`] stopped with candidates
    /// left to ask (after [`super::MAX_PASSED_PER_PICK`] passed
    /// over): the caller stores what [`Campaigns::take_ruled`] gives and
    /// asks again at once.
    pub fn take_cut(&mut self) -> bool {
        std::mem::take(&mut self.cut)
    }

    /// The entries that dial-time rules deferred or forbade since last
    /// taken, by campaign: they changed without a dial, so the caller
    /// stores them as it stores a dial's entry.
    pub fn take_ruled(&mut self) -> Vec<(u64, Vec<usize>)> {
        self.campaigns
            .values_mut()
            .filter_map(|c| {
                let ruled = c.take_ruled();
                (!ruled.is_empty()).then(|| (c.id(), ruled))
            })
            .collect()
    }

    /// How many entries each rule deferred or forbade since last taken, by
    /// the rule's name: for the server's `numdialer_deferred_total`.
    pub fn take_deferrals(&mut self) -> BTreeMap<&'static str, u64> {
        let mut all = BTreeMap::new();
        for c in self.campaigns.values_mut() {
            for (rule, n) in c.take_deferrals() {
                *all.entry(rule).or_insert(0) += n;
            }
        }
        all
    }

    /// Applies how a POST /call ended. Returns true when a line was freed.
    pub fn finish_dial(
        &mut self,
        campaign: u64,
        index: usize,
        answer: DialAnswer,
        now: Now,
    ) -> bool {
        if self.pending == Some((campaign, index)) {
            self.pending = None;
        }
        self.campaigns
            .get_mut(&campaign)
            .is_some_and(|c| c.finish_dial(index, answer, now))
    }

    /// A token carries its campaign's id, so that a webhook finds its
    /// campaign without an index of every token; campaign 1's has none, as
    /// before campaigns existed (its calls' webhook URLs outlive a restart
    /// into a newer release).
    fn token_for(id: u64, secret: &str) -> String {
        match id {
            super::FIRST => secret.to_string(),
            id => format!("{id}-{secret}"),
        }
    }

    /// The campaign a webhook token belongs to: [`Campaigns::token_for`]
    /// read back.
    pub fn campaign_of(token: &str) -> Option<u64> {
        match token.split_once('-') {
            Some((id, _)) => id.parse().ok(),
            None => Some(super::FIRST),
        }
    }

    pub fn apply_report(
        &mut self,
        token: &str,
        report: CallReport,
        now: Now,
    ) -> Result<(u64, WebhookOutcome), WebhookError> {
        let id = Self::campaign_of(token).ok_or(WebhookError::UnknownToken)?;
        let c = self
            .campaigns
            .get_mut(&id)
            .ok_or(WebhookError::UnknownToken)?;
        Ok((id, c.apply_report(token, report, now)?))
    }

    /// Applies a provider's answering-machine detection result on the call
    /// dialed under `token`.
    pub fn apply_detection(
        &mut self,
        token: &str,
        detection: Detection,
        now: Now,
    ) -> Result<(u64, DetectionOutcome), WebhookError> {
        let id = Self::campaign_of(token).ok_or(WebhookError::UnknownToken)?;
        let c = self
            .campaigns
            .get_mut(&id)
            .ok_or(WebhookError::UnknownToken)?;
        Ok((id, c.apply_detection(token, detection, now)?))
    }

    /// Records whether `order`'s voicemail was left. False when its
    /// campaign is gone.
    pub fn record_voicemail(
        &mut self,
        order: &VoicemailOrder,
        result: Result<(), String>,
        now: Timestamp,
    ) -> bool {
        self.campaigns
            .get_mut(&order.campaign)
            .is_some_and(|c| c.record_voicemail(order, result, now))
    }

    /// Fails the calls whose deadline has come, in every campaign.
    pub fn expire(&mut self, now: Now) -> Vec<(u64, Vec<usize>)> {
        self.campaigns
            .values_mut()
            .filter_map(|c| {
                let due = c.expire(now);
                (!due.is_empty()).then(|| (c.id(), due))
            })
            .collect()
    }

    /// When, on the monotonic clock, the next call times out or the next
    /// retry of a running campaign is due.
    pub fn next_deadline(&self) -> Option<Mono> {
        self.campaigns
            .values()
            .flat_map(|c| {
                let retry = (c.state() == CampaignState::Running)
                    .then(|| c.next_retry())
                    .flatten();
                [c.next_deadline(), retry]
            })
            .flatten()
            .min()
    }

    /// Like [`Campaigns::next_deadline`], but only what falls due after
    /// `now`: a retry already due waits for a line, not for a timer.
    pub fn next_wakeup(&self, now: Mono) -> Option<Mono> {
        self.campaigns
            .values()
            .flat_map(|c| {
                let retry = (c.state() == CampaignState::Running)
                    .then(|| c.next_retry_after(now))
                    .flatten();
                [c.next_deadline(), retry]
            })
            .flatten()
            .min()
    }

    /// Cancels the idle and waiting entries that a do-not-call suppression
    /// just added stops, in every campaign it applies to (all for a
    /// global one) that is not final: see [`Campaign::suppress`].
    /// `stops(digits, campaign)` gives the reason an entry of that number
    /// is canceled with, if it is. Returns the entries changed, by
    /// campaign, for the caller to store before the addition is answered.
    pub fn suppress(
        &mut self,
        scope: Scope,
        mut stops: impl FnMut(&str, u64) -> Option<String>,
        now: Timestamp,
    ) -> Vec<(u64, Vec<usize>)> {
        self.campaigns
            .values_mut()
            .filter(|c| scope == Scope::Global || scope == Scope::Campaign(c.id()))
            .filter_map(|c| {
                let id = c.id();
                let changed = c.suppress(|digits| stops(digits, id), now);
                (!changed.is_empty()).then_some((id, changed))
            })
            .collect()
    }

    /// Holds back every campaign with `require_registry` while `hold` (the
    /// reason, from [`crate::suppressions::registry_hold`]) says the
    /// registry copy is not current; returns the campaigns whose hold
    /// changed, with it, for the caller to say so.
    pub fn hold_for_registry(&mut self, hold: Option<&str>) -> Vec<(u64, Option<String>)> {
        self.campaigns
            .values_mut()
            .filter_map(|c| {
                c.hold_for_registry(hold)
                    .then(|| (c.id(), c.registry_hold().map(str::to_string)))
            })
            .collect()
    }

    /// Applies a lifecycle operation. `Ok(None)`: the campaign was already
    /// there, nothing changed.
    pub fn operate(
        &mut self,
        id: u64,
        op: Operation,
        now: Timestamp,
    ) -> Result<Option<Changed>, OperationError> {
        let seq = self.next_start_seq;
        let c = self
            .campaigns
            .get_mut(&id)
            .ok_or(OperationError::NotFound(id))?;
        let changed = c.operate(op, seq, now)?;
        if op == Operation::Start && changed.is_some() {
            self.next_start_seq += 1;
        }
        Ok(changed)
    }

    /// Removes a campaign that is over (or never started).
    pub fn delete(&mut self, id: u64) -> Result<Campaign, DeleteError> {
        let c = self.campaigns.get(&id).ok_or(DeleteError::NotFound(id))?;
        if let Some(e) = DeleteError::forbids(id, c.state()) {
            return Err(e);
        }
        if c.active() > 0 || c.pending_dial().is_some() {
            return Err(DeleteError::InFlight {
                id,
                active: c.active().max(1),
            });
        }
        let c = self
            .campaigns
            .remove(&id)
            .ok_or(DeleteError::NotFound(id))?;
        self.retired.version += c.version() + 1;
        self.retired.dialed += c.dialed();
        if let Some(k) = &c.meta().idempotency_key {
            self.keys.remove(k);
        }
        Ok(c)
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
