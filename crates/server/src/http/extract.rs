//! axum's extractors, answering in the API's own error form.
//!
//! With these, a handler takes `Path<usize>` and the rejection is already an
//! [`ApiError`] (`{"error"}` with axum's status: 400, 413, 415, 422), so
//! handler signatures speak of the domain, not of rejections. Each is
//! derived (`via` axum's own extractor, `rejection` ours), so that the
//! extraction is axum's and only the error form is numdialer's.

use super::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Path parameters.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// Query parameters.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// A JSON body in, or a JSON answer out.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
