//! The errors of the integration: transport, protocol (from the engine), handshake, usage.

use std::fmt;
use std::io;

use wsengine::Header;

/// Everything that can go wrong on a WebSocket driven by this crate.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The transport failed (read, write, connect, TLS I/O).
    Io(io::Error),
    /// The connection failed: the peer broke the protocol, a limit was exceeded or a timer
    /// expired. The engine already queued the close frame with [`wsengine::Error::close_code`].
    Protocol(wsengine::Error),
    /// The connection is closed (or closing): nothing more may be sent.
    ConnectionClosed,
    /// The application asked for something the engine refuses (e.g. a ping payload over 125
    /// bytes, a close code that may not be sent); the connection is unchanged.
    Usage(wsengine::Error),
    /// Client: the server refused the opening handshake.
    Rejected {
        /// HTTP status code.
        status: u16,
        /// Response headers.
        headers: Vec<Header>,
        /// Response body (up to `Config::max_reject_body` bytes).
        body: Vec<u8>,
    },
    /// Server: the peer sent a plain HTTP request where a WebSocket upgrade was required, or
    /// the upgrade request was unusable.
    NotWebSocket,
    /// The URL given to [`crate::connect`] is not a usable `ws://` / `wss://` URL.
    Url(String),
    /// TLS setup failed (no roots, bad server name), or `wss://` without the `rustls` feature.
    Tls(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "transport error: {e}"),
            Error::Protocol(e) => {
                write!(f, "connection failed: {e} (close code {})", e.close_code())
            }
            Error::ConnectionClosed => f.write_str("the connection is closed"),
            Error::Usage(e) => write!(f, "refused: {e}"),
            Error::Rejected { status, .. } => {
                write!(f, "the server refused the handshake with {status}")
            }
            Error::NotWebSocket => f.write_str("not a WebSocket upgrade request"),
            Error::Url(e) => write!(f, "bad URL: {e}"),
            Error::Tls(e) => write!(f, "TLS: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Protocol(e) | Error::Usage(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl Error {
    /// Maps an error returned by a send-side engine call: a state error means the connection
    /// is closing or closed (the ecosystem's "connection closed"), anything else is a refusal.
    pub(crate) fn from_send(e: wsengine::Error) -> Self {
        match e {
            wsengine::Error::InvalidState(_) => Error::ConnectionClosed,
            other => Error::Usage(other),
        }
    }
}
