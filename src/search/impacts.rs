//! What the first stage needs to skip postings it can prove useless (dynamic pruning, in
//! [`super`]'s `score_into`): per term, a bound on the BM25 part any of its sentences can get,
//! the articles whose text has it (so that the article evidence of every article is known
//! exactly before any sentence is scored), and skip entries into long postings lists, so that
//! looking up a few hundred candidates in the list of a word like "year" does not mean
//! decoding all of it.
//!
//! Made from the finished postings in one pass after every build and rebuild: the postings
//! format stays as it is, and nothing here can disagree with it.

use crate::search::index::SentenceId;
use crate::search::varint;

/// A skip entry is kept every this many postings, in lists longer than twice that.
const SKIP_EVERY: usize = 64;

/// A place to resume decoding a postings list: the byte offset of a posting, and the sentence
/// of the posting before it (the base of its delta).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Skip {
    before: SentenceId,
    pos: u32,
}

/// The pruning data of an index (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct Impacts {
    /// Per term, the most occurrences in one sentence.
    max_tf: Vec<u32>,
    /// Per term, the fewest analyzed words of a sentence that has it.
    min_len: Vec<u16>,
    /// Per term, where its articles start in `articles`; one more at the end.
    article_offsets: Vec<usize>,
    /// Article ids, increasing within a term, delta-encoded varints.
    articles: Vec<u8>,
    /// Per term, where its skip entries start in `skips`; one more at the end.
    skip_offsets: Vec<u32>,
    skips: Vec<Skip>,
}

impl Impacts {
    /// The pruning data of the postings `postings` (term `t`'s bytes are
    /// `postings[offsets[t]..offsets[t + 1]]`) over sentences of the given articles and lengths.
    #[must_use]
    pub fn build(
        postings: &[u8],
        offsets: &[usize],
        sentence_article: &[u32],
        sentence_len: &[u16],
    ) -> Impacts {
        let n_terms = offsets.len().saturating_sub(1);
        // Two halves of the terms by bytes, on two threads; joined in order.
        let mid = offsets
            .partition_point(|&o| o < postings.len() / 2)
            .min(n_terms);
        let one = |from: usize, to: usize| {
            let mut part = Impacts::default();
            for t in from..to {
                part.add_term(
                    &postings[offsets[t]..offsets[t + 1]],
                    sentence_article,
                    sentence_len,
                );
            }
            part
        };
        let (mut low, high) = std::thread::scope(|s| {
            let high = s.spawn(|| one(mid, n_terms));
            (one(0, mid), high.join().expect("no panic in impacts"))
        });
        low.append(high);
        low.article_offsets.push(low.articles.len());
        low.skip_offsets.push(low.skips.len() as u32);
        low
    }

    fn add_term(&mut self, bytes: &[u8], sentence_article: &[u32], sentence_len: &[u16]) {
        self.article_offsets.push(self.articles.len());
        self.skip_offsets.push(self.skips.len() as u32);
        let (mut max_tf, mut min_len) = (0u32, u16::MAX);
        let mut last_article: Option<u32> = None;
        let mut pos = 0;
        let mut sid: SentenceId = 0;
        let mut n = 0usize;
        let long = bytes.len() > 2 * SKIP_EVERY;
        while pos < bytes.len() {
            if long && n > 0 && n % SKIP_EVERY == 0 {
                self.skips.push(Skip {
                    before: sid,
                    pos: pos as u32,
                });
            }
            let v = varint::read(bytes, &mut pos);
            let tf = if v & 1 == 1 {
                varint::read(bytes, &mut pos)
            } else {
                1
            };
            sid += v >> 1;
            n += 1;
            max_tf = max_tf.max(tf);
            min_len = min_len.min(sentence_len[sid as usize]);
            let a = sentence_article[sid as usize];
            if last_article != Some(a) {
                varint::write(&mut self.articles, a - last_article.unwrap_or(0));
                last_article = Some(a);
            }
        }
        self.max_tf.push(max_tf);
        self.min_len.push(min_len);
    }

    fn append(&mut self, other: Impacts) {
        let (articles, skips) = (self.articles.len(), self.skips.len() as u32);
        self.max_tf.extend(other.max_tf);
        self.min_len.extend(other.min_len);
        self.article_offsets
            .extend(other.article_offsets.into_iter().map(|o| o + articles));
        self.articles.extend(other.articles);
        self.skip_offsets
            .extend(other.skip_offsets.into_iter().map(|o| o + skips));
        self.skips.extend(other.skips);
    }

    /// The largest `tf / (tf + k1 · (1 − b + b · len / avg))` of any sentence with term `t`
    /// (BM25's saturation part, before the IDF): at most its largest count in the shortest
    /// sentence that has it.
    #[must_use]
    pub fn saturation_bound(&self, t: usize, k1: f32, b: f32, avg: f32) -> f32 {
        let tf = self.max_tf[t] as f32;
        let len = f32::from(self.min_len[t]);
        tf / (tf + k1 * (1.0 - b + b * len / avg))
    }

    /// The articles whose text has term `t`, in increasing order.
    pub fn articles(&self, t: usize) -> impl Iterator<Item = u32> + '_ {
        let bytes = &self.articles[self.article_offsets[t]..self.article_offsets[t + 1]];
        let mut pos = 0;
        let mut last = 0u32;
        std::iter::from_fn(move || {
            (pos < bytes.len()).then(|| {
                last += varint::read(bytes, &mut pos);
                last
            })
        })
    }

    /// A cursor over term `t`'s postings `bytes` that can skip ahead.
    #[must_use]
    pub fn cursor<'a>(&'a self, t: usize, bytes: &'a [u8]) -> Cursor<'a> {
        Cursor {
            bytes,
            pos: 0,
            last: 0,
            current: None,
            skips: &self.skips[self.skip_offsets[t] as usize..self.skip_offsets[t + 1] as usize],
        }
    }

    /// Bytes of memory it takes (for reports).
    #[must_use]
    pub fn memory(&self) -> usize {
        self.max_tf.len() * 4
            + self.min_len.len() * 2
            + self.article_offsets.len() * 8
            + self.articles.len()
            + self.skip_offsets.len() * 4
            + self.skips.len() * 8
    }
}

/// A postings list read forwards, jumping over whole runs of postings by the skip entries.
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    last: SentenceId,
    /// The posting last decoded, not yet passed.
    current: Option<(SentenceId, u32)>,
    /// The skip entries not yet passed.
    skips: &'a [Skip],
}

impl Cursor<'_> {
    /// The first posting of a sentence at or after `target`, as `(sentence, occurrences)`;
    /// `None` when there is none. Targets must not decrease from one call to the next.
    pub fn seek(&mut self, target: SentenceId) -> Option<(SentenceId, u32)> {
        if let Some(c) = self.current.filter(|c| c.0 >= target) {
            return Some(c);
        }
        // Every posting before a skip entry is of a sentence up to its `before`: when that is
        // below the target, they can all be passed over.
        let ahead = self.skips.partition_point(|s| s.before < target);
        if ahead > 0 {
            let s = self.skips[ahead - 1];
            if s.pos as usize > self.pos {
                self.pos = s.pos as usize;
                self.last = s.before;
            }
            self.skips = &self.skips[ahead..];
        }
        while self.pos < self.bytes.len() {
            let v = varint::read(self.bytes, &mut self.pos);
            let tf = if v & 1 == 1 {
                varint::read(self.bytes, &mut self.pos)
            } else {
                1
            };
            self.last += v >> 1;
            if self.last >= target {
                self.current = Some((self.last, tf));
                return self.current;
            }
        }
        self.current = None;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Postings of one term in the index's format.
    fn encode(postings: &[(SentenceId, u32)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut last = 0;
        for &(sid, tf) in postings {
            varint::write(&mut out, ((sid - last) << 1) | u32::from(tf > 1));
            if tf > 1 {
                varint::write(&mut out, tf);
            }
            last = sid;
        }
        out
    }

    #[test]
    fn seeking_finds_what_a_scan_finds() {
        // Two terms: a long list (with skips) and a short one.
        let long: Vec<(SentenceId, u32)> = (0..1000).map(|i| (i * 3 + 1, 1 + i % 4)).collect();
        let short = [(5, 1), (2000, 2)];
        let mut bytes = encode(&long);
        let split = bytes.len();
        bytes.extend(encode(&short));
        let offsets = [0, split, bytes.len()];
        let sentence_article: Vec<u32> = (0..3100).map(|s| s / 10).collect();
        let sentence_len: Vec<u16> = (0..3100).map(|s| 3 + (s % 7) as u16).collect();
        let impacts = Impacts::build(&bytes, &offsets, &sentence_article, &sentence_len);
        assert!(impacts.skips.len() >= 10, "{}", impacts.skips.len());
        assert_eq!(impacts.max_tf, [4, 2]);
        assert_eq!(impacts.min_len, [3, 8]);
        let articles: Vec<u32> = impacts.articles(1).collect();
        assert_eq!(articles, [0, 200]);
        let mut all: Vec<u32> = long.iter().map(|&(s, _)| s / 10).collect();
        all.dedup();
        assert_eq!(impacts.articles(0).collect::<Vec<_>>(), all);

        for (t, list) in [(0, &long[..]), (1, &short[..])] {
            let term_bytes = &bytes[offsets[t]..offsets[t + 1]];
            for step in [1, 2, 7, 64, 300] {
                let mut cursor = impacts.cursor(t, term_bytes);
                let mut target = 0;
                while target < 3200 {
                    let want = list.iter().copied().find(|&(s, _)| s >= target);
                    assert_eq!(cursor.seek(target), want, "term {t}, target {target}");
                    target += step;
                }
            }
        }
    }

    #[test]
    fn the_saturation_bound_holds_for_every_posting() {
        let list = [(0, 1), (1, 3), (7, 1)];
        let bytes = encode(&list);
        let sentence_len = [10, 4, 9, 9, 9, 9, 9, 2];
        let impacts = Impacts::build(&bytes, &[0, bytes.len()], &[0; 8], &sentence_len);
        let (k1, b, avg) = (1.2, 0.75, 6.0);
        let bound = impacts.saturation_bound(0, k1, b, avg);
        for (sid, tf) in list {
            let (tf, len) = (tf as f32, f32::from(sentence_len[sid as usize]));
            assert!(tf / (tf + k1 * (1.0 - b + b * len / avg)) <= bound);
        }
    }
}
