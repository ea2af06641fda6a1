//! `history`, `--range`/`--base`, `staged` and `install-hook`, on repositories built with git2.

use crate::util::*;

fn commits_of(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["commit"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_secret_added_then_deleted_is_found_in_the_commit_that_added_it() {
    let mut repo = TempRepo::new();
    repo.commit_file("README.md", "hello\n", "first");
    let pat = github_pat();
    let added = repo.commit_file(
        "config/app.env",
        format!("A=1\nGITHUB_TOKEN={pat}\n"),
        "add config",
    );
    repo.remove("config/app.env");
    repo.commit("remove the token");
    let report = repo.json(FINDINGS, &["history"]);
    assert_eq!(
        found(&report),
        [("github.pat-classic".into(), "config/app.env".into(), 2)]
    );
    let commit = &report["findings"][0]["commit"];
    assert_eq!(commit["id"], added.to_string());
    assert_eq!(commit["author"], "Ada Lovelace");
    assert_eq!(commit["email"], "ada@example.com");
    assert_eq!(commit["message"], "add config");
    assert_eq!(commit["date"], "2023-11-15T01:13:20+01:00");
}

#[test]
fn a_secret_living_in_many_commits_is_reported_once_with_its_first_commit() {
    let mut repo = TempRepo::new();
    let pat = github_pat();
    let first = repo.commit_file(
        "settings.py",
        format!("TOKEN = \"{pat}\"\nVERSION = 0\n"),
        "v0",
    );
    for version in 1..20 {
        repo.commit_file(
            "settings.py",
            format!("TOKEN = \"{pat}\"\nVERSION = {version}\n"),
            "bump",
        );
        repo.commit_file("other.txt", format!("{version}\n"), "other");
    }
    let report = repo.json(FINDINGS, &["history"]);
    assert_eq!(found(&report).len(), 1, "{report:#}");
    assert_eq!(commits_of(&report), [first.to_string()]);
    assert!(
        report["findings"][0]["also_in"].as_u64().unwrap() >= 19,
        "{report:#}"
    );
    assert_eq!(
        report["stats"]["files"], 39,
        "each distinct blob (20 + 19 versions) is scanned once"
    );
}

#[test]
fn renamed_files_merges_branches_and_tags_are_covered() {
    let mut repo = TempRepo::new();
    repo.commit_file("a.txt", "base\n", "base");
    let on_branch = github_pat();
    repo.branch("feature");
    repo.commit_file("feature.txt", format!("{on_branch}\n"), "feature work");
    repo.checkout("master");
    // A secret reachable only from a tag.
    let tagged = npm_token();
    repo.branch("release");
    let release = repo.commit_file(
        "release.txt",
        format!("//registry/:_authToken={tagged}\n"),
        "release",
    );
    {
        let release_commit = repo.repo.find_commit(release).unwrap();
        repo.repo
            .tag_lightweight("v1", release_commit.as_object(), false)
            .unwrap();
    }
    repo.checkout("master");
    repo.repo
        .find_branch("release", git2::BranchType::Local)
        .unwrap()
        .delete()
        .unwrap();
    // A rename keeps the blob: still one finding, at the first path.
    let moved = github_pat();
    repo.commit_file("old-name.txt", format!("{moved}\n"), "add");
    repo.remove("old-name.txt");
    repo.commit_file("new-name.txt", format!("{moved}\n"), "rename");
    let report = repo.json(FINDINGS, &["history"]);
    let paths: Vec<String> = found(&report)
        .into_iter()
        .map(|(_, path, _)| path)
        .collect();
    assert_eq!(
        paths,
        ["feature.txt", "old-name.txt", "release.txt"],
        "{report:#}"
    );
}

#[test]
fn range_mode_reports_only_what_the_range_adds() {
    let mut repo = TempRepo::new();
    let old = github_pat();
    repo.commit_file(
        "app.py",
        format!("OLD = \"{old}\"\nx = 1\n"),
        "old secret on main",
    );
    let base = repo.repo.head().unwrap().target().unwrap();
    repo.branch("pr");
    // The PR edits the file holding the old secret, and the old secret's own line.
    let new = github_pat();
    repo.commit_file(
        "app.py",
        format!("OLD = \"{old}\" # moved comment\nx = 2\nNEW = \"{new}\"\n"),
        "pr change",
    );
    let added_in = repo.repo.head().unwrap().target().unwrap();
    repo.commit_file("docs.md", "docs\n", "docs");
    let range = format!("{base}..HEAD");
    let report = repo.json(FINDINGS, &["history", "--range", &range]);
    assert_eq!(
        found(&report),
        [("github.pat-classic".into(), "app.py".into(), 3)],
        "{report:#}"
    );
    assert_eq!(commits_of(&report), [added_in.to_string()]);

    // --base REF means merge-base(REF, HEAD)..HEAD; A...B means merge-base(A, B)..B.
    let by_base = repo.json(FINDINGS, &["history", "--base", "master"]);
    assert_eq!(found(&by_base), found(&report));
    let three_dots = repo.json(FINDINGS, &["history", "--range", "master...pr"]);
    assert_eq!(found(&three_dots), found(&report));

    // Nothing new: clean.
    let empty = repo.json(CLEAN, &["history", "--range", "HEAD..HEAD"]);
    assert_eq!(found(&empty).len(), 0);
}

#[test]
fn a_range_whose_base_is_missing_is_a_clear_error() {
    let mut repo = TempRepo::new();
    repo.commit_file("a.txt", "a\n", "a");
    let output = leakhound()
        .current_dir(repo.path())
        .args(["history", "--range", "nosuchref..HEAD"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("revision \"nosuchref\" not found"),
        "{stderr}"
    );
    let output = leakhound()
        .current_dir(repo.path())
        .args(["history", "--range", "HEAD"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn staged_scans_the_index_not_the_work_tree() {
    let mut repo = TempRepo::new();
    let report = repo.json(CLEAN, &["staged"]);
    assert_eq!(
        found(&report).len(),
        0,
        "an unborn HEAD with an empty index is clean"
    );

    let committed = github_pat();
    repo.commit_file("a.py", format!("OLD = \"{committed}\"\n"), "old");
    // Staged: a new secret in a.py. Unstaged: another secret in the work tree only.
    let staged = github_pat();
    repo.stage(
        "a.py",
        format!("OLD = \"{committed}\"\nNEW = \"{staged}\"\n"),
    );
    repo.tree.write(
        "a.py",
        format!(
            "OLD = \"{committed}\"\nNEW = \"{staged}\"\nLATER = \"{}\"\n",
            github_pat()
        ),
    );
    repo.tree
        .write("untracked.txt", format!("{}\n", github_pat()));
    let report = repo.json(FINDINGS, &["staged"]);
    assert_eq!(
        found(&report),
        [("github.pat-classic".into(), "a.py".into(), 2)]
    );
    assert!(report["findings"][0].get("commit").is_none());
}

#[test]
fn staged_in_a_fresh_repository_sees_the_first_commit() {
    let repo = TempRepo::new();
    repo.stage("k.env", format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id()));
    let report = repo.json(FINDINGS, &["staged"]);
    assert_eq!(
        found(&report),
        [("aws.access-key-id".into(), "k.env".into(), 1)]
    );
}

#[cfg(unix)]
#[test]
fn the_installed_hook_blocks_a_secret_and_lets_a_clean_commit_through() {
    let mut repo = TempRepo::new();
    repo.commit_file("README.md", "hi\n", "init");
    leakhound()
        .current_dir(repo.path())
        .arg("install-hook")
        .assert()
        .code(0);
    let hook = repo.path().join(".git/hooks/pre-commit");
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("staged --strict --no-progress"));
    // Run the hook the way git does: from the work tree, leakhound on PATH.
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_leakhound"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let workdir = repo.path().to_path_buf();
    let run_hook = || {
        std::process::Command::new(&hook)
            .current_dir(&workdir)
            .env("PATH", &path)
            .output()
            .unwrap()
    };

    repo.stage("clean.txt", "nothing secret\n");
    assert_eq!(run_hook().status.code(), Some(0));
    repo.commit("clean");

    repo.stage("leak.env", format!("TOKEN={}\n", github_pat()));
    let blocked = run_hook();
    assert_eq!(blocked.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&blocked.stderr);
    assert!(stderr.contains("--no-verify"), "{stderr}");

    // Reinstalling our own hook is fine; someone else's hook needs --force.
    leakhound()
        .current_dir(repo.path())
        .arg("install-hook")
        .assert()
        .code(0);
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    leakhound()
        .current_dir(repo.path())
        .arg("install-hook")
        .assert()
        .code(2);
    leakhound()
        .current_dir(repo.path())
        .args(["install-hook", "--force"])
        .assert()
        .code(0);
}

#[test]
fn install_hook_respects_core_hooks_path() {
    let mut repo = TempRepo::new();
    repo.commit_file("a.txt", "a\n", "a");
    repo.repo
        .config()
        .unwrap()
        .set_str("core.hooksPath", ".githooks")
        .unwrap();
    leakhound()
        .current_dir(repo.path())
        .arg("install-hook")
        .assert()
        .code(0);
    assert!(repo.path().join(".githooks/pre-commit").exists());
}

#[test]
fn bad_repositories_give_clear_errors() {
    let tree = TempTree::new();
    let output = leakhound()
        .current_dir(tree.path())
        .arg("history")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a git repository"));
    let output = leakhound()
        .current_dir(tree.path())
        .arg("staged")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));

    let empty = TempRepo::new();
    let report = empty.json(CLEAN, &["history"]);
    assert_eq!(found(&report).len(), 0, "an empty repository is clean");
}

#[test]
fn bare_repositories_and_detached_heads_are_scanned() {
    let mut repo = TempRepo::new();
    let pat = github_pat();
    let first = repo.commit_file("a.txt", format!("{pat}\n"), "a");
    repo.repo.set_head_detached(first).unwrap();
    let report = repo.json(FINDINGS, &["history"]);
    assert_eq!(found(&report).len(), 1);

    let bare_dir = TempTree::new();
    let bare = git2::Repository::init_bare(bare_dir.path()).unwrap();
    let mut remote = bare
        .remote_anonymous(repo.path().to_str().unwrap())
        .unwrap();
    remote
        .fetch(&["+refs/heads/*:refs/heads/*"], None, None)
        .unwrap();
    let output = leakhound()
        .arg("history")
        .arg(bare_dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report = json_with_code(&output, FINDINGS, &[]);
    assert_eq!(
        found(&report).len(),
        1,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn history_skips_binary_and_huge_blobs_and_counts_them() {
    let mut repo = TempRepo::new();
    let mut binary = vec![0u8; 10];
    binary.extend_from_slice(github_pat().as_bytes());
    repo.commit_file("image.png", binary, "binary");
    repo.commit_file(
        "big.txt",
        format!("{}{}\n", " ".repeat(5000), github_pat()),
        "big",
    );
    let report = repo.json(CLEAN, &["history", "--max-file-size", "4096"]);
    assert_eq!(found(&report).len(), 0);
    assert_eq!(report["stats"]["skipped_binary"], 1);
    assert_eq!(report["stats"]["skipped_too_large"], 1);
}

#[test]
fn unreachable_objects_are_scanned_with_all_objects() {
    let (repo, _) = TempRepo::with_unreachable_leak();
    let reachable = repo.json(CLEAN, &["history"]);
    assert_eq!(found(&reachable).len(), 0);
    let all = repo.json(FINDINGS, &["history", "--all-objects"]);
    assert_eq!(
        found(&all),
        [("github.pat-classic".into(), "leak.txt".into(), 1)]
    );
}

#[test]
fn a_corrupt_object_is_a_warning_naming_it_and_the_scan_goes_on() {
    let mut repo = TempRepo::new();
    let pat = github_pat();
    repo.commit_file("good.txt", format!("{pat}\n"), "good");
    repo.commit_file("bad.txt", "this blob will be corrupted\n", "bad");
    let (bad, loose) = repo.loose_object("HEAD:bad.txt");
    std::fs::write(&loose, b"\x78\x9c garbage that does not inflate").unwrap();

    let output = repo.history_output();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("leakhound: warning:") && stderr.contains(&bad),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        found(&report),
        [("github.pat-classic".into(), "good.txt".into(), 1)]
    );
    assert_eq!(report["stats"]["errors"], 1);

    let strict = leakhound()
        .current_dir(repo.path())
        .args(["history", "--strict"])
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn nothing_from_the_scanned_repository_is_executed() {
    let mut repo = TempRepo::new();
    let marker = repo.path().join("PWNED");
    let command = format!("touch {}", marker.display());
    let mut config = repo.repo.config().unwrap();
    config.set_str("filter.evil.smudge", &command).unwrap();
    config.set_str("filter.evil.clean", &command).unwrap();
    config.set_str("diff.evil.textconv", &command).unwrap();
    config.set_str("core.fsmonitor", &command).unwrap();
    repo.tree.write(
        ".git/hooks/post-checkout",
        format!("#!/bin/sh\n{command}\n"),
    );
    repo.commit_file(
        ".gitattributes",
        "* filter=evil diff=evil\n*.txt binary -diff\n",
        "attributes",
    );
    let pat = github_pat();
    repo.commit_file("a.txt", format!("{pat}\n"), "secret");
    repo.stage("b.txt", format!("{}\n", github_pat()));
    let history = repo.json(FINDINGS, &["history"]);
    assert_eq!(
        found(&history).len(),
        1,
        ".gitattributes `binary` does not hide a file"
    );
    let base = repo
        .repo
        .revparse_single("HEAD~1")
        .unwrap()
        .id()
        .to_string();
    let range = repo.json(FINDINGS, &["history", "--range", &format!("{base}..HEAD")]);
    assert_eq!(found(&range).len(), 1);
    let staged = repo.json(FINDINGS, &["staged"]);
    assert_eq!(found(&staged).len(), 1);
    assert!(
        !marker.exists(),
        "a filter, textconv, fsmonitor or hook ran"
    );
}

#[test]
fn keystore_files_are_flagged_by_name_in_history_and_when_staged() {
    let mut repo = TempRepo::new();
    // A PKCS#12 file is DER: binary, so only its name can give it away.
    let keystore = [0x30, 0x82, 0x0a, 0x00, 0x02, 0x01, 0x03, 0x00, 0x30];
    let added = repo.commit_file("certs/signing.p12", keystore, "add keystore");
    repo.commit_file("notes.md", "how to make a .p12\n", "docs");
    let report = repo.json(FINDINGS, &["history"]);
    assert_eq!(
        found(&report),
        [(
            "private-key.pkcs12-file".into(),
            "certs/signing.p12".into(),
            1
        )]
    );
    assert_eq!(commits_of(&report), [added.to_string()]);

    repo.stage("release/App.PFX", keystore);
    let report = repo.json(FINDINGS, &["staged"]);
    assert_eq!(
        found(&report),
        [(
            "private-key.pkcs12-file".into(),
            "release/App.PFX".into(),
            1
        )]
    );
}

/// File rules that also name a directory (`config/master.key`) are judged in history by the
/// name they end with, then by the full path: a `.key` file elsewhere is not a Rails key.
#[test]
fn file_rules_naming_a_directory_are_decided_by_the_full_path_in_history() {
    let mut repo = TempRepo::new();
    let key = crate::util::hex(32);
    let added = repo.commit_file("app/config/master.key", format!("{key}\n"), "add the key");
    repo.commit_file("certs/server.key", "not a rails key\n", "a tls key's name");
    repo.commit_file(
        "var/jenkins/secrets/initialAdminPassword",
        crate::util::hex(32),
        "jenkins",
    );
    repo.commit_file("docs/initialAdminPassword.md", "how to read it\n", "docs");
    let report = repo.json(FINDINGS, &["history"]);
    assert_eq!(
        found(&report),
        [
            (
                "credential-files.jenkins-initial-admin-password".into(),
                "var/jenkins/secrets/initialAdminPassword".into(),
                1
            ),
            ("rails.master-key".into(), "app/config/master.key".into(), 1),
        ],
        "{report:#}"
    );
    assert!(commits_of(&report).contains(&added.to_string()));
}

#[test]
fn also_in_counts_the_later_snapshots_holding_the_same_blob() {
    let mut repo = TempRepo::new();
    let first = repo.commit_file("keys.env", format!("TOKEN={}\n", github_pat()), "add");
    for n in 0..5 {
        repo.commit_file("notes.txt", format!("{n}\n"), "notes");
    }
    let report = repo.json(FINDINGS, &["history"]);
    assert_eq!(commits_of(&report), [first.to_string()]);
    assert_eq!(report["findings"][0]["also_in"], 5, "{report:#}");
}

/// Issue 14: `history --branch REF` walks only what REF reaches; `--since DATE` reports only
/// secrets introduced on or after DATE, judged on the whole history (an old secret in a file a
/// recent commit edits stays old).
#[test]
fn issue_14_history_since_and_branch() {
    let mut repo = TempRepo::new();
    let old = github_pat();
    repo.commit_file("old.env", format!("A={old}\n"), "old"); // 1_700_003_600
    repo.branch("feature");
    let on_feature = github_pat();
    repo.commit_file("feature.env", format!("B={on_feature}\n"), "feature");
    repo.checkout("master");
    // The helper's checkout keeps the other branch's new file in the index.
    let mut index = repo.repo.index().unwrap();
    index
        .remove_path(std::path::Path::new("feature.env"))
        .unwrap();
    index.write().unwrap();
    let recent = github_pat();
    repo.commit_file("old.env", format!("A={old}\nC={recent}\n"), "recent"); // 1_700_010_800
    let secrets = |args: &[&str]| -> Vec<String> {
        let mut args = args.to_vec();
        args.extend(["--show-secrets"]);
        let report = repo.json(FINDINGS, &args);
        let mut found: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["secret"].as_str().unwrap().to_string())
            .collect();
        found.sort();
        found
    };
    let mut all = vec![old.clone(), on_feature.clone(), recent.clone()];
    all.sort();
    assert_eq!(secrets(&["history"]), all);
    let mut on_master = vec![old.clone(), recent.clone()];
    on_master.sort();
    assert_eq!(secrets(&["history", "--branch", "master"]), on_master);
    assert_eq!(
        secrets(&["history", "--branch", "master", "--since", "1700010000"]),
        std::slice::from_ref(&recent)
    );
    assert_eq!(secrets(&["history", "--since", "2023-11-15T00:00:00Z"]), {
        let mut later = vec![on_feature.clone(), recent.clone()];
        later.sort();
        later
    });
    leakhound()
        .current_dir(repo.path())
        .args(["history", "--since", "last tuesday"])
        .assert()
        .code(2);
    leakhound()
        .current_dir(repo.path())
        .args(["history", "--branch", "no-such-branch"])
        .assert()
        .code(2);
}
