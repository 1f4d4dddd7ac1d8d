//! Harness of the browser tests (`tests/`) and the screenshot tool (`examples/screenshots.rs`): the KATO simulator
//! and the real dashboard server in-process on loopback, a private Redis, and headless Debian Chromium driven over
//! CDP with chromiumoxide (no chromedriver).
//!
//! The web app must be built (`./dashboard.sh build` → `frontend/dist`); without it every test fails and says so.
//! Nothing here sleeps for synchronisation: [`wait_for`] polls a condition until a deadline. [`deploy`] is the
//! harness of the deploy test (the Docker image and the compose deployment on a private engine); [`kb`] puts
//! KATO 3.x's knowledge-base stores (ClickHouse, Redis, Qdrant, as KATO c584167 left them) behind the stack.

#![allow(clippy::expect_used)]

pub mod browser;
pub mod deploy;
pub mod kb;
pub mod stack;

use std::{future::Future, path::PathBuf, time::Duration};

use anyhow::{Context, bail};

pub use browser::{Browser, Tab};
pub use kb::KbStores;
pub use stack::{Dashboard, Stack};

/// The built web app: `KATO_DASHBOARD_DIST`, else `frontend/dist` of this workspace.
pub fn dist_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::var_os("KATO_DASHBOARD_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../frontend/dist"));
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    if !dir.join("index.html").is_file() {
        bail!(
            "the web app is not built: no index.html in {} — run `./dashboard.sh build` (or set \
             KATO_DASHBOARD_DIST to a built dist folder), then run the browser tests again",
            dir.display()
        );
    }
    Ok(dir)
}

/// Polls `probe` every 25 ms until it returns `Some`, failing with `what` after `within`.
pub async fn wait_for<T, F, Fut>(within: Duration, what: &str, mut probe: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + within;
    let mut last_error = None;
    loop {
        match probe().await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => last_error = Some(e),
        }
        if tokio::time::Instant::now() >= deadline {
            let context = format!("timed out after {within:?} waiting for {what}");
            return Err(match last_error {
                Some(e) => e.context(context),
                None => anyhow::anyhow!(context),
            });
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Browser tests share two cores: they run one at a time so their timing assertions measure the app, not the
/// contention. Hold the permit for the whole test.
pub async fn exclusive() -> tokio::sync::SemaphorePermit<'static> {
    static GATE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    GATE.acquire()
        .await
        .context("the test gate is never closed")
        .expect("gate")
}
