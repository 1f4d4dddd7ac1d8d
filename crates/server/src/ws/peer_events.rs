//! Events on a [`Peer`]: live delivery in sequence order, catching up from the replay buffer after a lag or a
//! `resume`, and `resync` when events are gone.
//!
//! A catch-up runs under the peer's lock when the in-memory replay buffer answers it (nearly always). One that
//! needs the archive (a topic's durable store, read on the blocking pool) waits instead: the topic is marked, the
//! connection task is woken and reads the archive without the lock ([`Peer::catch_up_from_archive`]), then applies
//! the result under the lock and reads the buffer once more up to the newest event. While a topic waits, the shard
//! neither delivers nor skips its events — they are all in the buffer by then (the hub buffers an event before
//! publishing it) — so each event still reaches the client exactly once, or after a `resync`.

use kato_dashboard_core::protocol::{ServerMsg, Topic};

use super::{Peer, PeerState, Socket};
use crate::{
    hub::{
        EventFrame, Replay,
        catch_up::{Step, plan_async, try_plan},
    },
    metrics::FrameKind,
};

/// Archive reads one catch-up may make (each brings up to a replay buffer's worth of events) before what is still
/// missing is left to a `resync`.
const MAX_ARCHIVE_READS: u8 = 16;

/// A catch-up of one event topic.
#[derive(Debug, Clone, Copy)]
pub(super) struct CatchUp {
    topic: Topic,
    /// The first sequence number the client lacks.
    from: u64,
    /// The resync reason of a gap.
    reason: &'static str,
    /// A range `[held, until)` of events this connection delivered already: not sent again unless a `resync` in
    /// the catch-up told the client to start over.
    skip: Option<(u64, u64)>,
    /// Live delivery continues no lower than this.
    floor: u64,
    /// Archive reads made so far.
    archive_reads: u8,
    /// Which wait this is (a later catch-up of the topic replaces an earlier one).
    ticket: u64,
}

impl CatchUp {
    fn new(topic: Topic, from: u64, reason: &'static str) -> Self {
        Self {
            topic,
            from,
            reason,
            skip: None,
            floor: 0,
            archive_reads: 0,
            ticket: 0,
        }
    }
}

impl PeerState {
    /// Whether a catch-up waits for the archive ([`Peer::catch_up_from_archive`]).
    pub fn waiting_for_archive(&self) -> bool {
        self.waiting.iter().any(Option::is_some)
    }
}

impl<S: Socket> Peer<S> {
    /// An event from the shard, in publication order. Returns the bytes written.
    pub fn on_event(&self, event: &EventFrame) -> usize {
        let mut s = self.lock();
        let i = slot(event.topic);
        if s.waiting[i].is_some() {
            // The waiting catch-up reads up to the newest event, this one included.
            return 0;
        }
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
        let from = s.next_seq[i];
        self.catch_up(&mut s, CatchUp::new(event.topic, from, "lagged"));
        0
    }

    /// The shard missed events: every subscribed event topic catches up from the replay buffer.
    pub fn on_lagged(&self) {
        let mut s = self.lock();
        let delivery = s.conn.delivery(std::time::Instant::now());
        for topic in Topic::EVENTS {
            if delivery.contains(topic) && s.waiting[slot(topic)].is_none() {
                let from = s.next_seq[slot(topic)];
                self.catch_up(&mut s, CatchUp::new(topic, from, "lagged"));
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
        let job = CatchUp::new(topic, wanted, "gap");
        match s.held_from[i] {
            // It has everything this connection holds, and nothing beyond it: live delivery continues (and so does
            // a catch-up waiting for the archive).
            Some(held) if wanted >= held && wanted <= s.next_seq[i] => {}
            // It lacks events from before this connection's run: those only.
            Some(held) if wanted < held => {
                let until = s.next_seq[i];
                let skip = Some((held, until));
                self.catch_up(
                    s,
                    CatchUp {
                        skip,
                        floor: until,
                        ..job
                    },
                );
            }
            _ => self.catch_up(s, job),
        }
    }

    /// Sends what the client lacks (see [`crate::hub::catch_up`]) if the replay buffer answers alone; otherwise
    /// the catch-up waits for the archive, read by the connection task. Either way it replaces any catch-up of the
    /// topic still waiting.
    fn catch_up(&self, s: &mut PeerState, job: CatchUp) {
        let i = slot(job.topic);
        let archive = job.archive_reads < MAX_ARCHIVE_READS && self.hub.has_archive(job.topic);
        let planned = try_plan(job.from, job.reason, |after| {
            match self.hub.replay_buffered(job.topic, after) {
                Replay::Gap { .. } if archive => None,
                replay => Some(replay),
            }
        });
        match planned {
            Some(planned) => {
                s.waiting[i] = None;
                self.apply(s, &job, planned);
            }
            None => {
                s.waits += 1;
                s.waiting[i] = Some(Box::new(CatchUp {
                    ticket: s.waits,
                    ..job
                }));
                self.wake.notify_one();
            }
        }
    }

    /// Runs the catch-ups waiting for the archive, on the connection task: each reads the archive with the lock
    /// released, then applies what it read and continues from the replay buffer under the lock. Returns once none
    /// waits (or the peer ended).
    pub async fn catch_up_from_archive(&self) {
        loop {
            let job = {
                let s = self.lock();
                if s.end.is_some() {
                    return;
                }
                match s.waiting.iter().flatten().next() {
                    Some(job) => **job,
                    None => return,
                }
            };
            let planned = plan_async(job.from, job.reason, |after| {
                self.hub.replay_after(job.topic, after)
            })
            .await;
            let mut s = self.lock();
            let i = slot(job.topic);
            if s.waiting[i].as_ref().is_none_or(|w| w.ticket != job.ticket) {
                continue;
            }
            s.waiting[i] = None;
            let skip = self.apply(&mut s, &job, planned);
            // Events published while the archive was read were not delivered live: from the buffer now (or from
            // the archive once more, should they be gone already).
            let next = CatchUp {
                from: s.next_seq[i],
                skip,
                floor: 0,
                archive_reads: job.archive_reads + 1,
                ..job
            };
            self.catch_up(&mut s, next);
        }
    }

    /// Sends a planned catch-up, not sending the events in `job.skip` unless a `resync` in this catch-up told the
    /// client to start over. The cursor ends where live delivery continues, so no later event is ever skipped.
    /// Returns what is still to skip.
    fn apply(
        &self,
        s: &mut PeerState,
        job: &CatchUp,
        (steps, cursor): (Vec<Step>, u64),
    ) -> Option<(u64, u64)> {
        let (topic, i) = (job.topic, slot(job.topic));
        let mut skip = job.skip;
        s.next_seq[i] = cursor.max(job.floor);
        for step in steps {
            match step {
                Step::Event(f) => {
                    if skip.is_some_and(|(from, until)| (from..until).contains(&f.seq)) {
                        continue;
                    }
                    s.held_from[i] = Some(s.held_from[i].map_or(f.seq, |h| h.min(f.seq)));
                    let n = self.write(s, f.wire.clone());
                    self.limits.traffic.sent(FrameKind::of_topic(topic), n);
                }
                Step::Resync { reason, from_seq } => {
                    // The client starts over from `from_seq`: what it held before no longer counts.
                    skip = None;
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
        skip
    }
}

fn slot(topic: Topic) -> usize {
    Topic::EVENTS.iter().position(|t| *t == topic).unwrap_or(0)
}
