//! The persistent history end to end: the real server records kato-sim's figures and session events once a
//! second into its SQLite history and answers ranges as JSON and CSV; a restart keeps what was recorded with no
//! gap beyond the downtime; a corrupt file is set aside; an unusable folder or a full disk (a real 256 KiB tmpfs)
//! turns the history's answers into clear errors while live data keeps flowing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use chrono::Utc;
use kato_dashboard_sim::Flavour;
use serde_json::Value;
use support::{Dashboard, wait_for};

const SEC: Duration = Duration::from_secs(1);

fn range(series: &str, back: i64) -> String {
    let now = Utc::now().timestamp();
    format!(
        "/api/v1/system/history?series={series}&from={}&to={}",
        now - back,
        now + 1
    )
}

/// A quiet kato-sim of `flavour` on a free loopback port.
async fn idle_kato(flavour: Flavour) -> kato_dashboard_sim::Sim {
    kato_dashboard_sim::Sim::start(
        kato_dashboard_sim::SimConfig::idle(flavour),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

/// Whether the answer has points of `name`.
fn has(body: &Value, name: &str) -> bool {
    body["series"].as_array().is_some_and(|a| {
        a.iter()
            .any(|s| s["name"] == name && s["points"].as_array().is_some_and(|p| !p.is_empty()))
    })
}

fn points<'a>(body: &'a Value, name: &str) -> &'a Vec<Value> {
    body["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("series {name} in {body}"))["points"]
        .as_array()
        .unwrap()
}

#[tokio::test]
async fn records_figures_and_session_events_and_answers_json_and_csv() {
    let (_redis, kato) = support::kato_with_redis(Flavour::V1).await;
    let redis = _redis.url();
    let dash = Dashboard::start(&kato.base_url(), &[("REDIS_URL", &redis)]).await;
    // Sessions that exist when the dashboard starts are its baseline, not "created": start recording first.
    wait_for(15 * SEC, "recording", || async {
        let (status, body) = dash.get(&range("kato.up", 60)).await;
        (status == 200 && has(&body, "kato.up")).then_some(())
    })
    .await;
    tokio::time::sleep(2 * SEC).await;
    let id = kato
        .create_session("history-alice", Some(3600))
        .await
        .unwrap();
    tokio::time::sleep(SEC).await;
    kato.delete_session(&id).await.unwrap();

    let body = wait_for(
        15 * SEC,
        "kato figures and both session events recorded",
        || async {
            let (status, body) = dash.get(&range("kato.*,sessions.*", 120)).await;
            (status == 200
                && has(&body, "kato.up")
                && has(&body, "kato.cpu_percent")
                && has(&body, "sessions.created")
                && has(&body, "sessions.ended"))
            .then_some(body)
        },
    )
    .await;
    assert_eq!(body["tier"], "raw", "{body}");
    assert_eq!(body["step"], 1);
    let up = points(&body, "kato.up");
    assert_eq!(up.last().unwrap()[2], 1.0, "KATO is up: {up:?}");
    assert_eq!(
        up.last().unwrap().as_array().unwrap().len(),
        6,
        "[t, min, avg, max, sum, n]"
    );
    let created: f64 = points(&body, "sessions.created")
        .iter()
        .map(|p| p[4].as_f64().unwrap())
        .sum();
    assert_eq!(created, 1.0, "one session created: {body}");
    let kinds: Vec<(&str, &str)> = body["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["kind"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&("sessions.created", "count")), "{kinds:?}");
    assert!(kinds.contains(&("kato.up", "gauge")), "{kinds:?}");

    // A larger step groups the seconds.
    let (status, coarse) = dash
        .get(&format!("{}&step=60", range("kato.up", 120)))
        .await;
    assert_eq!(status, 200, "{coarse}");
    assert_eq!(coarse["step"], 60);
    assert!(points(&coarse, "kato.up").len() <= 3, "{coarse}");

    // CSV.
    let response = dash
        .http
        .get(dash.url(&format!("{}&format=csv", range("kato.up", 60))))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let text = response.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("time,series,min,avg,max,sum,n"));
    let row = lines.next().expect("a data row");
    assert!(row.contains(",kato.up,"), "{row}");

    // The catalog.
    let (status, catalog) = dash.get("/api/v1/system/history/series").await;
    assert_eq!(status, 200);
    assert_eq!(catalog["status"]["ok"], true, "{catalog}");
    assert!(catalog["usage"]["bytes"].as_u64().unwrap() > 0);
    assert!(
        catalog["series"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "kato.latency_ms")
    );

    // Bad queries: clear 400s, never a panic.
    for bad in [
        "/api/v1/system/history?from=yesterday&series=kato.up",
        "/api/v1/system/history?from=200&to=100&series=kato.up",
        "/api/v1/system/history?from=100&to=200",
        "/api/v1/system/history?series=kato.up&step=0",
        "/api/v1/system/history?series=kato.up&format=xml",
    ] {
        let (status, body) = dash.get(bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["detail"].is_string(), "{bad}: {body}");
    }
    let (status, body) = dash
        .get("/api/v1/system/history?series=kato.up&from=0&to=99999999999&step=1")
        .await;
    assert!(
        matches!(status, 400 | 422),
        "too many points is refused: {status} {body}"
    );
    // The old form is unchanged.
    let (status, old) = dash.get("/api/v1/system/history?minutes=5").await;
    assert_eq!(status, 200);
    assert!(
        old["metrics"].is_array() && old["containers"].is_array(),
        "{old}"
    );
    dash.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_the_history_with_no_gap_beyond_the_downtime() {
    let kato = idle_kato(Flavour::V3).await;
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().display().to_string();
    let env = [("DATA_DIR", dir.as_str())];
    let dash = Dashboard::start(&kato.base_url(), &env).await;
    wait_for(10 * SEC, "3 seconds recorded", || async {
        let (_, body) = dash.get(&range("kato.up", 60)).await;
        (body["series"][0]["points"].as_array().map_or(0, Vec::len) >= 3).then_some(())
    })
    .await;
    dash.stop().await;
    let stopped = Utc::now().timestamp();
    tokio::time::sleep(2 * SEC).await;
    let dash = Dashboard::start(&kato.base_url(), &env).await;
    let started = Utc::now().timestamp();
    let body = wait_for(10 * SEC, "3 seconds recorded after the restart", || async {
        let (_, body) = dash.get(&range("kato.up", 60)).await;
        let after = body["series"][0]["points"].as_array().map_or(0, |p| {
            p.iter()
                .filter(|p| p[0].as_i64().unwrap() >= started)
                .count()
        });
        (after >= 3).then_some(body)
    })
    .await;
    let times: Vec<i64> = points(&body, "kato.up")
        .iter()
        .map(|p| p[0].as_i64().unwrap())
        .collect();
    assert!(
        times.iter().any(|t| *t < stopped),
        "what came before the restart is kept: {times:?}"
    );
    let widest = times.windows(2).map(|w| w[1] - w[0]).max().unwrap();
    let downtime = started - stopped;
    assert!(
        widest <= downtime + 2,
        "the only gap is the downtime ({downtime} s), widest {widest} s: {times:?}"
    );
    dash.stop().await;
}

#[tokio::test]
async fn a_corrupt_history_file_is_set_aside_and_recording_goes_on() {
    let kato = idle_kato(Flavour::V1).await;
    let data = tempfile::tempdir().unwrap();
    std::fs::write(
        data.path().join("history.sqlite3"),
        vec![0x5a_u8; 64 * 1024],
    )
    .unwrap();
    let dir = data.path().display().to_string();
    let dash = Dashboard::start(&kato.base_url(), &[("DATA_DIR", dir.as_str())]).await;
    let (status, catalog) = dash.get("/api/v1/system/history/series").await;
    assert_eq!(status, 200);
    let aside = catalog["status"]["moved_aside"]
        .as_str()
        .expect("says where the corrupt file went");
    assert!(std::path::Path::new(aside).exists(), "{aside}");
    wait_for(10 * SEC, "recording in the new file", || async {
        let (status, body) = dash.get(&range("kato.up", 60)).await;
        (status == 200 && has(&body, "kato.up")).then_some(())
    })
    .await;
    dash.stop().await;
}

#[tokio::test]
async fn an_unusable_folder_leaves_live_data_serving() {
    let kato = idle_kato(Flavour::V1).await;
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("not-a-folder");
    std::fs::write(&file, b"x").unwrap();
    let file = file.display().to_string();
    let dash = Dashboard::start(&kato.base_url(), &[("HISTORY_DATA_DIR", file.as_str())]).await;
    let (status, body) = dash.get(&range("kato.up", 60)).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("history"),
        "{body}"
    );
    let (status, catalog) = dash.get("/api/v1/system/history/series").await;
    assert_eq!(status, 200);
    assert_eq!(catalog["status"]["ok"], false, "{catalog}");
    wait_for(5 * SEC, "live metrics", || async {
        let (status, _) = dash.get("/api/v1/system/metrics").await;
        (status == 200).then_some(())
    })
    .await;
    let (status, old) = dash.get("/api/v1/system/history").await;
    assert_eq!(status, 200, "the live minutes do not need the disk: {old}");
    dash.stop().await;
}

#[tokio::test]
async fn a_full_disk_is_reported_and_live_data_keeps_flowing() {
    let disk = kato_dashboard_testkit::TinyDisk::mount(256).expect("a 256 KiB tmpfs");
    let kato = idle_kato(Flavour::V1).await;
    let dir = disk.path().display().to_string();
    let dash = Dashboard::start(
        &kato.base_url(),
        &[
            ("HISTORY_DATA_DIR", dir.as_str()),
            ("HISTORY_SAMPLE_SECONDS", "0.05"),
        ],
    )
    .await;
    let catalog = wait_for(60 * SEC, "the history reports the full disk", || async {
        let (_, catalog) = dash.get("/api/v1/system/history/series").await;
        (catalog["status"]["ok"] == false).then_some(catalog)
    })
    .await;
    let error = catalog["status"]["error"].as_str().unwrap();
    assert!(
        error.contains("full"),
        "the reason names the full disk: {error}"
    );
    let (_, health) = dash.get("/api/v1/health").await;
    assert_eq!(health["history"]["ok"], false, "{health}");
    assert_eq!(health["status"], "degraded", "{health}");
    // Live data is not affected, and what was stored can still be read.
    let (status, metrics) = dash.get("/api/v1/system/metrics").await;
    assert_eq!(status, 200, "{metrics}");
    let (status, old) = dash.get("/api/v1/system/history?minutes=1").await;
    assert_eq!(status, 200);
    assert!(!old["metrics"].as_array().unwrap().is_empty());
    let (status, body) = dash.get(&range("kato.up", 120)).await;
    assert_eq!(status, 200, "what is stored is still served: {body}");
    assert!(!points(&body, "kato.up").is_empty());
    dash.stop().await;
}
