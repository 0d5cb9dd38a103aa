//! The demo server: echo, chat and a page, on wsengine-tokio (one task per connection).
//!
//! ```text
//! cargo run --release -p wsengine-tokio --example demo -- [--host 127.0.0.1] [--port 8080] [--max-sessions N]
//! ```
//!
//! - `ws://HOST:PORT/echo` echoes every message;
//! - `ws://HOST:PORT/chat` (subprotocol `chat`) relays every message to every chat client;
//! - `http://HOST:PORT/` serves a page whose JavaScript chats through the browser's WebSocket;
//! - past `--max-sessions` open WebSockets the server answers 503 (Ioto's LimitWebSockets).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use wsengine_tokio::{AcceptOptions, Config, Header, Message};

const PAGE: &str = include_str!("page.html");

#[derive(Default)]
struct Shared {
    /// Chat clients: id → their inbox.
    chat: Mutex<HashMap<u64, UnboundedSender<Message>>>,
    sessions: AtomicUsize,
    next_id: AtomicU64,
}

struct Options {
    host: String,
    port: u16,
    max_sessions: usize,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        host: "127.0.0.1".into(),
        port: 8080,
        max_sessions: 1000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--host" => o.host = value()?,
            "--port" => o.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--max-sessions" => {
                o.max_sessions = value()?
                    .parse()
                    .map_err(|e| format!("--max-sessions: {e}"))?
            }
            "-h" | "--help" => {
                return Err(
                    "usage: demo [--host 127.0.0.1] [--port 8080] [--max-sessions N]".into(),
                );
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

fn config() -> Config {
    let mut c = Config::default();
    c.ping_interval = Some(20_000);
    c.pong_timeout = Some(10_000);
    c.protocols = vec!["chat".into()];
    #[cfg(feature = "deflate")]
    {
        c.deflate = Some(Default::default());
    }
    c
}

#[tokio::main]
async fn main() {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let listener = TcpListener::bind((options.host.as_str(), options.port))
        .await
        .unwrap_or_else(|e| {
            eprintln!("cannot listen on {}:{}: {e}", options.host, options.port);
            std::process::exit(1);
        });
    let addr = listener.local_addr().expect("bound address");
    println!("wsengine demo server on http://{addr}/ (ws://{addr}/echo, ws://{addr}/chat)");
    let shared = Arc::new(Shared::default());
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let max_sessions = options.max_sessions;
        tokio::spawn(async move {
            if let Err(e) = serve(tcp, &shared, max_sessions).await {
                eprintln!("connection: {e}");
            }
        });
    }
}

/// Counts an open WebSocket session until dropped.
struct Session<'a>(&'a Shared);

impl Drop for Session<'_> {
    fn drop(&mut self) {
        self.0.sessions.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One connection, from the HTTP request to the closed transport.
async fn serve(
    tcp: TcpStream,
    shared: &Shared,
    max_sessions: usize,
) -> Result<(), wsengine_tokio::Error> {
    let incoming = wsengine_tokio::accept(tcp, config()).await?;
    let path = incoming.request().path.clone();
    if !incoming.is_websocket() {
        return match path.as_str() {
            "/" | "/index.html" => {
                let html = [Header::new("Content-Type", "text/html; charset=utf-8")];
                incoming.respond(200, &html, PAGE.as_bytes()).await
            }
            _ => {
                let text = [Header::new("Content-Type", "text/plain")];
                incoming.respond(404, &text, b"not found\n").await
            }
        };
    }
    if !matches!(path.as_str(), "/echo" | "/chat") {
        return incoming
            .reject(404, &[], b"no such WebSocket endpoint\n")
            .await;
    }
    if shared.sessions.fetch_add(1, Ordering::SeqCst) >= max_sessions {
        shared.sessions.fetch_sub(1, Ordering::SeqCst);
        let retry = [Header::new("Retry-After", "5")];
        return incoming
            .reject(503, &retry, b"too many WebSocket sessions\n")
            .await;
    }
    let _session = Session(shared);
    let chat = path == "/chat";
    // /chat speaks the `chat` subprotocol; /echo takes none.
    let protocol = (chat && incoming.request().protocols.iter().any(|p| p == "chat"))
        .then(|| "chat".to_string());
    let mut ws = incoming
        .accept_with(AcceptOptions {
            protocol,
            headers: vec![],
        })
        .await?;
    if !chat {
        // Echo: queue each answer; the next read writes them all at once.
        while let Some(message) = ws.next().await {
            match message {
                Ok(m) if m.is_data() => ws.feed(m).await?,
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        return Ok(());
    }
    let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
    let (tx, mut inbox) = unbounded_channel();
    shared.chat.lock().expect("chat registry").insert(id, tx);
    let result = async {
        loop {
            tokio::select! {
                message = ws.next() => match message {
                    Some(Ok(m)) if m.is_data() => broadcast(shared, m),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e),
                    None => return Ok(()),
                },
                Some(relayed) = inbox.recv() => {
                    // Past its open state a client just stops receiving the relay.
                    let _ = ws.send(relayed).await;
                }
            }
        }
    }
    .await;
    shared.chat.lock().expect("chat registry").remove(&id);
    result
}

fn broadcast(shared: &Shared, message: Message) {
    let clients = shared.chat.lock().expect("chat registry");
    for tx in clients.values() {
        // Cheap: the message's buffer is shared, not copied.
        let _ = tx.send(message.clone());
    }
}
