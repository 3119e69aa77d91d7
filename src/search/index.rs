//! The inverted index over sentences: built once from the articles, then read-only and shared.
//!
//! Sentence ids follow the tie order of answers (newer article first, then path, then position
//! in the article), so that among equal scores the lowest id wins and nothing is left to
//! chance. Per term it keeps the sentences containing it (delta-encoded varints, with the
//! count of occurrences where it is above one), how many sentences and articles contain it,
//! and which article titles do. The vocabulary is a hash map from stems to term ids for exact
//! look-ups and an FST of the normalized surface forms for typo-tolerant ones.
//!
//! Building runs on all cores: each thread analyzes a contiguous run of articles into its
//! own term numbering, and the parts are merged in order.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::corpus::{self, Article};
use crate::search::analyze::{self, TokenKind};
use crate::search::deletions::Deletions;
use crate::search::strmap::{self, IdTable, StrMap};

/// Id of a sentence in the index.
pub type SentenceId = u32;
/// Id of a term (a stem) in the index.
pub type TermId = u32;

const STOP: u32 = u32::MAX;

/// Statistics of one term.
#[derive(Clone, Copy, Debug, Default)]
pub struct TermInfo {
    /// Sentences containing it.
    pub df: u32,
    /// Articles containing it (in their text).
    pub article_df: u32,
}

/// The index: articles, their sentences, and postings.
pub struct Index {
    pub(crate) articles: Vec<Arc<Article>>,
    /// Sentence id of each article's first sentence, plus the total at the end.
    pub(crate) first_sentence: Vec<SentenceId>,
    pub(crate) sentence_article: Vec<u32>,
    /// Analyzed words per sentence (stop words and joined forms not counted).
    pub(crate) sentence_len: Vec<u16>,
    pub(crate) avg_sentence_len: f32,
    pub(crate) terms: Vec<TermInfo>,
    postings_offsets: Vec<usize>,
    postings: Vec<u8>,
    stem_ids: IdTable,
    pub(crate) surfaces: fst::Map<Vec<u8>>,
    surface_ids: StrMap,
    deletions: Deletions,
    /// The terms of each article's title.
    titles: Vec<Vec<TermId>>,
    title_offsets: Vec<u32>,
    title_articles: Vec<u32>,
    pub(crate) generation: u64,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("articles", &self.articles.len())
            .field("sentences", &self.sentence_article.len())
            .field("terms", &self.terms.len())
            .field("generation", &self.generation)
            .finish()
    }
}

/// One thread's share of the build, in its own term numbering. Postings are appended as
/// varints (the first entry absolute) to a chain of blocks per term, all blocks in one
/// arena: a byte or two written per word, no allocation per term, and little slack.
#[derive(Default)]
struct Part {
    surface_ids: StrMap,
    stem_ids: IdTable,
    terms: Vec<TermState>,
    arena: Arena,
    sentence_len: Vec<u16>,
    titles: Vec<Vec<u32>>,
}

/// Bytes of a postings block; the last four link to the next block.
const BLOCK: usize = 32;
const PAYLOAD: usize = BLOCK - 4;
/// Blocks per arena chunk (1 MiB): the arena grows a chunk at a time, never by copying.
const CHUNK: usize = 1 << 15;

/// Postings blocks, addressed by number. Block 0 is never handed out, so that 0 can mean
/// "no block".
struct Arena {
    chunks: Vec<Box<[[u8; BLOCK]]>>,
    next: u32,
}

impl Default for Arena {
    fn default() -> Self {
        Arena {
            chunks: Vec::new(),
            next: 1,
        }
    }
}

impl Arena {
    fn alloc(&mut self) -> u32 {
        let block = self.next;
        if block as usize / CHUNK >= self.chunks.len() {
            self.chunks.push(vec![[0; BLOCK]; CHUNK].into_boxed_slice());
        }
        self.next += 1;
        block
    }

    #[inline]
    fn block(&self, block: u32) -> &[u8; BLOCK] {
        &self.chunks[block as usize / CHUNK][block as usize % CHUNK]
    }

    #[inline]
    fn block_mut(&mut self, block: u32) -> &mut [u8; BLOCK] {
        &mut self.chunks[block as usize / CHUNK][block as usize % CHUNK]
    }
}

/// What the build keeps per term, together so that one cache line holds it.
#[derive(Clone, Copy, Default)]
struct TermState {
    head: u32,
    tail: u32,
    tail_len: u32,
    len: u32,
    last_sentence: SentenceId,
    last_article: u32,
    info: TermInfo,
}

impl TermState {
    #[inline]
    fn push(&mut self, arena: &mut Arena, byte: u8) {
        if self.head == 0 || self.tail_len as usize == PAYLOAD {
            let block = arena.alloc();
            if self.head == 0 {
                self.head = block;
            } else {
                arena.block_mut(self.tail)[PAYLOAD..].copy_from_slice(&block.to_le_bytes());
            }
            self.tail = block;
            self.tail_len = 0;
        }
        arena.block_mut(self.tail)[self.tail_len as usize] = byte;
        self.tail_len += 1;
        self.len += 1;
    }

    #[inline]
    fn push_varint(&mut self, arena: &mut Arena, mut v: u32) {
        let mut bytes = [0u8; 5];
        let mut n = 0;
        while v >= 0x80 {
            bytes[n] = (v as u8) | 0x80;
            v >>= 7;
            n += 1;
        }
        bytes[n] = v as u8;
        n += 1;
        let at = self.tail_len as usize;
        if self.head != 0 && at + n <= PAYLOAD {
            // The usual case: the varint fits in the last block.
            arena.block_mut(self.tail)[at..at + n].copy_from_slice(&bytes[..n]);
            self.tail_len += n as u32;
            self.len += n as u32;
        } else {
            for &b in &bytes[..n] {
                self.push(arena, b);
            }
        }
    }

    /// Appends the term's bytes to `out`.
    fn copy_to(&self, arena: &Arena, out: &mut Vec<u8>) {
        let mut block = self.head;
        let mut left = self.len as usize;
        while left > 0 {
            let b = arena.block(block);
            let n = left.min(PAYLOAD);
            out.extend_from_slice(&b[..n]);
            left -= n;
            block =
                u32::from_le_bytes([b[PAYLOAD], b[PAYLOAD + 1], b[PAYLOAD + 2], b[PAYLOAD + 3]]);
        }
    }
}

impl Part {
    /// The local term of a normalized surface word whose hash is `h`, or `STOP`.
    #[inline]
    fn term(&mut self, word: &str, h: u64, kind: TokenKind) -> u32 {
        if let Some(t) = self.surface_ids.get_hashed(word, h) {
            return t;
        }
        let t = if word.is_empty() || (kind == TokenKind::Word && analyze::is_stop_word(word)) {
            STOP
        } else {
            let stem = if kind == TokenKind::Word {
                analyze::stem(word)
            } else {
                std::borrow::Cow::Borrowed(word)
            };
            let next = self.terms.len() as u32;
            let t = self.stem_ids.get_or_insert(&stem);
            if t == next {
                self.terms.push(TermState {
                    last_article: u32::MAX,
                    ..TermState::default()
                });
            }
            t
        };
        self.surface_ids.insert(word, t);
        t
    }

    fn add_articles(&mut self, articles: &[Arc<Article>], first_article: u32, mut sid: SentenceId) {
        // A sentence's words, normalized one after the other in `words`, with their hashes.
        let mut words = String::new();
        let mut tokens: Vec<(usize, usize, TokenKind, u64)> = Vec::new();
        let mut terms: Vec<u32> = Vec::new();
        for (a, article) in articles.iter().enumerate() {
            let a = first_article + a as u32;
            for span in &article.sentences {
                let text = &article.text[span.range()];
                words.clear();
                tokens.clear();
                analyze::tokenize(text, |tok| {
                    let surface = &text[tok.start..tok.end];
                    if !analyze::may_be_word(surface) {
                        return;
                    }
                    let start = words.len();
                    analyze::normalize_append(surface, &mut words);
                    // A token that normalizes to nothing, or to too much, is no word (see `analyze::words`,
                    // which this loop inlines to reuse one buffer for the whole sentence).
                    if !analyze::is_word(&words[start..]) {
                        words.truncate(start);
                        return;
                    }
                    // Function words, four in ten of a text, are answered by a small set
                    // that stays in the cache rather than by the vocabulary.
                    if tok.kind == TokenKind::Word && analyze::is_stop_word(&words[start..]) {
                        words.truncate(start);
                    } else {
                        tokens.push((start, words.len(), tok.kind, 0));
                    }
                });
                let mut warm = 0u8;
                for t in &mut tokens {
                    t.3 = strmap::hash(&words.as_bytes()[t.0..t.1]);
                    warm ^= self.surface_ids.touch(t.3);
                }
                std::hint::black_box(warm);
                terms.clear();
                let mut len = 0u32;
                for &(from, to, kind, h) in &tokens {
                    let t = self.term(&words[from..to], h, kind);
                    if t != STOP {
                        terms.push(t);
                        len += u32::from(kind != TokenKind::Joined);
                    }
                }
                terms.sort_unstable();
                // Bring the terms' states, then the blocks their postings end in, into the
                // cache, all the sentence's at once.
                let mut warm = 0u32;
                for &t in &terms {
                    warm ^= self.terms[t as usize].last_sentence;
                }
                for &t in &terms {
                    let tail = self.terms[t as usize].tail;
                    if tail != 0 {
                        warm ^= u32::from(self.arena.block(tail)[0]);
                    }
                }
                std::hint::black_box(warm);
                let mut i = 0;
                while i < terms.len() {
                    let t = terms[i];
                    let mut j = i + 1;
                    while j < terms.len() && terms[j] == t {
                        j += 1;
                    }
                    self.add_posting(t, sid, (j - i) as u32, a);
                    i = j;
                }
                self.sentence_len.push(len.min(u32::from(u16::MAX)) as u16);
                sid += 1;
            }
            let mut title_terms = Vec::new();
            analyze::words(&article.title, |tok, word| {
                let h = strmap::hash(word.as_bytes());
                let t = self.term(word, h, tok.kind);
                if t != STOP && !title_terms.contains(&t) {
                    title_terms.push(t);
                }
            });
            self.titles.push(title_terms);
        }
    }

    #[inline]
    fn add_posting(&mut self, t: u32, sid: SentenceId, tf: u32, article: u32) {
        let term = &mut self.terms[t as usize];
        term.push_varint(
            &mut self.arena,
            ((sid - term.last_sentence) << 1) | u32::from(tf > 1),
        );
        if tf > 1 {
            term.push_varint(&mut self.arena, tf);
        }
        term.last_sentence = sid;
        term.info.df += 1;
        if term.last_article != article {
            term.last_article = article;
            term.info.article_df += 1;
        }
    }
}

#[inline]
fn write_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[inline]
fn read_varint(bytes: &[u8], pos: &mut usize) -> u32 {
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

/// Orders articles as ties are broken: newest first (undated last), then by path.
fn tie_order(a: &Article, b: &Article) -> std::cmp::Ordering {
    b.date.cmp(&a.date).then_with(|| a.path.cmp(&b.path))
}

impl Index {
    /// Builds the index of `articles`.
    #[must_use]
    pub fn build(articles: Vec<Article>) -> Index {
        Index::build_shared(articles.into_iter().map(Arc::new).collect())
    }

    /// Builds the index of `articles`, which other indexes may share.
    #[must_use]
    pub fn build_shared(mut articles: Vec<Arc<Article>>) -> Index {
        let start = std::time::Instant::now();
        articles.sort_by(|a, b| tie_order(a, b));
        let mut first_sentence = Vec::with_capacity(articles.len() + 1);
        let mut sentence_article = Vec::new();
        for (a, article) in articles.iter().enumerate() {
            first_sentence.push(sentence_article.len() as SentenceId);
            sentence_article.extend(std::iter::repeat_n(a as u32, article.sentences.len()));
        }
        first_sentence.push(sentence_article.len() as SentenceId);

        let chunks = balanced_chunks(&articles, corpus::worker_threads());
        let parts: Vec<Part> = corpus::parallel_map(&chunks, |&(from, to)| {
            let mut part = Part::default();
            part.add_articles(&articles[from..to], from as u32, first_sentence[from]);
            part
        });
        let analyzed = start.elapsed();
        let index = Index::merge(articles, first_sentence, sentence_article, parts);
        log::debug!(
            "indexed {} sentences: analysed in {analyzed:?}, merged in {:?}; {} terms, postings {} KB, surfaces {} KB + FST {} KB + deletions {} KB, stems {} KB",
            index.sentence_count(),
            start.elapsed() - analyzed,
            index.terms.len(),
            index.postings.len() / 1024,
            index.surface_ids.memory() / 1024,
            index.surfaces.as_fst().as_bytes().len() / 1024,
            index.deletions.memory() / 1024,
            index.stem_ids.memory() / 1024,
        );
        index
    }

    fn merge(
        articles: Vec<Arc<Article>>,
        first_sentence: Vec<SentenceId>,
        sentence_article: Vec<u32>,
        mut parts: Vec<Part>,
    ) -> Index {
        // The first part's numbering is kept (its stem map becomes the index's); the other
        // parts' terms map onto it, new ones after.
        let mut stem_ids = std::mem::take(&mut parts[0].stem_ids);
        let local_to_global: Vec<Vec<TermId>> = parts
            .iter()
            .enumerate()
            .map(|(p, part)| {
                if p == 0 {
                    return (0..stem_ids.len() as u32).collect();
                }
                (0..part.stem_ids.len() as u32)
                    .map(|l| stem_ids.get_or_insert(part.stem_ids.key(l)))
                    .collect()
            })
            .collect();
        let n_terms = stem_ids.len() as u32;
        let n_terms = n_terms as usize;
        // For each part, the local term of each global one (or STOP).
        let global_to_local: Vec<Vec<u32>> = local_to_global
            .iter()
            .map(|l2g| {
                let mut g2l = vec![STOP; n_terms];
                for (l, &g) in l2g.iter().enumerate() {
                    g2l[g as usize] = l as u32;
                }
                g2l
            })
            .collect();

        // Postings: each term's part chains one after the other; a part's first entry is
        // absolute and becomes a delta from the previous part's last sentence. The exact
        // size of every term is worked out first, so that the halves of the term range are
        // written on separate threads straight into the one final buffer.
        let mut terms = vec![TermInfo::default(); n_terms];
        let mut postings_offsets = Vec::with_capacity(n_terms + 1);
        let mut total = 0usize;
        let mut scratch = Vec::new();
        for (g, info) in terms.iter_mut().enumerate() {
            postings_offsets.push(total);
            let mut last: Option<SentenceId> = None;
            for (part, g2l) in parts.iter().zip(&global_to_local) {
                let Some(term) = g2l
                    .get(g)
                    .filter(|&&l| l != STOP)
                    .map(|&l| &part.terms[l as usize])
                else {
                    continue;
                };
                if term.len == 0 {
                    continue;
                }
                total += term.len as usize;
                if let Some(prev) = last {
                    // The first entry is written again, as a delta: perhaps shorter.
                    scratch.clear();
                    term.copy_to(&part.arena, &mut scratch);
                    let mut pos = 0;
                    let v = read_varint(&scratch, &mut pos);
                    let mut rewritten = Vec::new();
                    write_varint(&mut rewritten, (((v >> 1) - prev) << 1) | (v & 1));
                    total -= pos - rewritten.len();
                }
                last = Some(term.last_sentence);
                info.df += term.info.df;
                info.article_df += term.info.article_df;
            }
        }
        postings_offsets.push(total);
        let mut postings = vec![0u8; total];
        let fill = |range: std::ops::Range<usize>, out: &mut [u8]| {
            let base = postings_offsets[range.start];
            let mut buf = Vec::new();
            let mut scratch = Vec::new();
            for g in range {
                buf.clear();
                let mut last: Option<SentenceId> = None;
                for (part, g2l) in parts.iter().zip(&global_to_local) {
                    let Some(term) = g2l
                        .get(g)
                        .filter(|&&l| l != STOP)
                        .map(|&l| &part.terms[l as usize])
                    else {
                        continue;
                    };
                    if term.len == 0 {
                        continue;
                    }
                    match last {
                        None => term.copy_to(&part.arena, &mut buf),
                        Some(prev) => {
                            scratch.clear();
                            term.copy_to(&part.arena, &mut scratch);
                            let mut pos = 0;
                            let v = read_varint(&scratch, &mut pos);
                            write_varint(&mut buf, (((v >> 1) - prev) << 1) | (v & 1));
                            buf.extend_from_slice(&scratch[pos..]);
                        }
                    }
                    last = Some(term.last_sentence);
                }
                let at = postings_offsets[g] - base;
                out[at..at + buf.len()].copy_from_slice(&buf);
            }
        };
        let mid = n_terms / 2;
        let (low, high) = postings.split_at_mut(postings_offsets[mid]);
        std::thread::scope(|s| {
            s.spawn(|| fill(mid..n_terms, high));
            fill(0..mid, low);
        });
        // The parts' postings are copied: free them before the next allocations.
        for part in &mut parts {
            part.terms = Vec::new();
            part.arena = Arena::default();
        }

        let mut sentence_len = Vec::with_capacity(sentence_article.len());
        let mut titles: Vec<Vec<TermId>> = Vec::with_capacity(articles.len());
        for (part, l2g) in parts.iter().zip(&local_to_global) {
            sentence_len.extend_from_slice(&part.sentence_len);
            titles.extend(
                part.titles
                    .iter()
                    .map(|ts| ts.iter().map(|&l| l2g[l as usize]).collect()),
            );
        }

        // Surface forms: copied out of the parts' maps into one string, so that the parts
        // can go before the FST and the final map are built.
        let mut keys = String::new();
        let mut surface_pairs: Vec<(u32, u32, TermId)> = Vec::new();
        for (part, l2g) in parts.iter().zip(&local_to_global) {
            for (s, l) in part.surface_ids.iter().filter(|&(_, l)| l != STOP) {
                surface_pairs.push((keys.len() as u32, s.len() as u32, l2g[l as usize]));
                keys.push_str(s);
            }
        }
        drop(parts);
        drop(local_to_global);
        let generation = fingerprint(&articles);
        let key = |&(at, len, _): &(u32, u32, TermId)| &keys[at as usize..(at + len) as usize];
        surface_pairs.sort_unstable_by(|a, b| key(a).cmp(key(b)));
        surface_pairs.dedup_by(|a, b| key(a) == key(b));
        let mut surface_ids = StrMap::with_capacity(surface_pairs.len());
        for p in &surface_pairs {
            surface_ids.insert(key(p), p.2);
        }
        let (surfaces, deletions) = std::thread::scope(|s| {
            let deletions = s.spawn(|| Deletions::build(&surface_ids));
            let surfaces =
                fst::Map::from_iter(surface_pairs.iter().map(|p| (key(p), u64::from(p.2))))
                    .expect("sorted, deduplicated keys always build an FST");
            (
                surfaces,
                deletions.join().expect("building deletions does not panic"),
            )
        });
        drop(surface_pairs);
        drop(keys);
        let (title_offsets, title_articles) = invert(&titles, n_terms);
        let avg_sentence_len = average_len(&sentence_len);

        Index {
            articles,
            first_sentence,
            sentence_article,
            sentence_len,
            avg_sentence_len,
            terms,
            postings_offsets,
            postings,
            stem_ids,
            surfaces,
            surface_ids,
            deletions,
            titles,
            title_offsets,
            title_articles,
            generation,
        }
    }

    /// A new index of this one's articles, less those whose path is in `removed`, plus
    /// `added`. Only `added` is analysed: the other articles' postings are renumbered and
    /// merged with the new ones, and the vocabulary grows. The result answers exactly as
    /// [`Index::build`] of the same articles would (tested); words that no article uses any
    /// more stay in the vocabulary, with no sentences, until the next full build.
    #[must_use]
    pub fn rebuild(
        &self,
        removed: &std::collections::HashSet<std::path::PathBuf>,
        added: Vec<Article>,
    ) -> Index {
        let start = std::time::Instant::now();
        let mut list: Vec<(Arc<Article>, Option<usize>)> = self
            .articles
            .iter()
            .enumerate()
            .filter(|(_, a)| !removed.contains(&a.path))
            .map(|(i, a)| (Arc::clone(a), Some(i)))
            .collect();
        list.extend(added.into_iter().map(|a| (Arc::new(a), None)));
        list.sort_by(|a, b| tie_order(&a.0, &b.0));
        let mut first_sentence = Vec::with_capacity(list.len() + 1);
        let mut sentence_article = Vec::new();
        for (a, (article, _)) in list.iter().enumerate() {
            first_sentence.push(sentence_article.len() as SentenceId);
            sentence_article.extend(std::iter::repeat_n(a as u32, article.sentences.len()));
        }
        first_sentence.push(sentence_article.len() as SentenceId);

        // Where each old sentence goes (`u32::MAX`: gone).
        let mut old_to_new = vec![u32::MAX; self.sentence_count()];
        for (a, (_, old)) in list.iter().enumerate() {
            if let Some(o) = *old {
                let from = self.first_sentence[o] as usize;
                let to = self.first_sentence[o + 1] as usize;
                for (k, slot) in old_to_new[from..to].iter_mut().enumerate() {
                    *slot = first_sentence[a] + k as u32;
                }
            }
        }

        // The new articles, in the new order, so that their postings come out ascending.
        let mut part = Part::default();
        for (a, (article, old)) in list.iter().enumerate() {
            if old.is_none() {
                part.add_articles(std::slice::from_ref(article), a as u32, first_sentence[a]);
            }
        }
        let mut stem_ids = self.stem_ids.clone();
        let l2g: Vec<TermId> = (0..part.stem_ids.len() as u32)
            .map(|l| stem_ids.get_or_insert(part.stem_ids.key(l)))
            .collect();
        let n_terms = stem_ids.len();
        let mut g2l = vec![STOP; n_terms];
        for (l, &g) in l2g.iter().enumerate() {
            g2l[g as usize] = l as u32;
        }

        // Each term's old postings, renumbered and without the removed articles, merged
        // with its new ones; halves of the term range on two threads.
        let join = |range: std::ops::Range<usize>| {
            let mut out = Vec::new();
            let mut offsets = Vec::with_capacity(range.len());
            let mut infos = Vec::with_capacity(range.len());
            let mut scratch = Vec::new();
            for g in range {
                offsets.push(out.len());
                let old: Vec<(SentenceId, u32)> = if g < self.terms.len() {
                    self.postings(g as TermId)
                        .filter_map(|(sid, tf)| {
                            let n = old_to_new[sid as usize];
                            (n != u32::MAX).then_some((n, tf))
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                scratch.clear();
                if g2l[g] != STOP {
                    part.terms[g2l[g] as usize].copy_to(&part.arena, &mut scratch);
                }
                let new = Postings {
                    bytes: &scratch,
                    pos: 0,
                    last: 0,
                };
                let mut info = TermInfo::default();
                let mut last = 0;
                let mut last_article = u32::MAX;
                let mut write = |sid: SentenceId, tf: u32, out: &mut Vec<u8>| {
                    write_varint(out, ((sid - last) << 1) | u32::from(tf > 1));
                    if tf > 1 {
                        write_varint(out, tf);
                    }
                    last = sid;
                    info.df += 1;
                    let a = sentence_article[sid as usize];
                    if a != last_article {
                        info.article_df += 1;
                        last_article = a;
                    }
                };
                let mut old = old.into_iter().peekable();
                let mut new = new.peekable();
                loop {
                    let take_old = match (old.peek(), new.peek()) {
                        (Some(o), Some(n)) => o.0 < n.0,
                        (Some(_), None) => true,
                        (None, Some(_)) => false,
                        (None, None) => break,
                    };
                    let (sid, tf) = if take_old {
                        old.next().expect("peeked")
                    } else {
                        new.next().expect("peeked")
                    };
                    write(sid, tf, &mut out);
                }
                infos.push(info);
            }
            (out, offsets, infos)
        };
        let halves = [0..n_terms / 2, n_terms / 2..n_terms];
        let joined = corpus::parallel_map(&halves, |r| join(r.clone()));
        let mut postings: Vec<u8> = Vec::new();
        let mut postings_offsets = Vec::with_capacity(n_terms + 1);
        let mut terms = Vec::with_capacity(n_terms);
        for (bytes, offsets, infos) in joined {
            let base = postings.len();
            postings_offsets.extend(offsets.into_iter().map(|o| o + base));
            postings.extend_from_slice(&bytes);
            terms.extend(infos);
        }
        postings_offsets.push(postings.len());

        // Sentence lengths and titles: the old articles' as they were, the new ones' from
        // the analysis (which saw them in the same order).
        let mut sentence_len = Vec::with_capacity(sentence_article.len());
        let mut titles = Vec::with_capacity(list.len());
        let (mut new_sentences, mut new_titles) = (0usize, 0usize);
        for (article, old) in &list {
            match *old {
                Some(o) => {
                    let from = self.first_sentence[o] as usize;
                    let to = self.first_sentence[o + 1] as usize;
                    sentence_len.extend_from_slice(&self.sentence_len[from..to]);
                    titles.push(self.titles[o].clone());
                }
                None => {
                    let n = article.sentences.len();
                    sentence_len
                        .extend_from_slice(&part.sentence_len[new_sentences..new_sentences + n]);
                    new_sentences += n;
                    titles.push(
                        part.titles[new_titles]
                            .iter()
                            .map(|&l| l2g[l as usize])
                            .collect(),
                    );
                    new_titles += 1;
                }
            }
        }

        // The vocabulary grows by the new words; its look-up structures are made again only
        // when there are any.
        let mut surface_ids = self.surface_ids.clone();
        let mut grew = false;
        for (word, l) in part.surface_ids.iter().filter(|&(_, l)| l != STOP) {
            if surface_ids.get(word).is_none() {
                surface_ids.insert(word, l2g[l as usize]);
                grew = true;
            }
        }
        drop(part);
        let (surfaces, deletions) = if grew {
            lookups(&surface_ids)
        } else {
            (self.surfaces.clone(), self.deletions.clone())
        };

        let articles: Vec<Arc<Article>> = list.into_iter().map(|(a, _)| a).collect();
        let generation = fingerprint(&articles);
        let (title_offsets, title_articles) = invert(&titles, n_terms);
        let avg_sentence_len = average_len(&sentence_len);
        let index = Index {
            articles,
            first_sentence,
            sentence_article,
            sentence_len,
            avg_sentence_len,
            terms,
            postings_offsets,
            postings,
            stem_ids,
            surfaces,
            surface_ids,
            deletions,
            titles,
            title_offsets,
            title_articles,
            generation,
        };
        log::debug!(
            "rebuilt the index of {} sentences in {:?}",
            index.sentence_count(),
            start.elapsed()
        );
        index
    }

    /// The articles, in tie order.
    #[must_use]
    pub fn articles(&self) -> &[Arc<Article>] {
        &self.articles
    }

    /// How many sentences.
    #[must_use]
    pub fn sentence_count(&self) -> usize {
        self.sentence_article.len()
    }

    /// A fingerprint of the articles it was built from (paths, dates, titles, and each text's
    /// length, beginning and end): the same articles give the same number, in any process, so
    /// that a sentence id stays meaningful across restarts and a changed corpus is noticed.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The article of a sentence and the sentence's position in it.
    #[must_use]
    pub fn locate(&self, sid: SentenceId) -> (&Article, usize) {
        let a = self.sentence_article[sid as usize] as usize;
        (&self.articles[a], (sid - self.first_sentence[a]) as usize)
    }

    /// The text of a sentence, as in the article.
    #[must_use]
    pub fn sentence_text(&self, sid: SentenceId) -> &str {
        let (article, i) = self.locate(sid);
        article.sentence(i)
    }

    /// The sentence id of sentence `i` of article `a`.
    #[must_use]
    pub fn sentence_id(&self, article: usize, i: usize) -> Option<SentenceId> {
        let first = *self.first_sentence.get(article)?;
        let next = *self.first_sentence.get(article + 1)?;
        let sid = first + i as SentenceId;
        (sid < next).then_some(sid)
    }

    /// The sentences containing a term.
    #[must_use]
    pub fn postings(&self, term: TermId) -> Postings<'_> {
        let t = term as usize;
        Postings {
            bytes: &self.postings[self.postings_offsets[t]..self.postings_offsets[t + 1]],
            pos: 0,
            last: 0,
        }
    }

    /// The articles whose title contains a term.
    #[must_use]
    pub fn title_articles(&self, term: TermId) -> &[u32] {
        let t = term as usize;
        &self.title_articles[self.title_offsets[t] as usize..self.title_offsets[t + 1] as usize]
    }

    /// The term of a stem, if any article has it.
    #[must_use]
    pub fn term_of_stem(&self, stem: &str) -> Option<TermId> {
        self.stem_ids.get(stem)
    }

    /// The term of a normalized surface word, if any article has it.
    #[must_use]
    pub fn term_of_surface(&self, word: &str) -> Option<TermId> {
        self.surface_ids.get(word)
    }

    /// The vocabulary: normalized surface words and their terms.
    #[must_use]
    pub fn surface_map(&self) -> &StrMap {
        &self.surface_ids
    }

    /// The vocabulary's deletion neighbourhoods, for one-edit look-ups.
    #[must_use]
    pub fn deletions(&self) -> &Deletions {
        &self.deletions
    }

    /// The terms of an article's title.
    #[must_use]
    pub fn title_terms(&self, article: usize) -> &[TermId] {
        &self.titles[article]
    }

    /// How many sentences contain a term.
    #[must_use]
    pub fn df(&self, term: TermId) -> u32 {
        self.terms[term as usize].df
    }

    /// Bytes of memory the postings take (for reports).
    #[must_use]
    pub fn postings_bytes(&self) -> usize {
        self.postings.len()
    }
}

/// The FST of a vocabulary's words and their deletion neighbourhoods, built side by side.
fn lookups(surface_ids: &StrMap) -> (fst::Map<Vec<u8>>, Deletions) {
    std::thread::scope(|s| {
        let deletions = s.spawn(|| Deletions::build(surface_ids));
        let mut words: Vec<(&str, u32)> = surface_ids.iter().collect();
        words.sort_unstable();
        let surfaces = fst::Map::from_iter(words.into_iter().map(|(w, t)| (w, u64::from(t))))
            .expect("sorted, deduplicated keys always build an FST");
        (
            surfaces,
            deletions.join().expect("building deletions does not panic"),
        )
    })
}

/// The mean sentence length in words, at least 1 (BM25's length normalization divides by it).
fn average_len(sentence_len: &[u16]) -> f32 {
    let total: u64 = sentence_len.iter().map(|&l| u64::from(l)).sum();
    (total as f32 / sentence_len.len().max(1) as f32).max(1.0)
}

/// The fingerprint behind [`Index::generation`].
fn fingerprint(articles: &[Arc<Article>]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    for a in articles {
        a.path.hash(&mut h);
        a.date.hash(&mut h);
        a.title.hash(&mut h);
        a.text.len().hash(&mut h);
        a.sentences.len().hash(&mut h);
        let t = a.text.as_bytes();
        t[..t.len().min(64)].hash(&mut h);
        t[t.len().saturating_sub(64)..].hash(&mut h);
    }
    h.finish()
}

/// Term → articles lists as offsets and one array.
fn invert(titles: &[Vec<TermId>], n_terms: usize) -> (Vec<u32>, Vec<u32>) {
    let mut offsets = vec![0u32; n_terms + 1];
    for ts in titles {
        for &t in ts {
            offsets[t as usize + 1] += 1;
        }
    }
    for i in 0..n_terms {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut out = vec![0u32; offsets[n_terms] as usize];
    for (a, ts) in titles.iter().enumerate() {
        for &t in ts {
            out[fill[t as usize] as usize] = a as u32;
            fill[t as usize] += 1;
        }
    }
    (offsets, out)
}

/// Splits `articles` into at most `n` contiguous runs of about equal text size.
fn balanced_chunks(articles: &[Arc<Article>], n: usize) -> Vec<(usize, usize)> {
    let total: usize = articles.iter().map(|a| a.text.len()).sum();
    let n = n.max(1);
    let target = total / n + 1;
    let mut chunks = Vec::with_capacity(n);
    let mut start = 0;
    let mut size = 0;
    for (i, a) in articles.iter().enumerate() {
        size += a.text.len();
        if size >= target && chunks.len() + 1 < n {
            chunks.push((start, i + 1));
            start = i + 1;
            size = 0;
        }
    }
    if start < articles.len() || chunks.is_empty() {
        chunks.push((start, articles.len()));
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Article;
    use std::path::Path;

    pub(crate) fn article(name: &str, text: &str) -> Article {
        Article::parse(Path::new(name), text.as_bytes()).unwrap().0
    }

    #[test]
    fn postings_round_trip_and_ids_follow_tie_order() {
        let index = Index::build(vec![
            article("b.txt", "date 2024-01-01 Grain grain grain. Wheat."),
            article("a.txt", "date 2024-01-01 Wheat and grain."),
            article("c.txt", "date 2024-05-01 Grain news."),
        ]);
        // c (newest) first, then a before b (same date, path order).
        let paths: Vec<_> = index.articles().iter().map(|a| a.path.clone()).collect();
        assert_eq!(
            paths,
            [Path::new("c.txt"), Path::new("a.txt"), Path::new("b.txt")]
        );
        let grain = index.term_of_stem("grain").unwrap();
        let got: Vec<_> = index.postings(grain).collect();
        assert_eq!(got, [(0, 1), (1, 1), (2, 3)]);
        assert_eq!(index.terms[grain as usize].df, 3);
        assert_eq!(index.terms[grain as usize].article_df, 3);
        let wheat = index.term_of_stem("wheat").unwrap();
        assert_eq!(index.postings(wheat).collect::<Vec<_>>(), [(1, 1), (3, 1)]);
        assert_eq!(index.sentence_text(3), "Wheat.");
        assert_eq!(index.sentence_len[2], 3);
    }

    #[test]
    fn the_same_articles_give_the_same_generation() {
        let make = |extra: &str| {
            Index::build(vec![
                article("a.txt", "date 2024-01-01 Grain news."),
                article("b.txt", &format!("date 2024-01-01 Oil news{extra}.")),
            ])
        };
        assert_eq!(make("").generation(), make("").generation());
        assert_ne!(make("").generation(), make(" today").generation());
    }

    #[test]
    fn title_terms_are_indexed_per_article() {
        let index = Index::build(vec![
            article("2024-01-01-Grain-exports.txt", "Text one."),
            article("2024-01-02-Oil.txt", "Text two."),
        ]);
        let grain = index.term_of_stem("grain").unwrap();
        assert_eq!(index.title_articles(grain), [1]);
        assert_eq!(index.terms[grain as usize].df, 0);
    }

    #[test]
    fn surfaces_map_to_stems() {
        let index = Index::build(vec![article(
            "a.txt",
            "Exports exported the Rasht-Astara line.",
        )]);
        let export = index.term_of_stem("export").unwrap();
        assert_eq!(index.surfaces.get("exports"), Some(u64::from(export)));
        assert_eq!(index.surfaces.get("exported"), Some(u64::from(export)));
        assert!(index.surfaces.get("the").is_none());
        assert!(index.term_of_stem("rashtastara").is_some());
    }

    #[test]
    fn building_on_several_threads_matches_one() {
        let articles: Vec<Article> = (0..40)
            .map(|i| {
                article(
                    &format!("{i:02}.txt"),
                    &format!(
                        "date 2024-01-01 Word{} shared. Other{} shared shared.",
                        i % 7,
                        i % 3
                    ),
                )
            })
            .collect();
        let one = {
            let mut part = Part::default();
            let mut sorted: Vec<Arc<Article>> = articles.iter().cloned().map(Arc::new).collect();
            sorted.sort_by(|a, b| tie_order(a, b));
            part.add_articles(&sorted, 0, 0);
            part
        };
        let index = Index::build(articles);
        for l in 0..one.stem_ids.len() as u32 {
            let stem = one.stem_ids.key(l);
            let g = index.term_of_stem(stem).unwrap();
            let state = &one.terms[l as usize];
            let mut bytes = Vec::new();
            state.copy_to(&one.arena, &mut bytes);
            let want: Vec<_> = Postings {
                bytes: &bytes,
                pos: 0,
                last: 0,
            }
            .collect();
            assert_eq!(index.postings(g).collect::<Vec<_>>(), want, "{stem}");
            assert_eq!(index.terms[g as usize].df, state.info.df, "{stem}");
            assert_eq!(
                index.terms[g as usize].article_df, state.info.article_df,
                "{stem}"
            );
        }
    }

    /// Two indexes hold the same articles, sentences and postings (terms compared by stem).
    fn assert_same(a: &Index, b: &Index) {
        assert_eq!(a.articles.len(), b.articles.len());
        for (x, y) in a.articles.iter().zip(&b.articles) {
            assert_eq!(x.path, y.path);
        }
        assert_eq!(a.first_sentence, b.first_sentence);
        assert_eq!(a.sentence_len, b.sentence_len);
        assert_eq!(a.generation, b.generation);
        for t in 0..b.terms.len() as u32 {
            let stem = b.stem_ids.key(t);
            let u = a
                .term_of_stem(stem)
                .unwrap_or_else(|| panic!("{stem} missing"));
            assert_eq!(
                a.postings(u).collect::<Vec<_>>(),
                b.postings(t).collect::<Vec<_>>(),
                "{stem}"
            );
            assert_eq!(a.terms[u as usize].df, b.terms[t as usize].df, "{stem}");
            assert_eq!(
                a.terms[u as usize].article_df, b.terms[t as usize].article_df,
                "{stem}"
            );
        }
        for (i, (x, y)) in a.titles.iter().zip(&b.titles).enumerate() {
            let mut x: Vec<&str> = x.iter().map(|&t| a.stem_ids.key(t)).collect();
            let mut y: Vec<&str> = y.iter().map(|&t| b.stem_ids.key(t)).collect();
            x.sort_unstable();
            y.sort_unstable();
            assert_eq!(x, y, "title of article {i}");
        }
        // Terms only the removed articles had are still known, with no sentences.
        for t in 0..a.terms.len() as u32 {
            if b.term_of_stem(a.stem_ids.key(t)).is_none() {
                assert_eq!(a.terms[t as usize].df, 0, "{}", a.stem_ids.key(t));
            }
        }
    }

    #[test]
    fn a_rebuild_equals_a_fresh_build() {
        // 300 articles of ten sentences, their words drawn (skewed to the first ones, so that
        // some are common and most rare) from 2,000 made-up words.
        let mut seed = 3u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let all: Vec<Article> = (0..300)
            .map(|i| {
                let mut text = format!("date 2024-{:02}-{:02}\n\n", 1 + i % 12, 1 + i % 28);
                for _ in 0..10 {
                    for _ in 0..3 + next(12) {
                        let bound = 1 + next(2_000);
                        let w = next(bound);
                        text.push_str(&format!("w{w}x "));
                    }
                    text.push_str("end.\n");
                }
                article(&format!("a{i}.txt"), &text)
            })
            .collect();
        let (first, extra) = all.split_at(100);
        let old = Index::build(first.to_vec());
        // Remove 7 articles, change 3 (same path, new text), add the rest.
        let removed: std::collections::HashSet<std::path::PathBuf> =
            first.iter().step_by(13).map(|a| a.path.clone()).collect();
        let changed: Vec<Article> = first
            .iter()
            .skip(5)
            .step_by(31)
            .map(|a| {
                article(
                    &a.path.to_string_lossy(),
                    "date 2001-01-01 A brand new text about zebras and quasars. Another one.",
                )
            })
            .collect();
        let mut gone = removed.clone();
        gone.extend(changed.iter().map(|a| a.path.clone()));
        let mut added = changed.clone();
        added.extend(extra.iter().cloned());
        let rebuilt = old.rebuild(&gone, added.clone());

        let mut expected: Vec<Article> = first
            .iter()
            .filter(|a| !gone.contains(&a.path))
            .cloned()
            .collect();
        expected.extend(added);
        let fresh = Index::build(expected);
        assert_same(&rebuilt, &fresh);

        // Nothing added, nothing removed: the same index again.
        let again = rebuilt.rebuild(&Default::default(), Vec::new());
        assert_same(&again, &fresh);
    }

    #[test]
    fn balanced_chunks_cover_everything() {
        let articles: Vec<Arc<Article>> = (0..5)
            .map(|i| Arc::new(article(&format!("{i}.txt"), "Some text.")))
            .collect();
        for n in 1..8 {
            let chunks = balanced_chunks(&articles, n);
            assert_eq!(chunks.first().unwrap().0, 0);
            assert_eq!(chunks.last().unwrap().1, 5);
            assert!(chunks.windows(2).all(|w| w[0].1 == w[1].0), "{chunks:?}");
            assert!(chunks.len() <= n);
        }
    }
}
