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

/// Whether `bytes` decode as one term's postings: varints of at most five bytes ending within
/// them, sentence ids increasing and below `sentences` — so that walking them ([`Postings`],
/// which trusts its bytes) can neither read past their end nor index past the per-sentence
/// arrays. For postings read from a file.
pub(super) fn well_formed(bytes: &[u8], sentences: u64) -> bool {
    let mut pos = 0;
    let mut last: Option<u64> = None;
    while pos < bytes.len() {
        let Some(v) = checked_varint(bytes, &mut pos) else {
            return false;
        };
        if v & 1 == 1 && checked_varint(bytes, &mut pos).is_none() {
            return false;
        }
        let sid = last.unwrap_or(0) + u64::from(v >> 1);
        if (last.is_some() && v >> 1 == 0) || sid >= sentences {
            return false;
        }
        last = Some(sid);
    }
    true
}

/// [`read_varint`] that fails instead of panicking: at most five bytes, within `bytes`.
fn checked_varint(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let mut v = 0u64;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return u32::try_from(v).ok();
        }
    }
    None
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
