//! The real binary and its operator's signals: the first SIGINT/SIGTERM starts the graceful drain, a second one
//! exits at once — with the status a shell reports for that signal (130, 143) and a log line that says so — instead
//! of being ignored while a slow request keeps the drain going for the whole grace period.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{
    net::SocketAddr,
    process::Stdio,
    time::{Duration, Instant},
};

use support::{closed_port, wait_for};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    process::{Child, Command},
    sync::mpsc,
};

/// Grace period and KATO timeout of the binary: a drain that waits for the slow request takes this long.
const SLOW: &str = "60";

/// A KATO that accepts connections and reads requests but never answers; reports each request's first line.
async fn silent_kato() -> (SocketAddr, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                // Held open, unanswered, until the binary goes away.
                while let Ok(n) = socket.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    let text = String::from_utf8_lossy(&buf[..n]);
                    let _ = tx.send(text.lines().next().unwrap_or_default().to_owned());
                }
            });
        }
    });
    (addr, rx)
}

/// The binary, its log lines (stdout) as they come, and its address.
async fn start(
    kato: SocketAddr,
    data: &std::path::Path,
) -> (Child, mpsc::UnboundedReceiver<String>, SocketAddr) {
    let port = closed_port().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kato-dashboard"))
        .env_clear()
        .envs([
            ("HOST", "127.0.0.1".to_owned()),
            ("PORT", port.to_string()),
            ("KATO_API_URL", format!("http://{kato}")),
            ("KATO_TIMEOUT_SECONDS", SLOW.into()),
            ("SHUTDOWN_GRACE_SECONDS", SLOW.into()),
            ("REDIS_URL", "redis://127.0.0.1:1".into()),
            ("MONGO_URL", "mongodb://127.0.0.1:1".into()),
            ("QDRANT_URL", "http://127.0.0.1:1".into()),
            ("CLICKHOUSE_URL", "http://127.0.0.1:1".into()),
            ("DOCKER_ENABLED", "false".into()),
            ("DATA_DIR", data.display().to_string()),
            ("LOG_LEVEL", "info".into()),
            ("LOG_FORMAT", "text".into()),
        ])
        .current_dir(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (tx, logs) = mpsc::unbounded_channel();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let _ = tx.send(line);
        }
    });
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    wait_for(Duration::from_secs(10), "the binary listening", || async {
        TcpStream::connect(addr).await.ok().map(drop)
    })
    .await;
    (child, logs, addr)
}

/// Waits for a log line containing `needle`; returns it.
async fn log_line(logs: &mut mpsc::UnboundedReceiver<String>, needle: &str) -> String {
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(line) = logs.recv().await {
            if line.contains(needle) {
                return Some(line);
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(line)) => line,
        _ => panic!("no log line with {needle:?}"),
    }
}

fn kill(child: &Child, signal: &str) {
    let pid = child.id().expect("still running");
    // The shell's built-in `kill` (no procps needed).
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("kill -{signal} {pid}")])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid}");
}

/// Starts the binary, keeps its drain busy with a request KATO never answers, sends `signal` twice; returns the
/// exit code, how long the second signal took to end it, and the log line of the forced exit.
async fn signal_twice(signal: &str, name: &str) -> (Option<i32>, Duration, String) {
    let (kato, mut requests) = silent_kato().await;
    let data = tempfile::tempdir().unwrap();
    let (mut child, mut logs, addr) = start(kato, data.path()).await;
    // A request that waits on KATO: the graceful drain waits for it (up to the 60 s grace period).
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /api/v1/system/connection-pools HTTP/1.1\r\nHost: dashboard\r\n\r\n")
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(line) = requests.recv().await {
            if line.contains("/connection-pools") {
                return;
            }
        }
    })
    .await
    .expect("the request reaches KATO");

    kill(&child, signal);
    log_line(&mut logs, &format!("{name} received, shutting down")).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(500), child.wait())
            .await
            .is_err(),
        "the first signal drains: the binary waits for the slow request"
    );

    kill(&child, signal);
    let started = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("the second signal ends the binary at once")
        .unwrap();
    let took = started.elapsed();
    let line = log_line(&mut logs, "second signal").await;
    drop(slow);
    (status.code(), took, line)
}

#[tokio::test]
async fn a_second_sigterm_during_the_drain_exits_at_once_with_143() {
    let (code, took, line) = signal_twice("TERM", "SIGTERM").await;
    assert_eq!(code, Some(143), "{line}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(
        line.contains("WARN") && line.contains("exiting at once"),
        "{line}"
    );
    assert!(line.contains("SIGTERM"), "{line}");
}

#[tokio::test]
async fn a_second_ctrl_c_during_the_drain_exits_at_once_with_130() {
    let (code, took, line) = signal_twice("INT", "SIGINT").await;
    assert_eq!(code, Some(130), "{line}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(line.contains("SIGINT"), "{line}");
}
