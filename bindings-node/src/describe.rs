//! The event description both JavaScript bindings hand to their shared JS layer
//! (`bindings-node/lib/engine.js`, `decodeEvents`): the frequent events of one call become
//! code words pointing into one text and one byte blob; the rare ones are given back to the
//! binding, which turns them into objects its own way (napi objects, JSON). One source for the
//! Node crate and, through `#[path]`, the wasm crate.

use wsengine::{DataKind, Event};

/// A text message: start and end in the call's text (JS string units).
pub const T_TEXT: u32 = 1;
/// A binary message: start and end in the call's blob.
pub const T_BINARY: u32 = 2;
/// A text chunk: flags (1 first, 2 last), start and end in the text.
pub const T_CHUNK_TEXT: u32 = 3;
/// A byte chunk: flags (1 first, 2 last, 4 text), start and end in the blob.
pub const T_CHUNK_BYTES: u32 = 4;
/// A ping: start and end of its payload in the blob.
pub const T_PING: u32 = 5;
/// A pong: start and end of its payload in the blob.
pub const T_PONG: u32 = 6;
/// Output drained below the low-water mark.
pub const T_WRITABLE: u32 = 8;
/// The CONNECT proxy opened the tunnel.
pub const T_PROXY_CONNECTED: u32 = 9;
/// A text message as its (validated) UTF-8 bytes: start and end in the call's blob (a
/// connection that takes text as bytes, as `ws` delivers it).
pub const T_TEXT_BYTES: u32 = 10;

/// Where one call's description is collected.
pub trait Describe {
    /// The description words.
    fn desc(&mut self) -> &mut Vec<u32>;
    /// Appends valid UTF-8 to the call's text; returns its range in JS string units.
    fn push_text(&mut self, bytes: &[u8]) -> (u32, u32);
    /// Like `push_text` for a whole message the collector may take without copying.
    fn push_text_owned(&mut self, s: String) -> (u32, u32) {
        self.push_text(s.as_bytes())
    }
    /// Appends bytes to the call's blob; returns their range.
    fn push_blob(&mut self, bytes: Vec<u8>) -> (u32, u32);
    /// Whether whole text messages go to the blob as UTF-8 bytes (`T_TEXT_BYTES`).
    fn text_as_bytes(&self) -> bool {
        false
    }
}

/// Describes a frequent event; gives a rare one back untouched. `raw_text_chunks`
/// (`ignoreUtf8Errors`): text chunks may not be UTF-8 and go to the blob.
pub fn describe_frequent<D: Describe>(
    d: &mut D,
    ev: Event,
    raw_text_chunks: bool,
) -> Option<Event> {
    match ev {
        Event::Text(s) if d.text_as_bytes() => {
            let (a, b) = d.push_blob(s.into_bytes());
            d.desc().extend_from_slice(&[T_TEXT_BYTES, a, b]);
        }
        Event::Text(s) => {
            let (a, b) = d.push_text_owned(s);
            d.desc().extend_from_slice(&[T_TEXT, a, b]);
        }
        Event::Binary(v) => {
            let (a, b) = d.push_blob(v);
            d.desc().extend_from_slice(&[T_BINARY, a, b]);
        }
        Event::Chunk(ch) => {
            let text = ch.kind == DataKind::Text;
            let flags = ch.first as u32 | (ch.last as u32) << 1 | (text as u32) << 2;
            // Text chunks are validated UTF-8 ending on a character boundary (a core
            // guarantee) unless `ignoreUtf8Errors`, where they are raw bytes.
            if text && !raw_text_chunks && std::str::from_utf8(&ch.data).is_ok() {
                let (a, b) = d.push_text(&ch.data);
                d.desc().extend_from_slice(&[T_CHUNK_TEXT, flags, a, b]);
            } else {
                let (a, b) = d.push_blob(ch.data);
                d.desc().extend_from_slice(&[T_CHUNK_BYTES, flags, a, b]);
            }
        }
        Event::Ping(v) => {
            let (a, b) = d.push_blob(v);
            d.desc().extend_from_slice(&[T_PING, a, b]);
        }
        Event::Pong(v) => {
            let (a, b) = d.push_blob(v);
            d.desc().extend_from_slice(&[T_PONG, a, b]);
        }
        Event::Writable => d.desc().push(T_WRITABLE),
        Event::ProxyConnected => d.desc().push(T_PROXY_CONNECTED),
        rare => return Some(rare),
    }
    None
}
