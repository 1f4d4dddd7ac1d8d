//! `GET /openapi.json` and `GET /docs` (see [`crate::openapi`]).

use axum::{
    Extension,
    http::header,
    response::{Html, IntoResponse, Response},
};

use crate::openapi;

/// The finished document, built once with the router.
#[derive(Clone)]
pub struct Spec(pub bytes::Bytes);

/// This document
///
/// OpenAPI 3.1.
#[utoipa::path(get, path = "/openapi.json", tag = "service")]
pub async fn spec(Extension(Spec(doc)): Extension<Spec>) -> Response {
    (
        [
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_TYPE, "application/json"),
        ],
        doc,
    )
        .into_response()
}

/// API explorer
///
/// An HTML page that lists these operations and sends requests (not JSON).
#[utoipa::path(
    get,
    path = "/docs",
    tag = "service",
    responses((status = 200, description = "The explorer page", content_type = "text/html"))
)]
pub async fn docs() -> Response {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Html(openapi::DOCS_HTML),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    #[test]
    fn every_operation_has_a_tag_a_summary_a_unique_id_and_its_path_parameters() {
        let doc = serde_json::to_value(crate::routes::document()).unwrap_or_default();
        assert_eq!(doc["openapi"], "3.1.0");
        let tags: BTreeSet<&str> = doc["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str())
            .collect();
        let mut ids = BTreeSet::new();
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        assert!(paths.len() > 30, "{} paths", paths.len());
        for (path, item) in &paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let at = format!("{method} {path}");
                let tag = op["tags"][0].as_str().unwrap_or_default();
                assert!(tags.contains(tag), "{at}: tag `{tag}`");
                assert!(
                    op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                    "{at}"
                );
                assert!(ids.insert(op["operationId"].to_string()), "{at}: id twice");
                let in_path: Vec<&str> = path
                    .split('/')
                    .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                    .collect();
                let declared: Vec<&str> = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                assert_eq!(in_path, declared, "{at}");
                let admin = op.get("security").is_some();
                assert_eq!(admin, op["responses"]["401"].is_object(), "{at}");
                assert!(op["responses"]["200"].is_object(), "{at}");
            }
        }
    }
}
