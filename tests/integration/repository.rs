//! The repository itself: every path the README names exists, and nothing in the tests,
//! benchmarks or build reads outside the repository (so `cargo test` passes on a user's clone).

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Top-level directories whose paths the README names in backticks.
const REPOSITORY_DIRS: [&str; 12] = [
    ".ci", "action", "bench", "benches", "docs", "examples", "fuzz", "hooks", "patterns", "src",
    "tests", ".github",
];

/// The README's text outside fenced code blocks.
fn readme_prose() -> String {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut fenced = false;
    let mut prose = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    prose
}

/// GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Markdown link targets `[text](target)` in `prose`.
fn link_targets(prose: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = prose;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        if let Some(end) = rest.find(')') {
            targets.push(rest[..end].to_string());
        }
    }
    targets
}

/// Problems with the relative paths and links in `prose`, given the README's anchors.
fn broken_references(prose: &str, anchors: &[String]) -> Vec<String> {
    let check_path = |path: &str, what: &str| -> Option<String> {
        if path.starts_with("../") || path.starts_with('/') {
            return Some(format!("{what} {path}: outside the repository"));
        }
        // `patterns/<provider>.toml`, `patterns/*.toml`: the directory before a placeholder.
        let end = path.find(['<', '*', '{', '[']).unwrap_or(path.len());
        let existing = match path[..end].rfind('/') {
            Some(slash) if end < path.len() => &path[..slash],
            _ => path,
        };
        let exists = root().join(existing.trim_end_matches('/')).exists();
        (!exists).then(|| format!("{what} {path}: no such file in the repository"))
    };
    let mut broken = Vec::new();
    for target in link_targets(prose) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        if let Some(fragment) = target.strip_prefix('#') {
            if !anchors.iter().any(|a| a == fragment) {
                broken.push(format!("link #{fragment}: no such heading"));
            }
            continue;
        }
        broken.extend(check_path(target.split('#').next().unwrap_or(""), "link"));
    }
    for (index, span) in prose.split('`').enumerate() {
        // Odd pieces are inside backticks; the first word is the path (`bench/x.sh PATH`).
        let Some(word) = span.split_whitespace().next().filter(|_| index % 2 == 1) else {
            continue;
        };
        let outside = word.starts_with("../");
        let in_repository = REPOSITORY_DIRS
            .iter()
            .any(|dir| word.strip_prefix(dir).is_some_and(|r| r.starts_with('/')));
        if outside || in_repository {
            broken.extend(check_path(word, "path"));
        }
    }
    broken
}

#[test]
fn every_relative_link_and_path_in_the_readme_exists() {
    let prose = readme_prose();
    let anchors: Vec<String> = prose
        .lines()
        .filter_map(|line| line.strip_prefix('#'))
        .map(|heading| anchor(heading.trim_start_matches('#')))
        .collect();
    let broken = broken_references(&prose, &anchors);
    assert!(broken.is_empty(), "README.md:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_check_finds_what_is_missing() {
    let anchors = vec!["usage".to_string()];
    let prose = "See [a](docs/NOPE.md), [b](#usage), [c](#nope), [d](https://x.y/z),\n\
                 `examples/nope.yml`, `bench/compare.sh --runs 3`, `patterns/<vendor>.toml`,\n\
                 `../other/DESIGN.md`, `origin/main`, `hooks/pre-commit`.";
    assert_eq!(
        broken_references(prose, &anchors),
        [
            "link docs/NOPE.md: no such file in the repository",
            "link #nope: no such heading",
            "path examples/nope.yml: no such file in the repository",
            "path ../other/DESIGN.md: outside the repository",
        ]
    );
}

/// Every file under `dir` (recursively), skipping build output.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if matches!(
            name.to_str(),
            Some("target" | "corpus" | "artifacts" | "snapshots")
        ) {
            continue;
        }
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn nothing_reads_outside_the_repository() {
    // Files beside the repository (a shared folder of the workplace) are not in a user's clone.
    let mut files = vec![root().join("build.rs"), root().join(".ci/run")];
    for dir in ["src", "tests", "benches", "bench", "fuzz"] {
        files_under(&root().join(dir), &mut files);
    }
    let needle = concat!("..", "/shared");
    let mut offenders = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue; // binary fixtures
        };
        for (number, line) in text.lines().enumerate() {
            if line.contains(needle) || line.contains(concat!("/work", "/shared")) {
                offenders.push(format!("{}:{}: {line}", file.display(), number + 1));
            }
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}
