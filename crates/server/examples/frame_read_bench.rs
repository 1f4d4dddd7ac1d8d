//! The `/ws` read side: the server's own frame reader (`ws::frame::Decoder`) against a maintained library's,
//! tungstenite's `WebSocket` in the server role, on the same bytes: client messages as browsers send them
//! (masked `subscribe`/`resume` text frames of ~100 bytes, a ping every ten), fed in 4 KiB reads.
//!
//! `cargo run --release -p kato-dashboard-server --example frame_read_bench [-- MESSAGES RUNS]`
//! Prints messages per second and MB/s for each reader, the median of RUNS runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::{self, Cursor, Read, Write},
    time::Instant,
};

use kato_dashboard_core::protocol::MAX_CLIENT_FRAME_BYTES;
use kato_dashboard_server::ws::frame::{Decoder, Incoming};
use rand::{Rng, SeedableRng, rngs::StdRng};
use tokio_tungstenite::tungstenite::{
    Message, WebSocket,
    protocol::{
        Role, WebSocketConfig,
        frame::{
            Frame, FrameHeader,
            coding::{Control, Data, OpCode},
        },
    },
};

const CHUNK: usize = 4096;

fn client_stream(messages: usize) -> (Vec<u8>, usize) {
    let mut rng = StdRng::seed_from_u64(7);
    let mut out = Vec::new();
    let mut texts = 0;
    for i in 0..messages {
        let (opcode, payload) = if i % 10 == 9 {
            (OpCode::Control(Control::Ping), b"keepalive".to_vec())
        } else {
            texts += 1;
            let text = if i % 2 == 0 {
                r#"{"type":"subscribe","subscriptions":["metrics","containers","sessions","system_alerts"]}"#.to_owned()
            } else {
                format!(
                    r#"{{"type":"resume","last_seq":{},"topics":["session_events"]}}"#,
                    rng.random::<u32>()
                )
            };
            (OpCode::Data(Data::Text), text.into_bytes())
        };
        let header = FrameHeader {
            is_final: true,
            opcode,
            mask: Some(rng.random()),
            ..FrameHeader::default()
        };
        Frame::from_payload(header, payload.into())
            .format(&mut out)
            .unwrap();
    }
    (out, texts)
}

/// The server's reader, as `ws::peer` drives it: append what the socket gave, take every complete message.
fn ours(bytes: &[u8]) -> usize {
    let mut decoder = Decoder::new(MAX_CLIENT_FRAME_BYTES);
    let mut buf = Vec::with_capacity(2 * CHUNK);
    let mut texts = 0;
    for chunk in bytes.chunks(CHUNK) {
        buf.extend_from_slice(chunk);
        while let Some(msg) = decoder.next(&mut buf).unwrap() {
            if matches!(msg, Incoming::Text(_)) {
                texts += 1;
            }
        }
    }
    texts
}

/// A socket that gives `CHUNK` bytes per read and swallows writes (tungstenite answers pings itself).
struct Chunked(Cursor<Vec<u8>>);

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(CHUNK);
        match self.0.read(&mut buf[..n])? {
            0 => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }
}

impl Write for Chunked {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn tungstenite(bytes: &[u8]) -> usize {
    let config = WebSocketConfig::default().max_message_size(Some(MAX_CLIENT_FRAME_BYTES));
    let mut ws = WebSocket::from_raw_socket(
        Chunked(Cursor::new(bytes.to_vec())),
        Role::Server,
        Some(config),
    );
    let mut texts = 0;
    loop {
        match ws.read() {
            Ok(Message::Text(_)) => texts += 1,
            Ok(_) => {}
            Err(_) => return texts,
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let messages: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let (bytes, texts) = client_stream(messages);
    println!(
        "{messages} client frames ({texts} text, {} pings), {:.1} MB, read in {CHUNK}-byte chunks, median of {runs} runs",
        messages - texts,
        bytes.len() as f64 / 1e6
    );
    type Reader = fn(&[u8]) -> usize;
    let readers: [(&str, Reader); 2] = [
        ("own Decoder", ours),
        ("tungstenite WebSocket", tungstenite),
    ];
    for (name, read) in readers {
        let mut rates = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            let got = read(&bytes);
            let secs = started.elapsed().as_secs_f64();
            assert_eq!(got, texts, "{name} read {got} of {texts} messages");
            rates.push(messages as f64 / secs);
        }
        let rate = median(rates);
        println!(
            "{name:<22} {:>6.2} M frames/s  {:>7.1} MB/s",
            rate / 1e6,
            rate * bytes.len() as f64 / messages as f64 / 1e6
        );
    }
}
