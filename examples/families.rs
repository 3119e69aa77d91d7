//! Writes `src/search/families.txt`, the word families the engine matches across ("invented"
//! finds "inventor", "Cuban" finds "Cuba", "died" finds "death", "went" finds "go"), from
//! WordNet 3.0 as Debian packages it (`apt install wordnet-base`, read from
//! `/usr/share/wordnet`).
//!
//! Kept from WordNet: its lexical links between words of different parts of speech —
//! derivation (`+`), pertainym (`\`: "Cuban" → "Cuba") and participle (`<`) — and its
//! irregular forms (`*.exc`: "went" → "go", "children" → "child"). Each word is reduced to
//! the engine's stem; links between words with the same stem (which the stemmer already
//! joins) are dropped, and only single words of letters are kept. Synonyms are not: a word's
//! synonyms depend on its sense, its family does not.
//!
//! ```text
//! cargo run --release --example families                 # counts only
//! cargo run --release --example families -- --write      # rewrite src/search/families.txt
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Parser;

use quotebot::search::analyze;

#[derive(Parser)]
struct Args {
    /// WordNet's dictionary folder
    #[arg(long, default_value = "/usr/share/wordnet")]
    wordnet: PathBuf,
    /// Write src/search/families.txt
    #[arg(long)]
    write: bool,
}

const PARTS: [(&str, char); 4] = [("noun", 'n'), ("verb", 'v'), ("adj", 'a'), ("adv", 'r')];

/// Lexical pointers kept: derivationally related form, pertainym / derived from adjective,
/// participle of verb.
const KEPT: [&str; 3] = ["+", "\\", "<"];

/// A lemma as the engine would index it, or `None` for phrases, names with digits and the
/// like.
fn usable(lemma: &str) -> Option<String> {
    // Adjectives carry a syntactic marker: "galore(ip)".
    let lemma = lemma.split('(').next().unwrap_or(lemma);
    if lemma.chars().count() < 3 || !lemma.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let word = analyze::normalized(lemma);
    if analyze::is_stop_word(&word) {
        return None;
    }
    Some(analyze::stem(&word).into_owned())
}

struct Synset {
    words: Vec<String>,
    /// (pointer symbol, target part of speech, target offset, source word, target word),
    /// word numbers from 1.
    pointers: Vec<(String, char, u32, usize, usize)>,
}

fn read_synsets(dir: &Path) -> Result<HashMap<(char, u32), Synset>> {
    let mut out = HashMap::new();
    for (name, pos) in PARTS {
        let path = dir.join(format!("data.{name}"));
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        for line in text.lines().filter(|l| !l.starts_with(' ')) {
            let fields: Vec<&str> = line
                .split(" | ")
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            let parse = || -> Option<(u32, Synset)> {
                let offset: u32 = fields.first()?.parse().ok()?;
                let w_cnt = usize::from_str_radix(fields.get(3)?, 16).ok()?;
                let words = (0..w_cnt)
                    .map(|i| fields.get(4 + 2 * i).map(|w| w.to_string()))
                    .collect::<Option<Vec<_>>>()?;
                let mut at = 4 + 2 * w_cnt;
                let p_cnt: usize = fields.get(at)?.parse().ok()?;
                at += 1;
                let mut pointers = Vec::new();
                for _ in 0..p_cnt {
                    let symbol = fields.get(at)?.to_string();
                    let target: u32 = fields.get(at + 1)?.parse().ok()?;
                    let target_pos = fields.get(at + 2)?.chars().next()?;
                    let st = fields.get(at + 3)?;
                    let source = usize::from_str_radix(st.get(..2)?, 16).ok()?;
                    let tword = usize::from_str_radix(st.get(2..)?, 16).ok()?;
                    at += 4;
                    let target_pos = if target_pos == 's' { 'a' } else { target_pos };
                    pointers.push((symbol, target_pos, target, source, tword));
                }
                Some((offset, Synset { words, pointers }))
            };
            let Some((offset, synset)) = parse() else {
                bail!("{}: a line I can't read: {line:.80}", path.display());
            };
            out.insert((pos, offset), synset);
        }
    }
    Ok(out)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let synsets = read_synsets(&args.wordnet)?;
    let mut links: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut link = |a: Option<String>, b: Option<String>| {
        if let (Some(a), Some(b)) = (a, b)
            && a != b
        {
            links.entry(a.clone()).or_default().insert(b.clone());
            links.entry(b).or_default().insert(a);
        }
    };
    let mut lexical = 0;
    for synset in synsets.values() {
        for (symbol, pos, offset, source, target) in &synset.pointers {
            if *source == 0 || !KEPT.contains(&symbol.as_str()) {
                continue;
            }
            let Some(to) = synsets.get(&(*pos, *offset)) else {
                bail!("a pointer to a synset that is not there: {pos} {offset}");
            };
            let (Some(a), Some(b)) = (synset.words.get(source - 1), to.words.get(target - 1))
            else {
                bail!("a pointer to a word that is not there: {pos} {offset}");
            };
            lexical += 1;
            link(usable(a), usable(b));
        }
    }
    let mut irregular = 0;
    for (name, _) in PARTS {
        let path = args.wordnet.join(format!("{name}.exc"));
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let Some(form) = words.next() else { continue };
            for base in words {
                irregular += 1;
                link(usable(form), usable(base));
            }
        }
    }
    let pairs: usize = links.values().map(BTreeSet::len).sum::<usize>() / 2;
    eprintln!(
        "{} synsets, {lexical} lexical links and {irregular} irregular forms read; \
         {} stems in families, {pairs} links between different stems",
        synsets.len(),
        links.len(),
    );
    if args.write {
        let mut out = String::from(HEADER);
        for (stem, related) in &links {
            out.push_str(stem);
            for r in related {
                write!(out, " {r}")?;
            }
            out.push('\n');
        }
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/search/families.txt");
        std::fs::write(&path, out).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

const HEADER: &str = "\
# Word families: each line is a stem and the stems WordNet relates it to (derivation,
# pertainym, participle, irregular form). Written by `cargo run --example families -- --write`
# from WordNet 3.0 (Princeton University), whose license follows.
#
# This software and database is being provided to you, the LICENSEE, by
# Princeton University under the following license.  By obtaining, using
# and/or copying this software and database, you agree that you have
# read, understood, and will comply with these terms and conditions.:
#
# Permission to use, copy, modify and distribute this software and
# database and its documentation for any purpose and without fee or
# royalty is hereby granted, provided that you agree to comply with
# the following copyright notice and statements, including the disclaimer,
# and that the same appear on ALL copies of the software, database and
# documentation, including modifications that you make for internal
# use or for distribution.
#
# WordNet 3.0 Copyright 2006 by Princeton University.  All rights reserved.
#
# THIS SOFTWARE AND DATABASE IS PROVIDED \"AS IS\" AND PRINCETON
# UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES, EXPRESS OR
# IMPLIED.  BY WAY OF EXAMPLE, BUT NOT LIMITATION, PRINCETON
# UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT-
# ABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE
# OF THE LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT
# INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS, TRADEMARKS OR
# OTHER RIGHTS.
#
# The name of Princeton University or Princeton may not be used in
# advertising or publicity pertaining to distribution of the software
# and/or database.  Title to copyright in this software, database and
# any associated documentation shall at all times remain with
# Princeton University and LICENSEE agrees to preserve same.
#
";
