//! One pass over KATO's keys under `kato:session:`: `SCAN` (bounded), then `TYPE` and `PTTL` per key and `GET`
//! of the string session keys, in pipelined batches; each key classified as [`Status`]. All on the shared Redis
//! connection (`AppState::redis`).

use chrono::{DateTime, Utc};
use kato_dashboard_browse_redis::RedisBrowseError;
use redis::{RedisResult, aio::ConnectionManager};
use serde_json::{Value, json};

use super::session_id_of;
use crate::{
    collectors::redis_scan::{SESSION_PREFIX, scan_keys},
    error::ApiError,
    state::AppState,
};

/// Most keys one pass reads.
pub const MAX_KEYS: usize = 10_000;
const BATCH: usize = 200;

/// What a key under the prefix is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A session with a TTL.
    Active,
    /// A session Redis keeps without a TTL.
    Idle,
    /// A session without a TTL whose stored `expires_at` has passed.
    Expired,
    /// KATO's own index or lock key.
    Index,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Idle => "idle",
            Status::Expired => "expired",
            Status::Index => "index",
        }
    }
}

/// One key.
#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub key: String,
    /// The session id, for session keys.
    pub session_id: Option<String>,
    pub node_id: Option<String>,
    /// Remaining TTL; `None` when the key does not expire.
    pub ttl_ms: Option<i64>,
    pub redis_type: String,
    pub status: Status,
}

impl KeyInfo {
    /// The old dashboard's diagnostic entry, plus `type`.
    pub fn to_old_shape(&self) -> Value {
        json!({
            "redis_key": self.key,
            "node_name": self.node_id.as_deref().unwrap_or("unknown"),
            "status": self.status.as_str(),
            "session_reference": self.session_id,
            "ttl_seconds": self.ttl_ms.map(|ms| ms / 1000),
            "expires": self.ttl_ms.is_some_and(|ms| ms > 0),
            "type": self.redis_type,
        })
    }
}

/// The keys of one pass.
#[derive(Debug, Default)]
pub struct KeyScan {
    pub keys: Vec<KeyInfo>,
    /// Whether the pass stopped at [`MAX_KEYS`].
    pub truncated: bool,
}

fn redis_error(e: RedisBrowseError) -> ApiError {
    ApiError::Unavailable {
        upstream: "redis",
        reason: e.reason().to_owned(),
    }
}

/// Reads and classifies every key under the prefix (at most [`MAX_KEYS`]), on the shared connection.
pub async fn scan(state: &AppState) -> Result<KeyScan, ApiError> {
    let scan = state
        .redis
        .with_conn(|mut conn| async move { read_keys(&mut conn).await });
    scan.await.map_err(redis_error)
}

async fn read_keys(conn: &mut ConnectionManager) -> RedisResult<KeyScan> {
    let pattern = format!("{SESSION_PREFIX}*");
    let (names, truncated) = scan_keys(conn, &pattern, MAX_KEYS, |_| true).await?;
    let now = Utc::now();
    let mut keys = Vec::with_capacity(names.len());
    for chunk in names.chunks(BATCH) {
        let mut pipe = redis::pipe();
        for key in chunk {
            pipe.cmd("TYPE").arg(key).cmd("PTTL").arg(key);
        }
        let replies: Vec<(String, i64)> = pipe.query_async(conn).await?;
        let strings: Vec<&String> = chunk
            .iter()
            .zip(&replies)
            .filter(|(k, (t, _))| t == "string" && session_id_of(k).is_some())
            .map(|(k, _)| k)
            .collect();
        let mut get = redis::pipe();
        for key in &strings {
            get.cmd("GET").arg(*key);
        }
        let bodies: Vec<Option<String>> = if strings.is_empty() {
            Vec::new()
        } else {
            get.query_async(conn).await?
        };
        let bodies: std::collections::HashMap<&String, Option<String>> =
            strings.into_iter().zip(bodies).collect();
        for (key, (redis_type, pttl)) in chunk.iter().zip(replies) {
            if redis_type == "none" {
                continue; // expired between SCAN and TYPE
            }
            let body = bodies.get(key).and_then(Option::as_deref);
            keys.push(classify(key, redis_type, pttl, body, now));
        }
    }
    Ok(KeyScan { keys, truncated })
}

/// Classifies one key from its type, `PTTL` and (for string session keys) its JSON.
pub fn classify(
    key: &str,
    redis_type: String,
    pttl: i64,
    body: Option<&str>,
    now: DateTime<Utc>,
) -> KeyInfo {
    let session_id = session_id_of(key);
    let json: Value = body
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    let node_id = json["node_id"].as_str().map(str::to_owned);
    let ttl_ms = (pttl >= 0).then_some(pttl);
    let expired = json["expires_at"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| t < now);
    let status = match (&session_id, ttl_ms) {
        (None, _) => Status::Index,
        (Some(_), Some(_)) => Status::Active,
        (Some(_), None) if expired => Status::Expired,
        (Some(_), None) => Status::Idle,
    };
    KeyInfo {
        key: key.to_owned(),
        session_id,
        node_id,
        ttl_ms,
        redis_type,
        status,
    }
}

/// Deletes `keys` that still have no TTL (a key KATO gave a TTL again meanwhile is left alone); returns how many
/// were removed.
pub async fn delete(state: &AppState, keys: &[String]) -> Result<usize, ApiError> {
    // Deletes only while PTTL is still -1, atomically per key.
    const DEL_IF_PERSISTENT: &str = "if redis.call('PTTL', KEYS[1]) == -1 then return redis.call('DEL', KEYS[1]) else return 0 end";
    let delete = state.redis.with_conn(|mut conn| async move {
        let mut removed = 0usize;
        for key in keys {
            let n: i64 = redis::cmd("EVAL")
                .arg(DEL_IF_PERSISTENT)
                .arg(1)
                .arg(key)
                .query_async(&mut conn)
                .await?;
            removed += usize::try_from(n).unwrap_or(0);
        }
        Ok(removed)
    });
    delete.await.map_err(redis_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_classified_by_ttl_and_stored_expiry() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let body = |expires: &str| format!(r#"{{"node_id":"planner","expires_at":"{expires}"}}"#);
        let k =
            |key: &str, pttl: i64, b: Option<&str>| classify(key, "string".into(), pttl, b, now);
        let live = k("kato:session:s1", 5000, Some(&body("2026-12-07T12:00:05Z")));
        assert_eq!(
            (live.status, live.node_id.as_deref()),
            (Status::Active, Some("planner"))
        );
        assert_eq!(
            k("kato:session:s2", -1, Some(&body("2026-12-08T00:00:00Z"))).status,
            Status::Idle
        );
        assert_eq!(
            k("kato:session:s3", -1, Some(&body("2026-12-07T11:00:00Z"))).status,
            Status::Expired
        );
        assert_eq!(
            k("kato:session:_active_index", -1, None).status,
            Status::Index
        );
        assert_eq!(
            k("kato:session:node:planner:lock", 100, None).status,
            Status::Index
        );
        let old = k("kato:session:s1", 5000, None).to_old_shape();
        assert_eq!(old["ttl_seconds"], 5);
        assert_eq!(old["expires"], true);
        assert_eq!(old["node_name"], "unknown");
    }
}
