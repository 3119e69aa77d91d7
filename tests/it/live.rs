//! The living corpus, engine-level: files added, changed, removed and broken while the engine
//! answers, the folder watched (a burst of files ends in one or a few reloads), documents
//! added by admins, duplicates refused. Waiting for the watcher uses a generous timeout.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use quotebot::SearchConfig;
use quotebot::live::{self, Library, Refusal};

const WAIT: Duration = Duration::from_secs(20);

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn best(library: &Library, q: &str) -> Option<String> {
    library
        .engine()
        .ask_with(q, 1, 0.0)
        .into_iter()
        .next()
        .map(|a| a.quote)
}

fn open(dir: &Path) -> Library {
    Library::open(dir, SearchConfig::default()).unwrap().0
}

/// Waits until `f` holds, or panics after `WAIT`.
fn eventually(what: &str, f: impl Fn() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < WAIT, "waited {WAIT:?} for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn added_changed_removed_and_broken_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "a.txt",
        "date 2024-01-01 Wheat harvests were poor in the north.",
    );
    write(
        d,
        "b.txt",
        "date 2024-01-02 Copper prices climbed on Monday.",
    );
    let lib = open(d);
    assert_eq!(
        best(&lib, "copper prices").as_deref(),
        Some("Copper prices climbed on Monday.")
    );

    // Added.
    write(
        d,
        "sub/c.md",
        "date 2024-02-01\n# Zinc\nZinc mines reopened in Peru.",
    );
    let r = lib.reload().unwrap();
    assert_eq!((r.added, r.changed, r.removed), (1, 0, 0), "{r}");
    assert_eq!(
        best(&lib, "zinc mines").as_deref(),
        Some("Zinc mines reopened in Peru.")
    );

    // Changed: the new text is quoted, the old no longer.
    write(
        d,
        "b.txt",
        "date 2024-01-02 Copper prices fell sharply on Tuesday.",
    );
    let r = lib.reload().unwrap();
    assert_eq!((r.added, r.changed, r.removed), (0, 1, 0), "{r}");
    assert_eq!(
        best(&lib, "copper prices").as_deref(),
        Some("Copper prices fell sharply on Tuesday.")
    );
    assert!(lib.engine().ask_with("climbed monday", 5, 0.0).is_empty());

    // Removed.
    fs::remove_file(d.join("a.txt")).unwrap();
    let r = lib.reload().unwrap();
    assert_eq!(r.removed, 1, "{r}");
    assert!(lib.engine().ask_with("wheat harvests", 5, 0.0).is_empty());

    // A broken new file is skipped; a changed file that breaks keeps its previous version.
    write(d, "bad.txt", "date 2024-13-45 Broken.");
    fs::write(d.join("sub/c.md"), b"date 2024-02-01\n\xff\xfe").unwrap();
    let r = lib.reload().unwrap();
    assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
    assert!(
        r.problems.iter().any(|p| p.contains("bad.txt:1")),
        "{:?}",
        r.problems
    );
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("c.md") && p.contains("previous version is kept")),
        "{:?}",
        r.problems
    );
    assert_eq!(
        best(&lib, "zinc mines").as_deref(),
        Some("Zinc mines reopened in Peru.")
    );
    assert_eq!(
        best(&lib, "copper prices").as_deref(),
        Some("Copper prices fell sharply on Tuesday.")
    );
    // Unchanged broken files are not read again.
    let r = lib.reload().unwrap();
    assert!(r.unchanged() && r.problems.is_empty(), "{r}");

    // The folder gone: the reload fails and the previous answers stay.
    let moved = tmp.path().with_extension("moved");
    fs::rename(d, &moved).unwrap();
    assert!(lib.reload().is_err());
    assert_eq!(
        best(&lib, "zinc mines").as_deref(),
        Some("Zinc mines reopened in Peru.")
    );
    fs::rename(&moved, d).unwrap();
}

#[test]
fn questions_in_flight_finish_on_the_index_they_started_with() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "a.txt", "date 2024-01-01 Tin exports doubled.");
    let lib = open(tmp.path());
    let before = lib.engine().index();
    write(tmp.path(), "a.txt", "date 2024-01-01 Tin exports halved.");
    lib.reload().unwrap();
    // The old generation is still whole for whoever holds it.
    assert_eq!(before.sentence_text(0), "Tin exports doubled.");
    assert_ne!(before.generation(), lib.engine().index().generation());
    assert_eq!(
        best(&lib, "tin exports").as_deref(),
        Some("Tin exports halved.")
    );
}

#[test]
fn the_watcher_reloads_after_a_change_and_a_burst_is_one_or_a_few_reloads() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "a.txt", "date 2024-01-01 Nickel output rose.");
    let lib = Arc::new(open(d));
    let _watch = live::watch(Arc::clone(&lib)).unwrap();

    write(
        d,
        "new.txt",
        "date 2024-03-01 Lithium demand surged in Chile.",
    );
    eventually("the new file to be answered", || {
        best(&lib, "lithium demand").as_deref() == Some("Lithium demand surged in Chile.")
    });

    let before = lib.reloads();
    for i in 0..100 {
        write(
            d,
            &format!("burst/{i:03}.txt"),
            &format!("date 2024-04-01 Burst article number {i} mentions cobalt{i}."),
        );
    }
    eventually("all 100 files to be in", || {
        lib.engine().index().articles().len() == 102
    });
    let reloads = lib.reloads() - before;
    assert!(
        (1..=5).contains(&reloads),
        "100 files in a burst took {reloads} reloads"
    );
    // Editors' hidden files are not articles and do not trigger reloads.
    let before = lib.reloads();
    write(d, ".a.txt.swp", "junk");
    std::thread::sleep(live::QUIET * 3);
    assert_eq!(lib.reloads(), before);
}

/// After a reload the index file is written again; the watcher sees it (it is in the folder)
/// but passes it by: no reload follows, so no loop of reloads and writes.
#[test]
fn the_index_file_written_after_a_reload_starts_no_reload() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "a.txt", "date 2024-01-01 Nickel output rose.");
    let lib = Arc::new(open(d));
    let file = d.join(live::INDEX_FILE);
    let written = || fs::metadata(&file).and_then(|m| m.modified()).ok();
    let first = written().expect("written at the start");
    let _watch = live::watch(Arc::clone(&lib)).unwrap();
    write(
        d,
        "b.txt",
        "date 2024-02-01 Lithium demand surged in Chile.",
    );
    eventually("the index file to be written again", || {
        written().is_some_and(|w| w != first)
    });
    assert_eq!(
        best(&lib, "lithium demand").as_deref(),
        Some("Lithium demand surged in Chile.")
    );
    let reloaded = lib.last_reload();
    std::thread::sleep(live::QUIET * 3 + Duration::from_millis(500));
    assert_eq!(lib.last_reload(), reloaded, "a reload followed the write");
    assert_eq!(lib.reloads(), 1);
    // What was written is what the library holds: a new start reads it and has nothing to
    // catch up on, so it does not write it again.
    let saved = written();
    std::thread::sleep(Duration::from_millis(20));
    let again = open(d);
    assert_eq!(again.engine().index().articles().len(), 2);
    assert_eq!(written(), saved, "the index file was behind the library");
}

/// A broken file, once deleted, is forgotten: the index file no longer repeats its problem.
#[test]
fn a_deleted_broken_file_is_forgotten() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "a.txt", "date 2024-01-01 Nickel output rose.");
    fs::write(d.join("bad.txt"), b"date 2024-01-01 \xff\xfe broken").unwrap();
    let (_, problems) = Library::open(d, SearchConfig::default()).unwrap();
    assert!(
        problems.iter().any(|p| p.contains("bad.txt")),
        "{problems:?}"
    );
    let (lib, problems) = Library::open(d, SearchConfig::default()).unwrap();
    assert!(
        problems.iter().any(|p| p.contains("bad.txt")),
        "{problems:?}"
    );
    fs::remove_file(d.join("bad.txt")).unwrap();
    lib.reload().unwrap();
    drop(lib);
    // The reload found nothing to change but the broken file gone: the next start, from the
    // file written then or from the folder, says nothing of it.
    let (_, problems) = Library::open(d, SearchConfig::default()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn documents_from_admins() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "a.txt",
        "date 2024-01-01 Silver prices rose.\n\nGold was flat.",
    );
    let lib = open(d);

    let added = lib
        .add_document(
            "grain.txt",
            b"title: Grain deal\ndate: 2024-05-05\n\nGrain flows resumed. Ports reopened.",
        )
        .unwrap();
    assert_eq!(added.title, "Grain deal");
    assert_eq!(added.sentences, 2);
    assert_eq!(added.saved_as, "uploads/grain.txt");
    assert_eq!(added.renamed_from, None);
    assert_eq!(
        best(&lib, "grain flows").as_deref(),
        Some("Grain flows resumed.")
    );

    // The same name again: a number is added, and the reply says so.
    let again = lib
        .add_document("grain.txt", b"date 2024-05-06 Other grain news entirely.")
        .unwrap();
    assert_eq!(again.saved_as, "uploads/grain-2.txt");
    assert_eq!(again.renamed_from.as_deref(), Some("grain.txt"));

    // A path in the name cannot leave the uploads folder.
    let escaped = lib
        .add_document("../../etc/x.txt", b"date 2024-05-07 A harmless article.")
        .unwrap();
    assert_eq!(escaped.saved_as, "uploads/x.txt");
    assert!(d.join("uploads/x.txt").exists());
    assert!(!d.join("../etc/x.txt").exists());

    // Refusals write nothing.
    let files = || walk(d);
    let before = files();
    assert_eq!(
        lib.add_document(
            "dup.txt",
            b"date 2024-06-01 Silver   prices rose.\n\nGold was\nflat."
        ),
        Err(Refusal::Duplicate("a.txt".into()))
    );
    assert_eq!(
        lib.add_document("n.txt", b"No date anywhere."),
        Err(Refusal::NoDate)
    );
    assert_eq!(
        lib.add_document("p.pdf", b"date 2024-01-01 x"),
        Err(Refusal::NotText)
    );
    assert!(matches!(
        lib.add_document("l.txt", b"date 2024-01-01 \xff"),
        Err(Refusal::Invalid(_))
    ));
    let big = vec![b'a'; live::MAX_UPLOAD_BYTES + 1];
    assert_eq!(lib.add_document("big.txt", &big), Err(Refusal::TooLarge));
    assert_eq!(files(), before);
}

/// Every file under `d`, but the index file and its temporary files (written in the
/// background after a reload).
fn walk(d: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in fs::read_dir(d).unwrap() {
        let e = e.unwrap();
        if e.file_name()
            .to_string_lossy()
            .starts_with(live::INDEX_FILE)
        {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}
