//! Steps of the soak around the fault phase: the dashboard's configuration, waiting for it to see every upstream
//! again, a warm-up before the baseline, sampling its resources, waiting for its session list to match Redis,
//! the clients' last catch-up, and the counts of the event log for the report.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::{task::JoinHandle, time::Instant};
use tokio_tungstenite::tungstenite::Message;

use super::{
    clients::Client,
    dashboard::{DashProc, Usage, usage_of},
    services::Services,
    tracking::EventLog,
    truth,
};

/// The dashboard's environment: every upstream private, short intervals, a small replay buffer (so clients that
/// stay away long enough get a `resync`), no alert reminders (they would keep events coming after the soak).
pub fn dashboard_env(services: &Services) -> Vec<(&'static str, String)> {
    vec![
        ("KATO_API_URL", services.kato_url()),
        ("REDIS_URL", services.redis_url()),
        ("DOCKER_HOST", services.docker_host()),
        ("DOCKER_ENABLED", "true".into()),
        ("MONITORED_CONTAINERS", services.container_names.join(",")),
        ("MONGO_URL", "mongodb://127.0.0.1:1".into()),
        ("QDRANT_URL", "http://127.0.0.1:1".into()),
        ("ADMIN_TOKEN", truth::ADMIN_TOKEN.into()),
        ("LOG_LEVEL", "warn".into()),
        ("KATO_TIMEOUT_SECONDS", "1".into()),
        ("KATO_METRICS_INTERVAL_SECONDS", "0.5".into()),
        ("KATO_STATS_INTERVAL_SECONDS", "1".into()),
        ("SESSION_RECONCILE_INTERVAL_SECONDS", "0.5".into()),
        ("DOCKER_RESCAN_INTERVAL_SECONDS", "2".into()),
        ("BROADCAST_INTERVAL", "0.25".into()),
        ("WS_REPLAY_BUFFER_SIZE", "50".into()),
        ("ALERT_COOLDOWN_SECONDS", "0".into()),
        ("SHUTDOWN_GRACE_SECONDS", "1".into()),
    ]
}

async fn get_json(http: &reqwest::Client, url: &str) -> Option<Value> {
    http.get(url).send().await.ok()?.json().await.ok()
}

/// Waits until the dashboard sees KATO, Redis, Docker, the KATO push and both containers running.
pub async fn recovered(
    http: &reqwest::Client,
    dash: &DashProc,
    services: &Services,
    within: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + within;
    loop {
        let health = get_json(http, &dash.url("/api/v1/health")).await;
        let sessions = get_json(http, &dash.url("/api/v1/sessions?limit=1")).await;
        let stats = get_json(http, &dash.url("/api/v1/system/container-stats")).await;
        let (health, sessions, stats) = (
            health.unwrap_or_default(),
            sessions.unwrap_or_default(),
            stats.unwrap_or_default(),
        );
        let up = |name: &str| health["upstreams"][name]["status"] == "up";
        let running = |name: &String| {
            stats["containers"].as_array().is_some_and(|all| {
                all.iter()
                    .any(|c| c["name"] == name.as_str() && c["status"] == "running")
            })
        };
        let sources = &sessions["summary"]["sources"];
        if up("kato")
            && up("redis")
            && up("docker")
            && sources["redis"]["state"] == "ok"
            && sources["kato_events"]["state"] == "ok"
            && services.container_names.iter().all(running)
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the dashboard did not recover within {within:?}: health {}; sessions {}; containers {stats}",
                health["upstreams"], sessions["summary"]
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `n` clients connect, subscribe to everything, read for 2 s and leave: the baseline is taken with `/ws` warm.
pub async fn warm_up(url: &str, n: usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let url = url.to_owned();
        tasks.spawn(async move {
            let (mut ws, _) = tokio_tungstenite::connect_async(&url)
                .await
                .expect("warm-up /ws connection");
            let sub = r#"{"type":"subscribe","subscriptions":["metrics","containers","sessions","session_events","system_alerts","kato_events"]}"#;
            ws.send(Message::text(sub)).await.unwrap();
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                while let Some(Ok(_)) = ws.next().await {}
            })
            .await;
            let _ = ws.close(None).await;
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
}

/// Readings of the dashboard's resources every 500 ms.
#[derive(Debug, Default)]
pub struct Samples {
    /// The highest of each.
    pub peak: Usage,
    series: Vec<(Instant, Usage)>,
}

impl Samples {
    /// The first reading at or after `t` (the last one if none).
    pub fn at(&self, t: Instant) -> Usage {
        self.series
            .iter()
            .find(|(at, _)| *at >= t)
            .or(self.series.last())
            .map(|(_, u)| *u)
            .unwrap_or_default()
    }
}

/// Samples `pid` every 500 ms while `on` holds.
pub fn sample(pid: u32, on: Arc<AtomicBool>) -> JoinHandle<Samples> {
    tokio::spawn(async move {
        let mut s = Samples::default();
        while on.load(Ordering::Relaxed) {
            let u = usage_of(pid);
            s.peak.fds = s.peak.fds.max(u.fds);
            s.peak.rss_kib = s.peak.rss_kib.max(u.rss_kib);
            s.peak.hwm_kib = s.peak.hwm_kib.max(u.hwm_kib);
            s.peak.threads = s.peak.threads.max(u.threads);
            s.series.push((Instant::now(), u));
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        s
    })
}

/// Waits up to `within` until the dashboard lists exactly the sessions in Redis (and lists them from Redis):
/// both sets, or `None` if they never matched.
pub async fn converged(
    http: &reqwest::Client,
    dash: &DashProc,
    redis_url: &str,
    within: Duration,
) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let redis = truth::redis_ids(redis_url)
            .await
            .unwrap_or_else(|e| panic!("reading Redis after the soak: {e}"));
        let (listed, source) = truth::dashboard_ids(http, &dash.url(""))
            .await
            .unwrap_or_default();
        if redis == listed && source == "redis" {
            return Some((redis, listed));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    None
}

/// The alerts still firing once the soak is over (`type` and when each started), after waiting up to `within`
/// for `kato_unreachable` to resolve: KATO answers again, so it must.
pub async fn firing_after(
    http: &reqwest::Client,
    dash: &DashProc,
    within: Duration,
) -> Vec<String> {
    let deadline = Instant::now() + within;
    loop {
        let active = get_json(http, &dash.url("/api/v1/alerts/active"))
            .await
            .unwrap_or_default();
        let firing: Vec<String> = active["firing"]
            .as_array()
            .map(|all| {
                all.iter()
                    .map(|a| {
                        let rule = a["type"].as_str().unwrap_or("?");
                        format!("{rule} since {}", a["started_at"].as_str().unwrap_or("?"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !firing.iter().any(|f| f.starts_with("kato_unreachable")) || Instant::now() > deadline {
            return firing;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every client resumes once more and reads until 1.5 s pass without an event; again (at most three rounds)
/// while some client lacks the newest seq of a topic (an alert resolving late, say). The newest seqs.
pub async fn catch_up_all(
    clients: &mut Vec<Client>,
    url: &str,
    log: &Arc<Mutex<EventLog>>,
) -> [u64; 3] {
    let mut newest = [0u64; 3];
    for _round in 0..3 {
        let mut tasks = tokio::task::JoinSet::new();
        for c in clients.drain(..) {
            tasks.spawn(c.catch_up(url.to_owned(), Duration::from_millis(1500)));
        }
        while let Some(c) = tasks.join_next().await {
            clients.push(c.expect("a client task panicked"));
        }
        let log = log.lock().unwrap();
        for (i, n) in newest.iter_mut().enumerate() {
            *n = log.events[i].keys().next_back().copied().unwrap_or(0);
        }
        if clients
            .iter()
            .all(|c| (0..3).all(|i| c.tracks[i].mark >= newest[i]))
        {
            break;
        }
    }
    clients.sort_by_key(|c| c.id);
    newest
}

/// `kato_event` types, and `system_alert` rule:state / `alert_update` actions, with their counts.
pub fn event_kinds(log: &EventLog) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
    let mut kato = BTreeMap::new();
    for text in log.events[2].values() {
        let v: Value = serde_json::from_str(text).unwrap_or_default();
        let kind = v["event_type"].as_str().unwrap_or("?").to_owned();
        *kato.entry(kind).or_insert(0) += 1;
    }
    let mut alerts = BTreeMap::new();
    for text in log.events[1].values() {
        let v: Value = serde_json::from_str(text).unwrap_or_default();
        let kind = match v["type"].as_str() {
            Some("alert_update") => format!("update:{}", v["action"].as_str().unwrap_or("?")),
            _ => {
                let a = &v["alerts"][0];
                let rule = a["type"].as_str().unwrap_or("?");
                format!("{rule}:{}", a["state"].as_str().unwrap_or("?"))
            }
        };
        *alerts.entry(kind).or_insert(0) += 1;
    }
    (kato, alerts)
}
