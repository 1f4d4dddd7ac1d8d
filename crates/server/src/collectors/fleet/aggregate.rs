//! The aggregator: holds every instance's last reading and publishes the `metrics` topic, KATO's session count
//! for the sessions task, and the [`FleetView`] for the REST API.
//!
//! A single KATO's reading is published the moment it arrives, unchanged (the wire of before). A fleet's
//! aggregate is published at most every [`FLEET_PUBLISH_EVERY`], so fifty instances polled every 2 s cost a few
//! aggregations a second, not one per reading.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use kato_dashboard_core::{
    source::SourceState,
    topics::{InstanceSummary, InstancesTopic, MetricsTopic, TopicState, aggregate},
};
use kato_dashboard_kato::KatoClient;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::{FleetMsg, FleetView, InstanceView, targets::Target};
use crate::{collectors::sessions::SessionInput, hub::HubHandle};

/// Longest a fleet reading waits before the aggregate including it is published.
const FLEET_PUBLISH_EVERY: Duration = Duration::from_millis(250);

/// Where the aggregate goes.
pub struct Outputs {
    /// The `metrics` topic.
    pub hub: HubHandle,
    /// KATO's session count.
    pub sessions: mpsc::Sender<SessionInput>,
    /// The REST API's view.
    pub view: watch::Sender<Arc<FleetView>>,
}

struct Instance {
    target: Target,
    client: KatoClient,
    reading: Option<Arc<MetricsTopic>>,
    count: Option<u64>,
}

impl Instance {
    fn summary(&self) -> InstanceSummary {
        let url = crate::config::redact_url(self.target.url.as_str());
        match &self.reading {
            Some(r) => InstanceSummary::of(&self.target.id, &url, self.target.origin, r),
            None => InstanceSummary {
                id: self.target.id.clone(),
                url,
                origin: self.target.origin,
                ..InstanceSummary::default()
            },
        }
    }
}

/// Runs until cancelled.
pub async fn run(
    mut rx: mpsc::Receiver<FleetMsg>,
    out: Outputs,
    fleet: bool,
    cancel: CancellationToken,
) {
    let mut instances: BTreeMap<String, Instance> = BTreeMap::new();
    let mut discovery: Option<SourceState> = None;
    let mut dirty = false;
    let mut timer = tokio::time::interval(FLEET_PUBLISH_EVERY);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            msg = rx.recv() => {
                let Some(msg) = msg else { return };
                match msg {
                    FleetMsg::Added(target, client) => {
                        instances.insert(target.id.clone(), Instance { target, client, reading: None, count: None });
                    }
                    FleetMsg::Sample(id, reading, count) => {
                        let Some(i) = instances.get_mut(&id) else { continue };
                        i.reading = Some(reading.clone());
                        i.count = count;
                        if !fleet {
                            out.hub.publish_state(TopicState::Metrics(reading)).await;
                            let _ = out.sessions.send(SessionInput::KatoCount(count)).await;
                        }
                    }
                    FleetMsg::Removed(id) => {
                        instances.remove(&id);
                    }
                    FleetMsg::Discovery(state) => discovery = Some(state),
                }
                dirty = true;
                if !fleet {
                    publish_view(&out, &instances, fleet, &discovery).await;
                    dirty = false;
                }
            }
            _ = timer.tick(), if dirty => {
                publish_fleet(&out, &instances).await;
                publish_view(&out, &instances, fleet, &discovery).await;
                dirty = false;
            }
        }
    }
}

/// The fleet's `metrics` topic and session count.
async fn publish_fleet(out: &Outputs, instances: &BTreeMap<String, Instance>) {
    let summaries: Vec<(InstanceSummary, &MetricsTopic)> = instances
        .values()
        .filter_map(|i| Some((i.summary(), i.reading.as_deref()?)))
        .collect();
    if summaries.is_empty() {
        return;
    }
    out.hub.publish_state(aggregate(&summaries)).await;
    // Sessions live in the shared Redis: every instance counts the same ones; the largest is the freshest.
    let count = instances.values().filter_map(|i| i.count).max();
    let _ = out.sessions.send(SessionInput::KatoCount(count)).await;
}

/// The REST view and the `instances` topic (which only its subscribers receive).
async fn publish_view(
    out: &Outputs,
    instances: &BTreeMap<String, Instance>,
    fleet: bool,
    discovery: &Option<SourceState>,
) {
    let view = FleetView {
        fleet,
        instances: instances
            .values()
            .map(|i| InstanceView {
                summary: i.summary(),
                client: i.client.clone(),
            })
            .collect(),
        discovery: discovery.clone(),
    };
    let topic = InstancesTopic::new(
        fleet,
        view.instances.iter().map(|i| i.summary.clone()).collect(),
        discovery.clone(),
    );
    out.view.send_replace(Arc::new(view));
    out.hub.publish_state(topic).await;
}
