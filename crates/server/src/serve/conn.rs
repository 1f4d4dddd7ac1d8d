//! One accepted TCP connection as hyper sees it: the socket, the permit that counts it against
//! `HTTP_MAX_CONNECTIONS`, a stall timeout, and JSON bodies for the error answers hyper writes by itself.
//!
//! hyper answers a request head it cannot take (over the size limit, or malformed) with an empty `431`/`400` and
//! closes the connection; no router runs. [`Conn`] recognises exactly those heads on their way out and writes
//! the same status with a JSON `{"detail": …}` body instead (built by [`ApiError`]), so even these answers keep
//! the API's error shape. A `/ws` upgrade takes the socket and the permit back out ([`Conn::into_parts`]): the
//! WebSocket keeps counting against the cap for as long as it lives.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll, ready},
    time::Duration,
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
    sync::OwnedSemaphorePermit,
    time::{Instant, Sleep},
};

use crate::error::ApiError;

/// The socket of one HTTP connection, with its permit.
pub struct Conn {
    stream: TcpStream,
    permit: OwnedSemaphorePermit,
    stall: Duration,
    last_progress: Instant,
    deadline: Pin<Box<Sleep>>,
    /// A replacement answer still being written, and how much of it is out.
    replacement: Option<(Vec<u8>, usize)>,
    max_head: usize,
}

impl Conn {
    /// Wraps an accepted socket; `max_head` is only quoted in the 431 answer.
    pub fn new(
        stream: TcpStream,
        permit: OwnedSemaphorePermit,
        stall: Duration,
        max_head: usize,
    ) -> Self {
        let now = Instant::now();
        Self {
            stream,
            permit,
            stall,
            last_progress: now,
            deadline: Box::pin(tokio::time::sleep_until(now + stall)),
            replacement: None,
            max_head,
        }
    }

    /// The socket and its permit, for a connection that leaves HTTP (`/ws`).
    pub fn into_parts(self) -> (TcpStream, OwnedSemaphorePermit) {
        (self.stream, self.permit)
    }

    fn progressed(&mut self) {
        self.last_progress = Instant::now();
    }

    /// Called when an operation is pending: fails it once nothing has moved for the stall timeout.
    fn check_stall(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let due = self.last_progress + self.stall;
        if self.deadline.deadline() != due {
            self.deadline.as_mut().reset(due);
        }
        ready!(self.deadline.as_mut().poll(cx));
        Poll::Ready(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no byte moved for {} s", self.stall.as_secs_f64()),
        ))
    }

    /// Writes what is left of a replacement answer.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, sent)) = &mut self.replacement {
            if *sent == bytes.len() {
                self.replacement = None;
                break;
            }
            match Pin::new(&mut self.stream).poll_write(cx, &bytes[*sent..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    *sent += n;
                    self.last_progress = Instant::now();
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return self.check_stall(cx).map(Err),
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// The JSON answer for an error head hyper wrote by itself, if `buf` is exactly such a head.
pub(crate) fn replace_error_head(buf: &[u8], max_head: usize) -> Option<Vec<u8>> {
    if buf.len() > 512 || !buf.ends_with(b"\r\n\r\n") {
        return None;
    }
    let text = std::str::from_utf8(buf).ok()?;
    let lower = text.to_ascii_lowercase();
    if !lower.contains("\r\ncontent-length: 0\r\n") {
        return None;
    }
    let error = match text.get(..13)? {
        "HTTP/1.1 431 " | "HTTP/1.0 431 " => ApiError::HeadTooLarge(format!(
            "request head too large: the request line and headers may take at most {max_head} bytes"
        )),
        "HTTP/1.1 414 " | "HTTP/1.0 414 " => {
            ApiError::UriTooLong("request URI too long".to_owned())
        }
        "HTTP/1.1 400 " | "HTTP/1.0 400 " => {
            ApiError::BadRequest("malformed HTTP request head".to_owned())
        }
        _ => return None,
    };
    Some(error.to_http1_close())
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.progressed();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.check_stall(cx).map(Err),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_replacement(cx))?;
        if let Some(bytes) = replace_error_head(buf, this.max_head) {
            this.replacement = Some((bytes, 0));
            // Start sending now; whatever is left goes out on the next write, flush or shutdown.
            if let Poll::Ready(Err(e)) = this.poll_replacement(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        match Pin::new(&mut this.stream).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    this.progressed();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.check_stall(cx).map(Err),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_replacement(cx))?;
        Pin::new(&mut this.stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_replacement(cx))?;
        Pin::new(&mut this.stream).poll_shutdown(cx)
    }

    // One flat buffer per write (hyper then writes a head in one call, which is what the replacement looks for).
    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn body_of(bytes: &[u8]) -> serde_json::Value {
        let text = std::str::from_utf8(bytes).unwrap();
        let (_, body) = text.split_once("\r\n\r\n").unwrap();
        serde_json::from_str(body).unwrap()
    }

    #[test]
    fn hypers_own_error_heads_get_json_bodies() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Mon, 07 Dec 2026 03:00:00 GMT\r\n\r\n";
        let answer = replace_error_head(head, 16384).unwrap();
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 431 "), "{text}");
        assert!(text.contains("content-type: application/json\r\n"));
        assert!(text.contains("connection: close\r\n"));
        assert!(
            body_of(&answer)["detail"]
                .as_str()
                .unwrap()
                .contains("16384")
        );
        let bad = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(
            body_of(&replace_error_head(bad, 1).unwrap())["detail"],
            "malformed HTTP request head"
        );
    }

    #[test]
    fn other_writes_pass_through() {
        for buf in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 17\r\n\r\n",
            b"HTTP/1.1 431 x\r\ncontent-length: 0\r\n\r\n{\"partial\":",
            b"{\"detail\":\"x\"}",
        ] {
            assert!(replace_error_head(buf, 1).is_none(), "{buf:?}");
        }
    }
}
