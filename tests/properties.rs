//! Property tests: whatever the text, the question or the article, the invariants of
//! `tests/invariants` hold — sentence spans are valid, ordered and cover the text; parsing
//! never panics; `ask` never panics; every reply is valid Telegram HTML within 4096
//! characters. The same checks run under `cargo fuzz` (`fuzz/`).
//!
//! `PROPTEST_CASES=10000 cargo test --release --test properties` runs them longer.

mod invariants;

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use quotebot::answer::replies;
use quotebot::answer::rich::Format;
use quotebot::config::SearchConfig;
use quotebot::corpus::{Article, split};
use quotebot::engine::Engine;
use quotebot::search::Index;

/// Pieces news text is made of, the awkward ones over-represented: abbreviations, initials,
/// numbers with points, quotes of every kind, pre-tokenized punctuation, Markdown, HTML,
/// line breaks of every kind, scripts other than Latin, invisible characters.
const PIECES: &[&str] = &[
    "The",
    "said",
    "grain",
    "Iran",
    "Russia",
    "he",
    "in",
    "of",
    "U.S.",
    "Mr.",
    "Dr.",
    "J.",
    "a.m.",
    "p.m.",
    "e.g.",
    "etc.",
    "Inc.",
    "Jan.",
    "No.",
    "Vol.",
    "$1.2",
    "10.30",
    "5",
    "2024",
    ".",
    ". ",
    "!",
    "?",
    "?!",
    "…",
    "...",
    ",",
    ":",
    ";",
    "«",
    "»",
    "“",
    "”",
    "‘",
    "’",
    "\"",
    "'",
    "''",
    "``",
    "(",
    ")",
    "[",
    "]",
    "—",
    "-",
    "–",
    "*",
    "* * *",
    "#",
    "# ",
    "> ",
    "- ",
    "1. ",
    "[link](http://example.com/a.b)",
    "**bold**",
    "_it_",
    "`code`",
    "<b>",
    "</i>",
    "&amp;",
    "&",
    "<",
    ">",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\u{2028}",
    "\u{85}",
    "\u{feff}",
    "\u{200b}",
    "\u{301}",
    "Ünïcødé",
    "Москва",
    "заявил",
    "日本語",
    "。",
    "😀",
    "👍🏽",
    "ﷺ",
    "x",
];

fn news_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..80).prop_map(|pieces| {
        let mut s = String::new();
        for (i, p) in pieces.iter().enumerate() {
            // A space between most pieces, as in prose; none between some, as in "U.S.," .
            if i > 0 && i % 3 != 0 {
                s.push(' ');
            }
            s.push_str(p);
        }
        s
    })
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![3 => news_text(), 1 => any::<String>()]
}

fn header() -> impl Strategy<Value = String> {
    prop::sample::select(
        &[
            "",
            "date 2024-09-30\n",
            "date 2024-09-30 ",
            "date: 2024-01-02\ntitle: A <b>title</b> & more\n\n",
            "title: T\n\n",
            "date 2024-13-45\n",
            "date: 2024-02-30\n\n",
            "source: https://example.com/x?a=1&b=2\nlang: ru\n\n",
            "title:\ndate:\n\n",
            "\u{feff}date 2024-09-30\r\n",
        ][..],
    )
    .prop_map(str::to_string)
}

/// The seed corpus's engine, built once.
fn seed_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
            SearchConfig::default(),
        )
        .expect("the seed corpus loads")
        .0
    })
}

/// Questions: anything at all, or words of the seed article (some mistyped) among pieces of
/// news text, HTML and links.
fn question() -> impl Strategy<Value = String> {
    const WORDS: &[&str] = &[
        "Mishustin",
        "Mishustn",
        "grain",
        "hub",
        "Iran",
        "Rasht-Astara",
        "railway",
        "raliway",
        "cooperation",
        "Tehran",
        "what",
        "did",
        "say",
        "about",
        "when",
        "<b>grain</b>",
        "<a href=\"http://evil.example\">x</a>",
        "&amp;",
        "/ask",
        "@quotebot_test_bot",
        "?",
        "last year",
        "in September 2024",
        "30 September",
        "yesterday",
    ];
    prop_oneof![
        2 => any::<String>(),
        3 => prop::collection::vec(
            prop_oneof![3 => prop::sample::select(WORDS).prop_map(str::to_string), 1 => news_text()],
            0..12
        )
        .prop_map(|w| w.join(" ")),
    ]
}

proptest! {
    #[test]
    fn sentence_spans_are_valid_ordered_and_cover_the_text(text in any_text()) {
        invariants::check_spans(&text, &split::sentences(&text));
    }

    #[test]
    fn parsing_any_file_gives_a_valid_article_or_an_error(
        head in header(),
        text in any_text(),
        junk in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut bytes = format!("{head}{text}").into_bytes();
        invariants::check_parse("article.txt", &bytes);
        invariants::check_parse("article.md", &bytes);
        // And with bytes that may not be UTF-8 at all.
        bytes.extend_from_slice(&junk);
        invariants::check_parse("article.txt", &bytes);
        invariants::check_parse("article.md", &bytes);
    }

    #[test]
    fn ask_never_panics_and_every_reply_is_valid(q in question()) {
        invariants::check_ask(seed_engine(), &q);
    }

    #[test]
    fn replies_from_any_article_are_valid_telegram_html(
        title in prop_oneof![
            Just("Plain title".to_string()),
            "[<>&\"a-z ]{1,40}",
            // Longer than a whole message.
            "[a-z<&]{4000,6000}",
        ],
        text in news_text(),
        long in "[a-z&<> ]{0,5000}",
        word in prop::sample::select(&["zebra", "Zebra", "zebras", "zebar"][..]),
    ) {
        // An article with a word to find, among text of any kind and maybe a very long
        // sentence.
        let body = format!("{text} The zebra <crossed> & ran. {long} zebra end.");
        let file = format!("title: {title}\ndate: 2024-05-06\n\n{body}");
        let Ok((article, _)) = Article::parse(Path::new("a.txt"), file.as_bytes()) else {
            return Ok(());
        };
        invariants::check_article(&article);
        let engine = Engine::new(Index::build(vec![article]), SearchConfig::default());
        invariants::check_ask(&engine, &format!("where did the {word} go?"));
        prop_assert!(!engine.ask("zebra").is_empty(), "the word is found");
        let index = engine.index();
        invariants::check_telegram_html(&replies::articles(&index).render(Format::Html));
        invariants::check_telegram_html(&replies::articles_page(&index, 0).0.render(Format::Html));
        invariants::check_telegram_html(&replies::about(&index).render(Format::Html));
    }
}
