//! The simulator's shared state: one [`Shared`] (config, session store, knowledge base,
//! incident switches, listener control) and one [`Worker`] per simulated uvicorn process, which
//! owns what KATO keeps in process memory: request metrics, uptime, processors, session locks,
//! the v3 response caches and its WebSocket clients. A restart replaces every worker's state.
//!
//! Locks are `std::sync::Mutex`es held for short sections with no `.await` inside.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::SimConfig;
use crate::incidents::Incidents;
use crate::json::Json;
use crate::kb::KnowledgeBase;
use crate::listener::ListenerControl;
use crate::metrics::RequestMetrics;
use crate::obj;
use crate::store::Store;
use crate::timefmt;
use crate::waves::Waves;

/// Handle passed to every handler and task.
pub(crate) type AppState = Arc<Shared>;

/// KATO's `max_processors`.
pub(crate) const MAX_PROCESSORS: usize = 100;

/// Locks a mutex, reusing it if a panic poisoned it (the simulator's data stays usable).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// State shared by all workers.
pub(crate) struct Shared {
    pub config: SimConfig,
    pub store: Store,
    pub workers: Vec<Worker>,
    pub kb: Mutex<KnowledgeBase>,
    pub incidents: Incidents,
    pub listener: Arc<ListenerControl>,
    pub waves: Waves,
    /// When the simulator (the "host") started: the resource waves' time origin.
    pub host_started: Instant,
    pub rng: Mutex<StdRng>,
    pub shutdown: CancellationToken,
    pub tracker: TaskTracker,
    /// A `max_requests` exit is scheduled (cleared by the restart).
    pub exit_pending: AtomicBool,
    next_worker: AtomicUsize,
}

impl Shared {
    pub(crate) fn new(
        config: SimConfig,
        store: Store,
        listener: Arc<ListenerControl>,
        rng: StdRng,
    ) -> Shared {
        let now = timefmt::epoch(&timefmt::now());
        let workers = (0..config.workers)
            .map(|index| Worker::new(index, now))
            .collect();
        Shared {
            waves: Waves::new(config.seed),
            config,
            store,
            workers,
            kb: Mutex::new(KnowledgeBase::default()),
            incidents: Incidents::default(),
            listener,
            host_started: Instant::now(),
            rng: Mutex::new(rng),
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            exit_pending: AtomicBool::new(false),
            next_worker: AtomicUsize::new(0),
        }
    }

    /// A worker for work that did not arrive on a connection (library calls, traffic).
    pub(crate) fn pick_worker(&self) -> usize {
        self.next_worker.fetch_add(1, Ordering::Relaxed) % self.workers.len()
    }

    pub(crate) fn worker(&self, index: usize) -> &Worker {
        &self.workers[index % self.workers.len()]
    }

    /// Seconds since the simulator started (resource wave time).
    pub(crate) fn host_seconds(&self) -> f64 {
        self.host_started.elapsed().as_secs_f64()
    }

    /// Resets every worker as a process restart does; the new processes start at `started`.
    pub(crate) fn reset_workers(&self, started: f64) {
        for w in &self.workers {
            *w.lock() = WorkerState::new(worker_started(started, w.index));
        }
    }
}

/// When worker `index` of a KATO started at `started` came up: uvicorn starts its workers one after the other, so
/// each process has its own start time (and uptime), as in the four-worker recording.
fn worker_started(started: f64, index: usize) -> f64 {
    started + index as f64 * WORKER_START_STEP_SECONDS
}

/// Time between two workers' starts.
const WORKER_START_STEP_SECONDS: f64 = 0.4;

/// One simulated worker process.
pub(crate) struct Worker {
    pub index: usize,
    /// Serialized `/ws/events` frames for this worker's WebSocket clients.
    pub events: broadcast::Sender<Arc<str>>,
    state: Mutex<WorkerState>,
}

impl Worker {
    fn new(index: usize, started: f64) -> Worker {
        let (events, _) = broadcast::channel(1024);
        Worker {
            index,
            events,
            state: Mutex::new(WorkerState::new(worker_started(started, index))),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, WorkerState> {
        lock(&self.state)
    }

    /// Sends a frame to this worker's WebSocket clients (none connected is fine).
    pub(crate) fn broadcast(&self, frame: String) {
        let _no_receivers_is_fine = self.events.send(Arc::from(frame));
    }
}

/// A KATO processor (one per node, created on first use of that node in this worker).
#[derive(Clone, Debug)]
pub(crate) struct Processor {
    pub node_id: String,
    pub created_at: DateTime<Utc>,
    pub last_accessed: DateTime<Utc>,
    pub access_count: i64,
}

/// `<node_id with - → _>_kato`.
pub(crate) fn processor_id(node_id: &str) -> String {
    format!("{}_kato", node_id.replace('-', "_"))
}

/// What one worker process keeps in memory.
pub(crate) struct WorkerState {
    /// Process start, epoch seconds (may lie in the future during a restart's downtime).
    pub started: f64,
    pub metrics: RequestMetrics,
    pub processors: Vec<Processor>,
    /// Session ids touched through this worker (`/status.sessions`), cleaned every 300 s.
    pub locks: HashSet<String>,
    pub last_lock_cleanup: f64,
    pub in_flight: u32,
    pub peak_in_flight: u32,
    /// v3.10.1: cached `/metrics` body and `/sessions/count` value, with their time.
    pub metrics_cache: Option<(Instant, Json)>,
    pub count_cache: Option<(Instant, u64)>,
    /// When the pattern database client was first used (`/connection-pools`), and its timing.
    pub pattern_db_check: Option<(f64, f64)>,
    /// Observations published to the distributed STM stream (v3).
    pub stm_events: i64,
}

impl WorkerState {
    pub(crate) fn new(started: f64) -> WorkerState {
        WorkerState {
            started,
            metrics: RequestMetrics::default(),
            processors: Vec::new(),
            locks: HashSet::new(),
            last_lock_cleanup: started,
            in_flight: 0,
            peak_in_flight: 0,
            metrics_cache: None,
            count_cache: None,
            pattern_db_check: None,
            stm_events: 0,
        }
    }

    pub(crate) fn uptime(&self, now: f64) -> f64 {
        (now - self.started).max(0.0)
    }

    /// Gets or creates the processor of `node_id`, recording an access.
    pub(crate) fn touch_processor(&mut self, node_id: &str, now: DateTime<Utc>, eviction_ttl: u64) {
        let now_epoch = timefmt::epoch(&now);
        self.processors.retain(|p| {
            (now - p.last_accessed).num_seconds() < eviction_ttl as i64 || p.node_id == node_id
        });
        if self.pattern_db_check.is_none() {
            self.pattern_db_check = Some((now_epoch, 0.15 + (now_epoch.fract() * 0.2)));
        }
        match self.processors.iter_mut().find(|p| p.node_id == node_id) {
            Some(p) => {
                p.last_accessed = now;
                p.access_count += 1;
            }
            None => {
                if self.processors.len() >= MAX_PROCESSORS
                    && let Some(lru) = self
                        .processors
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, p)| p.last_accessed)
                        .map(|(i, _)| i)
                {
                    self.processors.remove(lru);
                }
                self.processors.push(Processor {
                    node_id: node_id.to_string(),
                    created_at: now,
                    last_accessed: now,
                    access_count: 1,
                });
            }
        }
    }

    /// `processor_manager` of `/metrics`, `/stats` and `/status.processors`.
    pub(crate) fn processor_manager(&self, now: DateTime<Utc>, eviction_ttl: u64) -> Json {
        let processors: Vec<Json> = self
            .processors
            .iter()
            .map(|p| {
                let idle = (now - p.last_accessed).num_microseconds().unwrap_or(0) as f64 / 1e6;
                obj! {
                    "processor_id" => processor_id(&p.node_id),
                    "node_id" => &p.node_id,
                    "created_at" => timefmt::iso_offset(&p.created_at),
                    "last_accessed" => timefmt::iso_offset(&p.last_accessed),
                    "access_count" => p.access_count,
                    "idle_seconds" => (idle.max(0.0) * 1e6).round() / 1e6,
                }
            })
            .collect();
        obj! {
            "total_processors" => processors.len(),
            "max_processors" => MAX_PROCESSORS,
            "eviction_ttl_seconds" => eviction_ttl,
            "processors" => Json::Arr(processors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processors_are_per_node_and_evicted_when_idle() {
        let mut w = WorkerState::new(0.0);
        let t0 = timefmt::now();
        w.touch_processor("dash-alice", t0, 3600);
        w.touch_processor("dash-alice", t0, 3600);
        w.touch_processor("dash-bob", t0, 3600);
        let pm = w.processor_manager(t0, 3600);
        assert_eq!(pm.get("total_processors"), Some(&Json::Int(2)));
        let first = &pm.get("processors").unwrap().as_array().unwrap()[0];
        assert_eq!(
            first.get("processor_id"),
            Some(&Json::from("dash_alice_kato"))
        );
        assert_eq!(first.get("access_count"), Some(&Json::Int(2)));
        let later = t0 + chrono::Duration::seconds(4000);
        w.touch_processor("dash-carol", later, 3600);
        assert_eq!(w.processors.len(), 1, "idle processors are evicted");
        assert_eq!(w.uptime(5.0), 5.0);
        assert_eq!(
            w.uptime(-1.0),
            0.0,
            "a process that has not started yet has no uptime"
        );
    }
}
