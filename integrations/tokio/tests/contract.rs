//! The delivery contract through the driver: when one read holds a message followed by the
//! peer's close frame (Autobahn 7.1.1) or by a protocol error (5.15), the echo the application
//! sends for the message is on the wire before the engine's close frame. The client is raw
//! bytes in one write, so both arrive in one read.

mod common;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wsengine_tokio::Config;

const UPGRADE: &[u8] =
    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// A masked client frame (mask 0x01020304).
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [1u8, 2, 3, 4];
    let mut f = vec![first, 0x80 | payload.len() as u8];
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// Sends the upgrade and `frames` in one write; returns what the server wrote after its 101.
async fn exchange(frames: &[u8]) -> Vec<u8> {
    let (listener, url) = common::listen().await;
    common::spawn_echo(listener, Config::default());
    let mut tcp = tokio::net::TcpStream::connect(url.trim_start_matches("ws://"))
        .await
        .unwrap();
    let mut all = UPGRADE.to_vec();
    all.extend_from_slice(frames);
    tcp.write_all(&all).await.unwrap();
    let mut out = Vec::new();
    tcp.read_to_end(&mut out).await.unwrap();
    let end = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(out.starts_with(b"HTTP/1.1 101"));
    out.split_off(end)
}

#[tokio::test]
async fn echo_precedes_the_answer_to_a_close_in_the_same_read() {
    let mut frames = frame(0x81, b"Hello");
    frames.extend(frame(0x88, &[0x03, 0xe8]));
    let out = exchange(&frames).await;
    assert_eq!(
        &out[..7],
        &[0x81, 0x05, b'H', b'e', b'l', b'l', b'o'],
        "{out:?}"
    );
    assert_eq!(&out[7..11], &[0x88, 0x02, 0x03, 0xe8], "{out:?}");
}

#[tokio::test]
async fn echo_precedes_the_close_of_a_failure_in_the_same_read() {
    let mut frames = frame(0x81, b"Hello");
    frames.extend([0x81, 0x02, b'h', b'i']); // unmasked: a protocol error (RFC 6455 §5.1)
    let out = exchange(&frames).await;
    assert_eq!(
        &out[..7],
        &[0x81, 0x05, b'H', b'e', b'l', b'l', b'o'],
        "{out:?}"
    );
    assert_eq!(out[7], 0x88, "{out:?}");
    assert_eq!(&out[9..11], &1002u16.to_be_bytes(), "{out:?}");
}
