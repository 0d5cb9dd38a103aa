//! Errors: what the peer did wrong (with the close code we answer) and what the
//! application asked that the connection cannot do.

use alloc::string::String;
use core::fmt;

use crate::close;

/// Every error the engine reports.
///
/// Peer errors fail the connection and carry the close code that was sent
/// ([`Error::close_code`]); application errors are returned from the call that caused them
/// and leave the connection as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // ---- the peer broke RFC 6455 (1002) ----
    /// An opcode reserved for future use (RFC 6455 §5.2).
    ReservedOpcode(u8),
    /// An RSV bit set that no negotiated extension defines (RFC 6455 §5.2).
    ReservedBits,
    /// A 64-bit payload length with the most significant bit set (RFC 6455 §5.2).
    LengthTopBit,
    /// A client frame without a mask (RFC 6455 §5.1).
    UnmaskedFrame,
    /// A server frame with a mask (RFC 6455 §5.1).
    MaskedFrame,
    /// A control frame with more than 125 bytes of payload (RFC 6455 §5.5).
    ControlFrameTooLong,
    /// A control frame without FIN (RFC 6455 §5.5).
    FragmentedControlFrame,
    /// A continuation frame with no message in progress (RFC 6455 §5.4).
    UnexpectedContinuation,
    /// A new data frame while a fragmented message was still in progress (RFC 6455 §5.4).
    ExpectedContinuation,
    /// A close frame with a 1-byte payload (RFC 6455 §5.5.1).
    InvalidClosePayload,
    /// A close code that must not appear on the wire (RFC 6455 §7.4).
    InvalidCloseCode(u16),
    /// A data frame after the peer's close frame (RFC 6455 §5.5.1).
    DataAfterClose,
    /// Compressed data that does not inflate, or RSV1 where permessage-deflate forbids it.
    Compression(String),
    // ---- bad payload (1007) ----
    /// A text message or close reason that is not UTF-8 (RFC 6455 §8.1).
    InvalidUtf8,
    /// A compressed message that does not inflate (1007, as Node's `ws` answers).
    InvalidCompressedData,
    // ---- limits (1009) ----
    /// A frame payload larger than `max_frame_size`.
    FrameTooLarge,
    /// A message larger than `max_message_size` (after decompression).
    MessageTooLarge,
    /// More fragments in one message than `max_fragments`.
    TooManyFragments,
    /// Data arrived before the application accepted the handshake, beyond the buffer limit.
    InputBufferFull,
    /// The engine could not do its part (e.g. the compressor failed); close code 1011.
    Internal(String),
    // ---- timers ----
    /// No pong arrived within `pong_timeout` of a keepalive ping (close code 1011).
    PongTimeout,
    /// The opening handshake did not finish within `handshake_timeout`.
    HandshakeTimeout,
    /// The peer did not answer our close frame within `close_timeout`.
    CloseTimeout,
    // ---- opening handshake ----
    /// The opening handshake failed: the request or response broke RFC 6455 §4.
    Handshake(String),
    /// The peer closed the transport before the handshake or without a close frame.
    UnexpectedEof,
    // ---- application misuse (no close frame sent) ----
    /// The call is not allowed in the connection's current state.
    InvalidState(&'static str),
    /// A close code the application may not send.
    InvalidCloseCodeForApp(u16),
    /// A close reason longer than 123 bytes.
    ReasonTooLong,
    /// A control frame payload longer than 125 bytes.
    ControlPayloadTooLong,
    /// The output buffer would exceed `max_output_buffer`.
    OutputBufferFull,
    /// An option value out of range, or a malformed URL or header given by the application.
    InvalidInput(String),
}

impl Error {
    /// The close code sent when this error fails the connection
    /// (1002 protocol, 1007 payload, 1009 size, 1011 internal/keepalive),
    /// or 1006 where no close frame can be sent (handshake, EOF, application misuse).
    pub fn close_code(&self) -> u16 {
        match self {
            Error::ReservedOpcode(_)
            | Error::ReservedBits
            | Error::LengthTopBit
            | Error::UnmaskedFrame
            | Error::MaskedFrame
            | Error::ControlFrameTooLong
            | Error::FragmentedControlFrame
            | Error::UnexpectedContinuation
            | Error::ExpectedContinuation
            | Error::InvalidClosePayload
            | Error::InvalidCloseCode(_)
            | Error::DataAfterClose
            | Error::Compression(_) => close::PROTOCOL_ERROR,
            Error::InvalidUtf8 | Error::InvalidCompressedData => close::INVALID_PAYLOAD,
            Error::FrameTooLarge
            | Error::MessageTooLarge
            | Error::TooManyFragments
            | Error::InputBufferFull => close::MESSAGE_TOO_BIG,
            Error::PongTimeout | Error::Internal(_) => close::INTERNAL_ERROR,
            Error::HandshakeTimeout
            | Error::CloseTimeout
            | Error::Handshake(_)
            | Error::UnexpectedEof
            | Error::InvalidState(_)
            | Error::InvalidCloseCodeForApp(_)
            | Error::ReasonTooLong
            | Error::ControlPayloadTooLong
            | Error::OutputBufferFull
            | Error::InvalidInput(_) => close::ABNORMAL,
        }
    }

    /// Whether the error comes from the application's own call rather than from the peer.
    pub fn is_application_error(&self) -> bool {
        matches!(
            self,
            Error::InvalidState(_)
                | Error::InvalidCloseCodeForApp(_)
                | Error::ReasonTooLong
                | Error::ControlPayloadTooLong
                | Error::OutputBufferFull
                | Error::InvalidInput(_)
        )
    }

    /// A short stable name for the error kind, for bindings and logs (`"invalid_utf8"`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::ReservedOpcode(_) => "reserved_opcode",
            Error::ReservedBits => "reserved_bits",
            Error::LengthTopBit => "length_top_bit",
            Error::UnmaskedFrame => "unmasked_frame",
            Error::MaskedFrame => "masked_frame",
            Error::ControlFrameTooLong => "control_frame_too_long",
            Error::FragmentedControlFrame => "fragmented_control_frame",
            Error::UnexpectedContinuation => "unexpected_continuation",
            Error::ExpectedContinuation => "expected_continuation",
            Error::InvalidClosePayload => "invalid_close_payload",
            Error::InvalidCloseCode(_) => "invalid_close_code",
            Error::DataAfterClose => "data_after_close",
            Error::Compression(_) => "compression",
            Error::InvalidUtf8 => "invalid_utf8",
            Error::InvalidCompressedData => "invalid_compressed_data",
            Error::Internal(_) => "internal",
            Error::FrameTooLarge => "frame_too_large",
            Error::MessageTooLarge => "message_too_large",
            Error::TooManyFragments => "too_many_fragments",
            Error::InputBufferFull => "input_buffer_full",
            Error::PongTimeout => "pong_timeout",
            Error::HandshakeTimeout => "handshake_timeout",
            Error::CloseTimeout => "close_timeout",
            Error::Handshake(_) => "handshake",
            Error::UnexpectedEof => "unexpected_eof",
            Error::InvalidState(_) => "invalid_state",
            Error::InvalidCloseCodeForApp(_) => "invalid_close_code_for_app",
            Error::ReasonTooLong => "reason_too_long",
            Error::ControlPayloadTooLong => "control_payload_too_long",
            Error::OutputBufferFull => "output_buffer_full",
            Error::InvalidInput(_) => "invalid_input",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            Error::ReservedBits => f.write_str("reserved bits set without a negotiated extension"),
            Error::LengthTopBit => f.write_str("64-bit payload length with the top bit set"),
            Error::UnmaskedFrame => f.write_str("client frame is not masked"),
            Error::MaskedFrame => f.write_str("server frame is masked"),
            Error::ControlFrameTooLong => {
                f.write_str("control frame payload longer than 125 bytes")
            }
            Error::FragmentedControlFrame => f.write_str("fragmented control frame"),
            Error::UnexpectedContinuation => {
                f.write_str("continuation frame without a message in progress")
            }
            Error::ExpectedContinuation => {
                f.write_str("new data frame inside a fragmented message")
            }
            Error::InvalidClosePayload => f.write_str("close frame with a 1-byte payload"),
            Error::InvalidCloseCode(c) => write!(f, "invalid close code {c}"),
            Error::DataAfterClose => f.write_str("data frame after the close frame"),
            Error::Compression(why) => write!(f, "permessage-deflate: {why}"),
            Error::InvalidUtf8 => f.write_str("invalid UTF-8 in text"),
            Error::InvalidCompressedData => f.write_str("compressed message does not inflate"),
            Error::Internal(why) => write!(f, "internal error: {why}"),
            Error::FrameTooLarge => f.write_str("frame larger than max_frame_size"),
            Error::MessageTooLarge => f.write_str("message larger than max_message_size"),
            Error::TooManyFragments => f.write_str("message has more than max_fragments fragments"),
            Error::InputBufferFull => {
                f.write_str("too much data before the handshake was accepted")
            }
            Error::PongTimeout => f.write_str("keepalive ping not answered within pong_timeout"),
            Error::HandshakeTimeout => f.write_str("opening handshake timed out"),
            Error::CloseTimeout => f.write_str("closing handshake timed out"),
            Error::Handshake(why) => write!(f, "opening handshake failed: {why}"),
            Error::UnexpectedEof => f.write_str("connection closed without a close frame"),
            Error::InvalidState(what) => write!(f, "invalid state: {what}"),
            Error::InvalidCloseCodeForApp(c) => {
                write!(f, "close code {c} is not 1000 or in 3000-4999")
            }
            Error::ReasonTooLong => f.write_str("close reason longer than 123 bytes"),
            Error::ControlPayloadTooLong => {
                f.write_str("control frame payload longer than 125 bytes")
            }
            Error::OutputBufferFull => f.write_str("output buffer would exceed max_output_buffer"),
            Error::InvalidInput(why) => write!(f, "invalid input: {why}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
