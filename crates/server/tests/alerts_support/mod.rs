//! Helpers of the alert tests: REST calls with the admin token, a webhook receiver on 127.0.0.1, and collecting
//! `system_alert` items from a socket.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::support::{
    Dashboard,
    ws::{Frame, WsClient},
};

pub const TOKEN: &str = "alert-admin-token";

/// A REST call → (status, JSON body).
pub async fn call(
    dash: &Dashboard,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = dash.http.request(method, dash.url(path));
    if let Some(t) = token {
        req = req.header("X-Admin-Token", t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("the dashboard answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A subscriber to `system_alerts`, past its `subscribed` answer.
pub async fn alerts_client(dash: &Dashboard) -> WsClient {
    let mut ws = WsClient::connect(&dash.ws_url()).await;
    ws.send_json(json!({"type": "subscribe", "subscriptions": ["system_alerts"]}))
        .await;
    ws.next_of("subscribed", Duration::from_secs(2)).await;
    ws
}

/// Every `system_alert` / `alert_update` message received within `within`.
pub async fn drain(ws: &mut WsClient, within: Duration) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + within;
    let mut out = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next_frame(left).await {
            Some(Frame::Json(v)) if v["type"] == "system_alert" || v["type"] == "alert_update" => {
                out.push(v)
            }
            Some(Frame::Json(_)) => {}
            Some(Frame::Close(c)) => panic!("socket closed: {c:?}"),
            None => return out,
        }
    }
}

/// Waits for a `system_alert` item matching `pred`; returns (message, item).
pub async fn next_item(
    ws: &mut WsClient,
    within: Duration,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> (Value, Value) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next_frame(left).await {
            Some(Frame::Json(v)) if v["type"] == "system_alert" => {
                if let Some(item) = v["alerts"].as_array().unwrap().iter().find(|i| pred(i)) {
                    return (v.clone(), item.clone());
                }
            }
            Some(Frame::Json(_)) => {}
            Some(Frame::Close(c)) => panic!("socket closed ({c:?}) waiting for {what}"),
            None => panic!("no {what} within {within:?}"),
        }
    }
}

/// A local HTTP server recording webhook bodies; the first `fail_first` requests get a 500.
pub struct Receiver {
    pub addr: SocketAddr,
    pub bodies: Arc<Mutex<Vec<Value>>>,
    pub requests: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct RecvState {
    bodies: Arc<Mutex<Vec<Value>>>,
    requests: Arc<AtomicUsize>,
    fail_first: usize,
}

async fn hook(State(s): State<RecvState>, Json(body): Json<Value>) -> StatusCode {
    let n = s.requests.fetch_add(1, Ordering::SeqCst);
    if n < s.fail_first {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    s.bodies.lock().unwrap().push(body);
    StatusCode::OK
}

impl Receiver {
    pub async fn start(fail_first: usize) -> Receiver {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(AtomicUsize::new(0));
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(RecvState {
                bodies: bodies.clone(),
                requests: requests.clone(),
                fail_first,
            });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver {
            addr,
            bodies,
            requests,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }
}
