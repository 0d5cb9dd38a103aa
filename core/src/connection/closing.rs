//! Closing (RFC 6455 §5.5.1, §7): the close handshake in both directions, failing the
//! connection, end of input, and the final [`CloseInfo`].

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::{Connection, Phase};
use crate::close::{self, CloseFrame};
use crate::config::Role;
use crate::error::Error;
use crate::event::{CloseInfo, Event, Side};
use crate::frame::OpCode;

impl Connection {
    /// Starts the closing handshake the way the W3C `WebSocket.close()` does: `code` must be
    /// 1000 or 3000–4999 and `reason` at most 123 bytes. With no code and an empty reason the
    /// close frame has no body; with no code and a reason, 1000 is used.
    ///
    /// Closing while connecting abandons the handshake, as the W3C API does (no close frame
    /// can be sent yet; [`Event::Closed`] with 1006 follows; a connecting server should rather
    /// [`Connection::reject`]). Closing when already closing or closed is a no-op.
    pub fn close(&mut self, code: Option<u16>, reason: &str) -> Result<(), Error> {
        if let Some(c) = code {
            if !close::is_valid_app_code(c) {
                return Err(Error::InvalidCloseCodeForApp(c));
            }
        }
        if reason.len() > close::MAX_REASON_BYTES {
            return Err(Error::ReasonTooLong);
        }
        let code = match code {
            None if !reason.is_empty() => Some(close::NORMAL),
            other => other,
        };
        self.start_close(code, reason)
    }

    /// Starts the closing handshake with any code valid on the wire (RFC 6455 §7.4),
    /// e.g. 1001 when a server shuts down or 1008 for a policy violation.
    pub fn close_with(&mut self, code: u16, reason: &str) -> Result<(), Error> {
        if !close::is_valid_wire_code(code) {
            return Err(Error::InvalidInput(alloc::format!(
                "close code {code} may not be sent (RFC 6455 §7.4)"
            )));
        }
        if reason.len() > close::MAX_REASON_BYTES {
            return Err(Error::ReasonTooLong);
        }
        self.start_close(Some(code), reason)
    }

    fn start_close(&mut self, code: Option<u16>, reason: &str) -> Result<(), Error> {
        match self.phase {
            Phase::Open => {}
            Phase::Connecting => {
                self.abandon_opening();
                self.finish(false);
                return Ok(());
            }
            Phase::CloseSent | Phase::AwaitingEof | Phase::Closed => return Ok(()),
        }
        self.send_close_frame(code, reason, false);
        self.initiated_by = Some(Side::Local);
        self.phase = Phase::CloseSent;
        self.timers.arm_close();
        Ok(())
    }

    /// Queues a close frame (no body when `code` is `None`). A close frame the engine sends
    /// in reaction to input is `fenced`: the application's answers to the messages that
    /// came before it still go out first (see the delivery contract in [`super`]).
    fn send_close_frame(&mut self, code: Option<u16>, reason: &str, fenced: bool) {
        let mut payload = Vec::with_capacity(2 + reason.len());
        if let Some(c) = code {
            close::encode_close_payload(c, reason, &mut payload);
        }
        if fenced {
            let frame = self.encode_control(OpCode::Close, &payload);
            self.out.push_fenced(frame);
            self.note_output_growth();
        } else {
            self.write_control(OpCode::Close, &payload);
        }
        self.close_sent = Some(code.unwrap_or(close::NO_STATUS));
    }

    /// Handles the peer's complete, valid close frame.
    pub(super) fn on_close_frame(&mut self, frame: CloseFrame) {
        if self.phase == Phase::Closed {
            return;
        }
        self.recv_discard_message();
        self.close_received = Some(frame.clone());
        self.events.push_back(Event::CloseReceived(frame.clone()));
        if self.close_sent.is_none() {
            // RFC 6455 §5.5.1: answer with a close frame, echoing the status code
            // (and, as ws and browsers expect, the reason).
            self.initiated_by = Some(Side::Remote);
            let code = (frame.code != close::NO_STATUS).then_some(frame.code);
            self.send_close_frame(code, &frame.reason, true);
        }
        self.closing_handshake_done();
    }

    /// Both close frames were exchanged.
    fn closing_handshake_done(&mut self) {
        match self.role {
            // RFC 6455 §7.1.1: the server closes the TCP connection first.
            Role::Server => self.finish(true),
            Role::Client => {
                self.phase = Phase::AwaitingEof;
                self.timers.arm_close();
            }
        }
    }

    /// A ping frame is complete.
    pub(super) fn on_ping(&mut self, payload: Vec<u8>) {
        if self.config.auto_pong && self.can_send_control() {
            // Above the high-water mark, or with the output buffer full (a high-water mark set
            // above `max_output_buffer`), a ping flood must not grow the output: RFC 6455
            // §5.5.3 allows answering only the most recent ping, once there is room.
            if self.above_high_water || self.out.len() >= self.config.max_output_buffer {
                self.deferred_pong = Some(payload.clone());
            } else {
                self.write_control(OpCode::Pong, &payload);
            }
        }
        if self.config.surface_pings {
            self.events.push_back(Event::Ping(payload));
        }
    }

    /// Fails the connection (RFC 6455 §7.1.7): queue a close frame with the error's code
    /// when one can still be sent, report the error, and end the connection.
    pub(super) fn fail(&mut self, error: Error) {
        if self.phase == Phase::Closed {
            return;
        }
        let code = error.close_code();
        if close::is_valid_wire_code(code) && self.can_send_control() {
            let reason = error.to_string();
            self.send_close_frame(Some(code), truncate_reason(&reason), true);
            if self.initiated_by.is_none() {
                self.initiated_by = Some(Side::Local);
            }
        }
        self.events.push_back(Event::Failed(error));
        self.finish(false);
    }

    /// The transport reached end of input.
    pub fn receive_eof(&mut self) {
        match self.phase {
            Phase::Closed => {}
            Phase::Connecting => {
                if !self.opening_eof() {
                    self.fail(Error::UnexpectedEof);
                }
            }
            // A client that completed the closing handshake waits for exactly this.
            Phase::AwaitingEof => self.finish(true),
            // RFC 6455 §7.1.5: no close frame received means 1006.
            Phase::Open | Phase::CloseSent => self.finish(false),
        }
    }

    /// The connection is over: record how, report [`Event::Closed`].
    pub(super) fn finish(&mut self, clean: bool) {
        if self.phase == Phase::Closed {
            return;
        }
        self.phase = Phase::Closed;
        // A request still awaiting `accept`/`reject` (and its pipelined bytes) is void now:
        // accepting it would reopen a closed connection.
        self.opening = Default::default();
        self.timers.disarm_all();
        self.recv_discard_message();
        self.deferred_pong = None;
        let (code, reason) = match (&self.close_received, clean) {
            (Some(CloseFrame { code, reason }), _) => (*code, reason.clone()),
            (None, _) => (close::ABNORMAL, String::new()),
        };
        // §7.1.4 / W3C `wasClean`: the closing handshake completed (a failure never does).
        let was_clean = clean && self.close_received.is_some() && self.close_sent.is_some();
        let info = CloseInfo {
            code,
            reason,
            was_clean,
            initiated_by: self.initiated_by,
            sent_code: self.close_sent,
        };
        self.close_info = Some(info.clone());
        self.events.push_back(Event::Closed(info));
    }

    fn recv_discard_message(&mut self) {
        self.recv = Default::default();
    }
}

/// Cuts a reason to the 123 bytes a close frame can carry, at a character boundary.
fn truncate_reason(reason: &str) -> &str {
    if reason.len() <= close::MAX_REASON_BYTES {
        return reason;
    }
    let mut end = close::MAX_REASON_BYTES;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}
