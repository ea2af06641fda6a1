//! The layering check (issue 16): no import cycle between the crate's top-level modules, so
//! each layer sits below the layers that use it (the style guide, sections 3 and 10).
//!
//! A test, not a module of the library: it reads every `.rs` file under `src/`, takes the
//! imports of other top-level modules (`crate::x`, `crate::{x, y::z}`, and `super::` chains
//! that climb to the crate root), builds the graph of top-level modules and fails on a cycle,
//! naming every edge of it with the file and line that makes it. Comment lines (`//`, `//!`,
//! `///`) are skipped: a doc link is not an import. Sibling files inside one module (`cli/`
//! above all) are not checked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Edges allowed although they close a cycle, each with its reason. The test fails when an
/// entry is no longer needed, so the list only shrinks.
const KNOWN_EDGES: &[(&str, &str, &str)] = &[];

/// This file: its test inputs spell imports that are not the crate's.
const SELF: &str = "src/layering.rs";

/// One import of another top-level module: `from` imports `to` at `file:line`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    from: String,
    to: String,
    file: String,
    line: usize,
}

/// The top-level modules: every directory and `.rs` file directly under `src`, but `lib.rs`,
/// `main.rs` and this file.
fn top_level_modules(src: &Path) -> BTreeSet<String> {
    std::fs::read_dir(src)
        .expect("src/ is readable")
        .map(|entry| entry.expect("src/ entries are readable").path())
        .filter_map(|path| {
            if path.is_dir() {
                path.file_name().map(|n| n.to_string_lossy().into_owned())
            } else if path.extension().is_some_and(|e| e == "rs") {
                path.file_stem().map(|n| n.to_string_lossy().into_owned())
            } else {
                None
            }
        })
        .filter(|name| name != "lib" && name != "main" && name != "layering")
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("source directories are readable")
        .map(|entry| entry.expect("source entries are readable").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file relative to `src`: `scan.rs` is `[scan]`, `report/mod.rs`
/// `[report]`, `source/git.rs` `[source, git]`.
fn module_path(relative: &str) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
    }
    parts
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The first path segments named right after `crate::` at `rest`: one for `crate::x::...`,
/// each item's for `crate::{x::a, y}`.
fn first_segments(rest: &str) -> Vec<&str> {
    let Some(group) = rest.strip_prefix('{') else {
        return vec![identifier(rest)];
    };
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut item_start = true;
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => item_start = true,
            c if c.is_whitespace() => {}
            _ if item_start && depth == 0 => {
                names.push(identifier(&group[at..]));
                item_start = false;
            }
            _ => {}
        }
    }
    names
}

/// The top-level modules `text` (the file at `relative`, under `src`) imports, with the line of
/// each import.
fn imports(relative: &str, text: &str, modules: &BTreeSet<String>) -> Vec<(String, usize)> {
    let own = module_path(relative);
    // Comment lines become empty, keeping line numbers.
    let code: String = text
        .lines()
        .map(|line| match line.trim_start().starts_with("//") {
            true => "\n".to_string(),
            false => format!("{line}\n"),
        })
        .collect();
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let starts_path = |at: usize| {
        !code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if starts_path(at) {
            for name in first_segments(&code[at + "crate::".len()..]) {
                found.push((name.to_string(), line_of(at)));
            }
        }
    }
    for (at, _) in code.match_indices("super::") {
        if !starts_path(at) {
            continue;
        }
        let mut rest = &code[at..];
        let mut climbs = 0;
        while let Some(after) = rest.strip_prefix("super::") {
            climbs += 1;
            rest = after;
        }
        // Only a chain that climbs to the crate root names a top-level module.
        if climbs == own.len() {
            for name in first_segments(rest) {
                found.push((name.to_string(), line_of(at)));
            }
        }
    }
    found.retain(|(name, _)| modules.contains(name) && *name != own[0]);
    found
}

/// Every import between top-level modules in the files under `src`, minus [`KNOWN_EDGES`];
/// and the known edges that were seen.
fn graph(src: &Path) -> (Vec<Edge>, BTreeSet<(String, String)>) {
    let modules = top_level_modules(src);
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut edges = Vec::new();
    let mut known_seen = BTreeSet::new();
    for path in files {
        let relative = path
            .strip_prefix(src)
            .expect("files lie under src/")
            .to_string_lossy()
            .replace('\\', "/");
        let file = format!("src/{relative}");
        if file == SELF || relative == "lib.rs" || relative == "main.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source files are UTF-8");
        let from = module_path(&relative)[0].clone();
        for (to, line) in imports(&relative, &text, &modules) {
            if KNOWN_EDGES.iter().any(|&(f, t, _)| f == file && t == to) {
                known_seen.insert((file.clone(), to));
                continue;
            }
            edges.push(Edge {
                from: from.clone(),
                to,
                file: file.clone(),
                line,
            });
        }
    }
    edges.sort();
    (edges, known_seen)
}

/// A cycle of the graph, as its edges in order (the first import of each), if there is one.
fn find_cycle(edges: &[Edge]) -> Option<Vec<Edge>> {
    let mut next: BTreeMap<&str, BTreeMap<&str, &Edge>> = BTreeMap::new();
    for edge in edges {
        next.entry(&edge.from)
            .or_default()
            .entry(&edge.to)
            .or_insert(edge);
    }
    // 0: not seen, 1: on the current path, 2: done.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    let mut path: Vec<&Edge> = Vec::new();
    fn visit<'a>(
        node: &'a str,
        next: &BTreeMap<&'a str, BTreeMap<&'a str, &'a Edge>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a Edge>,
    ) -> Option<Vec<Edge>> {
        state.insert(node, 1);
        for (&to, &edge) in next.get(node).into_iter().flatten() {
            path.push(edge);
            match state.get(to).copied().unwrap_or(0) {
                1 => {
                    let start = path
                        .iter()
                        .position(|e| e.from == to)
                        .expect("a node on the current path has an edge out of it on the path");
                    return Some(path[start..].iter().map(|&e| e.clone()).collect());
                }
                0 => {
                    if let Some(cycle) = visit(to, next, state, path) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
            path.pop();
        }
        state.insert(node, 2);
        None
    }
    let nodes: Vec<&str> = next.keys().copied().collect();
    for node in nodes {
        if state.get(node).copied().unwrap_or(0) == 0 {
            if let Some(cycle) = visit(node, &next, &mut state, &mut path) {
                return Some(cycle);
            }
        }
    }
    None
}

/// The modules in layer order, lowest first (each imports only modules before it), when the
/// graph is acyclic; ties in alphabetical order.
fn layers(edges: &[Edge], modules: &BTreeSet<String>) -> Vec<String> {
    let mut order = Vec::new();
    let mut left: BTreeSet<&str> = modules.iter().map(String::as_str).collect();
    while !left.is_empty() {
        let ready: Vec<&str> = left
            .iter()
            .copied()
            .filter(|m| {
                edges
                    .iter()
                    .all(|e| e.from != *m || !left.contains(e.to.as_str()))
            })
            .collect();
        assert!(!ready.is_empty(), "layers() needs an acyclic graph");
        for m in ready {
            left.remove(m);
            order.push(m.to_string());
        }
    }
    order
}

fn describe(cycle: &[Edge]) -> String {
    let mut text = String::new();
    for edge in cycle {
        text.push_str(&format!(
            "\n  {} -> {}  ({}:{})",
            edge.from, edge.to, edge.file, edge.line
        ));
    }
    text
}

#[test]
fn top_level_modules_import_each_other_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (edges, known_seen) = graph(&src);
    if let Some(cycle) = find_cycle(&edges) {
        panic!(
            "import cycle between top-level modules of src/ (issue 16): a lower layer imports \
             a higher one; move the shared item down or give the lower layer a trait:{}",
            describe(&cycle)
        );
    }
    for &(file, to, reason) in KNOWN_EDGES {
        assert!(
            known_seen.contains(&(file.to_string(), to.to_string())),
            "{file} no longer imports {to}: remove it from KNOWN_EDGES ({reason})"
        );
    }
    // The layer order, lowest first, for `cargo test layering -- --nocapture`.
    println!(
        "layers: {}",
        layers(&edges, &top_level_modules(&src)).join(" < ")
    );
}

#[test]
fn imports_are_read_from_paths_groups_and_super_chains() {
    let modules: BTreeSet<String> = ["engine", "rule", "source", "finding"]
        .map(String::from)
        .into();
    let text = "//! [`crate::engine::Engine`] is a doc link, not an import\n\
                use crate::rule::RuleSet;\n\
                use crate::{\n    engine::{Match, Span},\n    source,\n};\n\
                fn f() { let _ = crate::finding::hex(b\"\"); }\n\
                use super::super::source::Chunk;\n\
                use super::Sibling;\n";
    let found = imports("report/json.rs", text, &modules);
    assert_eq!(
        found,
        [
            ("rule".to_string(), 2),
            ("engine".to_string(), 3),
            ("source".to_string(), 3),
            ("finding".to_string(), 7),
            ("source".to_string(), 8),
        ]
    );
    // A file's imports of its own top-level module are no edge.
    assert!(imports("rule/check.rs", "use crate::rule::Rule;\n", &modules).is_empty());
}

#[test]
fn a_cycle_is_found_and_named_with_its_imports() {
    let edge = |from: &str, to: &str, line| Edge {
        from: from.into(),
        to: to.into(),
        file: format!("src/{from}.rs"),
        line,
    };
    let acyclic = [edge("scan", "engine", 1), edge("engine", "rule", 2)];
    assert_eq!(find_cycle(&acyclic), None);
    let modules: BTreeSet<String> = ["scan", "engine", "rule"].map(String::from).into();
    assert_eq!(layers(&acyclic, &modules), ["rule", "engine", "scan"]);
    let cyclic = [
        edge("scan", "engine", 1),
        edge("engine", "rule", 2),
        edge("rule", "engine", 3),
    ];
    let cycle = find_cycle(&cyclic).expect("engine -> rule -> engine is a cycle");
    assert_eq!(
        describe(&cycle),
        "\n  engine -> rule  (src/engine.rs:2)\n  rule -> engine  (src/rule.rs:3)"
    );
}
