//! Client side of the opening handshake (RFC 6455 §4.1): parse a `ws://` / `wss://` URL, build
//! the upgrade request, and validate the server's response.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::accept_key::{accept_key, is_valid_key};
use super::http::{
    check_headers, check_value, header_count, header_has_token, header_tokens, header_value,
    header_values, is_token, push_header, BuildError, Header, ResponseHead,
};
use super::uri::{is_reg_name, is_valid_host, is_valid_host_header, split_host_port};

/// A parsed WebSocket URL (RFC 6455 §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Url {
    /// `true` for `wss`.
    pub secure: bool,
    /// Host name (ASCII-lowercased) or IP address; IPv6 without brackets.
    pub host: String,
    /// Port, explicit or the scheme default (80 for `ws`, 443 for `wss`).
    pub port: u16,
    /// Path and query, `/` if the path is empty; characters that cannot appear in a request
    /// target (space, non-ASCII, `"<>\^`{|}`) are percent-encoded.
    pub resource: String,
}

impl Url {
    /// The default port of the scheme.
    pub fn default_port(&self) -> u16 {
        if self.secure {
            443
        } else {
            80
        }
    }

    fn bracketed_host(&self) -> String {
        if self.host.contains(':') {
            alloc::format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    /// The `Host` header value: host (IPv6 in brackets), with `:port` only when it is not the
    /// scheme default (RFC 6455 §4.1 item 4).
    pub fn host_header(&self) -> String {
        if self.port == self.default_port() {
            self.bracketed_host()
        } else {
            alloc::format!("{}:{}", self.bracketed_host(), self.port)
        }
    }

    /// `host:port` with the port always present (IPv6 in brackets), e.g. for a proxy `CONNECT`.
    pub fn authority(&self) -> String {
        alloc::format!("{}:{}", self.bracketed_host(), self.port)
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "wss" } else { "ws" };
        write!(f, "{scheme}://{}{}", self.host_header(), self.resource)
    }
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// No `scheme://`.
    MissingScheme,
    /// A scheme other than `ws` or `wss`.
    UnsupportedScheme(String),
    /// `user:password@` in the authority. Refused rather than ignored so that credentials are
    /// never silently dropped; send them in an `Authorization` header instead.
    UserInfo,
    /// A `#fragment` (RFC 6455 §3: fragment identifiers MUST NOT be used).
    Fragment,
    /// No host.
    EmptyHost,
    /// A host that is neither a valid name (ASCII; convert IDNs to punycode first), an IPv4
    /// address, nor a bracketed IPv6 address.
    InvalidHost,
    /// A port that is not a number in 1–65535.
    InvalidPort,
    /// A control character in the URL.
    InvalidCharacter,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::MissingScheme => f.write_str("URL has no scheme (expected ws:// or wss://)"),
            UrlError::UnsupportedScheme(s) => {
                write!(f, "unsupported URL scheme {s:?} (expected ws or wss)")
            }
            UrlError::UserInfo => f.write_str("credentials in the URL are not supported"),
            UrlError::Fragment => f.write_str("WebSocket URLs cannot have a fragment"),
            UrlError::EmptyHost => f.write_str("URL has no host"),
            UrlError::InvalidHost => f.write_str("invalid host in URL"),
            UrlError::InvalidPort => f.write_str("invalid port in URL"),
            UrlError::InvalidCharacter => f.write_str("control character in URL"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UrlError {}

/// Parses a `ws://` or `wss://` URL (scheme case-insensitive).
///
/// Default ports are 80 / 443 (an empty port, `ws://h:/`, means the default too); IPv6 literals
/// are written in brackets (`ws://[::1]:9000/`). User info and fragments are refused, as are
/// control characters anywhere.
pub fn parse_url(s: &str) -> Result<Url, UrlError> {
    if s.chars().any(|c| c.is_ascii_control()) {
        return Err(UrlError::InvalidCharacter);
    }
    let (scheme, rest) = s.split_once("://").ok_or(UrlError::MissingScheme)?;
    let secure = if scheme.eq_ignore_ascii_case("ws") {
        false
    } else if scheme.eq_ignore_ascii_case("wss") {
        true
    } else {
        return Err(UrlError::UnsupportedScheme(scheme.to_string()));
    };
    if rest.contains('#') {
        return Err(UrlError::Fragment);
    }
    let (authority, resource) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(UrlError::UserInfo);
    }
    let (host, port) = split_host_port(authority);
    if host.is_empty() {
        return Err(UrlError::EmptyHost);
    }
    let host = if host.starts_with('[') {
        if !is_valid_host(host) {
            return Err(UrlError::InvalidHost);
        }
        host.trim_start_matches('[').trim_end_matches(']')
    } else if is_reg_name(host) {
        host
    } else {
        return Err(UrlError::InvalidHost);
    };
    let default = if secure { 443 } else { 80 };
    let port = match port {
        None | Some("") => default,
        Some(p) if p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            match p.parse::<u16>() {
                Ok(n) if n != 0 => n,
                _ => return Err(UrlError::InvalidPort),
            }
        }
        Some(_) => return Err(UrlError::InvalidPort),
    };
    let mut res = String::with_capacity(resource.len() + 1);
    if !resource.starts_with('/') {
        res.push('/');
    }
    for c in resource.chars() {
        if c.is_ascii_graphic() && !"\"<>\\^`{|}".contains(c) {
            res.push(c);
        } else {
            let mut utf8 = [0u8; 4];
            for b in c.encode_utf8(&mut utf8).bytes() {
                res.push_str(&alloc::format!("%{b:02X}"));
            }
        }
    }
    Ok(Url {
        secure,
        host: host.to_ascii_lowercase(),
        port,
        resource: res,
    })
}

/// Optional parts of the client's upgrade request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientRequestOptions {
    /// `Origin` header (browsers always send one; other clients may).
    pub origin: Option<String>,
    /// Subprotocols to offer, most preferred first; RFC 7230 tokens, unique.
    pub protocols: Vec<String>,
    /// `Sec-WebSocket-Extensions` value, e.g. from the deflate negotiator.
    pub extensions: Option<String>,
    /// Extra headers (e.g. `Authorization`, `Cookie`, `User-Agent`).
    pub headers: Vec<Header>,
}

/// Headers that [`build_request`] sets itself (or from [`ClientRequestOptions`] fields).
const REQUEST_RESERVED: &[&str] = &[
    "host",
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
    "origin",
    "content-length",
    "transfer-encoding",
];

/// Checks the offered subprotocols: tokens and unique (RFC 6455 §4.1 item 10).
pub(crate) fn check_protocol_offers(protocols: &[String]) -> Result<(), BuildError> {
    for (i, p) in protocols.iter().enumerate() {
        let duplicate = protocols.get(..i).is_some_and(|seen| seen.contains(p));
        if !is_token(p) || duplicate {
            return Err(BuildError::InvalidProtocol(p.clone()));
        }
    }
    Ok(())
}

/// Builds the upgrade request (RFC 6455 §4.1): `GET <resource> HTTP/1.1`, `Host`,
/// `Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Key`, `Sec-WebSocket-Version: 13`,
/// then `Origin`, `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` when given, then the
/// extra headers.
///
/// `key` must be a valid key (see [`key_from_nonce`](super::accept_key::key_from_nonce)).
/// Invalid values, CR/LF anywhere, or extra headers that repeat one of the above are errors.
pub fn build_request(
    url: &Url,
    key: &str,
    opts: &ClientRequestOptions,
) -> Result<Vec<u8>, BuildError> {
    let host = url.host_header();
    if !is_valid_host_header(&host)
        || url.resource.is_empty()
        || !url.resource.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(BuildError::InvalidTarget);
    }
    if !is_valid_key(key) {
        return Err(BuildError::InvalidHeaderValue("Sec-WebSocket-Key".into()));
    }
    check_protocol_offers(&opts.protocols)?;
    if let Some(o) = &opts.origin {
        check_value("Origin", o)?;
    }
    if let Some(e) = &opts.extensions {
        check_value("Sec-WebSocket-Extensions", e)?;
    }
    check_headers(&opts.headers, REQUEST_RESERVED)?;

    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"GET ");
    out.extend_from_slice(url.resource.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    push_header(&mut out, "Host", &host);
    push_header(&mut out, "Upgrade", "websocket");
    push_header(&mut out, "Connection", "Upgrade");
    push_header(&mut out, "Sec-WebSocket-Key", key);
    push_header(&mut out, "Sec-WebSocket-Version", "13");
    if let Some(o) = &opts.origin {
        push_header(&mut out, "Origin", o);
    }
    if !opts.protocols.is_empty() {
        push_header(
            &mut out,
            "Sec-WebSocket-Protocol",
            &opts.protocols.join(", "),
        );
    }
    if let Some(e) = &opts.extensions {
        push_header(&mut out, "Sec-WebSocket-Extensions", e);
    }
    for h in &opts.headers {
        push_header(&mut out, &h.name, &h.value);
    }
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

/// What the server agreed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAccept {
    /// The selected subprotocol, if any (always one we offered).
    pub protocol: Option<String>,
    /// Raw `Sec-WebSocket-Extensions` values, to be validated by the extension negotiator (which
    /// must fail the connection on an extension that was not offered, RFC 6455 §4.1 item 5).
    pub extensions: Vec<String>,
    /// All response headers.
    pub headers: Vec<Header>,
}

/// Why the client refused the server's handshake response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientHandshakeError {
    /// The server answered with another status than 101 (or, over HTTP/2 and HTTP/3, a non-2xx):
    /// a refusal, not a protocol error. The caller reports it with the response's headers and body.
    Rejected {
        /// The status received.
        status: u16,
    },
    /// A 101 that is not HTTP/1.1.
    InvalidHttpVersion,
    /// No `Upgrade: websocket`.
    MissingUpgrade,
    /// No `Connection: upgrade`.
    MissingConnection,
    /// No `Sec-WebSocket-Accept`.
    MissingAccept,
    /// More than one `Sec-WebSocket-Accept`.
    DuplicateAccept,
    /// `Sec-WebSocket-Accept` does not match our key.
    AcceptMismatch,
    /// More than one subprotocol selected.
    MultipleProtocols,
    /// A subprotocol we did not offer.
    UnofferedProtocol(String),
    /// Over HTTP/2 or HTTP/3: a missing or malformed `:status`.
    InvalidStatus,
}

impl fmt::Display for ClientHandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ClientHandshakeError as E;
        match self {
            E::Rejected { status } => write!(f, "server rejected the handshake with {status}"),
            E::InvalidHttpVersion => f.write_str("101 response is not HTTP/1.1"),
            E::MissingUpgrade => f.write_str("response lacks Upgrade: websocket"),
            E::MissingConnection => f.write_str("response lacks Connection: upgrade"),
            E::MissingAccept => f.write_str("response lacks Sec-WebSocket-Accept"),
            E::DuplicateAccept => f.write_str("response has more than one Sec-WebSocket-Accept"),
            E::AcceptMismatch => f.write_str("Sec-WebSocket-Accept does not match the key"),
            E::MultipleProtocols => f.write_str("server selected more than one subprotocol"),
            E::UnofferedProtocol(p) => write!(f, "server selected unoffered subprotocol {p:?}"),
            E::InvalidStatus => f.write_str("missing or invalid :status"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ClientHandshakeError {}

/// The subprotocol the server selected: at most one, and one we offered (RFC 6455 §4.1 item 6).
pub(crate) fn selected_protocol<S: AsRef<str>>(
    headers: &[Header],
    offered: &[S],
) -> Result<Option<String>, ClientHandshakeError> {
    let mut tokens = header_tokens(headers, "sec-websocket-protocol");
    let Some(first) = tokens.next() else {
        return Ok(None);
    };
    if tokens.next().is_some() {
        return Err(ClientHandshakeError::MultipleProtocols);
    }
    if offered.iter().any(|o| o.as_ref() == first) {
        Ok(Some(first.to_string()))
    } else {
        Err(ClientHandshakeError::UnofferedProtocol(first.to_string()))
    }
}

/// Validates the server's response to our upgrade request (RFC 6455 §4.1, client requirements
/// 1–6). `key` is the `Sec-WebSocket-Key` we sent; `offered_protocols` the subprotocols we offered.
///
/// A status other than 101 is [`ClientHandshakeError::Rejected`]; the head's remaining bytes
/// (see [`response_body_length`](super::http::response_body_length)) are its body.
pub fn validate_response<S: AsRef<str>>(
    head: &ResponseHead,
    key: &str,
    offered_protocols: &[S],
) -> Result<ServerAccept, ClientHandshakeError> {
    use ClientHandshakeError as E;
    if head.status != 101 {
        return Err(E::Rejected {
            status: head.status,
        });
    }
    if head.minor_version != 1 {
        return Err(E::InvalidHttpVersion);
    }
    let headers = &head.headers;
    if !header_has_token(headers, "upgrade", "websocket") {
        return Err(E::MissingUpgrade);
    }
    if !header_has_token(headers, "connection", "upgrade") {
        return Err(E::MissingConnection);
    }
    match header_count(headers, "sec-websocket-accept") {
        0 => return Err(E::MissingAccept),
        1 => {}
        _ => return Err(E::DuplicateAccept),
    }
    if header_value(headers, "sec-websocket-accept") != Some(accept_key(key).as_str()) {
        return Err(E::AcceptMismatch);
    }
    let protocol = selected_protocol(headers, offered_protocols)?;
    Ok(ServerAccept {
        protocol,
        extensions: header_values(headers, "sec-websocket-extensions")
            .map(str::to_string)
            .collect(),
        headers: headers.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::http::{parse_request_head, parse_response_head, HeadLimits};
    use alloc::vec;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn url(s: &str) -> Url {
        parse_url(s).unwrap()
    }

    #[test]
    fn urls() {
        let u = url("ws://Example.COM/chat?x=1");
        assert_eq!(
            u,
            Url {
                secure: false,
                host: "example.com".into(),
                port: 80,
                resource: "/chat?x=1".into()
            }
        );
        assert_eq!(u.host_header(), "example.com");
        assert_eq!(u.authority(), "example.com:80");
        let u = url("WSS://example.com");
        assert_eq!((u.secure, u.port, u.resource.as_str()), (true, 443, "/"));
        assert_eq!(url("ws://h?q").resource, "/?q");
        assert_eq!(url("ws://h:443/").host_header(), "h:443");
        assert_eq!(url("wss://h:443/").host_header(), "h");
        assert_eq!(url("wss://h:80/").host_header(), "h:80");
        assert_eq!(url("ws://h:/").port, 80);
        assert_eq!(url("ws://h:65535").port, 65535);
        assert_eq!(url("ws://127.0.0.1:9000/").host, "127.0.0.1");
        assert_eq!(url("ws://h/a b/\u{e9}").resource, "/a%20b/%C3%A9");
        assert_eq!(url("ws://h/p").to_string(), "ws://h/p");
    }

    #[test]
    fn ipv6_urls() {
        let u = url("ws://[::1]:9000/x");
        assert_eq!((u.host.as_str(), u.port), ("::1", 9000));
        assert_eq!(u.host_header(), "[::1]:9000");
        let u = url("wss://[2001:DB8::1]");
        assert_eq!(u.host, "2001:db8::1");
        assert_eq!(u.host_header(), "[2001:db8::1]");
        assert_eq!(u.authority(), "[2001:db8::1]:443");
        assert_eq!(u.to_string(), "wss://[2001:db8::1]/");
        assert_eq!(parse_url("ws://[::1/"), Err(UrlError::InvalidHost));
        assert_eq!(parse_url("ws://[::g]/"), Err(UrlError::InvalidHost));
        assert_eq!(parse_url("ws://::1/"), Err(UrlError::InvalidHost));
        assert_eq!(
            parse_url("ws://[fe80::1%25eth0]/"),
            Err(UrlError::InvalidHost)
        );
    }

    #[test]
    fn url_errors() {
        assert_eq!(parse_url("example.com"), Err(UrlError::MissingScheme));
        assert_eq!(
            parse_url("http://h/"),
            Err(UrlError::UnsupportedScheme("http".into()))
        );
        assert_eq!(parse_url("ws://u:p@h/"), Err(UrlError::UserInfo));
        assert_eq!(parse_url("ws://h/#f"), Err(UrlError::Fragment));
        assert_eq!(parse_url("ws://h#"), Err(UrlError::Fragment));
        assert_eq!(parse_url("ws:///p"), Err(UrlError::EmptyHost));
        assert_eq!(parse_url("ws://"), Err(UrlError::EmptyHost));
        assert_eq!(parse_url("ws://:80/"), Err(UrlError::EmptyHost));
        assert_eq!(parse_url("ws://h:0/"), Err(UrlError::InvalidPort));
        assert_eq!(parse_url("ws://h:65536/"), Err(UrlError::InvalidPort));
        assert_eq!(parse_url("ws://h:99999999999/"), Err(UrlError::InvalidPort));
        assert_eq!(parse_url("ws://h:x/"), Err(UrlError::InvalidPort));
        assert_eq!(parse_url("ws://h\u{e9}/"), Err(UrlError::InvalidHost));
        assert_eq!(parse_url("ws://a b/"), Err(UrlError::InvalidHost));
        assert_eq!(parse_url("ws://h/\r\n"), Err(UrlError::InvalidCharacter));
        assert_eq!(parse_url(""), Err(UrlError::MissingScheme));
    }

    #[test]
    fn request_bytes() {
        let opts = ClientRequestOptions {
            origin: Some("http://example.com".into()),
            protocols: vec!["chat".into(), "superchat".into()],
            extensions: Some("permessage-deflate; client_max_window_bits".into()),
            headers: vec![Header::new("User-Agent", "wsengine")],
        };
        let out = build_request(&url("ws://server.example.com:8080/chat"), KEY, &opts).unwrap();
        assert_eq!(
            core::str::from_utf8(&out).unwrap(),
            "GET /chat HTTP/1.1\r\nHost: server.example.com:8080\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\nOrigin: http://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
User-Agent: wsengine\r\n\r\n"
        );
        // The server side accepts what the client side builds.
        let (head, n) = parse_request_head(&out, &HeadLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(n, out.len());
        let Ok(crate::handshake::server::Classified::Upgrade(r)) =
            crate::handshake::server::classify(head)
        else {
            panic!()
        };
        assert_eq!(r.protocols, ["chat", "superchat"]);
    }

    #[test]
    fn request_validation() {
        let u = url("ws://h/");
        let opts = |f: fn(&mut ClientRequestOptions)| {
            let mut o = ClientRequestOptions::default();
            f(&mut o);
            o
        };
        assert!(build_request(&u, KEY, &ClientRequestOptions::default()).is_ok());
        assert!(build_request(&u, "short", &ClientRequestOptions::default()).is_err());
        let bad = [
            opts(|o| o.protocols = vec!["a b".into()]),
            opts(|o| o.protocols = vec!["".into()]),
            opts(|o| o.protocols = vec!["a".into(), "a".into()]),
            opts(|o| o.origin = Some("x\r\nEvil: 1".into())),
            opts(|o| o.extensions = Some("x\ny".into())),
            opts(|o| o.headers = vec![Header::new("X", "a\r\n")]),
            opts(|o| o.headers = vec![Header::new("X:", "a")]),
            opts(|o| o.headers = vec![Header::new("host", "a")]),
            opts(|o| o.headers = vec![Header::new("Sec-WebSocket-Key", "a")]),
        ];
        for o in &bad {
            assert!(build_request(&u, KEY, o).is_err(), "{o:?}");
        }
        let mut tampered = u.clone();
        tampered.resource = "/a b".into();
        assert_eq!(
            build_request(&tampered, KEY, &ClientRequestOptions::default()),
            Err(BuildError::InvalidTarget)
        );
        tampered.resource = "/".into();
        tampered.host = "a\r\nb".into();
        assert_eq!(
            build_request(&tampered, KEY, &ClientRequestOptions::default()),
            Err(BuildError::InvalidTarget)
        );
    }

    proptest::proptest! {
        #[test]
        fn url_never_panics(s in "\\PC{0,40}", t in "(ws|wss|WS)://[\\[\\]:@a-z0-9./?#%]{0,30}") {
            for input in [&s, &t] {
                if let Ok(u) = parse_url(input) {
                    // Whatever parses can be turned into a request.
                    proptest::prop_assert!(build_request(&u, KEY, &ClientRequestOptions::default()).is_ok());
                }
            }
        }
    }

    fn response(extra: &str) -> ResponseHead {
        response_with("HTTP/1.1 101 Switching Protocols\r\n", extra)
    }

    fn response_with(start: &str, extra: &str) -> ResponseHead {
        let text = alloc::format!("{start}{extra}\r\n");
        parse_response_head(text.as_bytes(), &HeadLimits::default())
            .unwrap()
            .unwrap()
            .0
    }

    const OK: &str = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";

    const NONE: &[&str] = &[];

    #[test]
    fn accepts_valid_response() {
        let text = String::from(OK)
            + "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate\r\n";
        let a = validate_response(&response(&text), KEY, &["superchat", "chat"]).unwrap();
        assert_eq!(a.protocol.as_deref(), Some("chat"));
        assert_eq!(a.extensions, ["permessage-deflate"]);
        assert_eq!(a.headers.len(), 5);
        let a = validate_response(&response(OK), KEY, &["chat"]).unwrap();
        assert_eq!(a.protocol, None);
        let text = "upgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\n\
sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
        assert!(validate_response(&response(text), KEY, NONE).is_ok());
    }

    #[test]
    fn response_errors() {
        use ClientHandshakeError as E;
        let check = |head: ResponseHead, offered: &[&str]| {
            validate_response(&head, KEY, offered).unwrap_err()
        };
        assert_eq!(
            check(response_with("HTTP/1.1 403 Forbidden\r\n", OK), NONE),
            E::Rejected { status: 403 }
        );
        assert_eq!(
            check(response_with("HTTP/1.0 101 Switching\r\n", OK), NONE),
            E::InvalidHttpVersion
        );
        let without = |name: &str| -> String {
            OK.split("\r\n")
                .filter(|l| !l.is_empty() && !l.starts_with(name))
                .map(|l| alloc::format!("{l}\r\n"))
                .collect()
        };
        assert_eq!(
            check(response(&without("Upgrade")), NONE),
            E::MissingUpgrade
        );
        assert_eq!(
            check(
                response(&(without("Connection") + "Connection: close\r\n")),
                NONE
            ),
            E::MissingConnection
        );
        assert_eq!(check(response(&without("Sec")), NONE), E::MissingAccept);
        assert_eq!(
            check(
                response(&(String::from(OK) + "Sec-WebSocket-Accept: x\r\n")),
                NONE
            ),
            E::DuplicateAccept
        );
        assert_eq!(
            check(
                response(
                    &(without("Sec") + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOA=\r\n")
                ),
                NONE
            ),
            E::AcceptMismatch
        );
        let proto = |p: &str| response(&(String::from(OK) + p));
        assert_eq!(
            check(proto("Sec-WebSocket-Protocol: chat\r\n"), NONE),
            E::UnofferedProtocol("chat".into())
        );
        assert_eq!(
            check(proto("Sec-WebSocket-Protocol: Chat\r\n"), &["chat"]),
            E::UnofferedProtocol("Chat".into())
        );
        assert_eq!(
            check(
                proto("Sec-WebSocket-Protocol: chat, v2\r\n"),
                &["chat", "v2"]
            ),
            E::MultipleProtocols
        );
        assert_eq!(
            check(
                proto("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: v2\r\n"),
                &["chat", "v2"]
            ),
            E::MultipleProtocols
        );
        // Every error has a message.
        assert!(!E::AcceptMismatch.to_string().is_empty());
    }
}
