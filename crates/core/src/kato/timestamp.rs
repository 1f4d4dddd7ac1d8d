//! KATO timestamps in all the forms KATO sends, turned into `DateTime<Utc>`.
//!
//! KATO mixes four formats, sometimes within one response:
//! * RFC 3339 with `Z` (pydantic, e.g. SessionResponse `created_at`),
//! * RFC 3339 with `+00:00` (`datetime.now(timezone.utc).isoformat()`, most bodies and events),
//! * naive ISO-8601 without any offset (`datetime.now().isoformat()`, the WebSocket
//!   `state.snapshot`): it is the KATO host's local time, which is UTC in KATO's Docker
//!   image, so it is read as UTC,
//! * epoch seconds as a float (`time.time()`, e.g. `/metrics.timestamp`, `last_collection`).
//!
//! The serde adapters here read any of them and write RFC 3339 UTC with `Z`, keeping every
//! sub-second digit so a value survives a round trip.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serializer};
use std::fmt;

/// Parses a KATO timestamp string: RFC 3339 with any offset, or naive ISO-8601 (read as UTC).
///
/// Also accepts a space instead of `T`, and a string holding epoch seconds.
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    // Every string form is RFC 3339 once the date and time are joined by `T` and a naive time gets `Z`: one
    // parser (chrono's RFC 3339 one, not its general format parser, which would double the web app's share).
    let iso = match s.as_bytes().get(10) {
        Some(b' ') => format!("{}T{}", &s[..10], &s[11..]),
        _ => s.to_owned(),
    };
    if let Ok(dt) = DateTime::parse_from_rfc3339(&iso) {
        return Some(dt.with_timezone(&Utc));
    }
    if iso.as_bytes().get(10) == Some(&b'T')
        && let Ok(dt) = DateTime::parse_from_rfc3339(&format!("{iso}Z"))
    {
        return Some(dt.with_timezone(&Utc));
    }
    s.parse::<f64>().ok().and_then(from_epoch_seconds)
}

/// Converts epoch seconds (as KATO's `time.time()` floats) into a UTC timestamp.
///
/// Returns `None` for NaN, infinities and values outside chrono's range. Precision is kept
/// to the microsecond, which is what Python's float clock carries.
pub fn from_epoch_seconds(secs: f64) -> Option<DateTime<Utc>> {
    if !secs.is_finite() {
        return None;
    }
    let whole = secs.floor();
    // i64 seconds far beyond chrono's range are rejected by `from_timestamp` below.
    if whole.abs() > 1e15 {
        return None;
    }
    // Split before scaling: `secs * 1e6` would lose the sub-microsecond digits that decide
    // the rounding.
    let micros = ((secs - whole) * 1_000_000.0).round() as i64;
    let (extra_secs, micros) = (micros / 1_000_000, micros % 1_000_000);
    DateTime::from_timestamp(whole as i64 + extra_secs, (micros * 1000) as u32)
}

/// Writes a timestamp the way every model in this crate serializes it: RFC 3339, `Z`,
/// all significant sub-second digits.
pub fn format_timestamp(dt: &DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

struct TimestampVisitor;

impl<'de> Visitor<'de> for TimestampVisitor {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a KATO timestamp (ISO-8601 string or epoch seconds)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        parse_timestamp(v).ok_or_else(|| E::custom(format!("unrecognised timestamp {v:?}")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        from_epoch_seconds(v).ok_or_else(|| E::custom(format!("epoch seconds out of range: {v}")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        DateTime::from_timestamp(v, 0)
            .ok_or_else(|| E::custom(format!("epoch seconds out of range: {v}")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        let secs = i64::try_from(v).map_err(|_| E::custom("epoch seconds out of range"))?;
        self.visit_i64(secs)
    }
}

/// Serde adapter for a required KATO timestamp: `#[serde(with = "timestamp::required")]`.
pub mod required {
    use super::*;

    /// Writes RFC 3339 with `Z`.
    pub fn serialize<S: Serializer>(dt: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_timestamp(dt))
    }

    /// Reads any KATO timestamp format.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        d.deserialize_any(TimestampVisitor)
    }
}

/// Serde adapter for an optional KATO timestamp (absent or `null` → `None`).
///
/// Use with `#[serde(default, with = "timestamp::optional")]`.
pub mod optional {
    use super::*;

    /// Writes RFC 3339 with `Z`, or `null`.
    pub fn serialize<S: Serializer>(dt: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match dt {
            Some(dt) => s.serialize_str(&format_timestamp(dt)),
            None => s.serialize_none(),
        }
    }

    /// Reads any KATO timestamp format or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "super::required")] DateTime<Utc>);
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(secs: i64, micros: u32) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, micros * 1000).unwrap()
    }

    #[test]
    fn parses_every_kato_format() {
        // 2026-11-22T02:51:17.717145 UTC
        let want = utc(1_795_315_877, 717_145);
        let cases = [
            "2026-11-22T02:51:17.717145", // state.snapshot: naive local (UTC in Docker)
            "2026-11-22T02:51:17.717145+00:00", // events and most bodies
            "2026-11-22T02:51:17.717145Z", // pydantic SessionResponse
            "2026-11-22T03:51:17.717145+01:00", // any other offset is normalised
            "2026-11-22 02:51:17.717145", // str(datetime)
            "2026-11-22 02:51:17.717145+00:00",
            " 2026-11-22T02:51:17.717145Z ",
            "1795315877.717145", // epoch seconds as a string
        ];
        for s in cases {
            assert_eq!(parse_timestamp(s), Some(want), "{s}");
        }
        assert_eq!(
            parse_timestamp("2026-11-22T02:51:17"),
            Some(utc(1_795_315_877, 0))
        );
    }

    #[test]
    fn rejects_garbage() {
        for s in ["", "yesterday", "2026-13-01T00:00:00", "NaN", "inf"] {
            assert_eq!(parse_timestamp(s), None, "{s:?}");
        }
        assert_eq!(from_epoch_seconds(f64::NAN), None);
        assert_eq!(from_epoch_seconds(f64::INFINITY), None);
        assert_eq!(from_epoch_seconds(1e300), None);
    }

    #[test]
    fn epoch_floats_keep_microseconds() {
        assert_eq!(
            from_epoch_seconds(1_795_315_874.107_714_4),
            Some(utc(1_795_315_874, 107_714))
        );
        assert_eq!(from_epoch_seconds(0.0), Some(utc(0, 0)));
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Sample {
        #[serde(with = "required")]
        at: DateTime<Utc>,
        #[serde(default, with = "optional")]
        maybe: Option<DateTime<Utc>>,
    }

    #[test]
    fn serde_reads_strings_floats_ints_and_null() {
        let cases = [
            (r#"{"at": 1795315877.5}"#, utc(1_795_315_877, 500_000), None),
            (
                r#"{"at": 1795315877, "maybe": null}"#,
                utc(1_795_315_877, 0),
                None,
            ),
            (
                r#"{"at": "2026-11-22T02:51:17.5", "maybe": "2026-11-22T02:51:17+00:00"}"#,
                utc(1_795_315_877, 500_000),
                Some(utc(1_795_315_877, 0)),
            ),
        ];
        for (json, at, maybe) in cases {
            let s: Sample = serde_json::from_str(json).unwrap();
            assert_eq!(s, Sample { at, maybe }, "{json}");
        }
        assert!(serde_json::from_str::<Sample>(r#"{"at": "soon"}"#).is_err());
        assert!(serde_json::from_str::<Sample>(r#"{"at": true}"#).is_err());
    }

    #[test]
    fn serde_writes_z_and_round_trips() {
        let s = Sample {
            at: utc(1_795_315_877, 717_145),
            maybe: None,
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"at":"2026-11-22T02:51:17.717145Z","maybe":null}"#);
        assert_eq!(serde_json::from_str::<Sample>(&json).unwrap(), s);
    }
}
