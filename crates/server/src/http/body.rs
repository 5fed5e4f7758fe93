//! Every request body is read in full before the request is answered.
//!
//! hyper closes a connection whose request body was left unread, yet its
//! answer does not say `connection: close`. A keep-alive client (reqwest's
//! pool, a dialer API delivering webhooks) then sends its next request into
//! a closed socket and fails, and a body still in flight can reset the
//! connection before the answer is read. 404, 405 and 415 are decided
//! before any handler reads the body, so this middleware reads it first,
//! whatever the route, and hands the handler the buffered bytes.
//!
//! The limit is the layer's state ([`BodyLimit`]), given where the router
//! attaches the layer: [`BodyLimit::DEFAULT`] to every route and fallback,
//! [`BodyLimit::IMPORT`] to the import route alone (see [`super::router`]),
//! so that no path is matched here. `POST /suppressions` alone reads its
//! own body, a line at a time up to [`MAX_SUPPRESSIONS_BODY`], with
//! [`read_limited`] for its small bodies, and answers after the body too.

use super::error::ApiError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

/// Larger bodies get 413: a webhook is a few dozen bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// `POST /campaigns` alone takes a list: a million numbers fit.
pub const MAX_IMPORT_BODY: usize = 32 * 1024 * 1024;

/// Past this much beyond its limit, an oversized body is no longer read to
/// its end: the 413 goes out with `connection: close` so that the client
/// knows.
pub const DRAIN_LIMIT: usize = 1024 * 1024;

/// The most a route's request body may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit(pub usize);

impl BodyLimit {
    /// Every route but the import.
    pub const DEFAULT: BodyLimit = BodyLimit(MAX_BODY);
    /// The import of a campaign's list.
    pub const IMPORT: BodyLimit = BodyLimit(MAX_IMPORT_BODY);
}

/// `POST /suppressions` streams its body, a registry copy of 10M lines
/// (about 130 MB with `NPA,NXXXXXX` lines and CRLF) included.
pub const MAX_SUPPRESSIONS_BODY: usize = 256 * 1024 * 1024;

/// Reads the body up to `limit`, then runs the route with it buffered; a
/// larger body is a 413.
pub async fn read_body_first(
    State(BodyLimit(limit)): State<BodyLimit>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    match read_limited(body, limit).await {
        Ok(kept) => next.run(Request::from_parts(parts, Body::from(kept))).await,
        Err(refused) => refused,
    }
}

/// The whole body if it is at most `limit` bytes; else the 413 (or 400)
/// to answer, having read past the limit no further than [`DRAIN_LIMIT`].
pub async fn read_limited(mut body: Body, limit: usize) -> Result<Vec<u8>, Response> {
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Some(data) = data_of(frame).map_err(IntoResponse::into_response)? else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen > limit.saturating_add(DRAIN_LIMIT) {
            return Err(too_large_closing(limit));
        }
        if seen <= limit {
            kept.extend_from_slice(&data);
        }
    }
    if seen > limit {
        return Err(too_large(limit).into_response());
    }
    Ok(kept)
}

/// A frame's data (`None` for trailers), or the 400 for a body that broke
/// off.
pub fn data_of(
    frame: Result<http_body::Frame<axum::body::Bytes>, axum::Error>,
) -> Result<Option<axum::body::Bytes>, ApiError> {
    match frame {
        Ok(frame) => Ok(frame.into_data().ok()),
        Err(e) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("could not read the request body: {e}"),
        )),
    }
}

/// The 413 for a body given up on before its end: the connection closes,
/// so that the client knows the rest was not read.
pub fn too_large_closing(limit: usize) -> Response {
    closing(too_large(limit))
}

/// `refused` as the answer to a request whose body is left unread: hyper
/// then ends the connection, and `connection: close` tells the client so.
pub fn closing(refused: ApiError) -> Response {
    let mut resp = refused.into_response();
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body is larger than {limit} bytes"),
    )
}
