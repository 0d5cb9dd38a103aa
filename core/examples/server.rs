//! The demo server: echo, chat and a page, on the engine, std::net and a thread per connection.
//!
//! ```text
//! cargo run --release -p wsengine --example server -- [--host 127.0.0.1] [--port 8080] [--max-sessions N]
//! ```
//!
//! - `ws://HOST:PORT/echo` echoes every message;
//! - `ws://HOST:PORT/chat` (subprotocol `chat`) relays every message to every chat client;
//! - `http://HOST:PORT/` serves a page whose JavaScript chats through the browser's WebSocket;
//! - past `--max-sessions` open WebSockets the server answers 503 (Ioto's LimitWebSockets).

#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use support::{flush, read_once, ReadOutcome};
use wsengine::{AcceptOptions, Config, Connection, DataKind, Event, Header, State};

const PAGE: &str = include_str!("page.html");

/// A message relayed to a chat client.
#[derive(Clone)]
enum Relay {
    Text(Arc<str>),
    Binary(Arc<[u8]>),
}

#[derive(Default)]
struct Shared {
    chat: Mutex<HashMap<u64, Sender<Relay>>>,
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
                    "usage: server [--host 127.0.0.1] [--port 8080] [--max-sessions N]".into(),
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
        c.deflate = Some(wsengine::deflate::DeflateConfig::default());
    }
    c
}

fn main() {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let listener = TcpListener::bind((options.host.as_str(), options.port)).unwrap_or_else(|e| {
        eprintln!("cannot listen on {}:{}: {e}", options.host, options.port);
        std::process::exit(1);
    });
    let addr = listener.local_addr().expect("bound address");
    println!("wsengine demo server on http://{addr}/ (ws://{addr}/echo, ws://{addr}/chat)");
    let shared = Arc::new(Shared::default());
    let max_sessions = options.max_sessions;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || {
            let _ = stream.set_nodelay(true);
            serve(stream, &shared, max_sessions);
        });
    }
}

/// One connection, from the HTTP request to the closed transport.
fn serve(mut stream: TcpStream, shared: &Shared, max_sessions: usize) {
    let start = Instant::now();
    let mut conn = Connection::server(config()).expect("valid config");
    let _ = stream.set_read_timeout(Some(support::poll_interval()));
    let mut buf = vec![0u8; 64 * 1024];
    let mut session: Option<Session> = None;
    conn.handle_timeout(support::now_ms(start));
    loop {
        let read = read_once(&mut conn, &mut stream, &mut buf, start);
        while let Some(event) = conn.poll_event() {
            handle(&mut conn, event, shared, max_sessions, &mut session);
        }
        if let Some(s) = &session {
            while let Ok(msg) = s.inbox.try_recv() {
                if conn.state() != State::Open {
                    break;
                }
                let _ = match msg {
                    Relay::Text(t) => conn.send_text(&t),
                    Relay::Binary(b) => conn.send_binary(&b),
                };
            }
        }
        if flush(&mut conn, &mut stream).is_err() {
            break;
        }
        if conn.state() == State::Closed || matches!(read, ReadOutcome::Eof) {
            break;
        }
    }
    support::close_transport(&mut conn, &mut stream);
    if let Some(s) = session {
        shared.chat.lock().expect("chat registry").remove(&s.id);
        shared.sessions.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Session {
    id: u64,
    chat: bool,
    inbox: Receiver<Relay>,
}

fn handle(
    conn: &mut Connection,
    event: Event,
    shared: &Shared,
    max_sessions: usize,
    session: &mut Option<Session>,
) {
    match event {
        Event::HttpRequest(req) => {
            let result = match req.path.as_str() {
                "/" | "/index.html" => conn.respond(
                    200,
                    &[Header::new("Content-Type", "text/html; charset=utf-8")],
                    PAGE.as_bytes(),
                ),
                _ => conn.respond(
                    404,
                    &[Header::new("Content-Type", "text/plain")],
                    b"not found\n",
                ),
            };
            let _ = result;
        }
        Event::Request(req) => {
            if !matches!(req.path.as_str(), "/echo" | "/chat") {
                let _ = conn.reject(404, &[], b"no such WebSocket endpoint\n");
                return;
            }
            if shared.sessions.fetch_add(1, Ordering::SeqCst) >= max_sessions {
                shared.sessions.fetch_sub(1, Ordering::SeqCst);
                let _ = conn.reject(
                    503,
                    &[Header::new("Retry-After", "5")],
                    b"too many WebSocket sessions\n",
                );
                return;
            }
            let chat = req.path == "/chat";
            // /chat speaks the `chat` subprotocol; /echo takes none.
            let protocol = if chat && req.protocols.iter().any(|p| p == "chat") {
                Some("chat".into())
            } else {
                None
            };
            let options = AcceptOptions {
                protocol,
                headers: vec![],
            };
            if conn.accept(options).is_err() {
                shared.sessions.fetch_sub(1, Ordering::SeqCst);
                return;
            }
            let (tx, rx) = channel();
            let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
            if chat {
                shared.chat.lock().expect("chat registry").insert(id, tx);
            }
            *session = Some(Session {
                id,
                chat,
                inbox: rx,
            });
        }
        Event::Text(text) => match session {
            Some(s) if s.chat => broadcast(shared, Relay::Text(text.into())),
            _ => {
                let _ = conn.send_text(&text);
            }
        },
        Event::Binary(data) => match session {
            Some(s) if s.chat => broadcast(shared, Relay::Binary(data.into())),
            _ => {
                let _ = conn.send_owned(DataKind::Binary, data);
            }
        },
        Event::Failed(err) => {
            eprintln!("connection failed: {err} (close code {})", err.close_code())
        }
        _ => {}
    }
}

fn broadcast(shared: &Shared, msg: Relay) {
    let clients = shared.chat.lock().expect("chat registry");
    for tx in clients.values() {
        let _ = tx.send(msg.clone());
    }
}
