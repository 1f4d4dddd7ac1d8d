//! File name → model mapping for the fixture test, and the per-model checks.
//!
//! `kind_of` is the single, exhaustive table: a name it does not know is a test failure.

mod checks;
mod embedded;

use kato_dashboard_core::kato::KatoGeneration;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt::Debug;

pub use checks::check_value;
pub use embedded::check_lines;

/// The model (or container format) a fixture file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ServiceInfo,
    Health,
    Status,
    Metrics,
    Stats,
    MetricHistory,
    CacheStats,
    ConnectionPools,
    DistributedStm,
    Concurrency,
    SessionCount,
    Session,
    Stm,
    SessionExists,
    SessionDeleted,
    Observe,
    ObserveSequence,
    Learn,
    Predictions,
    SessionCleared,
    SessionConfigUpdated,
    SessionConfig,
    SessionExtended,
    PerceptData,
    CognitionData,
    FinalizeTraining,
    SymbolsStats,
    ErrorBody,
    Timeline,
    Polls,
    PollsSummary,
    WsEvents,
    WsTranscript,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::ServiceInfo => "ServiceInfo",
            Kind::Health => "Health",
            Kind::Status => "Status",
            Kind::Metrics => "Metrics",
            Kind::Stats => "Stats",
            Kind::MetricHistory => "MetricHistory",
            Kind::CacheStats => "CacheStats",
            Kind::ConnectionPools => "ConnectionPools",
            Kind::DistributedStm => "DistributedStmStats",
            Kind::Concurrency => "Concurrency",
            Kind::SessionCount => "SessionCount",
            Kind::Session => "Session",
            Kind::Stm => "Stm",
            Kind::SessionExists => "SessionExists",
            Kind::SessionDeleted => "SessionDeleted",
            Kind::Observe => "ObserveResult",
            Kind::ObserveSequence => "ObserveSequenceResult",
            Kind::Learn => "LearnResult",
            Kind::Predictions => "Predictions",
            Kind::SessionCleared => "SessionCleared",
            Kind::SessionConfigUpdated => "SessionConfigUpdated",
            Kind::SessionConfig => "SessionConfig",
            Kind::SessionExtended => "SessionExtended",
            Kind::PerceptData => "PerceptData",
            Kind::CognitionData => "CognitionData",
            Kind::FinalizeTraining => "FinalizeTraining",
            Kind::SymbolsStats => "SymbolsStats",
            Kind::ErrorBody => "KatoErrorBody",
            Kind::Timeline => "timeline (embedded)",
            Kind::Polls => "polls (embedded)",
            Kind::PollsSummary => "polls summary",
            Kind::WsEvents => "KatoEvent lines",
            Kind::WsTranscript => "ws transcript lines",
        }
    }
}

/// `stem == prefix` or `stem` starts with `prefix_`.
fn has_prefix(stem: &str, prefix: &str) -> bool {
    stem == prefix
        || stem
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('_'))
}

/// Prefix rules, first match wins (longer prefixes before their shorter relatives).
const PREFIXES: &[(&str, Kind)] = &[
    ("health", Kind::Health),
    ("status", Kind::Status),
    ("metrics", Kind::Metrics),
    ("metric_history", Kind::MetricHistory),
    ("stats", Kind::Stats),
    ("cache_stats", Kind::CacheStats),
    ("connection_pools", Kind::ConnectionPools),
    ("distributed_stm_stats", Kind::DistributedStm),
    ("concurrency", Kind::Concurrency),
    ("sessions_count", Kind::SessionCount),
    ("session_create", Kind::Session),
    ("session_get", Kind::Session),
    ("session_stm", Kind::Stm),
    ("session_exists", Kind::SessionExists),
    ("session_delete", Kind::SessionDeleted),
    ("session_observe_sequence", Kind::ObserveSequence),
    ("session_observe", Kind::Observe),
    ("session_learn", Kind::Learn),
    ("session_predictions", Kind::Predictions),
    ("session_clear_stm", Kind::SessionCleared),
    ("session_config_update", Kind::SessionConfigUpdated),
    ("session_config_get", Kind::SessionConfig),
    ("session_extend", Kind::SessionExtended),
    ("session_percept_data", Kind::PerceptData),
    ("session_cognition_data", Kind::CognitionData),
    ("session_finalize_training", Kind::FinalizeTraining),
];

/// Maps a fixture file name to its kind; `None` = unmapped (a test failure).
pub fn kind_of(name: &str) -> Option<Kind> {
    if let Some(stem) = name.strip_suffix(".jsonl") {
        return match stem {
            "ws_transcript" => Some(Kind::WsTranscript),
            s if has_prefix(s, "ws_events") => Some(Kind::WsEvents),
            _ => None,
        };
    }
    let stem = name.strip_suffix(".json")?;
    let error_suffix = ["_400", "_404", "_405", "_422"]
        .iter()
        .any(|s| stem.ends_with(s));
    if error_suffix || stem == "sessions_list_GET" || stem == "info_GET" {
        return Some(Kind::ErrorBody);
    }
    match stem {
        "root" => return Some(Kind::ServiceInfo),
        "polls" => return Some(Kind::Polls),
        "polls_summary" => return Some(Kind::PollsSummary),
        "timeline_after_ttl_expiry" => return Some(Kind::Timeline),
        "symbols_stats" => return Some(Kind::SymbolsStats),
        _ => {}
    }
    PREFIXES
        .iter()
        .find(|(prefix, _)| has_prefix(stem, prefix))
        .map(|(_, kind)| *kind)
}

/// What a fixture's location says about the KATO that produced it.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Path relative to the fixture root.
    pub rel: String,
    /// File name.
    pub name: String,
    /// `c584167*` folders are v3.10.1, the rest d1391ac.
    pub generation: KatoGeneration,
    /// The top level ran without `REDIS_ENABLED` (pattern cache disabled).
    pub cache_enabled: bool,
}

impl Ctx {
    pub fn for_path(rel: &str, name: &str) -> Self {
        let folder = rel.split_once('/').map_or("", |(dir, _)| dir);
        Self {
            rel: rel.to_owned(),
            name: name.to_owned(),
            generation: if folder.starts_with("c584167") {
                KatoGeneration::V3
            } else {
                KatoGeneration::V1
            },
            cache_enabled: !folder.is_empty(),
        }
    }

    pub fn is(&self, stem: &str) -> bool {
        self.name.strip_suffix(".json") == Some(stem)
    }
}

/// Parses `value` as `T` and checks that `T` serializes to something that parses back equal.
pub fn parse<T>(value: &Value) -> Result<T, String>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let parsed: T = serde_json::from_value(value.clone())
        .map_err(|e| format!("does not parse as {}: {e}", std::any::type_name::<T>()))?;
    let again: T = serde_json::to_value(&parsed)
        .and_then(serde_json::from_value)
        .map_err(|e| format!("re-serialized form does not parse: {e}"))?;
    if again != parsed {
        return Err(format!(
            "round trip changed the value: {parsed:?} vs {again:?}"
        ));
    }
    Ok(parsed)
}

/// `Err(msg)` unless `cond`.
pub fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(msg()) }
}
