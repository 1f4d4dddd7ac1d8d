//! The admin token: every destructive call checks it here, and every attempt is written to the audit log
//! (`target: "audit"`). Without `ADMIN_TOKEN` destructive operations are off; `DATABASE_READ_ONLY` turns them
//! off even with a token.

use axum::http::{HeaderMap, header};

use crate::{error::ApiError, state::AppState};

/// Checks the caller may perform the destructive `action` on `target`.
pub fn require_admin(
    state: &AppState,
    headers: &HeaderMap,
    action: &str,
    target: &str,
) -> Result<(), ApiError> {
    let config = &state.config;
    let Some(expected) = config.admin_token.as_deref() else {
        tracing::warn!(target: "audit", action, target = %crate::telemetry::untrusted(target), outcome = "refused", "destructive operations are off (no ADMIN_TOKEN)");
        return Err(ApiError::Forbidden(
            "destructive operations are off: set ADMIN_TOKEN to enable them".into(),
        ));
    };
    if config.read_only() {
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

/// Whether the request carries the right token (for the UI to show or hide destructive controls).
pub fn is_admin(state: &AppState, headers: &HeaderMap) -> bool {
    match (state.config.admin_token.as_deref(), token_from(headers)) {
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
