//! Requests per second from KATO's `/metrics`, as KATO 3.x really serves it: every worker process (4 by default)
//! keeps its own `total_requests` counter and caches its answer for 5 s, and each poll lands on any worker. So a
//! sample is `(KATO's own timestamp, total_requests)`, and the dashboard's clock means nothing:
//!
//! - a sample whose timestamp was seen already is a cached repeat and carries no news (the old 0.00 req/s ticks);
//! - each worker is a **track**, known by its start time (`/health`'s timestamp minus its uptime, read on the same
//!   connection as `/metrics`, so from the same process; starts within [`SAME_WORKER_MS`] are one worker). Without
//!   a start time (KATO 1.x, or `/health` failed) a sample continues the track with the highest counter at or
//!   below its own whose timestamp is older (counters only grow within a process); none fits → a new track;
//! - a track's rate is its counter difference over KATO's timestamps; the estimate is the sum of the tracks
//!   seen within [`TRACK_MAX_AGE_SECONDS`], i.e. of the workers the polls have reached lately.
//!
//! With one worker this is exactly KATO's rate over each 5 s refresh. With several it is an estimate (polls reach
//! workers at random; workers with very close counters can be confused for one sample); the UI says so with the
//! number of workers seen. Pure: time is an input.

use chrono::{DateTime, Duration, Utc};

/// A track not sampled for this long is dropped (its worker went, or restarted into a new track).
pub const TRACK_MAX_AGE_SECONDS: i64 = 60;
/// Start times closer than this are one worker (the two clocks KATO reads differ by a few milliseconds).
pub const SAME_WORKER_MS: i64 = 50;
/// Most tracks kept (a KATO runs a handful of workers).
const MAX_TRACKS: usize = 16;

#[derive(Debug, Clone)]
struct Track {
    worker: Option<DateTime<Utc>>,
    timestamp: DateTime<Utc>,
    total: f64,
    rate: Option<f64>,
    seen: DateTime<Utc>,
}

/// What one sample was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    /// A timestamp seen already: the worker's cache answered again.
    Repeat,
    /// A newer sample of a worker already tracked.
    Continued,
    /// A worker not tracked yet (or one whose counter began again).
    NewTrack,
}

/// The tracks of the workers seen lately.
#[derive(Debug, Clone, Default)]
pub struct RequestRate {
    tracks: Vec<Track>,
}

impl RequestRate {
    /// Feeds one `/metrics` sample read at `now`, from the worker that started at `worker` when known.
    pub fn observe(
        &mut self,
        worker: Option<DateTime<Utc>>,
        timestamp: DateTime<Utc>,
        total: f64,
        now: DateTime<Utc>,
    ) -> Sample {
        self.tracks
            .retain(|t| now - t.seen <= Duration::seconds(TRACK_MAX_AGE_SECONDS));
        let same = |t: &Track| match (worker, t.worker) {
            (Some(a), Some(b)) => (a - b).num_milliseconds().abs() <= SAME_WORKER_MS,
            _ => true,
        };
        if let Some(track) = self
            .tracks
            .iter_mut()
            .find(|t| t.timestamp == timestamp && same(t))
        {
            track.seen = now;
            return Sample::Repeat;
        }
        let next = self
            .tracks
            .iter_mut()
            .filter(|t| same(t) && t.timestamp < timestamp && t.total <= total)
            .max_by(|a, b| a.total.total_cmp(&b.total));
        if let Some(track) = next {
            let secs = (timestamp - track.timestamp).num_milliseconds() as f64 / 1000.0;
            track.rate = Some((total - track.total) / secs);
            track.timestamp = timestamp;
            track.total = total;
            track.seen = now;
            return Sample::Continued;
        }
        if self.tracks.len() >= MAX_TRACKS
            && let Some(oldest) = self
                .tracks
                .iter()
                .enumerate()
                .min_by_key(|(_, t)| t.seen)
                .map(|(i, _)| i)
        {
            self.tracks.remove(oldest);
        }
        self.tracks.push(Track {
            worker,
            timestamp,
            total,
            rate: None,
            seen: now,
        });
        Sample::NewTrack
    }

    /// Requests per second summed over the workers seen lately; `None` until a worker was sampled twice.
    pub fn rate(&self, now: DateTime<Utc>) -> Option<f64> {
        let rates: Vec<f64> = self.live(now).filter_map(|t| t.rate).collect();
        (!rates.is_empty()).then(|| rates.iter().sum())
    }

    /// Workers (tracks) seen within [`TRACK_MAX_AGE_SECONDS`].
    pub fn workers_seen(&self, now: DateTime<Utc>) -> usize {
        self.live(now).count()
    }

    /// Forgets everything (KATO unreachable: what comes back may be other processes).
    pub fn reset(&mut self) {
        self.tracks.clear();
    }

    fn live(&self, now: DateTime<Utc>) -> impl Iterator<Item = &Track> {
        self.tracks
            .iter()
            .filter(move |t| now - t.seen <= Duration::seconds(TRACK_MAX_AGE_SECONDS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_795_316_380_000 + ms).unwrap()
    }

    #[test]
    fn one_worker_cached_for_5_s_polled_every_2_s_never_reads_zero() {
        // KATO refreshes at 0, 5, 10, 15 s with 3.5 requests in each 5 s; the dashboard polls every 2 s.
        let mut rate = RequestRate::default();
        let mut readings = Vec::new();
        for poll in 0..10 {
            let now = t(poll * 2000);
            let refresh = (poll * 2000 / 5000) * 5000;
            let total = 100.0 + 3.5 * (refresh / 5000) as f64;
            rate.observe(None, t(refresh), total, now);
            readings.push(rate.rate(now));
        }
        assert_eq!(readings[0], None);
        assert!(
            readings[3..].iter().all(|r| *r == Some(0.7)),
            "{readings:?}"
        );
    }

    #[test]
    fn four_workers_are_four_tracks_and_their_sum() {
        // The c584167-workers4 recording's pattern: workers at 2, 3, 9 and 40 requests, each growing at its pace.
        let paces = [0.2, 0.4, 1.0, 2.0];
        let starts = [2.0, 3.0, 9.0, 40.0];
        let mut rate = RequestRate::default();
        let mut order = [0usize, 2, 1, 3, 0, 3, 2, 1, 2, 0, 1, 3, 3, 0, 1, 2];
        order.rotate_left(1);
        for (i, w) in order.iter().enumerate() {
            let ms = i as i64 * 5000 + *w as i64 * 37;
            let total = starts[*w] + paces[*w] * ms as f64 / 1000.0;
            // Workers known by their start times, 3 s apart (as in the recording).
            let started = Some(t(-60_000 + *w as i64 * 3000));
            assert_ne!(rate.observe(started, t(ms), total, t(ms)), Sample::Repeat);
        }
        let now = t(order.len() as i64 * 5000);
        assert_eq!(rate.workers_seen(now), 4);
        let sum = rate.rate(now).unwrap();
        assert!((sum - 3.6).abs() < 0.05, "{sum}");
    }

    #[test]
    fn known_workers_never_borrow_each_others_counters() {
        // Worker A at 1,000 requests, worker B at 10 (younger): interleaved samples never pair A with B.
        let (a, b) = (Some(t(-100_000)), Some(t(-20_000)));
        let mut rate = RequestRate::default();
        rate.observe(a, t(0), 1000.0, t(0));
        rate.observe(b, t(1000), 10.0, t(1000));
        rate.observe(b, t(6000), 15.0, t(6000));
        rate.observe(a, t(7000), 1007.0, t(7000));
        rate.observe(a, t(12_000), 1012.0, t(12_000));
        assert_eq!(rate.workers_seen(t(12_000)), 2);
        assert_eq!(rate.rate(t(12_000)), Some(2.0));
    }

    #[test]
    fn a_restarted_worker_starts_a_new_track_and_the_old_one_ages_out() {
        let mut rate = RequestRate::default();
        rate.observe(None, t(0), 500.0, t(0));
        rate.observe(None, t(5000), 510.0, t(5000));
        assert_eq!(rate.rate(t(5000)), Some(2.0));
        assert_eq!(
            rate.observe(None, t(10_000), 1.0, t(10_000)),
            Sample::NewTrack
        );
        rate.observe(None, t(15_000), 11.0, t(15_000));
        let later = t(5000 + (TRACK_MAX_AGE_SECONDS + 1) * 1000);
        rate.observe(None, t(20_000), 21.0, later);
        assert_eq!(rate.workers_seen(later), 1);
        assert_eq!(rate.rate(later), Some(2.0));
    }
}
