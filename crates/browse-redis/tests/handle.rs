//! The shared [`RedisHandle`] against a real `redis-server`: lazy (a Redis that is down at start is no failure),
//! fast errors while Redis is down, back by itself when Redis returns, and no password in its `Debug`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use kato_dashboard_browse_redis::{RedisBrowseError, RedisBrowser, RedisHandle};
use kato_dashboard_testkit::{RedisServer, free_port};

/// An outage answer must come well before any caller's timeout.
const FAST: Duration = Duration::from_secs(1);

async fn ping_timed(handle: &RedisHandle) -> (Result<(), RedisBrowseError>, Duration) {
    let started = Instant::now();
    let r = handle.ping().await;
    (r, started.elapsed())
}

#[tokio::test]
async fn clones_share_one_connection_that_survives_a_restart() {
    let mut server = RedisServer::start().unwrap();
    let handle = RedisHandle::open(&server.url());
    let browser = RedisBrowser::new(handle.clone());
    browser.ping().await.unwrap();
    let mut conn = handle.connection().unwrap();
    let id: i64 = redis::cmd("CLIENT")
        .arg("ID")
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut other = handle.clone().connection().unwrap();
    let same: i64 = redis::cmd("CLIENT")
        .arg("ID")
        .query_async(&mut other)
        .await
        .unwrap();
    assert_eq!(id, same, "clones use one connection");

    server.kill();
    for _ in 0..5 {
        let (r, took) = ping_timed(&handle).await;
        assert!(matches!(r, Err(RedisBrowseError::Unavailable(_))), "{r:?}");
        assert!(took < FAST, "an outage answers at once, took {took:?}");
    }

    // Let the manager's own background reconnect (≤ 200 ms) fail too, as in any outage longer than that: it keeps
    // the failure until a command finds it. Internal state, not observable, hence a fixed wait.
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.restart().unwrap();
    // A plain command would now get the outage's stale error once; `with_conn` (under `ping`) rides the
    // reconnect that error starts, so the first call after Redis is back succeeds.
    handle.ping().await.unwrap();
    browser.ping().await.unwrap();
}

#[tokio::test]
async fn a_redis_down_at_start_is_no_failure_and_is_found_later() {
    let port = free_port().unwrap();
    let handle = RedisHandle::open(&format!("redis://:hunter2-secret@127.0.0.1:{port}"));
    assert_eq!(handle.unusable(), None);
    let (r, took) = ping_timed(&handle).await;
    assert!(matches!(&r, Err(RedisBrowseError::Unavailable(_))), "{r:?}");
    assert!(took < FAST, "refused at once, took {took:?}");
    assert!(!format!("{handle:?}").contains("hunter2"), "{handle:?}");
    assert!(!format!("{r:?}").contains("hunter2"), "{r:?}");
}

#[tokio::test]
async fn an_unusable_url_says_why_on_every_call() {
    let handle = RedisHandle::open("http://:hunter2-secret@nowhere");
    let reason = handle.unusable().unwrap().to_owned();
    assert!(reason.starts_with("REDIS_URL is not usable"), "{reason}");
    assert!(!reason.contains("hunter2"), "{reason}");
    let r = RedisBrowser::new(handle).ping().await;
    assert!(
        matches!(&r, Err(RedisBrowseError::Unavailable(m)) if *m == reason),
        "{r:?}"
    );
}
