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
            return 0;
        }
        if event.seq < s.next_seq[i] {
            return 0;
        }
        if event.seq == s.next_seq[i] {
            s.next_seq[i] += 1;
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
    pub fn resume(&self, s: &mut PeerState, topic: Topic, after: u64) {
        s.next_seq[slot(topic)] = after.saturating_add(1);
        self.catch_up(s, topic, "gap");
    }

    /// Sends what the client lacks (see [`crate::hub::catch_up`]): buffered events, after a `resync` where some
    /// are gone. The cursor ends where live delivery continues, so no later event is ever skipped.
    fn catch_up(&self, s: &mut PeerState, topic: Topic, reason: &'static str) {
        let i = slot(topic);
        let (steps, cursor) = plan(s.next_seq[i], reason, |after| {
            self.hub.replay_after(topic, after)
        });
        s.next_seq[i] = cursor;
        for step in steps {
            match step {
                Step::Event(f) => {
                    let n = self.write(s, f.wire.clone());
                    self.limits.traffic.sent(FrameKind::of_topic(topic), n);
                }
                Step::Resync { reason, from_seq } => {
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
