//! `GET /openapi.json` and `GET /docs` (see [`crate::openapi`]).

use axum::{
    Json,
    http::header,
    response::{Html, IntoResponse, Response},
};

use crate::openapi;

/// The OpenAPI document.
pub async fn spec() -> Response {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Json(openapi::document()),
    )
        .into_response()
}

/// The API explorer.
pub async fn docs() -> Response {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Html(openapi::DOCS_HTML),
    )
        .into_response()
}
