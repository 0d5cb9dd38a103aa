//! WebSocket over HTTP/2 extended CONNECT (RFC 8441) and HTTP/3 (RFC 9220), for stacks that own
//! the HTTP/2 or HTTP/3 layer and hand the engine plain header lists.
//!
//! Header lists use lowercase names, pseudo-headers included (`:method`, `:protocol`, ...). There
//! is no `Sec-WebSocket-Key` / `Sec-WebSocket-Accept` exchange (RFC 8441 §5); after a 2xx the
//! stream carries WebSocket frames and the engine runs in post-handshake mode.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::client::{
    check_protocol_offers, selected_protocol, ClientHandshakeError, ClientRequestOptions,
    ServerAccept, Url,
};
use super::http::{
    check_headers, check_value, header_count, header_value, header_values, is_token, BuildError,
    Header,
};
use super::server::{
    check_offered_protocols, is_version_13, version_rejection, Rejection, Request,
};
use super::uri::is_valid_host_header;

fn is_pseudo(h: &Header) -> bool {
    h.name.starts_with(':')
}

/// The single value of a pseudo-header; a repeated pseudo-header is malformed (RFC 9113 §8.3).
fn pseudo<'a>(headers: &'a [Header], name: &str) -> Result<Option<&'a str>, Rejection> {
    match header_count(headers, name) {
        0 => Ok(None),
        1 => Ok(header_value(headers, name)),
        _ => Err(Rejection::new(400, "repeated pseudo-header")),
    }
}

/// Validates an extended CONNECT request (RFC 8441 §4–5, RFC 9220 §3): `:method` CONNECT,
/// `:protocol` websocket, `:scheme` http or https, a non-empty `:path`, a valid `:authority`, and
/// `sec-websocket-version: 13` (else 426 with `sec-websocket-version: 13`, as in RFC 6455 §4.2.2).
/// Every other failure is a 400.
///
/// The returned [`Request`] has method `CONNECT`, `host` from `:authority`, `key` `None`, and only
/// the regular (non-pseudo) headers in `headers`.
pub fn validate_extended_connect(headers: &[Header]) -> Result<Request, Rejection> {
    let bad = |reason: &str| Err(Rejection::new(400, reason));
    if pseudo(headers, ":method")? != Some("CONNECT") {
        return bad("extended CONNECT requires :method CONNECT");
    }
    if !pseudo(headers, ":protocol")?.is_some_and(|p| p.eq_ignore_ascii_case("websocket")) {
        return bad(":protocol must be websocket");
    }
    if !matches!(pseudo(headers, ":scheme")?, Some("http" | "https")) {
        return bad(":scheme must be http or https");
    }
    let path = match pseudo(headers, ":path")? {
        Some(p) if !p.is_empty() => p,
        _ => return bad("missing :path"),
    };
    let authority = match pseudo(headers, ":authority")? {
        Some(a) if is_valid_host_header(a) => a,
        _ => return bad("missing or invalid :authority"),
    };
    if !is_version_13(headers) {
        return Err(version_rejection("sec-websocket-version"));
    }
    let regular: Vec<Header> = headers.iter().filter(|h| !is_pseudo(h)).cloned().collect();
    let mut request = Request::from_parts(
        "CONNECT".to_string(),
        path.to_string(),
        regular,
        Some(authority.to_string()),
    );
    request.key = None;
    if !request.path.starts_with('/') {
        return bad("invalid :path");
    }
    check_offered_protocols(&request)?;
    Ok(request)
}

/// Headers forbidden in HTTP/2 and HTTP/3 (connection-specific, RFC 9113 §8.2.2) or set by the
/// builders themselves.
const H2_RESERVED: &[&str] = &[
    "connection",
    "upgrade",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "host",
    "content-length",
    "sec-websocket-key",
    "sec-websocket-accept",
    "sec-websocket-version",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
    "origin",
];

fn lowercase(headers: &[Header]) -> impl Iterator<Item = Header> + '_ {
    headers
        .iter()
        .map(|h| Header::new(h.name.to_ascii_lowercase(), h.value.clone()))
}

/// The answer to an accepted extended CONNECT: `:status: 200`, then `sec-websocket-protocol` and
/// `sec-websocket-extensions` when given, then `extra` (names lowercased; connection-specific
/// headers and the ones above are refused).
pub fn extended_connect_response(
    protocol: Option<&str>,
    extensions: Option<&str>,
    extra: &[Header],
) -> Result<Vec<Header>, BuildError> {
    if let Some(p) = protocol {
        if !is_token(p) {
            return Err(BuildError::InvalidProtocol(p.to_string()));
        }
    }
    if let Some(e) = extensions {
        check_value("sec-websocket-extensions", e)?;
    }
    check_headers(extra, H2_RESERVED)?;
    let mut out = Vec::with_capacity(3 + extra.len());
    out.push(Header::new(":status", "200"));
    if let Some(p) = protocol {
        out.push(Header::new("sec-websocket-protocol", p));
    }
    if let Some(e) = extensions {
        out.push(Header::new("sec-websocket-extensions", e));
    }
    out.extend(lowercase(extra));
    Ok(out)
}

/// The client's extended CONNECT request for `url` (RFC 8441 §5): `:method` CONNECT, `:protocol`
/// websocket, `:scheme` (`https` for `wss`, `http` for `ws`), `:path`, `:authority`,
/// `sec-websocket-version: 13`, then `origin`, `sec-websocket-protocol`,
/// `sec-websocket-extensions` from `opts`, then the extra headers (names lowercased).
pub fn extended_connect_request(
    url: &Url,
    opts: &ClientRequestOptions,
) -> Result<Vec<Header>, BuildError> {
    let authority = url.host_header();
    if !is_valid_host_header(&authority)
        || !url.resource.starts_with('/')
        || !url.resource.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(BuildError::InvalidTarget);
    }
    check_protocol_offers(&opts.protocols)?;
    if let Some(o) = &opts.origin {
        check_value("origin", o)?;
    }
    if let Some(e) = &opts.extensions {
        check_value("sec-websocket-extensions", e)?;
    }
    check_headers(&opts.headers, H2_RESERVED)?;
    let scheme = if url.secure { "https" } else { "http" };
    let mut out = alloc::vec![
        Header::new(":method", "CONNECT"),
        Header::new(":protocol", "websocket"),
        Header::new(":scheme", scheme),
        Header::new(":path", url.resource.clone()),
        Header::new(":authority", authority),
        Header::new("sec-websocket-version", "13"),
    ];
    if let Some(o) = &opts.origin {
        out.push(Header::new("origin", o.clone()));
    }
    if !opts.protocols.is_empty() {
        out.push(Header::new(
            "sec-websocket-protocol",
            opts.protocols.join(", "),
        ));
    }
    if let Some(e) = &opts.extensions {
        out.push(Header::new("sec-websocket-extensions", e.clone()));
    }
    out.extend(lowercase(&opts.headers));
    Ok(out)
}

/// Validates the server's answer to our extended CONNECT: a 2xx `:status` (else
/// [`ClientHandshakeError::Rejected`]; a missing or malformed one is
/// [`ClientHandshakeError::InvalidStatus`]) and a subprotocol we offered, if any.
///
/// `headers` of the result are the regular (non-pseudo) headers.
pub fn validate_extended_connect_response<S: AsRef<str>>(
    headers: &[Header],
    offered_protocols: &[S],
) -> Result<ServerAccept, ClientHandshakeError> {
    let status = match header_value(headers, ":status") {
        Some(s) if s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) => s
            .parse::<u16>()
            .map_err(|_| ClientHandshakeError::InvalidStatus)?,
        _ => return Err(ClientHandshakeError::InvalidStatus),
    };
    if header_count(headers, ":status") != 1 {
        return Err(ClientHandshakeError::InvalidStatus);
    }
    if !(200..300).contains(&status) {
        return Err(ClientHandshakeError::Rejected { status });
    }
    let protocol = selected_protocol(headers, offered_protocols)?;
    Ok(ServerAccept {
        protocol,
        extensions: header_values(headers, "sec-websocket-extensions")
            .map(String::from)
            .collect(),
        headers: headers.iter().filter(|h| !is_pseudo(h)).cloned().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::client::parse_url;
    use alloc::vec;

    fn hs(pairs: &[(&str, &str)]) -> Vec<Header> {
        pairs.iter().map(|(n, v)| Header::new(*n, *v)).collect()
    }

    const GOOD: &[(&str, &str)] = &[
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":path", "/chat?room=1"),
        (":authority", "server.example.com"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-protocol", "chat, superchat"),
        ("sec-websocket-extensions", "permessage-deflate"),
        ("origin", "http://www.example.com"),
    ];

    fn replace(name: &str, value: Option<&str>) -> Vec<Header> {
        let mut h: Vec<Header> = hs(GOOD).into_iter().filter(|h| h.name != name).collect();
        if let Some(v) = value {
            h.push(Header::new(name, v));
        }
        h
    }

    #[test]
    fn valid_request() {
        let r = validate_extended_connect(&hs(GOOD)).unwrap();
        assert_eq!(r.method, "CONNECT");
        assert_eq!(r.target, "/chat?room=1");
        assert_eq!(r.path, "/chat");
        assert_eq!(r.query.as_deref(), Some("room=1"));
        assert_eq!(r.host.as_deref(), Some("server.example.com"));
        assert_eq!(r.origin.as_deref(), Some("http://www.example.com"));
        assert_eq!(r.key, None);
        assert_eq!(r.protocols, ["chat", "superchat"]);
        assert_eq!(r.extensions, ["permessage-deflate"]);
        assert_eq!(r.headers.len(), 4);
    }

    #[test]
    fn request_rejections() {
        for (name, value) in [
            (":method", Some("GET")),
            (":method", None),
            (":protocol", None),
            (":protocol", Some("connect-udp")),
            (":scheme", Some("ws")),
            (":scheme", None),
            (":path", Some("")),
            (":path", None),
            (":path", Some("*")),
            (":authority", None),
            (":authority", Some("")),
            (":authority", Some("a b")),
            ("sec-websocket-protocol", Some("a b")),
        ] {
            let err = validate_extended_connect(&replace(name, value)).unwrap_err();
            assert_eq!(err.status, 400, "{name} {value:?}");
        }
        let mut dup = hs(GOOD);
        dup.push(Header::new(":path", "/other"));
        assert_eq!(validate_extended_connect(&dup).unwrap_err().status, 400);
        for v in [None, Some("8")] {
            let err = validate_extended_connect(&replace("sec-websocket-version", v)).unwrap_err();
            assert_eq!(err.status, 426);
            assert_eq!(err.headers, hs(&[("sec-websocket-version", "13")]));
        }
    }

    #[test]
    fn response_headers() {
        let out = extended_connect_response(
            Some("chat"),
            Some("permessage-deflate"),
            &[Header::new("X-Server", "a")],
        )
        .unwrap();
        assert_eq!(
            out,
            hs(&[
                (":status", "200"),
                ("sec-websocket-protocol", "chat"),
                ("sec-websocket-extensions", "permessage-deflate"),
                ("x-server", "a"),
            ])
        );
        assert_eq!(
            extended_connect_response(None, None, &[]).unwrap(),
            hs(&[(":status", "200")])
        );
        assert!(extended_connect_response(Some("a b"), None, &[]).is_err());
        assert!(extended_connect_response(None, Some("a\r\n"), &[]).is_err());
        assert!(extended_connect_response(None, None, &[Header::new("Connection", "x")]).is_err());
        assert!(extended_connect_response(None, None, &[Header::new(":status", "1")]).is_err());
    }

    #[test]
    fn client_request_round_trip() {
        let url = parse_url("wss://Server.example.com/chat?room=1").unwrap();
        let opts = ClientRequestOptions {
            origin: Some("http://www.example.com".into()),
            protocols: vec!["chat".into(), "superchat".into()],
            extensions: Some("permessage-deflate".into()),
            headers: vec![Header::new("User-Agent", "x")],
        };
        let req = extended_connect_request(&url, &opts).unwrap();
        assert_eq!(
            req,
            hs(&[
                (":method", "CONNECT"),
                (":protocol", "websocket"),
                (":scheme", "https"),
                (":path", "/chat?room=1"),
                (":authority", "server.example.com"),
                ("sec-websocket-version", "13"),
                ("origin", "http://www.example.com"),
                ("sec-websocket-protocol", "chat, superchat"),
                ("sec-websocket-extensions", "permessage-deflate"),
                ("user-agent", "x"),
            ])
        );
        let server_side = validate_extended_connect(&req).unwrap();
        assert_eq!(server_side.protocols, ["chat", "superchat"]);
        let ws = parse_url("ws://[::1]:8080/").unwrap();
        let req = extended_connect_request(&ws, &ClientRequestOptions::default()).unwrap();
        assert!(req.contains(&Header::new(":scheme", "http")));
        assert!(req.contains(&Header::new(":authority", "[::1]:8080")));
        let bad = ClientRequestOptions {
            headers: vec![Header::new("Upgrade", "websocket")],
            ..Default::default()
        };
        assert!(extended_connect_request(&url, &bad).is_err());
        let bad = ClientRequestOptions {
            protocols: vec!["a,b".into()],
            ..Default::default()
        };
        assert!(extended_connect_request(&url, &bad).is_err());
    }

    #[test]
    fn client_response_checks() {
        use ClientHandshakeError as E;
        let ok = hs(&[
            (":status", "200"),
            ("sec-websocket-protocol", "chat"),
            ("sec-websocket-extensions", "permessage-deflate"),
        ]);
        let a = validate_extended_connect_response(&ok, &["chat"]).unwrap();
        assert_eq!(a.protocol.as_deref(), Some("chat"));
        assert_eq!(a.extensions, ["permessage-deflate"]);
        assert_eq!(a.headers.len(), 2);
        assert_eq!(
            validate_extended_connect_response(&ok, &["v2"]).unwrap_err(),
            E::UnofferedProtocol("chat".into())
        );
        let none: &[&str] = &[];
        assert_eq!(
            validate_extended_connect_response(&hs(&[(":status", "403")]), none).unwrap_err(),
            E::Rejected { status: 403 }
        );
        for bad in [
            vec![],
            hs(&[(":status", "20")]),
            hs(&[(":status", "2x0")]),
            hs(&[(":status", "200"), (":status", "200")]),
        ] {
            assert_eq!(
                validate_extended_connect_response(&bad, none).unwrap_err(),
                E::InvalidStatus
            );
        }
        assert!(validate_extended_connect_response(&hs(&[(":status", "204")]), none).is_ok());
    }
}
