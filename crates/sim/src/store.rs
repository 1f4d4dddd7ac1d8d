//! Where sessions live: a real Redis (`redis` crate, `ConnectionManager`) or an in-memory
//! stand-in with the same semantics (STRING keys with a TTL, SETs without one). Only the few
//! commands KATO uses are offered: `SET … EX`, `GET`, `EXPIRE`, `TTL`, `DEL`, `EXISTS`, a key count by
//! prefix (SCAN, never KEYS), `SADD`/`SREM`/`SCARD`, and `INFO memory`.
//!
//! The memory store keeps the session data outside the simulated KATO "process", exactly like
//! Redis does, so sessions survive a simulated restart in both modes.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;

use crate::error::SimError;

/// The session store.
pub(crate) enum Store {
    Memory(MemoryStore),
    Redis(RedisStore),
}

impl Store {
    /// Connects to Redis when a URL is given (failing fast if it is unreachable), else memory.
    pub(crate) async fn open(redis_url: Option<&str>) -> Result<Store, SimError> {
        match redis_url {
            None => Ok(Store::Memory(MemoryStore::default())),
            Some(url) => Ok(Store::Redis(RedisStore::connect(url).await?)),
        }
    }

    pub(crate) async fn get(&self, key: &str) -> Result<Option<String>, SimError> {
        match self {
            Store::Memory(m) => Ok(m.get(key)),
            Store::Redis(r) => r.query(redis::cmd("GET").arg(key)).await,
        }
    }

    /// `SET key value EX ttl` (ttl ≥ 1 s).
    pub(crate) async fn set_ex(&self, key: &str, value: &str, ttl: u64) -> Result<(), SimError> {
        let ttl = ttl.max(1);
        match self {
            Store::Memory(m) => {
                m.set_ex(key, value, Duration::from_secs(ttl));
                Ok(())
            }
            Store::Redis(r) => {
                r.query(redis::cmd("SET").arg(key).arg(value).arg("EX").arg(ttl))
                    .await
            }
        }
    }

    /// `EXPIRE key ttl`: a new TTL for an existing key, its value untouched (KATO 3.x's sliding expiry).
    pub(crate) async fn expire(&self, key: &str, ttl: u64) -> Result<(), SimError> {
        let ttl = ttl.max(1);
        match self {
            Store::Memory(m) => {
                m.expire(key, Duration::from_secs(ttl));
                Ok(())
            }
            Store::Redis(r) => r.query(redis::cmd("EXPIRE").arg(key).arg(ttl)).await,
        }
    }

    /// `TTL key`: remaining whole seconds, `None` when the key does not exist.
    pub(crate) async fn ttl(&self, key: &str) -> Result<Option<i64>, SimError> {
        let ttl: i64 = match self {
            Store::Memory(m) => m.ttl(key),
            Store::Redis(r) => r.query(redis::cmd("TTL").arg(key)).await?,
        };
        Ok((ttl != -2).then_some(ttl))
    }

    pub(crate) async fn del(&self, key: &str) -> Result<bool, SimError> {
        match self {
            Store::Memory(m) => Ok(m.del(key)),
            Store::Redis(r) => Ok(r.query::<i64>(redis::cmd("DEL").arg(key)).await? > 0),
        }
    }

    pub(crate) async fn exists(&self, key: &str) -> Result<bool, SimError> {
        match self {
            Store::Memory(m) => Ok(m.get(key).is_some()),
            Store::Redis(r) => Ok(r.query::<i64>(redis::cmd("EXISTS").arg(key)).await? > 0),
        }
    }

    /// Number of live STRING keys starting with `prefix` (Redis: SCAN MATCH, never KEYS).
    pub(crate) async fn count_prefix(&self, prefix: &str) -> Result<u64, SimError> {
        match self {
            Store::Memory(m) => Ok(m.count_prefix(prefix)),
            Store::Redis(r) => r.count_prefix(prefix).await,
        }
    }

    pub(crate) async fn sadd(&self, set: &str, member: &str) -> Result<(), SimError> {
        match self {
            Store::Memory(m) => {
                m.sadd(set, member);
                Ok(())
            }
            Store::Redis(r) => r.query(redis::cmd("SADD").arg(set).arg(member)).await,
        }
    }

    pub(crate) async fn srem(&self, set: &str, member: &str) -> Result<(), SimError> {
        match self {
            Store::Memory(m) => {
                m.srem(set, member);
                Ok(())
            }
            Store::Redis(r) => r.query(redis::cmd("SREM").arg(set).arg(member)).await,
        }
    }

    pub(crate) async fn scard(&self, set: &str) -> Result<u64, SimError> {
        match self {
            Store::Memory(m) => Ok(m.scard(set)),
            Store::Redis(r) => r.query(redis::cmd("SCARD").arg(set)).await,
        }
    }

    /// `used_memory` of the Redis server in MB (memory mode: an estimate of the stored bytes
    /// plus a typical empty-Redis baseline).
    pub(crate) async fn memory_used_mb(&self) -> Result<f64, SimError> {
        match self {
            Store::Memory(m) => Ok(0.85 + m.stored_bytes() as f64 / 1_048_576.0),
            Store::Redis(r) => {
                let info: String = r.query(redis::cmd("INFO").arg("memory")).await?;
                let used = info
                    .lines()
                    .find_map(|l| l.strip_prefix("used_memory:"))
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .ok_or_else(|| SimError::Store("INFO memory without used_memory".into()))?;
                Ok(used / 1_048_576.0)
            }
        }
    }
}

/// A Redis connection (auto-reconnecting).
pub(crate) struct RedisStore {
    conn: ConnectionManager,
}

impl RedisStore {
    async fn connect(url: &str) -> Result<RedisStore, SimError> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(2);
        let conn = tokio::time::timeout(
            Duration::from_secs(5),
            client.get_connection_manager_with_config(config),
        )
        .await
        .map_err(|_| SimError::Store(format!("timed out connecting to {url}")))??;
        let store = RedisStore { conn };
        store.query::<String>(&redis::cmd("PING")).await?;
        Ok(store)
    }

    async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, SimError> {
        let mut conn = self.conn.clone();
        Ok(cmd.query_async::<T>(&mut conn).await?)
    }

    async fn count_prefix(&self, prefix: &str) -> Result<u64, SimError> {
        let pattern = format!("{prefix}*");
        let mut cursor: u64 = 0;
        let mut count = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = self
                .query(
                    redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(&pattern)
                        .arg("COUNT")
                        .arg(1000),
                )
                .await?;
            count += keys.len() as u64;
            if next == 0 {
                return Ok(count);
            }
            cursor = next;
        }
    }
}

/// The in-memory stand-in for Redis.
#[derive(Default)]
pub(crate) struct MemoryStore {
    inner: Mutex<MemoryInner>,
}

#[derive(Default)]
struct MemoryInner {
    strings: HashMap<String, (String, Instant)>,
    sets: HashMap<String, BTreeSet<String>>,
    writes: u64,
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryInner> {
        // A panic while holding this lock cannot leave the maps half-updated in a way that
        // matters for a simulator, so a poisoned lock is simply reused.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, key: &str) -> Option<String> {
        let mut inner = self.lock();
        let now = Instant::now();
        match inner.strings.get(key) {
            Some((v, exp)) if *exp > now => Some(v.clone()),
            Some(_) => {
                inner.strings.remove(key);
                None
            }
            None => None,
        }
    }

    fn set_ex(&self, key: &str, value: &str, ttl: Duration) {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.writes = inner.writes.wrapping_add(1);
        if inner.writes.is_multiple_of(256) {
            // Like Redis' active expiry: drop expired keys now and then, not only on access.
            inner.strings.retain(|_, (_, exp)| *exp > now);
        }
        inner
            .strings
            .insert(key.to_string(), (value.to_string(), now + ttl));
    }

    fn expire(&self, key: &str, ttl: Duration) {
        let now = Instant::now();
        let mut inner = self.lock();
        if let Some((_, exp)) = inner.strings.get_mut(key)
            && *exp > now
        {
            *exp = now + ttl;
        }
    }

    /// Redis `TTL` semantics: -2 missing, else remaining seconds rounded to nearest.
    fn ttl(&self, key: &str) -> i64 {
        let inner = self.lock();
        let now = Instant::now();
        match inner.strings.get(key) {
            Some((_, exp)) if *exp > now => {
                let ms = exp.duration_since(now).as_millis() as i64;
                (ms + 500) / 1000
            }
            _ => -2,
        }
    }

    fn del(&self, key: &str) -> bool {
        let mut inner = self.lock();
        let now = Instant::now();
        matches!(inner.strings.remove(key), Some((_, exp)) if exp > now)
    }

    fn count_prefix(&self, prefix: &str) -> u64 {
        let mut inner = self.lock();
        let now = Instant::now();
        inner.strings.retain(|_, (_, exp)| *exp > now);
        inner
            .strings
            .keys()
            .filter(|k| k.starts_with(prefix))
            .count() as u64
    }

    fn sadd(&self, set: &str, member: &str) {
        self.lock()
            .sets
            .entry(set.to_string())
            .or_default()
            .insert(member.to_string());
    }

    fn srem(&self, set: &str, member: &str) {
        let mut inner = self.lock();
        if let Some(s) = inner.sets.get_mut(set) {
            s.remove(member);
            if s.is_empty() {
                inner.sets.remove(set);
            }
        }
    }

    fn scard(&self, set: &str) -> u64 {
        self.lock().sets.get(set).map_or(0, |s| s.len() as u64)
    }

    fn stored_bytes(&self) -> usize {
        let inner = self.lock();
        inner
            .strings
            .iter()
            .map(|(k, (v, _))| k.len() + v.len())
            .sum::<usize>()
            + inner
                .sets
                .iter()
                .map(|(k, s)| k.len() + s.iter().map(String::len).sum::<usize>())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_store_has_redis_semantics() {
        let store = Store::open(None).await.unwrap();
        assert_eq!(store.ttl("k").await.unwrap(), None);
        store.set_ex("kato:session:a", "{}", 100).await.unwrap();
        assert_eq!(
            store.get("kato:session:a").await.unwrap().as_deref(),
            Some("{}")
        );
        assert_eq!(store.ttl("kato:session:a").await.unwrap(), Some(100));
        assert_eq!(store.count_prefix("kato:session:").await.unwrap(), 1);
        assert!(store.del("kato:session:a").await.unwrap());
        assert!(!store.del("kato:session:a").await.unwrap());
        store.sadd("idx", "a").await.unwrap();
        store.sadd("idx", "a").await.unwrap();
        store.sadd("idx", "b").await.unwrap();
        assert_eq!(store.scard("idx").await.unwrap(), 2);
        store.srem("idx", "a").await.unwrap();
        assert_eq!(store.scard("idx").await.unwrap(), 1);
    }
}
