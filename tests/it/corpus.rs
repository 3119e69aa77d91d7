//! Corpus loading as users meet it: the seed article exactly as it came, and folders with
//! files of every kind, good and bad.

use std::fs;
use std::path::Path;

use quotebot::corpus::{self, Problem};
use quotebot::{Article, Date, Error};

/// The eight sentences of `tests/data/seed-article.txt`, as they must be quoted.
const SEED_SENTENCES: [&str; 8] = [
    "In a held between high-ranking delegations of Iran and Russia, the two sides emphasized the need for expanding bilateral and regional cooperation and interactions, implementing the comprehensive cooperation agreement between Iran and Russia as soon as possible, completing the construction operation of the International North-South Transport Corridor (INSTC) and Rasht-Astara railway as well as increasing the volume of the trade exchanges between the two countries.",
    "Strengthening cooperation between Tehran and Moscow is the principled policy of the administration of President Masoud Pezeshkian, Aref said and pointed out that expansion of cooperation with the neighboring countries including Russia is of paramount importance in the foreign policy of the Islamic Republic of Iran.",
    "He further noted that memoranda of understanding (MoUs) inked between the two countries should become operational as soon as possible.",
    "Referring to the common experience of the two countries in the face of US and Western sanctions, Aref emphasized the need to deepening cooperation and relations in all fields in order to neutralize these sanctions.",
    "Elsewhere in his remarks, the first vice president of Iran pointed to the very good cooperation between Iran and Russia in the fields of transportation of goods and travel and added that Islamic Republic of Iran is ready to complete and solve the technical problems facing the transportation projects between the two countries including the International North-South Transport Corridor (INSTC) and Rasht-Astara Railway.",
    "The visiting Russian prime minister, for his part, pointed to the historical history of cooperation between Iran and Russia which is based on the principles of friendship, and good neighborliness.",
    "Mikhail Mishustin emphasized, “We are interested in boosting cooperation and interaction between the two countries given the special emphasis of high-ranking officials of the two countries.”",
    "Once the grain export is concluded, Iran can become a grain hub in the region, he added.",
];

#[test]
fn the_seed_article_loads_exactly() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/seed-article.txt");
    let (article, warnings) = corpus::load_file(&path).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(article.date, Date::new(2024, 9, 30));
    let got: Vec<&str> = (0..article.sentences.len())
        .map(|i| article.sentence(i))
        .collect();
    assert_eq!(got, SEED_SENTENCES);
    assert!(
        got[6].ends_with(".\u{201d}"),
        "the seventh ends with a closing quotation mark: {:?}",
        got[6]
    );
}

#[test]
fn the_shipped_corpus_holds_the_seed_article_unchanged() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped =
        fs::read(root.join("corpus/2024-09-30-Iran-and-Russia-vow-to-expand-cooperation.txt"))
            .unwrap();
    let seed = fs::read(root.join("tests/data/seed-article.txt")).unwrap();
    assert!(
        shipped == seed,
        "corpus/ must hold the seed article byte for byte"
    );
    let c = corpus::load(&root.join("corpus")).unwrap();
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!(c.articles.len(), 1);
    assert_eq!(
        c.articles[0].title,
        "Iran and Russia vow to expand cooperation"
    );
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

#[test]
fn a_folder_of_good_and_bad_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "good.txt",
        b"title: Good\ndate: 2024-01-02\n\nGrain prices rose.",
    );
    write(
        d,
        "deep/er/nested.md",
        b"date 2024-01-03\n# Heading\nSome *text*.",
    );
    write(
        d,
        "bom-crlf.txt",
        "\u{feff}date: 2024-01-04\r\n\r\nWindows text.\r\n".as_bytes(),
    );
    write(d, "undated.txt", b"No date here.");
    write(d, "latin1.txt", b"date 2024-01-05\nCaf\xe9 society.");
    write(d, "empty.txt", b"");
    write(d, "bad-date.txt", b"title: X\ndate 2024-13-45\n\nText.");
    write(d, "notes.pdf", b"not an article");
    write(d, ".hidden.txt", b"Hidden.");
    let c = corpus::load(d).unwrap();

    let mut titles: Vec<&str> = c.articles.iter().map(|a| a.title.as_str()).collect();
    titles.sort_unstable();
    assert_eq!(titles, ["Bom crlf", "Good", "Nested", "Undated"]);
    let nested = c.articles.iter().find(|a| a.title == "Nested").unwrap();
    assert_eq!(nested.sentence(0), "Heading");
    assert_eq!(nested.sentence(1), "Some text.");

    let described: Vec<(bool, String)> = c
        .problems
        .iter()
        .map(|p| (p.is_error(), p.to_string()))
        .collect();
    let find = |name: &str| {
        described
            .iter()
            .find(|(_, p)| p.contains(name))
            .unwrap_or_else(|| panic!("no problem for {name}: {described:#?}"))
            .clone()
    };
    let (error, text) = find("bad-date.txt");
    assert!(
        error && text.contains("bad-date.txt:2:") && text.contains("2024-13-45"),
        "{text}"
    );
    let (error, text) = find("latin1.txt");
    assert!(error && text.contains("latin1.txt:2:"), "{text}");
    let (error, text) = find("empty.txt");
    assert!(error, "{text}");
    let (error, text) = find("undated.txt");
    assert!(!error && text.contains("no date"), "{text}");
    assert_eq!(c.problems.len(), 4, "{described:#?}");
}

#[test]
fn a_missing_folder_is_an_error() {
    let err = corpus::load(Path::new("/nonexistent/quotebot-corpus")).unwrap_err();
    assert!(matches!(err, Error::CorpusNotFound { .. }), "{err:?}");
    assert!(
        err.to_string().contains("/nonexistent/quotebot-corpus"),
        "{err}"
    );
}

#[test]
fn problems_name_their_file_and_line() {
    let err = Article::parse(Path::new("corpus/x.txt"), b"date: 2024-02-30\n\nText").unwrap_err();
    let p = Problem::Skipped(err);
    assert!(p.is_error());
    assert_eq!(
        p.to_string(),
        "corpus/x.txt:1: malformed date \"2024-02-30\" (expected YYYY-MM-DD, e.g. 2024-09-30) (file skipped)"
    );
}
