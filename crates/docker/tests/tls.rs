//! The collector against a private engine that speaks TLS only and verifies its clients (`dockerd
//! --tlsverify` on a loopback port, certificates made for the test): with the client certificates it
//! connects and sees the containers; without them, or with a certificate of another CA, the engine stays
//! `unavailable` with a reason that says why, and its outage is announced once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::time::Duration;

use kato_dashboard_docker::{ContainersSnapshot, DockerCollector, DockerConfig, TlsCerts};
use kato_dashboard_testkit::{DockerDaemon, TestContainers};
use support::certs::Certs;
use support::snapshot_until;
use tokio_util::sync::CancellationToken;

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn reason(s: &ContainersSnapshot) -> String {
    s.docker.reason().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_engine_with_and_without_client_certificates() {
    let certs = Certs::generate();
    let port = free_port();
    let daemon = DockerDaemon::start_private_with(&certs.dockerd_args(port))
        .expect("a private dockerd with a TLS listener (apt-get install docker.io)");
    let mut c = TestContainers::new(&daemon, "tls").unwrap();
    let idle = c.run_idle("idle").unwrap();
    let host = format!("tcp://127.0.0.1:{port}");
    let config = |dir: Option<PathBuf>| DockerConfig {
        host: Some(host.clone()),
        tls: dir.map(|dir| TlsCerts { dir }),
        names: vec![idle.clone()],
        max_backoff: Duration::from_millis(500),
        ..DockerConfig::default()
    };
    let cancel = CancellationToken::new();

    // With the client certificates: connected, the container seen with figures.
    let good = DockerCollector::spawn(config(Some(certs.client())), cancel.clone());
    let snap = snapshot_until(
        &mut good.snapshot.clone(),
        Duration::from_secs(20),
        "connected over TLS with figures",
        |s| s.docker.is_ok() && s.get(&idle).is_some_and(|c| c.running && c.cpu_known),
    )
    .await;
    assert_eq!(snap.engines[0].id, "127.0.0.1");
    assert_eq!(snap.engines[0].host, format!("{host} (TLS)"));

    // Without them (plain HTTP to the TLS port): unavailable, saying the engine wants TLS, announced once.
    let plain = DockerCollector::spawn(config(None), cancel.clone());
    let mut plain_events = plain.subscribe_engines();
    let snap = snapshot_until(
        &mut plain.snapshot.clone(),
        Duration::from_secs(10),
        "plain HTTP refused with a reason",
        |s| reason(s).contains("TLS"),
    )
    .await;
    println!("without certificates: {}", reason(&snap));
    assert!(
        reason(&snap).contains("speaks TLS only"),
        "{}",
        reason(&snap)
    );
    assert!(snap.containers.is_empty());
    let gone = tokio::time::timeout(Duration::from_secs(5), plain_events.recv())
        .await
        .expect("an engine event")
        .unwrap();
    assert_eq!(gone.event_type(), "docker_engine_unreachable");
    assert!(
        gone.docker.reason().unwrap_or_default().contains("TLS"),
        "{gone:?}"
    );

    // With a client certificate of another CA: the engine refuses the handshake, and the reason says so.
    let rogue = DockerCollector::spawn(config(Some(certs.rogue())), cancel.clone());
    let snap = snapshot_until(
        &mut rogue.snapshot.clone(),
        Duration::from_secs(10),
        "rogue certificate refused with a reason",
        |s| reason(s).contains("TLS") || reason(s).contains("certificate"),
    )
    .await;
    println!("with another CA's certificate: {}", reason(&snap));
    assert!(!snap.docker.is_ok() && snap.containers.is_empty());

    // Later retries do not announce the same outage again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        plain_events.try_recv().is_err(),
        "one outage, one announcement"
    );
    assert!(
        good.current().docker.is_ok(),
        "the good client stays connected"
    );
    cancel.cancel();
    for handle in [good, plain, rogue] {
        tokio::time::timeout(Duration::from_secs(5), handle.join())
            .await
            .expect("collectors stop on cancel");
    }
    drop(c);
}
