//! A client for an Autobahn-style fuzzing server, on wsengine-tokio: `GET /getCaseCount`, then
//! `GET /runCase?case=N&agent=A` for each case, echoing every message until the server closes,
//! then `GET /updateReports?agent=A`. permessage-deflate is offered (sections 12 and 13).
//!
//! ```text
//! cargo run --release -p wsengine-tokio --example tokio_autobahn_client -- [--url ws://127.0.0.1:9001] [--agent wsengine-tokio]
//! ```
//!
//! Exits 0 when every case ran (the verdicts are the fuzzing server's); 1 if the server could
//! not be reached.

use futures_util::{SinkExt, StreamExt};
use wsengine_tokio::{connect, Config, ConnectOptions, Error};

fn config() -> Config {
    let mut c = Config::default();
    c.max_frame_size = 64 << 20;
    c.max_message_size = 64 << 20;
    c.max_output_buffer = 256 << 20;
    c.deflate = Some(Default::default());
    c
}

/// Connects to `url` and echoes every data message (when `echo`) until the connection is
/// over. Returns the first text message received.
async fn session(url: &str, echo: bool) -> Result<Option<String>, Error> {
    let (mut ws, _) = connect(url, ConnectOptions::with_config(config())).await?;
    let mut first = None;
    while let Some(message) = ws.next().await {
        let Ok(message) = message else { continue };
        if let Some(text) = message.as_text() {
            first.get_or_insert_with(|| text.to_string());
        }
        if echo && message.is_data() {
            // Refused once the connection is closing: nothing more to echo then.
            let _ = ws.feed(message).await;
        }
    }
    Ok(first)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut base = String::from("ws://127.0.0.1:9001");
    let mut agent = String::from("wsengine-tokio");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--url", Some(v)) => base = v.trim_end_matches('/').to_string(),
            ("--agent", Some(v)) => agent = v,
            _ => {
                eprintln!(
                    "usage: tokio_autobahn_client [--url ws://127.0.0.1:9001] [--agent NAME]"
                );
                std::process::exit(2);
            }
        }
    }
    let count = match session(&format!("{base}/getCaseCount"), false).await {
        Ok(Some(t)) => t.trim().parse::<u32>().unwrap_or_else(|_| {
            eprintln!("getCaseCount answered {t:?}");
            std::process::exit(1);
        }),
        Ok(None) => {
            eprintln!("getCaseCount: no answer");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("getCaseCount: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("{count} cases as agent {agent}");
    for n in 1..=count {
        if let Err(e) = session(&format!("{base}/runCase?case={n}&agent={agent}"), true).await {
            // A case may refuse or break the connection on purpose; the server judges it.
            eprintln!("case {n}: {e}");
        }
    }
    if let Err(e) = session(&format!("{base}/updateReports?agent={agent}"), false).await {
        eprintln!("updateReports: {e}");
        std::process::exit(1);
    }
    eprintln!("done");
}
