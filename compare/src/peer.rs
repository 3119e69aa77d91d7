//! tantivy, the peer: one index of quotebot's sentences (one document each, so both systems
//! rank the same units), asked in two ways.
//!
//! - *careful*, configured as its best users would: BM25 with English stemming, tantivy's
//!   English stop words dropped from the question, each remaining word a term, and a fuzzy
//!   term (distance 1, a swap of neighbours counting one, boost 0.5) only for a word whose
//!   stem the index does not have (its document frequency in the term dictionary is 0). The
//!   fuzzy term is the stem, as tantivy's own `QueryParser` fuzzes the analyzed token. The
//!   index is merged into one segment, as one would for a corpus built once and then searched.
//! - *naive*, as `compare/` was first written: every question word a term, stop words
//!   included, and every word of 4+ letters also a fuzzy term at boost 0.5.

use std::collections::HashSet;

use anyhow::Result;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, Searcher, TantivyDocument, Term, doc};

/// How a question becomes a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setup {
    /// Stop words dropped; fuzzy only for words whose stem is not in the index.
    Careful,
    /// Every word a term; every word of 4+ letters also fuzzy.
    Naive,
}

/// A tantivy index of sentences, ready to answer.
pub struct Peer {
    body: Field,
    /// Kept so the searcher's segments stay open.
    _reader: IndexReader,
    searcher: Searcher,
    /// `en_stem` (the index's own analyzer).
    stem: TextAnalyzer,
    /// `en_stem` with tantivy's English stop words removed before stemming.
    careful: TextAnalyzer,
    /// How many segments the index has after the build.
    pub segments: usize,
}

/// tantivy's English stop words (Lucene's list), as its `StopWordFilter` has them.
#[must_use]
pub fn stop_word_filter() -> StopWordFilter {
    StopWordFilter::new(Language::English).expect("tantivy has English stop words")
}

impl Peer {
    /// Indexes `sentences` (one document each) in memory with `threads` indexing threads,
    /// then merges the segments into one, as one would for a corpus that is built once and
    /// then only searched.
    pub fn build(sentences: impl IntoIterator<Item = String>, threads: usize) -> Result<Peer> {
        let mut schema = Schema::builder();
        let body = schema.add_text_field(
            "body",
            TextOptions::default()
                .set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer("en_stem")
                        .set_index_option(IndexRecordOption::WithFreqs),
                )
                .set_stored(),
        );
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter =
            index.writer_with_num_threads(threads, 200_000_000 * threads)?;
        for s in sentences {
            writer.add_document(doc!(body => s))?;
        }
        writer.commit()?;
        let ids = index.searchable_segment_ids()?;
        if ids.len() > 1 {
            writer.merge(&ids).wait()?;
        }
        writer.wait_merging_threads()?;
        let reader = index.reader()?;
        reader.reload()?;
        let searcher = reader.searcher();
        let careful = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(stop_word_filter())
            .filter(Stemmer::new(Language::English))
            .build();
        Ok(Peer {
            body,
            stem: index.tokenizer_for_field(body)?,
            careful,
            segments: searcher.segment_readers().len(),
            _reader: reader,
            searcher,
        })
    }

    /// The number of sentences a term (an analyzed word) occurs in.
    pub fn doc_freq(&self, term: &str) -> u64 {
        self.searcher
            .doc_freq(&Term::from_field_text(self.body, term))
            .unwrap_or(0)
    }

    /// The careful query's terms: the question's stems without stop words, each once.
    pub fn careful_terms(&mut self, question: &str) -> Vec<String> {
        let mut terms = Vec::new();
        let mut seen = HashSet::new();
        let mut stream = self.careful.token_stream(question);
        while let Some(token) = stream.next() {
            if seen.insert(token.text.clone()) {
                terms.push(token.text.clone());
            }
        }
        terms
    }

    fn careful_query(&mut self, question: &str) -> BooleanQuery {
        let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for stem in self.careful_terms(question) {
            let term = Term::from_field_text(self.body, &stem);
            // The term dictionary says whether the stem is a word of the corpus; only a word
            // that is not one is taken for a typo.
            if self.searcher.doc_freq(&term).unwrap_or(0) > 0 {
                subs.push((
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                ));
            } else {
                let fuzzy = FuzzyTermQuery::new(term, 1, true);
                subs.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(fuzzy), 0.5)),
                ));
            }
        }
        BooleanQuery::new(subs)
    }

    fn naive_query(&mut self, question: &str) -> BooleanQuery {
        let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let words = question
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase);
        for w in words {
            let mut stream = self.stem.token_stream(&w);
            while let Some(token) = stream.next() {
                subs.push((
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(self.body, &token.text),
                        IndexRecordOption::WithFreqs,
                    )),
                ));
            }
            if w.chars().count() >= 4 {
                let fuzzy = FuzzyTermQuery::new(Term::from_field_text(self.body, &w), 1, true);
                subs.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(fuzzy), 0.5)),
                ));
            }
        }
        BooleanQuery::new(subs)
    }

    /// The best sentence for `question`, if any sentence matches at all.
    pub fn ask(&mut self, setup: Setup, question: &str) -> Option<String> {
        let query = match setup {
            Setup::Careful => self.careful_query(question),
            Setup::Naive => self.naive_query(question),
        };
        let hits = self
            .searcher
            .search(&query, &TopDocs::with_limit(1).order_by_score())
            .ok()?;
        let (_, address) = hits.first()?;
        let doc: TantivyDocument = self.searcher.doc(*address).ok()?;
        doc.get_first(self.body)
            .and_then(|v| v.as_str())
            .map(String::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> Peer {
        Peer::build(
            [
                "The grain exports of Iran rose last year.",
                "The city held its first election in 1990.",
                "Nothing to see here.",
            ]
            .map(String::from),
            1,
        )
        .unwrap()
    }

    #[test]
    fn careful_drops_stop_words_and_stems() {
        let mut p = peer();
        let terms = p.careful_terms("What is the city's first election?");
        assert_eq!(terms, ["what", "citi", "s", "first", "elect"], "{terms:?}");
    }

    #[test]
    fn careful_fuzzes_only_unknown_stems() {
        let mut p = peer();
        let q = format!("{:?}", p.careful_query("grian exports"));
        assert!(q.contains("Fuzzy"), "{q}");
        assert_eq!(q.matches("Fuzzy").count(), 1, "{q}");
        let got = p.ask(Setup::Careful, "grian exprots");
        assert_eq!(
            got.as_deref(),
            Some("The grain exports of Iran rose last year.")
        );
        let q = format!("{:?}", p.careful_query("grain exports"));
        assert!(!q.contains("Fuzzy"), "{q}");
    }

    #[test]
    fn both_setups_answer() {
        let mut p = peer();
        for setup in [Setup::Careful, Setup::Naive] {
            let got = p.ask(setup, "When was the first city election?");
            assert_eq!(
                got.as_deref(),
                Some("The city held its first election in 1990."),
                "{setup:?}"
            );
        }
    }
}
