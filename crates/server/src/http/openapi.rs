//! The API's OpenAPI 3.1 document (`GET /openapi.json`, docs/openapi.json):
//! generated from the handlers' own descriptions, so that it cannot drift
//! from what the server does, and fuzzed against the running server in CI.
//!
//! What every route shares is written here once rather than on each
//! handler: the `{"error"}` answer of every failure (the middleware and
//! the fallbacks answer it on any route: 400, 408, 413, 415, 503…), and,
//! for the groups behind the token, the bearer scheme and its 401.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use numdialer_core::api::ErrorBody;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr,
    ResponseBuilder,
};
use utoipa::{PartialSchema, ToSchema};

/// The name of the bearer scheme in the document.
pub const BEARER: &str = "bearer";

/// The tags, in the order a reader meets them.
const TAGS: [(&str, &str); 6] = [
    (
        "campaigns",
        "Campaigns: import, lifecycle, entries and export.",
    ),
    (
        "legacy",
        "The routes from before campaigns; they act on campaign 1.",
    ),
    (
        "suppressions",
        "Do-not-call lists: numbers and prefixes that are never dialed.",
    ),
    (
        "callbacks",
        "Where the dialer API reports in: the numDialer API's JSON, or Twilio's form posts \
         (application/x-www-form-urlencoded, signed with X-Twilio-Signature).",
    ),
    ("operations", "Health, readiness and metrics."),
    ("meta", "This document."),
];

/// The document before the routes are merged in: its title, tags and the
/// bearer scheme.
pub fn base() -> OpenApi {
    let info = InfoBuilder::new()
        .title("numdialer-server")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "numdialer's HTTP API: campaigns of numbers dialed through a dialer API, at most \
             N calls at a time, in list order. docs/api.md says how to use it; every failure \
             answers JSON {\"error\": \"...\"}. Routes marked with the bearer scheme need \
             `Authorization: Bearer <token>` when the server has a token (--api-token).",
        ))
        .build();
    let components = ComponentsBuilder::new()
        .schema(ErrorBody::name(), ErrorBody::schema())
        .security_scheme(
            BEARER,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        )
        .build();
    OpenApiBuilder::new()
        .info(info)
        .components(Some(components))
        .tags(Some(TAGS.iter().map(|(name, about)| {
            TagBuilder::new()
                .name(*name)
                .description(Some(*about))
                .build()
        })))
        .build()
}

/// Marks every operation of a group that [`super::router`] layers with the
/// token check as needing it, with the 401 it answers without it.
pub fn guarded(mut group: OpenApi) -> OpenApi {
    let needs = SecurityRequirement::new(BEARER, Vec::<String>::new());
    each_operation(&mut group, |op| {
        op.security = Some(vec![needs.clone()]);
        op.responses.responses.insert(
            "401".into(),
            error("The server has a token and the request did not send it.").into(),
        );
    });
    group
}

/// Gives every operation the `{"error"}` answer as its default, and links
/// the import's answer to every operation on one campaign.
pub fn finish(mut doc: OpenApi) -> OpenApi {
    link_campaign_operations(&mut doc);
    each_operation(&mut doc, |op| {
        op.responses
            .responses
            .entry("default".into())
            .or_insert_with(|| {
                error(
                    "Any other failure (400, 404, 405, 408, 413, 415, 422, 503…), \
                     always JSON {\"error\"}.",
                )
                .into()
            });
    });
    doc
}

/// The import's `201` and `200` link to each operation under
/// `/campaigns/{id}` with the new campaign's id (and its first entry), so
/// that a client, or the fuzzer's stateful phase, can follow a campaign
/// from its import through its lifecycle to its deletion.
fn link_campaign_operations(doc: &mut OpenApi) {
    let mut links = BTreeMap::new();
    for (path, item) in &doc.paths.paths {
        if !path.starts_with("/campaigns/{id}") {
            continue;
        }
        for op in [&item.get, &item.post, &item.delete].into_iter().flatten() {
            let Some(id) = op.operation_id.clone() else {
                continue;
            };
            let mut link = LinkBuilder::new()
                .operation_id(id.clone())
                .parameter("id", "$response.body#/id");
            if path.contains("{index}") {
                link = link.parameter("index", 0);
            }
            links.insert(id, RefOr::T(link.build()));
        }
    }
    let Some(create) = doc
        .paths
        .paths
        .get_mut("/campaigns")
        .and_then(|item| item.post.as_mut())
    else {
        return;
    };
    for status in ["200", "201"] {
        if let Some(RefOr::T(answer)) = create.responses.responses.get_mut(status) {
            answer.links = links.clone();
        }
    }
}

/// An answer of the `{"error"}` shape.
fn error(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(Ref::from_schema_name(ErrorBody::name()))))
                .build(),
        )
        .build()
}

fn each_operation(doc: &mut OpenApi, mut f: impl FnMut(&mut Operation)) {
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            f(op);
        }
    }
}

/// The document as served, built once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    super::openapi()
        .to_pretty_json()
        .expect("the document always serialises")
});

/// The document as `numdialer-server openapi` prints it and
/// docs/openapi.json holds it.
pub fn json() -> &'static str {
    &DOCUMENT
}

/// `GET /openapi.json`: public, as the routes it describes are no secret,
/// so that a client generator or a fuzzer reads it without the token.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi",
    tag = "meta",
    responses((status = 200, description = "This document, OpenAPI 3.1.", body = Object)),
)]
pub async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], json()).into_response()
}

/// A Twilio status callback as its form holds it (documentation only: the
/// provider's reader parses the form, see `provider::twilio`).
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes a form that the provider reads by field name"
)]
#[allow(non_snake_case)]
pub struct TwilioStatusForm {
    /// Twilio's id of the call.
    CallSid: String,
    /// `queued`, `initiated`, `ringing`, `in-progress`, `completed`, `busy`,
    /// `no-answer`, `failed`, `canceled`.
    CallStatus: String,
    /// Twilio's number of this callback for the call, from 0.
    SequenceNumber: Option<u64>,
}

/// Twilio's answering-machine result as its form holds it (documentation
/// only).
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes a form that the provider reads by field name"
)]
#[allow(non_snake_case)]
pub struct TwilioAmdForm {
    CallSid: String,
    /// `human`, `machine_start`, `machine_end_beep`, `fax`, `unknown`…
    AnsweredBy: String,
    /// Milliseconds detection took.
    MachineDetectionDuration: Option<u64>,
}
