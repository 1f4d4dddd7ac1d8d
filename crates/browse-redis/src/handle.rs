//! The one way the dashboard holds Redis: a [`RedisHandle`] wraps one `ConnectionManager`, built once at start-up
//! and cloned everywhere: this browser, and in the server the sessions collector, the session routes and the
//! health check. Clones share one multiplexed connection.
//!
//! * **Lazy:** nothing connects until the first command, so a Redis that is down at start-up is no start-up
//!   failure.
//! * **Reconnects by itself:** a command that finds the connection broken fails at once with the I/O error and
//!   starts a reconnect in the background (one retry); the commands after it wait for that reconnect. While Redis
//!   is down callers get fast errors; once it is back, the next command or two find a fresh connection.
//!   [`RedisHandle::with_conn`] repeats idempotent work once after such a failure, so its first call after an
//!   outage already succeeds instead of reporting the stale error.
//! * **Bounded:** connect 2 s, response 5 s; callers with a tighter budget wrap their call in a timeout.
//! * **No secrets:** the URL may carry a password; it is never kept in a `Debug` output or an error text.

use std::{future::Future, sync::Arc, time::Duration};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::error::{RedisBrowseError, Result};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connection attempts after the first, per reconnect (the manager waits 100–200 ms between them).
const RETRIES: usize = 1;

/// The shared Redis connection, or why `REDIS_URL` cannot give one. Cloning is cheap.
#[derive(Clone)]
pub struct RedisHandle {
    manager: std::result::Result<ConnectionManager, Arc<str>>,
}

impl std::fmt::Debug for RedisHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHandle")
            .field("usable", &self.manager.is_ok())
            .finish()
    }
}

impl RedisHandle {
    /// The handle for `url` (`redis://…`). Connects nothing; must be called inside a Tokio runtime (the manager
    /// reconnects on it). An unusable URL is kept as the reason every call reports.
    pub fn open(url: &str) -> Self {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(RETRIES);
        let manager = redis::Client::open(url)
            .and_then(|client| ConnectionManager::new_lazy_with_config(client, config))
            .map_err(|e| Arc::from(format!("REDIS_URL is not usable: {e}")));
        Self { manager }
    }

    /// Why this handle can never connect (an unusable `REDIS_URL`); `None` when it can try.
    pub fn unusable(&self) -> Option<&str> {
        self.manager.as_ref().err().map(|reason| &**reason)
    }

    /// The shared connection (a cheap clone), for `query_async`.
    pub fn connection(&self) -> Result<ConnectionManager> {
        self.manager
            .clone()
            .map_err(|reason| RedisBrowseError::Unavailable(reason.to_string()))
    }

    /// Runs `op` on the shared connection; when it fails because the connection is gone (which makes the manager
    /// reconnect), runs it once more on the reconnected one. Only for work that may safely run twice: reads, and
    /// deletes of given keys. A timeout is not repeated.
    pub async fn with_conn<T, F, Fut>(&self, mut op: F) -> Result<T>
    where
        F: FnMut(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.connection()?;
        match op(conn.clone()).await {
            Err(e) if connection_lost(&e) => Ok(op(conn).await?),
            done => Ok(done?),
        }
    }

    /// Answers `Ok` when Redis answers `PING`.
    pub async fn ping(&self) -> Result<()> {
        self.with_conn(|mut conn| async move {
            redis::cmd("PING").query_async::<String>(&mut conn).await
        })
        .await
        .map(drop)
    }
}

/// Whether `e` means the connection is gone (refused, dropped, or a failed reconnect), so the manager reconnects.
fn connection_lost(e: &redis::RedisError) -> bool {
    !e.is_timeout() && (e.is_io_error() || e.is_unrecoverable_error())
}
