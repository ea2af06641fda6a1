//! What each fuzz target checks, shared by the cargo-fuzz targets (`fuzz_targets/`) and by the
//! test that replays the committed corpus and every past crash (`tests/integration/fuzz_replay.rs`),
//! so a crash once found stays fixed in plain `cargo test`.
//!
//! Beyond "no panic", each check asserts what must hold for any input: spans inside the input,
//! a finding's secret standing at its span, no found secret left readable in a snippet, and
//! parsers that accept their own output.

#![allow(dead_code)] // each fuzz target uses one of these

use std::path::Path;

use aho_corasick::AhoCorasick;
use leakhound::config::{gitleaks, ProjectConfig};
use leakhound::engine::decode::{decode_percent_runs, decode_runs};
use leakhound::engine::keywords::KeywordMatcher;
use leakhound::engine::Engine;
use leakhound::filter::baseline::Baseline;
use leakhound::filter::import::Imported;
use leakhound::filter::Filters;
use leakhound::rule::{RuleFile, RuleSetBuilder};
use leakhound::scan;
use leakhound::source::archive::{ArchiveExpander, ArchiveLimits};
use leakhound::source::content::{ArchiveFormat, Expander};
use leakhound::source::decode_utf16;
use leakhound::source::pack::{Kind, Pack, Scratch};
use leakhound::source::{Provenance, VecSource};

/// Text a compiled rule set is run over after it builds (split, so this file is no finding).
const SAMPLE: &[u8] = concat!(
    "api_key = \"Xk29fjQ7",
    "pLm3VzQ8rT5wYb2N\"\nuser: admin\npassword: hunter2\n"
)
.as_bytes();

/// Paths the scan target picks from with the input's first byte: rules and allowlists keyed
/// on file names get exercised too.
const PATHS: &[&str] = &[
    "input.txt",
    ".env",
    "config/settings.yaml",
    ".npmrc",
    "src/main.rs",
    "package-lock.json",
    "id_rsa",
];

/// The built-in rule set with default filters, built once per process.
pub struct FullScanner {
    engine: Engine,
    filters: Filters,
}

impl FullScanner {
    pub fn new() -> FullScanner {
        let (engine, filters) = scan::prepare(
            &ProjectConfig::parse(Path::new(".leakhound.toml"), "")
                .expect("an empty config parses"),
            Path::new(".leakhound.toml"),
            Path::new("."),
        )
        .expect("the built-in rules build");
        FullScanner { engine, filters }
    }

    /// Scans `data` as one file and checks every finding against it.
    pub fn check(&self, data: &[u8]) {
        let path = PATHS[data.first().map_or(0, |&b| b as usize) % PATHS.len()];
        let source = VecSource {
            chunks: vec![(Provenance::file(path, path), data.to_vec())],
        };
        let result = scan::run(&source, &self.engine, &self.filters, 1, &scan::Silent);
        for finding in result.findings.iter().chain(&result.allowed) {
            let secret = finding.secret.expose();
            assert!(finding.span.end <= data.len() && finding.span.start <= finding.span.end);
            assert!(finding.match_span.end <= data.len());
            assert!(finding.location.line >= 1 && finding.location.column >= 1);
            assert!(finding.location.end_line >= finding.location.line);
            if finding.decoded.is_none() {
                assert_eq!(
                    &data[finding.span.range()],
                    secret,
                    "{}: the secret stands at its span",
                    finding.rule_id
                );
            }
            if secret.len() >= 8 {
                let shown = finding.snippet.as_bytes();
                assert!(
                    !shown.windows(secret.len()).any(|window| window == secret),
                    "{}: a snippet shows the secret it reports",
                    finding.rule_id
                );
            }
            if secret.len() >= 8 {
                let debug = format!("{finding:?}");
                assert!(
                    !debug.contains(String::from_utf8_lossy(secret).as_ref()),
                    "Debug of a finding shows its secret"
                );
            }
        }
    }
}

/// A rule file: parses, and if it compiles, runs over a sample.
pub fn rule_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if RuleFile::parse("fuzz.toml", text).is_err() {
        return;
    }
    let mut builder = RuleSetBuilder::new();
    builder.add_file("fuzz.toml", text);
    if let Ok(rules) = builder.build() {
        if let Ok(engine) = Engine::new(rules) {
            let mut scanner = engine.scanner();
            scanner.scan(SAMPLE, Some("sample.env"), &mut |m| {
                assert!(m.secret.end <= SAMPLE.len());
            });
        }
    }
}

/// Builds what a config describes (its rules and allowlists), without the built-in rules,
/// and scans a sample with it.
fn build_config(mut config: ProjectConfig) {
    config.builtin = false;
    if let Ok((engine, filters)) = scan::prepare(&config, Path::new("fuzz.toml"), Path::new(".")) {
        let source = VecSource {
            chunks: vec![(
                Provenance::file("sample.env", "sample.env"),
                SAMPLE.to_vec(),
            )],
        };
        let result = scan::run(&source, &engine, &filters, 1, &scan::Silent);
        for finding in &result.findings {
            assert!(finding.span.end <= SAMPLE.len());
        }
    }
}

/// A `.leakhound.toml`.
pub fn project_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = ProjectConfig::parse(Path::new("fuzz.toml"), text) {
        build_config(config);
    }
}

/// A gitleaks config.
pub fn gitleaks_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((config, _extends)) = gitleaks::parse(Path::new(".gitleaks.toml"), text) {
        build_config(config);
    }
}

/// A baseline: what parses writes back to text that parses to the same fingerprints, with no
/// `secret_sha256` in it. The same bytes as a file to import (`baseline --import`) never panic.
pub fn baseline(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("baseline.json");
    if let Ok(baseline) = Baseline::parse(path, text) {
        let written = baseline.to_text();
        assert!(
            !written.contains("secret_sha256"),
            "a written baseline holds no hash"
        );
        let again = Baseline::parse(path, &written).expect("a written baseline parses");
        assert_eq!(again.len(), baseline.len());
        assert_eq!(again.is_legacy(), baseline.is_legacy());
    }
    let _ = Imported::parse(path, text);
}

/// The base64/hex, percent and UTF-16 decoders: spans inside the input, output bounded.
pub fn decoders(data: &[u8]) {
    for run in decode_runs(data).iter().chain(&decode_percent_runs(data)) {
        assert!(run.span.start < run.span.end && run.span.end <= data.len());
        assert!(!run.bytes.is_empty() && run.bytes.len() <= run.span.len());
    }
    if let Some(text) = decode_utf16(data) {
        assert!(text.len() <= data.len() / 2 * 3 + 3);
    }
}

/// The keyword matcher (its AVX2 pass where the CPU has one, the plain loop on the last
/// bytes) finds exactly what a case-insensitive, overlapping Aho-Corasick automaton finds. The
/// input's first line lists the keywords, separated by spaces; the rest is the text.
pub fn keywords(data: &[u8]) {
    let (list, text) = match data.iter().position(|&byte| byte == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &data[data.len()..]),
    };
    let mut keywords: Vec<Vec<u8>> = Vec::new();
    for keyword in list.split(|&byte| byte == b' ').filter(|k| !k.is_empty()) {
        let keyword = keyword.to_ascii_lowercase();
        if keywords.len() < 64 && !keywords.contains(&keyword) {
            keywords.push(keyword);
        }
    }
    if keywords.is_empty() {
        return;
    }
    let matcher = KeywordMatcher::new(&keywords).expect("up to 64 keywords build");
    let mut found = Vec::new();
    matcher.find_all(text, &mut |id, start, end| found.push((id, start, end)));
    found.sort_unstable();
    let reference = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(&keywords)
        .expect("up to 64 keywords build");
    let mut expected: Vec<_> = reference
        .find_overlapping_iter(text)
        .map(|hit| (hit.pattern().as_usize(), hit.start(), hit.end()))
        .collect();
    expected.sort_unstable();
    assert_eq!(found, expected);
}

/// Every offline validator on any bytes: pure (the same verdict twice, for a fixed clock) and
/// never a result that repeats the secret.
pub fn validators(data: &[u8]) {
    use leakhound::validate::{Validator, Verdict};
    const NOW: i64 = 1_700_000_000;
    for name in Validator::NAMES {
        let validator = Validator::from_name(name).expect("every listed name is known");
        let verdict = validator.check(data, NOW);
        assert_eq!(verdict, validator.check(data, NOW), "{name} is not pure");
        if let Verdict::Accept(result) | Verdict::Lower(result) = &verdict {
            assert!(
                data.len() < 8 || !result.as_bytes().windows(data.len()).any(|w| w == data),
                "{name} repeats the secret in its result"
            );
        }
    }
}

/// Bytes of bases the pack target lets the reader keep (tiny, so that bases are let go and
/// derived again often), and the largest object it resolves.
const PACK_BUDGET: usize = 16 << 10;
const PACK_LIMIT: u64 = 1 << 20;

/// A pack and its index (a 4-byte big-endian index length, the index, the pack): every object
/// is resolved or reported unresolvable exactly once, and the bases kept stay within the
/// budget (plus the one base in use, and a delta's overshoot: at most twice the limit).
pub fn pack(data: &[u8]) {
    let Some((length, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let length = u32::from_be_bytes(*length) as usize;
    if length > rest.len() {
        return;
    }
    let (index, pack_bytes) = rest.split_at(length);
    let Ok(pack) = Pack::from_bytes(index.to_vec(), pack_bytes.to_vec()) else {
        return;
    };
    let mut seen = vec![false; pack.len()];
    let mut scratch = Scratch::with_budget(PACK_BUDGET);
    for kind in [Kind::Commit, Kind::Tree, Kind::Blob, Kind::Tag] {
        for root in pack.roots(kind) {
            pack.resolve_family(root, PACK_LIMIT, &mut scratch, &mut |at, content| {
                assert!(!std::mem::replace(&mut seen[at], true), "object {at} twice");
                if let Ok(content) = content {
                    assert!(content.len() as u64 <= PACK_LIMIT);
                }
            });
        }
    }
    for at in pack.unresolvable() {
        assert!(!std::mem::replace(&mut seen[at], true), "object {at} twice");
    }
    assert!(seen.iter().all(|&seen| seen), "every object once");
    assert!(scratch.peak_held() <= PACK_BUDGET + 2 * PACK_LIMIT as usize);
    for at in 0..pack.len() {
        let _ = pack.find(&pack.id(at));
    }
}

/// Limits small enough that a fuzzer meets every one of them.
const ARCHIVE_LIMITS: ArchiveLimits = ArchiveLimits {
    max_member_size: 256 << 10,
    max_total_bytes: 1 << 20,
    max_entries: 64,
    max_ratio: 200,
};

/// Any bytes opened as each archive format: members within the limits, names without
/// control characters, the whole file's expansion within its budget.
pub fn archives(data: &[u8]) {
    for format in [
        ArchiveFormat::Zip,
        ArchiveFormat::Tar,
        ArchiveFormat::Gzip,
        ArchiveFormat::Bzip2,
        ArchiveFormat::Xz,
        ArchiveFormat::Zstd,
    ] {
        let expander = ArchiveExpander::new(ARCHIVE_LIMITS);
        let (mut members, mut expanded) = (0u64, 0u64);
        let _ = expander.expand(format, data, &mut |name, bytes| {
            assert!(!name.chars().any(char::is_control), "{name:?}");
            assert!(bytes.len() as u64 <= ARCHIVE_LIMITS.max_member_size);
            members += 1;
            expanded += bytes.len() as u64;
        });
        assert!(members <= ARCHIVE_LIMITS.max_entries);
        assert!(expanded <= ARCHIVE_LIMITS.max_total_bytes);
    }
}
