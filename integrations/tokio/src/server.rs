//! The server side of the opening handshake over any transport: read the request, let the
//! application route it, then accept, reject or answer it as plain HTTP.

use std::future::poll_fn;

use tokio::io::{AsyncRead, AsyncWrite};
use wsengine::{AcceptOptions, Config, Connection, Event, Header, Request};

use crate::driver::Driver;
use crate::{Error, WebSocket};

/// Reads the HTTP request on `stream` (within `Config::handshake_timeout`; an invalid request
/// is answered with the engine's 4xx and reported as [`Error::Protocol`]).
///
/// The result holds the request for routing: [`Incoming::accept`] it, [`Incoming::reject`] it,
/// or — for a plain HTTP request, see [`Incoming::is_websocket`] — [`Incoming::respond`].
///
/// ```no_run
/// # async fn run() -> Result<(), wsengine_tokio::Error> {
/// use futures_util::StreamExt;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
/// let (tcp, _) = listener.accept().await?;
/// let incoming = wsengine_tokio::accept(tcp, wsengine::Config::default()).await?;
/// if incoming.request().path != "/echo" {
///     return incoming.reject(404, &[], b"not found\n").await;
/// }
/// let ws = incoming.accept().await?;
/// let (sink, stream) = ws.split();
/// stream.forward(sink).await
/// # }
/// ```
pub async fn accept<S>(stream: S, config: Config) -> Result<Incoming<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let conn = Connection::server(config).map_err(Error::Usage)?;
    let mut driver = Driver::new(stream, conn);
    loop {
        match poll_fn(|cx| driver.poll_event(cx)).await {
            Some(Ok(Event::Request(request))) => {
                return Ok(Incoming {
                    driver,
                    request: *request,
                    upgrade: true,
                })
            }
            Some(Ok(Event::HttpRequest(request))) => {
                return Ok(Incoming {
                    driver,
                    request: *request,
                    upgrade: false,
                })
            }
            Some(Ok(Event::Failed(e))) => {
                // Write the engine's answer (400, 408, ...) and let the transport go.
                finish(&mut driver).await;
                return Err(Error::Protocol(e));
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e),
            None => return Err(Error::ConnectionClosed),
        }
    }
}

/// Drives the connection to its end (writing what is queued), ignoring events.
async fn finish<S: AsyncRead + AsyncWrite + Unpin>(driver: &mut Driver<S>) {
    while let Some(Ok(_)) = poll_fn(|cx| driver.poll_event(cx)).await {}
}

/// A request read by [`accept`], waiting for the application's answer.
pub struct Incoming<S> {
    driver: Driver<S>,
    request: Request,
    upgrade: bool,
}

impl<S> std::fmt::Debug for Incoming<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Incoming")
            .field("request", &self.request)
            .field("upgrade", &self.upgrade)
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Incoming<S> {
    /// The request: method, path, query, headers, offered subprotocols and extensions.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Whether this is a valid WebSocket upgrade request (otherwise a plain HTTP request,
    /// to be answered with [`Incoming::respond`]).
    pub fn is_websocket(&self) -> bool {
        self.upgrade
    }

    /// Accepts the upgrade with the defaults (the first of `Config::protocols` the client
    /// offered; permessage-deflate if configured and offered); see [`Incoming::accept_with`].
    pub async fn accept(self) -> Result<WebSocket<S>, Error> {
        self.accept_with(AcceptOptions::default()).await
    }

    /// Accepts the upgrade with a chosen subprotocol and extra response headers.
    ///
    /// The 101 response is written when the socket is first polled (read, flushed or sent
    /// on), not here: frames that came with the request are already in the engine, and if
    /// they end with a close frame or a protocol error, the engine's close frame must stay
    /// behind the answers the application gives to the messages before it.
    pub async fn accept_with(mut self, options: AcceptOptions) -> Result<WebSocket<S>, Error> {
        if !self.upgrade {
            return Err(Error::NotWebSocket);
        }
        self.driver.conn.accept(options).map_err(Error::Usage)?;
        Ok(WebSocket::from_driver(self.driver))
    }

    /// Refuses the upgrade with an HTTP status (4xx/5xx), headers and body, writes the answer
    /// and closes the transport.
    pub async fn reject(
        mut self,
        status: u16,
        headers: &[Header],
        body: &[u8],
    ) -> Result<(), Error> {
        self.driver
            .conn
            .reject(status, headers, body)
            .map_err(Error::Usage)?;
        finish(&mut self.driver).await;
        Ok(())
    }

    /// Answers a plain HTTP request (status, headers, body), writes the answer and closes
    /// the transport.
    pub async fn respond(
        mut self,
        status: u16,
        headers: &[Header],
        body: &[u8],
    ) -> Result<(), Error> {
        self.driver
            .conn
            .respond(status, headers, body)
            .map_err(Error::Usage)?;
        finish(&mut self.driver).await;
        Ok(())
    }
}
