//! Measures web-page extraction on the development set in `tests/data/pages/`: Mozilla
//! Readability's test pages (expected text and metadata, Apache-2.0) and our own Russian,
//! Persian and English pages (`own/expected.json`). For each extractor: the main text's F1 over
//! word 4-gram shingles against the expected text (precision, recall, F1 per page, averaged),
//! the exact publication day (pages whose true date is unknown are left out of it; a page
//! with no date must give none), and the time per page.
//!
//! `cd extract-eval && cargo run --release` (add `-- --verbose` for every page).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

/// One page of the set.
struct Case {
    name: String,
    html: Vec<u8>,
    url: Option<String>,
    text: String,
    /// `Some(None)`: the page has no date; `None`: unknown, left out of the date figure.
    date: Option<Option<String>>,
}

/// What an extractor gave.
struct Out {
    text: String,
    date: Option<String>,
}

type Extractor = fn(&str, Option<&str>) -> Out;

fn quotebot(html: &str, url: Option<&str>) -> Out {
    match quotebot::web::extract::html(html, url, quotebot::Date::today()) {
        Ok(e) => Out {
            text: e.text,
            date: e.date.map(|(d, _)| d.to_string()),
        },
        Err(_) => Out {
            text: String::new(),
            date: None,
        },
    }
}

fn dom_smoothie(html: &str, url: Option<&str>) -> Out {
    let Ok(mut r) = dom_smoothie::Readability::new(html, url, None) else {
        return empty();
    };
    match r.parse() {
        Ok(a) => Out {
            text: a.text_content.to_string(),
            date: a.published_time.and_then(|d| day(&d)),
        },
        Err(_) => empty(),
    }
}

fn trafilatura(html: &str, url: Option<&str>) -> Out {
    let options = rs_trafilatura::Options {
        url: url.map(str::to_string),
        ..rs_trafilatura::Options::default()
    };
    match rs_trafilatura::extract_with_options(html, &options) {
        Ok(r) => Out {
            text: r.content_text,
            date: r.metadata.date.map(|d| d.format("%Y-%m-%d").to_string()),
        },
        Err(_) => empty(),
    }
}

fn readability(html: &str, url: Option<&str>) -> Out {
    let url = url::Url::parse(url.unwrap_or("https://example.org/")).unwrap();
    match readability::extractor::extract(&mut html.as_bytes(), &url) {
        Ok(p) => Out {
            text: p.text,
            date: None,
        },
        Err(_) => empty(),
    }
}

fn empty() -> Out {
    Out {
        text: String::new(),
        date: None,
    }
}

/// `YYYY-MM-DD` at the start of a date string.
fn day(s: &str) -> Option<String> {
    quotebot::web::dates::parse_loose(s).map(|d| d.to_string())
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn shingles(text: &str) -> HashMap<Vec<String>, usize> {
    let w = words(text);
    let mut out = HashMap::new();
    if w.len() < 4 {
        if !w.is_empty() {
            *out.entry(w).or_insert(0) += 1;
        }
        return out;
    }
    for s in w.windows(4) {
        *out.entry(s.to_vec()).or_insert(0) += 1;
    }
    out
}

/// Precision, recall, F1 of `got` against `want`, over multisets of 4-gram shingles.
fn prf(got: &str, want: &str) -> (f64, f64, f64) {
    let (g, w) = (shingles(got), shingles(want));
    let common: usize = g
        .iter()
        .map(|(k, n)| (*n).min(*w.get(k).unwrap_or(&0)))
        .sum();
    let (ng, nw): (usize, usize) = (g.values().sum(), w.values().sum());
    let p = if ng == 0 {
        0.0
    } else {
        common as f64 / ng as f64
    };
    let r = if nw == 0 {
        0.0
    } else {
        common as f64 / nw as f64
    };
    let f = if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    (p, r, f)
}

fn load(root: &Path) -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    let readability = root.join("readability");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&readability)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let html = std::fs::read(d.join("source.html"))?;
        let expected = std::fs::read_to_string(d.join("expected.html"))?;
        let text = dom_query::Document::from(expected.as_str())
            .select("body")
            .text()
            .to_string();
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("expected-metadata.json"))?)?;
        let date = meta["publishedTime"].as_str().map(|s| day(s));
        cases.push(Case {
            name: d.file_name().unwrap().to_string_lossy().into_owned(),
            html,
            url: None,
            text,
            date,
        });
    }
    let own = root.join("own");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(own.join("expected.json"))?)?;
    let mut names: Vec<&String> = expected
        .as_object()
        .context("own/expected.json")?
        .keys()
        .collect();
    names.sort();
    for name in names {
        let e = &expected[name.as_str()];
        cases.push(Case {
            name: format!("own/{name}"),
            html: std::fs::read(own.join(name))?,
            url: e["url_path"]
                .as_str()
                .map(|p| format!("https://news.example{p}")),
            text: e["text"].as_str().unwrap_or_default().to_string(),
            date: Some(e["date"].as_str().map(str::to_string)),
        });
    }
    Ok(cases)
}

fn main() -> Result<()> {
    let verbose = std::env::args().any(|a| a == "--verbose");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/pages");
    let cases = load(&root)?;
    let extractors: [(&str, Extractor); 4] = [
        ("quotebot (dom_smoothie + own cleaning and dates)", quotebot),
        ("dom_smoothie 0.19 alone", dom_smoothie),
        ("rs-trafilatura 0.2", trafilatura),
        ("readability 0.3 (no dates)", readability),
    ];
    println!(
        "{} pages ({} with a known date or none)\n",
        cases.len(),
        cases.iter().filter(|c| c.date.is_some()).count()
    );
    println!("| extractor | precision | recall | F1 | date exact | ms/page |");
    println!("|---|---|---|---|---|---|");
    for (label, extract) in extractors {
        let (mut sp, mut sr, mut sf) = (0.0, 0.0, 0.0);
        let (mut dated, mut right) = (0, 0);
        let mut time = 0.0;
        for c in &cases {
            // The charset as quotebot reads a saved page, for every extractor alike.
            let html = quotebot::web::charset::decode(&c.html, None);
            // Warm once, then time the median of three.
            let _ = extract(&html, c.url.as_deref());
            let mut times = Vec::new();
            let mut out = empty();
            for _ in 0..3 {
                let start = Instant::now();
                out = extract(&html, c.url.as_deref());
                times.push(start.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            time += times[1];
            let (p, r, f) = prf(&out.text, &c.text);
            sp += p;
            sr += r;
            sf += f;
            if let Some(want) = &c.date {
                dated += 1;
                if &out.date == want {
                    right += 1;
                }
            }
            if verbose {
                println!(
                    "  {label:.12} {:<28} P {p:.3} R {r:.3} F1 {f:.3} date {:?} want {:?} {:.1} ms",
                    c.name, out.date, c.date, times[1]
                );
            }
        }
        let n = cases.len() as f64;
        println!(
            "| {label} | {:.3} | {:.3} | {:.3} | {right}/{dated} = {:.3} | {:.1} |",
            sp / n,
            sr / n,
            sf / n,
            right as f64 / dated as f64,
            time / n
        );
    }
    Ok(())
}
