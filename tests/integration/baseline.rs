//! Baselines: create, scan clean, add a secret, scan fails with exactly one; moves and rebases
//! do not resurrect; stale entries are reported and pruned; the file holds no secret.

use crate::util::*;

fn write_baseline(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    leakhound()
        .current_dir(dir)
        .arg("baseline")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn baseline_round_trip() {
    let tree = TempTree::new();
    let first = github_pat();
    let second = aws_key_id();
    tree.write("app/config.py", format!("A = \"{first}\"\n"));
    tree.write(".env", format!("AWS_ACCESS_KEY_ID={second}\n"));

    let output = write_baseline(tree.path(), &["--output", "baseline.json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(tree.path().join("baseline.json")).unwrap();
    assert!(
        !text.contains(&first) && !text.contains(&second),
        "the baseline holds no secret"
    );
    assert!(!text.contains("\"line\""), "no line numbers: they churn");
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["findings"].as_array().unwrap().len(), 2);

    // Regenerating without changes gives the same bytes.
    write_baseline(tree.path(), &["--output", "baseline.json"]);
    assert_eq!(
        std::fs::read_to_string(tree.path().join("baseline.json")).unwrap(),
        text
    );

    // With the baseline the scan is clean, and the baselined findings are counted.
    let report = tree.scan_json(CLEAN, &["--baseline", "baseline.json"]);
    assert_eq!(found(&report).len(), 0);
    assert_eq!(report["stats"]["baselined"], 2);

    // Moving a secret to another line does not resurrect it.
    tree.write("app/config.py", format!("import os\n\n\nA = \"{first}\"\n"));
    assert_eq!(
        found(&tree.scan_json(CLEAN, &["--baseline", "baseline.json"])).len(),
        0
    );

    // A new secret, or the same secret in a new file, fails with exactly one finding each.
    tree.write("app/other.py", format!("B = \"{first}\"\n"));
    let report = tree.scan_json(FINDINGS, &["--baseline", "baseline.json"]);
    assert_eq!(
        found(&report),
        [("github.pat-classic".into(), "app/other.py".into(), 1)]
    );
    std::fs::remove_file(tree.path().join("app/other.py")).unwrap();
    tree.write("app/new.py", format!("C = \"{}\"\n", github_pat()));
    let report = tree.scan_json(FINDINGS, &["--baseline", "baseline.json"]);
    assert_eq!(
        found(&report),
        [("github.pat-classic".into(), "app/new.py".into(), 1)]
    );
    leakhound()
        .current_dir(tree.path())
        .args(["scan", "--baseline", "baseline.json"])
        .assert()
        .code(1);
}

#[test]
fn stale_entries_are_reported_and_pruned() {
    let tree = TempTree::new();
    tree.write("a.txt", format!("{}\n", github_pat()));
    tree.write("b.txt", format!("{}\n", github_pat()));
    write_baseline(tree.path(), &["--output", "baseline.json"]);
    std::fs::remove_file(tree.path().join("b.txt")).unwrap();

    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "--baseline", "baseline.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("1 baseline entry no longer match anything"),
        "{stderr}"
    );

    let output = write_baseline(tree.path(), &["--prune", "--output", "baseline.json"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stderr).contains("pruned 1 stale entry from"));
    let parsed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tree.path().join("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(parsed["findings"].as_array().unwrap().len(), 1);
    assert_eq!(parsed["findings"][0]["path"], "a.txt");
}

#[test]
fn a_history_baseline_survives_a_rebase() {
    let mut repo = TempRepo::new();
    let pat = github_pat();
    repo.commit_file("a.txt", "one\n", "one");
    repo.commit_file("config.env", format!("TOKEN={pat}\n"), "leak");
    let output = write_baseline(repo.path(), &["--history", "--output", "baseline.json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Rewrite history: same content, new commits (as a rebase would leave it).
    let old_head = repo.repo.head().unwrap().target().unwrap();
    let tree = repo.repo.find_commit(old_head).unwrap().tree().unwrap();
    let sig =
        git2::Signature::new("Bob", "bob@example.com", &git2::Time::new(1_800_000_000, 0)).unwrap();
    let rebased = repo
        .repo
        .commit(None, &sig, &sig, "rebased", &tree, &[])
        .unwrap();
    repo.repo
        .reference("refs/heads/master", rebased, true, "rebase")
        .unwrap();
    let report = repo.json(CLEAN, &["history", "--baseline", "baseline.json"]);
    assert_eq!(found(&report).len(), 0);
    assert_eq!(report["stats"]["baselined"], 1);
}

#[test]
fn a_bad_baseline_is_exit_2_naming_the_file() {
    let tree = TempTree::new();
    tree.write("baseline.json", "not json");
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "--baseline", "baseline.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("baseline.json: not a leakhound baseline")
    );
    leakhound()
        .current_dir(tree.path())
        .arg("baseline")
        .assert()
        .code(2);
}

#[test]
fn baseline_has_its_own_options() {
    let output = leakhound().args(["baseline", "--help"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for absent in [
        "--format",
        "--show-secrets",
        "--exit-code",
        "--fail-on",
        "--baseline <FILE>",
        "--strict",
        "--color",
        "Write the report",
    ] {
        assert!(
            !help.contains(absent),
            "baseline --help lists {absent}:\n{help}"
        );
    }
    for present in [
        "--output <FILE>",
        "The baseline file to write",
        "--history",
        "--prune",
    ] {
        assert!(
            help.contains(present),
            "baseline --help lacks {present}:\n{help}"
        );
    }
    let tree = TempTree::new();
    tree.write("a.txt", "nothing\n");
    let refused = write_baseline(tree.path(), &["--output", "b.json", "--format", "json"]);
    assert_eq!(refused.status.code(), Some(2));
    let missing = write_baseline(tree.path(), &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--output <FILE>"));
}

/// The v1 fingerprint, as leakhound 0.1 wrote it: `sha256(rule NUL path NUL sha256_hex(secret) NUL)`.
fn v1_fingerprint(rule_id: &str, path: &str, secret: &str) -> (String, String) {
    use sha2::{Digest, Sha256};
    let secret_sha256 = hex(&Sha256::digest(secret.as_bytes()));
    let fingerprint = Sha256::digest(format!("{rule_id}\0{path}\0{secret_sha256}\0").as_bytes());
    (hex(&fingerprint[..16]), secret_sha256)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Issue 14: baselines written before salted fingerprints still suppress their findings, with a
/// note; `baseline --prune` rewrites them without unsalted hashes.
#[test]
fn issue_14_a_version_1_baseline_still_works_and_is_rewritten_without_hashes() {
    let tree = TempTree::new();
    let pat = github_pat();
    let pw = password();
    tree.write("app/config.py", format!("A = \"{pat}\"\n"));
    tree.write("db.env", format!("DB_PASSWORD=\"{pw}\"\n"));
    let report = tree.scan_json(FINDINGS, &[]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{report}");
    let mut entries = Vec::new();
    let mut hashes = Vec::new();
    for finding in findings {
        let (rule, path) = (
            finding["rule_id"].as_str().unwrap(),
            finding["path"].as_str().unwrap(),
        );
        let secret = if path == "db.env" { &pw } else { &pat };
        let (fingerprint, sha) = v1_fingerprint(rule, path, secret);
        entries.push(serde_json::json!({
            "path": path, "rule_id": rule, "fingerprint": fingerprint, "secret_sha256": sha,
        }));
        hashes.push(fingerprint);
        hashes.push(sha);
    }
    let v1 = serde_json::json!({ "version": 1, "findings": entries });
    tree.write("baseline.json", serde_json::to_string_pretty(&v1).unwrap());

    let output = leakhound()
        .current_dir(tree.path())
        .args([
            "scan",
            "-q",
            "--format",
            "json",
            "--baseline",
            "baseline.json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "the old entries still match");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("version 1 baseline"))
            .count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("unsalted") && stderr.contains("--prune"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["stats"]["baselined"], 2);

    let output = write_baseline(tree.path(), &["--prune", "--output", "baseline.json"]);
    assert_eq!(output.status.code(), Some(0));
    let text = std::fs::read_to_string(tree.path().join("baseline.json")).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["version"], 2);
    assert_eq!(parsed["findings"].as_array().unwrap().len(), 2);
    assert!(!text.contains("secret_sha256"), "{text}");
    for hash in &hashes {
        assert!(!text.contains(hash.as_str()), "{text}");
    }
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "--baseline", "baseline.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("version 1"));
}

/// A tree with three findings: a token in `app/config.py` line 2, a password in `db.env` line 1
/// and an AWS key id in `other.txt` line 1.
fn three_findings() -> (TempTree, String, String, String) {
    let tree = TempTree::new();
    let (pat, pw, aws) = (github_pat(), password(), aws_key_id());
    tree.write("app/config.py", format!("import os\nA = \"{pat}\"\n"));
    tree.write("db.env", format!("DB_PASSWORD=\"{pw}\"\n"));
    tree.write("other.txt", format!("AWS_ACCESS_KEY_ID={aws}\n"));
    assert_eq!(found(&tree.scan_json(FINDINGS, &[])).len(), 3);
    (tree, pat, pw, aws)
}

/// Writes `content` as the file to import, outside the tree (where it would be scanned), runs
/// `baseline --import` with it, checks that neither the baseline nor stderr shows a secret, and
/// returns what a scan with the baseline still reports.
fn import(tree: &TempTree, content: &str, secrets: &[&str]) -> Vec<(String, String, u64)> {
    let elsewhere = TempTree::new();
    let file = elsewhere.write("imported.json", content);
    let output = write_baseline(
        tree.path(),
        &[
            "--import",
            file.to_str().unwrap(),
            "--output",
            "baseline.json",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let text = std::fs::read_to_string(tree.path().join("baseline.json")).unwrap();
    for secret in secrets {
        assert!(
            !text.contains(secret) && !stderr.contains(secret),
            "{text}{stderr}"
        );
    }
    assert!(!text.contains("REDACTED") && !text.contains("hashed_secret"));
    found(&tree.scan_json(FINDINGS, &["--baseline", "baseline.json"]))
}

#[test]
fn issue_14_baseline_import_of_a_gitleaks_report() {
    let (tree, pat, pw, aws) = three_findings();
    let other = base62(12);
    // A plaintext secret matched by value; a redacted one by path, line and vendor; an entry
    // whose secret is elsewhere on its line; one for a line with no finding; one with another
    // secret at the right place.
    let report = serde_json::json!([
        { "RuleID": "github-pat", "File": "app/config.py", "StartLine": 2, "EndLine": 2,
          "Secret": pat, "Match": format!("A = \"{pat}\""), "Commit": "",
          "Fingerprint": "app/config.py:github-pat:2" },
        { "RuleID": "generic-api-key", "File": "./db.env", "StartLine": 1,
          "Secret": "REDACTED", "Match": "DB_PASSWORD=REDACTED",
          "Fingerprint": "db.env:generic-api-key:1" },
        { "RuleID": "generic-api-key", "File": "db.env", "StartLine": 7,
          "Secret": other, "Fingerprint": "db.env:generic-api-key:7" },
        { "RuleID": "aws-access-token", "File": "other.txt", "StartLine": 1,
          "Secret": "AKIAZZZZZZZZZZZZZZZZ", "Fingerprint": "other.txt:aws-access-token:1" },
    ]);
    assert_eq!(
        import(
            &tree,
            &serde_json::to_string(&report).unwrap(),
            &[&pat, &pw, &aws, &other]
        ),
        [("aws.access-key-id".into(), "other.txt".into(), 1)],
        "only the finding the report does not list fails"
    );
}

#[test]
fn issue_14_baseline_import_of_a_detect_secrets_baseline() {
    use sha1::{Digest, Sha1};
    let (tree, pat, pw, aws) = three_findings();
    let sha1 = |s: &str| hex(&Sha1::digest(s.as_bytes()));
    let ds = serde_json::json!({
        "version": "1.5.0",
        "plugins_used": [{ "name": "KeywordDetector" }],
        "filters_used": [],
        "results": {
            "app/config.py": [{ "type": "GitHub Token", "filename": "app/config.py",
                "hashed_secret": sha1(&pat), "is_verified": false, "line_number": 2 }],
            // The right place, another secret: not imported.
            "db.env": [{ "type": "Secret Keyword", "filename": "db.env",
                "hashed_secret": sha1("not-the-password"), "is_verified": false, "line_number": 1 }],
            // The right secret, another line: not imported.
            "other.txt": [{ "type": "AWS Access Key", "filename": "other.txt",
                "hashed_secret": sha1(&aws), "is_verified": false, "line_number": 3 }],
        },
        "generated_at": "2024-01-01T00:00:00Z",
    });
    let mut left = import(
        &tree,
        &serde_json::to_string_pretty(&ds).unwrap(),
        &[&pat, &pw, &aws],
    );
    left.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(left.len(), 2, "{left:?}");
    assert_eq!(
        (left[0].1.as_str(), left[1].1.as_str()),
        ("db.env", "other.txt")
    );

    // Neither tool's file: exit 2, naming it.
    tree.write("neither.json", "{\"findings\": 3}");
    let output = write_baseline(
        tree.path(),
        &["--import", "neither.json", "--output", "baseline.json"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("neither.json"));
}
