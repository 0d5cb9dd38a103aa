//! Shared HTTP/1.1 helpers: incremental head parsing (through `httparse`), header look-ups and
//! token lists, and response serialisation with header-injection checks.
//!
//! Everything here is a pure function over bytes; nothing keeps a socket or a clock.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// One header field, as received or as to be sent.
///
/// Received values are decoded as ISO-8859-1 (every byte becomes the char of the same code point),
/// so decoding never fails; surrounding spaces and tabs are trimmed. Names are kept as sent (they
/// are always ASCII tokens) and compared case-insensitively by every helper here.
///
/// When sending, the value is encoded back as ISO-8859-1 (as browsers' `ByteString` and Node's
/// `http` do): a char above U+00FF, or any control char other than HTAB, is refused with a
/// [`BuildError`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// Field name, e.g. `Sec-WebSocket-Key`.
    pub name: String,
    /// Field value, ISO-8859-1 decoded, without surrounding whitespace.
    pub value: String,
}

impl Header {
    /// Builds a header from anything string-like.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// Limits applied while parsing a request or response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadLimits {
    /// Maximum size of the whole head (start line, headers and the blank line), in bytes.
    /// Default 8192.
    pub max_header_bytes: usize,
    /// Maximum number of header fields. Default 64.
    pub max_headers: usize,
}

impl Default for HeadLimits {
    fn default() -> Self {
        HeadLimits {
            max_header_bytes: 8192,
            max_headers: 64,
        }
    }
}

/// A head that could not be parsed, with the HTTP status a server should answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpError {
    /// 400 (malformed), 431 (too large / too many headers) or 505 (HTTP version).
    pub status: u16,
    /// Human-readable cause.
    pub reason: &'static str,
}

impl HttpError {
    const fn new(status: u16, reason: &'static str) -> Self {
        HttpError { status, reason }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}: {}", self.status, self.reason)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for HttpError {}

/// A parsed HTTP/1.x request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// Method, e.g. `GET`.
    pub method: String,
    /// Request target exactly as sent, e.g. `/chat?room=1`.
    pub target: String,
    /// `0` for HTTP/1.0, `1` for HTTP/1.1.
    pub minor_version: u8,
    /// Header fields in the order received.
    pub headers: Vec<Header>,
}

/// A parsed HTTP/1.x response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// Status code, e.g. `101`.
    pub status: u16,
    /// Reason phrase (may be empty).
    pub reason: String,
    /// `0` for HTTP/1.0, `1` for HTTP/1.1.
    pub minor_version: u8,
    /// Header fields in the order received.
    pub headers: Vec<Header>,
}

/// Returns the length of the head in `buf` (up to and including the blank line that ends it), or
/// `None` if the blank line has not arrived yet.
///
/// `from` is a resume hint: the length of `buf` at the previous call that returned `None`
/// (use `0` the first time). Passing it makes repeated calls on a growing buffer linear overall.
/// A bare LF is accepted as a line end, as `httparse` does (RFC 7230 §3.5).
pub fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    // A terminator is "\n\n" or "\n\r\n"; it may straddle the previous end by up to 2 bytes.
    let start = from.min(buf.len()).saturating_sub(2);
    let tail = buf.get(start..)?;
    let mut offset = 0;
    while let Some(pos) = tail.get(offset..)?.iter().position(|&b| b == b'\n') {
        let i = start + offset + pos;
        match (buf.get(i + 1), buf.get(i + 2)) {
            (Some(b'\n'), _) => return Some(i + 2),
            (Some(b'\r'), Some(b'\n')) => return Some(i + 3),
            _ => offset += pos + 1,
        }
    }
    None
}

/// Incremental head parser: remembers how far the buffer has been scanned so that feeding a
/// head byte by byte costs linear time overall.
///
/// The caller keeps appending received bytes to one buffer and calls
/// [`HeadParser::parse_request`] (or [`HeadParser::parse_response`]) with the whole buffer until
/// it returns `Ok(Some((head, len)))`; the bytes from `len` on are not part of the head and belong
/// to the caller (e.g. frames pipelined behind the handshake).
#[derive(Debug, Clone, Default)]
pub struct HeadParser {
    limits: HeadLimits,
    scanned: usize,
}

impl HeadParser {
    /// A parser applying `limits`.
    pub fn new(limits: HeadLimits) -> Self {
        HeadParser { limits, scanned: 0 }
    }

    /// Parses a request head from the accumulated buffer. See [`parse_request_head`].
    pub fn parse_request(&mut self, buf: &[u8]) -> Result<Option<(RequestHead, usize)>, HttpError> {
        match self.locate(buf)? {
            Some(end) => parse_request_at(buf, end, &self.limits).map(Some),
            None => Ok(None),
        }
    }

    /// Parses a response head from the accumulated buffer. See [`parse_response_head`].
    pub fn parse_response(
        &mut self,
        buf: &[u8],
    ) -> Result<Option<(ResponseHead, usize)>, HttpError> {
        match self.locate(buf)? {
            Some(end) => parse_response_at(buf, end, &self.limits).map(Some),
            None => Ok(None),
        }
    }

    fn locate(&mut self, buf: &[u8]) -> Result<Option<usize>, HttpError> {
        if buf.len() < self.scanned {
            // The caller started over with a different buffer.
            self.scanned = 0;
        }
        let end = locate_head(buf, self.scanned, &self.limits);
        // After a head (or an error) the parser is ready for a fresh buffer.
        self.scanned = match end {
            Ok(None) => buf.len(),
            _ => 0,
        };
        end
    }

    /// Forgets the scanning progress, for reuse with a new buffer.
    pub fn reset(&mut self) {
        self.scanned = 0;
    }
}

const TOO_LARGE: HttpError = HttpError::new(431, "request header fields too large");

fn locate_head(buf: &[u8], from: usize, limits: &HeadLimits) -> Result<Option<usize>, HttpError> {
    // Only look as far as the limit allows (plus the terminator straddling it): no more work
    // than `max_header_bytes` per head, however much the peer sends.
    let window = buf
        .get(..buf.len().min(limits.max_header_bytes))
        .unwrap_or(buf);
    match head_end(window, from) {
        Some(end) => Ok(Some(end)),
        None if buf.len() >= limits.max_header_bytes => Err(TOO_LARGE),
        None => Ok(None),
    }
}

/// Parses an HTTP/1.x request head at the start of `buf`.
///
/// Returns `Ok(None)` when more bytes are needed, or the head and the number of bytes it occupies;
/// bytes after that belong to the caller. Errors carry the status to answer: 431 when the head
/// exceeds `max_header_bytes` (reported as soon as that many bytes arrived without the blank line)
/// or has more than `max_headers` fields, 505 for an HTTP version other than 1.0/1.1, 400 otherwise.
///
/// This scans `buf` from the start on every call; use [`HeadParser`] to resume where the previous
/// call stopped.
pub fn parse_request_head(
    buf: &[u8],
    limits: &HeadLimits,
) -> Result<Option<(RequestHead, usize)>, HttpError> {
    match locate_head(buf, 0, limits)? {
        Some(end) => parse_request_at(buf, end, limits).map(Some),
        None => Ok(None),
    }
}

/// Parses an HTTP/1.x response head at the start of `buf`; same contract as
/// [`parse_request_head`].
pub fn parse_response_head(
    buf: &[u8],
    limits: &HeadLimits,
) -> Result<Option<(ResponseHead, usize)>, HttpError> {
    match locate_head(buf, 0, limits)? {
        Some(end) => parse_response_at(buf, end, limits).map(Some),
        None => Ok(None),
    }
}

fn header_slots(end: usize, limits: &HeadLimits) -> Vec<httparse::Header<'static>> {
    // Each field takes at least 3 bytes ("a:\n"), so this never allocates beyond the head size.
    let n = limits.max_headers.min(end / 3 + 1);
    alloc::vec![httparse::EMPTY_HEADER; n]
}

fn map_httparse_error(e: httparse::Error) -> HttpError {
    match e {
        httparse::Error::TooManyHeaders => HttpError::new(431, "too many header fields"),
        httparse::Error::Version => HttpError::new(505, "unsupported or malformed HTTP version"),
        httparse::Error::HeaderName => HttpError::new(400, "invalid header name"),
        httparse::Error::HeaderValue => HttpError::new(400, "invalid header value"),
        httparse::Error::NewLine => HttpError::new(400, "invalid line ending"),
        httparse::Error::Status => HttpError::new(400, "invalid status line"),
        httparse::Error::Token => HttpError::new(400, "invalid request line"),
    }
}

const INCOMPLETE: HttpError = HttpError::new(400, "malformed head");

fn convert_headers(headers: &[httparse::Header<'_>]) -> Vec<Header> {
    headers
        .iter()
        .map(|h| Header {
            name: h.name.to_string(),
            value: latin1(trim_ows_bytes(h.value)),
        })
        .collect()
}

fn parse_request_at(
    buf: &[u8],
    end: usize,
    limits: &HeadLimits,
) -> Result<(RequestHead, usize), HttpError> {
    let head = buf.get(..end).ok_or(INCOMPLETE)?;
    let mut slots = header_slots(end, limits);
    let mut req = httparse::Request::new(&mut slots);
    match req.parse(head).map_err(map_httparse_error)? {
        httparse::Status::Complete(n) => Ok((
            RequestHead {
                method: req.method.unwrap_or("").to_string(),
                target: req.path.unwrap_or("").to_string(),
                minor_version: req.version.unwrap_or(0),
                headers: convert_headers(req.headers),
            },
            n,
        )),
        httparse::Status::Partial => Err(INCOMPLETE),
    }
}

fn parse_response_at(
    buf: &[u8],
    end: usize,
    limits: &HeadLimits,
) -> Result<(ResponseHead, usize), HttpError> {
    let head = buf.get(..end).ok_or(INCOMPLETE)?;
    let mut slots = header_slots(end, limits);
    let mut resp = httparse::Response::new(&mut slots);
    match resp.parse(head).map_err(map_httparse_error)? {
        httparse::Status::Complete(n) => Ok((
            ResponseHead {
                status: resp.code.unwrap_or(0),
                reason: resp.reason.unwrap_or("").to_string(),
                minor_version: resp.version.unwrap_or(0),
                headers: convert_headers(resp.headers),
            },
            n,
        )),
        httparse::Status::Partial => Err(INCOMPLETE),
    }
}

fn trim_ows_bytes(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Trims optional whitespace (SP / HTAB) around a header element.
pub(crate) fn trim_ows(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

// ---------------------------------------------------------------------------------------------
// Look-ups and token lists
// ---------------------------------------------------------------------------------------------

/// Values of every header named `name` (case-insensitive), in order.
pub fn header_values<'a>(headers: &'a [Header], name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// The value of the first header named `name` (case-insensitive).
pub fn header_value<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// How many headers are named `name` (case-insensitive).
pub fn header_count(headers: &[Header], name: &str) -> usize {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(name))
        .count()
}

/// The elements of the comma-separated lists in every header named `name`, trimmed, empty
/// elements skipped (RFC 7230 §7: a recipient accepts empty list elements and repeated fields).
pub fn header_tokens<'a>(headers: &'a [Header], name: &'a str) -> impl Iterator<Item = &'a str> {
    header_values(headers, name)
        .flat_map(|v| v.split(','))
        .map(trim_ows)
        .filter(|t| !t.is_empty())
}

/// Whether any header named `name` lists `token` (both compared case-insensitively), e.g.
/// `Connection: keep-alive, Upgrade` has the token `upgrade`.
pub fn header_has_token(headers: &[Header], name: &str, token: &str) -> bool {
    header_tokens(headers, name).any(|t| t.eq_ignore_ascii_case(token))
}

/// Whether `s` is a non-empty RFC 7230 §3.2.6 `token`.
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// How the body after a response head is delimited (RFC 7230 §3.3.3), so a client can read the
/// body of a refused handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLength {
    /// No body (1xx, 204, 304, or `Content-Length: 0`).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked` (not decoded by this module).
    Chunked,
    /// The body runs until the connection closes.
    UntilClose,
}

/// Determines how the body of a response is delimited (RFC 7230 §3.3.3). Conflicting or invalid
/// `Content-Length` values are an error.
pub fn response_body_length(head: &ResponseHead) -> Result<BodyLength, HttpError> {
    if (100..200).contains(&head.status) || head.status == 204 || head.status == 304 {
        return Ok(BodyLength::Empty);
    }
    if header_count(&head.headers, "transfer-encoding") > 0 {
        // RFC 7230 §3.3.3 rule 3: chunked must be the final coding, else read until close.
        let last = header_tokens(&head.headers, "transfer-encoding").last();
        return Ok(match last {
            Some(t) if t.eq_ignore_ascii_case("chunked") => BodyLength::Chunked,
            _ => BodyLength::UntilClose,
        });
    }
    let mut length: Option<u64> = None;
    for v in header_tokens(&head.headers, "content-length") {
        let n = parse_decimal(v).ok_or(HttpError::new(400, "invalid Content-Length"))?;
        if length.is_some_and(|l| l != n) {
            return Err(HttpError::new(400, "conflicting Content-Length values"));
        }
        length = Some(n);
    }
    Ok(match length {
        Some(0) => BodyLength::Empty,
        Some(n) => BodyLength::Length(n),
        None => BodyLength::UntilClose,
    })
}

fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Serialisation
// ---------------------------------------------------------------------------------------------

/// Why a request, response or header list could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// The status code is not a three-digit number (100–999).
    InvalidStatus(u16),
    /// The reason phrase contains a control character or a char above U+00FF.
    InvalidReason,
    /// A header name is not an RFC 7230 token.
    InvalidHeaderName(String),
    /// A header value contains CR, LF, another control character, or a char above U+00FF.
    InvalidHeaderValue(String),
    /// The header is set by the builder itself and may not be supplied by the caller.
    ReservedHeader(String),
    /// A subprotocol is not an RFC 7230 token.
    InvalidProtocol(String),
    /// A host or request target contains characters that cannot appear there.
    InvalidTarget,
    /// A body was given for a status that cannot have one (1xx, 204, 304).
    BodyNotAllowed(u16),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidStatus(s) => write!(f, "invalid HTTP status code {s}"),
            BuildError::InvalidReason => f.write_str("invalid characters in reason phrase"),
            BuildError::InvalidHeaderName(n) => write!(f, "invalid header name {n:?}"),
            BuildError::InvalidHeaderValue(n) => write!(f, "invalid value for header {n:?}"),
            BuildError::ReservedHeader(n) => {
                write!(
                    f,
                    "header {n:?} is set by the handshake and cannot be supplied"
                )
            }
            BuildError::InvalidProtocol(p) => write!(f, "invalid subprotocol name {p:?}"),
            BuildError::InvalidTarget => f.write_str("invalid host or request target"),
            BuildError::BodyNotAllowed(s) => write!(f, "status {s} cannot have a body"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for BuildError {}

/// Whether `v` may be sent as a header value (or reason phrase): HTAB, SP, visible ASCII and
/// obs-text (U+0080–U+00FF, sent as one byte); no CR, LF or other control char.
pub fn is_valid_header_value(v: &str) -> bool {
    v.chars()
        .all(|c| c == '\t' || (' '..='~').contains(&c) || ('\u{80}'..='\u{ff}').contains(&c))
}

/// Appends `s` as ISO-8859-1; the caller has checked it with [`is_valid_header_value`].
fn push_latin1(out: &mut Vec<u8>, s: &str) {
    out.extend(
        s.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')),
    );
}

/// Checks caller-supplied headers: valid names and values, none of the `reserved` names.
pub(crate) fn check_headers(headers: &[Header], reserved: &[&str]) -> Result<(), BuildError> {
    for h in headers {
        if !is_token(&h.name) {
            return Err(BuildError::InvalidHeaderName(h.name.clone()));
        }
        if reserved.iter().any(|r| r.eq_ignore_ascii_case(&h.name)) {
            return Err(BuildError::ReservedHeader(h.name.clone()));
        }
        if !is_valid_header_value(&h.value) {
            return Err(BuildError::InvalidHeaderValue(h.name.clone()));
        }
    }
    Ok(())
}

/// Appends `name: value\r\n`; the caller has validated both.
pub(crate) fn push_header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    push_latin1(out, value);
    out.extend_from_slice(b"\r\n");
}

/// Validates a value we are about to send under `name`.
pub(crate) fn check_value(name: &str, value: &str) -> Result<(), BuildError> {
    if is_valid_header_value(value) {
        Ok(())
    } else {
        Err(BuildError::InvalidHeaderValue(name.to_string()))
    }
}

/// Headers that [`write_response`] computes itself.
const RESPONSE_RESERVED: &[&str] = &["content-length", "transfer-encoding"];

/// Serialises `HTTP/1.1 <status> <reason>`, the headers, a computed `Content-Length` (except for
/// 1xx, 204 and 304, which cannot carry one — RFC 7230 §3.3.2), the blank line and the body.
///
/// Headers are validated, not silently dropped: a name that is not a token, a value with CR, LF or
/// another control char (header injection), or a `Content-Length` / `Transfer-Encoding` supplied
/// by the caller is a [`BuildError`].
pub fn write_response(
    status: u16,
    reason: &str,
    headers: &[Header],
    body: &[u8],
) -> Result<Vec<u8>, BuildError> {
    if !(100..=999).contains(&status) {
        return Err(BuildError::InvalidStatus(status));
    }
    if !is_valid_header_value(reason) {
        return Err(BuildError::InvalidReason);
    }
    check_headers(headers, RESPONSE_RESERVED)?;
    let bodyless = (100..200).contains(&status) || status == 204 || status == 304;
    if bodyless && !body.is_empty() {
        return Err(BuildError::BodyNotAllowed(status));
    }
    let mut out = Vec::with_capacity(64 + body.len() + headers.len() * 32);
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(alloc::format!("{status} ").as_bytes());
    push_latin1(&mut out, reason);
    out.extend_from_slice(b"\r\n");
    for h in headers {
        push_header(&mut out, &h.name, &h.value);
    }
    if !bodyless {
        push_header(
            &mut out,
            "Content-Length",
            &alloc::format!("{}", body.len()),
        );
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    Ok(out)
}

/// The standard reason phrase for common status codes; `""` for others (an empty reason phrase
/// is valid, RFC 7230 §3.1.2).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        414 => "URI Too Long",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const REQ: &[u8] = b"GET /chat?x=1 HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nX-Latin: caf\xe9 \r\n\r\n";

    fn h(n: &str, v: &str) -> Header {
        Header::new(n, v)
    }

    #[test]
    fn parses_request_and_keeps_trailing_bytes() {
        let mut buf = REQ.to_vec();
        buf.extend_from_slice(b"\x81\x05hello");
        let (head, n) = parse_request_head(&buf, &HeadLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(n, REQ.len());
        assert_eq!(&buf[n..], b"\x81\x05hello");
        assert_eq!(head.method, "GET");
        assert_eq!(head.target, "/chat?x=1");
        assert_eq!(head.minor_version, 1);
        assert_eq!(head.headers.len(), 4);
        assert_eq!(header_value(&head.headers, "x-latin"), Some("café"));
    }

    #[test]
    fn incomplete_head_needs_more() {
        for i in 0..REQ.len() {
            assert_eq!(
                parse_request_head(&REQ[..i], &HeadLimits::default()),
                Ok(None),
                "prefix {i}"
            );
        }
    }

    #[test]
    fn byte_by_byte_matches_one_shot() {
        let mut tail = REQ.to_vec();
        tail.extend_from_slice(b"\r\n\r\nGARBAGE");
        let one_shot = parse_request_head(&tail, &HeadLimits::default())
            .unwrap()
            .unwrap();
        let mut parser = HeadParser::new(HeadLimits::default());
        let mut buf = Vec::new();
        let mut result = None;
        for &b in &tail {
            buf.push(b);
            if let Some(r) = parser.parse_request(&buf).unwrap() {
                result = Some(r);
                break;
            }
        }
        let (head, n) = result.unwrap();
        assert_eq!(n, REQ.len());
        assert_eq!((head, n), one_shot);
    }

    #[test]
    fn bare_lf_heads_are_accepted() {
        let buf = b"GET / HTTP/1.1\nHost: a\n\nrest";
        let (head, n) = parse_request_head(buf, &HeadLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(&buf[n..], b"rest");
        assert_eq!(header_value(&head.headers, "host"), Some("a"));
        let mut p = HeadParser::default();
        let mut acc = Vec::new();
        let mut got = None;
        for &b in buf.iter() {
            acc.push(b);
            if let Some(r) = p.parse_request(&acc).unwrap() {
                got = Some(r.1);
                break;
            }
        }
        assert_eq!(got, Some(n));
    }

    #[test]
    fn head_end_resumes() {
        let buf = b"GET / HTTP/1.1\r\n\r\nX";
        for from in 0..buf.len() {
            // Resuming from any earlier prefix length finds the same end.
            let prefix_none = head_end(&buf[..from], 0).is_none();
            if prefix_none {
                assert_eq!(head_end(buf, from), Some(18));
            }
        }
        assert_eq!(head_end(b"", 5), None);
    }

    #[test]
    fn oversized_head_is_431_without_terminator() {
        let limits = HeadLimits {
            max_header_bytes: 64,
            max_headers: 64,
        };
        let mut buf = b"GET / HTTP/1.1\r\nX: ".to_vec();
        buf.resize(63, b'a');
        assert_eq!(parse_request_head(&buf, &limits), Ok(None));
        buf.push(b'a');
        assert_eq!(parse_request_head(&buf, &limits).unwrap_err().status, 431);
        // Terminator beyond the limit is still too large.
        buf.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse_request_head(&buf, &limits).unwrap_err().status, 431);
        let mut p = HeadParser::new(limits);
        assert_eq!(p.parse_request(&buf).unwrap_err().status, 431);
    }

    #[test]
    fn head_exactly_at_limit_is_accepted() {
        let buf = b"GET / HTTP/1.1\r\n\r\n";
        let limits = HeadLimits {
            max_header_bytes: buf.len(),
            max_headers: 1,
        };
        assert!(parse_request_head(buf, &limits).unwrap().is_some());
    }

    #[test]
    fn too_many_headers_is_431() {
        let limits = HeadLimits {
            max_header_bytes: 8192,
            max_headers: 3,
        };
        let ok = b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        assert!(parse_request_head(ok, &limits).unwrap().is_some());
        let bad = b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
        assert_eq!(parse_request_head(bad, &limits).unwrap_err().status, 431);
        let zero = HeadLimits {
            max_header_bytes: 8192,
            max_headers: 0,
        };
        assert_eq!(parse_request_head(ok, &zero).unwrap_err().status, 431);
    }

    #[test]
    fn malformed_is_400() {
        for bad in [
            &b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
            b"G\x01T / HTTP/1.1\r\n\r\n",
            b"\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
        ] {
            let err = parse_request_head(bad, &HeadLimits::default()).unwrap_err();
            assert_eq!(err.status, 400, "{:?}", core::str::from_utf8(bad));
        }
        let v = parse_request_head(b"GET / HTTP/2.0\r\n\r\n", &HeadLimits::default());
        assert_eq!(v.unwrap_err().status, 505);
    }

    #[test]
    fn parses_response() {
        let buf = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00";
        let (head, n) = parse_response_head(buf, &HeadLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(head.status, 101);
        assert_eq!(head.reason, "Switching Protocols");
        assert_eq!(head.minor_version, 1);
        assert_eq!(&buf[n..], b"\x81\x00");
        assert_eq!(
            parse_response_head(b"HTTP/1.1 10x OK\r\n\r\n", &HeadLimits::default())
                .unwrap_err()
                .status,
            400
        );
        let mut p = HeadParser::default();
        assert_eq!(p.parse_response(&buf[..10]), Ok(None));
        assert_eq!(p.parse_response(buf).unwrap().unwrap().1, n);
    }

    #[test]
    fn token_lists() {
        let hs = vec![
            h("Connection", "keep-alive, Upgrade"),
            h("X", " a ,, b\t"),
            h("x", "c"),
        ];
        assert!(header_has_token(&hs, "connection", "upgrade"));
        assert!(header_has_token(&hs, "CONNECTION", "Keep-Alive"));
        assert!(!header_has_token(&hs, "connection", "close"));
        assert_eq!(header_tokens(&hs, "x").collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(header_values(&hs, "X").count(), 2);
        assert_eq!(header_value(&hs, "x"), Some(" a ,, b\t"));
        assert_eq!(header_count(&hs, "x"), 2);
        assert_eq!(header_value(&hs, "y"), None);
        let repeated = vec![h("Connection", "keep-alive"), h("connection", "upgrade")];
        assert!(header_has_token(&repeated, "Connection", "Upgrade"));
    }

    #[test]
    fn writes_response() {
        let out = write_response(404, "Not Found", &[h("X-A", "b")], b"nope").unwrap();
        assert_eq!(
            out,
            b"HTTP/1.1 404 Not Found\r\nX-A: b\r\nContent-Length: 4\r\n\r\nnope"
        );
        let out = write_response(101, "Switching Protocols", &[], b"").unwrap();
        assert_eq!(out, b"HTTP/1.1 101 Switching Protocols\r\n\r\n");
        let out = write_response(200, "OK", &[h("X", "caf\u{e9}")], b"").unwrap();
        assert_eq!(
            out,
            b"HTTP/1.1 200 OK\r\nX: caf\xe9\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn write_response_rejects_injection() {
        let inj = write_response(200, "OK", &[h("X", "a\r\nSet-Cookie: x")], b"");
        assert_eq!(inj, Err(BuildError::InvalidHeaderValue("X".into())));
        assert_eq!(
            write_response(200, "OK", &[h("X\r\nY", "a")], b""),
            Err(BuildError::InvalidHeaderName("X\r\nY".into()))
        );
        assert_eq!(
            write_response(200, "OK\r\n", &[], b""),
            Err(BuildError::InvalidReason)
        );
        assert_eq!(
            write_response(200, "OK", &[h("X", "\u{263a}")], b""),
            Err(BuildError::InvalidHeaderValue("X".into()))
        );
        assert_eq!(
            write_response(200, "OK", &[h("content-length", "1")], b""),
            Err(BuildError::ReservedHeader("content-length".into()))
        );
        assert_eq!(
            write_response(1000, "OK", &[], b""),
            Err(BuildError::InvalidStatus(1000))
        );
        assert_eq!(
            write_response(204, "", &[], b"x"),
            Err(BuildError::BodyNotAllowed(204))
        );
    }

    #[test]
    fn reason_phrases() {
        assert_eq!(reason_phrase(101), "Switching Protocols");
        assert_eq!(reason_phrase(426), "Upgrade Required");
        assert_eq!(reason_phrase(431), "Request Header Fields Too Large");
        assert_eq!(reason_phrase(599), "");
    }

    #[test]
    fn body_length() {
        let head = |status, hs: Vec<Header>| ResponseHead {
            status,
            reason: String::new(),
            minor_version: 1,
            headers: hs,
        };
        assert_eq!(
            response_body_length(&head(403, vec![h("Content-Length", "12")])),
            Ok(BodyLength::Length(12))
        );
        assert_eq!(
            response_body_length(&head(101, vec![h("Content-Length", "12")])),
            Ok(BodyLength::Empty)
        );
        assert_eq!(
            response_body_length(&head(403, vec![h("Transfer-Encoding", "gzip, chunked")])),
            Ok(BodyLength::Chunked)
        );
        assert_eq!(
            response_body_length(&head(403, vec![])),
            Ok(BodyLength::UntilClose)
        );
        assert_eq!(
            response_body_length(&head(403, vec![h("Content-Length", "1, 2")]))
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            response_body_length(&head(403, vec![h("Content-Length", "+1")]))
                .unwrap_err()
                .status,
            400
        );
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics(buf in proptest::collection::vec(any::<u8>(), 0..300), max in 0usize..400, n in 0usize..8) {
                let limits = HeadLimits { max_header_bytes: max, max_headers: n };
                let _ = parse_request_head(&buf, &limits);
                let _ = parse_response_head(&buf, &limits);
                let _ = head_end(&buf, max);
            }

            #[test]
            fn incremental_equals_one_shot(
                hdrs in proptest::collection::vec(("[A-Za-z-]{1,8}", "[ -~]{0,12}"), 0..6),
                cuts in proptest::collection::vec(1usize..20, 0..30),
                tail in proptest::collection::vec(any::<u8>(), 0..20),
            ) {
                let mut buf = b"GET /x HTTP/1.1\r\n".to_vec();
                for (n, v) in &hdrs {
                    buf.extend_from_slice(alloc::format!("{n}: {v}\r\n").as_bytes());
                }
                buf.extend_from_slice(b"\r\n");
                let head_len = buf.len();
                buf.extend_from_slice(&tail);
                let limits = HeadLimits::default();
                let one = parse_request_head(&buf, &limits).unwrap().unwrap();
                prop_assert_eq!(one.1, head_len);
                let mut p = HeadParser::new(limits);
                let mut at = 0;
                let mut cuts = cuts.into_iter();
                let got = loop {
                    at = (at + cuts.next().unwrap_or(1)).min(buf.len());
                    if let Some(r) = p.parse_request(&buf[..at]).unwrap() {
                        break r;
                    }
                    prop_assert!(at < buf.len());
                };
                prop_assert_eq!(got, one);
            }
        }
    }

    #[test]
    fn tokens() {
        assert!(is_token("chat.v2"));
        assert!(!is_token(""));
        assert!(!is_token("a b"));
        assert!(!is_token("a,b"));
    }
}
