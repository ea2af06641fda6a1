//! Walking the filesystem.

use crate::util::*;

#[test]
fn hidden_files_are_scanned_but_git_directories_and_gitignored_files_are_not() {
    let tree = TempTree::new();
    tree.write(".gitignore", "ignored.txt\nbuild/\n");
    tree.write(
        ".aws/credentials",
        format!("[default]\naws_access_key_id = {}\n", aws_key_id()),
    );
    tree.write(".git/config", format!("token = {}\n", github_pat()));
    tree.write("ignored.txt", format!("{}\n", github_pat()));
    tree.write("build/out.txt", format!("{}\n", github_pat()));
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(
        found(&report),
        [(
            "aws.access-key-id".to_string(),
            ".aws/credentials".to_string(),
            2
        )]
    );

    let everything = tree.scan_json(FINDINGS, &["--no-ignore"]);
    let paths: Vec<String> = found(&everything)
        .into_iter()
        .map(|(_, path, _)| path)
        .collect();
    assert_eq!(
        paths,
        [".aws/credentials", "build/out.txt", "ignored.txt"],
        ".git/ is never scanned"
    );
}

#[test]
fn binary_and_oversized_files_are_skipped_and_counted() {
    let tree = TempTree::new();
    let mut binary = vec![0u8; 16];
    binary.extend_from_slice(github_pat().as_bytes());
    tree.write("image.bin", binary);
    tree.write("big.txt", format!("{}{}", " ".repeat(2000), github_pat()));
    tree.write("empty.txt", "");
    let report = tree.scan_json(CLEAN, &["--max-file-size", "1000"]);
    assert_eq!(found(&report), Vec::<(String, String, u64)>::new());
    assert_eq!(report["stats"]["skipped_binary"], 1);
    assert_eq!(report["stats"]["skipped_too_large"], 1);
    assert_eq!(report["stats"]["files"], 1);

    let verbose = leakhound()
        .current_dir(tree.path())
        .args(["scan", "-v", "--max-file-size", "1000"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&verbose.stderr);
    assert!(stderr.contains("skipped image.bin: binary"), "{stderr}");
    assert!(
        stderr.contains("big.txt: not scanned: 2040 bytes, over --max-file-size"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_out_of_the_tree_or_around_loops() {
    let outside = TempTree::new();
    outside.write("secret.txt", format!("{}\n", github_pat()));
    let tree = TempTree::new();
    tree.write("real/a.txt", "nothing\n");
    std::os::unix::fs::symlink(outside.path(), tree.path().join("out-dir")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        tree.path().join("out-file"),
    )
    .unwrap();
    std::os::unix::fs::symlink(tree.path().join("real"), tree.path().join("real/loop")).unwrap();
    let report = tree.scan_json(CLEAN, &[]);
    assert_eq!(found(&report), Vec::<(String, String, u64)>::new());
    assert_eq!(report["stats"]["files"], 1);
    assert_eq!(report["stats"]["skipped_symlinks"], 3);
}

#[cfg(target_os = "linux")]
#[test]
fn an_unreadable_file_is_a_warning_and_the_scan_goes_on() {
    // /proc/self/mem reads fail with EIO at offset 0, even for root (chmod 000 does not stop
    // root, which CI runs as).
    let tree = TempTree::new();
    tree.write("a.txt", format!("{}\n", github_pat()));
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "a.txt", "/proc/self/mem"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "findings still decide the exit code: {stderr}"
    );
    assert!(
        stderr.contains("leakhound: warning: /proc/self/mem: "),
        "{stderr}"
    );
    assert!(stderr.contains("1 unreadable"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("[high] github.pat-classic: "), "{stdout}");

    let strict = leakhound()
        .current_dir(tree.path())
        .args(["scan", "--strict", "a.txt", "/proc/self/mem"])
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(2));
}

#[test]
fn many_files_in_parallel_are_all_scanned() {
    let tree = TempTree::new();
    for i in 0..300 {
        let content = if i % 50 == 0 {
            format!("x = {}\n", github_pat())
        } else {
            format!("plain file {i}\n")
        };
        tree.write(&format!("d{}/f{i}.txt", i % 7), content);
    }
    for threads in ["1", "4"] {
        let report = tree.scan_json(FINDINGS, &["--threads", threads]);
        assert_eq!(report["stats"]["files"], 300);
        assert_eq!(found(&report).len(), 6);
    }
}

#[test]
fn this_repository_scans_clean() {
    // The project's own `.leakhound.toml` allowlists rule examples and fixtures by path; any
    // other token-shaped literal in the sources is a defect.
    let root = env!("CARGO_MANIFEST_DIR");
    let output = leakhound()
        .current_dir(root)
        .args(["scan", ".", "--format", "jsonl", "-q"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn keystore_files_are_flagged_by_name_however_large_and_can_be_allowlisted() {
    let tree = TempTree::new();
    let mut keystore = vec![0x30, 0x82, 0x0a, 0x00, 0x02, 0x01, 0x03, 0x00];
    keystore.resize(5000, 0);
    tree.write("certs/server.pfx", &keystore);
    tree.write("certs/client.p12", &keystore[..16]);
    tree.write("certs/README.p12.md", "not a keystore\n");
    let report = tree.scan_json(FINDINGS, &["--max-file-size", "1000"]);
    assert_eq!(
        found(&report),
        [
            (
                "private-key.pkcs12-file".into(),
                "certs/client.p12".into(),
                1
            ),
            (
                "private-key.pkcs12-file".into(),
                "certs/server.pfx".into(),
                1
            ),
        ]
    );
    assert_eq!(report["findings"][0]["snippet"], "");

    tree.write(
        ".leakhound.toml",
        "[allowlist]\npaths = [\"certs/client.p12\"]\n",
    );
    let report = tree.scan_json(FINDINGS, &["--max-file-size", "1000"]);
    assert_eq!(
        found(&report),
        [(
            "private-key.pkcs12-file".into(),
            "certs/server.pfx".into(),
            1
        )]
    );
    assert_eq!(report["stats"]["allowed"], 1);
}

#[test]
fn include_and_exclude_select_files_relative_to_the_project_root() {
    let tree = TempTree::new();
    for path in [
        "src/app.py",
        "src/vendor/lib.py",
        "src/app.min.js",
        "docs/notes.md",
        "config/prod.env",
    ] {
        tree.write(path, format!("{}\n", github_pat()));
    }
    let paths = |dir: &std::path::Path, args: &[&str]| -> Vec<String> {
        let output = leakhound()
            .current_dir(dir)
            .args(["scan", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
        found(&report)
            .into_iter()
            .map(|(_, path, _)| path)
            .collect()
    };
    assert_eq!(paths(tree.path(), &[]).len(), 5);
    assert_eq!(
        paths(
            tree.path(),
            &["--exclude", "*.min.js", "--exclude", "vendor/"]
        ),
        ["config/prod.env", "docs/notes.md", "src/app.py"]
    );
    assert_eq!(
        paths(tree.path(), &["--include", "src/", "--include", "*.env"]),
        [
            "config/prod.env",
            "src/app.min.js",
            "src/app.py",
            "src/vendor/lib.py"
        ]
    );
    // Exclude wins over include.
    assert_eq!(
        paths(
            tree.path(),
            &["--include", "src/**", "--exclude", "/src/vendor"]
        ),
        ["src/app.min.js", "src/app.py"]
    );
    // Relative to the project root, whichever directory the scan starts from: the root is the
    // top of the git work tree.
    git2::Repository::init(tree.path()).unwrap();
    assert_eq!(
        paths(
            &tree.path().join("src"),
            &[".", "--exclude", "/src/vendor/"]
        ),
        ["app.min.js", "app.py"]
    );
    // A glob that does not compile is one line, exit 2.
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "--exclude", "a[z-a]"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("leakhound: error: --exclude \"a[z-a]\""),
        "{stderr}"
    );
}

/// Issue 14: standard input is scanned whatever its size, in windows, with true line numbers.
#[test]
fn issue_14_standard_input_of_any_size_is_scanned() {
    // Over --max-file-size: scanned anyway (the limit is for files).
    let pat = github_pat();
    let small = format!("{}TOKEN={pat}\n", "filler line\n".repeat(200));
    let output = leakhound()
        .args([
            "scan",
            "-",
            "--max-file-size",
            "1000",
            "--strict",
            "--format",
            "json",
        ])
        .write_stdin(small)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        found(&report),
        [("github.pat-classic".into(), "<stdin>".into(), 201)]
    );

    // 40 MB, several windows: secrets at the start, across the first window's edge
    // (16 MiB), in the middle and at the very end, each once at its line.
    let line = "the quick brown fox jumps over the lazy dog 0123456789\n";
    let lines_per_mb = (1 << 20) / line.len();
    let mut text = String::with_capacity(41 << 20);
    let mut expected = Vec::new();
    let mut line_number = 0u64;
    let mut plant = |text: &mut String, line_number: &mut u64| {
        let token = github_pat();
        text.push_str(&format!("GITHUB_TOKEN={token}\n"));
        *line_number += 1;
        expected.push(*line_number);
    };
    plant(&mut text, &mut line_number);
    while text.len() < 40 << 20 {
        if text.len() + line.len() > (16 << 20) - 20 && text.len() < 16 << 20 {
            plant(&mut text, &mut line_number); // straddles the edge of the first window
        }
        if (line_number as usize).is_multiple_of(lines_per_mb * 13) {
            plant(&mut text, &mut line_number);
        }
        text.push_str(line);
        line_number += 1;
    }
    plant(&mut text, &mut line_number);
    let output = leakhound()
        .args(["scan", "-", "--format", "json"])
        .write_stdin(text.clone())
        .output()
        .unwrap();
    let report = json_with_code(&output, FINDINGS, &[]);
    let mut lines: Vec<u64> = found(&report).into_iter().map(|(_, _, l)| l).collect();
    lines.sort_unstable();
    assert_eq!(lines, expected);
    assert_eq!(report["stats"]["bytes"], text.len() as u64);
    assert_eq!(report["stats"]["files"], 1);
}

/// Issue 14: a file over the size limit is named in a warning, counted, fails --strict, and
/// can be scanned in windows instead.
#[test]
fn issue_14_files_over_the_limit_are_never_skipped_in_silence() {
    let tree = TempTree::new();
    tree.write(
        "dump.sql",
        format!("{}\nTOKEN={}\n", "x".repeat(3000), github_pat()),
    );
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "--max-file-size", "1000"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stderr.contains("warning: dump.sql: not scanned") && stderr.contains("--scan-large-files"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 over --max-file-size not scanned"),
        "{stderr}"
    );
    leakhound()
        .current_dir(tree.path())
        .args(["scan", "--max-file-size", "1000", "--strict"])
        .assert()
        .code(2);
    let report = tree.scan_json(FINDINGS, &["--max-file-size", "1000", "--scan-large-files"]);
    assert_eq!(
        found(&report),
        [("github.pat-classic".into(), "dump.sql".into(), 2)]
    );
    assert_eq!(report["stats"]["skipped_too_large"], 0);
}

/// Issue 14: what .gitignore keeps out is counted, and listed with -v.
#[test]
fn issue_14_gitignored_files_are_counted_and_listed() {
    let tree = TempTree::new();
    tree.write(".gitignore", ".env\nnode_modules/\n");
    tree.write(".env", format!("TOKEN={}\n", github_pat()));
    tree.write("node_modules/a/index.js", "x\n");
    tree.write("node_modules/b/index.js", "x\n");
    tree.write("app.js", "x\n");
    let report = tree.scan_json(CLEAN, &[]);
    assert_eq!(report["stats"]["skipped_ignored"], 2, "{report:#}");
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "-v"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("skipped .env: ignored by .gitignore"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped node_modules: ignored by .gitignore"),
        "{stderr}"
    );
    assert!(stderr.contains("2 ignored by .gitignore"), "{stderr}");
    assert_eq!(
        tree.scan_json(FINDINGS, &["--no-ignore"])["stats"]["skipped_ignored"],
        0
    );
}

/// Issue 14: a path named on the command line that cannot be read is an error, not "scanned
/// 0 files".
#[cfg(unix)]
#[test]
fn issue_14_an_unreadable_path_on_the_command_line_is_exit_2() {
    let tree = TempTree::new();
    let fifo = tree.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .stdin(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(made.success());
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "pipe"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pipe: not a file or directory"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

// Issue 15 item 7: a `.gitignore` that is a link (to `/dev/zero`, or anywhere) or too large is
// not read: the scan finishes, says so in one line, and scans what it would have ignored.
#[cfg(unix)]
#[test]
fn issue_15_a_hostile_gitignore_is_refused_and_the_scan_goes_on() {
    let tree = TempTree::new();
    tree.write("app.txt", format!("{}\n", github_pat()));
    tree.write("sub/b.txt", format!("{}\n", github_pat()));
    tree.write("real-ignore", "*.txt\n");
    std::os::unix::fs::symlink("/dev/zero", tree.path().join(".gitignore")).unwrap();
    // git refuses a symlinked .gitignore even when it stays in the tree.
    std::os::unix::fs::symlink(
        tree.path().join("real-ignore"),
        tree.path().join("sub/.gitignore"),
    )
    .unwrap();
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    for file in [".gitignore", "sub/.gitignore"] {
        assert!(
            stderr.contains(&format!(
                "leakhound: warning: {file}: not read: a symbolic link; its rules are not used"
            )),
            "{stderr}"
        );
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let paths: Vec<String> = found(&report).into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(paths, ["app.txt", "sub/b.txt"], "nothing ignored");
    assert_eq!(report["stats"]["skipped_ignored"], 0);

    // Too large.
    std::fs::remove_file(tree.path().join(".gitignore")).unwrap();
    std::fs::remove_file(tree.path().join("sub/.gitignore")).unwrap();
    tree.write(".gitignore", format!("app.txt\n{}", "#\n".repeat(1 << 20)));
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(".gitignore: not read: larger than"),
        "{stderr}"
    );
    let report = json_with_code(&output, FINDINGS, &[]);
    assert_eq!(found(&report).len(), 2);
}

// Issue 15 item 7: leakhound reads ignore files itself now; git's rules still hold: nested
// files, `!` re-includes, `.git/info/exclude`, a subdirectory scan honouring the files above it
// up to the project root, and nothing read above the project root. Counts stay consistent.
#[test]
fn issue_15_gitignore_rules_read_by_leakhound_follow_git() {
    let tree = TempTree::new();
    tree.write(".gitignore", "*.txt\n");
    let project = "outer/project";
    tree.write(&format!("{project}/.git/info/exclude"), "excluded.env\n");
    tree.write(&format!("{project}/.gitignore"), "*.log\nbuild/\n");
    tree.write(&format!("{project}/sub/.gitignore"), "!keep.log\n");
    for file in [
        "a.txt",
        "a.log",
        "excluded.env",
        "build/out.env",
        "sub/keep.log",
        "sub/other.log",
        "sub/deeper/b.env",
    ] {
        tree.write(&format!("{project}/{file}"), format!("{}\n", github_pat()));
    }
    let root = tree.path().join(project);
    let scanned = |dir: &std::path::Path, args: &[&str]| {
        let report = TempTree::scan_json_in(FINDINGS, dir, args);
        let paths: Vec<String> = found(&report).into_iter().map(|(_, p, _)| p).collect();
        (paths, report["stats"]["skipped_ignored"].clone())
    };
    let (paths, ignored) = scanned(&root, &[]);
    assert_eq!(
        paths,
        ["a.txt", "sub/deeper/b.env", "sub/keep.log"],
        "the .gitignore above the project root is not read"
    );
    assert_eq!(ignored, 4, "a.log, excluded.env, build, sub/other.log");
    let (paths, ignored) = scanned(&root.join("sub"), &[]);
    assert_eq!(
        paths,
        ["deeper/b.env", "keep.log"],
        "paths as shown from sub/"
    );
    assert_eq!(
        ignored, 1,
        "sub/other.log, by the project root's .gitignore"
    );
    let (paths, ignored) = scanned(&root, &["--no-ignore"]);
    assert_eq!(paths.len(), 7);
    assert_eq!(ignored, 0);
}

/// A scan root outside the project (the work tree of the first root) takes the `.gitignore`
/// files up to itself, and no further. With a second root around the first, the same
/// directory is judged once for each root: the file there is scanned from the first root,
/// which is the project and does not read the `.gitignore` above it, and ignored from the
/// second, which does.
#[test]
fn nested_scan_roots_each_stop_at_their_own_root() {
    let tree = TempTree::new();
    tree.write(".gitignore", "*.log\n");
    tree.write("inner/found.log", format!("{}\n", github_pat()));
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "--format", "json", "--threads", "1"])
        // Absolute paths: the walks of both roots give the same path for `inner`.
        .args([tree.path().join("inner"), tree.path().to_path_buf()])
        .output()
        .unwrap();
    let report = json_with_code(&output, FINDINGS, &["scan", "inner", "."]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "from the first root: {findings:?}");
    assert!(findings[0]["path"].as_str().unwrap().ends_with("found.log"));
    assert_eq!(
        report["stats"]["skipped_ignored"], 1,
        "the second root reads its .gitignore"
    );
}

/// A second scan root outside the first one's project has paths the allowlists' and
/// `--exclude`'s matchers cannot take as relative: they are matched by their parts, never a
/// crash (found by scanning two Python library directories at once).
#[test]
fn roots_in_different_projects_are_scanned_with_allowlists_and_excludes() {
    let first = TempTree::new();
    let second = TempTree::new();
    first.write(".git/HEAD", "ref: refs/heads/main\n");
    first.write(".leakhound.toml", "[allowlist]\npaths = [\"fixtures/\"]\n");
    first.write("a.txt", format!("{}\n", github_pat()));
    second.write("fixtures/b.txt", format!("{}\n", github_pat()));
    second.write("c.txt", format!("{}\n", github_pat()));
    for extra in [&[][..], &["--exclude", "nothing-matches/"][..]] {
        let output = leakhound()
            .current_dir(first.path())
            .args(["scan", "--format", "json", "."])
            .arg(second.path())
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let mut paths: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                f["path"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        paths.sort();
        assert_eq!(paths, ["a.txt", "c.txt"], "{extra:?}");
    }
}
