//! Whole-connection targets: the connection under test (`C`) talks to a peer connection of
//! the other role, and the fuzzer interleaves deliveries in arbitrary chunks, raw bytes and
//! hand-made frames, application calls on both sides, end of input and clock ticks.
//!
//! Besides the checks of [`crate::check`], each step checks that application errors leave
//! the connection untouched, that timers never fire before `poll_timeout`, that the peer
//! (which only ever sees `C`'s output) never finds a protocol error in it, and, at the end,
//! that an undisturbed open connection still closes cleanly.

use std::collections::VecDeque;

use arbitrary::{Arbitrary, Unstructured};
use wsengine::config::{Config, Delivery, Role};
use wsengine::deflate::DeflateConfig;
use wsengine::handshake::{accept_key, head_end};
use wsengine::{
    AcceptOptions, ClientOptions, Connection, DataKind, Error, Event, EventRef, EventSink,
    MessageBuffer, OpenOptions, State,
};

use crate::check::{Checker, OutStream};
use crate::rng;

/// permessage-deflate settings of one endpoint.
#[derive(Arbitrary, Debug, Clone)]
pub struct DeflateKnobs {
    cnct: bool,
    snct: bool,
    cbits: Option<u8>,
    sbits: Option<u8>,
    level: u8,
    threshold: u8,
    max_ratio: Option<u8>,
}

impl DeflateKnobs {
    pub fn config(&self) -> DeflateConfig {
        let mut d = DeflateConfig::default();
        d.client_no_context_takeover = self.cnct;
        d.server_no_context_takeover = self.snct;
        d.client_max_window_bits = self.cbits.map(|b| 8 + b % 8);
        d.server_max_window_bits = self.sbits.map(|b| 8 + b % 8);
        d.compression_level = u32::from(self.level % 10);
        d.threshold = usize::from(self.threshold % 80);
        d.max_ratio = self.max_ratio.map(|r| u32::from(r) + 1);
        d
    }
}

/// Configuration of the connection under test, with small limits so they are hit.
#[derive(Arbitrary, Debug, Clone)]
pub struct Knobs {
    max_frame: u16,
    max_message: u16,
    max_fragments: u8,
    max_output: u16,
    high_water: u16,
    low_water: u16,
    out_frame: Option<u8>,
    header_bytes: u16,
    headers: u8,
    reject_body: u8,
    delivery: u8,
    ignore_utf8: bool,
    surface_pings: bool,
    surface_pongs: bool,
    no_auto_pong: bool,
    handshake_timeout: Option<u16>,
    ping_interval: Option<u16>,
    pong_timeout: Option<u16>,
    idle_timeout: Option<u16>,
    max_lifetime: Option<u16>,
    close_timeout: Option<u16>,
    protocols: u8,
    origins: bool,
    deflate: Option<DeflateKnobs>,
}

const PROTOCOLS: [&str; 3] = ["chat", "superchat", "v2.ws"];

fn protocols(mask: u8) -> Vec<String> {
    PROTOCOLS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, p)| p.to_string())
        .collect()
}

impl Knobs {
    pub fn config(&self) -> Config {
        let mut c = Config::default();
        c.max_frame_size = 1 + usize::from(self.max_frame % 2048);
        c.max_message_size = 1 + usize::from(self.max_message % 4096);
        c.max_fragments = 1 + usize::from(self.max_fragments % 64);
        c.max_output_buffer = 1024 + usize::from(self.max_output % 8192);
        c.high_water_mark = 64 + usize::from(self.high_water % 4096);
        c.low_water_mark = usize::from(self.low_water) % (c.high_water_mark + 1);
        c.max_outgoing_frame_size = self.out_frame.map(|f| 1 + usize::from(f % 128));
        c.max_header_bytes = 64 + usize::from(self.header_bytes % 2048);
        c.max_headers = 1 + usize::from(self.headers % 32);
        c.max_reject_body = usize::from(self.reject_body);
        c.delivery = match self.delivery % 4 {
            0 | 1 => Delivery::Messages,
            2 => Delivery::Chunks(1 + usize::from(self.delivery / 4)),
            _ => Delivery::Frames,
        };
        c.ignore_utf8_errors = self.ignore_utf8;
        c.surface_pings = self.surface_pings;
        c.surface_pongs = self.surface_pongs;
        c.auto_pong = !self.no_auto_pong;
        let ms = |v: Option<u16>| v.map(u64::from);
        c.handshake_timeout = ms(self.handshake_timeout);
        c.ping_interval = ms(self.ping_interval);
        c.pong_timeout = ms(self.pong_timeout);
        c.idle_timeout = ms(self.idle_timeout);
        c.max_lifetime = ms(self.max_lifetime);
        c.close_timeout = ms(self.close_timeout);
        c.protocols = protocols(self.protocols);
        c.allowed_origins = self.origins.then(|| vec!["http://example.com".to_string()]);
        c.deflate = self.deflate.as_ref().map(DeflateKnobs::config);
        c
    }
}

/// How the opening handshake happens.
#[derive(Arbitrary, Debug, Clone)]
pub enum Handshake {
    /// Post-handshake mode on both sides with this extension value (0: none).
    Open(u8),
    /// The peer runs the real handshake with this deflate configuration.
    Peer {
        deflate: Option<DeflateKnobs>,
        protocols: u8,
        origin: bool,
    },
    /// The harness writes a valid-looking head with these header values; the peer is created
    /// (post-handshake) once `C` opens.
    Templated {
        status: u16,
        extensions: Option<String>,
        protocol: Option<String>,
        extra: String,
    },
    /// Only raw bytes from the ops.
    Raw,
}

/// How a server under test answers the request.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Answer {
    Accept(u8),
    Reject(u16),
    Manual,
}

/// Something the application asks of a connection.
#[derive(Arbitrary, Debug, Clone)]
pub enum AppCall {
    Text(String),
    Binary(Vec<u8>),
    Owned(bool, Vec<u8>),
    Big {
        text: bool,
        len: u16,
        byte: u8,
    },
    Fragment {
        text: bool,
        data: Vec<u8>,
        fin: bool,
    },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<u16>, String),
    CloseWith(u16, String),
    /// `send(kind, bytes)`: a whole message from bytes (text may be invalid UTF-8: refused).
    Bytes(bool, Vec<u8>),
    /// `send_zero_copy(kind, bytes)`: when only the header was queued, the harness takes the
    /// output at once and writes the payload after it, as a driver does.
    ZeroCopy(bool, Vec<u8>),
}

/// A frame written by hand: any first byte, any length encoding, optional mask.
#[derive(Arbitrary, Debug, Clone)]
pub struct RawFrame {
    b0: u8,
    mask: Option<[u8; 4]>,
    form: u8,
    payload: Vec<u8>,
}

impl RawFrame {
    fn encode(&self, masked_by_default: bool) -> Vec<u8> {
        let len = self.payload.len() as u64;
        let mut out = vec![self.b0];
        let mask = match (self.mask, self.form & 0x80 != 0) {
            (Some(k), _) => Some(k),
            (None, false) if masked_by_default => Some([0x37, 0xfa, 0x21, 0x3d]),
            _ => None,
        };
        let mbit = if mask.is_some() { 0x80 } else { 0 };
        match self.form & 3 {
            1 => {
                out.push(mbit | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            2 => {
                out.push(mbit | 127);
                out.extend_from_slice(&len.to_be_bytes());
            }
            _ if len < 126 => out.push(mbit | len as u8),
            _ => {
                out.push(mbit | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
        }
        let mut payload = self.payload.clone();
        if let Some(k) = mask {
            out.extend_from_slice(&k);
            wsengine::mask::apply_mask(&mut payload, k, 0);
        }
        out.extend_from_slice(&payload);
        out
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    /// Up to `n` bytes (0: all) of the peer's output into `C`, in `chunk + 1`-byte pieces.
    Deliver {
        n: u16,
        chunk: u8,
    },
    /// `C` writes up to `n` bytes (0: all) of its output; they go to the peer.
    Drain {
        n: u16,
    },
    TakeAll,
    Raw(Vec<u8>),
    Frame(RawFrame),
    /// Several copies of a frame (floods).
    Frames(RawFrame, u8),
    Time(u16),
    BigTime(u32),
    App(AppCall),
    PeerApp(AppCall),
    Eof,
    Accept(u8),
    Reject(u16),
}

#[derive(Arbitrary, Debug)]
pub struct Input {
    seed: u64,
    knobs: Knobs,
    handshake: Handshake,
    answer: Answer,
    ops: Vec<Op>,
    /// Try a clean close at the end.
    shutdown: bool,
}

struct Harness {
    role: Role,
    c: Connection,
    check: Checker,
    out: OutStream,
    peer: Option<Connection>,
    /// The peer runs the handshake itself (it reads and writes the HTTP heads).
    peer_handshake: bool,
    /// `C`'s output still carries an HTTP head that the (lazily created) peer must not see.
    strip_head: bool,
    from_c: Vec<u8>,
    to_c: VecDeque<u8>,
    answer: Answer,
    now: u64,
    clock: bool,
    /// Bytes that did not come from the peer went into `C`.
    tainted: bool,
    /// Raw bytes went into `C` before it opened (its 101 may answer another key).
    tainted_handshake: bool,
    seed: u64,
    /// The text message `C`'s application is sending in fragments, so far.
    frag_text: Option<Vec<u8>>,
    /// `C`'s application sent text fragments that are not UTF-8 (`send_fragment` does not
    /// check; the peer then fails with 1007, rightly).
    app_bad_text: bool,
    /// Events `receive_into` handed over, not yet checked.
    handed: Vec<Event>,
    /// Buffers the sinks gave and the engine has not handed back (a message received into
    /// one sink's buffer may complete in a later `receive_into` with another sink).
    lent_buffers: usize,
}

/// The sink of `receive_into`: keeps every event (as owned, checked later like polled ones),
/// and, when `give`, gives a buffer of its own for every message it is offered.
struct Sink<'a> {
    events: &'a mut Vec<Event>,
    give: bool,
    /// Buffers given by any sink and not handed back yet.
    lent: &'a mut usize,
    /// `receive_in_place`: the addresses of the input, and where in it lent messages lay.
    input: std::ops::Range<usize>,
    in_input: Vec<std::ops::Range<usize>>,
}

struct OwnBuffer(Vec<u8>);

impl MessageBuffer for OwnBuffer {
    fn as_slice(&self) -> &[u8] {
        &self.0
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.0
    }
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

impl Sink<'_> {
    /// A buffer handed back: one that some sink gave (this one or an earlier one).
    fn returned(&mut self, b: Box<dyn MessageBuffer>) -> Vec<u8> {
        assert!(*self.lent > 0, "a buffer came back that was never given");
        *self.lent -= 1;
        b.into_any().downcast::<OwnBuffer>().expect("our buffer").0
    }
}

impl EventSink for Sink<'_> {
    fn event(&mut self, event: EventRef<'_>) {
        match event {
            EventRef::Buffer(b) => {
                let bytes = self.returned(b);
                self.events.push(Event::Binary(bytes));
            }
            EventRef::TextBuffer(b) => {
                let bytes = self.returned(b);
                let text = String::from_utf8(bytes).expect("a text buffer holds valid UTF-8");
                self.events.push(Event::Text(text));
            }
            other => {
                let lent = match &other {
                    EventRef::Binary(b) => Some(b.as_ptr_range()),
                    EventRef::Text(t) => Some(t.as_bytes().as_ptr_range()),
                    _ => None,
                };
                if let Some(r) = lent {
                    let (a, b) = (r.start as usize, r.end as usize);
                    if self.input.start <= a && b <= self.input.end && a < b {
                        self.in_input
                            .push(a - self.input.start..b - self.input.start);
                    }
                }
                self.events.push(other.into_owned())
            }
        }
    }
    fn message_buffer(&mut self, len: usize) -> Option<Box<dyn MessageBuffer>> {
        if !self.give {
            return None;
        }
        *self.lent += 1;
        // Filled with a marker: every byte must be overwritten by the message.
        Some(Box::new(OwnBuffer(vec![0xA5; len])))
    }
    fn text_buffer(&mut self, len: usize) -> Option<Box<dyn MessageBuffer>> {
        // 0xA5 alone is not UTF-8: a byte left unwritten would show as invalid text.
        self.message_buffer(len)
    }
}

fn fresh_peer_config(deflate: Option<DeflateConfig>) -> Config {
    let mut c = Config::default();
    c.handshake_timeout = None;
    c.close_timeout = None;
    c.pong_timeout = None;
    c.protocols = PROTOCOLS.iter().map(|p| p.to_string()).collect();
    c.deflate = deflate;
    c
}

const OPEN_EXTENSIONS: [&str; 6] = [
    "permessage-deflate",
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
    "permessage-deflate; client_max_window_bits=12",
    "permessage-deflate; server_max_window_bits=10; client_no_context_takeover",
    "x-unknown",
];

impl Harness {
    fn new(role: Role, input: &Input) -> Option<Harness> {
        let config = input.knobs.config();
        let seed = input.seed;
        let url = "ws://example.com/chat?x=1";
        let (c, peer, peer_handshake, with_head) = match &input.handshake {
            Handshake::Open(e) => {
                let ext = match e % 8 {
                    0 | 7 => None,
                    i => Some(OPEN_EXTENSIONS[usize::from(i - 1)].to_string()),
                };
                let opts = OpenOptions {
                    protocol: None,
                    extensions: ext,
                };
                let c = Connection::open(role, config.clone(), opts.clone(), Some(rng(seed)));
                let peer_role = other(role);
                let p =
                    Connection::open(peer_role, fresh_peer_config(None), opts, Some(rng(!seed)));
                match (c, p) {
                    (Ok(c), Ok(p)) => (c, Some(p), false, false),
                    _ => return None,
                }
            }
            Handshake::Peer {
                deflate,
                protocols: pm,
                origin,
            } => {
                // The peer checks C's output; its own decompression-ratio guard would refuse
                // a legitimately very compressible message of C's (as roundtrip's peers do).
                let mut pc = fresh_peer_config(deflate.as_ref().map(|d| {
                    let mut d = d.config();
                    d.max_ratio = None;
                    d
                }));
                pc.protocols = protocols(*pm);
                match role {
                    Role::Server => {
                        let c = Connection::server(config.clone()).ok()?;
                        let opts = ClientOptions {
                            url: url.into(),
                            origin: origin.then(|| "http://example.com".into()),
                            ..Default::default()
                        };
                        let p = Connection::client(pc, opts, rng(!seed)).ok()?;
                        (c, Some(p), true, true)
                    }
                    Role::Client => {
                        let opts = ClientOptions {
                            url: url.into(),
                            ..Default::default()
                        };
                        let c = Connection::client(config.clone(), opts, rng(seed)).ok()?;
                        let p = Connection::server(pc).ok()?;
                        (c, Some(p), true, true)
                    }
                }
            }
            Handshake::Templated { .. } | Handshake::Raw => {
                let c = match role {
                    Role::Server => Connection::server(config.clone()).ok()?,
                    Role::Client => {
                        let opts = ClientOptions {
                            url: url.into(),
                            ..Default::default()
                        };
                        Connection::client(config.clone(), opts, rng(seed)).ok()?
                    }
                };
                (c, None, false, true)
            }
        };
        let open_mode = matches!(input.handshake, Handshake::Open(_));
        let mut out = OutStream::new(role, with_head);
        out.deflate = c.extensions().is_some();
        let mut h = Harness {
            role,
            check: Checker::new(role, &config, open_mode),
            c,
            out,
            peer,
            peer_handshake,
            strip_head: with_head && !peer_handshake,
            from_c: Vec::new(),
            to_c: VecDeque::new(),
            answer: input.answer,
            now: 0,
            clock: false,
            tainted: false,
            tainted_handshake: false,
            seed,
            frag_text: None,
            app_bad_text: false,
            handed: Vec::new(),
            lent_buffers: 0,
        };
        if let Handshake::Templated {
            status,
            extensions,
            protocol,
            extra,
        } = &input.handshake
        {
            let head = h.templated_head(*status, extensions, protocol, extra);
            h.feed_c(&head);
        }
        h.settle();
        Some(h)
    }

    /// A request (for a server) or a response to `C`'s request (for a client).
    fn templated_head(
        &mut self,
        status: u16,
        extensions: &Option<String>,
        protocol: &Option<String>,
        extra: &str,
    ) -> Vec<u8> {
        let mut s = String::new();
        match self.role {
            Role::Server => {
                s.push_str("GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n");
                s.push_str("Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n");
                s.push_str("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
            }
            Role::Client => {
                // Find our key in C's request.
                let out = self.c.take_output();
                self.out.push(&out);
                let end = head_end(&out, 0).unwrap_or(out.len());
                let head = String::from_utf8_lossy(&out[..end]).into_owned();
                let key = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
                    .unwrap_or("")
                    .trim()
                    .to_string();
                let status = if status % 4 == 0 { status % 600 } else { 101 };
                s.push_str(&format!("HTTP/1.1 {status} Whatever\r\n"));
                s.push_str("Upgrade: websocket\r\nConnection: Upgrade\r\n");
                s.push_str(&format!("Sec-WebSocket-Accept: {}\r\n", accept_key(&key)));
                self.strip_head = false;
            }
        }
        if let Some(e) = extensions {
            s.push_str(&format!("Sec-WebSocket-Extensions: {e}\r\n"));
        }
        if let Some(p) = protocol {
            s.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
        }
        s.push_str(extra);
        s.push_str("\r\n");
        s.into_bytes()
    }

    /// Bytes that did not come from the peer.
    fn feed_c(&mut self, bytes: &[u8]) {
        self.tainted = true;
        if !self.check.opened {
            self.tainted_handshake = true;
        }
        self.c.receive(bytes);
    }

    /// Drains events on both sides, answers requests, checks everything.
    fn settle(&mut self) {
        for _ in 0..8 {
            let mut events = std::mem::take(&mut self.handed);
            for ev in &events {
                self.check.event(ev);
            }
            events.extend(self.check.drain(&mut self.c));
            self.check.state(&self.c);
            let mut again = false;
            for ev in &events {
                match ev {
                    Event::Request(_) => match self.answer {
                        Answer::Accept(p) => {
                            let protocol = protocols(p).into_iter().next();
                            let r = self.c.accept(AcceptOptions {
                                protocol,
                                headers: vec![],
                            });
                            if let Err(e) = r {
                                // Only an unoffered protocol may be refused; then accept plainly.
                                assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
                                self.c.accept(AcceptOptions::default()).expect("accept");
                            }
                            again = true;
                        }
                        Answer::Reject(s) => {
                            let status = 200 + s % 400;
                            // 204 and 304 cannot have a body (RFC 9110 §15.3.5, §15.4.5): the
                            // engine refuses one, rightly.
                            let body: &[u8] = if matches!(status, 204 | 304) {
                                b""
                            } else {
                                b"no"
                            };
                            let r = self.c.reject(status, &[], body);
                            assert_eq!(r, Ok(()));
                            again = true;
                        }
                        Answer::Manual => {}
                    },
                    Event::HttpRequest(_) => {
                        self.c.respond(404, &[], b"not here").expect("respond");
                        again = true;
                    }
                    Event::Open(_) => {
                        self.out.deflate = self
                            .c
                            .extensions()
                            .is_some_and(|e| e.contains("permessage-deflate"));
                    }
                    _ => {}
                }
            }
            self.make_lazy_peer();
            self.pump_peer();
            if !again {
                break;
            }
        }
    }

    fn make_lazy_peer(&mut self) {
        if self.peer.is_some() || self.peer_handshake || !self.check.opened {
            return;
        }
        if self.check.closed.is_some() && self.c.state() == State::Closed {
            // Still create it: the output of a closed connection must be valid too.
        }
        let opts = OpenOptions {
            protocol: self.c.protocol().map(str::to_string),
            extensions: self.c.extensions().map(str::to_string),
        };
        let cfg = fresh_peer_config(None);
        self.peer = Connection::open(other(self.role), cfg, opts, Some(rng(!self.seed))).ok();
    }

    /// Peer events: answer its requests, check that it never failed on `C`'s output.
    fn pump_peer(&mut self) {
        let Some(peer) = self.peer.as_mut() else {
            return;
        };
        for _ in 0..4 {
            let mut again = false;
            while let Some(ev) = peer.poll_event() {
                match ev {
                    Event::Request(r) => {
                        let protocol = r.protocols.first().cloned();
                        peer.accept(AcceptOptions {
                            protocol,
                            headers: vec![],
                        })
                        .expect("peer accepts");
                        again = true;
                    }
                    Event::Failed(e) => {
                        let handshake_noise = self.tainted_handshake
                            && matches!(e, Error::Handshake(_) | Error::UnexpectedEof);
                        let app_text = self.app_bad_text && matches!(e, Error::InvalidUtf8);
                        assert!(
                            handshake_noise || app_text,
                            "the peer failed on C's output: {e:?}"
                        );
                    }
                    _ => {}
                }
            }
            if !again {
                break;
            }
        }
        let bytes = peer.take_output();
        self.to_c.extend(bytes);
    }

    /// `n` bytes of `C`'s output (0: all) to the checker and the peer.
    fn drain(&mut self, n: usize) {
        let avail = self.c.buffered_amount();
        let n = if n == 0 { avail } else { n.min(avail) };
        let mut bytes = Vec::with_capacity(n);
        for seg in self.c.output_segments() {
            let take = (n - bytes.len()).min(seg.len());
            bytes.extend_from_slice(&seg[..take]);
            if bytes.len() == n {
                break;
            }
        }
        self.c.consume_output(n);
        // Draining below the low-water mark may queue the one pong that was deferred while
        // output was above the high-water mark (RFC 6455 §5.5.3): nothing else may appear.
        let left = self.c.buffered_amount();
        if left != avail - n {
            let extra = left
                .checked_sub(avail - n)
                .expect("consume_output lost bytes");
            let tail: Vec<u8> = self.c.output_segments().flatten().copied().collect();
            let pong = &tail[tail.len() - extra..];
            assert!(
                extra <= 2 + 4 + 125 && pong[0] == 0x8a,
                "consume_output queued {extra} bytes: {pong:02x?}"
            );
        }
        self.forward(&bytes);
    }

    fn forward(&mut self, bytes: &[u8]) {
        self.out.push(bytes);
        self.from_c.extend_from_slice(bytes);
        if self.strip_head {
            match head_end(&self.from_c, 0) {
                Some(end) => {
                    self.from_c.drain(..end);
                    self.strip_head = false;
                }
                None => return,
            }
        }
        if let Some(peer) = self.peer.as_mut() {
            peer.receive(&self.from_c);
            self.from_c.clear();
        } else if self.from_c.len() > 1 << 20 {
            self.from_c.clear();
        }
        self.pump_peer();
    }

    fn deliver(&mut self, n: usize, chunk: usize) {
        let n = if n == 0 {
            self.to_c.len()
        } else {
            n.min(self.to_c.len())
        };
        let bytes: Vec<u8> = self.to_c.drain(..n).collect();
        for piece in bytes.chunks(chunk.max(1)) {
            // The chunk size also picks the input path: receive, receive_into with or
            // without buffers of the sink's own, or receive_in_place (with them).
            match chunk % 4 {
                0 => self.c.receive(piece),
                mode => {
                    let mut sink = Sink {
                        events: &mut self.handed,
                        give: mode >= 2,
                        lent: &mut self.lent_buffers,
                        input: 0..0,
                        in_input: Vec::new(),
                    };
                    if mode == 3 {
                        let mut copy = piece.to_vec();
                        let r = copy.as_ptr_range();
                        sink.input = r.start as usize..r.end as usize;
                        self.c.receive_in_place(&mut copy, &mut sink);
                        // Only the lent messages' bytes changed (unmasked in place).
                        let mut outside = 0;
                        for r in &sink.in_input {
                            assert!(r.start >= outside, "lent messages overlap");
                            assert_eq!(copy[outside..r.start], piece[outside..r.start]);
                            outside = r.end;
                        }
                        assert_eq!(copy[outside..], piece[outside..]);
                    } else {
                        self.c.receive_into(piece, &mut sink);
                    }
                }
            }
            self.settle();
        }
    }

    fn tick(&mut self, dt: u64) {
        let now = self.now.saturating_add(dt);
        let due = self.c.poll_timeout();
        let before_state = self.c.state();
        let before_len = self.c.buffered_amount();
        self.c.handle_timeout(now);
        if self.clock && due.is_none_or(|t| t > now) {
            assert_eq!(
                self.c.pending_events(),
                0,
                "a timer fired before poll_timeout"
            );
            assert_eq!(self.c.state(), before_state, "a timer fired early");
            assert_eq!(self.c.buffered_amount(), before_len, "a timer wrote early");
        }
        self.clock = true;
        self.now = now;
        if let Some(t) = self.c.poll_timeout() {
            assert!(t > now, "poll_timeout {t} not after handle_timeout({now})");
        }
        self.settle();
    }

    /// Runs an application call on `C` and checks what an error may and may not do.
    fn app(&mut self, call: &AppCall) {
        let state = self.c.state();
        let can_send = self.c.can_send();
        let len = self.c.buffered_amount();
        let r = run_app(&mut self.c, call);
        match &r {
            Ok(follows) => {
                if let AppCall::Fragment { text, data, fin } = call {
                    if *text || self.frag_text.is_some() {
                        let buf = self.frag_text.get_or_insert_with(Vec::new);
                        buf.extend_from_slice(data);
                        match core::str::from_utf8(buf) {
                            Ok(_) => {}
                            Err(e) if e.error_len().is_none() && !fin => {}
                            Err(_) => self.app_bad_text = true,
                        }
                    }
                    if *fin {
                        self.frag_text = None;
                    }
                }
                if is_data(call) {
                    // The delivery contract: data may answer before a fenced close frame;
                    // pings and pongs need an open connection.
                    assert!(
                        can_send,
                        "send succeeded in {state:?} with can_send() false"
                    );
                    if matches!(call, AppCall::Ping(_) | AppCall::Pong(_)) {
                        assert_eq!(state, State::Open, "ping/pong succeeded in {state:?}");
                    }
                    assert!(self.c.buffered_amount() > len, "send wrote nothing");
                }
                if let (true, AppCall::ZeroCopy(_, payload)) = (*follows, call) {
                    let head = self.c.take_output();
                    self.forward(&head);
                    self.forward(payload);
                }
            }
            Err(e) => {
                // `close_with` reports a code that may not be sent as `InvalidCloseCode`
                // (the peer-error variant; core's own tests expect it).
                let close_code = matches!(call, AppCall::CloseWith(..))
                    && matches!(e, Error::InvalidCloseCode(_));
                assert!(
                    e.is_application_error() || close_code,
                    "send failed with {e:?}"
                );
                assert_eq!(self.c.state(), state, "failed call changed the state");
                assert_eq!(self.c.buffered_amount(), len, "failed call wrote");
                assert_eq!(self.c.pending_events(), 0, "failed call made events");
                if !can_send && is_data(call) {
                    let ok = matches!(e, Error::InvalidState(_))
                        || matches!(e, Error::ControlPayloadTooLong)
                            && matches!(call, AppCall::Ping(_) | AppCall::Pong(_));
                    assert!(ok, "{e:?} in {state:?}");
                }
            }
        }
        self.settle();
    }

    fn op(&mut self, op: &Op) {
        match op {
            Op::Deliver { n, chunk } => self.deliver(usize::from(*n), usize::from(*chunk) + 1),
            Op::Drain { n } => {
                self.drain(usize::from(*n));
                self.settle();
            }
            Op::TakeAll => {
                let avail = self.c.buffered_amount();
                let bytes = self.c.take_output();
                assert_eq!(bytes.len(), avail);
                // As in `drain`: taking the output may queue the one deferred pong, nothing else.
                let left: Vec<u8> = self.c.output_segments().flatten().copied().collect();
                assert_eq!(left.len(), self.c.buffered_amount());
                assert!(
                    left.is_empty() || (left.len() <= 2 + 4 + 125 && left[0] == 0x8a),
                    "take_output left {left:02x?}"
                );
                self.forward(&bytes);
                self.settle();
            }
            Op::Raw(bytes) => {
                self.feed_c(bytes);
                self.settle();
            }
            Op::Frame(f) => {
                let bytes = f.encode(self.role == Role::Server);
                self.feed_c(&bytes);
                self.settle();
            }
            Op::Frames(f, n) => {
                let bytes = f.encode(self.role == Role::Server);
                for _ in 0..=*n {
                    self.feed_c(&bytes);
                }
                self.settle();
            }
            Op::Time(dt) => self.tick(u64::from(*dt)),
            Op::BigTime(dt) => self.tick(u64::from(*dt)),
            Op::App(call) => self.app(call),
            Op::PeerApp(call) => {
                if let Some(peer) = self.peer.as_mut() {
                    if let (Ok(true), AppCall::ZeroCopy(_, payload)) = (run_app(peer, call), call) {
                        let head = peer.take_output();
                        self.to_c.extend(head);
                        self.to_c.extend(payload);
                    }
                    self.pump_peer();
                }
            }
            Op::Eof => {
                self.c.receive_eof();
                self.settle();
                assert_eq!(self.c.state(), State::Closed, "open after end of input");
            }
            Op::Accept(p) => {
                let r = self.c.accept(AcceptOptions {
                    protocol: protocols(*p).into_iter().next(),
                    headers: vec![],
                });
                if let Err(e) = r {
                    assert!(e.is_application_error());
                }
                self.settle();
            }
            Op::Reject(s) => {
                if let Err(e) = self.c.reject(*s % 1000, &[], b"go away") {
                    assert!(e.is_application_error());
                }
                self.settle();
            }
        }
    }

    /// An undisturbed open connection closes cleanly when both sides exchange everything.
    fn shutdown(&mut self) {
        let Some(peer) = self.peer.as_ref() else {
            return;
        };
        if self.tainted
            || self.app_bad_text
            || self.c.state() != State::Open
            || peer.state() != State::Open
            || !self.to_c.is_empty()
        {
            return;
        }
        self.c.close(Some(1000), "bye").expect("close");
        self.settle();
        for _ in 0..6 {
            self.drain(0);
            self.deliver(0, 1 << 16);
        }
        if self.role == Role::Client {
            self.c.receive_eof();
            self.settle();
        }
        let info = self.c.close_info().expect("closed after a clean close");
        if self.check.failed.is_none() {
            assert!(info.was_clean, "clean close expected: {info:?}");
            assert_eq!(info.code, 1000);
        }
    }
}

fn other(role: Role) -> Role {
    match role {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    }
}

fn kind(text: bool) -> DataKind {
    if text {
        DataKind::Text
    } else {
        DataKind::Binary
    }
}

fn is_data(call: &AppCall) -> bool {
    !matches!(call, AppCall::Close(..) | AppCall::CloseWith(..))
}

/// Runs `call` on `c`; `Ok(true)` when the call's payload must follow the output taken now
/// (a zero-copy send that queued only the header).
fn run_app(c: &mut Connection, call: &AppCall) -> Result<bool, Error> {
    let r = match call {
        AppCall::Text(s) => c.send_text(s),
        AppCall::Binary(b) => c.send_binary(b),
        AppCall::Owned(text, b) => {
            let b = if *text {
                String::from_utf8_lossy(b).into_owned().into_bytes()
            } else {
                b.clone()
            };
            c.send_owned(kind(*text), b)
        }
        AppCall::Big { text, len, byte } => {
            let b = vec![b'a' + byte % 26; usize::from(*len)];
            if *text {
                c.send_text(core::str::from_utf8(&b).expect("ascii"))
            } else {
                c.send_owned(DataKind::Binary, b)
            }
        }
        AppCall::Fragment { text, data, fin } => c.send_fragment(kind(*text), data, *fin),
        AppCall::Ping(p) => c.ping(p),
        AppCall::Pong(p) => c.pong(p),
        AppCall::Close(code, reason) => c.close(*code, reason),
        AppCall::CloseWith(code, reason) => c.close_with(*code, reason),
        AppCall::Bytes(text, b) => c.send(kind(*text), b),
        AppCall::ZeroCopy(text, b) => return c.send_zero_copy(kind(*text), b),
    };
    r.map(|()| false)
}

fn run(role: Role, data: &[u8]) {
    if data.len() >= 3 && data.starts_with(b"V1") {
        return vector_mode(role, &data[2..]);
    }
    let u = Unstructured::new(data);
    let Ok(input) = Input::arbitrary_take_rest(u) else {
        return;
    };
    if crate::tracing() {
        eprintln!(
            "seed {} knobs {:?}\nhandshake {:?} answer {:?}",
            input.seed, input.knobs, input.handshake, input.answer
        );
    }
    let Some(mut h) = Harness::new(role, &input) else {
        return;
    };
    for op in input.ops.iter().take(256) {
        if crate::tracing() {
            eprintln!(
                "op {op:?} (state {:?}, {} buffered)",
                h.c.state(),
                h.c.buffered_amount()
            );
        }
        h.op(op);
    }
    if input.shutdown {
        h.shutdown();
    }
    // Everything written is well-formed to the end.
    h.drain(0);
    h.settle();
}

/// A whole server connection under arbitrary input, timers and application calls.
pub fn server_conn(data: &[u8]) {
    run(Role::Server, data)
}

/// A whole client connection under arbitrary input, timers and application calls.
pub fn client_conn(data: &[u8]) {
    run(Role::Client, data)
}

/// Seeds from the shared vectors: `V1`, a flags byte, then the received bytes. They are fed
/// whole to one connection and byte by byte to another: events and output must be equal.
fn vector_mode(role: Role, data: &[u8]) {
    let (flags, bytes) = (data[0], &data[1..]);
    let mut config = Config::default();
    config.max_frame_size = 4096;
    config.max_message_size = 8192;
    config.max_fragments = 64;
    config.delivery = match (flags >> 2) & 3 {
        0 => Delivery::Messages,
        1 => Delivery::Chunks(4),
        _ => Delivery::Frames,
    };
    config.ignore_utf8_errors = flags & 0x20 != 0;
    config.surface_pings = flags & 0x40 != 0;
    config.surface_pongs = flags & 0x40 != 0;
    let handshake = role == Role::Server && flags & 0x10 != 0;
    let make = || {
        if handshake {
            return Connection::server(config.clone()).ok();
        }
        let opts = OpenOptions {
            protocol: None,
            extensions: (flags & 2 != 0).then(|| "permessage-deflate".to_string()),
        };
        Connection::open(role, config.clone(), opts, Some(rng(1))).ok()
    };
    let (Some(mut whole), Some(mut split)) = (make(), make()) else {
        return;
    };
    let mut results = Vec::new();
    for (conn, chunk) in [(&mut whole, bytes.len().max(1)), (&mut split, 1)] {
        let mut check = Checker::new(role, &config, !handshake);
        let mut out = OutStream::new(role, handshake);
        out.deflate = flags & 2 != 0;
        let mut events = Vec::new();
        let mut output = Vec::new();
        for piece in bytes.chunks(chunk) {
            conn.receive(piece);
            loop {
                let evs = check.drain(conn);
                if evs.is_empty() {
                    break;
                }
                for ev in &evs {
                    if matches!(ev, Event::Request(_)) {
                        conn.accept(AcceptOptions::default()).expect("accept");
                    }
                    if matches!(ev, Event::HttpRequest(_)) {
                        conn.respond(200, &[], b"").expect("respond");
                    }
                }
                events.extend(evs);
            }
            check.state(conn);
            let o = conn.take_output();
            out.push(&o);
            output.extend(o);
        }
        results.push((events, output));
    }
    // Chunk events may be cut differently (chunk and frame delivery follow the input), and
    // when a message breaks two rules, which one is seen first may depend on the chunking
    // (e.g. corrupt deflate data vs invalid UTF-8 in what inflated before it): compare
    // failures by close code, and the output only when the events are the same.
    let norm = |evs: &[Event]| -> Vec<String> {
        evs.iter()
            .filter(|e| !matches!(e, Event::Chunk(_)))
            .map(|e| match e {
                Event::Failed(err) => format!("Failed({})", err.close_code()),
                other => format!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(
        norm(&results[0].0),
        norm(&results[1].0),
        "chunking changed events"
    );
    if results[0].0 == results[1].0 {
        assert_eq!(results[0].1, results[1].1, "chunking changed output");
    }
}
