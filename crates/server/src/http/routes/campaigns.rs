//! `/campaigns...`: import, list, lifecycle, entries, export and delete
//! (docs/api.md, "Campaigns").

use crate::http::AppState;
use crate::http::conditional::IfNoneMatch;
use crate::http::conditional::{self, Conditional, Timer};
use crate::http::error::ApiError;
use crate::http::extract::{Json, Path, Query};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use numdialer_core::answer::{AnswerInput, AnswerSettings};
use numdialer_core::api::{
    CallDetail, CampaignSummary, CreatedCampaign, EXPORT_COLUMNS, ImportErrorBody,
};
use numdialer_core::api::{CampaignsResponse, CreateCampaign, ErrorBody};
use numdialer_core::campaign::{RetryInput, RetryOnInput};
use numdialer_core::hours::{HoursInput, HoursInputError, TextOrList};
use numdialer_core::import::{self, Format};
use numdialer_core::{Country, Entry, NewCampaign, Operation};
use serde::Deserialize;
use utoipa::openapi::schema::{AnyOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// Longest campaign name, in characters.
const MAX_NAME: usize = 200;

/// Longest `Idempotency-Key`, in bytes.
const MAX_KEY: usize = 200;

/// Rows an export reads per lock.
const EXPORT_SLICE: usize = 8192;

/// Where `name` is among [`EXPORT_COLUMNS`].
const NAME_COLUMN: usize = 2;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// With `If-None-Match`: hold the request up to this many seconds (at
    /// most 30) until a campaign changes.
    #[param(minimum = 0)]
    wait: Option<f64>,
}

/// `GET /campaigns`, with `If-None-Match` and `?wait=` as `GET /statuses`.
#[utoipa::path(
    get,
    path = "/campaigns",
    operation_id = "list_campaigns",
    tag = "campaigns",
    summary = "Every campaign",
    params(ListQuery, IfNoneMatch),
    responses(
        (status = 200, description = "Every campaign's summary; `ETag` is the version.", body = CampaignsResponse,
            headers(("ETag" = String, description = "The version, quoted."))),
        (status = 304, description = "`If-None-Match` names the current version."),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let asked = Conditional::read(&headers, q.wait)?;
    if let Some((known, wait)) = asked.wait_past(None) {
        state
            .engine
            .wait_past(None, known, wait, &state.shutdown)
            .await;
    }
    let timer = Timer::start();
    let version = state.engine.version_of(None).unwrap_or(0);
    if let Some(unchanged) = asked.unchanged(version, &timer) {
        return Ok(unchanged);
    }
    let list = state.engine.list().await;
    Ok((conditional::fresh(list.version, &timer), Json(list)).into_response())
}

/// The settings of a CSV or plain-text import, as query parameters (a
/// JSON import gives them in its body instead).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CreateQuery {
    /// At most 200 characters.
    name: Option<String>,
    /// Attempts in all, 1 to 10.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10)]
    max_attempts: Option<String>,
    /// Seconds between attempts, at most a week.
    #[param(value_type = Option<u64>, maximum = 604800)]
    retry_delay: Option<String>,
    /// Comma-separated outcomes that earn another attempt: `no_answer`,
    /// `failed`, `machine`.
    retry_on: Option<String>,
    /// `true`: start dialing at once.
    #[param(value_type = Option<bool>)]
    start: Option<String>,
    /// Dial only while the do-not-call registry copy is current.
    #[param(value_type = Option<bool>)]
    require_registry: Option<String>,
    /// The country numbers without `+` are read in, for every format: an
    /// ISO 3166 code such as `US`.
    #[param(pattern = "^[A-Za-z]{2}$")]
    country: Option<String>,
    /// `HH:MM-HH:MM` in the callee's time, or `off`.
    #[param(pattern = "^(off|[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9])$")]
    calling_hours: Option<String>,
    /// `mon-fri`, `mon,wed,fri`…
    days: Option<String>,
    /// Comma-separated dates.
    holidays: Option<String>,
    /// The IANA zone of numbers whose own is unknown.
    fallback_timezone: Option<String>,
    /// `off`, `detect` or `detect_message_end` (detection needs Twilio).
    amd: Option<String>,
    /// `off`, `say:TEXT` or `play:URL`.
    voicemail: Option<String>,
    /// Twilio's detection tuning, each in its own unit and range.
    #[param(value_type = Option<u32>)]
    machine_detection_timeout: Option<String>,
    #[param(value_type = Option<u32>)]
    machine_detection_speech_threshold: Option<String>,
    #[param(value_type = Option<u32>)]
    machine_detection_speech_end_threshold: Option<String>,
    #[param(value_type = Option<u32>)]
    machine_detection_silence_timeout: Option<String>,
}

impl CreateQuery {
    fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.max_attempts.is_none()
            && self.retry_delay.is_none()
            && self.retry_on.is_none()
            && self.start.is_none()
            && self.require_registry.is_none()
            && self.hours().is_empty()
            && self.answers().is_empty()
    }

    fn answers(&self) -> AnswerInput {
        let tuning = [
            ("machine_detection_timeout", &self.machine_detection_timeout),
            (
                "machine_detection_speech_threshold",
                &self.machine_detection_speech_threshold,
            ),
            (
                "machine_detection_speech_end_threshold",
                &self.machine_detection_speech_end_threshold,
            ),
            (
                "machine_detection_silence_timeout",
                &self.machine_detection_silence_timeout,
            ),
        ]
        .into_iter()
        .filter_map(|(f, v)| {
            v.clone()
                .map(|v| (f.to_string(), serde_json::Value::String(v)))
        })
        .collect();
        AnswerInput {
            amd: self.amd.clone(),
            voicemail: self.voicemail.clone(),
            tuning,
        }
    }

    fn hours(&self) -> HoursInput {
        HoursInput {
            calling_hours: self.calling_hours.clone(),
            days: self.days.clone(),
            holidays: self.holidays.clone().map(TextOrList::Text),
            fallback_timezone: self.fallback_timezone.clone(),
        }
    }

    /// The settings as given, for the upload's digest: a retry must send
    /// the same ones. A setting newer than the digests stored with keys is
    /// in it only when given, so that those keys still match their
    /// uploads.
    fn given(&self) -> Vec<(&'static str, Option<String>)> {
        let mut given = vec![
            ("name", self.name.clone()),
            ("max_attempts", self.max_attempts.clone()),
            ("retry_delay", self.retry_delay.clone()),
            ("retry_on", self.retry_on.clone()),
            ("start", self.start.clone()),
            ("country", self.country.clone()),
            ("calling_hours", self.calling_hours.clone()),
            ("days", self.days.clone()),
            ("holidays", self.holidays.clone()),
            ("fallback_timezone", self.fallback_timezone.clone()),
            ("amd", self.amd.clone()),
            ("voicemail", self.voicemail.clone()),
            (
                "machine_detection_timeout",
                self.machine_detection_timeout.clone(),
            ),
            (
                "machine_detection_speech_threshold",
                self.machine_detection_speech_threshold.clone(),
            ),
            (
                "machine_detection_speech_end_threshold",
                self.machine_detection_speech_end_threshold.clone(),
            ),
            (
                "machine_detection_silence_timeout",
                self.machine_detection_silence_timeout.clone(),
            ),
        ];
        if let Some(r) = &self.require_registry {
            given.push(("require_registry", Some(r.clone())));
        }
        given
    }

    fn retry(&self) -> Result<RetryInput, ApiError> {
        let number = |field: &str, v: &Option<String>| -> Result<_, ApiError> {
            v.as_deref()
                .map(|s| {
                    s.trim().parse::<serde_json::Number>().map_err(|_| {
                        bad_request(format!("{field} must be a whole number, not {s:?}"))
                    })
                })
                .transpose()
        };
        Ok(RetryInput {
            max_attempts: number("max_attempts", &self.max_attempts)?,
            retry_delay: number("retry_delay", &self.retry_delay)?,
            retry_on: self.retry_on.clone().map(RetryOnInput::Text),
        })
    }

    /// `?country=`, or else the server's `--default-country`.
    fn country(&self, default: Option<Country>) -> Result<Option<Country>, ApiError> {
        match self.country.as_deref().map(str::trim) {
            None | Some("") => Ok(default),
            Some(c) => c
                .parse()
                .map(Some)
                .map_err(|e: numdialer_core::CountryError| bad_request(e.to_string())),
        }
    }

    fn start(&self) -> Result<bool, ApiError> {
        flag("start", self.start.as_deref())
    }

    fn require_registry(&self) -> Result<bool, ApiError> {
        flag("require_registry", self.require_registry.as_deref())
    }
}

/// A `true`/`false` query parameter named `name`; absent is false.
fn flag(name: &str, value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        None | Some("false" | "0" | "") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(other) => Err(bad_request(format!(
            "{name} must be true or false, not {other:?}"
        ))),
    }
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

/// `POST /campaigns`: a CSV, plain-text or JSON list becomes a draft
/// campaign (started at once with `start`). All or nothing: any bad line
/// and nothing is stored. Numbers without `+` are read in the JSON body's
/// `country`, `?country=`, or the server's `--default-country`, in that
/// order; the answer names the lines taken with a warning.
#[utoipa::path(
    post,
    path = "/campaigns",
    operation_id = "create_campaign",
    tag = "campaigns",
    summary = "Import a list as a new campaign",
    params(CreateQuery, IdempotencyKey),
    request_body(
        description = "A CSV file (a `phone` column, optionally `name`, `timezone` and columns of your own), plain text (one number a line), or JSON with the settings. At most 32 MiB.",
        content(
            (String = "text/csv", example = json!("phone,name,city\n+19842068287,Ada,Raleigh\n13018040009,Grace,\n")),
            (String = "text/plain", example = json!("+19842068287\n13018040009\n")),
            (CreateCampaign = "application/json", example = json!({"name": "monday", "numbers": ["+19842068287", "13018040009"]})),
        ),
    ),
    responses(
        (status = 201, description = "The new campaign.", body = CreatedCampaign,
            headers(("Location" = String, description = "`/campaigns/{id}`."))),
        (status = 200, description = "The campaign an earlier upload with this `Idempotency-Key` created.", body = CreatedCampaign,
            headers(("Location" = String, description = "`/campaigns/{id}`."))),
        (status = 415, description = "Not CSV, plain text or JSON.", body = ErrorBody),
        (status = 422, description = "Bad lines or settings; nothing was stored.", body = ImportRefused),
        (status = 503, description = "Imports in flight hold the server's import memory (`--import-memory`): refused before the body is read, with `Retry-After` and `connection: close`; or the store takes no durable writes now. Nothing was stored.", body = ErrorBody),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    Query(q): Query<CreateQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let media = crate::provider::media_type(&headers).unwrap_or_default();
    let format = Format::from_media_type(&media).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "a campaign is imported from text/csv, text/plain or application/json, not {}",
                if media.is_empty() {
                    "a body without Content-Type"
                } else {
                    &media
                }
            ),
        )
    })?;
    let key = idempotency_key(&headers)?;
    if format == Format::Json && !q.is_empty() {
        return Err(bad_request(
            "with application/json, give name, retry, start and calling hours in the body, not the query",
        ));
    }
    let country = q.country(state.default_country)?;
    let default_hours = state.engine.default_calling_hours();
    // Checked before the body is read: a bad setting is refused at once.
    if format != Format::Json {
        q.hours().hours(default_hours).map_err(hours_error)?;
        answer_settings(&state, &q.answers())?;
    }
    // A retried upload is answered from its key before its body is parsed.
    let digest = match &key {
        Some(key) => {
            let given = q.given();
            let bytes = body.clone();
            let digest = tokio::task::spawn_blocking(move || {
                let given: Vec<(&str, Option<&str>)> =
                    given.iter().map(|(n, v)| (*n, v.as_deref())).collect();
                import::upload_digest(format, &given, &bytes)
            })
            .await
            .map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("import: {e}"))
            })?;
            if let Some(summary) = state.engine.replay(key, &digest).await? {
                let suppressed = summary.outcome(numdialer_core::Outcome::Suppressed);
                return Ok(created(StatusCode::OK, summary, suppressed, Vec::new(), 0));
            }
            Some(digest)
        }
        None => None,
    };
    // Refused before the body is parsed: a full server, a name too long.
    state.engine.room_for_campaign()?;
    check_name(q.name.as_deref())?;
    // Off the runtime: a million lines take a good part of a second.
    let accepts = state.accepts.clone();
    let upload = tokio::task::spawn_blocking(move || {
        import::parse_checked(format, &body, country, &|p| accepts.warning(p))
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("import: {e}")))?
    .map_err(import_error)?;
    let (name, retry, start, hours, answers, require_registry) = match upload.settings {
        Some(body) => (
            body.name,
            body.retry,
            body.start,
            body.hours,
            body.answers,
            body.require_registry,
        ),
        None => (
            q.name.clone(),
            q.retry()?,
            q.start()?,
            q.hours(),
            q.answers(),
            q.require_registry()?,
        ),
    };
    let hours = hours.hours(default_hours).map_err(hours_error)?;
    let answers = answer_settings(&state, &answers)?;
    let imported = upload.imported;
    let retry = retry
        .policy()
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    check_name(name.as_deref())?;
    let name = name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    let entries = imported
        .entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let mut entry = Entry::new(i, e.phone);
            entry.zones = e.zones;
            if e.name.is_some() || !e.fields.is_empty() {
                let d = entry.details_mut();
                d.name = e.name;
                d.fields = e.fields;
            }
            entry
        })
        .collect();
    let new = NewCampaign {
        name,
        retry,
        columns: imported.columns,
        entries,
        idempotency_key: key,
        idempotency_digest: digest,
        start,
        hours,
        answers,
        require_registry,
    };
    let off = new.hours.is_off();
    let (summary, is_new, suppressed) = state.engine.create(new).await?;
    if is_new && off && state.engine.real_provider() {
        tracing::warn!(
            campaign = summary.id,
            "calling hours are off for this campaign while dialing through a real provider: \
             its entries are dialed at any hour of their callees' day"
        );
    }
    let status = if is_new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(created(
        status,
        summary,
        suppressed,
        imported.warnings,
        imported.warning_count,
    ))
}

/// A campaign name of at most [`MAX_NAME`] characters, spaces around it
/// not counted.
fn check_name(name: Option<&str>) -> Result<(), ApiError> {
    let chars = name.map_or(0, |n| n.trim().chars().count());
    if chars > MAX_NAME {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the name is {chars} characters long; a campaign name has at most {MAX_NAME}"),
        ));
    }
    Ok(())
}

/// The answer to an import: `201` for a new campaign, `200` for the one an
/// earlier upload with the same key created.
fn created(
    status: StatusCode,
    summary: CampaignSummary,
    suppressed: usize,
    warnings: Vec<numdialer_core::api::LineWarning>,
    warning_count: usize,
) -> Response {
    let location = format!("/campaigns/{}", summary.id);
    let answer = CreatedCampaign {
        summary,
        suppressed,
        warnings,
        warning_count,
    };
    (status, [(header::LOCATION, location)], Json(answer)).into_response()
}

/// The answering-machine settings, checked: each bad value names its
/// field, and detection is refused where the provider has none (the
/// numDialer API reports no answer).
fn answer_settings(state: &AppState, input: &AnswerInput) -> Result<AnswerSettings, ApiError> {
    let settings = input
        .settings()
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    if settings.amd.is_on() && !state.callbacks.detects_answers() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "amd: {} needs a provider that detects answering machines (--dialer twilio); \
                 the numDialer API reports no answer",
                settings.amd
            ),
        ));
    }
    Ok(settings)
}

/// A calling-hours setting that does not parse: the field is named.
fn hours_error(e: HoursInputError) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
}

/// The `Idempotency-Key` header, as the OpenAPI document describes it.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(dead_code, reason = "describes a header that `idempotency_key` reads")]
pub struct IdempotencyKey {
    /// 1 to 200 visible ASCII characters: a retried upload with the same
    /// key and body answers the campaign the first one created.
    #[param(rename = "Idempotency-Key", value_type = String, required = false, pattern = "^[!-~]([ -~]{0,198}[!-~])?$")]
    idempotency_key: Option<String>,
}

/// The `Idempotency-Key` exactly as sent: two keys that differ in any
/// byte are two keys (HTTP itself drops the spaces around a header value).
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    match v.to_str() {
        Ok(k) if !k.trim().is_empty() && k.len() <= MAX_KEY => Ok(Some(k.to_string())),
        _ => Err(bad_request(format!(
            "Idempotency-Key must be 1 to {MAX_KEY} visible ASCII characters"
        ))),
    }
}

/// The `422` of an import, as the document describes it: `{"error"}` for a
/// bad setting or body, with `errors` and `error_count` when lines were
/// bad ([`ImportErrorBody`]).
pub struct ImportRefused;

impl utoipa::PartialSchema for ImportRefused {
    fn schema() -> RefOr<Schema> {
        let any_of = AnyOfBuilder::new()
            .item(Ref::from_schema_name(ImportErrorBody::name()))
            .item(Ref::from_schema_name(ErrorBody::name()))
            .build();
        Schema::AnyOf(any_of).into()
    }
}

impl ToSchema for ImportRefused {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((ImportErrorBody::name().into(), ImportErrorBody::schema()));
        schemas.push((ErrorBody::name().into(), ErrorBody::schema()));
        ImportErrorBody::schemas(schemas);
    }
}

/// A refused import: its lines, or what is wrong with the whole body.
fn import_error(e: import::ImportError) -> ApiError {
    let body: ImportErrorBody = e.into();
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    ApiError::with_body(
        status,
        body.error.clone(),
        serde_json::to_value(&body).unwrap_or_default(),
    )
}

/// One campaign's summary.
#[utoipa::path(
    get,
    path = "/campaigns/{id}",
    operation_id = "get_campaign",
    tag = "campaigns",
    summary = "One campaign's summary",
    params(("id" = u64, Path, description = "The campaign's id.")),
    responses(
        (status = 200, description = "The campaign.", body = CampaignSummary),
        (status = 404, description = "No such campaign.", body = ErrorBody),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<Json<CampaignSummary>, ApiError> {
    Ok(Json(state.engine.summary(id).await?))
}

async fn operate(
    state: AppState,
    id: u64,
    op: Operation,
) -> Result<Json<CampaignSummary>, ApiError> {
    let (summary, _) = state.engine.operate(id, op).await?;
    Ok(Json(summary))
}

/// Starts a draft campaign.
#[utoipa::path(
    post,
    path = "/campaigns/{id}/start",
    operation_id = "start_campaign",
    tag = "campaigns",
    summary = "Starts a draft campaign",
    params(("id" = u64, Path, description = "The campaign's id.")),
    responses(
        (status = 200, description = "The campaign as it is now.", body = CampaignSummary),
        (status = 404, description = "No such campaign.", body = ErrorBody),
        (status = 409, description = "Not allowed in the campaign's state.", body = ErrorBody),
    ),
)]
pub async fn start(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<Json<CampaignSummary>, ApiError> {
    operate(state, id, Operation::Start).await
}

/// Pauses a running campaign: calls in flight finish.
#[utoipa::path(
    post,
    path = "/campaigns/{id}/pause",
    operation_id = "pause_campaign",
    tag = "campaigns",
    summary = "Pauses a running campaign: calls in flight finish",
    params(("id" = u64, Path, description = "The campaign's id.")),
    responses(
        (status = 200, description = "The campaign as it is now.", body = CampaignSummary),
        (status = 404, description = "No such campaign.", body = ErrorBody),
        (status = 409, description = "Not allowed in the campaign's state.", body = ErrorBody),
    ),
)]
pub async fn pause(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<Json<CampaignSummary>, ApiError> {
    operate(state, id, Operation::Pause).await
}

/// Resumes a paused campaign.
#[utoipa::path(
    post,
    path = "/campaigns/{id}/resume",
    operation_id = "resume_campaign",
    tag = "campaigns",
    summary = "Resumes a paused campaign",
    params(("id" = u64, Path, description = "The campaign's id.")),
    responses(
        (status = 200, description = "The campaign as it is now.", body = CampaignSummary),
        (status = 404, description = "No such campaign.", body = ErrorBody),
        (status = 409, description = "Not allowed in the campaign's state.", body = ErrorBody),
    ),
)]
pub async fn resume(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<Json<CampaignSummary>, ApiError> {
    operate(state, id, Operation::Resume).await
}

/// Stops a campaign for good: its undialed entries are canceled.
#[utoipa::path(
    post,
    path = "/campaigns/{id}/stop",
    operation_id = "stop_campaign",
    tag = "campaigns",
    summary = "Stops a campaign for good: its undialed entries are canceled",
    params(("id" = u64, Path, description = "The campaign's id.")),
    responses(
        (status = 200, description = "The campaign as it is now.", body = CampaignSummary),
        (status = 404, description = "No such campaign.", body = ErrorBody),
        (status = 409, description = "Not allowed in the campaign's state.", body = ErrorBody),
    ),
)]
pub async fn stop(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<Json<CampaignSummary>, ApiError> {
    operate(state, id, Operation::Stop).await
}

/// Deletes a campaign that holds no line.
#[utoipa::path(
    delete,
    path = "/campaigns/{id}",
    operation_id = "delete_campaign",
    tag = "campaigns",
    summary = "Delete a campaign",
    params(("id" = u64, Path, description = "The campaign's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "No such campaign.", body = ErrorBody),
        (status = 409, description = "It still dials, or it is campaign 1.", body = ErrorBody),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One entry of a campaign and its history.
#[utoipa::path(
    get,
    path = "/campaigns/{id}/calls/{index}",
    operation_id = "get_campaign_call",
    tag = "campaigns",
    summary = "One entry, every attempt",
    params(("id" = u64, Path, description = "The campaign's id."), ("index" = usize, Path, description = "The entry's place in the list, from 0.")),
    responses(
        (status = 200, description = "The entry.", body = CallDetail),
        (status = 404, description = "No such campaign or entry.", body = ErrorBody),
    ),
)]
pub async fn detail(
    State(state): State<AppState>,
    Path((id, index)): Path<(u64, usize)>,
) -> Result<Json<CallDetail>, ApiError> {
    state
        .engine
        .detail(id, index)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("campaign {id} has no entry at index {index}")))
}

/// `GET /campaigns/{id}/export.csv?raw=true` turns the formula guard off.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `true`: cells a spreadsheet would evaluate are not quoted.
    #[serde(default)]
    raw: bool,
}

/// A cell that a spreadsheet would evaluate as a formula (OWASP's "CSV
/// injection": `=`, `+`, `-`, `@`, tab or carriage return first) gets a
/// leading `'`, so that it is shown as the text it is. Names, reasons and
/// the import's columns come from whoever wrote the list or runs the dialer
/// API; the phone, numeric and timestamp columns never start so.
fn neutralise(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

fn export_row(e: &Entry) -> Vec<String> {
    let opt = |t: Option<numdialer_core::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    let ended = e.status.is_final().then_some(e.updated_at()).flatten();
    let d = e.details();
    let mut row = vec![
        e.index.to_string(),
        e.phone.digits().to_string(),
        d.name.clone().unwrap_or_default(),
        e.status.to_string(),
        e.outcome.map(|o| o.to_string()).unwrap_or_default(),
        e.attempt.to_string(),
        d.call_id
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        opt(d.first_dialed_at),
        opt(ended),
        d.reason.clone().unwrap_or_default(),
        d.answer
            .as_ref()
            .map(|a| a.answered_by.to_string())
            .unwrap_or_default(),
        if e.voicemail_left { "true" } else { "" }.to_string(),
        e.zone_set()
            .map(|z| z.set().to_string())
            .unwrap_or_default(),
        opt((e.status == numdialer_core::Status::Waiting)
            .then_some(e.retry_at())
            .flatten()),
    ];
    row.extend(d.fields.iter().map(str::to_string));
    row
}

/// `GET /campaigns/{id}/export.csv`: every entry with its outcome, RFC
/// 4180, every cell [`neutralise`]d unless `?raw=true`. Read in slices, so
/// that a large export never holds dialing up.
#[utoipa::path(
    get,
    path = "/campaigns/{id}/export.csv",
    operation_id = "export_campaign",
    tag = "campaigns",
    summary = "Every entry and its outcome, as CSV",
    params(("id" = u64, Path, description = "The campaign's id."), ExportQuery),
    responses(
        (status = 200, description = "RFC 4180 CSV: the fixed columns, then the import's own.", body = String, content_type = "text/csv"),
        (status = 404, description = "No such campaign.", body = ErrorBody),
    ),
)]
pub async fn export(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let cell: fn(String) -> String = if q.raw {
        std::convert::identity
    } else {
        neutralise
    };
    let summary = state.engine.summary(id).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let write_failed =
        |e: csv::Error| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("export: {e}"));
    let mut from = 0;
    loop {
        let (rows, columns) = state
            .engine
            .entries_page(id, from, EXPORT_SLICE, export_row)?;
        if from == 0 {
            let header = EXPORT_COLUMNS.iter().map(|s| s.to_string()).chain(columns);
            out.write_record(header.map(cell)).map_err(write_failed)?;
        }
        if rows.is_empty() {
            break;
        }
        let stored = state.engine.stored_texts(id, from, from + rows.len())?;
        from += rows.len();
        let mut stored = stored.into_iter().flatten();
        for mut row in rows {
            if let Some(text) = stored.next() {
                row[NAME_COLUMN] = text.name.unwrap_or_default();
                row.extend(text.fields.iter().map(str::to_string));
            }
            out.write_record(row.into_iter().map(cell))
                .map_err(write_failed)?;
        }
        tokio::task::yield_now().await;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("export: {e}")))?;
    let file = format!("{}-{}.csv", file_safe(&summary.name), summary.id);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A campaign name as a file name: letters, digits, `-` and `_` kept.
fn file_safe(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() { "campaign".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_column_is_where_the_export_names_it() {
        assert_eq!(EXPORT_COLUMNS[NAME_COLUMN], "name");
    }

    #[test]
    fn an_idempotency_key_is_taken_exactly_as_sent() {
        let key = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert("idempotency-key", header::HeaderValue::from_static(v));
            idempotency_key(&h)
        };
        assert_eq!(key("k1").unwrap().as_deref(), Some("k1"));
        assert_eq!(key("k 1").unwrap().as_deref(), Some("k 1"));
        assert_eq!(key("K1").unwrap().as_deref(), Some("K1"));
        assert!(key(" ").is_err());
        assert!(idempotency_key(&HeaderMap::new()).unwrap().is_none());
    }

    #[test]
    fn cells_a_spreadsheet_would_evaluate_are_quoted() {
        for formula in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A9)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(neutralise(formula.into()), format!("'{formula}"));
        }
        for text in [
            "Ana",
            "",
            "14155550100",
            "2026-12-02T08:00:00.000Z",
            " =1",
            "a=b",
        ] {
            assert_eq!(neutralise(text.into()), text);
        }
    }
}
