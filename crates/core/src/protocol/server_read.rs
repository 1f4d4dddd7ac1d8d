//! Reads a [`ServerMsg`] from the parsed frame, field by field.
//!
//! Written out instead of derived: serde's reader of an internally tagged enum buffers the frame into its own
//! content tree and instantiates every variant's fields over it, 32 KB of the web app's WASM for what is ten
//! small objects. The rules are serde's: a field marked `default` may be missing, any field present must have the
//! right type, an unknown `type` reads as [`ServerMsg::Unknown`]. Every variant is checked by writing it with the
//! derived `Serialize` and reading it back (tests below), so a field renamed on one side fails a test.

use serde::de::{DeserializeOwned, Error as _};
use serde_json::{Error, Map, Value};

use super::messages::ServerMsg;
use crate::topics::{KatoEventData, from_object};

/// The fields of one frame, taken out as they are read.
struct Fields(Map<String, Value>);

impl Fields {
    /// A field that must be there.
    fn req<T: DeserializeOwned>(&mut self, key: &'static str) -> Result<T, Error> {
        match self.0.remove(key) {
            Some(v) => read(key, v),
            None => Err(Error::custom(format_args!("missing field `{key}`"))),
        }
    }

    /// A field that may be missing (then its default).
    fn opt<T: DeserializeOwned + Default>(&mut self, key: &'static str) -> Result<T, Error> {
        self.0
            .remove(key)
            .map_or_else(|| Ok(T::default()), |v| read(key, v))
    }

    /// A missing or typed object payload, read through [`from_object`].
    fn payload<T: DeserializeOwned + Default>(&mut self, key: &'static str) -> Result<T, Error> {
        match self.0.remove(key) {
            None => Ok(T::default()),
            Some(v) => from_object(&v).map_err(|e| in_field(key, e)),
        }
    }

    /// A missing or JSON object field, kept as it came.
    fn map(&mut self, key: &'static str) -> Result<Map<String, Value>, Error> {
        match self.0.remove(key) {
            None => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m),
            Some(_) => Err(in_field(key, Error::custom("expected a JSON object"))),
        }
    }
}

fn read<T: DeserializeOwned>(key: &'static str, v: Value) -> Result<T, Error> {
    T::deserialize(v).map_err(|e| in_field(key, e))
}

fn in_field(key: &str, e: Error) -> Error {
    Error::custom(format_args!("field `{key}`: {e}"))
}

impl ServerMsg {
    /// Reads a frame already parsed to JSON (what the web app does with every frame).
    pub fn from_value(value: Value) -> Result<Self, Error> {
        let Value::Object(mut map) = value else {
            return Err(Error::custom("expected a JSON object"));
        };
        let kind = match map.remove("type") {
            Some(Value::String(s)) => s,
            Some(_) => return Err(Error::custom("field `type`: expected a string")),
            None => return Err(Error::custom("missing field `type`")),
        };
        let mut f = Fields(map);
        Ok(match kind.as_str() {
            "realtime_update" => ServerMsg::RealtimeUpdate {
                timestamp: f.req("timestamp")?,
                tick: f.opt("tick")?,
                data: f.map("data")?,
                patch: f.map("patch")?,
            },
            "session_event" => ServerMsg::SessionEvent {
                event_type: f.req("event_type")?,
                timestamp: f.req("timestamp")?,
                seq: f.opt("seq")?,
                data: f.payload("data")?,
            },
            "system_alert" => ServerMsg::SystemAlert {
                id: f.opt("id")?,
                timestamp: f.req("timestamp")?,
                seq: f.opt("seq")?,
                snapshot: f.opt("snapshot")?,
                alerts: match f.0.remove("alerts") {
                    None => Vec::new(),
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(from_object)
                        .collect::<Result<_, _>>()
                        .map_err(|e| in_field("alerts", e))?,
                    Some(_) => return Err(in_field("alerts", Error::custom("expected an array"))),
                },
            },
            "alert_update" => ServerMsg::AlertUpdate {
                action: f.req("action")?,
                timestamp: f.req("timestamp")?,
                seq: f.opt("seq")?,
                data: f.0.remove("data").unwrap_or_default(),
            },
            "kato_event" => ServerMsg::KatoEvent {
                event_type: f.req("event_type")?,
                timestamp: f.req("timestamp")?,
                seq: f.opt("seq")?,
                data: f
                    .0
                    .remove("data")
                    .map(|v| KatoEventData::from_value(&v))
                    .unwrap_or_default(),
            },
            "heartbeat" => ServerMsg::Heartbeat {
                timestamp: f.req("timestamp")?,
            },
            "subscribed" => ServerMsg::Subscribed {
                subscriptions: f.req("subscriptions")?,
                unknown: f.opt("unknown")?,
            },
            "features" => ServerMsg::Features {
                deltas: f.req("deltas")?,
            },
            "error" => ServerMsg::Error {
                code: f.req("code")?,
                message: f.req("message")?,
            },
            "resync" => ServerMsg::Resync {
                topic: f.req("topic")?,
                reason: f.req("reason")?,
                from_seq: f.req("from_seq")?,
            },
            _ => ServerMsg::Unknown,
        })
    }
}

impl<'de> serde::Deserialize<'de> for ServerMsg {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::from_value(Value::deserialize(d)?).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{
        protocol::ErrorCode,
        topics::{AlertItem, KatoRestart, SessionEventData},
    };

    /// One of every variant, with every field set away from its default.
    fn every_variant() -> Vec<ServerMsg> {
        let ts = || "2026-12-07T09:00:00.000Z".to_owned();
        vec![
            ServerMsg::RealtimeUpdate {
                timestamp: ts(),
                tick: 7,
                data: Map::from_iter([("metrics".to_owned(), json!({"a": 1}))]),
                patch: Map::from_iter([("sessions".to_owned(), json!([{"op": "x"}]))]),
            },
            ServerMsg::SessionEvent {
                event_type: "session_created".into(),
                timestamp: ts(),
                seq: 3,
                data: SessionEventData {
                    current_count: 2,
                    session_id: "s1".into(),
                    ..Default::default()
                },
            },
            ServerMsg::SystemAlert {
                id: "a".into(),
                timestamp: ts(),
                seq: 4,
                snapshot: true,
                alerts: vec![AlertItem {
                    rule: "high_cpu".into(),
                    value: Some(91.0),
                    ..Default::default()
                }],
            },
            ServerMsg::AlertUpdate {
                action: "read".into(),
                timestamp: ts(),
                seq: 5,
                data: json!({"ids": [1]}),
            },
            ServerMsg::KatoEvent {
                event_type: "kato_restarted".into(),
                timestamp: ts(),
                seq: 6,
                data: KatoEventData::Restarted(KatoRestart {
                    previous_uptime_seconds: 12.5,
                    uptime_seconds: 1.0,
                    restarts: 1,
                    instance: None,
                }),
            },
            ServerMsg::Heartbeat { timestamp: ts() },
            ServerMsg::Subscribed {
                subscriptions: vec!["metrics".into()],
                unknown: vec!["x".into()],
            },
            ServerMsg::Features { deltas: true },
            ServerMsg::Error {
                code: ErrorCode::InvalidField,
                message: "m".into(),
            },
            ServerMsg::Resync {
                topic: "kato_events".into(),
                reason: "gap".into(),
                from_seq: 9,
            },
        ]
    }

    #[test]
    fn every_variant_reads_back_what_serialize_wrote() {
        for msg in every_variant() {
            let text = serde_json::to_string(&msg).unwrap();
            assert_eq!(
                serde_json::from_str::<ServerMsg>(&text).unwrap(),
                msg,
                "{text}"
            );
        }
    }

    #[test]
    fn every_field_the_writer_writes_is_one_the_reader_reads() {
        // A field renamed (or added) on the writing side only: the reader would leave it in the map unread.
        for msg in every_variant() {
            let Value::Object(mut map) = serde_json::to_value(&msg).unwrap() else {
                unreachable!()
            };
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys.iter().filter(|k| *k != "type") {
                let mut without = map.clone();
                without.remove(key);
                let read = ServerMsg::from_value(Value::Object(without));
                assert_ne!(
                    read.ok().as_ref(),
                    Some(&msg),
                    "`{key}` of {msg:?} is not read"
                );
            }
            map.insert("type".into(), json!("hologram"));
            assert_eq!(
                ServerMsg::from_value(Value::Object(map)).unwrap(),
                ServerMsg::Unknown
            );
        }
    }

    #[test]
    fn wrong_and_missing_fields_are_errors_that_name_the_field() {
        let err = |v: Value| ServerMsg::from_value(v).unwrap_err().to_string();
        assert_eq!(
            err(json!({"type": "heartbeat"})),
            "missing field `timestamp`"
        );
        assert!(
            err(json!({"type": "features", "deltas": "yes"}))
                .starts_with("field `deltas`: invalid type")
        );
        assert_eq!(err(json!({"timestamp": "t"})), "missing field `type`");
        assert_eq!(err(json!([1])), "expected a JSON object");
        let alerts = err(json!({"type": "system_alert", "timestamp": "t", "alerts": [1]}));
        assert_eq!(alerts, "field `alerts`: expected a JSON object");
        let data = err(json!({"type": "realtime_update", "timestamp": "t", "data": 1}));
        assert_eq!(data, "field `data`: expected a JSON object");
    }
}
