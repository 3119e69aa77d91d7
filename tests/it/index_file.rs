//! The index file (`corpus/.quotebot-index`) through the binary: a second start reads it and
//! answers the same; a truncated, damaged or foreign file is built again with a log line; a
//! file behind the folder is brought up to date; a place that cannot be written leaves the
//! index in memory; the shipped `.gitignore` keeps `git status` clean.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use quotebot::live::INDEX_FILE;

fn ask(corpus: &Path, question: &str) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_quotebot"))
        .args([
            "--corpus",
            corpus.to_str().unwrap(),
            "ask",
            "--json",
            question,
        ])
        .env("RUST_LOG", "quotebot=debug")
        .output()
        .expect("quotebot runs");
    assert!(
        out.status.success(),
        "exit {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The quote of the best answer, if any.
fn quote(o: &Output) -> Option<String> {
    let line = String::from_utf8(o.stdout.clone()).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    v["answers"][0]["quote"].as_str().map(str::to_string)
}

fn corpus() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("corpus");
    fs::create_dir_all(dir.join("sub")).unwrap();
    fs::write(
        dir.join("2024-03-01-Grain.txt"),
        "date 2024-03-01\n\nWheat exports rose by a fifth in February. Barley stayed flat.",
    )
    .unwrap();
    fs::write(
        dir.join("sub/2024-03-02-Copper.md"),
        "date 2024-03-02\n\n# Metals\n\nCopper prices climbed on **Monday**. Tin fell.",
    )
    .unwrap();
    fs::write(dir.join("undated.txt"), "Oil tankers waited off the coast.").unwrap();
    (tmp, dir)
}

const READ: &str = "read 3 articles";

#[test]
fn the_second_start_reads_the_index_file_and_answers_the_same() {
    let (_tmp, dir) = corpus();
    let questions = [
        "wheat exports",
        "copper price monday",
        "oil tankers",
        "barly",
    ];
    let first: Vec<Output> = questions.iter().map(|q| ask(&dir, q)).collect();
    assert!(!stderr(&first[0]).contains(READ), "{}", stderr(&first[0]));
    assert!(dir.join(INDEX_FILE).is_file());
    // Made as any file is (the umask applies), readable by whoever may read the articles.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join(INDEX_FILE)), mode(&dir.join("undated.txt")));
    }
    for (q, before) in questions.iter().zip(&first) {
        let again = ask(&dir, q);
        assert!(stderr(&again).contains(READ), "{}", stderr(&again));
        assert_eq!(again.stdout, before.stdout, "{q}");
    }
    assert_eq!(
        quote(&first[1]).as_deref(),
        Some("Copper prices climbed on Monday.")
    );
    // The warning about the undated file is given again from the index file.
    let again = ask(&dir, "tin");
    assert!(
        stderr(&again).contains("undated.txt: no date"),
        "{}",
        stderr(&again)
    );
    // The folder holds no other file than the articles and the index.
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [INDEX_FILE, "2024-03-01-Grain.txt", "sub", "undated.txt"]
    );
}

#[test]
fn a_truncated_damaged_or_foreign_index_file_is_built_again() {
    let (_tmp, dir) = corpus();
    let want = ask(&dir, "wheat exports").stdout;
    let file = dir.join(INDEX_FILE);
    let good = fs::read(&file).unwrap();
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x20;
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("truncated", good[..good.len() / 2].to_vec(), "truncated"),
        (
            "one byte short",
            good[..good.len() - 1].to_vec(),
            "truncated",
        ),
        ("a flipped byte", flipped, "building the index again"),
        (
            "a text file",
            b"not an index at all\n".to_vec(),
            "not a quotebot index file",
        ),
        ("empty", Vec::new(), "not a quotebot index file"),
    ];
    for (what, bytes, says) in cases {
        fs::write(&file, &bytes).unwrap();
        let out = ask(&dir, "wheat exports");
        let log = stderr(&out);
        assert!(
            log.contains(INDEX_FILE) && log.contains(says),
            "{what}: {log}"
        );
        assert!(log.contains("building the index again"), "{what}: {log}");
        assert!(!log.contains(READ), "{what}: {log}");
        assert_eq!(out.stdout, want, "{what}");
        // Written again, whole: the next start reads it.
        assert_eq!(fs::read(&file).unwrap().len(), good.len(), "{what}");
        assert!(stderr(&ask(&dir, "barley")).contains(READ), "{what}");
    }
}

#[test]
fn an_index_file_behind_the_folder_is_brought_up_to_date() {
    let (_tmp, dir) = corpus();
    ask(&dir, "wheat");
    // While quotebot is not running: an article added, one changed, one removed.
    fs::write(
        dir.join("sub/2024-03-05-Zinc.txt"),
        "date 2024-03-05\n\nZinc smelters cut output in March.",
    )
    .unwrap();
    fs::write(
        dir.join("2024-03-01-Grain.txt"),
        "date 2024-03-01\n\nWheat exports fell by a third in February, traders said.",
    )
    .unwrap();
    fs::remove_file(dir.join("undated.txt")).unwrap();
    let out = ask(&dir, "zinc smelters");
    let log = stderr(&out);
    assert!(log.contains("was behind the folder"), "{log}");
    assert_eq!(
        quote(&out).as_deref(),
        Some("Zinc smelters cut output in March.")
    );
    assert_eq!(
        quote(&ask(&dir, "wheat exports february")).as_deref(),
        Some("Wheat exports fell by a third in February, traders said.")
    );
    // Written again up to date: the next start reads it and changes nothing.
    let again = ask(&dir, "oil tankers");
    assert!(stderr(&again).contains(READ), "{}", stderr(&again));
    assert!(!stderr(&again).contains("behind"), "{}", stderr(&again));
    assert_eq!(quote(&again), None);
}

#[test]
fn where_the_index_file_cannot_be_written_the_index_stays_in_memory() {
    let (_tmp, dir) = corpus();
    // A folder in its place (with a file in it, so that nothing can be renamed over it):
    // the same for the writer as a read-only corpus, even for root, who may write anywhere.
    fs::create_dir(dir.join(INDEX_FILE)).unwrap();
    fs::write(dir.join(INDEX_FILE).join("keep"), "x").unwrap();
    for _ in 0..2 {
        let out = ask(&dir, "copper prices");
        assert_eq!(
            quote(&out).as_deref(),
            Some("Copper prices climbed on Monday.")
        );
        assert!(stderr(&out).contains("not written"), "{}", stderr(&out));
    }
    // No temporary file is left behind.
    let left: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn the_shipped_gitignore_leaves_the_index_file_out() {
    let ignore =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".gitignore")).unwrap();
    assert!(
        ignore.lines().any(|l| l.trim() == format!("{INDEX_FILE}*")),
        "{ignore}"
    );
}
