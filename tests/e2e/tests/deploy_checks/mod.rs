//! What the deploy test checks of a running image, over HTTP and `/ws` on its published loopback port and through
//! `docker inspect`: [`alone`] runs an image by itself the way an operator would (read-only root, no
//! capabilities, the engine's socket mounted read-only) and checks it end to end.

use std::{
    os::unix::fs::MetadataExt,
    time::{Duration, Instant},
};

use anyhow::{Context, bail, ensure};
use futures_util::{SinkExt, StreamExt};
use kato_dashboard_e2e::{deploy::Engine, wait_for};
use kato_dashboard_testkit::{TestContainers, free_port};
use serde_json::{Value, json};
use tokio_tungstenite::{connect_async, tungstenite::Message};

/// The image's stop grace period (`stop_grace_period` in compose, `--stop-timeout` here).
pub const GRACE: Duration = Duration::from_secs(10);

/// `GET url` → (status, JSON body or null).
pub async fn get_json(url: &str) -> anyhow::Result<(u16, Value)> {
    let (status, body) = get_text(url).await?;
    Ok((status, serde_json::from_str(&body).unwrap_or(Value::Null)))
}

/// `GET url` → (status, body).
pub async fn get_text(url: &str) -> anyhow::Result<(u16, String)> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status().as_u16();
    Ok((status, response.text().await?))
}

/// The alert-history items (newest first) about `container`, from the dashboard at `base`.
pub async fn history_of(base: &str, container: &str) -> anyhow::Result<Vec<Value>> {
    let (status, body) = get_json(&format!("{base}/api/v1/alerts/history?limit=1000")).await?;
    ensure!(status == 200, "alerts/history answered {status}: {body}");
    Ok(body["items"]
        .as_array()
        .context("items")?
        .iter()
        .filter(|i| i["container_name"] == container)
        .cloned()
        .collect())
}

/// Subscribes on `/ws` and waits for the first `realtime_update`.
pub async fn ws_update(url: &str) -> anyhow::Result<Value> {
    let (mut ws, _) = tokio::time::timeout(Duration::from_secs(5), connect_async(url))
        .await
        .context("the /ws upgrade within 5 s")??;
    let subscribe = json!({"type": "subscribe", "subscriptions": ["metrics", "containers"]});
    ws.send(Message::text(subscribe.to_string())).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let frame = tokio::time::timeout_at(deadline, ws.next())
            .await
            .context("a realtime_update within 10 s")?
            .context("/ws closed")??;
        if let Message::Text(text) = frame {
            let value: Value = serde_json::from_str(&text)?;
            if value["type"] == "realtime_update" {
                return Ok(value);
            }
        }
    }
}

/// What [`alone`] measured.
#[derive(Debug, Clone, Copy)]
pub struct Alone {
    /// `docker run` → health check `healthy`.
    pub healthy: Duration,
    /// `docker stop` (SIGTERM) → exited.
    pub stop: Duration,
}

impl std::fmt::Display for Alone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "healthy {:.1} s after docker run, stopped {:.2} s after SIGTERM (grace {GRACE:?})",
            self.healthy.as_secs_f64(),
            self.stop.as_secs_f64()
        )
    }
}

/// Runs `image` by itself on `network`, published on a loopback port, hardened like the compose file, with the
/// engine's socket read-only; checks health, UI, API, `/ws`, the user, the read-only root, (with `stats`) the
/// stats of a busybox container, and a clean stop within [`GRACE`]. Removes the container.
pub async fn alone(
    engine: &Engine,
    image: &str,
    network: &str,
    stats: bool,
) -> anyhow::Result<Alone> {
    let mut containers = TestContainers::new(engine.daemon(), "deploy")?;
    let idle = tokio::task::block_in_place(|| containers.run_idle("idle"))?;
    let socket = engine.socket()?;
    let gid = std::fs::metadata(socket)?.gid().to_string();
    let port = free_port()?;
    let name = format!("kd-alone-{}", std::process::id());
    let started = Instant::now();
    engine.cli(&[
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        network,
        "--publish",
        &format!("127.0.0.1:{port}:3000"),
        "--read-only",
        "--tmpfs",
        "/tmp",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges:true",
        "--volume",
        &format!("{}:/var/run/docker.sock:ro", socket.display()),
        "--group-add",
        &gid,
        "--health-interval",
        "1s",
        "--stop-timeout",
        &GRACE.as_secs().to_string(),
        "--env",
        "DOCKER_HOST=unix:///var/run/docker.sock",
        "--env",
        &format!("MONITORED_CONTAINERS={idle}"),
        // Loopback only: nothing is resolved or reached outside the engine.
        "--env",
        "KATO_API_URL=http://127.0.0.1:1",
        "--env",
        "REDIS_URL=redis://127.0.0.1:1",
        "--env",
        "MONGO_URL=mongodb://127.0.0.1:1",
        "--env",
        "QDRANT_URL=http://127.0.0.1:1",
        "--env",
        "CLICKHOUSE_URL=http://127.0.0.1:1",
        image,
    ])?;
    let healthy =
        tokio::task::block_in_place(|| engine.wait_healthy(&name, Duration::from_secs(60)))
            .map(|_| started.elapsed())?;
    let base = format!("http://127.0.0.1:{port}");

    let (status, page) = get_text(&format!("{base}/")).await?;
    ensure!(
        status == 200 && page.contains("<title>KATO Dashboard</title>"),
        "UI: {status} {page}"
    );
    let (status, health) = get_json(&format!("{base}/api/v1/health")).await?;
    ensure!(status == 200, "API: {status} {health}");
    ensure!(
        health["upstreams"]["docker"]["status"] == "up",
        "Docker through the read-only socket: {health}"
    );
    let update = ws_update(&format!("ws://127.0.0.1:{port}/ws")).await?;
    ensure!(update["type"] == "realtime_update", "{update}");

    ensure!(
        engine.inspect(&name, "{{.Config.User}}")? == "10001:10001",
        "the image's user"
    );
    ensure!(
        engine.inspect(&name, "{{.HostConfig.ReadonlyRootfs}}")? == "true",
        "read-only root"
    );
    let pid = engine.inspect(&name, "{{.State.Pid}}")?;
    let proc_status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let uid = proc_status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .unwrap_or_default();
    ensure!(
        uid.split_whitespace().skip(1).all(|u| u == "10001"),
        "the dashboard's process runs as 10001: {uid}"
    );

    if stats {
        let url = format!("{base}/api/v1/system/container-stats");
        wait_for(
            Duration::from_secs(30),
            "stats of the busybox container",
            || async {
                let (status, body) = get_json(&url).await?;
                let found = body["containers"].as_array().and_then(|cs| {
                    cs.iter().find(|c| {
                        c["name"] == idle.as_str()
                            && c["status"] == "running"
                            && c["cpu"].is_number()
                    })
                });
                Ok((status == 200 && found.is_some()).then_some(()))
            },
        )
        .await?;
    }

    let stopping = Instant::now();
    engine.cli(&["stop", &name])?;
    let stop = stopping.elapsed();
    let exit = engine.inspect(&name, "{{.State.ExitCode}}")?;
    if stop >= GRACE || exit != "0" {
        let logs = engine
            .cli(&["logs", "--tail", "20", &name])
            .unwrap_or_default();
        bail!("docker stop took {stop:?} (grace {GRACE:?}), exit code {exit}\n{logs}");
    }
    engine.cli(&["rm", &name])?;
    Ok(Alone { healthy, stop })
}
