//! `wss://` through `connect` (feature `rustls`) against a tokio-tungstenite server behind
//! tokio-rustls, trusting the given root (the examples' self-signed certificate).

mod common;

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use wsengine_tokio::{connect, ConnectOptions, Error, Message};

const CERT: &[u8] = include_bytes!("../examples/tls/cert.pem");
const KEY: &[u8] = include_bytes!("../examples/tls/key.pem");

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn server_config() -> Arc<ServerConfig> {
    let certs = rustls_pemfile::certs(&mut &CERT[..])
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls_pemfile::private_key(&mut &KEY[..]).unwrap().unwrap();
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    Arc::new(config)
}

fn client_config(trust_example_root: bool) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    if trust_example_root {
        for cert in rustls_pemfile::certs(&mut &CERT[..]) {
            roots.add(cert.unwrap()).unwrap();
        }
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// A tokio-tungstenite echo server behind TLS; returns its port.
async fn tls_echo() -> u16 {
    let (listener, _) = common::listen().await;
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(server_config());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut ws = tokio_tungstenite::accept_async(tls).await.unwrap();
                while let Some(Ok(m)) = ws.next().await {
                    if (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn wss_with_given_roots() {
    let port = tls_echo().await;
    let mut options = ConnectOptions::default();
    options.tls = Some(client_config(true));
    let (mut ws, _) = connect(&format!("wss://localhost:{port}/"), options)
        .await
        .unwrap();
    for i in 0..100u32 {
        ws.feed(Message::text(format!("secure {i}"))).await.unwrap();
    }
    ws.flush().await.unwrap();
    for i in 0..100u32 {
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::text(format!("secure {i}"))
        );
    }
    let big = vec![9u8; 1 << 20];
    ws.send(Message::binary(big.clone())).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::binary(big));
    ws.close(1000, "").await.unwrap();
    while let Some(m) = ws.next().await {
        m.unwrap();
    }
    assert!(ws.close_info().unwrap().was_clean);
}

#[tokio::test]
async fn wss_refuses_an_untrusted_certificate() {
    let port = tls_echo().await;
    let mut options = ConnectOptions::default();
    options.tls = Some(client_config(false));
    match connect(&format!("wss://localhost:{port}/"), options).await {
        Err(Error::Io(e)) => assert!(e.to_string().contains("certificate"), "{e}"),
        other => panic!("expected a certificate error, got {:?}", other.map(|_| ())),
    }
}
