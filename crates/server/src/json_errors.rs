//! Every error answer is JSON `{"detail": …}`. Handlers return [`ApiError`](crate::error::ApiError), which is
//! JSON already; this layer converts the answers the framework produces by itself — 405 from the router, 413 from
//! the body limit, 400 when a query string or path parameter does not parse — so no client ever meets plain text
//! or an empty error body. It also answers 414 to a URI over [`crate::serve::MAX_URI_BYTES`]; what hyper refuses
//! before any router runs (431, malformed heads) gets its JSON body in [`crate::serve::conn`].

use axum::{
    body::Body,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::error::ApiError;

/// Longest framework message kept as the detail.
const MAX_DETAIL: usize = 1000;

/// The middleware.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let uri_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri_len > crate::serve::MAX_URI_BYTES {
        return ApiError::UriTooLong(format!(
            "request URI too long: {uri_len} bytes, at most {}",
            crate::serve::MAX_URI_BYTES
        ))
        .into_response();
    }
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_DETAIL)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = parts
                .headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .filter(|a| !a.is_empty())
                .map(|a| format!("; allowed: {a}"))
                .unwrap_or_default();
            format!("{method} is not allowed on {path}{allowed}")
        }
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "request body too large (at most {} bytes)",
            crate::routes::MAX_BODY_BYTES
        ),
        _ if !text.is_empty() => text,
        _ => status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_lowercase(),
    };
    let body = json!({ "detail": detail }).to_string();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}
