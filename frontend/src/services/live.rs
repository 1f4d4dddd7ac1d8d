//! The live view models, one signal each, fed by the socket (`ws.rs`) through their pure reducers.
//!
//! The alert history is loaded from the server's store on start; what only the browser knows (toasts already
//! shown, local KATO notices and their read flags) is persisted in `localStorage` whenever it changes.

use kato_dashboard_core::protocol::{ServerMsg, Topic};
use leptos::prelude::*;
use serde_json::Value;

use super::{now_ms, storage};
use crate::state::{
    alerts::{AlertsState, Persisted},
    containers::ContainersState,
    metrics::MetricsState,
    sessions::{SessionEventView, SessionSummaryView},
    timeline::KatoTimeline,
    wire::EventLog,
};

const ALERTS_KEY: &str = "kato.alerts.v1";

/// Every live model of the tab.
#[derive(Clone, Copy)]
pub struct Live {
    pub metrics: RwSignal<MetricsState>,
    pub containers: RwSignal<ContainersState>,
    pub sessions: RwSignal<Option<SessionSummaryView>>,
    pub alerts: RwSignal<AlertsState>,
    pub timeline: RwSignal<KatoTimeline>,
    /// Session events in arrival order; the Sessions pages process the ids after the one they saw last.
    pub session_events: RwSignal<EventLog<SessionEventView>>,
    /// Bumped when the server says session events were lost (`resync`): refetch the list.
    pub sessions_resync: RwSignal<u64>,
    /// Topics the server does not offer (switched off by its configuration).
    pub unknown_topics: RwSignal<Vec<String>>,
    /// The server's tick interval, estimated from `realtime_update` timestamps.
    pub tick_ms: RwSignal<f64>,
}

impl Live {
    /// A state topic's new value.
    pub fn apply_state(&self, topic: Topic, value: &Value) {
        let now = now_ms();
        match topic {
            Topic::Metrics => self.metrics.update(|m| m.apply(value, now)),
            Topic::Containers => self.containers.update(|c| c.apply(value, now)),
            Topic::Instances => self.metrics.update(|m| m.apply_instances(value, now)),
            Topic::Sessions => self
                .sessions
                .set(Some(SessionSummaryView::from_value(value))),
            _ => {}
        }
    }

    /// An event message (already checked for duplicates by sequence number).
    pub fn apply_event(&self, msg: &ServerMsg) {
        let now = now_ms();
        match msg {
            ServerMsg::SessionEvent { .. } => {
                if let Some(ev) = SessionEventView::from_msg(msg) {
                    self.session_events.update(|log| log.push(ev));
                }
            }
            ServerMsg::SystemAlert { .. } | ServerMsg::AlertUpdate { .. } => {
                self.alerts.maybe_update(|a| a.apply(msg, now));
            }
            ServerMsg::KatoEvent { .. } => {
                self.timeline.maybe_update(|t| t.apply(msg, now));
                self.alerts.maybe_update(|a| a.apply(msg, now));
            }
            _ => {}
        }
    }
}

/// Creates the models (alerts restored from storage, then the server's history) and keeps the alerts stored.
pub fn provide_live() -> Live {
    let stored: Persisted = storage::get_json(ALERTS_KEY).unwrap_or_default();
    let live = Live {
        metrics: RwSignal::new(MetricsState::default()),
        containers: RwSignal::new(ContainersState::default()),
        sessions: RwSignal::new(None),
        alerts: RwSignal::new(AlertsState::restore(stored)),
        timeline: RwSignal::new(KatoTimeline::default()),
        session_events: RwSignal::new(EventLog::new(500)),
        sessions_resync: RwSignal::new(0),
        unknown_topics: RwSignal::new(Vec::new()),
        tick_ms: RwSignal::new(1000.0),
    };
    let alerts = live.alerts;
    Effect::new(move |_| {
        let persisted = alerts.with(AlertsState::persisted);
        storage::set_json(ALERTS_KEY, &persisted);
    });
    reload_alert_history(alerts);
    load_chart_history(live.metrics, live.containers);
    provide_context(live);
    live
}

/// Puts the server's last minutes of `metrics` and `containers` behind the live points of the charts.
fn load_chart_history(metrics: RwSignal<MetricsState>, containers: RwSignal<ContainersState>) {
    leptos::task::spawn_local(async move {
        match crate::api::system_history().await {
            Ok(h) => {
                let list = |k: &str| {
                    h.get(k)
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                };
                let now = now_ms();
                metrics.update(|m| m.seed_history(&list("metrics"), now));
                containers.update(|c| c.seed_history(&list("containers"), now));
            }
            Err(e) => leptos::logging::warn!("chart history not loaded: {e}"),
        }
    });
}

/// Merges the server's alert history (`GET /alerts/history`) into the view: at start, and after a `resync` of
/// `system_alerts` (events the socket could no longer replay).
pub fn reload_alert_history(alerts: RwSignal<AlertsState>) {
    leptos::task::spawn_local(async move {
        match crate::api::alert_history().await {
            Ok(items) => {
                alerts.maybe_update(|a| a.load_history(&items, now_ms()));
            }
            Err(e) => leptos::logging::warn!("alert history not loaded: {e}"),
        }
    });
}

/// The live models.
pub fn use_live() -> Live {
    expect_context::<Live>()
}
