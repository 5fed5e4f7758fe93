//! The dialer APIs numdialer can dial through, behind one small contract
//! chosen once at startup ([`crate::startup`]): the driver is generic over
//! [`Provider`] and never names a protocol, and the webhook route reads
//! callbacks through [`Callbacks`]. A new provider is one module here plus
//! one arm where startup picks it. `simulator` is the other side of the
//! numDialer protocol: the stand-in API that startup runs when no
//! `--dialer-url` is given. [`AnyProvider`] is the one the server runs,
//! whichever `--dialer` chose. `pace` is the `--max-cps` gate that every
//! client takes before each request that creates a call, retries included.
//! `accepts` is what each API can dial ([`Provider::accepts`]).

pub mod accepts;
pub mod numdialer;
pub mod pace;
pub mod simulator;
pub mod twilio;

pub use accepts::Accepts;

use axum::http::{HeaderMap, Uri};
use numdialer_core::answer::{AnswerSettings, Detection, Voicemail};
use numdialer_core::{CallId, CallReport, DialAnswer};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Places calls and tells whether the API is there.
pub trait Provider: Send + Sync + 'static {
    /// Places one call whose webhooks go to `webhook_url`. Returns how it
    /// ended and how many times a connection that certainly never carried
    /// the request was retried. A request that may have arrived is never
    /// sent again: a second dial would ring a person twice.
    ///
    /// `answers` are the campaign's answering-machine settings: a provider
    /// that detects machines asks for a result with the dial.
    fn dial(
        &self,
        phone: &str,
        webhook_url: &str,
        answers: &AnswerSettings,
    ) -> impl Future<Output = (DialAnswer, u32)> + Send;

    /// Replaces what the live call `id` plays with `message`, then hangs
    /// it up: the voicemail left on a machine after its greeting. An
    /// error says why it could not be left, for the entry's history.
    fn leave_voicemail(
        &self,
        _id: &CallId,
        _message: &Voicemail,
    ) -> impl Future<Output = Result<(), String>> + Send {
        async { Err("this provider cannot update a live call".to_string()) }
    }

    /// Waits until a dial could be sent now (a pace to keep). The driver
    /// waits here before it takes the next entry, so that an entry is
    /// marked `dialing` only when its dial leaves at once: a pause or stop
    /// answered meanwhile then holds it back. A retry inside
    /// [`Provider::dial`] waits its own turn.
    fn ready(&self) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// A cheap request that succeeds when the API answers at all.
    fn probe(&self) -> impl Future<Output = Result<(), String>> + Send;

    /// The reader of this provider's callbacks, for the webhook route.
    fn callbacks(&self) -> Arc<dyn Callbacks>;

    /// The numbers its API can dial, for the import's warnings.
    fn accepts(&self) -> Accepts {
        Accepts::Any
    }
}

/// The provider the server runs, chosen by `--dialer`. An enum rather than
/// a trait object because [`Provider::dial`] returns a future per
/// implementation; a new provider is one more arm here.
#[derive(Debug, Clone)]
pub enum AnyProvider {
    NumDialer(numdialer::DialerClient),
    Twilio(twilio::TwilioClient),
}

impl Provider for AnyProvider {
    async fn dial(
        &self,
        phone: &str,
        webhook_url: &str,
        answers: &AnswerSettings,
    ) -> (DialAnswer, u32) {
        match self {
            AnyProvider::NumDialer(p) => p.dial(phone, webhook_url, answers).await,
            AnyProvider::Twilio(p) => p.dial(phone, webhook_url, answers).await,
        }
    }

    async fn leave_voicemail(&self, id: &CallId, message: &Voicemail) -> Result<(), String> {
        match self {
            AnyProvider::NumDialer(p) => p.leave_voicemail(id, message).await,
            AnyProvider::Twilio(p) => p.leave_voicemail(id, message).await,
        }
    }

    async fn ready(&self) {
        match self {
            AnyProvider::NumDialer(p) => p.ready().await,
            AnyProvider::Twilio(p) => p.ready().await,
        }
    }

    async fn probe(&self) -> Result<(), String> {
        match self {
            AnyProvider::NumDialer(p) => p.probe().await,
            AnyProvider::Twilio(p) => p.probe().await,
        }
    }

    fn callbacks(&self) -> Arc<dyn Callbacks> {
        match self {
            AnyProvider::NumDialer(p) => p.callbacks(),
            AnyProvider::Twilio(p) => p.callbacks(),
        }
    }

    fn accepts(&self) -> Accepts {
        match self {
            AnyProvider::NumDialer(p) => p.accepts(),
            AnyProvider::Twilio(p) => p.accepts(),
        }
    }
}

/// The longest a dial waits in all for this machine's file descriptors or
/// memory to come back before it counts as unreachable: under the default
/// `--call-timeout` of 60 s, so that the entry's own timeout never fails it
/// while its dial still waits.
pub const SHORTAGE_WAIT: Duration = Duration::from_secs(30);

/// The longest pause between two tries while a shortage lasts.
const SHORTAGE_PAUSE: Duration = Duration::from_secs(1);

/// The local resource that `e` (or one of its causes) says this machine ran
/// out of: descriptors (`EMFILE`, `ENFILE`) or memory (`ENOMEM`,
/// `ENOBUFS`). Such an error says nothing about the dialer API, and a
/// connection that could not even be opened carried no request, so the dial
/// is tried again once the resource is back rather than failing its entry.
pub fn local_shortage(e: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(what) = shortage_of(io)
        {
            return Some(what);
        }
        cur = err.source();
    }
    None
}

#[cfg(unix)]
fn shortage_of(e: &std::io::Error) -> Option<&'static str> {
    use rustix::io::Errno;
    let code = e.raw_os_error()?;
    [
        (Errno::MFILE, "file descriptors (EMFILE)"),
        (Errno::NFILE, "file descriptors (ENFILE)"),
        (Errno::NOMEM, "memory (ENOMEM)"),
        (Errno::NOBUFS, "buffer space (ENOBUFS)"),
    ]
    .into_iter()
    .find(|(errno, _)| errno.raw_os_error() == code)
    .map(|(_, what)| what)
}

#[cfg(not(unix))]
fn shortage_of(e: &std::io::Error) -> Option<&'static str> {
    (e.kind() == std::io::ErrorKind::OutOfMemory).then_some("memory")
}

/// The waits of one dial through a local shortage: growing pauses, up to
/// [`SHORTAGE_WAIT`] in all.
#[derive(Debug)]
pub(crate) struct Shortage {
    waited: Duration,
    pause: Duration,
}

impl Default for Shortage {
    fn default() -> Self {
        Shortage {
            waited: Duration::ZERO,
            pause: Duration::from_millis(50),
        }
    }
}

impl Shortage {
    /// Waits out a shortage of `what` before the dial is tried again, and
    /// says so; false once [`SHORTAGE_WAIT`] is spent.
    pub(crate) async fn wait(&mut self, what: &str) -> bool {
        if self.waited >= SHORTAGE_WAIT {
            return false;
        }
        tracing::warn!(
            "this machine is out of {what}: the dial was not sent; trying again in {:?}",
            self.pause
        );
        tokio::time::sleep(self.pause).await;
        self.waited += self.pause;
        self.pause = (self.pause * 2).min(SHORTAGE_PAUSE);
        true
    }
}

/// Reads one callback request of a provider into a report. Synchronous, so
/// that the router holds it as a trait object and stays provider-neutral.
pub trait Callbacks: Send + Sync + 'static {
    /// `Ok(None)` is a genuine callback that moves no status (Twilio's
    /// `queued` and `initiated`: the entry is `dialing` already); the reader
    /// logs it and the route acknowledges it without touching the campaign.
    fn read(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Option<CallReport>, CallbackError>;

    /// Whether the provider reports who answered (answering-machine
    /// detection): a campaign with `amd` on is refused where it does not.
    fn detects_answers(&self) -> bool {
        false
    }

    /// Reads one answering-machine detection callback
    /// (`/webhooks/{token}/amd`). A provider without detection has no such
    /// callbacks: 404, as for a URL that never existed.
    fn read_detection(
        &self,
        _uri: &Uri,
        _headers: &HeaderMap,
        _body: &[u8],
    ) -> Result<Detection, CallbackError> {
        Err(CallbackError::NotFound(
            "this provider sends no answering-machine results".into(),
        ))
    }
}

/// A request's media type, lowercase and without its parameters
/// (`application/json; charset=utf-8` → `application/json`), for the
/// callback readers to check before they parse.
pub(crate) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers
        .get(axum::http::header::CONTENT_TYPE)?
        .to_str()
        .ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

/// Why a callback was refused; the HTTP API maps each to its status code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Not readable at all (bad JSON, bad form encoding).
    #[error("{0}")]
    Malformed(String),
    /// Readable, but not a callback this provider sends.
    #[error("{0}")]
    Invalid(String),
    /// Not signed by the provider: a missing signature, a wrong one, or one
    /// made for another URL.
    #[error("{0}")]
    Forbidden(String),
    /// A kind of callback this provider never sends.
    #[error("{0}")]
    NotFound(String),
}

/// Whether the dialer API answered lately, for `/readyz`. Any HTTP answer
/// counts: the API is there. Fed by a prober and by every dial.
#[derive(Debug, Default)]
pub struct DialerHealth {
    last: Mutex<Option<(Instant, Result<(), String>)>>,
}

/// How recent an answer must be for the server to count as ready.
pub const READY_WITHIN: Duration = Duration::from_secs(60);

pub struct DialerReport {
    pub answered_recently: bool,
    pub text: String,
}

impl DialerHealth {
    pub fn record(&self, result: Result<(), String>) {
        *self.last.lock().unwrap() = Some((Instant::now(), result));
    }

    /// Why the dialer API did not answer, while its last probe or dial
    /// got no answer at all; `None` once anything answers, and before the
    /// first probe.
    pub fn unreachable(&self) -> Option<String> {
        match &*self.last.lock().unwrap() {
            Some((_, Err(e))) => Some(e.clone()),
            _ => None,
        }
    }

    pub fn report(&self) -> DialerReport {
        match &*self.last.lock().unwrap() {
            None => DialerReport {
                answered_recently: false,
                text: "not contacted yet".into(),
            },
            Some((at, Ok(()))) => DialerReport {
                answered_recently: at.elapsed() <= READY_WITHIN,
                text: format!("answered {} s ago", at.elapsed().as_secs()),
            },
            Some((at, Err(e))) => DialerReport {
                answered_recently: false,
                text: format!("no answer {} s ago: {e}", at.elapsed().as_secs()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error that wraps another, as reqwest's and hyper's do.
    #[derive(Debug)]
    struct Wrapped(std::io::Error);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("error sending request")
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_local_shortage_is_told_from_an_unreachable_api() {
        use rustix::io::Errno;
        for (errno, word) in [
            (Errno::MFILE, "EMFILE"),
            (Errno::NFILE, "ENFILE"),
            (Errno::NOMEM, "ENOMEM"),
            (Errno::NOBUFS, "ENOBUFS"),
        ] {
            let e = Wrapped(std::io::Error::from_raw_os_error(errno.raw_os_error()));
            let what = local_shortage(&e).unwrap_or_else(|| panic!("{word} not seen"));
            assert!(what.contains(word), "{what}");
        }
        for errno in [Errno::CONNREFUSED, Errno::HOSTUNREACH, Errno::TIMEDOUT] {
            let e = Wrapped(std::io::Error::from_raw_os_error(errno.raw_os_error()));
            assert_eq!(local_shortage(&e), None, "{errno:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_shortage_is_waited_out_for_a_bounded_time() {
        let began = tokio::time::Instant::now();
        let mut s = Shortage::default();
        let mut tries = 0;
        while s.wait("file descriptors").await {
            tries += 1;
        }
        let waited = began.elapsed();
        assert!(
            waited >= SHORTAGE_WAIT && waited <= SHORTAGE_WAIT + SHORTAGE_PAUSE,
            "{waited:?}"
        );
        assert!(tries > 20, "{tries} tries in {waited:?}");
    }
}
