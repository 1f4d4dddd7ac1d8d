//! The `/ws/events` listener against an in-test axum WebSocket server: events, `pong` and
//! garbage frames, reconnect after the server drops the socket, backoff on refused
//! connections, prompt stop on cancel.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use kato_dashboard_core::kato::KatoEvent;
use kato_dashboard_kato::events::{BackoffPolicy, ws_events_url};
use kato_dashboard_kato::{EventListener, EventListenerConfig, ListenerUpdate};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::{TestServer, refused_port, within};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

const SNAPSHOT: &str = r#"{"event_type": "state.snapshot", "timestamp": "2026-11-22T02:51:17.717145", "data": {"active_sessions": 0, "system_status": "healthy"}}"#;

fn created(id: &str) -> String {
    format!(
        r#"{{"event_type": "session.created", "timestamp": "2026-11-22T02:51:18.533639+00:00", "data": {{"session_id": "{id}", "node_id": "n", "created_at": "2026-11-22T02:51:18.531837+00:00"}}}}"#
    )
}

#[derive(Clone)]
struct FakeKato {
    connections: Arc<AtomicUsize>,
    pings: Arc<watch::Sender<usize>>,
}

/// Connection 1: snapshot, junk frames, one event, then the server drops the socket.
/// Later connections: snapshot, one event, then answer `ping` with `pong` like KATO.
async fn serve(mut socket: WebSocket, kato: FakeKato) {
    let n = kato.connections.fetch_add(1, Ordering::SeqCst) + 1;
    let text = |s: String| Message::Text(s.into());
    let _ = socket.send(text(SNAPSHOT.to_owned())).await;
    if n == 1 {
        let _ = socket.send(text("not json at all".to_owned())).await;
        let _ = socket.send(Message::Binary(vec![1, 2, 3].into())).await;
        let _ = socket
            .send(text(r#"{"no_event_type": true}"#.to_owned()))
            .await;
        let _ = socket.send(text(created("session-first-1"))).await;
        return; // dropping the socket without a close frame
    }
    let _ = socket
        .send(text(created(&format!("session-conn{n}-1"))))
        .await;
    while let Some(Ok(msg)) = socket.recv().await {
        if matches!(&msg, Message::Text(t) if t.as_str() == "ping") {
            kato.pings.send_modify(|p| *p += 1);
            if socket.send(text("pong".to_owned())).await.is_err() {
                return;
            }
        }
    }
}

async fn ws_handler(ws: WebSocketUpgrade, State(kato): State<FakeKato>) -> Response {
    ws.on_upgrade(move |socket| serve(socket, kato))
}

fn fast_config(server_url: &url::Url) -> EventListenerConfig {
    let mut config = EventListenerConfig::from_base_url(server_url).unwrap();
    config.backoff = BackoffPolicy {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(100),
    };
    config.ping_interval = Duration::from_millis(50);
    config.idle_timeout = Duration::from_secs(5);
    config
}

async fn next(rx: &mut mpsc::Receiver<ListenerUpdate>) -> ListenerUpdate {
    within(5, "a listener update", rx.recv())
        .await
        .expect("listener stopped unexpectedly")
}

fn event_session(update: &ListenerUpdate) -> Option<&str> {
    match update {
        ListenerUpdate::Event(e) => e.session_id(),
        _ => None,
    }
}

#[tokio::test]
async fn delivers_events_reconnects_ignores_pong_and_stops_on_cancel() {
    let (pings, mut pings_rx) = watch::channel(0usize);
    let kato = FakeKato {
        connections: Arc::default(),
        pings: Arc::new(pings),
    };
    let router = Router::new()
        .route("/ws/events", get(ws_handler))
        .with_state(kato.clone());
    let server = TestServer::start(router).await;
    let cancel = CancellationToken::new();
    let mut rx = EventListener::spawn_with(fast_config(&server.url()), cancel.clone());

    // First connection: junk frames are skipped, the event arrives.
    assert_eq!(next(&mut rx).await, ListenerUpdate::Connected);
    assert!(matches!(
        next(&mut rx).await,
        ListenerUpdate::Event(KatoEvent::Snapshot { .. })
    ));
    assert_eq!(event_session(&next(&mut rx).await), Some("session-first-1"));
    // The server dropped the socket.
    assert!(matches!(
        next(&mut rx).await,
        ListenerUpdate::Disconnected { .. }
    ));

    // Reconnected after backoff; events flow again.
    assert_eq!(next(&mut rx).await, ListenerUpdate::Connected);
    assert!(matches!(
        next(&mut rx).await,
        ListenerUpdate::Event(KatoEvent::Snapshot { .. })
    ));
    assert_eq!(event_session(&next(&mut rx).await), Some("session-conn2-1"));
    assert_eq!(kato.connections.load(Ordering::SeqCst), 2);

    // Pings go out, KATO's plain-text pongs come back and are neither events nor errors.
    within(5, "three pings", pings_rx.wait_for(|n| *n >= 3))
        .await
        .unwrap();
    assert!(
        matches!(rx.try_recv(), Err(mpsc::error::TryRecvError::Empty)),
        "pong must not produce an update"
    );

    cancel.cancel();
    assert_eq!(within(2, "the channel to close", rx.recv()).await, None);
}

#[tokio::test]
async fn refused_connections_back_off_and_cancel_interrupts_the_wait() {
    let addr = refused_port().await;
    let base = url::Url::parse(&format!("http://{addr}")).unwrap();
    let mut config = fast_config(&base);
    let cancel = CancellationToken::new();
    let mut rx = EventListener::spawn_with(config.clone(), cancel.clone());
    for _ in 0..3 {
        match next(&mut rx).await {
            ListenerUpdate::Disconnected { reason } => {
                assert!(reason.contains("connect"), "{reason}");
            }
            other => panic!("expected Disconnected, got {other:?}"),
        }
    }
    cancel.cancel();
    assert_eq!(within(2, "the channel to close", rx.recv()).await, None);

    // A listener sleeping in a long backoff stops promptly too.
    config.backoff = BackoffPolicy {
        base: Duration::from_secs(60),
        cap: Duration::from_secs(60),
    };
    let cancel = CancellationToken::new();
    let mut rx = EventListener::spawn_with(config, cancel.clone());
    assert!(matches!(
        next(&mut rx).await,
        ListenerUpdate::Disconnected { .. }
    ));
    cancel.cancel();
    assert_eq!(within(2, "the channel to close", rx.recv()).await, None);
}

#[tokio::test]
async fn spawn_derives_defaults_and_ws_url() {
    let base = url::Url::parse("https://kato.example:8443/api/").unwrap();
    assert_eq!(
        ws_events_url(&base).unwrap().as_str(),
        "wss://kato.example:8443/api/ws/events"
    );
    let config = EventListenerConfig::from_base_url(&base).unwrap();
    assert_eq!(config.backoff, BackoffPolicy::default());
    assert!(config.idle_timeout > config.ping_interval);

    // `spawn` with an already-cancelled token ends at once.
    let cancel = CancellationToken::new();
    cancel.cancel();
    let mut rx = EventListener::spawn(config.ws_url, cancel);
    assert_eq!(within(2, "the channel to close", rx.recv()).await, None);
}
