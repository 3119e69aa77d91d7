//! The second stage of scoring: the best candidates of the first stage (BM25 with article
//! evidence) are scored again with features that need the sentence's words in order — how
//! close the matched words are, whether question-word pairs appear as phrases, whether the
//! sentence holds the kind of thing the question asks for (a date for "when", a number for
//! "how many", a name for "who"), whether it names the article's subject — and combined with
//! weights fitted offline (`examples/fit.rs`, on the benchmark's train splits).

use rustc_hash::FxHashMap;

use crate::search::analyze::{self, TokenKind};
use crate::search::{Hit, Index, QueryWord, TermId, weights};

/// Names of the features, in the order of [`features`]' output and of the weights.
pub const FEATURE_NAMES: [&str; NF] = [
    "bm25",
    "article",
    "title",
    "coverage",
    "count_coverage",
    "bigrams",
    "density",
    "log_len",
    "short",
    "novelty",
    "fuzzy_share",
    "relative",
    "has_date",
    "new_numbers",
    "new_capitals",
    "when_date",
    "howmany_number",
    "who_name",
    "where_name",
    "title_in_sentence",
    "subject_first",
    "definition",
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
    /// "where", "what country", "which city"…
    pub place: bool,
    /// "what is X", "who was X": a definition.
    pub definition: bool,
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
        let w = |i: usize| words.get(i).map_or("", String::as_str);
        let has = |x: &str| words.iter().any(|v| v == x);
        let pair = |a: &str, bs: &[&str]| {
            words
                .windows(2)
                .any(|p| p[0] == a && bs.contains(&p[1].as_str()))
        };
        let what_which = |bs: &[&str]| pair("what", bs) || pair("which", bs);
        QuestionType {
            when: has("when")
                || what_which(&["year", "date", "time", "century", "decade", "month", "day"]),
            how_many: pair(
                "how",
                &[
                    "many", "much", "long", "far", "old", "big", "fast", "tall", "high",
                    "large", "often", "deep", "wide", "heavy",
                ],
            ) || what_which(&["percentage", "percent", "population", "number", "amount"]),
            who: has("who") || has("whom") || has("whose") || what_which(&["person", "actor"]),
            place: has("where")
                || what_which(&[
                    "country", "city", "state", "place", "continent", "region", "county",
                    "province", "island", "river",
                ]),
            definition: matches!(w(0), "what" | "who")
                && matches!(w(1), "is" | "are" | "was" | "were")
                || matches!(w(0), "define" | "definition"),
        }
    }
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
        analyze::tokenize(question, |t| {
            question_words.push(analyze::normalized(&question[t.start..t.end]));
        });
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

const MONTHS: [&str; 21] = [
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
];

fn is_year(w: &str) -> bool {
    w.len() == 4
        && w.bytes().all(|b| b.is_ascii_digit())
        && w.parse::<u32>().is_ok_and(|y| (1000..=2100).contains(&y))
}

/// The features of one candidate sentence (see [`FEATURE_NAMES`]).
#[must_use]
pub fn features(
    index: &Index,
    q: &QuestionInfo,
    words: &[QueryWord],
    hit: &Hit,
    best_score: f32,
) -> [f32; NF] {
    let text = index.sentence_text(hit.sentence);
    let n_words = words.len();
    let mut first_pos: Vec<Option<usize>> = vec![None; n_words];
    let mut best_weight: Vec<f32> = vec![0.0; n_words];
    let mut content = 0usize;
    let mut matched_tokens = 0usize;
    let mut has_date = false;
    let mut new_numbers = 0usize;
    let mut new_capitals = 0usize;
    let mut verb_after_match = false;
    let mut buf = String::new();
    let mut pos = 0usize;
    let mut first_match_pos: Option<usize> = None;
    let article_index = index.sentence_article[hit.sentence as usize] as usize;
    let title_terms = index.title_terms(article_index);
    let mut title_seen: Vec<bool> = vec![false; title_terms.len()];
    analyze::tokenize(text, |tok| {
        if tok.kind == TokenKind::Joined {
            return;
        }
        let surface = &text[tok.start..tok.end];
        analyze::normalize(surface, &mut buf);
        let stop = tok.kind == TokenKind::Word && analyze::is_stop_word(&buf);
        if stop {
            if first_match_pos.is_some_and(|p| pos <= p + 3)
                && matches!(buf.as_str(), "is" | "are" | "was" | "were")
            {
                verb_after_match = true;
            }
            pos += 1;
            return;
        }
        content += 1;
        let term = index.term_of_surface(&buf);
        if let Some(t) = term {
            if let Some(i) = title_terms.iter().position(|&x| x == t) {
                title_seen[i] = true;
            }
        }
        let in_question = q.question_words.iter().any(|w| *w == buf);
        match term.and_then(|t| q.term_word.get(&t)) {
            Some(&(wi, weight)) => {
                matched_tokens += 1;
                if first_pos[wi].is_none() {
                    first_pos[wi] = Some(pos);
                }
                best_weight[wi] = best_weight[wi].max(weight);
                first_match_pos.get_or_insert(pos);
            }
            None if !in_question => {
                if buf.as_bytes()[0].is_ascii_digit() {
                    new_numbers += 1;
                    has_date |= is_year(&buf);
                } else if pos > 0 && surface.chars().next().is_some_and(char::is_uppercase) {
                    new_capitals += 1;
                }
                has_date |= MONTHS.contains(&buf.as_str());
            }
            None => {}
        }
        pos += 1;
    });

    let matched: Vec<(usize, usize)> = first_pos
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|p| (i, p)))
        .collect();
    let matched_idf: f32 = (0..n_words).map(|i| best_weight[i] * words[i].idf).sum();
    let fuzzy_idf: f32 = (0..n_words)
        .filter(|&i| {
            first_pos[i].is_some()
                && words[i]
                    .alternatives
                    .first()
                    .is_some_and(|a| a.fuzzy)
        })
        .map(|i| best_weight[i] * words[i].idf)
        .sum();
    let bigrams = (0..n_words.saturating_sub(1))
        .filter(|&i| match (first_pos[i], first_pos[i + 1]) {
            (Some(a), Some(b)) => b > a && b - a <= 2,
            _ => false,
        })
        .count();
    let density = if matched.len() >= 2 {
        let lo = matched.iter().map(|m| m.1).min().unwrap_or(0);
        let hi = matched.iter().map(|m| m.1).max().unwrap_or(0);
        matched.len() as f32 / (hi - lo + 1) as f32
    } else {
        0.0
    };
    let content_f = content.max(1) as f32;
    let kind = q.kind;
    let has_date_f = f32::from(u8::from(has_date));
    let new_numbers_f = f32::from(u8::from(new_numbers > 0));
    let new_capitals_f = (new_capitals.min(3) as f32) / 3.0;
    let title_in_sentence = if title_terms.is_empty() {
        0.0
    } else {
        title_seen.iter().filter(|&&b| b).count() as f32 / title_terms.len() as f32
    };
    let subject_first = f32::from(u8::from(first_match_pos.is_some_and(|p| p <= 1)));
    [
        hit.sentence_score,
        hit.article_score,
        hit.title_score,
        matched_idf / q.total_idf,
        matched.len() as f32 / n_words.max(1) as f32,
        bigrams as f32 / (n_words.saturating_sub(1)).max(1) as f32,
        density,
        (content_f / index.avg_sentence_len).ln().clamp(-3.0, 3.0),
        f32::from(u8::from(content < 5)),
        (content - matched_tokens.min(content)) as f32 / content_f,
        if matched_idf > 0.0 {
            fuzzy_idf / matched_idf
        } else {
            0.0
        },
        if best_score > 0.0 {
            hit.score / best_score
        } else {
            0.0
        },
        has_date_f,
        new_numbers_f,
        new_capitals_f,
        f32::from(u8::from(kind.when)) * has_date_f,
        f32::from(u8::from(kind.how_many)) * new_numbers_f,
        f32::from(u8::from(kind.who)) * new_capitals_f,
        f32::from(u8::from(kind.place)) * new_capitals_f,
        title_in_sentence,
        subject_first,
        f32::from(u8::from(kind.definition && verb_after_match)),
    ]
}

/// The scoring parameters: the first stage's, and the weights of the features.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// BM25 saturation of repeated words.
    pub k1: f32,
    /// BM25 length normalization.
    pub b: f32,
    /// Weight of the article's text containing the question's words, in the first stage.
    pub article: f32,
    /// Weight of the article's title containing them, in the first stage.
    pub title: f32,
    /// How many first-stage candidates are scored again.
    pub depth: usize,
    /// Weights of the features.
    pub weights: [f32; NF],
}

impl Default for Model {
    /// The fitted model (`src/search/weights.rs`).
    fn default() -> Model {
        Model {
            k1: weights::K1,
            b: weights::B,
            article: weights::ARTICLE,
            title: weights::TITLE,
            depth: weights::DEPTH,
            weights: weights::WEIGHTS,
        }
    }
}

/// The weighted sum of the features.
#[must_use]
pub fn combine(weights: &[f32; NF], f: &[f32; NF]) -> f32 {
    weights.iter().zip(f).map(|(w, x)| w * x).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_types() {
        let t = QuestionType::of("When was the Hale Bopp comet discovered?");
        assert!(t.when && !t.who && !t.how_many);
        assert!(QuestionType::of("In what year did it fly?").when);
        assert!(QuestionType::of("How many seats are in a Concorde?").how_many);
        assert!(QuestionType::of("Who founded the Black Panthers?").who);
        assert!(QuestionType::of("What country is Horus associated with?").place);
        assert!(QuestionType::of("What is a kibbutz?").definition);
        assert_eq!(QuestionType::of("grain exports"), QuestionType::default());
    }

    #[test]
    fn years_are_four_digit_numbers_in_range() {
        assert!(is_year("1955") && is_year("2024"));
        assert!(!is_year("0955") && !is_year("12345") && !is_year("3000") && !is_year("19a5"));
    }
}
