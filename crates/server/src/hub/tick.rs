//! Ticks: the latest value of every state topic, serialized once, and the `realtime_update` frames built from
//! them for each of the 8 combinations of state topics a client can subscribe to.
//!
//! Whatever the number of clients, a tick costs one serialization per changed topic plus 7 string
//! concatenations. Clients that opted into deltas get a frame built for them from the per-topic patches.

use std::{fmt::Write as _, sync::Arc};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use kato_dashboard_core::{
    protocol::{Topic, TopicSet, delta},
    time::rfc3339,
    topics::TopicState,
};
use serde_json::Value;

/// One state topic's value at a tick.
#[derive(Debug, Clone)]
pub struct TopicValue {
    /// The value itself, typed (what the alert engine reads).
    pub state: TopicState,
    /// Increases by one each time the value changes.
    pub version: u64,
    /// The value as JSON text.
    pub full: Arc<str>,
    /// The patch from `version - 1` to this version, as JSON text.
    pub patch: Option<Arc<str>>,
}

/// What every connection reads at a tick.
#[derive(Debug)]
pub struct Tick {
    /// Tick number, from 1.
    pub number: u64,
    /// When it was built.
    pub at: DateTime<Utc>,
    timestamp: String,
    topics: [Option<TopicValue>; STATE_N],
    /// The `realtime_update` of each state-topic combination, as a WebSocket frame.
    wire: [Option<Bytes>; TopicSet::STATE_COMBINATIONS],
}

impl Tick {
    /// The tick before any data (number 0, no topics).
    pub fn empty(now: DateTime<Utc>) -> Self {
        Self {
            number: 0,
            at: now,
            timestamp: rfc3339(now),
            topics: Default::default(),
            wire: Default::default(),
        }
    }

    /// The full `realtime_update` for the state topics in `set`, if any of them has a value.
    pub fn frame(&self, set: TopicSet) -> Option<&str> {
        self.wire(set)
            .and_then(|w| std::str::from_utf8(crate::ws::frame::payload(w)).ok())
    }

    /// [`Tick::frame`] as a WebSocket frame: the same bytes for every client.
    pub fn wire(&self, set: TopicSet) -> Option<&Bytes> {
        self.wire[set.state_index()].as_ref()
    }

    /// The value of a state topic.
    pub fn topic(&self, topic: Topic) -> Option<&TopicValue> {
        state_slot(topic).and_then(|i| self.topics[i].as_ref())
    }

    /// A `realtime_update` holding only what changed since the versions in `sent` (updated in place): patches
    /// where the client has the previous version, full values otherwise. `None` when nothing changed.
    pub fn delta_frame(&self, set: TopicSet, sent: &mut SentVersions) -> Option<String> {
        let mut data = String::new();
        let mut patch = String::new();
        for topic in set.state_topics().iter() {
            let Some(i) = state_slot(topic) else { continue };
            let Some(value) = &self.topics[i] else {
                continue;
            };
            if value.version == sent[i] {
                continue;
            }
            match &value.patch {
                Some(p) if sent[i] + 1 == value.version => push_member(&mut patch, topic, p),
                _ => push_member(&mut data, topic, &value.full),
            }
            sent[i] = value.version;
        }
        if data.is_empty() && patch.is_empty() {
            return None;
        }
        let mut out = header(&self.timestamp, self.number);
        let _ = write!(out, ",\"data\":{{{data}}}");
        if !patch.is_empty() {
            let _ = write!(out, ",\"patch\":{{{patch}}}");
        }
        out.push('}');
        Some(out)
    }

    /// The `realtime_update` a (re)subscribing client needs: the full value of each topic of `set` whose current
    /// version it has not received yet (`sent`, updated in place). `None` when it has them all, so a client
    /// that re-subscribes after every frame (the old React client does) is not answered with the same data
    /// again. When every subscribed topic is new to it, this is the tick's prebuilt frame.
    pub fn catch_up(&self, set: TopicSet, sent: &mut SentVersions) -> Option<Bytes> {
        let mut missing = TopicSet::EMPTY;
        let mut known = false;
        for topic in set.state_topics().iter() {
            let (Some(i), Some(value)) = (state_slot(topic), self.topic(topic)) else {
                continue;
            };
            if value.version == sent[i] {
                known = true;
            } else {
                missing.insert(topic);
                sent[i] = value.version;
            }
        }
        if missing.is_empty() {
            return None;
        }
        if !known {
            return self.wire(set).cloned();
        }
        let mut data = String::new();
        for topic in missing.state_topics().iter() {
            if let Some(value) = self.topic(topic) {
                push_member(&mut data, topic, &value.full);
            }
        }
        Some(crate::ws::frame::text(&format!(
            "{},\"data\":{{{data}}}}}",
            header(&self.timestamp, self.number)
        )))
    }

    /// Marks every subscribed topic as sent in full (after a full frame went out).
    pub fn mark_sent(&self, set: TopicSet, sent: &mut SentVersions) {
        for topic in set.state_topics().iter() {
            if let (Some(i), Some(v)) = (state_slot(topic), self.topic(topic)) {
                sent[i] = v.version;
            }
        }
    }
}

/// How many state topics there are.
pub const STATE_N: usize = Topic::STATE.len();

/// The version of each state topic a client has received, by its place in [`Topic::STATE`].
pub type SentVersions = [u64; STATE_N];

fn state_slot(topic: Topic) -> Option<usize> {
    Topic::STATE.iter().position(|t| *t == topic)
}

fn header(timestamp: &str, number: u64) -> String {
    format!("{{\"type\":\"realtime_update\",\"timestamp\":\"{timestamp}\",\"tick\":{number}")
}

fn push_member(out: &mut String, topic: Topic, json: &str) {
    if !out.is_empty() {
        out.push(',');
    }
    let _ = write!(out, "\"{}\":{json}", topic.as_str());
}

/// Owned by the hub: the current value of each state topic and its serialized forms.
#[derive(Debug, Default)]
pub struct TickBuilder {
    values: [Option<(Value, TopicValue)>; STATE_N],
    number: u64,
    /// Hidden in the serialized forms (a source's error text may quote a URL with its password).
    secrets: Arc<kato_dashboard_core::redact::Secrets>,
}

impl TickBuilder {
    /// A builder whose frames hide `secrets`.
    pub fn new(secrets: Arc<kato_dashboard_core::redact::Secrets>) -> Self {
        Self {
            secrets,
            ..Self::default()
        }
    }

    /// Records a new value for a state topic: serialized here, once (full text, and the patch from the previous
    /// version). Returns whether it changed.
    pub fn set(&mut self, state: impl Into<TopicState>) -> bool {
        let state = state.into();
        let topic = state.topic();
        let Some(i) = state_slot(topic) else {
            return false;
        };
        let value = match state.to_value() {
            Ok(value) => value,
            Err(e) => {
                tracing::error!(error = %e, %topic, "cannot serialize a state topic; kept the previous value");
                return false;
            }
        };
        let (version, patch) = match &self.values[i] {
            Some((old, _)) if *old == value => return false,
            Some((old, tv)) => (
                tv.version + 1,
                delta::diff(old, &value)
                    .map(|p| Arc::<str>::from(self.secrets.redact(&p.to_string()))),
            ),
            None => (1, None),
        };
        let full = Arc::<str>::from(self.secrets.redact(&value.to_string()));
        self.values[i] = Some((
            value,
            TopicValue {
                state,
                version,
                full,
                patch,
            },
        ));
        true
    }

    /// The current value of a state topic, as JSON.
    pub fn value(&self, topic: Topic) -> Option<&Value> {
        state_slot(topic).and_then(|i| self.values[i].as_ref().map(|(v, _)| v))
    }

    /// Builds the next tick.
    pub fn build(&mut self, now: DateTime<Utc>) -> Tick {
        self.number += 1;
        let timestamp = rfc3339(now);
        let topics: [Option<TopicValue>; STATE_N] =
            std::array::from_fn(|i| self.values[i].as_ref().map(|(_, tv)| tv.clone()));
        let wire = std::array::from_fn(|mask| {
            let mut data = String::new();
            for (i, topic) in Topic::STATE.iter().enumerate() {
                if mask & (1 << i) != 0
                    && let Some(tv) = &topics[i]
                {
                    push_member(&mut data, *topic, &tv.full);
                }
            }
            (!data.is_empty()).then(|| {
                crate::ws::frame::text(&format!(
                    "{},\"data\":{{{data}}}}}",
                    header(&timestamp, self.number)
                ))
            })
        });
        Tick {
            number: self.number,
            at: now,
            timestamp,
            topics,
            wire,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kato_dashboard_core::{
        docker::ContainersSnapshot,
        protocol::{ServerMsg, delta::apply},
        topics::{MetricsTopic, SessionsTopic},
    };
    use serde_json::json;

    fn metrics(v: Value) -> MetricsTopic {
        MetricsTopic::from_kato(v)
    }

    fn sessions(active: u64) -> SessionsTopic {
        SessionsTopic {
            active_count: Some(active),
            ..SessionsTopic::default()
        }
    }

    fn parse(frame: &str) -> ServerMsg {
        serde_json::from_str(frame).unwrap()
    }

    #[test]
    fn frames_hold_only_the_subscribed_state_topics() {
        let mut b = TickBuilder::default();
        b.set(metrics(json!({"a": 1})));
        b.set(sessions(2));
        let tick = b.build(Utc::now());
        let set: TopicSet = [Topic::Sessions, Topic::SystemAlerts].into_iter().collect();
        let ServerMsg::RealtimeUpdate { data, tick: n, .. } = parse(tick.frame(set).unwrap())
        else {
            panic!()
        };
        assert_eq!(n, 1);
        assert_eq!(data.keys().collect::<Vec<_>>(), vec!["sessions"]);
        let only_containers: TopicSet = [Topic::Containers].into_iter().collect();
        assert!(
            tick.frame(only_containers).is_none(),
            "no value yet → no frame"
        );
        assert!(tick.frame(TopicSet::EMPTY).is_none());
    }

    #[test]
    fn delta_frames_send_patches_only_to_clients_that_have_the_previous_version() {
        let mut b = TickBuilder::default();
        let set: TopicSet = [Topic::Metrics, Topic::Containers].into_iter().collect();
        let off = ContainersSnapshot::off("DOCKER_ENABLED=false", crate::golden::at(0));
        b.set(metrics(json!({"cpu": 1, "mem": 2})));
        b.set(off.clone());
        let t1 = b.build(Utc::now());
        let mut sent = [0; STATE_N];
        let ServerMsg::RealtimeUpdate { data, patch, .. } =
            parse(&t1.delta_frame(set, &mut sent).unwrap())
        else {
            panic!()
        };
        assert_eq!(data.len(), 2);
        assert!(patch.is_empty());
        let mut client = data;
        assert!(t1.delta_frame(set, &mut sent).is_none(), "nothing new");
        assert!(!b.set(off), "same value is no change");
        b.set(metrics(json!({"cpu": 5, "mem": 2})));
        let t2 = b.build(Utc::now());
        let ServerMsg::RealtimeUpdate { data, patch, .. } =
            parse(&t2.delta_frame(set, &mut sent).unwrap())
        else {
            panic!()
        };
        assert!(data.is_empty());
        assert_eq!(patch["metrics"], json!({"cpu": 5}));
        apply(client.get_mut("metrics").unwrap(), &patch["metrics"]);
        assert_eq!(client["metrics"], json!({"cpu": 5, "mem": 2}));
        // A client two versions behind gets the full value.
        b.set(metrics(json!({"cpu": 6, "mem": 2})));
        b.set(metrics(json!({"cpu": 7, "mem": 2})));
        let t3 = b.build(Utc::now());
        let ServerMsg::RealtimeUpdate { data, .. } =
            parse(&t3.delta_frame(set, &mut sent).unwrap())
        else {
            panic!()
        };
        assert_eq!(data["metrics"], json!({"cpu": 7, "mem": 2}));
    }

    #[test]
    fn the_frame_is_the_recorded_wire() {
        use crate::golden::{at, check};
        let golden = |name: &str| -> Value {
            let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/golden")
                .join(name);
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
        };
        let mut b = TickBuilder::default();
        b.set(MetricsTopic::read(&golden("metrics_v1.json")).unwrap());
        b.set(serde_json::from_value::<SessionsTopic>(golden("sessions.json")).unwrap());
        let t1 = b.build(at(0));
        check("realtime_update.json", t1.frame(TopicSet::all()).unwrap());
        let mut sent = [0; STATE_N];
        t1.mark_sent(TopicSet::all(), &mut sent);
        b.set(MetricsTopic::read(&golden("metrics_v3.json")).unwrap());
        let t2 = b.build(at(1));
        check(
            "realtime_update_delta.json",
            &t2.delta_frame(TopicSet::all(), &mut sent).unwrap(),
        );
    }
}
