//! Masking (RFC 6455 §5.3): XOR of the payload with a 4-byte key, word-wise.
//!
//! The loop works on 8-byte words so that the compiler turns it into SIMD; the key is
//! rotated by the payload offset so a frame can be unmasked in pieces as it arrives.

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
    }
}
