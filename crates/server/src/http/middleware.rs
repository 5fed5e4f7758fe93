//! What wraps every request: the API token check (after the body is read,
//! or before it on the import), the request timeout and the request log.
//!
//! The last two stay hand-written for a measured reason. tower-http's
//! `TimeoutLayer` answers 408 with an empty body, and every error of this
//! API is JSON `{"error"}` (the test below pins it). Its `TraceLayer` logs
//! the response from a hook that sees the response alone, so its line could
//! not carry the matched route beside the status, which docs/operations.md
//! promises and the JSON-logs test in the integration suite checks.

use super::AppState;
use super::error::ApiError;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// Longest a request may take, body included, so that slow clients cannot
/// hold the server; long polls stay well below it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(40);

/// The operator routes need `Authorization: Bearer <token>` when the server
/// has one. Compared in constant time, so that response times do not reveal
/// how much of a guess was right (only its length).
pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match token_refused(&state, req.headers()) {
        Some(refused) => refused.into_response(),
        None => next.run(req).await,
    }
}

/// [`require_token`] for a route with a large body (the import): put
/// before the body is read, so that only a client with the token can make
/// the server hold 32 MiB. The body it refuses is left unread, which ends
/// the connection, so its 401 says `connection: close`.
pub async fn require_token_before_body(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    match token_refused(&state, req.headers()) {
        Some(refused) => super::body::closing(refused),
        None => next.run(req).await,
    }
}

/// The 401 for a request without the server's token, if it has one.
fn token_refused(state: &AppState, headers: &axum::http::HeaderMap) -> Option<ApiError> {
    let expected = state.api_token.as_ref()?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if bool::from(given.as_bytes().ct_eq(expected.expose().as_bytes())) {
        return None;
    }
    Some(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "missing or wrong API token (send Authorization: Bearer <token>)",
    ))
}

pub async fn request_timeout(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            ApiError::new(StatusCode::REQUEST_TIMEOUT, "request took too long").into_response()
        }
    }
}

/// One log line per request: method, route, status, latency.
pub async fn log_request(req: Request, next: Next) -> Response {
    let began = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let resp = next.run(req).await;
    tracing::info!(
        %method,
        route,
        status = resp.status().as_u16(),
        latency_ms = began.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::{Body, to_bytes};
    use axum::routing::get;
    use tower::ServiceExt;

    #[tokio::test(start_paused = true)]
    async fn a_slow_request_gets_a_json_408() {
        let app = Router::new()
            .route(
                "/slow",
                get(|| async { tokio::time::sleep(REQUEST_TIMEOUT * 2).await }),
            )
            .layer(axum::middleware::from_fn(request_timeout));
        let req = Request::get("/slow").body(Body::empty()).unwrap();
        let resp = app.oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::REQUEST_TIMEOUT);
        let body = to_bytes(resp.into_body(), 1024).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"], "request took too long");
    }
}
