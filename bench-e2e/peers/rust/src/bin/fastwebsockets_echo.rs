//! fastwebsockets: hyper's HTTP/1.1 upgrade, then `read_frame` / `write_frame` (its API writes
//! each frame when asked; there is no queue to batch into), as in its own echo example.

use fastwebsockets::{upgrade, FragmentCollector, OpCode};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

async fn echo(fut: upgrade::UpgradeFut) -> Result<(), fastwebsockets::WebSocketError> {
    let mut ws = FragmentCollector::new(fut.await?);
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => return Ok(()),
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
            _ => {}
        }
    }
}

async fn upgrade_request(
    mut req: Request<Incoming>,
) -> Result<Response<Empty<Bytes>>, fastwebsockets::WebSocketError> {
    let (response, fut) = upgrade::upgrade(&mut req)?;
    tokio::task::spawn_local(async move {
        let _ = echo(fut).await;
    });
    Ok(response)
}

fn main() {
    bench_peers::run(|tcp| async move {
        let _ = http1::Builder::new()
            .serve_connection(TokioIo::new(tcp), service_fn(upgrade_request))
            .with_upgrades()
            .await;
    });
}
