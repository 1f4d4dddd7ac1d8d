//! Catch-ups that need the archive: read on the blocking pool — never on a runtime thread, never under the peer's
//! lock — while the shard holds the topic's live events back, so each event still reaches the client exactly once.
//!
//! The tests run on tokio's current-thread runtime: every task runs on the test's own thread, so an archive read
//! made anywhere but the blocking pool is seen by its thread, and it would stop every other task while it lasts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::{Arc, Mutex, mpsc},
    thread::ThreadId,
    time::Duration,
};

use kato_dashboard_core::protocol::{ServerMsg, Topic};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use tokio::sync::{Notify, broadcast};
use tokio_util::sync::CancellationToken;

use super::tests::{hub_with, peer_on};
use crate::{
    hub::{EventArchive, EventFrame, HubHandle},
    ws::{serve, socket::memory},
};

const TOPIC: Topic = Topic::KatoEvents;
/// Events the hub's replay buffer keeps: the older ones are in the archive only.
const BUFFER: usize = 3;

/// An archive holding every event published, that records the threads reading it and can hold a read until the
/// test releases it.
#[derive(Default)]
struct TestArchive {
    events: Mutex<Vec<Arc<EventFrame>>>,
    readers: Mutex<Vec<ThreadId>>,
    /// Reads finished.
    finished: Mutex<usize>,
    /// Set: each read waits for a message on it (or for its sender to go).
    gate: Mutex<Option<mpsc::Receiver<()>>>,
    /// Notified when a read starts.
    reading: Notify,
    /// How long each read blocks its thread.
    delay: Duration,
}

impl EventArchive for TestArchive {
    fn last_seq(&self) -> u64 {
        0
    }

    fn after(&self, seq: u64, limit: usize) -> Vec<Arc<EventFrame>> {
        self.readers
            .lock()
            .unwrap()
            .push(std::thread::current().id());
        self.reading.notify_one();
        if let Some(gate) = self.gate.lock().unwrap().as_ref() {
            let _ = gate.recv_timeout(Duration::from_secs(10));
        }
        std::thread::sleep(self.delay);
        let found = self
            .events
            .lock()
            .unwrap()
            .iter()
            .filter(|f| f.seq > seq)
            .take(limit)
            .cloned()
            .collect();
        *self.finished.lock().unwrap() += 1;
        found
    }
}

impl TestArchive {
    /// Every read so far happened off the runtime's (the test's) thread.
    fn assert_read_off(&self, runtime: ThreadId) {
        let readers = self.readers.lock().unwrap();
        assert!(!readers.is_empty(), "the archive was read");
        assert!(
            readers.iter().all(|t| *t != runtime),
            "the archive was read on the runtime thread"
        );
    }
}

/// The hub's side of a test: the hub, a receiver of its events, its token.
type TestHub = (
    HubHandle,
    broadcast::Receiver<Arc<EventFrame>>,
    CancellationToken,
);

/// A hub keeping `buffer` events whose `TOPIC` has `archive`, and a receiver of its events (to fill the archive
/// as the store would).
fn hub_with_archive(archive: &Arc<TestArchive>, buffer: usize) -> TestHub {
    let (hub, cancel) = hub_with(buffer);
    hub.set_archive(TOPIC, archive.clone(), archive.last_seq());
    let events = hub.events();
    (hub, events, cancel)
}

/// Publishes `n` events and archives them; returns them as published.
async fn publish(
    hub: &HubHandle,
    events: &mut broadcast::Receiver<Arc<EventFrame>>,
    archive: &TestArchive,
    n: usize,
) -> Vec<Arc<EventFrame>> {
    let mut out = Vec::new();
    for _ in 0..n {
        let msg: ServerMsg = serde_json::from_value(json!({
            "type": "kato_event",
            "event_type": "kato_restarted",
            "timestamp": "2026-01-01T00:00:00Z",
        }))
        .unwrap();
        hub.publish_event(TOPIC, msg).await;
        let frame = events.recv().await.unwrap();
        archive.events.lock().unwrap().push(frame.clone());
        out.push(frame);
    }
    out
}

/// The `seq` of each event message, and the `from_seq` of each resync, in the order they came.
fn seqs(messages: &[Value]) -> (Vec<u64>, Vec<u64>) {
    let of = |kind: &str, field: &str| {
        messages
            .iter()
            .filter(|m| m["type"] == kind)
            .map(|m| m[field].as_u64().unwrap())
            .collect()
    };
    (of("kato_event", "seq"), of("resync", "from_seq"))
}

#[tokio::test]
async fn live_events_wait_for_an_archive_catch_up_and_each_arrives_once() {
    let runtime = std::thread::current().id();
    let (release, gate) = mpsc::channel();
    let archive = Arc::new(TestArchive {
        gate: Mutex::new(Some(gate)),
        ..TestArchive::default()
    });
    let (hub, mut events, cancel) = hub_with_archive(&archive, BUFFER);
    let (socket, mut client) = memory::pair(1 << 20);
    let peer = Arc::new(peer_on(socket, &hub, &[TOPIC], 16 << 20));
    publish(&hub, &mut events, &archive, 8).await;

    // The client resumes after #2: #3..#5 are in the archive only, so the catch-up waits for it.
    peer.resume(&mut peer.lock(), TOPIC, 2);
    assert!(peer.lock().waiting_for_archive());
    assert!(client.frames().is_empty(), "nothing sent under the lock");
    let catching_up = tokio::spawn({
        let peer = peer.clone();
        async move { peer.catch_up_from_archive().await }
    });
    archive.reading.notified().await;

    // While the archive is read, the shard gets #9 and #10 (and a lag) and holds them back.
    for frame in publish(&hub, &mut events, &archive, 2).await {
        assert_eq!(peer.on_event(&frame), 0, "#{} waits", frame.seq);
    }
    peer.on_lagged();
    assert!(client.frames().is_empty());
    // Released: this read brings #3..#5; by then #6 and #7 are gone from the buffer too, so one more read.
    drop(release);
    catching_up.await.unwrap();
    assert_eq!(archive.readers.lock().unwrap().len(), 2);

    assert!(!peer.lock().waiting_for_archive());
    let (delivered, resyncs) = seqs(&client.messages());
    assert_eq!(
        delivered,
        (3..=10).collect::<Vec<_>>(),
        "each once, in order"
    );
    assert!(resyncs.is_empty(), "nothing was lost");
    // Live delivery continues after the catch-up.
    let next = publish(&hub, &mut events, &archive, 1).await;
    assert!(peer.on_event(&next[0]) > 0);
    assert_eq!(seqs(&client.messages()).0, vec![11]);
    archive.assert_read_off(runtime);
    cancel.cancel();
}

#[tokio::test]
async fn a_slow_archive_read_holds_up_neither_the_runtime_nor_the_peer() {
    let runtime = std::thread::current().id();
    let archive = Arc::new(TestArchive {
        delay: Duration::from_millis(300),
        ..TestArchive::default()
    });
    let (hub, mut events, cancel) = hub_with_archive(&archive, BUFFER);
    publish(&hub, &mut events, &archive, 6).await;
    let (socket, mut client) = memory::pair(1 << 20);
    let peer = Arc::new(peer_on(socket, &hub, &[Topic::Metrics], 16 << 20));
    // The whole connection: the client subscribes and resumes from the start; its task reads the archive.
    let serving = tokio::spawn(serve(peer.clone(), Vec::new(), cancel.clone()));
    client.send_text(&json!({"type": "subscribe", "subscriptions": [TOPIC.as_str()]}).to_string());
    client.send_text(&json!({"type": "resume", "last_seq": {TOPIC.as_str(): 0}}).to_string());
    archive.reading.notified().await;

    // While the archive read blocks its thread, this runtime's only thread keeps running tasks, and the peer's
    // lock is free: the shard could write a tick to it.
    let mut turns = 0;
    while *archive.finished.lock().unwrap() == 0 {
        assert!(
            peer.state.try_lock().is_ok(),
            "the peer's lock is held across the read"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
        turns += 1;
    }
    assert!(
        turns >= 5,
        "the runtime ran only {turns} timer turns during a 300 ms read"
    );

    let mut received = Vec::new();
    while seqs(&received).0.len() < 6 {
        let more = tokio::time::timeout(Duration::from_secs(5), client.wait_readable()).await;
        assert!(more.is_ok(), "no more events: {received:?}");
        received.extend(client.messages());
    }
    let (delivered, resyncs) = seqs(&received);
    assert_eq!(delivered, (1..=6).collect::<Vec<_>>(), "{received:?}");
    assert!(resyncs.is_empty(), "{received:?}");
    archive.assert_read_off(runtime);
    cancel.cancel();
    assert_eq!(serving.await.unwrap(), crate::ws::End::Shutdown);
}

#[tokio::test]
async fn events_gone_from_the_archive_too_mean_one_resync() {
    let runtime = std::thread::current().id();
    let archive = Arc::new(TestArchive::default());
    let (hub, mut events, cancel) = hub_with_archive(&archive, BUFFER);
    publish(&hub, &mut events, &archive, 8).await;
    // The store lost #1..#4 (retention): the client continues from the oldest event the buffer holds.
    archive.events.lock().unwrap().retain(|f| f.seq > 4);
    let (socket, mut client) = memory::pair(1 << 20);
    let peer = peer_on(socket, &hub, &[TOPIC], 16 << 20);
    peer.resume(&mut peer.lock(), TOPIC, 0);
    peer.catch_up_from_archive().await;
    let (delivered, resyncs) = seqs(&client.messages());
    assert_eq!(resyncs, vec![6], "the buffer's oldest");
    assert_eq!(delivered, vec![6, 7, 8]);
    archive.assert_read_off(runtime);
    cancel.cancel();
}

/// What a client makes of what it received after resuming from `after`: each event must be the next it expects,
/// and a `resync` says which one that is from then on. Returns the next it expects and the resyncs.
fn follow(received: &[Value], after: u64) -> (u64, usize) {
    let (mut next, mut resyncs) = (after.saturating_add(1), 0);
    for m in received {
        if m["type"] == "resync" {
            next = m["from_seq"].as_u64().unwrap();
            resyncs += 1;
        } else if m["type"] == "kato_event" {
            assert_eq!(m["seq"].as_u64().unwrap(), next, "{received:?}");
            next += 1;
        }
    }
    (next, resyncs)
}

/// Random interleavings of live events (delivered, or missed by a lagging shard), lags, archive reads with events
/// published during them, and resumes: the client gets every event exactly once, in order — or a `resync` naming
/// exactly where it continues, only when events are really gone.
#[tokio::test]
async fn any_interleaving_delivers_every_event_once_or_resyncs() {
    let mut rng = StdRng::seed_from_u64(17);
    for round in 0..150 {
        let (release, gate) = mpsc::channel();
        let archive = Arc::new(TestArchive {
            gate: Mutex::new(Some(gate)),
            ..TestArchive::default()
        });
        let (hub, mut events, cancel) = hub_with_archive(&archive, rng.random_range(2..=5));
        let before = rng.random_range(0..=10);
        publish(&hub, &mut events, &archive, before).await;
        // Retention may have removed the oldest events from the store.
        let lost = if rng.random_bool(0.3) {
            rng.random_range(0..=before as u64)
        } else {
            0
        };
        archive.events.lock().unwrap().retain(|f| f.seq > lost);
        let published = before as u64;
        let after = [0, published / 2, published, published + 3, u64::MAX][rng.random_range(0..5)];
        let (socket, mut client) = memory::pair(1 << 20);
        let peer = Arc::new(peer_on(socket, &hub, &[TOPIC], 16 << 20));
        peer.resume(&mut peer.lock(), TOPIC, after);
        let mut received = Vec::new();
        for _ in 0..rng.random_range(5..25) {
            match rng.random_range(0..5) {
                0 | 1 => {
                    for f in publish(&hub, &mut events, &archive, 1).await {
                        if rng.random_bool(0.7) {
                            peer.on_event(&f);
                        }
                    }
                }
                2 => peer.on_lagged(),
                3 => {
                    // Resumes from what it has: nothing is sent twice.
                    received.extend(client.messages());
                    let last = follow(&received, after).0 - 1;
                    peer.resume(&mut peer.lock(), TOPIC, last);
                }
                _ => {}
            }
            // The connection task reads the archive; more events come meanwhile.
            let task = tokio::spawn({
                let peer = peer.clone();
                async move { peer.catch_up_from_archive().await }
            });
            while !task.is_finished() {
                tokio::select! {
                    () = archive.reading.notified() => {
                        for f in publish(&hub, &mut events, &archive, rng.random_range(0..3)).await {
                            peer.on_event(&f);
                        }
                        release.send(()).unwrap();
                    }
                    () = tokio::time::sleep(Duration::from_millis(1)) => {}
                }
            }
            task.await.unwrap();
        }
        // The shard catches up at the end (a lag, then one more live event).
        drop(release);
        peer.on_lagged();
        peer.catch_up_from_archive().await;
        let last = publish(&hub, &mut events, &archive, 1).await;
        peer.on_event(&last[0]);
        peer.catch_up_from_archive().await;
        received.extend(client.messages());
        let (next, resyncs) = follow(&received, after);
        let case = format!("round {round}: {before} before, {lost} lost, resumed after {after}");
        assert_eq!(next, last[0].seq + 1, "every event: {case}: {received:?}");
        if lost == 0 && after <= published {
            assert_eq!(resyncs, 0, "nothing was gone: {case}: {received:?}");
        }
        cancel.cancel();
    }
}
