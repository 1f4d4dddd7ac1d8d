//! The shared connection: a `ConnectionManager` opened on first use (so a Redis that is down at start-up is
//! no start-up failure), with short connect and response timeouts.

use std::{sync::Arc, time::Duration};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use crate::error::{RedisBrowseError, Result};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The browser. Cloning shares the connection.
#[derive(Clone)]
pub struct RedisBrowser {
    client: std::result::Result<redis::Client, String>,
    conn: Arc<OnceCell<ConnectionManager>>,
}

impl std::fmt::Debug for RedisBrowser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBrowser")
            .field("connected", &self.conn.initialized())
            .finish()
    }
}

impl RedisBrowser {
    /// A browser for `url` (`redis://…`). Nothing connects until the first call; a bad URL is reported then.
    pub fn new(url: &str) -> Self {
        Self {
            client: redis::Client::open(url).map_err(|e| format!("REDIS_URL is not usable: {e}")),
            conn: Arc::new(OnceCell::new()),
        }
    }

    /// The shared connection (a cheap clone of the manager).
    pub(crate) async fn conn(&self) -> Result<ConnectionManager> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| RedisBrowseError::Unavailable(e.clone()))?;
        let conn = self
            .conn
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(RESPONSE_TIMEOUT))
                    .set_number_of_retries(1);
                ConnectionManager::new_with_config(client.clone(), config).await
            })
            .await
            .map_err(|e| RedisBrowseError::Unavailable(e.to_string()))?;
        Ok(conn.clone())
    }

    /// Answers `Ok` when Redis answers `PING`.
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.conn().await?;
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }
}
