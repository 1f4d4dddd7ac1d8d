//! A `/ws` client subscribed to every topic that records each frame with the moment it arrived (taken in the reader
//! task, so the checks' own waiting never skews a latency), and lets the checks look for frames after a mark.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// Every topic the dashboard has.
pub const TOPICS: [&str; 6] = [
    "metrics",
    "containers",
    "sessions",
    "session_events",
    "system_alerts",
    "kato_events",
];

/// One received frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub at: Instant,
    pub wall: DateTime<Utc>,
    pub msg: Value,
}

/// The recording client.
#[derive(Debug)]
pub struct WsRecorder {
    frames: Arc<Mutex<Vec<Frame>>>,
    closed: Arc<Mutex<Option<String>>>,
    reader: tokio::task::JoinHandle<()>,
}

impl WsRecorder {
    /// Connects, subscribes to [`TOPICS`] and waits for the `subscribed` answer.
    pub async fn connect(url: &str) -> Result<Self> {
        let (ws, _) = tokio::time::timeout(
            Duration::from_secs(10),
            tokio_tungstenite::connect_async(url),
        )
        .await
        .context("/ws upgrade timed out")?
        .context("/ws upgrade")?;
        let (mut tx, mut rx) = ws.split();
        let subscribe = json!({"type": "subscribe", "subscriptions": TOPICS});
        tx.send(Message::text(subscribe.to_string())).await?;
        let frames = Arc::new(Mutex::new(Vec::new()));
        let closed = Arc::new(Mutex::new(None));
        let (f, c) = (frames.clone(), closed.clone());
        let reader = tokio::spawn(async move {
            // The sink stays alive here, so tungstenite can answer the server's pings while we read.
            let _tx = tx;
            while let Some(msg) = rx.next().await {
                let at = Instant::now();
                match msg {
                    Ok(Message::Text(t)) => {
                        let msg = serde_json::from_str(&t).unwrap_or(Value::String(t.to_string()));
                        if let Ok(mut v) = f.lock() {
                            v.push(Frame {
                                at,
                                wall: Utc::now(),
                                msg,
                            });
                        }
                    }
                    Ok(Message::Close(frame)) => {
                        if let Ok(mut c) = c.lock() {
                            *c = Some(format!("closed by the server: {frame:?}"));
                        }
                        return;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        if let Ok(mut c) = c.lock() {
                            *c = Some(format!("read error: {e}"));
                        }
                        return;
                    }
                }
            }
        });
        let rec = Self {
            frames,
            closed,
            reader,
        };
        let subscribed = rec
            .wait_for(0, Duration::from_secs(5), |m| m["type"] == "subscribed")
            .await
            .context("no `subscribed` answer within 5 s")?;
        let unknown = subscribed.msg["unknown"].as_array().map_or(0, Vec::len);
        if unknown > 0 {
            bail!(
                "the dashboard does not know some topics: {}",
                subscribed.msg
            );
        }
        Ok(rec)
    }

    /// The number of frames so far: pass it to [`wait_for`](Self::wait_for) / [`since`](Self::since).
    pub fn mark(&self) -> usize {
        self.frames.lock().map_or(0, |v| v.len())
    }

    /// Frames received after `mark`.
    pub fn since(&self, mark: usize) -> Vec<Frame> {
        self.frames
            .lock()
            .map(|v| v.get(mark..).map(<[Frame]>::to_vec).unwrap_or_default())
            .unwrap_or_default()
    }

    /// Why the socket ended, if it did.
    pub fn closed(&self) -> Option<String> {
        self.closed.lock().ok().and_then(|c| c.clone())
    }

    /// The first frame after `mark` for which `pred` holds, waiting up to `within`.
    pub async fn wait_for(
        &self,
        mark: usize,
        within: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<Frame> {
        let deadline = Instant::now() + within;
        let mut from = mark;
        loop {
            let new = self.since(from);
            from += new.len();
            if let Some(f) = new.into_iter().find(|f| pred(&f.msg)) {
                return Some(f);
            }
            if Instant::now() >= deadline || self.closed().is_some() {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for WsRecorder {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Whether `msg` is a `session_event` of this kind (`session_created` / `session_destroyed`) for this session.
pub fn is_session_event(msg: &Value, kind: &str, id: &str) -> bool {
    msg["type"] == "session_event" && msg["event_type"] == kind && msg["data"]["session_id"] == id
}

/// Whether `msg` is a `kato_event` of this kind.
pub fn is_kato_event(msg: &Value, kind: &str) -> bool {
    msg["type"] == "kato_event" && msg["event_type"] == kind
}

/// Signed milliseconds from `from` to `to` (negative when `to` came first).
pub fn ms_between(from: Instant, to: Instant) -> f64 {
    if to >= from {
        to.duration_since(from).as_secs_f64() * 1000.0
    } else {
        -(from.duration_since(to).as_secs_f64() * 1000.0)
    }
}
