//! The fuzz targets of `wsengine`, as plain functions over bytes.
//!
//! Each `pub fn <target>(data: &[u8])` is what `fuzz/fuzz_targets/<target>.rs` runs; the
//! regression test (`tests/regressions.rs`) replays `fuzz/regressions/<target>/*` and
//! `fuzz/seeds/<target>/*` through the same functions on stable Rust.
//!
//! Every target checks invariants (limits honoured, events consistent with the state,
//! output well-formed), not only the absence of panics: a violated invariant panics with a
//! message saying which.

mod check;
mod conn;
mod parsers;
mod roundtrip;

pub use conn::{client_conn, server_conn};
pub use parsers::{extensions, frame_header, http_request, http_response, inflate};
pub use roundtrip::roundtrip;

/// Every target, by name (the names of `fuzz/fuzz_targets/*.rs`).
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("frame_header", frame_header),
    ("http_request", http_request),
    ("http_response", http_response),
    ("extensions", extensions),
    ("inflate", inflate),
    ("server_conn", server_conn),
    ("client_conn", client_conn),
    ("roundtrip", roundtrip),
];

/// A deterministic random source for client masking keys and nonces (xorshift64).
pub(crate) fn rng(seed: u64) -> Box<dyn wsengine::RandomSource> {
    let mut s = seed | 1;
    Box::new(move |dest: &mut [u8]| {
        for b in dest {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            *b = s as u8;
        }
    })
}

/// `WSFUZZ_TRACE=1` prints each step of the connection targets (for replaying a crash).
pub(crate) fn tracing() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("WSFUZZ_TRACE").is_some())
}
