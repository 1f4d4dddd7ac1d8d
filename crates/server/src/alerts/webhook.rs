//! The outbound webhook: every notified transition (firing, reminders, resolved) is POSTed as Alertmanager's
//! webhook payload (version 4) or as Slack-compatible `{"text": …}`.
//!
//! Never blocks the evaluator or the hub: [`Webhook::notify`] pushes onto a bounded queue and returns; when the
//! queue is full the oldest notification is dropped and counted. One worker task sends in order, retrying
//! network errors, 5xx and 429 with exponential backoff and equal jitter (`kato_dashboard_core::backoff`).

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use kato_dashboard_core::{
    backoff::{Backoff, BackoffPolicy, Jitter},
    time::rfc3339,
};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::config::WebhookFormat;

/// Retry delays: from 250 ms, doubled per attempt, at most 30 s; each between half and all of that.
const RETRY_BACKOFF: BackoffPolicy =
    BackoffPolicy::new(Duration::from_millis(250), Duration::from_secs(30));

/// Webhook settings.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Where to POST.
    pub url: String,
    /// Body shape.
    pub format: WebhookFormat,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Queue capacity.
    pub queue: usize,
}

/// One alert to tell the receiver about.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// `firing` or `resolved`.
    pub status: &'static str,
    /// Labels (`alertname`, `severity`, `container`, …).
    pub labels: BTreeMap<String, String>,
    /// Human summary.
    pub summary: String,
    /// When the episode started firing.
    pub starts_at: DateTime<Utc>,
    /// When it resolved.
    pub ends_at: Option<DateTime<Utc>>,
    /// Stable per alert identity.
    pub fingerprint: String,
}

/// Counters of the notifier.
#[derive(Debug, Default)]
pub struct WebhookStats {
    /// Delivered.
    pub sent: AtomicU64,
    /// Given up after every retry (or refused with a 4xx).
    pub failed: AtomicU64,
    /// Dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Attempts that failed and were retried.
    pub retries: AtomicU64,
}

struct Shared {
    queue: Mutex<VecDeque<Notification>>,
    wake: Notify,
    capacity: usize,
    stats: WebhookStats,
}

/// Handle to the notifier.
#[derive(Clone)]
pub struct Webhook {
    shared: Arc<Shared>,
}

impl Webhook {
    /// Starts the worker.
    pub fn spawn(
        config: WebhookConfig,
        cancel: CancellationToken,
        tracker: &TaskTracker,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent("kato-dashboard")
            .build()?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            wake: Notify::new(),
            capacity: config.queue.max(1),
            stats: WebhookStats::default(),
        });
        tracker.spawn(run(shared.clone(), client, config, cancel));
        Ok(Self { shared })
    }

    /// Queues a notification; drops the oldest (with a warning) when the queue is full. Never waits.
    pub fn notify(&self, n: Notification) {
        let mut q = self
            .shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if q.len() >= self.shared.capacity {
            q.pop_front();
            let dropped = self.shared.stats.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(
                dropped,
                "alert webhook queue full; dropped the oldest notification"
            );
        }
        q.push_back(n);
        drop(q);
        self.shared.wake.notify_one();
    }

    /// The counters.
    pub fn stats(&self) -> &WebhookStats {
        &self.shared.stats
    }
}

async fn run(
    shared: Arc<Shared>,
    client: reqwest::Client,
    config: WebhookConfig,
    cancel: CancellationToken,
) {
    loop {
        let next = shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front();
        let Some(n) = next else {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = shared.wake.notified() => continue,
            }
        };
        let body = body(config.format, &n);
        tokio::select! {
            () = cancel.cancelled() => return,
            () = deliver(&client, &config, &body, &shared.stats) => {}
        }
    }
}

async fn deliver(
    client: &reqwest::Client,
    config: &WebhookConfig,
    body: &Value,
    stats: &WebhookStats,
) {
    let mut backoff = Backoff::new(RETRY_BACKOFF);
    loop {
        let outcome = client.post(&config.url).json(body).send().await;
        let (retry, reason) = match outcome {
            Ok(r) if r.status().is_success() => {
                stats.sent.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(r) => {
                let s = r.status();
                (
                    s.is_server_error() || s.as_u16() == 429,
                    format!("HTTP {s}"),
                )
            }
            Err(e) => (true, e.to_string()),
        };
        if !retry || backoff.attempt() >= config.max_retries {
            stats.failed.fetch_add(1, Ordering::Relaxed);
            let attempts = backoff.attempt().saturating_add(1);
            tracing::warn!(%reason, attempts, "alert webhook gave up");
            return;
        }
        stats.retries.fetch_add(1, Ordering::Relaxed);
        let delay = backoff.next_delay(Jitter::Equal(rand::random::<f64>()));
        tracing::debug!(%reason, ?delay, "alert webhook failed; retrying");
        tokio::time::sleep(delay).await;
    }
}

/// The request body.
pub fn body(format: WebhookFormat, n: &Notification) -> Value {
    match format {
        WebhookFormat::Alertmanager => alertmanager(n),
        WebhookFormat::Slack => {
            let icon = if n.status == "resolved" {
                ":white_check_mark:"
            } else {
                ":rotating_light:"
            };
            let severity = n.labels.get("severity").map_or("", String::as_str);
            json!({ "text": format!("{icon} [{}] {} ({severity})", n.status.to_uppercase(), n.summary) })
        }
    }
}

fn alertmanager(n: &Notification) -> Value {
    let alertname = n.labels.get("alertname").cloned().unwrap_or_default();
    let ends_at = n
        .ends_at
        .map_or_else(|| "0001-01-01T00:00:00Z".to_owned(), rfc3339);
    json!({
        "version": "4",
        "groupKey": format!("{{}}:{{alertname=\"{alertname}\"}}"),
        "truncatedAlerts": 0,
        "status": n.status,
        "receiver": "kato-dashboard",
        "groupLabels": { "alertname": alertname },
        "commonLabels": n.labels,
        "commonAnnotations": { "summary": n.summary },
        "externalURL": "",
        "alerts": [{
            "status": n.status,
            "labels": n.labels,
            "annotations": { "summary": n.summary },
            "startsAt": rfc3339(n.starts_at),
            "endsAt": ends_at,
            "generatorURL": "",
            "fingerprint": n.fingerprint,
        }],
    })
}

/// A stable 16-hex-digit fingerprint (FNV-1a) of an alert identity, like Alertmanager's.
pub fn fingerprint(identity: &str) -> String {
    let hash = identity.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn n(status: &'static str) -> Notification {
        Notification {
            status,
            labels: BTreeMap::from([
                ("alertname".into(), "container_cpu".into()),
                ("severity".into(), "warning".into()),
            ]),
            summary: "Container 'kato' CPU usage: 99.0%".into(),
            starts_at: Utc::now(),
            ends_at: (status == "resolved").then(Utc::now),
            fingerprint: fingerprint("container_cpu/kato"),
        }
    }

    #[test]
    fn payloads() {
        let v = body(WebhookFormat::Alertmanager, &n("firing"));
        assert_eq!(v["version"], "4");
        assert_eq!(v["status"], "firing");
        assert_eq!(v["alerts"][0]["labels"]["alertname"], "container_cpu");
        assert_eq!(v["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
        assert_eq!(v["alerts"][0]["fingerprint"].as_str().unwrap().len(), 16);
        let v = body(WebhookFormat::Slack, &n("resolved"));
        assert!(v["text"].as_str().unwrap().contains("RESOLVED"), "{v}");
    }

    #[tokio::test]
    async fn a_full_queue_drops_the_oldest() {
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            wake: Notify::new(),
            capacity: 2,
            stats: WebhookStats::default(),
        });
        let w = Webhook {
            shared: shared.clone(),
        };
        for status in ["firing", "resolved", "firing"] {
            w.notify(n(status));
        }
        let q = shared.queue.lock().unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].status, "resolved");
        assert_eq!(w.stats().dropped.load(Ordering::Relaxed), 1);
    }
}
