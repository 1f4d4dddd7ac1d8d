//! The evaluator: on every hub tick (whether or not anyone is connected) it reads the state topics, adds the
//! `kato_restarted` events heard since the last tick, and feeds the engine; then the retention task.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use kato_dashboard_alert_store::Retention;
use kato_dashboard_core::{
    alerts::{AlertEngine, Phase, Signal},
    protocol::{ServerMsg, Topic},
    time::rfc3339,
    topics::{KatoEventData, TopicState},
};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::{
    AlertService,
    fleet::{self, FleetRules},
    signals,
};
use crate::hub::{EventFrame, Tick};

/// How often retention runs.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// The readings of one state topic, recomputed only when its value changes.
#[derive(Default)]
struct Cached {
    version: u64,
    signals: Vec<Signal>,
}

/// The readings of the three state topics, read from the tick's typed values (no JSON in between).
struct Readings([Cached; Topic::STATE.len()], FleetRules);

impl Readings {
    fn update(&mut self, tick: &Tick) -> Vec<Signal> {
        let mut out = Vec::new();
        for (topic, cached) in Topic::STATE.into_iter().zip(self.0.iter_mut()) {
            if let Some(value) = tick.topic(topic)
                && value.version != cached.version
            {
                cached.version = value.version;
                cached.signals = match &value.state {
                    TopicState::Metrics(m) => signals::metrics(m),
                    TopicState::Instances(i) => fleet::signals(i, &self.1),
                    TopicState::Containers(c) => signals::containers(c),
                    TopicState::Sessions(s) => signals::sessions(s),
                };
            }
            out.extend(cached.signals.iter().cloned());
        }
        out
    }
}

/// A `kato_restarted` event on the `kato_events` topic, as a reading.
fn restart(frame: &EventFrame) -> Option<Signal> {
    match frame.msg.as_deref()? {
        ServerMsg::KatoEvent {
            data: KatoEventData::Restarted(r),
            ..
        } => Some(signals::restarted(r)),
        _ => None,
    }
}

/// Runs until cancelled.
pub async fn run(
    service: AlertService,
    mut engine: AlertEngine,
    fleet: FleetRules,
    cancel: CancellationToken,
) {
    let hub = service.inner.hub.clone();
    let mut ticks = hub.ticks();
    let mut events = hub.events();
    let mut readings = Readings(Default::default(), fleet);
    let mut heard: Vec<Signal> = Vec::new();
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            changed = ticks.changed() => {
                if changed.is_err() {
                    return;
                }
                let tick: Arc<Tick> = ticks.borrow_and_update().clone();
                let mut signals = readings.update(&tick);
                signals.append(&mut heard);
                evaluate(&service, &mut engine, &signals).await;
            }
            event = events.recv() => match event {
                Ok(frame) => heard.extend(restart(&frame)),
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "alert evaluator lagged behind the events; a KATO restart may be missed");
                }
                Err(RecvError::Closed) => return,
            },
        }
    }
}

async fn evaluate(service: &AlertService, engine: &mut AlertEngine, signals: &[Signal]) {
    let transitions = engine.evaluate(signals, Utc::now());
    let active = engine.active();
    for t in &transitions {
        service.count_transition(t.kind);
        let state = active.iter().find(|a| a.identity == t.identity);
        service.record(t, state).await;
    }
    let pending = active
        .iter()
        .filter_map(|a| match a.phase {
            Phase::Pending { since } => Some(json!({
                "identity": a.identity,
                "type": a.rule.as_str(),
                "container_name": (!a.subject.is_empty()).then_some(&a.subject),
                "state": "pending",
                "since": rfc3339(since),
                "value": a.value,
            })),
            Phase::Firing { .. } => None,
        })
        .collect();
    service.set_pending(pending);
    if !transitions.is_empty() {
        service.refresh_sticky();
    }
}

/// Applies retention at start and every hour.
pub async fn retention(service: AlertService, retention: Retention, cancel: CancellationToken) {
    let mut timer = tokio::time::interval(RETENTION_EVERY);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = timer.tick() => {}
        }
        let store = service.inner.store.clone();
        match tokio::task::spawn_blocking(move || store.apply_retention(&retention, Utc::now()))
            .await
        {
            Ok(Ok(0)) => {}
            Ok(Ok(removed)) => tracing::info!(removed, "alert history retention applied"),
            Ok(Err(e)) => tracing::error!(error = %e, "alert history retention failed"),
            Err(e) => tracing::error!(error = %e, "alert retention task failed"),
        }
    }
}
