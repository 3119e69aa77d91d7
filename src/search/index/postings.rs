//! The postings' encoding: per term, the sentences containing it as delta-encoded varints
//! (the first absolute), each followed by the count of occurrences when above one.

use super::SentenceId;

#[inline]
pub(super) fn write_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[inline]
pub(super) fn read_varint(bytes: &[u8], pos: &mut usize) -> u32 {
    let mut v = 0u32;
    let mut shift = 0;
    loop {
        let b = bytes[*pos];
        *pos += 1;
        v |= u32::from(b & 0x7f) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

/// The sentences of one term: `(sentence, occurrences)` in increasing sentence order.
pub struct Postings<'a> {
    bytes: &'a [u8],
    pos: usize,
    last: SentenceId,
}

impl<'a> Postings<'a> {
    /// The postings encoded in `bytes`.
    pub(super) fn new(bytes: &'a [u8]) -> Postings<'a> {
        Postings {
            bytes,
            pos: 0,
            last: 0,
        }
    }
}

impl Iterator for Postings<'_> {
    type Item = (SentenceId, u32);

    #[inline]
    fn next(&mut self) -> Option<(SentenceId, u32)> {
        if self.pos >= self.bytes.len() {
            return None;
        }
        let v = read_varint(self.bytes, &mut self.pos);
        let tf = if v & 1 == 1 {
            read_varint(self.bytes, &mut self.pos)
        } else {
            1
        };
        self.last += v >> 1;
        Some((self.last, tf))
    }
}
