//! Lenient readers over `serde_json::Value`: the topics carry KATO's and Docker's JSON as the upstream sent it
//! (two KATO generations, `null` optional fields, old and new container shapes), so the views read fields by path
//! and treat anything missing or mistyped as "not known" instead of failing the whole message.

use chrono::DateTime;
use kato_dashboard_core::{source::SourceState, time::rfc3339};
use serde_json::Value;

/// The value at a `/`-free dotted path (`"performance.average_response_time"`).
pub fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(v, |cur, key| cur.get(key))
        .filter(|v| !v.is_null())
}

/// A number at `path` (numbers only; strings are not guessed at).
pub fn num(v: &Value, path: &str) -> Option<f64> {
    at(v, path)
        .and_then(Value::as_f64)
        .filter(|f| f.is_finite())
}

/// A string at `path`.
pub fn text(v: &Value, path: &str) -> Option<String> {
    at(v, path).and_then(Value::as_str).map(str::to_owned)
}

/// A boolean at `path`.
pub fn flag(v: &Value, path: &str) -> Option<bool> {
    at(v, path).and_then(Value::as_bool)
}

/// A `SourceState` (`{"state":"ok"}` / `{"state":"unavailable","reason","since"}` / `{"state":"off","reason"}`)
/// at `path`.
pub fn source(v: &Value, path: &str) -> Option<Availability> {
    let s = at(v, path)?;
    match s.get("state").and_then(Value::as_str)? {
        "ok" => Some(Availability::Ok),
        "off" => Some(Availability::Off {
            reason: text(s, "reason").unwrap_or_else(|| "switched off".into()),
        }),
        _ => Some(Availability::Unavailable {
            reason: text(s, "reason").unwrap_or_else(|| "no reason given".into()),
            since: text(s, "since"),
        }),
    }
}

/// An upstream's availability as the views show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// Data flows.
    Ok,
    /// No data: why, and since when (RFC 3339).
    Unavailable {
        /// The cause as the server reported it.
        reason: String,
        /// Start of the outage.
        since: Option<String>,
    },
    /// Switched off on the server: no data, and none expected (not an outage).
    Off {
        /// What switched it off.
        reason: String,
    },
}

impl From<&SourceState> for Availability {
    fn from(s: &SourceState) -> Self {
        match s {
            SourceState::Ok => Availability::Ok,
            SourceState::Unavailable { reason, since } => Availability::Unavailable {
                reason: reason.clone(),
                since: (*since != DateTime::UNIX_EPOCH).then(|| rfc3339(*since)),
            },
            SourceState::Off { reason } => Availability::Off {
                reason: reason.clone(),
            },
        }
    }
}

impl Availability {
    /// Whether data flows.
    pub fn is_ok(&self) -> bool {
        matches!(self, Availability::Ok)
    }

    /// The reason, when unavailable or off.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Availability::Ok => None,
            Availability::Unavailable { reason, .. } | Availability::Off { reason } => Some(reason),
        }
    }

    /// Whether the server switched this source off (as opposed to an outage).
    pub fn is_off(&self) -> bool {
        matches!(self, Availability::Off { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_skip_nulls_and_wrong_types() {
        let v = json!({"a":{"b":2.5,"c":null,"s":"x","t":true},"src":{"state":"unavailable","reason":"refused"}});
        assert_eq!(num(&v, "a.b"), Some(2.5));
        assert_eq!(num(&v, "a.c"), None);
        assert_eq!(num(&v, "a.s"), None);
        assert_eq!(text(&v, "a.s").as_deref(), Some("x"));
        assert_eq!(flag(&v, "a.t"), Some(true));
        assert_eq!(at(&v, "a.zz.y"), None);
        let src = source(&v, "src").unwrap();
        assert_eq!(src.reason(), Some("refused"));
        assert!(source(&json!({"s":{"state":"ok"}}), "s").unwrap().is_ok());
        assert_eq!(source(&v, "nope"), None);
    }
}
