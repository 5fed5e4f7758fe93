//! Do-not-call lists (design.md, "Do-not-call (suppression) lists"): one
//! number or prefix at a time as JSON, or many as text (one a line; the US
//! registry's files as they download), each addition durable before its
//! 2xx, after which no dial of the number begins; a removal needs a reason
//! and leaves its tombstone in the audit log.

use crate::http::AppState;
use crate::http::body::{
    MAX_BODY, MAX_SUPPRESSIONS_BODY, data_of, read_limited, too_large_closing,
};
use crate::http::error::ApiError;
use crate::http::extract::{Json, Path, Query};
use crate::store::BulkImport;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use numdialer_core::api::ErrorBody;
use numdialer_core::suppressions::{
    self, AuditRecord, Pattern, RegistryForm, Scope, Source, Suppression, read_registry_line,
    registry_form,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Line errors listed in a refused bulk upload's answer.
const ERRORS_LISTED: usize = 100;
/// The most of one line kept while it is read: far past any number, so
/// that a body without newlines costs no more.
const MAX_LINE: usize = 256;
/// The longest page of `GET /suppressions` and its log.
const MAX_PAGE: usize = 10_000;
const DEFAULT_PAGE: usize = 1_000;

fn unprocessable(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
}

fn scope_of(text: Option<&str>) -> Result<Scope, ApiError> {
    text.map_or(Ok(Scope::Global), |t| {
        t.parse().map_err(|e| unprocessable(format!("scope: {e}")))
    })
}

fn source_of(text: Option<&str>, default: Source) -> Result<Source, ApiError> {
    text.map_or(Ok(default), |t| {
        t.parse().map_err(|e| unprocessable(format!("source: {e}")))
    })
}

/// A number, or a prefix longer than its country code (core refuses a
/// whole country, which a slip of the keyboard would stop).
fn pattern_of(text: &str) -> Result<Pattern, ApiError> {
    Pattern::read(text, None).map_err(|e| unprocessable(format!("phone: {e}")))
}

/// One suppression, as `POST /suppressions` takes it in JSON.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSuppression {
    /// A number, or a prefix ending in `*` longer than its country code.
    phone: String,
    /// Absent: global.
    #[serde(default)]
    scope: Option<Scope>,
    /// Absent: `api`.
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    reason: String,
    /// Who asked.
    #[serde(default)]
    actor: String,
}

/// A bulk upload's settings (`text/plain` or `text/csv` only).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BulkQuery {
    /// `global` (the default) or a campaign's id.
    scope: Option<String>,
    /// `manual`, `api`, `import` (the default), `registry` or `call`.
    source: Option<String>,
    reason: Option<String>,
    actor: Option<String>,
    /// With `source=registry`: the registry's download date, `YYYY-MM-DD`.
    registry_date: Option<String>,
}

/// The answer to a bulk upload.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkAnswer {
    /// Numbers added.
    count: u64,
    /// The one audit record of the upload.
    audit: AuditRecord,
}

/// What `POST /suppressions` added: one suppression, or a bulk upload's
/// count.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Added {
    One(Suppression),
    Many(BulkAnswer),
}

#[derive(Debug, Serialize)]
struct LineError {
    line: usize,
    error: String,
}

/// `POST /suppressions`: JSON `{phone, scope, source, reason, actor}`, or
/// a `text/plain` / `text/csv` body of one number (or prefix) a line with
/// `?scope=&source=&reason=&registry_date=`. All or nothing: a bad line
/// stores nothing. The body is read here rather than before the route, a
/// line at a time as it arrives, so that a registry copy of 10M lines
/// costs its numbers' 8 bytes each, not its text; every answer is given
/// after the body is read (or given up on with `connection: close`).
#[utoipa::path(
    post,
    path = "/suppressions",
    operation_id = "add_suppressions",
    tag = "suppressions",
    summary = "Add one number or prefix, or many numbers",
    params(BulkQuery),
    request_body(
        description = "One suppression as JSON, or one number a line (the US registry's downloads as they come). At most 256 MiB.",
        content(
            (NewSuppression = "application/json", example = json!({"phone": "+19842068287", "reason": "asked on the call"})),
            (String = "text/plain", example = json!("+12065550100\n13018040010\n")),
            (String = "text/csv", example = json!("3018040011\n3018040012\n")),
        ),
    ),
    responses(
        (status = 201, description = "Added, durably: no dial of the number begins after this answer.", body = Added),
        (status = 415, description = "Not JSON, plain text or CSV.", body = ErrorBody),
        (status = 422, description = "A bad number, line or setting; nothing was stored.", body = ErrorBody),
    ),
)]
pub async fn add(
    State(state): State<AppState>,
    Query(q): Query<BulkQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let media = crate::provider::media_type(&headers).unwrap_or_default();
    match media.as_str() {
        "application/json" => match read_limited(body, MAX_BODY).await {
            Ok(body) => add_one(state, q, &body).await,
            Err(refused) => Ok(refused),
        },
        "text/plain" | "text/csv" => add_bulk(state, q, body).await,
        other => {
            if let Err(refused) = read_limited(body, MAX_BODY).await {
                return Ok(refused);
            }
            Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "suppressions come as application/json (one) or text/plain or text/csv (one a line), not {}",
                    if other.is_empty() {
                        "a body without Content-Type"
                    } else {
                        other
                    }
                ),
            ))
        }
    }
}

async fn add_one(state: AppState, q: BulkQuery, body: &[u8]) -> Result<Response, ApiError> {
    if q.scope.is_some() || q.source.is_some() || q.reason.is_some() || q.registry_date.is_some() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "with application/json, give scope, source and reason in the body, not the query",
        ));
    }
    let new: NewSuppression = serde_json::from_slice(body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("the body: {e}")))?;
    let s = Suppression {
        phone: pattern_of(&new.phone)?,
        scope: new.scope.unwrap_or(Scope::Global),
        source: new.source.unwrap_or(Source::Api),
        reason: clipped(new.reason),
        created_at: crate::clock::now().wall,
        actor: clipped(new.actor),
    };
    state.engine.suppress(&s).await?;
    tracing::info!(phone = %s.phone, scope = %s.scope, source = %s.source, "suppressed");
    Ok((StatusCode::CREATED, Json(Added::One(s))).into_response())
}

/// A reason or actor as long as a person writes one.
fn clipped(text: String) -> String {
    text.trim().chars().take(500).collect()
}

/// A bulk upload's settings from its query.
struct BulkSettings {
    scope: Scope,
    source: Source,
    registry_date: Option<String>,
}

fn bulk_settings(q: &BulkQuery) -> Result<BulkSettings, ApiError> {
    let scope = scope_of(q.scope.as_deref())?;
    let source = source_of(q.source.as_deref(), Source::Import)?;
    let registry_date = match (&q.registry_date, source == Source::Registry) {
        (Some(d), true) => Some(registry_date(d)?),
        (Some(_), false) => {
            return Err(unprocessable(
                "registry_date: only with source=registry (the registry's own download date)",
            ));
        }
        (None, _) => None,
    };
    Ok(BulkSettings {
        scope,
        source,
        registry_date,
    })
}

/// A bulk body as read: its numbers, or the lines that were not.
#[derive(Default)]
struct Lines {
    registry: bool,
    /// A registry file's format, from its first number and its line.
    form: Option<(RegistryForm, usize)>,
    numbers: Vec<u64>,
    errors: Vec<LineError>,
    error_count: usize,
    read: usize,
}

impl Lines {
    fn line(&mut self, bytes: &[u8]) {
        self.read += 1;
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let read = match std::str::from_utf8(bytes) {
            Err(_) => Err("the line is not UTF-8 text".to_string()),
            Ok(line) if self.registry => match (registry_form(line), self.form) {
                (Some(this), Some((first, at))) if this != first => Err(format!(
                    "the file mixes the registry's two formats: this line is {this}, \
                     line {at} is {first}; send one download as it came"
                )),
                (this, _) => {
                    if let (Some(this), None) = (this, self.form) {
                        self.form = Some((this, self.read));
                    }
                    read_registry_line(line).map_err(|e| e.to_string())
                }
            },
            Ok(line) if line.trim().is_empty() => Ok(None),
            Ok(line) => match pattern_of(line) {
                Ok(Pattern::Exact(d)) => Ok(Some(d)),
                Ok(Pattern::Prefix(_)) => Err("a prefix is added one at a time, as JSON".into()),
                Err(e) => Err(e.message),
            },
        };
        let read = read.and_then(|d| {
            d.map(|d| {
                crate::store::number_of(&d).ok_or_else(|| format!("{d:?} is not a number's digits"))
            })
            .transpose()
        });
        match read {
            Ok(Some(n)) => self.numbers.push(n),
            Ok(None) => {}
            Err(error) => {
                self.error_count += 1;
                if self.errors.len() < ERRORS_LISTED {
                    self.errors.push(LineError {
                        line: self.read,
                        error,
                    });
                }
            }
        }
    }
}

/// Reads a bulk body to its end a piece at a time, each line as soon as it
/// is whole; its digest as it goes. `Err` is the answer for a body over
/// [`MAX_SUPPRESSIONS_BODY`] or broken off.
async fn read_lines(mut body: Body, registry: bool) -> Result<(Lines, String), Response> {
    use http_body_util::BodyExt;
    let mut lines = Lines {
        registry,
        ..Lines::default()
    };
    let mut digest = suppressions::Digest::default();
    let mut partial: Vec<u8> = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Some(data) = data_of(frame).map_err(IntoResponse::into_response)? else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen > MAX_SUPPRESSIONS_BODY {
            return Err(too_large_closing(MAX_SUPPRESSIONS_BODY));
        }
        digest.update(&data);
        let mut rest: &[u8] = &data;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            if partial.is_empty() {
                lines.line(&rest[..end]);
            } else {
                keep(&mut partial, &rest[..end]);
                lines.line(&partial);
                partial.clear();
            }
            rest = &rest[end + 1..];
        }
        keep(&mut partial, rest);
    }
    if !partial.is_empty() {
        lines.line(&partial);
    }
    Ok((lines, digest.finish()))
}

/// Adds to a line read in pieces no more than [`MAX_LINE`] bytes in all.
fn keep(partial: &mut Vec<u8>, piece: &[u8]) {
    let room = MAX_LINE.saturating_sub(partial.len());
    partial.extend_from_slice(&piece[..piece.len().min(room)]);
}

async fn add_bulk(state: AppState, q: BulkQuery, body: Body) -> Result<Response, ApiError> {
    let settings = bulk_settings(&q);
    let registry = matches!(&settings, Ok(s) if s.source == Source::Registry);
    let (lines, digest) = match read_lines(body, registry).await {
        Ok(read) => read,
        Err(refused) => return Ok(refused),
    };
    let BulkSettings {
        scope,
        source,
        registry_date,
    } = settings?;
    let Lines {
        numbers,
        errors,
        error_count,
        ..
    } = lines;
    if error_count > 0 {
        let lines = if error_count == 1 { "line" } else { "lines" };
        let message = format!("{error_count} bad {lines}; nothing was stored");
        return Err(ApiError::with_body(
            StatusCode::UNPROCESSABLE_ENTITY,
            message.clone(),
            serde_json::json!({
                "error": message,
                "errors": errors,
                "error_count": error_count,
            }),
        ));
    }
    if numbers.is_empty() {
        return Err(unprocessable("the body has no numbers: one a line"));
    }
    let reason = clipped(q.reason.unwrap_or_default());
    let actor = clipped(q.actor.unwrap_or_default());
    let record = state
        .engine
        .import_suppressions(
            numbers,
            BulkImport {
                scope,
                source,
                reason: &reason,
                actor: &actor,
                at: crate::clock::now().wall,
                registry_date,
                digest,
            },
        )
        .await?;
    let count = match &record.action {
        suppressions::Action::Import { count, .. } => *count,
        _ => 0,
    };
    tracing::info!(count, scope = %scope, source = %source, "suppressions imported");
    Ok((
        StatusCode::CREATED,
        Json(Added::Many(BulkAnswer {
            count,
            audit: record,
        })),
    )
        .into_response())
}

/// `YYYY-MM-DD`, not after today (UTC): the registry's download date.
fn registry_date(text: &str) -> Result<String, ApiError> {
    suppressions::read_registry_date(text, crate::clock::now().wall)
        .map_err(|e| unprocessable(format!("registry_date: {e}")))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Check this number instead of listing.
    phone: Option<String>,
    /// With `phone`: check it for this campaign (its own list too).
    campaign: Option<u64>,
    /// The `next` of the page before.
    after: Option<String>,
    /// 1 to 10000; 1000 by default.
    limit: Option<usize>,
}

/// Whether a number is suppressed, and by what.
#[derive(Debug, Serialize, ToSchema)]
pub struct Checked {
    phone: String,
    suppressed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<Suppression>,
}

/// A page of a list, oldest or first first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    items: Vec<T>,
    /// Give it as `after` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

/// `GET /suppressions`: a check of one number, or a page of the lists.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Listed {
    Check(Checked),
    Page(Page<Suppression>),
}

/// `GET /suppressions`: paged (`?after=&limit=`), or `?phone=` (with
/// `&campaign=`) says whether and why that number is not dialed.
#[utoipa::path(
    get,
    path = "/suppressions",
    operation_id = "list_suppressions",
    tag = "suppressions",
    summary = "The do-not-call lists, or whether one number is on them",
    params(ListQuery),
    responses(
        (status = 200, description = "With `phone`, the check; otherwise a page.", body = Listed),
        (status = 422, description = "A bad number, page mark or limit.", body = ErrorBody),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let store = state.engine.store();
    if let Some(phone) = &q.phone {
        let Pattern::Exact(digits) = pattern_of(phone)? else {
            return Err(unprocessable("phone: check one number, not a prefix"));
        };
        let found = store
            .suppression_for(&digits, q.campaign.unwrap_or(0))
            .map_err(crate::engine::EngineError::from)?;
        return Ok(Json(Listed::Check(Checked {
            phone: format!("+{digits}"),
            suppressed: found.is_some(),
            suppression: found,
        }))
        .into_response());
    }
    let limit = page_limit(q.limit)?;
    let after = q
        .after
        .as_deref()
        .map(|a| hex_decode(a).ok_or_else(|| unprocessable("after: not a page mark from next")))
        .transpose()?;
    let page = store
        .suppressions_page(after.as_deref(), limit + 1)
        .map_err(crate::engine::EngineError::from)?;
    let next = (page.len() > limit).then(|| hex_encode(&page[limit - 1].0));
    let items = page.into_iter().take(limit).map(|(_, s)| s).collect();
    Ok(Json(Listed::Page(Page { items, next })).into_response())
}

fn page_limit(limit: Option<usize>) -> Result<usize, ApiError> {
    match limit.unwrap_or(DEFAULT_PAGE) {
        n @ 1..=MAX_PAGE => Ok(n),
        n => Err(unprocessable(format!(
            "limit: {n} is out of range (1 to {MAX_PAGE})"
        ))),
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    text.len()
        .is_multiple_of(2)
        .then(|| {
            (0..text.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .flatten()
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RemoveQuery {
    /// `global` (the default) or a campaign's id.
    scope: Option<String>,
    /// Required: kept in the audit log.
    reason: Option<String>,
    actor: Option<String>,
}

/// `DELETE /suppressions/{phone}?scope=&reason=`: a reason is required;
/// entries it canceled stay canceled.
#[utoipa::path(
    delete,
    path = "/suppressions/{phone}",
    operation_id = "remove_suppression",
    tag = "suppressions",
    summary = "Remove a number or prefix from a list",
    params(("phone" = String, Path, description = "The number or prefix, as it was added."), RemoveQuery),
    responses(
        (status = 200, description = "The suppression removed.", body = Suppression),
        (status = 404, description = "Not on that list.", body = ErrorBody),
        (status = 422, description = "A bad number or scope, or no reason.", body = ErrorBody),
    ),
)]
pub async fn remove(
    State(state): State<AppState>,
    Path(phone): Path<String>,
    Query(q): Query<RemoveQuery>,
) -> Result<Response, ApiError> {
    let pattern = pattern_of(&phone)?;
    let scope = scope_of(q.scope.as_deref())?;
    let reason = clipped(q.reason.unwrap_or_default());
    if reason.is_empty() {
        return Err(unprocessable(
            "reason: a removal needs a reason (?reason=...), kept in the audit log",
        ));
    }
    let actor = clipped(q.actor.unwrap_or_default());
    match state
        .engine
        .unsuppress(&pattern, scope, &reason, &actor)
        .await?
    {
        Some(removed) => {
            tracing::info!(phone = %pattern, scope = %scope, "suppression removed");
            Ok(Json(removed).into_response())
        }
        None => Err(ApiError::not_found(format!(
            "{pattern} is not on the {scope} do-not-call list"
        ))),
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// The `next` of the page before: records after this one.
    after: Option<u64>,
    /// 1 to 10000; 1000 by default.
    limit: Option<usize>,
}

/// `GET /suppressions/log?after=&limit=`: every add, remove and bulk
/// import, oldest first.
#[utoipa::path(
    get,
    path = "/suppressions/log",
    operation_id = "get_suppression_log",
    tag = "suppressions",
    summary = "The audit log of the lists",
    params(LogQuery),
    responses(
        (status = 200, description = "A page of records, oldest first.", body = Page<AuditRecord>),
        (status = 422, description = "A bad limit.", body = ErrorBody),
    ),
)]
pub async fn log(
    State(state): State<AppState>,
    Query(q): Query<LogQuery>,
) -> Result<Response, ApiError> {
    let limit = page_limit(q.limit)?;
    let mut items = state
        .engine
        .store()
        .suppression_log(q.after.unwrap_or(0), limit + 1)
        .map_err(crate::engine::EngineError::from)?;
    let next = (items.len() > limit).then(|| items[limit - 1].seq.to_string());
    items.truncate(limit);
    Ok(Json(Page { items, next }).into_response())
}

/// Rows of `GET /suppressions/export.csv` read from the store at a time.
const EXPORT_PAGE: usize = 4096;
/// Bytes of CSV sent on as one piece of the body.
const EXPORT_CHUNK: usize = 64 * 1024;

/// `GET /suppressions/export.csv`: every suppression, one a row, in store
/// order (global, then each campaign's): `phone,scope,source,reason,
/// created_at,actor`. Streamed from a blocking task a page at a time, so
/// that a registry copy of millions of numbers costs a page of memory,
/// not the whole file. Free text that a spreadsheet would run as a
/// formula is quoted with `'`, as in a campaign's export.
#[utoipa::path(
    get,
    path = "/suppressions/export.csv",
    operation_id = "export_suppressions",
    tag = "suppressions",
    summary = "Every suppression, as CSV",
    responses(
        (status = 200, description = "`phone,scope,source,reason,created_at,actor`, one a row.", body = String, content_type = "text/csv"),
    ),
)]
pub async fn export(State(state): State<AppState>) -> Result<Response, ApiError> {
    let store = state.engine.store().suppression_pages();
    // The first page is read here, so that a store that cannot be read
    // answers an error rather than a cut-off file.
    let first = store
        .page(None, EXPORT_PAGE)
        .map_err(crate::engine::EngineError::from)?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    tokio::task::spawn_blocking(move || {
        let mut out = csv_writer();
        let header = ["phone", "scope", "source", "reason", "created_at", "actor"];
        let mut page = first;
        let mut ok = out.write_record(header).is_ok();
        while ok {
            for (_, s) in &page {
                let scope = match s.scope {
                    Scope::Global => "global".to_string(),
                    Scope::Campaign(id) => id.to_string(),
                };
                let row = [
                    s.phone.to_string(),
                    scope,
                    s.source.to_string(),
                    guarded(&s.reason),
                    s.created_at.to_string(),
                    guarded(&s.actor),
                ];
                ok &= out.write_record(&row).is_ok();
                if ok && out.get_ref().len() >= EXPORT_CHUNK {
                    ok &= send(&tx, &mut out);
                }
            }
            let Some((last, _)) = page.last() else { break };
            if page.len() < EXPORT_PAGE {
                break;
            }
            page = match store.page(Some(last), EXPORT_PAGE) {
                Ok(p) => p,
                Err(e) => {
                    // The client sees a body cut short; the log says why.
                    tracing::error!(error = %e, "the do-not-call export stopped");
                    return;
                }
            };
        }
        if ok {
            send(&tx, &mut out);
        }
    });
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"do-not-call.csv\"".to_string(),
            ),
        ],
        axum::body::Body::new(Chunks(rx)),
    )
        .into_response())
}

/// Sends what the writer holds; false when the client went away.
fn send(tx: &tokio::sync::mpsc::Sender<Bytes>, out: &mut csv::Writer<Vec<u8>>) -> bool {
    let full = std::mem::replace(out, csv_writer());
    match full.into_inner() {
        Ok(bytes) => bytes.is_empty() || tx.blocking_send(Bytes::from(bytes)).is_ok(),
        Err(_) => false,
    }
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::with_capacity(EXPORT_CHUNK * 2))
}

fn guarded(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// A body of the pieces a blocking task sends, ending when it is done.
struct Chunks(tokio::sync::mpsc::Receiver<Bytes>);

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|piece| piece.map(|b| Ok(http_body::Frame::data(b))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_in_pieces(text: &str, piece: usize, registry: bool) -> (Lines, String) {
        let (tx, rx) = tokio::sync::mpsc::channel(text.len() + 1);
        for p in text.as_bytes().chunks(piece) {
            tx.send(Bytes::copy_from_slice(p)).await.unwrap();
        }
        drop(tx);
        read_lines(Body::new(Chunks(rx)), registry).await.unwrap()
    }

    #[tokio::test]
    async fn lines_split_across_pieces_are_read_whole_and_digested_as_one_body() {
        let text = "3018040009\r\n3018040010\n\n2065550100";
        for piece in [1, 3, 7, 64] {
            let (lines, digest) = read_in_pieces(text, piece, true).await;
            assert_eq!(
                lines.numbers,
                [13_018_040_009, 13_018_040_010, 12_065_550_100]
            );
            assert_eq!(lines.error_count, 0);
            assert_eq!(digest, suppressions::digest(text.as_bytes()));
        }
    }

    #[tokio::test]
    async fn a_line_too_long_is_one_bad_line_and_later_lines_keep_their_numbers() {
        let text = format!("{}\n+1 301-804-0009\n\u{ff}", "9".repeat(10_000));
        let (lines, _) = read_in_pieces(&text, 1_000, false).await;
        assert_eq!(lines.numbers, [13_018_040_009]);
        let bad: Vec<usize> = lines.errors.iter().map(|e| e.line).collect();
        assert_eq!(bad, [1, 3]);
    }

    #[tokio::test]
    async fn a_registry_file_is_one_format_and_the_line_that_differs_is_named() {
        let (lines, _) = read_in_pieces("\n3018040009\n301,8040010\n", 4, true).await;
        assert_eq!(lines.error_count, 1);
        assert_eq!(lines.errors[0].line, 3);
        assert!(
            lines.errors[0].error.contains("line 2 is ten digits"),
            "{}",
            lines.errors[0].error
        );
        let (lines, _) = read_in_pieces("301,8040009\n 301 , 8040010\n", 4, true).await;
        assert_eq!(lines.numbers, [13_018_040_009, 13_018_040_010]);
    }
}
