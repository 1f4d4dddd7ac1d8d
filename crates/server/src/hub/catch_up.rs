//! What a client that lagged or resumed must be sent so that it misses nothing: the events it lacks from the
//! replay buffer, preceded by a `resync` naming the sequence number it continues from when some are gone (or
//! when it is ahead of this server, which restarted). The plan always ends with the cursor where live delivery
//! continues, whatever number the client sent (0, inside the window, before it, ahead, `u64::MAX`).
//!
//! [`Planner`] is the plan without I/O: it asks for reads and takes their answers, so the same rules run over the
//! in-memory replay buffer under a peer's lock ([`plan`], [`try_plan`]) and over the archive, whose reads wait
//! for the blocking pool ([`plan_async`]).

use std::{future::Future, sync::Arc};

use super::replay::{EventFrame, Replay};

/// One thing to send.
#[derive(Debug)]
pub enum Step {
    /// `{"type":"resync","topic",…,"reason","from_seq"}`.
    Resync {
        /// Why: the caller's reason for a gap, `server_restarted` when the client is ahead.
        reason: &'static str,
        /// The first sequence number the client will get.
        from_seq: u64,
    },
    /// A buffered event.
    Event(Arc<EventFrame>),
}

/// Reads one plan may make: a second one only when events aged out between two reads.
const MAX_READS: u8 = 3;

/// A plan being made: which read it needs next, and the steps the answers so far make.
#[derive(Debug)]
pub struct Planner {
    cursor: u64,
    gap_reason: &'static str,
    steps: Vec<Step>,
    reads: u8,
    done: bool,
}

impl Planner {
    /// A plan for a client whose next expected sequence number is `cursor`; `gap_reason` names a gap's resync.
    pub fn new(cursor: u64, gap_reason: &'static str) -> Self {
        Self {
            cursor,
            gap_reason,
            steps: Vec::new(),
            reads: 0,
            done: false,
        }
    }

    /// The `after` of the next read ("every event after this number"), or `None` once the plan is complete.
    pub fn next_read(&self) -> Option<u64> {
        (!self.done && self.reads < MAX_READS).then(|| self.cursor.saturating_sub(1))
    }

    /// Takes the answer to the read [`Self::next_read`] asked for.
    pub fn feed(&mut self, replay: Replay) {
        self.reads += 1;
        let (from_seq, reason) = match replay {
            Replay::Events(frames) => {
                for f in frames {
                    if f.seq >= self.cursor {
                        self.cursor = f.seq.saturating_add(1);
                        self.steps.push(Step::Event(f));
                    }
                }
                self.done = true;
                return;
            }
            Replay::Gap { resume_from } => (resume_from, self.gap_reason),
            Replay::Ahead { resume_from } => (resume_from, "server_restarted"),
        };
        self.steps.push(Step::Resync { reason, from_seq });
        self.cursor = from_seq;
    }

    /// The steps, and the cursor where live delivery continues.
    pub fn finish(self) -> (Vec<Step>, u64) {
        (self.steps, self.cursor)
    }
}

/// The steps for a client whose next expected sequence number is `cursor`, reading the buffer with `read(after)`;
/// returns them and the new cursor.
pub fn plan(
    cursor: u64,
    gap_reason: &'static str,
    mut read: impl FnMut(u64) -> Replay,
) -> (Vec<Step>, u64) {
    let mut planner = Planner::new(cursor, gap_reason);
    while let Some(after) = planner.next_read() {
        planner.feed(read(after));
    }
    planner.finish()
}

/// [`plan`], given up (`None`) as soon as `read` cannot answer without waiting.
pub fn try_plan(
    cursor: u64,
    gap_reason: &'static str,
    mut read: impl FnMut(u64) -> Option<Replay>,
) -> Option<(Vec<Step>, u64)> {
    let mut planner = Planner::new(cursor, gap_reason);
    while let Some(after) = planner.next_read() {
        planner.feed(read(after)?);
    }
    Some(planner.finish())
}

/// [`plan`] with reads that wait.
pub async fn plan_async<F: Future<Output = Replay>>(
    cursor: u64,
    gap_reason: &'static str,
    mut read: impl FnMut(u64) -> F,
) -> (Vec<Step>, u64) {
    let mut planner = Planner::new(cursor, gap_reason);
    while let Some(after) = planner.next_read() {
        planner.feed(read(after).await);
    }
    planner.finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use chrono::Utc;
    use kato_dashboard_core::protocol::Topic;

    use super::*;
    use crate::hub::replay::ReplayBuffer;

    fn event(seq: u64) -> Arc<EventFrame> {
        Arc::new(EventFrame::new(
            Topic::SessionEvents,
            seq,
            Utc::now(),
            format!("{{\"seq\":{seq}}}").into(),
        ))
    }

    /// What a client sees: `resume` with `last_seq`, then three live events, each delivered when it is the next
    /// expected, else after a catch-up (as the peer does).
    fn run(buffer: &mut ReplayBuffer, last_seq: u64, live: u64) -> (Vec<u64>, Vec<u64>) {
        let now = Utc::now();
        let (mut delivered, mut resyncs) = (Vec::new(), Vec::new());
        let mut record = |steps: Vec<Step>| {
            for step in steps {
                match step {
                    Step::Event(f) => delivered.push(f.seq),
                    Step::Resync { from_seq, .. } => resyncs.push(from_seq),
                }
            }
        };
        let (steps, mut cursor) = plan(last_seq.saturating_add(1), "gap", |a| buffer.after(a, now));
        record(steps);
        for _ in 0..live {
            let seq = buffer.last_seq() + 1;
            buffer.push(event(seq), now);
            if seq == cursor {
                cursor += 1;
                record(vec![Step::Event(event(seq))]);
            } else if seq > cursor {
                let (steps, c) = plan(cursor, "lagged", |a| buffer.after(a, now));
                cursor = c;
                record(steps);
            }
        }
        (delivered, resyncs)
    }

    /// Server sequence range × replay window × client `last_seq`: afterwards the client has every event exactly
    /// once, in order, from its `last_seq` (or from the last `resync`'s `from_seq`, which names exactly what
    /// it lacks) up to the newest.
    #[test]
    fn whatever_the_client_sends_it_gets_every_later_event_or_a_resync() {
        for published in 0..=12u64 {
            for capacity in 1..=6usize {
                let window_start = published.saturating_sub(capacity as u64) + 1;
                let mut candidates =
                    vec![0, window_start.saturating_sub(2), window_start, published];
                candidates.extend([
                    published / 2,
                    published + 1,
                    published + 50,
                    u64::MAX - 1,
                    u64::MAX,
                ]);
                for last_seq in candidates {
                    let mut buffer = ReplayBuffer::new(capacity, Duration::from_secs(600));
                    for seq in 1..=published {
                        buffer.push(event(seq), Utc::now());
                    }
                    let live = 3;
                    let newest = published + live;
                    let (delivered, resyncs) = run(&mut buffer, last_seq, live);
                    let case = format!(
                        "published {published}, capacity {capacity}, last_seq {last_seq}: delivered {delivered:?}, resyncs {resyncs:?}"
                    );
                    let start = match resyncs.last() {
                        Some(from) => *from,
                        None => last_seq + 1,
                    };
                    let expected: Vec<u64> = (start..=newest).collect();
                    let tail: Vec<u64> =
                        delivered.iter().copied().filter(|s| *s >= start).collect();
                    assert_eq!(tail, expected, "{case}");
                    let mut sorted = delivered.clone();
                    sorted.dedup();
                    assert_eq!(sorted, delivered, "no duplicates, in order: {case}");
                    if last_seq <= published && last_seq + 1 >= window_start {
                        assert!(resyncs.is_empty(), "nothing was lost, so no resync: {case}");
                    } else {
                        assert!(!resyncs.is_empty(), "events are gone: {case}");
                    }
                    assert!(resyncs.len() <= 1, "one resync says it: {case}");
                }
            }
        }
    }
}
