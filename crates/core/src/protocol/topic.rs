//! Topics a client can subscribe to, and a compact set of them.
//!
//! State topics (`metrics`, `containers`, `sessions`, `instances`) travel in `realtime_update` and coalesce to the
//! latest value; event topics (`session_events`, `system_alerts`, `kato_events`) are sequences with a `seq` each
//! and are never dropped silently. `instances` is opt-in: a client that never names it does not get it (the old
//! dashboard's clients, and pages that do not show the fleet, keep today's bytes).

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
    /// The watched KATO instances, one row each (state, opt-in).
    Instances,
}

impl Topic {
    /// Every topic, state topics first.
    pub const ALL: [Topic; 7] = [
        Topic::Metrics,
        Topic::Containers,
        Topic::Sessions,
        Topic::SessionEvents,
        Topic::SystemAlerts,
        Topic::KatoEvents,
        Topic::Instances,
    ];
    /// The state topics, in the order they appear in `realtime_update.data`.
    pub const STATE: [Topic; 4] = [
        Topic::Metrics,
        Topic::Containers,
        Topic::Sessions,
        Topic::Instances,
    ];
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
            Topic::Instances => "instances",
        }
    }

    /// Parses a wire name (exact, case-sensitive like the old server).
    pub fn parse(name: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Whether this is a state topic (coalesced) rather than an event topic (sequenced).
    pub fn is_state(self) -> bool {
        matches!(
            self,
            Topic::Metrics | Topic::Containers | Topic::Sessions | Topic::Instances
        )
    }

    /// Whether a client gets this topic only when it names it (not in the implicit "everything" of a client that
    /// never subscribes).
    pub fn is_opt_in(self) -> bool {
        self == Topic::Instances
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

    /// The state topics of the set as a number below [`TopicSet::STATE_COMBINATIONS`] (bit `i` = `Topic::STATE[i]`),
    /// an index for per-combination caches.
    pub fn state_index(self) -> usize {
        // Metrics, Containers, Sessions are bits 0–2 of the mask; Instances is bit 6.
        usize::from(self.0 & 0b111) | usize::from((self.0 >> 6) & 1) << 3
    }

    /// How many values [`TopicSet::state_index`] takes.
    pub const STATE_COMBINATIONS: usize = 1 << Topic::STATE.len();

    /// The set without the opt-in topics (what a client that never subscribes gets).
    pub fn without_opt_in(self) -> TopicSet {
        self.iter().filter(|t| !t.is_opt_in()).collect()
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
        assert_eq!(TopicSet::all().state_index(), 15);
        assert_eq!(TopicSet::all().without_opt_in().state_index(), 7);
        for (i, t) in Topic::STATE.iter().enumerate() {
            assert_eq!(
                [*t].into_iter().collect::<TopicSet>().state_index(),
                1 << i,
                "{t}"
            );
        }
        assert!(TopicSet::all().iter().count() == Topic::ALL.len());
        let mut s = TopicSet::all();
        s.remove(Topic::Metrics);
        assert!(!s.contains(Topic::Metrics) && s.contains(Topic::Sessions));
    }
}
