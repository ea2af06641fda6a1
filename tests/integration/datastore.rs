//! The findings datastore: runs recorded, rescans that keep triage, secrets never kept in
//! clear unless asked, reports rendered from the store, and a scan killed half-way.

use std::path::{Path, PathBuf};

use leakhound::store::Store;

use crate::util::{github_pat, leakhound, stripe_live_key, TempRepo, TempTree, FINDINGS};

/// `leakhound <args>` in `dir`; asserts the exit code and returns stdout.
#[track_caller]
fn run(dir: &Path, code: i32, args: &[&str]) -> String {
    let output = leakhound().current_dir(dir).args(args).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `scan . --datastore STORE` in `dir`, which has findings.
#[track_caller]
fn scan_into(dir: &Path, store: &str) {
    run(dir, FINDINGS, &["scan", ".", "--datastore", store, "-q"]);
}

/// `triage set --datastore STORE <args>` in `dir`, which must succeed.
#[track_caller]
fn triage_set(dir: &Path, store: &str, args: &[&str]) {
    let mut all = vec!["triage", "set", "--datastore", store];
    all.extend_from_slice(args);
    run(dir, 0, &all);
}

/// The `triage list --format json` lines of `store` (with `extra` filters).
#[track_caller]
fn listed(dir: &Path, store: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["triage", "list", "--datastore", store, "--format", "json"];
    args.extend_from_slice(extra);
    run(dir, 0, &args)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// A tree with a GitHub token in `app/config.env` and a Stripe key in `billing/keys.py`.
fn leaky_tree() -> (TempTree, String, String) {
    let tree = TempTree::new();
    let github = github_pat();
    let stripe = stripe_live_key();
    tree.write("app/config.env", format!("GITHUB_TOKEN={github}\n"));
    tree.write("billing/keys.py", format!("STRIPE_KEY = \"{stripe}\"\n"));
    (tree, github, stripe)
}

fn id_of(findings: &[serde_json::Value], rule: &str) -> String {
    findings
        .iter()
        .find(|f| f["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {findings:?}"))["id"]
        .to_string()
}

/// Every file SQLite may have written for `store`: the database, its WAL and shared memory.
fn store_bytes(store: &Path) -> Vec<u8> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .filter_map(|suffix| {
            let mut name = store.as_os_str().to_owned();
            name.push(suffix);
            std::fs::read(PathBuf::from(name)).ok()
        })
        .flatten()
        .collect()
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[test]
fn a_rescan_adds_marks_gone_and_never_loses_a_triage_decision() {
    let (tree, _, _) = leaky_tree();
    let dir = tree.path();
    scan_into(dir, "audit.db");
    let findings = listed(dir, "audit.db", &[]);
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert!(findings.iter().all(|f| f["status"] == "open"));
    let github = id_of(&findings, "github.pat-classic");
    triage_set(
        dir,
        "audit.db",
        &[
            &github,
            "--status",
            "false-positive",
            "--comment",
            "a test fixture",
            "--by",
            "ada",
        ],
    );

    // The same tree again: nothing new, the decision shows in the scan's own report.
    let report: serde_json::Value = serde_json::from_str(&run(
        dir,
        FINDINGS,
        &[
            "scan",
            ".",
            "--datastore",
            "audit.db",
            "--format",
            "json",
            "-q",
        ],
    ))
    .unwrap();
    let triaged: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["triage"]["status"] == "false-positive")
        .collect();
    assert_eq!(triaged.len(), 1, "{report}");
    assert_eq!(triaged[0]["rule_id"], "github.pat-classic");
    assert_eq!(triaged[0]["triage"]["comment"], "a test fixture");
    assert_eq!(triaged[0]["triage"]["by"], "ada");

    // The token leaves the tree: gone from the default listing, kept (with its triage) for
    // --include-gone, and back in place, with the same decision, when it returns.
    let config = std::fs::read(dir.join("app/config.env")).unwrap();
    std::fs::remove_file(dir.join("app/config.env")).unwrap();
    scan_into(dir, "audit.db");
    let present = listed(dir, "audit.db", &[]);
    assert_eq!(present.len(), 1, "{present:?}");
    assert_eq!(present[0]["rule_id"], "stripe.secret-key");
    let all = listed(dir, "audit.db", &["--include-gone"]);
    let gone = all
        .iter()
        .find(|f| f["rule_id"] == "github.pat-classic")
        .unwrap();
    assert_eq!(gone["present"], false);
    assert_eq!(gone["status"], "false-positive");
    std::fs::write(dir.join("app/config.env"), config).unwrap();
    scan_into(dir, "audit.db");
    let back = listed(dir, "audit.db", &["--status", "false-positive"]);
    assert_eq!(back.len(), 1, "{back:?}");
    assert_eq!(back[0]["present"], true);
    assert_eq!(
        back[0]["id"].to_string(),
        github,
        "the same row, not a new one"
    );
}

#[test]
fn secrets_are_kept_redacted_unless_the_run_asked_for_them() {
    let (tree, github, stripe) = leaky_tree();
    let dir = tree.path();
    scan_into(dir, "audit.db");
    let bytes = store_bytes(&dir.join("audit.db"));
    assert!(!bytes.is_empty());
    for secret in [&github, &stripe] {
        assert!(!holds(&bytes, secret), "the store holds a secret in clear");
        // Nor any long piece of one.
        assert!(!holds(&bytes, &secret[8..24]));
    }
    let report = run(
        dir,
        0,
        &[
            "report",
            "--datastore",
            "audit.db",
            "--format",
            "json",
            "--show-secrets",
        ],
    );
    assert!(
        !report.contains(&github) && report.contains("ghp_****(40)"),
        "{report}"
    );

    // A run given --show-secrets keeps them, and `report --show-secrets` shows them...
    run(
        dir,
        FINDINGS,
        &[
            "scan",
            ".",
            "--datastore",
            "shown.db",
            "--show-secrets",
            "-q",
        ],
    );
    let shown = run(
        dir,
        0,
        &[
            "report",
            "--datastore",
            "shown.db",
            "--format",
            "json",
            "--show-secrets",
        ],
    );
    assert!(
        shown.contains(&github) && shown.contains(&stripe),
        "{shown}"
    );
    // ...but a report without it does not.
    let redacted = run(
        dir,
        0,
        &["report", "--datastore", "shown.db", "--format", "json"],
    );
    assert!(
        !redacted.contains(&github) && !redacted.contains(&stripe),
        "{redacted}"
    );
    // A later run without --show-secrets drops what the earlier one kept, from the file too
    // (deleted content is overwritten and the write-ahead log truncated).
    scan_into(dir, "shown.db");
    let bytes = store_bytes(&dir.join("shown.db"));
    assert!(!holds(&bytes, &github) && !holds(&bytes, &stripe));
}

#[test]
fn every_report_format_renders_from_the_store_with_its_triage() {
    let (tree, _, _) = leaky_tree();
    let dir = tree.path();
    scan_into(dir, "audit.db");
    triage_set(
        dir,
        "audit.db",
        &[
            "--rule",
            "stripe.secret-key",
            "--status",
            "accepted",
            "--comment",
            "sandbox account",
        ],
    );
    let sarif: serde_json::Value = serde_json::from_str(&run(
        dir,
        0,
        &["report", "--datastore", "audit.db", "--format", "sarif"],
    ))
    .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for result in results {
        let suppressed = result.get("suppressions").is_some();
        assert_eq!(
            suppressed,
            result["ruleId"] == "stripe.secret-key",
            "{result}"
        );
    }
    let csv = run(
        dir,
        0,
        &["report", "--datastore", "audit.db", "--format", "csv"],
    );
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .ends_with("triage_status,triage_comment,verification_status,verification_identity"));
    assert!(csv.contains("accepted,sandbox account"), "{csv}");
    let human = run(dir, 0, &["report", "--datastore", "audit.db"]);
    assert!(
        human.contains("triage: accepted (sandbox account)"),
        "{human}"
    );
    for format in ["jsonl", "junit", "github", "html"] {
        let out = run(
            dir,
            0,
            &["report", "--datastore", "audit.db", "--format", format],
        );
        assert!(out.contains("accepted"), "{format}: {out}");
    }
    // Filters: by status, rule and path.
    let accepted = run(
        dir,
        0,
        &[
            "report",
            "--datastore",
            "audit.db",
            "--format",
            "jsonl",
            "--status",
            "accepted",
        ],
    );
    assert_eq!(accepted.lines().count(), 1);
    let by_path = listed(dir, "audit.db", &["--path", "app/**"]);
    assert_eq!(by_path.len(), 1);
    assert_eq!(by_path[0]["rule_id"], "github.pat-classic");
}

#[test]
fn history_runs_record_the_commit_that_introduced_each_secret() {
    let mut repo = TempRepo::new();
    let token = github_pat();
    let added = repo.commit_file(
        "deploy.sh",
        format!("export GH_TOKEN={token}\n"),
        "add deploy",
    );
    repo.commit_file("README.md", "docs\n", "docs");
    let dir = repo.path().to_path_buf();
    let store = dir.join(".git/audit.db");
    let store = store.to_str().unwrap();
    run(&dir, FINDINGS, &["history", "--datastore", store, "-q"]);
    let findings = listed(&dir, store, &[]);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["commit"], added.to_string());
    let report: serde_json::Value = serde_json::from_str(&run(
        &dir,
        0,
        &["report", "--datastore", store, "--format", "json"],
    ))
    .unwrap();
    assert_eq!(report["findings"][0]["commit"]["message"], "add deploy");
}

#[test]
fn triage_mistakes_are_clear_errors() {
    let (tree, _, _) = leaky_tree();
    let dir = tree.path();
    let missing = leakhound()
        .current_dir(dir)
        .args(["triage", "list", "--datastore", "nowhere.db"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such datastore"));
    assert!(
        !dir.join("nowhere.db").exists(),
        "reading must not create a store"
    );
    scan_into(dir, "audit.db");
    for (args, message) in [
        (vec!["--status", "fixed", "1"], "unknown status"),
        (vec!["--status", "revoked", "999"], "no finding 999"),
        (vec!["--status", "revoked"], "name the findings"),
    ] {
        let mut all = vec!["triage", "set", "--datastore", "audit.db"];
        all.extend(args);
        let output = leakhound().current_dir(dir).args(&all).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{all:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{all:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
    // Nothing changed by the refused requests.
    assert!(listed(dir, "audit.db", &[])
        .iter()
        .all(|f| f["status"] == "open"));
    // Not a database at all.
    std::fs::write(
        dir.join("junk.db"),
        "this is not sqlite, just text long enough to read",
    )
    .unwrap();
    let output = leakhound()
        .current_dir(dir)
        .args(["report", "--datastore", "junk.db"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("junk.db"));
}

#[test]
fn a_scan_killed_half_way_leaves_the_store_as_it_was() {
    let (tree, _, _) = leaky_tree();
    let dir = tree.path();
    scan_into(dir, "audit.db");
    let github = id_of(&listed(dir, "audit.db", &[]), "github.pat-classic");
    triage_set(dir, "audit.db", &[&github, "--status", "confirmed"]);
    // Enough files that the scan is still running when it is killed.
    for dir_index in 0..40 {
        for file in 0..500 {
            tree.write(
                &format!("bulk/d{dir_index}/f{file}.txt"),
                format!("line {file} of a file with nothing in it\n").repeat(40),
            );
        }
    }
    let store_path = dir.join("audit.db");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("leakhound"))
        .current_dir(dir)
        .args([
            "scan",
            ".",
            "--datastore",
            "audit.db",
            "-q",
            "--threads",
            "1",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once its run is recorded as started, before it can finish.
    let started = std::time::Instant::now();
    loop {
        let runs = Store::open(&store_path).unwrap().runs().unwrap();
        if runs.len() == 2 || started.elapsed() > std::time::Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let store = Store::open(&store_path).unwrap();
    let runs = store.runs().unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs[0].ended_at.is_some(), "the first run ended");
    assert!(
        runs[1].ended_at.is_none(),
        "the killed run has no end: {runs:?}"
    );
    // The findings and their triage are as the first run left them.
    let findings = listed(dir, "audit.db", &[]);
    assert_eq!(findings.len(), 2, "{findings:?}");
    let confirmed: Vec<_> = findings
        .iter()
        .filter(|f| f["status"] == "confirmed")
        .collect();
    assert_eq!(confirmed.len(), 1);
    // And the next run completes normally.
    scan_into(dir, "audit.db");
    assert!(Store::open(&store_path).unwrap().runs().unwrap()[2]
        .ended_at
        .is_some());
}

#[test]
fn a_baseline_from_the_datastore_quiets_what_triage_settled() {
    let (tree, _, _) = leaky_tree();
    let dir = tree.path();
    scan_into(dir, "audit.db");
    triage_set(
        dir,
        "audit.db",
        &["--path", "app/*", "--status", "false-positive"],
    );
    run(
        dir,
        0,
        &[
            "baseline",
            "--from-datastore",
            "audit.db",
            "--output",
            "baseline.json",
        ],
    );
    let report = tree.scan_json(FINDINGS, &["--baseline", "baseline.json", "."]);
    let rules: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rules, ["stripe.secret-key"], "{report}");
    assert_eq!(report["stats"]["baselined"], 1);
}
