//! `SCAN` paging with type and TTL per key (pipelined), and the admin deletes (`UNLINK`, never `FLUSHDB`).

use std::collections::HashSet;

use serde::Serialize;

use crate::{
    RedisBrowser,
    error::{RedisBrowseError, Result},
    keys::KeyName,
};

/// Largest page.
pub const MAX_COUNT: usize = 10_000;
/// `SCAN` calls one page may make when matches are sparse, so a page always answers quickly.
const MAX_ROUNDS: usize = 64;
/// Keys unlinked per round trip when deleting by pattern.
const DELETE_BATCH: usize = 500;

/// A key in a listing.
#[derive(Debug, Clone, Serialize)]
pub struct KeyEntry {
    /// The key as text (lossy for non-UTF-8 keys).
    pub key: String,
    /// The exact bytes, base64 (use with `?key_b64=`).
    pub key_b64: String,
    /// Whether `key` lost bytes (address this key by `key_b64`).
    pub binary: bool,
    /// `string`, `hash`, `list`, `set`, `zset`, `stream`, or `none` when it vanished meanwhile.
    #[serde(rename = "type")]
    pub kind: String,
    /// Seconds to live: -1 = no expiry, -2 = gone.
    pub ttl: i64,
    /// Milliseconds to live (same conventions).
    pub ttl_ms: i64,
}

/// One page of a scan.
#[derive(Debug, Clone, Serialize)]
pub struct ScanPage {
    /// The keys of this page.
    pub items: Vec<KeyEntry>,
    /// Cursor for the next page; `"0"` when the scan is complete.
    pub cursor: String,
    /// Whether this is the last page.
    pub complete: bool,
}

impl RedisBrowser {
    /// About `count` keys matching `pattern` from `cursor` on (`SCAN` may return a few more; none are lost).
    pub async fn scan(&self, pattern: &str, cursor: &str, count: usize) -> Result<ScanPage> {
        if !(1..=MAX_COUNT).contains(&count) {
            return Err(RedisBrowseError::BadRequest(format!(
                "count must be 1..{MAX_COUNT}"
            )));
        }
        let mut cursor: u64 = cursor.trim().parse().map_err(|_| {
            RedisBrowseError::BadRequest(format!("cursor `{cursor}` is not a SCAN cursor"))
        })?;
        let mut conn = self.conn()?;
        let mut keys: Vec<Vec<u8>> = Vec::new();
        let mut seen = HashSet::new();
        for _ in 0..MAX_ROUNDS {
            let (next, batch): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(count)
                .query_async(&mut conn)
                .await?;
            // SCAN may return a key twice (while the table is rehashed): keep the first.
            for key in batch {
                if seen.insert(key.clone()) {
                    keys.push(key);
                }
            }
            cursor = next;
            if cursor == 0 || keys.len() >= count {
                break;
            }
        }
        let mut pipe = redis::pipe();
        for key in &keys {
            pipe.cmd("TYPE").arg(key).cmd("PTTL").arg(key);
        }
        let facts: Vec<(String, i64)> = if keys.is_empty() {
            Vec::new()
        } else {
            pipe.query_async(&mut conn).await?
        };
        let items = keys
            .into_iter()
            .zip(facts)
            .map(|(bytes, (kind, pttl))| {
                let name = KeyName(bytes);
                KeyEntry {
                    key: name.text(),
                    key_b64: name.b64(),
                    binary: name.is_binary(),
                    kind,
                    ttl: seconds(pttl),
                    ttl_ms: pttl,
                }
            })
            .collect();
        Ok(ScanPage {
            items,
            cursor: cursor.to_string(),
            complete: cursor == 0,
        })
    }

    /// Unlinks one key; `NotFound` when it does not exist.
    pub async fn delete_key(&self, key: &KeyName) -> Result<()> {
        let mut conn = self.conn()?;
        let n: u64 = redis::cmd("UNLINK")
            .arg(&key.0)
            .query_async(&mut conn)
            .await?;
        if n == 0 {
            return Err(RedisBrowseError::NotFound(format!(
                "key `{}` does not exist",
                key.text()
            )));
        }
        Ok(())
    }

    /// Unlinks every key matching `pattern` (`SCAN` + `UNLINK` in batches); returns how many were deleted.
    pub async fn delete_by_pattern(&self, pattern: &str) -> Result<u64> {
        if pattern.is_empty() {
            return Err(RedisBrowseError::BadRequest(
                "a pattern is required (FLUSHDB is never run; use `*` to delete every key)".into(),
            ));
        }
        let mut conn = self.conn()?;
        let mut cursor: u64 = 0;
        let mut deleted = 0;
        loop {
            let (next, batch): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(DELETE_BATCH)
                .query_async(&mut conn)
                .await?;
            if !batch.is_empty() {
                let n: u64 = redis::cmd("UNLINK")
                    .arg(&batch)
                    .query_async(&mut conn)
                    .await?;
                deleted += n;
            }
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        Ok(deleted)
    }
}

/// PTTL (ms) → TTL (s), keeping -1 and -2; a key with less than a second left shows 1, not 0.
pub(crate) fn seconds(pttl: i64) -> i64 {
    if pttl < 0 { pttl } else { (pttl + 999) / 1000 }
}
