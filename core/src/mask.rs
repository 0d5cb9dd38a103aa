//! Masking (RFC 6455 §5.3): XOR of the payload with a 4-byte key, word-wise.
//!
//! The loop works on 8-byte words so that the compiler turns it into SIMD; the key is
//! rotated by the payload offset so a frame can be unmasked in pieces as it arrives.
//! [`extend_masked`] and [`copy_masked`] copy and unmask in one pass, for payload moving
//! from the caller's input into a message buffer.

use alloc::vec::Vec;
use core::mem::MaybeUninit;

/// XORs `buf` with `key`, where `buf` starts at byte `offset` of the frame payload.
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let k = rotate_key(key, offset);
    let word = u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(w) ^ word).to_ne_bytes());
    }
    // 8 is a multiple of 4, so the key phase of the tail equals the phase of the start.
    for (byte, m) in chunks.into_remainder().iter_mut().zip(k.iter().cycle()) {
        *byte ^= m;
    }
}

/// Appends `src` XORed with `key` to `buf` (`src` starts at byte `offset` of the frame
/// payload): one pass over the bytes instead of a copy and then an unmask, which is most of
/// the cost of receiving a large message.
#[inline]
pub fn extend_masked(buf: &mut Vec<u8>, src: &[u8], key: [u8; 4], offset: usize) {
    if cfg!(target_arch = "wasm32") {
        // wasm: a bulk-memory copy and then the word-wise unmask beat the fused loop, whose
        // byte stores are not merged there (1 MiB messages: 2.5x against 1.8x the JS floor).
        let start = buf.len();
        buf.extend_from_slice(src);
        apply_mask(&mut buf[start..], key, offset);
        return;
    }
    buf.reserve(src.len());
    let start = buf.len();
    copy_masked_uninit(&mut buf.spare_capacity_mut()[..src.len()], src, key, offset);
    #[allow(unsafe_code)]
    // SAFETY: `copy_masked_uninit` initialised all `src.len()` bytes after `start` (the slice it
    // was given is exactly that long), within the capacity reserved above.
    unsafe {
        buf.set_len(start + src.len())
    };
}

/// Writes `src` XORed with `key` (from payload byte `offset`) into `dst`, which has the
/// same length: [`extend_masked`] for a buffer that is already initialised.
#[inline]
pub fn copy_masked(dst: &mut [u8], src: &[u8], key: [u8; 4], offset: usize) {
    assert_eq!(dst.len(), src.len(), "copy_masked: lengths differ");
    if cfg!(target_arch = "wasm32") {
        // See `extend_masked`.
        dst.copy_from_slice(src);
        apply_mask(dst, key, offset);
        return;
    }
    masked_words(dst, src, key, offset, |o, b| *o = b);
}

/// [`copy_masked`] into memory not initialised yet (every byte of `dst` is written).
#[inline]
fn copy_masked_uninit(dst: &mut [MaybeUninit<u8>], src: &[u8], key: [u8; 4], offset: usize) {
    debug_assert_eq!(dst.len(), src.len());
    masked_words(dst, src, key, offset, |o, b| {
        o.write(b);
    });
}

/// The word-wise loop of the copying variants: `put(out, byte)` for every byte of `src`
/// XORed with the key, 8 bytes at a time where it can.
#[inline(always)]
fn masked_words<T>(
    dst: &mut [T],
    src: &[u8],
    key: [u8; 4],
    offset: usize,
    put: impl Fn(&mut T, u8),
) {
    let k = rotate_key(key, offset);
    let word = u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]]);
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (out, chunk) in (&mut d).zip(&mut s) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        for (o, b) in out
            .iter_mut()
            .zip((u64::from_ne_bytes(w) ^ word).to_ne_bytes())
        {
            put(o, b);
        }
    }
    for ((o, b), m) in d
        .into_remainder()
        .iter_mut()
        .zip(s.remainder())
        .zip(k.iter().cycle())
    {
        put(o, b ^ m);
    }
}

/// The key as seen from payload byte `offset`.
#[inline]
pub fn rotate_key(key: [u8; 4], offset: usize) -> [u8; 4] {
    let s = offset % 4;
    [key[s], key[(s + 1) % 4], key[(s + 2) % 4], key[(s + 3) % 4]]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(buf: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[(offset + i) % 4];
        }
    }

    #[test]
    fn rfc_example() {
        // RFC 6455 §5.7: masked "Hello".
        let mut p = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut p, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&p, b"Hello");
    }

    proptest! {
        #[test]
        fn matches_naive_in_any_split(data in proptest::collection::vec(any::<u8>(), 0..200),
                                      key in any::<[u8; 4]>(), split in 0usize..200) {
            let mut a = data.clone();
            let mut b = data.clone();
            naive(&mut a, key, 0);
            let split = split.min(b.len());
            let (x, y) = b.split_at_mut(split);
            apply_mask(x, key, 0);
            apply_mask(y, key, split);
            prop_assert_eq!(a, b);
        }

        #[test]
        fn extend_masked_matches_naive(data in proptest::collection::vec(any::<u8>(), 0..200),
                                       key in any::<[u8; 4]>(), split in 0usize..200,
                                       prefix in proptest::collection::vec(any::<u8>(), 0..9)) {
            let mut want = data.clone();
            naive(&mut want, key, 0);
            let split = split.min(data.len());
            let mut got = prefix.clone();
            extend_masked(&mut got, &data[..split], key, 0);
            extend_masked(&mut got, &data[split..], key, split);
            prop_assert_eq!(&got[..prefix.len()], &prefix[..]);
            prop_assert_eq!(&got[prefix.len()..], &want[..]);
            let mut copied = alloc::vec![0u8; data.len()];
            copy_masked(&mut copied[..split], &data[..split], key, 0);
            copy_masked(&mut copied[split..], &data[split..], key, split);
            prop_assert_eq!(copied, want);
        }
    }
}
