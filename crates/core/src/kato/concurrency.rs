//! `GET /concurrency`: in-flight requests of the answering worker.
//!
//! `configuration.workers` reads `UVICORN_WORKERS`, so it says 1 even when v3.10 runs 4
//! workers (`KATO_WORKERS`); KATO 5.0 fixes that.

use super::{lenient, timestamp};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `GET /concurrency`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concurrency {
    /// `"healthy"`, `"warning"`, `"critical"`.
    pub status: String,
    #[serde(default)]
    pub current: ConcurrencyLevel,
    #[serde(default)]
    pub peak: ConcurrencyLevel,
    #[serde(default)]
    pub limits: ConcurrencyLimits,
    #[serde(default)]
    pub configuration: ConcurrencyConfiguration,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub recommendations: Vec<Recommendation>,
    #[serde(default, with = "timestamp::optional")]
    pub timestamp: Option<DateTime<Utc>>,
}

/// `current` / `peak`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ConcurrencyLevel {
    #[serde(deserialize_with = "lenient::count")]
    pub concurrent_requests: u64,
    pub utilization_percent: f64,
}

/// `limits`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ConcurrencyLimits {
    #[serde(deserialize_with = "lenient::opt_count")]
    pub per_worker: Option<u64>,
    pub warning_threshold: Option<f64>,
    pub critical_threshold: Option<f64>,
    #[serde(deserialize_with = "lenient::opt_count")]
    pub total_capacity: Option<u64>,
}

/// `configuration`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ConcurrencyConfiguration {
    #[serde(deserialize_with = "lenient::opt_count")]
    pub workers: Option<u64>,
    #[serde(deserialize_with = "lenient::opt_count")]
    pub backlog: Option<u64>,
    /// `"unlimited"` or a number.
    pub max_requests: Option<Value>,
}

/// One entry of `recommendations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// `"info"`, `"warning"`, …
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub message: String,
}
