//! The corpus side on arbitrary input: an article *and* a question. The bytes before the
//! first 0xFF (never a byte of UTF-8 text) are the article, parsed as a `.txt` and as a `.md`
//! file as the loader parses files; what follows is the question (lossily decoded). Without
//! a 0xFF the article's own text is the question too, so that questions meet their words.
//! Both parses are indexed together and asked, with "More" and "Context" rendered as plain
//! text and Telegram HTML: the checks of `tests/invariants` (`check_article_and_question`).
//! Seeds: `fuzz/seeds/article/`; what it found: `tests/it/fuzz_regressions.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/invariants/mod.rs"]
#[allow(dead_code)] // each target uses some of the checks
mod invariants;

fuzz_target!(|bytes: &[u8]| {
    let (article, question) = invariants::split_fuzz_input(bytes);
    invariants::check_article_and_question(article, &question);
});
