//! A new index from an old one: the articles that changed analysed again, the others'
//! postings renumbered and merged in.

use std::sync::Arc;

use super::build::{Part, lookups, tie_order};
use super::postings::write_varint;
use super::*;

impl Index {
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
        let (first_sentence, sentence_article) =
            sentence_ranges(list.iter().map(|(a, _)| a.sentences.len()));

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
                let new = Postings::new(&scratch);
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
        let index = Index::from_parts(Parts {
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
        });
        log::debug!(
            "rebuilt the index of {} sentences in {:?}",
            index.sentence_count(),
            start.elapsed()
        );
        index
    }
}
