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
    let report = tree.scan_json(&[]);
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
    let report = tree.scan_json(&["sub"]);
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
    let report = tree.scan_json(&["--config", "custom.toml"]);
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
    let report = tree.scan_json(&[]);
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
    let report = tree.scan_json(&[]);
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
    let report = tree.scan_json(&[]);
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
    let (report, _) = repo.json(&["history"]);
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
    // A repository's config may `extend` any file: a credentials file, say.
    let credentials = tree.write(
        "outside/credentials",
        format!("[default]\nkey = {secret}\n"),
    );
    let typed = tree.write("outside/typed.toml", format!("builtin = \"{secret}\"\n"));
    for target in [credentials, typed] {
        tree.write(
            "repo/.leakhound.toml",
            format!("extend = {:?}\n", target.display().to_string()),
        );
        tree.write("repo/a.txt", "nothing\n");
        let message = scan_error(&tree.path().join("repo"));
        assert!(message.contains("line "), "{message}");
        assert!(!message.contains(&secret), "{message}");
    }
}
