//! `/analytics/overview` and `/analytics/database/statistics`: the knowledge bases of the store KATO's
//! generation uses ([`crate::recorder::kb::inventory`]), Redis's `INFO` (memory, clients, and the keys of every
//! database from its keyspace section — the old dashboard read a `db0` field that never exists: defect D21),
//! Qdrant's `vectors_*` collections, and KATO's latest figures from the hub. All stores are asked at once; one
//! that is down leaves the old defaults in its part and is named in `errors`.

use std::collections::BTreeMap;

use chrono::Utc;
use kato_dashboard_core::time::rfc3339;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Errors, live::live, round2};
use crate::{
    error::ApiError,
    recorder::kb::{self, Inventory, KbStore},
    state::AppState,
};

/// The prefix KATO gives a knowledge base's Qdrant collection.
const VECTORS_PREFIX: &str = "vectors_";

/// What the analytics show of Redis's `INFO`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedisFigures {
    /// `used_memory_human` (`"1.05M"`).
    used_memory: String,
    /// `used_memory`, bytes.
    used_memory_bytes: u64,
    /// Clients connected.
    connected_clients: u64,
    /// Keys of every database.
    total_keys: u64,
}

impl Default for RedisFigures {
    fn default() -> Self {
        Self {
            used_memory: "unknown".into(),
            used_memory_bytes: 0,
            connected_clients: 0,
            total_keys: 0,
        }
    }
}

/// The summary `RedisBrowser::info` makes of `INFO` (the fields read here).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InfoSummary {
    info: InfoFields,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InfoFields {
    connected_clients: u64,
    used_memory: u64,
    used_memory_human: Option<String>,
    keyspace: BTreeMap<String, Keyspace>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Keyspace {
    keys: u64,
}

/// Redis's figures from the browser's `INFO` summary.
fn redis_figures(summary: Value) -> Result<RedisFigures, ApiError> {
    let summary: InfoSummary =
        serde_json::from_value(summary).map_err(|e| ApiError::BadGateway {
            upstream: "redis",
            reason: format!("INFO does not read: {e}"),
        })?;
    let info = summary.info;
    Ok(RedisFigures {
        used_memory: info.used_memory_human.unwrap_or_else(|| "unknown".into()),
        used_memory_bytes: info.used_memory,
        connected_clients: info.connected_clients,
        total_keys: info.keyspace.values().map(|k| k.keys).sum(),
    })
}

async fn redis(state: &AppState) -> Result<RedisFigures, ApiError> {
    redis_figures(state.redis_browser.info().await?)
}

/// The `vectors_*` collections of Qdrant, by name.
async fn vector_collections(state: &AppState) -> Result<Vec<String>, ApiError> {
    let browser = state
        .qdrant
        .as_ref()
        .map_err(|reason| ApiError::Unavailable {
            upstream: "qdrant",
            reason: reason.clone(),
        })?;
    let collections = browser
        .collections()
        .await
        .map_err(|e| ApiError::Unavailable {
            upstream: "qdrant",
            reason: e.to_string(),
        })?;
    Ok(collections
        .into_iter()
        .map(|c| c.name)
        .filter(|n| n.starts_with(VECTORS_PREFIX))
        .collect())
}

/// The knowledge bases, or the stores that did not answer named in `errors`.
async fn knowledge_bases(state: &AppState, errors: &mut Errors) -> Option<Inventory> {
    match kb::inventory(state, false).await {
        Ok(inventory) => Some(inventory),
        Err(failures) => {
            for (store, e) in &failures {
                errors.add(store, e);
            }
            None
        }
    }
}

/// `mongodb` of `/analytics/database/statistics`: the knowledge bases of whichever store holds them.
#[derive(Debug, Clone, Serialize)]
pub struct KbTotals {
    /// Knowledge bases.
    processors: usize,
    /// Patterns of all of them.
    total_patterns: u64,
    /// Their mean, 2 decimals.
    avg_patterns_per_processor: f64,
    /// `mongodb` (KATO 1.x) or `clickhouse` (3.x); `null` when no store answered.
    source: Option<KbStore>,
}

/// The answer of `/analytics/database/statistics`.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseStatistics {
    mongodb: KbTotals,
    redis: RedisFigures,
    timestamp: String,
    errors: Errors,
}

/// Knowledge-base and Redis figures (never fails: a store that is down is named in `errors`).
pub(super) async fn database_statistics(state: &AppState) -> DatabaseStatistics {
    let mut errors = Errors::default();
    let (inventory, redis) = tokio::join!(knowledge_bases(state, &mut errors), redis(state));
    let redis = redis.unwrap_or_else(|e| {
        errors.add("redis", e);
        RedisFigures::default()
    });
    let (processors, total_patterns) = inventory.as_ref().map_or((0, 0), |i| {
        (i.kbs.len(), i.kbs.iter().filter_map(|k| k.patterns).sum())
    });
    let avg = if processors > 0 {
        round2(total_patterns as f64 / processors as f64)
    } else {
        0.0
    };
    DatabaseStatistics {
        mongodb: KbTotals {
            processors,
            total_patterns,
            avg_patterns_per_processor: avg,
            source: inventory.map(|i| i.store),
        },
        redis,
        timestamp: rfc3339(Utc::now()),
        errors,
    }
}

/// `sessions` of the overview.
#[derive(Debug, Clone, Serialize)]
pub struct SessionCounts {
    /// Live sessions (0 while unknown).
    active: u64,
    /// Sessions the dashboard saw created since it started (KATO's own counter is always 0).
    total_created: u64,
}

/// `processors` of the overview.
#[derive(Debug, Clone, Serialize)]
pub struct Processors {
    total: usize,
    processor_ids: Vec<String>,
    /// The store read (`null`: none answered).
    source: Option<KbStore>,
}

/// `vector_collections` of the overview.
#[derive(Debug, Clone, Serialize)]
pub struct VectorCollections {
    total: usize,
    collections: Vec<String>,
}

/// `redis` of the overview.
#[derive(Debug, Clone, Serialize)]
pub struct RedisOverview {
    connected_clients: u64,
    used_memory_human: String,
}

/// The answer of `/analytics/overview`.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// KATO's clock at its last `/metrics` (epoch seconds), else now.
    timestamp: f64,
    sessions: SessionCounts,
    processors: Processors,
    vector_collections: VectorCollections,
    /// KATO's `performance` object (`{}` while KATO is not read).
    performance: Value,
    /// KATO's `resources` object (`{}` while KATO is not read).
    resources: Value,
    redis: RedisOverview,
    errors: Errors,
}

/// The overview (never fails: a store that is down is named in `errors`).
pub(super) async fn overview(state: &AppState) -> Overview {
    let live = live(state);
    let mut errors = live.errors.clone();
    let (inventory, vectors, redis) = tokio::join!(
        knowledge_bases(state, &mut errors),
        vector_collections(state),
        redis(state)
    );
    let collections = vectors.unwrap_or_else(|e| {
        errors.add("qdrant", e);
        Vec::new()
    });
    let redis = redis.unwrap_or_else(|e| {
        errors.add("redis", e);
        RedisFigures::default()
    });
    let processor_ids: Vec<String> = inventory
        .as_ref()
        .map(|i| i.kbs.iter().map(|k| k.kb_id.clone()).collect())
        .unwrap_or_default();
    Overview {
        timestamp: live
            .timestamp
            .unwrap_or_else(|| Utc::now().timestamp_millis() as f64 / 1000.0),
        sessions: SessionCounts {
            active: live.active_sessions.unwrap_or(0),
            total_created: live.total_created,
        },
        processors: Processors {
            total: processor_ids.len(),
            processor_ids,
            source: inventory.map(|i| i.store),
        },
        vector_collections: VectorCollections {
            total: collections.len(),
            collections,
        },
        performance: live.performance,
        resources: live.resources,
        redis: RedisOverview {
            connected_clients: redis.connected_clients,
            used_memory_human: redis.used_memory,
        },
        errors,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn redis_keys_are_summed_over_every_database() {
        // The shape `RedisBrowser::info` gives.
        let summary = serde_json::json!({
            "info": {
                "connected_clients": 3,
                "used_memory": 1_048_576,
                "used_memory_human": "1.00M",
                "keyspace": {"db0": {"keys": 13, "expires": 12}, "db2": {"keys": 4, "expires": 0}},
            },
            "cache_hit_rate": 75.0,
        });
        let got = redis_figures(summary).unwrap();
        assert_eq!(
            got,
            RedisFigures {
                used_memory: "1.00M".into(),
                used_memory_bytes: 1_048_576,
                connected_clients: 3,
                total_keys: 17,
            }
        );
    }
}
