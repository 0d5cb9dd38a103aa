//! An echo server on wsengine-tokio: every message comes back, in batched writes.
//!
//! ```text
//! cargo run --release -p wsengine-tokio --example tokio_echo_server -- [--port 9001] [--deflate] [--autobahn]
//! ```
//!
//! One tokio worker thread (`current_thread`), the runtime setting every end-to-end benchmark
//! peer uses. `--autobahn` raises the limits the conformance suite probes (its 16 MiB
//! messages); `--deflate` enables permessage-deflate.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use wsengine_tokio::Config;

fn main() -> std::io::Result<()> {
    let mut port = 9001u16;
    let mut deflate = false;
    let mut autobahn = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).expect("--port N"),
            "--deflate" => deflate = true,
            "--autobahn" => autobahn = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let mut config = Config::default();
    if autobahn {
        config.max_frame_size = 64 << 20;
        config.max_message_size = 64 << 20;
        config.max_output_buffer = 256 << 20;
    }
    if deflate {
        config.deflate = Some(Default::default());
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(serve(port, config))
}

async fn serve(port: u16, config: Config) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("echo server on ws://{}/", listener.local_addr()?);
    loop {
        let (tcp, _) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        let config = config.clone();
        tokio::spawn(async move {
            let incoming = wsengine_tokio::accept(tcp, config).await?;
            let mut ws = incoming.accept().await?;
            // `feed` queues the echo without writing; the next `next()` writes everything
            // queued before it reads again, so a burst of messages is echoed in one write.
            // Pings and the closing handshake are answered by the engine.
            while let Some(message) = ws.next().await {
                let message = message?;
                if message.is_data() {
                    ws.feed(message).await?;
                }
            }
            Ok::<_, wsengine_tokio::Error>(())
        });
    }
}
