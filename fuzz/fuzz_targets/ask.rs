//! `ask` on arbitrary questions over the seed corpus (`corpus/`), with "More" and the
//! context of the best quote: no panic, every answer a real sentence, every reply valid
//! Telegram HTML within 4096 characters (see `tests/invariants`).

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use quotebot::config::SearchConfig;
use quotebot::engine::Engine;

#[path = "../../tests/invariants/mod.rs"]
#[allow(dead_code)] // each target uses some of the checks
mod invariants;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
        Engine::load(&corpus, SearchConfig::default())
            .expect("the seed corpus loads")
            .0
    })
}

fuzz_target!(|bytes: &[u8]| {
    let question = String::from_utf8_lossy(bytes);
    invariants::check_ask(engine(), &question);
});
