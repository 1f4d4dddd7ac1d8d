//! (g) KATO 3.x only: the knowledge-base pages show what the real KATO learned. KATO learns patterns through its
//! API ([`learn`]: one of them twice, so its frequency is 2); KATO's ClickHouse is chDB inside the KATO process,
//! so [`check`] stops KATO, serves its `CHDB_PATH` folder over ClickHouse's HTTP interface with the testkit's
//! chDB server (`crates/testkit/chdb_http_server.py`, run by the testkit's Python from
//! `kato_dashboard_testkit::ensure_chdb`; the `ClickHouseServer` fixture itself has no option to serve an existing
//! folder), starts a second dashboard with `CLICKHOUSE_URL` on it and reads `/api/v1/databases/patterns/…`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::Ctx;
use crate::dashboard::{Dashboard, DashboardConfig};

/// The node KATO learns for; its knowledge base is `real_kato_kb_kato`.
const NODE: &str = "real-kato-kb";
/// The testkit's ClickHouse HTTP server for chDB.
const CHDB_SERVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../crates/testkit/chdb_http_server.py"
);

/// What KATO learned: pattern name → (its events, times learned).
#[derive(Debug, Clone, Default)]
pub struct Learned {
    pub kb_id: String,
    pub patterns: BTreeMap<String, (Vec<Vec<String>>, u64)>,
}

/// Has KATO learn three episodes through its API (the first one twice).
pub async fn learn(ctx: &Ctx) -> Result<Learned> {
    let (id, _) = ctx.kato.create_session(NODE, None).await?;
    let episodes: [&[&[&str]]; 3] = [
        &[&["alpha", "beta"], &["gamma"]],
        &[&["delta"], &["epsilon", "zeta"], &["eta"]],
        &[&["alpha", "beta"], &["gamma"]],
    ];
    let mut learned = Learned {
        kb_id: format!("{}_kato", NODE.replace('-', "_")),
        ..Default::default()
    };
    for events in episodes {
        for e in events {
            ctx.kato.observe(&id, e).await?;
        }
        let name = ctx.kato.learn(&id).await?;
        let data: Vec<Vec<String>> = events
            .iter()
            .map(|e| e.iter().map(|s| (*s).to_owned()).collect())
            .collect();
        learned.patterns.entry(name).or_insert((data, 0)).1 += 1;
    }
    Ok(learned)
}

/// The chDB server on KATO's folder, killed on drop.
struct ChdbServer {
    child: tokio::process::Child,
    port: u16,
}

async fn serve(chdb_path: &Path, dir: &Path) -> Result<ChdbServer> {
    if !Path::new(CHDB_SERVER).is_file() {
        bail!("the testkit's chDB server is not there ({CHDB_SERVER})");
    }
    let python: PathBuf = tokio::task::spawn_blocking(kato_dashboard_testkit::ensure_chdb)
        .await?
        .context("the testkit's chDB (ensure_chdb)")?;
    let port_file = dir.join("chdb.port");
    let log = std::fs::File::create(dir.join("chdb-server.log"))?;
    let child = tokio::process::Command::new(python)
        .arg(CHDB_SERVER)
        .arg("--data-dir")
        .arg(chdb_path)
        .arg("--port-file")
        .arg(&port_file)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()?;
    let mut server = ChdbServer { child, port: 0 };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(port) = std::fs::read_to_string(&port_file)
            .ok()
            .and_then(|p| p.trim().parse().ok())
        {
            server.port = port;
            return Ok(server);
        }
        if let Some(status) = server.child.try_wait()? {
            bail!(
                "chdb_http_server.py exited with {status}: {}",
                crate::log_tail(&dir.join("chdb-server.log"), 10)
            );
        }
        if Instant::now() > deadline {
            bail!("chdb_http_server.py did not write its port within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs (g) with what [`learn`] recorded. Stops KATO 3.x for good.
pub async fn check(ctx: &Ctx, learned: &Learned, base: &DashboardConfig) -> Result<()> {
    let v = ctx.v();
    let name = "g KB pages show the learned patterns";
    ctx.kato.stop().await?;
    let dir = base.dir.with_file_name("dashboard-v3-kb");
    std::fs::create_dir_all(&dir)?;
    let server = match serve(&ctx.kato.chdb_path(), &dir).await {
        Ok(s) => s,
        Err(e) => {
            ctx.report.add(
                v,
                name,
                crate::report::Outcome::NotRun,
                format!("not run: {e:#}"),
            );
            return Ok(());
        }
    };
    let cfg = DashboardConfig {
        dir,
        clickhouse_url: Some(format!("http://127.0.0.1:{}", server.port)),
        ..base.clone()
    };
    let dash = Dashboard::start(&cfg).await?;
    let (ps, processors) = dash.get("/api/v1/databases/patterns/processors").await?;
    let kb = &learned.kb_id;
    let entry = processors["processors"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["kb_id"] == kb.as_str()))
        .cloned();
    let (ls, page) = dash
        .get(&format!(
            "/api/v1/databases/patterns/{kb}/patterns?limit=100"
        ))
        .await?;
    let shown: BTreeMap<String, (Value, Value)> = page["patterns"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some((
                        p["name"].as_str()?.to_owned(),
                        (p["pattern_data"].clone(), p["frequency"].clone()),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let expected: BTreeMap<String, (Value, Value)> = learned
        .patterns
        .iter()
        .map(|(n, (data, f))| (n.clone(), (json!(data), json!(f))))
        .collect();
    let twice = learned
        .patterns
        .iter()
        .find(|(_, (_, f))| *f == 2)
        .map(|(n, _)| n.clone())
        .unwrap_or_default();
    let (ds, detail) = dash
        .get(&format!("/api/v1/databases/patterns/{kb}/patterns/{twice}"))
        .await?;
    let count = entry
        .as_ref()
        .map(|e| e["patterns_count"].clone())
        .unwrap_or(Value::Null);
    let ok = ps == 200
        && ls == 200
        && ds == 200
        && count == json!(expected.len())
        && shown == expected
        && page["total"] == json!(expected.len())
        && detail["frequency"] == json!(2)
        && detail["pattern_data"] == expected.get(&twice).map_or(Value::Null, |e| e.0.clone());
    let fmt = |m: &BTreeMap<String, (Value, Value)>| {
        m.iter()
            .map(|(n, (d, f))| format!("{}… {d} freq {f}", &n[..n.len().min(8)]))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let measured = if ok {
        format!(
            "KATO learned {} patterns in {kb} (one twice); with KATO stopped and its chDB folder served: processors \
             lists {kb} with patterns_count {count}; its page shows {}; the detail of PTRN|{}… says frequency 2",
            expected.len(),
            fmt(&shown),
            &twice[..8.min(twice.len())]
        )
    } else {
        format!(
            "expected {}; processors HTTP {ps} entry {}; patterns page HTTP {ls} total {} shows {}; detail HTTP {ds} \
             frequency {} data {}",
            fmt(&expected),
            entry.map_or("missing".into(), |e| e.to_string()),
            page["total"],
            if ls == 200 {
                fmt(&shown)
            } else {
                page.to_string()
            },
            detail["frequency"],
            detail["pattern_data"]
        )
    };
    ctx.report.check(v, name, ok, measured);
    // The old dashboard's Analytics reads the same patterns: every learned name with KATO's frequency.
    let (fs, freq) = dash
        .get(&format!(
            "/api/v1/analytics/patterns/frequency?processor_id={kb}&limit=100"
        ))
        .await?;
    let listed: BTreeMap<String, Value> = freq["patterns"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| Some((p["pattern"].as_str()?.to_owned(), p["frequency"].clone())))
                .collect()
        })
        .unwrap_or_default();
    let learned_freq: BTreeMap<String, Value> = expected
        .iter()
        .map(|(n, (_, f))| (n.clone(), f.clone()))
        .collect();
    ctx.report.check(
        v,
        "g analytics: top patterns = KATO's frequencies",
        fs == 200 && listed == learned_freq,
        format!(
            "/analytics/patterns/frequency?processor_id={kb}: HTTP {fs}, {} patterns, {} as learned (total_patterns {})",
            listed.len(),
            if listed == learned_freq { "names and frequencies" } else { "NOT" },
            freq["total_patterns"]
        ),
    );
    drop(dash);
    drop(server);
    Ok(())
}
