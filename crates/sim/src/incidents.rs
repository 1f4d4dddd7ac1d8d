//! Scripted incidents: error bursts and slow periods (switches read by the request middleware),
//! restarts and connection refusal (handled by [`crate::listener`]), and the schedules of the
//! `incidents` and `restart-loop` scenarios.

use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use rand::Rng;
use rand::rngs::StdRng;
use tokio_util::sync::CancellationToken;

use crate::config::Scenario;
use crate::json::Json;
use crate::obj;
use crate::state::{AppState, lock};
use crate::timefmt;

/// Error-burst and slow-response switches.
#[derive(Default)]
pub(crate) struct Incidents {
    inner: Mutex<IncidentState>,
}

#[derive(Default)]
struct IncidentState {
    error_until: Option<Instant>,
    error_fraction: f64,
    slow_until: Option<Instant>,
    slow_latency: Duration,
}

/// A simulated failure answered instead of the real response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InjectedError {
    /// Starlette's answer to an unhandled exception: 500, `text/plain` "Internal Server Error".
    Internal,
    /// 503 `{"detail": "Service temporarily unavailable"}`.
    Unavailable,
    /// 429 `{"detail": "Too many requests"}`.
    TooMany,
}

impl InjectedError {
    pub(crate) fn status(self) -> StatusCode {
        match self {
            InjectedError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            InjectedError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            InjectedError::TooMany => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// The JSON body, or `None` for the plain-text 500.
    pub(crate) fn body(self) -> Option<Json> {
        match self {
            InjectedError::Internal => None,
            InjectedError::Unavailable => {
                Some(obj! { "detail" => "Service temporarily unavailable" })
            }
            InjectedError::TooMany => Some(obj! { "detail" => "Too many requests" }),
        }
    }
}

impl Incidents {
    /// For `duration`, answer about `fraction` (0..=1) of requests with an error.
    pub(crate) fn error_burst(&self, duration: Duration, fraction: f64) {
        let mut s = lock(&self.inner);
        s.error_until = Some(Instant::now() + duration);
        s.error_fraction = fraction.clamp(0.0, 1.0);
    }

    /// For `duration`, delay every request by `latency`.
    pub(crate) fn slow(&self, duration: Duration, latency: Duration) {
        let mut s = lock(&self.inner);
        s.slow_until = Some(Instant::now() + duration);
        s.slow_latency = latency;
    }

    /// The added latency now, if a slow period is on.
    pub(crate) fn latency(&self) -> Option<Duration> {
        let s = lock(&self.inner);
        s.slow_until
            .filter(|until| *until > Instant::now())
            .map(|_| s.slow_latency)
    }

    /// Rolls the dice for one request during an error burst.
    pub(crate) fn roll_error(&self, rng: &Mutex<StdRng>) -> Option<InjectedError> {
        let fraction = {
            let s = lock(&self.inner);
            match s.error_until {
                Some(until) if until > Instant::now() => s.error_fraction,
                _ => return None,
            }
        };
        let mut rng = lock(rng);
        if rng.random::<f64>() >= fraction {
            return None;
        }
        Some(match rng.random_range(0..20) {
            0..12 => InjectedError::Internal,
            12..17 => InjectedError::Unavailable,
            _ => InjectedError::TooMany,
        })
    }

    /// What is active now (for `GET /_sim/state`).
    pub(crate) fn describe(&self) -> Json {
        let s = lock(&self.inner);
        let now = Instant::now();
        let left = |until: Option<Instant>| {
            until
                .filter(|u| *u > now)
                .map(|u| (u - now).as_millis() as u64)
        };
        obj! {
            "error_burst_ms_left" => left(s.error_until),
            "error_fraction" => s.error_fraction,
            "slow_ms_left" => left(s.slow_until),
            "slow_latency_ms" => s.slow_latency.as_millis() as u64,
        }
    }
}

/// Restarts the simulated KATO: every worker's in-memory state is reset (uptime and counters
/// back to 0, processors and caches gone), all connections including `/ws/events` are dropped,
/// and the port refuses connections for `downtime`. Sessions survive (they are in Redis).
pub(crate) fn restart(app: &AppState, downtime: Duration) {
    let started = timefmt::epoch(&timefmt::now()) + downtime.as_secs_f64();
    app.listener.go_down(downtime, true);
    app.reset_workers(started);
    tracing::info!(
        downtime_ms = downtime.as_millis() as u64,
        "simulated KATO restart"
    );
}

/// uvicorn's `--limit-max-requests`: the server notices the limit within 0.1 s and exits (the
/// answer in flight is still delivered); the container restarts it after the downtime.
pub(crate) fn exit_after_max_requests(app: &AppState) {
    if app.exit_pending.swap(true, Ordering::SeqCst) {
        return;
    }
    let app = app.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        tracing::info!("maximum request limit exceeded; terminating the simulated process");
        restart(&app, app.config.restart_downtime);
        app.exit_pending.store(false, Ordering::SeqCst);
    });
}

/// Closes the listening socket for `duration` (existing connections stay).
pub(crate) fn refuse(app: &AppState, duration: Duration) {
    app.listener.go_down(duration, false);
    tracing::info!(
        duration_ms = duration.as_millis() as u64,
        "refusing connections"
    );
}

/// Runs the scenario's incident schedule until `stop` is cancelled.
pub(crate) async fn run_schedule(app: AppState, stop: CancellationToken) {
    match app.config.scenario {
        Scenario::Idle | Scenario::Steady => {}
        Scenario::RestartLoop => loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(app.config.restart_every) => {}
            }
            restart(&app, app.config.restart_downtime);
        },
        Scenario::Incidents => {
            let mut cycle = 0u64;
            loop {
                // A 90 s cycle: burst of errors at ~20 s, slow period at ~50 s, and every third
                // cycle a restart at ~80 s. Offsets jitter with the seed.
                let jitter =
                    |app: &AppState| Duration::from_millis(lock(&app.rng).random_range(0..5000));
                let steps: [(u64, &str); 3] = [(20, "errors"), (50, "slow"), (80, "restart")];
                let mut elapsed = 0u64;
                for (at, what) in steps {
                    let wait = Duration::from_secs(at - elapsed) + jitter(&app);
                    elapsed = at;
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(wait) => {}
                    }
                    match what {
                        "errors" => app.incidents.error_burst(Duration::from_secs(12), 0.3),
                        "slow" => app
                            .incidents
                            .slow(Duration::from_secs(10), Duration::from_millis(700)),
                        _ if cycle % 3 == 2 => restart(&app, app.config.restart_downtime),
                        _ => {}
                    }
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(10)) => {}
                }
                cycle += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn bursts_and_slowness_expire() {
        let inc = Incidents::default();
        let rng = Mutex::new(StdRng::seed_from_u64(1));
        assert_eq!(inc.roll_error(&rng), None);
        inc.error_burst(Duration::from_secs(60), 1.0);
        assert!(inc.roll_error(&rng).is_some());
        inc.error_burst(Duration::ZERO, 1.0);
        assert_eq!(inc.roll_error(&rng), None);
        inc.slow(Duration::from_secs(60), Duration::from_millis(5));
        assert_eq!(inc.latency(), Some(Duration::from_millis(5)));
        inc.slow(Duration::ZERO, Duration::from_millis(5));
        assert_eq!(inc.latency(), None);
    }

    #[test]
    fn fraction_is_respected_roughly() {
        let inc = Incidents::default();
        let rng = Mutex::new(StdRng::seed_from_u64(9));
        inc.error_burst(Duration::from_secs(60), 0.25);
        let hits = (0..4000).filter(|_| inc.roll_error(&rng).is_some()).count();
        assert!((800..1200).contains(&hits), "{hits}");
    }
}
