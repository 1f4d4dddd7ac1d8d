//! The deployment for real, on a private Docker engine (`kato_dashboard_e2e::deploy`):
//!
//! 1. the image built with the real Dockerfile from this run's binaries (`ARTIFACTS=prebuilt`) on the local
//!    runtime base runs alone: healthy through its own health check, UI, API and `/ws` on a published loopback
//!    port, non-root, read-only root, container stats through the engine's socket mounted read-only, and a
//!    `docker stop` well within the grace period;
//! 2. beside a KATO-like network (`kato_kato-network` with a simulator named `kato`, reached on `kato:8000`
//!    through a relay in its network namespace, and busybox `kato-redis`, `kato-mongodb`), `./dashboard.sh start --docker` (docker-compose) serves a page that shows those containers
//!    in headless Chromium; a stopped `kato-redis` fires an alert that survives `stop --docker` (compose down) and
//!    `start --docker` on the volume; `./dashboard.sh demo --docker` comes up healthy;
//! 3. the full multi-stage build, when one of its inputs changed since the last successful one (`deploy::full`).
//!
//! Nothing is skipped silently: a missing tool or base image fails the test with the reason. Each phase prints
//! its duration; every wait has a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod deploy_checks;

use std::time::Duration;

use deploy_checks::{Alone, alone, get_json, history_of};
use kato_dashboard_e2e::{
    Browser,
    deploy::{
        Engine, Phases, dashboard_sh, full,
        image::{build_prebuilt, debug_binaries, import_bases, layers, prebuilt_context, sizes},
        output,
    },
    dist_dir, wait_for,
};
use kato_dashboard_testkit::{busybox_image, free_port};
use serde_json::json;

const IMAGE: &str = "kato-dashboard:deploy-test";
const FULL_IMAGE: &str = "kato-dashboard:full-build";
const NETWORK: &str = "kato_kato-network";
const KATO_LIKE: [&str; 3] = ["kato", "kato-redis", "kato-mongodb"];

/// Blocking process calls, off the async workers' backs.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_runs_alone_and_with_compose_beside_kato() {
    let _gate = kato_dashboard_e2e::exclusive().await;
    let mut phases = Phases::new();
    let engine = blocking(Engine::start).unwrap();
    phases.lap("private engine");
    blocking(|| import_bases(&engine, &["runtime"])).unwrap();
    phases.lap("runtime base image");
    let ctx = blocking(|| prebuilt_context(&debug_binaries()?, &dist_dir()?)).unwrap();
    phases.lap("binaries + prebuilt context");
    blocking(|| build_prebuilt(&engine, ctx.path(), IMAGE)).unwrap();
    phases.lap("image build (prebuilt)");
    let size = blocking(|| sizes(&engine, IMAGE)).unwrap();
    eprintln!("figure: image from this run's stripped debug binaries: {size}");
    eprintln!("layers:\n{}", layers(&engine, IMAGE).unwrap());
    engine.cli(&["network", "create", NETWORK]).unwrap();

    let figures = alone(&engine, IMAGE, NETWORK, true).await.unwrap();
    eprintln!("figure: {IMAGE} alone: {figures}");
    phases.lap("image alone");

    compose(&engine, &mut phases).await;
    eprintln!("phases:\n{}", phases.summary());
}

/// `Some` once KATO's health comes through the dashboard at `url`; else why not.
async fn kato_health(url: &str) -> anyhow::Result<Option<()>> {
    let (status, body) = get_json(url).await?;
    anyhow::ensure!(status == 200, "{url} answered {status}: {body}");
    Ok(Some(()))
}

/// The compose deployment through dashboard.sh, beside a KATO-like network.
async fn compose(engine: &Engine, phases: &mut Phases) {
    let busybox = blocking(|| busybox_image(engine.daemon())).unwrap();
    for name in KATO_LIKE[1..].iter().copied() {
        engine
            .cli(&[
                "run",
                "-d",
                "--name",
                name,
                "--network",
                NETWORK,
                "--stop-timeout",
                "1",
                &busybox,
                "sleep",
                "1000000",
            ])
            .unwrap();
    }
    // kato-sim refuses to listen on anything but loopback: `kato` runs it on 127.0.0.1:8001, and a busybox relay in
    // its network namespace answers kato:8000 on KATO's network.
    engine
        .cli(&[
            "run",
            "-d",
            "--name",
            "kato",
            "--network",
            NETWORK,
            "--no-healthcheck",
            "--read-only",
            "--cap-drop",
            "ALL",
            "--entrypoint",
            "/usr/local/bin/kato-sim",
            IMAGE,
            "--host",
            "127.0.0.1",
            "--port",
            "8001",
            "--scenario",
            "steady",
        ])
        .unwrap();
    engine
        .cli(&[
            "run",
            "-d",
            "--name",
            "kato-relay",
            "--network",
            "container:kato",
            "--read-only",
            "--cap-drop",
            "ALL",
            "--stop-timeout",
            "1",
            &busybox,
            "busybox",
            "nc",
            "-ll",
            "-p",
            "8000",
            "-e",
            "busybox",
            "nc",
            "127.0.0.1",
            "8001",
        ])
        .unwrap();
    phases.lap("KATO-like containers");

    // Every name the dashboard resolves exists on KATO's network (nothing is looked up elsewhere).
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("dashboard.env");
    std::fs::write(
        &env_file,
        "KATO_API_URL=http://kato:8000\nREDIS_URL=redis://kato-redis:6379\n\
         MONGO_URL=mongodb://kato-mongodb:27017\nQDRANT_URL=http://127.0.0.1:1\n\
         MONITORED_CONTAINERS=kato,kato-redis,kato-mongodb\nKATO_TIMEOUT_SECONDS=1\n",
    )
    .unwrap();
    let port = free_port().unwrap().to_string();
    let socket = engine.socket().unwrap().display().to_string();
    let env_path = env_file.display().to_string();
    let run_dir = dir.path().join("run").display().to_string();
    let env = |port: &str| -> Vec<(&'static str, String)> {
        vec![
            ("DOCKER_HOST", engine.host().to_owned()),
            ("DOCKER_SOCKET", socket.clone()),
            ("DASHBOARD_PORT", port.to_owned()),
            ("KATO_DASHBOARD_IMAGE", IMAGE.to_owned()),
            ("KATO_DASHBOARD_ENV_FILE", env_path.clone()),
            ("KATO_DASHBOARD_RUN_DIR", run_dir.clone()),
            ("HEALTHCHECK_INTERVAL", "1s".to_owned()),
        ]
    };
    let script = |args: &[&str], port: &str| {
        let env = env(port);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        blocking(|| output(&mut dashboard_sh(args, &env))).unwrap();
    };
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");

    script(&["start", "--docker"], &port);
    let healthy =
        blocking(|| engine.wait_healthy("kato-dashboard", Duration::from_secs(60))).unwrap();
    let version = engine
        .inspect(
            "kato-dashboard",
            r#"{{index .Config.Labels "com.docker.compose.version"}}"#,
        )
        .unwrap();
    eprintln!("figure: compose {version}: up → healthy in {healthy:?}");
    let mounts = engine
        .inspect("kato-dashboard", "{{json .Mounts}}")
        .unwrap();
    let mounts: serde_json::Value = serde_json::from_str(&mounts).unwrap();
    assert!(
        mounts
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["Source"] == socket.as_str()
                && m["Destination"] == "/var/run/docker.sock"
                && m["RW"] == false),
        "the engine's socket, read-only: {mounts}"
    );
    wait_for(
        Duration::from_secs(30),
        "KATO (kato:8000) through the dashboard",
        || async { kato_health(&url("/api/v1/system/kato-health")).await },
    )
    .await
    .unwrap();
    phases.lap("start --docker");

    // The page, in Chromium, shows KATO's containers with their CPU.
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = browser.open(&url("/")).await.unwrap();
    let cards = "[...document.querySelectorAll('[data-testid=container-card]')]\
                 .map(c => [c.dataset.name, c.querySelector('.num.big')?.textContent ?? '', \
                 c.querySelector('.pill')?.textContent ?? ''])";
    wait_for(
        Duration::from_secs(30),
        "cards with CPU for kato, kato-redis, kato-mongodb",
        || async {
            let seen: Vec<(String, String, String)> = tab.eval(cards).await?;
            let all = KATO_LIKE.iter().all(|n| {
                seen.iter().any(|(name, cpu, status)| {
                    name == n && cpu.contains('%') && status.contains("running")
                })
            });
            Ok(all.then_some(()))
        },
    )
    .await
    .unwrap();
    phases.lap("page shows the containers");

    // kato-redis stops: a container_down alert, on the page and in the history; started again, it resolves.
    engine.cli(&["stop", "kato-redis"]).unwrap();
    let alert_id = wait_for(
        Duration::from_secs(20),
        "a container_down alert for kato-redis",
        || async {
            let items = history_of(&url(""), "kato-redis").await?;
            Ok(items
                .iter()
                .find(|i| i["type"] == "container_down" && i["state"] == "firing")
                .and_then(|i| i["alert_id"].as_str().map(str::to_owned)))
        },
    )
    .await
    .unwrap();
    wait_for(
        Duration::from_secs(20),
        "kato-redis shown as exited",
        || async {
            let seen: Vec<(String, String, String)> = tab.eval(cards).await?;
            Ok(seen
                .iter()
                .any(|(n, _, status)| n == "kato-redis" && status.contains("exited"))
                .then_some(()))
        },
    )
    .await
    .unwrap();
    engine.cli(&["start", "kato-redis"]).unwrap();
    wait_for(Duration::from_secs(20), "the alert resolved", || async {
        let items = history_of(&url(""), "kato-redis").await?;
        Ok(items
            .iter()
            .any(|i| i["alert_id"] == alert_id.as_str() && i["state"] == "resolved")
            .then_some(()))
    })
    .await
    .unwrap();
    browser.close().await;
    phases.lap("alert fired and resolved");

    // compose down (volumes kept) and up again: the history is still there.
    script(&["stop", "--docker"], &port);
    let left = engine
        .cli(&[
            "ps",
            "-a",
            "--filter",
            "name=kato-dashboard",
            "--format",
            "{{.Names}}",
        ])
        .unwrap();
    assert!(
        left.is_empty(),
        "stop --docker removes the containers: {left}"
    );
    engine
        .cli(&["volume", "inspect", "kato-dashboard_alert-data"])
        .unwrap();
    script(&["start", "--docker"], &port);
    blocking(|| engine.wait_healthy("kato-dashboard", Duration::from_secs(60))).unwrap();
    let items = history_of(&url(""), "kato-redis").await.unwrap();
    let kept: Vec<_> = items
        .iter()
        .filter(|i| i["alert_id"] == alert_id.as_str())
        .map(|i| i["state"].clone())
        .collect();
    assert!(
        kept.contains(&json!("firing")) && kept.contains(&json!("resolved")),
        "alert {alert_id} after down/up: {kept:?}"
    );
    phases.lap("down + up, history kept");

    // The demo profile: the dashboard and the simulator in one network namespace.
    script(&["stop", "--docker"], &port);
    let demo_port = free_port().unwrap().to_string();
    script(&["demo", "--docker"], &demo_port);
    let healthy =
        blocking(|| engine.wait_healthy("kato-dashboard-demo", Duration::from_secs(60))).unwrap();
    let demo_url = format!("http://127.0.0.1:{demo_port}/api/v1/system/kato-health");
    wait_for(
        Duration::from_secs(30),
        "the demo's simulated KATO",
        || async { kato_health(&demo_url).await },
    )
    .await
    .unwrap();
    eprintln!("figure: demo --docker: healthy in {healthy:?}");
    script(&["stop", "--docker"], &demo_port);
    phases.lap("demo --docker");
}

/// The full multi-stage build, when its inputs changed since the last success; then the image it made runs like
/// the prebuilt one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_multi_stage_build_when_its_inputs_changed() {
    let hash = full::inputs_hash().unwrap();
    let stamp = full::stamp_path().unwrap();
    if let Some(last) = full::up_to_date(&hash).unwrap() {
        eprintln!(
            "full build: its inputs are unchanged since the last successful build ({}); not rebuilt. \
             Last result: {last}",
            stamp.display()
        );
        return;
    }
    let _gate = kato_dashboard_e2e::exclusive().await;
    let mut phases = Phases::new();
    let engine = blocking(Engine::start).unwrap();
    phases.lap("private engine");
    blocking(|| import_bases(&engine, &["runtime", "rust"])).unwrap();
    phases.lap("base images");
    let took = match blocking(|| full::build(&engine, FULL_IMAGE)) {
        Ok(took) => took,
        Err(e) => {
            let error: String = format!("{e:#}").chars().rev().take(4000).collect();
            let error: String = error.chars().rev().collect();
            let took = phases.lap("full build (failed)");
            full::record(&full::attempt(
                &hash,
                false,
                took,
                json!({ "error": error }),
            ))
            .unwrap();
            panic!("{e:#}");
        }
    };
    phases.lap("full build");
    let size = blocking(|| sizes(&engine, FULL_IMAGE)).unwrap();
    eprintln!("figure: full build in {:.0} s: {size}", took.as_secs_f64());
    eprintln!("layers:\n{}", layers(&engine, FULL_IMAGE).unwrap());
    phases.lap("image size");
    engine.cli(&["network", "create", "kd-full"]).unwrap();
    let figures: Alone = alone(&engine, FULL_IMAGE, "kd-full", false).await.unwrap();
    eprintln!("figure: {FULL_IMAGE} alone: {figures}");
    phases.lap("full image alone");
    full::record(&full::attempt(
        &hash,
        true,
        took,
        json!({
            "image_bytes": size.uncompressed,
            "gzip_bytes": size.gzip,
            "healthy_after_seconds": figures.healthy.as_secs_f64(),
            "stop_seconds": figures.stop.as_secs_f64(),
        }),
    ))
    .unwrap();
    eprintln!("phases:\n{}", phases.summary());
}
