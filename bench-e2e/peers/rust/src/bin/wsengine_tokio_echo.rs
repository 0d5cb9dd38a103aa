//! wsengine-tokio: `feed` each echo; the next `next()` writes all queued echoes at once.

use futures_util::{SinkExt, StreamExt};

fn main() {
    bench_peers::run(|tcp| async move {
        let Ok(incoming) = wsengine_tokio::accept(tcp, Default::default()).await else {
            return;
        };
        let Ok(mut ws) = incoming.accept().await else {
            return;
        };
        while let Some(Ok(message)) = ws.next().await {
            if message.is_data() && ws.feed(message).await.is_err() {
                return;
            }
        }
    });
}
