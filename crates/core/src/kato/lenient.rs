//! Lenient serde readers for KATO's loosely typed numbers and nullable fields.
//!
//! KATO (Python) sends the same quantity as `4` in one response and `4.0` in another
//! (`/metrics.sessions.active` vs `/stats.summary.sessions.active`), and from v3.9.1 on it
//! sends `null` where older versions left a key out. These helpers accept every such form so
//! one model reads both API generations. Use them with `#[serde(deserialize_with = ...)]`.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

struct CountVisitor;

impl Visitor<'_> for CountVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a non-negative whole number (int or integral float)")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format!("negative count {v}")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= u64::MAX as f64 {
            Ok(v as u64)
        } else {
            Err(E::custom(format!("not a whole non-negative number: {v}")))
        }
    }
}

/// Reads a count sent as `4` or `4.0`.
pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(CountVisitor)
}

/// Reads an optional count (`null` or absent → `None`; use with `#[serde(default)]`).
pub fn opt_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "count")] u64);
    Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
}

/// Reads `null` as the type's default (an empty map or list, `0`, `false`).
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Reads KATO's `error` field: `null`/absent → `None`, a string → itself, anything else
/// (an object from some future version) → its JSON text. Only a non-null value is an error.
pub fn opt_error<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

/// Reads a `labels` object whose values are strings, tolerating numbers and booleans
/// (`"status": 404` as well as `"status": "404"`) and `null` for the whole map.
pub fn labels<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let raw: Option<BTreeMap<String, Value>> = Option::deserialize(d)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k, s)),
            Value::Null => None,
            other => Some((k, other.to_string())),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct C {
        #[serde(deserialize_with = "count")]
        n: u64,
        #[serde(default, deserialize_with = "opt_count")]
        m: Option<u64>,
    }

    #[test]
    fn counts_accept_ints_and_whole_floats() {
        let ok = [
            (r#"{"n": 4}"#, 4, None),
            (r#"{"n": 4.0, "m": null}"#, 4, None),
            (r#"{"n": 0.0, "m": 48.0}"#, 0, Some(48)),
        ];
        for (json, n, m) in ok {
            assert_eq!(
                serde_json::from_str::<C>(json).unwrap(),
                C { n, m },
                "{json}"
            );
        }
        for bad in [
            r#"{"n": -1}"#,
            r#"{"n": 4.5}"#,
            r#"{"n": "4"}"#,
            r#"{"n": null}"#,
        ] {
            assert!(serde_json::from_str::<C>(bad).is_err(), "{bad}");
        }
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct E {
        #[serde(default, deserialize_with = "opt_error")]
        error: Option<String>,
        #[serde(default, deserialize_with = "null_default")]
        list: Vec<u8>,
        #[serde(default, deserialize_with = "labels")]
        labels: BTreeMap<String, String>,
    }

    #[test]
    fn error_is_only_an_error_when_non_null() {
        let e: E = serde_json::from_str(r#"{"error": null, "list": null}"#).unwrap();
        assert_eq!(e.error, None);
        assert!(e.list.is_empty());
        let e: E = serde_json::from_str(r#"{"error": "boom"}"#).unwrap();
        assert_eq!(e.error.as_deref(), Some("boom"));
        let e: E = serde_json::from_str(r#"{"error": {"code": 1}}"#).unwrap();
        assert_eq!(e.error.as_deref(), Some(r#"{"code":1}"#));
    }

    #[test]
    fn labels_stringify_scalars() {
        let e: E =
            serde_json::from_str(r#"{"labels": {"status": 404, "path": "/x", "gone": null}}"#)
                .unwrap();
        assert_eq!(e.labels.get("status").map(String::as_str), Some("404"));
        assert_eq!(e.labels.get("path").map(String::as_str), Some("/x"));
        assert!(!e.labels.contains_key("gone"));
    }
}
