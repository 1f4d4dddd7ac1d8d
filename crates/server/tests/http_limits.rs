//! The connection layer's limits (`crates/server/src/serve`), each tested against the real server over raw TCP:
//! half-sent heads and idle keep-alive connections are closed after `HTTP_HEADER_TIMEOUT_SECONDS`; heads over
//! 16 KiB get 431 and URIs over 12 KiB 414, as JSON; a stalled body closes its connection; the connection cap
//! (HTTP and `/ws` together) answers 503 JSON at once and recovers; and the real binary under a 256-descriptor
//! limit keeps answering while 300 idle connections hold it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{
    net::SocketAddr,
    process::Stdio,
    time::{Duration, Instant},
};

use support::{Dashboard, closed_port, wait_for};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Sends `request` on a new connection and reads until the server closes it (at most 5 s): status and body.
async fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // Large requests are written while the answer is read: the server may answer before it has read them all.
    let request = request.to_vec();
    let (mut rd, mut wr) = stream.split();
    let write = async move {
        let _ = wr.write_all(&request).await;
    };
    let read = async move {
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), rd.read_to_end(&mut answer)).await;
        answer
    };
    let ((), answer) = tokio::join!(write, read);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn get(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n")
        .into_bytes()
}

/// Asserts a JSON `{"detail": …}` body and returns the detail.
fn detail(body: &str) -> String {
    let value: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}"));
    value["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail: {body}"))
        .to_owned()
}

/// How long until the server closes `stream` (reading and dropping whatever it sends), at most `limit`.
async fn closed_after(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut sink = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut sink)).await {
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn half_sent_heads_and_idle_keep_alive_connections_are_closed() {
    let dash = Dashboard::start(
        &format!("http://127.0.0.1:{}", closed_port().await),
        &[("HTTP_HEADER_TIMEOUT_SECONDS", "1")],
    )
    .await;
    // A head that never ends (slowloris): cut off after the timeout, not kept.
    let mut slow = TcpStream::connect(dash.addr).await.unwrap();
    slow.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .unwrap();
    let took = closed_after(&mut slow, Duration::from_secs(5)).await;
    assert!(
        took.is_some_and(|t| t >= Duration::from_millis(800)),
        "half-sent head: closed after {took:?}"
    );
    // A connection that never sends a byte.
    let mut silent = TcpStream::connect(dash.addr).await.unwrap();
    let took = closed_after(&mut silent, Duration::from_secs(5)).await;
    assert!(
        took.is_some_and(|t| t >= Duration::from_millis(800)),
        "silent connection: closed after {took:?}"
    );
    // A keep-alive connection that goes idle after its answer is closed after the same time.
    let mut idle = TcpStream::connect(dash.addr).await.unwrap();
    idle.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let took = closed_after(&mut idle, Duration::from_secs(5)).await;
    assert!(
        took.is_some(),
        "idle keep-alive connection still open after 5 s"
    );
    dash.stop().await;
}

#[tokio::test]
async fn oversized_heads_and_uris_get_json_4xx() {
    let dash = Dashboard::start(&format!("http://127.0.0.1:{}", closed_port().await), &[]).await;
    let big_header = format!("X-Big: {}\r\n", "a".repeat(20_000));
    let (status, body) = exchange(dash.addr, &get("/api/v1/health", &big_header)).await;
    assert_eq!(status, 431, "{body}");
    assert!(detail(&body).contains("16384"), "{body}");

    // The old finding: a 500 KB header line was accepted on /ws.
    let upgrade = format!(
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Big: {}\r\n",
        "b".repeat(500_000)
    );
    let (status, body) = exchange(dash.addr, &get("/ws", &upgrade)).await;
    assert_eq!(status, 431, "{body}");
    detail(&body);

    let long_path = format!("/api/v1/sessions?q={}", "c".repeat(13_000));
    let (status, body) = exchange(dash.addr, &get(&long_path, "")).await;
    assert_eq!(status, 414, "{body}");
    assert!(detail(&body).contains("URI too long"), "{body}");

    let (status, body) = exchange(dash.addr, b"NOT AN HTTP REQUEST\r\n\r\n").await;
    assert_eq!(status, 400, "{body}");
    detail(&body);

    // Requests within the limits still work on the same server.
    let (status, _) = exchange(dash.addr, &get("/api/v1/health", &"X-Ok: 1\r\n".repeat(50))).await;
    assert_eq!(status, 200);
    dash.stop().await;
}

#[tokio::test]
async fn a_stalled_request_body_closes_its_connection() {
    let dash = Dashboard::start(
        &format!("http://127.0.0.1:{}", closed_port().await),
        &[("HTTP_STALL_TIMEOUT_SECONDS", "1")],
    )
    .await;
    let mut stream = TcpStream::connect(dash.addr).await.unwrap();
    stream
        .write_all(
            b"POST /api/v1/databases/qdrant/collections/c/search HTTP/1.1\r\nHost: localhost\r\n\
              Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query_ve",
        )
        .await
        .unwrap();
    let took = closed_after(&mut stream, Duration::from_secs(6)).await;
    assert!(
        took.is_some_and(|t| t >= Duration::from_millis(800)),
        "stalled body: closed after {took:?}"
    );
    dash.stop().await;
}

async fn metric(dash: &Dashboard, name: &str) -> f64 {
    let (status, body) = exchange(dash.addr, &get("/metrics", "")).await;
    assert_eq!(status, 200, "{body}");
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} not in /metrics"))
}

#[tokio::test]
async fn the_connection_cap_counts_http_and_ws_and_answers_503() {
    let dash = Dashboard::start(
        &format!("http://127.0.0.1:{}", closed_port().await),
        &[
            ("HTTP_MAX_CONNECTIONS", "4"),
            ("HTTP_HEADER_TIMEOUT_SECONDS", "30"),
        ],
    )
    .await;
    assert_eq!(
        metric(&dash, "kato_dashboard_http_connections_max").await,
        4.0
    );
    // Two idle HTTP connections and two WebSockets fill the cap.
    let mut idle = Vec::new();
    for _ in 0..2 {
        idle.push(TcpStream::connect(dash.addr).await.unwrap());
    }
    let mut sockets = Vec::new();
    for _ in 0..2 {
        let (ws, _) = tokio_tungstenite::connect_async(dash.ws_url())
            .await
            .unwrap();
        sockets.push(ws);
    }
    let started = Instant::now();
    let (status, body) = exchange(dash.addr, &get("/api/v1/health", "")).await;
    assert_eq!(status, 503, "{body}");
    assert!(detail(&body).contains("connection limit of 4"), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let (status, _) = exchange(dash.addr, &get("/ws", "")).await;
    assert_eq!(status, 503);

    // Idle HTTP connections going away free their places; the WebSockets still hold theirs.
    drop(idle);
    wait_for(Duration::from_secs(5), "a place under the cap", || async {
        (exchange(dash.addr, &get("/api/v1/health", "")).await.0 == 200).then_some(())
    })
    .await;
    assert_eq!(metric(&dash, "kato_dashboard_http_connections").await, 3.0);
    assert!(metric(&dash, "kato_dashboard_http_refused_total").await >= 2.0);
    drop(sockets);
    wait_for(
        Duration::from_secs(5),
        "the WebSockets' places back",
        || async { (metric(&dash, "kato_dashboard_http_connections").await == 1.0).then_some(()) },
    )
    .await;
    dash.stop().await;
}

/// The real binary with a 256-descriptor limit (soft and hard, so it cannot raise it): 300 idle connections do
/// not starve it. Before, 1,100 idle connections against 1,024 descriptors made it stop answering everyone.
#[tokio::test]
async fn a_low_file_limit_caps_connections_instead_of_starving() {
    rlimit::increase_nofile_limit(4096).unwrap();
    let port = closed_port().await;
    let data = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 256 && exec \"$0\"")
        .arg(env!("CARGO_BIN_EXE_kato-dashboard"))
        .env_clear()
        .envs([
            ("HOST", "127.0.0.1".to_owned()),
            ("PORT", port.to_string()),
            (
                "KATO_API_URL",
                format!("http://127.0.0.1:{}", closed_port().await),
            ),
            ("REDIS_URL", "redis://127.0.0.1:1".into()),
            ("MONGO_URL", "mongodb://127.0.0.1:1".into()),
            ("QDRANT_URL", "http://127.0.0.1:1".into()),
            ("CLICKHOUSE_URL", "http://127.0.0.1:1".into()),
            ("DOCKER_ENABLED", "false".into()),
            ("DATA_DIR", data.path().display().to_string()),
            ("HTTP_HEADER_TIMEOUT_SECONDS", "3".into()),
            ("LOG_LEVEL", "warn".into()),
        ])
        .current_dir(data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    wait_for(Duration::from_secs(10), "the binary listening", || async {
        TcpStream::connect(addr).await.ok().map(drop)
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    // The refusals of the last 172 are written (64 at a time, the rest closed); then, over the cap (256 − 128
    // kept for everything else): an immediate 503, not a hang.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let started = Instant::now();
    let (status, body) = exchange(addr, &get("/api/v1/health", "")).await;
    assert_eq!(status, 503, "{body}");
    assert!(detail(&body).contains("connection limit of 128"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(1));
    // The idle ones time out; everyone is answered again, although the test still holds its sockets.
    wait_for(Duration::from_secs(10), "answers again", || async {
        (exchange(addr, &get("/api/v1/health", "")).await.0 == 200).then_some(())
    })
    .await;
    drop(idle);
    child.start_kill().unwrap();
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.matches("Too many open files").count() <= 1,
        "accept errors were logged repeatedly:\n{stderr}"
    );
}
