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
    let article = index.sentence_article[hit.sentence as usize] as usize;
    let title_terms = index.title_terms(article);
    let mut first_pos: Vec<Option<usize>> = vec![None; n_words];
    let mut best_weight: Vec<f32> = vec![0.0; n_words];
    let mut content = 0usize;
    let mut matched_tokens = 0usize;
    let mut has_date = false;
    let mut new_capitals = 0usize;
    // Token positions of matched words and of dates, numbers and names new to the question.
    let mut match_at: Vec<usize> = Vec::new();
    let mut date_at: Vec<usize> = Vec::new();
    let mut number_at: Vec<usize> = Vec::new();
    let mut name_at: Vec<usize> = Vec::new();
    // "X (…) is a …": a matched word near the start, then "is a/an/the/one": the sentence
    // defines what it begins with.
    let mut copula_at: Option<usize> = None;
    let mut defining = false;
    let mut by_name = false;
    let mut buf = String::new();
    let mut prev = String::new();
    let mut pos = 0usize;
    let mut first_match_pos: Option<usize> = None;
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
            by_name |= prev == "by";
        }
        std::mem::swap(&mut prev, &mut buf);
        let buf = &prev;
        if let Some(first) = first_match_pos.filter(|&p| p <= 3 && pos <= p + 14) {
            if matches!(buf.as_str(), "is" | "are" | "was" | "were") {
                copula_at.get_or_insert(pos);
            } else if copula_at == Some(pos.wrapping_sub(1))
                && matches!(buf.as_str(), "a" | "an" | "the" | "one")
                && pos > first
            {
                defining = true;
            }
        }
        if tok.kind == TokenKind::Word && analyze::is_stop_word(buf) {
            pos += 1;
            return;
        }
        content += 1;
        let term = index.term_of_surface(buf);
        match term.and_then(|t| q.term_word.get(&t)) {
            Some(&(wi, weight)) => {
                matched_tokens += 1;
                match_at.push(pos);
                first_pos[wi].get_or_insert(pos);
                best_weight[wi] = best_weight[wi].max(weight);
                first_match_pos.get_or_insert(pos);
            }
            None if !in_question => {
                let digits = buf.as_bytes()[0].is_ascii_digit();
                if digits || NUMBER_WORDS.contains(&buf.as_str()) {
                    number_at.push(pos);
                } else if capital {
                    new_capitals += 1;
                    name_at.push(pos);
                }
                if (digits && is_year(buf)) || DATE_WORDS.contains(&buf.as_str()) {
                    has_date = true;
                    date_at.push(pos);
                }
            }
            None => {}
        }
        pos += 1;
    });

    let idf = |i: usize| words[i].idf;
    let matched: Vec<usize> = (0..n_words).filter(|&i| first_pos[i].is_some()).collect();
    let matched_idf: f32 = matched.iter().map(|&i| best_weight[i] * idf(i)).sum();
    let max_missing = (0..n_words)
        .filter(|&i| first_pos[i].is_none())
        .map(idf)
        .fold(0.0f32, f32::max);
    // Whether a question word is in the article's title (it then counts partly even where
    // the sentence lacks it: the context coverage below).
    let in_title = |i: usize| {
        words[i]
            .alternatives
            .iter()
            .any(|a| title_terms.contains(&a.term))
    };
    let bigrams = (0..n_words.saturating_sub(1))
        .filter(|&i| match (first_pos[i], first_pos[i + 1]) {
            (Some(a), Some(b)) => b > a && b - a <= 2,
            _ => false,
        })
        .count();
    let positions: Vec<usize> = matched.iter().filter_map(|&i| first_pos[i]).collect();
    let density = if positions.len() >= 2 {
        let lo = positions.iter().min().copied().unwrap_or(0);
        let hi = positions.iter().max().copied().unwrap_or(0);
        positions.len() as f32 / (hi - lo + 1) as f32
    } else {
        0.0
    };
    let content_f = content.max(1) as f32;
    let kind = q.kind;
    let has_date_f = flag(has_date);
    let new_capitals_f = (new_capitals.min(3) as f32) / 3.0;
    let coverage = matched_idf / q.total_idf;
    // Words the sentence lacks but its article's title has count half: in news the subject
    // is in the headline and "it" in the sentence.
    let context_idf: f32 = (0..n_words)
        .map(|i| {
            let title = if in_title(i) { TITLE_CONTEXT } else { 0.0 };
            best_weight[i].max(title) * idf(i)
        })
        .sum();
    // Whether something of the kind asked for stands within `reach` tokens of a matched word.
    let near = |at: &[usize], reach: usize| {
        flag(
            at.iter()
                .any(|&p| match_at.iter().any(|&m| p.abs_diff(m) <= reach)),
        )
    };
    [
        hit.sentence_score,
        hit.article_score,
        hit.title_score,
        coverage,
        matched.len() as f32 / n_words.max(1) as f32,
        bigrams as f32 / (n_words.saturating_sub(1)).max(1) as f32,
        density,
        (content_f / index.avg_sentence_len).ln().clamp(-3.0, 3.0),
        (content - matched_tokens.min(content)) as f32 / content_f,
        if best_score > 0.0 {
            hit.score / best_score
        } else {
            0.0
        },
        has_date_f,
        new_capitals_f,
        flag(kind.when) * has_date_f,
        flag(kind.who) * new_capitals_f,
        flag(first_match_pos.is_some_and(|p| p <= 1)),
        max_missing / q.total_idf,
        flag(kind.who && by_name),
        flag(kind.when) * near(&date_at, 4),
        flag(kind.how_many) * near(&number_at, 3),
        flag(kind.who) * near(&name_at, 3),
        flag(defining),
        context_idf / q.total_idf,
    ]
}

/// Depth of the trees of the model.
pub const TREE_DEPTH: usize = 3;

/// An oblivious regression tree: every node at depth `d` asks the same question,
/// `feature[d] > threshold[d]`, and the answers, as bits, pick the leaf.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tree {
    /// The feature asked about at each depth.
    pub features: [u8; TREE_DEPTH],
    /// The threshold at each depth.
    pub thresholds: [f32; TREE_DEPTH],
    /// The value of each leaf.
    pub leaves: [f32; 1 << TREE_DEPTH],
}

impl Tree {
    /// The tree's value for a feature vector.
    #[must_use]
    pub fn eval(&self, f: &[f32; NF]) -> f32 {
        let mut leaf = 0;
        for d in 0..TREE_DEPTH {
            leaf |= usize::from(f[usize::from(self.features[d])] > self.thresholds[d]) << d;
        }
        self.leaves[leaf]
    }
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
    /// Trees added to the weighted sum (gradient boosting on top of the linear model).
    pub trees: Vec<Tree>,
}

/// The weighted sum of the features.
#[must_use]
pub fn combine(weights: &[f32; NF], f: &[f32; NF]) -> f32 {
    weights.iter().zip(f).map(|(w, x)| w * x).sum()
}

impl Model {
    /// The model's score for a feature vector: the weighted sum plus the trees. Only the
    /// order it gives means something.
    #[must_use]
    pub fn rank_score(&self, f: &[f32; NF]) -> f32 {
        combine(&self.weights, f) + self.trees.iter().map(|t| t.eval(f)).sum::<f32>()
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
