//! KATO's databases, one section each: [`MongoConfig`], [`QdrantConfig`], [`RedisConfig`] (sessions live there)
//! and [`ClickHouseConfig`]. Plain data plus the helpers that read it; no I/O.

use serde::{Deserialize, Serialize};

/// KATO's MongoDB and what its browser may read.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MongoConfig {
    /// KATO's MongoDB.
    #[serde(rename = "mongo_url")]
    pub url: String,
    /// Databases the MongoDB browser may read besides KATO's knowledge bases (comma-separated; `*` = all but
    /// MongoDB's own).
    #[serde(rename = "mongo_databases")]
    pub databases: String,
}

impl Default for MongoConfig {
    fn default() -> Self {
        Self {
            url: "mongodb://mongodb:27017".into(),
            databases: String::new(),
        }
    }
}

/// KATO's Qdrant: REST for health, gRPC for the browser.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct QdrantConfig {
    /// KATO's Qdrant.
    #[serde(rename = "qdrant_url")]
    pub url: String,
    /// Qdrant's gRPC endpoint for the browser. Unset: `url` with its REST port 6333 turned into 6334.
    #[serde(rename = "qdrant_grpc_url")]
    pub grpc_url: Option<String>,
    /// Qdrant's API key (sent as `api-key` on every call of the Qdrant browser), when Qdrant needs one.
    #[serde(rename = "qdrant_api_key")]
    pub api_key: Option<String>,
}

impl Default for QdrantConfig {
    fn default() -> Self {
        Self {
            url: "http://qdrant:6333".into(),
            grpc_url: None,
            api_key: None,
        }
    }
}

impl QdrantConfig {
    /// Qdrant's gRPC URL: `QDRANT_GRPC_URL`, else derived from `QDRANT_URL` (REST port 6333 → 6334).
    pub fn grpc_endpoint(&self) -> String {
        self.grpc_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| kato_dashboard_browse_qdrant::grpc_url_from(&self.url))
    }
}

/// KATO's Redis, where the sessions live, and how often the session list is reconciled with it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RedisConfig {
    /// KATO's Redis (sessions live here).
    #[serde(rename = "redis_url")]
    pub url: String,
    /// Seconds between Redis session reconciliations.
    pub session_reconcile_interval_seconds: f64,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: "redis://redis:6379".into(),
            session_reconcile_interval_seconds: 5.0,
        }
    }
}

/// KATO 3.x's ClickHouse (patterns), through its HTTP interface.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ClickHouseConfig {
    /// ClickHouse's HTTP interface.
    #[serde(rename = "clickhouse_url")]
    pub url: String,
    /// KATO's ClickHouse database.
    #[serde(rename = "clickhouse_database")]
    pub database: String,
    /// ClickHouse user; unset: ClickHouse's `default` (or the user in `url`).
    #[serde(rename = "clickhouse_user")]
    pub user: Option<String>,
    /// That user's password.
    #[serde(rename = "clickhouse_password")]
    pub password: Option<String>,
}

impl Default for ClickHouseConfig {
    fn default() -> Self {
        Self {
            url: "http://clickhouse:8123".into(),
            database: "kato".into(),
            user: None,
            password: None,
        }
    }
}
