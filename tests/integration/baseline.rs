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
    let report = tree.scan_json(&["--baseline", "baseline.json"]);
    assert_eq!(found(&report).len(), 0);
    assert_eq!(report["stats"]["baselined"], 2);

    // Moving a secret to another line does not resurrect it.
    tree.write("app/config.py", format!("import os\n\n\nA = \"{first}\"\n"));
    assert_eq!(
        found(&tree.scan_json(&["--baseline", "baseline.json"])).len(),
        0
    );

    // A new secret, or the same secret in a new file, fails with exactly one finding each.
    tree.write("app/other.py", format!("B = \"{first}\"\n"));
    let report = tree.scan_json(&["--baseline", "baseline.json"]);
    assert_eq!(
        found(&report),
        [("github.pat-classic".into(), "app/other.py".into(), 1)]
    );
    std::fs::remove_file(tree.path().join("app/other.py")).unwrap();
    tree.write("app/new.py", format!("C = \"{}\"\n", github_pat()));
    let report = tree.scan_json(&["--baseline", "baseline.json"]);
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
    let (report, code) = repo.json(&["history", "--baseline", "baseline.json"]);
    assert_eq!((found(&report).len(), code), (0, 0));
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
