//! Building the index from articles: each thread analyzes a contiguous run of articles into
//! its own term numbering ([`Part`]), and the parts are merged in order.

use std::sync::Arc;

use super::postings::{read_varint, write_varint};
use super::*;
use crate::corpus::{self, Article};
use crate::search::analyze::{self, TokenKind};
use crate::search::strmap;

/// One thread's share of the build, in its own term numbering. Postings are appended as
/// varints (the first entry absolute) to a chain of blocks per term, all blocks in one
/// arena: a byte or two written per word, no allocation per term, and little slack.
#[derive(Default)]
pub(super) struct Part {
    pub(super) surface_ids: StrMap,
    pub(super) stem_ids: IdTable,
    pub(super) terms: Vec<TermState>,
    pub(super) arena: Arena,
    pub(super) sentence_len: Vec<u16>,
    pub(super) titles: Vec<Vec<u32>>,
}

/// Bytes of a postings block; the last four link to the next block.
const BLOCK: usize = 32;
const PAYLOAD: usize = BLOCK - 4;
/// Blocks per arena chunk (1 MiB): the arena grows a chunk at a time, never by copying.
const CHUNK: usize = 1 << 15;

/// Postings blocks, addressed by number. Block 0 is never handed out, so that 0 can mean
/// "no block".
pub(super) struct Arena {
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
pub(super) struct TermState {
    head: u32,
    tail: u32,
    tail_len: u32,
    len: u32,
    last_sentence: SentenceId,
    last_article: u32,
    pub(super) info: TermInfo,
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
    pub(super) fn copy_to(&self, arena: &Arena, out: &mut Vec<u8>) {
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
    pub(super) fn term(&mut self, word: &str, h: u64, kind: TokenKind) -> u32 {
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

    pub(super) fn add_articles(
        &mut self,
        articles: &[Arc<Article>],
        first_article: u32,
        mut sid: SentenceId,
    ) {
        // A sentence's words, normalized one after the other in `words`, with their hashes.
        let mut words = String::new();
        let mut tokens: Vec<(usize, usize, TokenKind, u64)> = Vec::new();
        let mut terms: Vec<u32> = Vec::new();
        for (a, article) in articles.iter().enumerate() {
            let a = first_article + a as u32;
            // Read without being kept: a full build over an index read from its file
            // would otherwise bring every text into memory.
            article.text.with(|all| {
                for span in &article.sentences {
                    let text = all.get(span.range()).unwrap_or_default();
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
            });
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
    pub(super) fn add_posting(&mut self, t: u32, sid: SentenceId, tf: u32, article: u32) {
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

/// Orders articles as ties are broken: newest first (undated last), then by path.
pub(super) fn tie_order(a: &Article, b: &Article) -> std::cmp::Ordering {
    tie_order_of((a.date, &a.path), (b.date, &b.path))
}

/// [`tie_order`] of two articles' dates and paths.
pub(super) fn tie_order_of(
    a: (Option<crate::date::Date>, &std::path::Path),
    b: (Option<crate::date::Date>, &std::path::Path),
) -> std::cmp::Ordering {
    b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1))
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
        let (first_sentence, sentence_article) =
            sentence_ranges(articles.iter().map(|a| a.sentences.len()));

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
        // The parts holding postings of global term `g`, in order, with its state in each.
        let states = |g: usize| {
            parts
                .iter()
                .zip(&global_to_local)
                .filter_map(move |(part, g2l)| {
                    let l = *g2l.get(g)?;
                    let term = (l != STOP).then(|| &part.terms[l as usize])?;
                    (term.len != 0).then_some((part, term))
                })
        };
        for (g, info) in terms.iter_mut().enumerate() {
            postings_offsets.push(total);
            let mut last: Option<SentenceId> = None;
            for (part, term) in states(g) {
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
                for (part, term) in states(g) {
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
        Index::from_parts(Parts {
            articles,
            first_sentence,
            sentence_article,
            sentence_len,
            terms,
            postings_offsets,
            postings,
            checked: None,
            stem_ids,
            surfaces,
            surface_ids,
            deletions,
            titles,
        })
    }
}

/// The FST of a vocabulary's words and their deletion neighbourhoods, built side by side.
pub(super) fn lookups(surface_ids: &StrMap) -> (fst::Map<Vec<u8>>, Deletions) {
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

/// Splits `articles` into at most `n` contiguous runs of about equal text size.
pub(super) fn balanced_chunks(articles: &[Arc<Article>], n: usize) -> Vec<(usize, usize)> {
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
