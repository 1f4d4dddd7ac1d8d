//! One type per live topic's payload, shared by the server (which builds, holds and serializes them) and the web
//! app (which deserializes them): a renamed field is a compile error in both, not a blank card at run time.
//!
//! State topics: [`MetricsTopic`] (`metrics`), [`crate::docker::ContainersSnapshot`] (`containers`),
//! [`SessionsTopic`] (`sessions`); the hub holds them as a [`TopicState`]. Event payloads: [`SessionEventData`]
//! (`session_event.data`), [`KatoEventData`] (`kato_event.data`), [`AlertItem`] (`system_alert.alerts[]`).
//!
//! The wire is the one of the untyped code before (golden files in `crates/server/tests/golden`, byte for byte)
//! and the old dashboard's messages still read (missing fields default): fields are declared in wire order.

mod events;
mod fleet;
mod metrics;
mod sessions;

use std::sync::Arc;

use serde::de::{DeserializeOwned, Error as _, value::MapDeserializer};
use serde_json::Value;

pub use events::{
    AlertItem, KatoEventData, KatoReachable, KatoRestart, KatoUnreachable, SessionEventData,
};
pub use fleet::{InstanceOrigin, InstanceSummary, InstancesTopic, aggregate};
pub use metrics::{ActiveSessions, Derived, KatoFigures, MetricsTopic, ProcessorCount};
pub use sessions::{CountSource, SessionSources, SessionsTopic};

use crate::{docker::ContainersSnapshot, protocol::Topic};

/// Reads a payload type from a JSON object (what every typed payload is on the wire), whoever received it: one
/// deserializer for every payload, and one that only hands over maps, so the derived readers of arrays are left
/// out of the web app's WASM. Fields inside still read from `&Value`.
pub fn from_object<T: DeserializeOwned>(v: &Value) -> Result<T, serde_json::Error> {
    match v {
        Value::Object(map) => T::deserialize(MapDeserializer::new(
            map.iter().map(|(k, v)| (k.as_str(), v)),
        )),
        _ => Err(serde_json::Error::custom("expected a JSON object")),
    }
}

/// The latest value of one state topic, as a collector publishes it and the hub holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum TopicState {
    /// `metrics`.
    Metrics(Arc<MetricsTopic>),
    /// `containers`.
    Containers(Arc<ContainersSnapshot>),
    /// `sessions`.
    Sessions(Arc<SessionsTopic>),
    /// `instances`.
    Instances(Arc<InstancesTopic>),
}

impl TopicState {
    /// Its topic.
    pub fn topic(&self) -> Topic {
        match self {
            TopicState::Metrics(_) => Topic::Metrics,
            TopicState::Containers(_) => Topic::Containers,
            TopicState::Sessions(_) => Topic::Sessions,
            TopicState::Instances(_) => Topic::Instances,
        }
    }

    /// The value as JSON (what deltas are computed on).
    pub fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            TopicState::Metrics(v) => serde_json::to_value(&**v),
            TopicState::Containers(v) => serde_json::to_value(&**v),
            TopicState::Sessions(v) => serde_json::to_value(&**v),
            TopicState::Instances(v) => serde_json::to_value(&**v),
        }
    }
}

impl From<MetricsTopic> for TopicState {
    fn from(v: MetricsTopic) -> Self {
        TopicState::Metrics(Arc::new(v))
    }
}

impl From<ContainersSnapshot> for TopicState {
    fn from(v: ContainersSnapshot) -> Self {
        TopicState::Containers(Arc::new(v))
    }
}

impl From<InstancesTopic> for TopicState {
    fn from(v: InstancesTopic) -> Self {
        TopicState::Instances(Arc::new(v))
    }
}

impl From<SessionsTopic> for TopicState {
    fn from(v: SessionsTopic) -> Self {
        TopicState::Sessions(Arc::new(v))
    }
}
