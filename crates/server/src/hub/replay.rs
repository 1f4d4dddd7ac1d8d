//! Replay buffers: the recent events of each event topic, bounded by count and age, so a client that lagged or
//! reconnected gets every event it missed — or is told plainly that it must resync.

use std::{collections::VecDeque, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use kato_dashboard_core::protocol::{ServerMsg, Topic};

/// One event, serialized once for every client.
#[derive(Debug)]
pub struct EventFrame {
    /// Its topic.
    pub topic: Topic,
    /// Its sequence number (per topic, from 1).
    pub seq: u64,
    /// When it was published.
    pub at: DateTime<Utc>,
    /// The JSON text sent to clients.
    pub text: Arc<str>,
    /// The same text as a WebSocket frame, built once for every client.
    pub wire: bytes::Bytes,
    /// The message itself, typed, for readers inside the server (the alert engine); `None` for events read back
    /// from an archive.
    pub msg: Option<Arc<ServerMsg>>,
}

impl EventFrame {
    /// An event and its frame.
    pub fn new(topic: Topic, seq: u64, at: DateTime<Utc>, text: Arc<str>) -> Self {
        let wire = crate::ws::frame::text(&text);
        Self {
            topic,
            seq,
            at,
            text,
            wire,
            msg: None,
        }
    }

    /// The frame with its typed message kept beside it.
    pub fn with_msg(mut self, msg: ServerMsg) -> Self {
        self.msg = Some(Arc::new(msg));
        self
    }
}

/// The answer to "everything after seq N".
#[derive(Debug)]
pub enum Replay {
    /// The missed events, in order (possibly none).
    Events(Vec<Arc<EventFrame>>),
    /// Some were dropped from the buffer: the first one still held is `oldest` (or the next to come).
    Gap {
        /// Sequence number the client can continue from.
        resume_from: u64,
    },
    /// The client claims a sequence number this server never issued (it restarted): start again from
    /// `resume_from`, the oldest event still held (1 when the buffer still holds the first).
    Ahead {
        /// Sequence number the client continues from.
        resume_from: u64,
    },
}

/// Bounded history of one topic.
#[derive(Debug)]
pub struct ReplayBuffer {
    items: VecDeque<Arc<EventFrame>>,
    capacity: usize,
    max_age: Duration,
    last_seq: u64,
}

impl ReplayBuffer {
    /// A buffer keeping at most `capacity` events no older than `max_age`.
    pub fn new(capacity: usize, max_age: Duration) -> Self {
        Self {
            items: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
            max_age,
            last_seq: 0,
        }
    }

    /// The sequence number of the newest event (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// How many events it keeps at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Sets the starting point (a store that survives restarts continues its numbering).
    pub fn continue_from(&mut self, last_seq: u64) {
        self.last_seq = self.last_seq.max(last_seq);
    }

    /// Appends an event; its `seq` must be `last_seq() + 1`.
    pub fn push(&mut self, frame: Arc<EventFrame>, now: DateTime<Utc>) {
        self.last_seq = frame.seq;
        self.items.push_back(frame);
        while self.items.len() > self.capacity {
            self.items.pop_front();
        }
        self.expire(now);
    }

    fn expire(&mut self, now: DateTime<Utc>) {
        let max_age = chrono::Duration::from_std(self.max_age).unwrap_or(chrono::Duration::MAX);
        while self.items.front().is_some_and(|f| now - f.at > max_age) {
            self.items.pop_front();
        }
    }

    /// Every event with a sequence number greater than `after`, if the buffer still holds them all.
    pub fn after(&mut self, after: u64, now: DateTime<Utc>) -> Replay {
        self.expire(now);
        let oldest = self
            .items
            .front()
            .map_or(self.last_seq.saturating_add(1), |f| f.seq);
        if after > self.last_seq {
            return Replay::Ahead {
                resume_from: oldest,
            };
        }
        if after == self.last_seq {
            return Replay::Events(Vec::new());
        }
        if oldest > after.saturating_add(1) {
            return Replay::Gap {
                resume_from: oldest,
            };
        }
        Replay::Events(
            self.items
                .iter()
                .filter(|f| f.seq > after)
                .cloned()
                .collect(),
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn frame(seq: u64, at: DateTime<Utc>) -> Arc<EventFrame> {
        Arc::new(EventFrame::new(
            Topic::SessionEvents,
            seq,
            at,
            format!("{{\"seq\":{seq}}}").into(),
        ))
    }

    fn seqs(r: Replay) -> Vec<u64> {
        match r {
            Replay::Events(v) => v.iter().map(|f| f.seq).collect(),
            other => panic!("expected events, got {other:?}"),
        }
    }

    #[test]
    fn replays_what_it_holds_and_reports_gaps() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut b = ReplayBuffer::new(3, Duration::from_secs(60));
        assert!(matches!(b.after(0, t0), Replay::Events(v) if v.is_empty()));
        for seq in 1..=5 {
            b.push(frame(seq, t0), t0);
        }
        assert_eq!(seqs(b.after(2, t0)), vec![3, 4, 5]);
        assert_eq!(seqs(b.after(5, t0)), Vec::<u64>::new());
        assert!(matches!(b.after(1, t0), Replay::Gap { resume_from: 3 }));
        assert!(matches!(b.after(9, t0), Replay::Ahead { resume_from: 3 }));
        assert!(matches!(
            b.after(u64::MAX, t0),
            Replay::Ahead { resume_from: 3 }
        ));
    }

    #[test]
    fn old_events_age_out() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut b = ReplayBuffer::new(100, Duration::from_secs(10));
        b.push(frame(1, t0), t0);
        b.push(
            frame(2, t0 + chrono::Duration::seconds(8)),
            t0 + chrono::Duration::seconds(8),
        );
        let later = t0 + chrono::Duration::seconds(15);
        assert!(matches!(b.after(0, later), Replay::Gap { resume_from: 2 }));
        assert_eq!(seqs(b.after(1, later)), vec![2]);
        let much_later = t0 + chrono::Duration::seconds(60);
        assert!(matches!(
            b.after(1, much_later),
            Replay::Gap { resume_from: 3 }
        ));
        assert_eq!(seqs(b.after(2, much_later)), Vec::<u64>::new());
    }
}
