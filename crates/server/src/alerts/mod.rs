//! The alert service: evaluates the rules on every hub tick whether or not anyone is connected, and turns each
//! transition into a stored, published, possibly webhook-notified `system_alert`.
//!
//! - [`task`] feeds the pure [`AlertEngine`] (in `core`) with readings from the hub's latest tick ([`signals`]) and
//!   `kato_restarted` events;
//! - every event of the `system_alerts` topic (transitions and `alert_update` bookkeeping) is numbered here, under
//!   one lock, appended to the [`AlertStore`] and then published on the hub — so sequence numbers keep increasing
//!   across restarts and a client resuming after a restart gets what it missed from the store ([`archive`]);
//! - the alerts firing now are kept in the store too: a restart neither fires them again nor forgets them, and
//!   they make the "sticky" frame every subscriber gets first;
//! - silences suppress notifications (toasts, webhook); the event is still stored and sent, marked `silenced`.
//!
//! REST operations are in [`ops`]; the webhook notifier in [`webhook`].

mod archive;
mod fleet;
pub mod message;
mod ops;
pub mod signals;
mod task;
pub mod webhook;

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex, PoisonError, RwLock,
        atomic::{AtomicU64, Ordering},
    },
};

use anyhow::Context as _;
use chrono::Utc;
use kato_dashboard_alert_store::{
    ActiveChange, ActiveRecord, AlertRow, AlertStore, Silence, SqliteStore, StoredEvent,
};
use kato_dashboard_core::{
    alerts::{ActiveAlert, AlertEngine, RuleSet, Transition, TransitionKind},
    protocol::{ServerMsg, Topic},
    time::rfc3339,
    topics::AlertItem,
};
use serde::Deserialize as _;
use serde_json::{Value, json};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{config::Config, hub::HubHandle};
use webhook::{Notification, Webhook, WebhookConfig};

pub use ops::{HistoryParams, NewSilence};

/// Handle to the alert service. Cheap to clone.
#[derive(Clone)]
pub struct AlertService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn AlertStore>,
    hub: HubHandle,
    rules: RuleSet,
    /// The last sequence number issued on `system_alerts`; held while appending and publishing, so events reach
    /// the store and the hub in order.
    seq: tokio::sync::Mutex<u64>,
    silences: RwLock<Vec<Silence>>,
    /// Identity → the item last sent for each alert firing now.
    firing: Mutex<BTreeMap<String, AlertItem>>,
    /// Alerts whose condition holds but not yet for their pending period.
    pending: RwLock<Vec<Value>>,
    webhook: Option<Webhook>,
    /// Transitions per kind since start (`/metrics`), in [`TRANSITION_KINDS`] order.
    transitions: [AtomicU64; 5],
}

/// Label values of the transition counter.
pub const TRANSITION_KINDS: [&str; 5] =
    ["fired", "escalated", "de_escalated", "repeated", "resolved"];

/// One event to number, store and publish.
struct Prepared {
    msg: ServerMsg,
    kind: &'static str,
    alert: Option<AlertRow>,
    active: ActiveChange,
}

/// What opening the store reads (on the blocking pool: SQLite never runs on a runtime thread).
struct Opened {
    store: Arc<dyn AlertStore>,
    last_seq: u64,
    active: Vec<ActiveRecord>,
    silences: Vec<Silence>,
}

fn open(dir: &std::path::Path) -> anyhow::Result<Opened> {
    let store: Arc<dyn AlertStore> = Arc::new(
        SqliteStore::open_dir(dir)
            .with_context(|| format!("opening the alert store in {}", dir.display()))?,
    );
    Ok(Opened {
        last_seq: store.last_seq()?,
        active: store.active()?,
        silences: store.silences(false, Utc::now())?,
        store,
    })
}

/// Opens the store, restores the alerts firing before a restart, wires the store in as the topic's archive and
/// starts the evaluator, the retention task and the webhook worker.
pub async fn start(
    config: &Config,
    hub: &HubHandle,
    cancel: &CancellationToken,
    tracker: &TaskTracker,
) -> anyhow::Result<AlertService> {
    let rules = config.alerts.rule_set()?;
    let dir = config.alert_store_dir();
    let opened = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || open(&dir))
            .await
            .context("the alert store's opening task failed")??
    };
    let Opened {
        store,
        last_seq,
        active,
        silences,
    } = opened;
    let mut engine = AlertEngine::new(rules.clone());
    let mut firing = BTreeMap::new();
    let mut restored = Vec::new();
    for record in active {
        match serde_json::from_value::<ActiveAlert>(record.data["engine"].clone()) {
            Ok(alert) => restored.push(alert),
            Err(e) => {
                tracing::warn!(identity = %record.identity, error = %e, "stored firing alert unreadable; dropped");
                continue;
            }
        }
        match AlertItem::deserialize(&record.data["item"]) {
            Ok(item) => {
                firing.insert(record.identity.clone(), item);
            }
            Err(e) => {
                tracing::warn!(identity = %record.identity, error = %e, "stored alert item unreadable; the alert stays active without it");
            }
        }
    }
    tracing::info!(firing = restored.len(), last_seq, store = %dir.display(), "alert store opened");
    engine.restore(restored);
    hub.set_archive(
        Topic::SystemAlerts,
        Arc::new(archive::StoreArchive::new(store.clone())),
        last_seq,
    );
    let webhook = match &config.alerts.webhook_url {
        Some(url) => Some(Webhook::spawn(
            WebhookConfig {
                url: url.clone(),
                format: config.alerts.webhook_format,
                timeout: crate::config::secs(config.alerts.webhook_timeout_seconds),
                max_retries: config.alerts.webhook_max_retries,
                queue: config.alerts.webhook_queue,
            },
            cancel.clone(),
            tracker,
        )?),
        None => None,
    };
    let service = AlertService {
        inner: Arc::new(Inner {
            silences: RwLock::new(silences),
            store,
            hub: hub.clone(),
            rules,
            seq: tokio::sync::Mutex::new(last_seq),
            firing: Mutex::new(firing),
            pending: RwLock::new(Vec::new()),
            webhook,
            transitions: Default::default(),
        }),
    };
    service.refresh_sticky();
    tracker.spawn(task::run(
        service.clone(),
        engine,
        fleet::FleetRules::new(config),
        cancel.clone(),
    ));
    let (max_age, max_events) = config.alerts.retention();
    tracker.spawn(task::retention(
        service.clone(),
        kato_dashboard_alert_store::Retention {
            max_age: Some(max_age),
            max_events: Some(max_events),
        },
        cancel.clone(),
    ));
    Ok(service)
}

impl AlertService {
    /// The effective rules.
    pub fn rules(&self) -> &RuleSet {
        &self.inner.rules
    }

    /// The webhook notifier, when configured.
    pub fn webhook(&self) -> Option<&Webhook> {
        self.inner.webhook.as_ref()
    }

    /// Counts one engine transition.
    pub(crate) fn count_transition(&self, kind: TransitionKind) {
        let i = match kind {
            TransitionKind::Fired => 0,
            TransitionKind::Escalated => 1,
            TransitionKind::DeEscalated => 2,
            TransitionKind::Repeated => 3,
            TransitionKind::Resolved => 4,
        };
        self.inner.transitions[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Transitions per kind since start.
    pub fn transition_counts(&self) -> [(&'static str, u64); 5] {
        std::array::from_fn(|i| {
            (
                TRANSITION_KINDS[i],
                self.inner.transitions[i].load(Ordering::Relaxed),
            )
        })
    }

    /// Numbers, stores and publishes one event. Store failures are logged: the event is still published.
    async fn append_publish(&self, build: impl FnOnce(u64) -> Prepared) -> u64 {
        let mut last = self.inner.seq.lock().await;
        let seq = *last + 1;
        let p = build(seq);
        match serde_json::to_string(&p.msg) {
            Ok(text) => {
                let event = StoredEvent {
                    seq,
                    at: Utc::now(),
                    kind: p.kind.to_owned(),
                    text,
                };
                let store = self.inner.store.clone();
                let (alert, active) = (p.alert, p.active);
                let stored = tokio::task::spawn_blocking(move || {
                    store.append(&event, alert.as_ref(), &active)
                })
                .await;
                match stored {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, seq, "alert event not stored"),
                    Err(e) => tracing::error!(error = %e, seq, "alert store task failed"),
                }
            }
            Err(e) => tracing::error!(error = %e, seq, "cannot serialize an alert event"),
        }
        *last = seq;
        self.inner
            .hub
            .publish_event(Topic::SystemAlerts, p.msg)
            .await;
        seq
    }

    /// Publishes an `alert_update` (read, acknowledged, silences, cleared) to every tab.
    pub async fn publish_update(&self, action: &str, data: Value) -> u64 {
        self.append_publish(|seq| Prepared {
            msg: ServerMsg::AlertUpdate {
                action: action.to_owned(),
                timestamp: rfc3339(Utc::now()),
                seq,
                data,
            },
            kind: "alert_update",
            alert: None,
            active: ActiveChange::Keep,
        })
        .await
    }

    fn silenced(&self, labels: &BTreeMap<String, String>) -> bool {
        let now = Utc::now();
        self.inner
            .silences
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|s| s.matches(labels, now))
    }

    /// Stores, publishes and notifies one transition. `active` is the engine's state of the alert afterwards.
    async fn record(&self, t: &Transition, active: Option<&ActiveAlert>) {
        let labels = message::labels(t);
        let silenced = self.silenced(&labels);
        let resolved = t.kind == TransitionKind::Resolved;
        let mut sent = AlertItem::default();
        self.append_publish(|seq| {
            let item = message::item(t, seq, silenced);
            let item_json = serde_json::to_value(&item).unwrap_or_default();
            let alert = AlertRow {
                seq,
                message_id: message::event_id(seq),
                alert_id: t.alert_id.clone(),
                identity: t.identity.clone(),
                rule: t.rule.as_str().to_owned(),
                subject: t.subject.clone(),
                state: message::state(t.kind).to_owned(),
                severity: t.severity.as_str().to_owned(),
                at: t.at,
                silenced,
                item: item_json,
            };
            let active = if resolved {
                ActiveChange::Remove(t.identity.clone())
            } else {
                ActiveChange::Upsert(ActiveRecord {
                    identity: t.identity.clone(),
                    alert_id: t.alert_id.clone(),
                    data: json!({ "engine": active, "item": item }),
                })
            };
            sent = item.clone();
            Prepared {
                msg: ServerMsg::SystemAlert {
                    id: message::event_id(seq),
                    timestamp: rfc3339(t.at),
                    seq,
                    snapshot: false,
                    alerts: vec![item],
                },
                kind: "system_alert",
                alert: Some(alert),
                active,
            }
        })
        .await;
        {
            let mut firing = self
                .inner
                .firing
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if resolved {
                firing.remove(&t.identity);
            } else {
                firing.insert(t.identity.clone(), sent);
            }
        }
        tracing::info!(alert_id = %t.alert_id, state = message::state(t.kind), severity = t.severity.as_str(), silenced, "{}", t.message);
        if let (Some(webhook), false) = (&self.inner.webhook, silenced) {
            webhook.notify(Notification {
                status: if resolved { "resolved" } else { "firing" },
                labels,
                summary: t.message.clone(),
                starts_at: t.started_at,
                ends_at: resolved.then_some(t.at),
                fingerprint: webhook::fingerprint(&t.identity),
            });
        }
    }

    /// Sets the frame of alerts firing now that every `system_alerts` subscriber gets first.
    fn refresh_sticky(&self) {
        let items: Vec<AlertItem> = self
            .inner
            .firing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        let frame = (!items.is_empty()).then(|| {
            let text = serde_json::to_string(&message::firing_snapshot(items, Utc::now()));
            text.unwrap_or_default().into()
        });
        self.inner.hub.set_sticky(Topic::SystemAlerts, frame);
    }

    fn set_pending(&self, alerts: Vec<Value>) {
        *self
            .inner
            .pending
            .write()
            .unwrap_or_else(PoisonError::into_inner) = alerts;
    }

    fn reload_silences(&self, list: Vec<Silence>) {
        *self
            .inner
            .silences
            .write()
            .unwrap_or_else(PoisonError::into_inner) = list;
    }
}
