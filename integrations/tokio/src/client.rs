//! The client side: the opening handshake over any transport ([`client`]), and
//! [`connect`] that opens the TCP connection (and TLS for `wss://`) first.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use wsengine::handshake::client::parse_url;
use wsengine::{ClientOptions, Config, Connection, Event, Header, Opened, OsRandom};

use crate::driver::Driver;
use crate::{Error, WebSocket};

/// Options of a client connection.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// Limits, timers, subprotocols offered (`protocols`), permessage-deflate (`deflate`).
    pub config: Config,
    /// The `Origin` header to send.
    pub origin: Option<String>,
    /// Extra request headers (e.g. `Authorization`).
    pub headers: Vec<Header>,
    /// TLS for `wss://`: `None` uses the system's root certificates.
    #[cfg(feature = "rustls")]
    pub tls: Option<std::sync::Arc<tokio_rustls::rustls::ClientConfig>>,
}

impl ConnectOptions {
    /// Options with this engine configuration.
    pub fn with_config(config: Config) -> Self {
        ConnectOptions {
            config,
            ..Default::default()
        }
    }
}

/// Runs the client's opening handshake for `url` on a transport the caller opened (TCP, TLS,
/// a proxy tunnel...). Returns the open socket and what the server agreed to.
pub async fn client<S>(
    stream: S,
    url: &str,
    options: ConnectOptions,
) -> Result<(WebSocket<S>, Opened), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let conn = Connection::client(
        options.config,
        ClientOptions {
            url: url.to_string(),
            origin: options.origin,
            headers: options.headers,
            proxy: None,
        },
        Box::new(OsRandom),
    )
    .map_err(|e| match e {
        wsengine::Error::InvalidInput(why) => Error::Url(why),
        other => Error::Usage(other),
    })?;
    let mut driver = Driver::new(stream, conn);
    loop {
        match poll_fn(|cx| driver.poll_event(cx)).await {
            Some(Ok(Event::Open(opened))) => return Ok((WebSocket::from_driver(driver), *opened)),
            Some(Ok(Event::Rejected(r))) => {
                return Err(Error::Rejected {
                    status: r.status,
                    headers: r.headers,
                    body: r.body,
                })
            }
            Some(Ok(Event::Failed(e))) => return Err(Error::Protocol(e)),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e),
            None => return Err(Error::ConnectionClosed),
        }
    }
}

/// Opens a TCP connection to `url` (`ws://` or, with the `rustls` feature, `wss://`), then
/// runs the opening handshake.
///
/// ```no_run
/// # async fn run() -> Result<(), wsengine_tokio::Error> {
/// use futures_util::{SinkExt, StreamExt};
/// use wsengine_tokio::{connect, ConnectOptions, Message};
/// let (mut ws, _) = connect("ws://127.0.0.1:9001/echo", ConnectOptions::default()).await?;
/// ws.send(Message::text("hello")).await?;
/// assert_eq!(ws.next().await.transpose()?, Some(Message::text("hello")));
/// ws.close(1000, "done").await
/// # }
/// ```
pub async fn connect(
    url: &str,
    options: ConnectOptions,
) -> Result<(WebSocket<MaybeTlsStream>, Opened), Error> {
    let parsed = parse_url(url).map_err(|e| Error::Url(e.to_string()))?;
    let tcp = TcpStream::connect((parsed.host.as_str(), parsed.port)).await?;
    tcp.set_nodelay(true)?;
    let stream = if parsed.secure {
        #[cfg(feature = "rustls")]
        {
            crate::tls::wrap(tcp, &parsed.host, options.tls.clone()).await?
        }
        #[cfg(not(feature = "rustls"))]
        {
            drop(tcp);
            return Err(Error::Tls(
                "wss:// needs the `rustls` feature of wsengine-tokio".into(),
            ));
        }
    } else {
        MaybeTlsStream::Plain(tcp)
    };
    client(stream, url, options).await
}

/// The transport of a socket from [`connect`]: plain TCP or TLS over TCP.
#[derive(Debug)]
#[non_exhaustive]
pub enum MaybeTlsStream {
    /// `ws://`.
    Plain(TcpStream),
    /// `wss://`.
    #[cfg(feature = "rustls")]
    Rustls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for MaybeTlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MaybeTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            MaybeTlsStream::Plain(s) => s.is_write_vectored(),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
