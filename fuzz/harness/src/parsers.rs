//! Targets for the pure parsers: frame header, HTTP request / response heads, extension
//! headers, and the bounded inflater.
//!
//! Their inputs start with a few control bytes (limits, chunk sizes, flags) followed by the
//! bytes under test, so seeds made from the shared vectors are meaningful.

use wsengine::deflate::{
    self, params::parse_extension_values, parse_extensions, Compressor, Decompressor,
    DeflateConfig, DeflateParams, Endpoint, ParseLimits,
};
use wsengine::error::Error;
use wsengine::frame::{FrameHeader, OpCode, MAX_HEADER_LEN};
use wsengine::handshake::{
    accept_response, classify, is_valid_key, parse_request_head, parse_response_head,
    response_body_length, select_protocol, validate_response, Classified, HeadLimits, HeadParser,
    HttpError,
};

/// `FrameHeader::decode`: lengths, bits and the re-encoding agree with the raw bytes.
pub fn frame_header(data: &[u8]) {
    match FrameHeader::decode(data) {
        Ok(None) => assert!(data.len() < MAX_HEADER_LEN, "None for {} bytes", data.len()),
        Ok(Some((h, n))) => {
            let b0 = data[0];
            let b1 = data[1];
            let ext = match b1 & 0x7f {
                126 => 2,
                127 => 8,
                _ => 0,
            };
            let expected = 2 + ext + if b1 & 0x80 != 0 { 4 } else { 0 };
            assert_eq!(n, expected, "header length");
            assert!(n <= data.len() && n <= MAX_HEADER_LEN);
            assert_eq!(h.fin, b0 & 0x80 != 0);
            assert_eq!(h.rsv1, b0 & 0x40 != 0);
            assert_eq!(h.rsv2, b0 & 0x20 != 0);
            assert_eq!(h.rsv3, b0 & 0x10 != 0);
            assert_eq!(h.opcode.as_u8(), b0 & 0x0f);
            assert_eq!(h.mask.is_some(), b1 & 0x80 != 0);
            assert_eq!(h.payload_len >> 63, 0, "top bit accepted");
            assert_eq!(OpCode::from_u8(h.opcode.as_u8()), Ok(h.opcode));
            // Trailing bytes do not matter; a shorter prefix is incomplete.
            assert_eq!(FrameHeader::decode(&data[..n]), Ok(Some((h, n))));
            assert_eq!(FrameHeader::decode(&data[..n - 1]), Ok(None));
            // Our encoding is minimal and decodes to the same header.
            let mut out = [0u8; MAX_HEADER_LEN];
            let m = h.encode(&mut out);
            assert!(m <= n);
            assert_eq!(FrameHeader::decode(&out[..m]), Ok(Some((h, m))));
        }
        Err(Error::ReservedOpcode(op)) => {
            assert_eq!(op, data[0] & 0x0f);
            assert!(matches!(op, 3..=7 | 0xb..=0xf));
        }
        Err(Error::LengthTopBit) => {
            assert_eq!(data[1] & 0x7f, 127);
            assert!(data[2] & 0x80 != 0);
        }
        Err(e) => panic!("unexpected header error {e:?}"),
    }
}

/// Limits from two control bytes: 64..=8224 head bytes, 1..=80 fields.
fn head_limits(a: u8, b: u8) -> HeadLimits {
    HeadLimits {
        max_header_bytes: 64 + usize::from(a) * 32,
        max_headers: 1 + usize::from(b) % 80,
    }
}

fn check_http_error(e: &HttpError) {
    assert!(matches!(e.status, 400 | 431 | 505), "status {}", e.status);
}

/// Feeds `buf` to a `HeadParser` in `chunk`-byte pieces; stops at the first answer.
fn incremental<T>(
    buf: &[u8],
    chunk: usize,
    mut f: impl FnMut(&[u8]) -> Result<Option<T>, HttpError>,
) -> Result<Option<T>, HttpError> {
    let mut acc = Vec::new();
    let mut last = Ok(None);
    for piece in buf.chunks(chunk.max(1)) {
        acc.extend_from_slice(piece);
        last = f(&acc);
        if !matches!(last, Ok(None)) {
            break;
        }
    }
    last
}

/// The server's request parser and `classify`: incremental parsing equals one-shot parsing,
/// limits hold, and an accepted upgrade's 101 answer passes the client's own checks.
pub fn http_request(data: &[u8]) {
    let [a, b, c, buf @ ..] = data else { return };
    let limits = head_limits(*a, *b);
    let oneshot = parse_request_head(buf, &limits);
    let mut parser = HeadParser::new(limits);
    let inc = incremental(buf, usize::from(*c) + 1, |acc| parser.parse_request(acc));
    assert_eq!(oneshot, inc, "incremental parse differs");
    let (head, used) = match oneshot {
        Ok(Some(found)) => found,
        Ok(None) => {
            assert!(buf.len() < limits.max_header_bytes);
            return;
        }
        Err(e) => {
            check_http_error(&e);
            return;
        }
    };
    assert!(
        used <= buf.len() && used <= limits.max_header_bytes,
        "head length {used}"
    );
    assert!(head.headers.len() <= limits.max_headers);
    match classify(head) {
        Err(rejection) => {
            assert!(
                matches!(rejection.status, 400 | 405 | 426),
                "rejection status {}",
                rejection.status
            );
            let bytes = rejection.to_response().expect("rejection serialises");
            let (resp, n) = parse_response_head(&bytes, &HeadLimits::default())
                .expect("our rejection parses")
                .expect("complete");
            assert_eq!(resp.status, rejection.status);
            assert!(n <= bytes.len());
        }
        Ok(Classified::PlainHttp(_)) => {}
        Ok(Classified::Upgrade(req)) => {
            assert_eq!(req.method, "GET");
            assert!(req.path.starts_with('/'));
            let key = req.key.as_deref().expect("upgrade has a key");
            assert!(is_valid_key(key));
            let chosen = select_protocol(&req.protocols, &req.protocols);
            assert_eq!(chosen.as_ref(), req.protocols.first());
            let resp = accept_response(key, chosen.as_deref(), None, &[]).expect("101 builds");
            let (head, n) = parse_response_head(&resp, &HeadLimits::default())
                .expect("our 101 parses")
                .expect("complete");
            assert_eq!(n, resp.len());
            let accepted = validate_response(&head, key, &req.protocols).expect("our 101 is valid");
            assert_eq!(accepted.protocol, chosen);
        }
    }
}

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// The client's response parser and `validate_response` (with the RFC 6455 sample key).
pub fn http_response(data: &[u8]) {
    let [a, b, c, flags, buf @ ..] = data else {
        return;
    };
    let limits = head_limits(*a, *b);
    let offered: Vec<String> = ["chat", "superchat", "v2.ws"]
        .iter()
        .enumerate()
        .filter(|(i, _)| flags & (1 << i) != 0)
        .map(|(_, p)| p.to_string())
        .collect();
    let oneshot = parse_response_head(buf, &limits);
    let mut parser = HeadParser::new(limits);
    let inc = incremental(buf, usize::from(*c) + 1, |acc| parser.parse_response(acc));
    assert_eq!(oneshot, inc, "incremental parse differs");
    let (head, used) = match oneshot {
        Ok(Some(found)) => found,
        Ok(None) => return,
        Err(e) => {
            check_http_error(&e);
            return;
        }
    };
    assert!(used <= buf.len() && used <= limits.max_header_bytes);
    assert!(head.headers.len() <= limits.max_headers);
    let _ = response_body_length(&head);
    match validate_response(&head, KEY, &offered) {
        Ok(accept) => {
            assert_eq!(head.status, 101);
            assert_eq!(head.minor_version, 1);
            if let Some(p) = &accept.protocol {
                assert!(offered.contains(p), "unoffered protocol {p:?} accepted");
            }
            let values: Vec<&str> = accept.extensions.iter().map(String::as_str).collect();
            let cfg = deflate_config_from(*flags);
            if let Ok(Some(p)) = deflate::client_accept(&cfg, &values) {
                check_params(&p);
                assert!(p.client_max_window_bits <= own_limit(cfg.client_max_window_bits));
            }
        }
        Err(wsengine::handshake::ClientHandshakeError::Rejected { status }) => {
            assert_eq!(status, head.status);
            assert_ne!(status, 101);
        }
        Err(_) => {}
    }
}

fn check_params(p: &DeflateParams) {
    assert!((8..=15).contains(&p.server_max_window_bits), "{p:?}");
    assert!((8..=15).contains(&p.client_max_window_bits), "{p:?}");
}

/// The most a configured window limit lets us compress with (sizes below 9 count as 9).
fn own_limit(configured: Option<u8>) -> u8 {
    configured.map_or(15, |b| b.clamp(9, 15))
}

/// A `DeflateConfig` from one byte of flags.
fn deflate_config_from(f: u8) -> DeflateConfig {
    let mut cfg = DeflateConfig::default();
    cfg.client_no_context_takeover = f & 0x08 != 0;
    cfg.server_no_context_takeover = f & 0x10 != 0;
    cfg.client_max_window_bits = match (f >> 5) & 3 {
        0 => None,
        1 => Some(8),
        2 => Some(12),
        _ => Some(15),
    };
    cfg.server_max_window_bits = match (f >> 7) & 1 {
        0 => Some(12),
        _ => None,
    };
    cfg
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Compresses `msgs` with `c` and inflates them with `d`: they must come back unchanged.
fn codec_round_trip(c: &mut Compressor, d: &mut Decompressor, msgs: &[&[u8]]) {
    for msg in msgs {
        let mut z = Vec::new();
        c.compress(msg, &mut z).expect("compress");
        let mut out = Vec::new();
        d.decompress(&z, &mut out, 1 << 20)
            .expect("inflate our own output");
        d.finish_message(&mut out, 1 << 20).expect("finish");
        assert_eq!(&out[..], *msg, "deflate round trip");
    }
}

/// The extension-header parser and both negotiators: limits hold, a server's answer parses
/// back to the same parameters, and a negotiation between our client and our server gives
/// codecs that understand each other.
pub fn extensions(data: &[u8]) {
    let [a, b, c, rest @ ..] = data else { return };
    let limits = ParseLimits {
        max_offers: 1 + usize::from(a & 0x0f),
        max_params: 1 + usize::from(a >> 4),
    };
    let text = latin1(rest);
    let values: Vec<&str> = text.split('\n').collect();
    let parsed = parse_extension_values(&values, &limits);
    if let Ok(offers) = &parsed {
        assert!(offers.len() <= limits.max_offers);
        for o in offers {
            assert!(!o.name.is_empty());
            assert!(o.params.len() <= limits.max_params);
        }
        // Several header lines mean the same as one comma-joined line (RFC 7230 §3.2.2).
        if values.iter().all(|v| parse_extensions(v, &limits).is_ok()) {
            assert_eq!(
                parse_extensions(&values.join(", "), &limits).as_ref(),
                Ok(offers)
            );
        }
    }
    let mut scfg = deflate_config_from(*b);
    scfg.parse_limits = limits;
    match deflate::server_negotiate(&scfg, &values) {
        Ok(Some((params, response))) => {
            check_params(&params);
            // Any window 8-15 may be agreed (8 is served by a 9-bit compressor), never more
            // than our own limit.
            assert!(params.server_max_window_bits <= own_limit(scfg.server_max_window_bits));
            assert!(parsed.is_ok());
            // Our answer has at most 4 parameters: parse it with the default limits.
            let again =
                deflate::agreed_params(&[&response], Endpoint::Server, &ParseLimits::default());
            assert_eq!(again, Ok(Some(params)), "response {response:?}");
        }
        Ok(None) => {}
        Err(_) => assert!(parsed.is_err()),
    }
    let mut ccfg = deflate_config_from(*c);
    ccfg.parse_limits = limits;
    if let Ok(Some(p)) = deflate::client_accept(&ccfg, &values) {
        check_params(&p);
        // We offer client_max_window_bits bare, so any answer is valid, and we compress with
        // no more than our own limit whatever the server answered.
        assert!(p.client_max_window_bits <= own_limit(ccfg.client_max_window_bits));
    }
    for role in [Endpoint::Client, Endpoint::Server] {
        if let Ok(Some(p)) = deflate::agreed_params(&values, role, &limits) {
            check_params(&p);
        }
    }
    // Our client's offer against our server: always agreed, and the codecs interoperate.
    ccfg.parse_limits = ParseLimits::default();
    scfg.parse_limits = ParseLimits::default();
    let offer = deflate::client_offer(&ccfg);
    let (sp, response) = deflate::server_negotiate(&scfg, &[&offer])
        .expect("our offer parses")
        .expect("our server accepts our client's offer");
    let cp = deflate::client_accept(&ccfg, &[&response])
        .unwrap_or_else(|e| panic!("client refuses {response:?} to {offer:?}: {e}"))
        .expect("client sees the extension");
    let msgs: [&[u8]; 3] = [rest, b"Hello, Hello, Hello, Hello", rest];
    let mut c = Compressor::new(&cp, Endpoint::Client, 6);
    let mut d = Decompressor::new(&sp, Endpoint::Server, None);
    codec_round_trip(&mut c, &mut d, &msgs);
    let mut c = Compressor::new(&sp, Endpoint::Server, 1);
    let mut d = Decompressor::new(&cp, Endpoint::Client, None);
    codec_round_trip(&mut c, &mut d, &msgs);
}

/// The bounded inflater: output never exceeds the limit (by more than the documented byte
/// before failing), and, in round-trip mode, what our compressor writes inflates back.
pub fn inflate(data: &[u8]) {
    let [l0, l1, flags, chunk, rest @ ..] = data else {
        return;
    };
    let limit = usize::from(u16::from_le_bytes([*l0, *l1])) + 1;
    let bits = 8 + (flags & 7);
    let params = DeflateParams {
        server_no_context_takeover: flags & 0x08 != 0,
        client_no_context_takeover: flags & 0x08 != 0,
        server_max_window_bits: bits,
        client_max_window_bits: bits.max(9),
    };
    let chunk = usize::from(*chunk) + 1;
    if flags & 0x80 != 0 {
        // Round trip: messages separated by 0xff bytes.
        let mut c = Compressor::new(&params, Endpoint::Client, u32::from(flags >> 4) & 7);
        let mut d = Decompressor::new(&params, Endpoint::Server, None);
        for msg in rest.split(|&x| x == 0xff) {
            let mut z = Vec::new();
            c.compress(msg, &mut z).expect("compress");
            let mut out = Vec::new();
            let mut result = Ok(());
            for piece in z.chunks(chunk) {
                result = d.decompress(piece, &mut out, limit);
                assert!(out.len() <= limit + 1, "{} > {limit} + 1", out.len());
                if result.is_err() {
                    break;
                }
            }
            if result.is_ok() {
                result = d.finish_message(&mut out, limit);
            }
            if msg.len() <= limit {
                assert_eq!(
                    result,
                    Ok(()),
                    "message of {} under limit {limit}",
                    msg.len()
                );
                assert_eq!(out, msg, "round trip");
            } else {
                assert_eq!(result, Err(deflate::CodecError::TooLarge));
                return; // the context is lost; the connection would fail
            }
        }
        return;
    }
    // Arbitrary compressed data, up to 3 messages.
    let ratio = (flags & 0x40 != 0).then_some(u32::from(flags >> 4 & 3) * 50 + 1);
    let mut d = Decompressor::new(&params, Endpoint::Client, ratio);
    let parts = usize::from(flags >> 4 & 3).max(1);
    let per = rest.len() / parts + 1;
    for msg in rest.chunks(per) {
        let mut out = Vec::new();
        let mut result = Ok(());
        for piece in msg.chunks(chunk) {
            result = d.decompress(piece, &mut out, limit);
            assert!(out.len() <= limit + 1, "{} > {limit} + 1", out.len());
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            result = d.finish_message(&mut out, limit);
            assert!(out.len() <= limit + 1);
        }
        match result {
            Ok(()) => assert!(out.len() <= limit, "{} > {limit}", out.len()),
            Err(deflate::CodecError::Compress) => panic!("inflate reported a compress error"),
            Err(deflate::CodecError::RatioExceeded) => assert!(ratio.is_some()),
            Err(_) => return,
        }
    }
}
