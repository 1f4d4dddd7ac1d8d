//! One log line per error answer, at a level that fits, and repeats held back: an expected 503 (KATO down, Docker
//! switched off) is a WARN once per minute per cause with the number of repeats, a 4xx is DEBUG, and only our own
//! bugs (500) are ERROR. The error itself is attached to the response by [`ApiError`](crate::error::ApiError);
//! this layer, which has the state, decides whether and how to write it, so a client repeating a failing request
//! cannot flood the log.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::{extract::Request, extract::State, middleware::Next, response::Response};

use crate::state::AppState;

/// How long a repeat of the same error is held back.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Distinct errors remembered at most (the oldest is forgotten first).
const MAX_KEYS: usize = 256;

/// What an error answer carries for the log.
#[derive(Debug, Clone)]
pub struct LoggedError {
    /// HTTP status.
    pub status: u16,
    /// The full detail (for a 500: the internal one, never sent to the client).
    pub detail: String,
}

/// Repeat suppression: per error, when it was last written and how many repeats were held back since.
#[derive(Debug, Default)]
pub struct ErrorLog {
    seen: Mutex<HashMap<String, (Instant, u64)>>,
}

impl ErrorLog {
    /// Whether to write `key` at `now`; `Some(n)` with the `n` repeats held back since it was last written.
    pub fn admit(&self, key: &str, now: Instant) -> Option<u64> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        match seen.get_mut(key) {
            Some((last, held)) if now.saturating_duration_since(*last) < WINDOW => {
                *held += 1;
                None
            }
            Some((last, held)) => {
                let n = *held;
                *last = now;
                *held = 0;
                Some(n)
            }
            None => {
                if seen.len() >= MAX_KEYS
                    && let Some(oldest) = seen
                        .iter()
                        .min_by_key(|(_, (t, _))| *t)
                        .map(|(k, _)| k.clone())
                {
                    seen.remove(&oldest);
                }
                seen.insert(key.to_owned(), (now, 0));
                Some(0)
            }
        }
    }
}

/// The middleware.
pub async fn log_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let response = next.run(req).await;
    let Some(e) = response.extensions().get::<LoggedError>() else {
        return response;
    };
    let path = crate::telemetry::untrusted(&path).to_string();
    if e.status < 500 {
        tracing::debug!(status = e.status, %method, %path, detail = %e.detail, "request refused");
        return response;
    }
    let key = format!("{} {}", e.status, e.detail);
    if let Some(held) = state.error_log.admit(&key, Instant::now()) {
        if e.status == 500 {
            tracing::error!(status = e.status, %method, %path, detail = %e.detail, repeats_held_back = held, "internal error");
        } else {
            tracing::warn!(status = e.status, %method, %path, detail = %e.detail, repeats_held_back = held, "upstream error");
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_error_is_written_once_a_window_with_its_count() {
        let log = ErrorLog::default();
        let t0 = Instant::now();
        assert_eq!(log.admit("503 kato down", t0), Some(0));
        for i in 1..=100 {
            assert_eq!(
                log.admit("503 kato down", t0 + Duration::from_millis(i)),
                None
            );
        }
        assert_eq!(
            log.admit("503 docker off", t0),
            Some(0),
            "another cause is its own line"
        );
        assert_eq!(log.admit("503 kato down", t0 + WINDOW), Some(100));
        assert_eq!(
            log.admit("503 kato down", t0 + WINDOW + Duration::from_secs(1)),
            None
        );
    }

    #[test]
    fn memory_stays_bounded() {
        let log = ErrorLog::default();
        let t0 = Instant::now();
        for i in 0..1000 {
            log.admit(&format!("503 cause {i}"), t0 + Duration::from_millis(i));
        }
        assert!(log.seen.lock().unwrap_or_else(|e| e.into_inner()).len() <= MAX_KEYS);
    }
}
