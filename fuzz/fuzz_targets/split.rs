//! The sentence splitter on arbitrary text: spans valid, in order, trimmed, covering every
//! letter and digit (see `tests/invariants`).

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/invariants/mod.rs"]
#[allow(dead_code)] // each target uses some of the checks
mod invariants;

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    invariants::check_spans(&text, &quotebot::corpus::split::sentences(&text));
});
