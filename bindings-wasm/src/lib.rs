//! WebAssembly binding of `wsengine` (wasm-bindgen): a thin mapping of [`wsengine::Connection`]
//! with the same JavaScript API as the Node binding (`bindings-node`).
//!
//! The binding converts types and errors, nothing else: every protocol decision is the
//! core's. The JavaScript side (`lib/api.js`) wraps [`NativeConnection`] in the public
//! `Connection` class.
//!
//! # Crossing the boundary once per read
//!
//! `receive` returns every event of a chunk in one call. The events are described in wasm
//! memory and JavaScript reads them there, with no further call into wasm:
//!
//! - `desc`: one record of `u32` words per event (see the `T_*` constants);
//! - `text`: the UTF-8 of every text message, text chunk and rare event (as JSON) of the
//!   call, decoded by JavaScript in one go; records carry UTF-16 offsets into it;
//! - `blob`: every binary payload of the call; records carry byte offsets into it.
//!
//! The pointers and lengths of the three areas are written into a small `info` block whose
//! address JavaScript learns once per connection ([`NativeConnection::info_ptr`]).

use wasm_bindgen::prelude::*;

use wsengine::{
    AcceptOptions, ClientOptions, CloseInfo, Connection, DataKind, Event, OpenOptions,
    ProxyOptions, Request, Role, Side, State,
};

// The event description shared with the Node binding (decoded by bindings-node/lib/engine.js).
#[path = "../../bindings-node/src/describe.rs"]
mod describe;
mod inspect;
mod json;
mod random;

pub use inspect::Inspector;

use describe::{describe_frequent, Describe};

mod options;
use options::{config_from, get_bool, get_string, get_strings, headers_from_flat};
use json::Json;

// ---- description format (shared with lib/api.js) ----
// The frequent events' codes: bindings-node/src/describe.rs (shared). The rare ones, as JSON:
const T_OBJECT: u32 = 7; // start16, end16 (JSON in text)
const T_REJECTED: u32 = 12; // start16, end16 (JSON in text), body start, end (blob)
const T_FAILED: u32 = 13; // start16, end16 (JSON in text)

/// `info[6]` flag: output is pending after the call.
const F_OUTPUT: u32 = 1;

/// The wasm module's memory, for the JavaScript side to read the event areas.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// Whether permessage-deflate is compiled in.
#[wasm_bindgen(js_name = deflateSupported)]
pub fn deflate_supported() -> bool {
    cfg!(feature = "deflate")
}

// ---- errors ----

/// A JS `Error` with `.kind`, `.code` (= kind) and `.closeCode`, like the Node binding's.
pub(crate) fn js_error(kind: &str, message: &str, close_code: u16) -> JsValue {
    let err = js_sys::Error::new(message);
    let o: &JsValue = err.as_ref();
    let _ = js_sys::Reflect::set(o, &"kind".into(), &kind.into());
    let _ = js_sys::Reflect::set(o, &"code".into(), &kind.into());
    let _ = js_sys::Reflect::set(o, &"closeCode".into(), &f64::from(close_code).into());
    err.into()
}

fn throw(e: &wsengine::Error) -> JsValue {
    js_error(e.kind(), &e.to_string(), e.close_code())
}

pub(crate) fn invalid_input(message: &str) -> JsValue {
    js_error("invalid_input", &format!("invalid input: {message}"), 1006)
}

// ---- events ----

/// UTF-16 length of valid UTF-8.
fn utf16_len(bytes: &[u8]) -> usize {
    // Every non-continuation byte starts a character; 4-byte characters take two units.
    let mut n = 0usize;
    for &b in bytes {
        n += ((b as i8) >= -64) as usize + (b >= 0xF0) as usize;
    }
    n
}

#[derive(Default)]
struct Collector {
    text: Vec<u8>,
    text_units: usize,
    text_ascii: bool,
    blob: Vec<u8>,
    desc: Vec<u32>,
    /// Whole text messages as UTF-8 bytes in the blob (the connection's `textAsBytes`).
    text_bytes: bool,
}

impl Describe for Collector {
    fn desc(&mut self) -> &mut Vec<u32> {
        &mut self.desc
    }

    /// Appends valid UTF-8; returns its UTF-16 range in the decoded text.
    fn push_text(&mut self, bytes: &[u8]) -> (u32, u32) {
        let start = self.text_units;
        if bytes.is_ascii() {
            self.text_units += bytes.len();
        } else {
            self.text_ascii = false;
            self.text_units += utf16_len(bytes);
        }
        self.text.extend_from_slice(bytes);
        (start as u32, self.text_units as u32)
    }

    fn push_text_owned(&mut self, s: String) -> (u32, u32) {
        if self.text.is_empty() && s.len() > 4096 {
            // Take a large message without copying it.
            let bytes = s.into_bytes();
            self.text_ascii = bytes.is_ascii();
            self.text_units = if self.text_ascii {
                bytes.len()
            } else {
                utf16_len(&bytes)
            };
            self.text = bytes;
            return (0, self.text_units as u32);
        }
        self.push_text(s.as_bytes())
    }

    fn text_as_bytes(&self) -> bool {
        self.text_bytes
    }

    fn push_blob(&mut self, bytes: Vec<u8>) -> (u32, u32) {
        let start = self.blob.len();
        if start == 0 && bytes.len() > 4096 {
            self.blob = bytes;
        } else {
            self.blob.extend_from_slice(&bytes);
        }
        (start as u32, self.blob.len() as u32)
    }
}

impl Collector {
    fn reset(&mut self) {
        for v in [&mut self.text, &mut self.blob] {
            v.clear();
            if v.capacity() > (1 << 20) {
                *v = Vec::new();
            }
        }
        self.text_units = 0;
        self.text_ascii = true;
        self.desc.clear();
    }

    fn object(&mut self, tag: u32, json: &Json) {
        let (a, b) = self.push_text(json.as_str().as_bytes());
        self.desc.extend_from_slice(&[tag, a, b]);
    }

    fn describe(&mut self, ev: Event, raw_text_chunks: bool) {
        let Some(ev) = describe_frequent(self, ev, raw_text_chunks) else {
            return;
        };
        match ev {
            Event::Request(r) => self.object(T_OBJECT, &request_json("request", &r)),
            Event::HttpRequest(r) => self.object(T_OBJECT, &request_json("httpRequest", &r)),
            Event::Open(op) => {
                let mut j = Json::object();
                j.str("type", "open")
                    .opt_str("protocol", op.protocol.as_deref())
                    .opt_str("extensions", op.extensions.as_deref())
                    .headers("headers", &op.headers);
                self.object(T_OBJECT, &j.end());
            }
            Event::Rejected(r) => {
                let mut j = Json::object();
                j.str("type", "rejected")
                    .num("status", r.status.into())
                    .str("reason", &r.reason)
                    .headers("headers", &r.headers)
                    .bool("fromProxy", r.from_proxy);
                let (a, b) = self.push_text(j.end().as_str().as_bytes());
                let (c, d) = self.push_blob(r.body);
                self.desc.extend_from_slice(&[T_REJECTED, a, b, c, d]);
            }
            Event::CloseReceived(f) => {
                let mut j = Json::object();
                j.str("type", "closeReceived")
                    .num("code", f.code.into())
                    .str("reason", &f.reason);
                self.object(T_OBJECT, &j.end());
            }
            Event::Failed(e) => self.object(T_FAILED, &error_json(&e)),
            Event::Closed(i) => self.object(T_OBJECT, &close_info_json(Some("closed"), &i)),
            other => {
                // An event added to the core after this binding was written.
                let mut j = Json::object();
                j.str("type", "unknown").str("debug", &format!("{other:?}"));
                self.object(T_OBJECT, &j.end());
            }
        }
    }
}

pub(crate) fn error_json(e: &wsengine::Error) -> Json {
    let mut j = Json::object();
    j.str("kind", e.kind())
        .str("message", &e.to_string())
        .num("closeCode", e.close_code().into());
    j.end()
}

fn request_json(ty: &str, r: &Request) -> Json {
    let mut j = Json::object();
    j.str("type", ty)
        .str("method", &r.method)
        .str("target", &r.target)
        .str("path", &r.path)
        .opt_str("query", r.query.as_deref())
        .headers("headers", &r.headers)
        .opt_str("host", r.host.as_deref())
        .opt_str("origin", r.origin.as_deref())
        .opt_str("key", r.key.as_deref())
        .strs("protocols", &r.protocols)
        .strs("extensions", &r.extensions);
    j.end()
}

fn close_info_json(ty: Option<&str>, i: &CloseInfo) -> Json {
    let mut j = Json::object();
    if let Some(ty) = ty {
        j.str("type", ty);
    }
    let by = match i.initiated_by {
        Some(Side::Local) => Some("local"),
        Some(Side::Remote) => Some("remote"),
        None => None,
    };
    j.num("code", i.code.into())
        .str("reason", &i.reason)
        .bool("wasClean", i.was_clean)
        .opt_str("initiatedBy", by)
        .opt_num("sentCode", i.sent_code.map(f64::from));
    j.end()
}

fn time(now: f64) -> u64 {
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

fn code16(code: f64, kind: &str) -> Result<u16, JsValue> {
    if code.fract() == 0.0 && (0.0..=65535.0).contains(&code) {
        Ok(code as u16)
    } else {
        Err(js_error(
            kind,
            &format!("close code {code} is not valid"),
            1006,
        ))
    }
}

/// The connection class used by `lib/api.js` (see the module documentation).
#[wasm_bindgen]
pub struct NativeConnection {
    conn: Connection,
    c: Collector,
    /// descPtr, descLen (words), textPtr, textLen, blobPtr, blobLen, flags, textAscii.
    info: Box<[u32; 8]>,
}

impl NativeConnection {
    fn wrap(conn: Connection) -> Self {
        let mut c = Collector::default();
        c.reset();
        NativeConnection {
            conn,
            c,
            info: Box::new([0; 8]),
        }
    }

    /// Describes every pending event; returns the number of description words.
    fn collect(&mut self) -> u32 {
        let raw_text_chunks = self.conn.config().ignore_utf8_errors;
        self.c.reset();
        let c = &mut self.c;
        for ev in self.conn.drain_events() {
            c.describe(ev, raw_text_chunks);
        }
        let i = &mut self.info;
        i[0] = c.desc.as_ptr() as u32;
        i[1] = c.desc.len() as u32;
        i[2] = c.text.as_ptr() as u32;
        i[3] = c.text.len() as u32;
        i[4] = c.blob.as_ptr() as u32;
        i[5] = c.blob.len() as u32;
        i[6] = if self.conn.buffered_amount() > 0 {
            F_OUTPUT
        } else {
            0
        };
        i[7] = c.text_ascii as u32;
        i[1]
    }
}

#[wasm_bindgen]
impl NativeConnection {
    /// A server connection: it reads the client's HTTP request first.
    pub fn server(options: JsValue) -> Result<NativeConnection, JsValue> {
        let config = config_from(&options)?;
        Connection::server(config)
            .map(Self::wrap)
            .map_err(|e| throw(&e))
    }

    /// A client connection for `url`; its upgrade request is queued as output at once.
    pub fn client(url: String, options: JsValue) -> Result<NativeConnection, JsValue> {
        let mut opts = ClientOptions {
            url,
            ..Default::default()
        };
        if !options.is_undefined() && !options.is_null() {
            let o = &options;
            opts.origin = get_string(o, "origin")?;
            if let Some(flat) = get_strings(o, "headers")? {
                opts.headers = headers_from_flat(flat)?;
            }
            if get_bool(o, "proxy")? == Some(true) {
                let headers = match get_strings(o, "proxyHeaders")? {
                    Some(flat) => headers_from_flat(flat)?,
                    None => Vec::new(),
                };
                opts.proxy = Some(ProxyOptions {
                    authorization: get_string(o, "proxyAuthorization")?,
                    headers,
                });
            }
        }
        let config = config_from(&options)?;
        Connection::client(config, opts, Box::new(random::WebCrypto))
            .map(Self::wrap)
            .map_err(|e| throw(&e))
    }

    /// An already-open connection (RFC 8441 / RFC 9220 post-handshake mode).
    pub fn open(role: &str, options: JsValue) -> Result<NativeConnection, JsValue> {
        let role = match role {
            "server" => Role::Server,
            "client" => Role::Client,
            _ => return Err(invalid_input("role must be 'client' or 'server'")),
        };
        let mut opts = OpenOptions::default();
        if !options.is_undefined() && !options.is_null() {
            opts.protocol = get_string(&options, "protocol")?;
            opts.extensions = get_string(&options, "extensions")?;
        }
        let config = config_from(&options)?;
        let random: Option<Box<dyn wsengine::RandomSource>> = match role {
            Role::Client => Some(Box::new(random::WebCrypto)),
            Role::Server => None,
        };
        Connection::open(role, config, opts, random)
            .map(Self::wrap)
            .map_err(|e| throw(&e))
    }

    /// Address of the `info` block (stable for the connection's life).
    #[wasm_bindgen(js_name = infoPtr)]
    pub fn info_ptr(&self) -> u32 {
        self.info.as_ptr() as u32
    }

    /// Feeds bytes read from the transport, then (when `now >= 0`) the current time;
    /// describes every event produced and returns the number of description words.
    pub fn receive(&mut self, chunk: &[u8], now: f64) -> u32 {
        self.conn.receive(chunk);
        if now >= 0.0 {
            self.conn.handle_timeout(time(now));
        }
        self.collect()
    }

    /// The transport reached end of input.
    #[wasm_bindgen(js_name = receiveEof)]
    pub fn receive_eof(&mut self, now: f64) -> u32 {
        self.conn.receive_eof();
        if now >= 0.0 {
            self.conn.handle_timeout(time(now));
        }
        self.collect()
    }

    /// Runs the timers that are due at `now` (milliseconds, any origin).
    #[wasm_bindgen(js_name = handleTimeout)]
    pub fn handle_timeout(&mut self, now: f64) -> u32 {
        self.conn.handle_timeout(time(now));
        self.collect()
    }

    /// Describes every event queued so far (e.g. after `accept`).
    #[wasm_bindgen(js_name = pollEvents)]
    pub fn poll_events(&mut self) -> u32 {
        self.collect()
    }

    /// When `handleTimeout` should next be called, or `undefined`.
    #[wasm_bindgen(js_name = nextTimeout)]
    pub fn next_timeout(&self) -> Option<f64> {
        self.conn.poll_timeout().map(|t| t as f64)
    }

    /// Every queued output byte (empty when nothing is queued).
    #[wasm_bindgen(js_name = takeOutput)]
    pub fn take_output(&mut self) -> Vec<u8> {
        self.conn.take_output()
    }

    /// Whether whole text messages are handed over as their UTF-8 bytes instead of strings.
    #[wasm_bindgen(getter = textAsBytes)]
    pub fn text_as_bytes(&self) -> bool {
        self.c.text_bytes
    }

    #[wasm_bindgen(setter = textAsBytes)]
    pub fn set_text_as_bytes(&mut self, on: bool) {
        self.c.text_bytes = on;
    }

    #[wasm_bindgen(js_name = sendText)]
    pub fn send_text(&mut self, text: &str) -> Result<(), JsValue> {
        self.conn.send_text(text).map_err(|e| throw(&e))
    }

    /// A text message given as its UTF-8 bytes (validated by the core).
    #[wasm_bindgen(js_name = sendTextBytes)]
    pub fn send_text_bytes(&mut self, data: &[u8]) -> Result<(), JsValue> {
        self.conn
            .send(DataKind::Text, data)
            .map_err(|e| throw(&e))
    }

    #[wasm_bindgen(js_name = sendBinary)]
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), JsValue> {
        self.conn.send_binary(data).map_err(|e| throw(&e))
    }

    /// `kind`: 0 text, 1 binary.
    #[wasm_bindgen(js_name = sendFragment)]
    pub fn send_fragment(&mut self, kind: u32, data: &[u8], fin: bool) -> Result<(), JsValue> {
        let kind = if kind == 0 {
            DataKind::Text
        } else {
            DataKind::Binary
        };
        self.conn
            .send_fragment(kind, data, fin)
            .map_err(|e| throw(&e))
    }

    pub fn ping(&mut self, data: &[u8]) -> Result<(), JsValue> {
        self.conn.ping(data).map_err(|e| throw(&e))
    }

    pub fn pong(&mut self, data: &[u8]) -> Result<(), JsValue> {
        self.conn.pong(data).map_err(|e| throw(&e))
    }

    /// W3C-style close: `code` < 0 means none.
    pub fn close(&mut self, code: f64, reason: &str) -> Result<(), JsValue> {
        let code = if code < 0.0 {
            None
        } else {
            Some(code16(code, "invalid_close_code_for_app")?)
        };
        self.conn.close(code, reason).map_err(|e| throw(&e))
    }

    /// Close with any code valid on the wire.
    #[wasm_bindgen(js_name = closeWith)]
    pub fn close_with(&mut self, code: f64, reason: &str) -> Result<(), JsValue> {
        let code = code16(code, "invalid_close_code")?;
        self.conn.close_with(code, reason).map_err(|e| throw(&e))
    }

    /// `headers`: flat name/value list.
    pub fn accept(
        &mut self,
        protocol: Option<String>,
        headers: Vec<String>,
    ) -> Result<(), JsValue> {
        let headers = headers_from_flat(headers)?;
        self.conn
            .accept(AcceptOptions { protocol, headers })
            .map_err(|e| throw(&e))
    }

    pub fn reject(
        &mut self,
        status: u32,
        headers: Vec<String>,
        body: &[u8],
    ) -> Result<(), JsValue> {
        let headers = headers_from_flat(headers)?;
        let status = u16::try_from(status).map_err(|_| invalid_input("status out of range"))?;
        self.conn
            .reject(status, &headers, body)
            .map_err(|e| throw(&e))
    }

    pub fn respond(
        &mut self,
        status: u32,
        headers: Vec<String>,
        body: &[u8],
    ) -> Result<(), JsValue> {
        let headers = headers_from_flat(headers)?;
        let status = u16::try_from(status).map_err(|_| invalid_input("status out of range"))?;
        self.conn
            .respond(status, &headers, body)
            .map_err(|e| throw(&e))
    }

    /// 0..3, as `WebSocket.readyState`.
    #[wasm_bindgen(getter, js_name = readyState)]
    pub fn ready_state(&self) -> u32 {
        match self.conn.state() {
            State::Connecting => 0,
            State::Open => 1,
            State::Closing => 2,
            State::Closed => 3,
        }
    }

    #[wasm_bindgen(getter)]
    pub fn role(&self) -> String {
        match self.conn.role() {
            Role::Client => "client".into(),
            Role::Server => "server".into(),
        }
    }

    #[wasm_bindgen(getter, js_name = bufferedAmount)]
    pub fn buffered_amount(&self) -> f64 {
        self.conn.buffered_amount() as f64
    }

    #[wasm_bindgen(getter, js_name = isWritable)]
    pub fn is_writable(&self) -> bool {
        self.conn.is_writable()
    }

    /// Whether a message may be sent now (see the core's `Connection::can_send`).
    #[wasm_bindgen(getter, js_name = canSend)]
    pub fn can_send(&self) -> bool {
        self.conn.can_send()
    }

    #[wasm_bindgen(getter)]
    pub fn protocol(&self) -> Option<String> {
        self.conn.protocol().map(str::to_string)
    }

    #[wasm_bindgen(getter)]
    pub fn extensions(&self) -> Option<String> {
        self.conn.extensions().map(str::to_string)
    }

    /// How the connection ended, as JSON (`lib/api.js` parses it), or `undefined`.
    #[wasm_bindgen(getter, js_name = closeInfoJson)]
    pub fn close_info_json(&self) -> Option<String> {
        self.conn
            .close_info()
            .map(|i| close_info_json(None, i).into_string())
    }
}

#[cfg(test)]
mod tests {
    use super::utf16_len;

    #[test]
    fn utf16_lengths() {
        for s in [
            "",
            "abc",
            "é",
            "€uro",
            "😀",
            "a😀é€",
            "\u{10FFFF}\u{800}\u{7FF}",
        ] {
            assert_eq!(utf16_len(s.as_bytes()), s.encode_utf16().count(), "{s}");
        }
    }
}
