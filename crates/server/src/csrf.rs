//! Cross-site requests. A page on another site can make a browser send a "simple" POST (a form, or `fetch` with
//! `text/plain`) to this server without asking it first, and the browser attaches nothing that would stop it. So a
//! POST to `/api` must carry `Content-Type: application/json` or a custom header (`X-Requested-With`,
//! `X-Admin-Token`, `Authorization`) — neither can be sent cross-site without a CORS preflight, which only
//! `CORS_ORIGINS` pass. Otherwise: 415 with the reason. PUT, PATCH and DELETE are never "simple": a browser always
//! asks first, so CORS already guards them.
//!
//! `ALLOWED_HOSTS` (optional) also checks the `Host` header against DNS rebinding: a page whose name suddenly
//! resolves to this server still sends its own name as `Host`.

use axum::{
    extract::{Request, State},
    http::{Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{error::ApiError, state::AppState};

/// The middleware.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Err(e) = check(&state, &req) {
        return e.into_response();
    }
    next.run(req).await
}

fn check(state: &AppState, req: &Request) -> Result<(), ApiError> {
    let allowed = crate::config::split_list(&state.config.http.allowed_hosts);
    if !allowed.is_empty() {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let name = host.rsplit_once(':').map_or(host, |(n, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                n
            } else {
                host
            }
        });
        if !allowed
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case(name) || a.eq_ignore_ascii_case(host))
        {
            return Err(ApiError::Forbidden(format!(
                "host {:?} is not in ALLOWED_HOSTS",
                crate::telemetry::untrusted(host).to_string()
            )));
        }
    }
    if req.method() != Method::POST || !req.uri().path().starts_with("/api/") {
        return Ok(());
    }
    let headers = req.headers();
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    let custom = ["x-requested-with", "x-admin-token", "authorization"]
        .iter()
        .any(|h| headers.contains_key(*h));
    if json || custom {
        return Ok(());
    }
    Err(ApiError::UnsupportedMediaType(
        "a POST needs Content-Type: application/json or an X-Requested-With header".into(),
    ))
}
