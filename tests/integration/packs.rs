//! History read from pack files (`source::pack`): the same findings, provenance and counts as
//! from loose objects, whatever mix of packs, deltas and loose objects holds the history; the
//! pack reader agrees with libgit2 on every object; damage never crashes it.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use leakhound::source::pack::{Id, Kind, Pack, Scratch};
use rand::{Rng, SeedableRng as _};

use crate::util::{
    aws_key_id, github_pat, json_with_code, leakhound, slack_bot_token, with_rng, TempRepo,
    FINDINGS,
};

/// Secrets planted in the history, made once so that two repositories built from them hold
/// the very same objects.
struct Planted {
    tokens: Vec<String>,
}

impl Planted {
    fn new() -> Planted {
        Planted {
            tokens: vec![github_pat(), aws_key_id(), slack_bot_token(), github_pat()],
        }
    }
}

/// 200 lines of text, with line `changed` edited: consecutive versions delta well.
fn config_text(changed: usize, secret_line: Option<&str>) -> String {
    (0..200)
        .map(|line| match (line, secret_line) {
            (5, Some(secret)) => format!("TOKEN = \"{secret}\"\n"),
            _ if line == changed % 200 => format!("setting_{line} = {changed} # edited\n"),
            _ => format!("setting_{line} = {line} # a line of ordinary configuration\n"),
        })
        .collect()
}

/// Commits steps `steps` of one fixed history: edits that delta, a secret added and removed,
/// an encoded secret, the same blob at two paths, binaries, a keystore (binary and text), an
/// oversized file, deep directories, and a side branch.
fn build(repo: &mut TempRepo, planted: &Planted, steps: std::ops::Range<usize>) {
    let [pat, aws, slack, late] = &planted.tokens[..] else {
        unreachable!("four tokens")
    };
    for step in steps {
        let secret = (10..20).contains(&step).then_some(pat.as_str());
        repo.stage("src/app/config.py", config_text(step, secret));
        repo.stage(
            "docs/notes/readme.md",
            format!(
                "# Notes\n\nrevision {step}\n{}",
                "Ordinary prose.\n".repeat(40)
            ),
        );
        match step {
            15 => {
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("aws_access_key_id = {aws}\n"));
                repo.stage("deploy/values.yaml", format!("blob: {encoded}\n"));
            }
            25 => repo.stage(
                "data/huge.txt",
                format!("{}{late}\n", "padding line\n".repeat(2000)),
            ),
            30 => repo.stage("keys/cert.p12", [0x30, 0x82, 0, 0, 1, 2, 3].repeat(20)),
            35 => repo.stage("backup/config.py", config_text(step, None)),
            36 => repo.stage("backup/config.py", config_text(step, secret)),
            40 => repo.stage("assets/logo.png", [0x89, b'P', b'N', b'G', 0, 0].repeat(50)),
            42 => {
                repo.branch("feature");
                repo.commit_file("feature/slack.txt", format!("{slack}\n"), "side branch");
                repo.checkout("master");
            }
            45 => repo.stage("deep/a/b/c/d/e/leak.env", format!("GITHUB_TOKEN={late}\n")),
            50 => repo.remove("deep/a/b/c/d/e/leak.env"),
            55 => repo.stage("docs/notes.p12", "a text file with a keystore's name\n"),
            _ => {}
        }
        repo.commit(&format!("step {step}"));
    }
}

/// The findings (every field but timing-free ones kept) and counts of `history`, in a stable
/// order.
fn history(repo: &TempRepo, extra: &[&str]) -> (Vec<serde_json::Value>, serde_json::Value) {
    let output = leakhound()
        .current_dir(repo.path())
        .args(["history", "--format", "json", "--max-file-size", "20000"])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut findings = report["findings"].as_array().unwrap().clone();
    findings.sort_by_key(|f| {
        (
            f["rule_id"].to_string(),
            f["path"].to_string(),
            f["line"].as_u64(),
            f["commit"]["id"].to_string(),
        )
    });
    report["stats"]["elapsed_ms"] = 0.into();
    (findings, report["stats"].clone())
}

fn pack_indexes(repo: &TempRepo) -> Vec<PathBuf> {
    let mut indexes: Vec<PathBuf> = std::fs::read_dir(repo.path().join(".git/objects/pack"))
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "idx"))
        .collect();
    indexes.sort();
    indexes
}

fn deltas_in(index: &Path) -> usize {
    let output = std::process::Command::new("git")
        .args(["verify-pack", "-v"])
        .arg(index)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.split_whitespace().count() == 7)
        .count()
}

#[test]
fn packed_history_reports_exactly_what_loose_history_does() {
    let planted = Planted::new();
    let mut loose = TempRepo::new();
    build(&mut loose, &planted, 0..60);
    let (expected, expected_stats) = history(&loose, &[]);
    let rules: Vec<&str> = expected
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    for rule in [
        "github.pat-classic",
        "aws.access-key-id",
        "private-key.pkcs12-file",
    ] {
        assert!(rules.contains(&rule), "{rule} in {rules:?}");
    }
    assert_eq!(expected_stats["skipped_too_large"], 1);
    assert!(expected_stats["skipped_binary"].as_u64() >= Some(2));

    // The same history, three ways: one pack, then loose commits on top; then a second pack
    // of those and more loose commits; then a third pack holding every object again.
    let mut mixed = TempRepo::new();
    build(&mut mixed, &planted, 0..20);
    mixed.git(&["repack", "-adfq", "--window=50", "--depth=50"]);
    mixed.git(&["prune-packed", "-q"]);
    assert!(
        deltas_in(&pack_indexes(&mixed)[0]) > 20,
        "the pack has deltas"
    );
    build(&mut mixed, &planted, 20..40);
    assert_eq!(
        history(&mixed, &[]).0.len(),
        history_of_prefix(&planted, 40)
    );
    mixed.git(&["repack", "-dq"]);
    mixed.git(&["prune-packed", "-q"]);
    assert_eq!(pack_indexes(&mixed).len(), 2);
    build(&mut mixed, &planted, 40..60);
    assert_eq!(
        history(&mixed, &[]),
        (expected.clone(), expected_stats.clone())
    );

    let status = std::process::Command::new("sh")
        .args([
            "-c",
            "git rev-list --objects --all | git pack-objects -q .git/objects/pack/pack",
        ])
        .current_dir(mixed.path())
        .stdout(std::process::Stdio::null())
        .stdin(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        pack_indexes(&mixed).len(),
        3,
        "every object is now in two packs"
    );
    assert_eq!(
        history(&mixed, &[]),
        (expected.clone(), expected_stats.clone())
    );

    mixed.git(&["repack", "-adfq", "--window=50", "--depth=50"]);
    mixed.git(&["prune-packed", "-q"]);
    assert_eq!(history(&mixed, &[]), (expected, expected_stats));
}

/// The number of findings of the first `steps` steps, from loose objects.
fn history_of_prefix(planted: &Planted, steps: usize) -> usize {
    let mut repo = TempRepo::new();
    build(&mut repo, planted, 0..steps);
    history(&repo, &[]).0.len()
}

#[test]
fn packed_history_names_skipped_blobs_with_verbose() {
    let planted = Planted::new();
    let mut repo = TempRepo::new();
    build(&mut repo, &planted, 0..45);
    repo.git(&["repack", "-adfq"]);
    repo.git(&["prune-packed", "-q"]);
    let output = leakhound()
        .current_dir(repo.path())
        .args(["history", "-v", "--max-file-size", "20000"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    for line in [
        "skipped assets/logo.png: binary",
        "skipped keys/cert.p12: binary",
        "data/huge.txt: not scanned: 26",
    ] {
        assert!(stderr.contains(line), "{line} in {stderr}");
    }
}

#[test]
fn all_objects_finds_an_unreachable_blob_in_a_pack() {
    let (repo, _) = TempRepo::with_unreachable_leak();
    repo.git(&["repack", "-adkq"]); // -k: keep unreachable objects in the pack
    repo.git(&["prune-packed", "-q"]);
    let output = leakhound()
        .current_dir(repo.path())
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "unreachable: not in plain history"
    );
    let findings = history_with_code(&repo, FINDINGS, &["--all-objects"]);
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0]["path"], "leak.txt",
        "the dropped commit still names it"
    );
}

/// The findings of `history --format json <extra>`, which must exit with `code`.
fn history_with_code(repo: &TempRepo, code: i32, extra: &[&str]) -> Vec<serde_json::Value> {
    let output = leakhound()
        .current_dir(repo.path())
        .args(["history", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let report = json_with_code(&output, code, extra);
    report["findings"].as_array().unwrap().clone()
}

/// Every object of `index`'s pack, resolved by the reader: `(id, content)`, or the count of
/// objects it could not resolve.
fn resolve_all(index: &Path) -> (Vec<(Id, Vec<u8>)>, usize) {
    let pack = Pack::open(index).unwrap();
    let mut resolved = Vec::new();
    let mut failed = 0;
    let mut scratch = Scratch::default();
    for kind in [Kind::Commit, Kind::Tree, Kind::Blob, Kind::Tag] {
        for root in pack.roots(kind) {
            pack.resolve_family(
                root,
                1 << 30,
                &mut scratch,
                &mut |at, content| match content {
                    Ok(bytes) => resolved.push((pack.id(at), bytes.to_vec())),
                    Err(_) => failed += 1,
                },
            );
        }
    }
    (resolved, failed + pack.unresolvable().count())
}

#[test]
fn the_pack_reader_agrees_with_libgit2_on_every_object() {
    let planted = Planted::new();
    let mut repo = TempRepo::new();
    build(&mut repo, &planted, 0..60);
    repo.git(&["repack", "-adfq", "--window=50", "--depth=50"]);
    let index = &pack_indexes(&repo)[0];
    assert!(deltas_in(index) > 50);
    let (resolved, failed) = resolve_all(index);
    assert_eq!(failed, 0);
    let pack = Pack::open(index).unwrap();
    assert_eq!(resolved.len(), pack.len(), "every object once");
    let odb = repo.repo.odb().unwrap();
    for (id, content) in &resolved {
        let object = odb.read(git2::Oid::from_bytes(id).unwrap()).unwrap();
        assert_eq!(object.data(), &content[..], "object {}", object.id());
        assert_eq!(pack.find(id).map(|at| pack.id(at)), Some(*id));
    }
}

#[test]
fn a_damaged_pack_is_read_without_a_crash() {
    let planted = Planted::new();
    let mut repo = TempRepo::new();
    build(&mut repo, &planted, 0..30);
    repo.git(&["repack", "-adfq", "--window=50", "--depth=50"]);
    let index = pack_indexes(&repo)[0].clone();
    let pack_bytes = std::fs::read(index.with_extension("pack")).unwrap();
    let index_bytes = std::fs::read(&index).unwrap();
    let scratch_dir = tempfile::tempdir().unwrap();
    let damaged_index = scratch_dir.path().join("pack-damaged.idx");
    let mut rng = rand::rngs::StdRng::seed_from_u64(with_rng(|rng| rng.random()));
    for round in 0..200 {
        let mut pack = pack_bytes.clone();
        let mut idx = index_bytes.clone();
        // Mostly the objects; sometimes the index's offsets or the pack's header too.
        let target: &mut Vec<u8> = if round % 5 == 0 { &mut idx } else { &mut pack };
        for _ in 0..rng.random_range(1..16) {
            let at = rng.random_range(0..target.len());
            target[at] ^= rng.random_range(1..=255u8);
        }
        std::fs::write(&damaged_index, &idx).unwrap();
        std::fs::write(damaged_index.with_extension("pack"), &pack).unwrap();
        if Pack::open(&damaged_index).is_ok() {
            let (resolved, failed) = resolve_all(&damaged_index);
            assert!(resolved.len() + failed > 0);
        }
    }
}

/// An object of a pack written by hand: whole (its type code and content), or an `OFS_DELTA`
/// on an earlier object (its index in the list) with the delta's instructions.
enum Raw {
    Whole(u8, Vec<u8>),
    Delta(usize, Vec<u8>),
}

/// The bytes of a version 2 pack holding `objects` in that order, trailer included.
fn pack_bytes(objects: &[Raw]) -> Vec<u8> {
    use sha1::Digest as _;
    use std::io::Write as _;
    let mut out = b"PACK".to_vec();
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(&(objects.len() as u32).to_be_bytes());
    let mut offsets = Vec::new();
    for object in objects {
        let offset = out.len();
        offsets.push(offset);
        let (code, data) = match object {
            Raw::Whole(code, data) => (*code, data),
            Raw::Delta(_, data) => (6, data),
        };
        let mut size = data.len();
        let mut byte = (code << 4) | (size & 15) as u8;
        size >>= 4;
        while size > 0 {
            out.push(byte | 0x80);
            byte = (size & 0x7f) as u8;
            size >>= 7;
        }
        out.push(byte);
        if let Raw::Delta(base, _) = object {
            // Big-endian base 128, each continuation byte meaning one more (git's encoding).
            let mut distance = offset - offsets[*base];
            let mut bytes = vec![(distance & 0x7f) as u8];
            distance >>= 7;
            while distance > 0 {
                distance -= 1;
                bytes.push(0x80 | (distance & 0x7f) as u8);
                distance >>= 7;
            }
            bytes.reverse();
            out.extend_from_slice(&bytes);
        }
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(data).unwrap();
        out.extend_from_slice(&zlib.finish().unwrap());
    }
    let trailer = sha1::Sha1::digest(&out);
    out.extend_from_slice(&trailer);
    out
}

fn delta_varint(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A delta turning a base of `base_len` bytes into its first `keep` bytes followed by
/// `insert` (at most 127 bytes).
fn delta(base_len: usize, keep: usize, insert: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    delta_varint(base_len, &mut out);
    delta_varint(keep + insert.len(), &mut out);
    let mut at = 0;
    while at < keep {
        let size = (keep - at).min(0xff_ffff);
        let mut op = 0x80u8;
        let mut args = Vec::new();
        for byte in 0..4 {
            if (at >> (8 * byte)) & 0xff != 0 {
                op |= 1 << byte;
                args.push((at >> (8 * byte)) as u8);
            }
        }
        for byte in 0..3 {
            if (size >> (8 * byte)) & 0xff != 0 {
                op |= 0x10 << byte;
                args.push((size >> (8 * byte)) as u8);
            }
        }
        out.push(op);
        out.extend_from_slice(&args);
        at += size;
    }
    out.push(insert.len() as u8);
    out.extend_from_slice(insert);
    out
}

/// A base blob of `size` bytes and a family of deltas on it, in a repository that git itself
/// indexed and checked (`git index-pack`, `git fsck`); returns the repository and the index.
fn hostile_family(size: usize, shape: impl Fn(&mut Vec<Raw>)) -> (TempRepo, PathBuf) {
    let repo = TempRepo::new();
    let base: Vec<u8> = (0..size).map(|i| b"0123456789abcdef\n"[i % 17]).collect();
    let mut objects = vec![Raw::Whole(3, base)];
    shape(&mut objects);
    let pack = repo.path().join(".git/objects/pack/pack-hostile.pack");
    std::fs::create_dir_all(pack.parent().unwrap()).unwrap();
    std::fs::write(&pack, pack_bytes(&objects)).unwrap();
    let index = pack.with_extension("idx");
    for args in [
        &[
            "index-pack",
            "-o",
            index.to_str().unwrap(),
            pack.to_str().unwrap(),
        ][..],
        &["fsck", "--no-dangling", "--no-progress"][..],
    ] {
        let output = std::process::Command::new("git")
            .args(args)
            .current_dir(repo.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "git accepts the pack: {args:?}");
    }
    (repo, index)
}

/// Every blob of the pack resolved with `scratch`: each id matches its content's hash.
fn resolve_and_verify(index: &Path, scratch: &mut Scratch) -> usize {
    let pack = Pack::open(index).unwrap();
    let mut seen = vec![false; pack.len()];
    for root in pack.roots(Kind::Blob) {
        pack.resolve_family(root, 1 << 30, scratch, &mut |at, content| {
            let content = content.expect("every object resolves");
            let id = git2::Oid::hash_object(git2::ObjectType::Blob, content).unwrap();
            assert_eq!(id.as_bytes(), &pack.id(at)[..], "object {at}");
            assert!(!std::mem::replace(&mut seen[at], true), "{at} once");
        });
    }
    assert!(seen.iter().all(|&seen| seen), "every object");
    pack.len()
}

/// Issue 15, item 4: a base and a chain of deltas on it, each level with a leaf delta after
/// it (a 33 KB pack git accepts, with a 24 MB base) made the reader keep every ancestor: 971 MB
/// at depth 40. It now keeps the base it is applying and no other.
#[test]
fn issue_15_a_chain_of_deltas_with_leaves_keeps_one_base_not_every_ancestor() {
    const SIZE: usize = 1 << 20;
    const DEPTH: usize = 40;
    let (_repo, index) = hostile_family(SIZE, |objects| {
        let mut parent = 0;
        for level in 1..=DEPTH {
            let chain = objects.len();
            objects.push(Raw::Delta(
                parent,
                delta(SIZE, SIZE - 16, format!("chain {level:09}\n").as_bytes()),
            ));
            objects.push(Raw::Delta(
                parent,
                delta(SIZE, SIZE - 16, format!("leaf  {level:09}\n").as_bytes()),
            ));
            parent = chain;
        }
    });
    let mut scratch = Scratch::default();
    assert_eq!(resolve_and_verify(&index, &mut scratch), 2 * DEPTH + 1);
    assert!(
        scratch.peak_held() <= 2 * SIZE,
        "held {} bytes of bases for {SIZE}-byte objects",
        scratch.peak_held()
    );
    assert_eq!(scratch.derived_again(), 0, "nothing to derive again");
}

/// Issue 15, item 4, whatever the family's shape: a balanced tree of deltas, where the largest
/// family last cannot keep the bases few, stays within the byte budget; bases let go are
/// derived again, and every object still comes out right.
#[test]
fn issue_15_any_family_shape_stays_within_the_byte_budget() {
    const SIZE: usize = 64 << 10;
    let (_repo, index) = hostile_family(SIZE, |objects| {
        // Each object at depth < 7 gets two deltas, each with a family of its own.
        let mut level = vec![0];
        for depth in 0..7 {
            let mut next = Vec::new();
            for &parent in &level {
                for side in 0..2 {
                    next.push(objects.len());
                    let insert = format!("{depth:02} {parent:06} {side:05}\n");
                    objects.push(Raw::Delta(
                        parent,
                        delta(SIZE, SIZE - 16, insert.as_bytes()),
                    ));
                }
            }
            level = next;
        }
    });
    let budget = 3 * SIZE;
    let mut scratch = Scratch::with_budget(budget);
    assert_eq!(resolve_and_verify(&index, &mut scratch), 255);
    assert!(
        scratch.peak_held() <= budget,
        "held {} bytes over a budget of {budget}",
        scratch.peak_held()
    );
    assert!(scratch.derived_again() > 0, "the budget was needed");
    // With room for every base, none is derived again.
    let mut roomy = Scratch::with_budget(64 * SIZE);
    resolve_and_verify(&index, &mut roomy);
    assert_eq!(roomy.derived_again(), 0);
    assert!(roomy.peak_held() > budget);
}
