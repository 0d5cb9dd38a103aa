//! Server side of the opening handshake (RFC 6455 §4.2): classify a parsed request head as a
//! WebSocket upgrade or a plain HTTP request, build the `101` answer or a rejection, and choose a
//! subprotocol.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::accept_key::{accept_key, is_valid_key};
use super::http::{
    check_headers, check_value, header_count, header_has_token, header_tokens, header_value,
    header_values, is_token, push_header, reason_phrase, write_response, BuildError, Header,
    HttpError, RequestHead,
};
use super::uri::{is_valid_host_header, split_target};

/// A request, as seen by the application (to accept or refuse an upgrade, or to serve plain HTTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method, e.g. `GET` (`CONNECT` for RFC 8441 / RFC 9220 requests).
    pub method: String,
    /// Request target exactly as sent (path and query).
    pub target: String,
    /// Path part of the target, `/` if empty; not percent-decoded.
    pub path: String,
    /// Query part of the target, without the `?`.
    pub query: Option<String>,
    /// All header fields in the order received (for HTTP/2 and HTTP/3: without pseudo-headers).
    pub headers: Vec<Header>,
    /// `Host` header (`:authority` for HTTP/2 and HTTP/3).
    pub host: Option<String>,
    /// `Origin` header.
    pub origin: Option<String>,
    /// `Sec-WebSocket-Key` (HTTP/1.1 upgrades only).
    pub key: Option<String>,
    /// Subprotocols offered, from every `Sec-WebSocket-Protocol` header, split and trimmed.
    pub protocols: Vec<String>,
    /// Raw `Sec-WebSocket-Extensions` header values, for the extension negotiator.
    pub extensions: Vec<String>,
}

impl Request {
    /// Builds a request from its parts, reading the WebSocket-related headers.
    pub(crate) fn from_parts(
        method: String,
        target: String,
        headers: Vec<Header>,
        host: Option<String>,
    ) -> Self {
        let (path, query) = match split_target(&target) {
            Some((p, q)) => (p, q),
            None => (target.clone(), None),
        };
        Request {
            origin: header_value(&headers, "origin").map(str::to_string),
            key: header_value(&headers, "sec-websocket-key").map(str::to_string),
            protocols: header_tokens(&headers, "sec-websocket-protocol")
                .map(str::to_string)
                .collect(),
            extensions: header_values(&headers, "sec-websocket-extensions")
                .map(str::to_string)
                .collect(),
            method,
            target,
            path,
            query,
            headers,
            host,
        }
    }
}

/// What a request head turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classified {
    /// A valid WebSocket upgrade request; answer with [`accept_response`] or a [`Rejection`].
    Upgrade(Request),
    /// A valid HTTP request that does not ask for a WebSocket upgrade (e.g. a health check); the
    /// application may answer it with [`write_response`].
    PlainHttp(Request),
}

/// A refused request: the status, a human-readable reason (sent as the body) and extra headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// HTTP status to answer with.
    pub status: u16,
    /// Why; sent as a `text/plain` body.
    pub reason: String,
    /// Extra headers, e.g. `Sec-WebSocket-Version: 13` with a 426.
    pub headers: Vec<Header>,
}

impl Rejection {
    /// A rejection without extra headers.
    pub fn new(status: u16, reason: impl Into<String>) -> Self {
        Rejection {
            status,
            reason: reason.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a header to the rejection.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(Header::new(name, value));
        self
    }

    /// Serialises the rejection: status line with the standard reason phrase, the extra headers,
    /// `Connection: close` (unless given), `Content-Type: text/plain; charset=utf-8`, and the
    /// reason as UTF-8 body. Fails only if caller-supplied headers are invalid.
    pub fn to_response(&self) -> Result<Vec<u8>, BuildError> {
        let mut headers = self.headers.clone();
        if header_count(&headers, "connection") == 0 {
            headers.push(Header::new("Connection", "close"));
        }
        if header_count(&headers, "content-type") == 0 {
            headers.push(Header::new("Content-Type", "text/plain; charset=utf-8"));
        }
        let phrase = match reason_phrase(self.status) {
            "" => "Error",
            p => p,
        };
        write_response(self.status, phrase, &headers, self.reason.as_bytes())
    }
}

impl From<HttpError> for Rejection {
    fn from(e: HttpError) -> Self {
        Rejection::new(e.status, e.reason)
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "handshake rejected with {}: {}",
            self.status, self.reason
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Rejection {}

/// The rejection for a missing or unsupported `Sec-WebSocket-Version` (RFC 6455 §4.2.2: 426 and
/// the versions we support).
pub(crate) fn version_rejection(name: &str) -> Rejection {
    Rejection::new(426, "unsupported or missing Sec-WebSocket-Version; use 13")
        .with_header(name, "13")
}

/// Whether the `Sec-WebSocket-Version` headers say exactly `13` (RFC 6455 §4.1 item 9).
pub(crate) fn is_version_13(headers: &[Header]) -> bool {
    let mut tokens = header_tokens(headers, "sec-websocket-version");
    tokens.next() == Some("13") && tokens.next().is_none()
}

/// Checks that every offered subprotocol is a token (RFC 6455 §4.1 item 10).
pub(crate) fn check_offered_protocols(request: &Request) -> Result<(), Rejection> {
    match request.protocols.iter().find(|p| !is_token(p)) {
        Some(_) => Err(Rejection::new(400, "invalid Sec-WebSocket-Protocol")),
        None => Ok(()),
    }
}

/// Classifies a parsed request head and, for upgrade attempts, validates it (RFC 6455 §4.2.1).
///
/// - An HTTP/1.1 request must have exactly one valid `Host` (RFC 7230 §5.4), else 400.
/// - A request is an upgrade attempt when an `Upgrade` header lists `websocket`. In HTTP/1.0 the
///   `Upgrade` header is ignored (RFC 7230 §6.7), so such a request is [`Classified::PlainHttp`].
/// - An upgrade attempt must be a `GET` (else 405 with `Allow: GET`), have a path target, a
///   `Connection` header listing `upgrade`, `Sec-WebSocket-Version: 13` (else 426 with
///   `Sec-WebSocket-Version: 13`), exactly one `Sec-WebSocket-Key` that is base64 of 16 bytes, and
///   token-valued subprotocol offers; every other failure is a 400.
pub fn classify(head: RequestHead) -> Result<Classified, Rejection> {
    let RequestHead {
        method,
        target,
        minor_version,
        headers,
    } = head;
    if minor_version >= 1 {
        match header_count(&headers, "host") {
            0 => return Err(Rejection::new(400, "missing Host header")),
            1 => {}
            _ => return Err(Rejection::new(400, "more than one Host header")),
        }
    }
    let host = header_value(&headers, "host").map(str::to_string);
    if let Some(h) = &host {
        if !is_valid_host_header(h) {
            return Err(Rejection::new(400, "invalid Host header"));
        }
    }
    let upgrade = minor_version >= 1 && header_has_token(&headers, "upgrade", "websocket");
    let request = Request::from_parts(method, target, headers, host);
    if !upgrade {
        return Ok(Classified::PlainHttp(request));
    }
    if request.method != "GET" {
        return Err(
            Rejection::new(405, "WebSocket upgrade requires GET").with_header("Allow", "GET")
        );
    }
    if !request.path.starts_with('/') {
        return Err(Rejection::new(400, "invalid request target"));
    }
    if !header_has_token(&request.headers, "connection", "upgrade") {
        return Err(Rejection::new(
            400,
            "Connection header must include upgrade",
        ));
    }
    if !is_version_13(&request.headers) {
        return Err(version_rejection("Sec-WebSocket-Version"));
    }
    if header_count(&request.headers, "sec-websocket-key") != 1 {
        return Err(Rejection::new(
            400,
            "expected exactly one Sec-WebSocket-Key",
        ));
    }
    if !request.key.as_deref().is_some_and(is_valid_key) {
        return Err(Rejection::new(400, "invalid Sec-WebSocket-Key"));
    }
    check_offered_protocols(&request)?;
    Ok(Classified::Upgrade(request))
}

/// Headers that [`accept_response`] sets itself.
const ACCEPT_RESERVED: &[&str] = &[
    "upgrade",
    "connection",
    "sec-websocket-accept",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
    "content-length",
    "transfer-encoding",
];

/// Builds the `HTTP/1.1 101 Switching Protocols` answer (RFC 6455 §4.2.2 step 5): `Upgrade`,
/// `Connection`, `Sec-WebSocket-Accept` for `key`, the selected subprotocol and extensions if any,
/// then `extra` headers (which may not repeat any of those).
pub fn accept_response(
    key: &str,
    protocol: Option<&str>,
    extensions: Option<&str>,
    extra: &[Header],
) -> Result<Vec<u8>, BuildError> {
    if let Some(p) = protocol {
        if !is_token(p) {
            return Err(BuildError::InvalidProtocol(p.to_string()));
        }
    }
    if let Some(e) = extensions {
        check_value("Sec-WebSocket-Extensions", e)?;
    }
    check_headers(extra, ACCEPT_RESERVED)?;
    let mut out = Vec::with_capacity(160);
    out.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\n");
    push_header(&mut out, "Upgrade", "websocket");
    push_header(&mut out, "Connection", "Upgrade");
    push_header(&mut out, "Sec-WebSocket-Accept", &accept_key(key));
    if let Some(p) = protocol {
        push_header(&mut out, "Sec-WebSocket-Protocol", p);
    }
    if let Some(e) = extensions {
        push_header(&mut out, "Sec-WebSocket-Extensions", e);
    }
    for h in extra {
        push_header(&mut out, &h.name, &h.value);
    }
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

/// The subprotocol to select: the first entry of the server's `preference` list that the client
/// `offered` (compared exactly; subprotocol names are case-sensitive), or `None`.
pub fn select_protocol<A: AsRef<str>, B: AsRef<str>>(
    offered: &[A],
    preference: &[B],
) -> Option<String> {
    preference
        .iter()
        .map(AsRef::as_ref)
        .find(|p| offered.iter().any(|o| o.as_ref() == *p))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::http::{parse_request_head, parse_response_head, HeadLimits};
    use alloc::vec;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn head(extra: &str) -> RequestHead {
        head_with("GET /chat?room=1 HTTP/1.1\r\n", extra)
    }

    fn head_with(start: &str, extra: &str) -> RequestHead {
        let text = alloc::format!("{start}{extra}\r\n");
        parse_request_head(text.as_bytes(), &HeadLimits::default())
            .unwrap()
            .unwrap()
            .0
    }

    const GOOD: &str = "Host: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Protocol: v3\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
Sec-WebSocket-Version: 13\r\n";

    fn without(name: &str) -> String {
        GOOD.split("\r\n")
            .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with(name))
            .map(|l| alloc::format!("{l}\r\n"))
            .collect()
    }

    fn rejected(h: RequestHead) -> Rejection {
        classify(h).unwrap_err()
    }

    #[test]
    fn valid_upgrade() {
        let Classified::Upgrade(r) = classify(head(GOOD)).unwrap() else {
            panic!("not an upgrade");
        };
        assert_eq!(r.method, "GET");
        assert_eq!(r.target, "/chat?room=1");
        assert_eq!(r.path, "/chat");
        assert_eq!(r.query.as_deref(), Some("room=1"));
        assert_eq!(r.host.as_deref(), Some("server.example.com"));
        assert_eq!(r.origin.as_deref(), Some("http://example.com"));
        assert_eq!(r.key.as_deref(), Some(KEY));
        assert_eq!(r.protocols, ["chat", "superchat", "v3"]);
        assert_eq!(r.extensions, ["permessage-deflate; client_max_window_bits"]);
        assert_eq!(r.headers.len(), 9);
    }

    #[test]
    fn token_lists_in_connection_and_upgrade() {
        let text = without("connection") + "Connection: keep-alive, Upgrade\r\n";
        assert!(matches!(classify(head(&text)), Ok(Classified::Upgrade(_))));
        let text = without("connection") + "Connection: keep-alive\r\nConnection: upgrade\r\n";
        assert!(matches!(classify(head(&text)), Ok(Classified::Upgrade(_))));
        let text = without("upgrade") + "Upgrade: h2c, WebSocket\r\n";
        assert!(matches!(classify(head(&text)), Ok(Classified::Upgrade(_))));
    }

    #[test]
    fn plain_http() {
        let r = classify(head("Host: a\r\n")).unwrap();
        assert!(matches!(r, Classified::PlainHttp(ref q) if q.path == "/chat"));
        let text = without("upgrade") + "Upgrade: h2c\r\n";
        assert!(matches!(
            classify(head(&text)),
            Ok(Classified::PlainHttp(_))
        ));
        // HTTP/1.0 ignores Upgrade (RFC 7230 §6.7) and needs no Host.
        let h = head_with("GET / HTTP/1.0\r\n", "Upgrade: websocket\r\n");
        assert!(matches!(classify(h), Ok(Classified::PlainHttp(_))));
        // Plain requests may use any method and target.
        let h = head_with("OPTIONS * HTTP/1.1\r\n", "Host: a\r\n");
        let Ok(Classified::PlainHttp(r)) = classify(h) else {
            panic!()
        };
        assert_eq!((r.path.as_str(), r.query), ("*", None));
    }

    #[test]
    fn host_rules() {
        assert_eq!(rejected(head(&without("host"))).status, 400);
        assert_eq!(rejected(head("Upgrade: x\r\n")).status, 400);
        let dup = String::from(GOOD) + "Host: other\r\n";
        assert_eq!(rejected(head(&dup)).status, 400);
        let bad = without("host") + "Host: a b\r\n";
        assert_eq!(rejected(head(&bad)).reason, "invalid Host header");
        let empty = without("host") + "Host:\r\n";
        assert_eq!(rejected(head(&empty)).status, 400);
        let v6 = without("host") + "Host: [::1]:9000\r\n";
        assert!(matches!(classify(head(&v6)), Ok(Classified::Upgrade(_))));
    }

    #[test]
    fn method_and_target() {
        let r = rejected(head_with("POST /chat HTTP/1.1\r\n", GOOD));
        assert_eq!(r.status, 405);
        assert_eq!(r.headers, [Header::new("Allow", "GET")]);
        let r = rejected(head_with("GET * HTTP/1.1\r\n", GOOD));
        assert_eq!(r.status, 400);
        let h = head_with("GET ws://server.example.com/p HTTP/1.1\r\n", GOOD);
        let Ok(Classified::Upgrade(r)) = classify(h) else {
            panic!()
        };
        assert_eq!(r.path, "/p");
    }

    #[test]
    fn connection_must_list_upgrade() {
        let text = without("connection") + "Connection: keep-alive\r\n";
        assert_eq!(rejected(head(&text)).status, 400);
        assert_eq!(rejected(head(&without("connection"))).status, 400);
    }

    #[test]
    fn version_426() {
        for v in [
            "Sec-WebSocket-Version: 8\r\n",
            "",
            "Sec-WebSocket-Version: 13, 8\r\n",
        ] {
            let text = without("sec-websocket-version") + v;
            let r = rejected(head(&text));
            assert_eq!(r.status, 426, "{v:?}");
            assert_eq!(r.headers, [Header::new("Sec-WebSocket-Version", "13")]);
            let bytes = r.to_response().unwrap();
            let (resp, _) = parse_response_head(&bytes, &HeadLimits::default())
                .unwrap()
                .unwrap();
            assert_eq!(resp.status, 426);
            assert_eq!(
                header_value(&resp.headers, "sec-websocket-version"),
                Some("13")
            );
        }
    }

    #[test]
    fn key_rules() {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        for key in [b64.encode([1u8; 15]), b64.encode([1u8; 17]), "???".into()] {
            let text =
                without("sec-websocket-key") + &alloc::format!("Sec-WebSocket-Key: {key}\r\n");
            assert_eq!(rejected(head(&text)).reason, "invalid Sec-WebSocket-Key");
        }
        assert_eq!(rejected(head(&without("sec-websocket-key"))).status, 400);
        let dup = String::from(GOOD) + "Sec-WebSocket-Key: " + KEY + "\r\n";
        assert_eq!(rejected(head(&dup)).status, 400);
    }

    #[test]
    fn invalid_protocol_offer() {
        let text = String::from(GOOD) + "Sec-WebSocket-Protocol: a b\r\n";
        assert_eq!(
            rejected(head(&text)).reason,
            "invalid Sec-WebSocket-Protocol"
        );
    }

    #[test]
    fn rejection_bytes() {
        let r = Rejection::new(403, "origin not allowed");
        assert_eq!(
            r.to_response().unwrap(),
            b"HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 18\r\n\r\norigin not allowed"
        );
        let e: Rejection = HttpError {
            status: 431,
            reason: "too many header fields",
        }
        .into();
        assert!(e.to_response().unwrap().starts_with(b"HTTP/1.1 431 "));
        let bad = Rejection::new(400, "x").with_header("X", "a\nb");
        assert!(bad.to_response().is_err());
        assert!(Rejection::new(599, "x")
            .to_response()
            .unwrap()
            .starts_with(b"HTTP/1.1 599 Error\r\n"));
    }

    #[test]
    fn accept_bytes() {
        let out = accept_response(
            KEY,
            Some("chat"),
            Some("permessage-deflate"),
            &[Header::new("X-Server", "wsengine")],
        )
        .unwrap();
        assert_eq!(
            out,
            &b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\
Sec-WebSocket-Extensions: permessage-deflate\r\nX-Server: wsengine\r\n\r\n"[..]
        );
        let plain = accept_response(KEY, None, None, &[]).unwrap();
        assert!(plain.ends_with(b"xOo=\r\n\r\n"));
    }

    #[test]
    fn accept_validates_input() {
        assert_eq!(
            accept_response(KEY, Some("a b"), None, &[]),
            Err(BuildError::InvalidProtocol("a b".into()))
        );
        assert!(accept_response(KEY, None, Some("x\r\nEvil: 1"), &[]).is_err());
        assert_eq!(
            accept_response(KEY, None, None, &[Header::new("Sec-WebSocket-Accept", "x")]),
            Err(BuildError::ReservedHeader("Sec-WebSocket-Accept".into()))
        );
        assert!(accept_response(KEY, None, None, &[Header::new("X", "1\r\n")]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn classify_never_panics(
            method in "GET|POST|[A-Z]{1,5}",
            target in "[ -~]{0,20}",
            minor in 0u8..3,
            hdrs in proptest::collection::vec(
                ("host|upgrade|connection|sec-websocket-key|sec-websocket-version|sec-websocket-protocol|origin|:path|:method|:protocol|:scheme|:authority",
                 "[ -~\u{80}-\u{ff}]{0,30}|websocket|upgrade|13|CONNECT|https|dGhlIHNhbXBsZSBub25jZQ=="),
                0..10),
        ) {
            let headers: Vec<Header> = hdrs.iter().map(|(n, v)| Header::new(n.as_str(), v.as_str())).collect();
            let _ = crate::handshake::h2::validate_extended_connect(&headers);
            let _ = crate::handshake::h2::validate_extended_connect_response(&headers, &["chat"]);
            if let Err(r) = classify(RequestHead { method, target, minor_version: minor, headers }) {
                proptest::prop_assert!(r.to_response().is_ok());
            }
        }
    }

    #[test]
    fn protocol_selection() {
        let offered = vec!["chat".to_string(), "superchat".to_string()];
        assert_eq!(
            select_protocol(&offered, &["superchat", "chat"]),
            Some("superchat".into())
        );
        assert_eq!(
            select_protocol(&offered, &["v2", "chat"]),
            Some("chat".into())
        );
        assert_eq!(select_protocol(&offered, &["CHAT"]), None);
        assert_eq!(select_protocol::<String, &str>(&[], &["chat"]), None);
        assert_eq!(select_protocol::<String, &str>(&offered, &[]), None);
    }
}
