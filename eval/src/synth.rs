//! Deterministic synthetic corpora for benchmarks: news-shaped articles of about 25 sentences
//! whose words follow a Zipf distribution over a large made-up vocabulary (120,000 content
//! words, 20,000 names, numbers and years, with English function words at the head), plus
//! "needle" articles holding sentences that known questions target, so that speed
//! benchmarks also check the answers.
//!
//! The same seed gives the same corpus on every machine: the generator is a SplitMix64, the
//! typos are the evaluation protocol's.

use std::fmt::Write as _;
use std::path::Path;

use crate::{PyRandom, add_typos};

/// A small, fast, deterministic random number generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    #[must_use]
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const ONSETS: [&str; 32] = [
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br",
    "ch", "cl", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "sl", "st", "tr", "th",
];
const VOWELS: [&str; 9] = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io"];
const CODAS: [&str; 12] = ["", "", "", "n", "r", "s", "l", "t", "m", "nd", "st", "ng"];

/// Function words, most frequent first, as they start the Zipf ranking.
const FUNCTION_WORDS: [&str; 40] = [
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "on", "with", "as", "was", "by",
    "said", "it", "at", "from", "his", "an", "be", "has", "have", "are", "this", "which", "but",
    "not", "were", "their", "after", "its", "also", "who", "had", "they", "new", "more", "two",
    "year",
];

/// How many made-up content words and names.
pub const CONTENT_WORDS: usize = 120_000;
const NAMES: usize = 20_000;

/// The vocabulary and its Zipf distribution.
struct Vocabulary {
    words: Vec<String>,
    names: Vec<String>,
    /// Cumulative Zipf weights over `words`.
    cumulative: Vec<f64>,
}

fn made_up_word(rng: &mut Rng) -> String {
    let syllables = 1 + rng.below(3) + usize::from(rng.unit() < 0.3);
    let mut w = String::new();
    for _ in 0..syllables {
        w.push_str(ONSETS[rng.below(ONSETS.len())]);
        w.push_str(VOWELS[rng.below(VOWELS.len())]);
        w.push_str(CODAS[rng.below(CODAS.len())]);
    }
    w
}

impl Vocabulary {
    fn new(rng: &mut Rng) -> Vocabulary {
        let mut seen = std::collections::HashSet::new();
        for w in FUNCTION_WORDS {
            seen.insert(w.to_string());
        }
        let mut fresh = |rng: &mut Rng, n: usize, min_len: usize| {
            let mut out = Vec::with_capacity(n);
            while out.len() < n {
                let w = made_up_word(rng);
                if w.len() >= min_len && seen.insert(w.clone()) {
                    out.push(w);
                }
            }
            out
        };
        let words = fresh(rng, CONTENT_WORDS, 3);
        let names = fresh(rng, NAMES, 4)
            .into_iter()
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        let mut cumulative = Vec::with_capacity(words.len());
        let mut total = 0.0;
        for rank in 0..words.len() {
            total += 1.0 / ((rank + 10) as f64).powf(1.05);
            cumulative.push(total);
        }
        Vocabulary {
            words,
            names,
            cumulative,
        }
    }

    fn zipf_word(&self, rng: &mut Rng) -> &str {
        let total = *self.cumulative.last().expect("a vocabulary");
        let x = rng.unit() * total;
        let i = self.cumulative.partition_point(|&c| c < x);
        &self.words[i.min(self.words.len() - 1)]
    }

    /// A word from the rare end of the vocabulary.
    fn rare_word(&self, rng: &mut Rng) -> &str {
        let from = self.words.len() / 2;
        &self.words[from + rng.below(self.words.len() - from)]
    }
}

/// A question whose answer is known.
#[derive(Clone, Debug)]
pub struct Question {
    /// The question.
    pub text: String,
    /// The same question with typos (the evaluation protocol's, half the content words).
    pub with_typos: String,
    /// The sentence that answers it.
    pub answer: String,
}

/// A generated corpus.
pub struct Corpus {
    /// `(file name, file contents)` of every article.
    pub files: Vec<(String, String)>,
    /// Questions that needle sentences answer.
    pub questions: Vec<Question>,
    /// Sentences in all.
    pub sentences: usize,
}

impl Corpus {
    /// Bytes of article text.
    #[must_use]
    pub fn text_bytes(&self) -> usize {
        self.files.iter().map(|(_, t)| t.len()).sum()
    }

    /// Writes the articles into `dir` (created if needed), 1,000 files per subfolder.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        for (i, (name, text)) in self.files.iter().enumerate() {
            let sub = dir.join(format!("{:03}", i / 1000));
            if i % 1000 == 0 {
                std::fs::create_dir_all(&sub)?;
            }
            std::fs::write(sub.join(name), text)?;
        }
        Ok(())
    }
}

fn sentence(v: &Vocabulary, rng: &mut Rng, out: &mut String) {
    let len = 8 + rng.below(23);
    for i in 0..len {
        let r = rng.unit();
        let word: String = if r < 0.40 {
            // Function words, the commonest first.
            let k = (rng.unit().powi(2) * FUNCTION_WORDS.len() as f64) as usize;
            FUNCTION_WORDS[k.min(FUNCTION_WORDS.len() - 1)].to_string()
        } else if r < 0.45 {
            v.names[rng.below(v.names.len())].clone()
        } else if r < 0.48 {
            if rng.unit() < 0.5 {
                (1900 + rng.below(125)).to_string()
            } else {
                (1 + rng.below(10_000)).to_string()
            }
        } else {
            v.zipf_word(rng).to_string()
        };
        if i == 0 {
            let mut c = word.chars();
            if let Some(f) = c.next() {
                out.extend(f.to_uppercase());
                out.push_str(c.as_str());
            }
        } else {
            out.push(' ');
            out.push_str(&word);
        }
        if i + 1 < len && rng.unit() < 0.05 {
            out.push(',');
        }
    }
    out.push('.');
}

/// Generates a corpus of about `sentences` sentences (articles of about 25), with `needles`
/// needle articles, each holding one sentence a question targets.
#[must_use]
pub fn generate(sentences: usize, needles: usize, seed: u64) -> Corpus {
    let mut rng = Rng::new(seed);
    let v = Vocabulary::new(&mut rng);
    let mut files = Vec::new();
    let mut questions = Vec::new();
    let mut count = 0;
    let mut typo_rng = PyRandom::new(seed);
    let needle_every = (sentences / 25 / needles.max(1)).max(1);
    let mut article = 0;
    while count < sentences || questions.len() < needles {
        let mut text = String::with_capacity(4096);
        let title_words = 3 + rng.below(4);
        let title: Vec<String> = (0..title_words)
            .map(|_| v.zipf_word(&mut rng).to_string())
            .collect();
        let day = rng.below(9000);
        let date = quotebot::date::Date::from_days_since_epoch(10_957 + day as i64);
        let _ = write!(text, "title: {}\ndate: {date}\n\n", title.join(" "));
        let n = 20 + rng.below(11);
        let needle_at =
            (article % needle_every == 0 && questions.len() < needles).then(|| rng.below(n));
        for i in 0..n {
            if i > 0 {
                text.push_str(if i % 4 == 0 { "\n\n" } else { " " });
            }
            if Some(i) == needle_at {
                let (a, b) = (&v.names[rng.below(NAMES)], &v.names[rng.below(NAMES)]);
                let (w1, w2, w3) = (
                    v.rare_word(&mut rng),
                    v.rare_word(&mut rng),
                    v.rare_word(&mut rng),
                );
                let year = 1950 + rng.below(75);
                let answer =
                    format!("{a} {b} said the {w1} {w2} of {w3} would be ready by {year}.");
                let q = format!("What did {a} {b} say about the {w1} {w2}?");
                questions.push(Question {
                    with_typos: add_typos(&q, &mut typo_rng, 0.5),
                    text: q,
                    answer: answer.clone(),
                });
                text.push_str(&answer);
            } else {
                sentence(&v, &mut rng, &mut text);
            }
        }
        text.push('\n');
        files.push((format!("{date}-a{article:07}.txt"), text));
        count += n;
        article += 1;
    }
    Corpus {
        files,
        questions,
        sentences: count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_corpus() {
        let a = generate(2_000, 5, 7);
        let b = generate(2_000, 5, 7);
        assert_eq!(a.files, b.files);
        assert_eq!(a.questions.len(), 5);
        assert!(
            a.sentences >= 2_000 && a.sentences < 2_100,
            "{}",
            a.sentences
        );
        let c = generate(2_000, 5, 8);
        assert_ne!(a.files, c.files);
    }

    #[test]
    fn needles_are_in_the_corpus_and_answered() {
        let c = generate(3_000, 6, 1);
        let articles: Vec<quotebot::Article> = c
            .files
            .iter()
            .map(|(n, t)| {
                quotebot::Article::parse(Path::new(n), t.as_bytes())
                    .unwrap()
                    .0
            })
            .collect();
        let engine = quotebot::Engine::new(
            quotebot::Index::build(articles),
            quotebot::SearchConfig::default(),
        );
        for q in &c.questions {
            let got = engine.ask(&q.text);
            assert_eq!(
                got.first().map(|a| a.quote.as_str()),
                Some(q.answer.as_str()),
                "{q:?}"
            );
        }
    }
}
