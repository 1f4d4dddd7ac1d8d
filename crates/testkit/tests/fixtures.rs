//! The fixtures against the real programs: a Docker engine with test containers, and Redis.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use kato_dashboard_testkit::{DockerDaemon, RedisServer, TestContainers};

fn status(c: &TestContainers, name: &str) -> String {
    let out = c
        .docker()
        .args(["inspect", "--format", "{{.State.Status}}", name])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn docker_fixtures_run_and_clean_up() {
    let daemon = DockerDaemon::start().unwrap();
    let name_idle;
    {
        let mut c = TestContainers::new(&daemon, "testkit").unwrap();
        name_idle = c.run_idle("idle").unwrap();
        let stopped = c.run_stopped("stopped").unwrap();
        assert_eq!(status(&c, &name_idle), "running");
        assert_eq!(status(&c, &stopped), "exited");
        assert!(name_idle.starts_with(c.prefix()));
        // --network none: only the loopback interface.
        let out = c
            .docker()
            .args([
                "inspect",
                "--format",
                "{{.HostConfig.NetworkMode}}",
                &name_idle,
            ])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "none");
    }
    let out = daemon
        .docker()
        .args(["ps", "-aq", "--filter", &format!("name={name_idle}")])
        .output()
        .unwrap();
    assert!(out.stdout.is_empty(), "containers are removed on drop");
}

#[test]
fn private_daemon_stops_and_restarts_on_its_socket() {
    let dir = tempfile::tempdir_in("/tmp").unwrap();
    let socket = dir.path().join("d.sock");
    let mut daemon = DockerDaemon::start_private_at(&socket).unwrap();
    assert!(daemon.is_private());
    assert_eq!(daemon.socket_path(), Some(socket.as_path()));
    daemon.stop();
    assert!(
        daemon
            .docker()
            .arg("version")
            .output()
            .unwrap()
            .status
            .code()
            != Some(0)
    );
    daemon.restart().unwrap();
    assert!(
        daemon
            .docker()
            .arg("version")
            .output()
            .unwrap()
            .status
            .success()
    );
}

#[tokio::test]
async fn redis_answers_on_its_port() {
    let redis = RedisServer::start().unwrap();
    assert!(redis.url().ends_with(&redis.port().to_string()));
    let ok = kato_dashboard_testkit::wait_until(Duration::from_secs(2), || async {
        std::net::TcpStream::connect(("127.0.0.1", redis.port())).is_ok()
    })
    .await;
    assert!(ok);
}
