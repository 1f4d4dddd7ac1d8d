//! Qdrant browser of the KATO Dashboard, over gRPC with the official `qdrant-client`.
//!
//! What it offers: the collections (points, vector size, distance, status), scrolling points forwards with
//! Qdrant's own offset ids (integer and UUID ids alike; going backwards is the caller's stack of earlier
//! cursors), a point with its vector and payload, similar points (searched with the point's own vector, the
//! point itself excluded by a filter), search by a vector whose dimension is checked first, and deletes of
//! points and collections. Every call has a short deadline and fails with a typed [`BrowseError`].
//!
//! It must not depend on the server or any other dashboard crate: the server maps [`BrowseError`] to HTTP and
//! decides who may delete.

mod browser;
mod convert;
mod error;
mod model;

pub use browser::{QdrantBrowser, QdrantBrowserConfig};
pub use error::{BrowseError, Result};
pub use model::{
    CollectionDetail, CollectionSummary, DeletedPoints, PointKey, PointView, ScoredPointView,
    ScrollPage,
};

/// Qdrant's gRPC port; its REST port is 6333.
pub const GRPC_PORT: u16 = 6334;

/// The gRPC URL for a Qdrant URL: the REST port 6333 becomes 6334, a URL without a port gets 6334, any other
/// port is kept (it is then taken to be the gRPC port already).
pub fn grpc_url_from(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let userinfo = &authority[..authority.len() - host_port.len()];
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || host_port.starts_with('[') => match p.parse::<u16>() {
            Ok(6333) => (h, GRPC_PORT),
            Ok(other) => (h, other),
            Err(_) => (host_port, GRPC_PORT),
        },
        _ => (host_port, GRPC_PORT),
    };
    let path = if path.is_empty() {
        String::new()
    } else {
        format!("/{path}")
    };
    format!("{scheme}://{userinfo}{host}:{port}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_urls_map_to_the_grpc_port() {
        let cases = [
            ("http://qdrant:6333", "http://qdrant:6334"),
            ("http://qdrant:6333/", "http://qdrant:6334"),
            ("http://qdrant", "http://qdrant:6334"),
            ("https://q.example:6334", "https://q.example:6334"),
            ("http://127.0.0.1:40001", "http://127.0.0.1:40001"),
            ("qdrant:6333", "http://qdrant:6334"),
            ("http://[::1]:6333", "http://[::1]:6334"),
        ];
        for (given, want) in cases {
            assert_eq!(grpc_url_from(given), want, "{given}");
        }
    }
}
