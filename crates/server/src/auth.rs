//! The admin token: every destructive call checks it here, and every attempt is written to the audit log
//! (`target: "audit"`). Without `ADMIN_TOKEN` destructive operations are off; `DATABASE_READ_ONLY` turns them
//! off even with a token. The database browsers are read-only by default ([`require_browser_admin`]).

use axum::http::{HeaderMap, header};

use crate::{config::Config, error::ApiError, state::AppState};

/// Checks the caller may perform the destructive `action` on `target`.
pub fn require_admin(
    state: &AppState,
    headers: &HeaderMap,
    action: &str,
    target: &str,
) -> Result<(), ApiError> {
    let config = &state.config;
    let Some(expected) = config.auth.admin_token.as_deref() else {
        tracing::warn!(target: "audit", action, target = %crate::telemetry::untrusted(target), outcome = "refused", "destructive operations are off (no ADMIN_TOKEN)");
        return Err(ApiError::Forbidden(
            "destructive operations are off: set ADMIN_TOKEN to enable them".into(),
        ));
    };
    if config.auth.read_only() {
        tracing::warn!(target: "audit", action, target = %crate::telemetry::untrusted(target), outcome = "refused", "read-only mode");
        return Err(ApiError::Forbidden(
            "read-only mode is on (DATABASE_READ_ONLY)".into(),
        ));
    }
    let given = token_from(headers);
    if !given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes())) {
        tracing::warn!(target: "audit", action, target = %crate::telemetry::untrusted(target), outcome = "denied", "missing or wrong admin token");
        return Err(ApiError::Unauthorized);
    }
    tracing::info!(target: "audit", action, target = %crate::telemetry::untrusted(target), outcome = "allowed", "admin operation");
    Ok(())
}

/// Whether the database browsers refuse every change: `DATABASE_READ_ONLY` (or the legacy `MONGO_READ_ONLY`)
/// unset counts as `true` for them.
pub fn browsers_read_only(config: &Config) -> bool {
    config
        .auth
        .database_read_only
        .or(config.auth.mongo_read_only)
        .unwrap_or(true)
}

/// Passes when the caller may perform the destructive `action` on `target` with a database browser: the
/// browsers are writable ([`browsers_read_only`]) and [`require_admin`] passes.
pub fn require_browser_admin(
    state: &AppState,
    headers: &HeaderMap,
    action: &str,
    target: &str,
) -> Result<(), ApiError> {
    if browsers_read_only(&state.config) {
        tracing::warn!(target: "audit", action, target = %crate::telemetry::untrusted(target), outcome = "refused", "database browsers are read-only");
        return Err(ApiError::Forbidden(
            "the database browsers are read-only: set DATABASE_READ_ONLY=false and ADMIN_TOKEN to allow changes"
                .into(),
        ));
    }
    require_admin(state, headers, action, target)
}

/// Whether the request carries the right token (for the UI to show or hide destructive controls).
pub fn is_admin(state: &AppState, headers: &HeaderMap) -> bool {
    match (
        state.config.auth.admin_token.as_deref(),
        token_from(headers),
    ) {
        (Some(expected), Some(given)) => constant_time_eq(given.as_bytes(), expected.as_bytes()),
        _ => false,
    }
}

fn token_from(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get("x-admin-token").and_then(|v| v.to_str().ok()) {
        return Some(v.trim());
    }
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// Compares without an early exit, so timing does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_from_either_header() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-admin-token",
            "abc".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(token_from(&h), Some("abc"));
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            "Bearer xyz".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(token_from(&h), Some("xyz"));
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"diff"));
        assert!(!constant_time_eq(b"short", b"longer"));
    }
}
