//! Identifiers in KATO's formats: `session-<uuid4 hex>-<epoch ms>`, `obs-<hex>`, and the
//! 40-hex content names of patterns (`PTRN|…`) and vector symbols (`VCTR|…`).
//!
//! KATO uses SHA-1 for content names; the simulator only needs stable, well-spread 160-bit
//! names, so it uses five FNV-1a-64 lanes with different offsets (no extra dependency).

use chrono::{DateTime, Utc};
use rand::Rng;

/// 32 random lowercase hex digits, like `uuid.uuid4().hex`.
pub fn hex32() -> String {
    let mut rng = rand::rng();
    format!("{:016x}{:016x}", rng.random::<u64>(), rng.random::<u64>())
}

/// `session-<32 hex>-<creation time in epoch milliseconds>`.
pub fn session_id(created: &DateTime<Utc>) -> String {
    format!("session-{}-{}", hex32(), created.timestamp_millis())
}

/// A stable 40-hex-digit name for some content.
pub fn hex160(content: &str) -> String {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut out = String::with_capacity(40);
    for lane in 0..3u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ lane.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for b in content.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(PRIME);
        }
        // Final avalanche (splitmix64) so similar inputs give unrelated names.
        h ^= h >> 30;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 27;
        h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^= h >> 31;
        out.push_str(&format!("{h:016x}"));
    }
    out.truncate(40);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let now = Utc::now();
        let id = session_id(&now);
        assert_eq!(id.len(), "session-".len() + 32 + 1 + 13, "{id}");
        let (hex, ms) = id["session-".len()..].split_once('-').unwrap();
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(ms.parse::<i64>().unwrap(), now.timestamp_millis());
        assert_eq!(hex160("a").len(), 40);
        assert_eq!(hex160("abc"), hex160("abc"));
        assert_ne!(hex160("abc"), hex160("abd"));
    }
}
