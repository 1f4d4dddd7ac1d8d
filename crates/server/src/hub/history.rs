//! Recent history of the chart topics (`metrics`, `containers`), so a page that opens or reloads draws the last
//! minutes at once instead of starting from an empty chart. A task keeps each new version of the two topics' JSON
//! text (shared with the tick, not copied) for [`KEEP`]; `GET /api/v1/system/history` serves them.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use chrono::{DateTime, Utc};
use kato_dashboard_core::protocol::Topic;
use tokio_util::sync::CancellationToken;

use super::HubHandle;

/// How far back the history goes.
pub const KEEP: Duration = Duration::from_secs(15 * 60);
/// Most entries kept per topic (one per second for [`KEEP`]); older ones are dropped first.
const MAX_ENTRIES: usize = 15 * 60;

/// One topic's values with the time they were seen, oldest first.
type Entries = VecDeque<(DateTime<Utc>, Arc<str>)>;

/// The recent values of `metrics` and `containers`.
#[derive(Debug, Default)]
pub struct History {
    topics: Mutex<[Entries; 2]>,
}

fn slot(topic: Topic) -> Option<usize> {
    match topic {
        Topic::Metrics => Some(0),
        Topic::Containers => Some(1),
        _ => None,
    }
}

impl History {
    /// Records a new version of `topic` seen at `at`, dropping what is older than [`KEEP`].
    pub fn record(&self, topic: Topic, at: DateTime<Utc>, text: Arc<str>) {
        let Some(i) = slot(topic) else { return };
        let mut topics = self.topics.lock().unwrap_or_else(PoisonError::into_inner);
        let q = &mut topics[i];
        q.push_back((at, text));
        let horizon = at - KEEP;
        while q.len() > MAX_ENTRIES || q.front().is_some_and(|(t, _)| *t < horizon) {
            q.pop_front();
        }
    }

    /// `{"metrics": [...], "containers": [...]}` of the values since `since`, oldest first (built from the
    /// stored JSON text, nothing re-serialized).
    pub fn json_since(&self, since: DateTime<Utc>) -> String {
        let topics = self.topics.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::with_capacity(64 * 1024);
        for (i, name) in ["metrics", "containers"].iter().enumerate() {
            out.push_str(if i == 0 { "{\"" } else { ",\"" });
            out.push_str(name);
            out.push_str("\":[");
            let mut first = true;
            for (_, text) in topics[i].iter().filter(|(t, _)| *t >= since) {
                if !first {
                    out.push(',');
                }
                out.push_str(text);
                first = false;
            }
            out.push(']');
        }
        out.push('}');
        out
    }
}

/// Follows the hub's ticks and records each new version of the chart topics until `cancel`.
pub async fn run(hub: HubHandle, history: Arc<History>, cancel: CancellationToken) {
    let mut ticks = hub.ticks();
    let mut versions = [0u64; 2];
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            changed = ticks.changed() => if changed.is_err() { return },
        }
        let tick = ticks.borrow_and_update().clone();
        for topic in [Topic::Metrics, Topic::Containers] {
            let (Some(i), Some(value)) = (slot(topic), tick.topic(topic)) else {
                continue;
            };
            if value.version != versions[i] {
                versions[i] = value.version;
                history.record(topic, tick.at, value.full.clone());
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_window_and_serves_raw_json_in_order() {
        let h = History::default();
        let t0 = Utc::now();
        h.record(
            Topic::Metrics,
            t0 - chrono::Duration::minutes(20),
            Arc::from("{\"old\":1}"),
        );
        h.record(
            Topic::Metrics,
            t0 - chrono::Duration::minutes(2),
            Arc::from("{\"a\":1}"),
        );
        h.record(Topic::Metrics, t0, Arc::from("{\"a\":2}"));
        h.record(Topic::Containers, t0, Arc::from("{\"c\":[]}"));
        h.record(Topic::Sessions, t0, Arc::from("{\"ignored\":true}"));
        let all: serde_json::Value =
            serde_json::from_str(&h.json_since(t0 - chrono::Duration::minutes(15))).unwrap();
        assert_eq!(
            all,
            serde_json::json!({"metrics": [{"a": 1}, {"a": 2}], "containers": [{"c": []}]})
        );
        let recent: serde_json::Value =
            serde_json::from_str(&h.json_since(t0 - chrono::Duration::minutes(1))).unwrap();
        assert_eq!(recent["metrics"], serde_json::json!([{"a": 2}]));
    }
}
