//! The frame inspector's decoder (`inspector/`): splits one direction of a captured
//! byte stream into frames for display and feeds the same bytes to a real
//! [`Connection`], so every event and protocol error is the engine's own.
//!
//! Display only: the frame split uses the core's [`FrameHeader::decode`] and
//! [`apply_mask`]; what a frame *means* (inflated data, UTF-8 validity, close codes,
//! errors) comes from the connection's events. The opening handshake, when included, is
//! parsed with the core's HTTP head parsers; its `Sec-WebSocket-Accept` cannot be checked
//! (the capture does not hold the client's nonce), so the frames that follow go to a
//! post-handshake connection ([`Connection::open`]) with the negotiated extensions.

use wasm_bindgen::prelude::*;

use wsengine::frame::{FrameHeader, OpCode};
use wsengine::handshake::{
    classify, header_value, parse_request_head, parse_response_head, Classified, HeadLimits,
    Rejection,
};
use wsengine::mask::apply_mask;
use wsengine::{Config, Connection, DataKind, Delivery, Event, OpenOptions, Role, Side};

use crate::json::Json;
use crate::{config_from, error_json, invalid_input, js_error};

/// Payload bytes shown per frame (hex and text); longer payloads are cut in the report.
const SHOW_BYTES: usize = 4096;

/// Decodes one direction of a WebSocket byte stream for display.
#[wasm_bindgen]
pub struct Inspector {
    /// The stream was sent by the client (so the engine plays the server).
    from_client: bool,
    /// Waiting for the opening handshake's HTTP head.
    in_head: bool,
    extensions: Option<String>,
    config: Option<Config>,
    conn: Option<Connection>,
    /// Bytes received and not yet reported (head or incomplete frame).
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    offset: u64,
    /// The frame split hit an invalid header: the rest is shown as trailing bytes.
    broken: bool,
}

fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

fn opcode_name(op: OpCode) -> &'static str {
    match op {
        OpCode::Continuation => "continuation",
        OpCode::Text => "text",
        OpCode::Binary => "binary",
        OpCode::Close => "close",
        OpCode::Ping => "ping",
        OpCode::Pong => "pong",
    }
}

/// One event as the inspector shows it (payloads as text and/or hex, cut at SHOW_BYTES).
fn event_json(ev: &Event) -> String {
    let mut j = Json::object();
    let bytes = |j: &mut Json, data: &[u8], text: bool| {
        let shown = &data[..data.len().min(SHOW_BYTES)];
        j.num("length", data.len() as f64).str("hex", &hex(shown));
        if text {
            j.opt_str("text", core::str::from_utf8(shown).ok());
        }
        j.bool("truncated", data.len() > SHOW_BYTES);
    };
    match ev {
        Event::Text(s) => {
            j.str("type", "text");
            bytes(&mut j, s.as_bytes(), true);
        }
        Event::Binary(b) => {
            j.str("type", "binary");
            bytes(&mut j, b, false);
        }
        Event::Chunk(c) => {
            let text = c.kind == DataKind::Text;
            j.str("type", "chunk")
                .str("kind", if text { "text" } else { "binary" })
                .bool("first", c.first)
                .bool("last", c.last);
            bytes(&mut j, &c.data, text);
        }
        Event::Ping(p) => {
            j.str("type", "ping");
            bytes(&mut j, p, true);
        }
        Event::Pong(p) => {
            j.str("type", "pong");
            bytes(&mut j, p, true);
        }
        Event::CloseReceived(f) => {
            j.str("type", "closeReceived")
                .num("code", f.code.into())
                .str("reason", &f.reason);
        }
        Event::Failed(e) => {
            j.str("type", "failed").raw("error", error_json(e).as_str());
        }
        Event::Closed(i) => {
            let by = match i.initiated_by {
                Some(Side::Local) => Some("local"),
                Some(Side::Remote) => Some("remote"),
                None => None,
            };
            j.str("type", "closed")
                .num("code", i.code.into())
                .str("reason", &i.reason)
                .bool("wasClean", i.was_clean)
                .opt_str("initiatedBy", by)
                .opt_num("sentCode", i.sent_code.map(f64::from));
        }
        Event::Open(o) => {
            j.str("type", "open")
                .opt_str("protocol", o.protocol.as_deref())
                .opt_str("extensions", o.extensions.as_deref());
        }
        Event::Writable => {
            j.str("type", "writable");
        }
        other => {
            j.str("type", "other").str("debug", &format!("{other:?}"));
        }
    }
    j.end().into_string()
}

#[wasm_bindgen]
impl Inspector {
    /// `direction`: `"client"` when the stream was sent by the client (masked frames),
    /// `"server"` when sent by the server. `handshake`: the stream starts with the HTTP
    /// request (client) or response (server). `extensions`: the negotiated
    /// `Sec-WebSocket-Extensions` value; when empty, the server's response header is used
    /// (server streams with a handshake). `options`: connection options, as for `Connection`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        direction: &str,
        handshake: bool,
        extensions: Option<String>,
        options: JsValue,
    ) -> Result<Inspector, JsValue> {
        let from_client = match direction {
            "client" => true,
            "server" => false,
            _ => return Err(invalid_input("direction must be 'client' or 'server'")),
        };
        let mut config = config_from(&options)?;
        // Show every frame as it arrived and every control frame.
        config.delivery = Delivery::Frames;
        config.surface_pings = true;
        config.surface_pongs = true;
        let extensions = extensions.filter(|e| !e.trim().is_empty());
        let mut me = Inspector {
            from_client,
            in_head: handshake,
            extensions,
            config: Some(config),
            conn: None,
            buf: Vec::new(),
            offset: 0,
            broken: false,
        };
        if !handshake {
            me.start(None)?;
        }
        Ok(me)
    }

    /// Creates the engine's connection once the extensions are known.
    fn start(&mut self, protocol: Option<String>) -> Result<(), JsValue> {
        let config = self.config.take().unwrap_or_default();
        // The engine receives this stream: it is the server for a client's stream.
        let role = if self.from_client {
            Role::Server
        } else {
            Role::Client
        };
        let options = OpenOptions {
            protocol,
            extensions: self.extensions.clone(),
        };
        // The engine only decodes here; a client needs a random source for masks it never sends.
        let random: Option<Box<dyn wsengine::RandomSource>> = match role {
            Role::Client => Some(Box::new(|b: &mut [u8]| b.fill(0))),
            Role::Server => None,
        };
        let conn = Connection::open(role, config, options, random)
            .map_err(|e| js_error(e.kind(), &e.to_string(), e.close_code()))?;
        self.conn = Some(conn);
        Ok(())
    }

    fn drain(&mut self) -> String {
        let mut events = Json::array();
        if let Some(c) = self.conn.as_mut() {
            for ev in c.drain_events() {
                if !matches!(ev, Event::Open(_)) {
                    events.item(&event_json(&ev));
                }
            }
        }
        events.end().into_string()
    }

    /// Parses the opening handshake's head, if it is complete. Returns whether frames may follow.
    fn head(&mut self, items: &mut Json) -> Result<bool, JsValue> {
        let limits = HeadLimits {
            max_header_bytes: 64 << 10,
            max_headers: 256,
        };
        let mut j = Json::object();
        j.str("item", "handshake").num("offset", self.offset as f64);
        let (len, protocol, ok) = if self.from_client {
            match parse_request_head(&self.buf, &limits) {
                Ok(None) => return Ok(false),
                Err(e) => {
                    j.num("status", e.status.into()).str("error", e.reason);
                    items.item(j.end().as_str());
                    return Ok(false);
                }
                Ok(Some((head, len))) => {
                    j.str("kind", "request")
                        .str(
                            "startLine",
                            &format!(
                                "{} {} HTTP/1.{}",
                                head.method, head.target, head.minor_version
                            ),
                        )
                        .headers("headers", &head.headers);
                    match classify(head) {
                        Ok(Classified::Upgrade(r)) => {
                            j.strs("protocols", &r.protocols)
                                .strs("offeredExtensions", &r.extensions);
                            (len, None, true)
                        }
                        Ok(Classified::PlainHttp(_)) => {
                            j.num("status", 0.0)
                                .str("error", "not a WebSocket upgrade request");
                            (len, None, false)
                        }
                        Err(Rejection { status, reason, .. }) => {
                            j.num("status", status.into()).str("error", &reason);
                            (len, None, false)
                        }
                    }
                }
            }
        } else {
            match parse_response_head(&self.buf, &limits) {
                Ok(None) => return Ok(false),
                Err(e) => {
                    j.num("status", e.status.into()).str("error", e.reason);
                    items.item(j.end().as_str());
                    return Ok(false);
                }
                Ok(Some((head, len))) => {
                    j.str("kind", "response")
                        .str(
                            "startLine",
                            &format!(
                                "HTTP/1.{} {} {}",
                                head.minor_version, head.status, head.reason
                            ),
                        )
                        .headers("headers", &head.headers);
                    let protocol =
                        header_value(&head.headers, "sec-websocket-protocol").map(String::from);
                    if self.extensions.is_none() {
                        self.extensions = header_value(&head.headers, "sec-websocket-extensions")
                            .map(String::from);
                    }
                    if head.status == 101 {
                        (len, protocol, true)
                    } else {
                        j.num("status", head.status.into())
                            .str("error", "the server refused the upgrade");
                        (len, None, false)
                    }
                }
            }
        };
        j.num("length", len as f64)
            .opt_str("extensions", self.extensions.as_deref());
        items.item(j.end().as_str());
        self.buf.drain(..len);
        self.offset += len as u64;
        self.in_head = false;
        if ok {
            self.start(protocol)?;
            let mut j = Json::object();
            j.str("item", "events").raw("events", &self.drain());
            items.item(j.end().as_str());
        } else {
            self.broken = true;
        }
        Ok(ok)
    }

    /// Feeds captured bytes; returns a JSON array of report items (handshake, frames with
    /// the events each produced, errors) for everything completed by these bytes.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<String, JsValue> {
        self.buf.extend_from_slice(bytes);
        let mut items = Json::array();
        if self.in_head && !self.head(&mut items)? {
            return Ok(items.end().into_string());
        }
        while !self.broken {
            let (h, hlen) = match FrameHeader::decode(&self.buf) {
                Ok(Some(x)) => x,
                Ok(None) => break,
                Err(e) => {
                    // The engine fails on the same bytes; show its events with the error.
                    let mut j = Json::object();
                    j.str("item", "frameError")
                        .num("offset", self.offset as f64)
                        .raw("error", error_json(&e).as_str());
                    if let Some(c) = self.conn.as_mut() {
                        c.receive(&self.buf);
                    }
                    j.raw("events", &self.drain());
                    items.item(j.end().as_str());
                    self.broken = true;
                    break;
                }
            };
            let Some(total) = usize::try_from(h.payload_len)
                .ok()
                .and_then(|n| n.checked_add(hlen))
                .filter(|&t| t <= self.buf.len())
            else {
                // Incomplete: wait for more (finish() reports what is left).
                break;
            };
            let mut payload = self.buf[hlen..total.min(hlen + SHOW_BYTES)].to_vec();
            if let Some(key) = h.mask {
                apply_mask(&mut payload, key, 0);
            }
            let mut j = Json::object();
            j.str("item", "frame")
                .num("offset", self.offset as f64)
                .num("headerLength", hlen as f64)
                .bool("fin", h.fin)
                .bool("rsv1", h.rsv1)
                .bool("rsv2", h.rsv2)
                .bool("rsv3", h.rsv3)
                .num("opcode", h.opcode.as_u8().into())
                .str("opcodeName", opcode_name(h.opcode))
                .opt_str("mask", h.mask.map(|k| hex(&k)).as_deref())
                .num("length", h.payload_len as f64)
                .str("payloadHex", &hex(&payload))
                .opt_str("payloadText", core::str::from_utf8(&payload).ok())
                .bool("truncated", h.payload_len as usize > SHOW_BYTES);
            if let Some(c) = self.conn.as_mut() {
                c.receive(&self.buf[..total]);
            }
            j.raw("events", &self.drain());
            items.item(j.end().as_str());
            self.buf.drain(..total);
            self.offset += total as u64;
        }
        Ok(items.end().into_string())
    }

    /// The capture ended: reports bytes left over and the engine's end-of-stream events.
    pub fn finish(&mut self) -> String {
        let mut items = Json::array();
        if !self.buf.is_empty() {
            let mut j = Json::object();
            let shown = &self.buf[..self.buf.len().min(SHOW_BYTES)];
            j.str("item", "trailing")
                .num("offset", self.offset as f64)
                .num("length", self.buf.len() as f64)
                .str("hex", &hex(shown))
                .bool("inHandshake", self.in_head);
            if let (false, Some(c)) = (self.broken, self.conn.as_mut()) {
                c.receive(&self.buf);
            }
            j.raw("events", &self.drain());
            items.item(j.end().as_str());
            self.offset += self.buf.len() as u64;
            self.buf.clear();
        }
        if let Some(c) = self.conn.as_mut() {
            c.receive_eof();
            let mut j = Json::object();
            j.str("item", "end")
                .num("offset", self.offset as f64)
                .raw("events", &self.drain());
            items.item(j.end().as_str());
        }
        items.end().into_string()
    }
}
