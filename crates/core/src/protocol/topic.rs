//! Topics a client can subscribe to, and a compact set of them.
//!
//! State topics (`metrics`, `containers`, `sessions`) travel in `realtime_update` and coalesce to the latest
//! value; event topics (`session_events`, `system_alerts`, `kato_events`) are sequences with a `seq` each and
//! are never dropped silently.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One subscription topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// KATO `/metrics` plus derived figures (state).
    Metrics,
    /// Docker container stats (state).
    Containers,
    /// Session summary (state).
    Sessions,
    /// Session created/destroyed (events).
    SessionEvents,
    /// Alerts firing and resolving (events).
    SystemAlerts,
    /// KATO restarts and reachability changes (events).
    KatoEvents,
}

impl Topic {
    /// Every topic, state topics first.
    pub const ALL: [Topic; 6] = [
        Topic::Metrics,
        Topic::Containers,
        Topic::Sessions,
        Topic::SessionEvents,
        Topic::SystemAlerts,
        Topic::KatoEvents,
    ];
    /// The state topics, in the order they appear in `realtime_update.data`.
    pub const STATE: [Topic; 3] = [Topic::Metrics, Topic::Containers, Topic::Sessions];
    /// The event topics.
    pub const EVENTS: [Topic; 3] = [Topic::SessionEvents, Topic::SystemAlerts, Topic::KatoEvents];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Metrics => "metrics",
            Topic::Containers => "containers",
            Topic::Sessions => "sessions",
            Topic::SessionEvents => "session_events",
            Topic::SystemAlerts => "system_alerts",
            Topic::KatoEvents => "kato_events",
        }
    }

    /// Parses a wire name (exact, case-sensitive like the old server).
    pub fn parse(name: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Whether this is a state topic (coalesced) rather than an event topic (sequenced).
    pub fn is_state(self) -> bool {
        matches!(self, Topic::Metrics | Topic::Containers | Topic::Sessions)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of topics as a bit mask: copying and testing cost nothing, so a connection can check it per message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TopicSet(u8);

impl TopicSet {
    /// No topic.
    pub const EMPTY: TopicSet = TopicSet(0);

    /// Every topic (what a client gets before it ever subscribes).
    pub fn all() -> TopicSet {
        Topic::ALL.into_iter().collect()
    }

    /// Whether `topic` is in the set.
    pub fn contains(self, topic: Topic) -> bool {
        self.0 & topic.bit() != 0
    }

    /// Adds a topic.
    pub fn insert(&mut self, topic: Topic) {
        self.0 |= topic.bit();
    }

    /// Removes a topic.
    pub fn remove(&mut self, topic: Topic) {
        self.0 &= !topic.bit();
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Only the state topics of this set.
    pub fn state_topics(self) -> TopicSet {
        Topic::STATE
            .into_iter()
            .filter(|t| self.contains(*t))
            .collect()
    }

    /// The topics in wire order.
    pub fn iter(self) -> impl Iterator<Item = Topic> {
        Topic::ALL.into_iter().filter(move |t| self.contains(*t))
    }

    /// The raw mask of the state topics (0..8), an index for per-combination caches.
    pub fn state_index(self) -> usize {
        usize::from(self.0 & 0b111)
    }

    /// Wire names, in order.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Topic::as_str).collect()
    }
}

impl FromIterator<Topic> for TopicSet {
    fn from_iter<I: IntoIterator<Item = Topic>>(iter: I) -> Self {
        let mut set = TopicSet::EMPTY;
        for t in iter {
            set.insert(t);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_state_index_covers_state_topics_only() {
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Some(t));
        }
        assert_eq!(Topic::parse("Metrics"), None);
        let set: TopicSet = [Topic::Containers, Topic::SystemAlerts]
            .into_iter()
            .collect();
        assert_eq!(
            set.state_topics().iter().collect::<Vec<_>>(),
            vec![Topic::Containers]
        );
        assert_eq!(TopicSet::all().state_index(), 7);
        assert!(TopicSet::all().iter().count() == Topic::ALL.len());
        let mut s = TopicSet::all();
        s.remove(Topic::Metrics);
        assert!(!s.contains(Topic::Metrics) && s.contains(Topic::Sessions));
    }
}
