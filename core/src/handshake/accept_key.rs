//! `Sec-WebSocket-Key` / `Sec-WebSocket-Accept` computation (RFC 6455 §4.1, §4.2.2).

use alloc::string::String;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::{Digest, Sha1};

/// The GUID appended to the key before hashing (RFC 6455 §1.3).
pub const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `base64(SHA-1(key + GUID))`, the value of `Sec-WebSocket-Accept` (RFC 6455 §4.2.2 step 5.4).
///
/// `key` is used as received (after header whitespace trimming), without decoding.
pub fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(WEBSOCKET_GUID.as_bytes());
    STANDARD.encode(sha.finalize())
}

/// Whether `key` is a valid `Sec-WebSocket-Key`: canonical padded base64 of exactly 16 bytes
/// (RFC 6455 §4.1 item 7, §11.3.1), i.e. 24 characters ending in `==`.
pub fn is_valid_key(key: &str) -> bool {
    // Length check first: decoding is then bounded and cheap.
    key.len() == 24
        && STANDARD
            .decode(key.as_bytes())
            .is_ok_and(|bytes| bytes.len() == 16)
}

/// The `Sec-WebSocket-Key` for a 16-byte random nonce supplied by the caller (the engine has no
/// random source of its own; RFC 6455 §4.1 requires the nonce to be freshly random per connection).
pub fn key_from_nonce(nonce: [u8; 16]) -> String {
    STANDARD.encode(nonce)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_example() {
        // RFC 6455 §1.3.
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn key_validity() {
        assert!(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
        // 15 and 17 bytes.
        assert!(!is_valid_key(&STANDARD.encode([0u8; 15])));
        assert!(!is_valid_key(&STANDARD.encode([0u8; 17])));
        assert!(!is_valid_key(""));
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZQ"));
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZQ=!"));
        // Non-canonical trailing bits.
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZR=="));
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZQ==\u{e9}"));
        assert!(!is_valid_key("ééééééééééé=="));
    }

    #[test]
    fn nonce_round_trip() {
        let key = key_from_nonce(*b"the sample nonce");
        assert_eq!(key, "dGhlIHNhbXBsZSBub25jZQ==");
        assert!(is_valid_key(&key));
    }
}
