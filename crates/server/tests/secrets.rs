//! No secret in any output. The real binary runs with a sentinel secret in every setting that can hold one
//! (tokens, passwords in every URL, query values, a chat-style webhook key in a path), every upstream down so
//! their errors quote those URLs, an alert firing and its webhook failing, at `LOG_LEVEL=debug`, in text and in
//! JSON log format. Then every GET route of `/openapi.json`, every POST with a wrong token, `/metrics` and a `/ws`
//! client's frames are collected with the whole log, and none may contain any part of a sentinel.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{net::SocketAddr, process::Stdio, time::Duration};

use futures_util::{SinkExt, StreamExt};
use support::{closed_port, wait_for};
use tokio::io::AsyncReadExt;
use tokio_tungstenite::tungstenite::Message;

/// Every sentinel holds this marker; nothing may show it.
const MARK: &str = "sent1nel";

async fn settings(port: u16) -> Vec<(&'static str, String)> {
    let down = closed_port().await;
    vec![
        ("HOST", "127.0.0.1".into()),
        ("PORT", port.to_string()),
        ("ADMIN_TOKEN", "adm-sent1nel-token".into()),
        ("ADMIN_PASSWORD", "pw-sent1nel-admin".into()),
        ("SECRET_KEY", "key-sent1nel-jwt".into()),
        ("QDRANT_API_KEY", "qk-sent1nel-api".into()),
        (
            "KATO_API_URL",
            format!("http://kato:kp-sent1nel-kato@127.0.0.1:{down}/?token=kq-sent1nel-query"),
        ),
        (
            "MONGO_URL",
            format!("mongodb://m:mp-sent1nel-mongo@127.0.0.1:{down}/"),
        ),
        (
            "QDRANT_URL",
            format!("http://q:qp-sent1nel-qdrant@127.0.0.1:{down}"),
        ),
        (
            "REDIS_URL",
            format!("redis://:rp-sent1nel-redis@127.0.0.1:{down}"),
        ),
        (
            "CLICKHOUSE_URL",
            format!("http://c:cp-sent1nel-churl@127.0.0.1:{down}"),
        ),
        ("CLICKHOUSE_PASSWORD", "chp-sent1nel-pass".into()),
        (
            "ALERT_WEBHOOK_URL",
            format!(
                "http://127.0.0.1:{down}/services/T0Sent1nel/B0Sent1nel/whkSent1nelKey0123?secret=wq-sent1nel-query"
            ),
        ),
        ("ALERT_WEBHOOK_MAX_RETRIES", "1".into()),
        (
            "DOCKER_HOST",
            format!("tcp://d:dp-sent1nel-docker@127.0.0.1:{down}"),
        ),
        ("DOCKER_ENABLED", "true".into()),
        ("ALERT_RULES", "kato_unreachable.pending=0".into()),
        ("KATO_TIMEOUT_SECONDS", "0.5".into()),
        ("KATO_METRICS_INTERVAL_SECONDS", "0.5".into()),
        ("BROADCAST_INTERVAL", "0.25".into()),
        ("LOG_LEVEL", "debug".into()),
    ]
}

/// Everything a client can read from the server: answers to every documented route, `/metrics`, `/ws` frames.
async fn read_every_output(addr: SocketAddr) -> Vec<(String, String)> {
    let http = reqwest::Client::new();
    let base = format!("http://{addr}");
    let mut seen = Vec::new();
    let spec: serde_json::Value = http
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut requests = vec![("GET".to_owned(), "/metrics".to_owned())];
    for (path, item) in spec["paths"].as_object().unwrap() {
        let concrete = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            requests.push((method.to_uppercase(), concrete.clone()));
        }
    }
    for (method, path) in requests {
        let request = http
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .header("x-admin-token", "wrong-token-value")
            .header("content-type", "application/json")
            .body("{}");
        let Ok(response) = request.send().await else {
            continue;
        };
        let status = response.status();
        let headers = format!("{:?}", response.headers());
        let body = response.text().await.unwrap_or_default();
        seen.push((
            format!("{method} {path} → {status}"),
            format!("{headers}\n{body}"),
        ));
    }
    // A /ws client for every topic, while alerts fire and the sources report their errors.
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    ws.send(Message::text(
        r#"{"type":"subscribe","subscriptions":["metrics","containers","sessions","system_alerts","session_events","alerts"]}"#,
    ))
    .await
    .unwrap();
    let mut frames = String::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(until, ws.next()).await {
        if let Message::Text(t) = msg {
            frames.push_str(&t);
            frames.push('\n');
        }
    }
    assert!(
        frames.contains("realtime_update"),
        "no /ws frames: {frames}"
    );
    seen.push(("/ws frames".into(), frames));
    seen
}

async fn no_sentinel_anywhere(log_format: &str) {
    let port = closed_port().await;
    let data = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kato-dashboard"))
        .env_clear()
        .envs(settings(port).await)
        .env("LOG_FORMAT", log_format)
        .env("DATA_DIR", data.path())
        .current_dir(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // The log is read while the binary runs: a debug log outgrows the pipe (64 KiB), and a full pipe would
    // block the server's log writes, and with them the server.
    let drain = |pipe: Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>| {
        tokio::spawn(async move {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text).await;
            }
            text
        })
    };
    let stdout_task = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr_task = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let client = reqwest::Client::new();
    wait_for(Duration::from_secs(10), "the binary serving", || async {
        client
            .get(format!("http://{addr}/api/v1/health"))
            .send()
            .await
            .ok()
            .map(drop)
    })
    .await;
    // KATO is down from the start: its alert fires and the webhook fails (and is logged) within seconds.
    wait_for(Duration::from_secs(15), "an alert firing", || async {
        let alerts: serde_json::Value = client
            .get(format!("http://{addr}/api/v1/alerts/active"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        alerts["firing"]
            .as_array()
            .filter(|a| !a.is_empty())
            .map(drop)
    })
    .await;
    let mut outputs = read_every_output(addr).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let (stdout, stderr) = (stdout_task.await.unwrap(), stderr_task.await.unwrap());
    // The secrets did reach the redaction: the log quotes the upstreams' failures with masked credentials.
    assert!(stdout.contains("kato-dashboard listening"), "{stdout}");
    assert!(
        stdout.contains("***"),
        "nothing was redacted in the log:\n{stdout}"
    );
    assert!(
        stdout.contains("webhook"),
        "the webhook failure is not in the log:\n{stdout}"
    );
    outputs.push(("stdout (log)".into(), stdout));
    outputs.push(("stderr".into(), stderr));
    assert!(
        outputs.len() > 40,
        "only {} outputs collected",
        outputs.len()
    );
    let leaks: Vec<String> = outputs
        .iter()
        .filter_map(|(what, text)| {
            let lower = text.to_lowercase();
            let at = lower.find(MARK)?;
            let from = lower[..at]
                .char_indices()
                .rev()
                .nth(80)
                .map_or(0, |(i, _)| i);
            let to = (at + 40).min(text.len());
            Some(format!(
                "{what}: …{}…",
                text.get(from..to).unwrap_or(&text[at..])
            ))
        })
        .collect();
    assert!(
        leaks.is_empty(),
        "secrets leaked ({log_format} logs):\n{}",
        leaks.join("\n")
    );
}

#[tokio::test]
async fn no_secret_in_text_logs_answers_metrics_or_frames() {
    no_sentinel_anywhere("text").await;
}

#[tokio::test]
async fn no_secret_in_json_logs_answers_metrics_or_frames() {
    no_sentinel_anywhere("json").await;
}
