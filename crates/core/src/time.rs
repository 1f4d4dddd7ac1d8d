//! Time formatting for the dashboard's own wire formats.
//!
//! Every timestamp the dashboard emits is RFC 3339, UTC, with a `Z` suffix and millisecond
//! precision (`2026-11-22T02:51:17.717Z`). Parsing KATO's many timestamp formats lives in
//! [`crate::kato::timestamp`].

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats `dt` as RFC 3339 UTC with millisecond precision and a `Z` suffix.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let dt = Utc.with_ymd_and_hms(2026, 11, 22, 2, 51, 17).unwrap();
/// assert_eq!(kato_dashboard_core::time::rfc3339(dt), "2026-11-22T02:51:17.000Z");
/// ```
pub fn rfc3339(dt: DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Serde adapter that writes a `DateTime<Utc>` with [`rfc3339`] and reads any RFC 3339 string.
///
/// Use as `#[serde(with = "kato_dashboard_core::time::serde_rfc3339")]`.
pub mod serde_rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes with millisecond precision and `Z`.
    pub fn serialize<S: Serializer>(dt: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::rfc3339(*dt))
    }

    /// Deserializes any RFC 3339 timestamp (any offset) into UTC.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|dt| dt.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }

    /// Like [`deserialize`], but a string that is not RFC 3339 (the old dashboard's naive ISO times, e.g.
    /// `2025-10-13T10:25:16.001234`, whose zone is not known) reads as the epoch, which readers show as "not
    /// known", instead of failing the whole record.
    pub fn deserialize_or_epoch<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        Ok(DateTime::parse_from_rfc3339(&s)
            .map_or(DateTime::UNIX_EPOCH, |dt| dt.with_timezone(&Utc)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_with_millis_and_z() {
        let cases = [
            (Utc.timestamp_opt(0, 0).unwrap(), "1970-01-01T00:00:00.000Z"),
            (
                Utc.timestamp_opt(1_795_315_877, 717_145_000).unwrap(),
                "2026-11-22T02:51:17.717Z",
            ),
            // Sub-millisecond digits are truncated, never rounded up into the next second.
            (
                Utc.timestamp_opt(1_795_315_877, 999_999_999).unwrap(),
                "2026-11-22T02:51:17.999Z",
            ),
        ];
        for (dt, want) in cases {
            assert_eq!(rfc3339(dt), want);
        }
    }

    #[test]
    fn serde_adapter_round_trips() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct T {
            #[serde(with = "serde_rfc3339")]
            at: DateTime<Utc>,
        }
        let t = T {
            at: Utc.timestamp_opt(1_795_315_877, 717_000_000).unwrap(),
        };
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"at":"2026-11-22T02:51:17.717Z"}"#);
        assert_eq!(serde_json::from_str::<T>(&json).unwrap(), t);
        let offset: T = serde_json::from_str(r#"{"at":"2026-11-22T03:51:17.717+01:00"}"#).unwrap();
        assert_eq!(offset, t);
    }
}
