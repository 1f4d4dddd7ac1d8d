//! The soak's result table (Markdown, so `docs/reliability.md` can quote it as printed).

use std::{collections::BTreeMap, fmt::Write, time::Duration};

use super::{
    dashboard::Usage,
    faults::{Faults, Garbage},
    services::Kind,
    tracking::Stats,
    truth::{Ops, Verdict},
};

/// Everything the table shows.
pub struct Report<'a> {
    pub seconds: u64,
    pub seed: u64,
    pub flavour: String,
    pub total: Duration,
    pub recovery: Duration,
    pub faults: &'a Faults,
    pub clients: usize,
    pub stats: &'a Stats,
    /// Events in the log per topic, and how many seqs up to the newest no client saw.
    pub logged: [usize; 3],
    pub unseen: [u64; 3],
    pub gaps: u64,
    pub mismatches: usize,
    pub ops: &'a Ops,
    pub verdict: &'a Verdict,
    pub garbage: &'a Garbage,
    pub panics: usize,
    pub exit: String,
    pub baseline: Usage,
    pub end: Usage,
    pub peak: Usage,
    /// Readings at a quarter, half, three quarters and the end of the fault phase.
    pub during: [Usage; 4],
    /// `kato_event` types seen, and `system_alert` states.
    pub kato_events: BTreeMap<String, u64>,
    pub alerts: BTreeMap<String, u64>,
    /// Alerts still firing after the recovery.
    pub firing: Vec<String>,
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn list(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table, one `| what | value |` row per line.
pub fn table(r: &Report) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut row = |k: &str, v: String| rows.push((k.to_owned(), v));
    row(
        "duration",
        format!(
            "{} s of faults (whole test {:.0} s; waiting for recovery after them {:.1} s)",
            r.seconds,
            r.total.as_secs_f64(),
            r.recovery.as_secs_f64()
        ),
    );
    row("seed / KATO flavour", format!("{} / {}", r.seed, r.flavour));
    for kind in Kind::ALL {
        let i = kind.index();
        row(
            &format!("faults: {kind}"),
            format!(
                "{} down, {} up again (slowest restart {} ms)",
                r.faults.downs[i],
                r.faults.ups[i],
                r.faults.slowest_up[i].as_millis()
            ),
        );
    }
    let s = r.stats;
    row(
        "clients",
        format!(
            "{} (1 steady observer; the rest connect, resume and drop at random)",
            r.clients
        ),
    );
    row(
        "connects / failed connects",
        format!("{} / {}", s.connects, s.connect_failures),
    );
    row(
        "ends: reset / silent / polite / by the server",
        format!(
            "{} / {} / {} / {} (+{} closed 1009 after a frame over 16 KiB)",
            s.resets, s.silent_drops, s.polite_closes, s.ended_by_server, s.too_large_closes
        ),
    );
    row("resumes (with held seqs)", s.resumes.to_string());
    row("resyncs", list(&s.resyncs));
    row(
        "events delivered to clients",
        format!(
            "{} (distinct: session_events {}, system_alerts {}, kato_events {})",
            s.events, r.logged[0], r.logged[1], r.logged[2]
        ),
    );
    row(
        "duplicates (must be 0)",
        format!(
            "{} ({} of them first delivered live on the same connection before its `resume`, then replayed)",
            s.duplicates, s.duplicates_same_connection
        ),
    );
    row("gaps without resync (must be 0)", r.gaps.to_string());
    row(
        "events no client saw (session_events must be 0)",
        format!(
            "session_events {}, system_alerts {}, kato_events {}",
            r.unseen[0], r.unseen[1], r.unseen[2]
        ),
    );
    row(
        "same seq, different text between clients (must be 0)",
        r.mismatches.to_string(),
    );
    let o = r.ops;
    row(
        "session creates: ok / refused / outcome unknown",
        format!(
            "{} / {} / {} ({} with a 6–20 s TTL)",
            o.creates_ok, o.creates_refused, o.creates_unknown, o.short_ttl
        ),
    );
    row(
        "session deletes: ok / refused / outcome unknown",
        format!(
            "{} / {} / {} ({} of the ok through the dashboard)",
            o.deletes_ok, o.deletes_refused, o.deletes_unknown, o.deletes_via_dashboard
        ),
    );
    let v = r.verdict;
    row(
        "session events",
        format!(
            "{} created, {} destroyed: {}",
            v.created,
            v.destroyed,
            list(&v.kinds)
        ),
    );
    row(
        "spurious session events (must be 0)",
        v.spurious.len().to_string(),
    );
    row(
        "sessions at the end: events = Redis = dashboard list",
        if v.final_mismatch.is_empty() {
            format!("yes ({} alive)", v.alive_at_end)
        } else {
            format!("NO: {}", v.final_mismatch.join("; "))
        },
    );
    row("kato_events", list(&r.kato_events));
    row("system_alert transitions", list(&r.alerts));
    row(
        "alerts firing after recovery (kato_unreachable must not)",
        if r.firing.is_empty() {
            "none".to_owned()
        } else {
            r.firing.join(", ")
        },
    );
    row(
        "bad inputs",
        format!(
            "{} bad /ws frames ({} error replies), {} garbage HTTP connections ({} answered 4xx, the rest closed)",
            s.bad_frames, s.error_replies, r.garbage.sent, r.garbage.answered_4xx
        ),
    );
    row(
        "panics in the dashboard's output (must be 0)",
        r.panics.to_string(),
    );
    row("dashboard exit on SIGTERM", r.exit.clone());
    row(
        "open fds: baseline → end (peak)",
        format!("{} → {} ({})", r.baseline.fds, r.end.fds, r.peak.fds),
    );
    row(
        "RSS: baseline → end (peak)",
        format!(
            "{} → {} ({})",
            mib(r.baseline.rss_kib),
            mib(r.end.rss_kib),
            mib(r.peak.hwm_kib)
        ),
    );
    let quarters: Vec<String> = r
        .during
        .iter()
        .map(|u| format!("{} / {} fds", mib(u.rss_kib), u.fds))
        .collect();
    row(
        "RSS / fds at 25, 50, 75, 100 % of the faults",
        quarters.join(", "),
    );
    row(
        "threads: baseline → end",
        format!("{} → {}", r.baseline.threads, r.end.threads),
    );
    let mut out = String::from("| what | value |\n|---|---|\n");
    for (k, v) in rows {
        let _ = writeln!(out, "| {k} | {v} |");
    }
    out
}
