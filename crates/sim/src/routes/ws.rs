//! `/ws/events`: a `state.snapshot` on connect, then the connection's worker's session events,
//! each serialized once like Python's `json.dumps`. Text `ping` → text `pong`; any other text is
//! ignored; the server never sends heartbeats (like KATO). A restart drops the socket (the
//! stream fails, see [`crate::listener`]); a shutdown sends Close 1001.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use tokio::sync::broadcast::error::RecvError;

use super::WorkerId;
use crate::sessions::{self as manager, snapshot_frame};
use crate::state::AppState;
use crate::timefmt;

pub(super) async fn events(
    ws: WebSocketUpgrade,
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
) -> Response {
    let tracker = app.tracker.clone();
    ws.on_upgrade(move |socket| tracker.track_future(run(app, w, socket)))
}

async fn run(app: AppState, worker: usize, mut socket: WebSocket) {
    // Subscribe before reading the count so no event between the two is lost.
    let mut events = app.worker(worker).events.subscribe();
    let active = match manager::count(&app, worker, false).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "snapshot count failed; closing /ws/events");
            let _ = socket
                .send(close(close_code::ERROR, "session store unavailable"))
                .await;
            return;
        }
    };
    let snapshot = snapshot_frame(active, &timefmt::now());
    if socket.send(Message::Text(snapshot.into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            _ = app.shutdown.cancelled() => {
                let _ = socket.send(close(close_code::AWAY, "server shutdown")).await;
                return;
            }
            event = events.recv() => match event {
                Ok(frame) => {
                    if socket.send(Message::Text(text(&frame))).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    // Never drop events silently: close so the client reconnects and resyncs.
                    tracing::warn!(missed, "/ws/events client lagged; closing it");
                    let _ = socket.send(close(close_code::AGAIN, "lagged")).await;
                    return;
                }
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(t))) if t.as_str() == "ping" => {
                    if socket.send(Message::Text("pong".into())).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

fn text(frame: &Arc<str>) -> axum::extract::ws::Utf8Bytes {
    frame.as_ref().into()
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}
