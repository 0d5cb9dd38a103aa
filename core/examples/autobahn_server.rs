//! An echo server for the Autobahn testsuite's fuzzing client (`wstest -m fuzzingclient`):
//! every text and binary message goes back as it came, on any path, with the large limits the
//! testsuite expects (its section 9 sends 16 MiB messages) and permessage-deflate on.
//!
//! ```text
//! cargo run --release -p wsengine --example autobahn_server -- [--host 127.0.0.1] [--port 9001]
//! ```
//!
//! Point the fuzzing client's `servers` list at `ws://127.0.0.1:9001`. Our own runner,
//! `tests/conformance/run.sh`, tests it the same way.

#[path = "support/mod.rs"]
mod support;

use std::net::{TcpListener, TcpStream};
use std::time::Instant;

use support::{flush, read_once, ReadOutcome};
use wsengine::{AcceptOptions, Config, Connection, DataKind, Event, State};

fn config() -> Config {
    let mut c = Config::default();
    c.max_frame_size = 64 << 20;
    c.max_message_size = 64 << 20;
    c.max_output_buffer = 256 << 20;
    #[cfg(feature = "deflate")]
    {
        c.deflate = Some(wsengine::deflate::DeflateConfig::default());
    }
    c
}

fn main() {
    let mut host = String::from("127.0.0.1");
    let mut port: u16 = 9001;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--host", Some(v)) => host = v,
            ("--port", Some(v)) => {
                port = v.parse().unwrap_or_else(|e| {
                    eprintln!("--port: {e}");
                    std::process::exit(2)
                })
            }
            _ => {
                eprintln!("usage: autobahn_server [--host 127.0.0.1] [--port 9001]");
                std::process::exit(2);
            }
        }
    }
    let listener = TcpListener::bind((host.as_str(), port)).unwrap_or_else(|e| {
        eprintln!("cannot listen on {host}:{port}: {e}");
        std::process::exit(1);
    });
    let addr = listener.local_addr().expect("bound address");
    println!("wsengine Autobahn echo server on ws://{addr}/");
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        std::thread::spawn(move || {
            let _ = stream.set_nodelay(true);
            serve(stream);
        });
    }
}

/// One connection: accept any WebSocket request, echo every message, until closed.
fn serve(mut stream: TcpStream) {
    let start = Instant::now();
    let mut conn = Connection::server(config()).expect("valid config");
    let _ = stream.set_read_timeout(Some(support::poll_interval()));
    let mut buf = vec![0u8; 256 * 1024];
    conn.handle_timeout(support::now_ms(start));
    loop {
        let read = read_once(&mut conn, &mut stream, &mut buf, start);
        while let Some(event) = conn.poll_event() {
            let _ = match event {
                Event::Request(_) => conn.accept(AcceptOptions::default()),
                Event::HttpRequest(_) => conn.respond(404, &[], b"WebSocket only\n"),
                Event::Text(text) => conn.send_owned(DataKind::Text, text.into_bytes()),
                Event::Binary(data) => conn.send_owned(DataKind::Binary, data),
                _ => Ok(()),
            };
        }
        if flush(&mut conn, &mut stream).is_err() {
            break;
        }
        if conn.state() == State::Closed || matches!(read, ReadOutcome::Eof) {
            break;
        }
    }
    support::close_transport(&mut conn, &mut stream);
}
