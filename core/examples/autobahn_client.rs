//! A client for the Autobahn testsuite's fuzzing server (`wstest -m fuzzingserver`), following
//! its conventions: `GET /getCaseCount` (one text message: the number of cases), then for each
//! case `GET /runCase?case=N&agent=A`, echoing every message until the server closes, then
//! `GET /updateReports?agent=A`. permessage-deflate is offered (sections 12 and 13).
//!
//! ```text
//! cargo run --release -p wsengine --example autobahn_client -- [--url ws://127.0.0.1:9001] [--agent wsengine-rust] [--cases 1,5-9]
//! ```
//!
//! Exits 0 when every case ran (the verdicts are the fuzzing server's); 1 if the server could
//! not be reached. Our own fuzzing server, `tests/conformance/run.sh`, drives it the same way.

#[path = "support/mod.rs"]
mod support;

use std::net::TcpStream;
use std::time::Instant;

use support::{flush, read_once, ReadOutcome};
use wsengine::handshake::client::parse_url;
use wsengine::{ClientOptions, Config, Connection, DataKind, Event, OsRandom, State};

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

/// How one connection went.
struct Session {
    /// The first text message received (the case count on `/getCaseCount`).
    first_text: Option<String>,
    /// The connection opened (101 received and accepted).
    opened: bool,
}

/// Connects to `url`, echoes every message when `echo`, and returns when the connection is over.
fn session(url: &str, echo: bool) -> Result<Session, String> {
    let parsed = parse_url(url).map_err(|e| format!("bad URL {url}: {e}"))?;
    let mut stream = TcpStream::connect((parsed.host.as_str(), parsed.port))
        .map_err(|e| format!("cannot connect to {}:{}: {e}", parsed.host, parsed.port))?;
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(support::poll_interval()));
    let options = ClientOptions {
        url: url.into(),
        ..ClientOptions::default()
    };
    let mut conn = Connection::client(config(), options, Box::new(OsRandom))
        .map_err(|e| format!("client: {e}"))?;
    let start = Instant::now();
    conn.handle_timeout(support::now_ms(start));
    let mut buf = vec![0u8; 256 * 1024];
    let mut result = Session {
        first_text: None,
        opened: false,
    };
    loop {
        if flush(&mut conn, &mut stream).is_err() {
            break;
        }
        let read = read_once(&mut conn, &mut stream, &mut buf, start);
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Open(_) => result.opened = true,
                Event::Text(text) => {
                    if result.first_text.is_none() {
                        result.first_text = Some(text.clone());
                    }
                    if echo {
                        let _ = conn.send_owned(DataKind::Text, text.into_bytes());
                    }
                }
                Event::Binary(data) if echo => {
                    let _ = conn.send_owned(DataKind::Binary, data);
                }
                Event::Rejected(r) => eprintln!("{url}: refused with {} {}", r.status, r.reason),
                _ => {}
            }
        }
        if conn.state() == State::Closed || matches!(read, ReadOutcome::Eof) {
            support::close_transport(&mut conn, &mut stream);
            break;
        }
    }
    Ok(result)
}

/// `1,5-9` → [1, 5, 6, 7, 8, 9].
fn parse_cases(spec: &str) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for part in spec.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => out.extend(a.trim().parse::<u32>().ok()?..=b.trim().parse().ok()?),
            None => out.push(part.trim().parse().ok()?),
        }
    }
    Some(out)
}

fn main() {
    let mut base = String::from("ws://127.0.0.1:9001");
    let mut agent = String::from("wsengine-rust");
    let mut only: Option<Vec<u32>> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--url", Some(v)) => base = v.trim_end_matches('/').to_string(),
            ("--agent", Some(v)) => agent = v,
            ("--cases", Some(v)) => only = parse_cases(&v),
            _ => {
                eprintln!(
                    "usage: autobahn_client [--url ws://127.0.0.1:9001] [--agent NAME] [--cases 1,5-9]"
                );
                std::process::exit(2);
            }
        }
    }
    let count = match session(&format!("{base}/getCaseCount"), false) {
        Ok(Session {
            first_text: Some(t),
            ..
        }) => match t.trim().parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("getCaseCount answered {t:?}");
                std::process::exit(1);
            }
        },
        Ok(_) => {
            eprintln!("getCaseCount: no answer");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let cases = only.unwrap_or_else(|| (1..=count).collect());
    eprintln!("{count} cases; running {} as agent {agent}", cases.len());
    for n in cases {
        let url = format!("{base}/runCase?case={n}&agent={agent}");
        match session(&url, true) {
            Ok(s) if !s.opened => eprintln!("case {n}: the connection did not open"),
            Ok(_) => {}
            Err(e) => {
                eprintln!("case {n}: {e}");
                std::process::exit(1);
            }
        }
    }
    if let Err(e) = session(&format!("{base}/updateReports?agent={agent}"), false) {
        eprintln!("updateReports: {e}");
        std::process::exit(1);
    }
    eprintln!("done");
}
