//! The opening handshake as seen by the connection (RFC 6455 §4): reading the request
//! and answering it (server), sending the request through an optional CONNECT proxy and
//! checking the answer (client), the handshake timeout, and post-handshake mode
//! (RFC 8441 / RFC 9220 stacks that upgraded on their own).
//!
//! The HTTP rules themselves live in [`crate::handshake`]; this file only drives them.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::{Connection, Phase};
use crate::config::{Config, Role};
use crate::error::Error;
use crate::event::{Event, Opened, Rejected};
use crate::handshake::client::{
    build_request, parse_url, validate_response, ClientHandshakeError, ClientRequestOptions,
};
use crate::handshake::http::{
    response_body_length, write_response, BodyLength, HeadLimits, HeadParser, Header,
};
use crate::handshake::proxy::{check_connect_response, connect_request};
use crate::handshake::server::{accept_response, classify, select_protocol, Classified, Request};
use crate::handshake::{accept_key::key_from_nonce, http::reason_phrase};
use crate::rng::RandomSource;

/// Where the opening handshake stands. (One value per connection, so the size difference
/// between variants costs nothing worth a box.)
#[derive(Default)]
#[allow(clippy::large_enum_variant)]
pub(super) enum Opening {
    /// Finished (or never needed, in post-handshake mode).
    #[default]
    Done,
    /// Server: reading the request head.
    ServerReading { buf: Vec<u8>, parser: HeadParser },
    /// Server: the request was reported; waiting for `accept`, `reject` or `respond`.
    ServerAwaiting {
        request: Request,
        upgrade: bool,
        /// Bytes that arrived behind the request (pipelined frames), replayed on accept.
        pending: Vec<u8>,
        /// The permessage-deflate answer chosen for this request.
        #[cfg(feature = "deflate")]
        pmd: Option<super::pmd::Negotiated>,
    },
    /// Client: waiting for the CONNECT proxy's answer; the upgrade request follows it.
    ClientProxy {
        buf: Vec<u8>,
        parser: HeadParser,
        request: Vec<u8>,
        key: String,
    },
    /// Client: waiting for the server's 101.
    ClientWaiting {
        buf: Vec<u8>,
        parser: HeadParser,
        key: String,
    },
    /// Client: the server refused; collecting the body for [`Event::Rejected`].
    ClientRejectBody {
        rejected: Rejected,
        remaining: Option<usize>,
    },
}

/// Client options for the opening handshake.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// `ws://` or `wss://` URL; the caller opens the transport (and TLS for `wss`).
    pub url: String,
    /// The `Origin` header to send, if any.
    pub origin: Option<String>,
    /// Extra request headers (e.g. `Authorization`, cookies).
    pub headers: Vec<Header>,
    /// Tunnel through an HTTP proxy with `CONNECT` first.
    pub proxy: Option<ProxyOptions>,
}

/// An HTTP `CONNECT` step before the handshake (the caller connects to the proxy).
#[derive(Debug, Clone, Default)]
pub struct ProxyOptions {
    /// `Proxy-Authorization` value, e.g. `Basic dXNlcjpwYXNz`.
    pub authorization: Option<String>,
    /// Extra headers for the `CONNECT` request.
    pub headers: Vec<Header>,
}

/// How a server accepts a handshake request.
#[derive(Debug, Clone, Default)]
pub struct AcceptOptions {
    /// The subprotocol to select; it must be one the client offered. `None` selects the
    /// first of `Config::protocols` that the client offered, if any.
    pub protocol: Option<String>,
    /// Extra response headers (e.g. `Set-Cookie`).
    pub headers: Vec<Header>,
}

/// What an external stack (HTTP/2 extended CONNECT, HTTP/3) negotiated, for
/// [`Connection::open`].
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// The selected subprotocol.
    pub protocol: Option<String>,
    /// The negotiated `Sec-WebSocket-Extensions` value (permessage-deflate is understood).
    pub extensions: Option<String>,
}

impl Connection {
    /// A server connection: it reads the client's HTTP request first.
    pub fn server(config: Config) -> Result<Connection, Error> {
        let limits = head_limits(&config);
        let mut c = Connection::new(Role::Server, config, None)?;
        c.opening = Opening::ServerReading {
            buf: Vec::new(),
            parser: HeadParser::new(limits),
        };
        Ok(c)
    }

    /// A client connection: its upgrade request (or the proxy's `CONNECT`) is queued as
    /// output at once. `random` supplies the handshake nonce and the masking keys.
    pub fn client(
        config: Config,
        options: ClientOptions,
        random: Box<dyn RandomSource>,
    ) -> Result<Connection, Error> {
        let url = parse_url(&options.url).map_err(|e| Error::InvalidInput(e.to_string()))?;
        let limits = head_limits(&config);
        let mut c = Connection::new(Role::Client, config, Some(random))?;
        let mut nonce = [0u8; 16];
        if let Some(keys) = c.keys.as_mut() {
            keys.take(&mut nonce);
        }
        let key = key_from_nonce(nonce);
        let request_options = ClientRequestOptions {
            origin: options.origin,
            protocols: c.config.protocols.clone(),
            extensions: c.client_extension_offer(),
            headers: options.headers,
        };
        let request = build_request(&url, &key, &request_options)
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let parser = HeadParser::new(limits);
        c.opening = match options.proxy {
            None => {
                c.out.push(&request);
                Opening::ClientWaiting {
                    buf: Vec::new(),
                    parser,
                    key,
                }
            }
            Some(proxy) => {
                let connect = connect_request(
                    &url.host,
                    url.port,
                    proxy.authorization.as_deref(),
                    &proxy.headers,
                )
                .map_err(|e| Error::InvalidInput(e.to_string()))?;
                c.out.push(&connect);
                Opening::ClientProxy {
                    buf: Vec::new(),
                    parser,
                    request,
                    key,
                }
            }
        };
        Ok(c)
    }

    /// A connection that is already open, for stacks that did the upgrade themselves
    /// (HTTP/2 extended CONNECT, RFC 8441; HTTP/3, RFC 9220; see [`crate::handshake::h2`]).
    /// A client needs `random` for masking keys.
    pub fn open(
        role: Role,
        config: Config,
        options: OpenOptions,
        random: Option<Box<dyn RandomSource>>,
    ) -> Result<Connection, Error> {
        if role == Role::Client && random.is_none() {
            return Err(Error::InvalidInput(
                "a client connection needs a random source for masking".into(),
            ));
        }
        let mut c = Connection::new(role, config, random)?;
        #[cfg(feature = "deflate")]
        if let Some(ext) = options.extensions.as_deref() {
            c.pmd = super::pmd::from_negotiated(role, &c.config, ext)?;
        }
        #[cfg(not(feature = "deflate"))]
        if options
            .extensions
            .as_deref()
            .is_some_and(|e| !e.trim().is_empty())
        {
            return Err(Error::InvalidInput(
                "extensions are not supported in this build".into(),
            ));
        }
        c.become_open(options.protocol, options.extensions, Vec::new());
        Ok(c)
    }

    /// Server: accepts the upgrade request reported by [`Event::Request`]. The 101 response
    /// is queued, [`Event::Open`] follows, and frames that arrived behind the request are processed.
    pub fn accept(&mut self, options: AcceptOptions) -> Result<(), Error> {
        let Opening::ServerAwaiting { upgrade: true, .. } = &self.opening else {
            return Err(Error::InvalidState(
                "no upgrade request is waiting for an answer",
            ));
        };
        let Opening::ServerAwaiting {
            request,
            pending,
            #[cfg(feature = "deflate")]
            pmd,
            ..
        } = core::mem::take(&mut self.opening)
        else {
            return Err(Error::InvalidState(
                "no upgrade request is waiting for an answer",
            ));
        };
        let protocol = match options.protocol {
            Some(p) if request.protocols.contains(&p) => Some(p),
            Some(p) => {
                let err = Error::InvalidInput(alloc::format!(
                    "subprotocol {p:?} was not offered by the client"
                ));
                self.opening = Opening::ServerAwaiting {
                    request,
                    upgrade: true,
                    pending,
                    #[cfg(feature = "deflate")]
                    pmd,
                };
                return Err(err);
            }
            None => select_protocol(&request.protocols, &self.config.protocols),
        };
        #[cfg(feature = "deflate")]
        let (extensions, pmd_state) = match pmd {
            Some(n) => (
                Some(n.response.clone()),
                Some(n.into_pmd(Role::Server, &self.config)),
            ),
            None => (None, None),
        };
        #[cfg(not(feature = "deflate"))]
        let extensions: Option<String> = None;
        let key = request.key.as_deref().unwrap_or_default();
        let response = match accept_response(
            key,
            protocol.as_deref(),
            extensions.as_deref(),
            &options.headers,
        ) {
            Ok(r) => r,
            Err(e) => {
                let err = Error::InvalidInput(e.to_string());
                self.opening = Opening::ServerAwaiting {
                    request,
                    upgrade: true,
                    pending,
                    #[cfg(feature = "deflate")]
                    pmd: None,
                };
                return Err(err);
            }
        };
        self.out.push(&response);
        #[cfg(feature = "deflate")]
        {
            self.pmd = pmd_state;
        }
        self.become_open(protocol, extensions, Vec::new());
        if !pending.is_empty() {
            self.read_frames(&pending);
        }
        Ok(())
    }

    /// Server: refuses the upgrade request (any status, headers and body). The response is
    /// queued and the connection closes ([`Event::Closed`] follows).
    pub fn reject(&mut self, status: u16, headers: &[Header], body: &[u8]) -> Result<(), Error> {
        if !matches!(self.opening, Opening::ServerAwaiting { .. }) {
            return Err(Error::InvalidState("no request is waiting for an answer"));
        }
        if status == 101 {
            return Err(Error::InvalidInput("use accept() to answer 101".into()));
        }
        let mut all: Vec<Header> = headers.to_vec();
        if !all
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("connection"))
        {
            all.push(Header::new("Connection", "close"));
        }
        let response = write_response(status, reason_phrase(status), &all, body)
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        self.out.push(&response);
        self.opening = Opening::Done;
        self.finish(false);
        Ok(())
    }

    /// Server: answers a plain HTTP request reported by [`Event::HttpRequest`]; the same as
    /// [`Connection::reject`] (the connection closes after the response).
    pub fn respond(&mut self, status: u16, headers: &[Header], body: &[u8]) -> Result<(), Error> {
        self.reject(status, headers, body)
    }

    /// Feeds handshake bytes; returns the bytes behind a completed handshake, to be read as frames.
    pub(super) fn receive_opening(&mut self, data: &[u8]) -> Option<Vec<u8>> {
        match &mut self.opening {
            Opening::ServerReading { buf, parser } => {
                buf.extend_from_slice(data);
                match parser.parse_request(buf) {
                    Ok(None) => None,
                    Err(e) => {
                        self.fail_http(e.status, e.reason);
                        None
                    }
                    Ok(Some((head, used))) => {
                        let pending = buf.split_off(used);
                        self.on_request(head, pending);
                        None
                    }
                }
            }
            Opening::ServerAwaiting { pending, .. } => {
                // Frames pipelined behind the request wait for the application's answer,
                // bounded like one message.
                if pending.len() + data.len() > self.config.max_message_size.saturating_add(64) {
                    self.fail(Error::InputBufferFull);
                } else {
                    pending.extend_from_slice(data);
                }
                None
            }
            Opening::ClientProxy { buf, parser, .. } => {
                buf.extend_from_slice(data);
                match parser.parse_response(buf) {
                    Ok(None) => None,
                    Err(e) => {
                        self.fail(Error::Handshake(alloc::format!("proxy: {e}")));
                        None
                    }
                    Ok(Some((head, used))) => {
                        let rest = buf.split_off(used);
                        if check_connect_response(&head).is_err() {
                            let remaining = body_remaining(&head);
                            let rejected = Rejected {
                                status: head.status,
                                reason: head.reason,
                                headers: head.headers,
                                body: Vec::new(),
                                from_proxy: true,
                            };
                            self.collect_reject_body(rejected, &rest, remaining);
                            return None;
                        }
                        let Opening::ClientProxy { request, key, .. } =
                            core::mem::take(&mut self.opening)
                        else {
                            return None;
                        };
                        self.out.push(&request);
                        self.events.push_back(Event::ProxyConnected);
                        let limits = head_limits(&self.config);
                        self.opening = Opening::ClientWaiting {
                            buf: Vec::new(),
                            parser: HeadParser::new(limits),
                            key,
                        };
                        if rest.is_empty() {
                            None
                        } else {
                            self.receive_opening(&rest)
                        }
                    }
                }
            }
            Opening::ClientWaiting { buf, parser, key } => {
                buf.extend_from_slice(data);
                let parsed = parser.parse_response(buf);
                match parsed {
                    Ok(None) => None,
                    Err(e) => {
                        self.fail(Error::Handshake(e.to_string()));
                        None
                    }
                    Ok(Some((head, used))) => {
                        let rest = buf.split_off(used);
                        let key = core::mem::take(key);
                        match validate_response(&head, &key, &self.config.protocols) {
                            Ok(accept) => {
                                let extensions = if accept.extensions.is_empty() {
                                    None
                                } else {
                                    Some(accept.extensions.join(", "))
                                };
                                if let Err(e) = self.client_accept_extensions(&accept.extensions) {
                                    self.fail(e);
                                    return None;
                                }
                                self.opening = Opening::Done;
                                self.become_open(accept.protocol, extensions, accept.headers);
                                Some(rest)
                            }
                            Err(ClientHandshakeError::Rejected { .. }) => {
                                let remaining = body_remaining(&head);
                                let rejected = Rejected {
                                    status: head.status,
                                    reason: head.reason,
                                    headers: head.headers,
                                    body: Vec::new(),
                                    from_proxy: false,
                                };
                                self.collect_reject_body(rejected, &rest, remaining);
                                None
                            }
                            Err(e) => {
                                self.fail(Error::Handshake(e.to_string()));
                                None
                            }
                        }
                    }
                }
            }
            Opening::ClientRejectBody { .. } => {
                self.continue_reject_body(data);
                None
            }
            Opening::Done => Some(data.to_vec()),
        }
    }

    fn on_request(&mut self, head: crate::handshake::http::RequestHead, pending: Vec<u8>) {
        match classify(head) {
            Err(rejection) => {
                match rejection.to_response() {
                    Ok(bytes) => self.out.push(&bytes),
                    Err(_) => self.out.push(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
                }
                self.fail(Error::Handshake(alloc::format!(
                    "{} {}",
                    rejection.status,
                    rejection.reason
                )));
            }
            Ok(Classified::PlainHttp(request)) => {
                self.events
                    .push_back(Event::HttpRequest(Box::new(request.clone())));
                self.opening = Opening::ServerAwaiting {
                    request,
                    upgrade: false,
                    pending: Vec::new(),
                    #[cfg(feature = "deflate")]
                    pmd: None,
                };
            }
            Ok(Classified::Upgrade(request)) => {
                if let Some(allowed) = &self.config.allowed_origins {
                    let ok = request
                        .origin
                        .as_ref()
                        .is_some_and(|o| allowed.iter().any(|a| a.eq_ignore_ascii_case(o)));
                    if !ok {
                        self.fail_http(403, "origin not allowed");
                        return;
                    }
                }
                #[cfg(feature = "deflate")]
                let pmd = match super::pmd::server_negotiate(&self.config, &request.extensions) {
                    Ok(n) => n,
                    Err(e) => {
                        self.fail_http(400, "malformed Sec-WebSocket-Extensions");
                        let _ = e;
                        return;
                    }
                };
                self.events
                    .push_back(Event::Request(Box::new(request.clone())));
                self.opening = Opening::ServerAwaiting {
                    request,
                    upgrade: true,
                    pending,
                    #[cfg(feature = "deflate")]
                    pmd,
                };
            }
        }
    }

    /// Server: answers an unusable request with `status` and fails the connection.
    fn fail_http(&mut self, status: u16, reason: &str) {
        let headers = [
            Header::new("Connection", "close"),
            Header::new("Content-Type", "text/plain"),
        ];
        if let Ok(bytes) =
            write_response(status, reason_phrase(status), &headers, reason.as_bytes())
        {
            self.out.push(&bytes);
        }
        self.fail(Error::Handshake(alloc::format!("{status} {reason}")));
    }

    fn collect_reject_body(&mut self, rejected: Rejected, rest: &[u8], remaining: Option<usize>) {
        self.opening = Opening::ClientRejectBody {
            rejected,
            remaining,
        };
        self.continue_reject_body(rest);
    }

    fn continue_reject_body(&mut self, data: &[u8]) {
        let max = self.config.max_reject_body;
        let Opening::ClientRejectBody {
            rejected,
            remaining,
        } = &mut self.opening
        else {
            return;
        };
        let take = remaining.map_or(data.len(), |r| r.min(data.len()));
        let room = max.saturating_sub(rejected.body.len());
        rejected.body.extend_from_slice(&data[..take.min(room)]);
        if let Some(r) = remaining {
            *r -= take;
        }
        let full = rejected.body.len() >= max;
        if *remaining == Some(0) || full {
            self.end_rejected();
        }
    }

    fn end_rejected(&mut self) {
        if let Opening::ClientRejectBody { rejected, .. } = core::mem::take(&mut self.opening) {
            self.events.push_back(Event::Rejected(Box::new(rejected)));
            self.finish(false);
        }
    }

    /// End of input during the handshake: completes a body read until close.
    /// Returns whether that was expected.
    pub(super) fn opening_eof(&mut self) -> bool {
        match &self.opening {
            Opening::ClientRejectBody { .. } => {
                self.end_rejected();
                true
            }
            Opening::ServerReading { buf, .. } if buf.is_empty() => {
                // The client connected and left without a word: not an error worth reporting.
                self.opening = Opening::Done;
                self.finish(false);
                true
            }
            _ => false,
        }
    }

    /// Forgets the handshake in progress (the application closed while connecting).
    pub(super) fn abandon_opening(&mut self) {
        self.opening = Opening::Done;
    }

    /// The opening handshake took longer than `handshake_timeout`.
    pub(super) fn opening_timed_out(&mut self) {
        if matches!(self.opening, Opening::ServerReading { .. }) {
            let headers = [Header::new("Connection", "close")];
            if let Ok(bytes) = write_response(408, reason_phrase(408), &headers, b"") {
                self.out.push(&bytes);
            }
        }
        self.opening = Opening::Done;
        self.fail(Error::HandshakeTimeout);
    }

    /// The handshake succeeded: open the connection.
    fn become_open(
        &mut self,
        protocol: Option<String>,
        extensions: Option<String>,
        headers: Vec<Header>,
    ) {
        self.phase = Phase::Open;
        self.opening = Opening::Done;
        self.protocol = protocol.clone();
        self.extensions = extensions.clone();
        self.timers.on_open();
        self.events.push_back(Event::Open(Box::new(Opened {
            protocol,
            extensions,
            headers,
        })));
    }

    fn client_extension_offer(&self) -> Option<String> {
        #[cfg(feature = "deflate")]
        {
            super::pmd::client_offer(&self.config)
        }
        #[cfg(not(feature = "deflate"))]
        {
            None
        }
    }

    /// Client: checks the extensions the server selected (only what we offered is allowed).
    fn client_accept_extensions(&mut self, values: &[String]) -> Result<(), Error> {
        #[cfg(feature = "deflate")]
        {
            self.pmd = super::pmd::client_accept(&self.config, values)?;
            Ok(())
        }
        #[cfg(not(feature = "deflate"))]
        {
            if values.iter().any(|v| !v.trim().is_empty()) {
                return Err(Error::Handshake(
                    "the server selected an extension we did not offer".into(),
                ));
            }
            Ok(())
        }
    }
}

fn head_limits(config: &Config) -> HeadLimits {
    HeadLimits {
        max_header_bytes: config.max_header_bytes,
        max_headers: config.max_headers,
    }
}

/// How many body bytes follow a refusal: a count, or `None` to read until the transport closes.
fn body_remaining(head: &crate::handshake::http::ResponseHead) -> Option<usize> {
    match response_body_length(head) {
        Ok(BodyLength::Empty) => Some(0),
        Ok(BodyLength::Length(n)) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => None,
    }
}
