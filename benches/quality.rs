//! Detection quality, as a report (`cargo bench --bench quality`), never as a pass/fail test:
//!
//! - **Recall on synthetic positives**: for every rule, strings generated from the rule's own
//!   regex (`rand_regex`, look-arounds dropped; checksummed tokens get a valid checksum) are
//!   scanned with the full engine; recall is the share the rule finds after its entropy floor
//!   and validator. Rules whose validator needs a structure random text cannot have (JWT, PEM,
//!   bech32) are listed as not measured: their examples cover them.
//! - **False positives on clean code**: real text on this machine (this project's dependency
//!   sources in the cargo registry, and Python's standard library when present) is scanned;
//!   every finding there counts against precision (some are real test fixtures of those
//!   projects). Reported per MB and per rule.

#![allow(clippy::print_stdout, reason = "the report is the output")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use leakhound::engine::Engine;
use leakhound::rule::RuleSet;
use leakhound::validate::{base62, Validator};
use rand::{Rng, SeedableRng};
use regex_syntax::hir::{Hir, HirKind};

const SAMPLES: usize = 40;

/// `hir` without look-arounds (`\b`, `^`), which `rand_regex` cannot generate.
fn strip_looks(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Look(_) => Hir::empty(),
        HirKind::Capture(capture) => Hir::capture(regex_syntax::hir::Capture {
            index: capture.index,
            name: capture.name.clone(),
            sub: Box::new(strip_looks(&capture.sub)),
        }),
        HirKind::Repetition(repetition) => Hir::repetition(regex_syntax::hir::Repetition {
            min: repetition.min,
            max: repetition.max,
            greedy: repetition.greedy,
            sub: Box::new(strip_looks(&repetition.sub)),
        }),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(strip_looks).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(strip_looks).collect()),
        _ => hir.clone(),
    }
}

/// Gives a generated GitHub or npm token a valid checksum.
fn fix_checksum(sample: &mut Vec<u8>) {
    let text = String::from_utf8_lossy(sample).into_owned();
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_"] {
        if let Some(at) = text.find(prefix) {
            let body_start = at + prefix.len();
            if text.len() >= body_start + 36 && text.is_char_boundary(body_start + 30) {
                let body = &text[body_start..body_start + 30];
                let fixed = format!(
                    "{}{}{}",
                    &text[..body_start + 30],
                    base62(crc32fast::hash(body.as_bytes()), 6),
                    &text[body_start + 36..]
                );
                *sample = fixed.into_bytes();
            }
            return;
        }
    }
    for prefix in ["cfut_", "cfat_", "cfk_"] {
        if let Some(at) = text.find(prefix) {
            let body_end = at + prefix.len() + 40;
            if text.len() >= body_end + 8 && text.is_char_boundary(body_end) {
                let checksum = crc32fast::hash(&sample[at..body_end]);
                sample.splice(
                    body_end..body_end + 8,
                    format!("{checksum:08x}").into_bytes(),
                );
            }
            return;
        }
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, budget: &mut u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if *budget == 0 {
            return;
        }
        if path.is_dir() {
            collect(&path, out, budget);
        } else if let Ok(meta) = path.metadata() {
            if meta.len() < 2_000_000 {
                *budget = budget.saturating_sub(meta.len());
                out.push(path);
            }
        }
    }
}

fn clean_corpus() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .unwrap_or_default();
    let mut budget = 150_000_000u64;
    for index in std::fs::read_dir(home.join("registry/src"))
        .into_iter()
        .flatten()
        .flatten()
    {
        collect(&index.path(), &mut files, &mut budget);
    }
    let mut python_budget = 60_000_000u64;
    for candidate in ["/usr/lib/python3.11", "/usr/lib/python3"] {
        if Path::new(candidate).is_dir() {
            collect(Path::new(candidate), &mut files, &mut python_budget);
            break;
        }
    }
    files
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let engine = Engine::new(RuleSet::builtin().expect("built-in rules")).expect("engine");
    let rules = engine.rules().rules();
    let mut scanner = engine.scanner();
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    // provider -> (generated, found, rules measured, rules not measured)
    let mut by_provider: BTreeMap<String, (usize, usize, usize, usize)> = BTreeMap::new();
    let mut weak = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let entry = by_provider.entry(rule.provider().to_string()).or_default();
        let structural = matches!(
            rule.validator,
            Some(Validator::Jwt | Validator::Pem | Validator::Bech32)
        );
        let hir = regex_syntax::ParserBuilder::new()
            .utf8(false)
            .unicode(false)
            .build()
            .parse(&rule.pattern.regex().unwrap_or_default());
        let generator = hir
            .ok()
            .and_then(|hir| rand_regex::Regex::with_hir(strip_looks(&hir), 24).ok());
        let (Some(generator), false, None) = (generator, structural, rule.path.as_ref()) else {
            entry.3 += 1;
            continue;
        };
        let mut found = 0;
        for _ in 0..SAMPLES {
            let mut sample: Vec<u8> = rng.sample(&generator);
            fix_checksum(&mut sample);
            let mut text = b"\n ".to_vec();
            text.extend_from_slice(&sample);
            text.extend_from_slice(b" \n");
            let mut hit = false;
            scanner.scan(&text, None, &mut |m| hit |= m.rule == index);
            found += usize::from(hit);
        }
        entry.0 += SAMPLES;
        entry.1 += found;
        entry.2 += 1;
        if found * 10 < SAMPLES * 9 {
            weak.push((found, rule.id.clone()));
        }
    }
    let (generated, found): (usize, usize) = by_provider
        .values()
        .fold((0, 0), |(g, f), e| (g + e.0, f + e.1));
    println!("# Detection quality\n");
    println!(
        "## Recall on synthetic positives ({SAMPLES} per rule, generated from the rule's regex)\n"
    );
    println!(
        "Overall: {found}/{generated} = {:.1}%\n",
        100.0 * found as f64 / generated.max(1) as f64
    );
    println!("| provider | rules measured | not measured | recall |\n|---|---|---|---|");
    for (provider, (g, f, measured, skipped)) in &by_provider {
        let recall = if *g == 0 {
            "n/a".to_string()
        } else {
            format!("{:.0}%", 100.0 * *f as f64 / *g as f64)
        };
        println!("| {provider} | {measured} | {skipped} | {recall} |");
    }
    weak.sort();
    println!(
        "\nRules under 90% (a generated string of the right shape fails the rule's own checks):\n"
    );
    for (found, id) in &weak {
        println!("- `{id}`: {found}/{SAMPLES}");
    }
    let files = clean_corpus();
    let mut bytes = 0u64;
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    for path in &files {
        let Ok(content) = std::fs::read(path) else {
            continue;
        };
        if leakhound::source::is_binary(&content) {
            continue;
        }
        bytes += content.len() as u64;
        let rel = path.to_string_lossy();
        scanner.scan(&content, Some(&rel), &mut |m| {
            *per_rule.entry(rules[m.rule].id.clone()).or_default() += 1
        });
    }
    let total: usize = per_rule.values().sum();
    let mb = bytes as f64 / 1e6;
    println!("\n## False positives on clean code\n");
    println!(
        "{} files, {mb:.0} MB of this machine's real source text (cargo registry, Python stdlib): {total} findings, {:.2} per MB\n",
        files.len(),
        total as f64 / mb.max(1e-9)
    );
    let mut rows: Vec<_> = per_rule.into_iter().collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.1));
    println!("| rule | findings |\n|---|---|");
    for (rule, count) in rows.iter().take(25) {
        println!("| `{rule}` | {count} |");
    }
}
