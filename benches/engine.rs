//! Engine throughput with the full built-in rule set on a fixed corpus of real source text with
//! planted fake secrets: the sources of this project's dependencies (fixed by `Cargo.lock`, and
//! present in the cargo registry wherever the project builds: Rust, C, Markdown), 16 MiB of
//! them in a fixed order, with a fake secret every 64 KiB. A second corpus is this project's own
//! sources, which talk about tokens and keys on every line (a worst case for keyword hits). With
//! `LEAKHOUND_BENCH_SDK=DIR`, a third is 16 MiB of the JSON files under DIR (cloud SDK API
//! models, where `key`, `token`, `secret` and `password` are on most lines). One scanner on one
//! thread, so the numbers are per core.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use leakhound::engine::Engine;
use leakhound::rule::RuleSet;

const CORPUS_SIZE: usize = 16 << 20;

fn collect_text(dir: &Path, out: &mut Vec<u8>) {
    collect_files(dir, &["rs", "md"], out);
}

/// Appends the files under `dir` whose extension is one of `extensions`, in path order, until
/// `out` holds [`CORPUS_SIZE`] bytes.
fn collect_files(dir: &Path, extensions: &[&str], out: &mut Vec<u8>) {
    if out.len() >= CORPUS_SIZE {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_files(&path, extensions, out);
        } else if path
            .extension()
            .is_some_and(|ext| extensions.iter().any(|wanted| ext == *wanted))
        {
            out.extend(std::fs::read(&path).unwrap_or_default());
        }
    }
}

/// The registry directories of the packages in `Cargo.lock`, sorted.
fn dependency_dirs() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .unwrap_or_default();
    let mut names = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(value) = line.strip_prefix("name = ") {
            name = Some(value.trim_matches('"').to_string());
        } else if let (Some(value), Some(n)) = (line.strip_prefix("version = "), name.take()) {
            names.push(format!("{n}-{}", value.trim_matches('"')));
        }
    }
    names.sort();
    let mut dirs = Vec::new();
    for index in std::fs::read_dir(cargo_home.join("registry/src"))
        .into_iter()
        .flatten()
        .flatten()
    {
        for name in &names {
            let dir = index.path().join(name);
            if dir.is_dir() {
                dirs.push(dir);
            }
        }
    }
    dirs
}

fn project_sources() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut text = Vec::new();
    for dir in ["src", "tests", "benches"] {
        collect_text(&root.join(dir), &mut text);
    }
    text
}

fn dependency_sources() -> Vec<u8> {
    let mut text = Vec::new();
    for dir in dependency_dirs() {
        collect_text(&dir, &mut text);
        if text.len() >= CORPUS_SIZE {
            break;
        }
    }
    if text.is_empty() {
        // No registry (vendored build): fall back to the project's own sources.
        text = project_sources();
    }
    text
}

fn corpus(text: &[u8]) -> Vec<u8> {
    assert!(!text.is_empty(), "the corpus sources are readable");
    let planted = [
        format!("\nAWS_ACCESS_KEY_ID=AKIA{}\n", "Z7WQ3RDXK5HPNM2T"),
        format!(
            "\nslack_token = \"xoxb-{}-{}-{}\"\n",
            "263594206564", "2966681186916", "LJwQfWcE8yoAUZzqyBW3anbE"
        ),
        format!(
            "\nDATABASE_URL=postgres://app:{}@db:5432/app\n",
            "Xk29fjQ7pLm3Vz"
        ),
    ];
    let mut corpus = Vec::with_capacity(CORPUS_SIZE + 1024);
    let mut next_plant = 0;
    while corpus.len() < CORPUS_SIZE {
        for chunk in text.chunks(64 * 1024) {
            corpus.extend_from_slice(chunk);
            corpus.extend_from_slice(planted[next_plant % planted.len()].as_bytes());
            next_plant += 1;
        }
    }
    corpus.truncate(CORPUS_SIZE);
    corpus
}

fn engine_throughput(c: &mut Criterion) {
    let engine =
        Engine::new(RuleSet::builtin().expect("built-in rules compile")).expect("engine builds");
    let mut group = c.benchmark_group("engine");
    group.sample_size(20);
    let mut corpora = vec![
        ("dependency-sources", dependency_sources()),
        ("own-sources", project_sources()),
    ];
    // Keyword-dense generated JSON (cloud SDK API models): not on every machine, so measured
    // only when LEAKHOUND_BENCH_SDK names a directory of it, such as the one
    // `bench/compare.py` downloads (/var/tmp/leakhound-bench/sdk).
    if let Some(dir) = std::env::var_os("LEAKHOUND_BENCH_SDK") {
        let mut json = Vec::new();
        collect_files(Path::new(&dir), &["json"], &mut json);
        corpora.push(("sdk-json", json));
    }
    for (name, text) in corpora {
        let corpus = corpus(&text);
        group.throughput(Throughput::Bytes(corpus.len() as u64));
        group.bench_function(name, |b| {
            let mut scanner = engine.scanner();
            b.iter(|| {
                let mut found = 0usize;
                scanner.scan(&corpus, Some("corpus.txt"), &mut |_| found += 1);
                found
            })
        });
    }
    group.finish();
}

criterion_group!(benches, engine_throughput);
criterion_main!(benches);
