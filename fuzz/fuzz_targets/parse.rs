//! The corpus parser on arbitrary bytes, as a `.txt` and as a `.md` file: an article whose
//! sentence spans hold (see `tests/invariants`), or an error; never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/invariants/mod.rs"]
#[allow(dead_code)] // each target uses some of the checks
mod invariants;

fuzz_target!(|bytes: &[u8]| {
    invariants::check_parse("fuzz.txt", bytes);
    invariants::check_parse("fuzz.md", bytes);
});
