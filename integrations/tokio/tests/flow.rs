//! Flow control: cancelling a send loses nothing the Sink accepted, and a peer that never
//! reads cannot make the queued output grow past the high-water mark (plus one message).
//! The peers are tokio-tungstenite endpoints that we stop polling.

mod common;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Sink, SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as TMessage;
use wsengine_tokio::{connect, Config, ConnectOptions, Error, Message};

/// Counts the messages the inner sink accepted (`start_send` returned `Ok`).
struct Counting<S> {
    inner: S,
    accepted: u32,
}

impl<S: Sink<Message, Error = Error> + Unpin> Sink<Message> for Counting<S> {
    type Error = Error;
    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.inner).poll_ready(cx)
    }
    fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        Pin::new(&mut self.inner).start_send(item)?;
        self.accepted += 1;
        Ok(())
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

fn payload(seq: u32, len: usize) -> Vec<u8> {
    let mut v = vec![(seq % 256) as u8; len];
    v[..4].copy_from_slice(&seq.to_be_bytes());
    v
}

#[tokio::test]
async fn cancelled_sends_lose_nothing_accepted() {
    const LEN: usize = 64 * 1024;
    let (listener, url) = common::listen().await;
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    // A tungstenite server that reads nothing until told to, then collects every message.
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        go_rx.await.unwrap();
        let mut got = Vec::new();
        while let Some(m) = ws.next().await {
            match m.unwrap() {
                TMessage::Binary(b) => got.push(b),
                TMessage::Close(_) => break,
                _ => {}
            }
        }
        got
    });
    let mut config = Config::default();
    config.high_water_mark = 256 * 1024;
    config.low_water_mark = 64 * 1024;
    let (ws, _) = connect(&format!("{url}/"), ConnectOptions::with_config(config))
        .await
        .unwrap();
    let mut sink = Counting {
        inner: ws,
        accepted: 0,
    };
    // Send until several send futures have been dropped mid-send (the peer is not reading,
    // so they stay pending, either waiting for room or flushing after the message was taken).
    let mut cancelled = 0;
    let mut seq = 0u32;
    while cancelled < 5 {
        let message = Message::binary(payload(seq, LEN));
        match tokio::time::timeout(Duration::from_millis(100), sink.send(message)).await {
            Ok(result) => result.unwrap(),
            Err(_) => cancelled += 1,
        }
        seq += 1;
        assert!(seq < 100_000, "the peer never pushed back");
    }
    let accepted = sink.accepted;
    assert!(accepted > 0);
    go_tx.send(()).unwrap();
    let mut ws = sink.inner;
    ws.close(1000, "").await.unwrap();
    while let Some(m) = ws.next().await {
        m.unwrap();
    }
    let got = server.await.unwrap();
    assert_eq!(
        got.len() as u32,
        accepted,
        "every accepted message arrives, no more"
    );
    for (i, m) in got.iter().enumerate() {
        assert_eq!(m.as_ref(), payload(i as u32, LEN).as_slice(), "message {i}");
    }
}

#[tokio::test]
async fn a_peer_that_never_reads_cannot_grow_the_queue() {
    const LEN: usize = 32 * 1024;
    const HIGH: usize = 512 * 1024;
    let (listener, url) = common::listen().await;
    let mut config = Config::default();
    config.high_water_mark = HIGH;
    config.low_water_mark = 128 * 1024;
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<(u32, usize)>();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = wsengine_tokio::accept(tcp, config)
            .await
            .unwrap()
            .accept()
            .await
            .unwrap();
        let mut fed = 0u32;
        let mut peak = 0usize;
        // Feed messages for as long as the sink takes them; it must stop taking them.
        loop {
            let message = Message::binary(payload(fed, LEN));
            match tokio::time::timeout(Duration::from_millis(300), ws.feed(message)).await {
                Ok(result) => result.unwrap(),
                Err(_) => break,
            }
            fed += 1;
            peak = peak.max(ws.buffered_amount());
            assert!(fed < 100_000, "the sink never pushed back");
        }
        done_tx.send((fed, peak)).unwrap();
        // Finish: everything fed must still arrive once the peer reads.
        ws.close(1000, "").await.unwrap();
        while let Some(m) = ws.next().await {
            m.unwrap();
        }
    });
    // A tungstenite client that connects and then does not read until the server gave up.
    let (mut client, _) = tokio_tungstenite::connect_async(format!("{url}/"))
        .await
        .unwrap();
    let (fed, peak) = done_rx.await.unwrap();
    assert!(
        peak <= HIGH + LEN + 64,
        "queued output reached {peak} bytes (bound {HIGH} + one message)"
    );
    let mut got = 0u32;
    while let Some(m) = client.next().await {
        match m.unwrap() {
            TMessage::Binary(b) => {
                assert_eq!(b.as_ref(), payload(got, LEN).as_slice());
                got += 1;
            }
            TMessage::Close(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, fed);
}
