//! Interop with tokio-tungstenite, an implementation we did not write: our server against its
//! client, our client against its server, with permessage-deflate configured and not.
//! (tungstenite 0.30 does not implement permessage-deflate, so with it configured our side
//! must offer or accept it and fall back cleanly; compression itself is exercised against
//! our own peer here and against Python websockets, Node ws and Chromium in tests/interop.)

mod common;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame as TCloseFrame;
use tokio_tungstenite::tungstenite::Message as TMessage;
use wsengine_tokio::{connect, Config, ConnectOptions, Message};

async fn server_vs_tungstenite_client(config: Config) {
    let (listener, url) = common::listen().await;
    common::spawn_echo(listener, config);
    let (mut ws, response) = tokio_tungstenite::connect_async(format!("{url}/echo"))
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    // Many messages before reading any echo: batched writes must keep order and content.
    for i in 0..200u32 {
        ws.feed(TMessage::text(format!(
            "text {i} {}",
            "é".repeat(i as usize)
        )))
        .await
        .unwrap();
        ws.feed(TMessage::binary(vec![i as u8; i as usize * 7]))
            .await
            .unwrap();
    }
    ws.flush().await.unwrap();
    for i in 0..200u32 {
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            TMessage::text(format!("text {i} {}", "é".repeat(i as usize)))
        );
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            TMessage::binary(vec![i as u8; i as usize * 7])
        );
    }
    // A large message, and a ping the engine answers.
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    ws.send(TMessage::binary(big.clone())).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), TMessage::binary(big));
    ws.send(TMessage::Ping(b"are you there".to_vec().into()))
        .await
        .unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        TMessage::Pong(b"are you there".to_vec().into())
    );
    // The closing handshake, started by the client.
    ws.send(TMessage::Close(Some(TCloseFrame {
        code: CloseCode::Away,
        reason: "bye".into(),
    })))
    .await
    .unwrap();
    match ws.next().await.unwrap().unwrap() {
        TMessage::Close(Some(f)) => assert_eq!(u16::from(f.code), 1001),
        other => panic!("expected the close answer, got {other:?}"),
    }
    assert!(ws.next().await.is_none());
}

#[tokio::test]
async fn server_with_tungstenite_client() {
    server_vs_tungstenite_client(Config::default()).await;
}

#[tokio::test]
async fn server_with_tungstenite_client_deflate_configured() {
    server_vs_tungstenite_client(common::deflate_config()).await;
}

/// A tokio-tungstenite echo server (data back, close answered by tungstenite).
async fn tungstenite_echo() -> String {
    let (listener, url) = common::listen().await;
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
                while let Some(Ok(m)) = ws.next().await {
                    if (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    url
}

async fn client_vs_tungstenite_server(config: Config) {
    let url = tungstenite_echo().await;
    let mut options = ConnectOptions::with_config(config);
    options.config.surface_pongs = true;
    let (mut ws, opened) = connect(&format!("{url}/"), options).await.unwrap();
    assert_eq!(opened.extensions, None);
    for i in 0..300u32 {
        ws.feed(Message::text(format!("m{i}"))).await.unwrap();
        ws.feed(Message::binary(vec![7u8; i as usize]))
            .await
            .unwrap();
    }
    ws.flush().await.unwrap();
    for i in 0..300u32 {
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::text(format!("m{i}"))
        );
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::binary(vec![7u8; i as usize])
        );
    }
    let big = vec![0x5au8; 2 << 20];
    ws.send(Message::binary(big.clone())).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::binary(big));
    ws.ping("p").await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::Pong("p".into()));
    ws.close(1000, "done").await.unwrap();
    match ws.next().await.unwrap().unwrap() {
        Message::Close(Some(f)) => assert_eq!(f.code, 1000),
        other => panic!("expected the close answer, got {other:?}"),
    }
    assert!(ws.next().await.is_none());
    let info = ws.close_info().unwrap();
    assert!(info.was_clean, "{info:?}");
}

#[tokio::test]
async fn client_with_tungstenite_server() {
    client_vs_tungstenite_server(Config::default()).await;
}

#[tokio::test]
async fn client_with_tungstenite_server_deflate_configured() {
    client_vs_tungstenite_server(common::deflate_config()).await;
}

/// Compression on both ends (our client, our server): negotiated and round-tripped.
#[tokio::test]
async fn deflate_between_our_client_and_server() {
    let (listener, url) = common::listen().await;
    common::spawn_echo(listener, common::deflate_config());
    let (mut ws, opened) = connect(
        &format!("{url}/"),
        ConnectOptions::with_config(common::deflate_config()),
    )
    .await
    .unwrap();
    assert!(opened
        .extensions
        .as_deref()
        .unwrap()
        .starts_with("permessage-deflate"));
    let text = "compressible ".repeat(10_000);
    ws.send(Message::text(text.clone())).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text(text));
    ws.close(1000, "").await.unwrap();
    while let Some(m) = ws.next().await {
        m.unwrap();
    }
}

/// The halves of a split socket in two tasks, against a tungstenite server.
#[tokio::test]
async fn split_halves_in_two_tasks() {
    let url = tungstenite_echo().await;
    let (ws, _) = connect(&format!("{url}/"), ConnectOptions::default())
        .await
        .unwrap();
    let (mut tx, mut rx) = ws.split();
    let writer = tokio::spawn(async move {
        for i in 0..2000u32 {
            tx.send(Message::text(i.to_string())).await.unwrap();
        }
        tx
    });
    for i in 0..2000u32 {
        assert_eq!(
            rx.next().await.unwrap().unwrap(),
            Message::text(i.to_string())
        );
    }
    let mut tx = writer.await.unwrap();
    tx.close(1000, "").await.unwrap();
    while let Some(m) = rx.next().await {
        m.unwrap();
    }
    assert!(tx.reunite(rx).is_ok());
}
