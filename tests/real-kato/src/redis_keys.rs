//! KATO's sessions as Redis holds them, read the checker's own way: `SCAN kato:session:*` minus the two kinds of
//! key that are not sessions (`kato:session:_active_index`, KATO 3.x's index set, and `kato:session:node:*`).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use redis::aio::MultiplexedConnection;

const PREFIX: &str = "kato:session:";

/// A connection to KATO's Redis database.
pub async fn connect(url: &str) -> Result<MultiplexedConnection> {
    let client = redis::Client::open(url).with_context(|| format!("Redis URL {url}"))?;
    let conn = tokio::time::timeout(
        Duration::from_secs(5),
        client.get_multiplexed_async_connection(),
    )
    .await
    .context("Redis connect timed out")??;
    Ok(conn)
}

/// Whether a key under the prefix is a live session key by the brief's rule.
pub fn is_session_key(key: &str) -> bool {
    key.starts_with(PREFIX)
        && key != "kato:session:_active_index"
        && !key.starts_with("kato:session:node:")
}

/// The ids of every live session (`kato:session:<id>` keys).
pub async fn session_ids(conn: &mut MultiplexedConnection) -> Result<BTreeSet<String>> {
    let mut ids = BTreeSet::new();
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{PREFIX}*"))
            .arg("COUNT")
            .arg(500)
            .query_async(conn)
            .await?;
        ids.extend(
            keys.into_iter()
                .filter(|k| is_session_key(k))
                .map(|k| k[PREFIX.len()..].to_owned()),
        );
        cursor = next;
        if cursor == 0 {
            return Ok(ids);
        }
    }
}

/// The remaining TTL of a session's key in milliseconds (`PTTL`; negative: no key or no TTL).
pub async fn pttl(conn: &mut MultiplexedConnection, id: &str) -> Result<i64> {
    Ok(redis::cmd("PTTL")
        .arg(format!("{PREFIX}{id}"))
        .query_async(conn)
        .await?)
}

/// Polls `EXISTS` every 10 ms until the session's key is gone; the moment it was first seen missing. A read of an
/// expired key makes Redis drop it there and then, so this is the moment Redis dropped it (to within 10 ms).
pub async fn wait_gone(
    conn: &mut MultiplexedConnection,
    id: &str,
    within: Duration,
) -> Result<Option<Instant>> {
    let key = format!("{PREFIX}{id}");
    let deadline = Instant::now() + within;
    loop {
        let exists: i64 = redis::cmd("EXISTS").arg(&key).query_async(conn).await?;
        let now = Instant::now();
        if exists == 0 {
            return Ok(Some(now));
        }
        if now >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
