//! The session record KATO keeps in Redis (`kato:session:<id>`, a JSON STRING with a TTL) and
//! the REST `SessionResponse` derived from it.
//!
//! Stored fields (kato-api.md §1.3, checked against `stores-d1391ac/redis/keys.json`):
//! `session_id, node_id, created_at, last_accessed, expires_at, stm, emotives_accumulator,
//! metadata_accumulator, time, metadata, access_count, max_stm_size, max_emotives_size,
//! max_metadata_size, session_config` (+ `ttl_seconds, percept_data, predictions` at v3),
//! written with Python `json.dumps` separators.

use chrono::{DateTime, Utc};

use crate::config::Flavour;
use crate::json::Json;
use crate::obj;
use crate::timefmt;

/// Redis key prefix of sessions.
pub const KEY_PREFIX: &str = "kato:session:";
/// v3.10.1's Redis SET of session ids (SCARD = the session count).
pub const ACTIVE_INDEX: &str = "kato:session:_active_index";

/// The Redis key of a session.
pub fn key(session_id: &str) -> String {
    format!("{KEY_PREFIX}{session_id}")
}

/// The tunable keys of v1's `SessionConfiguration`, in model order.
const V1_CONFIG_KEYS: [&str; 8] = [
    "max_pattern_length",
    "persistence",
    "recall_threshold",
    "stm_mode",
    "indexer_type",
    "max_predictions",
    "sort_symbols",
    "process_predictions",
];

/// v3's full effective configuration, with its defaults (fx:c584167/session_create.json).
fn v3_config_defaults() -> Vec<(String, Json)> {
    let defaults = obj! {
        "max_pattern_length" => 0,
        "persistence" => 5,
        "recall_threshold" => 0.1,
        "indexer_type" => "VI",
        "max_predictions" => 100,
        "sort_symbols" => true,
        "process_predictions" => true,
        "use_token_matching" => true,
        "stm_mode" => "CLEAR",
        "rank_sort_algo" => "potential",
        "filter_pipeline" => Json::Arr(vec![]),
        "length_min_ratio" => 0.5,
        "length_max_ratio" => 2.0,
        "jaccard_threshold" => 0.3,
        "jaccard_min_overlap" => 2,
        "minhash_threshold" => 0.7,
        "minhash_bands" => 20,
        "minhash_rows" => 5,
        "minhash_num_hashes" => 100,
        "bloom_false_positive_rate" => 0.01,
        "max_candidates_per_stage" => 100000,
        "enable_filter_metrics" => true,
    };
    match defaults {
        Json::Obj(fields) => fields,
        _ => Vec::new(),
    }
}

/// A session's configuration: the tunables (null = unset at v1) plus bookkeeping.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionConfig {
    pub values: Vec<(String, Json)>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl SessionConfig {
    /// The initial configuration, with `overrides` (the create request's `config`) applied.
    pub fn new(flavour: Flavour, now: DateTime<Utc>, overrides: Option<&Json>) -> SessionConfig {
        let values = match flavour {
            Flavour::V1 => V1_CONFIG_KEYS
                .iter()
                .map(|k| (k.to_string(), Json::Null))
                .collect(),
            Flavour::V3 => v3_config_defaults(),
        };
        let mut config = SessionConfig {
            values,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        if let Some(o) = overrides {
            config.apply(o, now);
        }
        config
    }

    /// Applies known keys from `update` (unknown keys are ignored, as KATO's model does).
    /// Returns whether anything changed.
    pub fn apply(&mut self, update: &Json, now: DateTime<Utc>) -> bool {
        let mut changed = false;
        for (k, v) in update.as_object().unwrap_or(&[]) {
            if let Some((_, slot)) = self.values.iter_mut().find(|(key, _)| key == k)
                && !v.is_null()
            {
                *slot = v.clone();
                changed = true;
            }
        }
        if changed {
            self.version += 1;
            self.updated_at = now;
        }
        changed
    }

    /// A tunable's value, if set.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    /// The REST view: v1 only the keys that were set; v3 the full effective configuration.
    pub fn response(&self) -> Json {
        Json::Obj(
            self.values
                .iter()
                .filter(|(_, v)| !v.is_null())
                .cloned()
                .collect(),
        )
    }

    fn to_json(&self, session_id: &str, node_id: &str) -> Json {
        let mut fields = self.values.clone();
        fields.push(("session_id".into(), session_id.into()));
        fields.push(("node_id".into(), node_id.into()));
        fields.push((
            "created_at".into(),
            timefmt::iso_offset(&self.created_at).into(),
        ));
        fields.push((
            "updated_at".into(),
            timefmt::iso_offset(&self.updated_at).into(),
        ));
        fields.push(("version".into(), self.version.into()));
        Json::Obj(fields)
    }

    fn from_json(flavour: Flavour, v: &Json, fallback: DateTime<Utc>) -> SessionConfig {
        let mut config = SessionConfig::new(flavour, fallback, None);
        for (k, slot) in config.values.iter_mut() {
            if let Some(stored) = v.get(k) {
                *slot = stored.clone();
            }
        }
        let time = |key: &str| v.get(key).and_then(Json::as_str).and_then(timefmt::parse);
        config.created_at = time("created_at").unwrap_or(fallback);
        config.updated_at = time("updated_at").unwrap_or(fallback);
        config.version = v.get("version").and_then(Json::as_i64).unwrap_or(1);
        config
    }
}

/// One session as stored in Redis.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRecord {
    pub session_id: String,
    pub node_id: String,
    pub created_at: DateTime<Utc>,
    pub last_accessed: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub stm: Vec<Vec<String>>,
    pub emotives_accumulator: Vec<Json>,
    pub metadata_accumulator: Vec<Json>,
    pub time: i64,
    pub metadata: Json,
    pub access_count: i64,
    pub session_config: SessionConfig,
    /// The session's own TTL (v3 stores it; it drives the sliding expiry).
    pub ttl_seconds: u64,
    /// v3: the last observation as KATO's percept data.
    pub percept_data: Json,
    /// v3: the last predictions computed for this session.
    pub predictions: Vec<Json>,
}

const MAX_SIZE: i64 = 1000;

impl SessionRecord {
    /// Serializes as KATO writes it (Python `json.dumps`).
    pub fn to_redis_value(&self, flavour: Flavour) -> String {
        let stm: Vec<Json> = self
            .stm
            .iter()
            .map(|e| Json::Arr(e.iter().map(Json::from).collect()))
            .collect();
        let mut v = obj! {
            "session_id" => &self.session_id,
            "node_id" => &self.node_id,
            "created_at" => timefmt::iso_offset(&self.created_at),
            "last_accessed" => timefmt::iso_offset(&self.last_accessed),
            "expires_at" => timefmt::iso_offset(&self.expires_at),
            "stm" => Json::Arr(stm),
            "emotives_accumulator" => Json::Arr(self.emotives_accumulator.clone()),
            "metadata_accumulator" => Json::Arr(self.metadata_accumulator.clone()),
            "time" => self.time,
            "metadata" => self.metadata.clone(),
            "access_count" => self.access_count,
            "max_stm_size" => MAX_SIZE,
            "max_emotives_size" => MAX_SIZE,
            "max_metadata_size" => MAX_SIZE,
            "session_config" => self.session_config.to_json(&self.session_id, &self.node_id),
        };
        if flavour == Flavour::V3 {
            v.set("ttl_seconds", self.ttl_seconds);
            v.set("percept_data", self.percept_data.clone());
            v.set("predictions", Json::Arr(self.predictions.clone()));
        }
        v.to_python()
    }

    /// Parses a stored value; `None` when it is not a KATO session.
    pub fn from_redis_value(flavour: Flavour, raw: &str) -> Option<SessionRecord> {
        let v = Json::parse(raw.as_bytes()).ok()?;
        let time = |key: &str| v.get(key).and_then(Json::as_str).and_then(timefmt::parse);
        let created_at = time("created_at")?;
        let expires_at = time("expires_at")?;
        let stm = v
            .get("stm")
            .and_then(Json::as_array)
            .unwrap_or(&[])
            .iter()
            .map(|e| {
                e.as_array()
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .collect();
        let list = |key: &str| {
            v.get(key)
                .and_then(Json::as_array)
                .map(<[Json]>::to_vec)
                .unwrap_or_default()
        };
        let default_ttl = (expires_at - created_at).num_seconds().max(1) as u64;
        Some(SessionRecord {
            session_id: v.get("session_id")?.as_str()?.to_string(),
            node_id: v
                .get("node_id")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string(),
            created_at,
            last_accessed: time("last_accessed").unwrap_or(created_at),
            expires_at,
            stm,
            emotives_accumulator: list("emotives_accumulator"),
            metadata_accumulator: list("metadata_accumulator"),
            time: v.get("time").and_then(Json::as_i64).unwrap_or(0),
            metadata: v.get("metadata").cloned().unwrap_or_else(Json::object),
            access_count: v.get("access_count").and_then(Json::as_i64).unwrap_or(0),
            session_config: SessionConfig::from_json(
                flavour,
                v.get("session_config").unwrap_or(&Json::Null),
                created_at,
            ),
            ttl_seconds: v
                .get("ttl_seconds")
                .and_then(Json::as_i64)
                .map_or(default_ttl, |t| t.max(1) as u64),
            percept_data: v.get("percept_data").cloned().unwrap_or(Json::Null),
            predictions: list("predictions"),
        })
    }

    /// Whole seconds until `expires_at` (may be ≤ 0).
    pub fn remaining_seconds(&self, now: DateTime<Utc>) -> i64 {
        let micros = (self.expires_at - now)
            .num_microseconds()
            .unwrap_or(i64::MAX);
        micros.div_euclid(1_000_000)
    }

    /// Records an access (`update_access()` in KATO).
    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.last_accessed = now;
        self.access_count += 1;
    }

    /// The REST `SessionResponse`. `ttl_seconds` is the create-time TTL on create, the remaining
    /// whole seconds otherwise.
    pub fn response(&self, ttl_seconds: i64) -> Json {
        obj! {
            "session_id" => &self.session_id,
            "node_id" => &self.node_id,
            "created_at" => timefmt::iso_z(&self.created_at),
            "expires_at" => timefmt::iso_z(&self.expires_at),
            "ttl_seconds" => ttl_seconds,
            "metadata" => self.metadata.clone(),
            "session_config" => self.session_config.response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(flavour: Flavour) -> SessionRecord {
        let now = timefmt::now();
        let cfg = Json::parse(br#"{"max_predictions": 5, "recall_threshold": 0.2}"#).unwrap();
        SessionRecord {
            session_id: "session-00000000000000000000000000000001-1".into(),
            node_id: "dash-bob".into(),
            created_at: now,
            last_accessed: now,
            expires_at: now + chrono::Duration::seconds(7200),
            stm: vec![vec!["a".into(), "b".into()]],
            emotives_accumulator: vec![],
            metadata_accumulator: vec![],
            time: 1,
            metadata: obj! { "user" => "bob" },
            access_count: 0,
            session_config: SessionConfig::new(flavour, now, Some(&cfg)),
            ttl_seconds: 7200,
            percept_data: Json::Null,
            predictions: vec![],
        }
    }

    #[test]
    fn v1_config_response_lists_only_set_keys_in_model_order() {
        let r = record(Flavour::V1);
        assert_eq!(
            r.session_config.response().to_compact(),
            r#"{"recall_threshold":0.2,"max_predictions":5}"#
        );
        assert_eq!(r.session_config.version, 2);
    }

    #[test]
    fn v3_config_is_full() {
        let r = record(Flavour::V3);
        let resp = r.session_config.response();
        assert_eq!(resp.as_object().unwrap().len(), 22);
        assert_eq!(resp.get("max_predictions"), Some(&Json::Int(5)));
    }

    #[test]
    fn redis_value_round_trips() {
        for flavour in [Flavour::V1, Flavour::V3] {
            let r = record(flavour);
            let raw = r.to_redis_value(flavour);
            assert!(raw.starts_with(r#"{"session_id": "session-"#), "{raw}");
            assert_eq!(SessionRecord::from_redis_value(flavour, &raw), Some(r));
        }
    }
}
