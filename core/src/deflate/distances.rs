//! Test support: the farthest back-reference in a raw DEFLATE stream (RFC 1951).
//!
//! A small decoder of block headers and Huffman codes that records match
//! distances without producing output, so tests can prove what window a
//! compressed stream needs (e.g. that our 9-bit compressor fits an 8-bit
//! window). Stops at the end of the input or after a final block.

use alloc::vec;
use alloc::vec::Vec;

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    buf: u32,
    cnt: u32,
}

impl Bits<'_> {
    fn bits(&mut self, n: u32) -> Result<u32, &'static str> {
        while self.cnt < n {
            let b = *self.data.get(self.pos).ok_or("truncated")?;
            self.pos += 1;
            self.buf |= u32::from(b) << self.cnt;
            self.cnt += 8;
        }
        let v = self.buf & ((1u32 << n) - 1);
        self.buf >>= n;
        self.cnt -= n;
        Ok(v)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }
}

/// A canonical Huffman code: how many codes of each length, symbols by code.
struct Huffman {
    count: [u16; 16],
    symbol: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Huffman {
        let mut count = [0u16; 16];
        for &l in lengths {
            count[usize::from(l)] += 1;
        }
        count[0] = 0;
        let mut offs = [0u16; 16];
        for len in 1..15 {
            offs[len + 1] = offs[len] + count[len];
        }
        let mut symbol = vec![0u16; lengths.len()];
        for (sym, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbol[usize::from(offs[usize::from(l)])] = sym as u16;
                offs[usize::from(l)] += 1;
            }
        }
        Huffman { count, symbol }
    }

    fn decode(&self, b: &mut Bits<'_>) -> Result<usize, &'static str> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= b.bits(1)? as i32;
            let count = i32::from(self.count[len]);
            if code - count < first {
                return Ok(usize::from(self.symbol[(index + code - first) as usize]));
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err("bad code")
    }
}

const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// The largest match distance in `stream` (0 if it has no match).
pub(crate) fn max_distance(stream: &[u8]) -> Result<usize, &'static str> {
    let mut b = Bits {
        data: stream,
        pos: 0,
        buf: 0,
        cnt: 0,
    };
    let mut max = 0;
    while !b.at_end() {
        let last = b.bits(1)? == 1;
        match b.bits(2)? {
            0 => {
                // Stored: skip to a byte boundary, then LEN, NLEN and LEN bytes.
                b.buf = 0;
                b.cnt = 0;
                let len = b.bits(16)?;
                if b.bits(16)? != !len & 0xffff {
                    return Err("stored length");
                }
                b.pos += len as usize;
                if b.pos > stream.len() {
                    return Err("truncated");
                }
            }
            1 => {
                let mut l = [8u8; 288];
                l[144..256].fill(9);
                l[256..280].fill(7);
                max = max.max(codes(&mut b, &Huffman::new(&l), &Huffman::new(&[5; 30]))?);
            }
            2 => {
                let (lit, dist) = dynamic_tables(&mut b)?;
                max = max.max(codes(&mut b, &lit, &dist)?);
            }
            _ => return Err("block type 3"),
        }
        if last {
            break;
        }
    }
    Ok(max)
}

fn dynamic_tables(b: &mut Bits<'_>) -> Result<(Huffman, Huffman), &'static str> {
    const ORDER: [usize; 19] = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    let nlen = b.bits(5)? as usize + 257;
    let ndist = b.bits(5)? as usize + 1;
    let ncode = b.bits(4)? as usize + 4;
    let mut cl = [0u8; 19];
    for &i in &ORDER[..ncode] {
        cl[i] = b.bits(3)? as u8;
    }
    let clh = Huffman::new(&cl);
    let mut lengths = vec![0u8; nlen + ndist];
    let mut i = 0;
    while i < nlen + ndist {
        let sym = clh.decode(b)?;
        let (value, repeat) = match sym {
            0..=15 => (sym as u8, 1),
            16 => (
                *lengths.get(i.wrapping_sub(1)).ok_or("repeat")?,
                3 + b.bits(2)?,
            ),
            17 => (0, 3 + b.bits(3)?),
            _ => (0, 11 + b.bits(7)?),
        };
        for _ in 0..repeat {
            *lengths.get_mut(i).ok_or("too many lengths")? = value;
            i += 1;
        }
    }
    Ok((
        Huffman::new(&lengths[..nlen]),
        Huffman::new(&lengths[nlen..]),
    ))
}

fn codes(b: &mut Bits<'_>, lit: &Huffman, dist: &Huffman) -> Result<usize, &'static str> {
    let mut max = 0;
    loop {
        let sym = lit.decode(b)?;
        if sym < 256 {
            continue;
        }
        if sym == 256 {
            return Ok(max);
        }
        let s = sym - 257;
        if s >= 29 {
            return Err("length symbol");
        }
        b.bits(u32::from(LEN_EXTRA[s]))?;
        let d = dist.decode(b)?;
        if d >= 30 {
            return Err("distance symbol");
        }
        let distance = usize::from(DIST_BASE[d]) + b.bits(u32::from(DIST_EXTRA[d]))? as usize;
        max = max.max(distance);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7692_examples() {
        // §7.2.3.1: "Hello" compressed, then (§7.2.3.2) again with context takeover:
        // the second message is one match of length 5 at distance 5.
        let mut s = vec![
            0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff,
        ];
        assert_eq!(max_distance(&s), Ok(0));
        s.extend_from_slice(&[0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff]);
        assert_eq!(max_distance(&s), Ok(5));
        // §7.2.3.3: a stored block (then the empty one that ends a message).
        let stored = [
            0x00, 0x05, 0x00, 0xfa, 0xff, b'H', b'e', b'l', b'l', b'o', 0x00,
        ];
        let mut s = stored.to_vec();
        s.extend_from_slice(&[0x00, 0x00, 0xff, 0xff]);
        assert_eq!(max_distance(&s), Ok(0));
        assert_eq!(max_distance(&stored), Err("truncated"));
        assert_eq!(max_distance(&[0xf2, 0x00, 0x11]), Err("truncated"));
    }
}
