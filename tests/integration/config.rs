//! `.leakhound.toml` allowlists, extra and disabled rules, and inline allow comments.

use crate::util::*;

#[test]
fn allowlisted_paths_stopwords_and_regexes_are_not_reported_but_counted() {
    let tree = TempTree::new();
    let kept = github_pat();
    let stopped = format!("AKIA{}", "Q7LHNDTESTWXYZ23");
    tree.write("tests/fixtures/keys.txt", format!("{}\n", github_pat()));
    tree.write("src/a.py", format!("A = \"{kept}\"\nB = \"{stopped}\"\n"));
    tree.write(
        ".leakhound.toml",
        "[allowlist]\npaths = [\"tests/fixtures/\"]\nstopwords = [\"lhndtest\"]\nregexes = ['^ghp_NEVER']\n",
    );
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(
        found(&report),
        [("github.pat-classic".to_string(), "src/a.py".to_string(), 1)]
    );
    assert_eq!(report["stats"]["allowed"], 2);
}

#[test]
fn the_config_is_found_at_the_project_root_when_scanning_a_subdirectory() {
    let tree = TempTree::new();
    std::fs::create_dir(tree.path().join(".git")).unwrap();
    tree.write(
        ".leakhound.toml",
        "[allowlist]\npaths = [\"sub/fixtures/\"]\n",
    );
    tree.write("sub/fixtures/a.txt", format!("{}\n", github_pat()));
    let report = tree.scan_json(CLEAN, &["sub"]);
    assert_eq!(found(&report).len(), 0);
    assert_eq!(report["stats"]["allowed"], 1);
}

#[test]
fn extra_rules_and_disabled_rules() {
    let tree = TempTree::new();
    tree.write(
        "a.txt",
        format!(
            "acme_key = acme_{}\ngh = {}\n",
            lower_alnum(16),
            github_pat()
        ),
    );
    tree.write(
        "custom.toml",
        "disable = [\"github.pat-classic\"]\n[[rules]]\nid = \"acme.token\"\nname = \"ACME token\"\nseverity = \"medium\"\nkeywords = [\"acme_\"]\nregex = '\\b(acme_[a-z0-9]{16})\\b'\n",
    );
    let report = tree.scan_json(FINDINGS, &["--config", "custom.toml"]);
    assert_eq!(
        found(&report),
        [("acme.token".to_string(), "a.txt".to_string(), 1)]
    );
}

#[test]
fn inline_allow_comments_silence_their_line() {
    let tree = TempTree::new();
    tree.write(
        "a.py",
        format!(
            "a = \"{}\"  # leakhound:allow\nb = \"{}\"  # gitleaks:allow\nc = \"{}\"  # pragma: allowlist secret\nd = \"{}\"\n",
            github_pat(),
            github_pat(),
            github_pat(),
            github_pat()
        ),
    );
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(
        found(&report),
        [("github.pat-classic".to_string(), "a.py".to_string(), 4)]
    );
    assert_eq!(report["stats"]["allowed"], 3);
    let verbose = leakhound()
        .current_dir(tree.path())
        .args(["scan", "-v"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&verbose.stderr);
    assert_eq!(
        stderr
            .matches("leakhound: allowed github.pat-classic at a.py:")
            .count(),
        3,
        "{stderr}"
    );
}

#[test]
fn per_rule_allowlists_and_extend() {
    let tree = TempTree::new();
    let pat = github_pat();
    tree.write(
        "src/a.py",
        format!("A = \"{pat}\"\nB = \"{}\"\n", aws_key_id()),
    );
    tree.write("legacy/b.py", format!("C = \"{}\"\n", github_pat()));
    tree.write("org.toml", "[allowlist]\npaths = [\"legacy/\"]\n");
    // A per-rule allowlist on a rule the config redefines: only that rule's findings in src/ go.
    tree.write(
        ".leakhound.toml",
        "extend = \"org.toml\"\n[[rules]]\nid = \"acme.token\"\nname = \"ACME\"\nseverity = \"low\"\nkeywords = [\"acme_\"]\nregex = 'acme_([a-z]{8})'\n[rules.allowlist]\npaths = [\"src/\"]\n",
    );
    tree.write("src/c.py", "X = acme_abcdefgh\n");
    tree.write("lib/d.py", "Y = acme_zyxwvuts\n");
    let report = tree.scan_json(FINDINGS, &[]);
    let rules: Vec<(String, String)> = found(&report)
        .into_iter()
        .map(|(rule, path, _)| (rule, path))
        .collect();
    assert_eq!(
        rules,
        [
            ("acme.token".to_string(), "lib/d.py".to_string()),
            ("aws.access-key-id".to_string(), "src/a.py".to_string()),
            ("github.pat-classic".to_string(), "src/a.py".to_string()),
        ]
    );
    assert_eq!(
        report["stats"]["allowed"], 2,
        "legacy/b.py by the base config, src/c.py by the rule's allowlist"
    );
}

#[test]
fn every_inline_allow_scope() {
    let tree = TempTree::new();
    let lines = [
        format!("a = \"{}\"  # leakhound:allow", github_pat()),
        "# leakhound:allow-next-line".to_string(),
        format!("b = \"{}\"", github_pat()),
        "# leakhound:allow-start".to_string(),
        format!("c = \"{}\"", github_pat()),
        format!("d = \"{}\"", github_pat()),
        "# leakhound:allow-end".to_string(),
        "# pragma: allowlist nextline secret".to_string(),
        format!("e = \"{}\"", github_pat()),
        format!("f = \"{}\"", github_pat()),
    ];
    tree.write("a.py", lines.join("\n") + "\n");
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(
        found(&report),
        [("github.pat-classic".to_string(), "a.py".to_string(), 10)]
    );
    assert_eq!(report["stats"]["allowed"], 5);
}

#[test]
fn allowlist_regexes_commits_path_regexes_and_and_conditions() {
    let mut repo = TempRepo::new();
    let keep = github_pat();
    let by_regex = github_pat();
    let by_commit = github_pat();
    repo.commit_file("a.txt", format!("{keep}\n"), "kept");
    repo.commit_file("b.txt", format!("{by_regex}\n"), "regex");
    let allowed_commit = repo.commit_file("c.txt", format!("{by_commit}\n"), "allowed commit");
    repo.commit_file(
        "gen/d.min.js",
        format!("x=\"{}\"\n", github_pat()),
        "generated",
    );
    // AND: docs/ and the stopword together; docs/ alone is not enough.
    repo.commit_file("docs/e.md", format!("{}\n", github_pat()), "docs");
    repo.commit_file(
        "docs/f.md",
        format!("token: {} # sample\n", github_pat()),
        "docs sample",
    );
    let config = format!(
        "[allowlist]\nregexes = ['^{}$']\ncommits = [\"{}\"]\npath_regexes = ['\\.min\\.js$']\n[[allowlists]]\ncondition = \"and\"\npaths = [\"docs/\"]\nregexes = ['# sample']\nregex_target = \"line\"\n",
        regex::escape(&by_regex),
        &allowed_commit.to_string()[..12]
    );
    repo.tree.write(".leakhound.toml", config);
    let report = repo.json(FINDINGS, &["history"]);
    let paths: Vec<String> = found(&report)
        .into_iter()
        .map(|(_, path, _)| path)
        .collect();
    assert_eq!(paths, ["a.txt", "docs/e.md"], "{report:#}");
    assert_eq!(report["stats"]["allowed"], 4);
}

#[test]
fn a_config_error_never_copies_a_value_from_the_file_it_names() {
    let tree = TempTree::new();
    let secret = format!("{}{}", base62(20), hex(20));
    // A config named with `--config` may `extend` any file: a credentials file, say.
    let credentials = tree.write(
        "outside/credentials",
        format!("[default]\nkey = {secret}\n"),
    );
    let typed = tree.write("outside/typed.toml", format!("builtin = \"{secret}\"\n"));
    let keyed = tree.write("outside/keyed.toml", format!("{secret} = 1\n"));
    for target in [credentials, typed, keyed] {
        let config = tree.write(
            "user/config.toml",
            format!("extend = {:?}\n", target.display().to_string()),
        );
        tree.write("repo/a.txt", "nothing\n");
        let output = leakhound()
            .current_dir(tree.path().join("repo"))
            .args(["scan", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert!(message.contains("line "), "{message}");
        assert!(!message.contains(&secret), "{message}");
    }
}

/// A regex that parses but is too large to compile is an error before the scan, in a global
/// allowlist, in a rule's own allowlist and as a rule's path, never a silently dead entry.
#[test]
fn a_regex_too_large_to_compile_is_a_config_error() {
    let huge = r"\\w{1000}{1000}";
    for config in [
        format!("[[allowlists]]\nregexes = [\"{huge}\"]\n"),
        format!("[[allowlists]]\npaths = []\nregex_target = \"line\"\nregexes = [\"ok\", \"{huge}\"]\n"),
        format!(
            "[[rules]]\nid = \"acme.key\"\nname = \"Acme key\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\nregex = 'acme_[a-z]{{20}}'\n[rules.allowlist]\nregexes = [\"{huge}\"]\n"
        ),
        format!(
            "[[rules]]\nid = \"acme.file\"\nname = \"Acme file\"\nseverity = \"high\"\npath = \"{huge}\"\n"
        ),
    ] {
        let tree = TempTree::new();
        tree.write(".leakhound.toml", &config);
        tree.write("a.txt", "nothing\n");
        let message = scan_error(tree.path());
        assert!(message.contains("size limit"), "{config}\n{message}");
    }
}

// Issue 15 item 8: a config inside the scanned tree may only extend files inside it. What lies
// outside is neither read nor probed: the refusal reads the same whether the file exists.
#[test]
fn issue_15_a_config_in_the_tree_cannot_extend_outside_it() {
    let tree = TempTree::new();
    tree.write("outside/base.toml", "[allowlist]\npaths = [\"*\"]\n");
    tree.write("repo/a.txt", format!("{}\n", github_pat()));
    let outside = tree.path().join("outside");
    let repo = tree.path().join("repo");
    let link = |name: &str, target: &std::path::Path| {
        #[cfg(unix)]
        std::os::unix::fs::symlink(target, repo.join(name)).unwrap();
    };
    link("in-link.toml", &outside.join("base.toml"));
    link("dangling.toml", &outside.join("missing.toml"));
    link("up", &outside);
    let mut messages = Vec::new();
    for target in [
        "../outside/base.toml".to_string(),
        "../outside/missing.toml".to_string(),
        outside.join("base.toml").display().to_string(),
        outside.join("missing.toml").display().to_string(),
        "in-link.toml".to_string(),
        "dangling.toml".to_string(),
        "up/base.toml".to_string(),
        "up/missing.toml".to_string(),
    ] {
        for (name, text) in [
            (".leakhound.toml", format!("extend = {target:?}\n")),
            (
                ".gitleaks.toml",
                format!("[extend]\npath = {target:?}\n[[rules]]\nid = \"x\"\nregex = 'x'\n"),
            ),
        ] {
            let other = if name == ".gitleaks.toml" {
                ".leakhound.toml"
            } else {
                ".gitleaks.toml"
            };
            let _ = std::fs::remove_file(repo.join(other));
            tree.write(&format!("repo/{name}"), text);
            let message = scan_error(&repo);
            assert!(message.contains(name), "{message}");
            assert!(message.contains("refused"), "{target}: {message}");
            // The refusal names the path, and says nothing about whether it exists.
            let shown = message.replace("missing", "base");
            messages.push((name, target.replace("missing", "base"), shown));
        }
    }
    for (name, target, shown) in &messages {
        for (other_name, other_target, other) in &messages {
            if name == other_name && target == other_target {
                assert_eq!(
                    shown, other,
                    "an existing file and a missing one look alike"
                );
            }
        }
    }
    // Inside the tree, extending works as before; a link that stays inside too.
    let _ = std::fs::remove_file(repo.join(".gitleaks.toml"));
    tree.write("repo/org/base.toml", "[allowlist]\npaths = [\"a.txt\"]\n");
    link("org-link.toml", &repo.join("org/base.toml"));
    for target in ["org/base.toml", "org-link.toml"] {
        tree.write("repo/.leakhound.toml", format!("extend = {target:?}\n"));
        let report = TempTree::scan_json_in(CLEAN, &repo, &[]);
        assert_eq!(report["stats"]["allowed"], 1, "{target}");
    }
    // A config named with `--config` outside the tree is the user's: it may extend anything.
    tree.write("user/config.toml", "extend = \"../outside/base.toml\"\n");
    let config = tree.path().join("user/config.toml").display().to_string();
    let report = TempTree::scan_json_in(CLEAN, &repo, &["--config", &config]);
    assert_eq!(report["stats"]["allowed"], 1);
    // Named with `--config`, a file in the tree is still the repository's.
    tree.write("repo/ci.toml", "extend = \"../outside/base.toml\"\n");
    let output = leakhound()
        .current_dir(&repo)
        .args(["scan", "--config", "ci.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("refused"));
}

// Issue 15 item 7: configs, `.gitleaksignore` and baselines are read only as regular files of
// bounded size; a link to `/dev/zero` is refused at once instead of read forever.
#[cfg(unix)]
#[test]
fn issue_15_config_ignore_and_baseline_files_are_read_bounded() {
    let tree = TempTree::new();
    let repo = tree.path().join("repo");
    tree.write("repo/a.txt", format!("{}\n", github_pat()));
    std::os::unix::fs::symlink("/dev/zero", repo.join(".leakhound.toml")).unwrap();
    let message = scan_error(&repo);
    assert!(
        message.contains(".leakhound.toml") && message.contains("not"),
        "{message}"
    );
    std::fs::remove_file(repo.join(".leakhound.toml")).unwrap();

    // A user's config extending /dev/zero: refused too, without reading it.
    tree.write("user/config.toml", "extend = \"/dev/zero\"\n");
    let config = tree.path().join("user/config.toml").display().to_string();
    let output = leakhound()
        .current_dir(&repo)
        .args(["scan", "--config", &config])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");

    // A config over the size limit.
    tree.write(
        "repo/.leakhound.toml",
        format!("# {}\n", "x".repeat(5 << 20)),
    );
    let message = scan_error(&repo);
    assert!(message.contains("larger than"), "{message}");
    std::fs::remove_file(repo.join(".leakhound.toml")).unwrap();

    // `.gitleaksignore`: refused with a warning, and the scan goes on (reporting more).
    std::os::unix::fs::symlink("/dev/zero", repo.join(".gitleaksignore")).unwrap();
    let output = leakhound()
        .current_dir(&repo)
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(".gitleaksignore: not read: "), "{stderr}");
    std::fs::remove_file(repo.join(".gitleaksignore")).unwrap();

    // A baseline replaced by a link to /dev/zero.
    std::os::unix::fs::symlink("/dev/zero", repo.join("baseline.json")).unwrap();
    let output = leakhound()
        .current_dir(&repo)
        .args(["scan", "--baseline", "baseline.json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");
}

// Issue 15 item 8: no config, gitleaks or rule error quotes a value or key from the file.
#[test]
fn issue_15_config_errors_quote_nothing_from_the_file() {
    let tree = TempTree::new();
    tree.write("a.txt", "nothing\n");
    let secret = format!("S3CR{}", base62(24));
    for text in [
        format!("{secret} = 1\n"),
        format!("[allowlist]\nregexes = ['{secret}(']\n"),
        format!("[allowlist]\npath_regexes = ['{secret}[']\n"),
        format!("[allowlist]\npaths = ['{secret}[z-a]']\n"),
        format!("[allowlist]\nregex_target = \"{secret}\"\nregexes = ['a']\n"),
        format!("[allowlist]\ncondition = \"{secret}\"\nstopwords = ['a']\n"),
        format!("[[rules]]\nid = \"a.b\"\nname = \"n\"\nseverity = \"high\"\nregex = '{secret}('\n"),
        format!("[[rules]]\nid = \"a.b\"\nname = \"n\"\nseverity = \"high\"\nregex = 'a'\npath = '{secret}('\n"),
        format!("[[rules]]\nid = \"a.b\"\nname = \"n\"\nseverity = \"high\"\nregex = 'a'\nvalidator = \"{secret}\"\n"),
        format!("builtin = \"x\\\", expected {secret}\"\n"),
    ] {
        tree.write(".leakhound.toml", &text);
        let message = scan_error(tree.path());
        assert!(!message.contains(&secret[..12]), "{text}\n{message}");
    }
    std::fs::remove_file(tree.path().join(".leakhound.toml")).unwrap();
    for text in [
        format!("[[rules]]\nid = \"a\"\nregex = 'a'\n[[rules.allowlists]]\ncondition = \"{secret}\"\nstopwords = ['x']\n"),
        format!("[allowlist]\nregexTarget = \"{secret}\"\nstopwords = ['x']\n"),
    ] {
        tree.write(".gitleaks.toml", &text);
        let message = scan_error(tree.path());
        assert!(!message.contains(&secret[..12]), "{text}\n{message}");
    }
}
