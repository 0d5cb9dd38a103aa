//! Helpers shared by the integration tests: loopback listeners, a wsengine echo server task.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use wsengine_tokio::Config;

/// A listener on a free loopback port, and its `ws://` base URL.
pub async fn listen() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    (listener, url)
}

/// A wsengine echo server (data messages back, batched) for every connection on `listener`.
pub fn spawn_echo(listener: TcpListener, config: Config) {
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let config = config.clone();
            tokio::spawn(async move {
                let incoming = wsengine_tokio::accept(tcp, config).await?;
                let mut ws = incoming.accept().await?;
                while let Some(message) = ws.next().await {
                    let message = message?;
                    if message.is_data() {
                        ws.feed(message).await?;
                    }
                }
                Ok::<_, wsengine_tokio::Error>(())
            });
        }
    });
}

pub fn deflate_config() -> Config {
    let mut c = Config::default();
    c.deflate = Some(Default::default());
    c
}
