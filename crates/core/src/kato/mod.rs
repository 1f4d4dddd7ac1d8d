//! Serde models of every KATO response the dashboard reads, for both API generations.
//!
//! KATO is a Python FastAPI service; its responses are loose, so the models here are
//! tolerant by design:
//! * unknown extra fields are ignored (later KATO versions add keys);
//! * numbers KATO sends as `4` or `4.0` parse either way ([`lenient`]);
//! * v3's `null` optional fields are the same as absent ones;
//! * `databases`, `health` and `time_series` are maps, so `mongodb` (v1) and `clickhouse`
//!   (v3) both fit;
//! * timestamps in any of KATO's four formats become `DateTime<Utc>` ([`timestamp`]);
//! * a non-null `error` in a 200 body marks KATO's fallback body (`fallback_error()`).
//!
//! No I/O here: the HTTP client lives in the `kato-dashboard-kato` crate.

pub mod cache;
pub mod concurrency;
pub mod error_body;
pub mod error_rate;
pub mod events;
pub mod generation;
pub mod lenient;
pub mod metrics;
pub mod pools;
pub mod processors;
pub mod request_rate;
pub mod service;
pub mod session;
pub mod session_ops;
pub mod stats;
pub mod timestamp;

pub use cache::{CacheHealth, CachePerformance, CacheState, CacheStats};
pub use concurrency::{
    Concurrency, ConcurrencyConfiguration, ConcurrencyLevel, ConcurrencyLimits, Recommendation,
};
pub use error_body::{KatoErrorBody, KatoErrorInfo, ValidationItem};
pub use events::{KatoEvent, SessionCreatedData, SessionDestroyedData, SnapshotData};
pub use generation::KatoGeneration;
pub use metrics::{
    DatabaseMetrics, Metrics, PerformanceMetrics, RateMetrics, ResourceMetrics, SessionMetrics,
};
pub use pools::{
    ConnectionPools, DistributedStmStats, PoolHealth, StmPerformanceStats, StmProcessorInfo,
};
pub use processors::{ProcessorInfo, ProcessorManager};
pub use service::{Health, HealthStatus, ServiceInfo, Status, StatusSessions};
pub use session::{Session, SessionCount, SessionDeleted, SessionExists, Stm};
pub use session_ops::{
    CognitionData, FinalizeTraining, LearnResult, ObserveResult, ObserveSequenceResult,
    PerceptData, Predictions, SessionCleared, SessionConfig, SessionConfigUpdated, SessionExtended,
    SymbolStat, SymbolsStats,
};
pub use stats::{
    CurrentStatus, CurrentStatusMetrics, MetricHistory, MetricStatistics, SeriesPoint, Stats,
    StatsSummary,
};
pub use timestamp::{from_epoch_seconds, parse_timestamp};

/// KATO's fallback-body marker: the top-level `error` of a 200 body, if it is non-null.
///
/// A 200 body with a non-null `error` is an error, never data (v3 sends `"error": null` in
/// every normal body, which is fine).
pub fn fallback_error(body: &serde_json::Value) -> Option<String> {
    match body.get("error")? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn fallback_error_only_when_non_null() {
        let cases = [
            (json!({"error": null, "sessions": {}}), None),
            (json!({"sessions": {}}), None),
            (
                json!({"error": "Metrics collection failed: x"}),
                Some("Metrics collection failed: x"),
            ),
            (json!({"error": {"code": "X"}}), Some(r#"{"code":"X"}"#)),
            (json!([1]), None),
        ];
        for (body, want) in cases {
            assert_eq!(super::fallback_error(&body).as_deref(), want, "{body}");
        }
    }
}
