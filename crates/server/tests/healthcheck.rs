//! `kato-dashboard healthcheck`, the image's HEALTHCHECK, run as the real binary: exit 0 against a serving
//! dashboard (found through `PORT` alone, whatever else the environment or a `.env` says), exit 1 with a one-line
//! reason when nothing listens or the answer is not 2xx, always within its deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{
    process::{Command, Output},
    time::{Duration, Instant},
};

use support::{Dashboard, closed_port};

/// Runs `kato-dashboard healthcheck` with only `env` and a configuration the server would refuse (in the
/// environment and in a `.env` of its working folder), off the async runtime; its output and how long it took.
async fn healthcheck(env: &[(&str, String)]) -> (Output, Duration) {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    tokio::task::spawn_blocking(move || {
        // A configuration the server would refuse: the probe must not read it.
        let cwd = tempfile::tempdir().unwrap();
        std::fs::write(
            cwd.path().join(".env"),
            "KATO_API_URL=not a url\nLOG_FORMAT=nonsense\nPORT=1\n",
        )
        .unwrap();
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_kato-dashboard"))
            .arg("healthcheck")
            .env_clear()
            .envs(env)
            .env("LOG_FORMAT", "nonsense")
            .env("KATO_API_URL", "not a url")
            .current_dir(cwd.path())
            .output()
            .unwrap();
        (out, started.elapsed())
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn healthy_dashboard_exits_0() {
    let dash = Dashboard::start("http://127.0.0.1:1", &[]).await;
    let port = dash.addr.port().to_string();
    let (out, took) = healthcheck(&[("PORT", port.clone())]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(out.stdout.is_empty() && stderr.is_empty(), "{stderr}");
    assert!(took < Duration::from_secs(2), "{took:?}");

    // A wildcard HOST (the image's 0.0.0.0) still means this host's loopback.
    let (out, _) = healthcheck(&[("PORT", port), ("HOST", "0.0.0.0".into())]).await;
    assert_eq!(out.status.code(), Some(0));
    dash.stop().await;
}

#[tokio::test]
async fn nothing_listening_exits_1_with_one_line_of_reason() {
    let port = closed_port().await.to_string();
    let (out, took) = healthcheck(&[("PORT", port.clone())]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("unhealthy: cannot connect to 127.0.0.1:") && stderr.contains(&port),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");

    let (out, _) = healthcheck(&[("PORT", "web".into())]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PORT=\"web\""));
}

#[tokio::test]
async fn a_non_2xx_answer_exits_1() {
    // The KATO simulator answers 404 on /api/v1/health: something listens, but it is not a healthy dashboard.
    let sim = kato_dashboard_sim::Sim::start(
        kato_dashboard_sim::SimConfig::idle(kato_dashboard_sim::Flavour::V1),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .expect("kato-sim starts");
    let (out, _) = healthcheck(&[("PORT", sim.addr().port().to_string())]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("answered HTTP/1.1 404"), "{stderr}");
    sim.shutdown().await;
}
