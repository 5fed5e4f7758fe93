//! Conditional and long-polled GETs, one rule for every resource with a
//! version: `GET /statuses`, `GET /campaigns/{id}/statuses` and
//! `GET /campaigns` (docs/api.md, "Polling").
//!
//! A client names the version it has (`If-None-Match: "V"`, or `?since=V`
//! on the statuses) and may ask the server to hold the request until
//! something changes (`?wait=S`, at most [`MAX_WAIT`]): changes then show
//! at once, and an idle screen costs one request a wait. The answer is
//! `304` when the client's version is still the current one; otherwise the
//! resource, with the version it shows as its `ETag`. Both carry
//! `Server-Timing`: the time spent after the wait, so that a client can
//! tell the server's work from the network and the hold.
//!
//! The routes keep the engine calls (the wait itself and reading the
//! version); this module decides everything around them, so that the three
//! resources cannot come to read the headers or word the answers apart.

use super::error::ApiError;
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::time::{Duration, Instant};

/// Longest a long poll (`?wait=`) is held.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// What a GET asked about its resource's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conditional {
    /// The version named by `If-None-Match`.
    known: Option<u64>,
    /// How long the request may be held; zero is not at all.
    wait: Duration,
}

impl Conditional {
    /// Reads `If-None-Match` and the `wait` query parameter; a `wait` that
    /// is not a number of seconds, 0 or more, is a 400.
    pub fn read(headers: &HeaderMap, wait: Option<f64>) -> Result<Self, ApiError> {
        Ok(Conditional {
            known: known_version(headers),
            wait: wait_limit(wait)?,
        })
    }

    /// The version to wait past, and for how long, if the request asks to
    /// be held: `since` when given, else the `If-None-Match` version.
    pub fn wait_past(&self, since: Option<u64>) -> Option<(u64, Duration)> {
        let known = since.or(self.known)?;
        (!self.wait.is_zero()).then_some((known, self.wait))
    }

    /// `304` with the version's `ETag`, when `If-None-Match` names the
    /// current `version`.
    pub fn unchanged(&self, version: u64, timer: &Timer) -> Option<Response> {
        (self.known == Some(version)).then(|| {
            (
                StatusCode::NOT_MODIFIED,
                [(header::ETAG, etag(version)), timer.header()],
            )
                .into_response()
        })
    }
}

/// The `If-None-Match` header, as the OpenAPI document describes it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(
    dead_code,
    reason = "describes a header that `Conditional::read` reads"
)]
pub struct IfNoneMatch {
    /// The version the client has, as an `ETag` gave it (`"V"`).
    #[param(rename = "If-None-Match", value_type = String, required = false)]
    if_none_match: Option<String>,
}

/// When the work of an answer began (after any wait), for `Server-Timing`.
#[derive(Debug, Clone, Copy)]
pub struct Timer(Instant);

impl Timer {
    pub fn start() -> Self {
        Timer(Instant::now())
    }

    /// `Server-Timing: app;dur=<ms>`, the time since the start.
    pub fn header(&self) -> (HeaderName, String) {
        let ms = self.0.elapsed().as_secs_f64() * 1000.0;
        (
            HeaderName::from_static("server-timing"),
            format!("app;dur={ms:.3}"),
        )
    }
}

/// The headers of a full answer showing `version`: its `ETag` and
/// `Server-Timing`.
pub fn fresh(version: u64, timer: &Timer) -> [(HeaderName, String); 2] {
    [(header::ETAG, etag(version)), timer.header()]
}

/// The version a client already has, from `If-None-Match: "V"` (weak or
/// strong, the highest of a list).
fn known_version(headers: &HeaderMap) -> Option<u64> {
    let v = headers.get(header::IF_NONE_MATCH)?.to_str().ok()?;
    v.split(',')
        .filter_map(|t| {
            t.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .parse()
                .ok()
        })
        .max()
}

/// How long a long poll may wait: `wait` seconds, capped at [`MAX_WAIT`].
fn wait_limit(wait: Option<f64>) -> Result<Duration, ApiError> {
    match wait {
        Some(w) if !(w.is_finite() && w >= 0.0) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "wait must be a number of seconds, 0 or more",
        )),
        Some(w) => Ok(Duration::from_secs_f64(w.min(MAX_WAIT.as_secs_f64()))),
        None => Ok(Duration::ZERO),
    }
}

/// The ETag of a version: `"V"`.
fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn asking(if_none_match: Option<&str>, wait: Option<f64>) -> Result<Conditional, ApiError> {
        let mut h = HeaderMap::new();
        if let Some(v) = if_none_match {
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
        }
        Conditional::read(&h, wait)
    }

    #[test]
    fn the_known_version_is_the_highest_named() {
        let known = |v| asking(Some(v), None).unwrap().known;
        assert_eq!(known("\"7\""), Some(7));
        assert_eq!(known("W/\"7\", \"9\", \"8\""), Some(9));
        assert_eq!(known("*"), None);
        assert_eq!(asking(None, None).unwrap().known, None);
    }

    #[test]
    fn a_wait_is_held_to_its_limit_and_needs_a_version() {
        assert_eq!(asking(None, Some(5.0)).unwrap().wait_past(None), None);
        let c = asking(Some("\"3\""), Some(99.0)).unwrap();
        assert_eq!(c.wait_past(None), Some((3, MAX_WAIT)));
        assert_eq!(c.wait_past(Some(2)), Some((2, MAX_WAIT)), "since wins");
        let no_wait = asking(Some("\"3\""), Some(0.0)).unwrap();
        assert_eq!(no_wait.wait_past(Some(2)), None);
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let e = asking(None, Some(bad)).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn unchanged_is_a_304_with_the_etag() {
        let c = asking(Some("\"4\""), None).unwrap();
        let timer = Timer::start();
        assert!(c.unchanged(5, &timer).is_none());
        let r = c.unchanged(4, &timer).unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(r.headers()[header::ETAG], "\"4\"");
        let timing = r.headers()["server-timing"].to_str().unwrap();
        assert!(timing.starts_with("app;dur="), "{timing}");
        let [(name, value), _] = fresh(4, &timer);
        assert_eq!((name, value.as_str()), (header::ETAG, "\"4\""));
    }
}
