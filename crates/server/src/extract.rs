//! Extractors whose rejections are `ApiError`s, so a bad query string or body gets the same JSON error shape
//! as everything else (axum's defaults answer in plain text).

use axum::{
    extract::{FromRequest, FromRequestParts, Query, Request, rejection::JsonRejection},
    http::request::Parts,
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `Query<T>` that rejects with 422 `{"detail": …}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::Invalid(format!("invalid query string: {}", e.body_text())))
    }
}

/// `Json<T>` that rejects with 400/413/415/422 `{"detail": …}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(v)| ApiJson(v))
            .map_err(|e| match e {
                JsonRejection::JsonDataError(e) => {
                    ApiError::Invalid(format!("invalid body: {}", e.body_text()))
                }
                JsonRejection::JsonSyntaxError(e) => {
                    ApiError::BadRequest(format!("body is not valid JSON: {}", e.body_text()))
                }
                JsonRejection::MissingJsonContentType(_) => {
                    ApiError::BadRequest("expected Content-Type: application/json".into())
                }
                other => ApiError::BadRequest(other.body_text()),
            })
    }
}
