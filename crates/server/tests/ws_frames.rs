//! The server's own RFC 6455 frame reader, checked against frames built by a maintained, independent encoder
//! (tungstenite's `Frame`, masked like a browser's), not by this project's: the RFC's rules for close frames,
//! control frames between fragments, and 64-bit lengths; any split of the input gives the same messages; and
//! arbitrary bytes never panic and never make it buffer past the limit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kato_dashboard_core::protocol::MAX_CLIENT_FRAME_BYTES as MAX;
use kato_dashboard_server::ws::frame::{Decoder, FrameError, Incoming};
use rand::{Rng, RngCore, SeedableRng, rngs::StdRng};
use tokio_tungstenite::tungstenite::protocol::frame::{
    Frame, FrameHeader,
    coding::{Control, Data, OpCode},
};

fn encode(opcode: OpCode, fin: bool, payload: &[u8], rng: &mut StdRng) -> Vec<u8> {
    let header = FrameHeader {
        is_final: fin,
        opcode,
        mask: Some(rng.random()),
        ..FrameHeader::default()
    };
    let mut out = Vec::new();
    Frame::from_payload(header, payload.to_vec().into())
        .format(&mut out)
        .unwrap();
    out
}

/// Every message and error the decoder yields for `bytes`, fed in the given chunk sizes.
fn decode(bytes: &[u8], chunks: &[usize]) -> (Vec<Incoming>, Option<FrameError>) {
    let mut decoder = Decoder::new(MAX);
    let (mut buf, mut out) = (Vec::new(), Vec::new());
    let mut rest = bytes;
    let mut sizes = chunks.iter().cycle();
    while !rest.is_empty() {
        let n = (*sizes.next().unwrap()).clamp(1, rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        loop {
            match decoder.next(&mut buf) {
                Ok(Some(msg)) => out.push(msg),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
        // Whatever is left is one incomplete frame within the limit (header at most 14 bytes).
        assert!(buf.len() <= MAX + 14, "buffered {} bytes", buf.len());
    }
    (out, None)
}

fn one(bytes: &[u8]) -> Result<Vec<Incoming>, FrameError> {
    match decode(bytes, &[bytes.len().max(1)]) {
        (msgs, None) => Ok(msgs),
        (_, Some(e)) => Err(e),
    }
}

fn close(payload: &[u8], rng: &mut StdRng) -> Vec<u8> {
    encode(OpCode::Control(Control::Close), true, payload, rng)
}

#[test]
fn close_frames_follow_rfc_6455() {
    let mut rng = StdRng::seed_from_u64(1);
    assert_eq!(one(&close(&[], &mut rng)), Ok(vec![Incoming::Close(None)]));
    assert_eq!(
        one(&close(&[0x03], &mut rng)).unwrap_err().close_code(),
        1002,
        "a 1-byte close payload"
    );
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
        let err = one(&close(&code.to_be_bytes(), &mut rng)).unwrap_err();
        assert_eq!(err.close_code(), 1002, "close code {code}");
    }
    for code in [1000u16, 1001, 1003, 1007, 1011, 1014, 3000, 4999] {
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice("bye ✓".as_bytes());
        assert_eq!(
            one(&close(&payload, &mut rng)),
            Ok(vec![Incoming::Close(Some(code))])
        );
    }
    let mut bad_reason = 1000u16.to_be_bytes().to_vec();
    bad_reason.extend_from_slice(&[0xff, 0xfe]);
    assert_eq!(
        one(&close(&bad_reason, &mut rng)).unwrap_err().close_code(),
        1007
    );
}

#[test]
fn a_ping_between_fragments_does_not_count_toward_the_message_size() {
    let mut rng = StdRng::seed_from_u64(2);
    let half = "a".repeat(MAX / 2);
    let mut bytes = encode(OpCode::Data(Data::Text), false, half.as_bytes(), &mut rng);
    bytes.extend(encode(
        OpCode::Control(Control::Ping),
        true,
        &[7; 100],
        &mut rng,
    ));
    bytes.extend(encode(
        OpCode::Data(Data::Continue),
        true,
        half.as_bytes(),
        &mut rng,
    ));
    let msgs = one(&bytes).unwrap();
    assert_eq!(msgs.len(), 2);
    assert!(matches!(&msgs[0], Incoming::Ping(p) if p.len() == 100));
    assert!(matches!(&msgs[1], Incoming::Text(t) if t.len() == MAX));
    // One byte more than the limit across fragments is too large.
    let mut over = encode(OpCode::Data(Data::Text), false, half.as_bytes(), &mut rng);
    over.extend(encode(
        OpCode::Data(Data::Continue),
        true,
        format!("{half}b").as_bytes(),
        &mut rng,
    ));
    assert_eq!(one(&over).unwrap_err().close_code(), 1009);
}

#[test]
fn a_64_bit_length_with_the_top_bit_set_is_a_protocol_error() {
    // FIN + text, masked, 127 = 64-bit length follows.
    let mut bytes = vec![0x81, 0x80 | 127];
    bytes.extend_from_slice(&(1u64 << 63 | 5).to_be_bytes());
    bytes.extend_from_slice(&[1, 2, 3, 4]);
    assert_eq!(one(&bytes).unwrap_err().close_code(), 1002);
    // A huge length without the top bit: too large, refused before anything is buffered.
    let mut huge = vec![0x81, 0x80 | 127];
    huge.extend_from_slice(&(1u64 << 40).to_be_bytes());
    assert_eq!(one(&huge).unwrap_err().close_code(), 1009);
}

/// A random conversation: text messages (some fragmented, with pings and pongs between fragments), binary ones,
/// and a close at the end; returns its bytes and the messages it holds.
fn conversation(rng: &mut StdRng) -> (Vec<u8>, Vec<Incoming>) {
    let (mut bytes, mut expected) = (Vec::new(), Vec::new());
    for _ in 0..rng.random_range(1..12) {
        let len = rng.random_range(0..MAX.min(3000));
        let text: String = (0..len)
            .map(|i| {
                if i % 17 == 0 {
                    'é'
                } else {
                    char::from(b'a' + (i % 26) as u8)
                }
            })
            .collect();
        if rng.random_bool(0.2) {
            bytes.extend(encode(OpCode::Data(Data::Binary), true, &[1, 2, 3], rng));
            expected.push(Incoming::Binary);
        }
        let parts = rng.random_range(1..4).min(text.len().max(1));
        let raw = text.as_bytes();
        let step = raw.len().div_ceil(parts).max(1);
        let pieces: Vec<&[u8]> = if raw.is_empty() {
            vec![raw]
        } else {
            raw.chunks(step).collect()
        };
        for (i, piece) in pieces.iter().enumerate() {
            let op = if i == 0 { Data::Text } else { Data::Continue };
            bytes.extend(encode(OpCode::Data(op), i + 1 == pieces.len(), piece, rng));
            if i + 1 < pieces.len() && rng.random_bool(0.5) {
                let ping: Vec<u8> = (0..rng.random_range(0..=125))
                    .map(|_| rng.random())
                    .collect();
                bytes.extend(encode(OpCode::Control(Control::Ping), true, &ping, rng));
                expected.push(Incoming::Ping(ping.into()));
            }
        }
        expected.push(Incoming::Text(text));
    }
    bytes.extend(close(&1000u16.to_be_bytes(), rng));
    expected.push(Incoming::Close(Some(1000)));
    (bytes, expected)
}

#[test]
fn any_split_of_the_input_gives_the_same_messages() {
    let mut rng = StdRng::seed_from_u64(3);
    for _ in 0..200 {
        let (bytes, expected) = conversation(&mut rng);
        for chunks in [vec![bytes.len()], vec![1], vec![2, 3, 5, 7, 11], vec![4096]] {
            let (got, err) = decode(&bytes, &chunks);
            assert_eq!(err, None);
            assert_eq!(got, expected, "chunks {chunks:?}");
        }
        let random: Vec<usize> = (0..16).map(|_| rng.random_range(1..300)).collect();
        assert_eq!(decode(&bytes, &random), (expected, None));
    }
}

#[test]
fn arbitrary_bytes_never_panic_nor_buffer_past_the_limit() {
    let mut rng = StdRng::seed_from_u64(4);
    for round in 0..3000 {
        let len = rng.random_range(0..2048);
        let mut bytes = vec![0u8; len];
        rng.fill_bytes(&mut bytes);
        if round % 2 == 0 && len > 2 {
            // Mostly well-formed headers, so the decoder gets past the first checks.
            bytes[0] = 0x80 | (bytes[0] & 0x0F);
            bytes[1] |= 0x80;
        }
        let chunks: Vec<usize> = (0..8).map(|_| rng.random_range(1..64)).collect();
        let _ = decode(&bytes, &chunks);
    }
}
