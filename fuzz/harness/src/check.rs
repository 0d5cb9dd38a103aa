//! Invariant checkers shared by the connection targets: the event stream, the state, the
//! output queue, and the bytes the connection writes.

use wsengine::close;
use wsengine::config::{Config, Delivery, Role};
use wsengine::frame::{FrameHeader, OpCode};
use wsengine::handshake::head_end;
use wsengine::{CloseInfo, Connection, DataKind, Event, State};

/// Output allowed beyond `max_output_buffer`: an HTTP head, a close frame, a pong and a
/// keepalive ping are queued without checking the application's limit.
pub const OUTPUT_SLACK: usize = 2048;

pub fn rank(s: State) -> u8 {
    match s {
        State::Connecting => 0,
        State::Open => 1,
        State::Closing => 2,
        State::Closed => 3,
    }
}

/// Watches one connection's events and state.
pub struct Checker {
    pub role: Role,
    delivery: Delivery,
    max_message: usize,
    max_reject_body: usize,
    ignore_utf8: bool,
    surface_pings: bool,
    surface_pongs: bool,
    max_output: usize,
    low_water: usize,
    /// Post-handshake mode: no `Request` before `Open`.
    open_mode: bool,
    pub opened: bool,
    pub closed: Option<CloseInfo>,
    pub failed: Option<wsengine::Error>,
    request_seen: bool,
    rejected: bool,
    close_received: bool,
    last_failed: bool,
    /// A chunked message in progress: its kind and bytes so far.
    chunked: Option<(DataKind, usize)>,
    last_rank: u8,
    pub events: usize,
}

impl Checker {
    pub fn new(role: Role, config: &Config, open_mode: bool) -> Self {
        Checker {
            role,
            delivery: config.delivery,
            max_message: config.max_message_size,
            max_reject_body: config.max_reject_body,
            ignore_utf8: config.ignore_utf8_errors,
            surface_pings: config.surface_pings,
            surface_pongs: config.surface_pongs,
            max_output: config.max_output_buffer,
            low_water: config.low_water_mark,
            open_mode,
            opened: false,
            closed: None,
            failed: None,
            request_seen: false,
            rejected: false,
            close_received: false,
            last_failed: false,
            chunked: None,
            last_rank: 0,
            events: 0,
        }
    }

    /// Checks one event against everything seen before.
    pub fn event(&mut self, ev: &Event) {
        if crate::tracing() {
            eprintln!("  {:?} event {ev:?}", self.role);
        }
        self.events += 1;
        assert!(self.closed.is_none(), "event after Closed: {ev:?}");
        if self.last_failed {
            assert!(
                matches!(ev, Event::Closed(_)),
                "Failed not followed by Closed: {ev:?}"
            );
        }
        self.last_failed = false;
        let data_event = matches!(
            ev,
            Event::Text(_)
                | Event::Binary(_)
                | Event::Chunk(_)
                | Event::Ping(_)
                | Event::Pong(_)
                | Event::CloseReceived(_)
                | Event::Writable
        );
        if data_event {
            assert!(self.opened, "{ev:?} before Open");
        }
        match ev {
            Event::Request(_) | Event::HttpRequest(_) => {
                assert_eq!(self.role, Role::Server, "request event on a client");
                assert!(!self.opened && !self.request_seen && !self.open_mode);
                self.request_seen = true;
            }
            Event::Open(_) => {
                assert!(!self.opened && !self.rejected, "second Open");
                if self.role == Role::Server && !self.open_mode {
                    assert!(self.request_seen, "Open without Request");
                }
                self.opened = true;
            }
            Event::ProxyConnected => panic!("ProxyConnected without a proxy"),
            Event::Rejected(r) => {
                assert_eq!(self.role, Role::Client);
                assert!(!self.opened && !self.rejected);
                assert_ne!(r.status, 101);
                assert!(r.body.len() <= self.max_reject_body, "reject body too long");
                self.rejected = true;
            }
            Event::Text(s) => {
                assert_eq!(self.delivery, Delivery::Messages);
                assert!(self.chunked.is_none());
                let bound = if self.ignore_utf8 {
                    3 * self.max_message
                } else {
                    self.max_message
                };
                assert!(s.len() <= bound, "text of {} > {}", s.len(), bound);
            }
            Event::Binary(b) => {
                assert_eq!(self.delivery, Delivery::Messages);
                assert!(b.len() <= self.max_message, "binary of {}", b.len());
            }
            Event::Chunk(c) => {
                assert_ne!(self.delivery, Delivery::Messages);
                let so_far = match self.chunked {
                    None => {
                        assert!(c.first, "first chunk without `first`");
                        0
                    }
                    Some((kind, n)) => {
                        assert!(!c.first, "`first` inside a message");
                        assert_eq!(kind, c.kind, "kind changed inside a message");
                        n
                    }
                };
                let total = so_far + c.data.len();
                assert!(total <= self.max_message, "chunked message of {total}");
                if let Delivery::Chunks(max) = self.delivery {
                    if !c.last {
                        assert!(c.data.len() <= max.max(4), "chunk of {}", c.data.len());
                        assert!(!c.data.is_empty(), "empty non-final chunk");
                    }
                }
                if c.kind == DataKind::Text && !self.ignore_utf8 {
                    assert!(
                        core::str::from_utf8(&c.data).is_ok(),
                        "text chunk not UTF-8"
                    );
                }
                self.chunked = (!c.last).then_some((c.kind, total));
            }
            Event::Ping(p) => assert!(self.surface_pings && p.len() <= 125),
            Event::Pong(p) => assert!(self.surface_pongs && p.len() <= 125),
            Event::CloseReceived(f) => {
                assert!(!self.close_received, "second CloseReceived");
                assert!(f.reason.len() <= close::MAX_REASON_BYTES);
                assert!(f.code == close::NO_STATUS || close::is_valid_wire_code(f.code));
                self.close_received = true;
            }
            Event::Failed(e) => {
                assert!(!e.is_application_error(), "Failed with {e:?}");
                self.failed = Some(e.clone());
                self.last_failed = true;
            }
            Event::Closed(info) => {
                if info.was_clean {
                    assert!(info.sent_code.is_some() && self.close_received);
                    assert!(self.failed.is_none());
                }
                if let Some(c) = info.sent_code {
                    assert!(c == close::NO_STATUS || close::is_valid_wire_code(c));
                }
                if !self.close_received {
                    assert_eq!(info.code, close::ABNORMAL);
                }
                self.closed = Some(info.clone());
            }
            Event::Writable => {}
            _ => {}
        }
    }

    /// Drains and checks every pending event; returns them.
    pub fn drain(&mut self, c: &mut Connection) -> Vec<Event> {
        let mut out = Vec::new();
        while let Some(ev) = c.poll_event() {
            self.event(&ev);
            out.push(ev);
        }
        assert!(!self.last_failed, "Failed was the last event");
        out
    }

    /// Checks the state and the output queue (after the events were drained).
    pub fn state(&mut self, c: &Connection) {
        let s = c.state();
        let r = rank(s);
        assert!(r >= self.last_rank, "state went back to {s:?}");
        self.last_rank = r;
        assert_eq!(c.pending_events(), 0);
        assert_eq!(
            s == State::Closed,
            self.closed.is_some(),
            "state {s:?} vs Closed event"
        );
        assert_eq!(c.close_info(), self.closed.as_ref());
        if self.opened {
            assert_ne!(s, State::Connecting);
        }
        if matches!(s, State::Open | State::Closing) {
            assert!(self.opened, "{s:?} without Open");
        }
        if s == State::Closed {
            assert_eq!(c.poll_timeout(), None);
        }
        let n = c.buffered_amount();
        assert!(
            n <= self.max_output + OUTPUT_SLACK,
            "buffered_amount {n} > max_output_buffer {} + {OUTPUT_SLACK}",
            self.max_output
        );
        let segs: usize = c.output_segments().map(<[u8]>::len).sum();
        assert_eq!(segs, n, "segments vs buffered_amount");
        assert_eq!(
            c.pending_output(),
            c.output_segments().next().unwrap_or(&[])
        );
        if !c.is_writable() {
            assert!(n > self.low_water, "not writable at {n} bytes");
        }
    }
}

/// What `OutStream` expects first.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    /// An HTTP head (request for a client, response for a server).
    Expect,
    /// Frames.
    Frames,
    /// A non-101 response and its body: nothing to check.
    Ignore,
}

/// Parses everything a connection writes and checks it is well-formed RFC 6455 output:
/// masking by role, no reserved bits but a negotiated RSV1 on first data frames, control
/// frames short and final, fragments in order, nothing at all after a close frame.
pub struct OutStream {
    role: Role,
    head: Head,
    buf: Vec<u8>,
    pub deflate: bool,
    in_message: bool,
    close_seen: bool,
    pub frames: usize,
}

impl OutStream {
    pub fn new(role: Role, with_head: bool) -> Self {
        OutStream {
            role,
            head: if with_head {
                Head::Expect
            } else {
                Head::Frames
            },
            buf: Vec::new(),
            deflate: false,
            in_message: false,
            close_seen: false,
            frames: 0,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.head == Head::Ignore {
            return;
        }
        self.buf.extend_from_slice(bytes);
        // Checks every complete frame, then drops them from the buffer at once (dropping
        // each one as it is checked moves the rest every time: quadratic on large outputs).
        let mut at = 0;
        self.check_frames(&mut at);
        self.buf.drain(..at.min(self.buf.len()));
    }

    /// Checks the head and the complete frames from `at` on; `at` ends after the last one.
    fn check_frames(&mut self, at: &mut usize) {
        loop {
            match self.head {
                Head::Ignore => {
                    self.buf.clear();
                    return;
                }
                Head::Expect => {
                    let Some(end) = head_end(&self.buf[*at..], 0) else {
                        assert!(self.buf.len() - *at < 1 << 16, "endless HTTP head");
                        return;
                    };
                    let head = &self.buf[*at..*at + end];
                    self.head = match self.role {
                        Role::Client => {
                            assert!(head.starts_with(b"GET "), "client head");
                            Head::Frames
                        }
                        Role::Server if head.starts_with(b"HTTP/1.1 101 ") => Head::Frames,
                        Role::Server => {
                            assert!(head.starts_with(b"HTTP/1.1 "), "server head");
                            Head::Ignore
                        }
                    };
                    *at += end;
                }
                Head::Frames => {
                    let Some((h, n)) = FrameHeader::decode(&self.buf[*at..]).expect("own header")
                    else {
                        return;
                    };
                    let len = usize::try_from(h.payload_len).expect("length");
                    if self.buf.len() - *at < n + len {
                        return;
                    }
                    self.frame(&h, *at + n, len);
                    *at += n + len;
                }
            }
        }
    }

    /// Checks one frame whose payload is `self.buf[payload..payload + len]`.
    fn frame(&mut self, h: &FrameHeader, payload: usize, len: usize) {
        self.frames += 1;
        assert!(
            !self.close_seen,
            "frame {:?} after our close frame",
            h.opcode
        );
        assert_eq!(h.mask.is_some(), self.role == Role::Client, "masking");
        assert!(!h.rsv2 && !h.rsv3, "RSV2/RSV3 sent");
        if h.rsv1 {
            assert!(self.deflate, "RSV1 without permessage-deflate");
            assert!(matches!(h.opcode, OpCode::Text | OpCode::Binary));
        }
        if h.opcode.is_control() {
            assert!(h.fin && len <= 125, "bad control frame");
        } else {
            match h.opcode {
                OpCode::Continuation => assert!(self.in_message, "stray continuation"),
                _ => assert!(!self.in_message, "new message inside a message"),
            }
            self.in_message = !h.fin;
        }
        if h.opcode == OpCode::Close {
            self.close_seen = true;
            let mut payload = self.buf[payload..payload + len].to_vec();
            if let Some(k) = h.mask {
                wsengine::mask::apply_mask(&mut payload, k, 0);
            }
            assert_ne!(payload.len(), 1, "1-byte close payload");
            if payload.len() >= 2 {
                let code = u16::from_be_bytes([payload[0], payload[1]]);
                assert!(close::is_valid_wire_code(code), "sent close code {code}");
                assert!(core::str::from_utf8(&payload[2..]).is_ok(), "close reason");
            }
        }
    }
}
