//! The real-question benchmark corpus: the real articles of WikiQA dev and TrecQA dev (clean),
//! whose questions are the ones asked, among **synthetic distractor** articles whose words are
//! drawn from the real sentences' own word distribution, so that question words are as common
//! in the corpus as they are in real text ("year", "first", "city" have long postings).
//!
//! The benchmark data is licensed for evaluation only: it is read from `../shared/bench` at
//! run time and never copied into the repository; a corpus written out goes under `target/`.
//! Only train and dev files are read, never a test split.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use quotebot_eval::synth::Rng;
use quotebot_eval::{self as eval, Dataset, Question};

/// The typo rate of the evaluation protocol.
pub const TYPO_RATE: f64 = 0.5;

/// The splits whose articles and questions are asked: `(kind, path under the bench folder)`.
const ASKED: [(&str, &str); 2] = [
    ("wikiqa", "wikiqa/WikiQA-dev.tsv"),
    ("trecqa", "trecqa/trecqa-dev-clean.tsv"),
];

/// A generated corpus and the questions asked of it.
pub struct Bench {
    /// `(file name, file contents)` of every article, real and synthetic, in corpus order.
    pub files: Vec<(PathBuf, String)>,
    /// The questions as written (`asked` is the clean text).
    pub clean: Vec<Question>,
    /// The same questions with the protocol's typos in `asked`.
    pub typos: Vec<Question>,
    /// How many questions each asked split gave: `(kind, count)`.
    pub per_split: Vec<(String, usize)>,
    /// Real articles and their sentences (as the dataset segments them).
    pub real_articles: usize,
    pub real_sentences: usize,
    /// Synthetic distractor articles and their sentences.
    pub synthetic_articles: usize,
    pub synthetic_sentences: usize,
    /// The files the word distribution was taken from, and its size.
    pub vocabulary_files: Vec<PathBuf>,
    pub vocabulary_words: usize,
    pub vocabulary_tokens: u64,
}

impl Bench {
    /// Writes the corpus into `dir` (which must be under a `target/` folder, as it holds
    /// evaluation-only data) and the questions beside it, one per line.
    pub fn write(&self, dir: &Path) -> Result<()> {
        if !dir.components().any(|c| c.as_os_str() == "target") {
            bail!(
                "{} is not under target/: the benchmark data must not leave it",
                dir.display()
            );
        }
        for (name, text) in &self.files {
            let path = dir.join("corpus").join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
        for (file, questions) in [
            ("questions.txt", &self.clean),
            ("questions-typos.txt", &self.typos),
        ] {
            let lines: String = questions.iter().map(|q| format!("{}\n", q.asked)).collect();
            std::fs::write(dir.join(file), lines)
                .with_context(|| format!("writing {}", dir.join(file).display()))?;
        }
        Ok(())
    }
}

/// The words of a sentence for the word distribution: its whitespace-separated tokens with
/// punctuation trimmed from both ends (`Africa .` gives `Africa`, ``` `` ``` nothing), case kept
/// so that names stay capitalised.
fn words(sentence: &str) -> impl Iterator<Item = &str> {
    sentence
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
}

/// The unigram distribution and sentence lengths of real sentences.
struct Distribution {
    /// Words, most frequent first.
    words: Vec<String>,
    /// Cumulative counts over `words`.
    cumulative: Vec<u64>,
    /// The length in words of every real sentence.
    lengths: Vec<usize>,
}

impl Distribution {
    fn new<'a>(sentences: impl IntoIterator<Item = &'a str>) -> Distribution {
        let mut counts: HashMap<&str, u64> = HashMap::new();
        let mut lengths = Vec::new();
        for s in sentences {
            let mut n = 0;
            for w in words(s) {
                *counts.entry(w).or_default() += 1;
                n += 1;
            }
            if n > 0 {
                lengths.push(n);
            }
        }
        let mut ranked: Vec<(&str, u64)> = counts.into_iter().collect();
        // Ties by the word, so the same data gives the same corpus everywhere.
        ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let mut total = 0;
        let cumulative = ranked
            .iter()
            .map(|&(_, c)| {
                total += c;
                total
            })
            .collect();
        Distribution {
            words: ranked.into_iter().map(|(w, _)| w.to_string()).collect(),
            cumulative,
            lengths,
        }
    }

    fn tokens(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }

    fn word(&self, rng: &mut Rng) -> &str {
        let x = rng.next_u64() % self.tokens();
        &self.words[self.cumulative.partition_point(|&c| c <= x)]
    }

    /// A sentence of a real sentence's length, its words drawn independently.
    fn sentence(&self, rng: &mut Rng, out: &mut String) {
        let n = self.lengths[rng.below(self.lengths.len())];
        for i in 0..n {
            let w = self.word(rng);
            if i == 0 {
                let mut c = w.chars();
                if let Some(f) = c.next() {
                    out.extend(f.to_uppercase());
                    out.push_str(c.as_str());
                }
            } else {
                out.push(' ');
                out.push_str(w);
            }
        }
        out.push('.');
    }
}

/// The train and dev splits in the bench folder (never a test split), with their kinds.
fn vocabulary_splits(bench: &Path) -> Result<Vec<(&'static str, PathBuf)>> {
    let mut out = Vec::new();
    for (kind, folder) in [("wikiqa", "wikiqa"), ("trecqa", "trecqa")] {
        let dir = bench.join(folder);
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_lowercase();
                name.ends_with(".tsv")
                    && (name.contains("train") || name.contains("dev"))
                    && !name.contains("test")
            })
            .collect();
        names.sort();
        out.extend(names.into_iter().map(|p| (kind, p)));
    }
    Ok(out)
}

/// Builds a corpus of at least `sentences` sentences: the real articles of the asked splits,
/// spread evenly among synthetic distractor articles of 20 to 30 sentences.
pub fn build(bench: &Path, sentences: usize, seed: u64) -> Result<Bench> {
    // The word distribution: every distinct sentence of the train and dev splits.
    let splits = vocabulary_splits(bench)?;
    let mut all = Vec::new();
    for (kind, path) in &splits {
        all.push(eval::load(kind, path).with_context(|| format!("reading {}", path.display()))?);
    }
    let dist = {
        let mut seen = HashSet::new();
        let distinct = all
            .iter()
            .flat_map(|d| &d.docs)
            .flat_map(|d| &d.sentences)
            .map(|(_, s)| s.as_str())
            .filter(|s| seen.insert(*s));
        Distribution::new(distinct)
    };
    if dist.tokens() == 0 {
        bail!(
            "no sentences in the train and dev files of {}",
            bench.display()
        );
    }

    // The real articles and their questions, as the evaluation protocol builds them.
    let mut real = Vec::new();
    let (mut clean, mut typos, mut per_split) = (Vec::new(), Vec::new(), Vec::new());
    let mut real_sentences = 0;
    for (kind, file) in ASKED {
        let path = bench.join(file);
        let mut data: Dataset =
            eval::load(kind, &path).with_context(|| format!("reading {}", path.display()))?;
        data.shuffle();
        per_split.push((kind.to_string(), data.questions.len()));
        clean.extend(data.questions.iter().cloned());
        data.add_typos(TYPO_RATE);
        typos.extend(data.questions.iter().cloned());
        for d in &data.docs {
            let (name, text) = eval::article_file(d);
            real_sentences += d.sentences.len();
            real.push((Path::new("real").join(kind).join(name), text));
        }
    }

    // Distractors until the corpus is big enough.
    let mut rng = Rng::new(seed);
    let mut synthetic = Vec::new();
    let mut synthetic_sentences = 0;
    while real_sentences + synthetic_sentences < sentences {
        let mut text = String::with_capacity(4096);
        let title: Vec<&str> = (0..2 + rng.below(5)).map(|_| dist.word(&mut rng)).collect();
        // Dates around the real articles' 2016-01-01, so neither side wins the newer-first
        // tie-break.
        let date = quotebot::Date::from_days_since_epoch(13_879 + rng.below(16 * 365) as i64);
        let _ = write!(text, "title: {}\ndate: {date}\n\n", title.join(" "));
        let n = 20 + rng.below(11);
        for i in 0..n {
            if i > 0 {
                text.push_str(if i % 4 == 0 { "\n\n" } else { " " });
            }
            dist.sentence(&mut rng, &mut text);
        }
        text.push('\n');
        let k = synthetic.len();
        synthetic.push((
            Path::new("synthetic").join(format!("{:04}/{date}-d{k:08}.txt", k / 1000)),
            text,
        ));
        synthetic_sentences += n;
    }

    // Real articles spread evenly, so that order breaks no ties in anyone's favour.
    let (real_articles, synthetic_articles) = (real.len(), synthetic.len());
    let mut files = Vec::with_capacity(real_articles + synthetic_articles);
    let mut real = real.into_iter().enumerate().peekable();
    for (j, s) in synthetic.into_iter().enumerate() {
        while let Some((i, _)) = real.peek() {
            if (2 * i + 1) * synthetic_articles > 2 * j * real_articles {
                break;
            }
            files.push(real.next().expect("peeked").1);
        }
        files.push(s);
    }
    files.extend(real.map(|(_, f)| f));

    Ok(Bench {
        files,
        clean,
        typos,
        per_split,
        real_articles,
        real_sentences,
        synthetic_articles,
        synthetic_sentences,
        vocabulary_files: splits.into_iter().map(|(_, p)| p).collect(),
        vocabulary_words: dist.words.len(),
        vocabulary_tokens: dist.tokens(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_drop_the_tokenizers_punctuation() {
        let w: Vec<&str> = words("`` It lies in Africa , near the U.S. coast . ''").collect();
        assert_eq!(
            w,
            ["It", "lies", "in", "Africa", "near", "the", "U.S", "coast"],
            "{w:?}"
        );
    }

    #[test]
    fn drawn_words_follow_the_counts() {
        let d = Distribution::new(["a a a b", "a c"]);
        assert_eq!(d.words, ["a", "b", "c"]);
        assert_eq!(d.cumulative, [4, 5, 6]);
        assert_eq!(d.lengths, [4, 2]);
        let mut rng = Rng::new(1);
        let a = (0..6000).filter(|_| d.word(&mut rng) == "a").count();
        assert!((3800..4200).contains(&a), "{a}");
    }
}
