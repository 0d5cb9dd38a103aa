//! The engine's timers run through tokio::time while the socket is polled: idle timeout,
//! keepalive pings, handshake timeout. Peers: tokio-tungstenite and a raw TCP client.

mod common;

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message as TMessage;
use wsengine_tokio::{Config, Error};

#[tokio::test]
async fn idle_timeout_closes_with_1001() {
    let (listener, url) = common::listen().await;
    let mut config = Config::default();
    config.idle_timeout = Some(200);
    common::spawn_echo(listener, config);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{url}/"))
        .await
        .unwrap();
    // Send nothing: the server closes the idle connection.
    match ws.next().await.unwrap().unwrap() {
        TMessage::Close(Some(f)) => assert_eq!(u16::from(f.code), 1001),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn keepalive_pings_reach_the_peer() {
    let (listener, url) = common::listen().await;
    let mut config = Config::default();
    config.ping_interval = Some(50);
    common::spawn_echo(listener, config);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{url}/"))
        .await
        .unwrap();
    // tungstenite surfaces received pings (and answers them); wait for two.
    let mut pings = 0;
    while pings < 2 {
        if let TMessage::Ping(_) = ws.next().await.unwrap().unwrap() {
            pings += 1;
        }
    }
    ws.close(None).await.unwrap();
}

#[tokio::test]
async fn handshake_timeout_answers_408() {
    let (listener, url) = common::listen().await;
    let addr = url.trim_start_matches("ws://").to_string();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut config = Config::default();
        config.handshake_timeout = Some(100);
        wsengine_tokio::accept(tcp, config).await.map(|_| ())
    });
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    // Half a request line, then nothing.
    tcp.write_all(b"GET / HT").await.unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    drop(tcp);
    match server.await.unwrap() {
        Err(Error::Protocol(wsengine_tokio::wsengine::Error::HandshakeTimeout)) => {}
        other => panic!("expected a handshake timeout, got {other:?}"),
    }
}
