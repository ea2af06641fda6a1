//! Engine throughput with the full built-in rule set on a fixed corpus of source-like text with
//! planted fake secrets: the project's own sources and docs, repeated to 8 MiB, with a secret
//! every 64 KiB. One scanner on one thread, so the number is per core.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use leakhound::engine::Engine;
use leakhound::rule::RuleSet;

const CORPUS_SIZE: usize = 8 << 20;

fn collect_text(dir: &Path, out: &mut Vec<u8>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_text(&path, out);
        } else if path
            .extension()
            .is_some_and(|ext| ext == "rs" || ext == "md")
        {
            out.extend(std::fs::read(&path).unwrap_or_default());
        }
    }
}

fn corpus() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut text = Vec::new();
    for dir in ["src", "tests", "benches"] {
        collect_text(&root.join(dir), &mut text);
    }
    collect_text(root, &mut text);
    assert!(!text.is_empty(), "the project's sources are readable");
    let planted = [
        format!("\nAWS_ACCESS_KEY_ID=AKIA{}\n", "QYLPMN5HHHFPZAM2"),
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
    let corpus = corpus();
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Bytes(corpus.len() as u64));
    group.sample_size(20);
    group.bench_function("source-text-full-rules", |b| {
        let mut scanner = engine.scanner();
        b.iter(|| {
            let mut found = 0usize;
            scanner.scan(&corpus, Some("corpus.txt"), &mut |_| found += 1);
            found
        })
    });
    group.finish();
}

criterion_group!(benches, engine_throughput);
criterion_main!(benches);
