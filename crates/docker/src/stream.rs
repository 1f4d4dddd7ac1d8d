//! One persistent `stats(stream=true)` per running container: the engine pushes a sample every
//! ≈1 s, so the figures are never older than that (one-shot calls wait 1–2 s each).

use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::StatsOptions;
use futures_util::StreamExt;
use kato_dashboard_core::docker::StatsSample;
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::convert;

/// Wait before reopening a stream that failed while its container still runs.
const RETRY: Duration = Duration::from_secs(1);

/// What a stream task tells the collector.
#[derive(Debug)]
pub enum StreamMsg {
    /// A sample (live or, after the container stopped, with zero `read` time).
    Sample {
        name: String,
        generation: u64,
        sample: Box<StatsSample>,
    },
    /// The stream failed or ended; it is reopened after [`RETRY`] until cancelled.
    Broken {
        name: String,
        generation: u64,
        reason: String,
    },
}

/// A running stream task; dropping it stops the task.
#[derive(Debug)]
pub struct StatsStream {
    pub generation: u64,
    _stop: DropGuard,
}

impl StatsStream {
    /// A handle with no task behind it (state tests).
    #[cfg(test)]
    pub fn detached(generation: u64) -> Self {
        Self {
            generation,
            _stop: CancellationToken::new().drop_guard(),
        }
    }
}

/// Starts streaming `id`'s stats, tagged with `name` and `generation` (so messages from a
/// replaced stream are recognised and ignored).
pub fn spawn(
    docker: Docker,
    id: String,
    name: String,
    generation: u64,
    tx: mpsc::Sender<StreamMsg>,
    parent: &CancellationToken,
) -> StatsStream {
    let stop = parent.child_token();
    tokio::spawn(run(docker, id, name, generation, tx, stop.clone()));
    StatsStream {
        generation,
        _stop: stop.drop_guard(),
    }
}

async fn run(
    docker: Docker,
    id: String,
    name: String,
    generation: u64,
    tx: mpsc::Sender<StreamMsg>,
    stop: CancellationToken,
) {
    let options = StatsOptions {
        stream: true,
        one_shot: false,
    };
    loop {
        let mut stats = docker.stats(&id, Some(options.clone()));
        let reason = loop {
            let item = tokio::select! {
                () = stop.cancelled() => return,
                item = stats.next() => item,
            };
            match item {
                Some(Ok(raw)) => match convert::sample(&raw) {
                    Ok(sample) => {
                        let msg = StreamMsg::Sample {
                            name: name.clone(),
                            generation,
                            sample: Box::new(sample),
                        };
                        if tx.send(msg).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(container = %name, error = %e, "unreadable stats sample")
                    }
                },
                Some(Err(e)) => break format!("stats stream failed: {e}"),
                None => break "stats stream ended".to_owned(),
            }
        };
        tracing::debug!(container = %name, %reason, "reopening stats stream");
        let msg = StreamMsg::Broken {
            name: name.clone(),
            generation,
            reason,
        };
        if tx.send(msg).await.is_err() {
            return;
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(RETRY) => {}
        }
    }
}
