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
