//! WebSocket upgrades inside a hyper 1 server (and so axum): HTTP/1.1 `Upgrade: websocket`
//! (RFC 6455 §4.2) and HTTP/2 extended CONNECT (RFC 8441 §4–5, which needs
//! `hyper::server::conn::http2::Builder::enable_connect_protocol`).
//!
//! Every protocol decision (validation, accept key, subprotocol, permessage-deflate) is the
//! engine's: an HTTP/1.1 request is handed to a server [`Connection`] as its head, and the
//! engine's 101 answer becomes the hyper response; an extended CONNECT goes through
//! [`wsengine::handshake::h2`] and the engine's post-handshake mode ([`Connection::open`]).
//!
//! ```no_run
//! use axum::{extract::Request, response::Response, routing::any, Router};
//! use futures_util::StreamExt;
//!
//! async fn echo(mut req: Request) -> Response {
//!     match wsengine_tokio::upgrade::upgrade(&mut req, wsengine::Config::default(), Default::default()) {
//!         Ok((response, upgrade)) => {
//!             tokio::spawn(async move {
//!                 if let Ok(ws) = upgrade.await {
//!                     let (sink, stream) = ws.split();
//!                     let _ = stream.forward(sink).await;
//!                 }
//!             });
//!             response
//!         }
//!         Err(refused) => refused.into_response(),
//!     }
//! }
//! let app: Router = Router::new().route("/echo", any(echo));
//! ```

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use http::{header, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Version};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use wsengine::handshake::h2;
use wsengine::handshake::http::{parse_response_head, HeadLimits};
use wsengine::{AcceptOptions, Config, Connection, Event, Header, OpenOptions, Role};

use crate::{Error, WebSocket};

/// The transport of an upgraded socket.
pub type UpgradedIo = TokioIo<Upgraded>;

/// Whether `req` asks for a WebSocket: an HTTP/1.1 `Upgrade: websocket` or an HTTP/2
/// extended CONNECT with `:protocol` websocket.
pub fn is_upgrade_request<B>(req: &Request<B>) -> bool {
    if req.method() == Method::CONNECT {
        return extended_protocol(req).is_some_and(|p| p.eq_ignore_ascii_case("websocket"));
    }
    req.headers()
        .get_all(header::UPGRADE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("websocket"))
        })
}

fn extended_protocol<B>(req: &Request<B>) -> Option<&str> {
    req.extensions()
        .get::<hyper::ext::Protocol>()
        .map(|p| p.as_str())
}

/// A refused upgrade: the status and reason the engine chose (400, 403, 426...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The HTTP status to answer with.
    pub status: u16,
    /// Why (suitable as a `text/plain` body).
    pub reason: String,
    /// Headers the answer needs (e.g. `Sec-WebSocket-Version: 13` with a 426).
    pub headers: Vec<Header>,
}

impl Refused {
    /// The refusal as an HTTP response with a text body.
    pub fn into_response<R: From<String>>(self) -> Response<R> {
        let mut response = Response::new(R::from(self.reason + "\n"));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        for h in &self.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(h.name.as_bytes()),
                HeaderValue::from_str(&h.value),
            ) {
                response.headers_mut().append(n, v);
            }
        }
        response
    }
}

/// An accepted upgrade: await it (after returning the response to hyper) for the socket.
pub struct Upgrade {
    on_upgrade: OnUpgrade,
    conn: Connection,
}

impl std::fmt::Debug for Upgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upgrade").finish_non_exhaustive()
    }
}

impl IntoFuture for Upgrade {
    type Output = Result<WebSocket<UpgradedIo>, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let upgraded = self
                .on_upgrade
                .await
                .map_err(|e| Error::Io(std::io::Error::other(e)))?;
            Ok(WebSocket::from_open(TokioIo::new(upgraded), self.conn))
        })
    }
}

/// Answers a WebSocket request inside a hyper service: returns the response to give hyper
/// (101 for HTTP/1.1, 200 for HTTP/2) and an [`Upgrade`] that resolves to the socket once hyper
/// hands the connection (or the HTTP/2 stream) over. `R` is the service's body type.
pub fn upgrade<B, R: Default>(
    req: &mut Request<B>,
    config: Config,
    options: AcceptOptions,
) -> Result<(Response<R>, Upgrade), Refused> {
    if req.method() == Method::CONNECT && req.version() == Version::HTTP_2 {
        upgrade_h2(req, config, options)
    } else {
        upgrade_h1(req, config, options)
    }
}

fn refused(status: u16, reason: impl Into<String>) -> Refused {
    Refused {
        status,
        reason: reason.into(),
        headers: Vec::new(),
    }
}

fn upgrade_h1<B, R: Default>(
    req: &mut Request<B>,
    config: Config,
    options: AcceptOptions,
) -> Result<(Response<R>, Upgrade), Refused> {
    if req.version() != Version::HTTP_11 {
        return Err(refused(400, "WebSocket upgrades need HTTP/1.1"));
    }
    // The request head as it came, for the engine's checks and negotiation.
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut head = format!("{} {} HTTP/1.1\r\n", req.method(), target).into_bytes();
    for (name, value) in req.headers() {
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    let mut conn = Connection::server(config).map_err(|e| refused(500, e.to_string()))?;
    conn.receive(&head);
    match conn.poll_event() {
        Some(Event::Request(_)) => {}
        Some(Event::HttpRequest(_)) => return Err(refused(400, "not a WebSocket upgrade request")),
        _ => {
            // The engine refused the request and queued its answer: pass its status on.
            let answer = conn.take_output();
            return Err(match parse_response_head(&answer, &HeadLimits::default()) {
                Ok(Some((head, _))) => Refused {
                    status: head.status,
                    reason: head.reason,
                    headers: head
                        .headers
                        .into_iter()
                        .filter(|h| h.name.eq_ignore_ascii_case("sec-websocket-version"))
                        .collect(),
                },
                _ => refused(400, "invalid WebSocket upgrade request"),
            });
        }
    }
    conn.accept(options)
        .map_err(|e| refused(500, e.to_string()))?;
    let answer = conn.take_output();
    let head = match parse_response_head(&answer, &HeadLimits::default()) {
        Ok(Some((head, _))) => head,
        _ => return Err(refused(500, "the engine's answer did not parse")),
    };
    let mut response = Response::new(R::default());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    append_headers(&mut response, &head.headers)?;
    // `Event::Open` is queued; the socket skips it.
    let on_upgrade = hyper::upgrade::on(req);
    Ok((response, Upgrade { on_upgrade, conn }))
}

fn append_headers<R>(response: &mut Response<R>, headers: &[Header]) -> Result<(), Refused> {
    for h in headers {
        if h.name.starts_with(':') {
            continue;
        }
        let name =
            HeaderName::from_bytes(h.name.as_bytes()).map_err(|e| refused(500, e.to_string()))?;
        let value = HeaderValue::from_str(&h.value).map_err(|e| refused(500, e.to_string()))?;
        response.headers_mut().append(name, value);
    }
    Ok(())
}

fn upgrade_h2<B, R: Default>(
    req: &mut Request<B>,
    config: Config,
    options: AcceptOptions,
) -> Result<(Response<R>, Upgrade), Refused> {
    let uri = req.uri();
    let mut headers = vec![
        Header::new(":method", "CONNECT"),
        Header::new(":protocol", extended_protocol(req).unwrap_or("")),
        Header::new(":scheme", uri.scheme_str().unwrap_or("https")),
        Header::new(":path", uri.path_and_query().map_or("", |p| p.as_str())),
        Header::new(":authority", uri.authority().map_or("", |a| a.as_str())),
    ];
    for (name, value) in req.headers() {
        let value = value
            .to_str()
            .map_err(|_| refused(400, "a header value is not visible ASCII"))?;
        headers.push(Header::new(name.as_str(), value));
    }
    let request = h2::validate_extended_connect(&headers).map_err(|r| Refused {
        status: r.status,
        reason: r.reason,
        headers: r.headers,
    })?;
    if let Some(allowed) = &config.allowed_origins {
        if !request.origin.as_ref().is_some_and(|o| allowed.contains(o)) {
            return Err(refused(403, "origin not allowed"));
        }
    }
    let protocol = match options.protocol {
        Some(p) if request.protocols.contains(&p) => Some(p),
        Some(p) => return Err(refused(500, format!("subprotocol {p} was not offered"))),
        None => wsengine::handshake::server::select_protocol(&request.protocols, &config.protocols),
    };
    let extensions = negotiate_extensions(&config, &request)?;
    let answer =
        h2::extended_connect_response(protocol.as_deref(), extensions.as_deref(), &options.headers)
            .map_err(|e| refused(500, e.to_string()))?;
    let conn = Connection::open(
        Role::Server,
        config,
        OpenOptions {
            protocol,
            extensions,
        },
        None,
    )
    .map_err(|e| refused(500, e.to_string()))?;
    let mut response = Response::new(R::default());
    append_headers(&mut response, &answer)?;
    let on_upgrade = hyper::upgrade::on(req);
    Ok((response, Upgrade { on_upgrade, conn }))
}

#[cfg(feature = "deflate")]
fn negotiate_extensions(
    config: &Config,
    request: &wsengine::Request,
) -> Result<Option<String>, Refused> {
    let Some(deflate) = &config.deflate else {
        return Ok(None);
    };
    let values: Vec<&str> = request.extensions.iter().map(String::as_str).collect();
    match wsengine::deflate::negotiate::server_negotiate(deflate, &values) {
        Ok(Some((_, answer))) => Ok(Some(answer)),
        Ok(None) => Ok(None),
        Err(_) => Err(refused(400, "malformed Sec-WebSocket-Extensions")),
    }
}

#[cfg(not(feature = "deflate"))]
fn negotiate_extensions(_: &Config, _: &wsengine::Request) -> Result<Option<String>, Refused> {
    Ok(None)
}
