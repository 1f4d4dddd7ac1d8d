//! The recorder: samples the hub's state topics once a second and tallies its event topics into the persistent,
//! tiered history (`crates/history-store`), rolls it up and enforces its retention and disk budget once a minute,
//! and answers range queries for `/api/v1/system/history` and the analytics.
//!
//! The store is SQLite: every call runs on the blocking pool. A store that cannot be opened (unwritable folder)
//! or writes that fail (full disk) never stop the dashboard: live data keeps flowing, the status says why, the
//! error is logged once per outage, and queries answer 503 with the reason (or from what is stored).

pub mod kb;
mod run;
mod sample;

use std::sync::{
    Arc, Mutex, PoisonError,
    atomic::{AtomicU64, Ordering},
};

use kato_dashboard_history_store::{
    Answer, HistoryStore, Marker, Query, Sample, StoreError, Usage,
};
use serde::Serialize;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{alerts::AlertService, config::Config, error::ApiError, hub::HubHandle};

pub use sample::{Tally, levels};

/// Most markers one answer carries (the newest are kept).
pub const MAX_MARKERS: usize = 2000;

/// The history's state, as `/api/v1/system/history/series` and `/api/v1/health` tell it.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Whether the history is recording now.
    pub ok: bool,
    /// Why not (or the last write error), in words.
    pub error: Option<String>,
    /// A corrupt file found at start and set aside, if any.
    pub moved_aside: Option<String>,
}

/// What `/metrics` shows of the history.
#[derive(Debug, Default)]
pub struct RecorderStats {
    /// Sampling rounds written.
    pub rounds: AtomicU64,
    /// Writes that failed (full disk, I/O errors).
    pub write_failures: AtomicU64,
    /// Bytes on disk after the last roll-up.
    pub bytes: AtomicU64,
}

/// Time between two writes of the pending rounds (a crash loses at most this; a query writes them first).
pub const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(30);
/// Range queries answered at once; more wait their turn.
pub const QUERIES_AT_ONCE: usize = 2;
/// Most rounds waiting for a write.
pub const MAX_PENDING: usize = 600;

/// Rounds sampled and not written yet.
#[derive(Debug, Default)]
struct Pending {
    rounds: Vec<(i64, Vec<Sample>)>,
    markers: Vec<Marker>,
}

/// A cheap handle to the history.
#[derive(Clone)]
pub struct Recorder {
    store: Option<Arc<HistoryStore>>,
    pending: Arc<Mutex<Pending>>,
    /// Range queries running at once (each may hold up to `MAX_TOTAL_POINTS` points in memory).
    queries: Arc<tokio::sync::Semaphore>,
    status: Arc<Mutex<Status>>,
    /// Its counters.
    pub stats: Arc<RecorderStats>,
}

impl Recorder {
    /// Opens the store (on the blocking pool) and starts the sampling task; never fails: a store that cannot be
    /// opened gives a recorder that says why.
    pub async fn start(
        config: &Config,
        hub: &HubHandle,
        alerts: &AlertService,
        cancel: &CancellationToken,
        tracker: &TaskTracker,
    ) -> Recorder {
        if !config.history.enabled {
            return Recorder::off("the history is off (HISTORY_ENABLED=false)".into());
        }
        let dir = config.history_dir();
        let settings = config.history.settings();
        let opened = tokio::task::spawn_blocking({
            let dir = dir.clone();
            move || HistoryStore::open_dir(&dir, settings)
        })
        .await;
        let store = match opened {
            Ok(Ok(store)) => Arc::new(store),
            Ok(Err(e)) => {
                tracing::error!(error = %e, dir = %dir.display(), "the history cannot be opened; charts show live data only");
                return Recorder::off(e.to_string());
            }
            Err(e) => return Recorder::off(format!("opening the history failed: {e}")),
        };
        let moved_aside = store.moved_aside().map(|p| p.display().to_string());
        if let Some(path) = &moved_aside {
            tracing::warn!(moved_to = %path, "the history file was unreadable; it was set aside and a new one started");
        }
        let recorder = Recorder {
            store: Some(store),
            status: Arc::new(Mutex::new(Status {
                ok: true,
                error: None,
                moved_aside,
            })),
            stats: Arc::default(),
            pending: Arc::default(),
            queries: Arc::new(tokio::sync::Semaphore::new(QUERIES_AT_ONCE)),
        };
        tracker.spawn(run::run(
            recorder.clone(),
            hub.clone(),
            alerts.clone(),
            config.history.sample_interval(),
            cancel.clone(),
        ));
        recorder
    }

    fn off(reason: String) -> Recorder {
        Recorder {
            store: None,
            status: Arc::new(Mutex::new(Status {
                ok: false,
                error: Some(reason),
                moved_aside: None,
            })),
            stats: Arc::default(),
            pending: Arc::default(),
            queries: Arc::new(tokio::sync::Semaphore::new(QUERIES_AT_ONCE)),
        }
    }

    /// The history's state now.
    pub fn status(&self) -> Status {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records the outcome of a write of `rounds` rounds: logs the first failure of an outage and the recovery.
    fn note(&self, result: Result<(), StoreError>, rounds: u64) {
        if result.is_ok() {
            self.stats.rounds.fetch_add(rounds, Ordering::Relaxed);
        } else {
            self.stats.write_failures.fetch_add(1, Ordering::Relaxed);
        }
        let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(()) if !status.ok => {
                tracing::info!("the history is recording again");
                status.ok = true;
                status.error = None;
            }
            Ok(()) => {}
            Err(e) => {
                if status.ok {
                    tracing::error!(error = %e, full = e.is_full(), "the history cannot be written; live data is not affected");
                }
                status.ok = false;
                status.error = Some(e.to_string());
            }
        }
    }

    /// Runs `f` on the store on the blocking pool.
    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&HistoryStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let Some(store) = self.store.clone() else {
            return Err(ApiError::Unavailable {
                upstream: "the history",
                reason: self.status().error.unwrap_or_default(),
            });
        };
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(StoreError::BadQuery(m))) => Err(ApiError::Invalid(m)),
            Ok(Err(e)) => Err(ApiError::Unavailable {
                upstream: "the history",
                reason: e.to_string(),
            }),
            Err(e) => Err(ApiError::Internal(format!("history task: {e}"))),
        }
    }

    /// Answers a range query, with the markers of its range (what is pending is written first: the live edge is
    /// never a flush behind).
    pub async fn query(&self, q: Query) -> Result<(Answer, Vec<Marker>), ApiError> {
        self.flush().await;
        // The permit goes into the blocking task: a client that leaves does not free it before the work is done.
        let permit = self
            .queries
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::Internal(format!("history queries: {e}")))?;
        self.with_store(move |s| {
            let _permit = permit;
            let answer = s.query(&q)?;
            let markers = s.markers(q.from, q.to, MAX_MARKERS)?;
            Ok((answer, markers))
        })
        .await
    }

    /// The series known and the store's size.
    pub async fn catalog(
        &self,
    ) -> Result<(Vec<kato_dashboard_history_store::SeriesInfo>, Usage), ApiError> {
        self.flush().await;
        self.with_store(|s| Ok((s.series()?, s.usage()?))).await
    }

    /// Keeps one round (samples taken at unix second `t`, and markers) for the next [`Recorder::flush`]. At most
    /// [`MAX_PENDING`] rounds wait; beyond, the oldest are dropped (a store that cannot be written).
    pub fn push(&self, t: i64, samples: Vec<Sample>, markers: Vec<Marker>) {
        if self.store.is_none() || (samples.is_empty() && markers.is_empty()) {
            return;
        }
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if pending.rounds.len() >= MAX_PENDING {
            pending.rounds.remove(0);
        }
        pending.rounds.push((t, samples));
        pending.markers.extend(markers);
    }

    /// Writes every pending round in one transaction: a series' new seconds share its page, so 30 rounds cost the
    /// disk 20 KB each instead of 149 KB alone (100 series; `docs/benchmarks.md` § "History on disk").
    pub async fn flush(&self) {
        let Some(store) = self.store.clone() else {
            return;
        };
        let Pending { rounds, markers } =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        if rounds.is_empty() && markers.is_empty() {
            return;
        }
        let n = rounds.len() as u64;
        let written = tokio::task::spawn_blocking(move || {
            store.write_many(&rounds)?;
            if !markers.is_empty() {
                store.add_markers(&markers)?;
            }
            Ok(())
        })
        .await;
        match written {
            Ok(result) => self.note(result, n),
            Err(e) => tracing::error!(error = %e, "the history's write task failed"),
        }
    }

    /// Writes samples taken at unix second `t` now (the knowledge-base sampler's), with what is pending.
    pub async fn write(&self, t: i64, samples: Vec<Sample>, markers: Vec<Marker>) {
        self.push(t, samples, markers);
        self.flush().await;
    }

    /// Rolls up and enforces retention (once a minute).
    async fn maintain(&self, now: i64) {
        let result = self.with_store(move |s| s.maintain(now)).await;
        match result {
            Ok(m) => {
                self.stats.bytes.store(m.bytes, Ordering::Relaxed);
                tracing::debug!(?m, "history maintained");
            }
            Err(e) => tracing::warn!(error = %e, "history maintenance failed"),
        }
    }
}

#[cfg(test)]
mod tests;
