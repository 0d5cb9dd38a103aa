//! URI pieces shared by the server and client sides: request-target splitting and host syntax
//! (RFC 3986 §3.2.2, RFC 7230 §5.3).

use alloc::string::{String, ToString};

/// Splits a request target into path and query.
///
/// Accepts origin-form (`/a?b`, RFC 7230 §5.3.1) and absolute-form (`ws://host/a?b`, §5.3.2, whose
/// authority is dropped; an empty path becomes `/`). Returns `None` for asterisk-form, authority
/// form and anything else that has no path.
pub fn split_target(target: &str) -> Option<(String, Option<String>)> {
    let rest = if target.starts_with('/') {
        target
    } else {
        let (scheme, after) = target.split_once("://")?;
        if !is_scheme(scheme) {
            return None;
        }
        match after.find(['/', '?']) {
            Some(i) => after.get(i..)?,
            None => "",
        }
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (rest, None),
    };
    let path = if path.is_empty() { "/" } else { path };
    Some((path.to_string(), query))
}

fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
}

/// Whether `host` is a syntactically valid URI host without port: a bracketed IPv6 literal, or a
/// non-empty reg-name / IPv4 address (unreserved, sub-delims and pct-encoded octets only).
pub fn is_valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[') {
        return inner
            .strip_suffix(']')
            .is_some_and(|ip| ip.parse::<core::net::Ipv6Addr>().is_ok());
    }
    is_reg_name(host)
}

/// Whether `host` is a non-empty RFC 3986 reg-name (which also covers dotted IPv4).
pub fn is_reg_name(host: &str) -> bool {
    let b = host.as_bytes();
    if b.is_empty() {
        return false;
    }
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = |j: usize| b.get(j).is_some_and(|d| d.is_ascii_hexdigit());
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&c)) {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `value` is a valid `Host` header: `uri-host [ ":" port ]` (RFC 7230 §5.4), port being
/// at most five digits.
pub fn is_valid_host_header(value: &str) -> bool {
    let (host, port) = split_host_port(value);
    let port_ok = match port {
        Some(p) => p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()),
        None => true,
    };
    is_valid_host(host) && port_ok
}

/// Splits `host[:port]`, leaving brackets around IPv6 literals.
pub fn split_host_port(value: &str) -> (&str, Option<&str>) {
    if value.starts_with('[') {
        return match value.find(']') {
            Some(end) => {
                let (host, rest) = value.split_at(end + 1);
                match rest.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    // Anything else after the bracket makes the host invalid.
                    None if rest.is_empty() => (host, None),
                    None => (value, None),
                }
            }
            None => (value, None),
        };
    }
    match value.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (value, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(t: &str) -> Option<(String, Option<String>)> {
        split_target(t)
    }

    #[test]
    fn targets() {
        assert_eq!(st("/"), Some(("/".into(), None)));
        assert_eq!(
            st("/a/b?x=1&y"),
            Some(("/a/b".into(), Some("x=1&y".into())))
        );
        assert_eq!(st("/?"), Some(("/".into(), Some("".into()))));
        assert_eq!(st("ws://h:1/p?q"), Some(("/p".into(), Some("q".into()))));
        assert_eq!(st("http://h"), Some(("/".into(), None)));
        assert_eq!(st("http://h?q"), Some(("/".into(), Some("q".into()))));
        assert_eq!(st("*"), None);
        assert_eq!(st("example.com:443"), None);
        assert_eq!(st("1x://h/"), None);
        assert_eq!(st(""), None);
    }

    #[test]
    fn hosts() {
        for ok in [
            "example.com",
            "example.com:8080",
            "127.0.0.1",
            "[::1]",
            "[::1]:9000",
            "a%20b",
            "example.com:",
        ] {
            assert!(is_valid_host_header(ok), "{ok}");
        }
        for bad in [
            "",
            ":80",
            "[::1",
            "[::1]x",
            "[zz]",
            "a b",
            "a/b",
            "a%2",
            "host:abc",
            "host:123456",
            "[::1]:9000:1",
            "h\u{e9}",
            "a@b",
        ] {
            assert!(!is_valid_host_header(bad), "{bad}");
        }
    }
}
