//! A real WebSocket client for tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async, tungstenite::Message};

pub struct WsClient {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What arrived.
#[derive(Debug)]
pub enum Frame {
    Json(Value),
    Close(Option<u16>),
}

impl WsClient {
    pub async fn connect(url: &str) -> WsClient {
        let (ws, _) = connect_async(url).await.expect("the /ws upgrade succeeds");
        WsClient { ws }
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.unwrap();
    }

    pub async fn send_json(&mut self, value: Value) {
        self.send_text(&value.to_string()).await;
    }

    /// The next JSON frame or close, skipping pings/pongs; `None` on timeout.
    pub async fn next_frame(&mut self, within: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()?;
            match msg {
                None => return Some(Frame::Close(None)),
                Some(Err(_)) => return Some(Frame::Close(None)),
                Some(Ok(Message::Text(t))) => {
                    return Some(Frame::Json(
                        serde_json::from_str(&t).expect("server sends JSON"),
                    ));
                }
                Some(Ok(Message::Close(c))) => {
                    return Some(Frame::Close(c.map(|c| u16::from(c.code))));
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next JSON message of `kind` (skipping others); panics after `within`.
    pub async fn next_of(&mut self, kind: &str, within: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_frame(left).await {
                Some(Frame::Json(v)) if v["type"] == kind => return v,
                Some(Frame::Json(_)) => continue,
                Some(Frame::Close(code)) => {
                    panic!("socket closed ({code:?}) while waiting for {kind}")
                }
                None => panic!("no {kind} within {within:?}"),
            }
        }
    }

    /// The next JSON message for which `check` holds (skipping others); `None` after `within`.
    pub async fn try_next_matching(
        &mut self,
        within: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_frame(left).await {
                Some(Frame::Json(v)) if check(&v) => return Some(v),
                Some(Frame::Json(_)) => continue,
                Some(Frame::Close(code)) => {
                    panic!("socket closed ({code:?}) while waiting for a message")
                }
                None => return None,
            }
        }
    }

    /// The next JSON message for which `check` holds; panics after `within`.
    pub async fn next_matching(
        &mut self,
        within: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        match self.try_next_matching(within, check).await {
            Some(v) => v,
            None => panic!("no matching message within {within:?}"),
        }
    }
}
