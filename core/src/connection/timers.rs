//! Timers driven by the caller's clock (milliseconds from any origin): opening handshake,
//! keepalive ping and pong deadline, idle, maximum lifetime, closing handshake.
//!
//! The engine never reads a clock. Time moves only when the caller passes `now` to
//! [`Connection::handle_timeout`]; inbound bytes are stamped with the time of the next such
//! call, so call it after each `receive` when an idle timeout is set (the idle timer then
//! never fires early, and is exact).

use alloc::vec::Vec;

use super::{Connection, Phase};
use crate::close;
use crate::config::Config;
use crate::error::Error;
use crate::frame::OpCode;

#[derive(Debug)]
pub(super) struct Timers {
    handshake_timeout: Option<u64>,
    ping_interval: Option<u64>,
    pong_timeout: Option<u64>,
    idle_timeout: Option<u64>,
    max_lifetime: Option<u64>,
    close_timeout: Option<u64>,
    /// The caller's latest time; `None` until the first `handle_timeout`.
    now: Option<u64>,
    /// Bytes arrived since the last `handle_timeout`.
    activity_pending: bool,
    last_activity: u64,
    handshake_deadline: Option<u64>,
    next_ping: Option<u64>,
    pong_deadline: Option<u64>,
    lifetime_deadline: Option<u64>,
    close_deadline: Option<u64>,
    /// Open-state timers are armed (needs both the clock and the open state).
    open_armed: bool,
    close_pending: bool,
    /// Payload of the keepalive ping awaiting its pong.
    ping_payload: Option<[u8; 8]>,
    ping_counter: u64,
}

impl Timers {
    pub(super) fn new(c: &Config) -> Self {
        Timers {
            handshake_timeout: c.handshake_timeout,
            ping_interval: c.ping_interval,
            pong_timeout: c.pong_timeout,
            idle_timeout: c.idle_timeout,
            max_lifetime: c.max_lifetime,
            close_timeout: c.close_timeout,
            now: None,
            activity_pending: false,
            last_activity: 0,
            handshake_deadline: None,
            next_ping: None,
            pong_deadline: None,
            lifetime_deadline: None,
            close_deadline: None,
            open_armed: false,
            close_pending: false,
            ping_payload: None,
            ping_counter: 0,
        }
    }

    fn any_configured(&self) -> bool {
        self.handshake_timeout.is_some()
            || self.ping_interval.is_some()
            || self.idle_timeout.is_some()
            || self.max_lifetime.is_some()
            || self.close_timeout.is_some()
    }

    #[inline]
    pub(super) fn note_activity(&mut self) {
        self.activity_pending = true;
    }

    /// A pong arrived: it answers the keepalive ping if the payload matches.
    pub(super) fn on_pong(&mut self, payload: &[u8]) {
        if self.ping_payload.is_some_and(|p| p[..] == *payload) {
            self.ping_payload = None;
            self.pong_deadline = None;
        }
    }

    /// The connection opened: arm the open-state timers (now, or when the clock starts).
    pub(super) fn on_open(&mut self) {
        self.handshake_deadline = None;
        if let Some(now) = self.now {
            self.arm_open(now);
        }
    }

    fn arm_open(&mut self, now: u64) {
        self.open_armed = true;
        self.last_activity = now;
        self.next_ping = self.ping_interval.map(|i| now.saturating_add(i));
        self.lifetime_deadline = self.max_lifetime.map(|l| now.saturating_add(l));
    }

    /// We sent our close frame (or finished the handshake as a client): start waiting.
    pub(super) fn arm_close(&mut self) {
        self.next_ping = None;
        self.pong_deadline = None;
        self.lifetime_deadline = None;
        self.idle_timeout = None;
        self.close_pending = true;
        self.close_deadline = match (self.now, self.close_timeout) {
            (Some(now), Some(t)) => Some(now.saturating_add(t)),
            _ => None,
        };
    }

    pub(super) fn disarm_all(&mut self) {
        self.handshake_deadline = None;
        self.next_ping = None;
        self.pong_deadline = None;
        self.lifetime_deadline = None;
        self.close_deadline = None;
        self.idle_timeout = None;
        self.close_pending = false;
        self.handshake_timeout = None;
        self.ping_interval = None;
        self.max_lifetime = None;
        self.close_timeout = None;
    }

    fn idle_deadline(&self) -> Option<u64> {
        if !self.open_armed {
            return None;
        }
        self.idle_timeout
            .map(|t| self.last_activity.saturating_add(t))
    }

    fn earliest(&self) -> Option<u64> {
        [
            self.handshake_deadline,
            self.next_ping,
            self.pong_deadline,
            self.idle_deadline(),
            self.lifetime_deadline,
            self.close_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

/// What an expired timer asks the connection to do.
enum Expired {
    Handshake,
    Pong,
    Idle,
    Lifetime,
    Close,
    Ping,
}

impl Connection {
    /// When [`Connection::handle_timeout`] should next be called, in the caller's clock;
    /// `None` when no timer is pending. Before the clock has started (no `handle_timeout`
    /// yet) and with any timer configured, this is `Some(0)`: "call me now".
    pub fn poll_timeout(&self) -> Option<u64> {
        if self.phase == Phase::Closed {
            return None;
        }
        let t = &self.timers;
        if t.now.is_none() {
            return t.any_configured().then_some(0);
        }
        t.earliest()
    }

    /// Gives the engine the current time and runs every timer that is due.
    /// Times are milliseconds from any fixed origin; they must not go backwards
    /// (a smaller value is treated as the latest one seen).
    pub fn handle_timeout(&mut self, now: u64) {
        if self.phase == Phase::Closed {
            return;
        }
        let now = self.timers.now.map_or(now, |prev| prev.max(now));
        let first = self.timers.now.is_none();
        self.timers.now = Some(now);
        if first {
            self.start_clock(now);
        }
        if core::mem::take(&mut self.timers.activity_pending) {
            self.timers.last_activity = now;
        }
        while let Some(expired) = self.next_expired(now) {
            self.on_expired(expired, now);
            if self.phase == Phase::Closed {
                return;
            }
        }
    }

    fn start_clock(&mut self, now: u64) {
        let t = &mut self.timers;
        match self.phase {
            Phase::Connecting => {
                t.handshake_deadline = t.handshake_timeout.map(|h| now.saturating_add(h))
            }
            Phase::Open => t.arm_open(now),
            Phase::CloseSent | Phase::AwaitingEof if t.close_pending => {
                t.close_deadline = t.close_timeout.map(|c| now.saturating_add(c))
            }
            _ => {}
        }
    }

    fn next_expired(&self, now: u64) -> Option<Expired> {
        let t = &self.timers;
        let due = |d: Option<u64>| d.is_some_and(|d| d <= now);
        if due(t.handshake_deadline) {
            Some(Expired::Handshake)
        } else if due(t.close_deadline) {
            Some(Expired::Close)
        } else if due(t.pong_deadline) {
            Some(Expired::Pong)
        } else if due(t.lifetime_deadline) {
            Some(Expired::Lifetime)
        } else if due(t.idle_deadline()) {
            Some(Expired::Idle)
        } else if due(t.next_ping) {
            Some(Expired::Ping)
        } else {
            None
        }
    }

    fn on_expired(&mut self, expired: Expired, now: u64) {
        match expired {
            Expired::Handshake => {
                self.timers.handshake_deadline = None;
                self.opening_timed_out();
            }
            Expired::Close => {
                self.timers.close_deadline = None;
                if self.phase == Phase::AwaitingEof {
                    // The closing handshake completed; the server just never dropped the
                    // transport (RFC 6455 §7.1.1 lets the client close it now).
                    self.finish(true);
                } else {
                    self.events
                        .push_back(crate::event::Event::Failed(Error::CloseTimeout));
                    self.finish(false);
                }
            }
            Expired::Pong => {
                self.timers.pong_deadline = None;
                self.fail(Error::PongTimeout);
            }
            Expired::Lifetime => {
                self.timers.lifetime_deadline = None;
                let _ = self.close_with(close::GOING_AWAY, "maximum connection lifetime reached");
            }
            Expired::Idle => {
                self.timers.idle_timeout = None;
                let _ = self.close_with(close::GOING_AWAY, "idle timeout");
            }
            Expired::Ping => {
                let t = &mut self.timers;
                t.next_ping = t.ping_interval.map(|i| now.saturating_add(i.max(1)));
                if t.ping_payload.is_some() || self.phase != Phase::Open {
                    return; // one keepalive ping outstanding at a time
                }
                t.ping_counter = t.ping_counter.wrapping_add(1);
                let payload = t.ping_counter.to_be_bytes();
                t.ping_payload = Some(payload);
                t.pong_deadline = t.pong_timeout.map(|p| now.saturating_add(p));
                let payload: Vec<u8> = payload.to_vec();
                self.write_control(OpCode::Ping, &payload);
            }
        }
    }
}
