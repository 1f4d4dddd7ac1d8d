//! The HTTP/1.1 WebSocket opening handshake (RFC 6455 §4.2) and taking the TCP socket from the HTTP layer once it
//! is done, so the connection writes frames to it directly.

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Version, header},
};
use base64::Engine as _;
use sha1::{Digest, Sha1};

const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Why an upgrade request is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a valid WebSocket upgrade (400).
    Bad(String),
    /// A protocol version other than 13 (426 with `Sec-WebSocket-Version: 13`).
    Version,
}

impl From<&str> for Refusal {
    fn from(reason: &str) -> Self {
        Refusal::Bad(reason.to_owned())
    }
}

impl From<String> for Refusal {
    fn from(reason: String) -> Self {
        Refusal::Bad(reason)
    }
}

/// Checks an upgrade request; returns the `Sec-WebSocket-Accept` value, or why the request is not one.
pub fn accept(method: &Method, version: Version, headers: &HeaderMap) -> Result<String, Refusal> {
    if method != Method::GET {
        return Err("a WebSocket upgrade must be a GET".into());
    }
    if version != Version::HTTP_11 {
        return Err("/ws needs an HTTP/1.1 upgrade".into());
    }
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if !has_token(header::CONNECTION, "upgrade") || !has_token(header::UPGRADE, "websocket") {
        return Err("this is the WebSocket endpoint: connect with a WebSocket client".into());
    }
    match headers.get(header::SEC_WEBSOCKET_VERSION) {
        None => return Err("Sec-WebSocket-Version is missing (it must be 13)".into()),
        Some(v) if v.as_bytes() != b"13" => return Err(Refusal::Version),
        Some(_) => {}
    }
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or("Sec-WebSocket-Key is missing")?;
    // A nonce: 16 bytes, base64-encoded (RFC 6455 §4.1).
    let nonce = base64::engine::general_purpose::STANDARD
        .decode(key.as_bytes())
        .map_err(|_| "Sec-WebSocket-Key is not base64")?;
    if nonce.len() != 16 {
        return Err(format!(
            "Sec-WebSocket-Key must be 16 bytes in base64 (it decodes to {})",
            nonce.len()
        )
        .into());
    }
    Ok(accept_value(key.as_bytes()))
}

/// `base64(SHA-1(key + GUID))`.
pub fn accept_value(key: &[u8]) -> String {
    let mut sha1 = Sha1::default();
    sha1.update(key);
    sha1.update(GUID);
    base64::engine::general_purpose::STANDARD.encode(sha1.finalize())
}

/// The 101 answer.
pub fn switching_protocols(accept: &str) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(value) = HeaderValue::from_str(accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, value);
    }
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accept_value_matches_rfc_6455() {
        // The example of RFC 6455 §1.3.
        assert_eq!(
            accept_value(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn plain_gets_and_wrong_versions_are_refused() {
        let mut headers = HeaderMap::new();
        let plain = accept(&Method::GET, Version::HTTP_11, &headers);
        assert!(matches!(plain, Err(Refusal::Bad(r)) if r.contains("WebSocket client")));
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("8"));
        headers.insert(
            header::SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        );
        assert_eq!(
            accept(&Method::GET, Version::HTTP_11, &headers),
            Err(Refusal::Version)
        );
        headers.insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        for bad_key in [
            "not base64!",
            "c2hvcnQ=",
            "dGhpcyBub25jZSBpcyB0b28gbG9uZyE=",
        ] {
            let mut h = headers.clone();
            h.insert(header::SEC_WEBSOCKET_KEY, HeaderValue::from_static(bad_key));
            assert!(
                matches!(accept(&Method::GET, Version::HTTP_11, &h), Err(Refusal::Bad(r)) if r.contains("Sec-WebSocket-Key")),
                "{bad_key}"
            );
        }
        assert_eq!(
            accept(&Method::GET, Version::HTTP_11, &headers).as_deref(),
            Ok("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        );
        assert!(accept(&Method::POST, Version::HTTP_11, &headers).is_err());
        assert!(accept(&Method::GET, Version::HTTP_10, &headers).is_err());
    }
}
