//! What the soak's clients track: per client and topic the seqs held (a [`Track`]), the counters summed for the
//! report ([`Stats`]), and the shared [`EventLog`] of every event any client received (the same text for the
//! same seq, whichever client got it).

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use super::clients::TOPICS;

/// Every event any client received, by topic and seq.
#[derive(Default)]
pub struct EventLog {
    /// Per topic: seq → the frame's text.
    pub events: [BTreeMap<u64, Arc<str>>; 3],
    /// Seqs two clients received with different texts.
    pub mismatches: Vec<String>,
}

impl EventLog {
    /// Adds a received event (a second copy must have the same text).
    pub fn record(&mut self, topic: usize, seq: u64, text: &str) {
        match self.events[topic].get(&seq) {
            Some(known) if **known != *text => {
                if self.mismatches.len() < 10 {
                    self.mismatches
                        .push(format!("{} #{seq}: {known} vs {text}", TOPICS[topic]));
                }
            }
            Some(_) => {}
            None => {
                self.events[topic].insert(seq, text.into());
            }
        }
    }
}

/// What one client holds of one topic.
#[derive(Debug, Default, Clone)]
pub struct Track {
    /// Every seq up to this one was received or declared gone by a `resync`.
    pub mark: u64,
    above: BTreeSet<u64>,
    /// Ranges `[from, to)` a `resync` declared gone.
    gone: Vec<(u64, u64)>,
}

impl Track {
    /// Seqs above `mark` up to `last` that the client lacks.
    pub fn missing_up_to(&self, last: u64) -> u64 {
        (self.mark + 1..=last)
            .filter(|s| !self.above.contains(s))
            .count() as u64
    }

    /// A new connection resumes from `mark`: what the client holds above it is asked for anew.
    pub fn resuming(&mut self) -> u64 {
        self.above.clear();
        self.mark
    }

    /// A `resync` naming `from`: what lies between `mark` and `from` is gone, everything from `from` on follows
    /// (again).
    pub fn resync(&mut self, from: u64) {
        let from = from.max(1);
        if from > self.mark + 1 {
            self.gone.push((self.mark + 1, from));
        }
        self.above.clear();
        self.mark = from - 1;
    }

    /// An event with `seq` arrived.
    pub fn receive(&mut self, seq: u64) -> Received {
        let got = if seq <= self.mark {
            if self
                .gone
                .iter()
                .any(|(from, to)| (*from..*to).contains(&seq))
            {
                Received::Stale
            } else {
                Received::Duplicate
            }
        } else if self.above.insert(seq) {
            Received::New
        } else {
            Received::Duplicate
        };
        while self.above.remove(&(self.mark + 1)) {
            self.mark += 1;
        }
        got
    }
}

/// What an arriving event was to the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// Not held yet.
    New,
    /// Held already, and no `resync` in between said it would come again.
    Duplicate,
    /// A `resync` had said it was gone.
    Stale,
}

/// Counters of one client (summed over all of them for the report).
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub connects: u64,
    pub connect_failures: u64,
    /// Connections that sent `resume` with something already held.
    pub resumes: u64,
    pub resyncs: BTreeMap<String, u64>,
    /// Event frames received (all topics).
    pub events: u64,
    pub duplicates: u64,
    /// Of those, received first on the same connection, live before its `resume` was answered.
    pub duplicates_same_connection: u64,
    /// Events older than a `resync` said were gone.
    pub stale: u64,
    pub bad_frames: u64,
    pub error_replies: u64,
    /// Closes with 1009 after a frame over 16 KiB.
    pub too_large_closes: u64,
    pub resets: u64,
    pub silent_drops: u64,
    pub polite_closes: u64,
    /// Connections the server ended that the client did not end.
    pub ended_by_server: u64,
    /// The first duplicates, with what that connection had received before.
    pub evidence: Vec<String>,
}

impl Stats {
    /// Adds `other` to these.
    pub fn add(&mut self, other: &Stats) {
        self.connects += other.connects;
        self.connect_failures += other.connect_failures;
        self.resumes += other.resumes;
        for (k, v) in &other.resyncs {
            *self.resyncs.entry(k.clone()).or_default() += v;
        }
        self.events += other.events;
        self.duplicates += other.duplicates;
        self.duplicates_same_connection += other.duplicates_same_connection;
        self.stale += other.stale;
        self.bad_frames += other.bad_frames;
        self.error_replies += other.error_replies;
        self.too_large_closes += other.too_large_closes;
        self.resets += other.resets;
        self.silent_drops += other.silent_drops;
        self.polite_closes += other.polite_closes;
        self.ended_by_server += other.ended_by_server;
        for e in &other.evidence {
            if self.evidence.len() < 8 {
                self.evidence.push(e.clone());
            }
        }
    }
}
