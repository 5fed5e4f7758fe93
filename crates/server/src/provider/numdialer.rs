//! The numDialer API's protocol: JSON `POST /call`, answered `{"id"}` or
//! `{"error"}`.
//!
//! Its one delicate rule: only a request that certainly never left may be
//! sent again. A refused connection is retried with backoff; a request that
//! was sent but got no usable answer is reported as unanswered, because
//! the call may exist and dialing it twice would ring a person twice.
//! Each attempt takes its turn of the `--max-cps` gate ([`Pace`]), as
//! Twilio's do: a cap counts requests.
//!
//! A numDialer-style API of one's own may sit behind authentication:
//! [`DialerHeader`]s (`--dialer-header`) go on every request, marked
//! sensitive and held as [`Secret`]s so that no log or error shows them.

use super::pace::Pace;
use super::{Accepts, CallbackError, Callbacks, Provider, Shortage, local_shortage};
use axum::http::{HeaderMap, Uri};
use numdialer_core::protocol::numdialer::{DialRequest, DialResponse, WebhookBody};
use numdialer_core::{CallReport, DialAnswer, Secret};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct DialerClient {
    http: reqwest::Client,
    call_url: String,
    /// Attempts for a connection that cannot be made, the first included.
    attempts: u32,
    backoff: Duration,
    /// The `--max-cps` gate, taken before every `POST /call`.
    pace: Pace,
    /// What the API takes: a number outside it is failed unsent.
    accepts: Arc<Accepts>,
}

/// One `Name: value` header for the dialer API; the value is a credential
/// more often than not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialerHeader {
    pub name: String,
    pub value: Secret,
}

impl DialerHeader {
    /// Reads `Name: value`, checking both as HTTP allows them. The error
    /// never repeats the value.
    pub fn parse(s: &str) -> Result<DialerHeader, String> {
        let (name, value) = s
            .split_once(':')
            .ok_or("expected `Name: value`, like `Authorization: Bearer <token>`")?;
        let name = name.trim();
        let value = value.trim();
        reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("{name:?} is not an HTTP header name"))?;
        reqwest::header::HeaderValue::from_str(value)
            .map_err(|_| format!("the value of {name} is not a valid HTTP header value"))?;
        Ok(DialerHeader {
            name: name.to_string(),
            value: Secret::new(value),
        })
    }
}

fn header_map(headers: &[DialerHeader]) -> reqwest::header::HeaderMap {
    let mut map = reqwest::header::HeaderMap::new();
    for h in headers {
        let name = reqwest::header::HeaderName::from_bytes(h.name.as_bytes())
            .expect("checked by DialerHeader::parse");
        let mut value = reqwest::header::HeaderValue::from_str(h.value.expose())
            .expect("checked by DialerHeader::parse");
        value.set_sensitive(true);
        map.append(name, value);
    }
    map
}

/// The HTTP client that places calls, for every provider.
///
/// No pooled connections: a request written to a kept-alive connection that
/// the API closes at that moment fails ambiguously (it may have arrived), so
/// the dial could be neither retried nor trusted. On a fresh connection,
/// refused means never sent.
pub(super) fn dial_client(
    request_timeout: Duration,
    headers: reqwest::header::HeaderMap,
) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .default_headers(headers)
        .timeout(request_timeout)
        .connect_timeout(request_timeout.min(Duration::from_secs(3)))
        .build()
        .expect("building the HTTP client")
}

impl DialerClient {
    pub fn new(
        base_url: &str,
        headers: &[DialerHeader],
        request_timeout: Duration,
        attempts: u32,
        backoff: Duration,
    ) -> Self {
        DialerClient {
            http: dial_client(request_timeout, header_map(headers)),
            call_url: format!("{}/call", base_url.trim_end_matches('/')),
            attempts: attempts.max(1),
            backoff,
            pace: Pace::default(),
            accepts: Arc::default(),
        }
    }

    /// Dials only the numbers `accepts` takes.
    pub fn with_accepts(self, accepts: Accepts) -> Self {
        DialerClient {
            accepts: Arc::new(accepts),
            ..self
        }
    }

    /// Sends every `POST /call` through `pace`.
    pub fn with_pace(self, pace: Pace) -> Self {
        DialerClient { pace, ..self }
    }

    pub fn call_url(&self) -> &str {
        &self.call_url
    }
}

/// The numDialer API's answer to a number it cannot dial.
pub const INVALID_PHONE: &str = "Expected a valid phone";

async fn read_answer(resp: reqwest::Response, accepts: &Accepts) -> DialAnswer {
    let status = resp.status();
    let text = match resp.text().await {
        Ok(t) => t,
        Err(e) => {
            return DialAnswer::Unanswered {
                reason: format!("answer unreadable: {}", root_cause(&e)),
            };
        }
    };
    if !status.is_success() {
        return DialAnswer::Refused {
            reason: format!("HTTP {}: {}", status.as_u16(), clip(&text)),
        };
    }
    match serde_json::from_str::<DialResponse>(&text) {
        Ok(DialResponse::Placed { id }) => DialAnswer::Placed { id: id.into() },
        // Final: the same number would be refused again.
        Ok(DialResponse::Error { error }) if error == INVALID_PHONE => {
            let reason = match accepts {
                Accepts::Any => format!("dialer API refused the number: {error}"),
                rule => format!("dialer API refused the number: {error} ({rule})"),
            };
            DialAnswer::Undialable { reason }
        }
        Ok(DialResponse::Error { error }) => DialAnswer::Refused { reason: error },
        Err(_) => DialAnswer::Unanswered {
            reason: format!("unexpected answer: {}", clip(&text)),
        },
    }
}

pub(super) fn clip(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= 200 {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(200).collect();
        c.push('…');
        c
    }
}

/// reqwest's top-level message hides the cause ("error sending request");
/// the innermost source says what happened.
pub(super) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = None;
    let mut cur = e.source();
    while let Some(s) = cur {
        inner = Some(s);
        cur = s.source();
    }
    match inner {
        Some(i) => format!("{e}: {i}"),
        None => e.to_string(),
    }
}

impl Provider for DialerClient {
    /// The numDialer API has no answering-machine detection: `answers`
    /// are not sent (a campaign with `amd` on is refused at import).
    async fn dial(
        &self,
        phone: &str,
        webhook_url: &str,
        _answers: &numdialer_core::answer::AnswerSettings,
    ) -> (DialAnswer, u32) {
        let body = DialRequest {
            phone: phone.to_string(),
            webhook_url: webhook_url.to_string(),
        };
        if !self.accepts.takes_digits(phone) {
            let reason = format!("not sent: {}", self.accepts);
            return (DialAnswer::Undialable { reason }, 0);
        }
        let mut delay = self.backoff;
        // Tries after the first; a local shortage's tries do not count
        // against `attempts`, which are about the API.
        let mut resent = 0;
        let mut attempt = 0;
        let mut shortage = Shortage::default();
        loop {
            attempt += 1;
            self.pace.turn().await;
            match self.http.post(&self.call_url).json(&body).send().await {
                Ok(resp) => return (read_answer(resp, &self.accepts).await, resent),
                Err(e) if e.is_connect() => {
                    if let Some(what) = local_shortage(&e)
                        && shortage.wait(what).await
                    {
                        attempt -= 1;
                        resent += 1;
                        continue;
                    }
                    if attempt >= self.attempts {
                        let reason = format!("{} after {attempt} attempts", root_cause(&e));
                        return (DialAnswer::Unreachable { reason }, resent);
                    }
                    tracing::warn!(
                        attempt,
                        "dialer API unreachable, retrying in {delay:?}: {}",
                        root_cause(&e)
                    );
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    resent += 1;
                }
                Err(e) => {
                    let reason = root_cause(&e);
                    return (DialAnswer::Unanswered { reason }, resent);
                }
            }
        }
    }

    async fn ready(&self) {
        self.pace.ready().await;
    }

    fn callbacks(&self) -> Arc<dyn Callbacks> {
        Arc::new(NumDialerCallbacks)
    }

    fn accepts(&self) -> Accepts {
        (*self.accepts).clone()
    }

    /// `GET /` on the dialer API: any HTTP answer means it is up.
    async fn probe(&self) -> Result<(), String> {
        let base = self.call_url.trim_end_matches("/call");
        match self.http.get(format!("{base}/")).send().await {
            Ok(_) => Ok(()),
            Err(e) => Err(root_cause(&e)),
        }
    }
}

/// The API's webhooks: JSON `{"id": <integer>, "status": "ringing" |
/// "answered" | "completed"}`.
pub struct NumDialerCallbacks;

impl Callbacks for NumDialerCallbacks {
    fn read(
        &self,
        _uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Option<CallReport>, CallbackError> {
        if !is_json(headers) {
            return Err(CallbackError::UnsupportedMediaType(
                "Expected request with `Content-Type: application/json`".into(),
            ));
        }
        // Through a map first: serde would also read a struct from an array.
        let axum::Json(map) = axum::Json::<serde_json::Map<String, serde_json::Value>>::from_bytes(
            body,
        )
        .map_err(|r| match r.status().as_u16() {
            400 => CallbackError::Malformed(r.body_text()),
            _ => CallbackError::Invalid(r.body_text()),
        })?;
        let body: WebhookBody = serde_json::from_value(map.into())
            .map_err(|e| CallbackError::Invalid(format!("invalid webhook body: {e}")))?;
        Ok(Some(body.into()))
    }
}

/// `application/json`, or any `application/*+json`, parameters allowed.
fn is_json(headers: &HeaderMap) -> bool {
    super::media_type(headers).is_some_and(|mime| {
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_and_keep_their_value_secret() {
        let h = DialerHeader::parse("Authorization:  Bearer s3cr3t ").unwrap();
        assert_eq!(h.name, "Authorization");
        assert_eq!(h.value.expose(), "Bearer s3cr3t");
        assert!(!format!("{h:?}").contains("s3cr3t"));
        assert!(DialerHeader::parse("no colon").is_err());
        assert!(DialerHeader::parse("bad name: x").is_err());
        let err = DialerHeader::parse("X-Key: line\nbreak s3cr3t").unwrap_err();
        assert!(!err.contains("s3cr3t"), "{err}");
    }

    /// A refused connection is tried again, and each attempt takes its
    /// turn of the pace: three attempts at 10 a second take at least
    /// 200 ms even without a backoff.
    #[tokio::test]
    async fn every_attempt_takes_its_turn_of_the_pace() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let client = DialerClient::new(&url, &[], Duration::from_secs(2), 3, Duration::ZERO)
            .with_pace(Pace::new(Some(10.0)));
        let began = std::time::Instant::now();
        let (answer, retries) = client
            .dial("13018040009", "http://x/webhooks/t", &Default::default())
            .await;
        assert!(
            matches!(answer, DialAnswer::Unreachable { .. }),
            "{answer:?}"
        );
        assert_eq!(retries, 2);
        let took = began.elapsed();
        assert!(took >= Duration::from_millis(195), "{took:?}");
    }
}
