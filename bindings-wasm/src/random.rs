//! Masking keys and handshake nonces from the runtime's CSPRNG: `crypto.getRandomValues`
//! (browsers, Node >= 19, Deno, Bun, Cloudflare Workers). This replaces the core's
//! `getrandom` feature, which on wasm32 would need a `--cfg getrandom_backend` flag.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;
}

/// `crypto.getRandomValues` as a [`wsengine::RandomSource`].
pub(crate) struct WebCrypto;

impl wsengine::RandomSource for WebCrypto {
    fn fill(&mut self, dest: &mut [u8]) {
        // getRandomValues takes at most 65 536 bytes per call; the core asks for 256.
        for part in dest.chunks_mut(65_536) {
            if get_random_values(part).is_err() {
                // No random source: predictable masks would be worse than stopping
                // (the same choice as the core's `OsRandom`).
                wasm_bindgen::throw_str("wsengine: crypto.getRandomValues is not available");
            }
        }
    }
}
