//! The Analytics page and the range control in headless Chromium, on history the real server recorded from real
//! parts — nothing seeded: kato-sim (3.x and 1.x) whose sessions, restart and requests the recorder tallies each
//! second, and KATO's recorded stores (ClickHouse + Redis of c584167, MongoDB of d1391ac) that the knowledge-base
//! sampler reads each second (`HISTORY_KB_SAMPLE_SECONDS=1`). The charts must show what the history API answers;
//! the range lives in the URL (presets, a copied absolute link, drag-to-zoom); markers name a KATO restart; and a
//! history store that cannot be opened says why on every chart while the live cards keep moving.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod analytics_support;
mod kb_support;

use std::time::Duration;

use analytics_support::*;
use kato_dashboard_e2e::{Browser, KbStores, Stack, exclusive, kb, wait_for};
use kato_dashboard_sim::{Flavour, SimConfig};
use kato_dashboard_testkit::MongoServer;
use kb_support::{LOAD, api, shot, wait_js, wait_text};

/// Every chart of the Analytics page.
const CHARTS: [&str; 7] = [
    "chart-sessions",
    "chart-active",
    "chart-rps",
    "chart-errors",
    "chart-alerts",
    "chart-kb-patterns",
    "chart-kb-symbols",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_charts_what_kato_3x_and_its_recorded_stores_did() {
    let _gate = exclusive().await;
    let kbs = KbStores::start().unwrap();
    let started = now();
    let stack = Stack::start_with_kbs(
        SimConfig::idle(Flavour::V3),
        &kbs,
        &[("HISTORY_KB_SAMPLE_SECONDS", "1")],
    )
    .await
    .unwrap();

    // The recorded sessions are counted as created when the dashboard finds them in Redis; then ours.
    let recorded = recorded_sessions() as f64;
    wait_sessions(&stack, recorded, 0.0).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            stack
                .sim
                .create_session("sensor-alpha", None)
                .await
                .unwrap(),
        );
    }
    for id in &ids[..3] {
        assert!(stack.sim.delete_session(id).await.unwrap());
    }
    let created = recorded + 5.0;
    wait_sessions(&stack, created, 3.0).await;
    // A KATO restart (1.5 s down): a restart marker, and the alert it fires (counted, and a marker too).
    stack.sim.restart(Duration::from_millis(1500));
    let restart = wait_for(LOAD, "the restart's markers and alert", || async {
        let m = markers(&stack).await;
        let fired = totals(&stack, "alerts.fired.kato_restarted").await;
        let restart = m.iter().find(|m| m.1 == "kato_restart").cloned();
        Ok(restart.filter(|_| m.iter().any(|m| m.1 == "alert") && !fired.is_empty()))
    })
    .await
    .unwrap();
    let sizes = kb::recorded_sizes().unwrap();
    assert_eq!(sizes.len(), 4, "{sizes:?}");
    wait_kb_sizes(&stack, &sizes).await;

    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = open_watched(&browser, &stack.url("/analytics?range=15m")).await;
    tab.wait_connected(LOAD).await.unwrap();

    // Sessions: the totals of what happened (recorded ones found, ours created and deleted), drawn as bars.
    let sub = format!("per minute · {created} created · 3 ended · 0 expired");
    wait_text(&tab, "[data-testid=chart-sessions] .panel-sub", &sub).await;
    wait_js(
        &tab,
        "the created bars",
        "document.querySelector('[data-testid=chart-sessions] .series.c1 path.bars').getAttribute('d').length > 0",
    )
    .await;
    // Requests: a line through many points, above zero (the dashboard's own polling of KATO counts).
    wait_for(LOAD, "a request-rate line", || async {
        Ok(
            (line_points(&tab, "chart-rps").await >= 5
                && draws_above_zero(&tab, "chart-rps").await)
                .then_some(()),
        )
    })
    .await
    .unwrap();
    // Alerts by rule: the rules the history counted (the restart's kato_restarted).
    let mut rules: Vec<String> = totals(&stack, "alerts.fired.*")
        .await
        .keys()
        .map(|k| k.trim_start_matches("alerts.fired.").to_owned())
        .collect();
    rules.sort();
    assert!(rules.contains(&"kato_restarted".to_owned()), "{rules:?}");
    wait_for(LOAD, "the alert rules", || async {
        Ok((legend(&tab, "chart-alerts").await == rules).then_some(()))
    })
    .await
    .unwrap();
    // Markers: every chart draws each marker of the history, labelled in its <title>.
    let labels: Vec<String> = markers(&stack).await.into_iter().map(|m| m.2).collect();
    for testid in CHARTS {
        wait_for(LOAD, &format!("the markers on {testid}"), || async {
            let titles = chart_markers(&tab, testid).await;
            Ok(labels
                .iter()
                .all(|l| titles.iter().any(|(t, _)| t.ends_with(&format!(" · {l}"))))
                .then_some(()))
        })
        .await
        .unwrap();
    }
    assert_eq!(
        tab.count("[data-testid=chart-rps] g.marker.tone-info")
            .await
            .unwrap(),
        1,
        "one restart"
    );
    assert_kb_charts(&tab, &stack, &sizes).await;
    assert_top_patterns(&tab, &stack, "", "clickhouse").await;
    // Load cards: figures, and the active sessions the server counts.
    let load = api(&stack, "/api/v1/analytics/predictions/load").await;
    let active = load["current_load"]["active_sessions"].as_f64().unwrap();
    assert_eq!(active, recorded + 2.0, "{load}");
    wait_text(
        &tab,
        "[data-testid=load-sessions-value]",
        &active.to_string(),
    )
    .await;
    for card in ["load-cpu", "load-memory", "load-capacity"] {
        wait_js(
            &tab,
            &format!("a percentage on {card}"),
            &format!("/^\\d+(\\.\\d)?\\u00a0%$/.test(document.querySelector('[data-testid={card}-value]').textContent)"),
        )
        .await;
    }
    shot(&tab, "analytics-e2e-15m").await;

    // Presets: in the URL, kept by a reload.
    tab.click("[data-range='1h']").await.unwrap();
    wait_js(&tab, "?range=1h", "location.search === '?range=1h'").await;
    assert_eq!(chosen_range(&tab).await, (Some("1h".into()), false));
    tab.reload().await.unwrap();
    wait_text(&tab, "[data-testid=chart-sessions] .panel-sub", &sub).await;
    assert_eq!(chosen_range(&tab).await, (Some("1h".into()), false));

    // A copied link with an absolute range (from two minutes before the start): "Custom", no live edge.
    let (from, to) = (started - 120, now() + 5);
    tab.goto(&stack.url(&format!("/analytics?from={from}&to={to}")))
        .await
        .unwrap();
    wait_text(&tab, "[data-testid=chart-sessions] .panel-sub", &sub).await;
    assert_eq!(chosen_range(&tab).await, (None, true));
    wait_js(
        &tab,
        "no 'now' at the right edge",
        "[...document.querySelectorAll('.chart-x span:last-child')].every(s => s.textContent !== 'now')",
    )
    .await;

    // Drag across the request-rate chart over the minute around the restart (not shorter: see
    // `zooming_into_less_than_a_bucket_keeps_the_app_alive`): the URL takes the dragged span, the charts refetch it.
    let span = (to - from) as f64;
    let at = |t: i64| ((t - from) as f64 / span).clamp(0.02, 0.98);
    let (t0, t1) = (restart.0 - 50, to - 5);
    tab.eval::<bool>("performance.clearResourceTimings(); true")
        .await
        .unwrap();
    let (fractions, _) = pointer(&tab, "chart-rps", &[at(t0), at(restart.0), at(t1)], true).await;
    let (lo, hi) = (fractions[0], fractions[2]);
    let zoom_from = ((from as f64 * 1000.0 + span * 1000.0 * lo) / 1000.0).floor() as i64;
    let zoom_to = ((from as f64 * 1000.0 + span * 1000.0 * hi) / 1000.0).ceil() as i64;
    let (zf, zt) = wait_for(LOAD, "an absolute range in the URL", || async {
        Ok(url_range(&tab).await.filter(|r| *r != (from, to)))
    })
    .await
    .unwrap();
    assert!(
        (zf - zoom_from).abs() <= 1 && (zt - zoom_to).abs() <= 1,
        "dragged {zoom_from}..{zoom_to}, got {zf}..{zt}"
    );
    assert!(
        zf <= restart.0 && restart.0 <= zt,
        "{zf}..{zt} holds the restart"
    );
    wait_for(
        LOAD,
        "both history feeds to fetch the dragged span",
        || async { Ok((history_fetches(&tab, zf, zt).await >= 2).then_some(())) },
    )
    .await
    .unwrap();
    wait_for(LOAD, "the zoomed line and the restart marker", || async {
        let restarts = tab
            .count("[data-testid=chart-rps] g.marker.tone-info")
            .await?;
        Ok((line_points(&tab, "chart-rps").await >= 2 && restarts == 1).then_some(()))
    })
    .await
    .unwrap();
    assert_eq!(chosen_range(&tab).await, (None, true));
    shot(&tab, "analytics-e2e-zoomed").await;
    assert_eq!(page_errors(&tab).await, Vec::<String>::new());
    browser.close().await;
    stack.stop().await;
}

/// A range shorter than one count bucket (20 s, one-minute buckets): the bar of the bucket it lies in is drawn
/// across it, and the app survives. (The first version of `state::history::bars` clamped a bar's x to
/// `0..VIEW_W - w`, and `f64::clamp` panicked once the bar was wider than the chart — a single-series count chart
/// over less than 48 s: the WASM died with "unreachable".)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zooming_into_less_than_a_bucket_keeps_the_app_alive() {
    let _gate = exclusive().await;
    let stack = Stack::start().await.unwrap();
    stack.sim.restart(Duration::from_millis(500));
    let fired = wait_for(LOAD, "the restart's alert in the history", || async {
        Ok(markers(&stack).await.into_iter().find(|m| m.1 == "alert"))
    })
    .await
    .unwrap();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let (from, to) = (fired.0 - 10, fired.0 + 10);
    let tab = open_watched(
        &browser,
        &stack.url(&format!("/analytics?from={from}&to={to}")),
    )
    .await;
    wait_text(&tab, "[data-testid=chart-alerts] .panel-sub", "1 fired").await;
    let bar = "document.querySelector('[data-testid=chart-alerts] path.bars')?.getAttribute('d')?.length > 0";
    let (drawn, errors) = wait_for(LOAD, "the alert's bar, or an error", || async {
        let (drawn, errors) = (tab.eval::<bool>(bar).await?, page_errors(&tab).await);
        Ok((drawn || !errors.is_empty()).then_some((drawn, errors)))
    })
    .await
    .unwrap();
    assert!(errors.is_empty(), "the app failed: {errors:?}");
    assert!(drawn);
    browser.close().await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_shows_kato_1x_knowledge_bases_from_mongodb() {
    let _gate = exclusive().await;
    let mongo = MongoServer::start_with_kato_fixture().expect("nx-27017 with the d1391ac dump");
    let url = mongo.url();
    let stack = Stack::start_with_env(
        SimConfig::idle(Flavour::V1),
        &[("MONGO_URL", &url), ("HISTORY_KB_SAMPLE_SECONDS", "1")],
    )
    .await
    .unwrap();
    let sizes = recorded_v1_sizes();
    assert_eq!(sizes.len(), 4, "{sizes:?}");
    wait_kb_sizes(&stack, &sizes).await;

    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = browser
        .open(&stack.url("/analytics?range=15m"))
        .await
        .unwrap();
    tab.wait_connected(LOAD).await.unwrap();
    assert_kb_charts(&tab, &stack, &sizes).await;
    assert_top_patterns(&tab, &stack, "", "mongodb").await;

    // One knowledge base chosen in the selector: its own top patterns, without the knowledge-base pills.
    let kb = "sensor_alpha_kato";
    tab.eval::<bool>(&format!(
        "(() => {{ const s = document.querySelector('[data-testid=patterns-panel] select'); s.value = '{kb}'; \
         s.dispatchEvent(new Event('change', {{ bubbles: true }})); return true; }})()"
    ))
    .await
    .unwrap();
    assert_top_patterns(&tab, &stack, &format!("&processor_id={kb}"), "mongodb").await;
    shot(&tab, "analytics-e2e-kato-1x").await;
    browser.close().await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_that_cannot_open_says_why_and_live_cards_keep_moving() {
    let _gate = exclusive().await;
    let file = tempfile::NamedTempFile::new().unwrap();
    let path = file.path().display().to_string();
    let stack = Stack::start_with_env(SimConfig::idle(Flavour::V1), &[("HISTORY_DATA_DIR", &path)])
        .await
        .unwrap();
    let info = api(&stack, "/api/v1/system/history/series").await;
    assert_eq!(info["status"]["ok"], false, "{info}");
    let reason = info["status"]["error"].as_str().unwrap().to_owned();
    let resp = reqwest::get(stack.url(&format!(
        "/api/v1/system/history?series=kato.up&from={}",
        now() - 60
    )))
    .await
    .unwrap();
    assert_eq!(resp.status(), 503);
    let detail = resp.json::<serde_json::Value>().await.unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains(&reason), "{detail} / {reason}");

    // Analytics: the store's reason above, and on every chart instead of an empty box.
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = browser
        .open(&stack.url("/analytics?range=1h"))
        .await
        .unwrap();
    tab.wait_connected(LOAD).await.unwrap();
    wait_text(&tab, "[data-testid=analytics] .note.warn", &reason).await;
    let failed = format!("History unavailable: 503: {detail}");
    for testid in CHARTS {
        wait_for(LOAD, &format!("the reason on {testid}"), || async {
            Ok(chart_note(&tab, testid).await.filter(|n| *n == failed))
        })
        .await
        .unwrap();
    }
    assert_eq!(
        tab.count(".chart-empty.failed").await.unwrap(),
        CHARTS.len()
    );
    wait_js(
        &tab,
        "the load cards' figures",
        "/\\d/.test(document.querySelector('[data-testid=load-cpu-value]').textContent)",
    )
    .await;
    shot(&tab, "analytics-e2e-history-down").await;

    // Dashboard over an hour: its three charts say why; the live cards follow KATO.
    tab.goto(&stack.url("/?range=1h")).await.unwrap();
    tab.wait_connected(LOAD).await.unwrap();
    wait_js(
        &tab,
        "the reason on the three charts",
        &format!(
            "(() => {{ const n = [...document.querySelectorAll('.chart-empty.failed')]; \
             return n.length === 3 && n.every(e => e.textContent.trim() === {}); }})()",
            serde_json::to_string(&failed).unwrap()
        ),
    )
    .await;
    let card = "[data-testid=active-sessions-value]";
    let before: u64 = wait_for(LOAD, "the active sessions card", || async {
        Ok(tab.text(card).await?.and_then(|t| t.parse().ok()))
    })
    .await
    .unwrap();
    for _ in 0..2 {
        stack.sim.create_session("chat-bot", None).await.unwrap();
    }
    wait_for(LOAD, "two more active sessions on the card", || async {
        Ok((tab.text(card).await? == Some((before + 2).to_string())).then_some(()))
    })
    .await
    .unwrap();
    // The live 15 minutes are drawn from what the socket delivered.
    tab.click("[data-range='15m']").await.unwrap();
    wait_js(
        &tab,
        "live lines, no failure",
        "document.querySelectorAll('.chart-empty.failed').length === 0 && \
         [...document.querySelectorAll('.chart path.line')].some(p => (p.getAttribute('d') || '').includes('L'))",
    )
    .await;
    shot(&tab, "dashboard-e2e-history-down").await;
    browser.close().await;
    stack.stop().await;
    drop(file);
}
