//! The WebSocket wire format (RFC 6455) as this server uses it: server frames are unmasked, so a frame is built
//! once and the same bytes go to every client; client frames are masked and parsed here, with the size limit
//! applied to the header before any payload is buffered. No extension is negotiated, so RSV bits are errors.

use bytes::{BufMut, Bytes, BytesMut};

/// Text frame opcode.
pub const TEXT: u8 = 0x1;
/// Binary frame opcode.
pub const BINARY: u8 = 0x2;
/// Close frame opcode.
pub const CLOSE: u8 = 0x8;
/// Ping frame opcode.
pub const PING: u8 = 0x9;
/// Pong frame opcode.
pub const PONG: u8 = 0xA;
const CONTINUATION: u8 = 0x0;

/// A complete, final server frame: FIN set, unmasked.
pub fn encode(opcode: u8, payload: &[u8]) -> Bytes {
    let len = payload.len();
    let mut out = BytesMut::with_capacity(len + 10);
    out.put_u8(0x80 | opcode);
    if let Ok(short) = u8::try_from(len)
        && short < 126
    {
        out.put_u8(short);
    } else if let Ok(medium) = u16::try_from(len) {
        out.put_u8(126);
        out.put_u16(medium);
    } else {
        out.put_u8(127);
        out.put_u64(len as u64);
    }
    out.extend_from_slice(payload);
    out.freeze()
}

/// A text frame.
pub fn text(payload: &str) -> Bytes {
    encode(TEXT, payload.as_bytes())
}

/// The payload of a frame built by [`encode`].
pub fn payload(frame: &[u8]) -> &[u8] {
    let start = match frame.get(1).map(|b| b & 0x7F) {
        Some(126) => 4,
        Some(127) => 10,
        _ => 2,
    };
    frame.get(start..).unwrap_or_default()
}

/// A close frame with a status code and a short reason (cut to fit a control frame).
pub fn close(code: u16, reason: &str) -> Bytes {
    let mut payload = code.to_be_bytes().to_vec();
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    encode(CLOSE, &payload)
}

/// A message from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A complete text message (fragments joined).
    Text(String),
    /// A complete binary message (its content is not needed).
    Binary,
    /// A ping, to be answered with a pong carrying the same payload.
    Ping(Bytes),
    /// A pong.
    Pong,
    /// A close frame, with its status code if it had one.
    Close(Option<u16>),
}

/// Why the client's byte stream cannot be read further.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A frame or message larger than the limit (close 1009).
    #[error("frame too large")]
    TooLarge,
    /// A violation of RFC 6455 (close 1002).
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    /// A text message that is not UTF-8 (close 1007).
    #[error("text is not UTF-8")]
    BadUtf8,
}

impl FrameError {
    /// The close code that goes with the error.
    pub fn close_code(&self) -> u16 {
        match self {
            FrameError::TooLarge => 1009,
            FrameError::Protocol(_) => 1002,
            FrameError::BadUtf8 => 1007,
        }
    }
}

/// Incremental parser of client frames.
#[derive(Debug)]
pub struct Decoder {
    max: usize,
    /// Opcode and payload of a fragmented message in progress.
    partial: Option<(u8, Vec<u8>)>,
}

impl Decoder {
    /// A decoder refusing frames and messages over `max` bytes.
    pub fn new(max: usize) -> Self {
        Self { max, partial: None }
    }

    /// The next complete message at the start of `buf`, removing the bytes it used. `Ok(None)` when more bytes
    /// are needed.
    pub fn next(&mut self, buf: &mut Vec<u8>) -> Result<Option<Incoming>, FrameError> {
        loop {
            let Some((head, len)) = self.header(buf)? else {
                return Ok(None);
            };
            if buf.len() < head + len {
                return Ok(None);
            }
            let (b0, b1) = (buf[0], buf[1]);
            let mask = [buf[head - 4], buf[head - 3], buf[head - 2], buf[head - 1]];
            let mut payload: Vec<u8> = buf.drain(..head + len).skip(head).collect();
            for (i, byte) in payload.iter_mut().enumerate() {
                *byte ^= mask[i % 4];
            }
            let fin = b0 & 0x80 != 0;
            let opcode = b0 & 0x0F;
            debug_assert!(b1 & 0x80 != 0);
            if let Some(msg) = self.frame(fin, opcode, payload)? {
                return Ok(Some(msg));
            }
        }
    }

    /// Header length and payload length of the frame at the start of `buf`, once the header is complete.
    fn header(&self, buf: &[u8]) -> Result<Option<(usize, usize)>, FrameError> {
        if buf.len() < 2 {
            return Ok(None);
        }
        if buf[0] & 0x70 != 0 {
            return Err(FrameError::Protocol("reserved bits set"));
        }
        if buf[1] & 0x80 == 0 {
            return Err(FrameError::Protocol("client frames must be masked"));
        }
        let (ext, len) = match buf[1] & 0x7F {
            126 if buf.len() >= 4 => (2, u64::from(u16::from_be_bytes([buf[2], buf[3]]))),
            127 if buf.len() >= 10 => {
                let mut n = [0u8; 8];
                n.copy_from_slice(&buf[2..10]);
                (8, u64::from_be_bytes(n))
            }
            126 | 127 => return Ok(None),
            n => (0, u64::from(n)),
        };
        if len >> 63 != 0 {
            return Err(FrameError::Protocol(
                "64-bit length with the most significant bit set",
            ));
        }
        let len = usize::try_from(len).map_err(|_| FrameError::TooLarge)?;
        if buf[0] & 0x08 != 0 {
            // A control frame: never part of the message being assembled, so only its own bound applies.
            if len > 125 || buf[0] & 0x80 == 0 {
                return Err(FrameError::Protocol(
                    "control frames must be whole and short",
                ));
            }
            return Ok(Some((2 + ext + 4, len)));
        }
        let buffered = self.partial.as_ref().map_or(0, |(_, p)| p.len());
        if len > self.max || buffered + len > self.max {
            return Err(FrameError::TooLarge);
        }
        Ok(Some((2 + ext + 4, len)))
    }

    fn frame(
        &mut self,
        fin: bool,
        opcode: u8,
        payload: Vec<u8>,
    ) -> Result<Option<Incoming>, FrameError> {
        match opcode {
            PING | PONG | CLOSE => {
                if !fin || payload.len() > 125 {
                    return Err(FrameError::Protocol(
                        "control frames must be whole and short",
                    ));
                }
                Ok(Some(match opcode {
                    PING => Incoming::Ping(Bytes::from(payload)),
                    PONG => Incoming::Pong,
                    _ => Incoming::Close(close_code(&payload)?),
                }))
            }
            TEXT | BINARY => {
                if self.partial.is_some() {
                    return Err(FrameError::Protocol("new message inside a fragmented one"));
                }
                if fin {
                    return message(opcode, payload).map(Some);
                }
                self.partial = Some((opcode, payload));
                Ok(None)
            }
            CONTINUATION => {
                let Some((first, mut data)) = self.partial.take() else {
                    return Err(FrameError::Protocol("continuation without a message"));
                };
                data.extend_from_slice(&payload);
                if fin {
                    return message(first, data).map(Some);
                }
                self.partial = Some((first, data));
                Ok(None)
            }
            _ => Err(FrameError::Protocol("unknown opcode")),
        }
    }
}

/// The status code of a client's close frame (RFC 6455 §5.5.1, §7.4): none, or a code a peer may send followed by
/// a UTF-8 reason. A 1-byte payload and codes that are reserved or unassigned (below 1000, 1004–1006, 1015–2999,
/// 5000 and above) are protocol errors.
pub fn close_code(payload: &[u8]) -> Result<Option<u16>, FrameError> {
    match payload {
        [] => Ok(None),
        [_] => Err(FrameError::Protocol("a close payload of one byte")),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            if !valid {
                return Err(FrameError::Protocol("close code not allowed"));
            }
            std::str::from_utf8(reason).map_err(|_| FrameError::BadUtf8)?;
            Ok(Some(code))
        }
    }
}

fn message(opcode: u8, payload: Vec<u8>) -> Result<Incoming, FrameError> {
    if opcode == BINARY {
        return Ok(Incoming::Binary);
    }
    String::from_utf8(payload)
        .map(Incoming::Text)
        .map_err(|_| FrameError::BadUtf8)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A masked client frame, as ws-load sends them.
    fn client(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        kato_dashboard_loadgen::wire::masked_frame(fin, opcode, payload)
    }

    #[test]
    fn server_frames_use_the_shortest_length_form() {
        assert_eq!(&text("hi")[..], &[0x81, 2, b'h', b'i']);
        assert_eq!(payload(&text("hi")), b"hi");
        let medium = encode(TEXT, &[b'x'; 300]);
        assert_eq!(&medium[..4], &[0x81, 126, 1, 44]);
        assert_eq!(medium.len(), 304);
        assert_eq!(payload(&medium).len(), 300);
        let long = encode(BINARY, &vec![0; 70_000]);
        assert_eq!(&long[..2], &[0x82, 127]);
        assert_eq!(payload(&long).len(), 70_000);
        assert_eq!(u64::from_be_bytes(long[2..10].try_into().unwrap()), 70_000);
        let c = close(1009, "frame too large");
        assert_eq!(&c[..4], &[0x88, 17, 0x03, 0xF1]);
        assert!(
            close(1000, &"é".repeat(200)).len() <= 127,
            "reason cut to a control frame"
        );
    }

    #[test]
    fn masked_text_arrives_whole_even_byte_by_byte() {
        let mut d = Decoder::new(1024);
        let bytes = client(true, TEXT, br#"{"type":"ping"}"#);
        let mut buf = Vec::new();
        for (i, b) in bytes.iter().enumerate() {
            buf.push(*b);
            let got = d.next(&mut buf).unwrap();
            if i + 1 < bytes.len() {
                assert_eq!(got, None);
            } else {
                assert_eq!(got, Some(Incoming::Text(r#"{"type":"ping"}"#.into())));
            }
        }
        assert!(buf.is_empty());
    }

    #[test]
    fn fragments_join_and_control_frames_may_come_between() {
        let mut d = Decoder::new(1024);
        let mut buf = client(false, TEXT, b"hel");
        buf.extend(client(true, PING, b"p"));
        buf.extend(client(true, CONTINUATION, b"lo"));
        buf.extend(client(true, BINARY, &[1, 2, 3]));
        buf.extend(client(true, CLOSE, &1000u16.to_be_bytes()));
        assert_eq!(
            d.next(&mut buf).unwrap(),
            Some(Incoming::Ping(Bytes::from_static(b"p")))
        );
        assert_eq!(
            d.next(&mut buf).unwrap(),
            Some(Incoming::Text("hello".into()))
        );
        assert_eq!(d.next(&mut buf).unwrap(), Some(Incoming::Binary));
        assert_eq!(d.next(&mut buf).unwrap(), Some(Incoming::Close(Some(1000))));
        assert_eq!(d.next(&mut buf).unwrap(), None);
    }

    #[test]
    fn oversize_is_refused_from_the_header_alone() {
        let mut d = Decoder::new(16);
        // Only the header of a 1 GiB frame: refused before any payload is buffered.
        let mut buf = client(true, TEXT, &[]);
        buf[1] = 0x80 | 127;
        buf.splice(2..2, (1u64 << 30).to_be_bytes());
        assert_eq!(d.next(&mut buf), Err(FrameError::TooLarge));
        // Fragments adding up past the limit.
        let mut d = Decoder::new(16);
        let mut buf = client(false, TEXT, &[b'a'; 10]);
        buf.extend(client(true, CONTINUATION, &[b'a'; 10]));
        assert_eq!(d.next(&mut buf), Err(FrameError::TooLarge));
        assert_eq!(FrameError::TooLarge.close_code(), 1009);
    }

    #[test]
    fn protocol_violations_are_errors() {
        let cases: [(Vec<u8>, u16); 6] = [
            (
                {
                    let mut f = client(true, TEXT, b"x");
                    f[1] &= 0x7F;
                    f
                },
                1002,
            ),
            (
                {
                    let mut f = client(true, TEXT, b"x");
                    f[0] |= 0x40;
                    f
                },
                1002,
            ),
            (client(true, CONTINUATION, b"x"), 1002),
            (client(false, PING, b"x"), 1002),
            (client(true, 0x3, b"x"), 1002),
            (client(true, TEXT, &[0xff, 0xfe]), 1007),
        ];
        for (bytes, code) in cases {
            let mut buf = bytes;
            let err = Decoder::new(1024).next(&mut buf).unwrap_err();
            assert_eq!(err.close_code(), code, "{err}");
        }
    }
}
