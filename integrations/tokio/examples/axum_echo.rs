//! An axum application with a WebSocket route on wsengine-tokio, served over plain HTTP/1.1
//! and over TLS with HTTP/2 and HTTP/1.1 (ALPN). Over HTTP/2 the route is reached with an
//! extended CONNECT (RFC 8441: the server sends `SETTINGS_ENABLE_CONNECT_PROTOCOL`, the client
//! `:method CONNECT`, `:protocol websocket`), and the engine runs in post-handshake mode.
//!
//! ```text
//! cargo run --release -p wsengine-tokio --features hyper,rustls --example axum_echo -- \
//!     [--port 8081] [--tls-port 8443] [--cert examples/tls/cert.pem --key examples/tls/key.pem]
//! ```
//!
//! - `GET /` a page whose WebSocket echoes through `/echo` (on whichever HTTP version the
//!   browser chose for the page's origin);
//! - `/echo` the WebSocket route (HTTP/1.1 `GET` + `Upgrade`, or HTTP/2 `CONNECT`);
//! - `GET /stats` how many WebSockets were opened over each HTTP version (JSON).
//!
//! The default certificate (`examples/tls/`, for `localhost` and `127.0.0.1`) is self-signed
//! and for tests only.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use hyper::Version;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;
use wsengine_tokio::{upgrade, Config};

const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8"><title>wsengine axum echo</title>
<p>Status: <span id="status">connecting…</span></p>
<script>
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/echo`);
  const sent = ['hello', 'κόσμε', 'x'.repeat(70000)];
  const got = [];
  ws.onopen = () => sent.forEach((m) => ws.send(m));
  ws.onmessage = (e) => {
    got.push(e.data);
    if (got.length === sent.length) {
      const ok = got.every((m, i) => m === sent[i]);
      document.getElementById('status').textContent = ok ? 'echo ok' : 'echo mismatch';
      document.title = ok ? 'echo ok' : 'echo mismatch';
      ws.close(1000, 'done');
    }
  };
  ws.onerror = () => { document.title = 'error'; };
</script>
"#;

#[derive(Default)]
struct Stats {
    http1: AtomicUsize,
    http2: AtomicUsize,
}

fn app() -> Router {
    Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/echo", any(echo))
        .route("/stats", get(stats))
        .with_state(Arc::new(Stats::default()))
}

async fn stats(State(stats): State<Arc<Stats>>) -> String {
    format!(
        "{{\"http1\": {}, \"http2\": {}}}",
        stats.http1.load(Ordering::SeqCst),
        stats.http2.load(Ordering::SeqCst)
    )
}

/// The WebSocket route: upgrade (HTTP/1.1) or extended CONNECT (HTTP/2), then echo.
async fn echo(State(stats): State<Arc<Stats>>, mut req: Request) -> Response {
    if !upgrade::is_upgrade_request(&req) {
        return (hyper::StatusCode::BAD_REQUEST, "a WebSocket route\n").into_response();
    }
    let version = req.version();
    let mut config = Config::default();
    config.deflate = Some(Default::default());
    match upgrade::upgrade::<_, Body>(&mut req, config, Default::default()) {
        Ok((response, upgrade)) => {
            let counter = if version == Version::HTTP_2 {
                &stats.http2
            } else {
                &stats.http1
            };
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let Ok(mut ws) = upgrade.await else { return };
                while let Some(Ok(message)) = ws.next().await {
                    if message.is_data() && ws.feed(message).await.is_err() {
                        break;
                    }
                }
            });
            response
        }
        Err(refused) => refused.into_response(),
    }
}

fn tls_config(cert: &str, key: &str) -> Arc<ServerConfig> {
    let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).expect("certificate file"),
    ))
    .collect::<Result<Vec<_>, _>>()
    .expect("certificate PEM");
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key).expect("key file"),
    ))
    .expect("key PEM")
    .expect("a private key");
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("certificate and key");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

#[tokio::main]
async fn main() {
    let here = env!("CARGO_MANIFEST_DIR");
    let mut port = 8081u16;
    let mut tls_port = 8443u16;
    let mut cert = format!("{here}/examples/tls/cert.pem");
    let mut key = format!("{here}/examples/tls/key.pem");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--port" => port = v.parse().expect("--port N"),
            "--tls-port" => tls_port = v.parse().expect("--tls-port N"),
            "--cert" => cert = v,
            "--key" => key = v,
            other => panic!("unknown argument {other}"),
        }
    }
    let app = app();
    let plain = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    let secure = TcpListener::bind(("127.0.0.1", tls_port))
        .await
        .expect("bind");
    println!(
        "http://{} https://{}",
        plain.local_addr().unwrap(),
        secure.local_addr().unwrap()
    );
    let acceptor = TlsAcceptor::from(tls_config(&cert, &key));
    let service = app.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = secure.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut builder = auto::Builder::new(TokioExecutor::new());
                // RFC 8441 §3: advertise extended CONNECT.
                builder.http2().enable_connect_protocol();
                let _ = builder
                    .serve_connection_with_upgrades(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    axum::serve(plain, app).await.expect("serve");
}
