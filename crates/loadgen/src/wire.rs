//! A lean WebSocket client (RFC 6455) for the load generator: the opening handshake, masked client frames, and
//! server frames read in place from one buffer, with pings answered at once (as browsers do). At 10,000 clients
//! the generator shares the machine's cores with the server it measures, so every microsecond it spends per frame
//! shows up as latency it attributes to the server; this reader costs a fraction of a general-purpose client.

use std::{io, time::Duration};

use tokio::{io::AsyncWriteExt, net::TcpStream};
use url::Url;

/// Largest server frame accepted.
pub const MAX_FRAME: usize = 16 << 20;

/// What the server sent.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A text frame (borrowed from the read buffer until the next call).
    Text(&'a str),
    /// A binary frame of this many bytes.
    Binary(usize),
    /// The server closed: its code and reason, if it gave them.
    Close(Option<(u16, String)>),
}

/// A connected client socket.
#[derive(Debug)]
pub struct Ws {
    stream: TcpStream,
    buf: Vec<u8>,
    consumed: usize,
    chunk: usize,
}

/// A complete masked client frame (the mask is fixed: masking is not a secret on loopback).
pub fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    masked_frame(true, opcode, payload)
}

/// A masked client frame, final or a fragment (`fin` false; the server's codec tests use these).
pub fn masked_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    const MASK: [u8; 4] = [0x5a, 0x17, 0xc3, 0x81];
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push(if fin { 0x80 } else { 0 } | opcode);
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&MASK);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    out
}

/// Header length and payload length of the server frame at the start of `buf`, once its header is complete.
pub fn frame_len(buf: &[u8]) -> Result<Option<(usize, usize)>, String> {
    if buf.len() < 2 {
        return Ok(None);
    }
    if buf[1] & 0x80 != 0 {
        return Err("server frame is masked".into());
    }
    let (head, len) = match buf[1] & 0x7F {
        126 if buf.len() >= 4 => (4, u64::from(u16::from_be_bytes([buf[2], buf[3]]))),
        127 if buf.len() >= 10 => {
            let mut n = [0u8; 8];
            n.copy_from_slice(&buf[2..10]);
            (10, u64::from_be_bytes(n))
        }
        126 | 127 => return Ok(None),
        n => (2, u64::from(n)),
    };
    match usize::try_from(len) {
        Ok(len) if len <= MAX_FRAME => Ok(Some((head, len))),
        _ => Err(format!("server frame of {len} bytes")),
    }
}

impl Ws {
    /// Performs the opening handshake on a connected socket; reads will take up to `chunk` bytes at a time.
    pub async fn handshake(mut stream: TcpStream, url: &Url, chunk: usize) -> Result<Ws, String> {
        let host = url.host_str().unwrap_or("127.0.0.1");
        let port = url.port_or_known_default().unwrap_or(80);
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: a2F0by1kYXNoLWxvYWQxNg==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("send handshake: {}", e.kind()))?;
        let mut ws = Ws {
            stream,
            buf: Vec::with_capacity(1024),
            consumed: 0,
            chunk: chunk.max(256),
        };
        let end = loop {
            if let Some(i) = ws.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if ws.buf.len() > 16 * 1024 {
                return Err("handshake: response headers too long".into());
            }
            if ws.fill().await.map_err(|e| format!("handshake: {e}"))? == 0 {
                return Err("handshake: connection closed".into());
            }
        };
        let status = String::from_utf8_lossy(&ws.buf[..end]);
        let first = status.lines().next().unwrap_or_default().to_string();
        if !first.starts_with("HTTP/1.1 101") {
            return Err(format!("handshake: {first}"));
        }
        ws.buf.drain(..end);
        Ok(ws)
    }

    /// The socket.
    pub fn get_ref(&self) -> &TcpStream {
        &self.stream
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) -> io::Result<()> {
        self.stream
            .write_all(&client_frame(0x1, text.as_bytes()))
            .await
    }

    /// Sends a close frame (code 1000) and waits up to `wait` for the server to close.
    pub async fn close(&mut self, wait: Duration) {
        let _ = self
            .stream
            .write_all(&client_frame(0x8, &1000u16.to_be_bytes()))
            .await;
        let _ = tokio::time::timeout(wait, async {
            while matches!(self.fill().await, Ok(n) if n > 0) {
                self.buf.clear();
            }
        })
        .await;
    }

    /// Reads more bytes; `Ok(0)` at the end of the stream.
    async fn fill(&mut self) -> io::Result<usize> {
        loop {
            self.stream.readable().await?;
            self.buf.reserve(self.chunk);
            match self.stream.try_read_buf(&mut self.buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The next text, binary or close frame; pings are answered, pongs skipped. `Err` on a broken stream.
    pub async fn next(&mut self) -> Result<Event<'_>, String> {
        self.buf.drain(..self.consumed);
        self.consumed = 0;
        loop {
            if let Some((head, len)) = frame_len(&self.buf)?
                && self.buf.len() >= head + len
            {
                let opcode = self.buf[0] & 0x0F;
                if self.buf[0] & 0x80 == 0 {
                    return Err("fragmented server frames are not expected".into());
                }
                match opcode {
                    0x9 => {
                        let pong = client_frame(0xA, &self.buf[head..head + len]);
                        self.buf.drain(..head + len);
                        self.stream
                            .write_all(&pong)
                            .await
                            .map_err(|e| format!("send pong: {}", e.kind()))?;
                        continue;
                    }
                    0xA => {
                        self.buf.drain(..head + len);
                        continue;
                    }
                    _ => {}
                }
                self.consumed = head + len;
                let payload = &self.buf[head..head + len];
                return match opcode {
                    0x1 => std::str::from_utf8(payload)
                        .map(Event::Text)
                        .map_err(|_| "text frame is not UTF-8".to_string()),
                    0x2 => Ok(Event::Binary(len)),
                    0x8 => Ok(Event::Close((len >= 2).then(|| {
                        (
                            u16::from_be_bytes([payload[0], payload[1]]),
                            String::from_utf8_lossy(&payload[2..]).into_owned(),
                        )
                    }))),
                    other => Err(format!("unknown opcode {other}")),
                };
            }
            match self.fill().await {
                Ok(0) => return Err("connection ended".into()),
                Ok(_) => {}
                Err(e) => return Err(format!("read: {}", e.kind())),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_are_masked_with_the_shortest_length() {
        let f = client_frame(0x1, b"hi");
        assert_eq!(&f[..2], &[0x81, 0x82]);
        assert_eq!(f.len(), 2 + 4 + 2);
        assert_eq!(f[6] ^ f[2], b'h');
        let long = client_frame(0x1, &[0; 300]);
        assert_eq!(&long[1..4], &[0x80 | 126, 1, 44]);
    }

    #[test]
    fn server_frame_lengths_parse_in_every_form() {
        assert_eq!(frame_len(&[0x81]).unwrap(), None);
        assert_eq!(frame_len(&[0x81, 5]).unwrap(), Some((2, 5)));
        assert_eq!(frame_len(&[0x81, 126, 1]).unwrap(), None);
        assert_eq!(frame_len(&[0x81, 126, 1, 44]).unwrap(), Some((4, 300)));
        let mut long = vec![0x81, 127];
        long.extend_from_slice(&70_000u64.to_be_bytes());
        assert_eq!(frame_len(&long).unwrap(), Some((10, 70_000)));
        assert!(frame_len(&[0x81, 0x85]).is_err(), "masked server frame");
        let mut huge = vec![0x81, 127];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(frame_len(&huge).is_err());
    }
}
