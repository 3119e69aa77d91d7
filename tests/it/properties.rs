//! Property tests: whatever the text, the question or the article, the invariants of
//! `tests/invariants` hold — sentence spans are valid, ordered and cover the text; parsing
//! never panics; `ask` never panics; every reply is valid Telegram HTML within 4096
//! characters. The same checks run under `cargo fuzz` (`fuzz/`).
//!
//! Article text comes from news pieces ([`PIECES`]) and from every Unicode general category,
//! the invisible characters of real text and scripts without spaces or with joiners
//! ([`ALPHABET`], [`SCRIPT_WORDS`]); questions from the same alphabet and from the article's
//! own words.
//!
//! `PROPTEST_CASES=10000 cargo test --release --test it properties::` runs them longer.

use crate::invariants;

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

/// Characters of every Unicode general category (a few ranges each; surrogates cannot be in
/// a `str`), the invisible ones real text carries (bidi controls, joiners, variation
/// selectors, tags), and characters whose NFKC form or lowercase is longer than they are.
const ALPHABET: &[(char, char)] = &[
    // Lu, Ll, Lt
    ('A', 'Z'),
    ('a', 'z'),
    ('\u{c0}', '\u{ff}'),
    ('\u{531}', '\u{556}'),
    ('\u{10a0}', '\u{10c5}'),
    ('\u{1c5}', '\u{1c5}'),
    ('\u{1c8}', '\u{1c8}'),
    ('\u{1f88}', '\u{1f8f}'),
    // Lm: tatweel, Thai repetition, the katakana long vowel, halfwidth voicing marks
    ('\u{2b0}', '\u{2b8}'),
    ('\u{640}', '\u{640}'),
    ('\u{e46}', '\u{e46}'),
    ('\u{30fc}', '\u{30fc}'),
    ('\u{3031}', '\u{3035}'),
    ('\u{ff9e}', '\u{ff9f}'),
    ('\u{1d2c}', '\u{1d6a}'),
    // Lo: Hebrew, Arabic, Thai, CJK, kana, Hangul and its jamo, Tibetan, Ethiopic, Mongolian,
    // Khmer, Myanmar
    ('\u{5d0}', '\u{5ea}'),
    ('\u{621}', '\u{64a}'),
    ('\u{e01}', '\u{e30}'),
    ('\u{e32}', '\u{e33}'),
    ('\u{4e00}', '\u{4fff}'),
    ('\u{3041}', '\u{3096}'),
    ('\u{30a1}', '\u{30fa}'),
    ('\u{ff66}', '\u{ff9d}'),
    ('\u{1100}', '\u{11ff}'),
    ('\u{ac00}', '\u{ac80}'),
    ('\u{f40}', '\u{f6c}'),
    ('\u{1200}', '\u{1248}'),
    ('\u{1820}', '\u{1878}'),
    ('\u{1780}', '\u{17b3}'),
    ('\u{1000}', '\u{102a}'),
    ('\u{20000}', '\u{20010}'),
    ('\u{aa}', '\u{aa}'),
    // Mn: combining accents (CGJ among them), Hebrew points, Arabic harakat and Quranic
    // marks, nukta, virama, Thai vowels and tone marks, Khmer coeng, Mongolian free
    // variation selectors, variation selectors, half marks, musical combining marks
    ('\u{300}', '\u{36f}'),
    ('\u{483}', '\u{487}'),
    ('\u{591}', '\u{5bd}'),
    ('\u{610}', '\u{61a}'),
    ('\u{64b}', '\u{65f}'),
    ('\u{670}', '\u{670}'),
    ('\u{6d6}', '\u{6ed}'),
    ('\u{93c}', '\u{93c}'),
    ('\u{94d}', '\u{94d}'),
    ('\u{e31}', '\u{e31}'),
    ('\u{e34}', '\u{e3a}'),
    ('\u{e47}', '\u{e4e}'),
    ('\u{17d2}', '\u{17d2}'),
    ('\u{180b}', '\u{180d}'),
    ('\u{1ab0}', '\u{1abd}'),
    ('\u{20d0}', '\u{20dc}'),
    ('\u{fe00}', '\u{fe0f}'),
    ('\u{fe20}', '\u{fe2f}'),
    ('\u{e0100}', '\u{e01ef}'),
    ('\u{1d167}', '\u{1d169}'),
    // Mc: Devanagari, Tamil and Myanmar vowel signs, musical stems
    ('\u{903}', '\u{903}'),
    ('\u{93e}', '\u{940}'),
    ('\u{949}', '\u{94c}'),
    ('\u{bbe}', '\u{bbf}'),
    ('\u{102b}', '\u{102c}'),
    ('\u{1d165}', '\u{1d166}'),
    // Me: enclosing marks
    ('\u{488}', '\u{489}'),
    ('\u{1abe}', '\u{1abe}'),
    ('\u{20dd}', '\u{20e0}'),
    ('\u{20e2}', '\u{20e4}'),
    ('\u{a670}', '\u{a672}'),
    // Nd, Nl, No: digits of other scripts, roman numerals, fractions, circled numbers
    ('0', '9'),
    ('\u{660}', '\u{669}'),
    ('\u{6f0}', '\u{6f9}'),
    ('\u{966}', '\u{96f}'),
    ('\u{e50}', '\u{e59}'),
    ('\u{ff10}', '\u{ff19}'),
    ('\u{1d7ce}', '\u{1d7ff}'),
    ('\u{2160}', '\u{2188}'),
    ('\u{3007}', '\u{3007}'),
    ('\u{b2}', '\u{b3}'),
    ('\u{bc}', '\u{be}'),
    ('\u{2460}', '\u{249b}'),
    // Pc, Pd, Ps, Pe, Pi, Pf, Po: sentence ends of other scripts among them
    ('_', '_'),
    ('\u{203f}', '\u{2040}'),
    ('-', '-'),
    ('\u{2010}', '\u{2015}'),
    ('\u{58a}', '\u{58a}'),
    ('\u{301c}', '\u{301c}'),
    ('(', ')'),
    ('[', '['),
    (']', ']'),
    ('{', '{'),
    ('}', '}'),
    ('\u{300c}', '\u{300f}'),
    ('\u{ff08}', '\u{ff09}'),
    ('\u{fd3e}', '\u{fd3f}'),
    ('\u{ab}', '\u{ab}'),
    ('\u{bb}', '\u{bb}'),
    ('\u{2018}', '\u{201f}'),
    ('\u{2039}', '\u{203a}'),
    ('!', '\''),
    ('.', '/'),
    (':', ';'),
    ('?', '@'),
    ('\u{37e}', '\u{37e}'),
    ('\u{387}', '\u{387}'),
    ('\u{589}', '\u{589}'),
    ('\u{55d}', '\u{55d}'),
    ('\u{60c}', '\u{60c}'),
    ('\u{61f}', '\u{61f}'),
    ('\u{6d4}', '\u{6d4}'),
    ('\u{964}', '\u{965}'),
    ('\u{e5a}', '\u{e5b}'),
    ('\u{104a}', '\u{104b}'),
    ('\u{1362}', '\u{1362}'),
    ('\u{2026}', '\u{2026}'),
    ('\u{3001}', '\u{3002}'),
    ('\u{ff01}', '\u{ff01}'),
    ('\u{ff0e}', '\u{ff0e}'),
    ('\u{ff61}', '\u{ff61}'),
    // Sm, Sc, Sk, So: skin tone modifiers, emoji, regional indicators
    ('+', '+'),
    ('<', '>'),
    ('|', '|'),
    ('~', '~'),
    ('\u{2200}', '\u{22ff}'),
    ('$', '$'),
    ('\u{a2}', '\u{a5}'),
    ('\u{20a0}', '\u{20c0}'),
    ('\u{fdfc}', '\u{fdfc}'),
    ('^', '^'),
    ('`', '`'),
    ('\u{a8}', '\u{a8}'),
    ('\u{2c2}', '\u{2c5}'),
    ('\u{1f3fb}', '\u{1f3ff}'),
    ('\u{a9}', '\u{a9}'),
    ('\u{2600}', '\u{26ff}'),
    ('\u{1f300}', '\u{1f64f}'),
    ('\u{1f1e6}', '\u{1f1ff}'),
    // Zs, Zl, Zp
    (' ', ' '),
    ('\u{a0}', '\u{a0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200a}'),
    ('\u{202f}', '\u{202f}'),
    ('\u{205f}', '\u{205f}'),
    ('\u{3000}', '\u{3000}'),
    ('\u{2028}', '\u{2029}'),
    // Cc
    ('\u{0}', '\u{1f}'),
    ('\u{7f}', '\u{9f}'),
    // Cf: soft hyphen, Arabic prepended marks, ALM, ZWSP, ZWNJ, ZWJ, LRM, RLM, the bidi
    // embeddings, overrides and isolates, word joiner, invisible operators, BOM,
    // interlinear annotation, shorthand format controls, tags
    ('\u{ad}', '\u{ad}'),
    ('\u{600}', '\u{605}'),
    ('\u{61c}', '\u{61c}'),
    ('\u{6dd}', '\u{6dd}'),
    ('\u{70f}', '\u{70f}'),
    ('\u{180e}', '\u{180e}'),
    ('\u{200b}', '\u{200f}'),
    ('\u{202a}', '\u{202e}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206f}'),
    ('\u{feff}', '\u{feff}'),
    ('\u{fff9}', '\u{fffb}'),
    ('\u{110bd}', '\u{110bd}'),
    ('\u{1bca0}', '\u{1bca3}'),
    ('\u{e0001}', '\u{e0001}'),
    ('\u{e0020}', '\u{e007f}'),
    // Co
    ('\u{e000}', '\u{f8ff}'),
    ('\u{f0000}', '\u{ffffd}'),
    ('\u{100000}', '\u{10fffd}'),
    // Cn: unassigned code points and noncharacters
    ('\u{378}', '\u{379}'),
    ('\u{5c8}', '\u{5cf}'),
    ('\u{d7fc}', '\u{d7ff}'),
    ('\u{fdd0}', '\u{fdef}'),
    ('\u{fffe}', '\u{ffff}'),
    ('\u{2fffe}', '\u{2ffff}'),
    ('\u{e01f0}', '\u{e0fff}'),
    ('\u{10ffff}', '\u{10ffff}'),
    // Longer after NFKC or lowercasing: ligatures, ﷺ, squared katakana, İ, ẞ, ΐ, ǰ,
    // fullwidth and mathematical Latin
    ('\u{fb00}', '\u{fb06}'),
    ('\u{fdfa}', '\u{fdfb}'),
    ('\u{3300}', '\u{3357}'),
    ('\u{130}', '\u{130}'),
    ('\u{1e9e}', '\u{1e9e}'),
    ('\u{390}', '\u{390}'),
    ('\u{1f0}', '\u{1f0}'),
    ('\u{ff21}', '\u{ff3a}'),
    ('\u{1d400}', '\u{1d6a3}'),
];

/// Words of scripts written without spaces (Thai, Chinese, Japanese, Khmer, Myanmar, Tibetan)
/// or with joiners (Arabic with tatweel and harakat, Persian with ZWNJ, Devanagari with virama
/// and ZWJ/ZWNJ), emoji sequences joined by ZWJ, and text in bidi controls.
const SCRIPT_WORDS: &[&str] = &[
    "ประเทศไทยส่งออกข้าวมากที่สุด",
    "ราคาข้าวสูงขึ้น",
    "กรุงเทพฯ",
    "中国出口粮食增加了",
    "粮食",
    "日本はコメを輸出した",
    "ｶﾀｶﾞﾅ",
    "한국은 쌀을 수출했다",
    "ព្រះរាជាណាចក្រកម្ពុជា",
    "မြန်မာနိုင်ငံ",
    "བོད་ཡིག་",
    "صـــادرات",
    "القَمْحِ",
    "ارتفعت",
    "ـ",
    "ـــ",
    "بشكلٍ",
    "\u{64e}\u{64f}",
    "ۥ",
    "ۦ",
    "می\u{200c}خواهند",
    "صادرات گندم",
    "درباره\u{200c}ی",
    "راه\u{200c}آهن",
    "۱۴۰۳",
    "١٢٣٫٤",
    "كتاب",
    "क्षत्रिय",
    "निर्यात",
    "गेहूँ",
    "क्\u{200d}ष",
    "क्\u{200c}ष",
    "।",
    "שָׁלוֹם",
    "👨\u{200d}👩\u{200d}👧",
    "🏳\u{fe0f}\u{200d}🌈",
    "\u{2764}\u{fe0f}",
    "\u{845b}\u{e0100}",
    "🇮🇷🇷🇺",
    "\u{202b}grain\u{202c}",
    "\u{202e}niarg\u{202c}",
    "\u{2067}روسیه\u{2069}",
    "\u{2066}Iran\u{2069}",
    "\u{200e}",
    "\u{200f}",
    "\u{200d}",
    "\u{200c}",
    "Z\u{351}\u{308}\u{301}a\u{300}\u{301}\u{302}l\u{336}g\u{489}o",
    "e\u{20dd}",
    "İstanbul",
    "ﬁnance",
    "ﷺ",
    "ＧＲＡＩＮ",
    "grain",
    "exports",
    "Iran",
];

/// One character of [`ALPHABET`].
fn any_category_char() -> impl Strategy<Value = char> {
    prop::sample::select(ALPHABET)
        .prop_flat_map(|(lo, hi)| u32::from(lo)..=u32::from(hi))
        .prop_map(|c| char::from_u32(c).expect("the alphabet has no surrogates"))
}

/// A piece of text of any kind: a few characters of any category, a word of another script,
/// a piece of news, or a letter under a run of combining marks.
fn unicode_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(any_category_char(), 1..6)
            .prop_map(|cs| cs.into_iter().collect::<String>()),
        2 => prop::sample::select(SCRIPT_WORDS).prop_map(str::to_string),
        2 => prop::sample::select(PIECES).prop_map(str::to_string),
        1 => (
            prop::sample::select(&['a', 'ا', 'क', 'ก', 'x'][..]),
            prop::collection::vec(
                prop::sample::select(&['\u{301}', '\u{64e}', '\u{94d}', '\u{e49}', '\u{20dd}', '\u{fe0f}', '\u{640}', '\u{200d}'][..]),
                1..24,
            ),
        )
            .prop_map(|(base, marks)| std::iter::once(base).chain(marks).collect()),
    ]
}

/// Text from [`unicode_piece`]s, joined by nothing, spaces, line breaks or sentence ends.
fn unicode_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(&["", " ", " ", " ", "\n", "\n\n", ". ", "\u{3000}"][..]),
            unicode_piece(),
        ),
        0..60,
    )
    .prop_map(|pieces| {
        pieces
            .into_iter()
            .flat_map(|(sep, piece)| [sep.to_string(), piece])
            .collect()
    })
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![3 => news_text(), 1 => any::<String>(), 3 => unicode_text()]
}

/// Sequences that are not UTF-8: a lone continuation byte, an overlong `/`, a truncated
/// sequence, a UTF-16 surrogate (which `str` cannot hold) encoded as if it were a character,
/// a code point past U+10FFFF, bytes UTF-8 never uses.
const NOT_UTF8: &[&[u8]] = &[
    b"\x80",
    b"\xc0\xaf",
    b"\xe0\x80\xaf",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xed\xbf\xbf",
    b"\xf4\x90\x80\x80",
    b"\xf8\x88\x80\x80\x80",
    b"\xfe",
    b"\xff",
];

/// An article (a header, then text of any kind) and a question about it: words of its own
/// text, some of them cut, among more text of any kind.
fn article_and_question() -> impl Strategy<Value = (String, String)> {
    (
        header(),
        unicode_text(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<bool>()), 0..6),
        prop_oneof![2 => Just(String::new()), 1 => unicode_text()],
    )
        .prop_map(|(head, text, picks, extra)| {
            let words: Vec<&str> = text.split_whitespace().collect();
            let mut question: Vec<String> = Vec::new();
            if !words.is_empty() {
                for (pick, cut) in picks {
                    let word = *pick.get(&words);
                    // Half a word, cut on a character boundary: a typo or a stem.
                    let word = match word.char_indices().nth(word.chars().count() / 2) {
                        Some((at, _)) if cut => &word[..at],
                        _ => word,
                    };
                    question.push(word.to_string());
                }
            }
            question.push(extra);
            (format!("{head}{text}"), question.join(" "))
        })
}

/// Questions of any kind for the seed corpus: the alphabet, other scripts, its own words.
fn unicode_question() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => unicode_text(),
        1 => (question(), unicode_text()).prop_map(|(q, t)| format!("{q} {t}")),
    ]
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
    fn questions_of_every_category_hold_on_the_seed_corpus(q in unicode_question()) {
        invariants::check_ask(seed_engine(), &q);
        invariants::check_more(seed_engine(), &q, 5);
    }

    #[test]
    fn articles_of_every_category_parse_index_and_answer(
        (article, question) in article_and_question(),
    ) {
        invariants::check_article_and_question(article.as_bytes(), &question);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_naming_their_line(
        (article, question) in article_and_question(),
        bad in prop::sample::select(NOT_UTF8),
        at in any::<prop::sample::Index>(),
    ) {
        let mut bytes = article.into_bytes();
        let at = at.index(bytes.len() + 1);
        bytes.splice(at..at, bad.iter().copied());
        // Both parses refuse it (check_parse_error); the text decoded lossily, as an upload
        // would be after repair, is an article like any other.
        invariants::check_article_and_question(&bytes, &question);
        let lossy = String::from_utf8_lossy(&bytes).into_owned();
        invariants::check_article_and_question(lossy.as_bytes(), &question);
    }

    #[test]
    fn replies_from_any_article_are_valid_telegram_html(
        title in prop_oneof![
            Just("Plain title".to_string()),
            "[<>&\"a-z ]{1,40}",
            // Longer than a whole message.
            "[a-z<&]{4000,6000}",
        ],
        text in any_text(),
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
        invariants::check_telegram_html(&replies::articles(index.articles()).render(Format::Html));
        invariants::check_telegram_html(&replies::articles_page(index.articles(), 0).0.render(Format::Html));
        invariants::check_telegram_html(&replies::about(index.articles(), index.sentence_count()).render(Format::Html));
    }
}
