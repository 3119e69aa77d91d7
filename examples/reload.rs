//! How long a reload of the living corpus takes (`quotebot::live`): one file added, then
//! changed, then removed, each followed by a reload, timed. The file is removed at the end.
//!
//! ```text
//! cargo run --release --example reload -- corpus
//! cargo run --release --example gen_corpus -- 100000 target/bench-corpus/100k
//! cargo run --release --example reload -- target/bench-corpus/100k/corpus
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};

use quotebot::SearchConfig;
use quotebot::live::Library;

fn main() -> Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).context("usage: reload CORPUS")?);
    let start = Instant::now();
    let (library, _) = Library::open(&dir, SearchConfig::default())?;
    println!(
        "opened {} ({} sentences) in {:.3} s",
        dir.display(),
        library.engine().index().sentence_count(),
        start.elapsed().as_secs_f64()
    );
    let file = dir.join("zz-reload-timing.txt");
    std::fs::write(&file, "date 2030-01-01 A timing article about gallium.")?;
    println!("added:   {}", library.reload()?);
    std::fs::write(
        &file,
        "date 2030-01-01 A timing article about germanium, changed.",
    )?;
    println!("changed: {}", library.reload()?);
    std::fs::remove_file(&file)?;
    println!("removed: {}", library.reload()?);
    println!("nothing: {}", library.reload()?);
    Ok(())
}
