//! quotebot answers questions about a folder of news articles with the one sentence that best
//! answers them, quoted exactly, with the article's title and date.
//!
//! The flow:
//!
//! ```text
//! corpus/*.txt|*.md ─► corpus::load ─► Article {title, date, source, text, sentences}
//!                                          │ corpus::split (byte spans into the text)
//!                                          ▼
//!                      search::analyze (tokenize, normalize, stop words, stem)
//!                                          ▼
//!                      search::Index (postings, vocabulary FST) — built once, read-only
//!                                          │
//! question ─► analyze ─► fuzzy-expand against the vocabulary ─► score ─► ranked Hits
//!                                          │
//!                      Engine::ask ─► Answer {quote, title, date, path, source, score}
//!                                          │
//!                      answer::plain (terminal) · answer::json (scripts)
//! ```
//!
//! The command line and the bot call the same [`Engine::ask`].
//!
//! ```
//! use quotebot::{Article, Engine, Index, SearchConfig};
//! use std::path::Path;
//!
//! let text = "date 2024-09-30 Iran and Russia met in Moscow.\n\n\
//!             Once the grain export is concluded, Iran can become a grain hub in the region, he added.";
//! let (article, _warnings) = Article::parse(Path::new("corpus/iran-russia.txt"), text.as_bytes())?;
//! let engine = Engine::new(Index::build(vec![article]), SearchConfig::default());
//!
//! let answers = engine.ask("what about the grian exports?");
//! assert_eq!(answers[0].quote, "Once the grain export is concluded, Iran can become a grain hub in the region, he added.");
//! assert_eq!(answers[0].date.unwrap().human(), "30 September 2024");
//! assert!(engine.ask("What is the capital of France?").is_empty());
//! # Ok::<(), quotebot::Error>(())
//! ```

pub mod answer;
pub mod chat;
pub mod config;
pub mod corpus;
pub mod date;
pub mod engine;
pub mod error;
pub mod i18n;
pub mod intake;
pub mod live;
pub mod search;
pub mod storage;
pub mod telegram;
pub mod web;

#[cfg(test)]
mod structure;

pub use answer::Answer;
pub use config::{Config, SearchConfig};
pub use corpus::{Article, Corpus, Problem};
pub use date::Date;
pub use engine::Engine;
pub use error::{Error, Result};
pub use search::Index;
