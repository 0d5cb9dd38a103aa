//! A minimal websocat: connects to a `ws://` URL, sends each stdin line as a text message,
//! prints every message that arrives. End of input closes the connection with 1000.
//!
//! ```text
//! cargo run --release -p wsengine --example client -- ws://127.0.0.1:8080/echo [--protocol chat]
//! ```

#[path = "support/mod.rs"]
mod support;

use std::io::BufRead;
use std::net::TcpStream;
use std::sync::mpsc::{channel, TryRecvError};
use std::time::Instant;

use support::{flush, read_once, ReadOutcome};
use wsengine::handshake::client::parse_url;
use wsengine::{ClientOptions, Config, Connection, Event, OsRandom, State};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut url = None;
    let mut protocols = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--protocol" => protocols.extend(args.next()),
            _ => url = Some(a),
        }
    }
    let Some(url) = url else {
        eprintln!("usage: client ws://HOST[:PORT]/PATH [--protocol NAME]");
        std::process::exit(2);
    };
    std::process::exit(run(&url, protocols));
}

fn run(url: &str, protocols: Vec<String>) -> i32 {
    let parsed = match parse_url(url) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("bad URL: {e}");
            return 2;
        }
    };
    if parsed.secure {
        eprintln!(
            "this example speaks ws:// only (wss:// needs a TLS layer around the same engine)"
        );
        return 2;
    }
    let mut stream = match TcpStream::connect((parsed.host.as_str(), parsed.port)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot connect to {}:{}: {e}", parsed.host, parsed.port);
            return 1;
        }
    };
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(support::poll_interval()));
    let mut config = Config::default();
    config.protocols = protocols;
    #[cfg(feature = "deflate")]
    {
        config.deflate = Some(wsengine::deflate::DeflateConfig::default());
    }
    let options = ClientOptions {
        url: url.into(),
        ..ClientOptions::default()
    };
    let mut conn = match Connection::client(config, options, Box::new(OsRandom)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let start = Instant::now();
    conn.handle_timeout(support::now_ms(start));

    let (tx, lines) = channel::<Option<String>>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            match line {
                Ok(l) => {
                    if tx.send(Some(l)).is_err() {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = tx.send(None);
    });

    let mut buf = vec![0u8; 64 * 1024];
    let mut code = 0;
    let mut stdin_open = true;
    loop {
        if flush(&mut conn, &mut stream).is_err() {
            eprintln!("write failed");
            return 1;
        }
        let read = read_once(&mut conn, &mut stream, &mut buf, start);
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Open(o) => eprintln!(
                    "connected (protocol {:?}, extensions {:?})",
                    o.protocol, o.extensions
                ),
                Event::Text(t) => println!("{t}"),
                Event::Binary(b) => println!("<{} bytes of binary>", b.len()),
                Event::Rejected(r) => {
                    eprintln!("refused: {} {}", r.status, r.reason);
                    code = 1;
                }
                Event::CloseReceived(c) => eprintln!("server closed: {} {}", c.code, c.reason),
                Event::Failed(e) => {
                    eprintln!("failed: {e}");
                    code = 1;
                }
                _ => {}
            }
        }
        while stdin_open && conn.state() == State::Open {
            match lines.try_recv() {
                Ok(Some(line)) => {
                    let _ = conn.send_text(&line);
                }
                Ok(None) | Err(TryRecvError::Disconnected) => {
                    stdin_open = false;
                    let _ = conn.close(Some(1000), "");
                }
                Err(TryRecvError::Empty) => break,
            }
        }
        if conn.state() == State::Closed || matches!(read, ReadOutcome::Eof) {
            support::close_transport(&mut conn, &mut stream);
            return code;
        }
    }
}
