//! Close codes and close-frame payloads (RFC 6455 §5.5.1, §7.4).

use alloc::string::String;

use crate::error::Error;

/// 1000: normal closure.
pub const NORMAL: u16 = 1000;
/// 1001: the endpoint is going away (server shutdown, idle or lifetime limit).
pub const GOING_AWAY: u16 = 1001;
/// 1002: the peer broke the protocol.
pub const PROTOCOL_ERROR: u16 = 1002;
/// 1003: a data type the endpoint cannot accept.
pub const UNSUPPORTED_DATA: u16 = 1003;
/// 1005: no status code was present (never sent on the wire).
pub const NO_STATUS: u16 = 1005;
/// 1006: the connection closed without a close frame (never sent on the wire).
pub const ABNORMAL: u16 = 1006;
/// 1007: a text message was not valid UTF-8.
pub const INVALID_PAYLOAD: u16 = 1007;
/// 1008: a message violated the endpoint's policy.
pub const POLICY_VIOLATION: u16 = 1008;
/// 1009: a frame or message was larger than the endpoint accepts.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// 1010: the client expected an extension the server did not negotiate.
pub const MANDATORY_EXTENSION: u16 = 1010;
/// 1011: the endpoint met an unexpected condition (also: keepalive pong timeout).
pub const INTERNAL_ERROR: u16 = 1011;

/// Longest close reason: a control payload is at most 125 bytes, two of which are the code.
pub const MAX_REASON_BYTES: usize = 123;

/// Whether `code` may appear in a close frame on the wire.
///
/// RFC 6455 §7.4.1/§7.4.2 and the IANA registry: 1000–1003 and 1007–1014 are defined,
/// 3000–4999 are for libraries and applications; 1004, 1005, 1006 and 1015 are reserved
/// and never sent; everything else is invalid.
pub fn is_valid_wire_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Whether an application may close with `code` through the W3C-style API
/// (the WebSocket standard's `close()`: 1000 or 3000–4999).
pub fn is_valid_app_code(code: u16) -> bool {
    code == NORMAL || (3000..=4999).contains(&code)
}

/// A close frame's content: the status code and the UTF-8 reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// Status code; [`NO_STATUS`] (1005) when the frame carried no body.
    pub code: u16,
    /// Reason text, at most [`MAX_REASON_BYTES`] bytes of UTF-8.
    pub reason: String,
}

/// Parses a received close payload (RFC 6455 §5.5.1).
///
/// An empty payload gives code 1005; a 1-byte payload or a code not valid on the wire
/// is a protocol error (1002); a reason that is not UTF-8 is 1007.
pub fn parse_close_payload(payload: &[u8]) -> Result<CloseFrame, Error> {
    match payload {
        [] => Ok(CloseFrame {
            code: NO_STATUS,
            reason: String::new(),
        }),
        [_] => Err(Error::InvalidClosePayload),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !is_valid_wire_code(code) {
                return Err(Error::InvalidCloseCode(code));
            }
            match simdutf8::basic::from_utf8(reason) {
                Ok(text) => Ok(CloseFrame {
                    code,
                    reason: String::from(text),
                }),
                Err(_) => Err(Error::InvalidUtf8),
            }
        }
    }
}

/// Writes the close payload for `code` and `reason` into `out` (2 + reason bytes).
pub fn encode_close_payload(code: u16, reason: &str, out: &mut alloc::vec::Vec<u8>) {
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(reason.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_codes() {
        for code in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999,
        ] {
            assert!(is_valid_wire_code(code), "{code}");
        }
        for code in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!is_valid_wire_code(code), "{code}");
        }
    }

    #[test]
    fn app_codes() {
        assert!(is_valid_app_code(1000));
        assert!(is_valid_app_code(3000));
        assert!(is_valid_app_code(4999));
        assert!(!is_valid_app_code(1001));
        assert!(!is_valid_app_code(1011));
        assert!(!is_valid_app_code(5000));
    }

    #[test]
    fn parse_payloads() {
        assert_eq!(parse_close_payload(&[]).unwrap().code, NO_STATUS);
        assert_eq!(parse_close_payload(&[3]), Err(Error::InvalidClosePayload));
        assert_eq!(parse_close_payload(&[3, 0xe8]).unwrap().code, 1000);
        assert_eq!(
            parse_close_payload(&[3, 0xed]),
            Err(Error::InvalidCloseCode(1005))
        );
        let ok = parse_close_payload(b"\x03\xe8bye").unwrap();
        assert_eq!(ok.reason, "bye");
        assert_eq!(
            parse_close_payload(b"\x03\xe8\xff"),
            Err(Error::InvalidUtf8)
        );
    }
}
