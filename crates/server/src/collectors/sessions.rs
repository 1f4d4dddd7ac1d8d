//! The sessions task: owns the merged session list ([`SessionRegistry`]), fed by KATO's push (instant), Redis
//! scans every `SESSION_RECONCILE_INTERVAL_SECONDS` (truth, and TTL expiries KATO never announces) and KATO's
//! count. It publishes `session_event`s, the `sessions` state topic, and the list the REST API pages through.
//!
//! Scans run in a subtask so a slow Redis never delays a push. A failed scan changes nothing: the count turns
//! "unknown" (null) rather than producing fake destroyed/created events.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use kato_dashboard_browse_redis::RedisHandle;
use kato_dashboard_core::{
    kato::events::KatoEvent,
    protocol::{ServerMsg, Topic},
    sessions::{ChangeKind, ChangeSource, SessionChange, SessionRecord, SessionRegistry},
    source::SourceState,
    time::rfc3339,
    topics::{CountSource, SessionEventData, SessionSources, SessionsTopic},
};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::redis_scan::{self, Scan};
use crate::hub::HubHandle;
use crate::metrics::CollectorStats;

/// Inputs of the sessions task.
#[derive(Debug)]
pub enum SessionInput {
    /// A frame from KATO's `/ws/events`, and the instance that sent it (in a fleet).
    KatoEvent(KatoEvent, Option<String>),
    /// The event listener connected (`None`) or lost its connection (`Some(reason)`).
    EventsState(Option<String>),
    /// KATO's session count (`None`: KATO unreachable).
    KatoCount(Option<u64>),
    /// This dashboard deleted a session through KATO.
    Deleted(String),
}

/// What the REST API reads.
#[derive(Debug, Clone, Default)]
pub struct SessionsView {
    /// Live sessions, by id.
    pub records: Vec<SessionRecord>,
    /// The `sessions` topic value.
    pub summary: SessionsTopic,
    /// Whether the Redis list is current (else the list holds only pushed sessions).
    pub redis_ok: bool,
}

struct ScanDone {
    started: DateTime<Utc>,
    took: Duration,
    result: Result<Scan, String>,
}

struct Task {
    registry: SessionRegistry,
    hub: HubHandle,
    view: watch::Sender<Arc<SessionsView>>,
    redis_source: SourceState,
    events_source: SourceState,
    kato_count: Option<u64>,
    last_event_at: Option<DateTime<Utc>>,
    truncated: bool,
}

/// Runs the sessions task.
pub async fn run(
    redis: RedisHandle,
    hub: HubHandle,
    every: Duration,
    mut inputs: mpsc::Receiver<SessionInput>,
    view: watch::Sender<Arc<SessionsView>>,
    stats: Arc<CollectorStats>,
    cancel: CancellationToken,
) {
    let now = Utc::now();
    let mut task = Task {
        registry: SessionRegistry::default(),
        hub,
        view,
        redis_source: SourceState::Unavailable {
            reason: redis.unusable().unwrap_or("not scanned yet").into(),
            since: now,
        },
        events_source: SourceState::Unavailable {
            reason: "not connected yet".into(),
            since: now,
        },
        kato_count: None,
        last_event_at: None,
        truncated: false,
    };
    let (done_tx, mut done_rx) = mpsc::channel::<ScanDone>(1);
    // A pushed session's key, read at once: its TTL and expiry without waiting for the next scan.
    let (fetched_tx, mut fetched_rx) = mpsc::channel::<SessionRecord>(64);
    let mut scanning = false;
    let mut timer = tokio::time::interval(every);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = timer.tick(), if !scanning && redis.unusable().is_none() => {
                scanning = true;
                let redis = redis.clone();
                let done = done_tx.clone();
                let limit = every.max(Duration::from_secs(5)) * 2;
                tokio::spawn(async move {
                    let started = Utc::now();
                    let clock = std::time::Instant::now();
                    let result = match tokio::time::timeout(limit, scan_with(&redis)).await {
                        Ok(r) => r,
                        Err(_) => Err(format!("scan did not finish within {} s", limit.as_secs())),
                    };
                    let _ = done.send(ScanDone { started, took: clock.elapsed(), result }).await;
                });
            }
            Some(done) = done_rx.recv() => {
                scanning = false;
                stats.redis_sessions.record(done.took, done.result.is_ok());
                match done.result {
                    Ok(scan) => {
                        task.redis_source = SourceState::Ok;
                        task.truncated = scan.truncated;
                        let changes = task.registry.apply_scan(done.started, scan.records, Utc::now());
                        task.publish_changes(changes).await;
                    }
                    Err(reason) => {
                        task.redis_source = task.redis_source.failed(reason, Utc::now());
                    }
                }
                task.publish_state().await;
            }
            input = inputs.recv() => match input {
                Some(input) => {
                    if let Some(id) = task.on_input(input).await && redis.unusable().is_none() {
                        tokio::spawn(fetch_one(redis.clone(), id, fetched_tx.clone()));
                    }
                }
                None => return,
            },
            Some(record) = fetched_rx.recv() => {
                task.registry.refresh(record);
                task.publish_state().await;
            }
        }
    }
}

/// One scan on the shared connection (repeated once if it found the connection gone after an outage).
async fn scan_with(redis: &RedisHandle) -> Result<Scan, String> {
    let scan = redis.with_conn(|mut conn| async move { redis_scan::scan(&mut conn).await });
    scan.await.map_err(|e| e.reason().to_owned())
}

/// Reads one session's key (`GET` + `PTTL`) for the task.
async fn fetch_one(redis: RedisHandle, id: String, to: mpsc::Sender<SessionRecord>) {
    let id = &id;
    let read = redis.with_conn(|mut conn| async move { redis_scan::read_one(&mut conn, id).await });
    if let Ok(Ok(Some((_, record)))) = tokio::time::timeout(Duration::from_secs(3), read).await {
        let _ = to.send(record).await;
    }
}

impl Task {
    /// Handles an input; returns the id of a session to read from Redis (one KATO just announced).
    async fn on_input(&mut self, input: SessionInput) -> Option<String> {
        let mut fetch = None;
        let now = Utc::now();
        match input {
            SessionInput::KatoEvent(KatoEvent::SessionCreated { timestamp, data }, instance) => {
                let record = SessionRecord {
                    instance,
                    ..SessionRecord::bare(
                        data.session_id.clone(),
                        data.node_id.clone(),
                        data.created_at.or(timestamp),
                    )
                };
                let change = self.registry.apply_created(record, now);
                self.publish_changes(change.into_iter().collect()).await;
                fetch = Some(data.session_id.clone());
            }
            SessionInput::KatoEvent(KatoEvent::SessionDestroyed { data, .. }, _) => {
                let reason = data
                    .reason
                    .clone()
                    .unwrap_or_else(|| "explicit_delete".into());
                let change = self.registry.apply_destroyed(
                    &data.session_id,
                    &reason,
                    ChangeSource::KatoPush,
                    now,
                );
                self.publish_changes(change.into_iter().collect()).await;
            }
            SessionInput::KatoEvent(..) => return None,
            SessionInput::EventsState(None) => self.events_source = SourceState::Ok,
            SessionInput::EventsState(Some(reason)) => {
                self.events_source = self.events_source.failed(reason, now)
            }
            SessionInput::KatoCount(count) => {
                if count == self.kato_count {
                    return None;
                }
                self.kato_count = count;
            }
            SessionInput::Deleted(id) => {
                let change = self.registry.apply_destroyed(
                    &id,
                    "explicit_delete",
                    ChangeSource::Dashboard,
                    now,
                );
                self.publish_changes(change.into_iter().collect()).await;
            }
        }
        self.publish_state().await;
        fetch
    }

    async fn publish_changes(&mut self, changes: Vec<SessionChange>) {
        for change in changes {
            let since = self
                .last_event_at
                .map(|t| (change.at - t).num_milliseconds() as f64 / 1000.0);
            self.last_event_at = Some(change.at);
            let msg = session_event(&change, since);
            self.hub.publish_event(Topic::SessionEvents, msg).await;
        }
    }

    /// The active count: the merged list while Redis is readable, else KATO's count, else unknown.
    fn active_count(&self) -> (Option<u64>, CountSource) {
        if self.redis_source.is_ok() {
            (Some(self.registry.len() as u64), CountSource::Redis)
        } else if let Some(n) = self.kato_count {
            (Some(n), CountSource::Kato)
        } else {
            (None, CountSource::Unknown)
        }
    }

    async fn publish_state(&mut self) {
        let (active, count_source) = self.active_count();
        let summary = SessionsTopic {
            active_count: active,
            total_count: self.registry.created_total(),
            count_source,
            kato_count: self.kato_count,
            listed: self.registry.len() as u64,
            truncated: self.truncated,
            sources: SessionSources {
                redis: self.redis_source.clone(),
                kato_events: self.events_source.clone(),
            },
            updated_at: Utc::now(),
        };
        let mut records: Vec<SessionRecord> = self.registry.records().cloned().collect();
        records.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| a.session_id.cmp(&b.session_id))
        });
        self.view.send_replace(Arc::new(SessionsView {
            records,
            summary: summary.clone(),
            redis_ok: self.redis_source.is_ok(),
        }));
        self.hub.publish_state(summary).await;
    }
}

/// The old `session_event` shape plus `session_id`, `node_id`, `reason`, `source`.
fn session_event(change: &SessionChange, since_last: Option<f64>) -> ServerMsg {
    let created = change.kind == ChangeKind::Created;
    let current = change.count_after as i64;
    let delta: i64 = if created { 1 } else { -1 };
    ServerMsg::SessionEvent {
        event_type: if created {
            "session_created"
        } else {
            "session_destroyed"
        }
        .into(),
        timestamp: rfc3339(change.at),
        seq: 0,
        data: SessionEventData {
            current_count: current,
            previous_count: current - delta,
            delta,
            time_since_last_event: since_last.unwrap_or(0.0),
            session_id: change.session_id.clone(),
            node_id: change.node_id.clone(),
            reason: change.reason.clone(),
            source: Some(change.source),
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod golden_tests {
    use super::*;
    use crate::golden::{at, check};

    #[test]
    fn session_events_are_the_recorded_wire() {
        let created = SessionChange {
            kind: ChangeKind::Created,
            session_id: "session-abc".into(),
            node_id: Some("node-1".into()),
            reason: None,
            source: ChangeSource::KatoPush,
            at: at(1),
            count_after: 3,
        };
        let destroyed = SessionChange {
            kind: ChangeKind::Destroyed,
            session_id: "session-def".into(),
            node_id: None,
            reason: Some("expired".into()),
            source: ChangeSource::RedisScan,
            at: at(2),
            count_after: 2,
        };
        check(
            "session_created.json",
            &serde_json::to_string(&session_event(&created, None)).unwrap(),
        );
        check(
            "session_destroyed.json",
            &serde_json::to_string(&session_event(&destroyed, Some(1.5))).unwrap(),
        );
    }

    #[test]
    fn the_sessions_topic_is_the_recorded_wire() {
        let unavailable = SourceState::Unavailable {
            reason: "Redis is unreachable".into(),
            since: at(-10),
        };
        // Recorded from the `json!` the collector built before the topics were typed.
        let summary = SessionsTopic {
            active_count: Some(3),
            total_count: 17,
            count_source: CountSource::Redis,
            kato_count: Some(4),
            listed: 3,
            truncated: false,
            sources: SessionSources {
                redis: SourceState::Ok,
                kato_events: unavailable,
            },
            updated_at: at(0),
        };
        check("sessions.json", &serde_json::to_string(&summary).unwrap());
        let unknown = SessionsTopic {
            truncated: true,
            sources: SessionSources {
                redis: SourceState::Ok,
                kato_events: SourceState::Ok,
            },
            updated_at: at(0),
            ..SessionsTopic::default()
        };
        check(
            "sessions_unknown.json",
            &serde_json::to_string(&unknown).unwrap(),
        );
    }
}
