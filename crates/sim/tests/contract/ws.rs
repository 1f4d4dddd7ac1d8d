//! Recorded WebSocket clients, replayed: connect / send / close, the frames they receive, and
//! the comparison with the recorded frames (order, shape, Python `json.dumps` byte form).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kato_dashboard_sim::Sim;
use kato_dashboard_sim::json::Json;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{compare, wait_for};
use crate::recording::{WsAction, json_frames};

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A connected client and the text frames it has received so far.
pub struct WsClient {
    sink: futures_util::stream::SplitSink<WsStream, Message>,
    pub frames: Arc<Mutex<Vec<String>>>,
}

impl WsClient {
    /// Waits (with a deadline) until `count` frames arrived; returns them.
    pub async fn frames_after(&self, count: usize) -> Result<Vec<String>, Vec<String>> {
        let frames = self.frames.clone();
        let arrived = tokio::time::timeout(Duration::from_secs(10), async {
            while frames.lock().unwrap().len() < count {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        let have = self.frames.lock().unwrap().clone();
        arrived.map(|()| have.clone()).map_err(|_| have)
    }
}

/// Performs one recorded client action.
pub async fn perform(sim: &Sim, clients: &mut HashMap<String, WsClient>, action: WsAction) {
    match action {
        WsAction::Connect(conn) => {
            let (stream, _) = tokio_tungstenite::connect_async(sim.ws_url())
                .await
                .unwrap();
            let (sink, mut source) = stream.split();
            let frames = Arc::new(Mutex::new(Vec::new()));
            let sink_frames = frames.clone();
            tokio::spawn(async move {
                while let Some(Ok(msg)) = source.next().await {
                    if let Message::Text(t) = msg {
                        sink_frames.lock().unwrap().push(t.to_string());
                    }
                }
            });
            // The snapshot proves the subscription is live before the next request.
            let f = frames.clone();
            wait_for("the state.snapshot frame", Duration::from_secs(10), || {
                let n = f.lock().unwrap().len();
                async move { (n > 0).then_some(()) }
            })
            .await;
            clients.insert(conn, WsClient { sink, frames });
        }
        WsAction::Send(conn, raw) => {
            let c = clients.get_mut(&conn).expect("send on a connected client");
            c.sink.send(Message::Text(raw.into())).await.unwrap();
        }
        WsAction::Close(conn) => {
            if let Some(mut c) = clients.remove(&conn) {
                let _ = c.sink.close().await;
            }
        }
    }
}

/// Whether `raw` is exactly what Python's `json.dumps` prints for its value.
pub fn is_python_dump(raw: &str) -> bool {
    Json::parse(raw.as_bytes()).is_ok_and(|v| v.to_python() == raw)
}

/// Compares the frames a client got with the recorded ones: same number of `pong`s, and the
/// JSON frames in the same order, each with the recorded shape, event type and byte form.
pub fn compare_ws(label: &str, recorded: &[String], got: &[String], failures: &mut Vec<String>) {
    let (want, have) = (json_frames(recorded), json_frames(got));
    let pongs = |frames: &[String]| frames.iter().filter(|f| *f == "pong").count();
    if pongs(recorded) != pongs(got) {
        failures.push(format!(
            "{label}: {} pong frames, recorded {}",
            pongs(got),
            pongs(recorded)
        ));
    }
    if want.len() != have.len() {
        failures.push(format!(
            "{label}: {} JSON frames, recorded {}: {have:#?}",
            have.len(),
            want.len()
        ));
    }
    for (i, (w, h)) in want.iter().zip(&have).enumerate() {
        assert!(
            is_python_dump(w),
            "{label}: recorded frame {i} is not in json.dumps form"
        );
        if !is_python_dump(h) {
            failures.push(format!(
                "{label} frame {i}: not byte-identical to Python json.dumps form: {h}"
            ));
        }
        let (wj, hj) = (
            Json::parse(w.as_bytes()).unwrap(),
            Json::parse(h.as_bytes()).unwrap(),
        );
        if wj.get("event_type") != hj.get("event_type") {
            failures.push(format!(
                "{label} frame {i}: event_type {:?}, recorded {:?}",
                hj.get("event_type"),
                wj.get("event_type")
            ));
        }
        let mut diffs = Vec::new();
        compare(&wj, &hj, "$", &mut diffs);
        failures.extend(diffs.into_iter().map(|d| format!("{label} frame {i}: {d}")));
    }
}
