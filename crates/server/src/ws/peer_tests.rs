//! [`Peer`] over an in-memory socket that takes exactly as many bytes as the test allows: backlogs, owed ticks,
//! overflow, the send timeout and clients that stop reading, without kernel buffers or timing in the way.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use kato_dashboard_core::{
    protocol::{Topic, TopicSet},
    topics::MetricsTopic,
};
use serde_json::json;
use tokio::time::Instant;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{Peer, PeerConfig};
use crate::{
    hub::{self, HubConfig, HubHandle},
    ws::{
        End, WsLimits, serve,
        socket::memory::{self, MemSocket},
        state::ConnState,
    },
};

const TICK: Duration = Duration::from_millis(50);
const KIB: usize = 1024;

/// A hub keeping `replay_capacity` events per topic.
pub(super) fn hub_with(replay_capacity: usize) -> (HubHandle, CancellationToken) {
    let cancel = CancellationToken::new();
    let hub = hub::spawn(
        HubConfig {
            secrets: Arc::default(),
            interval: TICK,
            replay_capacity,
            replay_max_age: Duration::from_secs(60),
            event_channel: 64,
        },
        cancel.clone(),
        &TaskTracker::new(),
    );
    (hub, cancel)
}

fn hub() -> (HubHandle, CancellationToken) {
    hub_with(100)
}

/// A peer subscribed to `topics` on `socket`.
pub(super) fn peer_on(
    socket: MemSocket,
    hub: &HubHandle,
    topics: &[Topic],
    queue_limit: usize,
) -> Peer<MemSocket> {
    let mut conn = ConnState::new(TopicSet::all(), true);
    conn.subs = topics.iter().copied().collect();
    Peer::new(
        socket,
        conn,
        hub.clone(),
        Arc::new(WsLimits::new(10)),
        PeerConfig {
            heartbeat: Duration::from_secs(15),
            send_timeout: Duration::from_millis(300),
            queue_limit,
        },
    )
}

fn peer(socket: MemSocket, hub: &HubHandle, queue_limit: usize) -> Peer<MemSocket> {
    peer_on(socket, hub, &[Topic::Metrics], queue_limit)
}

fn metrics(cpu: u32) -> MetricsTopic {
    MetricsTopic::from_kato(json!({ "cpu": cpu }))
}

/// Waits for the next tick that carries metrics.
async fn next_tick(hub: &HubHandle) -> Arc<crate::hub::Tick> {
    let mut ticks = hub.ticks();
    ticks.mark_unchanged();
    loop {
        ticks.changed().await.unwrap();
        let tick = ticks.borrow_and_update().clone();
        if tick.topic(Topic::Metrics).is_some() {
            return tick;
        }
    }
}

#[tokio::test]
async fn a_full_socket_queues_frames_owes_ticks_and_pays_the_newest_after_draining() {
    let (hub, cancel) = hub();
    hub.publish_state(metrics(1)).await;
    let (socket, mut client) = memory::pair(8 * KIB);
    let peer = peer(socket, &hub, 16 << 20);
    let big = super::frame::text(&"x".repeat(20 * KIB));
    assert_eq!(peer.write(&mut peer.lock(), big.clone()), big.len());
    assert!(peer.lock().backlogged(), "8 KiB taken, the rest queued");
    assert_eq!(
        peer.write(&mut peer.lock(), big.clone()),
        big.len(),
        "queued behind"
    );
    let writes = client.writes();
    let first = next_tick(&hub).await;
    assert_eq!(
        peer.on_tick(&first, Instant::now()),
        0,
        "no tick behind a backlog"
    );
    hub.publish_state(metrics(2)).await;
    let newer = next_tick(&hub).await;
    assert_eq!(peer.on_tick(&newer, Instant::now()), 0);
    assert_eq!(client.writes(), writes, "an owed tick costs no write");
    // The client reads; the peer drains and sends the newest tick once, not the skipped ones.
    let mut frames = Vec::new();
    for _ in 0..100 {
        frames.extend(client.frames());
        if !peer.flush(&mut peer.lock()) {
            break;
        }
    }
    frames.extend(client.frames());
    assert!(!peer.lock().backlogged());
    assert_eq!(frames.len(), 3, "two queued frames and one tick");
    assert!(frames[..2].iter().all(|(_, p)| p.len() == 20 * KIB));
    let tick = String::from_utf8(frames[2].1.clone()).unwrap();
    assert!(tick.contains("realtime_update"), "{tick}");
    assert!(tick.contains(r#""cpu":2"#), "the newest value: {tick}");
    assert_eq!(peer.lock().last_tick, newer.number);
    cancel.cancel();
}

#[tokio::test]
async fn a_queue_over_its_bound_ends_the_peer_as_stalled() {
    let (hub, cancel) = hub();
    let (socket, _client) = memory::pair(0);
    let peer = peer(socket, &hub, 256 * KIB);
    let big = Bytes::from(vec![b'x'; 64 * KIB]);
    for _ in 0..4 {
        assert_eq!(peer.write(&mut peer.lock(), big.clone()), big.len());
    }
    assert_eq!(peer.lock().ended(), None, "exactly at the bound");
    assert_eq!(peer.write(&mut peer.lock(), big.clone()), 0);
    assert_eq!(peer.lock().ended(), Some(&End::Stalled));
    assert_eq!(
        peer.write(&mut peer.lock(), big),
        0,
        "nothing after the end"
    );
    cancel.cancel();
}

#[tokio::test]
async fn a_backlog_older_than_the_send_timeout_ends_the_peer() {
    let (hub, cancel) = hub();
    let (socket, _client) = memory::pair(0);
    let peer = peer(socket, &hub, 64 << 20);
    peer.write(&mut peer.lock(), Bytes::from_static(b"frame"));
    assert!(peer.lock().backlogged());
    let beat = super::frame::text("{}");
    let now = Instant::now();
    assert!(
        peer.housekeep(now + Duration::from_millis(200), &beat),
        "still inside the timeout"
    );
    assert!(!peer.housekeep(now + Duration::from_millis(400), &beat));
    assert_eq!(peer.lock().ended(), Some(&End::Stalled));
    cancel.cancel();
}

#[tokio::test]
async fn a_peer_that_leaves_a_ping_unanswered_is_owed_ticks_until_it_pongs() {
    let (hub, cancel) = hub();
    hub.publish_state(metrics(1)).await;
    let (socket, mut client) = memory::pair(1 << 20);
    let peer = peer(socket, &hub, 16 << 20);
    let beat = super::frame::text("{}");
    let opened = Instant::now();
    // The first ping goes out one second after opening.
    assert!(peer.housekeep(opened + super::FIRST_PING, &beat));
    let tick = next_tick(&hub).await;
    let soon = opened + super::FIRST_PING + Duration::from_millis(500);
    assert!(peer.on_tick(&tick, soon) > 0, "inside the grace period");
    let writes = client.writes();
    let newer = next_tick(&hub).await;
    let late = opened + super::FIRST_PING + super::PING_GRACE + Duration::from_millis(100);
    assert_eq!(peer.on_tick(&newer, late), 0, "not reading: owed, not sent");
    assert_eq!(client.writes(), writes, "and not even tried");
    let mut s = peer.lock();
    assert!(s.tick_owed);
    peer.on_pong(&mut s);
    assert!(!s.tick_owed, "the pong pays the owed tick at once");
    assert_eq!(s.last_tick, hub.latest().number);
    drop(s);
    let frames = client.frames();
    assert_eq!(frames[0].0, super::frame::PING);
    assert_eq!(frames.len(), 3, "the ping and two ticks");
    cancel.cancel();
}

#[tokio::test]
async fn a_stalled_peer_is_reset_and_any_other_end_closes_with_a_close_frame() {
    let (hub, cancel) = hub();
    for (end, reset) in [(End::Stalled, true), (End::Shutdown, false)] {
        let (socket, mut client) = memory::pair(1 << 20);
        let peer = Arc::new(peer(socket, &hub, 16 << 20));
        peer.end(&mut peer.lock(), end);
        let serving = tokio::spawn(serve(peer, Vec::new(), CancellationToken::new()));
        if reset {
            assert_eq!(serving.await.unwrap(), end);
            assert_eq!(client.closed(), (false, true), "reset, no FIN");
            assert!(
                client.frames().is_empty(),
                "no close frame to a stalled client"
            );
            continue;
        }
        client.wait_readable().await;
        let frames = client.frames();
        assert_eq!(frames[0].0, super::frame::CLOSE, "{frames:?}");
        assert_eq!(frames[0].1[..2], 1001u16.to_be_bytes());
        assert_eq!(client.closed(), (true, false), "half-closed after it");
        // The server waits for the client to finish, then ends.
        drop(client);
        assert_eq!(serving.await.unwrap(), end);
    }
    cancel.cancel();
}
