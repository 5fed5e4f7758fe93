//! The one error type of the HTTP API: every failure answers JSON
//! `{"error": "..."}` with a 4xx or 5xx code.

use crate::engine::EngineError;
use crate::provider::CallbackError;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use numdialer_core::api::ErrorBody;
use numdialer_core::{DeleteError, OperationError, WebhookError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// A body with more than `error` (an import's line errors); it still
    /// holds `error`.
    pub body: Option<Box<serde_json::Value>>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            body: None,
        }
    }

    /// An error whose answer is `body`, which must hold `error` too.
    pub fn with_body(status: StatusCode, message: String, body: serde_json::Value) -> Self {
        ApiError {
            status,
            message,
            body: Some(Box::new(body)),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, "{}", self.message);
        }
        if let Some(body) = self.body {
            return (self.status, Json(*body)).into_response();
        }
        (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response()
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let status = match &e {
            EngineError::AlreadyStarted(_) => StatusCode::CONFLICT,
            EngineError::Webhook(WebhookError::UnknownToken) => StatusCode::NOT_FOUND,
            EngineError::Webhook(WebhookError::IdMismatch { .. }) => StatusCode::CONFLICT,
            EngineError::Degraded(_) => StatusCode::SERVICE_UNAVAILABLE,
            EngineError::KeyConflict { .. } | EngineError::TooManyCampaigns(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            EngineError::NoCampaign(_)
            | EngineError::Operation(OperationError::NotFound(_))
            | EngineError::Delete(DeleteError::NotFound(_)) => StatusCode::NOT_FOUND,
            EngineError::Operation(OperationError::NotAllowed(_)) | EngineError::Delete(_) => {
                StatusCode::CONFLICT
            }
            EngineError::Store(_) | EngineError::Restore(_) | EngineError::ListMismatch { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError::new(status, e.to_string())
    }
}

impl From<CallbackError> for ApiError {
    fn from(e: CallbackError) -> Self {
        let status = match &e {
            CallbackError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            CallbackError::Malformed(_) => StatusCode::BAD_REQUEST,
            CallbackError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            CallbackError::Forbidden(_) => StatusCode::FORBIDDEN,
            CallbackError::NotFound(_) => StatusCode::NOT_FOUND,
        };
        ApiError::new(status, e.to_string())
    }
}

/// axum's own rejections keep their status (400 bad JSON, 413 too large,
/// 415 not JSON, 422 wrong shape) but answer in our JSON form.
macro_rules! from_rejection {
    ($($t:ty),*) => {$(
        impl From<$t> for ApiError {
            fn from(r: $t) -> Self {
                ApiError::new(r.status(), r.body_text())
            }
        }
    )*};
}
from_rejection!(JsonRejection, PathRejection, QueryRejection);
