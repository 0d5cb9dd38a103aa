//! Parser for `Sec-WebSocket-Extensions` header values (RFC 6455 §9.1, RFC 7230 §7).
//!
//! ```text
//! extension-list  = 1#extension
//! extension       = extension-token *( ";" extension-param )
//! extension-param = token [ "=" ( token / quoted-string ) ]
//! ```
//!
//! The parser is a single left-to-right pass over the bytes (linear time) and
//! is bounded by [`ParseLimits`]: it fails as soon as a limit is crossed, so a
//! hostile header cannot make it allocate more than the limits allow
//! (`ws` had a DoS in exactly this parser, CVE-2021-32640).
//!
//! Names are compared case-sensitively by the negotiation code, as
//! RFC 7692 spells them (the same as `ws` and `websockets`).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Bounds on what [`parse_extensions`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Most extension offers (comma-separated elements) in all the header
    /// values of one request or response. Default 32.
    pub max_offers: usize,
    /// Most parameters in one offer. Default 32.
    pub max_params: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        Self {
            max_offers: 32,
            max_params: 32,
        }
    }
}

/// One element of an extension list: a name and its parameters, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionOffer {
    /// The extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// `(name, value)` pairs; the value is `None` for a parameter without
    /// `=`, and is already unquoted when it was a quoted-string.
    pub params: Vec<(String, Option<String>)>,
}

/// Why a header value is not a valid extension list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionParseError {
    /// A token was expected at this byte offset.
    ExpectedToken(usize),
    /// An unexpected byte at this offset.
    UnexpectedByte(usize),
    /// A quoted-string is not closed.
    UnterminatedQuote,
    /// The unquoted value of a quoted-string is not a token (RFC 6455 §9.1).
    QuotedValueNotToken(usize),
    /// More offers than [`ParseLimits::max_offers`].
    TooManyOffers,
    /// More parameters in one offer than [`ParseLimits::max_params`].
    TooManyParams,
}

impl fmt::Display for ExtensionParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ExpectedToken(at) => write!(f, "expected a token at offset {at}"),
            Self::UnexpectedByte(at) => write!(f, "unexpected byte at offset {at}"),
            Self::UnterminatedQuote => f.write_str("unterminated quoted-string"),
            Self::QuotedValueNotToken(at) => {
                write!(f, "quoted value at offset {at} is not a token")
            }
            Self::TooManyOffers => f.write_str("too many extensions in header"),
            Self::TooManyParams => f.write_str("too many parameters in one extension"),
        }
    }
}

impl std::error::Error for ExtensionParseError {}

/// Parses one `Sec-WebSocket-Extensions` header value.
///
/// Empty list elements (`a, , b`) are ignored (RFC 7230 §7), so an empty or
/// blank value gives an empty list.
pub fn parse_extensions(
    value: &str,
    limits: &ParseLimits,
) -> Result<Vec<ExtensionOffer>, ExtensionParseError> {
    let mut out = Vec::new();
    parse_extensions_into(value, limits, &mut out)?;
    Ok(out)
}

/// Parses several header values (several header lines are one comma-joined
/// list, RFC 7230 §3.2.2); [`ParseLimits::max_offers`] counts all of them.
pub fn parse_extension_values(
    values: &[&str],
    limits: &ParseLimits,
) -> Result<Vec<ExtensionOffer>, ExtensionParseError> {
    let mut out = Vec::new();
    for value in values {
        parse_extensions_into(value, limits, &mut out)?;
    }
    Ok(out)
}

/// Parses `value` and appends its offers to `out`; fails if `out` would hold
/// more than [`ParseLimits::max_offers`] offers.
pub fn parse_extensions_into(
    value: &str,
    limits: &ParseLimits,
    out: &mut Vec<ExtensionOffer>,
) -> Result<(), ExtensionParseError> {
    let mut p = Parser {
        s: value,
        b: value.as_bytes(),
        i: 0,
    };
    loop {
        p.skip_ows();
        match p.peek() {
            None => return Ok(()),
            Some(b',') => {
                // Empty list element.
                p.i += 1;
                continue;
            }
            Some(_) => {}
        }
        if out.len() >= limits.max_offers {
            return Err(ExtensionParseError::TooManyOffers);
        }
        let name = p.token()?;
        let mut offer = ExtensionOffer {
            name: String::from(name),
            params: Vec::new(),
        };
        loop {
            p.skip_ows();
            match p.peek() {
                None => {
                    out.push(offer);
                    return Ok(());
                }
                Some(b',') => {
                    p.i += 1;
                    break;
                }
                Some(b';') => {
                    p.i += 1;
                    p.skip_ows();
                    if offer.params.len() >= limits.max_params {
                        return Err(ExtensionParseError::TooManyParams);
                    }
                    let pname = String::from(p.token()?);
                    p.skip_ows();
                    let pvalue = if p.peek() == Some(b'=') {
                        p.i += 1;
                        p.skip_ows();
                        Some(p.value()?)
                    } else {
                        None
                    };
                    offer.params.push((pname, pvalue));
                }
                Some(_) => return Err(ExtensionParseError::UnexpectedByte(p.i)),
            }
        }
        out.push(offer);
    }
}

/// `tchar` of RFC 7230 §3.2.6.
pub(crate) fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' |
        b'^' | b'_' | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    /// A non-empty run of tchars. Every tchar is ASCII, so the slice is on
    /// character boundaries.
    fn token(&mut self) -> Result<&'a str, ExtensionParseError> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        if self.i == start {
            return Err(ExtensionParseError::ExpectedToken(start));
        }
        self.s
            .get(start..self.i)
            .ok_or(ExtensionParseError::ExpectedToken(start))
    }

    /// A token or a quoted-string whose unescaped content is a token.
    fn value(&mut self) -> Result<String, ExtensionParseError> {
        if self.peek() != Some(b'"') {
            return self.token().map(String::from);
        }
        let start = self.i;
        self.i += 1;
        let mut v = String::new();
        loop {
            let Some(mut c) = self.peek() else {
                return Err(ExtensionParseError::UnterminatedQuote);
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    // quoted-pair (RFC 7230 §3.2.6).
                    let Some(e) = self.peek() else {
                        return Err(ExtensionParseError::UnterminatedQuote);
                    };
                    self.i += 1;
                    c = e;
                }
                _ => {}
            }
            // The unescaped value must be a token (RFC 6455 §9.1), so any
            // other byte (space, control, non-ASCII) is an error here.
            if !is_tchar(c) {
                return Err(ExtensionParseError::QuotedValueNotToken(start));
            }
            v.push(char::from(c));
        }
        if v.is_empty() {
            return Err(ExtensionParseError::QuotedValueNotToken(start));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec;

    fn p(v: &str) -> Result<Vec<ExtensionOffer>, ExtensionParseError> {
        parse_extensions(v, &ParseLimits::default())
    }

    fn offer(name: &str, params: &[(&str, Option<&str>)]) -> ExtensionOffer {
        ExtensionOffer {
            name: name.into(),
            params: params
                .iter()
                .map(|(k, v)| (String::from(*k), v.map(String::from)))
                .collect(),
        }
    }

    #[test]
    fn simple() {
        assert_eq!(
            p("permessage-deflate").unwrap(),
            vec![offer("permessage-deflate", &[])]
        );
    }

    #[test]
    fn several_offers_params_and_whitespace() {
        let v = "permessage-deflate ;client_max_window_bits ; server_max_window_bits = 10,\t\
                 permessage-deflate; client_no_context_takeover , x-foo;a=b";
        assert_eq!(
            p(v).unwrap(),
            vec![
                offer(
                    "permessage-deflate",
                    &[
                        ("client_max_window_bits", None),
                        ("server_max_window_bits", Some("10"))
                    ]
                ),
                offer(
                    "permessage-deflate",
                    &[("client_no_context_takeover", None)]
                ),
                offer("x-foo", &[("a", Some("b"))]),
            ]
        );
    }

    #[test]
    fn quoted_values() {
        assert_eq!(
            p(r#"a; b="10"; c="x\yz""#).unwrap(),
            vec![offer("a", &[("b", Some("10")), ("c", Some("xyz"))])]
        );
        // Unescaped value must be a token.
        assert!(matches!(
            p(r#"a; b="1 0""#),
            Err(ExtensionParseError::QuotedValueNotToken(_))
        ));
        assert!(matches!(
            p(r#"a; b="""#),
            Err(ExtensionParseError::QuotedValueNotToken(_))
        ));
        assert!(matches!(
            p(r#"a; b="x,y""#),
            Err(ExtensionParseError::QuotedValueNotToken(_))
        ));
        assert!(matches!(
            p(r#"a; b="\"""#),
            Err(ExtensionParseError::QuotedValueNotToken(_))
        ));
        assert!(matches!(
            p("a; b=\"é\""),
            Err(ExtensionParseError::QuotedValueNotToken(_))
        ));
        assert_eq!(
            p(r#"a; b="10"#),
            Err(ExtensionParseError::UnterminatedQuote)
        );
        assert_eq!(
            p(r#"a; b="10\"#),
            Err(ExtensionParseError::UnterminatedQuote)
        );
    }

    #[test]
    fn duplicates_are_kept_for_the_negotiator() {
        assert_eq!(
            p("a; x; x=1").unwrap(),
            vec![offer("a", &[("x", None), ("x", Some("1"))])]
        );
    }

    #[test]
    fn empty_elements_are_ignored() {
        assert_eq!(p("").unwrap(), vec![]);
        assert_eq!(p("  ").unwrap(), vec![]);
        assert_eq!(p(" , ,").unwrap(), vec![]);
        assert_eq!(
            p(", a ,, b ,").unwrap(),
            vec![offer("a", &[]), offer("b", &[])]
        );
    }

    #[test]
    fn garbage() {
        for bad in [
            ";",
            "a;",
            "a; ",
            "a;;b",
            "a; =1",
            "a; b=",
            "a; b= ,",
            "a b",
            "a; b c",
            "a; b=1 2",
            "=",
            "a=1",
            "\"a\"",
            "a; b=\"1\"x",
            "é",
            "a\r\n",
            "a;\0",
            "a; b=1;",
        ] {
            assert!(p(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn limits() {
        let l = ParseLimits::default();
        let ok = (0..32)
            .map(|i| format!("e{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(parse_extensions(&ok, &l).unwrap().len(), 32);
        let bad = format!("{ok},e32");
        assert_eq!(
            parse_extensions(&bad, &l),
            Err(ExtensionParseError::TooManyOffers)
        );
        let params: String = (0..32).map(|i| format!(";p{i}")).collect();
        assert_eq!(p(&format!("a{params}")).unwrap()[0].params.len(), 32);
        assert_eq!(
            p(&format!("a{params};p32")),
            Err(ExtensionParseError::TooManyParams)
        );
        // Across header values.
        let half = (0..20)
            .map(|i| format!("e{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            parse_extension_values(&[&half, &half], &l),
            Err(ExtensionParseError::TooManyOffers)
        );
        assert_eq!(parse_extension_values(&[&half, "x"], &l).unwrap().len(), 21);
    }

    #[test]
    fn huge_input_is_linear_and_bounded() {
        // 1 MB of separators: no offers, fast.
        let s = ";".repeat(1 << 20);
        assert!(p(&format!("a{s}")).is_err());
        let s = ",".repeat(1 << 20);
        assert_eq!(p(&s).unwrap(), vec![]);
        let s = format!("a; b=\"{}\"", "x".repeat(1 << 20));
        assert_eq!(
            p(&s).unwrap()[0].params[0].1.as_ref().unwrap().len(),
            1 << 20
        );
    }
}
