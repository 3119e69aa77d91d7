//! What must hold whatever the input: shared by the property tests (`tests/it/properties.rs`),
//! the fuzz targets (`fuzz/fuzz_targets/`) and the regression tests of what fuzzing found
//! (`tests/it/fuzz_regressions.rs`), so that all three check exactly the same things. Each check
//! panics with what was wrong.
//!
//! [`check_article_and_question`] is the whole corpus side at once: an article from any bytes,
//! parsed as the loader parses a file, indexed, asked, "More" and "Context" rendered.

use std::path::Path;

use quotebot::Error;
use quotebot::answer::rich::{Format, Rich, TELEGRAM_LIMIT};
use quotebot::answer::{self, Answer, replies};
use quotebot::config::SearchConfig;
use quotebot::corpus::{Article, Span};
use quotebot::date::{self, Date};
use quotebot::engine::Engine;
use quotebot::search::{Index, SentenceId};

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
    check_spans(article.text.as_str(), &article.sentences);
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
    match Article::parse(Path::new(name), bytes) {
        Ok((article, _warnings)) => check_article(&article),
        Err(e) => check_parse_error(bytes, &e),
    }
}

/// Why parsing `bytes` failed: bytes that are not UTF-8 are refused as such, naming the line
/// of the first bad byte; UTF-8 text only for having no text or a malformed date.
pub fn check_parse_error(bytes: &[u8], error: &Error) {
    match std::str::from_utf8(bytes) {
        Err(bad) => {
            let line = 1 + bytes[..bad.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            assert!(
                matches!(error, Error::NotUtf8 { line: l, .. } if *l == line),
                "bytes not UTF-8 at line {line}, but the error is {error:?}"
            );
        }
        Ok(_) => assert!(
            matches!(error, Error::NoText { .. } | Error::BadDate { .. }),
            "UTF-8 text refused for another reason: {error:?}"
        ),
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
    assert_eq!(answer.generation, index.generation(), "{answer:?}");
    let (article, i) = index.locate(answer.sentence);
    assert_eq!(
        answer.quote,
        quotebot::answer::quote_text(article.sentence(i))
    );
    assert_eq!(answer.title, article.title);
    assert_eq!(answer.date, article.date);
    assert!(
        answer.score.is_finite() && answer.score >= 0.0,
        "score {} of {answer:?}",
        answer.score
    );
    let mut at = 0;
    for r in &answer.highlights {
        assert!(
            at <= r.start && r.start < r.end && r.end <= answer.quote.len(),
            "highlight {r:?} out of order or outside the quote: {answer:?}"
        );
        assert!(answer.quote.is_char_boundary(r.start) && answer.quote.is_char_boundary(r.end));
        at = r.end;
    }
}

/// `rich` written as Telegram HTML is valid (see [`check_telegram_html`]), and shows exactly
/// what it shows as plain text at the terminal.
pub fn check_rich(rich: &Rich) {
    let visible = check_telegram_html(&rich.render(Format::Html));
    assert_eq!(
        visible,
        rich.render(Format::Plain),
        "the terminal and Telegram show different text"
    );
}

/// The index of `engine`: every sentence where it says it is, and the replies about the
/// articles valid.
pub fn check_index(engine: &Engine) {
    let index = engine.index();
    let total: usize = index.articles().iter().map(|a| a.sentences.len()).sum();
    assert_eq!(index.sentence_count(), total, "sentences in the index");
    let mut sid: SentenceId = 0;
    for (a, article) in index.articles().iter().enumerate() {
        for i in 0..article.sentences.len() {
            assert_eq!(index.sentence_id(a, i), Some(sid));
            let (found, at) = index.locate(sid);
            assert!(std::ptr::eq(found, &**article) && at == i, "sentence {sid}");
            assert_eq!(index.sentence_text(sid), article.sentence(i));
            sid += 1;
        }
    }
    check_rich(&replies::articles(index.articles()));
    check_rich(&replies::articles_page(index.articles(), 0).0);
    check_rich(&replies::about(index.articles(), index.sentence_count()));
}

/// The day the checks ask on, so that "last year" means the same in every run.
pub fn today() -> Date {
    Date::new(2025, 6, 15).expect("a real day")
}

/// The sentences that share a (possibly mistyped, or related) word with `question`, as the
/// engine analyzes it on [`today`]: the only ones an answer may come from.
pub fn sharing_sentences(engine: &Engine, question: &str) -> Vec<SentenceId> {
    let index = engine.index();
    let mut asked = question.to_string();
    for r in date::question_date(question, today())
        .iter()
        .flat_map(|w| &w.framing)
    {
        asked.replace_range(r.clone(), &" ".repeat(r.len()));
    }
    let mut sentences: Vec<SentenceId> = index
        .analyze_question(&asked, engine.config())
        .iter()
        .flat_map(|w| &w.alternatives)
        .flat_map(|alt| index.postings(alt.term).map(|(sid, _)| sid))
        .collect();
    sentences.sort_unstable();
    sentences.dedup();
    sentences
}

/// Asks `question` for `k` answers without a threshold, as "More" does: at most `k`, each a
/// different real sentence sharing a word with the question, the same every time, the best
/// of them the best of one; and the answer, "More" and "Context" of each rendered, as plain
/// text and as Telegram HTML, plain and JSON output included.
pub fn check_more(engine: &Engine, question: &str, k: usize) {
    let all = engine.ask_on(question, k, 0.0, today());
    assert!(all.len() <= k, "{} answers, asked for {k}", all.len());
    assert_eq!(
        all,
        engine.ask_on(question, k, 0.0, today()),
        "the same question answered differently"
    );
    assert_eq!(
        engine.ask_on(question, 1, 0.0, today()).first(),
        all.first(),
        "the best answer changed with the number asked for"
    );
    let sharing = sharing_sentences(engine, question);
    for (i, a) in all.iter().enumerate() {
        check_answer(engine, a);
        assert!(
            sharing.binary_search(&a.sentence).is_ok(),
            "an answer with no word of the question {question:?}: {a:?}"
        );
        assert!(
            !all[..i].iter().any(|b| b.quote == a.quote),
            "a quote given twice: {all:?}"
        );
    }
    check_rich(&replies::answer(&all));
    if let Some((first, rest)) = all.split_first() {
        check_rich(&replies::more(rest, 2));
        let more = engine.more(question, std::slice::from_ref(first), k - 1);
        assert!(
            !more.iter().any(|m| m.quote == first.quote),
            "More repeated the quote shown"
        );
    }
    let index = engine.index();
    for a in &all {
        let context = replies::context(
            &quotebot::engine::context(&index, a.sentence, a.generation)
                .expect("the context of a fresh answer"),
        );
        check_rich(&context);
        check_rich(&replies::quote(a, TELEGRAM_LIMIT));
    }
    let plain = answer::plain(&all);
    assert!(all.iter().all(|a| plain.contains(&a.quote)), "{plain:?}");
    let json: serde_json::Value =
        serde_json::from_str(&answer::json(question, &all)).expect("the JSON line parses");
    assert_eq!(json["question"], question);
    let quotes: Vec<&str> = json["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .map(|a| a["quote"].as_str().expect("a quote"))
        .collect();
    assert_eq!(
        quotes,
        all.iter().map(|a| a.quote.as_str()).collect::<Vec<_>>()
    );
}

/// The fuzzer's input (`fuzz/fuzz_targets/article.rs`) as an article and a question: the bytes
/// before the first 0xFF (never a byte of UTF-8 text) are the article, those after it the
/// question, decoded lossily; without a 0xFF the article's text is the question too.
pub fn split_fuzz_input(bytes: &[u8]) -> (&[u8], String) {
    let (article, question) = match bytes.iter().position(|&b| b == 0xff) {
        Some(at) => (&bytes[..at], &bytes[at + 1..]),
        None => (bytes, bytes),
    };
    (article, String::from_utf8_lossy(question).into_owned())
}

/// The corpus side, from any bytes: `article` parsed as a `.txt` and as a `.md` file (as the
/// loader parses one; see [`check_parse`]), what parsed indexed together ([`check_index`]),
/// and `question` asked ([`check_ask`], and [`check_more`] for five answers).
pub fn check_article_and_question(article: &[u8], question: &str) {
    let mut articles = Vec::new();
    for name in ["corpus/article.txt", "corpus/article.md"] {
        match Article::parse(Path::new(name), article) {
            Ok((parsed, _warnings)) => {
                check_article(&parsed);
                articles.push(parsed);
            }
            Err(e) => check_parse_error(article, &e),
        }
    }
    if articles.is_empty() {
        return;
    }
    let engine = Engine::new(Index::build(articles), SearchConfig::default());
    check_index(&engine);
    check_ask(&engine, question);
    check_more(&engine, question, 5);
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
        let context = replies::context(
            &quotebot::engine::context(&index, best.sentence, best.generation)
                .expect("the context of a fresh answer"),
        );
        check_telegram_html(&context.render(Format::Html));
    }
}
