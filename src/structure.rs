//! A check on the code's shape, not its behaviour: the modules' imports form no cycles (so
//! that each module can be read, and changed, knowing only what it builds on). A module's
//! imports are the `crate::…` and `super::…` paths in its file, outside comments and its test
//! module; a path names the deepest module it goes through. A module and its own parent or
//! children may use each other (a `mod.rs` re-exports what its rooms define).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Cycles that are known and not yet taken apart, each as its modules in order. The test fails
/// on any other cycle, and on a known one that is gone (so that this list stays true).
const KNOWN: &[&[&str]] = &[];

/// Each module (`a::b`) and the text of its file.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            let name = parts.join("::");
            if name == "lib" || name == "main" {
                continue;
            }
            out.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    out
}

/// The code of a file without comments and without its test module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if rest.starts_with("//") {
            rest = rest.find('\n').map_or("", |i| &rest[i..]);
        } else if rest.starts_with("/*") {
            rest = rest.find("*/").map_or("", |i| &rest[i + 2..]);
        } else if rest.starts_with("'\"'") {
            // The character literal of a double quote, not the start of a string.
            rest = &rest[3..];
        } else if rest.starts_with('"') {
            // A string: skipped (it may mention `crate::` in a message).
            let mut end = 1;
            let bytes = rest.as_bytes();
            while end < bytes.len() && bytes[end] != b'"' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            rest = rest.get(end + 1..).unwrap_or("");
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The paths a `use`-like reference at `text` names: `a::b`, or each path of a `{…}` group.
fn paths(text: &str) -> Vec<String> {
    let ident = |s: &str| -> usize {
        s.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(s.len())
    };
    let n = ident(text);
    let head = text[..n].trim_end_matches(':').to_string();
    let group = text[n..].starts_with('{') && (n == 0 || text[..n].ends_with("::"));
    if !group {
        return vec![head];
    }
    let join = |p: String| {
        if head.is_empty() {
            p
        } else {
            format!("{head}::{p}")
        }
    };
    // A group: split its top level at commas.
    let body = &text[n + 1..];
    let mut depth = 0;
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                out.extend(paths(body[start..i].trim()).into_iter().map(join));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.extend(paths(body[start..i].trim()).into_iter().map(join));
                start = i + 1;
            }
            _ => {}
        }
    }
    out
}

/// The module a path goes through deepest.
fn resolve(path: &str, known: &BTreeSet<String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|m| known.contains(m))
}

fn related(a: &str, b: &str) -> bool {
    a == b || a.starts_with(&format!("{b}::")) || b.starts_with(&format!("{a}::"))
}

/// Which modules each module imports.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules(src);
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (name, text) in &modules {
        let code = code(text);
        let parent = name.rsplit_once("::").map_or("", |(p, _)| p);
        let mut targets = BTreeSet::new();
        for (prefix, base) in [("crate::", String::new()), ("super::", parent.to_string())] {
            for (i, _) in code.match_indices(prefix) {
                let before = code[..i].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                for p in paths(&code[i + prefix.len()..]) {
                    let full = if base.is_empty() {
                        p
                    } else {
                        format!("{base}::{p}")
                    };
                    if let Some(m) = resolve(&full, &known)
                        && !related(&m, name)
                    {
                        targets.insert(m);
                    }
                }
            }
        }
        graph.insert(name.clone(), targets);
    }
    graph
}

/// The cycles: each strongly connected group of two or more modules, in order.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(m) = stack.pop() {
            for t in graph.get(&m).into_iter().flatten() {
                if seen.insert(t.clone()) {
                    stack.push(t.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut out: Vec<Vec<String>> = Vec::new();
    for m in graph.keys() {
        if !reaches[m].contains(m) || out.iter().any(|c| c.contains(m)) {
            continue;
        }
        let group: Vec<String> = graph
            .keys()
            .filter(|o| reaches[m].contains(*o) && reaches[*o].contains(m))
            .cloned()
            .collect();
        out.push(group);
    }
    out
}

/// The graph with every module folded into its top-level one (`search::index` into `search`),
/// edges inside one dropped: a cycle here runs between whole parts of the crate, even when each
/// file's own imports form none.
fn top_level(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    let top = |m: &str| m.split("::").next().unwrap_or(m).to_string();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, targets) in graph {
        let entry = out.entry(top(m)).or_default();
        entry.extend(targets.iter().map(|t| top(t)).filter(|t| *t != top(m)));
    }
    out
}

#[test]
fn the_parts_of_the_crate_import_each_other_in_no_cycle() {
    let graph = top_level(&imports(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")));
    assert!(graph["engine"].contains("search"), "{:?}", graph["engine"]);
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "cycles between the crate's parts: {found:?}"
    );
}

#[test]
fn the_modules_import_each_other_in_no_cycle() {
    let graph = imports(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.len() > 20, "{} modules", graph.len());
    assert!(graph["engine"].contains("search"), "{:?}", graph["engine"]);
    let found = cycles(&graph);
    let unknown: Vec<&Vec<String>> = found
        .iter()
        .filter(|c| !KNOWN.iter().any(|k| k.iter().eq(c.iter())))
        .collect();
    let detail = |c: &Vec<String>| -> Vec<String> {
        c.iter()
            .flat_map(|m| {
                graph[m]
                    .iter()
                    .filter(|t| c.contains(*t))
                    .map(move |t| format!("{m} -> {t}"))
            })
            .collect()
    };
    let gone: Vec<&&[&str]> = KNOWN
        .iter()
        .filter(|k| !found.iter().any(|c| k.iter().eq(c.iter())))
        .collect();
    assert!(gone.is_empty(), "no longer cycles: {gone:?}");
    assert!(
        unknown.is_empty(),
        "import cycles: {:#?}",
        unknown.iter().map(|c| detail(c)).collect::<Vec<_>>()
    );
}

#[test]
fn the_import_reader_sees_groups_supers_and_cycles() {
    let known: BTreeSet<String> = ["a", "a::b", "c"].iter().map(|s| s.to_string()).collect();
    assert_eq!(
        paths("a::{b::{X, Y}, Z}, other"),
        ["a::b::X", "a::b::Y", "a::Z"]
    );
    // `use super::{ops, retry}`: a group right after the prefix.
    assert_eq!(paths("{ops, retry::X};"), ["ops", "retry::X"]);
    assert_eq!(resolve("a::b::X", &known).as_deref(), Some("a::b"));
    assert_eq!(resolve("a::Z", &known).as_deref(), Some("a"));
    assert_eq!(
        code("x // crate::c\n/* crate::c */ \"crate::c\" y"),
        "x \n  y"
    );
    assert_eq!(code("let q = '\"'; crate::c"), "let q = ; crate::c");
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["c"]),
        ("c", vec!["d"]),
        ("d", vec!["a"]),
        ("e", vec!["a"]),
    ]
    .into_iter()
    .map(|(m, t)| (m.to_string(), t.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(cycles(&graph), vec![vec!["a", "c", "d"]]);
}
