//! The fitted scoring parameters. Written by `cargo run --release --example fit -- --write`
//! (which reads the benchmark's train splits from `../shared/bench`); the feature order is
//! [`super::rerank::FEATURE_NAMES`].

/// BM25 saturation of repeated words.
pub const K1: f32 = 1.2;
/// BM25 length normalization.
pub const B: f32 = 0.75;
/// Weight of the article's text containing the question's words (first stage).
pub const ARTICLE: f32 = 0.3;
/// Weight of the article's title containing the question's words (first stage).
pub const TITLE: f32 = 0.3;
/// First-stage candidates scored again.
pub const DEPTH: usize = 30;
/// Feature weights.
pub const WEIGHTS: [f32; super::rerank::NF] = [
    0.2194198, // bm25
    1.4097582, // article
    1.5030543, // title
    0.50315905, // coverage
    0.27742115, // count_coverage
    0.05748603, // bigrams
    0.008673584, // density
    0.34489214, // log_len
    -0.13619514, // short
    0.07586115, // novelty
    0.117784336, // fuzzy_share
    1.273331, // relative
    -0.14197369, // has_date
    0.16746707, // new_numbers
    0.08091048, // new_capitals
    1.1735469, // when_date
    0.809722, // howmany_number
    0.8581567, // who_name
    0.62310916, // where_name
    -0.06592064, // title_in_sentence
    0.31908607, // subject_first
    0.38479212, // definition
];
