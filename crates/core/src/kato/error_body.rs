//! KATO's error bodies, in every shape it sends.
//!
//! KATO registers its custom error handlers too late, so they never apply; errors come in
//! FastAPI/Starlette default shapes plus one from KATO's session middleware:
//!
//! | case | status | body |
//! |---|---|---|
//! | `HTTPException` (unknown session on plain GET, empty learn, metric without data) | 404/400 | `{"detail": "<message>"}` |
//! | body validation | 422 | `{"detail": [{"type","loc","msg","input"}]}` |
//! | unknown path / wrong method | 404/405 | `{"detail": "Not Found"}` / `{"detail": "Method Not Allowed"}` |
//! | `/sessions/{id}/…` or DELETE of a missing session (middleware) | 404 | `{"error": {"code":"SESSION_NOT_FOUND","message","session_id"}}` |
//!
//! plus `{"error": "<message>"}` for the fallback bodies some endpoints send.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The `code` KATO's session middleware uses for a missing or expired session.
pub const SESSION_NOT_FOUND: &str = "SESSION_NOT_FOUND";

/// An error body from KATO.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum KatoErrorBody {
    /// `{"detail": "<message>"}`.
    Detail { detail: String },
    /// `{"detail": [validation items]}` (HTTP 422).
    Validation { detail: Vec<ValidationItem> },
    /// `{"error": {"code", "message", "session_id"}}` (session middleware).
    Coded { error: KatoErrorInfo },
    /// `{"error": "<message>"}`.
    Message { error: String },
}

/// One FastAPI validation problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationItem {
    /// E.g. `"list_type"`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// E.g. `["body", "strings"]` (strings and indexes).
    #[serde(default)]
    pub loc: Vec<Value>,
    /// E.g. `"Input should be a valid list"`.
    #[serde(default)]
    pub msg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
}

impl ValidationItem {
    /// `body.strings: Input should be a valid list`.
    pub fn describe(&self) -> String {
        let loc: Vec<String> = self
            .loc
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        if loc.is_empty() {
            self.msg.clone()
        } else {
            format!("{}: {}", loc.join("."), self.msg)
        }
    }
}

/// The `error` object of the middleware shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KatoErrorInfo {
    /// E.g. [`SESSION_NOT_FOUND`].
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

impl<'de> Deserialize<'de> for KatoErrorBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = Value::deserialize(d)?;
        Self::from_value(&value).map_err(D::Error::custom)
    }
}

impl KatoErrorBody {
    /// Recognises one of the known shapes in an already parsed body.
    pub fn from_value(value: &Value) -> Result<Self, String> {
        let obj = value
            .as_object()
            .ok_or_else(|| "error body is not a JSON object".to_owned())?;
        if let Some(detail) = obj.get("detail") {
            return match detail {
                Value::String(s) => Ok(Self::Detail { detail: s.clone() }),
                Value::Array(_) => serde_json::from_value(detail.clone())
                    .map(|detail| Self::Validation { detail })
                    .map_err(|e| format!("bad validation detail: {e}")),
                other => Err(format!("unexpected `detail`: {other}")),
            };
        }
        match obj.get("error") {
            Some(Value::String(s)) => Ok(Self::Message { error: s.clone() }),
            Some(e @ Value::Object(_)) => serde_json::from_value(e.clone())
                .map(|error| Self::Coded { error })
                .map_err(|e| format!("bad `error` object: {e}")),
            Some(other) => Err(format!("unexpected `error`: {other}")),
            None => Err("neither `detail` nor `error` in error body".to_owned()),
        }
    }

    /// A human-readable message for any shape.
    pub fn message(&self) -> String {
        match self {
            Self::Detail { detail } => detail.clone(),
            Self::Validation { detail } => {
                let parts: Vec<String> = detail.iter().map(ValidationItem::describe).collect();
                if parts.is_empty() {
                    "validation error".to_owned()
                } else {
                    parts.join("; ")
                }
            }
            Self::Coded { error } => error.message.clone(),
            Self::Message { error } => error.clone(),
        }
    }

    /// The middleware `code`, if this is that shape.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Coded { error } => Some(&error.code),
            _ => None,
        }
    }

    /// Missing or expired session, in either the middleware or the `detail` shape.
    pub fn is_session_not_found(&self) -> bool {
        match self {
            Self::Coded { error } => error.code == SESSION_NOT_FOUND,
            Self::Detail { detail } => detail_session_id(detail).is_some(),
            _ => false,
        }
    }

    /// The session id named by a session-not-found body.
    pub fn session_id(&self) -> Option<&str> {
        match self {
            Self::Coded { error } => error.session_id.as_deref(),
            Self::Detail { detail } => detail_session_id(detail),
            _ => None,
        }
    }

    /// `{"detail": "Not Found"}`: the path does not exist (e.g. `/exists` at v1).
    pub fn is_route_not_found(&self) -> bool {
        matches!(self, Self::Detail { detail } if detail == "Not Found")
    }

    /// `{"detail": "Method Not Allowed"}`.
    pub fn is_method_not_allowed(&self) -> bool {
        matches!(self, Self::Detail { detail } if detail == "Method Not Allowed")
    }

    /// `/metrics/{name}` had no points in the window (or the name is unknown).
    pub fn is_metric_without_data(&self) -> bool {
        matches!(self, Self::Detail { detail } if detail.starts_with("No data available for metric"))
    }
}

/// `Session <id> not found or expired` → `<id>`.
fn detail_session_id(detail: &str) -> Option<&str> {
    detail
        .strip_prefix("Session ")?
        .strip_suffix(" not found or expired")
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> KatoErrorBody {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn every_shape_and_its_message() {
        let cases = [
            (
                r#"{"detail": "Cannot learn from empty STM"}"#,
                "Cannot learn from empty STM",
            ),
            (r#"{"detail": "Not Found"}"#, "Not Found"),
            (
                r#"{"detail": [{"type": "list_type", "loc": ["body", "strings"],
                    "msg": "Input should be a valid list", "input": "not-a-list"}]}"#,
                "body.strings: Input should be a valid list",
            ),
            (
                r#"{"detail": [{"type": "t", "loc": ["body", 0], "msg": "a"}, {"msg": "b"}]}"#,
                "body.0: a; b",
            ),
            (
                r#"{"error": {"code": "SESSION_NOT_FOUND", "message": "Session s-1 not found or expired",
                    "session_id": "s-1"}}"#,
                "Session s-1 not found or expired",
            ),
            (
                r#"{"error": "Metrics collection failed: x"}"#,
                "Metrics collection failed: x",
            ),
        ];
        for (json, want) in cases {
            assert_eq!(parse(json).message(), want, "{json}");
        }
    }

    #[test]
    fn classifies_not_found_kinds() {
        let coded = parse(
            r#"{"error": {"code": "SESSION_NOT_FOUND", "message": "m", "session_id": "s-1"}}"#,
        );
        assert!(coded.is_session_not_found());
        assert_eq!(coded.code(), Some(SESSION_NOT_FOUND));
        assert_eq!(coded.session_id(), Some("s-1"));

        let detail = parse(r#"{"detail": "Session session-ab-1 not found or expired"}"#);
        assert!(detail.is_session_not_found() && !detail.is_route_not_found());
        assert_eq!(detail.session_id(), Some("session-ab-1"));

        let route = parse(r#"{"detail": "Not Found"}"#);
        assert!(route.is_route_not_found() && !route.is_session_not_found());
        assert!(parse(r#"{"detail": "Method Not Allowed"}"#).is_method_not_allowed());
        assert!(
            parse(r#"{"detail": "No data available for metric 'x' in the last 10 minutes"}"#)
                .is_metric_without_data()
        );
    }

    #[test]
    fn rejects_unknown_shapes() {
        for bad in [
            r#"[]"#,
            r#"{"message": "x"}"#,
            r#"{"detail": 3}"#,
            r#"{"error": 5}"#,
            r#""x""#,
        ] {
            assert!(serde_json::from_str::<KatoErrorBody>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serializes_back_to_kato_shapes() {
        for json in [
            r#"{"detail":"Not Found"}"#,
            r#"{"detail":[{"type":"list_type","loc":["body","strings"],"msg":"m","input":"x"}]}"#,
            r#"{"error":{"code":"SESSION_NOT_FOUND","message":"m","session_id":"s"}}"#,
            r#"{"error":"boom"}"#,
        ] {
            assert_eq!(serde_json::to_string(&parse(json)).unwrap(), json);
        }
    }
}
