//! The processor manager block shared by `/metrics`, `/stats` and `/status`.
//!
//! KATO creates one processor per node on that node's first observe/stm/learn/predict; a
//! session that was only created has none. Lists are per worker process.

use super::{lenient, timestamp};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `processor_manager` (in `/metrics`, `/stats`) and `processors` (in `/status`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ProcessorManager {
    /// Processors alive in this worker.
    #[serde(default, deserialize_with = "lenient::count")]
    pub total_processors: u64,
    /// Capacity (100 in every known version).
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub max_processors: Option<u64>,
    /// Idle processors are evicted after this many seconds (= `SESSION_TTL`).
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub eviction_ttl_seconds: Option<u64>,
    /// One entry per processor.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub processors: Vec<ProcessorInfo>,
}

/// One KATO processor (one per node id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessorInfo {
    /// `<node_id with - replaced by _>_kato`.
    pub processor_id: String,
    /// The node the processor serves.
    #[serde(default)]
    pub node_id: Option<String>,
    /// When the processor was created.
    #[serde(default, with = "timestamp::optional")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last use.
    #[serde(default, with = "timestamp::optional")]
    pub last_accessed: Option<DateTime<Utc>>,
    /// Number of accesses.
    #[serde(default, deserialize_with = "lenient::count")]
    pub access_count: u64,
    /// Seconds since the last access, when the response was built.
    #[serde(default)]
    pub idle_seconds: f64,
}
