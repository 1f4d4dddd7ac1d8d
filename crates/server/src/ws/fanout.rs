//! Fan-out shards: a few tasks (two per core) that each serve a share of the connections. At a tick a shard walks
//! its peers and writes the tick's prebuilt frame to each socket without waiting; events go the same way the
//! moment the hub publishes them. No connection task wakes for a tick or an event, so a tick costs one `write`
//! per client and nothing per idle one. Each second a shard also sends due heartbeats and pings, ends dead or
//! stalled peers and forgets ended ones; it does so halfway between two ticks, so that ending many peers at once
//! (their resets cost the kernel work too) does not delay a tick's writes.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use tokio::{
    sync::{broadcast::error::RecvError, mpsc},
    time::Instant,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{WsLimits, frame, peer::Peer, state::heartbeat};
use crate::{
    hub::{HubHandle, Tick},
    metrics::FrameKind,
};

/// Peers a shard walks before letting other tasks run.
const YIELD_EVERY: usize = 1024;

/// Hands each new connection to the shard serving the fewest (connections end unevenly, so round robin would
/// leave some shards with most of the work and a core idle).
#[derive(Clone)]
pub struct Fanout {
    joins: Arc<[mpsc::UnboundedSender<Arc<Peer>>]>,
    loads: Arc<[AtomicUsize]>,
}

impl Fanout {
    /// Starts `shards` shard tasks (at least one).
    pub fn spawn(
        hub: &HubHandle,
        shards: usize,
        housekeeping: Duration,
        limits: Arc<WsLimits>,
        cancel: &CancellationToken,
        tracker: &TaskTracker,
    ) -> Self {
        let loads: Arc<[AtomicUsize]> = (0..shards.max(1)).map(|_| AtomicUsize::new(0)).collect();
        let joins = (0..loads.len())
            .map(|i| {
                let (tx, rx) = mpsc::unbounded_channel();
                tracker.spawn(shard(
                    Shard {
                        hub: hub.clone(),
                        housekeeping,
                        limits: limits.clone(),
                        loads: loads.clone(),
                        index: i,
                    },
                    rx,
                    cancel.clone(),
                ));
                tx
            })
            .collect();
        Self { joins, loads }
    }

    /// Shards for this machine: two per core, so both cores share a tick's writes evenly.
    pub fn default_shards() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get() * 2)
    }

    /// Gives a peer to the least loaded shard (ties broken at random, so that clients arriving in a pattern —
    /// e.g. every other one idle — do not pile their kind onto some shards). False once the shards have stopped.
    pub fn join(&self, peer: Arc<Peer>) -> bool {
        let i = least_loaded(&self.loads, rand::random::<u32>() as usize);
        self.loads[i].fetch_add(1, Ordering::Relaxed);
        self.joins[i].send(peer).is_ok()
    }
}

/// The index of the smallest load; among equals the first one from `start` on (cyclically).
fn least_loaded(loads: &[AtomicUsize], start: usize) -> usize {
    let n = loads.len().max(1);
    (0..n)
        .map(|k| (start + k) % n)
        .min_by_key(|&i| {
            loads
                .get(i)
                .map_or(usize::MAX, |l| l.load(Ordering::Relaxed))
        })
        .unwrap_or(0)
}

/// What a shard task needs.
struct Shard {
    hub: HubHandle,
    housekeeping: Duration,
    limits: Arc<WsLimits>,
    loads: Arc<[AtomicUsize]>,
    index: usize,
}

async fn shard(
    Shard {
        hub,
        housekeeping,
        limits,
        loads,
        index,
    }: Shard,
    mut joins: mpsc::UnboundedReceiver<Arc<Peer>>,
    cancel: CancellationToken,
) {
    let mut ticks = hub.ticks();
    ticks.mark_unchanged();
    let mut events = hub.events();
    let mut peers: Vec<Arc<Peer>> = Vec::new();
    let mut due = Box::pin(tokio::time::sleep(housekeeping));
    let mut last_housekeeping = Instant::now();
    let mut last_tick_at: Option<chrono::DateTime<chrono::Utc>> = None;
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            Some(peer) = joins.recv() => peers.push(peer),
            changed = ticks.changed() => {
                if changed.is_err() {
                    break;
                }
                let tick = ticks.borrow_and_update().clone();
                sweep(&peers, &tick, &limits).await;
                let gap = last_tick_at.and_then(|prev| (tick.at - prev).to_std().ok());
                last_tick_at = Some(tick.at);
                if let (Some(gap), Ok(since)) = (gap, (chrono::Utc::now() - tick.at).to_std()) {
                    let tick_instant = Instant::now().checked_sub(since).unwrap_or_else(Instant::now);
                    // Half a gap of slack, or jitter would skip a midpoint now and then.
                    let earliest = last_housekeeping + housekeeping.saturating_sub(gap / 2);
                    due.as_mut().reset(between_ticks(earliest, tick_instant, gap));
                }
            }
            event = events.recv() => match event {
                Ok(event) => {
                    let (frames, bytes) = peers.iter().fold((0, 0), |(f, b), p| {
                        let n = p.on_event(&event);
                        (f + u64::from(n > 0), b + n)
                    });
                    limits.traffic.sent_many(FrameKind::of_topic(event.topic), frames, bytes);
                }
                Err(RecvError::Lagged(_)) => peers.iter().for_each(|p| p.on_lagged()),
                Err(RecvError::Closed) => break,
            },
            () = &mut due => {
                let beat = heartbeat_frame();
                let now = Instant::now();
                let before = peers.len();
                peers.retain(|p| p.housekeep(now, &beat));
                loads[index].fetch_sub(before - peers.len(), Ordering::Relaxed);
                last_housekeeping = now;
                due.as_mut().reset(now + housekeeping);
            }
        }
    }
}

/// Writes a tick to every peer of the shard.
async fn sweep(peers: &[Arc<Peer>], tick: &Tick, limits: &WsLimits) {
    let now = Instant::now();
    let (mut frames, mut bytes) = (0u64, 0usize);
    for chunk in peers.chunks(YIELD_EVERY) {
        for peer in chunk {
            let n = peer.on_tick(tick, now);
            frames += u64::from(n > 0);
            bytes += n;
        }
        if chunk.len() == YIELD_EVERY {
            tokio::task::yield_now().await;
        }
    }
    limits.traffic.sent_many(FrameKind::State, frames, bytes);
    if let Ok(took) = (chrono::Utc::now() - tick.at).to_std() {
        limits.traffic.fanout_seconds.observe(took);
    }
}

/// The first moment halfway between two ticks (ticks at `tick` + k·`gap`) that is not before `earliest`; ticks
/// more than a minute apart are not worth waiting for, so then `earliest` itself.
fn between_ticks(earliest: Instant, tick: Instant, gap: Duration) -> Instant {
    if gap.is_zero() || gap > Duration::from_secs(60) {
        return earliest;
    }
    let mid = tick + gap / 2;
    if mid >= earliest {
        return mid;
    }
    let behind = earliest.duration_since(mid).as_nanos();
    let steps = behind.div_ceil(gap.as_nanos());
    u32::try_from(steps).map_or(earliest, |k| mid + gap * k)
}

fn heartbeat_frame() -> Bytes {
    let text = serde_json::to_string(&heartbeat()).unwrap_or_default();
    frame::text(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn housekeeping_falls_halfway_between_ticks() {
        let t = Instant::now();
        let s = Duration::from_secs(1);
        let ms = Duration::from_millis;
        assert_eq!(
            between_ticks(t, t, s),
            t + ms(500),
            "due: the next midpoint"
        );
        assert_eq!(
            between_ticks(t + ms(600), t, s),
            t + ms(1500),
            "not before earliest"
        );
        assert_eq!(between_ticks(t + ms(1500), t, s), t + ms(1500));
        assert_eq!(between_ticks(t + ms(2600), t, ms(250)), t + ms(2625));
        assert_eq!(between_ticks(t + s, t, Duration::ZERO), t + s);
        assert_eq!(between_ticks(t + s, t, Duration::from_secs(120)), t + s);
    }

    #[test]
    fn new_peers_go_to_the_least_loaded_shard() {
        let loads: Vec<AtomicUsize> = [3, 1, 2, 1].into_iter().map(AtomicUsize::new).collect();
        assert_eq!(least_loaded(&loads, 0), 1);
        assert_eq!(
            least_loaded(&loads, 2),
            3,
            "ties: the first from the start on"
        );
        assert_eq!(least_loaded(&loads, 7), 3);
        loads[3].fetch_add(5, Ordering::Relaxed);
        assert_eq!(least_loaded(&loads, 2), 1);
    }
}
