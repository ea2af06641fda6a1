//! The pre-commit framework (https://pre-commit.com) running this project's hook manifest,
//! `.pre-commit-hooks.yaml` (issue 14, section 2). Needs the `pre-commit` command (`pip install
//! pre-commit`); without it the test says so and passes, unless
//! `LEAKHOUND_REQUIRE_PRE_COMMIT=1` (set by `.ci/run`) makes its absence a failure.
//!
//! The manifest says `language: rust`, with which the framework builds leakhound from the
//! hook repository with `cargo install`; here the hook repository is a copy of the manifest
//! alone with `language: system`, so the framework runs the leakhound under test (on `PATH`)
//! with exactly the manifest's entries, arguments and file passing.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::{github_pat, isolate_git, TempTree};

const MANIFEST: &str = include_str!("../../.pre-commit-hooks.yaml");

#[allow(clippy::print_stderr, reason = "a skipped test says why")]
fn pre_commit_available() -> bool {
    let found = Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        assert!(
            std::env::var("LEAKHOUND_REQUIRE_PRE_COMMIT").as_deref() != Ok("1"),
            "the pre-commit command is required (pip install pre-commit)"
        );
        eprintln!("skipped: the pre-commit command is not installed (pip install pre-commit)");
    }
    found
}

struct Setup {
    _tree: TempTree,
    home: PathBuf,
    repo: PathBuf,
}

impl Setup {
    fn command(&self, program: &str, args: &[&str]) -> Command {
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_leakhound")).parent().unwrap();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new(program);
        isolate_git(&mut command, &self.home)
            .current_dir(&self.repo)
            .args(args)
            .env("PATH", path)
            .env("PRE_COMMIT_HOME", self.home.join("pre-commit-cache"));
        command
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        self.command(program, args).output().unwrap()
    }

    fn git(&self, args: &[&str]) {
        let output = self.run("git", args);
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn write(&self, rel: &str, content: &str) {
        std::fs::write(self.repo.join(rel), content).unwrap();
    }
}

/// A project using a hook repository that holds this project's manifest.
fn setup() -> Setup {
    let tree = TempTree::new();
    let home = tree.path().join("home");
    let hooks_repo = tree.path().join("hooks-repo");
    let repo = tree.path().join("project");
    for dir in [&home, &hooks_repo, &repo] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let setup = Setup {
        _tree: tree,
        home,
        repo: hooks_repo.clone(),
    };
    assert!(MANIFEST.contains("language: rust"));
    setup.write(
        ".pre-commit-hooks.yaml",
        &MANIFEST.replace("language: rust", "language: system"),
    );
    setup.git(&["init", "-q", "-b", "main"]);
    setup.git(&["add", "."]);
    setup.git(&["commit", "-q", "-m", "hooks"]);
    let rev = String::from_utf8(setup.run("git", &["rev-parse", "HEAD"]).stdout).unwrap();
    let setup = Setup { repo, ..setup };
    setup.git(&["init", "-q", "-b", "main"]);
    setup.write(
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n- repo: {}\n  rev: {}\n  hooks:\n  - id: leakhound\n  - id: leakhound-files\n",
            hooks_repo.display(),
            rev.trim()
        ),
    );
    setup.write("app.py", "print('hello')\n");
    setup.git(&["add", "."]);
    setup.git(&["commit", "-q", "-m", "init"]);
    setup
}

/// What the framework printed (its report goes to stdout, or to stderr under `git commit`).
fn failed_hooks(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn issue_14_pre_commit_framework_all_files_and_files_find_committed_secrets() {
    if !pre_commit_available() {
        return;
    }
    let setup = setup();
    let token = github_pat();
    setup.write("settings.env", &format!("GITHUB_TOKEN={token}\n"));
    setup.git(&["add", "."]);
    setup.git(&["commit", "-q", "--no-verify", "-m", "a committed secret"]);

    // `--all-files` (pre-commit.ci, CI set-ups): leakhound-files scans every tracked file.
    let all = setup.run("pre-commit", &["run", "--all-files"]);
    let said = failed_hooks(&all);
    assert!(!all.status.success(), "{said}");
    assert!(
        said.contains("leakhound (secrets in files)") && said.contains("settings.env"),
        "{said}"
    );
    assert!(!said.contains(&token), "secret printed: {said}");
    // The staged-changes hook has nothing staged to judge there, by design.
    let staged = setup.run("pre-commit", &["run", "leakhound", "--all-files"]);
    assert!(staged.status.success(), "{}", failed_hooks(&staged));

    // `--files X`.
    let files = setup.run(
        "pre-commit",
        &["run", "leakhound-files", "--files", "settings.env"],
    );
    assert!(!files.status.success(), "{}", failed_hooks(&files));
    let clean = setup.run(
        "pre-commit",
        &["run", "leakhound-files", "--files", "app.py"],
    );
    assert!(clean.status.success(), "{}", failed_hooks(&clean));
}

#[test]
fn issue_14_pre_commit_framework_blocks_a_commit_with_either_hook() {
    if !pre_commit_available() {
        return;
    }
    let setup = setup();
    let installed = setup.run("pre-commit", &["install"]);
    assert!(installed.status.success(), "{}", failed_hooks(&installed));
    setup.write("new.env", &format!("TOKEN={}\n", github_pat()));
    setup.git(&["add", "new.env"]);
    let commit = setup.run("git", &["commit", "-m", "leak"]);
    let said = failed_hooks(&commit);
    assert!(!commit.status.success(), "{said}");
    assert!(
        said.contains("leakhound (secrets in staged changes)"),
        "{said}"
    );
    // Both hooks failed on it.
    assert_eq!(said.matches("Failed").count(), 2, "{said}");
    // A clean commit goes through.
    setup.git(&["rm", "-q", "--cached", "new.env"]);
    setup.write("ok.txt", "fine\n");
    setup.git(&["add", "ok.txt"]);
    let commit = setup.run("git", &["commit", "-m", "clean"]);
    assert!(commit.status.success(), "{}", failed_hooks(&commit));
}
