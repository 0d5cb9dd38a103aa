//! The permessage-deflate handshake for both roles (RFC 7692 §5, §7.1).

use alloc::string::String;
use core::fmt;
use core::fmt::Write as _;

use super::config::{clamp_bits, DeflateConfig, DeflateParams};
use super::params::{parse_extension_values, ExtensionOffer, ExtensionParseError, ParseLimits};
use super::Endpoint;

/// The registered extension name (RFC 7692 §7).
pub const EXTENSION_NAME: &str = "permessage-deflate";

const SERVER_NCT: &str = "server_no_context_takeover";
const CLIENT_NCT: &str = "client_no_context_takeover";
const SERVER_BITS: &str = "server_max_window_bits";
const CLIENT_BITS: &str = "client_max_window_bits";

/// Why an extension negotiation failed.
///
/// A server gets only [`NegotiationError::Malformed`] (answer 400); a client
/// gets any of them and must fail the connection (RFC 6455 §4.1, RFC 7692 §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NegotiationError {
    /// The header value does not follow the grammar, or exceeds the limits.
    Malformed(ExtensionParseError),
    /// The server answered an extension we did not offer.
    UnexpectedExtension(String),
    /// The server answered permessage-deflate more than once.
    DuplicateExtension,
    /// A parameter RFC 7692 does not define.
    UnknownParam(String),
    /// A parameter given twice.
    DuplicateParam(String),
    /// A parameter with a missing, extra or out-of-range value, or a window
    /// larger than the one we asked for.
    InvalidValue(String),
    /// The server did not confirm a parameter we requested (§7.1.1.1, §7.1.2.1).
    MissingParam(&'static str),
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "malformed Sec-WebSocket-Extensions: {e}"),
            Self::UnexpectedExtension(n) => write!(f, "server accepted unoffered extension {n:?}"),
            Self::DuplicateExtension => f.write_str("permessage-deflate accepted twice"),
            Self::UnknownParam(p) => write!(f, "unknown permessage-deflate parameter {p:?}"),
            Self::DuplicateParam(p) => write!(f, "duplicate permessage-deflate parameter {p:?}"),
            Self::InvalidValue(p) => write!(f, "invalid value for {p}"),
            Self::MissingParam(p) => write!(f, "server did not confirm {p}"),
        }
    }
}

impl std::error::Error for NegotiationError {}

impl From<ExtensionParseError> for NegotiationError {
    fn from(e: ExtensionParseError) -> Self {
        Self::Malformed(e)
    }
}

/// A window-bits value: decimal 8–15 without leading zeroes (§7.1.2.1).
fn window_bits(v: &str) -> Option<u8> {
    match v {
        "8" => Some(8),
        "9" => Some(9),
        "10" => Some(10),
        "11" => Some(11),
        "12" => Some(12),
        "13" => Some(13),
        "14" => Some(14),
        "15" => Some(15),
        _ => None,
    }
}

/// The four parameters of one offer or response, checked for names,
/// duplicates and value syntax (§7.1).
#[derive(Default)]
struct Raw {
    server_nct: bool,
    client_nct: bool,
    server_bits: Option<u8>,
    /// `Some(None)`: present without a value (allowed in offers only).
    client_bits: Option<Option<u8>>,
}

impl Raw {
    fn parse(offer: &ExtensionOffer) -> Result<Raw, NegotiationError> {
        let mut r = Raw::default();
        for (name, value) in &offer.params {
            let dup = || NegotiationError::DuplicateParam(name.clone());
            let bad = || NegotiationError::InvalidValue(name.clone());
            match name.as_str() {
                SERVER_NCT | CLIENT_NCT => {
                    let flag = if name == SERVER_NCT {
                        &mut r.server_nct
                    } else {
                        &mut r.client_nct
                    };
                    if *flag {
                        return Err(dup());
                    }
                    if value.is_some() {
                        return Err(bad());
                    }
                    *flag = true;
                }
                SERVER_BITS => {
                    if r.server_bits.is_some() {
                        return Err(dup());
                    }
                    let v = value.as_deref().and_then(window_bits).ok_or_else(bad)?;
                    r.server_bits = Some(v);
                }
                CLIENT_BITS => {
                    if r.client_bits.is_some() {
                        return Err(dup());
                    }
                    r.client_bits = Some(match value {
                        None => None,
                        Some(v) => Some(window_bits(v).ok_or_else(bad)?),
                    });
                }
                _ => return Err(NegotiationError::UnknownParam(name.clone())),
            }
        }
        Ok(r)
    }
}

/// The client's `Sec-WebSocket-Extensions` offer for `cfg`, e.g.
/// `permessage-deflate; server_max_window_bits=12; client_max_window_bits`.
///
/// `client_max_window_bits` is always offered, bare: it tells the server it
/// may limit our window to any size it likes (§7.1.2.2). Our own limit,
/// [`DeflateConfig::client_max_window_bits`], is applied by
/// [`client_accept`], which never agrees to compress with more than it.
pub fn client_offer(cfg: &DeflateConfig) -> String {
    let mut s = String::from(EXTENSION_NAME);
    if cfg.server_no_context_takeover {
        s.push_str("; server_no_context_takeover");
    }
    if cfg.client_no_context_takeover {
        s.push_str("; client_no_context_takeover");
    }
    if let Some(b) = cfg.server_max_window_bits {
        let _ = write!(s, "; server_max_window_bits={}", clamp_bits(b));
    }
    s.push_str("; client_max_window_bits");
    s
}

/// Validates the server's answer to [`client_offer`] (RFC 7692 §7.1).
///
/// `response_values` are the `Sec-WebSocket-Extensions` header values of the
/// 101 response. No values, or only empty ones, → `Ok(None)` (compression
/// off). Any error means the client must fail the connection.
///
/// The returned `client_max_window_bits` is the window we compress with: the
/// smaller of the server's answer (15 when absent) and
/// [`DeflateConfig::client_max_window_bits`], so it may be below the value in
/// the server's header.
pub fn client_accept(
    cfg: &DeflateConfig,
    response_values: &[&str],
) -> Result<Option<DeflateParams>, NegotiationError> {
    let offers = parse_extension_values(response_values, &cfg.parse_limits)?;
    let mut iter = offers.iter();
    let Some(ext) = iter.next() else {
        return Ok(None);
    };
    // We offered exactly one extension, once (RFC 6455 §9.1).
    for e in offers.iter() {
        if e.name != EXTENSION_NAME {
            return Err(NegotiationError::UnexpectedExtension(e.name.clone()));
        }
    }
    if iter.next().is_some() {
        return Err(NegotiationError::DuplicateExtension);
    }
    let r = Raw::parse(ext)?;

    // §7.1.1.1: a server accepting server_no_context_takeover echoes it.
    if cfg.server_no_context_takeover && !r.server_nct {
        return Err(NegotiationError::MissingParam(SERVER_NCT));
    }
    // §7.1.2.1: a server accepting server_max_window_bits=N answers ≤ N.
    if let Some(req) = cfg.server_max_window_bits {
        match r.server_bits {
            None => return Err(NegotiationError::MissingParam(SERVER_BITS)),
            Some(b) if b > clamp_bits(req) => {
                return Err(NegotiationError::InvalidValue(SERVER_BITS.into()))
            }
            Some(_) => {}
        }
    }
    // §7.1.2.2: client_max_window_bits has a value in a response; as we offered
    // it bare, any value is allowed. We compress with at most our own limit.
    let ours = cfg.client_max_window_bits.map_or(15, clamp_bits);
    let client_bits = match r.client_bits {
        None => ours,
        Some(None) => return Err(NegotiationError::InvalidValue(CLIENT_BITS.into())),
        // 8 is served by our 9-bit compressor (see the module docs on 8-bit windows).
        Some(Some(b)) => b.min(ours),
    };
    Ok(Some(DeflateParams {
        server_no_context_takeover: r.server_nct,
        // Our own hint binds us even if the server did not echo it (§7.1.1.2).
        client_no_context_takeover: r.client_nct || cfg.client_no_context_takeover,
        server_max_window_bits: r.server_bits.unwrap_or(15),
        client_max_window_bits: client_bits,
    }))
}

/// Parameters from an already agreed `Sec-WebSocket-Extensions` value, for
/// the post-handshake mode (RFC 8441 / RFC 9220 stacks negotiate elsewhere).
///
/// Unlike [`client_accept`] this does not compare with what we asked for: it
/// checks that `values` hold at most one extension, `permessage-deflate`, with
/// valid response parameters (values on both window sizes). Any window 8–15
/// is usable in both roles (8 is served by our 9-bit compressor; see the
/// module docs), so `_role` no longer changes the result. Empty → `Ok(None)`.
pub fn agreed_params(
    values: &[&str],
    _role: impl Into<Endpoint>,
    limits: &ParseLimits,
) -> Result<Option<DeflateParams>, NegotiationError> {
    let offers = parse_extension_values(values, limits)?;
    let Some(ext) = offers.first() else {
        return Ok(None);
    };
    for e in &offers {
        if e.name != EXTENSION_NAME {
            return Err(NegotiationError::UnexpectedExtension(e.name.clone()));
        }
    }
    if offers.len() > 1 {
        return Err(NegotiationError::DuplicateExtension);
    }
    let r = Raw::parse(ext)?;
    let client_bits = match r.client_bits {
        None => 15,
        Some(None) => return Err(NegotiationError::InvalidValue(CLIENT_BITS.into())),
        Some(Some(b)) => b,
    };
    let params = DeflateParams {
        server_no_context_takeover: r.server_nct,
        client_no_context_takeover: r.client_nct,
        server_max_window_bits: r.server_bits.unwrap_or(15),
        client_max_window_bits: client_bits,
    };
    Ok(Some(params))
}

/// Picks the first acceptable permessage-deflate offer of a client request.
///
/// Returns the agreed parameters and the response header value, or
/// `Ok(None)` when no offer is acceptable (answer without the extension).
/// Offers with unknown, duplicate or invalid parameters are declined and the
/// next one is tried (§5.1, §7.1); other extensions are ignored. An offer
/// requiring `server_max_window_bits=8` is accepted: our 9-bit compressor
/// never refers back further than 250 bytes. A syntactically malformed header →
/// `Err(Malformed)`: answer 400.
pub fn server_negotiate(
    cfg: &DeflateConfig,
    request_values: &[&str],
) -> Result<Option<(DeflateParams, String)>, NegotiationError> {
    let offers = parse_extension_values(request_values, &cfg.parse_limits)?;
    for offer in offers.iter().filter(|o| o.name == EXTENSION_NAME) {
        let Ok(r) = Raw::parse(offer) else {
            continue;
        };
        let ours = clamp_bits(cfg.server_max_window_bits.unwrap_or(15));
        let server_bits = match r.server_bits {
            Some(req) => req.min(ours),
            None => ours,
        };
        // We may limit the client only if it offered the parameter (§7.1.2.2);
        // its value, if any, is a promise we can rely on.
        let client_bits = match r.client_bits {
            None => 15,
            Some(hint) => hint
                .unwrap_or(15)
                .min(cfg.client_max_window_bits.map(clamp_bits).unwrap_or(15)),
        };
        let params = DeflateParams {
            server_no_context_takeover: r.server_nct || cfg.server_no_context_takeover,
            client_no_context_takeover: r.client_nct || cfg.client_no_context_takeover,
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
        };
        let mut header = params.to_header();
        if r.server_bits.is_some() && server_bits == 15 {
            // A requested server_max_window_bits is confirmed even at 15 (§7.1.2.1).
            header.push_str("; server_max_window_bits=15");
        }
        return Ok(Some((params, header)));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec::Vec;

    fn plain() -> DeflateConfig {
        DeflateConfig {
            client_max_window_bits: None,
            server_max_window_bits: None,
            ..DeflateConfig::default()
        }
    }

    fn params(snct: bool, cnct: bool, sbits: u8, cbits: u8) -> DeflateParams {
        DeflateParams {
            server_no_context_takeover: snct,
            client_no_context_takeover: cnct,
            server_max_window_bits: sbits,
            client_max_window_bits: cbits,
        }
    }

    #[test]
    fn offers() {
        // The bare parameter whatever our own limit: the server may answer any window.
        assert_eq!(
            client_offer(&DeflateConfig::default()),
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits"
        );
        assert_eq!(
            client_offer(&plain()),
            "permessage-deflate; client_max_window_bits"
        );
        let cfg = DeflateConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: Some(8),
            client_max_window_bits: Some(3),
            ..DeflateConfig::default()
        };
        assert_eq!(
            client_offer(&cfg),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=9; client_max_window_bits"
        );
    }

    #[test]
    fn server_plain_offer() {
        let (p, h) = server_negotiate(&plain(), &["permessage-deflate"])
            .unwrap()
            .unwrap();
        assert_eq!(p, DeflateParams::default());
        assert_eq!(h, "permessage-deflate");
        // Default config: server window 12; client not limited (it did not offer).
        let (p, h) = server_negotiate(&DeflateConfig::default(), &["permessage-deflate"])
            .unwrap()
            .unwrap();
        assert_eq!(p, params(false, false, 12, 15));
        assert_eq!(h, "permessage-deflate; server_max_window_bits=12");
    }

    #[test]
    fn server_client_max_window_bits() {
        let cfg = DeflateConfig::default();
        let v = ["permessage-deflate; client_max_window_bits"];
        let (p, h) = server_negotiate(&cfg, &v).unwrap().unwrap();
        assert_eq!(p, params(false, false, 12, 12));
        assert_eq!(
            h,
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
        );
        // A client hint of 8 is echoed: we inflate with 9 bits, which decodes it.
        let v = ["permessage-deflate; client_max_window_bits=8"];
        let (p, _) = server_negotiate(&plain(), &v).unwrap().unwrap();
        assert_eq!(p.client_max_window_bits, 8);
        // Bare parameter and no policy: nothing to answer.
        let v = ["permessage-deflate; client_max_window_bits"];
        let (_, h) = server_negotiate(&plain(), &v).unwrap().unwrap();
        assert_eq!(h, "permessage-deflate");
    }

    #[test]
    fn server_window_requests() {
        let v = ["permessage-deflate; server_max_window_bits=10"];
        let (p, h) = server_negotiate(&DeflateConfig::default(), &v)
            .unwrap()
            .unwrap();
        assert_eq!(p.server_max_window_bits, 10);
        assert_eq!(h, "permessage-deflate; server_max_window_bits=10");
        let v = ["permessage-deflate; server_max_window_bits=15"];
        let (p, h) = server_negotiate(&plain(), &v).unwrap().unwrap();
        assert_eq!(p.server_max_window_bits, 15);
        assert_eq!(h, "permessage-deflate; server_max_window_bits=15");
        // 8 is accepted (our 9-bit compressor never refers back more than 250 bytes).
        let v = ["permessage-deflate; server_max_window_bits=8, permessage-deflate"];
        let (p, h) = server_negotiate(&DeflateConfig::default(), &v)
            .unwrap()
            .unwrap();
        assert_eq!(p.server_max_window_bits, 8);
        assert_eq!(h, "permessage-deflate; server_max_window_bits=8");
    }

    #[test]
    fn server_context_takeover() {
        let v = ["permessage-deflate; server_no_context_takeover; client_no_context_takeover"];
        let (p, h) = server_negotiate(&plain(), &v).unwrap().unwrap();
        assert_eq!(p, params(true, true, 15, 15));
        assert_eq!(
            h,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        );
        let cfg = DeflateConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            ..plain()
        };
        let (p, _) = server_negotiate(&cfg, &["permessage-deflate"])
            .unwrap()
            .unwrap();
        assert_eq!(p, params(true, true, 15, 15));
    }

    #[test]
    fn server_declines_invalid_offers() {
        for bad in [
            "permessage-deflate; foo",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; client_no_context_takeover=\"x\"",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=09",
            "permessage-deflate; client_max_window_bits=0",
            "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        ] {
            assert_eq!(server_negotiate(&plain(), &[bad]).unwrap(), None, "{bad}");
            // …and the next offer is used.
            let both = [
                bad,
                "x-other; a=1",
                "permessage-deflate; client_no_context_takeover",
            ];
            let (p, _) = server_negotiate(&plain(), &both).unwrap().unwrap();
            assert_eq!(p, params(false, true, 15, 15), "{bad}");
        }
        // Quoted values are fine.
        let v = ["permessage-deflate; server_max_window_bits=\"10\""];
        let (p, _) = server_negotiate(&plain(), &v).unwrap().unwrap();
        assert_eq!(p.server_max_window_bits, 10);
    }

    #[test]
    fn server_malformed_and_unknown() {
        assert!(matches!(
            server_negotiate(&plain(), &["permessage-deflate;;"]),
            Err(NegotiationError::Malformed(_))
        ));
        assert_eq!(
            server_negotiate(&plain(), &["x-webkit-deflate-frame"]).unwrap(),
            None
        );
        assert_eq!(server_negotiate(&plain(), &[]).unwrap(), None);
        let many: Vec<&str> = core::iter::repeat("permessage-deflate").take(33).collect();
        assert!(matches!(
            server_negotiate(&plain(), &many),
            Err(NegotiationError::Malformed(
                ExtensionParseError::TooManyOffers
            ))
        ));
    }

    #[test]
    fn client_accepts() {
        let cfg = DeflateConfig::default();
        assert_eq!(client_accept(&cfg, &[]).unwrap(), None);
        assert_eq!(client_accept(&cfg, &[""]).unwrap(), None);
        let p = client_accept(
            &cfg,
            &["permessage-deflate; server_max_window_bits=12; client_max_window_bits=10"],
        )
        .unwrap()
        .unwrap();
        assert_eq!(p, params(false, false, 12, 10));
        // Server did not limit us: we use our own limit.
        let p = client_accept(&cfg, &["permessage-deflate; server_max_window_bits=9"])
            .unwrap()
            .unwrap();
        assert_eq!(p, params(false, false, 9, 12));
        // Plain config accepts an unrequested server_max_window_bits (§7.1.2.1), even 8.
        let p = client_accept(&plain(), &["permessage-deflate; server_max_window_bits=8"])
            .unwrap()
            .unwrap();
        assert_eq!(p, params(false, false, 8, 15));
        let p = client_accept(
            &plain(),
            &["permessage-deflate; server_no_context_takeover; client_no_context_takeover"],
        )
        .unwrap()
        .unwrap();
        assert_eq!(p, params(true, true, 15, 15));
        // Our hint binds us even without an echo.
        let cfg2 = DeflateConfig {
            client_no_context_takeover: true,
            ..plain()
        };
        let p = client_accept(&cfg2, &["permessage-deflate"])
            .unwrap()
            .unwrap();
        assert_eq!(p, params(false, true, 15, 15));
    }

    #[test]
    fn client_any_window_answer() {
        // We offer client_max_window_bits bare, so any answer 9..15 is valid (§7.1.2.2)
        // and we compress with the smaller of it and our own limit (12 by default).
        // Autobahn|Testsuite 0.8.2's fuzzing server answers 15 in 13.4.x/13.6.x and 9
        // in 13.3.x/13.5.x/13.7.x, echoing what we asked for the server's window.
        let cfg = DeflateConfig::default();
        for (answer, ours) in [(9, 9), (10, 10), (12, 12), (13, 12), (15, 12)] {
            let header = format!(
                "permessage-deflate; server_max_window_bits=12; client_max_window_bits={answer}"
            );
            let p = client_accept(&cfg, &[&header]).unwrap().unwrap();
            assert_eq!(p, params(false, false, 12, ours), "{header}");
        }
        // 13.6.x / 13.7.x also ask for client_no_context_takeover.
        let p = client_accept(
            &cfg,
            &[
                "permessage-deflate; server_max_window_bits=12; client_no_context_takeover; \
               client_max_window_bits=15",
            ],
        )
        .unwrap()
        .unwrap();
        assert_eq!(p, params(false, true, 12, 12));
        // Without a limit of ours the answer is the window.
        let p = client_accept(&plain(), &["permessage-deflate; client_max_window_bits=15"])
            .unwrap()
            .unwrap();
        assert_eq!(p, params(false, false, 15, 15));
        let p = client_accept(&plain(), &["permessage-deflate; client_max_window_bits=11"])
            .unwrap()
            .unwrap();
        assert_eq!(p, params(false, false, 15, 11));
        // Limits below 9 are raised to 9 (the smallest window our compressor has).
        let small = DeflateConfig {
            client_max_window_bits: Some(8),
            ..plain()
        };
        let p = client_accept(&small, &["permessage-deflate; client_max_window_bits=15"])
            .unwrap()
            .unwrap();
        assert_eq!(p.client_max_window_bits, 9);
        // Any answer from 8 up is valid; 8 is served by our 9-bit compressor, whose
        // matches never reach further back than 250 bytes (codec tests).
        let p = client_accept(
            &cfg,
            &["permessage-deflate; server_max_window_bits=12; client_max_window_bits=8"],
        )
        .unwrap()
        .unwrap();
        assert_eq!(p, params(false, false, 12, 8));
    }

    #[test]
    fn client_compresses_within_its_own_limit() {
        // The server allows 15 bits; the default client still compresses with 12:
        // a message repeated 5000 bytes later (beyond 4 KiB) is not found again.
        use super::super::codec::Compressor;
        let mut x: u32 = 0x2545_f491;
        let block: Vec<u8> = (0..5000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect();
        let second_size = |cfg: &DeflateConfig| {
            let p = client_accept(cfg, &["permessage-deflate; client_max_window_bits=15"])
                .unwrap()
                .unwrap();
            let mut c = Compressor::new(&p, Endpoint::Client, 6);
            let mut z = Vec::new();
            c.compress(&block, &mut z).unwrap();
            z.clear();
            c.compress(&block, &mut z).unwrap();
            z.len()
        };
        let limited = DeflateConfig {
            server_max_window_bits: None,
            ..DeflateConfig::default()
        };
        assert!(second_size(&limited) > 4900, "12-bit window exceeded");
        assert!(second_size(&plain()) < 100, "15-bit window not used");
    }

    #[test]
    fn client_rejects() {
        use NegotiationError as E;
        let cfg = DeflateConfig::default();
        let ok = "permessage-deflate; server_max_window_bits=12";
        let cases: &[(&[&str], E)] = &[
            (&["x-foo"], E::UnexpectedExtension("x-foo".into())),
            (&[ok, "x-foo"], E::UnexpectedExtension("x-foo".into())),
            (&[ok, ok], E::DuplicateExtension),
            (
                &["permessage-deflate; server_max_window_bits=12, permessage-deflate"],
                E::DuplicateExtension,
            ),
            (
                &["permessage-deflate; server_max_window_bits=12; foo"],
                E::UnknownParam("foo".into()),
            ),
            (
                &["permessage-deflate; server_max_window_bits=12; server_max_window_bits=12"],
                E::DuplicateParam(SERVER_BITS.into()),
            ),
            (&["permessage-deflate"], E::MissingParam(SERVER_BITS)),
            (
                &["permessage-deflate; server_max_window_bits=13"],
                E::InvalidValue(SERVER_BITS.into()),
            ),
            (
                &["permessage-deflate; server_max_window_bits=99"],
                E::InvalidValue(SERVER_BITS.into()),
            ),
            (
                &["permessage-deflate; server_max_window_bits=12; client_max_window_bits"],
                E::InvalidValue(CLIENT_BITS.into()),
            ),
            (
                &["permessage-deflate; server_max_window_bits=12; client_max_window_bits=7"],
                E::InvalidValue(CLIENT_BITS.into()),
            ),
            (
                &["permessage-deflate; server_max_window_bits=12; client_max_window_bits=16"],
                E::InvalidValue(CLIENT_BITS.into()),
            ),
            (
                &["permessage-deflate; server_max_window_bits=12; client_no_context_takeover=1"],
                E::InvalidValue(CLIENT_NCT.into()),
            ),
            (
                &["permessage-deflate;"],
                E::Malformed(ExtensionParseError::ExpectedToken(19)),
            ),
        ];
        for (values, err) in cases {
            assert_eq!(client_accept(&cfg, values).unwrap_err(), *err, "{values:?}");
        }
        let cfg = DeflateConfig {
            server_no_context_takeover: true,
            ..plain()
        };
        assert_eq!(
            client_accept(&cfg, &["permessage-deflate"]).unwrap_err(),
            E::MissingParam(SERVER_NCT)
        );
    }

    #[test]
    fn agreed() {
        let l = ParseLimits::default();
        assert_eq!(agreed_params(&[], Endpoint::Server, &l).unwrap(), None);
        let v = ["permessage-deflate; server_no_context_takeover; client_max_window_bits=10"];
        assert_eq!(
            agreed_params(&v, Endpoint::Server, &l).unwrap().unwrap(),
            params(true, false, 15, 10)
        );
        let v = ["permessage-deflate; server_max_window_bits=8; client_max_window_bits=8"];
        for role in [Endpoint::Server, Endpoint::Client] {
            assert_eq!(
                agreed_params(&v, role, &l).unwrap().unwrap(),
                params(false, false, 8, 8)
            );
        }
        for bad in [
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; foo",
            "permessage-deflate, permessage-deflate",
            "x-foo",
            "permessage-deflate;",
        ] {
            assert!(
                agreed_params(&[bad], Endpoint::Client, &l).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn client_and_server_agree() {
        // Every combination of our own settings: the server's answer is accepted
        // by the client and both sides derive the same parameters, except that the
        // client may compress with a smaller window than the server allows.
        let bits = [None, Some(9), Some(12), Some(15)];
        for snct in [false, true] {
            for cnct in [false, true] {
                for sb in bits {
                    for cb in bits {
                        let cfg = DeflateConfig {
                            server_no_context_takeover: snct,
                            client_no_context_takeover: cnct,
                            server_max_window_bits: sb,
                            client_max_window_bits: cb,
                            ..DeflateConfig::default()
                        };
                        let offer = client_offer(&cfg);
                        for server_cfg in [plain(), DeflateConfig::default()] {
                            let (sp, header) =
                                server_negotiate(&server_cfg, &[&offer]).unwrap().unwrap();
                            let cp = client_accept(&cfg, &[&header]).unwrap().unwrap();
                            let ours = cb.map_or(15, clamp_bits);
                            let expect = DeflateParams {
                                client_max_window_bits: sp.client_max_window_bits.min(ours),
                                ..sp
                            };
                            assert_eq!(cp, expect, "{offer} -> {header}");
                        }
                    }
                }
            }
        }
    }
}
