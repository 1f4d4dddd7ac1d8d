//! Symbols: every symbol's frequency, pattern count and affinity equal KATO's own `/symbols/stats` and
//! `/symbols/affinity` answers (`api/`), pattern coverage is the share of all patterns holding the symbol, and
//! one symbol's affinity equals KATO's `/symbols/{symbol}/affinity`.

use serde_json::Value;

use super::{BASE, enc, fixture, ok, setup};

/// Close enough for two readings of the same float (KATO's Python and our Rust parse the same string).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * x.abs().max(1.0),
        _ => false,
    }
}

#[tokio::test]
async fn symbols_equal_katos_own_answers() {
    let s = setup(&[]).await;
    for (node, kb, patterns) in [
        ("sensor-alpha", "sensor_alpha_kato", 356u64),
        ("chat-bot", "chat_bot_kato", 27),
        ("vision-1", "vision_1_kato", 27),
        ("planner", "planner_kato", 30),
    ] {
        let stats = fixture(&format!("api/symbols_stats_{node}.json"));
        let affinities = fixture(&format!("api/symbols_affinity_{node}.json"));
        let kato = stats["symbols"].as_object().unwrap();
        let page = ok(&s.dash, &format!("{BASE}/symbols/{kb}?limit=1000")).await;
        assert_eq!(page["total"].as_u64(), Some(kato.len() as u64), "{kb}");
        assert_eq!(page["total_patterns"], patterns);
        let ours = page["symbols"].as_array().unwrap();
        assert_eq!(ours.len(), kato.len());
        // Sorted by frequency, descending, ties by name.
        assert!(ours.windows(2).all(|w| {
            let (a, b) = (
                w[0]["frequency"].as_u64().unwrap(),
                w[1]["frequency"].as_u64().unwrap(),
            );
            a > b || (a == b && w[0]["name"].as_str() < w[1]["name"].as_str())
        }));
        for sym in ours {
            let name = sym["name"].as_str().unwrap();
            let k = &kato[name];
            assert_eq!(sym["frequency"], k["frequency"], "{kb} {name}");
            assert_eq!(
                sym["pattern_member_frequency"], k["pattern_member_frequency"],
                "{kb} {name}"
            );
            let pmf = k["pattern_member_frequency"].as_f64().unwrap();
            let coverage = sym["pattern_coverage_percent"].as_f64().unwrap();
            assert!(
                (coverage - pmf / patterns as f64 * 100.0).abs() < 1e-9,
                "{kb} {name}"
            );
            let expected = &affinities["affinities"][name];
            let got = sym["affinity"].as_object().unwrap();
            assert_eq!(
                got.len(),
                expected.as_object().unwrap().len(),
                "{kb} {name}"
            );
            for (emotive, value) in got {
                assert!(
                    same(value, &expected[emotive]),
                    "{kb} {name} {emotive}: {value} vs {}",
                    expected[emotive]
                );
            }
        }
    }

    // One symbol, as KATO's /symbols/temp:high/affinity answered it.
    let kato = fixture("api/symbol_affinity_sensor-alpha_temp_high.json");
    let ours = ok(
        &s.dash,
        &format!("{BASE}/symbols/sensor_alpha_kato/affinity/temp:high"),
    )
    .await;
    assert_eq!(ours["symbol"], "temp:high");
    for (emotive, value) in kato["affinity"].as_object().unwrap() {
        assert!(same(&ours["affinity"][emotive], value), "{emotive}");
    }
    // Symbols hold `|` (vectors) and may hold `/`: both reach the right key.
    let vector = "VCTR|a6494b584a8da93429f96f70d4638300d57d87c7";
    let ours = ok(
        &s.dash,
        &format!("{BASE}/symbols/sensor_alpha_kato/affinity/{}", enc(vector)),
    )
    .await;
    assert_eq!(ours["frequency"], 46);
    assert_eq!(ours["pattern_member_frequency"], 34);

    // Paging, search and the other sorts.
    let page = ok(
        &s.dash,
        &format!("{BASE}/symbols/sensor_alpha_kato?search=TEMP&sort_by=name&sort_order=asc"),
    )
    .await;
    let names: Vec<&str> = page["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["temp:high", "temp:low", "temp:normal"]);
    let page = ok(
        &s.dash,
        &format!("{BASE}/symbols/sensor_alpha_kato?sort_by=pmf&limit=5&skip=35"),
    )
    .await;
    assert_eq!(
        (
            page["symbols"].as_array().unwrap().len(),
            page["has_more"].as_bool()
        ),
        (4, Some(false))
    );
    let stats = ok(
        &s.dash,
        &format!("{BASE}/symbols/sensor_alpha_kato/statistics"),
    )
    .await;
    assert_eq!(stats["total_symbols"], 39);
    assert_eq!(stats["top_symbols"].as_array().unwrap().len(), 10);
    let top = &stats["top_symbols"][0];
    assert_eq!(top["frequency"], stats["max_frequency"]);
    s.dash.stop().await;
}
