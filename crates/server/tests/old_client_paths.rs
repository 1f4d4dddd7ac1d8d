//! Every REST call the old dashboard's React client makes (`tests/fixtures/old-dashboard/rest-calls.txt`, from its
//! documented source) has a route here with the same method, checked against the served `/openapi.json` (which
//! another test keeps equal to the router), and answers in JSON rather than the API's "no endpoint" 404.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;

use support::{Dashboard, closed_port};

/// `/a/{x}/b/{y}` → `/a/{}/b/{}`.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "{}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

/// (method, path shape) of a call.
type Call = (String, String);

/// The calls served now, and those the Analytics issue answers.
fn old_calls() -> (Vec<Call>, Vec<Call>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/old-dashboard/rest-calls.txt"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let (mut served, mut later) = (Vec::new(), Vec::new());
    let mut target = &mut served;
    for line in text.lines() {
        if line.starts_with("# answered by the Analytics issue") {
            target = &mut later;
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (method, path) = line.split_once(' ').unwrap();
        target.push((method.to_lowercase(), shape(path)));
    }
    (served, later)
}

#[tokio::test]
async fn every_call_of_the_old_client_has_a_route() {
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let dash = Dashboard::start(&kato, &[]).await;
    let (status, spec) = dash.get("/openapi.json").await;
    assert_eq!(status, 200);
    let ours: BTreeSet<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(|m| (m.clone(), shape(path)))
                .collect::<Vec<_>>()
        })
        .collect();
    let (served, later) = old_calls();
    assert!(served.len() > 40, "the list was read: {served:?}");
    let missing: Vec<_> = served.iter().filter(|c| !ours.contains(*c)).collect();
    assert!(
        missing.is_empty(),
        "old client calls without a route: {missing:?}"
    );
    let pending: Vec<_> = later.iter().filter(|c| !ours.contains(*c)).collect();
    println!(
        "{} of the old client's {} calls have a route; not yet: {pending:?}",
        served.len() + later.len() - pending.len(),
        served.len() + later.len()
    );
    dash.stop().await;
}
