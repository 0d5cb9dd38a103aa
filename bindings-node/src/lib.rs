//! Node.js binding of `wsengine` (napi-rs): a thin mapping of [`wsengine::Connection`].
//!
//! The binding converts types and errors, nothing else: every protocol decision is the
//! core's. The JavaScript side (`index.js`) wraps [`NativeConnection`] in the public
//! `Connection` class.
//!
//! # Crossing the boundary once per read
//!
//! A napi call costs about 150 ns, a Buffer created in Rust about 1 µs and a JS string about
//! 130 ns, so `receive` returns every event of a chunk in one call, encoded as:
//!
//! - a description in a `Uint32Array` the caller passes in (`desc`): `desc[0]` flags,
//!   `desc[1]` the number of words that follow, then one record per event;
//! - at most one JS string holding the UTF-8 text of every text message of the call
//!   (records carry UTF-16 offsets; JS takes `substring`s);
//! - at most one Buffer holding every binary payload of the call (records carry byte
//!   offsets; JS takes `subarray`s);
//! - rare events (handshake, close, failure) as ready-made objects, and messages of 8 KiB or
//!   more (binary, and text with `textAsBytes`) that were received straight into their own
//!   Buffer (`message_buffer` / `text_buffer`), as that Buffer (`T_OWN_TEXT` / `T_OWN_BINARY`),
//!   or, up to 32 KiB, into a slice of a slab Buffer shared by many messages, as the slab,
//!   offset and length (`T_SLAB_TEXT` / `T_SLAB_BINARY`).
//!
//! The return value is `undefined`, the string, the Buffer, or an array
//! `[text, blob, overflowDesc, ...objects]`, or the one object alone (`F_ONE_OBJECT`), as
//! `desc[0]` says. On the hot path
//! (`receiveTo`) the caller also lends the free part of a slab Buffer: a call whose only
//! values are binary payloads copies its blob there instead of into a Buffer of its own (a
//! malloc and a free on V8's sweeper per read) and returns the blob's length
//! (`F_BLOB_IN_SLAB`).

use std::ptr;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

mod describe;
use describe::{describe_frequent, Describe};

use wsengine::config::{camel_case, snake_case, OptionValue, CONFIG_OPTIONS};
use wsengine::event::{EventRef, EventSink, MessageBuffer};
use wsengine::{
    AcceptOptions, ClientOptions, CloseInfo, Config, Connection, DataKind, Event, Header,
    OpenOptions, OsRandom, ProxyOptions, Request, Role, Side, State,
};

// ---- description format (shared with index.js) ----
const F_TEXT: u32 = 1;
const F_BLOB: u32 = 2;
const F_OBJECTS: u32 = 4;
const F_OVERFLOW: u32 = 8;
const F_OUTPUT: u32 = 16;
const F_ARRAY: u32 = 32;
/// The connection has a deadline after the call (`nextTimeout()` is not null).
const F_DEADLINE: u32 = 64;
/// The blob was copied into the slab lent to `receiveTo`; the return value is its length.
const F_BLOB_IN_SLAB: u32 = 128;
/// The call's only value is one object (a message's Buffer or slab, a rare event): the
/// return value is that object, not an array holding it.
const F_ONE_OBJECT: u32 = 256;

// The frequent events' codes: describe.rs. Node's rare events:
const T_OBJECT: u32 = 7; // index into the returned array
/// A message received into its own Buffer: the Buffer's index in the returned array.
const T_OWN_TEXT: u32 = 11;
const T_OWN_BINARY: u32 = 12;
/// A message received into a slice of a slab Buffer: the slab's index in the returned array,
/// the slice's offset and length.
const T_SLAB_TEXT: u32 = 13;
const T_SLAB_BINARY: u32 = 14;
/// A binary message unmasked where it lay in the call's input (`receiveInPlace`): start and
/// end in the input (decoded by lib/engine.js, with the shared codes).
const T_INPUT_BINARY: u32 = 15;
/// A text message as its (validated) UTF-8 bytes, unmasked where it lay in the call's input
/// (`receiveInPlace`, `textAsBytes`): start and end in the input.
const T_INPUT_TEXT: u32 = 16;

/// Buffers up to this size are copied into V8-owned memory; larger ones are handed over.
const COPY_LIMIT: usize = 64 * 1024;

/// A raw JS value returned as is.
pub struct Raw(sys::napi_value);

impl ToNapiValue for Raw {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        Ok(val.0)
    }
}

// Modules, one job each; the imports above are the ones they share (`use super::*`).
mod connection;
mod message_buffer;
mod napi_helpers;
mod options;
mod transcode;
pub use connection::*;
use message_buffer::*;
use napi_helpers::*;
use options::*;
use transcode::*;

/// Whether permessage-deflate is compiled in.
#[napi]
pub fn deflate_supported() -> bool {
    cfg!(feature = "deflate")
}

/// The option names of the core's schema, camelCased (the JS layer's list of known keys).
#[napi]
pub fn config_options() -> Vec<String> {
    CONFIG_OPTIONS.iter().map(|s| s.camel_name()).collect()
}

#[cfg(test)]
mod tests {
    use super::{utf8_to_utf16, Collector, Describe};

    #[test]
    fn transcodes_like_std() {
        let long = "abcdefghijklmnopé€😀xyz12345678".repeat(20);
        for s in [
            "",
            "abc",
            "é",
            "€uro",
            "😀",
            "a😀é€",
            "\u{10FFFF}\u{800}\u{7FF}\u{80}\u{FFFF}",
            &long,
        ] {
            let mut out = Vec::new();
            utf8_to_utf16(s.as_bytes(), &mut out);
            assert_eq!(out, s.encode_utf16().collect::<Vec<_>>(), "{s}");
        }
    }

    #[test]
    fn offsets_survive_the_switch_to_utf16() {
        let mut c = Collector::default();
        assert_eq!(c.push_text(b"abc"), (0, 3));
        assert_eq!(c.push_text("é😀".as_bytes()), (3, 6));
        assert_eq!(c.push_text(b"z"), (6, 7));
        assert_eq!(String::from_utf16(&c.text16).unwrap(), "abcé😀z");
    }
}
