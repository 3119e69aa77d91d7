//! The second stage of scoring: the best candidates of the first stage (BM25 with article
//! evidence) are scored again with features that need the sentence's words in order — how
//! close the matched words are, whether question-word pairs appear as phrases, whether the
//! sentence holds the kind of thing the question asks for (a date for "when", a number for
//! "how many", a name for "who"), whether it defines what it begins with ("X is a …") — and
//! combined with weights fitted offline (`eval/examples/fit.rs`, on the benchmark's train splits;
//! each feature kept only where it helps across datasets: see docs/BENCHMARKS.md's ablation).

use rustc_hash::FxHashMap;

use crate::search::analyze::{self, TokenKind};
use crate::search::{Hit, Index, QueryWord, TermId};

/// Names of the features, in the order of the weights ([`Features::named`]).
pub const FEATURE_NAMES: [&str; NF] = [
    "bm25",
    "article",
    "title",
    "coverage",
    "count_coverage",
    "bigrams",
    "density",
    "log_len",
    "novelty",
    "relative",
    "has_date",
    "new_capitals",
    "when_date",
    "who_name",
    "subject_first",
    "max_missing",
    "who_by",
    "when_near_date",
    "howmany_near_number",
    "who_near_name",
    "defining",
    "context_coverage",
];

/// How many features.
pub const NF: usize = 22;

/// What a question asks for, from its first words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QuestionType {
    /// "when", "what year", "what date"…
    pub when: bool,
    /// "how many", "how much", "how long"…
    pub how_many: bool,
    /// "who", "whom", "whose"…
    pub who: bool,
}

impl QuestionType {
    /// Reads the type from the question's words (lowercased surface words).
    #[must_use]
    pub fn of(question: &str) -> QuestionType {
        let words: Vec<String> = question
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let has = |x: &str| words.iter().any(|v| v == x);
        // The word after "what"/"how" may carry a typo ("what ynar", "how macny").
        let pair = |a: &str, bs: &[&str]| {
            words
                .windows(2)
                .any(|p| p[0] == a && bs.iter().any(|b| same_or_typo(&p[1], b)))
        };
        let what_which = |bs: &[&str]| pair("what", bs) || pair("which", bs);
        QuestionType {
            when: has("when")
                || what_which(&["year", "date", "time", "century", "decade", "month", "day"]),
            how_many: pair("how", analyze::DEGREE_WORDS)
                || what_which(&["percentage", "percent", "population", "number", "amount"]),
            who: has("who") || has("whom") || has("whose") || what_which(&["person"]),
        }
    }
}

/// Whether `word` is `keyword`, or one edit from it when the keyword has 4 letters or more.
#[must_use]
pub fn same_or_typo(word: &str, keyword: &str) -> bool {
    word == keyword || (keyword.len() >= 4 && crate::search::edits::within_one_edit(word, keyword))
}

/// What the reranker needs to know about a question, computed once per question.
pub struct QuestionInfo {
    kind: QuestionType,
    /// Term → (question word, weight of that alternative).
    term_word: FxHashMap<TermId, (usize, f32)>,
    /// Normalized words of the question (for "new in the sentence" checks).
    question_words: Vec<String>,
    total_idf: f32,
}

impl QuestionInfo {
    /// Prepares a question for reranking.
    #[must_use]
    pub fn new(question: &str, words: &[QueryWord]) -> QuestionInfo {
        let mut term_word = FxHashMap::default();
        for (wi, w) in words.iter().enumerate() {
            for alt in &w.alternatives {
                let e = term_word.entry(alt.term).or_insert((wi, alt.weight));
                if alt.weight > e.1 {
                    *e = (wi, alt.weight);
                }
            }
        }
        let mut question_words = Vec::new();
        analyze::words(question, |_, w| question_words.push(w.to_string()));
        QuestionInfo {
            kind: QuestionType::of(question),
            term_word,
            question_words,
            total_idf: words.iter().map(|w| w.idf).sum::<f32>().max(f32::EPSILON),
        }
    }

    /// The question's type.
    #[must_use]
    pub fn kind(&self) -> QuestionType {
        self.kind
    }
}

/// Words that make a sentence hold a date.
const DATE_WORDS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "century",
    "centuries",
    "decade",
    "yesterday",
    "today",
];

/// Words that make a sentence hold a quantity.
const NUMBER_WORDS: &[&str] = &[
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "billion",
    "billions",
    "dozen",
    "dozens",
    "percent",
    "half",
    "twice",
];

fn is_year(w: &str) -> bool {
    w.len() == 4
        && w.bytes().all(|b| b.is_ascii_digit())
        && w.parse::<u32>().is_ok_and(|y| (1000..=2100).contains(&y))
}

fn flag(b: bool) -> f32 {
    f32::from(u8::from(b))
}

/// The features of one candidate sentence, by what they look at. Each is a number in about
/// 0..1; [`Features::named`] lays them out in the order of [`FEATURE_NAMES`] and of the
/// model's weights.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Features {
    /// The first stage's evidence.
    pub first_stage: FirstStage,
    /// How much of the question the sentence holds.
    pub coverage: Coverage,
    /// Whether the matched words come in the question's order, close together.
    pub order: Order,
    /// The sentence itself: its length, what it adds, its score beside the best.
    pub sentence: Sentence,
    /// Whether it holds what the question asks for: a date, a number, a name.
    pub asked: Asked,
}

/// The first stage's evidence ([`Hit`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FirstStage {
    /// The sentence's own BM25, normalized.
    pub bm25: f32,
    /// The article's text holding the question's words.
    pub article: f32,
    /// The article's title holding them.
    pub title: f32,
}

/// How much of the question the sentence holds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Coverage {
    /// The question's words it holds, by IDF (a mistyped one by its similarity).
    pub coverage: f32,
    /// The share of the question's words it holds, each counting one.
    pub count_coverage: f32,
    /// The rarest question word it lacks, by IDF.
    pub max_missing: f32,
    /// As `coverage`, a word found only in the article's title counting [`TITLE_CONTEXT`]:
    /// the answer's score.
    pub context_coverage: f32,
}

/// Whether the matched words come in the question's order, close together.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Order {
    /// Consecutive question words found within two tokens, in order.
    pub bigrams: f32,
    /// Matched words over the span they cover.
    pub density: f32,
    /// A question word is the sentence's first or second token.
    pub subject_first: f32,
}

/// The sentence itself.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sentence {
    /// Its length against the corpus's average (log).
    pub log_len: f32,
    /// The share of its words that are not the question's.
    pub novelty: f32,
    /// Its first-stage score over the best candidate's.
    pub relative: f32,
    /// It holds a date (a year, a month's name) the question does not.
    pub has_date: f32,
    /// Capitalized words new to the question (up to three).
    pub new_capitals: f32,
    /// It defines what it begins with ("X is a …").
    pub defining: f32,
}

/// Whether the sentence holds what the question asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Asked {
    /// A "when" question, and a date in the sentence.
    pub when_date: f32,
    /// A "who" question, and names in the sentence.
    pub who_name: f32,
    /// A "who" question, and "by" before a name.
    pub who_by: f32,
    /// A "when" question, and a date within four tokens of a matched word.
    pub when_near_date: f32,
    /// A "how many" question, and a number within three tokens of a matched word.
    pub howmany_near_number: f32,
    /// A "who" question, and a name within three tokens of a matched word.
    pub who_near_name: f32,
}

impl Features {
    /// Each feature's name and value, in the order of [`FEATURE_NAMES`] (a test checks the
    /// names).
    #[must_use]
    pub fn named(&self) -> [(&'static str, f32); NF] {
        let Features {
            first_stage: f,
            coverage: c,
            order: o,
            sentence: s,
            asked: a,
        } = *self;
        [
            ("bm25", f.bm25),
            ("article", f.article),
            ("title", f.title),
            ("coverage", c.coverage),
            ("count_coverage", c.count_coverage),
            ("bigrams", o.bigrams),
            ("density", o.density),
            ("log_len", s.log_len),
            ("novelty", s.novelty),
            ("relative", s.relative),
            ("has_date", s.has_date),
            ("new_capitals", s.new_capitals),
            ("when_date", a.when_date),
            ("who_name", a.who_name),
            ("subject_first", o.subject_first),
            ("max_missing", c.max_missing),
            ("who_by", a.who_by),
            ("when_near_date", a.when_near_date),
            ("howmany_near_number", a.howmany_near_number),
            ("who_near_name", a.who_near_name),
            ("defining", s.defining),
            ("context_coverage", c.context_coverage),
        ]
    }

    /// The values, in the order of the model's weights.
    #[must_use]
    pub fn to_array(&self) -> [f32; NF] {
        self.named().map(|(_, v)| v)
    }
}

/// What one pass over a sentence's tokens found.
#[derive(Default)]
struct Scan {
    /// Per question word, the position of its first match and its best weight there.
    first_pos: Vec<Option<usize>>,
    best_weight: Vec<f32>,
    /// Content tokens, and those matching a question word.
    content: usize,
    matched_tokens: usize,
    has_date: bool,
    new_capitals: usize,
    /// Token positions of matched words and of dates, numbers and names new to the question.
    match_at: Vec<usize>,
    date_at: Vec<usize>,
    number_at: Vec<usize>,
    name_at: Vec<usize>,
    first_match_pos: Option<usize>,
    defining: bool,
    by_name: bool,
}

/// Reads the sentence's tokens once, noting what the features need.
fn scan(index: &Index, q: &QuestionInfo, text: &str, n_words: usize) -> Scan {
    let mut s = Scan {
        first_pos: vec![None; n_words],
        best_weight: vec![0.0; n_words],
        ..Scan::default()
    };
    // "X (…) is a …": a matched word near the start, then "is a/an/the/one": the sentence
    // defines what it begins with.
    let mut copula_at: Option<usize> = None;
    let mut buf = String::new();
    let mut prev = String::new();
    let mut pos = 0usize;
    analyze::words(text, |tok, word| {
        if tok.kind == TokenKind::Joined {
            return;
        }
        let surface = &text[tok.start..tok.end];
        buf.clear();
        buf.push_str(word);
        let capital = pos > 0 && surface.chars().next().is_some_and(char::is_uppercase);
        let in_question = q.question_words.contains(&buf);
        if capital && !in_question {
            s.by_name |= prev == "by";
        }
        std::mem::swap(&mut prev, &mut buf);
        let buf = &prev;
        if let Some(first) = s.first_match_pos.filter(|&p| p <= 3 && pos <= p + 14) {
            if matches!(buf.as_str(), "is" | "are" | "was" | "were") {
                copula_at.get_or_insert(pos);
            } else if copula_at == Some(pos.wrapping_sub(1))
                && matches!(buf.as_str(), "a" | "an" | "the" | "one")
                && pos > first
            {
                s.defining = true;
            }
        }
        if tok.kind == TokenKind::Word && analyze::is_stop_word(buf) {
            pos += 1;
            return;
        }
        s.content += 1;
        let term = index.term_of_surface(buf);
        match term.and_then(|t| q.term_word.get(&t)) {
            Some(&(wi, weight)) => {
                s.matched_tokens += 1;
                s.match_at.push(pos);
                s.first_pos[wi].get_or_insert(pos);
                s.best_weight[wi] = s.best_weight[wi].max(weight);
                s.first_match_pos.get_or_insert(pos);
            }
            None if !in_question => {
                let digits = buf.as_bytes()[0].is_ascii_digit();
                if digits || NUMBER_WORDS.contains(&buf.as_str()) {
                    s.number_at.push(pos);
                } else if capital {
                    s.new_capitals += 1;
                    s.name_at.push(pos);
                }
                if (digits && is_year(buf)) || DATE_WORDS.contains(&buf.as_str()) {
                    s.has_date = true;
                    s.date_at.push(pos);
                }
            }
            None => {}
        }
        pos += 1;
    });
    s
}

/// How much of the question the scanned sentence holds.
fn coverage(
    scan: &Scan,
    q: &QuestionInfo,
    words: &[QueryWord],
    title_terms: &[TermId],
) -> Coverage {
    let n_words = words.len();
    let idf = |i: usize| words[i].idf;
    let matched = (0..n_words).filter(|&i| scan.first_pos[i].is_some());
    let matched_idf: f32 = matched.clone().map(|i| scan.best_weight[i] * idf(i)).sum();
    let max_missing = (0..n_words)
        .filter(|&i| scan.first_pos[i].is_none())
        .map(idf)
        .fold(0.0f32, f32::max);
    // Whether a question word is in the article's title (it then counts partly even where
    // the sentence lacks it).
    let in_title = |i: usize| {
        words[i]
            .alternatives
            .iter()
            .any(|a| title_terms.contains(&a.term))
    };
    // Words the sentence lacks but its article's title has count half: in news the subject
    // is in the headline and "it" in the sentence.
    let context_idf: f32 = (0..n_words)
        .map(|i| {
            let title = if in_title(i) { TITLE_CONTEXT } else { 0.0 };
            scan.best_weight[i].max(title) * idf(i)
        })
        .sum();
    Coverage {
        coverage: matched_idf / q.total_idf,
        count_coverage: matched.count() as f32 / n_words.max(1) as f32,
        max_missing: max_missing / q.total_idf,
        context_coverage: context_idf / q.total_idf,
    }
}

/// Whether the matched words come in order and close together.
fn order(scan: &Scan, n_words: usize) -> Order {
    let first_pos = &scan.first_pos;
    let bigrams = (0..n_words.saturating_sub(1))
        .filter(|&i| match (first_pos[i], first_pos[i + 1]) {
            (Some(a), Some(b)) => b > a && b - a <= 2,
            _ => false,
        })
        .count();
    let positions: Vec<usize> = first_pos.iter().flatten().copied().collect();
    let density = if positions.len() >= 2 {
        let lo = positions.iter().min().copied().unwrap_or(0);
        let hi = positions.iter().max().copied().unwrap_or(0);
        positions.len() as f32 / (hi - lo + 1) as f32
    } else {
        0.0
    };
    Order {
        bigrams: bigrams as f32 / (n_words.saturating_sub(1)).max(1) as f32,
        density,
        subject_first: flag(scan.first_match_pos.is_some_and(|p| p <= 1)),
    }
}

/// The scanned sentence itself.
fn sentence(scan: &Scan, index: &Index, hit: &Hit, best_score: f32) -> Sentence {
    let content_f = scan.content.max(1) as f32;
    Sentence {
        log_len: (content_f / index.avg_sentence_len).ln().clamp(-3.0, 3.0),
        novelty: (scan.content - scan.matched_tokens.min(scan.content)) as f32 / content_f,
        relative: if best_score > 0.0 {
            hit.score / best_score
        } else {
            0.0
        },
        has_date: flag(scan.has_date),
        new_capitals: (scan.new_capitals.min(3) as f32) / 3.0,
        defining: flag(scan.defining),
    }
}

/// Whether the scanned sentence holds what a question of `kind` asks for (`sentence`: what it
/// holds, of [`sentence`]).
fn asked(scan: &Scan, kind: QuestionType, sentence: &Sentence) -> Asked {
    // Whether something of the kind asked for stands within `reach` tokens of a matched word.
    let near = |at: &[usize], reach: usize| {
        flag(
            at.iter()
                .any(|&p| scan.match_at.iter().any(|&m| p.abs_diff(m) <= reach)),
        )
    };
    Asked {
        when_date: flag(kind.when) * sentence.has_date,
        who_name: flag(kind.who) * sentence.new_capitals,
        who_by: flag(kind.who && scan.by_name),
        when_near_date: flag(kind.when) * near(&scan.date_at, 4),
        howmany_near_number: flag(kind.how_many) * near(&scan.number_at, 3),
        who_near_name: flag(kind.who) * near(&scan.name_at, 3),
    }
}

/// The features of one candidate sentence.
#[must_use]
pub fn features(
    index: &Index,
    q: &QuestionInfo,
    words: &[QueryWord],
    hit: &Hit,
    best_score: f32,
) -> Features {
    let text = index.sentence_text(hit.sentence);
    let article = index.sentence_article[hit.sentence as usize] as usize;
    let scan = scan(index, q, text, words.len());
    let sentence = sentence(&scan, index, hit, best_score);
    Features {
        first_stage: FirstStage {
            bm25: hit.sentence_score,
            article: hit.article_score,
            title: hit.title_score,
        },
        coverage: coverage(&scan, q, words, index.title_terms(article)),
        order: order(&scan, words.len()),
        asked: asked(&scan, q.kind, &sentence),
        sentence,
    }
}

/// Index of the `context_coverage` feature, the answer's score: how much of the question
/// (IDF-weighted, a mistyped word by its similarity, the topic of "say about" questions more)
/// the sentence holds, a word only in its article's title counting half.
pub const COVERAGE: usize = NF - 1;

/// How much a question word found only in the article's title counts towards coverage.
pub const TITLE_CONTEXT: f32 = 0.5;

#[cfg(test)]
mod tests {
    use super::*;

    /// The named features are laid out in the order of the names (and so of the weights), and
    /// every field is somewhere: distinct values in, each comes out once.
    #[test]
    fn named_features_follow_the_names() {
        let names: Vec<&str> = Features::default().named().map(|(n, _)| n).to_vec();
        assert_eq!(names, FEATURE_NAMES);
        let mut v = 0.0;
        let mut next = || {
            v += 1.0;
            v
        };
        let f = Features {
            first_stage: FirstStage {
                bm25: next(),
                article: next(),
                title: next(),
            },
            coverage: Coverage {
                coverage: next(),
                count_coverage: next(),
                max_missing: next(),
                context_coverage: next(),
            },
            order: Order {
                bigrams: next(),
                density: next(),
                subject_first: next(),
            },
            sentence: Sentence {
                log_len: next(),
                novelty: next(),
                relative: next(),
                has_date: next(),
                new_capitals: next(),
                defining: next(),
            },
            asked: Asked {
                when_date: next(),
                who_name: next(),
                who_by: next(),
                when_near_date: next(),
                howmany_near_number: next(),
                who_near_name: next(),
            },
        };
        let mut values = f.to_array().to_vec();
        values.sort_by(f32::total_cmp);
        assert_eq!(values, (1..=NF).map(|i| i as f32).collect::<Vec<_>>());
        assert_eq!(f.to_array()[COVERAGE], f.coverage.context_coverage);
        assert_eq!(f.to_array()[0], f.first_stage.bm25);
    }

    #[test]
    fn question_types() {
        let t = QuestionType::of("When did the port open to grain ships?");
        assert!(t.when && !t.who && !t.how_many);
        assert!(QuestionType::of("In what year did the corridor open?").when);
        assert!(QuestionType::of("How many ships used the corridor?").how_many);
        assert!(QuestionType::of("Who signed the railway agreement?").who);
        assert!(QuestionType::of("Which person chairs the commission?").who);
        assert_eq!(QuestionType::of("grain exports"), QuestionType::default());
        // Typos in the words that give the type away.
        assert!(QuestionType::of("What ynar did the talks start?").when);
        assert!(QuestionType::of("How macny ports are there?").how_many);
        assert!(!QuestionType::of("How marry ports are there?").how_many);
    }

    #[test]
    fn years_are_four_digit_numbers_in_range() {
        assert!(is_year("1955") && is_year("2024"));
        assert!(!is_year("0955") && !is_year("12345") && !is_year("3000") && !is_year("19a5"));
    }
}
