//! KATO's recent restarts and outages (`kato_event`s), newest first, for the Dashboard's timeline. In a fleet
//! each event names its instance (`KatoEventData::instance`), and the Instances page lists one instance's.

use std::collections::VecDeque;

use kato_dashboard_core::{protocol::ServerMsg, topics::KatoEventData};

use crate::format::{self, parse_ts_ms};

/// Events kept.
pub const TIMELINE_CAP: usize = 50;

/// One point on the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEvent {
    /// `kato_restarted`, `kato_unreachable`, `kato_reachable`.
    pub kind: String,
    pub timestamp_ms: f64,
    /// What happened, in words, led by the instance in a fleet (`10.0.0.7:8000 · Unreachable: …`).
    pub text: String,
    /// What happened, without the instance.
    pub what: String,
    /// The fleet instance it is about (`None` for a single KATO).
    pub instance: Option<String>,
    /// `bad`, `warn`, `ok`.
    pub tone: &'static str,
}

/// The timeline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KatoTimeline {
    pub events: VecDeque<TimelineEvent>,
}

impl KatoTimeline {
    /// A `kato_event`; other messages are ignored. Returns whether the timeline changed.
    pub fn apply(&mut self, msg: &ServerMsg, now_ms: f64) -> bool {
        let ServerMsg::KatoEvent {
            event_type,
            timestamp,
            data,
            ..
        } = msg
        else {
            return false;
        };
        let ts = parse_ts_ms(timestamp).unwrap_or(now_ms);
        let instance = data.instance();
        if self.events.iter().any(|e| {
            e.kind == *event_type && e.timestamp_ms == ts && e.instance.as_deref() == instance
        }) {
            return false;
        }
        let (what, tone) = match event_type.as_str() {
            "kato_unreachable" => (
                match data {
                    KatoEventData::Unreachable(u) => format!("Unreachable: {}", u.reason),
                    _ => "Unreachable: no answer".to_string(),
                },
                "bad",
            ),
            "kato_reachable" => ("Reachable again".to_string(), "ok"),
            "kato_restarted" => (
                match data {
                    KatoEventData::Restarted(r) => format!(
                        "Restarted (was up {})",
                        format::duration(r.previous_uptime_seconds)
                    ),
                    _ => "Restarted".to_string(),
                },
                "warn",
            ),
            _ => return false,
        };
        let event = TimelineEvent {
            kind: event_type.clone(),
            timestamp_ms: ts,
            text: match instance {
                Some(i) => format!("{i} · {what}"),
                None => what.clone(),
            },
            what,
            instance: instance.map(str::to_owned),
            tone,
        };
        let at = self
            .events
            .iter()
            .position(|e| e.timestamp_ms < ts)
            .unwrap_or(self.events.len());
        self.events.insert(at, event);
        self.events.truncate(TIMELINE_CAP);
        true
    }

    /// The events about one fleet instance (`None`: a single KATO's, which name none), newest first.
    pub fn of_instance<'a>(
        &'a self,
        instance: Option<&'a str>,
    ) -> impl Iterator<Item = &'a TimelineEvent> + 'a {
        self.events
            .iter()
            .filter(move |e| e.instance.as_deref() == instance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A `kato_event` with the data the server sends for its kind.
    fn ev(kind: &str, ts: &str) -> ServerMsg {
        let data = match kind {
            "kato_restarted" => {
                json!({"previous_uptime_seconds": 61.0, "uptime_seconds": 1.0, "restarts": 1})
            }
            "kato_unreachable" => json!({"reason": "refused"}),
            _ => json!({}),
        };
        serde_json::from_value(
            json!({"type": "kato_event", "event_type": kind, "timestamp": ts, "seq": 1, "data": data}),
        )
        .unwrap()
    }

    fn fleet_ev(kind: &str, ts: &str, data: serde_json::Value) -> ServerMsg {
        serde_json::from_value(
            json!({"type": "kato_event", "event_type": kind, "timestamp": ts, "seq": 1, "data": data}),
        )
        .unwrap()
    }

    #[test]
    fn fleet_events_are_labelled_with_their_instance_and_filtered_by_it() {
        let mut t = KatoTimeline::default();
        let at = "2026-11-22T08:00:00.000Z";
        let down = |i: &str| json!({"reason": "connection refused", "instance": i});
        assert!(t.apply(&fleet_ev("kato_unreachable", at, down("a:8000")), 0.0));
        assert!(
            t.apply(&fleet_ev("kato_unreachable", at, down("b:8000")), 0.0),
            "the same moment on another instance is another event"
        );
        assert!(!t.apply(&fleet_ev("kato_unreachable", at, down("b:8000")), 0.0));
        let back = json!({"instance": "a:8000"});
        assert!(t.apply(
            &fleet_ev("kato_reachable", "2026-11-22T08:00:09.000Z", back),
            0.0
        ));
        let restart = json!({"previous_uptime_seconds": 61.0, "uptime_seconds": 1.0, "restarts": 2,
            "instance": "b:8000"});
        assert!(t.apply(
            &fleet_ev("kato_restarted", "2026-11-22T08:00:05.000Z", restart),
            0.0
        ));
        let texts: Vec<&str> = t.events.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "a:8000 · Reachable again",
                "b:8000 · Restarted (was up 1m 01s)",
                "a:8000 · Unreachable: connection refused",
                "b:8000 · Unreachable: connection refused",
            ]
        );
        let of_a: Vec<&str> = t
            .of_instance(Some("a:8000"))
            .map(|e| e.what.as_str())
            .collect();
        assert_eq!(
            of_a,
            vec!["Reachable again", "Unreachable: connection refused"]
        );
        assert_eq!(
            t.of_instance(None).count(),
            0,
            "a single KATO's view lists none of these"
        );
        assert!(t.apply(&ev("kato_unreachable", "2026-11-22T08:01:00.000Z"), 0.0));
        assert_eq!(
            t.events[0].text, "Unreachable: refused",
            "a single KATO's event is not labelled"
        );
        assert_eq!(t.of_instance(None).count(), 1);
    }

    #[test]
    fn events_are_ordered_newest_first_and_deduplicated() {
        let mut t = KatoTimeline::default();
        assert!(t.apply(&ev("kato_unreachable", "2026-11-22T08:00:00.000Z"), 0.0));
        assert!(t.apply(&ev("kato_restarted", "2026-11-22T08:00:05.000Z"), 0.0));
        assert!(t.apply(&ev("kato_reachable", "2026-11-22T08:00:04.000Z"), 0.0));
        assert!(
            !t.apply(&ev("kato_reachable", "2026-11-22T08:00:04.000Z"), 0.0),
            "replay"
        );
        let kinds: Vec<&str> = t.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            vec!["kato_restarted", "kato_reachable", "kato_unreachable"]
        );
        assert_eq!(t.events[0].text, "Restarted (was up 1m 01s)");
        assert_eq!(t.events[2].tone, "bad");
        let hb: ServerMsg =
            serde_json::from_value(json!({"type": "heartbeat", "timestamp": "x"})).unwrap();
        assert!(!t.apply(&hb, 0.0));
    }
}
