//! The HTTP API (docs/api.md): [`router`] shows every path, guard and layer
//! on one screen; the handlers live in `routes/` by resource.

pub mod body;
pub mod conditional;
pub mod error;
pub mod extract;
pub mod middleware;
pub mod routes;
pub mod serve;

use crate::engine::Engine;
use crate::provider::{Callbacks, DialerHealth};
use crate::shutdown::Shutdown;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Router, middleware as mw};
use body::BodyLimit;
use error::ApiError;
use numdialer_core::Secret;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    /// When set, the operator routes need `Authorization: Bearer <token>`.
    pub api_token: Option<Arc<Secret>>,
    pub dialer: Arc<DialerHealth>,
    /// Reads the provider's callbacks on `/webhooks/{token}`.
    pub callbacks: Arc<dyn Callbacks>,
    /// `/metrics` is served on its own listener instead (`--metrics-listen`).
    pub metrics_elsewhere: bool,
    /// Releases long polls at shutdown.
    pub shutdown: Shutdown,
    /// `--max-cps` as the statuses show it ("1", "2.5"), so that a remote
    /// TUI can say what paces the list.
    pub max_cps: Option<String>,
    /// `--default-country`: where an import's numbers without `+` are
    /// read when the import names no country.
    pub default_country: Option<numdialer_core::Country>,
    /// What the provider's API can dial: an import warns on each line
    /// outside it.
    pub accepts: Arc<crate::provider::Accepts>,
}

pub fn router(state: AppState) -> Router {
    let mut operator = Router::new()
        .route("/calls", post(routes::calls::start))
        .route("/statuses", get(routes::statuses::get))
        .route("/calls/{index}", get(routes::calls::detail))
        .route("/campaigns", get(routes::campaigns::list))
        .route(
            "/campaigns/{id}",
            get(routes::campaigns::get).delete(routes::campaigns::delete),
        )
        .route("/campaigns/{id}/start", post(routes::campaigns::start))
        .route("/campaigns/{id}/pause", post(routes::campaigns::pause))
        .route("/campaigns/{id}/resume", post(routes::campaigns::resume))
        .route("/campaigns/{id}/stop", post(routes::campaigns::stop))
        .route(
            "/campaigns/{id}/statuses",
            get(routes::statuses::of_campaign),
        )
        .route(
            "/campaigns/{id}/calls/{index}",
            get(routes::campaigns::detail),
        )
        .route("/campaigns/{id}/export.csv", get(routes::campaigns::export))
        .route("/suppressions", get(routes::suppressions::list))
        .route("/suppressions/log", get(routes::suppressions::log))
        .route(
            "/suppressions/export.csv",
            get(routes::suppressions::export),
        )
        .route(
            "/suppressions/{phone}",
            axum::routing::delete(routes::suppressions::remove),
        );
    // Outbound events' endpoints (routes/webhook_endpoints.rs).
    operator = operator
        .route(
            "/webhook-endpoints",
            get(routes::webhook_endpoints::list).post(routes::webhook_endpoints::create),
        )
        .route(
            "/webhook-endpoints/{id}",
            axum::routing::delete(routes::webhook_endpoints::delete),
        )
        .route(
            "/webhook-endpoints/{id}/rotate",
            post(routes::webhook_endpoints::rotate),
        )
        .route(
            "/webhook-endpoints/{id}/deliveries",
            get(routes::webhook_endpoints::deliveries),
        )
        .route(
            "/webhook-endpoints/{id}/deliveries/{delivery}/replay",
            post(routes::webhook_endpoints::replay),
        );
    if !state.metrics_elsewhere {
        operator = operator.route("/metrics", get(routes::metrics::get));
    }
    let operator = operator.route_layer(mw::from_fn_with_state(
        state.clone(),
        middleware::require_token,
    ));
    // The imports alone take lists: their own body limit, and the token
    // checked before that body is read (the later layer runs first).
    let import = Router::new()
        .route("/campaigns", post(routes::campaigns::create))
        .layer(mw::from_fn_with_state(
            BodyLimit::IMPORT,
            body::read_body_first,
        ))
        .layer(mw::from_fn_with_state(
            state.clone(),
            middleware::require_token_before_body,
        ));
    // Suppressions stream their body (a registry copy is 10M lines): the
    // route reads it itself, a line at a time.
    let suppressions = Router::new()
        .route("/suppressions", post(routes::suppressions::add))
        .layer(mw::from_fn_with_state(
            state.clone(),
            middleware::require_token_before_body,
        ));
    Router::new()
        .merge(operator)
        .route("/webhooks/{token}", post(routes::webhooks::receive))
        .route("/webhooks/{token}/amd", post(routes::webhooks::detection))
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this route",
            )
        })
        // Every route and fallback above, 405s included, reads its body
        // first; the import, merged after, keeps its own layers.
        .layer(mw::from_fn_with_state(
            BodyLimit::DEFAULT,
            body::read_body_first,
        ))
        .merge(import)
        .merge(suppressions)
        // `read_body_first` holds every body to its route's limit, so
        // axum's own 2 MB cap would only refuse large imports.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(mw::from_fn(middleware::request_timeout))
        .layer(mw::from_fn(middleware::log_request))
        .with_state(state)
}

/// The router for `--metrics-listen`: `/metrics` alone, for a scraper on a
/// private address, with the API's body limit, request timeout and JSON
/// errors.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(routes::metrics::get))
        .fallback(|| async { ApiError::not_found("only /metrics is served here") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "only GET /metrics is served here",
            )
        })
        .layer(mw::from_fn_with_state(
            BodyLimit::DEFAULT,
            body::read_body_first,
        ))
        .layer(mw::from_fn(middleware::request_timeout))
        .with_state(state)
}
