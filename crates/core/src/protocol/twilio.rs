//! Twilio's Programmable Voice API, as far as a power dialer needs it:
//! the form of `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`, its
//! JSON answers, the form-encoded status callbacks, and the request
//! signature (`X-Twilio-Signature`) that proves a callback came from the
//! account's holder.
//!
//! Pure: the server's client and the simulator both build and check their
//! requests here, so the two sides cannot drift apart, and the signature is
//! tested against Twilio's published example without a network.

use crate::answer::{Amd, AnswerSettings, AnsweredBy, Detection, Voicemail};
use crate::call::{CallEvent, CallId, CallReport};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use std::fmt;
use std::str::FromStr;

/// The header that carries a callback's signature.
pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";

/// The status callback events numdialer asks for. Twilio sends only
/// `completed` unless told otherwise; without `ringing` and `answered` the
/// list would show nothing between dialing and the end of a call.
pub const CALLBACK_EVENTS: [&str; 4] = ["initiated", "ringing", "answered", "completed"];

/// Calls a second an account may create unless Twilio raised its limit:
/// `--max-cps` with `--dialer twilio` unless told otherwise, so that dials
/// are spaced here rather than refused with `429` there.
pub const DEFAULT_MAX_CPS: f64 = 1.0;

/// What the callee hears unless `--twiml` or `--twiml-url` says otherwise.
pub const DEFAULT_TWIML: &str =
    "<Response><Say>This is an automated call from numdialer. Goodbye.</Say></Response>";

/// The path of the Calls resource of one account, below the API's base URL.
pub fn calls_path(account_sid: &str) -> String {
    format!("/2010-04-01/Accounts/{account_sid}/Calls.json")
}

/// A phone held as digits with its country code, in the `+` form Twilio
/// requires for `To` and `From`.
pub fn e164(digits: &str) -> String {
    format!("+{}", digits.trim_start_matches('+'))
}

/// The signature Twilio puts in [`SIGNATURE_HEADER`]: HMAC-SHA1, keyed
/// with the auth token, over the full URL the request was sent to followed
/// by every POST parameter's name and value, sorted by name; in base64.
///
/// Parameters are sorted by name and then by value, so that a repeated name
/// signs the same whatever order its values were sent in.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// Whether `header` is the signature of this request. The comparison runs
/// in constant time (hmac's own), so that timing tells an attacker nothing
/// about the expected value.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    let Ok(given) = STANDARD.decode(header.trim()) else {
        return false;
    };
    mac(auth_token, url, params).verify_slice(&given).is_ok()
}

fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Hmac<Sha1> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac =
        Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes a key of any size");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// Decodes an `application/x-www-form-urlencoded` body into its pairs, in
/// the order sent.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// Encodes pairs as an `application/x-www-form-urlencoded` body.
pub fn encode_form(params: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// The first value of a form field.
pub fn field<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Every value of a form field that may repeat, in the order sent.
pub fn values<'a>(params: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    params
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// What the callee hears: inline TwiML, or a URL Twilio fetches it from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instructions {
    Twiml(String),
    Url(String),
}

impl Default for Instructions {
    fn default() -> Self {
        Instructions::Twiml(DEFAULT_TWIML.to_string())
    }
}

/// One `POST .../Calls.json`, before encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialForm {
    /// Digits with the country code; sent with a `+`.
    pub to: String,
    /// The caller id: a number of the account, in E.164.
    pub from: String,
    pub instructions: Instructions,
    /// The per-dial webhook URL.
    pub status_callback: String,
    /// Seconds Twilio lets the phone ring before giving up (`no-answer`).
    pub timeout_secs: u32,
    /// Answering-machine detection, when the campaign has it on.
    pub amd: Option<AmdForm>,
}

/// The answering-machine fields of a dial: always asynchronous, so that
/// the callee hears the call's TwiML at once rather than silence while
/// Twilio listens, with the result sent to its own signed callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmdForm {
    /// `Enable` or `DetectMessageEnd`.
    pub machine_detection: &'static str,
    /// The per-dial URL of the result (`AsyncAmdStatusCallback`).
    pub callback: String,
    /// Tuning values by Twilio's parameter name.
    pub tuning: Vec<(&'static str, u32)>,
}

impl AmdForm {
    /// The fields for `settings`; `None` with detection off.
    pub fn of(settings: &AnswerSettings, callback: String) -> Option<AmdForm> {
        let machine_detection = match settings.amd {
            Amd::Off => return None,
            Amd::Detect => "Enable",
            Amd::DetectMessageEnd => "DetectMessageEnd",
        };
        Some(AmdForm {
            machine_detection,
            callback,
            tuning: settings.twilio_tuning().collect(),
        })
    }
}

/// The URL of a dial's detection results, beside its status callback: its
/// token signs it, as it does the status callbacks.
pub fn amd_callback_url(status_callback: &str) -> String {
    format!("{}/amd", status_callback.trim_end_matches('/'))
}

impl DialForm {
    /// The form's fields; `StatusCallbackEvent` once per event, as Twilio
    /// reads a list.
    pub fn fields(&self) -> Vec<(String, String)> {
        let mut f = vec![
            ("To".to_string(), e164(&self.to)),
            ("From".to_string(), self.from.clone()),
        ];
        f.push(match &self.instructions {
            Instructions::Twiml(t) => ("Twiml".to_string(), t.clone()),
            Instructions::Url(u) => ("Url".to_string(), u.clone()),
        });
        f.push(("StatusCallback".to_string(), self.status_callback.clone()));
        for e in CALLBACK_EVENTS {
            f.push(("StatusCallbackEvent".to_string(), e.to_string()));
        }
        f.push(("StatusCallbackMethod".to_string(), "POST".to_string()));
        f.push(("Timeout".to_string(), self.timeout_secs.to_string()));
        if let Some(amd) = &self.amd {
            f.push((
                "MachineDetection".to_string(),
                amd.machine_detection.to_string(),
            ));
            for (name, value) in &amd.tuning {
                f.push((name.to_string(), value.to_string()));
            }
            f.push(("AsyncAmd".to_string(), "true".to_string()));
            f.push(("AsyncAmdStatusCallback".to_string(), amd.callback.clone()));
            f.push((
                "AsyncAmdStatusCallbackMethod".to_string(),
                "POST".to_string(),
            ));
        }
        f
    }
}

/// The path of one call of an account, for its update.
pub fn call_path(account_sid: &str, call_sid: &str) -> String {
    format!("/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}.json")
}

/// The TwiML that leaves `message` on a machine and hangs up.
pub fn voicemail_twiml(message: &Voicemail) -> String {
    let verb = match message {
        Voicemail::Say(text) => format!("<Say>{}</Say>", xml_escape(text)),
        Voicemail::Play(url) => format!("<Play>{}</Play>", xml_escape(url)),
    };
    format!("<Response>{verb}<Hangup/></Response>")
}

/// The call update that replaces a live call's TwiML with the voicemail.
pub fn voicemail_update(message: &Voicemail) -> Vec<(String, String)> {
    vec![("Twiml".to_string(), voicemail_twiml(message))]
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Every documented `AnsweredBy` of an asynchronous detection result.
pub const ANSWERED_BY: [&str; 7] = [
    "human",
    "machine_start",
    "machine_end_beep",
    "machine_end_silence",
    "machine_end_other",
    "fax",
    "unknown",
];

/// What an `AnsweredBy` value says, and whether a machine's greeting is
/// over (`machine_end_*`). A value outside the list is `unknown`; its
/// text is kept by the caller.
pub fn answered_by(value: &str) -> (AnsweredBy, bool) {
    match value {
        "human" => (AnsweredBy::Human, false),
        "machine_start" => (AnsweredBy::Machine, false),
        "machine_end_beep" | "machine_end_silence" | "machine_end_other" => {
            (AnsweredBy::Machine, true)
        }
        "fax" => (AnsweredBy::Fax, false),
        _ => (AnsweredBy::Unknown, false),
    }
}

/// An asynchronous detection callback, read from its form fields:
/// `CallSid`, `AnsweredBy`, `MachineDetectionDuration` (milliseconds).
pub fn detection_from_fields(params: &[(String, String)]) -> Result<Detection, String> {
    let call_sid = field(params, "CallSid")
        .filter(|s| !s.is_empty())
        .ok_or("missing CallSid")?;
    let raw = field(params, "AnsweredBy")
        .filter(|s| !s.is_empty())
        .ok_or("missing AnsweredBy")?;
    let duration_ms = match field(params, "MachineDetectionDuration") {
        None | Some("") => None,
        Some(n) => Some(
            n.parse()
                .map_err(|_| format!("MachineDetectionDuration {n:?} is not a number"))?,
        ),
    };
    let (by, greeting_over) = answered_by(raw);
    Ok(Detection {
        id: CallId::Text(call_sid.to_string()),
        answered_by: by,
        raw: Some(raw.to_string()),
        duration_ms,
        greeting_over,
    })
}

/// Twilio's `201` answer to a dial: the call resource. Only `sid` matters
/// here; the rest of its fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallResource {
    pub sid: String,
    #[serde(default)]
    pub status: Option<String>,
}

/// Twilio's error answer: `{"code", "message", "more_info", "status"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: u32,
    pub message: String,
    #[serde(default)]
    pub more_info: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
}

/// Twilio's error codes for a `To` number that no retry can dial:
/// 21211 invalid 'To' number, 21217 number does not appear valid, 13224
/// invalid number, 21614 not a mobile number (SMS-only callers), 21215
/// geographic permission off for that country.
const NUMBER_REFUSED: [u32; 5] = [21211, 21217, 13224, 21614, 21215];

impl ErrorBody {
    /// The reason an entry fails with.
    pub fn reason(&self) -> String {
        format!("twilio {}: {}", self.code, self.message)
    }

    /// Twilio refused the number itself, not the request: the same number
    /// would be refused again, so it is failed for good rather than
    /// retried, as the numDialer API's "Expected a valid phone" is.
    pub fn refuses_the_number(&self) -> bool {
        NUMBER_REFUSED.contains(&self.code)
    }
}

/// Every value of `CallStatus` in a Twilio callback; serialised in
/// Twilio's own words (`in-progress`, `no-answer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallStatus {
    Queued,
    Initiated,
    Ringing,
    InProgress,
    Completed,
    Busy,
    NoAnswer,
    Failed,
    Canceled,
}

impl CallStatus {
    pub const ALL: [CallStatus; 9] = [
        CallStatus::Queued,
        CallStatus::Initiated,
        CallStatus::Ringing,
        CallStatus::InProgress,
        CallStatus::Completed,
        CallStatus::Busy,
        CallStatus::NoAnswer,
        CallStatus::Failed,
        CallStatus::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Queued => "queued",
            CallStatus::Initiated => "initiated",
            CallStatus::Ringing => "ringing",
            CallStatus::InProgress => "in-progress",
            CallStatus::Completed => "completed",
            CallStatus::Busy => "busy",
            CallStatus::NoAnswer => "no-answer",
            CallStatus::Failed => "failed",
            CallStatus::Canceled => "canceled",
        }
    }

    /// What the status does to an entry. `None` for `queued` and
    /// `initiated`: the entry is already `dialing` since its dial was
    /// answered, so they are only recorded.
    ///
    /// `busy` and `no-answer` end the attempt with the `no_answer`
    /// outcome (and that reason), which a retry policy can dial again;
    /// `failed` and `canceled` are failures.
    pub fn event(self) -> Option<CallEvent> {
        match self {
            CallStatus::Queued | CallStatus::Initiated => None,
            CallStatus::Ringing => Some(CallEvent::Ringing),
            CallStatus::InProgress => Some(CallEvent::Answered),
            CallStatus::Completed => Some(CallEvent::Completed),
            CallStatus::Busy | CallStatus::NoAnswer => Some(CallEvent::NotAnswered {
                reason: self.as_str().to_string(),
            }),
            CallStatus::Failed | CallStatus::Canceled => Some(CallEvent::Failed {
                reason: self.as_str().to_string(),
            }),
        }
    }
}

impl fmt::Display for CallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CallStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CallStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown CallStatus {s:?}"))
    }
}

/// A status callback, read from its form fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCallback {
    pub call_sid: String,
    pub call_status: CallStatus,
    /// Twilio numbers the callbacks of a call from 0, so that a receiver
    /// can tell those that arrived out of order.
    pub sequence_number: Option<u64>,
}

impl StatusCallback {
    pub fn from_fields(params: &[(String, String)]) -> Result<Self, String> {
        let call_sid = field(params, "CallSid")
            .filter(|s| !s.is_empty())
            .ok_or("missing CallSid")?
            .to_string();
        let call_status = field(params, "CallStatus")
            .ok_or("missing CallStatus")?
            .parse()?;
        let sequence_number = match field(params, "SequenceNumber") {
            None => None,
            Some(n) => Some(
                n.parse()
                    .map_err(|_| format!("SequenceNumber {n:?} is not a number"))?,
            ),
        };
        Ok(StatusCallback {
            call_sid,
            call_status,
            sequence_number,
        })
    }

    /// The report for the campaign, numbered with `SequenceNumber`; `None`
    /// when the status changes nothing (see [`CallStatus::event`]).
    pub fn report(&self) -> Option<CallReport> {
        self.call_status.event().map(|event| {
            CallReport::new(CallId::Text(self.call_sid.clone()), event)
                .with_sequence(self.sequence_number)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// The example of Twilio's request-validation documentation (auth token
    /// `12345`, a URL with a query string, five POST parameters), given
    /// here out of order to show that sorting is ours to do.
    #[test]
    fn reproduces_twilios_published_example() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params = pairs(&[
            ("To", "+18005551212"),
            ("Digits", "1234"),
            ("CallSid", "CA1234567890ABCDE"),
            ("From", "+14158675309"),
            ("Caller", "+14158675309"),
        ]);
        let expected = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
        assert_eq!(signature("12345", url, &params), expected);
        assert!(verify("12345", url, &params, expected));
        assert!(!verify("12346", url, &params, expected));
        assert!(!verify(
            "12345",
            "https://mycompany.com/myapp.php",
            &params,
            expected
        ));
        let mut changed = params.clone();
        changed[1].1 = "1235".into();
        assert!(!verify("12345", url, &changed, expected));
        assert!(!verify("12345", url, &params, ""));
        assert!(!verify("12345", url, &params, "not base64!"));
    }

    #[test]
    fn answered_by_maps_every_documented_value_and_keeps_an_unknown_one() {
        let table = [
            ("human", AnsweredBy::Human, false),
            ("machine_start", AnsweredBy::Machine, false),
            ("machine_end_beep", AnsweredBy::Machine, true),
            ("machine_end_silence", AnsweredBy::Machine, true),
            ("machine_end_other", AnsweredBy::Machine, true),
            ("fax", AnsweredBy::Fax, false),
            ("unknown", AnsweredBy::Unknown, false),
        ];
        assert_eq!(table.map(|(v, ..)| v), ANSWERED_BY);
        for (value, by, over) in table {
            let d = detection_from_fields(&pairs(&[
                ("CallSid", "CA1"),
                ("AnsweredBy", value),
                ("MachineDetectionDuration", "2210"),
            ]))
            .unwrap();
            assert_eq!((d.answered_by, d.greeting_over), (by, over), "{value}");
            assert_eq!(d.raw.as_deref(), Some(value));
            assert_eq!(d.duration_ms, Some(2210));
        }
        let odd =
            detection_from_fields(&pairs(&[("CallSid", "CA1"), ("AnsweredBy", "robot")])).unwrap();
        assert_eq!(odd.answered_by, AnsweredBy::Unknown);
        assert_eq!(odd.raw.as_deref(), Some("robot"));
        assert!(detection_from_fields(&pairs(&[("CallSid", "CA1")])).is_err());
        assert!(detection_from_fields(&pairs(&[("AnsweredBy", "human")])).is_err());
    }

    #[test]
    fn a_dial_with_detection_asks_for_an_asynchronous_signed_result() {
        let settings = AnswerSettings {
            amd: Amd::DetectMessageEnd,
            voicemail: None,
            tuning: vec![("machine_detection_timeout".into(), 45)],
        };
        let cb = "https://d.example/webhooks/2-abc";
        let form = DialForm {
            to: "13018040009".into(),
            from: "+15005550006".into(),
            instructions: Instructions::default(),
            status_callback: cb.into(),
            timeout_secs: 30,
            amd: AmdForm::of(&settings, amd_callback_url(cb)),
        };
        let fields = form.fields();
        for (name, value) in [
            ("MachineDetection", "DetectMessageEnd"),
            ("MachineDetectionTimeout", "45"),
            ("AsyncAmd", "true"),
            (
                "AsyncAmdStatusCallback",
                "https://d.example/webhooks/2-abc/amd",
            ),
        ] {
            assert_eq!(field(&fields, name), Some(value), "{name}");
        }
        assert_eq!(AmdForm::of(&AnswerSettings::default(), "x".into()), None);
    }

    #[test]
    fn voicemail_twiml_is_escaped_and_hangs_up() {
        assert_eq!(
            voicemail_twiml(&Voicemail::Say("Call <us> & \"win\"".into())),
            "<Response><Say>Call &lt;us&gt; &amp; &quot;win&quot;</Say><Hangup/></Response>"
        );
        assert_eq!(
            voicemail_twiml(&Voicemail::Play("https://x.example/a.mp3?x=1&y=2".into())),
            "<Response><Play>https://x.example/a.mp3?x=1&amp;y=2</Play><Hangup/></Response>"
        );
    }

    #[test]
    fn statuses_map_as_documented() {
        use CallStatus::*;
        let failed = |r: &str| {
            Some(CallEvent::Failed {
                reason: r.to_string(),
            })
        };
        let not_answered = |r: &str| {
            Some(CallEvent::NotAnswered {
                reason: r.to_string(),
            })
        };
        let table = [
            (Queued, None),
            (Initiated, None),
            (Ringing, Some(CallEvent::Ringing)),
            (InProgress, Some(CallEvent::Answered)),
            (Completed, Some(CallEvent::Completed)),
            (Busy, not_answered("busy")),
            (NoAnswer, not_answered("no-answer")),
            (Failed, failed("failed")),
            (Canceled, failed("canceled")),
        ];
        for (status, event) in table {
            assert_eq!(status.event(), event, "{status}");
            assert_eq!(status.as_str().parse::<CallStatus>(), Ok(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        assert!("answered".parse::<CallStatus>().is_err());
        assert!("Ringing".parse::<CallStatus>().is_err());
    }

    #[test]
    fn callbacks_read_from_form_fields() {
        let body = b"AccountSid=AC1&CallSid=CA42&CallStatus=in-progress&SequenceNumber=2&To=%2B13018040009";
        let params = parse_form(body);
        assert_eq!(field(&params, "To"), Some("+13018040009"));
        let cb = StatusCallback::from_fields(&params).unwrap();
        assert_eq!(cb.sequence_number, Some(2));
        assert_eq!(
            cb.report(),
            Some(CallReport {
                id: CallId::Text("CA42".into()),
                event: CallEvent::Answered,
                sequence: Some(2),
            })
        );
        let queued =
            StatusCallback::from_fields(&pairs(&[("CallSid", "CA42"), ("CallStatus", "queued")]))
                .unwrap();
        assert_eq!(queued.report(), None);
        for bad in [
            &[("CallStatus", "ringing")][..],
            &[("CallSid", ""), ("CallStatus", "ringing")],
            &[("CallSid", "CA1")],
            &[("CallSid", "CA1"), ("CallStatus", "dialing")],
            &[
                ("CallSid", "CA1"),
                ("CallStatus", "ringing"),
                ("SequenceNumber", "x"),
            ],
        ] {
            assert!(StatusCallback::from_fields(&pairs(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dial_form_has_every_field_twilio_needs() {
        let form = DialForm {
            to: "13018040009".into(),
            from: "+15005550006".into(),
            instructions: Instructions::default(),
            status_callback: "https://dialer.example/webhooks/t0k".into(),
            timeout_secs: 30,
            amd: None,
        };
        let f = form.fields();
        assert_eq!(field(&f, "To"), Some("+13018040009"));
        assert_eq!(field(&f, "From"), Some("+15005550006"));
        assert_eq!(field(&f, "Twiml"), Some(DEFAULT_TWIML));
        assert_eq!(field(&f, "Url"), None);
        assert_eq!(field(&f, "StatusCallbackMethod"), Some("POST"));
        assert_eq!(field(&f, "Timeout"), Some("30"));
        assert_eq!(values(&f, "StatusCallbackEvent"), CALLBACK_EVENTS);
        assert_eq!(
            field(&f, "MachineDetection"),
            None,
            "detection is off by default"
        );
        assert_eq!(parse_form(encode_form(&f).as_bytes()), f);
        let by_url = DialForm {
            instructions: Instructions::Url("https://x.example/t.xml".into()),
            ..form
        };
        assert_eq!(
            field(&by_url.fields(), "Url"),
            Some("https://x.example/t.xml")
        );
        assert_eq!(calls_path("AC1"), "/2010-04-01/Accounts/AC1/Calls.json");
    }

    #[test]
    fn answers_parse() {
        let ok: CallResource =
            serde_json::from_str(r#"{"sid": "CA1", "status": "queued", "to": "+1"}"#).unwrap();
        assert_eq!(ok.sid, "CA1");
        let err: ErrorBody = serde_json::from_str(
            r#"{"code": 21211, "message": "Invalid 'To' Phone Number", "more_info": "m", "status": 400}"#,
        )
        .unwrap();
        assert_eq!(err.reason(), "twilio 21211: Invalid 'To' Phone Number");
        assert!(err.refuses_the_number(), "the number, for good");
        let auth: ErrorBody =
            serde_json::from_str(r#"{"code": 20003, "message": "Authenticate"}"#).unwrap();
        assert!(!auth.refuses_the_number(), "the request, not the number");
    }

    proptest! {
        /// Any order of the same parameters signs the same, and the signer's
        /// own signature always verifies.
        #[test]
        fn order_does_not_change_the_signature(
            params in proptest::collection::vec(("[A-Za-z]{1,6}", "[ -~]{0,8}"), 0..8),
            token in "[ -~]{1,32}",
            url in "https?://[a-z]{1,8}/[a-z0-9/?=&]{0,16}",
        ) {
            let sig = signature(&token, &url, &params);
            let mut reversed = params.clone();
            reversed.reverse();
            prop_assert_eq!(&signature(&token, &url, &reversed), &sig);
            prop_assert!(verify(&token, &url, &params, &sig));
            let other = format!("{url}x");
            prop_assert!(!verify(&token, &other, &params, &sig));
        }
    }
}
