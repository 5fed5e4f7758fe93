//! The HTTP API (docs/api.md, docs/openapi.json): [`router`] shows every
//! guard and layer on one screen, the route groups below it every path;
//! the handlers live in `routes/` by resource, each with its OpenAPI
//! description.
//!
//! A new route: its handler gets a `#[utoipa::path]` (path, a unique
//! `operation_id`, tag, parameters, body by media type, answers; the
//! `{"error"}` default and, in a group behind the token, the bearer scheme
//! and its 401 are added for it), its bodies derive `ToSchema`, and it
//! joins a group below with `routes!`. Then
//! `cargo run -p numdialer-server -- openapi > docs/openapi.json`, a
//! heading in docs/api.md, and `bash .ci/fuzz-api.sh`.

pub mod body;
pub mod budget;
pub mod conditional;
pub mod error;
pub mod extract;
pub mod middleware;
pub mod openapi;
pub mod routes;
pub mod serve;
pub mod statuses_cache;

use crate::engine::Engine;
use crate::provider::{Callbacks, DialerHealth};
use crate::shutdown::Shutdown;
use axum::http::StatusCode;
use axum::{Router, middleware as mw};
use body::BodyLimit;
use error::ApiError;
use numdialer_core::Secret;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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
    /// `--import-memory`, shared by the imports in flight.
    pub imports: Arc<budget::ImportBudget>,
    /// The last large statuses answer of each campaign, serialised.
    pub statuses: Arc<statuses_cache::StatusesCache>,
}

/// Every route of the API. The router and the document ([`openapi`],
/// `GET /openapi.json`) are built from the same groups below, each
/// registered through utoipa-axum's `OpenApiRouter` alone, so that no route
/// is served without being described. The groups layered here with the
/// token are the ones [`openapi`] marks with the bearer scheme (a test asks
/// every documented route without the token).
pub fn router(state: AppState) -> Router {
    let mut operator = operator_routes();
    if !state.metrics_elsewhere {
        operator = operator.merge(metrics_routes());
    }
    let (operator, _) = operator
        .route_layer(mw::from_fn_with_state(
            state.clone(),
            middleware::require_token,
        ))
        .split_for_parts();
    // The imports alone take lists: their own body limit, their share of
    // the import memory, and the token checked before either (the later
    // layer runs first).
    let (import, _) = import_routes()
        .layer(mw::from_fn_with_state(
            BodyLimit::IMPORT,
            body::read_body_first,
        ))
        .layer(mw::from_fn_with_state(
            state.imports.clone(),
            budget::within_budget,
        ))
        .layer(mw::from_fn_with_state(
            state.clone(),
            middleware::require_token_before_body,
        ))
        .split_for_parts();
    // Suppressions stream their body (a registry copy is 10M lines): the
    // route reads it itself, a line at a time.
    let (suppressions, _) = suppression_routes()
        .layer(mw::from_fn_with_state(
            state.clone(),
            middleware::require_token_before_body,
        ))
        .split_for_parts();
    let (public, _) = public_routes().split_for_parts();
    Router::new()
        .merge(operator)
        .merge(public)
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
    let (metrics, _) = metrics_routes().split_for_parts();
    metrics
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

/// The OpenAPI document of every route [`router`] can serve, `/metrics`
/// included: what `GET /openapi.json` answers and `numdialer-server
/// openapi` prints. Built without a server, from the route groups alone.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let behind_token = [
        operator_routes(),
        metrics_routes(),
        import_routes(),
        suppression_routes(),
    ];
    let mut doc = openapi::base();
    for group in behind_token {
        doc.merge(openapi::guarded(group.into_openapi()));
    }
    doc.merge(public_routes().into_openapi());
    openapi::finish(doc)
}

/// The operator's routes with small bodies: the token when the server has
/// one.
fn operator_routes() -> OpenApiRouter<AppState> {
    use routes::{calls, campaigns, statuses, suppressions};
    OpenApiRouter::new()
        .routes(routes!(calls::start))
        .routes(routes!(statuses::get))
        .routes(routes!(calls::detail))
        .routes(routes!(campaigns::list))
        .routes(routes!(campaigns::get, campaigns::delete))
        .routes(routes!(campaigns::start))
        .routes(routes!(campaigns::pause))
        .routes(routes!(campaigns::resume))
        .routes(routes!(campaigns::stop))
        .routes(routes!(statuses::of_campaign))
        .routes(routes!(campaigns::detail))
        .routes(routes!(campaigns::export))
        .routes(routes!(suppressions::list))
        .routes(routes!(suppressions::log))
        .routes(routes!(suppressions::export))
        .routes(routes!(suppressions::remove))
        .merge(webhook_endpoint_routes())
}

/// Where outbound events go (`routes/webhook_endpoints.rs`); not to be
/// confused with `/webhooks/{token}`, where the dialer API reports.
fn webhook_endpoint_routes() -> OpenApiRouter<AppState> {
    use routes::webhook_endpoints as w;
    OpenApiRouter::new()
        .routes(routes!(w::list, w::create))
        .routes(routes!(w::delete))
        .routes(routes!(w::rotate))
        .routes(routes!(w::deliveries))
        .routes(routes!(w::replay))
}

/// `GET /metrics`: on the API's listener behind the token, or alone on
/// `--metrics-listen`.
fn metrics_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(routes::metrics::get))
}

/// `POST /campaigns`: a list of up to 32 MiB.
fn import_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(routes::campaigns::create))
}

/// `POST /suppressions`: read by the route itself, a line at a time.
fn suppression_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(routes::suppressions::add))
}

/// Without the token: the provider's callbacks (checked by their own
/// token or signature), health for supervisors, and this document.
fn public_routes() -> OpenApiRouter<AppState> {
    use routes::{health, webhooks};
    OpenApiRouter::new()
        .routes(routes!(webhooks::receive))
        .routes(routes!(webhooks::detection))
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(openapi::document))
}
