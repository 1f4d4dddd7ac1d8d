//! Topics a client of the old dashboard keeps receiving for a moment after its `subscribe` replaced them.
//!
//! The old React client shares one socket between its layout and its pages, and after every render each of
//! them sends its own `subscribe` (a page its topics, then the layout `["system_alerts"]`), so under "subscribe
//! replaces the set" its set ends as `["system_alerts"]` after every frame and its pages would only see data by
//! chance (measured against the old backend: one update per 10–15 s poll). A client that never sent one of the
//! new protocol's messages (`features`, `resume`, `unsubscribe`) and sends `subscribe` frames in such quick
//! succession (less than [`HOLD`] apart) therefore keeps a topic for [`HOLD`] after a `subscribe` dropped it:
//! the old client's pages get every tick while they are shown and stop getting them [`HOLD`] after the user
//! leaves the page. A client that changes its set now and then, and every client of the new protocol, gets
//! exactly the set it asked for.

use std::time::{Duration, Instant};

use kato_dashboard_core::protocol::{Topic, TopicSet};

/// How long a dropped topic is still delivered to an old client (two ticks at the default 1 s, with margin).
pub const HOLD: Duration = Duration::from_millis(2500);

/// When each topic last left an old client's set.
#[derive(Debug, Default, Clone)]
pub struct RecentSets {
    dropped_at: [Option<Instant>; Topic::ALL.len()],
    last_subscribe: Option<Instant>,
}

impl RecentSets {
    /// A `subscribe` changed the set from `old` to `new` at `now`. When it follows another `subscribe` by less
    /// than [`HOLD`], remembers when the topics of `old` that are not in `new` left.
    pub fn replaced(&mut self, old: TopicSet, new: TopicSet, now: Instant) {
        let burst = self
            .last_subscribe
            .replace(now)
            .is_some_and(|t| now.saturating_duration_since(t) < HOLD);
        if !burst {
            return;
        }
        for (i, topic) in Topic::ALL.iter().enumerate() {
            if old.contains(*topic) && !new.contains(*topic) {
                self.dropped_at[i] = Some(now);
            }
        }
    }

    /// `subs` plus the topics dropped less than [`HOLD`] before `now`.
    pub fn with_held(&self, subs: TopicSet, now: Instant) -> TopicSet {
        let mut out = subs;
        for (i, topic) in Topic::ALL.iter().enumerate() {
            if self.dropped_at[i].is_some_and(|t| now.saturating_duration_since(t) < HOLD) {
                out.insert(*topic);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(topics: &[Topic]) -> TopicSet {
        topics.iter().copied().collect()
    }

    #[test]
    fn a_dropped_topic_is_held_for_a_moment_then_let_go() {
        let t0 = Instant::now();
        let page = set(&[Topic::Metrics, Topic::Containers, Topic::SystemAlerts]);
        let layout = set(&[Topic::SystemAlerts]);
        let mut recent = RecentSets::default();
        recent.replaced(TopicSet::all(), page, t0);
        assert_eq!(
            recent.with_held(page, t0),
            page,
            "a first subscribe holds nothing of the implicit 'everything'"
        );
        recent.replaced(page, layout, t0);
        assert_eq!(recent.with_held(layout, t0 + Duration::from_secs(1)), page);
        assert_eq!(recent.with_held(layout, t0 + HOLD), layout);
        // The page subscribes again (its next render): held again from then.
        recent.replaced(layout, page, t0 + HOLD);
        recent.replaced(page, layout, t0 + HOLD);
        assert_eq!(
            recent.with_held(layout, t0 + HOLD + Duration::from_secs(2)),
            page
        );
    }

    #[test]
    fn a_client_that_changes_its_set_now_and_then_gets_exactly_its_set() {
        let t0 = Instant::now();
        let metrics = set(&[Topic::Metrics]);
        let sessions = set(&[Topic::Sessions]);
        let mut recent = RecentSets::default();
        recent.replaced(TopicSet::all(), metrics, t0);
        recent.replaced(metrics, sessions, t0 + Duration::from_secs(3));
        assert_eq!(
            recent.with_held(sessions, t0 + Duration::from_secs(3)),
            sessions
        );
    }
}
