//! The receive path: frame headers, payload unmasking, UTF-8 validation, message
//! assembly and delivery, in one pass over each piece of input.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::{Connection, Phase};
use crate::close;
use crate::config::{Delivery, Role};
use crate::error::Error;
use crate::event::{Chunk, DataKind, Event, EventRef, EventSink, MessageBuffer};
use crate::frame::{FrameHeader, OpCode, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN};
use crate::mask::{apply_mask, copy_masked, extend_masked};
use crate::utf8::{as_str_validated, into_string_lossy, into_string_validated, Utf8Cursor};

/// Receive-side state carried between calls.
#[derive(Debug, Default)]
pub(super) struct Receiver {
    /// A frame header split across reads.
    header_buf: [u8; MAX_HEADER_LEN],
    header_len: usize,
    /// The frame whose payload is arriving.
    frame: Option<InFrame>,
    /// Payload of the control frame in progress (≤ 125 bytes).
    control: Vec<u8>,
    /// The data message in progress.
    message: Option<InMessage>,
    /// The buffer whole messages are lent from by `receive_with` (reused).
    lent: Vec<u8>,
    /// A message received into an [`EventSink`]'s buffer, complete, to hand over.
    completed: Option<(DataKind, Box<dyn MessageBuffer>)>,
    /// Masked, compressed bytes waiting to be inflated (reused).
    #[cfg(feature = "deflate")]
    scratch: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
struct InFrame {
    opcode: OpCode,
    fin: bool,
    mask: Option<[u8; 4]>,
    /// Payload bytes still to come.
    remaining: u64,
    /// Payload bytes already seen (the mask phase).
    offset: usize,
}

#[derive(Debug)]
struct InMessage {
    kind: DataKind,
    /// Message bytes not yet delivered (unmasked, inflated).
    buf: Vec<u8>,
    utf8: Utf8Cursor,
    /// Whether this message is compressed (RSV1 on its first frame).
    compressed: bool,
    fragments: usize,
    /// Bytes of the message so far, delivered or not (for the size limit).
    size: usize,
    /// A piece of it was already delivered (chunk and frame delivery).
    delivered_first: bool,
    /// A single uncompressed binary frame of this length, whole-message delivery: an
    /// [`EventSink`] may give a buffer for it (asked once, when a sixteenth has arrived).
    offer_len: Option<usize>,
    /// The [`EventSink`]'s buffer the message is received into, instead of `buf`.
    external: Option<Box<dyn MessageBuffer>>,
}

impl Connection {
    /// Feeds bytes read from the transport. Every byte is either turned into events or
    /// kept for the next call. Call [`Connection::poll_event`] afterwards.
    ///
    /// Input after the connection failed or closed is ignored (RFC 6455 §7.1.7: discard).
    pub fn receive(&mut self, data: &[u8]) {
        if data.is_empty() || self.phase == Phase::Closed {
            return;
        }
        self.timers.note_activity();
        if self.phase == Phase::Connecting {
            if let Some(rest) = self.receive_opening(data) {
                self.read_frames(&rest);
            }
        } else {
            self.read_frames(data);
        }
    }

    /// Like [`Connection::receive`], but hands every event to `f` as it happens instead of
    /// queueing it, and lends each complete single-frame message as `&str` / `&[u8]` from a
    /// buffer the connection reuses: no allocation per message. Bindings that copy each
    /// message into their own string type anyway use this. Events already queued are handed
    /// over first, so the order is the same as with [`Connection::poll_event`].
    ///
    /// As with [`Connection::poll_event`], a protocol error found behind messages handed over
    /// in this call leaves the connection open until the application's next call
    /// (`receive_with`, `poll_event`, `handle_timeout` or `receive_eof`), so it can still
    /// answer them; [`Connection::poll_timeout`] is then due at once.
    pub fn receive_with<F: FnMut(EventRef<'_>)>(&mut self, data: &[u8], mut f: F) {
        self.receive_into(data, &mut f);
    }

    /// [`Connection::receive_with`] with an [`EventSink`] that may also give memory of its
    /// own for messages: a message that arrives in one uncompressed frame is then unmasked
    /// straight into that memory as its bytes arrive (text validated there), and handed over
    /// as [`EventRef::Buffer`] / [`EventRef::TextBuffer`]. A binding whose message type must
    /// be allocated by its runtime anyway (a Python `bytes`, a Node `Buffer`) saves a copy of
    /// every such message this way.
    ///
    /// A message whose header came through [`Connection::receive`] is received into the
    /// engine's buffer; one received into a sink's buffer but completed through `receive`
    /// is queued as an [`Event::Binary`] / [`Event::Text`] copy.
    pub fn receive_into<S: EventSink + ?Sized>(&mut self, data: &[u8], sink: &mut S) {
        self.receive_input(Input::Shared(data), &mut SinkRef(sink));
    }

    /// [`Connection::receive_into`] on bytes the caller lets the engine change: a whole
    /// message that lies in `data` (one uncompressed frame, whole-message delivery) is
    /// unmasked and validated where it is and lent as [`EventRef::Binary`] /
    /// [`EventRef::Text`] pointing into `data`, with no copy at all. A binding whose runtime
    /// can hand out a view of its read buffer (a Node `Buffer`'s `subarray`) delivers such a
    /// message without copying it. The sink tells these from messages lent from the engine's
    /// buffer by their address. Bytes of `data` outside such messages are left as they came
    /// (a text message that is not UTF-8 included: it fails the connection with 1007).
    pub fn receive_in_place<S: EventSink + ?Sized>(&mut self, data: &mut [u8], sink: &mut S) {
        self.receive_input(Input::Mutable(data), &mut SinkRef(sink));
    }

    /// `receive_into` and `receive_in_place`.
    fn receive_input(&mut self, data: Input<'_>, sink: &mut dyn EventSink) {
        // Events queued by other calls come first.
        self.hand_over_events(sink);
        if data.bytes().is_empty() || self.phase == Phase::Closed {
            return;
        }
        self.timers.note_activity();
        if self.phase == Phase::Connecting {
            if let Some(rest) = self.receive_opening(data.bytes()) {
                self.hand_over_events(sink);
                self.read_frames_with(Input::Shared(&rest), Some(sink));
            }
        } else {
            self.read_frames_with(data, Some(sink));
        }
        self.hand_over_events(sink);
    }

    /// Hands every queued event to `sink`.
    fn hand_over_events(&mut self, sink: &mut dyn EventSink) {
        while let Some(e) = self.events.pop_front() {
            sink.event(EventRef::Owned(e));
        }
    }

    /// Reads frames from `data` (the handshake is over).
    pub(super) fn read_frames(&mut self, data: &[u8]) {
        self.read_frames_with(Input::Shared(data), None);
    }

    /// Reads frames; with `lend`, whole single-frame messages are lent to it and every
    /// other event is handed to it as soon as it is produced.
    fn read_frames_with<'f>(
        &mut self,
        mut data: Input<'_>,
        mut lend: Option<&mut (dyn EventSink + 'f)>,
    ) {
        while !data.bytes().is_empty() && self.reading() {
            let step = match self.recv.frame {
                None if self.recv.header_len == 0 && self.recv.message.is_none() => {
                    match self.whole_message(data.bytes()) {
                        Ok(Some((h, head))) => {
                            self.deliver_whole_message(h, head, &mut data, lend.as_deref_mut())
                        }
                        Ok(None) => self.read_header(data.bytes()),
                        Err(e) => Err(e),
                    }
                }
                None => self.read_header(data.bytes()),
                Some(frame) => {
                    self.offer_message_buffer(lend.as_deref_mut(), data.bytes().len());
                    self.read_payload(frame, data.bytes())
                }
            };
            match step {
                Ok(n) => data.advance(n),
                Err(e) => {
                    // Messages before the error were delivered; answers to them still go
                    // out before our close frame, which is fenced (Autobahn 5.15).
                    self.fail(e);
                    break;
                }
            }
            if let Some(f) = lend.as_deref_mut() {
                self.hand_over_events(f);
            }
            if let Some((kind, buf)) = self.recv.completed.take() {
                match (lend.as_deref_mut(), kind) {
                    (Some(f), DataKind::Binary) => f.event(EventRef::Buffer(buf)),
                    (Some(f), DataKind::Text) => f.event(EventRef::TextBuffer(buf)),
                    (None, DataKind::Binary) => {
                        self.events.push_back(EventRef::Buffer(buf).into_owned())
                    }
                    (None, DataKind::Text) => self
                        .events
                        .push_back(EventRef::TextBuffer(buf).into_owned()),
                }
            }
        }
    }

    /// Before payload bytes of the message in progress are read (`arrived` of them are at
    /// hand): asks `sink` for a buffer, if the message may use one, once a sixteenth of it has
    /// arrived (the rule of `on_data`: a peer cannot make us reserve much more than it sent),
    /// and moves what was read so far into it. Asked once; a message read in part without a
    /// sink stays in the engine's buffer.
    fn offer_message_buffer(&mut self, sink: Option<&mut (dyn EventSink + '_)>, arrived: usize) {
        let Some(m) = self.recv.message.as_mut() else {
            return;
        };
        let Some(len) = m.offer_len else {
            return;
        };
        let Some(sink) = sink else {
            m.offer_len = None;
            return;
        };
        if len > MIN_RESERVE && m.size.saturating_add(arrived).saturating_mul(RESERVE_AHEAD) < len {
            return;
        }
        m.offer_len = None;
        let ext = match m.kind {
            DataKind::Binary => sink.message_buffer(len),
            DataKind::Text => sink.text_buffer(len),
        };
        let Some(mut ext) = ext else {
            return;
        };
        let dst = ext.as_mut_slice();
        if dst.len() == len {
            dst[..m.buf.len()].copy_from_slice(&m.buf);
            m.buf = Vec::new();
            m.external = Some(ext);
        }
    }

    /// Whether frames are still read: open, or closing while the peer's close is awaited.
    fn reading(&self) -> bool {
        matches!(self.phase, Phase::Open | Phase::CloseSent)
    }

    /// Fast path for the common case: a complete, unfragmented, uncompressed data frame lies
    /// in `data` and whole-message delivery is on. Returns its header and header length, or
    /// `None` whenever the general path must decide, so every rule stays in one place.
    #[inline]
    fn whole_message(&self, data: &[u8]) -> Result<Option<(FrameHeader, usize)>, Error> {
        let Some((h, head)) = FrameHeader::decode(data)? else {
            return Ok(None);
        };
        let simple = h.fin
            && !(h.rsv1 || h.rsv2 || h.rsv3)
            && matches!(h.opcode, OpCode::Text | OpCode::Binary)
            && h.mask.is_some() == (self.role == Role::Server)
            && self.config.delivery == Delivery::Messages
            && h.payload_len <= self.config.max_frame_size.min(self.config.max_message_size) as u64
            && data.len() - head >= h.payload_len as usize;
        Ok(simple.then_some((h, head)))
    }

    /// Delivers the whole message found by [`Self::whole_message`] with one copy, one unmask
    /// and one UTF-8 pass: lent to `lend` from the reused buffer, or queued as an owned event;
    /// in `data` itself when that is the caller's to change (no copy). Returns the bytes used,
    /// or the error that fails the connection.
    #[inline]
    fn deliver_whole_message<'f>(
        &mut self,
        h: FrameHeader,
        head: usize,
        data: &mut Input<'_>,
        mut lend: Option<&mut (dyn EventSink + 'f)>,
    ) -> Result<usize, Error> {
        let len = h.payload_len as usize;
        let text = h.opcode == OpCode::Text;
        if let (Some(f), Input::Mutable(bytes)) = (lend.as_deref_mut(), &mut *data) {
            if !(text && self.config.ignore_utf8_errors) {
                let payload = &mut bytes[head..head + len];
                if let Some(key) = h.mask {
                    apply_mask(payload, key, 0);
                }
                if !text {
                    f.event(EventRef::Binary(payload));
                } else if simdutf8::basic::from_utf8(payload).is_ok() {
                    f.event(EventRef::Text(as_str_validated(payload)));
                } else {
                    // Masked again: the caller's bytes change only where a message is lent.
                    if let Some(key) = h.mask {
                        apply_mask(payload, key, 0);
                    }
                    return Err(Error::InvalidUtf8);
                }
                return Ok(head + len);
            }
        }
        let payload = &data.bytes()[head..head + len];
        match lend {
            Some(f) if !(text && self.config.ignore_utf8_errors) => {
                // Into the sink's own buffer when it gives one: one pass, where it wants it.
                let own = if text {
                    f.text_buffer(len)
                } else {
                    f.message_buffer(len)
                };
                if let Some(mut own) = own {
                    let dst = own.as_mut_slice();
                    if dst.len() == len {
                        match h.mask {
                            Some(key) => copy_masked(dst, payload, key, 0),
                            None => dst.copy_from_slice(payload),
                        }
                        if !text {
                            f.event(EventRef::Buffer(own));
                        } else if simdutf8::basic::from_utf8(own.as_slice()).is_ok() {
                            f.event(EventRef::TextBuffer(own));
                        } else {
                            return Err(Error::InvalidUtf8);
                        }
                        return Ok(head + len);
                    }
                }
                let buf = &mut self.recv.lent;
                buf.clear();
                match h.mask {
                    Some(key) => extend_masked(buf, payload, key, 0),
                    None => buf.extend_from_slice(payload),
                }
                if !text {
                    f.event(EventRef::Binary(buf));
                } else if simdutf8::basic::from_utf8(buf).is_ok() {
                    f.event(EventRef::Text(as_str_validated(buf)));
                } else {
                    return Err(Error::InvalidUtf8);
                }
                if buf.capacity() > LENT_BUFFER_KEEP {
                    *buf = Vec::new();
                }
            }
            _ => {
                let buf = match h.mask {
                    Some(key) => {
                        let mut buf = Vec::with_capacity(len);
                        extend_masked(&mut buf, payload, key, 0);
                        buf
                    }
                    None => payload.to_vec(),
                };
                let event = if !text {
                    Event::Binary(buf)
                } else if self.config.ignore_utf8_errors {
                    Event::Text(into_string_lossy(buf))
                } else if simdutf8::basic::from_utf8(&buf).is_ok() {
                    Event::Text(into_string_validated(buf))
                } else {
                    return Err(Error::InvalidUtf8);
                };
                self.events.push_back(event);
            }
        }
        Ok(head + len)
    }

    /// Parses a header from `data` (or completes one split across reads); returns the bytes used.
    fn read_header(&mut self, data: &[u8]) -> Result<usize, Error> {
        let r = &mut self.recv;
        let (header, used) = if r.header_len == 0 {
            match FrameHeader::decode(data)? {
                Some(found) => found,
                None => {
                    r.header_buf[..data.len()].copy_from_slice(data);
                    r.header_len = data.len();
                    return Ok(data.len());
                }
            }
        } else {
            let had = r.header_len;
            let take = (MAX_HEADER_LEN - had).min(data.len());
            r.header_buf[had..had + take].copy_from_slice(&data[..take]);
            match FrameHeader::decode(&r.header_buf[..had + take])? {
                Some((h, n)) => {
                    r.header_len = 0;
                    (h, n - had)
                }
                None => {
                    r.header_len = had + take;
                    return Ok(take);
                }
            }
        };
        self.on_header(header)?;
        Ok(used)
    }

    /// Checks a header against the connection's rules and prepares for its payload.
    fn on_header(&mut self, h: FrameHeader) -> Result<(), Error> {
        if h.rsv2 || h.rsv3 {
            return Err(Error::ReservedBits);
        }
        if h.rsv1 {
            if !self.compression_negotiated() {
                return Err(Error::ReservedBits);
            }
            // RFC 7692 §6.1: RSV1 only on the first frame of a data message.
            if !matches!(h.opcode, OpCode::Text | OpCode::Binary) {
                return Err(Error::Compression(
                    "RSV1 set on a continuation or control frame".into(),
                ));
            }
        }
        // RFC 6455 §5.1: clients mask, servers do not.
        match (self.role, h.mask.is_some()) {
            (Role::Server, false) => return Err(Error::UnmaskedFrame),
            (Role::Client, true) => return Err(Error::MaskedFrame),
            _ => {}
        }
        let len = h.payload_len;
        if h.opcode.is_control() {
            if len > MAX_CONTROL_PAYLOAD as u64 {
                return Err(Error::ControlFrameTooLong);
            }
            if !h.fin {
                return Err(Error::FragmentedControlFrame);
            }
            self.recv.control.clear();
        } else {
            if len > self.config.max_frame_size as u64 {
                return Err(Error::FrameTooLarge);
            }
            let max_message = self.config.max_message_size;
            let max_fragments = self.config.max_fragments;
            match (h.opcode, &mut self.recv.message) {
                (OpCode::Continuation, None) => return Err(Error::UnexpectedContinuation),
                (OpCode::Text | OpCode::Binary, Some(_)) => {
                    return Err(Error::ExpectedContinuation)
                }
                (OpCode::Continuation, Some(m)) => {
                    m.fragments += 1;
                    if m.fragments > max_fragments {
                        return Err(Error::TooManyFragments);
                    }
                    if !m.compressed && m.size as u64 + len > max_message as u64 {
                        return Err(Error::MessageTooLarge);
                    }
                }
                (op, slot) => {
                    if !h.rsv1 && len > max_message as u64 {
                        return Err(Error::MessageTooLarge);
                    }
                    let whole = h.fin && !h.rsv1 && self.config.delivery == Delivery::Messages;
                    *slot = Some(InMessage {
                        kind: if op == OpCode::Text {
                            DataKind::Text
                        } else {
                            DataKind::Binary
                        },
                        buf: Vec::new(),
                        utf8: Utf8Cursor::new(),
                        compressed: h.rsv1,
                        fragments: 1,
                        size: 0,
                        delivered_first: false,
                        offer_len: (whole
                            && len > 0
                            && (op == OpCode::Binary || !self.config.ignore_utf8_errors))
                            .then_some(len as usize),
                        external: None,
                    });
                }
            }
        }
        let frame = InFrame {
            opcode: h.opcode,
            fin: h.fin,
            mask: h.mask,
            remaining: len,
            offset: 0,
        };
        if len == 0 {
            self.recv.frame = None;
            self.on_frame_end(frame)?;
        } else {
            self.recv.frame = Some(frame);
        }
        Ok(())
    }

    /// Consumes payload bytes of the current frame; returns how many were used.
    #[inline]
    fn read_payload(&mut self, mut frame: InFrame, data: &[u8]) -> Result<usize, Error> {
        let n = usize::try_from(frame.remaining)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let piece = &data[..n];
        if frame.opcode.is_control() {
            let control = &mut self.recv.control;
            let start = control.len();
            control.extend_from_slice(piece);
            if let Some(key) = frame.mask {
                apply_mask(&mut control[start..], key, frame.offset);
            }
        } else {
            let rest_of_frame = frame.remaining - n as u64;
            self.on_data(piece, frame.mask, frame.offset, rest_of_frame)?;
        }
        frame.offset += n;
        frame.remaining -= n as u64;
        if frame.remaining == 0 {
            self.recv.frame = None;
            self.on_frame_end(frame)?;
        } else {
            self.recv.frame = Some(frame);
        }
        Ok(n)
    }

    /// Appends a piece of data-frame payload to the message: unmask, inflate, validate.
    /// `rest_of_frame` is how much of the frame's payload is still to come after `piece`.
    #[inline]
    fn on_data(
        &mut self,
        piece: &[u8],
        mask: Option<[u8; 4]>,
        offset: usize,
        rest_of_frame: u64,
    ) -> Result<(), Error> {
        let ignore_utf8 = self.config.ignore_utf8_errors;
        let Some(m) = self.recv.message.as_mut() else {
            return Err(Error::UnexpectedContinuation);
        };
        if m.compressed {
            #[cfg(feature = "deflate")]
            {
                let scratch = &mut self.recv.scratch;
                scratch.clear();
                scratch.extend_from_slice(piece);
                if let Some(key) = mask {
                    apply_mask(scratch, key, offset);
                }
                // The decompressor counts the whole message against the limit itself
                // (delivered chunks included), so it gets the limit, not what is left.
                let budget = self.config.max_message_size;
                let before = m.buf.len();
                match self.pmd.as_mut() {
                    Some(p) => p.inflate(scratch, &mut m.buf, budget)?,
                    None => return Err(Error::ReservedBits),
                }
                m.size += m.buf.len() - before;
            }
            #[cfg(not(feature = "deflate"))]
            {
                let _ = (piece, mask, offset, rest_of_frame);
                return Err(Error::ReservedBits);
            }
        } else if let Some(ext) = m.external.as_mut() {
            let dst = ext
                .as_mut_slice()
                .get_mut(m.size..m.size + piece.len())
                .ok_or_else(|| Error::Internal("an EventSink's buffer changed length".into()))?;
            match mask {
                Some(key) => copy_masked(dst, piece, key, offset),
                None => dst.copy_from_slice(piece),
            }
            m.size += piece.len();
        } else {
            // Make room for the rest of the frame so a large frame is not copied again and
            // again as the buffer doubles, but commit at most 16x the bytes that arrived
            // (and at least 4 KiB): a peer cannot make us reserve memory it never sends.
            let wanted = u64::try_from(piece.len())
                .unwrap_or(u64::MAX)
                .saturating_add(rest_of_frame);
            let cap = if m.offer_len.is_some() {
                // It may move to an `EventSink`'s buffer soon: no reserve ahead.
                piece.len()
            } else {
                piece.len().saturating_mul(RESERVE_AHEAD).max(MIN_RESERVE)
            };
            m.buf
                .reserve(usize::try_from(wanted).unwrap_or(usize::MAX).min(cap));
            match mask {
                Some(key) => extend_masked(&mut m.buf, piece, key, offset),
                None => m.buf.extend_from_slice(piece),
            }
            m.size += piece.len();
        }
        if m.kind == DataKind::Text && !ignore_utf8 {
            let so_far = match m.external.as_ref() {
                Some(ext) => ext.as_slice().get(..m.size).unwrap_or(&[]),
                None => &m.buf,
            };
            m.utf8.advance(so_far).map_err(|_| Error::InvalidUtf8)?;
        }
        if let Delivery::Chunks(max) = self.config.delivery {
            self.deliver_full_chunks(max);
        }
        Ok(())
    }

    /// A frame's payload is complete.
    fn on_frame_end(&mut self, frame: InFrame) -> Result<(), Error> {
        match frame.opcode {
            OpCode::Close => {
                let payload = core::mem::take(&mut self.recv.control);
                let frame = close::parse_close_payload(&payload)?;
                self.on_close_frame(frame);
                Ok(())
            }
            OpCode::Ping => {
                let payload = core::mem::take(&mut self.recv.control);
                self.on_ping(payload);
                Ok(())
            }
            OpCode::Pong => {
                let payload = core::mem::take(&mut self.recv.control);
                self.timers.on_pong(&payload);
                if self.config.surface_pongs {
                    self.events.push_back(Event::Pong(payload));
                }
                Ok(())
            }
            _ => self.on_data_frame_end(frame.fin),
        }
    }

    fn on_data_frame_end(&mut self, fin: bool) -> Result<(), Error> {
        let ignore_utf8 = self.config.ignore_utf8_errors;
        if fin {
            #[cfg(feature = "deflate")]
            if let Some(m) = self.recv.message.as_mut() {
                if m.compressed {
                    let budget = self.config.max_message_size;
                    let before = m.buf.len();
                    if let Some(p) = self.pmd.as_mut() {
                        p.finish_message(&mut m.buf, budget)?;
                    }
                    m.size += m.buf.len() - before;
                    if m.kind == DataKind::Text && !ignore_utf8 {
                        m.utf8.advance(&m.buf).map_err(|_| Error::InvalidUtf8)?;
                    }
                }
            }
            let Some(m) = self.recv.message.take() else {
                return Ok(());
            };
            let received = if m.external.is_some() {
                m.size
            } else {
                m.buf.len()
            };
            if m.kind == DataKind::Text && !ignore_utf8 && !m.utf8.is_complete(received) {
                // The message ended inside a character (RFC 6455 §8.1).
                return Err(Error::InvalidUtf8);
            }
            if let Some(buf) = m.external {
                // Handed over by `read_frames_with`, in order, after this step.
                self.recv.completed = Some((m.kind, buf));
                return Ok(());
            }
            match self.config.delivery {
                Delivery::Messages => {
                    let event = match m.kind {
                        DataKind::Binary => Event::Binary(m.buf),
                        DataKind::Text if ignore_utf8 => Event::Text(into_string_lossy(m.buf)),
                        DataKind::Text => Event::Text(into_string_validated(m.buf)),
                    };
                    self.events.push_back(event);
                }
                Delivery::Chunks(_) | Delivery::Frames => {
                    self.events.push_back(Event::Chunk(Chunk {
                        kind: m.kind,
                        data: m.buf,
                        first: !m.delivered_first,
                        last: true,
                    }));
                }
            }
        } else if self.config.delivery == Delivery::Frames {
            if let Some(m) = self.recv.message.as_mut() {
                let take = deliverable(m, ignore_utf8);
                let mut rest = m.buf.split_off(take);
                core::mem::swap(&mut rest, &mut m.buf);
                m.utf8.consumed(take);
                self.events.push_back(Event::Chunk(Chunk {
                    kind: m.kind,
                    data: rest,
                    first: !m.delivered_first,
                    last: false,
                }));
                m.delivered_first = true;
            }
        }
        Ok(())
    }

    /// Chunked delivery: hands out every full `max`-byte piece of the message so far.
    fn deliver_full_chunks(&mut self, max: usize) {
        let ignore_utf8 = self.config.ignore_utf8_errors;
        let Some(m) = self.recv.message.as_mut() else {
            return;
        };
        let ready = deliverable(m, ignore_utf8);
        if ready < max {
            return;
        }
        let mut start = 0;
        while ready - start >= max {
            let mut end = start + max;
            if m.kind == DataKind::Text && !ignore_utf8 {
                // Back up to a character boundary (at most 3 bytes); `ready` is one.
                while end > start && end < ready && !is_char_boundary(m.buf[end]) {
                    end -= 1;
                }
                if end == start {
                    // `max` is smaller than this character: deliver the whole character.
                    end = start + 1;
                    while end < ready && !is_char_boundary(m.buf[end]) {
                        end += 1;
                    }
                }
            }
            self.events.push_back(Event::Chunk(Chunk {
                kind: m.kind,
                data: m.buf[start..end].to_vec(),
                first: !m.delivered_first,
                last: false,
            }));
            m.delivered_first = true;
            start = end;
        }
        m.buf.drain(..start);
        m.utf8.consumed(start);
    }

    fn compression_negotiated(&self) -> bool {
        #[cfg(feature = "deflate")]
        {
            self.pmd.is_some()
        }
        #[cfg(not(feature = "deflate"))]
        {
            false
        }
    }
}

/// The lending buffer is kept between messages up to this capacity.
const LENT_BUFFER_KEEP: usize = 1 << 20;

/// How far ahead of the bytes received the message buffer may grow (see `on_data`).
const RESERVE_AHEAD: usize = 16;
/// Reservations up to this size are always allowed.
const MIN_RESERVE: usize = 4 * 1024;

/// Bytes at the front of the message buffer that may be delivered now: validated UTF-8 up
/// to a character boundary for text, everything otherwise.
fn deliverable(m: &InMessage, ignore_utf8: bool) -> usize {
    if m.kind == DataKind::Text && !ignore_utf8 {
        m.utf8.valid_len()
    } else {
        m.buf.len()
    }
}

#[inline]
fn is_char_boundary(b: u8) -> bool {
    // Not a UTF-8 continuation byte (10xxxxxx).
    (b as i8) >= -0x40
}

/// The bytes the frame reader works through: the caller's, read only, or the caller's to
/// change ([`Connection::receive_in_place`]: whole messages are unmasked where they lie).
enum Input<'a> {
    Shared(&'a [u8]),
    Mutable(&'a mut [u8]),
}

impl Input<'_> {
    /// The bytes not read yet.
    fn bytes(&self) -> &[u8] {
        match self {
            Input::Shared(b) => b,
            Input::Mutable(b) => b,
        }
    }

    /// Drops the first `n` bytes (all of them if there are fewer).
    fn advance(&mut self, n: usize) {
        match self {
            Input::Shared(b) => *b = b.get(n..).unwrap_or(&[]),
            Input::Mutable(b) => {
                let rest = core::mem::take(b);
                let n = n.min(rest.len());
                *b = &mut rest[n..];
            }
        }
    }
}

/// Lets a `?Sized` sink be used as `&mut dyn EventSink`.
struct SinkRef<'a, S: EventSink + ?Sized>(&'a mut S);

impl<S: EventSink + ?Sized> EventSink for SinkRef<'_, S> {
    fn event(&mut self, event: EventRef<'_>) {
        self.0.event(event)
    }
    fn message_buffer(&mut self, len: usize) -> Option<Box<dyn MessageBuffer>> {
        self.0.message_buffer(len)
    }
    fn text_buffer(&mut self, len: usize) -> Option<Box<dyn MessageBuffer>> {
        self.0.text_buffer(len)
    }
}
