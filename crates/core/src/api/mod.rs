//! numdialer's own HTTP API: the JSON bodies the server answers and its
//! clients (the TUI, the tests) read. The dialer APIs' shapes live apart,
//! in [`crate::protocol`].
//!
//! The edge of the domain: these shapes are built from [`crate::campaign`]'s
//! types here (`From` and the builders below), and nothing in `campaign`
//! knows them, so that an HTTP answer and a stored record change only on
//! purpose, each on its own.

mod campaigns;
#[cfg(feature = "openapi")]
mod schema;
mod webhooks;

pub use campaigns::{
    AnswersSummary, CampaignSummary, CampaignsResponse, CreateCampaign, CreatedCampaign,
    EXPORT_COLUMNS, ImportErrorBody, LineError, LineWarning, NewEntry,
};
pub use webhooks::{
    WebhookDeliveriesResponse, WebhookDelivery, WebhookEndpoint, WebhookEndpointsResponse,
};

use crate::call::{CallEvent, CallId};
use crate::campaign::{self, Campaign, Entry};
use crate::hours::Hours;
use crate::status::{AsKnown, Lenient, Outcome, Status};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// `GET /statuses`. `S` and `O` are how the entries' status and outcome
/// are typed: the server's own [`Status`] and [`Outcome`] by default, the
/// [`Lenient`] words of a client (see [`LenientStatuses`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(bound(deserialize = "S: Deserialize<'de>, O: Deserialize<'de>"))]
pub struct StatusesResponse<S = Status, O = Outcome> {
    /// Rises by at least one on every change of state.
    pub version: u64,
    pub started: bool,
    /// Started, every entry final, and no dial answer still awaited.
    pub finished: bool,
    pub concurrency: usize,
    /// Entries holding a line (dialing, ringing or answered).
    pub active: usize,
    /// The server's clock when it answered, so that a client on another
    /// machine can show how long each entry has been in its status.
    pub now: Timestamp,
    /// Set on a delta answer (`?since=V`): `calls` then holds only the
    /// entries changed after version V.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    /// Set while the server's store fails: why. Nothing changes and nobody
    /// is dialed until it works again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded: Option<String>,
    /// The server's cap on dials a second (`--max-cps`), as text ("1",
    /// "2.5"); absent when there is none. It, not the lines, sets the pace
    /// of a long list through a provider such as Twilio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cps: Option<String>,
    /// Set on `GET /campaigns/{id}/statuses`: the campaign's summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<CampaignSummary>,
    /// Calls of this campaign that an earlier run of the server dialed and
    /// that are still in flight: after a restart they hold their lines
    /// until a final webhook comes or they time out, and a screen says so
    /// instead of showing busy lines without a reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_restart: Option<BeforeRestart>,
    /// Set while the dialer API does not answer the server's probe (or
    /// its last dial): why, in the server's words, so that a client names
    /// it before anyone presses Call. Meanwhile the server answers no
    /// `304`, so a `304` also says that the dialer API answers again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialer_unreachable: Option<String>,
    /// Set while a webhook endpoint is failing (disabled, events given
    /// up, or owed for more than a minute): which, and why, so that a
    /// screen says so. Sent with the statuses of every campaign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_failing: Option<String>,
    /// The server dials through a real provider (`--dialer-url`, Twilio's
    /// own API), not an embedded simulator: a campaign without calling
    /// hours then rings people at any hour, which a client warns of.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub real_provider: bool,
    pub calls: Vec<CallSummary<S, O>>,
}

/// In-flight calls dialed before the server last started
/// ([`StatusesResponse::before_restart`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BeforeRestart {
    /// How many: each holds a line until its final webhook or its timeout.
    pub calls: usize,
    /// When the last of them times out, by the server's clock, if no final
    /// webhook comes first.
    pub times_out_by: Timestamp,
}

/// The answers as a client reads them: a status or outcome that this build
/// does not know is kept as its text instead of failing the whole answer,
/// so that an older client keeps working against a newer server. The
/// server writes the same bytes either way.
pub type LenientStatuses = StatusesResponse<Lenient<Status>, Lenient<Outcome>>;
/// One entry, read as [`LenientStatuses`] reads it.
pub type LenientCall = CallSummary<Lenient<Status>, Lenient<Outcome>>;
/// One entry and its history, read as [`LenientStatuses`] reads it.
pub type LenientDetail = CallDetail<Lenient<Status>, Lenient<Outcome>>;

impl StatusesResponse {
    /// Every entry of `c`, as the server's clock reads `now`.
    pub fn of(c: &Campaign, now: Timestamp) -> StatusesResponse {
        StatusesResponse {
            calls: c
                .entries()
                .iter()
                .map(|e| CallSummary::of(e, &c.meta().hours))
                .collect(),
            ..StatusesResponse::head(c, now)
        }
    }

    /// Like [`StatusesResponse::of`], but `calls` holds only the entries
    /// changed after version `since`, in list order. A `since` from the
    /// future (a client that knew another data directory) gets the full
    /// list.
    pub fn since(c: &Campaign, since: u64, now: Timestamp) -> StatusesResponse {
        let Some(changed) = c.changed_since(since) else {
            return StatusesResponse::of(c, now);
        };
        StatusesResponse {
            since: Some(since),
            calls: changed
                .into_iter()
                .filter_map(|i| c.entry(i).map(|e| CallSummary::of(e, &c.meta().hours)))
                .collect(),
            ..StatusesResponse::head(c, now)
        }
    }

    /// The campaign's counters without its entries; the server fills in
    /// what only it knows (`degraded`, `max_cps`, the summary), and the
    /// entries when it reads a large campaign in slices.
    pub fn head(c: &Campaign, now: Timestamp) -> StatusesResponse {
        StatusesResponse {
            version: c.version(),
            started: c.started(),
            finished: c.is_finished(),
            concurrency: c.concurrency(),
            active: c.active(),
            now,
            since: None,
            degraded: None,
            max_cps: None,
            campaign: None,
            before_restart: None,
            dialer_unreachable: None,
            events_failing: None,
            real_provider: false,
            calls: Vec::new(),
        }
    }
}

impl<S, O> StatusesResponse<S, O> {
    /// Applies a delta answer to a full one: the summary is replaced and
    /// each changed entry put in its place.
    pub fn apply_delta(&mut self, delta: StatusesResponse<S, O>) {
        for c in delta.calls {
            if let Some(slot) = self.calls.get_mut(c.index) {
                *slot = c;
            }
        }
        self.version = delta.version;
        self.started = delta.started;
        self.finished = delta.finished;
        self.concurrency = delta.concurrency;
        self.active = delta.active;
        self.now = delta.now;
        self.degraded = delta.degraded;
        self.max_cps = delta.max_cps;
        self.campaign = delta.campaign;
        self.before_restart = delta.before_restart;
        self.dialer_unreachable = delta.dialer_unreachable;
        self.events_failing = delta.events_failing;
        self.real_provider = delta.real_provider;
    }
}

impl<S: AsKnown<Status>, O> StatusesResponse<S, O> {
    pub fn count(&self, status: Status) -> usize {
        self.calls
            .iter()
            .filter(|c| c.status.as_known() == Some(status))
            .count()
    }

    /// Entries in a final status; one this build does not know is not.
    pub fn finished_count(&self) -> usize {
        self.calls
            .iter()
            .filter(|c| c.status.as_known().is_some_and(Status::is_final))
            .count()
    }
}

/// One list entry as `GET /statuses` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(bound(deserialize = "S: Deserialize<'de>, O: Deserialize<'de>"))]
pub struct CallSummary<S = Status, O = Outcome> {
    pub index: usize,
    pub phone: String,
    pub status: S,
    /// The dialer API's call id; `null` until known.
    pub id: Option<CallId>,
    /// When the entry entered its current status.
    pub updated_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The attempt under way or last made, from 1; absent (0) before the
    /// first dial.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempt: u32,
    /// An `answered` webhook came for the current attempt.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub answered: bool,
    /// How a final entry ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<O>,
    /// When a `waiting` entry's next attempt is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<Timestamp>,
    /// The name the import gave the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The IANA time zones it is called in (its calling hours hold in
    /// each); absent when unknown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timezones: Vec<String>,
    /// A `waiting` entry held back by a dial-time rule (outside its
    /// calling hours) rather than waiting for a retry: `retry_at` is when
    /// its window opens. Absent otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
    /// Who answered the current attempt (`human`, `machine`, `fax`,
    /// `unknown`), once answering-machine detection said; text, so that a
    /// client reads a word it does not know. Absent without detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
    /// The provider's own word for it (Twilio's `machine_end_beep`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by_raw: Option<String>,
    /// How long detection took, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_ms: Option<u64>,
    /// The current attempt left the campaign's voicemail on a machine.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub voicemail_left: bool,
}

impl From<&Entry> for CallSummary {
    fn from(e: &Entry) -> Self {
        CallSummary {
            index: e.index,
            phone: e.phone.digits().to_string(),
            status: e.status,
            id: e.details().call_id.clone(),
            updated_at: e.updated_at(),
            reason: e.details().reason.clone(),
            attempt: e.attempt,
            answered: e.answered,
            outcome: e.outcome,
            retry_at: e.retry_at(),
            name: e.details().name.clone(),
            timezones: Vec::new(),
            held: e.held && e.status == crate::status::Status::Waiting,
            answered_by: e
                .details()
                .answer
                .as_ref()
                .map(|a| a.answered_by.to_string()),
            answered_by_raw: e.details().answer.as_ref().and_then(|a| a.raw.clone()),
            detection_ms: e.details().answer.as_ref().and_then(|a| a.detection_ms),
            voicemail_left: e.voicemail_left,
        }
    }
}

impl CallSummary {
    /// The entry as its campaign shows it: with the time zones its calling
    /// hours are checked in while `hours` are on (absent while off, so a
    /// campaign without them answers as it always did).
    pub fn of(e: &Entry, hours: &Hours) -> Self {
        CallSummary {
            timezones: if hours.is_off() {
                Vec::new()
            } else {
                timezones(e)
            },
            ..CallSummary::from(e)
        }
    }
}

/// The names of an entry's zones; empty when unknown.
fn timezones(e: &Entry) -> Vec<String> {
    e.zone_set()
        .map(|z| z.set().names().map(String::from).collect())
        .unwrap_or_default()
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn one() -> u32 {
    1
}

/// `GET /calls/{index}`: the summary plus the entry's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(bound(deserialize = "S: Deserialize<'de>, O: Deserialize<'de>"))]
pub struct CallDetail<S = Status, O = Outcome> {
    #[serde(flatten)]
    pub call: CallSummary<S, O>,
    pub dialed_at: Option<Timestamp>,
    pub history: Vec<Event>,
    /// Events beyond the history's cap that were counted but not kept.
    #[serde(default)]
    pub events_dropped: u64,
}

impl CallDetail {
    /// Entry `index` of `c` as its campaign shows it (see
    /// [`CallSummary::of`]).
    pub fn of(c: &Campaign, index: usize) -> Option<Self> {
        let e = c.entry(index)?;
        Some(CallDetail {
            call: CallSummary::of(e, &c.meta().hours),
            ..CallDetail::from(e)
        })
    }
}

impl From<&Entry> for CallDetail {
    fn from(e: &Entry) -> Self {
        CallDetail {
            call: CallSummary::from(e),
            dialed_at: e.details().dialed_at,
            history: e.details().history.iter().map(Event::from).collect(),
            events_dropped: e.details().events_dropped,
        }
    }
}

/// One thing that happened to an entry, applied or not: the HTTP shape of
/// [`campaign::Event`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub at: Timestamp,
    #[serde(flatten)]
    pub kind: EventKind,
    /// Whether it changed the entry's status or id.
    pub applied: bool,
    /// Why it was ignored, or what it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The attempt it belongs to; absent means 1, as in data written before
    /// retries existed.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub attempt: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// POST /call is about to leave for this entry.
    Dialed,
    /// The dialer API answered the dial with a call id.
    Placed { id: CallId },
    /// The dialer API answered the dial with an error.
    Refused { reason: String },
    /// The dialer API could not be reached; nothing was sent.
    Unreachable { reason: String },
    /// The dial was sent but no usable answer came back; the call may exist.
    Unanswered { reason: String },
    /// A provider's callback about the call.
    Webhook {
        id: CallId,
        #[serde(flatten)]
        reported: CallEvent,
    },
    /// No final webhook came within the call timeout.
    TimedOut { after_ms: u64 },
    /// The attempt ended in an outcome the campaign retries: the next one
    /// is due at `retry_at`.
    RetryScheduled {
        outcome: Outcome,
        retry_at: Timestamp,
    },
    /// The entry will not be dialed (again): its campaign was stopped, or
    /// a dial-time rule forbade it (the note says which rule, and why).
    Canceled,
    /// A dial-time rule held the entry back until `retry_at` (outside its
    /// calling hours, say; the note says why). No attempt was used.
    Deferred { retry_at: Timestamp },
    /// A provider's answering-machine detection result.
    Detected {
        id: CallId,
        answered_by: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        raw: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detection_ms: Option<u64>,
    },
    /// No detection result came within the grace after the call completed.
    DetectionTimedOut { after_ms: u64 },
    /// The campaign's voicemail was (or could not be) left on a machine.
    Voicemail {
        left: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

impl From<&campaign::Event> for Event {
    fn from(e: &campaign::Event) -> Self {
        Event {
            at: e.at,
            kind: EventKind::from(&e.kind),
            applied: e.applied,
            note: e.note.clone(),
            attempt: e.attempt,
        }
    }
}

impl From<&campaign::EventKind> for EventKind {
    fn from(kind: &campaign::EventKind) -> Self {
        use campaign::EventKind as K;
        match kind.clone() {
            K::Dialed => EventKind::Dialed,
            K::Placed { id } => EventKind::Placed { id },
            K::Refused { reason } => EventKind::Refused { reason },
            K::Unreachable { reason } => EventKind::Unreachable { reason },
            K::Unanswered { reason } => EventKind::Unanswered { reason },
            K::Webhook { id, reported } => EventKind::Webhook { id, reported },
            K::TimedOut { after_ms } => EventKind::TimedOut { after_ms },
            K::RetryScheduled { outcome, retry_at } => {
                EventKind::RetryScheduled { outcome, retry_at }
            }
            K::Canceled => EventKind::Canceled,
            K::Deferred { retry_at } => EventKind::Deferred { retry_at },
            K::Detected {
                id,
                answered_by,
                raw,
                detection_ms,
            } => EventKind::Detected {
                id,
                answered_by: answered_by.to_string(),
                raw,
                detection_ms,
            },
            K::DetectionTimedOut { after_ms } => EventKind::DetectionTimedOut { after_ms },
            K::Voicemail { left, reason } => EventKind::Voicemail { left, reason },
        }
    }
}

/// The server's answer to an accepted webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookAck {
    pub applied: bool,
    pub status: Status,
}

/// `POST /calls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StartResponse {
    pub started: bool,
}

/// Every error answer of the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::{CampaignMeta, DialAnswer, Settings};
    use crate::phone::Phone;
    use crate::protocol::numdialer::{CallStatus, WebhookBody};

    const T0: Timestamp = Timestamp(1_795_464_062_123);

    const N0: crate::time::Now = crate::time::Now {
        wall: T0,
        mono: crate::time::Mono(5_000),
    };

    fn phone(i: usize) -> Phone {
        Phone::parse(&format!("1{i:010}")).unwrap()
    }

    fn settings() -> Settings {
        Settings {
            concurrency: 3,
            call_timeout_ms: 10_000,
        }
    }

    /// Campaign 1 of `n` entries, started, its first three dialed (tokens
    /// `tok0`..) and placed (ids 100 + index).
    fn dialed(n: usize) -> Campaign {
        let mut c = Campaign::new((0..n).map(phone).collect(), settings());
        c.start().unwrap();
        for i in 0..3 {
            let o = c.begin_dial(format!("tok{i}"), N0).unwrap();
            let id = (100 + o.index as u64).into();
            c.finish_dial(o.index, DialAnswer::Placed { id }, N0);
        }
        c
    }

    fn ringing(c: &mut Campaign, i: usize) {
        let report = WebhookBody {
            id: 100 + i as u64,
            status: CallStatus::Ringing,
        };
        c.apply_report(&format!("tok{i}"), report.into(), N0)
            .unwrap();
    }

    #[test]
    fn deltas_carry_exactly_the_changed_entries() {
        let mut c = Campaign::new((0..9).map(phone).collect(), settings());
        c.start().unwrap();
        let v0 = c.version();
        for i in 0..3 {
            let o = c.begin_dial(format!("tok{i}"), N0).unwrap();
            let id = (100 + o.index as u64).into();
            c.finish_dial(o.index, DialAnswer::Placed { id }, N0);
        }
        let v1 = c.version();
        ringing(&mut c, 1);
        let d = StatusesResponse::since(&c, v1, T0);
        assert_eq!(d.since, Some(v1));
        assert_eq!(d.calls.iter().map(|c| c.index).collect::<Vec<_>>(), vec![1]);
        let d = StatusesResponse::since(&c, v0, T0);
        assert_eq!(
            d.calls.iter().map(|c| c.index).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
        assert!(
            StatusesResponse::since(&c, c.version(), T0)
                .calls
                .is_empty()
        );
        let future = StatusesResponse::since(&c, c.version() + 1, T0);
        assert_eq!(
            (future.since, future.calls.len()),
            (None, 9),
            "unknown history: full list"
        );
        // A client that applies deltas ends where a full poll would.
        let fresh = Campaign::new((0..9).map(phone).collect(), settings());
        let mut client = StatusesResponse::of(&fresh, T0);
        client.apply_delta(StatusesResponse::since(&c, 0, T0));
        assert_eq!(client, StatusesResponse::of(&c, T0));
        // Restored campaigns answer the same deltas.
        let r = Campaign::restore(
            CampaignMeta::first(true, 0),
            c.entries().to_vec(),
            settings(),
            N0,
        )
        .unwrap();
        assert_eq!(
            StatusesResponse::since(&r, v1, T0),
            StatusesResponse::since(&c, v1, T0)
        );
    }

    #[test]
    fn a_snapshot_and_a_summary_say_what_the_campaign_counts() {
        let mut c = dialed(5);
        ringing(&mut c, 2);
        let snap = StatusesResponse::of(&c, T0);
        assert_eq!(
            (snap.version, snap.started, snap.finished),
            (c.version(), true, false)
        );
        assert_eq!((snap.concurrency, snap.active, snap.now), (3, 3, T0));
        assert_eq!(
            (snap.since, &snap.degraded, &snap.max_cps),
            (None, &None, &None)
        );
        let calls: Vec<CallSummary> = c.entries().iter().map(CallSummary::from).collect();
        assert_eq!(snap.calls, calls);
        assert_eq!(snap.count(Status::Ringing), 1);
        let s = CampaignSummary::from(&c);
        assert_eq!((s.id, s.total, s.attempts, s.active), (1, 5, 3, 3));
        assert_eq!((s.version, s.state), (c.version(), c.state()));
        for st in Status::ALL {
            assert_eq!(s.count(st), c.count(st), "{st}");
        }
        for o in Outcome::ALL {
            assert_eq!(s.outcome(o), c.outcome_count(o), "{o}");
        }
        assert_eq!(s.counts.len(), Status::ALL.len(), "zeros listed too");
    }

    /// `GET /calls/{index}` answers what it answered before events became
    /// domain types, byte for byte.
    #[test]
    fn a_call_detail_keeps_its_bytes() {
        let at = T0;
        let mut e = Entry::every_field_set();
        assert_eq!(e.details().dialed_at, Some(at));
        e.details_mut().history.push(campaign::Event {
            at,
            kind: campaign::EventKind::Dialed,
            applied: true,
            note: None,
            attempt: 2,
        });
        let bytes = r#"{"index":3,"phone":"13018040009","status":"waiting","id":"CA9","updated_at":"2026-11-23T20:01:03.000Z","reason":"busy","attempt":2,"answered":true,"retry_at":"2026-11-23T20:06:02.123Z","name":"Ada","dialed_at":"2026-11-23T20:01:02.123Z","history":[{"at":"2026-11-23T20:01:02.123Z","event":"dialed","applied":true,"attempt":2}],"events_dropped":1}"#;
        let detail = CallDetail::from(&e);
        assert_eq!(serde_json::to_string(&detail).unwrap(), bytes);
        assert_eq!(serde_json::from_str::<CallDetail>(bytes).unwrap(), detail);
    }

    /// Every domain event reads, through the API, as the same JSON the
    /// store holds for it.
    #[test]
    fn api_events_are_the_domain_events_on_the_wire() {
        let kinds = [
            campaign::EventKind::Dialed,
            campaign::EventKind::Placed { id: 7.into() },
            campaign::EventKind::Refused { reason: "r".into() },
            campaign::EventKind::Unreachable { reason: "u".into() },
            campaign::EventKind::Unanswered { reason: "a".into() },
            campaign::EventKind::Webhook {
                id: CallId::Text("CA1".into()),
                reported: CallEvent::NotAnswered {
                    reason: "busy".into(),
                },
            },
            campaign::EventKind::TimedOut { after_ms: 5 },
            campaign::EventKind::RetryScheduled {
                outcome: Outcome::Failed,
                retry_at: T0,
            },
            campaign::EventKind::Canceled,
            campaign::EventKind::Deferred { retry_at: T0 },
        ];
        for (n, kind) in kinds.into_iter().enumerate() {
            let domain = campaign::Event {
                at: T0,
                kind,
                applied: n % 2 == 0,
                note: (n % 3 == 0).then(|| "note".to_string()),
                attempt: 1 + n as u32 % 3,
            };
            let api = Event::from(&domain);
            assert_eq!(
                serde_json::to_string(&api).unwrap(),
                serde_json::to_string(&domain).unwrap()
            );
        }
    }

    #[test]
    fn summary_matches_the_contract() {
        let c: CallSummary = CallSummary {
            index: 8,
            phone: "19362072765".into(),
            status: Status::Idle,
            id: None,
            updated_at: None,
            reason: None,
            attempt: 0,
            answered: false,
            outcome: None,
            retry_at: None,
            name: None,
            timezones: Vec::new(),
            held: false,
            answered_by: None,
            answered_by_raw: None,
            detection_ms: None,
            voicemail_left: false,
        };
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({"index": 8, "phone": "19362072765", "status": "idle", "id": null, "updated_at": null})
        );
    }

    #[test]
    fn events_flatten_their_kind() {
        let e = Event {
            at: Timestamp(0),
            kind: EventKind::Webhook {
                id: CallId::Number(7),
                reported: CallEvent::Ringing,
            },
            applied: false,
            note: Some("duplicate".into()),
            attempt: 1,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"at": "1970-01-01T00:00:00.000Z", "event": "webhook",
                "id": 7, "status": "ringing", "applied": false, "note": "duplicate"})
        );
        assert_eq!(serde_json::from_value::<Event>(v).unwrap(), e);
        let failed = Event {
            kind: EventKind::Webhook {
                id: CallId::Text("CA1".into()),
                reported: CallEvent::Failed {
                    reason: "busy".into(),
                },
            },
            ..e
        };
        let v = serde_json::to_value(&failed).unwrap();
        assert_eq!(
            (&v["id"], &v["status"], &v["reason"]),
            (&"CA1".into(), &"failed".into(), &"busy".into())
        );
        assert_eq!(serde_json::from_value::<Event>(v).unwrap(), failed);
    }
}
