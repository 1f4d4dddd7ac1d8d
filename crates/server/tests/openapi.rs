//! `/openapi.json` documents every route, and every documented operation reaches a handler.
//!
//! Both directions are checked: the route registrations in `crates/server/src/routes` (read from the source, so a
//! route added without documentation fails here) must all be in the document, and every operation in the
//! document, called on a running server, must answer from a handler (not the API's "no endpoint" 404 and not
//! 405). `/docs` serves the explorer page.
//!
//! Handlers are registered through `utoipa_axum::routes!`, which takes each one's method and path from its
//! `#[utoipa::path(method, path = "…")]`; so the registrations read here are those attributes, plus any plain
//! axum `.route(…)` (which would bypass the document).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{collections::BTreeSet, path::PathBuf};

use futures_util::future::join_all;
use serde_json::Value;
use support::{Dashboard, closed_port};

const ROOT_PATHS: [&str; 4] = ["/ws", "/metrics", "/openapi.json", "/docs"];
const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

fn route_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                files.push(p);
            }
        }
    }
    files
}

/// The first string literal after `at` (`"…"`), and where it ends.
fn literal(src: &str, at: usize) -> Option<(String, usize)> {
    let start = at + src[at..].find('"')? + 1;
    let len = src[start..].find('"')?;
    Some((src[start..start + len].to_owned(), start + len + 1))
}

/// Methods named in a method-router expression: `get(a).delete(b)`, `axum::routing::delete(c)`, `post(d)`.
fn methods(expr: &str) -> Vec<&'static str> {
    let bytes = expr.as_bytes();
    METHODS
        .into_iter()
        .filter(|m| {
            expr.match_indices(&format!("{m}(")).any(|(i, _)| {
                i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')
            })
        })
        .collect()
}

/// The full path of a path relative to `/api/v1` (or of a root path), as the document writes it.
fn full_path(raw: &str, base: &str) -> String {
    let path = raw
        .replace("{base}", base)
        .replace("{{", "{")
        .replace("}}", "}")
        .replace("{*", "{");
    if ROOT_PATHS.contains(&path.as_str()) {
        path
    } else if path == "/" {
        "/api/v1".to_owned()
    } else {
        format!("/api/v1{path}")
    }
}

/// `(method, full path)` of every `#[utoipa::path(method, path = "…")]`: what `routes!` registers.
fn annotated_routes(src: &str, file: &std::path::Path) -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for (i, attr) in src.match_indices("#[utoipa::path(") {
        let rest = &src[i + attr.len()..];
        let method = rest[..rest.find(',').expect("a method")].trim().to_owned();
        assert!(
            METHODS.contains(&method.as_str()),
            "method `{method}` in {}",
            file.display()
        );
        let at = i + src[i..].find("path = ").expect("a path");
        let (raw, _) = literal(src, at).expect("a path literal");
        routes.push((method, full_path(&raw, "")));
    }
    routes
}

/// `(method, full path)` of every registration in the router source.
fn registered_routes() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for file in route_files() {
        let src = std::fs::read_to_string(&file).unwrap();
        routes.extend(annotated_routes(&src, &file));
        let base = src
            .find("let base = ")
            .and_then(|i| literal(&src, i))
            .map(|(b, _)| b)
            .unwrap_or_default();
        for (i, _) in src.match_indices(".route(") {
            let (raw, end) = literal(&src, i).expect("a path literal");
            let rest = &src[end..];
            let stop = [
                ".route(",
                ".merge(",
                ".with_state(",
                ".fallback(",
                ".nest(",
                "\n}",
            ]
            .iter()
            .filter_map(|s| rest.find(s))
            .min()
            .unwrap_or(rest.len());
            let full = full_path(&raw, &base);
            let found = methods(&rest[..stop]);
            assert!(
                !found.is_empty(),
                "no method for {full} in {}",
                file.display()
            );
            for m in found {
                routes.insert((m.to_owned(), full.clone()));
            }
        }
    }
    routes
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect()
}

#[tokio::test]
async fn every_route_is_documented_and_every_operation_reaches_a_handler() {
    let registered = registered_routes();
    assert!(registered.len() > 40, "the parser found {registered:?}");
    let port = closed_port().await;
    let nowhere = format!("127.0.0.1:{}", closed_port().await);
    let dash = Dashboard::start(
        &format!("http://127.0.0.1:{port}"),
        &[
            ("MONGO_URL", &format!("mongodb://{nowhere}")),
            ("QDRANT_URL", &format!("http://{nowhere}")),
            ("REDIS_URL", &format!("redis://{nowhere}")),
        ],
    )
    .await;
    let (status, doc) = dash.get("/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let ops = documented(&doc);
    let undocumented: Vec<_> = registered.difference(&ops).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from /openapi.json: {undocumented:?}"
    );
    let unrouted: Vec<_> = ops.difference(&registered).collect();
    assert!(
        unrouted.is_empty(),
        "documented but not registered: {unrouted:?}"
    );
    for (method, path) in &ops {
        let op = &doc["paths"][path][method];
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{method} {path}"
        );
        assert!(op["responses"]["200"].is_object(), "{method} {path}");
    }

    // Each operation, called for real with placeholder parameters, is answered by its handler.
    let client = reqwest::Client::new();
    let calls = ops.iter().map(|(method, path)| {
        let url = dash.url(&path.replace(['{', '}'], ""));
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let client = client.clone();
        async move {
            let resp = client.request(method.clone(), &url).send().await.unwrap();
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap_or_default();
            (format!("{method} {url}"), status, body)
        }
    });
    for (call, status, body) in join_all(calls).await {
        assert_ne!(status, 405, "{call}: method not routed");
        assert!(
            !(status == 404 && body.contains("no endpoint")),
            "{call}: no handler ({body})"
        );
    }
    dash.stop().await;
}

#[tokio::test]
async fn the_explorer_page_reads_the_document() {
    let port = closed_port().await;
    let dash = Dashboard::start(&format!("http://127.0.0.1:{port}"), &[]).await;
    let resp = reqwest::get(dash.url("/docs")).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = resp.text().await.unwrap();
    assert!(page.contains("fetch(\"/openapi.json\")"));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external resources"
    );
    dash.stop().await;
}
