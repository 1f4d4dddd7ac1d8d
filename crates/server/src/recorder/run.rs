//! The recorder's task: every sample interval, the levels of the hub's latest tick plus the events tallied since
//! the last sample make one round, kept in memory and written with the others every [`super::FLUSH_EVERY`]; once a
//! minute the store rolls up and enforces its retention.

use std::time::Duration;

use chrono::Utc;
use kato_dashboard_core::protocol::Topic;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::{Recorder, Tally, levels};
use crate::{alerts::AlertService, hub::HubHandle};

/// Time between two roll-ups.
const MAINTAIN_EVERY: Duration = Duration::from_secs(60);

/// Samples and tallies until `cancel`.
pub async fn run(
    recorder: Recorder,
    hub: HubHandle,
    alerts: AlertService,
    every: Duration,
    cancel: CancellationToken,
) {
    let mut events = hub.events();
    let mut sample = tokio::time::interval(every);
    sample.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut flush = tokio::time::interval(super::FLUSH_EVERY);
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut maintain = tokio::time::interval(MAINTAIN_EVERY);
    maintain.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut tally = Tally::default();
    // A restart's first roll-up also rolls what was written before it stopped.
    recorder.maintain(Utc::now().timestamp()).await;
    maintain.reset();
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            event = events.recv() => match event {
                Ok(frame) => {
                    if let Some(msg) = &frame.msg {
                        tally.add(msg, frame.at);
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "the history recorder fell behind the events; counts of this second are short");
                }
                Err(RecvError::Closed) => break,
            },
            _ = sample.tick() => {
                let tick = hub.latest();
                let mut samples = Vec::with_capacity(64);
                for topic in Topic::STATE {
                    if let Some(value) = tick.topic(topic) {
                        levels(&value.state, &mut samples);
                    }
                }
                tally.set_firing(alerts.firing_count());
                let markers = tally.drain(&mut samples);
                recorder.push(Utc::now().timestamp(), samples, markers);
            }
            _ = flush.tick() => recorder.flush().await,
            _ = maintain.tick() => {
                recorder.flush().await;
                recorder.maintain(Utc::now().timestamp()).await;
            }
        }
    }
    // What was tallied since the last sample is not lost on shutdown.
    let mut samples = Vec::new();
    let markers = tally.drain(&mut samples);
    recorder
        .write(Utc::now().timestamp(), samples, markers)
        .await;
}
