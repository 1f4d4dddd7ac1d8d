//! The browser against the gRPC test server (`kato_dashboard_testkit::qdrant`), and against a real Qdrant when
//! `QDRANT_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use kato_dashboard_browse_qdrant::{
    BrowseError, PointKey, QdrantBrowser, QdrantBrowserConfig, grpc_url_from,
};
use kato_dashboard_testkit::qdrant::{
    INTEGER_POINTS, KATO_COLLECTIONS, POINTS_COLLECTION, QdrantTestServer, UUID_POINTS, VECTOR_SIZE,
};
use qdrant_client::{
    Qdrant,
    qdrant::{
        CreateCollectionBuilder, Distance, PointStruct, UpsertPointsBuilder, VectorParamsBuilder,
    },
};

fn browser(url: &str) -> QdrantBrowser {
    QdrantBrowser::new(QdrantBrowserConfig {
        grpc_url: url.to_owned(),
        timeout: Duration::from_secs(2),
        api_key: None,
    })
    .unwrap()
}

fn key(s: &str) -> PointKey {
    PointKey::parse(s).unwrap()
}

#[tokio::test]
async fn collections_report_points_size_distance_and_status() {
    let server = QdrantTestServer::start().unwrap();
    let list = browser(&server.url()).collections().await.unwrap();
    let names: Vec<_> = list.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, KATO_COLLECTIONS);
    for c in &list {
        let want = if c.name == POINTS_COLLECTION {
            INTEGER_POINTS + UUID_POINTS as u64
        } else {
            0
        };
        assert_eq!(c.points_count, Some(want), "{}", c.name);
        assert_eq!(c.vectors_count, c.points_count);
        assert_eq!(c.vector_size, Some(VECTOR_SIZE as u64));
        assert_eq!(c.distance.as_deref(), Some("EUCLID"));
        assert_eq!(c.status.as_deref(), Some("GREEN"));
    }
    let detail = browser(&server.url())
        .collection(POINTS_COLLECTION)
        .await
        .unwrap();
    assert_eq!(detail.distance_metric.as_deref(), Some("EUCLID"));
    assert!(detail.optimizer_status);
    let missing = browser(&server.url()).collection("nope").await;
    assert!(
        matches!(missing, Err(BrowseError::NotFound(_))),
        "{missing:?}"
    );
}

#[tokio::test]
async fn scrolling_forwards_then_back_with_a_cursor_stack_visits_integer_then_uuid_ids() {
    let server = QdrantTestServer::start().unwrap();
    let b = browser(&server.url());
    let mut cursors: Vec<Option<PointKey>> = vec![None];
    let mut pages = Vec::new();
    loop {
        let offset = cursors.last().cloned().flatten();
        let page = b
            .scroll(POINTS_COLLECTION, offset, 5, true, false)
            .await
            .unwrap();
        assert!(
            page.points
                .iter()
                .all(|p| p.vector.is_none() && p.payload.is_some())
        );
        pages.push(
            page.points
                .iter()
                .map(|p| p.id.to_string())
                .collect::<Vec<_>>(),
        );
        match page.next_offset {
            Some(next) => cursors.push(Some(next)),
            None => break,
        }
    }
    assert_eq!(pages.concat(), server.point_ids(POINTS_COLLECTION));
    assert_eq!(pages.len(), 5);
    assert!(matches!(key(&pages[2][1]), PointKey::Num(_)));
    assert!(
        matches!(key(&pages[3][0]), PointKey::Uuid(_)),
        "page 4 starts among the UUIDs"
    );
    // Backwards: pop the current cursor; the previous one gives the previous page again.
    for back in (0..pages.len()).rev() {
        let page = b
            .scroll(POINTS_COLLECTION, cursors[back].clone(), 5, false, true)
            .await
            .unwrap();
        let ids: Vec<_> = page.points.iter().map(|p| p.id.to_string()).collect();
        assert_eq!(ids, pages[back]);
        assert!(
            page.points
                .iter()
                .all(|p| p.vector.as_ref().map(Vec::len) == Some(VECTOR_SIZE))
        );
    }
}

#[tokio::test]
async fn point_detail_similar_points_and_search() {
    let server = QdrantTestServer::start().unwrap();
    let b = browser(&server.url());
    let ids = server.point_ids(POINTS_COLLECTION);
    let uuid = ids.last().unwrap();
    let p = b
        .point(POINTS_COLLECTION, &key(&uuid.to_uppercase()), true, true)
        .await
        .unwrap();
    assert_eq!(p.id.to_string(), *uuid);
    assert_eq!(p.vector, server.vector(POINTS_COLLECTION, uuid));
    assert!(
        p.payload.unwrap()["name"]
            .as_str()
            .unwrap()
            .starts_with("VCTR|")
    );
    let absent = b
        .point(POINTS_COLLECTION, &PointKey::Num(999), true, true)
        .await;
    assert!(
        matches!(absent, Err(BrowseError::NotFound(_))),
        "{absent:?}"
    );

    let similar = b
        .similar(POINTS_COLLECTION, &PointKey::Num(1), 10, None)
        .await
        .unwrap();
    assert_eq!(similar.len(), 10);
    assert!(
        similar.iter().all(|s| s.id != PointKey::Num(1)),
        "the point itself is excluded"
    );
    assert_eq!(
        similar[0].id,
        PointKey::Num(2),
        "the near-duplicate comes first"
    );
    assert!(
        similar.windows(2).all(|w| w[0].score <= w[1].score),
        "Euclid: ascending distance"
    );

    let v = server.vector(POINTS_COLLECTION, uuid).unwrap();
    let hits = b.search(POINTS_COLLECTION, v, 3, None, None).await.unwrap();
    assert_eq!(hits[0].id.to_string(), *uuid);
    assert!(hits[0].score.abs() < 1e-6);
    let wrong = b
        .search(POINTS_COLLECTION, vec![0.1, 0.2, 0.3], 3, None, None)
        .await;
    match wrong {
        Err(BrowseError::Invalid(m)) => {
            assert!(m.contains("3 dimensions") && m.contains("512"), "{m}")
        }
        other => panic!("expected a dimension error, got {other:?}"),
    }
}

#[tokio::test]
async fn deletes_report_what_really_existed() {
    let server = QdrantTestServer::start().unwrap();
    let b = browser(&server.url());
    let uuid = server.point_ids(POINTS_COLLECTION).pop().unwrap();
    let out = b
        .delete_points(
            POINTS_COLLECTION,
            &[PointKey::Num(3), key(&uuid), PointKey::Num(999)],
        )
        .await
        .unwrap();
    assert_eq!((out.deleted_count, out.requested_count), (2, 3));
    assert_eq!(out.missing, [PointKey::Num(999)]);
    assert!(
        !server
            .point_ids(POINTS_COLLECTION)
            .contains(&"3".to_owned())
    );
    b.delete_collection("vectors_planner_kato").await.unwrap();
    assert!(!server.has_collection("vectors_planner_kato"));
    let again = b.delete_collection("vectors_planner_kato").await;
    assert!(matches!(again, Err(BrowseError::NotFound(_))), "{again:?}");
}

#[tokio::test]
async fn qdrant_down_or_silent_fails_fast_with_the_reason() {
    // Nothing listens: refused at once.
    let port = kato_dashboard_testkit::free_port().unwrap();
    let started = Instant::now();
    let down = browser(&format!("http://127.0.0.1:{port}"))
        .collections()
        .await;
    assert!(matches!(down, Err(BrowseError::Unavailable(_))), "{down:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    // Accepts TCP but never speaks HTTP/2: the deadline ends it.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let started = Instant::now();
    let stuck = browser(&url).collections().await;
    assert!(
        matches!(
            stuck,
            Err(BrowseError::Timeout(_) | BrowseError::Unavailable(_))
        ),
        "{stuck:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// Creates a collection with integer and UUID ids through the plain client, then browses it. Runs against the
/// test server always, and against the real Qdrant at `QDRANT_URL` when that is set.
#[tokio::test]
async fn seeded_collection_roundtrip_on_the_test_server_and_on_real_qdrant_when_qdrant_url_is_set()
{
    let server = QdrantTestServer::start().unwrap();
    roundtrip(&server.url()).await;
    match std::env::var("QDRANT_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        Some(url) => {
            let grpc = std::env::var("QDRANT_GRPC_URL").unwrap_or_else(|_| grpc_url_from(&url));
            roundtrip(&grpc).await;
            eprintln!("ran against the test server AND the real Qdrant at {grpc}");
        }
        None => eprintln!(
            "QDRANT_URL is not set: this test ran against the gRPC test server only, NOT against a real Qdrant"
        ),
    }
}

async fn roundtrip(url: &str) {
    let name = format!("kato_dashboard_test_{}", std::process::id());
    let client = Qdrant::from_url(url)
        .skip_compatibility_check()
        .build()
        .unwrap();
    let _ = client.delete_collection(name.as_str()).await;
    client
        .create_collection(
            CreateCollectionBuilder::new(&name)
                .vectors_config(VectorParamsBuilder::new(4, Distance::Cosine)),
        )
        .await
        .unwrap();
    let uuid = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26";
    let points = vec![
        PointStruct::new(7, vec![1.0, 0.0, 0.0, 0.0], [("name", "seven".into())]),
        PointStruct::new(3, vec![0.9, 0.1, 0.0, 0.0], [("name", "three".into())]),
        PointStruct::new(
            uuid.to_owned(),
            vec![0.0, 0.0, 1.0, 0.0],
            [("name", "uuid".into())],
        ),
    ];
    client
        .upsert_points(UpsertPointsBuilder::new(&name, points).wait(true))
        .await
        .unwrap();
    let b = browser(url);
    let first = b.scroll(&name, None, 2, true, false).await.unwrap();
    let ids: Vec<_> = first.points.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids, [PointKey::Num(3), PointKey::Num(7)]);
    assert_eq!(first.next_offset, Some(key(uuid)));
    let second = b
        .scroll(&name, first.next_offset, 2, true, false)
        .await
        .unwrap();
    assert_eq!(second.points[0].payload.as_ref().unwrap()["name"], "uuid");
    assert_eq!(second.next_offset, None);
    let similar = b.similar(&name, &PointKey::Num(7), 5, None).await.unwrap();
    assert_eq!(similar[0].id, PointKey::Num(3));
    assert!(similar.iter().all(|s| s.id != PointKey::Num(7)));
    let detail = b.collection(&name).await.unwrap();
    assert_eq!(
        (detail.vector_size, detail.distance.as_deref()),
        (Some(4), Some("COSINE"))
    );
    b.delete_collection(&name).await.unwrap();
}
