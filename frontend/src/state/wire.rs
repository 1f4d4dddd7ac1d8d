//! The socket's bookkeeping, without the socket: the union of the topics mounted components want (ref-counted),
//! the last full value of each state topic (so delta patches can be applied), the last `seq` per event topic (for
//! `resume` and to drop duplicates), and the reconnect backoff. `ws.rs` drives these with real frames and timers.

use std::time::Duration;

use kato_dashboard_core::{
    backoff::{BackoffPolicy, Jitter},
    protocol::{Topic, TopicSet, delta},
};
use serde_json::{Map, Value};

/// A topic's slot in the per-topic arrays below (its place in [`Topic::ALL`]): a fixed array per topic instead of
/// a map keeps the WASM free of another ordered map's code.
fn slot(topic: Topic) -> usize {
    Topic::ALL.iter().position(|t| *t == topic).unwrap_or(0)
}

/// How many mounted components want each topic. The subscription sent to the server is the union.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interest {
    counts: [u32; Topic::ALL.len()],
}

impl Interest {
    /// A component that wants `topics` mounted.
    pub fn add(&mut self, topics: &[Topic]) {
        for t in topics {
            self.counts[slot(*t)] += 1;
        }
    }

    /// A component that wanted `topics` unmounted.
    pub fn remove(&mut self, topics: &[Topic]) {
        for t in topics {
            let c = &mut self.counts[slot(*t)];
            *c = c.saturating_sub(1);
        }
    }

    /// The topics at least one mounted component wants.
    pub fn union(&self) -> TopicSet {
        Topic::ALL
            .into_iter()
            .filter(|t| self.counts[slot(*t)] > 0)
            .collect()
    }
}

/// The frame that sets the subscription to `set` (always sent, even when empty: a client that never subscribes
/// gets every topic).
pub fn subscribe_frame(set: TopicSet) -> String {
    serde_json::json!({"type": "subscribe", "subscriptions": set.names()}).to_string()
}

/// The frame that opts into delta updates.
pub const FEATURES_FRAME: &str = r#"{"type":"features","deltas":true}"#;

/// The last full value of each state topic, kept so patches can be applied.
#[derive(Debug, Clone, Default)]
pub struct TopicValues {
    values: [Option<Value>; Topic::ALL.len()],
}

/// What a `realtime_update` changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateOutcome {
    /// State topics whose value changed (full value or patch).
    pub changed: Vec<Topic>,
    /// A patch arrived for a topic this client holds no value of: ask the server for full values again.
    pub needs_reset: bool,
}

impl TopicValues {
    /// Applies the `data` (full values) and `patch` (deltas) members of a `realtime_update`.
    pub fn apply(
        &mut self,
        data: &Map<String, Value>,
        patch: &Map<String, Value>,
    ) -> UpdateOutcome {
        let mut out = UpdateOutcome::default();
        for (name, value) in data {
            if let Some(topic) = Topic::parse(name).filter(|t| t.is_state()) {
                self.values[slot(topic)] = Some(value.clone());
                out.changed.push(topic);
            }
        }
        for (name, p) in patch {
            let Some(topic) = Topic::parse(name).filter(|t| t.is_state()) else {
                continue;
            };
            match &mut self.values[slot(topic)] {
                Some(current) => {
                    delta::apply(current, p);
                    out.changed.push(topic);
                }
                None => out.needs_reset = true,
            }
        }
        out
    }

    /// The current value of a state topic.
    pub fn get(&self, topic: Topic) -> Option<&Value> {
        self.values[slot(topic)].as_ref()
    }

    /// Forgets every value (a new connection starts from full values).
    pub fn clear(&mut self) {
        self.values = Default::default();
    }
}

/// The last processed `seq` per event topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeqTracker {
    /// By [`slot`]; `None` until an event or a `resync` of the topic.
    last: [Option<u64>; Topic::ALL.len()],
}

impl SeqTracker {
    /// Whether an event is new (and records it). Events without a number (`seq` 0, old servers) are always new.
    pub fn accept(&mut self, topic: Topic, seq: u64) -> bool {
        if seq == 0 {
            return true;
        }
        let last = self.last[slot(topic)].get_or_insert(0);
        if seq <= *last {
            return false;
        }
        *last = seq;
        true
    }

    /// After a `resync`: the events from `from_seq` on follow, whatever was seen before (the server may have
    /// restarted and counts from 1 again).
    pub fn resync(&mut self, topic: Topic, from_seq: u64) {
        self.last[slot(topic)] = Some(from_seq.saturating_sub(1));
    }

    /// The `resume` frame for a new connection: every subscribed topic with a known number, plus `from_start`
    /// topics from 0 (whose recent history the page shows, e.g. KATO restarts), or `None` when there is nothing
    /// to ask for.
    pub fn resume_frame(&self, subscribed: TopicSet, from_start: &[Topic]) -> Option<String> {
        let mut last: Vec<(&str, u64)> = Topic::ALL
            .into_iter()
            .filter(|t| subscribed.contains(*t))
            .filter_map(|t| {
                let known = self.last[slot(t)];
                let from_start = from_start.contains(&t).then_some(0);
                Some((t.as_str(), known.or(from_start)?))
            })
            .collect();
        if last.is_empty() {
            return None;
        }
        last.sort_unstable();
        let last: Map<String, Value> = last
            .into_iter()
            .map(|(t, s)| (t.to_owned(), s.into()))
            .collect();
        Some(serde_json::json!({"type": "resume", "last_seq": last}).to_string())
    }
}

/// The socket's reconnect backoff: from 500 ms, doubled per failure, at most 30 s.
const RECONNECT: BackoffPolicy =
    BackoffPolicy::new(Duration::from_millis(500), Duration::from_secs(30));
/// Shortest reconnect delay: never a busy loop, whatever the random draw.
const MIN_RECONNECT: Duration = Duration::from_millis(100);

/// Reconnect delay in milliseconds after `attempt` failures in a row: full jitter (`random` in `0..1`) below
/// [`RECONNECT`]'s ceiling, never below 100 ms.
pub fn backoff_ms(attempt: u32, random: f64) -> f64 {
    let delay = RECONNECT.delay(attempt, Jitter::Full(random));
    delay.max(MIN_RECONNECT).as_secs_f64() * 1000.0
}

/// Milliseconds without any frame after which the client sends a `ping`, and after which it gives the socket up.
pub const PING_AFTER_MS: f64 = 15_000.0;
/// Two heartbeat periods of silence: the connection is dead even if the browser has not noticed.
pub const DEAD_AFTER_MS: f64 = 30_000.0;

/// The socket's state as the connection indicator shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConnStatus {
    /// A socket is being opened (`attempt` failures before it).
    Connecting {
        /// Failures in a row so far.
        attempt: u32,
    },
    /// Frames flow.
    Open,
    /// Waiting to try again at `retry_at_ms`.
    Waiting {
        /// Failures in a row so far.
        attempt: u32,
        /// When the next try starts.
        retry_at_ms: f64,
    },
}

/// Failures in a row after which the indicator says "offline" rather than "reconnecting".
pub const OFFLINE_AFTER: u32 = 4;

impl ConnStatus {
    /// `(tone, text)` for the indicator: `ok`/`warn`/`bad`.
    pub fn label(&self, now_ms: f64) -> (&'static str, String) {
        match *self {
            ConnStatus::Open => ("ok", "Live".into()),
            ConnStatus::Connecting { attempt: 0 } => ("warn", "Connecting…".into()),
            ConnStatus::Connecting { .. } => ("warn", "Reconnecting…".into()),
            ConnStatus::Waiting {
                attempt,
                retry_at_ms,
            } => {
                let secs = ((retry_at_ms - now_ms) / 1000.0).ceil().max(0.0);
                if attempt >= OFFLINE_AFTER {
                    ("bad", format!("Offline · retry in {secs:.0}s"))
                } else {
                    ("warn", format!("Reconnecting in {secs:.0}s"))
                }
            }
        }
    }

    /// Whether frames flow.
    pub fn is_open(&self) -> bool {
        matches!(self, ConnStatus::Open)
    }
}

/// An append-only log with ids, so a consumer that runs later (effects are batched) sees every entry after the
/// last id it processed, not just the newest.
#[derive(Debug, Clone, PartialEq)]
pub struct EventLog<T> {
    items: std::collections::VecDeque<(u64, T)>,
    next: u64,
    cap: usize,
}

impl<T> EventLog<T> {
    /// A log keeping the last `cap` entries.
    pub fn new(cap: usize) -> Self {
        Self {
            items: std::collections::VecDeque::new(),
            next: 1,
            cap: cap.max(1),
        }
    }

    /// Appends an entry.
    pub fn push(&mut self, item: T) {
        self.items.push_back((self.next, item));
        self.next += 1;
        while self.items.len() > self.cap {
            self.items.pop_front();
        }
    }

    /// The id the next entry will get: a consumer starting now processes ids from here.
    pub fn next_id(&self) -> u64 {
        self.next
    }

    /// Entries with an id at or after `from`.
    pub fn since(&self, from: u64) -> impl Iterator<Item = &(u64, T)> {
        self.items.iter().filter(move |(id, _)| *id >= from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_subscription_is_the_union_of_mounted_components() {
        let mut i = Interest::default();
        let layout = [Topic::SystemAlerts, Topic::Metrics];
        let dashboard = [Topic::Metrics, Topic::Containers, Topic::SystemAlerts];
        i.add(&layout);
        i.add(&dashboard);
        let names = i.union().names();
        assert_eq!(names, vec!["metrics", "containers", "system_alerts"]);
        // The page unmounts: the layout's topics stay (the old client let the last caller overwrite the set).
        i.remove(&dashboard);
        assert_eq!(i.union().names(), vec!["metrics", "system_alerts"]);
        i.remove(&layout);
        assert!(i.union().is_empty());
        i.remove(&layout);
        assert!(i.union().is_empty(), "never below zero");
        let frame: Value = serde_json::from_str(&subscribe_frame(i.union())).unwrap();
        assert_eq!(frame, json!({"type": "subscribe", "subscriptions": []}));
    }

    #[test]
    fn patches_apply_to_the_last_full_value_and_unknown_patches_ask_for_a_reset() {
        let mut v = TopicValues::default();
        let data = json!({"metrics": {"a": 1, "b": {"c": 2}}, "bogus": 1});
        let out = v.apply(data.as_object().unwrap(), &Map::new());
        assert_eq!(out.changed, vec![Topic::Metrics]);
        let old = v.get(Topic::Metrics).unwrap().clone();
        let new = json!({"a": 1, "b": {"c": 3}, "d": [1]});
        let patch = json!({"metrics": delta::diff(&old, &new).unwrap()});
        let out = v.apply(&Map::new(), patch.as_object().unwrap());
        assert_eq!(out.changed, vec![Topic::Metrics]);
        assert_eq!(v.get(Topic::Metrics), Some(&new));
        let orphan = json!({"containers": {"x": 1}});
        assert!(
            v.apply(&Map::new(), orphan.as_object().unwrap())
                .needs_reset
        );
        v.clear();
        assert!(v.get(Topic::Metrics).is_none());
    }

    #[test]
    fn sequence_numbers_drop_duplicates_and_reset_on_resync() {
        let mut s = SeqTracker::default();
        assert_eq!(s.resume_frame(TopicSet::all(), &[]), None);
        assert!(s.accept(Topic::SessionEvents, 1));
        assert!(s.accept(Topic::SessionEvents, 2));
        assert!(
            !s.accept(Topic::SessionEvents, 2),
            "a replayed event is ignored"
        );
        assert!(s.accept(Topic::SessionEvents, 0), "unnumbered events pass");
        let frame: Value = serde_json::from_str(
            &s.resume_frame(TopicSet::all(), &[Topic::KatoEvents])
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            frame,
            json!({"type": "resume", "last_seq": {"kato_events": 0, "session_events": 2}})
        );
        let only_alerts: TopicSet = [Topic::SystemAlerts].into_iter().collect();
        assert_eq!(
            s.resume_frame(only_alerts, &[Topic::KatoEvents]),
            None,
            "topics not subscribed are not replayed"
        );
        // The server restarted and counts from 1 again.
        s.resync(Topic::SessionEvents, 1);
        assert!(s.accept(Topic::SessionEvents, 1));
    }

    #[test]
    fn the_indicator_says_live_reconnecting_or_offline() {
        assert_eq!(ConnStatus::Open.label(0.0), ("ok", "Live".to_string()));
        assert_eq!(
            ConnStatus::Connecting { attempt: 0 }.label(0.0).1,
            "Connecting…"
        );
        let waiting = ConnStatus::Waiting {
            attempt: 2,
            retry_at_ms: 4200.0,
        };
        assert_eq!(
            waiting.label(1000.0),
            ("warn", "Reconnecting in 4s".to_string())
        );
        let offline = ConnStatus::Waiting {
            attempt: OFFLINE_AFTER,
            retry_at_ms: 0.0,
        };
        assert_eq!(
            offline.label(1000.0),
            ("bad", "Offline · retry in 0s".to_string())
        );
        assert!(!offline.is_open());
    }

    #[test]
    fn the_event_log_hands_out_everything_after_an_id() {
        let mut log = EventLog::new(3);
        let start = log.next_id();
        for i in 0..5 {
            log.push(i);
        }
        assert_eq!(
            log.since(start).map(|(_, v)| *v).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        assert_eq!(log.since(5).count(), 1);
        assert_eq!(log.next_id(), 6);
    }

    #[test]
    fn backoff_is_full_jitter_capped_at_thirty_seconds() {
        assert_eq!(backoff_ms(0, 1.0), 500.0);
        assert_eq!(backoff_ms(3, 1.0), 4000.0);
        assert_eq!(backoff_ms(10, 1.0), 30_000.0);
        assert_eq!(backoff_ms(u32::MAX, 1.0), 30_000.0);
        assert_eq!(backoff_ms(10, 0.5), 15_000.0);
        assert_eq!(backoff_ms(10, 0.0), 100.0, "never a busy loop");
    }
}
