//! Benchmark of the history store: range-query latency over 30 days of the 1-minute tier, CPU cost of writing at
//! 1 Hz (maintenance once a minute included), and bytes per series per tier. Prints a markdown table.
//!
//! `cargo run --release -p kato-dashboard-history-store --example bench -- [--series N] [--days D] [--runs R]
//! [--write-series A,B]`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    path::Path,
    time::{Duration, Instant},
};

use kato_dashboard_history_store::{HistoryStore, Query, Sample, SeriesKind, Settings, Tier};

/// 2026-01-01 00:00:00 UTC.
const T0: i64 = 1_767_225_600;

struct Args {
    series: usize,
    days: i64,
    runs: usize,
    write_series: Vec<usize>,
    /// Only fill `days` days ending now into `DIR/history.sqlite3` (for timing the dashboard's HTTP answer).
    fill_to: Option<std::path::PathBuf>,
}

fn args() -> Args {
    let mut a = Args {
        series: 100,
        days: 30,
        runs: 20,
        write_series: vec![100, 500],
        fill_to: None,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or("");
        match pair[0].as_str() {
            "--series" => a.series = value.parse().expect("--series N"),
            "--days" => a.days = value.parse().expect("--days D"),
            "--runs" => a.runs = value.parse().expect("--runs R"),
            "--write-series" => {
                a.write_series = value
                    .split(',')
                    .map(|v| v.parse().expect("--write-series A,B"))
                    .collect();
            }
            "--fill-to" => a.fill_to = Some(value.into()),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// CPU time of this (single-threaded) process so far.
fn cpu() -> Duration {
    // schedstat: nanoseconds on the CPU, first field.
    if let Ok(s) = std::fs::read_to_string("/proc/thread-self/schedstat")
        && let Some(ns) = s
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
    {
        return Duration::from_nanos(ns);
    }
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after = &stat[stat.rfind(')').expect("stat") + 2..];
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    Duration::from_millis((f[11] + f[12]) * 10)
}

/// Bytes this process has handed to `write(2)` so far (`wchar` of `/proc/self/io`): the database and its log.
fn written() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("wchar: ")
                    .and_then(|v| v.trim().parse().ok())
            })
        })
        .unwrap_or(0)
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("bench.s{i:04}")).collect()
}

fn round(names: &[String], t: i64) -> Vec<Sample> {
    names
        .iter()
        .enumerate()
        .map(|(i, s)| Sample {
            series: s.clone(),
            kind: SeriesKind::Gauge,
            value: ((t + i as i64) % 97) as f64 * 1.5,
        })
        .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mb(b: u64) -> String {
    format!("{:.1} MB", b as f64 / 1e6)
}

/// Fills `days` days from `t0` with one sample per series per minute, a day per transaction, maintaining after
/// each day.
fn fill_minutes(store: &HistoryStore, names: &[String], t0: i64, days: i64) -> Duration {
    let start = Instant::now();
    for d in 0..days {
        let day = t0 + d * 86_400;
        let rounds: Vec<(i64, Vec<Sample>)> = (0..1440)
            .map(|m| (day + 60 * m, round(names, day + 60 * m)))
            .collect();
        store.write_many(&rounds).unwrap();
        store.maintain(day + 86_400).unwrap();
    }
    start.elapsed()
}

fn query_times(
    store: &HistoryStore,
    names: &[String],
    from: i64,
    to: i64,
    runs: usize,
) -> (f64, f64, usize, Tier) {
    let q = Query {
        from,
        to,
        step: Some(60),
        series: names.to_vec(),
        max_points: 100_000,
        max_total_points: 0,
    };
    let mut times = Vec::with_capacity(runs);
    let mut points = 0;
    let mut tier = Tier::Raw;
    for _ in 0..runs {
        let start = Instant::now();
        let a = store.query(&q).unwrap();
        times.push(ms(start.elapsed()));
        points = a.series.iter().map(|s| s.points.len()).sum();
        tier = a.tier;
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() - 1], points, tier)
}

/// 600 rounds at 1 s apart (10 simulated minutes) written `batch` rounds per transaction (the dashboard's recorder
/// writes 30), maintenance every 60 rounds; returns CPU ms per round (total, write, maintain) and bytes written per
/// round.
fn write_cost(dir: &Path, n: usize, batch: usize) -> (f64, f64, f64, f64) {
    // Raw kept 5 minutes, so the run also pays for deleting aged rows, as a store in its steady state does.
    let settings = Settings {
        raw_keep: Duration::from_secs(300),
        ..Settings::default()
    };
    let store =
        HistoryStore::open(&dir.join(format!("write-{n}-{batch}.sqlite3")), settings).unwrap();
    let names = names(n);
    store.write(T0 - 1, &round(&names, T0 - 1)).unwrap();
    let (mut write, mut maintain) = (Duration::ZERO, Duration::ZERO);
    let rounds = 600;
    let bytes = written();
    let mut pending = Vec::with_capacity(batch);
    for i in 0..rounds {
        let t = T0 + i;
        pending.push((t, round(&names, t)));
        if pending.len() == batch {
            let c = cpu();
            store.write_many(&pending).unwrap();
            write += cpu() - c;
            pending.clear();
        }
        if (i + 1) % 60 == 0 {
            let c = cpu();
            store.maintain(t + 1).unwrap();
            maintain += cpu() - c;
        }
    }
    let per = |d: Duration| ms(d) / rounds as f64;
    let bytes = (written() - bytes) as f64 / rounds as f64;
    (per(write + maintain), per(write), per(maintain), bytes)
}

/// `--fill-to DIR`: `days` days of `series` series ending at the current minute, for the dashboard to serve.
fn fill_to(dir: &Path, a: &Args) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let t0 = now - now % 60 - a.days * 86_400;
    let store = HistoryStore::open_dir(dir, Settings::default()).unwrap();
    let took = fill_minutes(&store, &names(a.series), t0, a.days);
    store.maintain(now).unwrap();
    let usage = store.usage().unwrap();
    println!(
        "filled {} d × {} series (bench.s0000 …) ending now into {} in {:.1} s: {}",
        a.days,
        a.series,
        store.path().display(),
        took.as_secs_f64(),
        mb(usage.bytes)
    );
}

fn main() {
    let a = args();
    if let Some(dir) = &a.fill_to {
        fill_to(dir, &a);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut table: Vec<(String, String)> = Vec::new();

    // (a) + (c): `days` days of the 1-minute tier for `series` series.
    let store = HistoryStore::open(&dir.path().join("month.sqlite3"), Settings::default()).unwrap();
    let all = names(a.series);
    let took = fill_minutes(&store, &all, T0, a.days);
    table.push((
        format!(
            "fill {} d × {} series, 1 sample/min (write_many + maintain per day)",
            a.days, a.series
        ),
        format!("{:.1} s", took.as_secs_f64()),
    ));
    let to = T0 + a.days * 86_400 - 1;
    for k in [1, 4] {
        let (median, max, points, tier) =
            query_times(&store, &all[..k.min(all.len())], T0, to, a.runs);
        table.push((
            format!(
                "query {} d, step 60, {k} series ({points} points, tier {}), {} runs",
                a.days,
                tier.as_str(),
                a.runs
            ),
            format!("median {median:.1} ms, max {max:.1} ms"),
        ));
    }
    let usage = store.usage().unwrap();
    let bytes = store.tier_bytes().unwrap();
    let minute = usage.tiers[1].rows.max(1);
    let per = |tier: Tier| bytes.iter().find(|b| b.0 == tier).map_or(0, |b| b.1);
    table.push((
        format!(
            "1m tier, {} d × {} series ({} rows)",
            a.days, a.series, usage.tiers[1].rows
        ),
        format!(
            "{} ({:.0} KB per series, {:.1} B per row)",
            mb(per(Tier::Minute)),
            per(Tier::Minute) as f64 / a.series as f64 / 1e3,
            per(Tier::Minute) as f64 / minute as f64
        ),
    ));
    table.push((
        format!(
            "1h tier, {} d × {} series ({} rows)",
            a.days, a.series, usage.tiers[2].rows
        ),
        format!(
            "{} ({:.1} KB per series, {:.1} B per row)",
            mb(per(Tier::Hour)),
            per(Tier::Hour) as f64 / a.series as f64 / 1e3,
            per(Tier::Hour) as f64 / usage.tiers[2].rows.max(1) as f64
        ),
    ));
    table.push((
        format!("whole file after {} d × {} series", a.days, a.series),
        mb(usage.bytes),
    ));
    drop(store);

    // (c) raw: 6 h at 1 Hz.
    let store = HistoryStore::open(&dir.path().join("raw.sqlite3"), Settings::default()).unwrap();
    for h in 0..6 {
        let rounds: Vec<(i64, Vec<Sample>)> = (T0 + h * 3600..T0 + (h + 1) * 3600)
            .map(|t| (t, round(&all, t)))
            .collect();
        store.write_many(&rounds).unwrap();
    }
    store.maintain(T0 + 6 * 3600).unwrap();
    let raw = store.tier_bytes().unwrap()[0].1;
    let rows = store.usage().unwrap().tiers[0].rows.max(1);
    table.push((
        format!("raw tier, 6 h at 1 Hz × {} series ({rows} rows)", a.series),
        format!(
            "{} ({:.0} KB per series, {:.1} B per row)",
            mb(raw),
            raw as f64 / a.series as f64 / 1e3,
            raw as f64 / rows as f64
        ),
    ));
    drop(store);

    // (b) CPU of writing at 1 Hz.
    for n in &a.write_series {
        for batch in [1, 10, 30] {
            let (total, write, maintain, bytes) = write_cost(dir.path(), *n, batch);
            table.push((
                format!("CPU per 1 Hz round, {n} series, {batch} round(s) per transaction (write {write:.3} ms + maintain/60 {maintain:.3} ms)"),
                format!("{total:.3} ms = {:.2} % of a core", total / 10.0),
            ));
            table.push((
                format!("bytes written to file + log per 1 Hz round, {n} series, {batch} round(s) per transaction"),
                format!("{:.0} KB", bytes / 1e3),
            ));
        }
    }

    println!("| measure | result |");
    println!("|---|---|");
    for (k, v) in table {
        println!("| {k} | {v} |");
    }
}
