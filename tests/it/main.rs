//! Every integration test, in one binary (one link of the crate instead of one per file, as
//! ripgrep's `tests/tests.rs`): a module per area. The shared pieces — the fake Bot API and the
//! bot as a process (`tests/common`), the invariants every answer keeps (`tests/invariants`, which
//! the fuzz targets include too) and a little web site (`tests/site`) — stay beside it.

#[path = "../common/mod.rs"]
mod common;
#[path = "../invariants/mod.rs"]
mod invariants;
#[path = "../site/mod.rs"]
mod site;

mod bot_languages;
mod cli;
mod corpus;
mod faults;
mod feeds;
mod fuzz_regressions;
mod index_file;
mod languages;
mod live;
mod load;
mod operators;
mod properties;
mod telegram;
mod telegram_e2e;
mod web;
mod web_telegram;
mod webhook;
