//! Replays the fuzz targets' seeds and every input that once crashed one (`fuzz/seeds/`,
//! `fuzz/regressions/`; the rule files in `patterns/` seed the rule-file and scan targets) through the same checks the fuzzers run, so plain `cargo test` keeps
//! past crashes fixed without cargo-fuzz or a nightly compiler.

use std::path::Path;

#[path = "../../fuzz/checks.rs"]
mod checks;

/// Every input file for `target`, with its path for messages.
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut inputs = Vec::new();
    let mut dirs = vec![
        root.join("seeds").join(target),
        root.join("regressions").join(target),
    ];
    if matches!(target, "rule_file" | "scan") {
        dirs.push(root.join("../patterns"));
    }
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                inputs.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    inputs.sort();
    inputs
}

fn replay(target: &str, check: impl Fn(&[u8])) {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "fuzz/seeds/{target} holds seeds");
    for (path, data) in inputs {
        // A panic names the input that caused it.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&data)));
        assert!(outcome.is_ok(), "{target} fails on {path}");
    }
}

#[test]
fn scan_seeds_and_regressions() {
    let scanner = checks::FullScanner::new();
    replay("scan", |data| scanner.check(data));
}

#[test]
fn keyword_seeds_and_regressions() {
    replay("keywords", checks::keywords);
}

#[test]
fn decoder_seeds_and_regressions() {
    replay("decoders", checks::decoders);
}

#[test]
fn rule_file_seeds_and_regressions() {
    replay("rule_file", checks::rule_file);
}

#[test]
fn config_seeds_and_regressions() {
    replay("project_config", checks::project_config);
    replay("gitleaks_config", checks::gitleaks_config);
}

#[test]
fn baseline_seeds_and_regressions() {
    replay("baseline", checks::baseline);
}

#[test]
fn pack_seeds_and_regressions() {
    replay("pack", checks::pack);
}

#[test]
fn validator_seeds_and_regressions() {
    replay("validators", checks::validators);
}

#[test]
fn archive_seeds_and_regressions() {
    replay("archives", checks::archives);
}
