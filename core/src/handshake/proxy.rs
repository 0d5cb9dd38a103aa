//! HTTP `CONNECT` tunnelling through a proxy before the WebSocket handshake (RFC 7231 §4.3.6), as
//! browsers do when a proxy is configured.
//!
//! Flow: send [`connect_request`], parse the answer with
//! [`parse_response_head`](super::http::parse_response_head), check it with
//! [`check_connect_response`], then start the WebSocket handshake (and TLS for `wss`) over the
//! tunnel. Bytes after the response head already belong to the tunnel and must be kept: a client
//! MUST ignore `Content-Length` / `Transfer-Encoding` in a 2xx answer to CONNECT.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::http::{
    check_headers, check_value, header_values, push_header, BuildError, Header, ResponseHead,
};
use super::uri::is_valid_host;

/// Headers that [`connect_request`] sets itself.
const CONNECT_RESERVED: &[&str] = &[
    "host",
    "proxy-authorization",
    "content-length",
    "transfer-encoding",
];

/// Builds `CONNECT host:port HTTP/1.1` with `Host: host:port`, an optional
/// `Proxy-Authorization` (e.g. `Basic dXNlcjpwYXNz`) and extra headers.
///
/// `host` is a name, an IPv4 address, or an IPv6 address with or without brackets (brackets are
/// added in the authority).
pub fn connect_request(
    host: &str,
    port: u16,
    proxy_authorization: Option<&str>,
    extra: &[Header],
) -> Result<Vec<u8>, BuildError> {
    let bracketed = if host.contains(':') && !host.starts_with('[') {
        alloc::format!("[{host}]")
    } else {
        host.to_string()
    };
    if !is_valid_host(&bracketed) {
        return Err(BuildError::InvalidTarget);
    }
    if let Some(auth) = proxy_authorization {
        check_value("Proxy-Authorization", auth)?;
    }
    check_headers(extra, CONNECT_RESERVED)?;
    let authority = alloc::format!("{bracketed}:{port}");
    let mut out = Vec::with_capacity(96);
    out.extend_from_slice(b"CONNECT ");
    out.extend_from_slice(authority.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    push_header(&mut out, "Host", &authority);
    if let Some(auth) = proxy_authorization {
        push_header(&mut out, "Proxy-Authorization", auth);
    }
    for h in extra {
        push_header(&mut out, &h.name, &h.value);
    }
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

/// The proxy refused to open the tunnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyError {
    /// Status received, e.g. 407 (authentication required) or 502.
    pub status: u16,
    /// Reason phrase received.
    pub reason: String,
    /// `Proxy-Authenticate` challenges, if any (with a 407).
    pub authenticate: Vec<String>,
}

impl ProxyError {
    /// Whether the proxy asks for credentials (407).
    pub fn needs_authentication(&self) -> bool {
        self.status == 407
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "proxy refused CONNECT with {} {}",
            self.status, self.reason
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ProxyError {}

/// Checks the proxy's answer to `CONNECT`: any 2xx means the tunnel is open (RFC 7231 §4.3.6).
pub fn check_connect_response(head: &ResponseHead) -> Result<(), ProxyError> {
    if (200..300).contains(&head.status) {
        Ok(())
    } else {
        Err(ProxyError {
            status: head.status,
            reason: head.reason.clone(),
            authenticate: header_values(&head.headers, "proxy-authenticate")
                .map(str::to_string)
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::http::{parse_response_head, HeadLimits};

    #[test]
    fn request_bytes() {
        assert_eq!(
            connect_request("example.com", 443, None, &[]).unwrap(),
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
        );
        assert_eq!(
            connect_request(
                "::1",
                9000,
                Some("Basic dXNlcjpwYXNz"),
                &[Header::new("User-Agent", "x")]
            )
            .unwrap(),
            &b"CONNECT [::1]:9000 HTTP/1.1\r\nHost: [::1]:9000\r\n\
Proxy-Authorization: Basic dXNlcjpwYXNz\r\nUser-Agent: x\r\n\r\n"[..]
        );
        assert!(connect_request("[::1]", 80, None, &[])
            .unwrap()
            .starts_with(b"CONNECT [::1]:80 "));
    }

    #[test]
    fn request_validation() {
        assert_eq!(
            connect_request("a b", 80, None, &[]),
            Err(BuildError::InvalidTarget)
        );
        assert_eq!(
            connect_request("", 80, None, &[]),
            Err(BuildError::InvalidTarget)
        );
        assert_eq!(
            connect_request("h\r\nX: y", 80, None, &[]),
            Err(BuildError::InvalidTarget)
        );
        assert!(connect_request("h", 80, Some("Basic x\r\nX: y"), &[]).is_err());
        assert!(connect_request("h", 80, None, &[Header::new("Host", "x")]).is_err());
        assert!(connect_request("h", 80, None, &[Header::new("X", "\n")]).is_err());
    }

    #[test]
    fn responses() {
        let ok = b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01";
        let (head, n) = parse_response_head(ok, &HeadLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(check_connect_response(&head), Ok(()));
        // TLS bytes already sent through the tunnel are kept by the caller.
        assert_eq!(&ok[n..], b"\x16\x03\x01");

        let denied = b"HTTP/1.1 407 Proxy Authentication Required\r\n\
Proxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 0\r\n\r\n";
        let (head, _) = parse_response_head(denied, &HeadLimits::default())
            .unwrap()
            .unwrap();
        let err = check_connect_response(&head).unwrap_err();
        assert_eq!(err.status, 407);
        assert!(err.needs_authentication());
        assert_eq!(err.authenticate, ["Basic realm=\"proxy\""]);
        assert_eq!(
            err.to_string(),
            "proxy refused CONNECT with 407 Proxy Authentication Required"
        );
        let (head, _) =
            parse_response_head(b"HTTP/1.1 502 Bad Gateway\r\n\r\n", &HeadLimits::default())
                .unwrap()
                .unwrap();
        assert!(!check_connect_response(&head)
            .unwrap_err()
            .needs_authentication());
    }
}
