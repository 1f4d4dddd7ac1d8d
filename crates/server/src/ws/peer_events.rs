//! Events on a [`Peer`]: live delivery in sequence order, catching up from the replay buffer after a lag or a
//! `resume`, and `resync` when events are gone.

use kato_dashboard_core::protocol::{ServerMsg, Topic};

use super::{Peer, PeerState};
use crate::{
    hub::{
        EventFrame,
        catch_up::{Step, plan},
    },
    metrics::FrameKind,
};

impl Peer {
    /// An event from the shard, in publication order. Returns the bytes written.
    pub fn on_event(&self, event: &EventFrame) -> usize {
        let mut s = self.lock();
        let i = slot(event.topic);
        if !s
            .conn
            .delivery(std::time::Instant::now())
            .contains(event.topic)
        {
            s.next_seq[i] = s.next_seq[i].max(event.seq + 1);
            // Skipped, not delivered: the connection no longer holds an unbroken run.
            s.held_from[i] = None;
            return 0;
        }
        if event.seq < s.next_seq[i] {
            return 0;
        }
        if event.seq == s.next_seq[i] {
            s.next_seq[i] += 1;
            s.held_from[i].get_or_insert(event.seq);
            return self.write(&mut s, event.wire.clone());
        }
        self.catch_up(&mut s, event.topic, "lagged");
        0
    }

    /// The shard missed events: every subscribed event topic catches up from the replay buffer.
    pub fn on_lagged(&self) {
        let mut s = self.lock();
        let delivery = s.conn.delivery(std::time::Instant::now());
        for topic in Topic::EVENTS {
            if delivery.contains(topic) {
                self.catch_up(&mut s, topic, "lagged");
            }
        }
    }

    /// The client resumes `topic` after `after` (any number: ahead of the server, or `u64::MAX`, included).
    ///
    /// Events this connection already delivered (live since it connected, or from an earlier catch-up) are not
    /// sent again: a client that resumes after it received some live events gets only what it lacks.
    pub fn resume(&self, s: &mut PeerState, topic: Topic, after: u64) {
        let i = slot(topic);
        let wanted = after.saturating_add(1);
        match s.held_from[i] {
            // It has everything this connection holds, and nothing beyond it: live delivery continues.
            Some(held) if wanted >= held && wanted <= s.next_seq[i] => {}
            // It lacks events from before this connection's run: those only.
            Some(held) if wanted < held => {
                let sent_until = s.next_seq[i];
                s.next_seq[i] = wanted;
                self.catch_up_skipping(s, topic, "gap", Some((held, sent_until)));
                s.next_seq[i] = s.next_seq[i].max(sent_until);
            }
            _ => {
                s.next_seq[i] = wanted;
                self.catch_up(s, topic, "gap");
            }
        }
    }

    /// Sends what the client lacks (see [`crate::hub::catch_up`]): buffered events, after a `resync` where some
    /// are gone. The cursor ends where live delivery continues, so no later event is ever skipped.
    fn catch_up(&self, s: &mut PeerState, topic: Topic, reason: &'static str) {
        self.catch_up_skipping(s, topic, reason, None);
    }

    /// [`Self::catch_up`], not sending the events in `delivered` (`[from, until)`, already on this connection)
    /// unless a `resync` in this catch-up told the client to start over.
    fn catch_up_skipping(
        &self,
        s: &mut PeerState,
        topic: Topic,
        reason: &'static str,
        mut delivered: Option<(u64, u64)>,
    ) {
        let i = slot(topic);
        let (steps, cursor) = plan(s.next_seq[i], reason, |after| {
            self.hub.replay_after(topic, after)
        });
        s.next_seq[i] = cursor;
        for step in steps {
            match step {
                Step::Event(f) => {
                    if delivered.is_some_and(|(from, until)| (from..until).contains(&f.seq)) {
                        continue;
                    }
                    s.held_from[i] = Some(s.held_from[i].map_or(f.seq, |h| h.min(f.seq)));
                    let n = self.write(s, f.wire.clone());
                    self.limits.traffic.sent(FrameKind::of_topic(topic), n);
                }
                Step::Resync { reason, from_seq } => {
                    // The client starts over from `from_seq`: what it held before no longer counts.
                    delivered = None;
                    s.held_from[i] = None;
                    let msg = ServerMsg::Resync {
                        topic: topic.as_str().into(),
                        reason: reason.into(),
                        from_seq,
                    };
                    self.send_msg(s, &msg);
                }
            }
        }
    }
}

fn slot(topic: Topic) -> usize {
    Topic::EVENTS.iter().position(|t| *t == topic).unwrap_or(0)
}
