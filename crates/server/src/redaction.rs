//! The REST side of the one redaction ([`Secrets`]): every JSON or plain-text answer — data, errors, `/metrics`
//! — leaves with the configuration's secrets and any URL password hidden. Logs get the same through the log
//! writer ([`crate::telemetry`]) and `/ws` frames when the hub serializes them ([`crate::hub`]).
//!
//! Answers are small (pages of a browser, a metrics scrape); static assets are not scanned.

use axum::{
    body::Body,
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use kato_dashboard_core::redact::Secrets;

use crate::{error::ApiError, state::AppState};

/// The middleware.
pub async fn redact_answers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if !is_scanned(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return ApiError::Internal(format!("reading an answer to redact it: {e}"))
                .into_response();
        }
    };
    match redact_bytes(&state.secrets, &bytes) {
        None => Response::from_parts(parts, Body::from(bytes)),
        Some(redacted) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(redacted))
        }
    }
}

/// JSON and text answers that are not compressed.
fn is_scanned(response: &Response) -> bool {
    let headers = response.headers();
    if headers.contains_key(header::CONTENT_ENCODING) {
        return false;
    }
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json") || t.starts_with("text/plain"))
}

/// The redacted text, or `None` when nothing needed hiding (or the answer is not UTF-8).
fn redact_bytes(secrets: &Secrets, bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    match secrets.redact(text) {
        std::borrow::Cow::Borrowed(_) => None,
        std::borrow::Cow::Owned(redacted) => Some(redacted),
    }
}
