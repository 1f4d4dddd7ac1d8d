//! Redis replies and bytes as JSON: text when the bytes are UTF-8, else `{"$base64": "…"}`.

use base64::{Engine, engine::general_purpose::STANDARD};
use redis::Value as R;
use serde_json::{Map, Value, json};

/// Bytes as a JSON string, or `{"$base64": …}` when they are not UTF-8.
pub fn bytes_json(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(s) => Value::String(s.to_owned()),
        Err(_) => json!({ "$base64": STANDARD.encode(bytes) }),
    }
}

/// A map key: text, or `base64:<…>` for non-UTF-8 bytes.
pub fn bytes_key(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => format!("base64:{}", STANDARD.encode(bytes)),
    }
}

/// Any reply as JSON (for XINFO and the like).
pub fn reply_json(value: &R) -> Value {
    match value {
        R::Nil => Value::Null,
        R::Int(i) => json!(i),
        R::BulkString(b) => bytes_json(b),
        R::SimpleString(s) => json!(s),
        R::Okay => json!("OK"),
        R::Double(d) => json!(d),
        R::Boolean(b) => json!(b),
        R::VerbatimString { text, .. } => json!(text),
        R::Array(items) | R::Set(items) => Value::Array(items.iter().map(reply_json).collect()),
        R::Map(pairs) => Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (reply_text(k), reply_json(v)))
                .collect::<Map<_, _>>(),
        ),
        R::Attribute { data, .. } => reply_json(data),
        other => json!(format!("{other:?}")),
    }
}

/// A reply used as a name.
pub fn reply_text(value: &R) -> String {
    match value {
        R::BulkString(b) => bytes_key(b),
        R::SimpleString(s) => s.clone(),
        other => reply_json(other).to_string(),
    }
}

/// A flat `[k1, v1, k2, v2, …]` reply (RESP2 maps) as a JSON object.
pub fn pairs_json(value: &R) -> Value {
    match value {
        R::Array(items) => Value::Object(
            items
                .chunks(2)
                .filter_map(|p| match p {
                    [k, v] => Some((reply_text(k), reply_json(v))),
                    _ => None,
                })
                .collect(),
        ),
        other => reply_json(other),
    }
}
