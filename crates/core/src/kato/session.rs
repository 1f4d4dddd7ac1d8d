//! Session responses a dashboard reads: count, info, short-term memory, existence, delete.
//!
//! * There is **no endpoint that lists sessions**; `GET /sessions` answers 405.
//! * `/sessions/count` is `{"active_session_count": N}` (not `active_sessions`). At v3.10.1
//!   it is cached 5 s and drifts upwards: TTL-expired sessions stay counted.
//! * At v3, `GET /sessions/{id}` and `/stm` **extend the session's TTL** (sliding TTL); use
//!   `/sessions/{id}/exists` (v3 only) to watch a session.
//! * `ttl_seconds` is the requested TTL on create but the whole seconds *remaining* on GET.

use super::{lenient, timestamp};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `GET /sessions/count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCount {
    #[serde(deserialize_with = "lenient::count")]
    pub active_session_count: u64,
}

/// SessionResponse: `POST /sessions` and `GET /sessions/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// `session-<32 hex>-<creation epoch ms>`.
    pub session_id: String,
    pub node_id: String,
    #[serde(with = "timestamp::required")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "timestamp::required")]
    pub expires_at: DateTime<Utc>,
    /// On create the requested TTL (3600 by default); on GET the whole seconds remaining.
    #[serde(default)]
    pub ttl_seconds: Option<i64>,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub metadata: Map<String, Value>,
    /// Only the keys set at v1; the full effective config (22 keys) at v3.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub session_config: Map<String, Value>,
}

impl Session {
    /// Whether the session is past `expires_at` at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }

    /// Time left until `expires_at` (zero once expired).
    pub fn remaining(&self, now: DateTime<Utc>) -> chrono::Duration {
        (self.expires_at - now).max(chrono::Duration::zero())
    }
}

/// `GET /sessions/{id}/stm`: the short-term memory, one list of symbols per event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stm {
    #[serde(deserialize_with = "lenient::null_default")]
    pub stm: Vec<Vec<String>>,
    pub session_id: String,
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub length: Option<u64>,
}

/// `GET /sessions/{id}/exists` (v3 only; does not extend the TTL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionExists {
    pub exists: bool,
    /// True only in the short window where the key exists but is past `expires_at`.
    #[serde(default)]
    pub expired: bool,
    pub session_id: String,
}

/// `DELETE /sessions/{id}` → `{"status":"deleted","session_id"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDeleted {
    pub status: String,
    pub session_id: String,
}

impl SessionDeleted {
    /// `status == "deleted"`.
    pub fn is_deleted(&self) -> bool {
        self.status == "deleted"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_expiry_math() {
        let s: Session = serde_json::from_str(
            r#"{"session_id":"session-x-1","node_id":"n","created_at":"2026-11-22T02:51:18.5Z",
                "expires_at":"2026-11-22T03:51:18.5Z","ttl_seconds":3600,"metadata":{},
                "session_config":null}"#,
        )
        .unwrap();
        let before = s.expires_at - chrono::Duration::seconds(10);
        assert!(!s.is_expired(before));
        assert_eq!(s.remaining(before), chrono::Duration::seconds(10));
        assert!(s.is_expired(s.expires_at));
        assert_eq!(
            s.remaining(s.expires_at + chrono::Duration::seconds(5)),
            chrono::Duration::zero()
        );
    }

    #[test]
    fn count_reads_the_real_key() {
        let c: SessionCount = serde_json::from_str(r#"{"active_session_count": 5}"#).unwrap();
        assert_eq!(c.active_session_count, 5);
        // The key the old dashboard read does not exist in this response.
        assert!(serde_json::from_str::<SessionCount>(r#"{"active_sessions": 5}"#).is_err());
    }
}
