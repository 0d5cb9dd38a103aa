//! What every echo server of the rust group shares: the argument (`--port N`), the runtime
//! (tokio `current_thread`, the same for every server) and the accept loop.

use std::future::Future;

use tokio::net::{TcpListener, TcpStream};

/// Runs `serve` for every connection accepted on 127.0.0.1:`--port`, on a current_thread
/// runtime. Each connection is a task.
pub fn run<F, Fut>(serve: F)
where
    F: Fn(TcpStream) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let mut args = std::env::args().skip(1);
    let mut port = 9001u16;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).expect("--port N"),
            other => panic!("unknown argument {other}"),
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
        println!(
            "listening on ws://{}/",
            listener.local_addr().expect("address")
        );
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            tokio::task::spawn_local(serve(tcp));
        }
    });
}
