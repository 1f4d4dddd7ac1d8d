//! Reconnect delays: exponential backoff with full jitter, as a pure function.
//!
//! `delay = uniform(0, min(cap, base · 2^attempt))` (the "full jitter" of the AWS
//! architecture blog): many dashboards reconnecting to a restarted KATO spread out instead of
//! arriving together. The random source is a parameter so tests can pin it.

use std::time::Duration;

/// Exponential backoff with full jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Ceiling of the first retry (default 250 ms).
    pub base: Duration,
    /// Largest ceiling (default 30 s).
    pub cap: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(250),
            cap: Duration::from_secs(30),
        }
    }
}

impl BackoffPolicy {
    /// `min(cap, base · 2^attempt)`, without overflow for any `attempt`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.checked_pow(attempt).unwrap_or(u32::MAX);
        self.base
            .checked_mul(factor)
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// The delay before retry number `attempt` (0-based), given `unit`, a random number in
    /// `[0, 1)`; values outside are clamped (NaN counts as 0).
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let unit = if unit.is_nan() {
            0.0
        } else {
            unit.clamp(0.0, 1.0)
        };
        self.ceiling(attempt).mul_f64(unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn ceiling_doubles_then_caps() {
        let p = BackoffPolicy::default();
        let cases = [
            (0, MS(250)),
            (1, MS(500)),
            (2, MS(1000)),
            (6, MS(16_000)),
            (7, MS(30_000)), // 32 s capped
            (31, MS(30_000)),
            (32, MS(30_000)), // 2^32 overflows u32
            (u32::MAX, MS(30_000)),
        ];
        for (attempt, want) in cases {
            assert_eq!(p.ceiling(attempt), want, "attempt {attempt}");
        }
    }

    #[test]
    fn full_jitter_spans_zero_to_ceiling() {
        let p = BackoffPolicy::default();
        let cases = [
            (0, 0.0, MS(0)),
            (0, 0.5, MS(125)),
            (2, 0.25, MS(250)),
            (3, 0.75, MS(1500)),
            (10, 0.5, MS(15_000)),
            (10, 1.0, MS(30_000)),
            (10, 7.0, MS(30_000)), // clamped
            (10, -1.0, MS(0)),
            (10, f64::NAN, MS(0)),
        ];
        for (attempt, unit, want) in cases {
            assert_eq!(
                p.delay(attempt, unit),
                want,
                "attempt {attempt}, unit {unit}"
            );
        }
    }

    #[test]
    fn custom_policy_and_huge_base() {
        let p = BackoffPolicy {
            base: MS(10),
            cap: MS(50),
        };
        assert_eq!(p.ceiling(2), MS(40));
        assert_eq!(p.ceiling(3), MS(50));
        let huge = BackoffPolicy {
            base: Duration::MAX,
            cap: Duration::from_secs(5),
        };
        assert_eq!(huge.ceiling(1), Duration::from_secs(5));
    }
}
