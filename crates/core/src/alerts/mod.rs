//! Alert rules and their evaluation: pure code, time passed in.
//!
//! The engine turns readings (a number, a condition, or "no data") into **transitions only**: an alert fires
//! (after an optional pending period), changes severity, is repeated as a reminder every `repeat` while it holds,
//! and resolves — with hysteresis, so a value wobbling around a threshold does not flap. Every alert has a stable
//! identity (`rule/subject`, e.g. `container_cpu/kato`) and an id per episode. No data never resolves anything:
//! an upstream outage is its own alert, not a fake recovery.

mod engine;
mod rule;

pub use engine::{ActiveAlert, AlertEngine, Phase, Transition, TransitionKind};
pub use rule::{AlertType, Bands, Reading, RuleConfig, RuleSet, Severity, Signal};

#[cfg(test)]
mod tests;
