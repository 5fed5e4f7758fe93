//! One campaign: its list, its record, and every rule about one entry:
//! which is due next (asking the dial-time [`Rules`] about it), what a dial
//! answer, a report, a timeout or a lifecycle operation does, how an
//! attempt ends and whether it earns another.

use super::events::EventKind;
use super::{
    AlreadyStarted, CampaignMeta, CampaignState, Changed, DetectionOutcome, DialAnswer, DialOrder,
    Effect, Entry, NotAllowed, Operation, RestoreError, Settings, VoicemailOrder, WebhookError,
    WebhookOutcome, format_seconds, remaining_after_restart,
};
use crate::answer::{Answer, AnsweredBy, DETECTION_GRACE_MS, Detection};
use crate::call::{CallEvent, CallReport};
use crate::phone::Phone;
use crate::rules::{Candidate, Rules, Verdict};
use crate::status::{Outcome, Status};
use crate::time::{Mono, Now, Timestamp};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Where the entry that the rules let through comes from.
#[derive(Debug, Clone, Copy)]
enum Pick {
    /// The head of `waiting`, due at this monotonic time.
    Waiting(Mono, usize),
    /// `next`, never dialed.
    Fresh(usize),
}

impl Pick {
    fn index(self) -> usize {
        match self {
            Pick::Waiting(_, i) | Pick::Fresh(i) => i,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Campaign {
    meta: CampaignMeta,
    entries: Vec<Entry>,
    concurrency: usize,
    call_timeout_ms: u64,
    version: u64,
    /// The first fresh entry (idle, never dialed), or the list's end:
    /// every earlier one was dialed, or deferred or forbidden by a rule.
    /// A later one is fresh too unless a do-not-call suppression canceled
    /// it ahead of its turn ([`Campaign::suppress`]); [`Campaign::skip_passed`]
    /// steps over those, so this always points at a fresh entry.
    pub(super) next: usize,
    /// The entry whose POST /call is out and unanswered.
    pending_dial: Option<usize>,
    /// Each entry holding a line, with the monotonic time its call times
    /// out.
    in_flight: BTreeMap<usize, Mono>,
    /// Each `waiting` entry (a retry, or one a rule deferred) by the
    /// monotonic time its wait ends, then index: the order they go out in.
    /// Only its first element is read per dial, so picking the next entry
    /// costs O(log n), whatever the list's length.
    waiting: BTreeSet<(Mono, usize)>,
    /// Every token issued, with its entry and the attempt it was issued
    /// for: an old attempt's webhooks are filed under that attempt.
    tokens: HashMap<String, (usize, u32)>,
    /// Each changed entry under the version of its last change, so that
    /// "what changed since V" costs O(changes), not O(list).
    by_version: BTreeMap<u64, usize>,
    /// Entries by status, by [`Status::position`].
    counts: [usize; Status::ALL.len()],
    /// Final entries by outcome, by [`Outcome::position`].
    outcomes: [usize; Outcome::ALL.len()],
    /// Dials sent in all.
    attempts: u64,
    /// Entries dialed at least once.
    dialed: u64,
    /// The meta record changed and must be stored.
    meta_dirty: bool,
    /// Entries a dial-time rule deferred or forbade since last taken
    /// ([`Campaign::take_ruled`]): changed without a dial of their own.
    ruled: BTreeSet<usize>,
    /// How many entries each rule deferred or forbade since last taken
    /// ([`Campaign::take_deferrals`]).
    deferrals: BTreeMap<&'static str, u64>,
    /// Entries `waiting` for a rule ([`Entry::held`]), not for a retry.
    held: usize,
    /// The last pick stopped after [`MAX_PASSED_PER_PICK`] entries that
    /// the rules passed over: more candidates are left to ask.
    cut: bool,
    /// Why this campaign, which requires a current registry copy, may not
    /// dial now ([`Campaign::hold_for_registry`]); not stored: worked out
    /// again from the lists at each dial.
    registry_hold: Option<String>,
}

/// Entries the rules may pass over in one pick before it stops and says
/// so ([`Campaign::take_cut`]): a list whose whole remainder is outside
/// its calling hours is moved to `waiting` a slice at a time, each slice
/// written on its own, rather than in one step that would hold every
/// other request up for as long as a million writes take.
pub const MAX_PASSED_PER_PICK: usize = 512;

impl Campaign {
    /// Campaign 1, a draft of `phones`.
    pub fn new(phones: Vec<Phone>, settings: Settings) -> Self {
        let entries = phones
            .into_iter()
            .enumerate()
            .map(|(i, p)| Entry::new(i, p))
            .collect();
        Campaign::create(CampaignMeta::first(false, 0), entries, settings)
    }

    /// A new campaign of fresh entries (indices from 0, all idle but those
    /// an import kept out: see [`Entry::suppress_at_import`]).
    pub fn create(meta: CampaignMeta, mut entries: Vec<Entry>, settings: Settings) -> Self {
        // A list collected in place from an import's larger rows, or read
        // back in growing chunks, keeps room for a third more entries: the
        // list lives as long as the campaign, so it holds only its own.
        entries.shrink_to_fit();
        let mut counts = [0; Status::ALL.len()];
        let mut outcomes = [0; Outcome::ALL.len()];
        for e in &entries {
            counts[e.status.position()] += 1;
            if let (true, Some(o)) = (e.status.is_final(), e.outcome) {
                outcomes[o.position()] += 1;
            }
        }
        let next = entries
            .iter()
            .position(Entry::is_fresh)
            .unwrap_or(entries.len());
        Campaign {
            version: meta.version,
            meta,
            entries,
            concurrency: settings.concurrency.max(1),
            call_timeout_ms: settings.call_timeout_ms,
            next,
            pending_dial: None,
            in_flight: BTreeMap::new(),
            waiting: BTreeSet::new(),
            tokens: HashMap::new(),
            by_version: BTreeMap::new(),
            counts,
            outcomes,
            attempts: 0,
            dialed: 0,
            meta_dirty: true,
            ruled: BTreeSet::new(),
            deferrals: BTreeMap::new(),
            held: 0,
            cut: false,
            registry_hold: None,
        }
    }

    /// Rebuilds a campaign from stored entries. A dial that was out when the
    /// server stopped is not re-sent: its entry stays `dialing` until its
    /// webhooks or its timeout settle it.
    ///
    /// Each call in flight keeps what is left of its timeout by the wall
    /// clock, counted from `now.mono`: `dialed_at + timeout - now.wall`,
    /// never below zero and never above the timeout. Each retry keeps what
    /// is left of its delay the same way. A stopped campaign's undialed
    /// entries are canceled again (the stop stored only the campaign's
    /// record, not a million canceled entries).
    pub fn restore(
        meta: CampaignMeta,
        mut entries: Vec<Entry>,
        settings: Settings,
        now: Now,
    ) -> Result<Self, RestoreError> {
        entries.shrink_to_fit();
        for (position, e) in entries.iter_mut().enumerate() {
            if e.index != position {
                return Err(RestoreError::IndexGap {
                    campaign: meta.id,
                    position,
                    found: e.index,
                });
            }
            e.upgrade();
        }
        // The first fresh entry: every earlier one was dialed, or deferred
        // (waiting) or forbidden (canceled) by a rule; a later one that is
        // not fresh was canceled by a suppression ahead of its turn. For a
        // directory written before suppressions this is the old "past the
        // last entry that is not fresh".
        let next = entries
            .iter()
            .position(Entry::is_fresh)
            .unwrap_or(entries.len());
        // Whether anything but a suppression ahead of its turn moved an
        // entry on: a draft whose entries only suppressions canceled was
        // never started.
        let suppressed_ahead = |e: &Entry| e.attempt == 0 && e.outcome == Some(Outcome::Suppressed);
        let moved = entries
            .iter()
            .any(|e| !(e.is_fresh() || suppressed_ahead(e)));
        let timeout = settings.call_timeout_ms;
        let in_flight = entries
            .iter()
            .filter(|e| e.status.is_in_flight())
            .map(|e| {
                // One waiting for its detection result has what is left of
                // the grace since it completed, within its own timeout.
                let mut left = remaining_after_restart(e.details().dialed_at, now.wall, timeout);
                if e.awaiting_answer {
                    let grace =
                        remaining_after_restart(e.updated_at(), now.wall, DETECTION_GRACE_MS);
                    left = left.min(grace);
                }
                (e.index, now.mono.plus_millis(left))
            })
            .collect();
        let delay_ms = meta.retry.retry_delay * 1000;
        let waiting = entries
            .iter()
            .filter(|e| e.status == Status::Waiting)
            .map(|e| {
                let left = e
                    .retry_at()
                    .map_or(0, |at| at.millis().saturating_sub(now.wall.millis()));
                (now.mono.plus_millis(left.min(delay_ms)), e.index)
            })
            .collect();
        let tokens = entries
            .iter()
            .filter_map(|e| e.details().token.clone().map(|t| (t, (e.index, e.attempt))))
            .collect();
        let version = entries
            .iter()
            .map(|e| e.version)
            .fold(meta.version, u64::max);
        let by_version = entries
            .iter()
            .filter(|e| e.version > 0)
            .map(|e| (e.version, e.index))
            .collect();
        let mut counts = [0; Status::ALL.len()];
        let mut outcomes = [0; Outcome::ALL.len()];
        let mut attempts = 0;
        let mut dialed = 0;
        let mut held = 0;
        for e in &mut entries {
            // Only a waiting entry waits for a rule.
            e.held &= e.status == Status::Waiting;
            held += usize::from(e.held);
            // Only a call still holding its line waits for its answer.
            e.awaiting_answer &= e.status.is_in_flight();
        }
        for e in &entries {
            counts[e.status.position()] += 1;
            if let (true, Some(o)) = (e.status.is_final(), e.outcome) {
                outcomes[o.position()] += 1;
            }
            attempts += u64::from(e.attempt);
            dialed += u64::from(e.attempt > 0);
        }
        let mut c = Campaign {
            meta,
            entries,
            concurrency: settings.concurrency.max(1),
            call_timeout_ms: timeout,
            version,
            next,
            pending_dial: None,
            in_flight,
            waiting,
            tokens,
            by_version,
            counts,
            outcomes,
            attempts,
            dialed,
            meta_dirty: false,
            ruled: BTreeSet::new(),
            deferrals: BTreeMap::new(),
            held,
            cut: false,
            registry_hold: None,
        };
        if c.meta.state == CampaignState::Draft && moved {
            // A list that was dialed was started, whatever its record says.
            c.meta.state = CampaignState::Running;
        }
        if c.meta.state == CampaignState::Stopped {
            c.cancel_rest(c.meta.finished_at.unwrap_or(now.wall));
        }
        c.check_done(now.wall);
        // Whatever moved the version on (canceling a stopped campaign's
        // entries again) must reach the store before the manifest counts
        // it: a record is due.
        c.meta_dirty |= c.version > version;
        Ok(c)
    }

    pub fn id(&self) -> u64 {
        self.meta.id
    }

    pub fn meta(&self) -> &CampaignMeta {
        &self.meta
    }

    pub fn state(&self) -> CampaignState {
        self.meta.state
    }

    /// The campaign's record, with its current version, if it changed since
    /// it was last stored. Only a look: the record stays due until the
    /// caller has written it and says so with [`Campaign::meta_stored`], so
    /// a write that fails leaves nothing to hand back.
    pub fn meta_due(&self) -> Option<CampaignMeta> {
        self.meta_dirty.then(|| CampaignMeta {
            version: self.version,
            ..self.meta.clone()
        })
    }

    /// Sets the campaign's calling hours (campaign 1 of a new data
    /// directory takes the server's); its record is due.
    pub fn set_calling_hours(&mut self, hours: crate::hours::CallingHours) {
        self.meta.hours.calling_hours = hours;
        self.meta_dirty = true;
    }

    /// The record that [`Campaign::meta_due`] showed is written: none is due
    /// until the campaign changes again.
    pub fn meta_stored(&mut self) {
        self.meta_dirty = false;
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn entry(&self, index: usize) -> Option<&Entry> {
        self.entries.get(index)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn started(&self) -> bool {
        self.meta.state.is_started()
    }

    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Entries holding a line.
    pub fn active(&self) -> usize {
        self.in_flight.len()
    }

    pub fn pending_dial(&self) -> Option<usize> {
        self.pending_dial
    }

    /// Entries dialed at least once.
    pub fn dialed(&self) -> u64 {
        self.dialed
    }

    pub fn count(&self, status: Status) -> usize {
        self.counts[status.position()]
    }

    /// Final entries that ended in `outcome`.
    pub fn outcome_count(&self, outcome: Outcome) -> usize {
        self.outcomes[outcome.position()]
    }

    /// Dials sent in all, retries included.
    pub fn attempts(&self) -> u64 {
        self.attempts
    }

    /// The entries changed after version `since`, in list order: O(changes),
    /// not O(list). `None` for a `since` from the future (a client that
    /// knew another data directory): it needs every entry.
    pub fn changed_since(&self, since: u64) -> Option<Vec<usize>> {
        if since > self.version {
            return None;
        }
        let mut changed: Vec<usize> = self
            .by_version
            .range(since + 1..)
            .map(|(_, &i)| i)
            .collect();
        changed.sort_unstable();
        Some(changed)
    }

    /// The entries a dial-time rule deferred or forbade since last taken:
    /// they changed without a dial, so the caller stores them itself.
    pub fn take_ruled(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.ruled).into_iter().collect()
    }

    /// How many entries each rule deferred or forbade since last taken.
    pub fn take_deferrals(&mut self) -> BTreeMap<&'static str, u64> {
        std::mem::take(&mut self.deferrals)
    }

    /// Entries `waiting` for a dial-time rule (their calling hours), and
    /// when the first of them is due by the wall clock. O(retries due
    /// before it), not O(list).
    pub fn held(&self) -> (usize, Option<Timestamp>) {
        if self.held == 0 {
            return (0, None);
        }
        let next = self
            .waiting
            .iter()
            .map(|&(_, i)| &self.entries[i])
            .find(|e| e.held)
            .and_then(|e| e.retry_at());
        (self.held, next)
    }

    /// Started, every entry final, and no dial answer still awaited.
    pub fn is_finished(&self) -> bool {
        self.started() && self.all_final()
    }

    fn all_final(&self) -> bool {
        let finals: usize = Status::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .map(|s| self.counts[s.position()])
            .sum();
        finals == self.entries.len() && self.in_flight.is_empty() && self.pending_dial.is_none()
    }

    /// Starts a draft (`POST /calls` on campaign 1).
    pub fn start(&mut self) -> Result<(), AlreadyStarted> {
        if self.started() {
            return Err(AlreadyStarted);
        }
        self.operate(Operation::Start, 0, Timestamp(0))
            .map(|_| ())
            .map_err(|_| AlreadyStarted)
    }

    /// Applies a lifecycle operation at wall time `now`; `start_seq` orders
    /// this campaign among started ones. `Ok(None)` when the campaign was
    /// already where `op` leads: nothing changed.
    pub fn operate(
        &mut self,
        op: Operation,
        start_seq: u64,
        now: Timestamp,
    ) -> Result<Option<Changed>, NotAllowed> {
        let Some(to) = self.meta.state.apply(op)? else {
            return Ok(None);
        };
        self.meta.state = to;
        self.meta_dirty = true;
        self.version += 1;
        let mut changed = Changed::default();
        match op {
            Operation::Start => {
                self.meta.started_at = Some(now);
                self.meta.start_seq = start_seq;
            }
            Operation::Stop => {
                self.meta.finished_at = Some(now);
                changed.entries = self.cancel_rest(now);
            }
            Operation::Pause | Operation::Resume => {}
        }
        self.check_done(now);
        Ok(Some(changed))
    }

    /// Cancels every idle and waiting entry; returns them. Entries past
    /// `next` that are canceled already (a restored stopped campaign whose
    /// stop was stored with its entries) are left alone.
    fn cancel_rest(&mut self, now: Timestamp) -> Vec<usize> {
        let mut canceled: Vec<usize> = self.waiting.iter().map(|&(_, i)| i).collect();
        self.waiting.clear();
        let entries = &self.entries;
        canceled.extend((self.next..entries.len()).filter(|&i| entries[i].status == Status::Idle));
        self.next = self.entries.len();
        canceled.sort_unstable();
        for &i in &canceled {
            self.set_status(i, Status::Canceled, now);
            let e = &mut self.entries[i];
            e.set_retry_at(None);
            e.record(now, EventKind::Canceled, true, None);
            self.set_outcome(i, Outcome::Canceled);
            self.touch(i);
        }
        canceled
    }

    /// Cancels, for a do-not-call suppression just added, every idle and
    /// waiting entry whose number `stops` names, with outcome `suppressed`
    /// and the reason `stops` gives (the list, and when it was added). A
    /// final campaign is left as it ended, and an entry whose call is out
    /// finishes normally (a retry it earns is then forbidden by the
    /// do-not-call rule at its pick). Returns the entries changed, for the
    /// caller to store; canceled entries stay so if the suppression is
    /// removed.
    ///
    /// O(waiting + fresh entries): asked once per addition, not per dial.
    /// Fresh entries canceled ahead of their turn are stepped over by
    /// [`Campaign::skip_passed`], so the order of the rest is unchanged.
    pub fn suppress(
        &mut self,
        mut stops: impl FnMut(&str) -> Option<String>,
        now: Timestamp,
    ) -> Vec<usize> {
        if self.meta.state.is_final() {
            return Vec::new();
        }
        let entries = &self.entries;
        let mut hit: Vec<(usize, String)> = self
            .waiting
            .iter()
            .map(|&(_, i)| i)
            .chain((self.next..entries.len()).filter(|&i| entries[i].is_fresh()))
            .filter_map(|i| stops(entries[i].phone.digits()).map(|r| (i, r)))
            .collect();
        hit.sort_unstable_by_key(|&(i, _)| i);
        if hit.is_empty() {
            return Vec::new();
        }
        self.waiting
            .retain(|&(_, i)| hit.binary_search_by_key(&i, |&(j, _)| j).is_err());
        for (i, reason) in &hit {
            let i = *i;
            self.set_status(i, Status::Canceled, now);
            let e = &mut self.entries[i];
            e.set_retry_at(None);
            e.details_mut().reason = Some(reason.clone());
            e.record(now, EventKind::Canceled, true, Some(reason.clone()));
            self.set_outcome(i, Outcome::Suppressed);
            self.touch(i);
        }
        self.skip_passed();
        self.check_done(now);
        hit.into_iter().map(|(i, _)| i).collect()
    }

    /// Moves `next` past the entry it pointed at, then past any that a
    /// suppression canceled ahead of its turn.
    fn take_next(&mut self) {
        self.next += 1;
        self.skip_passed();
    }

    /// Moves `next` to the first fresh entry at or after it.
    fn skip_passed(&mut self) {
        while self.entries.get(self.next).is_some_and(|e| !e.is_fresh()) {
            self.next += 1;
        }
    }

    /// Running, and every entry final: done.
    fn check_done(&mut self, now: Timestamp) {
        let live = matches!(
            self.meta.state,
            CampaignState::Running | CampaignState::Paused
        );
        if live && self.all_final() {
            self.meta.state = CampaignState::Done;
            self.meta.finished_at = Some(now);
            self.meta_dirty = true;
        }
    }

    /// The entry to offer the rules next, if any: the earliest due
    /// `waiting` one (then the lowest index), else the next fresh one.
    fn due(&self, now: Mono) -> Option<usize> {
        match self.waiting.first() {
            Some(&(at, i)) if at <= now => Some(i),
            _ => (self.next < self.entries.len()).then_some(self.next),
        }
    }

    /// Holds a campaign with `require_registry` back for `hold` (its
    /// reason; `None`: the registry copy is current). A campaign without
    /// the setting is never held, nor one that is over. Returns whether
    /// the hold changed.
    pub fn hold_for_registry(&mut self, hold: Option<&str>) -> bool {
        let hold = hold.filter(|_| self.meta.require_registry && !self.meta.state.is_final());
        if self.registry_hold.as_deref() == hold {
            return false;
        }
        self.registry_hold = hold.map(str::to_string);
        true
    }

    /// Why the campaign may not dial for want of a current registry copy.
    pub fn registry_hold(&self) -> Option<&str> {
        self.registry_hold.as_deref()
    }

    /// Running, with an entry due, and no dial of its own out. "Due" is
    /// before the dial-time rules are asked: they may still defer or
    /// forbid it, and then [`Campaign::begin_dial_under`] moves it out of
    /// the way and this says so next time.
    pub fn has_due(&self, now: Mono) -> bool {
        self.meta.state == CampaignState::Running
            && self.pending_dial.is_none()
            && self.registry_hold.is_none()
            && self.due(now).is_some()
    }

    /// When, on the monotonic clock, the earliest retry is due.
    pub fn next_retry(&self) -> Option<Mono> {
        self.waiting.first().map(|&(at, _)| at)
    }

    /// When the earliest retry not yet due at `now` falls due.
    pub fn next_retry_after(&self, now: Mono) -> Option<Mono> {
        self.waiting
            .range((Mono(now.0.saturating_add(1)), 0)..)
            .next()
            .map(|&(at, _)| at)
    }

    /// A line is free, no dial is out, and an entry is due.
    pub fn can_dial_at(&self, now: Mono) -> bool {
        self.has_due(now) && self.in_flight.len() < self.concurrency
    }

    /// [`Campaign::can_dial_at`] for a campaign without retries due later.
    pub fn can_dial(&self) -> bool {
        self.can_dial_at(Mono(u64::MAX))
    }

    /// [`Campaign::begin_dial_under`] today's rules.
    pub fn begin_dial(&mut self, token: String, now: Now) -> Option<DialOrder> {
        self.begin_dial_under(&Rules::standard(), token, now)
    }

    /// Marks the next entry that `rules` let through `dialing` under
    /// `token` and returns what to send. The caller must persist the entry
    /// before sending it (and those [`Campaign::take_ruled`] returns). The
    /// call's timeout starts now.
    pub fn begin_dial_under(
        &mut self,
        rules: &Rules,
        token: String,
        now: Now,
    ) -> Option<DialOrder> {
        if !self.can_dial_at(now.mono) || self.tokens.contains_key(&token) {
            return None;
        }
        let Some(pick) = self.pick(rules, now) else {
            // The rules passed over every candidate: forbidden ones may
            // have been the last.
            self.check_done(now.wall);
            return None;
        };
        let index = pick.index();
        match pick {
            Pick::Fresh(_) => self.take_next(),
            Pick::Waiting(at, i) => {
                self.waiting.remove(&(at, i));
            }
        }
        if self.entries[index].attempt == 0 {
            self.dialed += 1;
        }
        self.attempts += 1;
        self.pending_dial = Some(index);
        let attempt = self.entries[index].attempt + 1;
        self.tokens.insert(token.clone(), (index, attempt));
        self.in_flight
            .insert(index, now.mono.plus_millis(self.call_timeout_ms));
        self.set_status(index, Status::Dialing, now.wall);
        let e = &mut self.entries[index];
        e.attempt += 1;
        e.answered = false;
        e.set_retry_at(None);
        e.awaiting_answer = false;
        e.voicemail_left = false;
        let d = e.details_mut();
        d.token = Some(token.clone());
        d.dialed_at = Some(now.wall);
        d.first_dialed_at.get_or_insert(now.wall);
        d.call_id = None;
        d.reason = None;
        d.sequence = None;
        d.answer = None;
        e.record(now.wall, EventKind::Dialed, true, None);
        let phone = e.phone.clone();
        self.touch(index);
        Some(DialOrder {
            campaign: self.meta.id,
            index,
            phone,
            token,
            answers: self.meta.answers.clone(),
        })
    }

    /// The entry to dial next: the candidates in today's order (due
    /// `waiting` entries by time then index, then fresh ones in list
    /// order), each asked of `rules` until one may go. One a rule defers
    /// joins `waiting` at its time; one it forbids is canceled; either way
    /// it leaves the candidates' front, so each is asked once per dial.
    fn pick(&mut self, rules: &Rules, now: Now) -> Option<Pick> {
        for _ in 0..MAX_PASSED_PER_PICK {
            let pick = match self.waiting.first() {
                Some(&(at, i)) if at <= now.mono => Pick::Waiting(at, i),
                _ if self.next < self.entries.len() => Pick::Fresh(self.next),
                _ => return None,
            };
            let due = match pick {
                Pick::Waiting(at, _) => Some(at),
                Pick::Fresh(_) => None,
            };
            let candidate = Candidate {
                entry: &self.entries[pick.index()],
                due,
                hours: &self.meta.hours,
                campaign: self.meta.id,
            };
            let (verdict, rule) = rules.judge(candidate, now);
            match verdict {
                Verdict::Dial => return Some(pick),
                // A time that has come already: nothing to wait for.
                Verdict::WaitUntil { at, .. } if at <= now.wall => return Some(pick),
                Verdict::WaitUntil { at, reason } => self.defer(pick, at, reason, now),
                Verdict::Never { reason, outcome } => self.forbid(pick, reason, outcome, now),
            }
            *self.deferrals.entry(rule).or_insert(0) += 1;
        }
        self.cut = true;
        None
    }

    /// Whether the last pick stopped with candidates left to ask (see
    /// [`MAX_PASSED_PER_PICK`]); the caller asks again once it has stored
    /// what the rules passed over.
    pub fn take_cut(&mut self) -> bool {
        std::mem::take(&mut self.cut)
    }

    /// Makes the picked entry wait until wall time `until` (after `now`),
    /// with no attempt used: on the monotonic clock that far from now, so
    /// that it goes with the retries once its time comes, and is asked
    /// again then.
    ///
    /// A rule's `reason` becomes the entry's and is in its history, with
    /// a `deferred` event; the entry is then `held` (waiting for a rule,
    /// not a retry). A wait without a reason changes the time only, as a
    /// retry's own delay does.
    fn defer(&mut self, pick: Pick, until: Timestamp, reason: Option<String>, now: Now) {
        let index = pick.index();
        match pick {
            Pick::Waiting(at, i) => {
                self.waiting.remove(&(at, i));
            }
            Pick::Fresh(i) => {
                self.take_next();
                self.set_status(i, Status::Waiting, now.wall);
            }
        }
        let at = now.mono.plus_millis(until.since(now.wall));
        self.waiting.insert((at, index));
        let e = &mut self.entries[index];
        e.set_retry_at(Some(until));
        if let Some(reason) = reason {
            // The same wait again (asked once more when it fell due early,
            // after a restart) is not news for the history.
            let repeated = e.details().reason.as_deref() == Some(reason.as_str())
                && e.details()
                    .history
                    .last()
                    .is_some_and(|ev| ev.kind == (EventKind::Deferred { retry_at: until }));
            if !repeated {
                e.record(
                    now.wall,
                    EventKind::Deferred { retry_at: until },
                    true,
                    Some(reason.clone()),
                );
            }
            e.details_mut().reason = Some(reason);
            if !e.held {
                e.held = true;
                self.held += 1;
            }
        }
        self.touch(index);
        self.ruled.insert(index);
    }

    /// Passes the picked entry over for good: canceled, with the rule's
    /// reason and outcome.
    fn forbid(&mut self, pick: Pick, reason: String, outcome: Outcome, now: Now) {
        let index = pick.index();
        match pick {
            Pick::Waiting(at, i) => {
                self.waiting.remove(&(at, i));
            }
            Pick::Fresh(_) => self.take_next(),
        }
        self.set_status(index, Status::Canceled, now.wall);
        let e = &mut self.entries[index];
        e.set_retry_at(None);
        e.details_mut().reason = Some(reason.clone());
        e.record(now.wall, EventKind::Canceled, true, Some(reason));
        self.set_outcome(index, outcome);
        self.touch(index);
        self.ruled.insert(index);
    }

    /// Applies how the POST /call for `index` ended. Returns true when the
    /// entry's line was freed.
    pub fn finish_dial(&mut self, index: usize, answer: DialAnswer, now: Now) -> bool {
        if self.pending_dial == Some(index) {
            self.pending_dial = None;
        }
        let Some(e) = self.entries.get_mut(index) else {
            return false;
        };
        let mut fail = None;
        let mut retryable = true;
        match answer {
            DialAnswer::Placed { id } => {
                let note = match &e.details().call_id {
                    Some(k) if *k == id => Some("id already known from a webhook".to_string()),
                    Some(k) => Some(format!("replaces id {k} from a webhook")),
                    None => None,
                };
                let applied = e.details().call_id.as_ref() != Some(&id);
                e.details_mut().call_id = Some(id.clone());
                e.record(now.wall, EventKind::Placed { id }, applied, note);
            }
            DialAnswer::Refused { reason } => {
                fail = Some(format!("dialer API refused the call: {reason}"));
                e.record(now.wall, EventKind::Refused { reason }, false, None);
            }
            DialAnswer::Unreachable { reason } => {
                fail = Some(format!("dialer API unreachable: {reason}"));
                e.record(now.wall, EventKind::Unreachable { reason }, false, None);
            }
            DialAnswer::Undialable { reason } => {
                fail = Some(reason.clone());
                retryable = false;
                e.record(now.wall, EventKind::Refused { reason }, false, None);
            }
            DialAnswer::Unanswered { reason } => {
                let note = "the call may exist: waiting for its webhooks or the call timeout";
                e.record(
                    now.wall,
                    EventKind::Unanswered { reason },
                    false,
                    Some(note.into()),
                );
            }
        }
        let mut freed = false;
        if let Some(reason) = fail {
            let status = e.status;
            let d = e.details_mut();
            let last = d.history.last_mut();
            if status == Status::Dialing {
                if let Some(ev) = last {
                    ev.applied = true;
                }
                d.reason = Some(reason);
                self.set_status(index, Status::Failed, now.wall);
                self.end_attempt_retrying(index, now, retryable);
                freed = true;
            } else if let Some(ev) = last {
                ev.note = Some(format!("entry is already {status}"));
            }
        }
        self.touch(index);
        self.check_done(now.wall);
        freed
    }

    /// Applies a provider's report on the call dialed under `token`.
    /// Refused reports change nothing; accepted ones are always recorded,
    /// applied or not. A report for an attempt that is over is recorded
    /// and changes nothing, except that a late `answered` for the last
    /// attempt says someone did pick up: its outcome becomes `answered`,
    /// and a retry it had earned is called off.
    pub fn apply_report(
        &mut self,
        token: &str,
        report: CallReport,
        now: Now,
    ) -> Result<WebhookOutcome, WebhookError> {
        let (index, attempt) = *self.tokens.get(token).ok_or(WebhookError::UnknownToken)?;
        let e = &mut self.entries[index];
        let current = e.details().token.as_deref() == Some(token);
        if current && let Some(known) = e.details().call_id.as_ref().filter(|&k| *k != report.id) {
            return Err(WebhookError::IdMismatch {
                index,
                known: known.clone(),
                got: report.id,
            });
        }
        let new = report.event.status();
        let cur = e.status;
        let late_answer = current && report.event == CallEvent::Answered && !e.answered;
        let (effect, ignored) = if !current {
            (
                Effect::AfterFinal,
                Some(format!(
                    "an earlier attempt; attempt {} is current",
                    e.attempt
                )),
            )
        } else if cur.is_final() || cur == Status::Waiting {
            (Effect::AfterFinal, Some(format!("entry is already {cur}")))
        } else if e.awaiting_answer && new.is_final() {
            (
                Effect::Duplicate,
                Some("completed already; waiting for its answering-machine result".to_string()),
            )
        } else if new.rank() == cur.rank() {
            (Effect::Duplicate, Some("duplicate".to_string()))
        } else if new.rank() < cur.rank() {
            (
                Effect::Backwards,
                Some(format!("would move {cur} back to {new}")),
            )
        } else {
            (Effect::Applied, None)
        };
        let applied = ignored.is_none();
        // With detection on, a call that completed after being answered
        // waits for its result before its outcome is decided.
        let awaits = applied
            && report.event == CallEvent::Completed
            && self.meta.answers.amd.is_on()
            && e.answered
            && e.details().answer.is_none();
        let learned_id = current && e.details().call_id.is_none();
        // Only the current attempt's numbers are compared: an earlier
        // attempt's call numbers its callbacks from 0 again, and its
        // reports are noted as such already.
        let out_of_order = match (current, report.sequence, e.details().sequence) {
            (true, Some(n), Some(highest)) if n < highest => {
                Some(format!("out of order: sequence {n} after {highest}"))
            }
            _ => None,
        };
        if current {
            e.details_mut().call_id = Some(report.id.clone());
            if let Some(n) = report.sequence {
                e.details_mut().sequence = Some(e.details().sequence.map_or(n, |h| h.max(n)));
            }
        }
        if late_answer || (applied && report.event == CallEvent::Answered) {
            e.answered = true;
        }
        if applied
            && let CallEvent::Failed { reason } | CallEvent::NotAnswered { reason } = &report.event
        {
            e.details_mut().reason = Some(reason.clone());
        }
        let kind = EventKind::Webhook {
            id: report.id,
            reported: report.event,
        };
        let note = ignored.or_else(|| learned_id.then(|| "call id learned".to_string()));
        let note = match (out_of_order, note) {
            (Some(o), Some(n)) => Some(format!("{o}; {n}")),
            (o, n) => o.or(n),
        };
        let kept = e.details().history.len();
        e.record(now.wall, kind, applied, note);
        if let Some(ev) = e.details_mut().history.get_mut(kept) {
            // The token's own attempt: an old attempt's event is not the
            // current one's (Entry::upgrade reads answers by attempt).
            ev.attempt = attempt;
        }
        if awaits {
            self.await_answer(index, now);
        } else if applied {
            self.set_status(index, new, now.wall);
            if new.is_final() {
                self.end_attempt(index, now);
            }
        } else if late_answer {
            self.late_answer(index, now.wall);
        }
        self.touch(index);
        self.check_done(now.wall);
        let status = self.entries[index].status;
        Ok(WebhookOutcome {
            index,
            effect,
            applied,
            status,
            freed_slot: applied && !status.is_in_flight(),
        })
    }

    /// The call on `index` completed after being answered, and detection
    /// has not said who answered: it keeps its `answered` status and its
    /// line for the grace (within its own timeout), then completes with
    /// the result, or as `unknown` ([`Campaign::expire`]).
    fn await_answer(&mut self, index: usize, now: Now) {
        let grace = now.mono.plus_millis(DETECTION_GRACE_MS);
        if let Some(deadline) = self.in_flight.get_mut(&index) {
            *deadline = (*deadline).min(grace);
        }
        let e = &mut self.entries[index];
        e.awaiting_answer = true;
        e.details_mut().updated_at = Some(now.wall);
        if let Some(last) = e.details_mut().history.last_mut() {
            last.note = Some(format!(
                "completed; waiting up to {} for its answering-machine result",
                format_seconds(DETECTION_GRACE_MS)
            ));
        }
    }

    /// Applies a provider's answering-machine detection result on the call
    /// dialed under `token`. The first result of an attempt is its answer;
    /// a second one, one for an earlier attempt, or one after the outcome
    /// was decided is recorded and changes nothing. A result for a call
    /// that waits for it ([`Campaign::await_answer`]) completes the
    /// attempt; one that finds a machine past its greeting on a live call
    /// asks for the campaign's voicemail.
    pub fn apply_detection(
        &mut self,
        token: &str,
        d: Detection,
        now: Now,
    ) -> Result<DetectionOutcome, WebhookError> {
        let (index, attempt) = *self.tokens.get(token).ok_or(WebhookError::UnknownToken)?;
        let e = &mut self.entries[index];
        let current = e.details().token.as_deref() == Some(token);
        if current && let Some(known) = e.details().call_id.as_ref().filter(|&k| *k != d.id) {
            return Err(WebhookError::IdMismatch {
                index,
                known: known.clone(),
                got: d.id,
            });
        }
        let ignored = if !current {
            Some(format!(
                "an earlier attempt; attempt {} is current",
                e.attempt
            ))
        } else if let Some(a) = &e.details().answer {
            Some(if a.answered_by == d.answered_by && a.raw == d.raw {
                "duplicate".to_string()
            } else {
                format!(
                    "answered_by is {} already; this later result is not applied",
                    a.answered_by
                )
            })
        } else if e.status.is_final() || e.status == Status::Waiting {
            Some(format!("entry is already {}; its outcome stands", e.status))
        } else {
            None
        };
        let applied = ignored.is_none();
        if current && e.details().call_id.is_none() {
            e.details_mut().call_id = Some(d.id.clone());
        }
        if applied {
            e.details_mut().answer = Some(Box::new(Answer::of(&d)));
            // Someone or something picked up, whatever the call's own
            // `answered` report does.
            e.answered |= d.answered_by != AnsweredBy::Unknown;
        }
        let kind = EventKind::Detected {
            id: d.id.clone(),
            answered_by: d.answered_by,
            raw: d.raw.clone(),
            detection_ms: d.duration_ms,
        };
        let kept = e.details().history.len();
        e.record(now.wall, kind, applied, ignored);
        if let Some(ev) = e.details_mut().history.get_mut(kept) {
            ev.attempt = attempt;
        }
        let mut freed_slot = false;
        let mut voicemail = None;
        if applied && e.awaiting_answer {
            e.awaiting_answer = false;
            self.set_status(index, Status::Completed, now.wall);
            self.end_attempt(index, now);
            freed_slot = true;
        } else if applied
            && d.greeting_over
            && d.answered_by == AnsweredBy::Machine
            && e.status.is_in_flight()
            && let (Some(message), Some(call_id)) = (
                self.meta.answers.voicemail.clone(),
                e.details().call_id.clone(),
            )
        {
            voicemail = Some(VoicemailOrder {
                campaign: self.meta.id,
                index,
                attempt,
                call_id,
                message,
            });
        }
        self.touch(index);
        self.check_done(now.wall);
        Ok(DetectionOutcome {
            index,
            applied,
            status: self.entries[index].status,
            freed_slot,
            voicemail,
        })
    }

    /// Records whether the voicemail of `order` was left; the entry's
    /// `voicemail_left` says so while that attempt is its current one.
    /// False for an entry that is gone.
    pub fn record_voicemail(
        &mut self,
        order: &VoicemailOrder,
        result: Result<(), String>,
        now: Timestamp,
    ) -> bool {
        let Some(e) = self.entries.get_mut(order.index) else {
            return false;
        };
        let current = e.attempt == order.attempt;
        let left = result.is_ok();
        if left && current {
            e.voicemail_left = true;
        }
        let kept = e.details().history.len();
        e.record(
            now,
            EventKind::Voicemail {
                left,
                reason: result.err(),
            },
            left && current,
            None,
        );
        if let Some(ev) = e.details_mut().history.get_mut(kept) {
            ev.attempt = order.attempt;
        }
        self.touch(order.index);
        true
    }

    /// An `answered` that came after its attempt ended.
    fn late_answer(&mut self, index: usize, now: Timestamp) {
        let e = &self.entries[index];
        let answered = answered_outcome(e);
        match e.status {
            Status::Completed if e.outcome == Some(Outcome::NoAnswer) => {
                self.unset_outcome(index);
                self.set_outcome(index, answered);
            }
            Status::Waiting => {
                self.waiting.retain(|&(_, i)| i != index);
                self.set_status(index, Status::Completed, now);
                let e = &mut self.entries[index];
                e.set_retry_at(None);
                e.details_mut().reason = None;
                if let Some(last) = e.details_mut().history.last_mut() {
                    last.note = Some("answered after its attempt ended: no retry".into());
                }
                self.set_outcome(index, answered);
            }
            _ => {}
        }
    }

    /// The attempt on `index` just reached a final status: it earns a retry
    /// (the entry waits) or the entry keeps its outcome.
    fn end_attempt(&mut self, index: usize, now: Now) {
        self.end_attempt_retrying(index, now, true);
    }

    /// [`Campaign::end_attempt`]; `retryable` false for an attempt that
    /// may have reached someone without our knowing.
    fn end_attempt_retrying(&mut self, index: usize, now: Now, retryable: bool) {
        let e = &self.entries[index];
        let outcome = match e.status {
            Status::Completed if e.answered => answered_outcome(e),
            Status::Completed => Outcome::NoAnswer,
            _ => Outcome::Failed,
        };
        let live = matches!(
            self.meta.state,
            CampaignState::Running | CampaignState::Paused
        );
        if retryable && live && self.meta.retry.retries(outcome, e.attempt) {
            let delay = self.meta.retry.retry_delay * 1000;
            let at = now.wall.plus_millis(delay);
            self.waiting.insert((now.mono.plus_millis(delay), index));
            self.set_status(index, Status::Waiting, now.wall);
            let e = &mut self.entries[index];
            e.set_retry_at(Some(at));
            e.record(
                now.wall,
                EventKind::RetryScheduled {
                    outcome,
                    retry_at: at,
                },
                true,
                None,
            );
        } else {
            self.set_outcome(index, outcome);
        }
    }

    fn set_outcome(&mut self, index: usize, outcome: Outcome) {
        self.entries[index].outcome = Some(outcome);
        self.outcomes[outcome.position()] += 1;
    }

    fn unset_outcome(&mut self, index: usize) {
        if let Some(o) = self.entries[index].outcome.take() {
            self.outcomes[o.position()] -= 1;
        }
    }

    /// Fails every in-flight entry whose deadline has come by `now.mono`
    /// and returns their indices, without a retry (see below). The wall
    /// clock only dates the record.
    pub fn expire(&mut self, now: Now) -> Vec<usize> {
        let timeout_ms = self.call_timeout_ms;
        let due: Vec<usize> = self
            .in_flight
            .iter()
            .filter(|&(_, &deadline)| deadline <= now.mono)
            .map(|(&i, _)| i)
            .collect();
        for &i in &due {
            let e = &mut self.entries[i];
            if e.awaiting_answer {
                // It completed; only its detection result is missing.
                e.awaiting_answer = false;
                e.details_mut().answer = Some(Box::new(Answer::unknown()));
                e.record(
                    now.wall,
                    EventKind::DetectionTimedOut {
                        after_ms: DETECTION_GRACE_MS,
                    },
                    true,
                    Some("no answering-machine result in time: answered_by unknown".into()),
                );
                self.set_status(i, Status::Completed, now.wall);
                self.end_attempt(i, now);
                self.touch(i);
                continue;
            }
            e.details_mut().reason = Some(format!(
                "no final webhook within {}",
                format_seconds(timeout_ms)
            ));
            e.record(
                now.wall,
                EventKind::TimedOut {
                    after_ms: timeout_ms,
                },
                true,
                None,
            );
            self.set_status(i, Status::Failed, now.wall);
            // Never retried: the call may have been answered and its
            // webhooks lost (the dialer API never sends one again, and none
            // is taken while the store fails or the server restarts), and
            // a dial whose answer is still out may have placed it.
            self.end_attempt_retrying(i, now, false);
            self.touch(i);
        }
        if !due.is_empty() {
            self.check_done(now.wall);
        }
        due
    }

    /// When, on the monotonic clock, the earliest in-flight entry times out.
    pub fn next_deadline(&self) -> Option<Mono> {
        self.in_flight.values().min().copied()
    }

    /// Each entry holding a line, with when it times out on the monotonic
    /// clock: at most `concurrency` of them, so a read can walk them on
    /// every answer.
    pub fn deadlines(&self) -> impl Iterator<Item = (usize, Mono)> + '_ {
        self.in_flight.iter().map(|(&i, &d)| (i, d))
    }

    /// Sets an entry's status, keeps the counts, and frees its line if the
    /// status holds none. Lines are taken only in [`Campaign::begin_dial`],
    /// which knows the deadline: no other move makes an entry in flight.
    fn set_status(&mut self, index: usize, status: Status, now: Timestamp) {
        let e = &mut self.entries[index];
        self.counts[e.status.position()] -= 1;
        self.counts[status.position()] += 1;
        if status != Status::Waiting && e.held {
            e.held = false;
            self.held -= 1;
        }
        e.status = status;
        e.details_mut().updated_at = Some(now);
        if !status.is_in_flight() {
            self.in_flight.remove(&index);
        }
    }

    fn touch(&mut self, index: usize) {
        self.version += 1;
        let e = &mut self.entries[index];
        self.by_version.remove(&e.version);
        e.version = self.version;
        self.by_version.insert(self.version, index);
    }
}

/// The outcome of an answered attempt: `machine` when detection found one
/// (or a fax), `answered` otherwise, a person or nobody knows who.
fn answered_outcome(e: &Entry) -> Outcome {
    match &e.details().answer {
        Some(a) if a.answered_by.is_machine() => Outcome::Machine,
        _ => Outcome::Answered,
    }
}
