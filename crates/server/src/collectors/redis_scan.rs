//! Reads KATO's live sessions from Redis: `SCAN kato:session:*` (never `KEYS`), then `GET` + `PTTL` per key in
//! pipelined batches. KATO stores each session as a JSON string with a TTL; index and lock keys under the same
//! prefix (`kato:session:_active_index`, `kato:session:node:…`) are skipped.

use chrono::Utc;
use kato_dashboard_core::{kato::timestamp::parse_timestamp, sessions::SessionRecord};
use redis::aio::ConnectionManager;
use serde_json::Value;

/// Prefix of KATO's session keys.
pub const SESSION_PREFIX: &str = "kato:session:";
const SCAN_COUNT: usize = 500;
const BATCH: usize = 200;
/// Most sessions read in one scan (a bound on memory and time for a runaway deployment).
pub const MAX_SESSIONS: usize = 100_000;

/// The result of one scan.
#[derive(Debug)]
pub struct Scan {
    /// Live sessions.
    pub records: Vec<SessionRecord>,
    /// Whether the scan stopped at [`MAX_SESSIONS`].
    pub truncated: bool,
}

/// Whether a key under the prefix is a session (not an index or lock key).
pub fn is_session_key(key: &str) -> bool {
    key.strip_prefix(SESSION_PREFIX).is_some_and(|rest| {
        !rest.is_empty() && !rest.starts_with('_') && !rest.starts_with("node:")
    })
}

/// Every key matching `pattern` (`SCAN … MATCH`, never `KEYS`) for which `keep` holds, sorted, at most `max`;
/// and whether it stopped at `max`.
pub async fn scan_keys<C: redis::aio::ConnectionLike>(
    conn: &mut C,
    pattern: &str,
    max: usize,
    keep: impl Fn(&str) -> bool,
) -> redis::RedisResult<(Vec<String>, bool)> {
    let mut keys = Vec::new();
    let mut cursor: u64 = 0;
    let mut truncated = false;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(SCAN_COUNT)
            .query_async(conn)
            .await?;
        keys.extend(batch.into_iter().filter(|k| keep(k)));
        if keys.len() >= max {
            keys.truncate(max);
            truncated = true;
            break;
        }
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    keys.sort();
    keys.dedup();
    Ok((keys, truncated))
}

/// Scans every session key.
pub async fn scan(conn: &mut ConnectionManager) -> redis::RedisResult<Scan> {
    let pattern = format!("{SESSION_PREFIX}*");
    let (keys, truncated) = scan_keys(conn, &pattern, MAX_SESSIONS, is_session_key).await?;
    let mut records = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(BATCH) {
        let mut pipe = redis::pipe();
        for key in chunk {
            pipe.cmd("GET").arg(key).cmd("PTTL").arg(key);
        }
        let replies: Vec<redis::Value> = match pipe.query_async(conn).await {
            Ok(replies) => replies,
            // A key of another type under the prefix makes GET fail: read that batch key by key.
            Err(e) if e.code() == Some("WRONGTYPE") => one_by_one(conn, chunk).await?,
            Err(e) => return Err(e),
        };
        for (key, pair) in chunk.iter().zip(replies.chunks(2)) {
            if let [value, pttl] = pair
                && let Some(record) = parse(key, value, pttl)
            {
                records.push(record);
            }
        }
    }
    Ok(Scan { records, truncated })
}

async fn one_by_one(
    conn: &mut ConnectionManager,
    keys: &[String],
) -> redis::RedisResult<Vec<redis::Value>> {
    let mut out = Vec::with_capacity(keys.len() * 2);
    for key in keys {
        let value = redis::cmd("GET")
            .arg(key)
            .query_async::<redis::Value>(conn)
            .await
            .unwrap_or(redis::Value::Nil);
        let pttl = redis::cmd("PTTL")
            .arg(key)
            .query_async::<redis::Value>(conn)
            .await?;
        out.push(value);
        out.push(pttl);
    }
    Ok(out)
}

fn parse(key: &str, value: &redis::Value, pttl: &redis::Value) -> Option<SessionRecord> {
    let text = match value {
        redis::Value::BulkString(bytes) => std::str::from_utf8(bytes).ok()?,
        _ => return None, // expired between SCAN and GET, or not a string
    };
    let id_from_key = key.strip_prefix(SESSION_PREFIX)?.to_owned();
    let ttl_ms = match pttl {
        redis::Value::Int(ms) if *ms >= 0 => Some(*ms),
        _ => None,
    };
    Some(record_from_json(&id_from_key, text, ttl_ms))
}

/// One session's stored JSON and its record (expiry and last touch from the key's TTL), read with `GET` and
/// `PTTL`, which never slide KATO's TTL; `None` when the key does not exist.
pub async fn read_one<C: redis::aio::ConnectionLike>(
    conn: &mut C,
    id: &str,
) -> redis::RedisResult<Option<(Value, SessionRecord)>> {
    let key = format!("{SESSION_PREFIX}{id}");
    let (value, pttl): (Option<String>, i64) = redis::pipe()
        .cmd("GET")
        .arg(&key)
        .cmd("PTTL")
        .arg(&key)
        .query_async(conn)
        .await?;
    Ok(value.map(|text| {
        let record = record_from_json(id, &text, Some(pttl));
        (serde_json::from_str(&text).unwrap_or(Value::Null), record)
    }))
}

/// Builds a record from KATO's stored JSON; a value that is not JSON still yields a record with its id, so an
/// odd session is shown rather than hidden.
pub fn record_from_json(id: &str, text: &str, ttl_ms: Option<i64>) -> SessionRecord {
    let json: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let time = |field: &str| {
        json.get(field)
            .and_then(Value::as_str)
            .and_then(parse_timestamp)
    };
    // The key's TTL is the truth: KATO 3.x slides it on every access without rewriting the JSON's `expires_at`
    // and `last_accessed`. The session's own TTL setting (`ttl_seconds` in the JSON) minus what is left of it
    // tells when it was last touched.
    let now = Utc::now();
    let remaining = ttl_ms
        .filter(|ms| *ms >= 0)
        .map(chrono::Duration::milliseconds);
    let expires_at = remaining
        .map(|left| now + left)
        .or_else(|| time("expires_at"));
    let touched = remaining
        .zip(json.get("ttl_seconds").and_then(Value::as_i64))
        .and_then(|(left, configured)| {
            let since = chrono::Duration::seconds(configured) - left;
            (since >= chrono::Duration::zero()).then(|| now - since)
        });
    let last_accessed = match (time("last_accessed"), touched) {
        (Some(stored), Some(touched)) => Some(stored.max(touched)),
        (stored, touched) => stored.or(touched),
    };
    SessionRecord {
        session_id: json
            .get("session_id")
            .and_then(Value::as_str)
            .unwrap_or(id)
            .to_owned(),
        node_id: json
            .get("node_id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        created_at: time("created_at"),
        expires_at,
        last_accessed,
        access_count: json.get("access_count").and_then(Value::as_u64),
        ttl_seconds: ttl_ms.map(|ms| (ms + 999) / 1000),
        stm_length: json.get("stm").and_then(Value::as_array).map(Vec::len),
        metadata: json.get("metadata").cloned().unwrap_or(Value::Null),
        instance: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_session_keys_count() {
        assert!(is_session_key("kato:session:session-abc-1"));
        assert!(!is_session_key("kato:session:_active_index"));
        assert!(!is_session_key("kato:session:node:dash:active"));
        assert!(!is_session_key("kato:session:"));
        assert!(!is_session_key("other:session-abc"));
    }

    #[test]
    fn records_come_from_kato_json() {
        let text = r#"{"session_id": "session-1", "node_id": "planner", "created_at": "2026-11-22T03:57:47.504347+00:00",
            "expires_at": "2026-11-22T04:57:47.504347+00:00", "stm": [["a"], ["b"]], "access_count": 11, "metadata": {"x": 1}}"#;
        let r = record_from_json("session-1", text, Some(3_582_507));
        assert_eq!(r.node_id.as_deref(), Some("planner"));
        // Expiry from the key's TTL, not the JSON's stale `expires_at`.
        let left = r.expires_at.unwrap() - Utc::now();
        assert!((3_570..=3_583).contains(&left.num_seconds()), "{left}");
        assert_eq!(r.stm_length, Some(2));
        assert_eq!(r.ttl_seconds, Some(3583));
        assert_eq!(r.access_count, Some(11));
        // KATO 3.x slid the TTL (the key has 3,590 s of its 3,600 left) but left the JSON as it was an hour ago.
        let stale = r#"{"session_id": "session-3", "ttl_seconds": 3600, "last_accessed": "2020-01-01T00:00:00+00:00",
            "expires_at": "2020-01-01T01:00:00+00:00"}"#;
        let r = record_from_json("session-3", stale, Some(3_590_000));
        let since = Utc::now() - r.last_accessed.unwrap();
        assert!((9..=11).contains(&since.num_seconds()), "{since}");
        assert!(r.expires_at.unwrap() > Utc::now());
        let odd = record_from_json("session-2", "not json", None);
        assert_eq!(odd.session_id, "session-2");
    }
}
