//! History provenance against an oracle (issue 14, section 3): for every finding of every test
//! history, the named commit's parents do not hold the secret anywhere, and one of the
//! commit's own blobs does. The histories have renames, moves with edits, commits in the same
//! second, merges bringing a secret from a side branch, reverts, and a secret removed and
//! re-added later. They are made with the `git` command line, every commit at the same second.

use std::path::Path;

use crate::util::{git_command, github_pat, leakhound, npm_token, TempTree, CLEAN, FINDINGS};

struct Git {
    tree: TempTree,
}

impl Git {
    fn init() -> Git {
        let git = Git {
            tree: TempTree::new(),
        };
        git.run(&["init", "-q", "-b", "main"]);
        git
    }

    fn path(&self) -> &Path {
        self.tree.path()
    }

    fn run(&self, args: &[&str]) -> String {
        let output = git_command(self.path(), self.path())
            .args(["-c", "core.hooksPath=/dev/null"])
            .args(args)
            // Every commit in the same second: order must come from the graph.
            .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    fn write(&self, rel: &str, content: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    fn commit(&self, message: &str) -> String {
        self.run(&["add", "-A"]);
        self.run(&["commit", "-q", "--allow-empty", "-m", message]);
        self.run(&["rev-parse", "HEAD"])
    }

    /// `leakhound history --show-secrets --format json`, which must exit with `code`.
    #[track_caller]
    fn history(&self, code: i32, args: &[&str]) -> serde_json::Value {
        let output = leakhound()
            .current_dir(self.path())
            .args(["history", "--show-secrets", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        crate::util::json_with_code(&output, code, args)
    }

    /// The human report of `leakhound history` (secrets redacted).
    fn human_history(&self) -> String {
        let output = leakhound()
            .current_dir(self.path())
            .args(["history", "--no-progress"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Whether any blob of `commit`'s tree holds `secret`.
    fn holds(&self, commit: &str, secret: &str) -> bool {
        let files = self.run(&["ls-tree", "-r", "--name-only", commit]);
        files.lines().any(|file| {
            let output = std::process::Command::new("git")
                .args(["cat-file", "blob", &format!("{commit}:{file}")])
                .current_dir(self.path())
                .output()
                .unwrap();
            String::from_utf8_lossy(&output.stdout).contains(secret)
        })
    }

    fn parents(&self, commit: &str) -> Vec<String> {
        self.run(&["rev-list", "--parents", "-n", "1", commit])
            .split_whitespace()
            .skip(1)
            .map(str::to_string)
            .collect()
    }

    /// The oracle: every finding names a commit that holds its secret and whose parents do not;
    /// so does every place listed as a reintroduction. Returns the findings.
    fn check_oracle(&self) -> Vec<serde_json::Value> {
        let report = self.history(FINDINGS, &[]);
        let findings = report["findings"].as_array().unwrap().clone();
        for finding in &findings {
            let secret = finding["secret"].as_str().unwrap();
            let commit = finding["commit"]["id"].as_str().unwrap();
            let introduced = |commit: &str| {
                assert!(
                    self.holds(commit, secret),
                    "{commit} does not hold it: {finding:#}"
                );
                for parent in self.parents(commit) {
                    assert!(
                        !self.holds(&parent, secret),
                        "parent {parent} of {commit} already holds it: {finding:#}"
                    );
                }
            };
            introduced(commit);
            for place in finding["also_at"].as_array().into_iter().flatten() {
                let at = place["commit"].as_str().unwrap();
                assert!(self.holds(at, secret), "{place}");
                if place["reintroduced"] == true {
                    assert_ne!(at, commit, "{place}: the first commit's own copy came back");
                    introduced(at);
                } else if at == commit {
                    // Another path added in the same commit: a copy, not a return.
                    introduced(at);
                } else {
                    assert!(
                        self.parents(at).iter().any(|p| self.holds(p, secret)),
                        "{place} listed as moved or copied, but no parent holds it"
                    );
                }
            }
        }
        // One finding per (rule, secret).
        let mut keys: Vec<(String, String)> = findings
            .iter()
            .map(|f| {
                (
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["secret"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        keys.sort();
        let before = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), before, "a secret reported twice: {report:#}");
        findings
    }
}

fn finding_for<'a>(findings: &'a [serde_json::Value], secret: &str) -> &'a serde_json::Value {
    findings
        .iter()
        .find(|f| f["secret"] == secret)
        .unwrap_or_else(|| panic!("no finding for the secret in {findings:#?}"))
}

#[test]
fn issue_14_renames_and_moves_do_not_make_a_secret_new() {
    let git = Git::init();
    let token = github_pat();
    git.write("README.md", "hello\n");
    git.write("config/app.env", &format!("GITHUB_TOKEN={token}\n"));
    let introduced = git.commit("add config");
    std::fs::create_dir(git.path().join("settings")).unwrap();
    git.run(&["mv", "config/app.env", "settings/app.env"]);
    git.commit("pure rename");
    // Moved and edited in the same commit: a new blob at a new path.
    std::fs::create_dir(git.path().join("deploy")).unwrap();
    git.run(&["mv", "settings/app.env", "deploy/prod.env"]);
    git.write(
        "deploy/prod.env",
        &format!("# production\nGITHUB_TOKEN={token}\nREGION=eu\n"),
    );
    let moved = git.commit("move and edit");
    for i in 0..3 {
        git.write("README.md", &format!("hello {i}\n"));
        git.commit("same second");
    }
    let findings = git.check_oracle();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let finding = finding_for(&findings, &token);
    assert_eq!(finding["commit"]["id"], introduced);
    assert_eq!(finding["path"], "config/app.env");
    let places = finding["also_at"].as_array().unwrap();
    assert!(
        places.iter().any(|p| p["path"] == "deploy/prod.env"
            && p["commit"] == moved.as_str()
            && p["reintroduced"] == false),
        "{finding:#}"
    );
}

#[test]
fn issue_14_same_second_commits_blame_the_parent_not_the_child() {
    let git = Git::init();
    let token = npm_token();
    git.write("a.txt", "a\n");
    git.commit("root");
    git.write(
        ".npmrc",
        &format!("//registry.npmjs.org/:_authToken={token}\n"),
    );
    let introduced = git.commit("parent adds it");
    // The child edits the same file in the same second.
    git.write(
        ".npmrc",
        &format!("//registry.npmjs.org/:_authToken={token}\nsave-exact=true\n"),
    );
    git.commit("child edits it");
    let findings = git.check_oracle();
    assert_eq!(finding_for(&findings, &token)["commit"]["id"], introduced);
}

#[test]
fn issue_14_merges_reverts_and_a_secret_that_comes_back() {
    let git = Git::init();
    git.write("app.txt", "v1\n");
    git.commit("root");
    // A side branch introduces a secret; the merge brings it to main.
    git.run(&["checkout", "-q", "-b", "side"]);
    let side_token = github_pat();
    git.write("side/keys.env", &format!("TOKEN={side_token}\n"));
    let on_side = git.commit("side adds a secret");
    git.run(&["checkout", "-q", "main"]);
    git.write("app.txt", "v2\n");
    git.commit("main moves on");
    git.run(&["merge", "-q", "--no-edit", "side"]);

    // A secret added, reverted, and the revert reverted.
    let reverted = github_pat();
    git.write("ci.env", &format!("CI_TOKEN={reverted}\n"));
    let added = git.commit("add ci token");
    git.run(&["revert", "--no-edit", "HEAD"]);
    git.run(&["revert", "--no-edit", "HEAD"]);

    // A secret removed, then re-added later among other changes.
    let returning = github_pat();
    git.write("db.env", &format!("USER=app\nTOKEN={returning}\n"));
    let first = git.commit("add db token");
    std::fs::remove_file(git.path().join("db.env")).unwrap();
    git.commit("remove db token");
    git.write("app.txt", "v3\n");
    git.commit("unrelated");
    git.write("db.env", &format!("USER=app2\nTOKEN={returning}\nPOOL=5\n"));
    let back = git.commit("re-add db token");

    let findings = git.check_oracle();
    assert_eq!(findings.len(), 3, "{findings:#?}");
    assert_eq!(finding_for(&findings, &side_token)["commit"]["id"], on_side);
    assert_eq!(finding_for(&findings, &reverted)["commit"]["id"], added);
    let finding = finding_for(&findings, &returning);
    assert_eq!(finding["commit"]["id"], first);
    assert!(
        finding["also_at"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["commit"] == back.as_str() && p["reintroduced"] == true),
        "the re-addition is listed as a comeback: {finding:#}"
    );
    // The human report says it came back.
    let human = git.human_history();
    assert!(human.contains("came back:"), "{human}");
    assert!(!human.contains(&returning));

    // Packed, the parents' blobs are searched in pack order instead of read one by one: the
    // same findings, the same comeback.
    git.run(&["repack", "-adq"]);
    git.run(&["prune-packed", "-q"]);
    assert_eq!(git.check_oracle(), findings);
}

/// A secret committed at two paths at once: the second path is a copy made with the first,
/// not a comeback; a later re-addition after its removal is one.
#[test]
fn a_copy_added_in_the_same_commit_is_not_a_comeback() {
    let git = Git::init();
    git.write("a.txt", "a\n");
    git.commit("root");
    let token = github_pat();
    git.write("app.env", &format!("TOKEN={token}\n"));
    git.write("copy/app.env", &format!("# copy\nTOKEN={token}\n"));
    let added = git.commit("add it twice");
    std::fs::remove_file(git.path().join("app.env")).unwrap();
    std::fs::remove_file(git.path().join("copy/app.env")).unwrap();
    git.commit("remove both");
    git.write("later.env", &format!("TOKEN={token}\nPOOL=5\n"));
    let back = git.commit("add it again");
    let findings = git.check_oracle();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let finding = finding_for(&findings, &token);
    assert_eq!(finding["commit"]["id"], added);
    let places = finding["also_at"].as_array().unwrap();
    let copy = (places.iter())
        .find(|p| p["commit"] == added.as_str())
        .unwrap_or_else(|| panic!("the copy is listed: {finding:#}"));
    assert_eq!(copy["reintroduced"], false, "{finding:#}");
    assert!(
        places
            .iter()
            .any(|p| p["commit"] == back.as_str() && p["reintroduced"] == true),
        "{finding:#}"
    );
    let human = git.human_history();
    assert_eq!(human.matches("came back:").count(), 1, "{human}");
}

/// A secret that keeps coming back, and is copied to a new file each time: more of its
/// parents' trees must be read whole than the de-duplication reads one by one (a copy's parent
/// holds it at neither of the paths looked at first), so it searches every packed blob up
/// front instead. Loose or packed, each return is a comeback and each copy is not.
#[test]
fn a_secret_that_keeps_coming_back_is_a_comeback_each_time() {
    let git = Git::init();
    git.write("a.txt", "a\n");
    git.commit("root");
    let token = github_pat();
    let mut added = Vec::new();
    let mut copied = Vec::new();
    for round in 0..6 {
        // Each file different, so that each is a blob of its own with a finding of its own.
        let text = format!("# round {round}\nTOKEN={token}\n");
        git.write(&format!("r{round}/app.env"), &text);
        added.push(git.commit("add it"));
        git.write(&format!("r{round}/copy.env"), &format!("# copy\n{text}"));
        copied.push(git.commit("copy it"));
        std::fs::remove_dir_all(git.path().join(format!("r{round}"))).unwrap();
        git.commit("remove it");
    }
    let check = |git: &Git| {
        let findings = git.check_oracle();
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let finding = finding_for(&findings, &token);
        assert_eq!(finding["commit"]["id"], added[0]);
        let places = finding["also_at"].as_array().unwrap();
        let at = |reintroduced: bool| -> Vec<&str> {
            (places.iter())
                .filter(|p| p["reintroduced"] == reintroduced)
                .map(|p| p["commit"].as_str().unwrap())
                .collect()
        };
        assert_eq!(at(true), added[1..], "{finding:#}");
        assert!(copied.iter().all(|c| at(false).contains(&c.as_str())));
        findings
    };
    let loose = check(&git);
    git.run(&["repack", "-adq"]);
    git.run(&["prune-packed", "-q"]);
    assert_eq!(check(&git), loose);
}

#[test]
fn issue_14_a_pull_request_that_only_moves_or_edits_an_old_secret_adds_nothing() {
    let git = Git::init();
    let token = github_pat();
    git.write("config/app.env", &format!("TOKEN={token}\n"));
    git.commit("old secret on main");
    git.run(&["checkout", "-q", "-b", "pr"]);
    // Moved far enough that git sees a delete and an add, with the secret line touched.
    git.write(
        "services/api/settings.env",
        &format!("# api settings\nNAME=api\nPORT=8080\nTOKEN={token} \nDEBUG=0\n"),
    );
    std::fs::remove_file(git.path().join("config/app.env")).unwrap();
    git.commit("move the settings");
    git.write("services/api/copy.env", &format!("TOKEN={token}\n"));
    git.commit("copy it");
    let report = git.history(CLEAN, &["--base", "main"]);
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        0,
        "{report:#}"
    );
    // A new secret in the same pull request is still reported.
    let fresh = github_pat();
    git.write("services/api/new.env", &format!("TOKEN={fresh}\n"));
    git.commit("new secret");
    let report = git.history(FINDINGS, &["--base", "main"]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["secret"], fresh.as_str());
}

/// Issue 15, item 12: a secret added while resolving a merge (an "evil merge") is what the
/// merge adds, and the pull-request gate reports it; what the merge takes from a parent is not.
#[test]
fn issue_15_range_mode_reports_a_secret_added_by_a_merge_itself() {
    let git = Git::init();
    git.write("app.txt", "v1\n");
    git.commit("root");
    git.run(&["checkout", "-q", "-b", "pr"]);
    git.write("app.txt", "pr\n");
    git.commit("pr work");
    git.run(&["checkout", "-q", "main"]);
    let on_main = github_pat();
    git.write("app.txt", "main\n");
    git.write("main.env", &format!("TOKEN={on_main}\n"));
    git.commit("main moves on, with a secret of its own");
    git.run(&["checkout", "-q", "pr"]);
    // The pull request merges main in, resolving the conflict with a new secret.
    let output = git_command(git.path(), git.path())
        .args(["-c", "core.hooksPath=/dev/null", "merge", "main"])
        .output()
        .unwrap();
    assert!(!output.status.success(), "the merge conflicts");
    let evil = github_pat();
    git.write("app.txt", &format!("resolved\nTOKEN={evil}\n"));
    let merge = git.commit("merge main");
    // And a clean merge with an edit slipped in (`--no-commit`, then commit).
    git.run(&["checkout", "-q", "-b", "side", "main~1"]);
    git.write("side.txt", "side\n");
    git.commit("side");
    git.run(&["checkout", "-q", "pr"]);
    git.run(&["merge", "--no-commit", "--no-ff", "side"]);
    let slipped = github_pat();
    git.write("side.txt", &format!("side\nKEY={slipped}\n"));
    let second = git.commit("merge side");

    let report = git.history(FINDINGS, &["--base", "main"]);
    let mut found: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["secret"].as_str().unwrap().to_string(),
                f["commit"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    let mut expected = vec![(evil, merge), (slipped, second)];
    expected.sort();
    assert_eq!(found, expected, "{report:#}");
    assert!(!report.to_string().contains(&on_main));
}

/// Issue 15, item 11: in range mode the base commit's config, `.gitleaksignore` and baseline
/// judge the pull request; the pull request's own edits to them do not switch its gate off, and
/// are named in a warning.
#[test]
fn issue_15_a_pull_request_cannot_switch_its_own_gate_off() {
    let git = Git::init();
    let accepted = github_pat();
    git.write("README.md", "hi\n");
    // The base allowlists one fixture directory.
    git.write(
        ".leakhound.toml",
        "extend = \"ci/extra.toml\"\n[allowlist]\npaths = [\"/fixtures/\"]\n",
    );
    git.write("ci/extra.toml", "[allowlist]\nstopwords = [\"example\"]\n");
    git.write("fixtures/sample.env", &format!("TOKEN={accepted}\n"));
    git.commit("base with a config");
    git.run(&["checkout", "-q", "-b", "pr"]);
    let live = github_pat();
    git.write("deploy.env", &format!("TOKEN={live}\n"));
    // The pull request turns the built-in rules off, allowlists everything, ignores and
    // baselines its own finding.
    git.write(
        ".leakhound.toml",
        "builtin = false\n[allowlist]\npaths = [\"/fixtures/\", \"*.env\"]\n",
    );
    git.write(".gitleaksignore", "deploy.env:github-pat:1\n");
    git.write("ci/extra.toml", "builtin = false\n");
    git.write("baseline.json", "{\"version\":2,\"findings\":[]}\n");
    let fixture = github_pat();
    git.write("fixtures/more.env", &format!("TOKEN={fixture}\n"));
    git.commit("pr adds a key and switches the gate off");

    let output = leakhound()
        .current_dir(git.path())
        .args([
            "history",
            "--base",
            "main",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
            "--show-secrets",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "the gate fails");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let secrets: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    // The base's allowlist still applies to its fixtures; the new key is reported.
    assert_eq!(secrets, [live.as_str()], "{report:#}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for changed in [
        ".leakhound.toml",
        ".gitleaksignore",
        "baseline.json",
        "ci/extra.toml",
    ] {
        assert!(
            stderr.contains(&format!("this change edits {changed}")),
            "{changed}: {stderr}"
        );
    }
    // A full scan of the checkout uses the checkout's config, as before.
    let output = leakhound()
        .current_dir(git.path())
        .args(["scan", "-q"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
}
