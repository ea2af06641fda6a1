//! Hostile and broken input: huge files and lines, UTF-16, names built to break reports,
//! many files, broken repositories and huge blobs. The scan finishes, reports what it could
//! not read, and exit codes stay 0, 1 or 2.

use std::io::Write as _;

use crate::util::{
    found, github_pat, json_with_code, leakhound, make_writable, TempRepo, TempTree, FINDINGS,
};

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect()
}

#[test]
fn a_1_gib_file_is_skipped_by_size_and_counted() {
    let tree = TempTree::new();
    let huge = std::fs::File::create(tree.path().join("huge.log")).unwrap();
    huge.set_len(1 << 30).unwrap(); // sparse: no disk used, and never read
    tree.write("small.txt", format!("{}\n", github_pat()));
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(report["stats"]["skipped_too_large"], 1);
    assert_eq!(report["stats"]["files"], 1);
    assert_eq!(found(&report).len(), 1);
}

#[test]
fn a_100_mb_single_line_is_scanned_and_its_secrets_found() {
    let tree = TempTree::new();
    let filler = "abc=defghij ".repeat(100 * 1024 * 1024 / 12 / 1000);
    let tokens: Vec<String> = (0..1000).map(|_| github_pat()).collect();
    let mut line = Vec::with_capacity(100 << 20);
    for token in &tokens {
        line.extend_from_slice(filler.as_bytes());
        line.extend_from_slice(token.as_bytes());
        line.push(b' ');
    }
    tree.write("one-line.min.js", &line);
    let report = tree.scan_json(FINDINGS, &["--max-file-size", "200000000"]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), tokens.len(), "every secret on the line");
    assert!(findings.iter().all(|f| f["line"] == 1));
    // Snippets stay short however long the line.
    assert!(findings
        .iter()
        .all(|f| f["snippet"].as_str().unwrap().len() < 400));
}

#[test]
fn utf16_files_are_decoded_and_scanned_in_the_tree_in_history_and_staged() {
    let mut repo = TempRepo::new();
    let (committed, staged) = (github_pat(), github_pat());
    repo.commit_file(
        "windows.ini",
        utf16le_with_bom(&format!("[auth]\r\ntoken={committed}\r\n")),
        "ini",
    );
    repo.stage(
        "notes.txt",
        utf16le_with_bom(&format!("line one\r\ntoken {staged}\r\n")),
    );
    let history = repo.json(FINDINGS, &["history"]);
    assert_eq!(
        found(&history),
        [("github.pat-classic".into(), "windows.ini".into(), 2)]
    );
    let staged_report = repo.json(FINDINGS, &["staged"]);
    assert_eq!(
        found(&staged_report),
        [("github.pat-classic".into(), "notes.txt".into(), 2)]
    );
    let tree = repo.tree.scan_json(FINDINGS, &[]);
    assert_eq!(found(&tree).len(), 2);
    assert_eq!(tree["stats"]["skipped_binary"], 0);
}

#[test]
fn invalid_utf8_around_a_secret_does_not_hide_it() {
    let tree = TempTree::new();
    let mut content = b"\xff\xfe\xfd garbage \xc3\x28 token=".to_vec();
    content.extend_from_slice(github_pat().as_bytes());
    content.extend_from_slice(b" \xe2\x82\n");
    tree.write("latin1.cfg", content);
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(
        found(&report),
        [("github.pat-classic".into(), "latin1.cfg".into(), 1)]
    );
}

#[cfg(unix)]
#[test]
fn names_built_to_break_reports_stay_escaped_or_intact() {
    let tree = TempTree::new();
    let names = [
        "new\nline.txt",
        "=cmd|' calc'!A0,\"x\".txt",
        "quote\"back\\slash</script>.txt",
        "tab\tand\u{7}bell.txt",
    ];
    for name in names {
        tree.write(name, format!("{}\n", github_pat()));
    }
    let run = |format: &str| {
        let output = leakhound()
            .current_dir(tree.path())
            .args(["scan", "--format", format])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        String::from_utf8(output.stdout).expect("reports are UTF-8")
    };
    let human = run("human");
    assert!(
        !human.contains("new\nline") && human.contains("new\\nline.txt"),
        "{human}"
    );
    assert!(!human.contains('\u{7}'), "{human}");
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let mut paths: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    paths.sort_unstable();
    let mut expected = names.to_vec();
    expected.sort_unstable();
    assert_eq!(paths, expected, "JSON keeps names intact");
    for line in run("jsonl").lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("one JSON document per line");
    }
    let sarif: serde_json::Value = serde_json::from_str(&run("sarif")).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 4);
    let csv = run("csv");
    let mut reader = csv_rows(&csv);
    let header = reader.remove(0);
    let path_column = header.iter().position(|c| c == "path").unwrap();
    assert_eq!(
        reader.len(),
        4,
        "one row per finding, newlines inside quotes"
    );
    assert!(
        reader.iter().all(|row| !row[path_column].starts_with('=')),
        "formula cells are defused: {csv}"
    );
}

/// A small RFC 4180 reader: quoted cells may hold commas, quotes and newlines.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![Vec::new()];
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => rows.last_mut().unwrap().push(std::mem::take(&mut cell)),
            ('\n', false) => {
                rows.last_mut().unwrap().push(std::mem::take(&mut cell));
                rows.push(Vec::new());
            }
            ('\r', false) => {}
            (c, _) => cell.push(c),
        }
    }
    rows.retain(|row| !row.is_empty());
    rows
}

#[test]
fn secrets_in_content_cannot_break_out_of_json_sarif_or_csv() {
    let tree = TempTree::new();
    let token = github_pat();
    tree.write(
        "inject.txt",
        format!(
            "\"}}]}}, {{\"injected\": true, \"x\": \"{token}\"\n=HYPERLINK(\"http://x\"),{token}\n"
        ),
    );
    for format in ["json", "sarif"] {
        let output = leakhound()
            .current_dir(tree.path())
            .args(["scan", "--format", format])
            .output()
            .unwrap();
        let report = json_with_code(&output, FINDINGS, &[]);
        assert!(
            report.get("injected").is_none(),
            "{format}: the content stays a string"
        );
    }
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "--format", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8(output.stdout).unwrap();
    let rows = csv_rows(&csv);
    assert!(rows.iter().all(|row| row.len() == rows[0].len()), "{csv}");
    assert!(
        rows.iter().flatten().all(|cell| !cell.starts_with('=')),
        "{csv}"
    );
}

#[test]
fn a_directory_of_100_000_small_files_is_scanned_whole() {
    let tree = TempTree::new();
    for dir in 0..100 {
        let dir_path = tree.path().join(format!("d{dir:03}"));
        std::fs::create_dir(&dir_path).unwrap();
        for file in 0..1000 {
            let mut out = std::fs::File::create(dir_path.join(format!("f{file:04}.txt"))).unwrap();
            writeln!(out, "value = {dir} {file}").unwrap();
        }
    }
    let token = github_pat();
    tree.write("d042/f0999.txt", format!("{token}\n"));
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(report["stats"]["files"], 100_000);
    assert_eq!(
        found(&report),
        [("github.pat-classic".into(), "d042/f0999.txt".into(), 1)]
    );
}

#[test]
fn a_corrupt_pack_is_an_error_naming_what_failed_never_a_crash() {
    let mut repo = TempRepo::new();
    for i in 0..20 {
        repo.commit_file(
            &format!("f{i}.txt"),
            format!("file {i} {}\n", "x".repeat(i * 50)),
            "c",
        );
    }
    repo.git(&["repack", "-adq"]);
    repo.git(&["prune-packed", "-q"]);
    let pack_dir = repo.path().join(".git/objects/pack");
    let pack = std::fs::read_dir(&pack_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap();
    let mut bytes = std::fs::read(&pack).unwrap();
    // Flip bytes in the middle of the compressed objects.
    let middle = bytes.len() / 2;
    for byte in &mut bytes[middle..middle + 64] {
        *byte ^= 0x5a;
    }
    make_writable(&pack);
    std::fs::write(&pack, bytes).unwrap();
    let output = repo.history_output();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code();
    assert!(
        matches!(code, Some(0..=2)),
        "exit {code:?}, no crash: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    if code == Some(2) {
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    } else {
        assert!(stderr.contains("warning"), "damage is reported: {stderr}");
    }
}

#[test]
fn a_missing_object_is_a_warning_and_the_rest_is_scanned() {
    let mut repo = TempRepo::new();
    let token = github_pat();
    repo.commit_file("kept.txt", format!("{token}\n"), "kept");
    repo.commit_file("lost.txt", "this blob goes missing\n", "lost");
    let (lost, loose) = repo.loose_object("HEAD:lost.txt");
    std::fs::remove_file(loose).unwrap();
    let output = repo.history_output();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&lost), "names the missing object: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        found(&report),
        [("github.pat-classic".into(), "kept.txt".into(), 1)]
    );
}

#[test]
fn a_2_gb_blob_in_history_is_skipped_by_size_without_being_read() {
    let mut repo = TempRepo::new();
    let token = github_pat();
    repo.commit_file("small.txt", format!("{token}\n"), "small");
    // A 2 GiB file of zeros, sparse on disk, added by git (which streams it into a pack).
    let huge = std::fs::File::create(repo.path().join("disk.img")).unwrap();
    huge.set_len(2 << 30).unwrap();
    drop(huge);
    for args in [
        &["-c", "core.hooksPath=/dev/null", "add", "disk.img"][..],
        &[
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-qm",
            "huge",
        ][..],
    ] {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(repo.path())
            .stdin(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }
    let report = repo.json(FINDINGS, &["history"]);
    assert_eq!(report["stats"]["skipped_too_large"], 1);
    assert_eq!(found(&report).len(), 1);
}

/// Issue 15, item 9: reports, baselines and hooks are never written through a symbolic link a
/// repository can commit (`leakhound.sarif -> ~/.bashrc`), and a normal write still works.
#[cfg(unix)]
#[test]
fn issue_15_outputs_are_never_written_through_a_symbolic_link() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let outside = TempTree::new();
    let victim = outside.write("victim.txt", "precious\n");
    let mut repo = TempRepo::new();
    repo.commit_file("README.md", "hi\n", "init");
    symlink(&victim, repo.path().join("leakhound.sarif")).unwrap();
    symlink(outside.path(), repo.path().join("out")).unwrap();
    let refused = |args: &[&str]| {
        let output = leakhound()
            .current_dir(repo.path())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("refusing to write through the symbolic link"),
            "{stderr}"
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        assert!(!outside.path().join("report.json").exists());
    };
    refused(&[
        "scan",
        ".",
        "--format",
        "sarif",
        "--output",
        "leakhound.sarif",
    ]);
    refused(&[
        "scan",
        ".",
        "--format",
        "json",
        "--output",
        "out/report.json",
    ]);
    refused(&["baseline", "--output", "leakhound.sarif"]);
    refused(&["baseline", "--output", "out/report.json"]);
    // A committed hooks directory holding a link, or being one.
    std::fs::create_dir(repo.path().join(".githooks")).unwrap();
    symlink(&victim, repo.path().join(".githooks/pre-commit")).unwrap();
    repo.repo
        .config()
        .unwrap()
        .set_str("core.hooksPath", ".githooks")
        .unwrap();
    refused(&["install-hook", "--force"]);
    repo.repo
        .config()
        .unwrap()
        .set_str("core.hooksPath", "out")
        .unwrap();
    refused(&["install-hook"]);
    assert!(!outside.path().join("pre-commit").exists());

    // An ordinary report is written, readable by others as before.
    std::fs::remove_file(repo.path().join("leakhound.sarif")).unwrap();
    leakhound()
        .current_dir(repo.path())
        .args([
            "scan",
            ".",
            "--format",
            "sarif",
            "--output",
            "leakhound.sarif",
        ])
        .assert()
        .code(0);
    let written = std::fs::symlink_metadata(repo.path().join("leakhound.sarif")).unwrap();
    assert!(written.file_type().is_file());
    assert_eq!(written.permissions().mode() & 0o777, 0o644);
}

// Issue 15 item 10: rule ids, names and paths from a config never reach stderr (or `rules
// list`'s stdout) raw: a newline there would start a GitHub Actions workflow command, an OSC
// escape would drive the terminal (OSC 52 writes the clipboard).
#[test]
fn issue_15_config_text_cannot_inject_lines_or_escapes() {
    let tree = TempTree::new();
    tree.write("a.txt", "nothing\n");
    let injected = "x\n::error file=a.txt::pwned\u{1b}]52;c;aGk=\u{7}\u{202e}";
    let check = |args: &[&str], config: &str, stdout_too: bool| {
        tree.write(".leakhound.toml", config);
        let output = leakhound()
            .current_dir(tree.path())
            .args(args)
            .output()
            .unwrap();
        let mut shown = String::from_utf8_lossy(&output.stderr).into_owned();
        if stdout_too {
            shown.push_str(&String::from_utf8_lossy(&output.stdout));
        }
        for line in shown.lines() {
            let line = line.trim_start();
            assert!(
                !line.starts_with("::") && !line.starts_with("##["),
                "{line:?}"
            );
        }
        for bad in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!shown.contains(bad), "{shown:?}");
        }
        shown
    };
    let quoted = format!("{injected:?}");
    // An error naming the rule id (ids with control characters are refused).
    let rule =
        format!("[[rules]]\nid = {quoted}\nname = \"n\"\nseverity = \"high\"\nregex = 'a'\n");
    let shown = check(&["scan"], &rule, false);
    assert_eq!(shown.lines().count(), 1, "{shown}");
    // Warnings naming ids; `config check`'s errors.
    check(&["scan"], &format!("disable = [{quoted}]\n"), false);
    check(
        &["config", "check"],
        &format!("disable = [{quoted}]\n"),
        true,
    );
    // A rule name, listed on stdout.
    let named = format!(
        "[[rules]]\nid = \"a.b\"\nname = {quoted}\nseverity = \"high\"\nkeywords = [{quoted}]\nregex = 'a'\n"
    );
    check(
        &["rules", "list", "--config", ".leakhound.toml"],
        &named,
        true,
    );
    // A config file whose name holds escapes, in an error.
    let name = "bad\u{1b}]52;c;aGk=\u{7}\n::error::x.toml";
    tree.write(name, "nonsense = \n");
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "--config", name])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

/// Issue 15, item 5: trees nested 1,000 deep with 2,000-byte names (a 104 KB pack git accepts)
/// took 1 GB, as each walk frame copied the whole path leading to it. A frame now holds its
/// own name, so memory is linear in the path's length; an address-space ceiling of 768 MiB
/// (the old walk needed 1 GB for the paths alone) makes the child fail if that ever regresses.
#[cfg(unix)]
#[test]
fn issue_15_trees_nested_1000_deep_with_long_names_stay_small() {
    let repo = TempRepo::new();
    let token = github_pat();
    let git = &repo.repo;
    let mut builder = git.treebuilder(None).unwrap();
    let blob = git.blob(format!("token = {token}\n").as_bytes()).unwrap();
    builder.insert("leak.txt", blob, 0o100644).unwrap();
    let mut tree = builder.write().unwrap();
    let mut names = Vec::new();
    for depth in (0..1000).rev() {
        let name = format!("{depth:04}{}", "d".repeat(1996));
        let mut builder = git.treebuilder(None).unwrap();
        builder.insert(&name, tree, 0o040000).unwrap();
        tree = builder.write().unwrap();
        names.push(name);
    }
    names.reverse();
    names.push("leak.txt".into());
    let signature = git2::Signature::new("Ada", "ada@example.com", &git2::Time::new(0, 0)).unwrap();
    let tree = git.find_tree(tree).unwrap();
    git.commit(Some("HEAD"), &signature, &signature, "deep", &tree, &[])
        .unwrap();
    // git warns, once per name, that it cannot look for a `.gitattributes` under names too
    // long for the file system: harmless, and silenced.
    let status = std::process::Command::new("git")
        .args(["repack", "-adq"])
        .current_dir(repo.path())
        .stderr(std::process::Stdio::null())
        .stdin(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    repo.git(&["prune-packed", "-q"]);
    let binary = assert_cmd::cargo::cargo_bin("leakhound");
    let output = std::process::Command::new("sh")
        .args([
            "-c",
            "ulimit -v 786432 && exec \"$0\" history --format json --no-progress --threads 2",
        ])
        .arg(&binary)
        .current_dir(repo.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["path"], names.join("/"), "the full path, once");
}

/// The user's own devices and links are written in place, never replaced: `-o /dev/null`
/// stays the null device and `-o /dev/stdout` reaches standard output (a temporary file renamed
/// over them would replace the device or the link).
#[cfg(unix)]
#[test]
fn reports_to_dev_null_and_dev_stdout_write_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let tree = TempTree::new();
    tree.write("a.txt", format!("TOKEN={}\n", github_pat()));
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", ".", "--format", "json", "-o", "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let null = std::fs::metadata("/dev/null").unwrap();
    assert!(null.file_type().is_char_device(), "/dev/null was replaced");
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", ".", "--format", "json", "-o", "/dev/stdout"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(found(&report).len(), 1);
    assert!(std::fs::symlink_metadata("/dev/stdout")
        .unwrap()
        .file_type()
        .is_symlink());
}
