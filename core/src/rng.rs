//! Randomness the caller provides: client masking keys (RFC 6455 §5.3, §10.3) and the
//! handshake nonce (§4.1). The engine never picks a source itself and never uses a constant.

use alloc::boxed::Box;

/// A source of unpredictable bytes. Implement it over your platform's CSPRNG
/// (or use [`OsRandom`] with the `getrandom` feature). `Send + Sync` so a `Connection`
/// can live inside objects that other threads may reference (Python, Node).
pub trait RandomSource: Send + Sync {
    /// Fills `dest` with random bytes.
    fn fill(&mut self, dest: &mut [u8]);
}

impl<F: FnMut(&mut [u8]) + Send + Sync> RandomSource for F {
    fn fill(&mut self, dest: &mut [u8]) {
        self(dest)
    }
}

/// The operating system's random source, through the `getrandom` crate.
#[cfg(feature = "getrandom")]
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

#[cfg(feature = "getrandom")]
impl RandomSource for OsRandom {
    fn fill(&mut self, dest: &mut [u8]) {
        // A platform without a working random source cannot mask frames safely; the
        // fallback zeroes would be predictable, so this is the one place we abort.
        getrandom::fill(dest).expect("the operating system's random source failed");
    }
}

/// Draws masking keys from a [`RandomSource`] in batches, so a client does not call the
/// source (often a system call) once per frame.
pub(crate) struct KeyPool {
    source: Box<dyn RandomSource>,
    buf: [u8; 256],
    pos: usize,
}

impl KeyPool {
    pub(crate) fn new(source: Box<dyn RandomSource>) -> Self {
        KeyPool {
            source,
            buf: [0; 256],
            pos: 256,
        }
    }

    /// The next 4-byte masking key.
    pub(crate) fn next_key(&mut self) -> [u8; 4] {
        let mut key = [0u8; 4];
        self.take(&mut key);
        key
    }

    /// Fills `out` from the pool, refilling it from the source as needed.
    pub(crate) fn take(&mut self, out: &mut [u8]) {
        for b in out {
            if self.pos >= self.buf.len() {
                self.source.fill(&mut self.buf);
                self.pos = 0;
            }
            *b = self.buf[self.pos];
            self.pos += 1;
        }
    }
}

impl core::fmt::Debug for KeyPool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KeyPool")
    }
}
