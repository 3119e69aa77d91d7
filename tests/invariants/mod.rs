//! What must hold whatever the input: shared by the property tests (`tests/properties.rs`),
//! the fuzz targets (`fuzz/fuzz_targets/`) and the regression tests of what fuzzing found
//! (`tests/fuzz_regressions.rs`), so that all three check exactly the same things. Each check
//! panics with what was wrong.

#![allow(dead_code)]

use std::path::Path;

use quotebot::answer::rich::{Format, TELEGRAM_LIMIT};
use quotebot::answer::{Answer, replies};
use quotebot::corpus::{Article, Span};
use quotebot::engine::Engine;

/// Sentence spans of `text`: non-empty, on char boundaries, in order without overlap, trimmed
/// of white space, and covering the text: every letter or digit of `text` is in a span (what
/// lies between spans is only white space and punctuation).
pub fn check_spans(text: &str, spans: &[Span]) {
    let mut at = 0usize;
    for (i, s) in spans.iter().enumerate() {
        let (start, end) = (s.start as usize, s.end as usize);
        assert!(start < end, "span {i} {start}..{end} is empty");
        assert!(end <= text.len(), "span {i} ends past the text");
        assert!(
            text.is_char_boundary(start) && text.is_char_boundary(end),
            "span {i} {start}..{end} is not on char boundaries of {text:?}"
        );
        assert!(start >= at, "span {i} starts before the one before it ends");
        let sentence = &text[start..end];
        assert_eq!(
            sentence,
            sentence.trim(),
            "span {i} is not trimmed: {sentence:?}"
        );
        assert!(
            sentence.chars().any(char::is_alphanumeric),
            "span {i} has no letter or digit: {sentence:?}"
        );
        let between = &text[at..start];
        assert!(
            !between.chars().any(char::is_alphanumeric),
            "text between spans was dropped: {between:?} (before span {i}) of {text:?}"
        );
        at = end;
    }
    let rest = &text[at..];
    assert!(
        !rest.chars().any(char::is_alphanumeric),
        "text after the last span was dropped: {rest:?} of {text:?}"
    );
}

/// A parsed article: its spans hold (see [`check_spans`]), it has a title and a sentence.
pub fn check_article(article: &Article) {
    check_spans(&article.text, &article.sentences);
    assert!(
        !article.sentences.is_empty(),
        "an article without sentences"
    );
    assert!(
        !article.title.trim().is_empty(),
        "an article without a title"
    );
}

/// Parses `bytes` as the file `name`: an article whose invariants hold, or an error (never a
/// panic).
pub fn check_parse(name: &str, bytes: &[u8]) {
    if let Ok((article, _warnings)) = Article::parse(Path::new(name), bytes) {
        check_article(&article);
    }
}

/// Checks that `html` is valid Telegram HTML as quotebot writes it — only `<b>`, `<i>`, no
/// attributes, properly nested and closed; `<`, `>`, `&` in text escaped as `&lt;`, `&gt;`,
/// `&amp;` (or `&quot;`) — and that its visible text is at most Telegram's 4096 UTF-16 code
/// units. Returns the visible text.
pub fn check_telegram_html(html: &str) -> String {
    let mut open: Vec<&str> = Vec::new();
    let mut visible = String::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let end = rest
                    .find('>')
                    .unwrap_or_else(|| panic!("an unclosed tag in {html:?}"));
                let tag = &rest[1..end];
                match tag {
                    "b" | "i" => {
                        assert!(!open.contains(&tag), "<{tag}> inside <{tag}> in {html:?}");
                        open.push(tag);
                    }
                    "/b" | "/i" => {
                        assert_eq!(
                            open.pop(),
                            Some(&tag[1..]),
                            "</{}> closes nothing open in {html:?}",
                            &tag[1..]
                        );
                    }
                    _ => panic!("a tag quotebot never writes, <{tag}>, in {html:?}"),
                }
                rest = &rest[end + 1..];
            }
            '&' => {
                let (entity, text) = [
                    ("&lt;", '<'),
                    ("&gt;", '>'),
                    ("&amp;", '&'),
                    ("&quot;", '"'),
                ]
                .into_iter()
                .find(|(e, _)| rest.starts_with(e))
                .unwrap_or_else(|| panic!("a bare & in {html:?}"));
                visible.push(text);
                rest = &rest[entity.len()..];
            }
            '>' => panic!("a bare > in {html:?}"),
            _ => {
                visible.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    assert!(open.is_empty(), "tags left open: {open:?} in {html:?}");
    let units: usize = visible.chars().map(char::len_utf16).sum();
    assert!(
        units <= TELEGRAM_LIMIT,
        "{units} visible UTF-16 units, over Telegram's {TELEGRAM_LIMIT}"
    );
    assert!(!visible.trim().is_empty(), "an empty reply");
    visible
}

/// An answer is a sentence of the corpus, quoted exactly (line breaks as spaces), with its
/// article's title, and highlights inside the quote on char boundaries.
pub fn check_answer(engine: &Engine, answer: &Answer) {
    let index = engine.index();
    let (article, i) = index.locate(answer.sentence);
    assert_eq!(
        answer.quote,
        quotebot::answer::quote_text(article.sentence(i))
    );
    assert_eq!(answer.title, article.title);
    assert_eq!(answer.date, article.date);
    for r in &answer.highlights {
        assert!(r.start < r.end && r.end <= answer.quote.len());
        assert!(answer.quote.is_char_boundary(r.start) && answer.quote.is_char_boundary(r.end));
    }
}

/// Asks `question` (and for more, and for the context of the best quote): no panic, every
/// answer a real sentence, every reply valid Telegram HTML within the limit, and no reply
/// that shows any of the question's own text unescaped.
pub fn check_ask(engine: &Engine, question: &str) {
    let answers = engine.ask(question);
    for a in &answers {
        check_answer(engine, a);
    }
    check_telegram_html(&replies::answer(&answers).render(Format::Html));
    let more = engine.more(question, &answers, 3);
    for a in &more {
        check_answer(engine, a);
        assert!(
            !answers.iter().any(|s| s.quote == a.quote),
            "More repeated a quote"
        );
    }
    check_telegram_html(&replies::more(&more, answers.len() + 1).render(Format::Html));
    if let Some(best) = answers.first().or(more.first()) {
        let index = engine.index();
        let context = replies::context(&index, best.sentence, best.generation)
            .expect("the context of a fresh answer");
        check_telegram_html(&context.render(Format::Html));
    }
}
