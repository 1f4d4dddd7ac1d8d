//! What the recorder writes: the chartable figures of the state topics at one instant ([`levels`]), and what the
//! event topics add between two samples ([`Tally`]: counts, session durations, markers). Pure functions of typed
//! values; the series names are the history API's vocabulary (`docs/architecture.md` § "History on disk").

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kato_dashboard_core::{
    protocol::ServerMsg,
    topics::{KatoEventData, TopicState},
};
use kato_dashboard_history_store::{Marker, Sample, SeriesKind};

/// Sessions whose creation the tally remembers (to time their end); the oldest are forgotten beyond it.
const MAX_OPEN_SESSIONS: usize = 100_000;

fn gauge(out: &mut Vec<Sample>, series: String, value: Option<f64>) {
    if let Some(value) = value.filter(|v| v.is_finite()) {
        out.push(Sample {
            series,
            kind: SeriesKind::Gauge,
            value,
        });
    }
}

/// The levels of one state topic's latest value (nothing for a topic that has no figure yet).
pub fn levels(state: &TopicState, out: &mut Vec<Sample>) {
    match state {
        TopicState::Metrics(m) => {
            let Some(d) = &m.derived else { return };
            let up = d.source.is_ok();
            gauge(out, "kato.up".into(), Some(if up { 1.0 } else { 0.0 }));
            if !up {
                return;
            }
            gauge(
                out,
                "kato.requests_per_second".into(),
                d.requests_per_second,
            );
            gauge(
                out,
                "kato.error_rate".into(),
                d.error_rate.map(|r| r * 100.0),
            );
            let k = &m.kato;
            gauge(
                out,
                "kato.latency_ms".into(),
                k.performance
                    .as_ref()
                    .map(|p| p.average_response_time * 1000.0),
            );
            gauge(
                out,
                "kato.cpu_percent".into(),
                k.resources.as_ref().map(|r| r.cpu_percent),
            );
            gauge(
                out,
                "kato.memory_percent".into(),
                k.resources.as_ref().map(|r| r.memory_percent),
            );
            gauge(
                out,
                "kato.processors".into(),
                k.processor_manager
                    .as_ref()
                    .map(|p| p.total_processors as f64),
            );
        }
        TopicState::Containers(c) => {
            for s in &c.containers {
                if s.stale {
                    continue;
                }
                let p = format!("container.{}.", s.name);
                gauge(out, format!("{p}up"), Some(f64::from(u8::from(s.running))));
                if !s.running {
                    continue;
                }
                gauge(out, format!("{p}cpu_percent"), s.cpu_known.then_some(s.cpu));
                gauge(
                    out,
                    format!("{p}memory_percent"),
                    Some(s.memory.usage_percent),
                );
                gauge(
                    out,
                    format!("{p}memory_bytes"),
                    Some(s.memory.usage_bytes as f64),
                );
            }
        }
        TopicState::Sessions(s) => {
            gauge(
                out,
                "sessions.active".into(),
                s.active_count.map(|n| n as f64),
            );
        }
        TopicState::Instances(f) => {
            if !f.fleet {
                return;
            }
            gauge(out, "fleet.healthy".into(), Some(f.healthy as f64));
            for i in &f.instances {
                let p = format!("instance.{}.", i.id);
                let up = i.source.as_ref().is_some_and(|s| s.is_ok());
                gauge(out, format!("{p}up"), Some(f64::from(u8::from(up))));
                if !up {
                    continue;
                }
                gauge(
                    out,
                    format!("{p}requests_per_second"),
                    i.requests_per_second,
                );
                gauge(
                    out,
                    format!("{p}error_rate"),
                    i.error_rate.map(|r| r * 100.0),
                );
                gauge(out, format!("{p}latency_ms"), i.latency_ms);
                gauge(out, format!("{p}cpu_percent"), i.cpu_percent);
                gauge(out, format!("{p}memory_percent"), i.memory_percent);
            }
        }
    }
}

/// What the event topics said since the last sample.
#[derive(Debug, Default)]
pub struct Tally {
    counts: Vec<(String, f64)>,
    durations: Vec<f64>,
    markers: Vec<Marker>,
    firing: Option<f64>,
    /// Creation time of sessions seen created, to time their end.
    opened: HashMap<String, DateTime<Utc>>,
}

impl Tally {
    fn count(&mut self, series: &str) {
        match self.counts.iter_mut().find(|(s, _)| s == series) {
            Some((_, n)) => *n += 1.0,
            None => self.counts.push((series.to_owned(), 1.0)),
        }
    }

    /// Takes in one event (`at`: when the hub published it).
    pub fn add(&mut self, msg: &ServerMsg, at: DateTime<Utc>) {
        match msg {
            ServerMsg::SessionEvent {
                event_type, data, ..
            } => {
                if event_type == "session_created" {
                    self.count("sessions.created");
                    if self.opened.len() >= MAX_OPEN_SESSIONS {
                        self.opened.clear();
                    }
                    self.opened.insert(data.session_id.clone(), at);
                } else if event_type == "session_destroyed" {
                    let expired = data.reason.as_deref() == Some("expired");
                    self.count(if expired {
                        "sessions.expired"
                    } else {
                        "sessions.ended"
                    });
                    if let Some(created) = self.opened.remove(&data.session_id) {
                        let secs = (at - created).num_milliseconds() as f64 / 1000.0;
                        self.durations.push(secs.max(0.0));
                    }
                }
            }
            ServerMsg::SystemAlert {
                alerts, snapshot, ..
            } => {
                if *snapshot {
                    return;
                }
                for a in alerts.iter().filter(|a| a.transition == "fired") {
                    self.count(&format!("alerts.fired.{}", a.rule));
                    let subject = a.identity.split_once('/').map_or("", |(_, s)| s);
                    self.markers.push(Marker {
                        t: at.timestamp(),
                        kind: "alert".into(),
                        label: format!("{} {subject}", a.rule).trim_end().to_owned(),
                        severity: a.severity.clone(),
                    });
                }
            }
            ServerMsg::KatoEvent {
                event_type, data, ..
            } if event_type == "kato_restarted" => {
                self.markers.push(Marker {
                    t: at.timestamp(),
                    kind: "kato_restart".into(),
                    label: data.instance().unwrap_or("kato").to_owned(),
                    severity: "info".into(),
                });
            }
            ServerMsg::KatoEvent {
                event_type, data, ..
            } if event_type == "kato_unreachable"
                && !matches!(data, KatoEventData::Container(_)) =>
            {
                self.markers.push(Marker {
                    t: at.timestamp(),
                    kind: "kato_unreachable".into(),
                    label: data.instance().unwrap_or("kato").to_owned(),
                    severity: "critical".into(),
                });
            }
            _ => {}
        }
    }

    /// Sets the number of alerts firing now (from the alert service, which knows it).
    pub fn set_firing(&mut self, firing: usize) {
        self.firing = Some(firing as f64);
    }

    /// Moves the counts and durations into `out` and returns the markers, leaving the tally empty (but
    /// remembering open sessions and the alerts firing).
    pub fn drain(&mut self, out: &mut Vec<Sample>) -> Vec<Marker> {
        out.extend(self.counts.drain(..).map(|(series, value)| Sample {
            series,
            kind: SeriesKind::Count,
            value,
        }));
        // One second holds one gauge sample per series: several ends in a second are averaged.
        if !self.durations.is_empty() {
            let mean = self.durations.iter().sum::<f64>() / self.durations.len() as f64;
            self.durations.clear();
            gauge(out, "sessions.duration_seconds".into(), Some(mean));
        }
        gauge(out, "alerts.firing".into(), self.firing);
        std::mem::take(&mut self.markers)
    }
}
