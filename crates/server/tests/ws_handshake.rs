//! The `/ws` opening handshake and closing handshake on the wire: a key that is not a 16-byte base64 nonce is a
//! JSON 400, an unsupported version a JSON 426 naming version 13, and a client's close code is echoed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use support::{Dashboard, closed_port};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::{
    Message,
    protocol::{CloseFrame, frame::coding::CloseCode},
};

async fn raw_upgrade(dash: &Dashboard, key: &str, version: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(dash.addr).await.unwrap();
    let req = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n\r\n",
        dash.addr
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&out[..n]).into_owned()
}

#[tokio::test]
async fn bad_keys_and_versions_get_json_answers() {
    let dash = Dashboard::start(&format!("http://127.0.0.1:{}", closed_port().await), &[]).await;
    let ok = raw_upgrade(&dash, "dGhlIHNhbXBsZSBub25jZQ==", "13").await;
    assert!(ok.starts_with("HTTP/1.1 101"), "{ok}");
    for key in ["short", "c2hvcnQ=", "dGhpcyBub25jZSBpcyB0b28gbG9uZyE="] {
        let answer = raw_upgrade(&dash, key, "13").await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{key}: {answer}");
        assert!(
            answer.contains("\"detail\"") && answer.contains("Sec-WebSocket-Key"),
            "{answer}"
        );
    }
    let old = raw_upgrade(&dash, "dGhlIHNhbXBsZSBub25jZQ==", "8").await;
    assert!(old.starts_with("HTTP/1.1 426"), "{old}");
    assert!(
        old.to_ascii_lowercase()
            .contains("sec-websocket-version: 13"),
        "{old}"
    );
    assert!(old.contains("\"detail\""), "{old}");
    dash.stop().await;
}

#[tokio::test]
async fn the_clients_close_code_is_echoed() {
    let dash = Dashboard::start(&format!("http://127.0.0.1:{}", closed_port().await), &[]).await;
    for code in [1000u16, 1001, 4000] {
        let (mut ws, _) = tokio_tungstenite::connect_async(dash.ws_url())
            .await
            .unwrap();
        ws.send(Message::Close(Some(CloseFrame {
            code: CloseCode::from(code),
            reason: "done".into(),
        })))
        .await
        .unwrap();
        let echoed = loop {
            match tokio::time::timeout(Duration::from_secs(5), ws.next())
                .await
                .unwrap()
            {
                Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                other => panic!("no close frame: {other:?}"),
            }
        };
        assert_eq!(echoed, Some(code));
    }
    dash.stop().await;
}
