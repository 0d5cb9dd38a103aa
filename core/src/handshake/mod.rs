//! The opening handshake, as pure functions over bytes and header lists.
//!
//! No I/O, no clock, no randomness: the `Connection` state machine (or any other caller)
//! feeds bytes in and writes the bytes these functions return.
//!
//! # Server flow (RFC 6455 §4.2)
//!
//! 1. Accumulate received bytes and call [`HeadParser::parse_request`] (or
//!    [`parse_request_head`]) until it returns the [`RequestHead`] and its length. Bytes after
//!    that length are frames pipelined behind the request and must be kept. A parse error carries
//!    the status to answer (400 / 431 / 505); [`Rejection::from`] turns it into a response.
//! 2. [`classify`] the head: [`Classified::Upgrade`] for a valid WebSocket request,
//!    [`Classified::PlainHttp`] for any other valid request, or a [`Rejection`] (status, reason,
//!    headers; [`Rejection::to_response`] gives the bytes).
//! 3. The application decides (origin policy, [`select_protocol`], extension negotiation), then
//!    either [`accept_response`] (101) or a rejection / [`write_response`].
//!
//! # Client flow (RFC 6455 §4.1)
//!
//! 1. [`parse_url`]; optionally tunnel through a proxy with [`connect_request`] and
//!    [`check_connect_response`].
//! 2. [`build_request`] with a key from [`key_from_nonce`] (the caller supplies 16 random bytes).
//! 3. Parse the answer with [`HeadParser::parse_response`] and check it with
//!    [`validate_response`]: a [`ServerAccept`], a [`ClientHandshakeError::Rejected`] refusal
//!    (read its body with [`response_body_length`]), or a protocol error.
//!
//! # HTTP/2 and HTTP/3 (RFC 8441, RFC 9220)
//!
//! The [`h2`] module maps header lists of an extended CONNECT to the same [`Request`] and
//! [`ServerAccept`] types; the HTTP/2 or HTTP/3 stack itself stays outside the engine.
//!
//! # Choices
//!
//! - Received header values are decoded as ISO-8859-1; sent values are encoded as ISO-8859-1, and
//!   CR, LF and other control characters are refused ([`BuildError`]) rather than dropped.
//! - A non-GET upgrade attempt gets 405 with `Allow: GET`; an HTTP/1.0 request's `Upgrade` header is
//!   ignored (RFC 7230 §6.7), so it is plain HTTP.
//! - URLs with user info or a fragment are refused ([`UrlError`]).

pub mod accept_key;
pub mod client;
pub mod h2;
pub mod http;
pub mod proxy;
pub mod server;
mod uri;

pub use accept_key::{accept_key, is_valid_key, key_from_nonce, WEBSOCKET_GUID};
pub use client::{
    build_request, parse_url, validate_response, ClientHandshakeError, ClientRequestOptions,
    ServerAccept, Url, UrlError,
};
pub use h2::{
    extended_connect_request, extended_connect_response, validate_extended_connect,
    validate_extended_connect_response,
};
pub use http::{
    head_end, header_count, header_has_token, header_tokens, header_value, header_values,
    parse_request_head, parse_response_head, reason_phrase, response_body_length, write_response,
    BodyLength, BuildError, HeadLimits, HeadParser, Header, HttpError, RequestHead, ResponseHead,
};
pub use proxy::{check_connect_response, connect_request, ProxyError};
pub use server::{accept_response, classify, select_protocol, Classified, Rejection, Request};
