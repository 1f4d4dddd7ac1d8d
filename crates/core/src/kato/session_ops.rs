//! The other session responses (observe, learn, predictions, config, …).
//!
//! A dashboard rarely reads these, so the models are loose: the fields worth showing are
//! typed, the rest (prediction objects, cognition data) stay `serde_json::Value`.

use super::lenient;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `POST /sessions/{id}/observe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObserveResult {
    /// `"okay"`.
    pub status: String,
    #[serde(default)]
    pub session_id: Option<String>,
    /// Equals the node id.
    #[serde(default)]
    pub processor_id: Option<String>,
    #[serde(deserialize_with = "lenient::count")]
    pub stm_length: u64,
    #[serde(default)]
    pub time: Option<Value>,
    /// `obs-<hex>`.
    pub unique_id: String,
    #[serde(default)]
    pub auto_learned_pattern: Option<String>,
}

/// `POST /sessions/{id}/observe-sequence`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObserveSequenceResult {
    /// `"completed"`.
    pub status: String,
    #[serde(default)]
    pub processor_id: Option<String>,
    #[serde(deserialize_with = "lenient::count")]
    pub observations_processed: u64,
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub initial_stm_length: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub final_stm_length: Option<u64>,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub results: Vec<Value>,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub auto_learned_patterns: Vec<String>,
    #[serde(default)]
    pub final_learned_pattern: Option<String>,
    #[serde(default)]
    pub isolated: bool,
}

/// `POST /sessions/{id}/learn`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnResult {
    /// `"learned"`.
    pub status: String,
    /// `PTRN|<sha1>`.
    #[serde(default)]
    pub pattern_name: Option<String>,
    pub session_id: String,
    #[serde(default)]
    pub processor_id: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// `GET /sessions/{id}/predictions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predictions {
    /// Prediction objects (v3 adds `anomalies`, `weighted_*`, `tfidf_score`, …).
    #[serde(deserialize_with = "lenient::null_default")]
    pub predictions: Vec<Value>,
    #[serde(default)]
    pub future_potentials: Option<Value>,
    pub session_id: String,
    #[serde(default)]
    pub processor_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub count: Option<u64>,
    #[serde(default)]
    pub time: Option<Value>,
    #[serde(default)]
    pub unique_id: Option<String>,
}

/// `POST /sessions/{id}/clear-stm` and `/clear-all` → `{status:"cleared", session_id, scope?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCleared {
    pub status: String,
    pub session_id: String,
    /// `"all"` for `/clear-all`.
    #[serde(default)]
    pub scope: Option<String>,
}

/// `POST /sessions/{id}/config` → `{status:"okay", message, session_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionConfigUpdated {
    pub status: String,
    #[serde(default)]
    pub message: Option<String>,
    pub session_id: String,
}

/// `POST /sessions/{id}/extend?ttl_seconds=N` (at v3 overwritten by the next access).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionExtended {
    /// `"extended"`.
    pub status: String,
    pub session_id: String,
    pub ttl_seconds: i64,
}

/// `GET /sessions/{id}/config` (v3 only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionConfig {
    pub session_id: String,
    #[serde(deserialize_with = "lenient::null_default")]
    pub config: Map<String, Value>,
}

/// `GET /sessions/{id}/percept-data` (v3, deprecated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerceptData {
    pub percept_data: Value,
    pub session_id: String,
    #[serde(default)]
    pub node_id: Option<String>,
}

/// `GET /sessions/{id}/cognition-data` (v3, deprecated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CognitionData {
    pub cognition_data: Value,
    pub session_id: String,
    #[serde(default)]
    pub node_id: Option<String>,
}

/// `POST /sessions/{id}/finalize-training` (v3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalizeTraining {
    /// `"completed"`.
    pub status: String,
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub patterns_processed: Option<u64>,
    #[serde(default)]
    pub time_ms: Option<f64>,
    pub session_id: String,
    #[serde(default)]
    pub node_id: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// `GET /symbols/stats?node_id=` (v3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SymbolsStats {
    #[serde(deserialize_with = "lenient::null_default")]
    pub symbols: BTreeMap<String, SymbolStat>,
    /// The knowledge-base id (`<node>_kato`).
    #[serde(default)]
    pub node_id: Option<String>,
}

/// One symbol of `/symbols/stats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolStat {
    pub name: String,
    #[serde(default, deserialize_with = "lenient::count")]
    pub frequency: u64,
    #[serde(default, deserialize_with = "lenient::count")]
    pub pattern_member_frequency: u64,
}
