//! Which KATO API generation we are talking to, and how to tell.
//!
//! * **V1**: the d1391ac era. `GET /` reports `"1.0.0"`, patterns live in MongoDB
//!   (`databases.mongodb`), optional fields are left out, there is no
//!   `/sessions/{id}/exists`, and reading a session does not extend its TTL.
//! * **V3**: 3.x and later. ClickHouse (`databases.clickhouse`), optional fields sent as
//!   `null`, `/sessions/{id}/exists`, sliding session TTL (polling `GET /sessions/{id}` keeps a
//!   session alive).
//!
//! Caveat: releases before 3.9.1 still reported the hard-coded `"1.0.0"` in `GET /`; shape
//! detection ([`KatoGeneration::from_shape`] on a `/metrics` body) catches those from 3.1.0 on.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The KATO API generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum KatoGeneration {
    /// d1391ac era (`version "1.0.0"`, MongoDB).
    V1,
    /// 3.x and later (ClickHouse, `null` optional fields, `/sessions/{id}/exists`).
    V3,
    /// Not detected (yet), or an unparseable version.
    #[default]
    Unknown,
}

impl KatoGeneration {
    /// Detects the generation from `GET /`'s `version`: major 0–2 → V1, 3 and later → V3.
    pub fn from_version(version: &str) -> Self {
        let v = version.trim();
        let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
        let major = v.split(['.', '-', '+']).next().unwrap_or_default();
        match major.parse::<u32>() {
            Ok(0..=2) => Self::V1,
            Ok(_) => Self::V3,
            Err(_) => Self::Unknown,
        }
    }

    /// Detects the generation from the shape of a `/metrics`, `/stats` or
    /// `/connection-pools` body.
    ///
    /// ClickHouse anywhere in `databases`/`summary.databases`/`health`, or one of the v3
    /// `null` keys (`error`, `uptime_seconds`, `active_sessions`) → V3; MongoDB → V1;
    /// otherwise Unknown.
    pub fn from_shape(body: &Value) -> Self {
        let Some(obj) = body.as_object() else {
            return Self::Unknown;
        };
        let maps = [
            obj.get("databases"),
            body.pointer("/summary/databases"),
            obj.get("health"),
        ];
        let has_db = |name: &str| {
            maps.iter()
                .flatten()
                .any(|m| m.as_object().is_some_and(|m| m.contains_key(name)))
        };
        let v3_nulls = ["error", "uptime_seconds", "active_sessions"]
            .iter()
            .any(|k| obj.get(*k).is_some_and(Value::is_null));
        if has_db("clickhouse") || v3_nulls {
            Self::V3
        } else if has_db("mongodb") {
            Self::V1
        } else {
            Self::Unknown
        }
    }

    /// Whether `GET /sessions/{id}/exists` is expected to exist.
    pub fn has_session_exists(self) -> bool {
        self == Self::V3
    }

    /// Whether reading a session through the API extends its TTL (v3 sliding TTL), so a
    /// dashboard must not poll `GET /sessions/{id}` or `/stm`.
    pub fn reads_extend_ttl(self) -> bool {
        self == Self::V3
    }

    /// The pattern database of this generation.
    pub fn pattern_database(self) -> Option<&'static str> {
        match self {
            Self::V1 => Some("mongodb"),
            Self::V3 => Some("clickhouse"),
            Self::Unknown => None,
        }
    }

    /// `"v1"`, `"v3"` or `"unknown"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V3 => "v3",
            Self::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for KatoGeneration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::KatoGeneration::{self, *};
    use serde_json::json;

    #[test]
    fn from_version_table() {
        let cases = [
            ("1.0.0", V1),
            ("2.4.1", V1),
            ("0.9", V1),
            ("3.0.0", V3),
            ("3.10.1", V3),
            ("v3.10.1", V3),
            ("5.0.2", V3),
            ("12.0.0-rc1", V3),
            ("", Unknown),
            ("latest", Unknown),
            ("x.1", Unknown),
        ];
        for (version, want) in cases {
            assert_eq!(KatoGeneration::from_version(version), want, "{version:?}");
        }
    }

    #[test]
    fn from_shape_table() {
        let cases = [
            (json!({"databases": {"mongodb": {}, "redis": {}}}), V1),
            (json!({"databases": {"clickhouse": {}, "redis": {}}}), V3),
            (json!({"summary": {"databases": {"clickhouse": {}}}}), V3),
            (json!({"health": {"mongodb": {}, "redis": {}}}), V1),
            (json!({"health": {"clickhouse": {}}}), V3),
            // 3.0.x still said mongodb but 3.9.1+ sends null keys.
            (json!({"databases": {"mongodb": {}}, "error": null}), V3),
            (json!({"error": "Metrics collection failed"}), Unknown),
            (json!({"status": "ok"}), Unknown),
            (json!([1, 2]), Unknown),
        ];
        for (body, want) in cases {
            assert_eq!(KatoGeneration::from_shape(&body), want, "{body}");
        }
    }

    #[test]
    fn serializes_lowercase() {
        assert_eq!(serde_json::to_string(&V3).unwrap(), r#""v3""#);
        assert_eq!(V1.to_string(), "v1");
        assert!(V3.has_session_exists() && !V1.has_session_exists());
        assert_eq!(Unknown.pattern_database(), None);
    }
}
