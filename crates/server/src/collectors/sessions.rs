//! The sessions task: owns the merged session list ([`SessionRegistry`]), fed by KATO's push (instant), Redis
//! scans every `SESSION_RECONCILE_INTERVAL_SECONDS` (truth, and TTL expiries KATO never announces) and KATO's
//! count. It publishes `session_event`s, the `sessions` state topic, and the list the REST API pages through.
//!
//! Scans run in a subtask so a slow Redis never delays a push. A failed scan changes nothing: the count turns
//! "unknown" (null) rather than producing fake destroyed/created events.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use kato_dashboard_core::{
    kato::events::KatoEvent,
    protocol::{ServerMsg, Topic},
    sessions::{ChangeKind, ChangeSource, SessionChange, SessionRecord, SessionRegistry},
    source::SourceState,
    time::rfc3339,
};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::redis_scan::{self, Scan};
use crate::hub::HubHandle;
use crate::metrics::CollectorStats;

/// Inputs of the sessions task.
#[derive(Debug)]
pub enum SessionInput {
    /// A frame from KATO's `/ws/events`.
    KatoEvent(KatoEvent),
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
    pub summary: Value,
    /// Whether the Redis list is current (else the list holds only pushed sessions).
    pub redis_ok: bool,
}

struct ScanDone {
    started: DateTime<Utc>,
    took: Duration,
    result: Result<(Scan, ConnectionManager), String>,
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
    redis: Option<redis::Client>,
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
            reason: if redis.is_some() {
                "not scanned yet".into()
            } else {
                "REDIS_URL is not usable".into()
            },
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
    let mut conn: Option<ConnectionManager> = None;
    let mut scanning = false;
    let mut timer = tokio::time::interval(every);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = timer.tick(), if !scanning => {
                if let Some(client) = &redis {
                    scanning = true;
                    let client = client.clone();
                    let existing = conn.clone();
                    let done = done_tx.clone();
                    let limit = every.max(Duration::from_secs(5)) * 2;
                    tokio::spawn(async move {
                        let started = Utc::now();
                        let clock = std::time::Instant::now();
                        let result = match tokio::time::timeout(limit, scan_with(client, existing)).await {
                            Ok(r) => r,
                            Err(_) => Err(format!("scan did not finish within {} s", limit.as_secs())),
                        };
                        let _ = done.send(ScanDone { started, took: clock.elapsed(), result }).await;
                    });
                }
            }
            Some(done) = done_rx.recv() => {
                scanning = false;
                stats.redis_sessions.record(done.took, done.result.is_ok());
                match done.result {
                    Ok((scan, manager)) => {
                        conn = Some(manager);
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
                    if let (Some(id), Some(manager)) = (task.on_input(input).await, conn.clone()) {
                        tokio::spawn(fetch_one(manager, id, fetched_tx.clone()));
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

async fn scan_with(
    client: redis::Client,
    existing: Option<ConnectionManager>,
) -> Result<(Scan, ConnectionManager), String> {
    let mut manager = match existing {
        Some(m) => m,
        None => {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(Duration::from_secs(3)))
                .set_response_timeout(Some(Duration::from_secs(5)))
                .set_number_of_retries(1);
            ConnectionManager::new_with_config(client, config)
                .await
                .map_err(|e| e.to_string())?
        }
    };
    let scan = redis_scan::scan(&mut manager)
        .await
        .map_err(|e| e.to_string())?;
    Ok((scan, manager))
}

/// Reads one session's key (`GET` + `PTTL`) for the task.
async fn fetch_one(mut manager: ConnectionManager, id: String, to: mpsc::Sender<SessionRecord>) {
    let read = redis_scan::read_one(&mut manager, &id);
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
            SessionInput::KatoEvent(KatoEvent::SessionCreated { timestamp, data }) => {
                let record = SessionRecord::bare(
                    data.session_id.clone(),
                    data.node_id.clone(),
                    data.created_at.or(timestamp),
                );
                let change = self.registry.apply_created(record, now);
                self.publish_changes(change.into_iter().collect()).await;
                fetch = Some(data.session_id.clone());
            }
            SessionInput::KatoEvent(KatoEvent::SessionDestroyed { data, .. }) => {
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
            SessionInput::KatoEvent(_) => return None,
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
    fn active_count(&self) -> (Option<u64>, &'static str) {
        if self.redis_source.is_ok() {
            (Some(self.registry.len() as u64), "redis")
        } else if let Some(n) = self.kato_count {
            (Some(n), "kato")
        } else {
            (None, "unknown")
        }
    }

    async fn publish_state(&mut self) {
        let (active, count_source) = self.active_count();
        let summary = json!({
            "active_count": active,
            "total_count": self.registry.created_total(),
            "count_source": count_source,
            "kato_count": self.kato_count,
            "listed": self.registry.len(),
            "truncated": self.truncated,
            "sources": { "redis": self.redis_source, "kato_events": self.events_source },
            "updated_at": rfc3339(Utc::now()),
        });
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
        self.hub.publish_state(Topic::Sessions, summary).await;
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
        data: json!({
            "current_count": current,
            "previous_count": current - delta,
            "delta": delta,
            "time_since_last_event": since_last.unwrap_or(0.0),
            "session_id": change.session_id,
            "node_id": change.node_id,
            "reason": change.reason,
            "source": change.source,
        }),
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
        let summary = json!({
            "active_count": Some(3u64),
            "total_count": 17u64,
            "count_source": "redis",
            "kato_count": Some(4u64),
            "listed": 3usize,
            "truncated": false,
            "sources": { "redis": SourceState::Ok, "kato_events": unavailable },
            "updated_at": rfc3339(at(0)),
        });
        check("sessions.json", &summary.to_string());
        let unknown = json!({
            "active_count": None::<u64>,
            "total_count": 0u64,
            "count_source": "unknown",
            "kato_count": None::<u64>,
            "listed": 0usize,
            "truncated": true,
            "sources": { "redis": SourceState::Ok, "kato_events": SourceState::Ok },
            "updated_at": rfc3339(at(0)),
        });
        check("sessions_unknown.json", &unknown.to_string());
    }
}
