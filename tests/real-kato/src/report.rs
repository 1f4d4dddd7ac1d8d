//! The result table: one row per check and KATO version, `PASS`, `FAIL` or `not run`, with what was measured.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Measured and within the contract.
    Pass,
    /// Measured and outside it, or the measurement itself failed.
    Fail,
    /// Could not be run (the reason is in `measured`); counts as a failure for the exit code.
    NotRun,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::NotRun => "not run",
        }
    }
}

/// One row.
#[derive(Debug, Clone)]
pub struct Row {
    /// `v1` or `v3`.
    pub version: String,
    /// The brief's letter and a short name, e.g. `a pass-through /system/metrics`.
    pub check: String,
    pub outcome: Outcome,
    /// The numbers behind the verdict.
    pub measured: String,
}

/// Rows collected by every check, printed as they come and as a table at the end.
#[derive(Debug, Clone, Default)]
pub struct Report {
    rows: Arc<Mutex<Vec<Row>>>,
}

impl Report {
    /// Records a row and prints it at once (so a run that is cut short still shows what it measured).
    pub fn add(
        &self,
        version: &str,
        check: impl Into<String>,
        outcome: Outcome,
        measured: impl Into<String>,
    ) {
        let row = Row {
            version: version.to_owned(),
            check: check.into(),
            outcome,
            measured: measured.into(),
        };
        println!(
            "  [{}] {} {}: {}",
            row.version,
            row.outcome.label(),
            row.check,
            row.measured
        );
        if let Ok(mut rows) = self.rows.lock() {
            rows.push(row);
        }
    }

    /// `PASS` when `ok`, else `FAIL`.
    pub fn check(
        &self,
        version: &str,
        check: impl Into<String>,
        ok: bool,
        measured: impl Into<String>,
    ) {
        let outcome = if ok { Outcome::Pass } else { Outcome::Fail };
        self.add(version, check, outcome, measured);
    }

    /// Every row so far.
    pub fn rows(&self) -> Vec<Row> {
        self.rows.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Whether every row passed (and there is at least one).
    pub fn all_passed(&self) -> bool {
        let rows = self.rows();
        !rows.is_empty() && rows.iter().all(|r| r.outcome == Outcome::Pass)
    }

    /// The final table: version, check, result, measured (long measurements wrap under their row).
    pub fn table(&self) -> String {
        let rows = self.rows();
        let width = rows
            .iter()
            .map(|r| r.check.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<4} {:<width$} {:<7} measured",
            "KATO", "check", "result"
        );
        let _ = writeln!(out, "{}", "-".repeat(width + 30));
        for r in &rows {
            let _ = writeln!(
                out,
                "{:<4} {:<width$} {:<7} {}",
                r.version,
                r.check,
                r.outcome.label(),
                r.measured
            );
        }
        let passed = rows.iter().filter(|r| r.outcome == Outcome::Pass).count();
        let failed = rows.iter().filter(|r| r.outcome == Outcome::Fail).count();
        let not_run = rows.iter().filter(|r| r.outcome == Outcome::NotRun).count();
        let _ = writeln!(out, "{}", "-".repeat(width + 30));
        let verdict = if self.all_passed() { "PASS" } else { "FAIL" };
        let _ = writeln!(
            out,
            "{verdict}: {passed} passed, {failed} failed, {not_run} not run ({} checks)",
            rows.len()
        );
        out
    }
}
