//! Retry delays: exponential backoff with a cap and jitter, as pure arithmetic.
//!
//! The one backoff of the dashboard, used by the KATO event listener (`crates/kato`), the alert webhook (server)
//! and the web app's socket (`frontend`, wasm32). The ceiling of retry `n` (0-based) is `min(cap, base · 2^n)`;
//! the delay is a random point below it ([`Jitter`]), so many clients retrying against a restarted upstream
//! spread out instead of arriving together (the AWS architecture blog's "exponential backoff and jitter").
//!
//! No clock, no I/O, no random source of its own: the caller passes a number in `[0, 1)` (`rand::random`,
//! `Math.random`), so tests pin it, and the module builds for `wasm32-unknown-unknown`.

use std::time::Duration;

/// How a delay is drawn below the ceiling, with the caller's random `unit` in `[0, 1)` (values outside are
/// clamped; NaN counts as 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Jitter {
    /// Uniform in `[0, ceiling)`: spreads retries the most ("full jitter").
    Full(f64),
    /// Uniform in `[ceiling / 2, ceiling)`: never much shorter than the ceiling ("equal jitter").
    Equal(f64),
}

impl Jitter {
    /// The fraction of the ceiling to wait, in `[0, 1]`.
    fn factor(self) -> f64 {
        let unit = |u: f64| if u.is_nan() { 0.0 } else { u.clamp(0.0, 1.0) };
        match self {
            Jitter::Full(u) => unit(u),
            Jitter::Equal(u) => 0.5 + unit(u) / 2.0,
        }
    }
}

/// Exponential backoff with a cap: `min(cap, base · 2^attempt)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Ceiling of the first retry (default 250 ms).
    pub base: Duration,
    /// Largest ceiling (default 30 s).
    pub cap: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self::new(Duration::from_millis(250), Duration::from_secs(30))
    }
}

impl BackoffPolicy {
    /// A policy doubling from `base` up to `cap`.
    pub const fn new(base: Duration, cap: Duration) -> Self {
        Self { base, cap }
    }

    /// `min(cap, base · 2^attempt)`, without overflow for any `attempt`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.checked_pow(attempt).unwrap_or(u32::MAX);
        self.base
            .checked_mul(factor)
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// The delay before retry number `attempt` (0-based).
    pub fn delay(&self, attempt: u32, jitter: Jitter) -> Duration {
        self.ceiling(attempt).mul_f64(jitter.factor())
    }
}

/// One retry loop's position: how many attempts failed in a row, and the delay before the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    policy: BackoffPolicy,
    attempt: u32,
}

impl Backoff {
    /// A loop that has not failed yet.
    pub const fn new(policy: BackoffPolicy) -> Self {
        Self { policy, attempt: 0 }
    }

    /// Failures in a row so far (the number of delays handed out since the last [`reset`](Self::reset)).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Records a failure and returns how long to wait before trying again.
    pub fn next_delay(&mut self, jitter: Jitter) -> Duration {
        let delay = self.policy.delay(self.attempt, jitter);
        self.attempt = self.attempt.saturating_add(1);
        delay
    }

    /// Starts over from the first delay (after a success, or a connection that stayed up).
    pub fn reset(&mut self) {
        self.attempt = 0;
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
            let got = p.delay(attempt, Jitter::Full(unit));
            assert_eq!(got, want, "attempt {attempt}, unit {unit}");
        }
    }

    #[test]
    fn equal_jitter_spans_half_to_full_ceiling() {
        let p = BackoffPolicy::default();
        for attempt in 0..20 {
            let full = p.ceiling(attempt);
            for unit in [0.0, 0.25, 0.5, 0.999, 1.0, -3.0, 9.0, f64::NAN] {
                let d = p.delay(attempt, Jitter::Equal(unit));
                assert!(d >= full / 2 && d <= full, "{attempt}, {unit}: {d:?}");
            }
        }
        assert_eq!(p.delay(0, Jitter::Equal(0.0)), MS(125));
        assert_eq!(p.delay(2, Jitter::Equal(0.5)), MS(750));
        assert_eq!(p.delay(20, Jitter::Equal(1.0)), MS(30_000));
    }

    #[test]
    fn custom_policy_and_huge_base() {
        let p = BackoffPolicy::new(MS(10), MS(50));
        assert_eq!(p.ceiling(2), MS(40));
        assert_eq!(p.ceiling(3), MS(50));
        let huge = BackoffPolicy::new(Duration::MAX, Duration::from_secs(5));
        assert_eq!(huge.ceiling(1), Duration::from_secs(5));
        // The web app's socket: from 500 ms.
        let web = BackoffPolicy::new(MS(500), Duration::from_secs(30));
        let cases = [(0, MS(500)), (3, MS(4000)), (10, MS(30_000))];
        for (attempt, want) in cases {
            assert_eq!(web.delay(attempt, Jitter::Full(1.0)), want, "{attempt}");
        }
        assert_eq!(web.delay(u32::MAX, Jitter::Full(1.0)), MS(30_000));
        assert_eq!(web.delay(10, Jitter::Full(0.5)), MS(15_000));
    }

    #[test]
    fn the_counter_grows_saturates_and_resets() {
        let mut b = Backoff::new(BackoffPolicy::default());
        let got: Vec<Duration> = (0..3).map(|_| b.next_delay(Jitter::Full(1.0))).collect();
        assert_eq!(got, vec![MS(250), MS(500), MS(1000)]);
        assert_eq!(b.attempt(), 3);
        b.reset();
        assert_eq!(b.attempt(), 0);
        assert_eq!(b.next_delay(Jitter::Full(1.0)), MS(250));
        let mut worn = Backoff {
            attempt: u32::MAX,
            ..b
        };
        assert_eq!(worn.next_delay(Jitter::Full(1.0)), MS(30_000));
        assert_eq!(worn.attempt(), u32::MAX, "never wraps to a short delay");
    }
}
