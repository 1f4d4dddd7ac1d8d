//! Shared helpers of the collector tests: waiting on the snapshot and the event stream with
//! deadlines.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod certs;

use std::time::Duration;

use kato_dashboard_docker::{ContainerEvent, ContainersSnapshot};
use tokio::sync::{broadcast, watch};

/// Waits until the snapshot satisfies `pred`; panics with `what` and the last snapshot if not.
pub async fn snapshot_until(
    rx: &mut watch::Receiver<ContainersSnapshot>,
    deadline: Duration,
    what: &str,
    pred: impl FnMut(&ContainersSnapshot) -> bool,
) -> ContainersSnapshot {
    let result = tokio::time::timeout(deadline, rx.wait_for(pred))
        .await
        .map(|r| r.map(|snap| snap.clone()));
    match result {
        Ok(Ok(snap)) => snap,
        Ok(Err(_)) => panic!("collector stopped while waiting for: {what}"),
        Err(_) => panic!(
            "not within {deadline:?}: {what}\nlast snapshot: {}",
            serde_json::to_string_pretty(&*rx.borrow()).unwrap()
        ),
    }
}

/// Receives events until one satisfies `pred`; panics with `what` and what was seen if not.
pub async fn event_until(
    rx: &mut broadcast::Receiver<ContainerEvent>,
    deadline: Duration,
    what: &str,
    mut pred: impl FnMut(&ContainerEvent) -> bool,
) -> ContainerEvent {
    let end = tokio::time::Instant::now() + deadline;
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(end, rx.recv()).await {
            Ok(Ok(ev)) if pred(&ev) => return ev,
            Ok(Ok(ev)) => seen.push(format!("{} {:?} {}", ev.name, ev.kind, ev.status)),
            Ok(Err(broadcast::error::RecvError::Lagged(n))) => seen.push(format!("lagged {n}")),
            Ok(Err(broadcast::error::RecvError::Closed)) => panic!("events closed: {what}"),
            Err(_) => panic!("not within {deadline:?}: {what}; saw {seen:?}"),
        }
    }
}
