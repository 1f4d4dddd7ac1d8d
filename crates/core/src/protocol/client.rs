//! Client frames: what a client may send, and the parser that turns a text frame into a [`ClientMsg`] or says why
//! not.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a client may send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMsg {
    /// Text `ping` or `{"type":"ping"}`: answered with `heartbeat`.
    Ping,
    /// Replace the subscription set (unknown names are reported in the ack, not stored).
    Subscribe(Vec<String>),
    /// Remove topics from the set.
    Unsubscribe(Vec<String>),
    /// Replay every event after these sequence numbers (topic name → last seen `seq`).
    Resume(BTreeMap<String, u64>),
    /// Opt into protocol extensions.
    Features {
        /// Send `realtime_update` as patches against what this client already has.
        deltas: bool,
    },
}

/// Why a frame was rejected. The socket stays usable; the server answers with an `error` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not valid JSON (and not the text `ping`).
    NotJson,
    /// Valid JSON, but not an object.
    NotObject,
    /// No string `type` field.
    MissingType,
    /// A `type` this server does not know.
    UnknownType,
    /// A field has the wrong type or value.
    InvalidField,
    /// Binary frames are not part of the protocol.
    Binary,
    /// Too large; the socket is closed with 1009 after this.
    TooLarge,
    /// Too many bad frames in a row; the socket is closed with 1008 after this.
    Abuse,
}

/// A rejected client frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProtocolError {
    /// Machine-readable cause.
    pub code: ErrorCode,
    /// Human-readable cause.
    pub message: String,
}

impl ProtocolError {
    /// A new error.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Parses one text frame.
pub fn parse_client_frame(text: &str) -> Result<ClientMsg, ProtocolError> {
    if text.trim() == "ping" {
        return Ok(ClientMsg::Ping);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        ProtocolError::new(
            ErrorCode::NotJson,
            format!("frame is not JSON ({e}); send an object with a \"type\""),
        )
    })?;
    let Value::Object(obj) = value else {
        return Err(ProtocolError::new(
            ErrorCode::NotObject,
            format!("expected a JSON object, got {}", kind(&value)),
        ));
    };
    let Some(kind_field) = obj.get("type") else {
        return Err(ProtocolError::new(
            ErrorCode::MissingType,
            "the object has no \"type\" field",
        ));
    };
    let Some(ty) = kind_field.as_str() else {
        return Err(ProtocolError::new(
            ErrorCode::MissingType,
            format!("\"type\" must be a string, got {}", kind(kind_field)),
        ));
    };
    match ty {
        "ping" => Ok(ClientMsg::Ping),
        "subscribe" => topic_list(&obj, "subscriptions").map(ClientMsg::Subscribe),
        "unsubscribe" => topic_list(&obj, "subscriptions").map(ClientMsg::Unsubscribe),
        "resume" => resume(&obj),
        "features" => match obj.get("deltas") {
            None => Ok(ClientMsg::Features { deltas: false }),
            Some(Value::Bool(b)) => Ok(ClientMsg::Features { deltas: *b }),
            Some(other) => Err(invalid("deltas", "a boolean", other)),
        },
        other => Err(ProtocolError::new(
            ErrorCode::UnknownType,
            format!(
                "unknown message type \"{}\"; known: ping, subscribe, unsubscribe, resume, features",
                truncate(other, 40)
            ),
        )),
    }
}

fn topic_list(obj: &Map<String, Value>, field: &str) -> Result<Vec<String>, ProtocolError> {
    let Some(value) = obj.get(field) else {
        return Err(ProtocolError::new(
            ErrorCode::InvalidField,
            format!("\"{field}\" is missing; send a list of topic names"),
        ));
    };
    let Value::Array(items) = value else {
        return Err(invalid(field, "a list of topic names", value));
    };
    if items.len() > 64 {
        return Err(ProtocolError::new(
            ErrorCode::InvalidField,
            format!("\"{field}\" has {} entries; at most 64", items.len()),
        ));
    }
    items
        .iter()
        .map(|v| {
            v.as_str()
                .map(|s| truncate(s, 64))
                .ok_or_else(|| invalid(field, "a list of strings", v))
        })
        .collect()
}

fn resume(obj: &Map<String, Value>) -> Result<ClientMsg, ProtocolError> {
    let Some(value) = obj.get("last_seq") else {
        return Err(ProtocolError::new(
            ErrorCode::InvalidField,
            "\"last_seq\" is missing; send {\"topic\": seq, …}",
        ));
    };
    let Value::Object(map) = value else {
        return Err(invalid(
            "last_seq",
            "an object of topic → sequence number",
            value,
        ));
    };
    let mut out = BTreeMap::new();
    for (topic, seq) in map.iter().take(16) {
        let seq = seq.as_u64().ok_or_else(|| {
            invalid(
                &format!("last_seq.{}", truncate(topic, 32)),
                "a non-negative integer",
                seq,
            )
        })?;
        out.insert(truncate(topic, 64), seq);
    }
    Ok(ClientMsg::Resume(out))
}

fn invalid(field: &str, expected: &str, got: &Value) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::InvalidField,
        format!("\"{field}\" must be {expected}, got {}", kind(got)),
    )
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_parse_or_say_why() {
        let ok = [
            ("ping", ClientMsg::Ping),
            (r#"{"type":"ping"}"#, ClientMsg::Ping),
            (
                r#"{"type":"subscribe","subscriptions":["metrics","nope"]}"#,
                ClientMsg::Subscribe(vec!["metrics".into(), "nope".into()]),
            ),
            (
                r#"{"type":"subscribe","subscriptions":[]}"#,
                ClientMsg::Subscribe(vec![]),
            ),
            (
                r#"{"type":"unsubscribe","subscriptions":["metrics"]}"#,
                ClientMsg::Unsubscribe(vec!["metrics".into()]),
            ),
            (
                r#"{"type":"resume","last_seq":{"session_events":4}}"#,
                ClientMsg::Resume([("session_events".to_string(), 4)].into()),
            ),
            (
                r#"{"type":"features","deltas":true}"#,
                ClientMsg::Features { deltas: true },
            ),
        ];
        for (frame, expected) in ok {
            assert_eq!(parse_client_frame(frame), Ok(expected), "{frame}");
        }
        let bad = [
            ("hello", ErrorCode::NotJson),
            ("PING", ErrorCode::NotJson),
            ("[1,2]", ErrorCode::NotObject),
            ("\"x\"", ErrorCode::NotObject),
            ("null", ErrorCode::NotObject),
            ("{}", ErrorCode::MissingType),
            (r#"{"type":5}"#, ErrorCode::MissingType),
            (r#"{"type":"dance"}"#, ErrorCode::UnknownType),
            (r#"{"type":"subscribe"}"#, ErrorCode::InvalidField),
            (
                r#"{"type":"subscribe","subscriptions":5}"#,
                ErrorCode::InvalidField,
            ),
            (
                r#"{"type":"subscribe","subscriptions":"metrics"}"#,
                ErrorCode::InvalidField,
            ),
            (
                r#"{"type":"subscribe","subscriptions":[1]}"#,
                ErrorCode::InvalidField,
            ),
            (
                r#"{"type":"resume","last_seq":{"session_events":-1}}"#,
                ErrorCode::InvalidField,
            ),
            (
                r#"{"type":"resume","last_seq":[]}"#,
                ErrorCode::InvalidField,
            ),
            (
                r#"{"type":"features","deltas":"yes"}"#,
                ErrorCode::InvalidField,
            ),
        ];
        for (frame, code) in bad {
            let err = parse_client_frame(frame).unwrap_err();
            assert_eq!(err.code, code, "{frame}: {}", err.message);
            assert!(!err.message.is_empty());
        }
    }
}
