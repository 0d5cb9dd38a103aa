//! tokio-websockets: data messages forwarded from the stream half to the sink half
//! (`forward` flushes when no message is ready: batched writes).

use futures_util::{StreamExt, TryStreamExt};

fn main() {
    bench_peers::run(|tcp| async move {
        let Ok((_request, ws)) = tokio_websockets::ServerBuilder::new().accept(tcp).await else {
            return;
        };
        let (sink, stream) = ws.split();
        let _ = stream
            .try_filter(|m| std::future::ready(m.is_text() || m.is_binary()))
            .forward(sink)
            .await;
    });
}
