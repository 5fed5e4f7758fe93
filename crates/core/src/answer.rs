//! Who or what answered a call, and a campaign's answering-machine
//! settings: detection (`amd`), its tuning, and the voicemail it leaves.
//!
//! A call that "completes" after being answered may have reached a person
//! or a voicemail greeting. Providers that can tell (Twilio's
//! `MachineDetection`) report it apart from the call's statuses, before or
//! after the call ends; each protocol module turns its report into a
//! [`Detection`], and the campaign keeps the first one of each attempt as
//! the entry's [`Answer`]. Detection is off by default: it delays what a
//! person hears by a few seconds, and costs a fee per call.

use crate::call::CallId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How long an attempt that completed after being answered waits for its
/// detection result before its answer is taken as `unknown`. Twilio sends
/// an asynchronous result within seconds of the call's end; a result later
/// than this is recorded and changes nothing, so that an outcome is final
/// once.
pub const DETECTION_GRACE_MS: u64 = 10_000;

/// Who answered, in numdialer's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnsweredBy {
    Human,
    /// A voicemail greeting or an answering machine.
    Machine,
    Fax,
    /// No detection, none in time, or one the provider could not decide.
    Unknown,
}

impl AnsweredBy {
    pub const ALL: [AnsweredBy; 4] = [
        AnsweredBy::Human,
        AnsweredBy::Machine,
        AnsweredBy::Fax,
        AnsweredBy::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnsweredBy::Human => "human",
            AnsweredBy::Machine => "machine",
            AnsweredBy::Fax => "fax",
            AnsweredBy::Unknown => "unknown",
        }
    }

    /// A person did not pick up: the attempt's outcome is `machine`. A fax
    /// counts as one, since nobody there will ever hear the call.
    pub fn is_machine(self) -> bool {
        matches!(self, AnsweredBy::Machine | AnsweredBy::Fax)
    }
}

impl fmt::Display for AnsweredBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One detection result, as a provider reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub id: CallId,
    pub answered_by: AnsweredBy,
    /// The provider's own word (`machine_end_beep`), kept as sent, so that a
    /// value outside its list is recorded rather than lost.
    pub raw: Option<String>,
    /// How long detection took, in milliseconds, when the provider says.
    pub duration_ms: Option<u64>,
    /// A machine whose greeting is over (Twilio's `machine_end_*`): a
    /// message played now is recorded after the beep.
    pub greeting_over: bool,
}

/// What an attempt's answer was found to be: the first detection result of
/// the attempt, or `unknown` when none came in time. Stored on the entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub answered_by: AnsweredBy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_ms: Option<u64>,
}

impl Answer {
    pub fn of(d: &Detection) -> Answer {
        Answer {
            answered_by: d.answered_by,
            raw: d.raw.clone(),
            detection_ms: d.duration_ms,
        }
    }

    /// No result came in time.
    pub fn unknown() -> Answer {
        Answer {
            answered_by: AnsweredBy::Unknown,
            raw: None,
            detection_ms: None,
        }
    }
}

/// A campaign's `amd` setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Amd {
    #[default]
    Off,
    /// Tell a person from a machine as soon as possible (Twilio `Enable`).
    Detect,
    /// Also wait for a machine's greeting to end (`DetectMessageEnd`), so
    /// that a message can be left after the beep.
    DetectMessageEnd,
}

impl Amd {
    pub fn as_str(self) -> &'static str {
        match self {
            Amd::Off => "off",
            Amd::Detect => "detect",
            Amd::DetectMessageEnd => "detect_message_end",
        }
    }

    pub fn is_on(self) -> bool {
        self != Amd::Off
    }
}

impl fmt::Display for Amd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The message left on a machine once its greeting is over.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Voicemail {
    /// Read out by the provider's text-to-speech.
    Say(String),
    /// An audio file the provider fetches.
    Play(String),
}

impl fmt::Display for Voicemail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Voicemail::Say(t) => write!(f, "say:{t}"),
            Voicemail::Play(u) => write!(f, "play:{u}"),
        }
    }
}

/// A tuning value of detection: its name on the wire (Twilio's), the
/// field's name here, and the range Twilio's API document gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    pub field: &'static str,
    pub twilio: &'static str,
    pub min: u32,
    pub max: u32,
    pub unit: &'static str,
}

/// Every tuning value, with Twilio's ranges (`twilio_api_v2010.json`,
/// `CreateCall`): seconds for the timeout, milliseconds for the rest.
pub const TUNINGS: [Tuning; 4] = [
    Tuning {
        field: "machine_detection_timeout",
        twilio: "MachineDetectionTimeout",
        min: 3,
        max: 59,
        unit: "seconds",
    },
    Tuning {
        field: "machine_detection_speech_threshold",
        twilio: "MachineDetectionSpeechThreshold",
        min: 1000,
        max: 6000,
        unit: "milliseconds",
    },
    Tuning {
        field: "machine_detection_speech_end_threshold",
        twilio: "MachineDetectionSpeechEndThreshold",
        min: 500,
        max: 5000,
        unit: "milliseconds",
    },
    Tuning {
        field: "machine_detection_silence_timeout",
        twilio: "MachineDetectionSilenceTimeout",
        min: 2000,
        max: 10000,
        unit: "milliseconds",
    },
];

/// A campaign's answering-machine settings. Absent from records written
/// before they existed: detection off, as those campaigns dialed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerSettings {
    #[serde(default)]
    pub amd: Amd,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voicemail: Option<Voicemail>,
    /// Values of [`TUNINGS`] that were set, by field name, in that order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tuning: Vec<(String, u32)>,
}

impl AnswerSettings {
    pub fn is_default(&self) -> bool {
        *self == AnswerSettings::default()
    }

    /// Each set tuning value with its Twilio parameter name.
    pub fn twilio_tuning(&self) -> impl Iterator<Item = (&'static str, u32)> + '_ {
        TUNINGS.iter().filter_map(|t| {
            self.tuning
                .iter()
                .find(|(f, _)| f == t.field)
                .map(|&(_, v)| (t.twilio, v))
        })
    }
}

/// The settings as a client sent them (JSON fields or query parameters),
/// not yet checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnswerInput {
    pub amd: Option<String>,
    pub voicemail: Option<String>,
    /// Tuning values by field name, as given.
    pub tuning: Vec<(String, serde_json::Value)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("amd: unknown value {0:?} (expected off, detect or detect_message_end)")]
    Amd(String),
    #[error("voicemail: {0:?} is not off, say:TEXT or play:URL")]
    Voicemail(String),
    #[error("voicemail: say: needs a text to say")]
    EmptySay,
    #[error("voicemail: play: needs an http:// or https:// URL, not {0:?}")]
    PlayUrl(String),
    #[error(
        "voicemail needs amd=detect_message_end (or detect): a message is left only on a machine"
    )]
    VoicemailWithoutAmd,
    #[error("{field} must be a whole number of {unit} from {min} to {max}, not {value}")]
    Tuning {
        field: &'static str,
        unit: &'static str,
        min: u32,
        max: u32,
        value: String,
    },
    #[error("{0} needs amd on")]
    TuningWithoutAmd(&'static str),
}

impl AnswerInput {
    pub fn is_empty(&self) -> bool {
        self.amd.is_none() && self.voicemail.is_none() && self.tuning.is_empty()
    }

    /// Whether `name` is a field of these settings (for query strings).
    pub fn knows(name: &str) -> bool {
        name == "amd" || name == "voicemail" || TUNINGS.iter().any(|t| t.field == name)
    }

    /// Checks every value; what is absent is off.
    pub fn settings(&self) -> Result<AnswerSettings, AnswerError> {
        let amd = match self.amd.as_deref().map(str::trim) {
            None | Some("" | "off") => Amd::Off,
            Some("detect") => Amd::Detect,
            Some("detect_message_end") => Amd::DetectMessageEnd,
            Some(other) => return Err(AnswerError::Amd(other.to_string())),
        };
        let voicemail = match self.voicemail.as_deref() {
            None | Some("" | "off") => None,
            Some(v) => Some(parse_voicemail(v)?),
        };
        if voicemail.is_some() && !amd.is_on() {
            return Err(AnswerError::VoicemailWithoutAmd);
        }
        let mut tuning = Vec::new();
        for t in &TUNINGS {
            let Some((_, value)) = self.tuning.iter().find(|(f, _)| f == t.field) else {
                continue;
            };
            let bad = || AnswerError::Tuning {
                field: t.field,
                unit: t.unit,
                min: t.min,
                max: t.max,
                value: match value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            };
            let n = match value {
                serde_json::Value::Number(n) => n.as_u64(),
                serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
                _ => None,
            }
            .filter(|&n| (u64::from(t.min)..=u64::from(t.max)).contains(&n))
            .ok_or_else(bad)?;
            if !amd.is_on() {
                return Err(AnswerError::TuningWithoutAmd(t.field));
            }
            tuning.push((t.field.to_string(), n as u32));
        }
        Ok(AnswerSettings {
            amd,
            voicemail,
            tuning,
        })
    }
}

fn parse_voicemail(v: &str) -> Result<Voicemail, AnswerError> {
    if let Some(text) = v.strip_prefix("say:") {
        let text = text.trim();
        if text.is_empty() {
            return Err(AnswerError::EmptySay);
        }
        return Ok(Voicemail::Say(text.to_string()));
    }
    if let Some(url) = v.strip_prefix("play:") {
        let url = url.trim();
        let ok = url::Url::parse(url)
            .ok()
            .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !ok {
            return Err(AnswerError::PlayUrl(url.to_string()));
        }
        return Ok(Voicemail::Play(url.to_string()));
    }
    Err(AnswerError::Voicemail(v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(
        amd: Option<&str>,
        voicemail: Option<&str>,
        tuning: &[(&str, serde_json::Value)],
    ) -> AnswerInput {
        AnswerInput {
            amd: amd.map(String::from),
            voicemail: voicemail.map(String::from),
            tuning: tuning
                .iter()
                .map(|(f, v)| (f.to_string(), v.clone()))
                .collect(),
        }
    }

    #[test]
    fn absent_settings_are_off() {
        assert_eq!(
            AnswerInput::default().settings().unwrap(),
            AnswerSettings::default()
        );
        let s: AnswerSettings = serde_json::from_str("{}").unwrap();
        assert!(s.is_default());
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"amd":"off"}"#);
    }

    #[test]
    fn good_settings_are_kept_in_twilio_order() {
        let s = input(
            Some("detect_message_end"),
            Some("play:https://example.com/m.mp3"),
            &[
                ("machine_detection_silence_timeout", json!("2000")),
                ("machine_detection_timeout", json!(30)),
            ],
        )
        .settings()
        .unwrap();
        assert_eq!(s.amd, Amd::DetectMessageEnd);
        assert_eq!(
            s.voicemail,
            Some(Voicemail::Play("https://example.com/m.mp3".into()))
        );
        assert_eq!(
            s.twilio_tuning().collect::<Vec<_>>(),
            vec![
                ("MachineDetectionTimeout", 30),
                ("MachineDetectionSilenceTimeout", 2000)
            ]
        );
        let back: AnswerSettings =
            serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        let say = input(Some("detect"), Some("say:Call us back"), &[])
            .settings()
            .unwrap();
        assert_eq!(say.voicemail.unwrap().to_string(), "say:Call us back");
    }

    #[test]
    fn bad_settings_name_their_field() {
        for (i, want) in [
            (input(Some("maybe"), None, &[]), "amd: unknown value"),
            (input(None, Some("say:hi"), &[]), "voicemail needs amd"),
            (input(Some("detect"), Some("shout:hi"), &[]), "voicemail:"),
            (
                input(Some("detect"), Some("say:  "), &[]),
                "voicemail: say:",
            ),
            (
                input(Some("detect"), Some("play:ftp://x.example/a.mp3"), &[]),
                "voicemail: play: needs an http",
            ),
            (
                input(Some("detect"), Some("play:file:///etc/passwd"), &[]),
                "voicemail: play:",
            ),
            (
                input(
                    Some("detect"),
                    None,
                    &[("machine_detection_timeout", json!(60))],
                ),
                "machine_detection_timeout must be a whole number of seconds from 3 to 59, not 60",
            ),
            (
                input(
                    Some("detect"),
                    None,
                    &[("machine_detection_speech_threshold", json!(999))],
                ),
                "machine_detection_speech_threshold",
            ),
            (
                input(
                    Some("detect"),
                    None,
                    &[("machine_detection_speech_end_threshold", json!(2.5))],
                ),
                "not 2.5",
            ),
            (
                input(None, None, &[("machine_detection_timeout", json!(30))]),
                "machine_detection_timeout needs amd on",
            ),
        ] {
            let err = i.settings().unwrap_err().to_string();
            assert!(err.contains(want), "{i:?}: {err}");
        }
    }

    #[test]
    fn every_tuning_bound_is_inclusive() {
        for t in TUNINGS {
            for (v, ok) in [
                (t.min - 1, false),
                (t.min, true),
                (t.max, true),
                (t.max + 1, false),
            ] {
                let r = input(Some("detect"), None, &[(t.field, json!(v))]).settings();
                assert_eq!(r.is_ok(), ok, "{} = {v}", t.field);
            }
        }
    }
}
