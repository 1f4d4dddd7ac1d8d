//! `tcp-floor` end to end: the writer child and the reader parent on loopback, a few short ticks; every frame
//! arrives and the report's figures are present and plausible.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn figure(out: &str, line: &str, before: &str) -> f64 {
    let l = out
        .lines()
        .find(|l| l.starts_with(line))
        .unwrap_or_else(|| panic!("no {line:?} line in {out}"));
    let at = l
        .find(before)
        .unwrap_or_else(|| panic!("no {before:?} in {l}"))
        + before.len();
    l[at..]
        .split_whitespace()
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no number after {before:?} in {l}"))
}

#[test]
fn every_frame_reaches_its_reader_and_latency_is_reported() {
    let out = Command::new(env!("CARGO_BIN_EXE_tcp-floor"))
        .args([
            "-n",
            "200",
            "--ticks",
            "3",
            "--interval-ms",
            "100",
            "--bytes",
            "1000",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("(600 samples)"),
        "3 ticks × 200 clients: {text}"
    );
    assert!(text.contains("0 frames missing"), "{text}");
    assert!(text.contains("0 writes would have blocked"), "{text}");
    let (p50, p99) = (
        figure(&text, "latency", "p50 "),
        figure(&text, "latency", "p99 "),
    );
    assert!(0.0 <= p50 && p50 <= p99 && p99 < 1000.0, "{text}");
}

#[test]
fn bad_settings_are_refused_with_the_reason() {
    let out = Command::new(env!("CARGO_BIN_EXE_tcp-floor"))
        .args(["-n", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pairs must be 1..=20000"), "{err}");
}
