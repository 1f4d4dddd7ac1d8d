//! The browser on the shared [`RedisHandle`]: it holds no connection of its own.

use redis::aio::ConnectionManager;

use crate::{RedisHandle, error::Result};

/// The browser. Cloning shares the connection.
#[derive(Debug, Clone)]
pub struct RedisBrowser {
    redis: RedisHandle,
}

impl RedisBrowser {
    /// A browser over `redis` (see [`RedisHandle::open`]).
    pub fn new(redis: RedisHandle) -> Self {
        Self { redis }
    }

    /// The shared connection (a cheap clone of the manager).
    pub(crate) fn conn(&self) -> Result<ConnectionManager> {
        self.redis.connection()
    }

    /// Answers `Ok` when Redis answers `PING`.
    pub async fn ping(&self) -> Result<()> {
        self.redis.ping().await
    }
}
