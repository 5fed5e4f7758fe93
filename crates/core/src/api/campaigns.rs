//! The campaign routes' bodies (`/campaigns...`, docs/api.md).

use crate::answer::{AnswerInput, AnswerSettings};
use crate::campaign::{Campaign, CampaignState, RetryInput, RetryPolicy};
use crate::hours::{Hours, TextOrList};
use crate::phone::Country;
use crate::status::{Outcome, Status};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The fixed columns of `GET /campaigns/{id}/export.csv`, in order; the
/// import's own columns follow them.
pub const EXPORT_COLUMNS: [&str; 14] = [
    "index",
    "phone",
    "name",
    "status",
    "outcome",
    "attempts",
    "call_id",
    "first_dialed_at",
    "ended_at",
    "reason",
    "answered_by",
    "voicemail_left",
    "timezones",
    "waiting_until",
];

/// One campaign as `GET /campaigns` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignSummary {
    pub id: u64,
    pub name: String,
    pub state: CampaignState,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// Entries in the list.
    pub total: usize,
    /// Entries by status; every status is listed, zeros included.
    pub counts: BTreeMap<String, usize>,
    /// Final entries by outcome; every outcome is listed.
    pub outcomes: BTreeMap<String, usize>,
    /// Dials sent in all, retries included.
    pub attempts: u64,
    /// Entries holding a line now.
    pub active: usize,
    pub retry: RetryPolicy,
    /// The import's columns beyond `phone` and `name`, in file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// The campaign's own version: rises on every change to it.
    pub version: u64,
    /// Its calling hours and who waits for them (fields of the summary
    /// itself on the wire).
    #[serde(default, flatten)]
    pub calling: CallingSummary,
    /// Its answering-machine settings (fields of the summary itself).
    #[serde(default, flatten)]
    pub answers: AnswersSummary,
}

/// A campaign's answering-machine settings as its summary shows them.
/// Text rather than the domain's types, so that an older client reads a
/// newer server's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswersSummary {
    /// `off`, `detect` or `detect_message_end`.
    #[serde(default = "off")]
    pub amd: String,
    /// `say:TEXT` or `play:URL`; absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voicemail: Option<String>,
    /// The detection tuning values that were set, by field name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub amd_tuning: BTreeMap<String, u32>,
}

fn off() -> String {
    "off".into()
}

impl Default for AnswersSummary {
    fn default() -> Self {
        AnswersSummary::from(&AnswerSettings::default())
    }
}

impl From<&AnswerSettings> for AnswersSummary {
    fn from(a: &AnswerSettings) -> Self {
        AnswersSummary {
            amd: a.amd.to_string(),
            voicemail: a.voicemail.as_ref().map(ToString::to_string),
            amd_tuning: a.tuning.iter().cloned().collect(),
        }
    }
}

/// A campaign's calling hours as its summary shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallingSummary {
    /// `calling_hours`, `days`, `holidays`, `fallback_timezone`.
    #[serde(default, flatten)]
    pub hours: Hours,
    /// Entries `waiting` for their calling hours (not for a retry).
    #[serde(default)]
    pub waiting_for_hours: usize,
    /// When the first of them is due: the next window to open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_opening: Option<Timestamp>,
    /// Its window is off while a real provider dials: its callees may be
    /// called at any hour of their day. Set by the server, which alone
    /// knows what dials; a safeguard turned off is said wherever the
    /// campaign is.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub at_any_hour: bool,
    /// It dials only while the do-not-call registry copy is current.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_registry: bool,
    /// Why it does not dial now for want of a current registry copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_hold: Option<String>,
}

/// The campaign as `GET /campaigns` lists it: O(1) in its entries, from
/// counters every change keeps up to date.
impl From<&Campaign> for CampaignSummary {
    fn from(c: &Campaign) -> Self {
        let m = c.meta();
        CampaignSummary {
            id: m.id,
            name: m.name.clone(),
            state: m.state,
            created_at: m.created_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
            total: c.len(),
            counts: Status::ALL
                .into_iter()
                .map(|s| (s.as_str().to_string(), c.count(s)))
                .collect(),
            outcomes: Outcome::ALL
                .into_iter()
                .map(|o| (o.as_str().to_string(), c.outcome_count(o)))
                .collect(),
            attempts: c.attempts(),
            active: c.active(),
            retry: m.retry.clone(),
            columns: m.columns.clone(),
            version: c.version(),
            calling: CallingSummary {
                hours: m.hours.clone(),
                waiting_for_hours: c.held().0,
                next_opening: c.held().1,
                at_any_hour: false,
                require_registry: m.require_registry,
                registry_hold: c.registry_hold().map(str::to_string),
            },
            answers: AnswersSummary::from(&m.answers),
        }
    }
}

impl CampaignSummary {
    pub fn count(&self, status: Status) -> usize {
        self.counts.get(status.as_str()).copied().unwrap_or(0)
    }

    pub fn outcome(&self, outcome: Outcome) -> usize {
        self.outcomes.get(outcome.as_str()).copied().unwrap_or(0)
    }

    /// Entries that are final.
    pub fn finished(&self) -> usize {
        Status::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .map(|s| self.count(s))
            .sum()
    }
}

/// `GET /campaigns`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignsResponse {
    /// Rises on every change to any campaign; the ETag.
    pub version: u64,
    pub campaigns: Vec<CampaignSummary>,
}

/// `POST /campaigns` with `application/json`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateCampaign {
    pub name: Option<String>,
    /// Numbers only, in order.
    pub numbers: Option<Vec<String>>,
    /// Numbers with names, in order.
    pub entries: Option<Vec<NewEntry>>,
    #[serde(default)]
    pub retry: RetryInput,
    #[serde(default)]
    pub start: bool,
    /// Dial only while the do-not-call registry copy is current.
    #[serde(default)]
    pub require_registry: bool,
    /// The country numbers written without `+` are read in (`US`).
    #[serde(default)]
    pub country: Option<Country>,
    /// `HH:MM-HH:MM` or `off`; absent: the server's `--calling-hours`.
    #[serde(default)]
    pub calling_hours: Option<String>,
    /// `mon-fri`, `mon,wed,fri`…; absent: every day.
    #[serde(default)]
    pub days: Option<String>,
    /// Dates (`YYYY-MM-DD`) on which nothing is dialed: a list, or one
    /// comma-separated string.
    #[serde(default)]
    pub holidays: Option<TextOrList>,
    /// The zone of numbers whose own zone is unknown.
    #[serde(default)]
    pub fallback_timezone: Option<String>,
    /// `off`, `detect` or `detect_message_end`.
    #[serde(default)]
    pub amd: Option<String>,
    /// `off`, `say:TEXT` or `play:URL`.
    #[serde(default)]
    pub voicemail: Option<String>,
    #[serde(default)]
    pub machine_detection_timeout: Option<serde_json::Value>,
    #[serde(default)]
    pub machine_detection_speech_threshold: Option<serde_json::Value>,
    #[serde(default)]
    pub machine_detection_speech_end_threshold: Option<serde_json::Value>,
    #[serde(default)]
    pub machine_detection_silence_timeout: Option<serde_json::Value>,
}

impl CreateCampaign {
    /// Its answering-machine fields, to be checked.
    pub fn answer_input(&self) -> AnswerInput {
        let tuning = [
            ("machine_detection_timeout", &self.machine_detection_timeout),
            (
                "machine_detection_speech_threshold",
                &self.machine_detection_speech_threshold,
            ),
            (
                "machine_detection_speech_end_threshold",
                &self.machine_detection_speech_end_threshold,
            ),
            (
                "machine_detection_silence_timeout",
                &self.machine_detection_silence_timeout,
            ),
        ]
        .into_iter()
        .filter_map(|(f, v)| v.clone().map(|v| (f.to_string(), v)))
        .collect();
        AnswerInput {
            amd: self.amd.clone(),
            voicemail: self.voicemail.clone(),
            tuning,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    pub phone: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The IANA zone it is called in; absent: its number's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// One bad line of an import. For JSON bodies `line` is the item's
/// position in `numbers` or `entries`, from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineError {
    pub line: usize,
    pub error: String,
}

/// The `422` answer to an import with bad lines: nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportErrorBody {
    pub error: String,
    /// The first 100 bad lines.
    pub errors: Vec<LineError>,
    /// Every bad line, counted.
    pub error_count: usize,
}

/// One line of an import that was taken, with a warning (a number written
/// with `+` that libphonenumber does not know as valid). For JSON bodies
/// `line` is the item's position, from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineWarning {
    pub line: usize,
    pub warning: String,
}

/// The answer to an import (`POST /campaigns`, 201 or 200): the new
/// campaign's summary, and the lines it took with a warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedCampaign {
    #[serde(flatten)]
    pub summary: CampaignSummary,
    /// Entries whose numbers were on a do-not-call list: kept in the list,
    /// final, `canceled` with outcome `suppressed`.
    #[serde(default)]
    pub suppressed: usize,
    /// The first 100 lines imported with a warning.
    #[serde(default)]
    pub warnings: Vec<LineWarning>,
    /// Every line imported with a warning, counted.
    #[serde(default)]
    pub warning_count: usize,
}
