//! The git hooks as git runs them: every way `git commit` runs a pre-commit hook, the hook
//! failing closed, chaining a hook it replaced, pre-push and a server's pre-receive. These run
//! the real `git` binary with the hooks `install-hook` writes (issue 14, section 1).
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::util::{git_command, github_pat, leakhound, TempTree};

/// A repository driven by the `git` command line, isolated from the user's git config.
struct Git {
    tree: TempTree,
    home: TempTree,
    dir: PathBuf,
}

impl Git {
    fn init() -> Git {
        let tree = TempTree::new();
        let dir = tree.path().join("repo");
        std::fs::create_dir(&dir).unwrap();
        let git = Git {
            tree,
            home: TempTree::new(),
            dir,
        };
        git.ok(&["init", "-q", "-b", "main"]);
        git.ok(&["config", "user.name", "Ada"]);
        git.ok(&["config", "user.email", "ada@example.com"]);
        git
    }

    /// A repository at `dir` that shares this one's isolated home.
    fn at(&self, dir: &Path) -> Git {
        Git {
            tree: TempTree::new(),
            home: TempTree::new(),
            dir: dir.to_path_buf(),
        }
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = git_command(&self.dir, self.home.path());
        command.args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn run_with_input(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn write(&self, rel: &str, content: &str) {
        let path = self.dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    fn head(&self) -> String {
        self.ok(&["rev-parse", "HEAD"]).trim().to_string()
    }

    fn commit_count(&self) -> usize {
        self.ok(&["rev-list", "--count", "--all"])
            .trim()
            .parse()
            .unwrap()
    }

    fn install(&self, args: &[&str]) {
        leakhound()
            .current_dir(&self.dir)
            .arg("install-hook")
            .args(args)
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .assert()
            .code(0);
    }
}

fn secret_line() -> String {
    format!("GITHUB_TOKEN={}\n", github_pat())
}

/// A commit the hook blocks: git fails, names leakhound, and HEAD does not move.
fn assert_blocked(git: &Git, before: Option<&str>, output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "not blocked: {stderr}");
    assert!(stderr.contains("leakhound"), "{stderr}");
    if let Some(before) = before {
        assert_eq!(git.head(), before, "the commit was made");
    }
}

fn assert_passed(output: &Output) {
    assert!(
        output.status.success(),
        "blocked: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A repository with one clean commit and leakhound's pre-commit hook.
fn hooked() -> Git {
    let git = Git::init();
    git.write("app.txt", "hello\n");
    git.write("config.env", "DEBUG=1\n");
    git.ok(&["add", "."]);
    git.ok(&["commit", "-q", "-m", "init"]);
    git.install(&[]);
    git
}

#[test]
fn issue_14_every_way_git_commits_runs_the_scan() {
    // Plain: add, then commit.
    let git = hooked();
    let head = git.head();
    git.write("new.env", &secret_line());
    git.ok(&["add", "new.env"]);
    assert_blocked(&git, Some(&head), &git.run(&["commit", "-m", "plain"]));
    git.ok(&["reset", "-q", "new.env"]);
    std::fs::remove_file(git.dir.join("new.env")).unwrap();

    // -a: git gives the hook a temporary index (GIT_INDEX_FILE).
    git.write("config.env", &secret_line());
    assert_blocked(&git, Some(&head), &git.run(&["commit", "-a", "-m", "all"]));
    // <path>, --only <path>, --include <path>: temporary indexes too.
    assert_blocked(
        &git,
        Some(&head),
        &git.run(&["commit", "config.env", "-m", "path"]),
    );
    assert_blocked(
        &git,
        Some(&head),
        &git.run(&["commit", "--only", "config.env", "-m", "only"]),
    );
    git.write("other.txt", "fine\n");
    git.ok(&["add", "other.txt"]);
    assert_blocked(
        &git,
        Some(&head),
        &git.run(&["commit", "--include", "config.env", "-m", "include"]),
    );
    // Interactive -p: the hunks chosen at the prompt.
    let patch = git.run_with_input(&["commit", "-p", "-m", "patch"], "y\ny\n");
    assert_blocked(&git, Some(&head), &patch);

    // A clean change passes, the same ways.
    git.write("config.env", "DEBUG=0\n");
    assert_passed(&git.run(&["commit", "-a", "-m", "clean -a"]));
    let head = git.head();

    // --amend that adds a secret.
    git.write("amended.env", &secret_line());
    git.ok(&["add", "amended.env"]);
    assert_blocked(
        &git,
        Some(&head),
        &git.run(&["commit", "--amend", "--no-edit"]),
    );
}

#[test]
fn issue_14_the_first_commit_of_a_repository_is_scanned() {
    let git = Git::init();
    git.install(&[]);
    git.write("keys.env", &secret_line());
    git.ok(&["add", "."]);
    let output = git.run(&["commit", "-m", "first"]);
    assert_blocked(&git, None, &output);
    assert!(git.run(&["rev-parse", "--verify", "HEAD"]).status.code() != Some(0));
}

#[test]
fn issue_14_a_merge_commit_is_judged_on_what_the_resolution_adds() {
    let git = hooked();
    // A side branch holding a secret committed earlier (past the hook, as old history is).
    git.ok(&["checkout", "-q", "-b", "side"]);
    git.write("side.env", &secret_line());
    git.write("app.txt", "side\n");
    git.ok(&["add", "."]);
    git.ok(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        "side with an old secret",
    ]);
    git.ok(&["checkout", "-q", "main"]);
    git.write("app.txt", "main\n");
    git.ok(&["commit", "-q", "-a", "-m", "main"]);
    // Conflicting merge: `git commit` after the resolution runs the pre-commit hook.
    assert!(!git.run(&["merge", "side"]).status.success());
    git.write("app.txt", "resolved\n");
    git.ok(&["add", "app.txt"]);
    let head = git.head();
    assert_passed(&git.run(&["commit", "--no-edit"]));
    assert_ne!(git.head(), head);

    // A secret added while resolving is the merge's own: blocked.
    git.ok(&["checkout", "-q", "-b", "side2", "HEAD~1"]);
    git.write("app.txt", "side2\n");
    git.ok(&["commit", "-q", "-a", "--no-verify", "-m", "side2"]);
    git.ok(&["checkout", "-q", "main"]);
    assert!(!git.run(&["merge", "side2"]).status.success());
    git.write("app.txt", &format!("resolved\n{}", secret_line()));
    git.ok(&["add", "app.txt"]);
    let head = git.head();
    assert_blocked(&git, Some(&head), &git.run(&["commit", "--no-edit"]));
}

#[test]
fn issue_14_a_worktree_and_a_submodule_are_hooked() {
    let git = hooked();
    // `git worktree add`: the hook lives in the common directory, the index is the worktree's.
    let worktree_dir = git.tree.path().join("wt");
    git.ok(&["worktree", "add", "-q", worktree_dir.to_str().unwrap()]);
    let worktree = git.at(&worktree_dir);
    let head = worktree.head();
    worktree.write("wt.env", &secret_line());
    worktree.ok(&["add", "wt.env"]);
    assert_blocked(
        &worktree,
        Some(&head),
        &worktree.run(&["commit", "-m", "wt"]),
    );
    // Installing from inside the worktree writes the shared hook too.
    worktree.install(&[]);
    assert!(git.dir.join(".git/hooks/pre-commit").exists());
    assert!(!git.dir.join(".git/worktrees/wt/hooks/pre-commit").exists());

    // A submodule's own repository (its git directory lives in the superproject's).
    let library = Git::init();
    library.write("lib.txt", "lib\n");
    library.ok(&["add", "."]);
    library.ok(&["commit", "-q", "-m", "lib"]);
    git.ok(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        library.dir.to_str().unwrap(),
        "lib",
    ]);
    let submodule = git.at(&git.dir.join("lib"));
    submodule.install(&[]);
    assert!(git.dir.join(".git/modules/lib/hooks/pre-commit").exists());
    let head = submodule.head();
    submodule.write("lib.env", &secret_line());
    submodule.ok(&["add", "lib.env"]);
    assert_blocked(
        &submodule,
        Some(&head),
        &submodule.run(&["commit", "-m", "sub"]),
    );
}

#[test]
fn issue_14_the_hook_fails_closed_and_can_be_skipped_on_purpose() {
    let git = hooked();
    let hook = git.dir.join(".git/hooks/pre-commit");
    let script = std::fs::read_to_string(&hook).unwrap();
    // The installing binary's absolute path is written in.
    let binary = std::fs::canonicalize(env!("CARGO_BIN_EXE_leakhound")).unwrap();
    assert!(
        script.contains(&format!("installed='{}'", binary.display()))
            || script.contains(&format!("installed='{}'", env!("CARGO_BIN_EXE_leakhound"))),
        "{script}"
    );
    // Binary gone and not on PATH: the commit is blocked, and the message says how to skip.
    let moved = script.replace(
        &format!("installed='{}'", env!("CARGO_BIN_EXE_leakhound")),
        "installed='/nonexistent/leakhound'",
    );
    let moved = moved.replace(
        &format!("installed='{}'", binary.display()),
        "installed='/nonexistent/leakhound'",
    );
    std::fs::write(&hook, moved).unwrap();
    git.write("clean.txt", "clean\n");
    git.ok(&["add", "clean.txt"]);
    let head = git.head();
    let output = git
        .command(&["commit", "-m", "no binary"])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_blocked(&git, Some(&head), &output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--no-verify") && stderr.contains("LEAKHOUND_SKIP=1"),
        "{stderr}"
    );
    // Skipping deliberately works, and says so.
    let output = git
        .command(&["commit", "-m", "skipped"])
        .env("PATH", "/usr/bin:/bin")
        .env("LEAKHOUND_SKIP", "1")
        .output()
        .unwrap();
    assert_passed(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("NOT scanned"));
    // LEAKHOUND names the binary when it is elsewhere.
    git.write("leak.env", &secret_line());
    git.ok(&["add", "leak.env"]);
    let head = git.head();
    let output = git
        .command(&["commit", "-m", "env binary"])
        .env("PATH", "/usr/bin:/bin")
        .env("LEAKHOUND", env!("CARGO_BIN_EXE_leakhound"))
        .output()
        .unwrap();
    assert_blocked(&git, Some(&head), &output);
}

#[test]
fn issue_14_force_keeps_a_foreign_hook_and_runs_it_after_ours() {
    let git = Git::init();
    git.write("a.txt", "a\n");
    git.ok(&["add", "."]);
    git.ok(&["commit", "-q", "-m", "a"]);
    let hooks = git.dir.join(".git/hooks");
    let marker = git.tree.path().join("foreign-ran");
    let foreign = format!(
        "#!/bin/sh\necho ran >> '{}'\ntest ! -e \"$(git rev-parse --show-toplevel)/veto\"\n",
        marker.display()
    );
    std::fs::write(hooks.join("pre-commit"), &foreign).unwrap();
    make_executable(&hooks.join("pre-commit"));
    // Without --force the foreign hook is left alone.
    leakhound()
        .current_dir(&git.dir)
        .arg("install-hook")
        .assert()
        .code(2);
    let installed = leakhound()
        .current_dir(&git.dir)
        .args(["install-hook", "--force"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&installed.stdout).contains("before-leakhound"));
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit.before-leakhound")).unwrap(),
        foreign
    );
    // A clean commit runs both hooks.
    git.write("b.txt", "b\n");
    git.ok(&["add", "b.txt"]);
    assert_passed(&git.run(&["commit", "-m", "b"]));
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "ran\n");
    // The foreign hook's veto still blocks.
    git.write("veto", "");
    git.ok(&["add", "veto"]);
    let head = git.head();
    let output = git.run(&["commit", "-m", "vetoed"]);
    assert!(!output.status.success());
    assert_eq!(git.head(), head);
    // A secret is blocked by ours before the foreign one runs.
    git.write("leak.env", &secret_line());
    git.ok(&["add", "leak.env"]);
    assert_blocked(&git, Some(&head), &git.run(&["commit", "-m", "leak"]));
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "ran\nran\n");
    // Reinstalling keeps the chain.
    git.install(&["--force"]);
    assert!(hooks.join("pre-commit.before-leakhound").exists());
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A bare repository to push to, next to `git`'s.
fn remote_for(git: &Git) -> Git {
    let dir = git.tree.path().join("remote.git");
    let remote = git.at(git.tree.path());
    remote.ok(&["init", "-q", "--bare", "-b", "main", dir.to_str().unwrap()]);
    git.ok(&["remote", "add", "origin", dir.to_str().unwrap()]);
    git.at(&dir)
}

#[test]
fn issue_14_pre_push_scans_exactly_the_commits_being_pushed() {
    let git = hooked();
    let remote = remote_for(&git);
    git.ok(&["push", "-q", "origin", "main"]);
    git.install(&["--pre-push"]);
    assert!(git.dir.join(".git/hooks/pre-push").exists());

    // A clean commit pushes.
    git.write("clean.txt", "clean\n");
    git.ok(&["add", "."]);
    git.ok(&["commit", "-q", "-m", "clean"]);
    assert_passed(&git.run(&["push", "-q", "origin", "main"]));

    // A secret committed past the pre-commit hook is stopped at the push.
    git.write("leak.env", &secret_line());
    git.ok(&["add", "."]);
    git.ok(&["commit", "-q", "--no-verify", "-m", "leak"]);
    let leak = git.head();
    let output = git.run(&["push", "origin", "main"]);
    assert!(!output.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(said.contains("leak.env"), "{said}");
    assert_ne!(remote.ok(&["rev-parse", "main"]).trim(), leak);

    // A new branch holding it is stopped too.
    git.ok(&["branch", "feature"]);
    assert!(!git.run(&["push", "origin", "feature"]).status.success());

    // A new branch whose commits the remote already has adds nothing.
    git.ok(&["branch", "old", "HEAD~1"]);
    assert_passed(&git.run(&["push", "-q", "origin", "old"]));
    // Deleting a branch adds nothing.
    assert_passed(&git.run(&["push", "-q", "origin", ":old"]));
    // The secret removed in a later commit is still in the pushed commits.
    git.ok(&["rm", "-q", "leak.env"]);
    git.ok(&["commit", "-q", "-m", "remove"]);
    assert!(!git.run(&["push", "origin", "main"]).status.success());
    // Skipping on purpose.
    assert_passed(&git.run(&["push", "-q", "--no-verify", "origin", "main"]));
}

#[test]
fn issue_14_pre_receive_rejects_a_push_naming_commit_and_path() {
    let git = hooked();
    let server = remote_for(&git);
    git.ok(&["push", "-q", "origin", "main"]);
    let hook = server.dir.join("hooks/pre-receive");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks/pre-receive"),
        &hook,
    )
    .unwrap();
    make_executable(&hook);
    let push = |args: &[&str]| {
        git.command(args)
            .env("LEAKHOUND", env!("CARGO_BIN_EXE_leakhound"))
            .output()
            .unwrap()
    };
    git.write("fine.txt", "fine\n");
    git.ok(&["add", "."]);
    git.ok(&["commit", "-q", "-m", "fine"]);
    assert_passed(&push(&["push", "-q", "origin", "main"]));

    git.write("deploy/prod.env", &secret_line());
    git.ok(&["add", "."]);
    git.ok(&["commit", "-q", "--no-verify", "-m", "leak"]);
    let leak = git.head();
    for args in [
        &["push", "origin", "main"][..],
        &["push", "origin", "main:refs/heads/new-branch"][..],
    ] {
        let output = push(args);
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("deploy/prod.env"), "{stderr}");
        assert!(stderr.contains(&leak[..7]), "{stderr}");
        assert!(stderr.contains("push rejected"), "{stderr}");
    }
    assert_ne!(server.ok(&["rev-parse", "main"]).trim(), leak);
    assert_eq!(server.commit_count(), 2);
}
