//! The postings' encoding: per term, the sentences containing it as delta-encoded varints
//! (the first absolute), each followed by the count of occurrences when above one.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::corpus::text::TextFile;

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
    // Sentence ids only increase, so the last one is the largest: it alone is compared with
    // `sentences`. Most varints are one byte, read without the checked loop.
    let mut pos = 0;
    let mut sid: u64 = 0;
    let mut first = true;
    while pos < bytes.len() {
        let v = match bytes[pos] {
            b @ 0..0x80 => {
                pos += 1;
                u32::from(b)
            }
            _ => match checked_varint(bytes, &mut pos) {
                Some(v) => v,
                None => return false,
            },
        };
        if v & 1 == 1 {
            match bytes.get(pos) {
                Some(&b) if b < 0x80 => pos += 1,
                _ => {
                    if checked_varint(bytes, &mut pos).is_none() {
                        return false;
                    }
                }
            }
        }
        let delta = v >> 1;
        if delta == 0 && !first {
            return false;
        }
        first = false;
        sid += u64::from(delta);
    }
    first || sid < sentences
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

/// Which terms' postings, read from a file, have passed [`well_formed`]: each term is checked
/// the first time a question (or a rebuild) walks it, instead of all of them at a start (at
/// 10M sentences, half a second of CPU time, a sixth of the start's, for postings most
/// questions never reach). The file's checksum has already refused accidental damage by then; this check is
/// what keeps a file made by hand from sending a walk past the postings or the per-sentence
/// arrays. Damaged postings are logged and read as none.
pub(super) struct Checked {
    states: Box<[AtomicU8]>,
    /// The file they were read from, given up on when one is damaged.
    file: Arc<TextFile>,
}

const UNCHECKED: u8 = 0;
const GOOD: u8 = 1;
const BAD: u8 = 2;

impl Checked {
    /// None of `terms` terms, read from `file`, checked yet.
    pub(super) fn none(terms: usize, file: &Arc<TextFile>) -> Checked {
        Checked {
            states: (0..terms).map(|_| AtomicU8::new(UNCHECKED)).collect(),
            file: Arc::clone(file),
        }
    }

    /// Whether term `t`'s postings `bytes` are well formed for `sentences` sentences (checked
    /// once; two threads meeting an unchecked term both check it, to the same result).
    #[inline]
    pub(super) fn passes(&self, t: usize, bytes: &[u8], sentences: usize) -> bool {
        match self.states[t].load(Ordering::Relaxed) {
            GOOD => true,
            BAD => false,
            _ => self.check(t, bytes, sentences),
        }
    }

    /// Whether the file they came from was given up on.
    pub(super) fn file_is_discarded(&self) -> bool {
        self.file.is_discarded()
    }

    #[cold]
    fn check(&self, t: usize, bytes: &[u8], sentences: usize) -> bool {
        let ok = well_formed(bytes, sentences as u64);
        if self.states[t].swap(if ok { GOOD } else { BAD }, Ordering::Relaxed) == UNCHECKED && !ok {
            log::warn!("the postings of term {t} are damaged; they are left out");
            self.file.discard("a term's postings");
        }
        ok
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

/// Terms found in at least this many sentences have their postings laid out ([`LaidOut`]):
/// below it, a term's lookups are too few to matter.
pub(crate) const LAID_MIN: u32 = 1024;

/// The postings of the terms of many sentences ([`LAID_MIN`]) laid out again with each
/// sentence's article and length beside it, so that scoring reads nothing but the postings,
/// instead of two lookups per posting in arrays as long as the corpus (most of them cache
/// misses at ten million sentences; docs/BENCHMARKS.md has the figures). A term is laid out the
/// first time a question walks it, from its postings as they are (so none, if those are
/// damaged), and kept for the life of the index: neither the index's file nor its start pays
/// for terms no question asks about. Another thread asking for the same term meanwhile waits
/// for it.
pub(super) struct LaidOut {
    /// The terms laid out, increasing.
    terms: Vec<u32>,
    /// Each one's layout, once made.
    cells: Box<[OnceLock<Box<[u8]>>]>,
}

impl LaidOut {
    /// Room for the terms of `df` (sentences per term) found in at least [`LAID_MIN`].
    pub(super) fn new(df: impl Iterator<Item = u32>) -> LaidOut {
        let terms: Vec<u32> = df
            .enumerate()
            .filter(|&(_, df)| df >= LAID_MIN)
            .map(|(t, _)| t as u32)
            .collect();
        let cells = terms.iter().map(|_| OnceLock::new()).collect();
        LaidOut { terms, cells }
    }

    /// Term `t`'s layout, made from `postings` the first time; `None` for a term of fewer
    /// sentences.
    pub(super) fn get<'a>(
        &'a self,
        t: u32,
        postings: impl FnOnce() -> Postings<'a>,
        sentence_article: &[u32],
        sentence_len: &[u16],
    ) -> Option<Laid<'a>> {
        let i = self.terms.binary_search(&t).ok()?;
        let bytes = self.cells[i].get_or_init(|| {
            let mut out = Vec::new();
            let (mut last, mut last_article) = (0, 0);
            for (sid, tf) in postings() {
                let article = sentence_article[sid as usize];
                // Any count but 1 is written, so that a count a file may hold (0, or 1 with
                // its flag) reads back as it was.
                write_varint(&mut out, ((sid - last) << 1) | u32::from(tf != 1));
                if tf != 1 {
                    write_varint(&mut out, tf);
                }
                write_varint(&mut out, article - last_article);
                write_varint(&mut out, u32::from(sentence_len[sid as usize]));
                (last, last_article) = (sid, article);
            }
            out.into_boxed_slice()
        });
        Some(Laid {
            postings: Postings::new(bytes),
            article: 0,
        })
    }
}

/// A term's postings as laid out by [`LaidOut`]: `(sentence, occurrences, article, length)`
/// in increasing sentence order. Each is a posting as [`Postings`] encodes it, followed by the
/// article's delta and the length.
pub(crate) struct Laid<'a> {
    postings: Postings<'a>,
    article: u32,
}

impl Iterator for Laid<'_> {
    type Item = (SentenceId, u32, u32, u16);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let (sid, tf) = self.postings.next()?;
        let p = &mut self.postings;
        self.article += read_varint(p.bytes, &mut p.pos);
        // Written from a `u16`.
        let len = read_varint(p.bytes, &mut p.pos) as u16;
        Some((sid, tf, self.article, len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check as first written, posting by posting.
    fn plain(bytes: &[u8], sentences: u64) -> bool {
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

    #[test]
    fn laying_out_keeps_every_count_a_file_may_hold() {
        // Counts 0 and 1 behind the flag pass `well_formed`; laid out, they read back as they
        // were, as do the plain counts 1 and 2.
        let mut bytes = Vec::new();
        for (gap, tf) in [(0u32, 0u32), (1, 1), (1, 2), (2, 1), (1, 0)] {
            write_varint(&mut bytes, (gap << 1) | 1);
            write_varint(&mut bytes, tf);
        }
        write_varint(&mut bytes, 3 << 1);
        assert!(well_formed(&bytes, 9));
        let articles = [0, 0, 1, 1, 2, 2, 3, 3, 4];
        let lens = [5, 6, 7, 300, 9, 10, 11, 12, 13];
        let laid = LaidOut::new([LAID_MIN, 1].into_iter());
        let got: Vec<_> = laid
            .get(0, || Postings::new(&bytes), &articles, &lens)
            .unwrap()
            .collect();
        let want: Vec<_> = Postings::new(&bytes)
            .map(|(sid, tf)| (sid, tf, articles[sid as usize], lens[sid as usize]))
            .collect();
        assert_eq!(got, want);
        assert_eq!(
            want.iter().map(|p| p.1).collect::<Vec<_>>(),
            [0, 1, 2, 1, 0, 1]
        );
        assert!(
            laid.get(1, || Postings::new(&bytes), &articles, &lens)
                .is_none()
        );
    }

    #[test]
    fn the_fast_check_agrees_with_the_plain_one() {
        let mut good = Vec::new();
        let mut sid = 0;
        for (i, gap) in [0u32, 1, 5, 127, 128, 300, 70_000, 1 << 20]
            .iter()
            .enumerate()
        {
            sid += gap;
            let tf = 1 + (i as u32 % 3) * 200;
            write_varint(&mut good, (gap << 1) | u32::from(tf > 1));
            if tf > 1 {
                write_varint(&mut good, tf);
            }
        }
        let last = u64::from(sid);
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut cases: Vec<Vec<u8>> = vec![Vec::new(), good.clone(), vec![0, 0], vec![2, 0]];
        for _ in 0..20_000 {
            let mut bad = good.clone();
            match next() % 3 {
                0 => {
                    let i = next() as usize % bad.len();
                    bad[i] = next() as u8;
                }
                1 => bad.truncate(next() as usize % bad.len()),
                _ => bad.extend((0..next() % 6).map(|_| next() as u8)),
            }
            cases.push(bad);
        }
        let mut accepted = 0;
        for bytes in &cases {
            for sentences in [last, last + 1, u64::MAX, 3] {
                let want = plain(bytes, sentences);
                assert_eq!(well_formed(bytes, sentences), want, "{bytes:?} {sentences}");
                accepted += usize::from(want);
            }
        }
        assert!(
            accepted > 100 && accepted < cases.len() * 4 - 100,
            "{accepted}"
        );
        assert!(well_formed(&good, last + 1) && !well_formed(&good, last));
    }
}
