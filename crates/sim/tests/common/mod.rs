//! Helpers shared by the simulator's integration tests: the fixture location, the JSON shape
//! comparator, waiting for conditions with a deadline, and a real `redis-server` fixture.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kato_dashboard_sim::Sim;
use kato_dashboard_sim::json::Json;
use tokio_tungstenite::tungstenite::Message;

/// `KATO_FIXTURES_DIR`, or `tests/fixtures/kato` of this repository.
pub fn fixtures_dir() -> PathBuf {
    kato_dashboard_testkit::kato_fixtures_dir()
}

/// Reads a fixture as an order-preserving [`Json`].
pub fn read_json(path: &Path) -> Json {
    let text = std::fs::read(path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    Json::parse(&text).unwrap_or_else(|e| panic!("fixture {} is not JSON: {e}", path.display()))
}

/// Loopback address with port 0.
pub fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// An HTTP client without proxies or pooled idle connections.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Polls `check` until it returns `Some`, failing with `what` after `timeout`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The kind of a JSON value, distinguishing ints from floats.
pub fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Float(_) => "float",
        Json::Int(_) => "int",
        Json::Str(_) => "string",
        Json::Arr(_) => "array",
        Json::Obj(_) => "object",
    }
}

/// The format class of a string: timestamps by their suffix, else "text".
pub fn string_class(s: &str) -> &'static str {
    let b = s.as_bytes();
    let iso = b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[..4].iter().all(u8::is_ascii_digit);
    if !iso {
        "text"
    } else if s.ends_with('Z') {
        "timestamp-Z"
    } else if s.ends_with("+00:00") {
        "timestamp-+00:00"
    } else {
        "timestamp-naive"
    }
}

/// Objects whose keys are data (symbols, emotive names): values are compared against the
/// fixture's first value, keys may differ.
const DYNAMIC_MAPS: &[&str] = &["$.symbols", ".emotives"];

/// Lists whose length depends on timing or host state: element shapes must match, lengths
/// may differ (and an empty side is accepted).
const DYNAMIC_LISTS: &[&str] = &[".processors", ".data_points", ".issues", "$.time_series."];

fn is_dynamic(path: &str, patterns: &[&str]) -> bool {
    patterns.iter().any(|p| {
        if p.starts_with('$') {
            path == *p || (p.ends_with('.') && path.starts_with(p))
        } else {
            path.ends_with(p)
        }
    })
}

/// Recursively compares the shape of `actual` with `expected`: same kinds (int ≠ float), same
/// object keys in the same order, same list lengths (except documented dynamic lists), same
/// string format classes. Differences are pushed as "`<path>`: <what>".
pub fn compare(expected: &Json, actual: &Json, path: &str, diffs: &mut Vec<String>) {
    let (ek, ak) = (kind(expected), kind(actual));
    if ek != ak {
        diffs.push(format!(
            "{path}: expected {ek} ({}), got {ak} ({})",
            short(expected),
            short(actual)
        ));
        return;
    }
    match (expected, actual) {
        (Json::Obj(e), Json::Obj(a)) => {
            if is_dynamic(path, DYNAMIC_MAPS) {
                if let Some((_, proto)) = e.first() {
                    for (k, v) in a {
                        compare(proto, v, &format!("{path}.{k}"), diffs);
                    }
                }
                return;
            }
            let has = |fields: &[(String, Json)], k: &str| fields.iter().any(|(key, _)| key == k);
            for (k, _) in e {
                if !has(a, k) {
                    diffs.push(format!("{path}.{k}: missing"));
                }
            }
            for (k, _) in a {
                if !has(e, k) {
                    diffs.push(format!("{path}.{k}: unexpected key"));
                }
            }
            let common_e: Vec<&str> = e
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| has(a, k))
                .collect();
            let common_a: Vec<&str> = a
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| has(e, k))
                .collect();
            if common_e != common_a {
                diffs.push(format!(
                    "{path}: key order {common_a:?}, expected {common_e:?}"
                ));
            }
            for (k, ev) in e {
                if let Some((_, av)) = a.iter().find(|(key, _)| key == k) {
                    compare(ev, av, &format!("{path}.{k}"), diffs);
                }
            }
        }
        (Json::Arr(e), Json::Arr(a)) => {
            let dynamic = is_dynamic(path, DYNAMIC_LISTS);
            if !dynamic && e.len() != a.len() {
                diffs.push(format!(
                    "{path}: length {} but the fixture has {}",
                    a.len(),
                    e.len()
                ));
            }
            if e.is_empty() {
                return;
            }
            for (i, av) in a.iter().enumerate() {
                compare(&e[i.min(e.len() - 1)], av, &format!("{path}[{i}]"), diffs);
            }
        }
        (Json::Str(e), Json::Str(a)) => {
            let (ec, ac) = (string_class(e), string_class(a));
            if ec != ac {
                diffs.push(format!(
                    "{path}: string format {ac} ({a:?}), expected {ec} ({e:?})"
                ));
            }
        }
        _ => {}
    }
}

fn short(v: &Json) -> String {
    let s = v.to_compact();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

/// A private `redis-server` on a free loopback port (the shared test fixture); killed on drop.
pub struct RedisServer(kato_dashboard_testkit::RedisServer);

impl RedisServer {
    /// Starts it and waits until it answers PING. Panics with the reason when it cannot.
    pub async fn start() -> RedisServer {
        match kato_dashboard_testkit::RedisServer::start() {
            Ok(server) => RedisServer(server),
            Err(e) => panic!("cannot start redis-server: {e}"),
        }
    }

    pub fn url(&self) -> String {
        self.0.url()
    }

    pub async fn conn(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }
}

pub async fn get(sim: &Sim, path: &str) -> (u16, Json) {
    // A fresh client per call: restarts drop pooled connections on purpose.
    let resp = http()
        .get(format!("{}{path}", sim.base_url()))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    (status, Json::parse(&bytes).unwrap_or(Json::Null))
}

pub fn num(v: &Json, path: &[&str]) -> f64 {
    let mut cur = v;
    for key in path {
        cur = cur
            .get(key)
            .unwrap_or_else(|| panic!("no {path:?} in {}", v.to_compact()));
    }
    cur.as_f64().unwrap()
}

pub async fn refused(sim: &Sim) -> bool {
    matches!(tokio::net::TcpStream::connect(sim.addr()).await, Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused)
}

pub type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;
pub type WsSink = futures_util::stream::SplitSink<WsStream, Message>;

pub async fn ws_connect(sim: &Sim) -> (WsSink, WsSource) {
    let (ws, _) = tokio_tungstenite::connect_async(sim.ws_url())
        .await
        .unwrap();
    ws.split()
}

pub type WsSource = futures_util::stream::SplitStream<WsStream>;

pub async fn next_text(source: &mut WsSource) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), source.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return t.to_string(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}
