//! [`Peer`] over a real loopback socket whose far end reads only when told: backlogs, owed ticks, overflow and
//! the send timeout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use kato_dashboard_core::protocol::{Topic, TopicSet};
use serde_json::json;
use tokio::{
    io::AsyncReadExt,
    net::{TcpListener, TcpStream},
    time::Instant,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{Peer, PeerConfig};
use crate::{
    hub::{self, HubConfig, HubHandle},
    ws::{End, WsLimits, state::ConnState},
};

const TICK: Duration = Duration::from_millis(50);

async fn socket_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    // Small kernel buffers so a client that does not read fills them quickly.
    let sock = socket2::SockRef::from(&server);
    sock.set_send_buffer_size(8 * 1024).unwrap();
    socket2::SockRef::from(&client)
        .set_recv_buffer_size(8 * 1024)
        .unwrap();
    (server, client)
}

fn hub() -> (HubHandle, CancellationToken) {
    let cancel = CancellationToken::new();
    let hub = hub::spawn(
        HubConfig {
            secrets: Arc::default(),
            interval: TICK,
            replay_capacity: 100,
            replay_max_age: Duration::from_secs(60),
            event_channel: 64,
        },
        cancel.clone(),
        &TaskTracker::new(),
    );
    (hub, cancel)
}

fn peer(server: TcpStream, hub: &HubHandle, queue_limit: usize) -> Peer {
    let metrics: TopicSet = [Topic::Metrics].into_iter().collect();
    let mut conn = ConnState::new(TopicSet::all(), true);
    conn.subs = metrics;
    Peer::new(
        server,
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
    hub.publish_state(Topic::Metrics, json!({"cpu": 1})).await;
    let (server, mut client) = socket_pair().await;
    let peer = peer(server, &hub, 16 << 20);
    // Fill the socket until the kernel refuses more.
    let big = Bytes::from(vec![b'x'; 64 * 1024]);
    let mut sent = 0;
    while !peer.lock().backlogged() {
        sent += peer.write(&mut peer.lock(), big.clone());
        assert!(sent < 64 << 20, "the socket never filled");
    }
    let first = next_tick(&hub).await;
    assert_eq!(
        peer.on_tick(&first, Instant::now()),
        0,
        "no tick behind a backlog"
    );
    hub.publish_state(Topic::Metrics, json!({"cpu": 2})).await;
    let newer = next_tick(&hub).await;
    assert_eq!(peer.on_tick(&newer, Instant::now()), 0);
    // The client reads everything; the peer drains and sends the newest tick once, not the skipped ones.
    let reader = tokio::spawn(async move {
        let mut all = Vec::new();
        let mut buf = vec![0u8; 256 * 1024];
        while let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(500), client.read(&mut buf)).await
        {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        all
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while peer.flush(&mut peer.lock()) {
        assert!(Instant::now() < deadline, "the backlog never drained");
        peer.stream.writable().await.unwrap();
    }
    let received = reader.await.unwrap();
    assert!(received.len() > sent, "{} of {sent} bytes", received.len());
    let tail = String::from_utf8_lossy(&received[sent..]);
    assert!(tail.contains("realtime_update"), "{tail}");
    assert_eq!(
        tail.matches("realtime_update").count(),
        1,
        "one coalesced tick"
    );
    assert!(tail.contains(r#""cpu":2"#), "the newest value: {tail}");
    cancel.cancel();
}

#[tokio::test]
async fn a_queue_over_its_bound_ends_the_peer_as_stalled() {
    let (hub, cancel) = hub();
    let (server, _client) = socket_pair().await;
    let peer = peer(server, &hub, 256 * 1024);
    let big = Bytes::from(vec![b'x'; 64 * 1024]);
    for _ in 0..1000 {
        peer.write(&mut peer.lock(), big.clone());
        if peer.lock().ended().is_some() {
            break;
        }
    }
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
    let (server, _client) = socket_pair().await;
    let peer = peer(server, &hub, 64 << 20);
    let big = Bytes::from(vec![b'x'; 64 * 1024]);
    while !peer.lock().backlogged() {
        peer.write(&mut peer.lock(), big.clone());
    }
    let beat = super::frame::text("{}");
    assert!(
        peer.housekeep(Instant::now(), &beat),
        "still inside the timeout"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!peer.housekeep(Instant::now(), &beat));
    assert_eq!(peer.lock().ended(), Some(&End::Stalled));
    cancel.cancel();
}

#[tokio::test]
async fn a_peer_that_leaves_a_ping_unanswered_is_owed_ticks_until_it_pongs() {
    let (hub, cancel) = hub();
    hub.publish_state(Topic::Metrics, json!({"cpu": 1})).await;
    let (server, _client) = socket_pair().await;
    let peer = peer(server, &hub, 16 << 20);
    let beat = super::frame::text("{}");
    let opened = Instant::now();
    // The first ping goes out one second after opening.
    assert!(peer.housekeep(opened + super::FIRST_PING, &beat));
    let tick = next_tick(&hub).await;
    let soon = opened + super::FIRST_PING + Duration::from_millis(500);
    assert!(peer.on_tick(&tick, soon) > 0, "inside the grace period");
    let newer = next_tick(&hub).await;
    let late = opened + super::FIRST_PING + super::PING_GRACE + Duration::from_millis(100);
    assert_eq!(peer.on_tick(&newer, late), 0, "not reading: owed, not sent");
    let mut s = peer.lock();
    assert!(s.tick_owed);
    peer.on_pong(&mut s);
    assert!(!s.tick_owed, "the pong pays the owed tick at once");
    assert_eq!(s.last_tick, hub.latest().number);
    drop(s);
    cancel.cancel();
}
