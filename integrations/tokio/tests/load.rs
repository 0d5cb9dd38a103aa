//! Load: 10,000 concurrent connections from tokio-tungstenite clients to the wsengine-tokio
//! echo server example (its own process, one tokio thread), all open at the same time, every
//! echoed message checked. Raises RLIMIT_NOFILE for both processes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Barrier, Semaphore};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

const CONNECTIONS: usize = 10_000;
const MESSAGES: usize = 4;

fn raise_nofile() {
    // Each side holds one descriptor per connection (plus the runtime's few).
    let want = (CONNECTIONS as u64) * 2 + 1024;
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain libc calls on a valid struct.
    #[allow(unsafe_code)]
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        if lim.rlim_cur < want {
            let raised = libc::rlimit {
                rlim_cur: want,
                rlim_max: lim.rlim_max.max(want),
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
                // Not allowed to raise the hard limit: take what it allows.
                let capped = libc::rlimit {
                    rlim_cur: lim.rlim_max,
                    rlim_max: lim.rlim_max,
                };
                assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &capped), 0);
            }
        }
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
    }
    assert!(
        lim.rlim_cur >= CONNECTIONS as u64 + 256,
        "RLIMIT_NOFILE {} is too low",
        lim.rlim_cur
    );
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the echo server example (built by `cargo test` next to this test) on a free port.
fn start_server() -> (Server, String) {
    let exe = std::env::current_exe().unwrap();
    let examples = exe.parent().unwrap().parent().unwrap().join("examples");
    let mut child = Command::new(examples.join("tokio_echo_server"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the tokio_echo_server example is built by cargo test");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    assert!(url.starts_with("ws://127.0.0.1:"), "{line}");
    (Server(child), url)
}

#[test]
fn ten_thousand_concurrent_connections() {
    raise_nofile();
    let (_server, url) = start_server();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let handshakes = Arc::new(Semaphore::new(200));
        let all_open = Arc::new(Barrier::new(CONNECTIONS));
        let mut tasks = Vec::with_capacity(CONNECTIONS);
        for id in 0..CONNECTIONS {
            let url = url.clone();
            let handshakes = Arc::clone(&handshakes);
            let all_open = Arc::clone(&all_open);
            tasks.push(tokio::spawn(async move {
                let permit = handshakes.acquire().await.unwrap();
                let config = WebSocketConfig::default()
                    .read_buffer_size(4096)
                    .write_buffer_size(0);
                let (mut ws, _) = tokio_tungstenite::connect_async_with_config(
                    format!("{url}/"),
                    Some(config),
                    true,
                )
                .await
                .unwrap_or_else(|e| panic!("connection {id}: {e}"));
                drop(permit);
                // Every connection is open at once before any message flows.
                all_open.wait().await;
                for n in 0..MESSAGES {
                    let text = format!("connection {id} message {n}");
                    let bytes: Vec<u8> = (0..(id % 300 + n)).map(|i| (i + id) as u8).collect();
                    ws.feed(Message::text(text.clone())).await.unwrap();
                    ws.send(Message::binary(bytes.clone())).await.unwrap();
                    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text(text));
                    assert_eq!(ws.next().await.unwrap().unwrap(), Message::binary(bytes));
                }
                ws.close(None).await.unwrap();
                while let Some(m) = ws.next().await {
                    if m.is_err() {
                        break;
                    }
                }
            }));
        }
        let mut ok = 0;
        for t in tasks {
            t.await.unwrap();
            ok += 1;
        }
        assert_eq!(ok, CONNECTIONS);
    });
}
