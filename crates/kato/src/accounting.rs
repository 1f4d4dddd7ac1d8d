//! Request accounting: the client counts its own calls and failures.
//!
//! KATO's own failure counters are hidden and reset on every restart; these counters are
//! the dashboard-side view ("how often did KATO fail us"), cheap atomics shared by every
//! clone of the client.

use kato_dashboard_core::kato::error_rate::CounterSample;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::KatoError;

/// A snapshot of the client's counters since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RequestStats {
    /// Calls made (each typed method or `get_json` is one call).
    pub requests: u64,
    /// Calls that returned data (including "unsupported" answers and expected 404s such as
    /// a missing session, which are KATO working correctly).
    pub succeeded: u64,
    /// Calls that failed for a reason other than a missing session/metric.
    pub failed: u64,
    /// Of `failed`: timeouts.
    pub timeouts: u64,
    /// Of `failed`: connection refused/reset/DNS.
    pub unreachable: u64,
    /// Of `failed`: non-2xx answers other than a recognised not-found.
    pub http_errors: u64,
    /// Of `failed`: undecodable 2xx bodies.
    pub decode_errors: u64,
    /// Of `failed`: 2xx fallback bodies carrying `error`.
    pub upstream_errors: u64,
    /// Of `failed`: requests that could not be built.
    pub invalid_requests: u64,
    /// Missing session or metric (not counted in `failed`).
    pub not_found: u64,
}

impl RequestStats {
    /// `failed / requests`; `None` before the first call.
    pub fn failure_ratio(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.failed as f64 / self.requests as f64)
    }

    /// The counters as a sample for [`kato_dashboard_core::kato::error_rate::counter_delta`]
    /// (rate between two snapshots).
    pub fn counter_sample(&self) -> CounterSample {
        CounterSample {
            failed: self.failed as f64,
            total: self.requests as f64,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    timeouts: AtomicU64,
    unreachable: AtomicU64,
    http_errors: AtomicU64,
    decode_errors: AtomicU64,
    upstream_errors: AtomicU64,
    invalid_requests: AtomicU64,
    not_found: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    /// Counts one finished call.
    pub(crate) fn record<T>(&self, result: &Result<T, KatoError>) {
        bump(&self.requests);
        let Err(e) = result else {
            bump(&self.succeeded);
            return;
        };
        let class = match e {
            KatoError::NotFound { .. } => {
                bump(&self.not_found);
                return;
            }
            KatoError::Timeout { .. } => &self.timeouts,
            KatoError::Unreachable { .. } => &self.unreachable,
            KatoError::Http { .. } => &self.http_errors,
            KatoError::Decode { .. } => &self.decode_errors,
            KatoError::Upstream { .. } => &self.upstream_errors,
            KatoError::InvalidRequest(_) => &self.invalid_requests,
        };
        bump(class);
        bump(&self.failed);
    }

    pub(crate) fn snapshot(&self) -> RequestStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        RequestStats {
            requests: get(&self.requests),
            succeeded: get(&self.succeeded),
            failed: get(&self.failed),
            timeouts: get(&self.timeouts),
            unreachable: get(&self.unreachable),
            http_errors: get(&self.http_errors),
            decode_errors: get(&self.decode_errors),
            upstream_errors: get(&self.upstream_errors),
            invalid_requests: get(&self.invalid_requests),
            not_found: get(&self.not_found),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn counts_by_class() {
        let c = Counters::default();
        c.record::<()>(&Ok(()));
        c.record::<()>(&Err(KatoError::Timeout {
            path: "/x".into(),
            timeout: Duration::from_secs(1),
        }));
        c.record::<()>(&Err(KatoError::NotFound {
            kind: crate::error::NotFoundKind::Session,
            id: "s".into(),
            body: None,
        }));
        let s = c.snapshot();
        assert_eq!(
            (s.requests, s.succeeded, s.failed, s.timeouts, s.not_found),
            (3, 1, 1, 1, 1)
        );
        assert_eq!(s.failure_ratio(), Some(1.0 / 3.0));
        assert_eq!(s.counter_sample().total, 3.0);
        assert_eq!(RequestStats::default().failure_ratio(), None);
    }
}
