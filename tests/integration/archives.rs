//! Archives and compressed files: every format opened in memory, nested paths, the limits
//! that stop a decompression bomb, hostile member names, `--no-archives`.

use std::io::Write;

use crate::util::{found, leakhound, random, TempTree, CLEAN, FINDINGS};

/// A file holding one AWS secret access key under its usual name (random, never a real key).
fn secret_file() -> String {
    let key = random(BASE64_CHARS, 40);
    format!("region = eu-west-1\naws_secret_access_key = {key}\n")
}

const BASE64_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in members {
            zip.start_file(*name, options).unwrap();
            zip.write_all(content).unwrap();
        }
        zip.finish().unwrap();
    }
    out.into_inner()
}

pub fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, content) in members {
        // The name goes into the header as it is: the builder would refuse `..`, an archive
        // someone crafted does not.
        let mut header = tar::Header::new_ustar();
        header.as_ustar_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        tar.append(&header, *content).unwrap();
    }
    tar.into_inner().unwrap()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn bzip2(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    lzma_rs::xz_compress(&mut std::io::Cursor::new(bytes), &mut out).unwrap();
    out
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 3).unwrap()
}

fn paths(report: &serde_json::Value) -> Vec<String> {
    found(report).into_iter().map(|(_, path, _)| path).collect()
}

/// `leakhound scan --format json <args>` in `tree`: the exit code, the report, stderr.
fn scan(tree: &TempTree, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), report, stderr)
}

#[test]
fn secrets_in_every_archive_format_are_found_with_the_chain_in_the_path() {
    let tree = TempTree::new();
    let env = secret_file();
    let env = env.as_bytes();
    tree.write("dist/app.zip", zip_of(&[("conf/app.env", env)]));
    let jar = zip_of(&[("BOOT-INF/classes/application.properties", env)]);
    tree.write("dist/app.apk", zip_of(&[("lib/inner.jar", &jar)]));
    tree.write("dist/site.tar.gz", gzip(&tar_of(&[("etc/site.env", env)])));
    tree.write("dist/plain.tar", tar_of(&[("etc/plain.env", env)]));
    tree.write("dist/conf.env.gz", gzip(env));
    tree.write("dist/conf.env.bz2", bzip2(env));
    tree.write("dist/conf.env.xz", xz(env));
    tree.write("dist/conf.env.zst", zstd(env));
    tree.write("dist/pkg.whl", zip_of(&[("pkg/settings.env", env)]));
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(
        paths(&report),
        [
            "dist/app.apk!lib/inner.jar!BOOT-INF/classes/application.properties",
            "dist/app.zip!conf/app.env",
            "dist/conf.env.bz2",
            "dist/conf.env.gz",
            "dist/conf.env.xz",
            "dist/conf.env.zst",
            "dist/pkg.whl!pkg/settings.env",
            "dist/plain.tar!etc/plain.env",
            "dist/site.tar.gz!etc/site.env",
        ]
    );
    // Each at its line inside the member, the secret redacted as anywhere else.
    assert!(found(&report).iter().all(|(_, _, line)| *line == 2));
    // --no-archives skips them all as binary.
    let report = tree.scan_json(CLEAN, &["--no-archives"]);
    assert_eq!(report["stats"]["skipped_binary"], 9);
}

#[test]
fn a_zip_bomb_is_stopped_and_reported_and_the_rest_of_the_archive_is_scanned() {
    let tree = TempTree::new();
    let zeros = vec![0u8; 60 << 20];
    let env = secret_file();
    tree.write(
        "bomb.zip",
        zip_of(&[("zeros.bin", &zeros), ("real.env", env.as_bytes())]),
    );
    // Nested: a bomb inside an archive inside an archive.
    let inner = zip_of(&[("zeros.bin", &zeros)]);
    tree.write("nested.zip", zip_of(&[("a/inner.zip", &inner)]));
    let (code, report, stderr) = scan(&tree, &[]);
    assert_eq!(code, Some(FINDINGS));
    assert_eq!(paths(&report), ["bomb.zip!real.env"]);
    for archive in ["bomb.zip", "nested.zip"] {
        assert!(
            stderr
                .lines()
                .any(|line| line.contains(archive) && line.contains("decompression bomb")),
            "{stderr}"
        );
    }
}

#[test]
fn a_member_over_the_size_limit_is_reported_not_scanned() {
    let tree = TempTree::new();
    // Random lines: they compress about twice, far from the bomb ratio.
    let filler: String = (0..3_000)
        .map(|_| format!("id = {}\n", random(b"0123456789abcdef", 64)))
        .collect();
    let big = format!("{filler}{}", secret_file());
    tree.write("big.zip", zip_of(&[("big.env", big.as_bytes())]));
    let (code, _, stderr) = scan(&tree, &["--max-file-size", "150000"]);
    assert_eq!(code, Some(CLEAN), "{stderr}");
    assert!(
        stderr.contains("big.zip") && stderr.contains("big.env: larger than"),
        "{stderr}"
    );
}

#[test]
fn hostile_member_names_are_labels_never_paths_and_never_raw_control_characters() {
    let tree = TempTree::new();
    let env = secret_file();
    let names = [
        "../../../etc/evil.env",
        "/abs/evil.env",
        "esc\x1b[31mred.env",
    ];
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (*n, env.as_bytes())).collect();
    tree.write("hostile.zip", zip_of(&members));
    tree.write("hostile.tar", tar_of(&[("../up.env", env.as_bytes())]));
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(
        paths(&report),
        [
            "hostile.tar!../up.env",
            "hostile.zip!../../../etc/evil.env",
            "hostile.zip!/abs/evil.env",
            "hostile.zip!esc\\x1b[31mred.env",
        ]
    );
    // Nothing was written outside (or inside) the tree.
    let entries: Vec<_> = std::fs::read_dir(tree.path()).unwrap().collect();
    assert_eq!(entries.len(), 2);
    // The human report carries no raw escape either.
    let output = leakhound()
        .current_dir(tree.path())
        .arg("scan")
        .output()
        .unwrap();
    assert!(!output.stdout.contains(&0x1b));
    assert!(!output.stderr.contains(&0x1b));
}

#[test]
fn a_corrupt_archive_is_one_error_and_the_scan_goes_on() {
    let tree = TempTree::new();
    let mut broken = zip_of(&[("a.env", secret_file().as_bytes())]);
    broken.truncate(broken.len() / 2);
    tree.write("broken.zip", broken);
    let mut gz = gzip(secret_file().as_bytes());
    gz.truncate(12);
    tree.write("broken.env.gz", gz);
    tree.write("ok.env", secret_file());
    let (code, report, _) = scan(&tree, &[]);
    assert_eq!(code, Some(FINDINGS));
    assert_eq!(paths(&report), ["ok.env"]);
    assert_eq!(report["stats"]["errors"], 2);
}

#[test]
fn history_opens_committed_archives_and_names_the_commit_that_added_them() {
    let mut repo = crate::util::TempRepo::new();
    repo.stage("README.md", "# app\n");
    repo.commit("start");
    let env = secret_file();
    repo.stage("dist/app.zip", zip_of(&[("conf/app.env", env.as_bytes())]));
    let added = repo.commit("ship the build");
    repo.remove("dist/app.zip");
    repo.commit("drop the build");
    // Loose objects first, then packed: the pack pass prescreens blobs differently.
    for packed in [false, true] {
        if packed {
            repo.git(&["gc", "--quiet"]);
        }
        let report = repo.json(FINDINGS, &["history", "."]);
        let findings = report["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 1, "packed: {packed}");
        assert_eq!(findings[0]["path"], "dist/app.zip!conf/app.env");
        assert_eq!(findings[0]["commit"]["id"], added.to_string());
    }
    // Skipped as binary when asked.
    repo.json(CLEAN, &["history", ".", "--no-archives"]);
}

#[test]
fn a_compressed_tar_larger_than_a_member_may_be_is_read_member_by_member() {
    let tree = TempTree::new();
    // Three members of random text, 120 KB each, and the secret last: the tar is bigger than
    // --max-file-size, every member smaller.
    let filler = || -> String {
        (0..1_800)
            .map(|_| format!("id = {}\n", random(b"0123456789abcdef", 60)))
            .collect()
    };
    let (a, b, c) = (filler(), filler(), filler());
    let env = secret_file();
    let tar = tar_of(&[
        ("a.txt", a.as_bytes()),
        ("b.txt", b.as_bytes()),
        ("c.txt", c.as_bytes()),
        ("conf/app.env", env.as_bytes()),
    ]);
    assert!(tar.len() > 300_000);
    tree.write("release.tar.gz", gzip(&tar));
    tree.write("release.tar.zst", zstd(&tar));
    let report = tree.scan_json(FINDINGS, &["--max-file-size", "300000"]);
    assert_eq!(
        paths(&report),
        [
            "release.tar.gz!conf/app.env",
            "release.tar.zst!conf/app.env"
        ]
    );
    // A bomb inside a compressed tar stops the stream, reported.
    let zeros = vec![0u8; 80 << 20];
    tree.write(
        "bomb.tar.gz",
        gzip(&tar_of(&[
            ("zeros.bin", &zeros),
            ("late.env", env.as_bytes()),
        ])),
    );
    let (_, _, stderr) = scan(&tree, &["--max-file-size", "300000"]);
    assert!(
        stderr
            .lines()
            .any(|line| line.contains("bomb.tar.gz") && line.contains("decompression bomb")),
        "{stderr}"
    );
}

/// A pull request that changes an archive is judged on what it adds inside it: a member whose
/// new lines hold a secret is reported at its line; a secret the previous version already
/// held, in a member left as it was or in the lines of a changed one, is not.
#[test]
fn a_range_and_the_index_open_changed_archives_and_report_only_what_they_add() {
    let old_secret = secret_file();
    let new_secret = secret_file();
    let mut repo = crate::util::TempRepo::new();
    let first = zip_of(&[
        ("config.properties", b"name=shop\n"),
        ("legacy.properties", old_secret.as_bytes()),
    ]);
    let base = repo.commit_file("dist/app.jar", &first, "add the app");
    let changed = format!("name=shop\n{new_secret}");
    let second = zip_of(&[
        ("config.properties", changed.as_bytes()),
        ("legacy.properties", old_secret.as_bytes()),
    ]);
    repo.commit_file("dist/app.jar", &second, "configure the app");
    let range = format!("{base}..HEAD");
    let report = repo.json(FINDINGS, &["history", "--range", &range]);
    assert_eq!(
        found(&report),
        [(
            "aws.secret-access-key".into(),
            "dist/app.jar!config.properties".into(),
            3
        )]
    );
    let skipped = repo.json(CLEAN, &["history", "--range", &range, "--no-archives"]);
    assert_eq!(skipped["stats"]["skipped_binary"], 1);

    // Staged: a new archive is new whole.
    let third = zip_of(&[("deploy/.env", secret_file().as_bytes())]);
    repo.stage("release.zip", &third);
    let staged = repo.json(FINDINGS, &["staged"]);
    assert_eq!(
        found(&staged),
        [(
            "aws.secret-access-key".into(),
            "release.zip!deploy/.env".into(),
            2
        )]
    );
    repo.json(CLEAN, &["staged", "--no-archives"]);
}
