//! Waiting for conditions with a deadline (instead of fixed sleeps), and free ports.

use std::future::Future;
use std::net::TcpListener;
use std::time::Duration;

use tokio::time::Instant;

use crate::{Error, Result};

/// How often conditions are re-checked.
const POLL: Duration = Duration::from_millis(20);

/// Polls `cond` until it returns true (→ `true`) or `deadline` has passed (→ `false`).
pub async fn wait_until<F, Fut>(deadline: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    wait_for(deadline, move || {
        let fut = cond();
        async move { fut.await.then_some(()) }
    })
    .await
    .is_some()
}

/// Polls `probe` until it returns `Some(value)` (→ `Some(value)`) or `deadline` has passed.
pub async fn wait_for<T, F, Fut>(deadline: Duration, mut probe: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let end = Instant::now() + deadline;
    loop {
        if let Some(v) = probe().await {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|source| Error::Io {
            what: "bind 127.0.0.1:0".into(),
            source,
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waits_until_true_or_deadline() {
        let mut n = 0;
        assert!(
            wait_until(Duration::from_secs(1), || {
                n += 1;
                let done = n >= 3;
                async move { done }
            })
            .await
        );
        assert_eq!(n, 3);
        let start = Instant::now();
        assert!(!wait_until(Duration::from_millis(100), || async { false }).await);
        assert!(start.elapsed() >= Duration::from_millis(100));
        assert_eq!(
            wait_for(Duration::from_secs(1), || async { Some(7) }).await,
            Some(7)
        );
    }

    #[test]
    fn free_port_is_bindable() {
        let port = free_port().unwrap();
        assert!(TcpListener::bind(("127.0.0.1", port)).is_ok());
    }
}
