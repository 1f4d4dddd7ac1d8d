//! `GET /connection-pools` and `GET /distributed-stm/stats`: database clients and the
//! Redis-streams short-term memory.
//!
//! * `/connection-pools.status` is `"degraded"` in every real deployment (KATO never creates
//!   its own Qdrant client), so show the per-database `health.*.healthy` instead. `health`
//!   is `{mongodb, redis, qdrant}` at v1 and `{redis, qdrant, clickhouse}` at v3: a map.
//!   The error body is `{status:"error", error, timestamp}` (v3 adds `null` blocks).
//! * `/distributed-stm/stats` is always `disabled` at d1391ac; at v3 it is `active` with
//!   `performance_stats` once a processor exists.

use super::{lenient, timestamp};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `GET /connection-pools`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionPools {
    /// `"healthy"` only if every entry of `health` is healthy; `"degraded"`; `"error"`.
    pub status: String,
    /// Per database client.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub health: BTreeMap<String, PoolHealth>,
    /// Loose: entries exist only for clients KATO created (`{type, status, …}`).
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub pool_statistics: BTreeMap<String, Value>,
    /// Constant marketing text.
    #[serde(default)]
    pub connection_optimization: Option<Value>,
    /// Constant marketing text.
    #[serde(default)]
    pub performance_improvements: Option<Value>,
    /// Non-null only in the error body.
    #[serde(default, deserialize_with = "lenient::opt_error")]
    pub error: Option<String>,
    #[serde(default, with = "timestamp::optional")]
    pub timestamp: Option<DateTime<Utc>>,
}

impl ConnectionPools {
    /// Whether the named database client is healthy (`None` if not listed).
    pub fn is_healthy(&self, database: &str) -> Option<bool> {
        self.health.get(database).map(|h| h.healthy)
    }
}

/// `health.<database>` of `/connection-pools`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PoolHealth {
    #[serde(default)]
    pub healthy: bool,
    /// Epoch float on the wire.
    #[serde(default, with = "timestamp::optional")]
    pub last_check: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::count")]
    pub error_count: u64,
    #[serde(default)]
    pub last_error: Option<String>,
    /// Milliseconds (in-process timings for the stand-ins used in the fixtures).
    #[serde(default)]
    pub response_time_ms: Option<f64>,
}

/// `GET /distributed-stm/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistributedStmStats {
    /// `"disabled"`, `"active"` or `"error"`.
    pub status: String,
    #[serde(default)]
    pub distributed_stm_enabled: bool,
    /// Why it is disabled.
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub processor_info: Option<StmProcessorInfo>,
    /// v3, when active.
    #[serde(default)]
    pub performance_stats: Option<StmPerformanceStats>,
    /// Constant text (v3, when active).
    #[serde(default)]
    pub expected_improvements: Option<Value>,
    /// Non-null only in the error body.
    #[serde(default, deserialize_with = "lenient::opt_error")]
    pub error: Option<String>,
    #[serde(default, with = "timestamp::optional")]
    pub timestamp: Option<DateTime<Utc>>,
}

impl DistributedStmStats {
    /// `status == "active"`.
    pub fn is_active(&self) -> bool {
        self.status.eq_ignore_ascii_case("active")
    }
}

/// `processor_info` of `/distributed-stm/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StmProcessorInfo {
    #[serde(default)]
    pub sample_processor_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::count")]
    pub total_active_processors: u64,
}

/// `performance_stats` of an active distributed STM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct StmPerformanceStats {
    #[serde(deserialize_with = "lenient::count")]
    pub events_published: u64,
    #[serde(deserialize_with = "lenient::count")]
    pub events_consumed: u64,
    #[serde(deserialize_with = "lenient::count")]
    pub cache_hits: u64,
    #[serde(deserialize_with = "lenient::count")]
    pub cache_misses: u64,
    #[serde(deserialize_with = "lenient::count")]
    pub sync_operations: u64,
    pub cache_hit_rate: f64,
    #[serde(deserialize_with = "lenient::count")]
    pub stream_length: u64,
    #[serde(deserialize_with = "lenient::count")]
    pub consumer_groups: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_parse_with_error_set() {
        let p: ConnectionPools = serde_json::from_str(
            r#"{"status":"error","error":"boom","health":null,"pool_statistics":null,
                "timestamp":"2026-11-22T02:51:31.5+00:00"}"#,
        )
        .unwrap();
        assert_eq!(p.error.as_deref(), Some("boom"));
        assert!(p.health.is_empty());
        let d: DistributedStmStats =
            serde_json::from_str(r#"{"status":"error","error":"x","timestamp":null}"#).unwrap();
        assert_eq!(d.error.as_deref(), Some("x"));
        assert!(!d.is_active());
    }
}
