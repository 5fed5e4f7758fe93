//! Twilio's Programmable Voice API: a form-encoded `POST .../Calls.json`
//! with HTTP Basic auth, answered `201` with the call's `sid`, then signed,
//! form-encoded status callbacks.
//!
//! The numDialer client's rule holds here too: only a request that certainly
//! placed no call is sent again. Twilio adds two such answers, `429` (too
//! many requests) and `503`, which say the request was turned away; they are
//! retried after the `Retry-After` the API asks for. Anything else that
//! leaves a doubt is reported unanswered and never re-sent. Every request,
//! the retries included, takes its turn of the `--max-cps` gate ([`Pace`]):
//! Twilio counts requests, so a retry sent at once would be over the cap.
//!
//! Callbacks are trusted only with a valid `X-Twilio-Signature` for the URL
//! the server gave Twilio: without it anyone who learned a webhook URL could
//! complete or fail calls at will.

use super::numdialer::{clip, dial_client, root_cause};
use super::pace::Pace;
use super::{CallbackError, Callbacks, Provider, Shortage, local_shortage};
use axum::http::{HeaderMap, StatusCode, Uri};
use numdialer_core::answer::{AnswerSettings, AnsweredBy, Detection, Voicemail};
use numdialer_core::protocol::twilio::{
    self, AmdForm, CallResource, DialForm, ErrorBody, Instructions, SIGNATURE_HEADER,
    StatusCallback,
};
use numdialer_core::{CallId, CallReport, DialAnswer, Secret};
use std::sync::Arc;
use std::time::Duration;

/// The longest `Retry-After` honoured as asked; a longer one is cut to
/// this, so that one answer cannot stall dialing for hours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// What the Twilio client needs besides the HTTP settings.
#[derive(Debug, Clone)]
pub struct TwilioConfig {
    /// The API's base URL, `https://api.twilio.com` for the real one.
    pub base_url: String,
    /// Basic auth user: the Account SID.
    pub account_sid: String,
    /// Basic auth password, and the key of callback signatures.
    pub auth_token: Secret,
    /// The caller id, a number of the account, in E.164.
    pub from: String,
    pub instructions: Instructions,
    /// Seconds the phone rings before Twilio reports `no-answer`.
    pub ring_timeout_secs: u32,
    /// The server's `--public-url`, without a trailing slash: the start of
    /// every URL Twilio signs callbacks for.
    pub public_url: String,
}

/// Its `Debug` shows the auth token as stars (it is a [`Secret`]).
#[derive(Debug, Clone)]
pub struct TwilioClient {
    http: reqwest::Client,
    calls_url: String,
    /// The API's base URL, without a trailing slash: call updates go below.
    base_url: String,
    probe_url: String,
    config: Arc<TwilioConfig>,
    /// Attempts for a dial that certainly placed no call, the first included.
    attempts: u32,
    backoff: Duration,
    /// The `--max-cps` gate, taken before every `POST .../Calls.json`.
    pace: Pace,
}

impl TwilioClient {
    pub fn new(
        config: TwilioConfig,
        request_timeout: Duration,
        attempts: u32,
        backoff: Duration,
    ) -> Self {
        let http = dial_client(request_timeout, reqwest::header::HeaderMap::new());
        let base = config.base_url.trim_end_matches('/');
        TwilioClient {
            http,
            calls_url: format!("{base}{}", twilio::calls_path(&config.account_sid)),
            base_url: base.to_string(),
            probe_url: format!("{base}/2010-04-01/Accounts/{}.json", config.account_sid),
            config: Arc::new(config),
            attempts: attempts.max(1),
            backoff,
            pace: Pace::default(),
        }
    }

    /// Sends every call-creating request through `pace`.
    pub fn with_pace(self, pace: Pace) -> Self {
        TwilioClient { pace, ..self }
    }

    pub fn calls_url(&self) -> &str {
        &self.calls_url
    }

    /// HTTP Basic auth with the account's credentials; reqwest marks the
    /// header sensitive, so it stays out of its own debug output.
    fn authed(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.basic_auth(
            &self.config.account_sid,
            Some(self.config.auth_token.expose()),
        )
    }

    fn form(&self, phone: &str, webhook_url: &str, answers: &AnswerSettings) -> String {
        let form = DialForm {
            to: phone.to_string(),
            from: self.config.from.clone(),
            instructions: self.config.instructions.clone(),
            status_callback: webhook_url.to_string(),
            timeout_secs: self.config.ring_timeout_secs,
            amd: AmdForm::of(answers, twilio::amd_callback_url(webhook_url)),
        };
        twilio::encode_form(&form.fields())
    }
}

/// How one answer of the Calls resource ends the dial, or that it asks to
/// be sent again after a delay.
enum Reading {
    Done(DialAnswer),
    TurnedAway { wait: Option<Duration>, why: String },
}

async fn read_answer(resp: reqwest::Response) -> Reading {
    let status = resp.status();
    let retry_after = retry_after(resp.headers());
    let text = match resp.text().await {
        Ok(t) => t,
        Err(e) => {
            return Reading::Done(DialAnswer::Unanswered {
                reason: format!("answer unreadable: {}", root_cause(&e)),
            });
        }
    };
    let error = serde_json::from_str::<ErrorBody>(&text).ok();
    let why = || match &error {
        Some(e) => e.reason(),
        None => format!("HTTP {}: {}", status.as_u16(), clip(&text)),
    };
    if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
        return Reading::TurnedAway {
            wait: retry_after,
            why: why(),
        };
    }
    if status.is_success() {
        return Reading::Done(match serde_json::from_str::<CallResource>(&text) {
            Ok(call) => DialAnswer::Placed {
                id: CallId::Text(call.sid),
            },
            Err(_) => DialAnswer::Unanswered {
                reason: format!("unexpected answer: {}", clip(&text)),
            },
        });
    }
    // A 4xx is Twilio refusing the request: nothing was placed. A 5xx may
    // come after the call was created, so it stays a doubt.
    Reading::Done(
        if error.as_ref().is_some_and(ErrorBody::refuses_the_number) {
            DialAnswer::Undialable { reason: why() }
        } else if status.is_client_error() {
            DialAnswer::Refused { reason: why() }
        } else {
            DialAnswer::Unanswered { reason: why() }
        },
    )
}

/// `Retry-After` in seconds (the form Twilio sends); an HTTP date is not
/// read and falls back to the client's own backoff.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let secs: f64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs).min(MAX_RETRY_AFTER))
}

impl Provider for TwilioClient {
    async fn dial(
        &self,
        phone: &str,
        webhook_url: &str,
        answers: &AnswerSettings,
    ) -> (DialAnswer, u32) {
        let body = self.form(phone, webhook_url, answers);
        let mut delay = self.backoff;
        let mut shortage = Shortage::default();
        let mut attempt = 0;
        // Tries after the first, a local shortage's included.
        let mut resent = 0;
        loop {
            attempt += 1;
            self.pace.turn().await;
            let sent = self
                .authed(self.http.post(&self.calls_url))
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body.clone())
                .send()
                .await;
            let (wait, why) = match sent {
                Ok(resp) => match read_answer(resp).await {
                    Reading::Done(answer) => return (answer, resent),
                    Reading::TurnedAway { wait, why } => (wait.unwrap_or(delay), why),
                },
                Err(e) if e.is_connect() => {
                    // Out of descriptors or memory here: no request left,
                    // and Twilio is not to blame; not an attempt.
                    if let Some(what) = local_shortage(&e)
                        && shortage.wait(what).await
                    {
                        attempt -= 1;
                        resent += 1;
                        continue;
                    }
                    (delay, root_cause(&e))
                }
                Err(e) => {
                    let reason = root_cause(&e);
                    return (DialAnswer::Unanswered { reason }, resent);
                }
            };
            if attempt >= self.attempts {
                // Every attempt was turned away or never connected: no call
                // exists, and the entry fails with the last reason.
                let reason = format!("{why} after {attempt} attempts");
                return (DialAnswer::Unreachable { reason }, resent);
            }
            tracing::warn!(
                attempt,
                "Twilio did not take the dial, retrying in {wait:?}: {why}"
            );
            tokio::time::sleep(wait).await;
            delay *= 2;
            resent += 1;
        }
    }

    async fn ready(&self) {
        self.pace.ready().await;
    }

    /// A call update (`POST .../Calls/{Sid}.json`) with TwiML that says or
    /// plays the message, then hangs up. Sent once: a second update of a
    /// call whose first may have arrived would play the message twice.
    async fn leave_voicemail(&self, id: &CallId, message: &Voicemail) -> Result<(), String> {
        let sid = id
            .as_text()
            .ok_or_else(|| format!("call id {id} is not a Twilio CallSid"))?;
        let url = format!(
            "{}{}",
            self.base_url,
            twilio::call_path(&self.config.account_sid, sid)
        );
        let body = twilio::encode_form(&twilio::voicemail_update(message));
        let resp = self
            .authed(self.http.post(&url))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| format!("call update not answered: {}", root_cause(&e)))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let text = resp.text().await.unwrap_or_default();
        Err(match serde_json::from_str::<ErrorBody>(&text) {
            Ok(e) => format!("call update refused: {}", e.reason()),
            Err(_) => format!(
                "call update refused: HTTP {}: {}",
                status.as_u16(),
                clip(&text)
            ),
        })
    }

    /// The account resource: any HTTP answer means the API is up.
    async fn probe(&self) -> Result<(), String> {
        match self.authed(self.http.get(&self.probe_url)).send().await {
            Ok(_) => Ok(()),
            Err(e) => Err(root_cause(&e)),
        }
    }

    fn callbacks(&self) -> Arc<dyn Callbacks> {
        Arc::new(TwilioCallbacks::new(
            self.config.auth_token.clone(),
            &self.config.public_url,
        ))
    }
}

/// Twilio's status callbacks: form-encoded `CallSid`, `CallStatus`,
/// `SequenceNumber`, ..., signed with the auth token.
pub struct TwilioCallbacks {
    auth_token: Secret,
    public_url: String,
}

impl TwilioCallbacks {
    pub fn new(auth_token: Secret, public_url: &str) -> Self {
        TwilioCallbacks {
            auth_token,
            public_url: public_url.trim_end_matches('/').to_string(),
        }
    }
}

impl TwilioCallbacks {
    /// The form of a signed callback: refused unless it is form-encoded and
    /// its `X-Twilio-Signature` is the auth token's for the URL it came to.
    fn signed_form(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Vec<(String, String)>, CallbackError> {
        if !is_form(headers) {
            return Err(CallbackError::UnsupportedMediaType(
                "Expected request with `Content-Type: application/x-www-form-urlencoded`".into(),
            ));
        }
        let params = twilio::parse_form(body);
        // The URL Twilio signed is the one the driver gave it: the public
        // URL followed by the path (and query) this request came to.
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let url = format!("{}{path}", self.public_url);
        let Some(given) = headers.get(SIGNATURE_HEADER) else {
            return Err(CallbackError::Forbidden(format!(
                "missing {SIGNATURE_HEADER}"
            )));
        };
        let given = given.to_str().unwrap_or("");
        if !twilio::verify(self.auth_token.expose(), &url, &params, given) {
            // Every genuine callback fails this way when --public-url is not
            // the URL Twilio calls: say where to look. The path is left out,
            // as it holds the dial's token.
            tracing::warn!(
                public_url = %self.public_url,
                "Twilio callback refused: its signature does not match; is --public-url \
                 exactly the URL Twilio calls?"
            );
            return Err(CallbackError::Forbidden(format!(
                "{SIGNATURE_HEADER} does not match this request"
            )));
        }
        Ok(params)
    }
}

impl Callbacks for TwilioCallbacks {
    fn read(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Option<CallReport>, CallbackError> {
        let params = self.signed_form(uri, headers, body)?;
        let callback = StatusCallback::from_fields(&params)
            .map_err(|e| CallbackError::Invalid(format!("invalid status callback: {e}")))?;
        let report = callback.report();
        if report.is_none() {
            tracing::info!(
                call_sid = %callback.call_sid,
                status = %callback.call_status,
                sequence = callback.sequence_number,
                "Twilio status recorded; it changes no entry"
            );
        }
        Ok(report)
    }

    fn detects_answers(&self) -> bool {
        true
    }

    /// An `AsyncAmdStatusCallback`, signed like the status callbacks. An
    /// `AnsweredBy` outside Twilio's list is read as `unknown` with its
    /// text kept.
    fn read_detection(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Detection, CallbackError> {
        let params = self.signed_form(uri, headers, body)?;
        let d = twilio::detection_from_fields(&params)
            .map_err(|e| CallbackError::Invalid(format!("invalid AMD callback: {e}")))?;
        if d.answered_by == AnsweredBy::Unknown && d.raw.as_deref() != Some("unknown") {
            tracing::warn!(
                answered_by = d.raw.as_deref().unwrap_or_default(),
                "Twilio sent an AnsweredBy outside its documented list; recorded as unknown"
            );
        }
        Ok(d)
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    super::media_type(headers).is_some_and(|m| m == "application/x-www-form-urlencoded")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use numdialer_core::CallEvent;

    fn signed(token: &str, url: &str, body: &str) -> HeaderMap {
        let params = twilio::parse_form(body.as_bytes());
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let sig = twilio::signature(token, url, &params);
        h.insert(SIGNATURE_HEADER, HeaderValue::from_str(&sig).unwrap());
        h
    }

    #[test]
    fn callbacks_need_a_signature_for_this_url() {
        let cb = TwilioCallbacks::new(Secret::new("tok"), "https://dialer.example/");
        let uri: Uri = "/webhooks/abc".parse().unwrap();
        let body = "CallSid=CA9&CallStatus=ringing&SequenceNumber=1";
        let good = signed("tok", "https://dialer.example/webhooks/abc", body);
        assert_eq!(
            cb.read(&uri, &good, body.as_bytes()),
            Ok(Some(CallReport {
                id: CallId::Text("CA9".into()),
                event: CallEvent::Ringing,
                sequence: Some(1),
            }))
        );
        let elsewhere = signed("tok", "https://dialer.example/webhooks/xyz", body);
        let wrong_key = signed("other", "https://dialer.example/webhooks/abc", body);
        let mut missing = good.clone();
        missing.remove(SIGNATURE_HEADER);
        for h in [elsewhere, wrong_key, missing] {
            assert!(matches!(
                cb.read(&uri, &h, body.as_bytes()),
                Err(CallbackError::Forbidden(_))
            ));
        }
        let changed = "CallSid=CA9&CallStatus=completed&SequenceNumber=1";
        assert!(matches!(
            cb.read(&uri, &good, changed.as_bytes()),
            Err(CallbackError::Forbidden(_))
        ));
        let initiated = "CallSid=CA9&CallStatus=initiated&SequenceNumber=0";
        let h = signed("tok", "https://dialer.example/webhooks/abc", initiated);
        assert_eq!(cb.read(&uri, &h, initiated.as_bytes()), Ok(None));
    }

    #[test]
    fn retry_after_is_read_in_seconds_and_capped() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(reqwest::header::RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(reqwest::header::RETRY_AFTER, "86400".parse().unwrap());
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2026 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn debug_never_shows_the_auth_token() {
        let c = TwilioClient::new(
            TwilioConfig {
                base_url: "https://api.twilio.com".into(),
                account_sid: "AC1".into(),
                auth_token: Secret::new("hunter2"),
                from: "+15005550006".into(),
                instructions: Instructions::default(),
                ring_timeout_secs: 30,
                public_url: "https://d.example".into(),
            },
            Duration::from_secs(1),
            1,
            Duration::ZERO,
        );
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(
            c.calls_url(),
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json"
        );
    }
}
