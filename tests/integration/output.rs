//! Report formats, redaction and snapshots.

use crate::util::*;

/// A tree with fixed (deterministic) fake secrets, for snapshots.
fn fixed_tree() -> (TempTree, Vec<String>) {
    let tree = TempTree::new();
    let body = "Zq3RtL8mXw2NvB7kYp4HsD9cFj6GaE";
    let checksum = base62_number(crc32fast::hash(body.as_bytes()), 6);
    let pat = format!("ghp_{body}{checksum}");
    let aws = format!("AKIA{}", "Z7WQ3RDXK5HPNM2T");
    tree.write(
        "app/config.py",
        format!("# settings\nGITHUB_TOKEN = \"{pat}\"\n"),
    );
    tree.write(
        ".env",
        format!("AWS_ACCESS_KEY_ID={aws} # two on a line: {pat}\n"),
    );
    (tree, vec![pat, aws])
}

fn run(tree: &TempTree, args: &[&str]) -> (String, String) {
    let output = leakhound()
        .current_dir(tree.path())
        .arg("scan")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn human_report_snapshot() {
    let (tree, _) = fixed_tree();
    let (stdout, _) = run(&tree, &[]);
    redacted(tree.path()).bind(|| insta::assert_snapshot!(stdout));
}

#[test]
fn json_report_snapshot_and_structure() {
    let (tree, _) = fixed_tree();
    let (stdout, _) = run(&tree, &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["version"], 1);
    for finding in report["findings"].as_array().unwrap() {
        for field in [
            "rule_id",
            "rule_name",
            "severity",
            "path",
            "line",
            "column",
            "end_line",
            "end_column",
            "secret",
            "fingerprint",
            "snippet",
            "entropy",
        ] {
            assert!(finding.get(field).is_some(), "missing {field}");
        }
        assert_eq!(finding["fingerprint"].as_str().unwrap().len(), 32);
        // Removed for security (issue 14): an unsalted hash of the secret.
        assert!(finding.get("secret_sha256").is_none());
    }
    redacted(tree.path())
        .bind(|| insta::assert_json_snapshot!(report, { ".stats.elapsed_ms" => "[elapsed]" }));
}

#[test]
fn jsonl_report_snapshot() {
    let (tree, _) = fixed_tree();
    let (stdout, _) = run(&tree, &["--format", "jsonl"]);
    assert_eq!(stdout.lines().count(), 3);
    for line in stdout.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
    redacted(tree.path()).bind(|| insta::assert_snapshot!(stdout));
}

#[test]
fn raw_secrets_never_appear_unless_asked_for() {
    let (tree, secrets) = fixed_tree();
    let report_file = tree.path().join("report.out");
    for format in ["human", "json", "jsonl"] {
        let (stdout, stderr) = run(&tree, &["--format", format, "-v"]);
        let (_, file_stderr) = run(
            &tree,
            &[
                "--format",
                format,
                "--output",
                report_file.to_str().unwrap(),
            ],
        );
        let file = std::fs::read_to_string(&report_file).unwrap();
        std::fs::remove_file(&report_file).unwrap();
        for secret in &secrets {
            for (name, text) in [
                ("stdout", &stdout),
                ("stderr", &stderr),
                ("file", &file),
                ("stderr", &file_stderr),
            ] {
                assert!(
                    !text.contains(secret.as_str()),
                    "{format} {name} leaks a secret:\n{text}"
                );
                // Not even a long piece of it.
                assert!(
                    !text.contains(&secret[4..16]),
                    "{format} {name} leaks part of a secret:\n{text}"
                );
            }
        }
        assert!(!file.is_empty());
        let (shown, _) = run(&tree, &["--format", format, "--show-secrets"]);
        for secret in &secrets {
            assert!(
                shown.contains(secret.as_str()),
                "{format} --show-secrets shows {secret}"
            );
        }
    }
}

#[test]
fn hostile_file_names_are_escaped_in_human_output() {
    let tree = TempTree::new();
    let name = "evil\u{1b}[2J\u{202e}name.txt";
    tree.write(name, format!("{}\n", github_pat()));
    let (stdout, _) = run(&tree, &[]);
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{202e}'),
        "{stdout:?}"
    );
    assert!(
        stdout.contains("evil\\u{1b}[2J\\u{202e}name.txt:1:1"),
        "{stdout}"
    );
    let (json, _) = run(&tree, &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        report["findings"][0]["path"], name,
        "JSON keeps the name intact"
    );
}

#[test]
fn the_summary_goes_to_stderr_and_quiet_silences_it() {
    let (tree, _) = fixed_tree();
    let (_, stderr) = run(&tree, &[]);
    assert!(stderr.starts_with("leakhound: scanned 2 files"), "{stderr}");
    assert!(stderr.contains("3 findings (3 high)"), "{stderr}");
    let (_, quiet) = run(&tree, &["-q"]);
    assert_eq!(quiet, "");
}

#[test]
fn sarif_and_csv_report_snapshots() {
    let (tree, _) = fixed_tree();
    let (sarif, _) = run(&tree, &["--format", "sarif"]);
    let document: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let driver = &document["runs"][0]["tool"]["driver"];
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let (csv, _) = run(&tree, &["--format", "csv"]);
    redacted(tree.path()).bind(|| {
        insta::assert_json_snapshot!("sarif_report", document, {
            ".runs[].tool.driver.version" => "[version]",
            ".runs[].tool.driver.semanticVersion" => "[version]",
        });
        insta::assert_snapshot!("csv_report", csv);
    });
}

/// insta settings for the text reports of `dir`: its path, timings and commit ids are replaced
/// by placeholders (they change from run to run, or with any change to how the test builds its
/// repository); everything else, fingerprints included, is compared. JSON snapshots name their
/// volatile fields with insta's redactions instead; text has no fields to name.
fn redacted(dir: &std::path::Path) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let path = dir.to_str().unwrap();
    settings.add_filter(&regex::escape(path), "[dir]");
    if let Ok(canonical) = dir.canonicalize() {
        settings.add_filter(&regex::escape(canonical.to_str().unwrap()), "[dir]");
    }
    settings.add_filter(r#"time="[0-9.]+""#, r#"time="[time]""#);
    settings.add_filter(r"\b[0-9a-f]{40}\b", "[commit]");
    settings.add_filter(r"commit: [0-9a-f]{12}\b", "commit: [commit]");
    settings
}

/// A repository with fixed fake secrets (from a fixed seed, so the same on every run): one
/// committed and still there, one committed and deleted in a later commit.
fn fixed_repo() -> TempRepo {
    fixed_seed(16);
    let mut repo = TempRepo::new();
    repo.commit_file("README.md", "# demo\n", "start");
    repo.commit_file(
        "deploy/.env",
        format!("GITHUB_TOKEN={}\n", github_pat()),
        "deploy settings",
    );
    repo.commit_file(
        "old.py",
        format!("AWS_ACCESS_KEY_ID = \"{}\"\n", aws_key_id()),
        "old script",
    );
    repo.remove("old.py");
    repo.commit("remove the old script");
    repo
}

#[test]
fn history_report_snapshots() {
    let repo = fixed_repo();
    let run = |args: &[&str]| {
        let output = leakhound()
            .current_dir(repo.path())
            .arg("history")
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        String::from_utf8(output.stdout).unwrap()
    };
    redacted(repo.path()).bind(|| {
        insta::assert_snapshot!("history_human", run(&[]));
        let report: serde_json::Value = serde_json::from_str(&run(&["--format", "json"])).unwrap();
        insta::assert_json_snapshot!("history_json", report, {
            ".stats.elapsed_ms" => "[elapsed]",
            ".findings[].commit.id" => "[commit]",
            ".findings[].also_at[].commit.id" => "[commit]",
        });
    });
}

#[test]
fn junit_and_github_report_snapshots() {
    let (tree, _) = fixed_tree();
    redacted(tree.path()).bind(|| {
        let (junit, _) = run(&tree, &["--format", "junit"]);
        insta::assert_snapshot!("junit_report", junit);
        let (github, _) = run(&tree, &["--format", "github"]);
        insta::assert_snapshot!("github_report", github);
    });
}

#[test]
fn colour_is_chosen_by_flag_and_environment() {
    let (tree, _) = fixed_tree();
    let coloured = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = leakhound();
        command
            .current_dir(tree.path())
            .args(args)
            .env_remove("NO_COLOR")
            .env_remove("FORCE_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        output.stdout.contains(&0x1b)
    };
    // Not a terminal here: plain unless asked.
    assert!(!coloured(&["scan"], &[]));
    assert!(coloured(&["scan", "--color", "always"], &[]));
    assert!(coloured(&["scan", "--color=always"], &[("NO_COLOR", "1")]));
    assert!(coloured(&["scan"], &[("FORCE_COLOR", "1")]));
    assert!(coloured(&["scan"], &[("CLICOLOR_FORCE", "1")]));
    assert!(!coloured(&["scan"], &[("FORCE_COLOR", "0")]));
    assert!(!coloured(
        &["scan", "--color", "never"],
        &[("FORCE_COLOR", "1")]
    ));
    // Only the human report is coloured.
    assert!(!coloured(
        &["scan", "--color", "always", "--format", "json"],
        &[]
    ));
    // Every command with a human report takes it.
    let mut repo = TempRepo::new();
    repo.commit_file("a.env", format!("TOKEN={}\n", github_pat()), "leak");
    // (The leak is committed: history finds it, the empty staging area has nothing.)
    for (args, code) in [
        (&["history", "--color", "always"][..], FINDINGS),
        (&["staged", "--color", "never"], CLEAN),
    ] {
        leakhound()
            .current_dir(repo.path())
            .args(args)
            .assert()
            .code(code);
    }
    leakhound()
        .current_dir(tree.path())
        .args(["scan", "--color", "sometimes"])
        .assert()
        .code(2);
}

/// Ctrl-C during a scan on a terminal clears the progress line and exits 130. `script` gives
/// the scan a terminal; `^C` typed into it is a real SIGINT from the terminal.
#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_clears_the_progress_line() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if Command::new("script").arg("--version").output().is_err() {
        return; // util-linux's script is not installed
    }
    // `scan -` waits on the terminal for input, its spinner on screen.
    let command = format!("exec {} scan -", env!("CARGO_BIN_EXE_leakhound"));
    let mut child = Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    stdin.write_all(b"\x03").unwrap();
    stdin.flush().unwrap();
    let output = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&output.stdout);
    let last_frame = screen.rfind("scanned (").expect("the spinner was shown");
    assert!(
        screen[last_frame..].contains("\x1b[2K"),
        "the progress line is cleared: {screen:?}"
    );
    assert_eq!(output.status.code(), Some(130), "{screen:?}");
}

/// The snapshot names an `assert_*snapshot!` in `source` gives: its explicit name, else the
/// function's name (`-2`, `-3`... for the second and later in one function), as insta names them.
fn snapshot_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut function = "";
    let mut unnamed_in_function = 0;
    for (at, _) in source.match_indices("snapshot!(") {
        let before = &source[..at];
        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
        if !before[line_start..].contains("assert_") {
            continue;
        }
        let here = before
            .rfind("\nfn ")
            .map(|n| &before[n + 4..])
            .and_then(|rest| rest.split(['(', '<']).next())
            .unwrap_or("");
        if here != function {
            function = here;
            unnamed_in_function = 0;
        }
        let arguments = source[at + "snapshot!(".len()..].trim_start();
        match arguments.strip_prefix('"') {
            Some(named) => names.push(named.split('"').next().unwrap().to_string()),
            None => {
                unnamed_in_function += 1;
                names.push(match unnamed_in_function {
                    1 => function.to_string(),
                    n => format!("{function}-{n}"),
                });
            }
        }
    }
    names
}

/// CI never writes snapshots, and a snapshot file that no assertion names any more (a renamed
/// or deleted test) fails the run: `cargo insta test --unreferenced reject` without cargo-insta.
#[test]
fn every_snapshot_file_is_referenced() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration");
    let mut unreferenced = Vec::new();
    for entry in std::fs::read_dir(root.join("snapshots")).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        let Some(stem) = file.strip_suffix(".snap") else {
            unreferenced.push(file); // .snap.new, .pending-snap: never committed
            continue;
        };
        // `integration__<module>__<name>`
        let mut parts = stem.splitn(3, "__");
        let (binary, module, name) = (parts.next(), parts.next(), parts.next());
        let referenced = binary == Some("integration")
            && module.zip(name).is_some_and(|(module, name)| {
                std::fs::read_to_string(root.join(format!("{module}.rs")))
                    .is_ok_and(|source| snapshot_names(&source).iter().any(|n| n == name))
            });
        if !referenced {
            unreferenced.push(file);
        }
    }
    assert!(
        unreferenced.is_empty(),
        "snapshots no test names (delete them): {unreferenced:?}"
    );
}
