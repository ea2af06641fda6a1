//! gitleaks configs read as-is, and `leakhound config check`.

use crate::util::*;

#[test]
fn a_gitleaks_config_is_found_and_its_rules_and_allowlists_apply() {
    let tree = TempTree::new();
    tree.write(
        ".gitleaks.toml",
        r#"title = "team rules"
[extend]
useDefault = true
disabledRules = ["aws.access-key-id"]

[[rules]]
id = "acme-api-token"
description = "ACME API token"
regex = '''(?i)acme[_-]?token\s*=\s*['"]?(acme_[a-z0-9]{16})'''
secretGroup = 1
keywords = ["acme"]
tags = ["acme", "token"]
  [[rules.allowlists]]
  regexTarget = "line"
  regexes = ['''# test fixture''']

[allowlist]
description = "vendored code"
paths = ['''^vendor/''']
"#,
    );
    tree.write(
        "app.py",
        format!(
            "ACME_TOKEN = 'acme_{}'\nacme_token = 'acme_{}'  # test fixture\nAWS = '{}'\nGH = '{}'\n",
            lower_alnum(16),
            lower_alnum(16),
            aws_key_id(),
            github_pat()
        ),
    );
    tree.write("vendor/lib.py", format!("GH = '{}'\n", github_pat()));
    let report = tree.scan_json(&[]);
    assert_eq!(
        found(&report),
        [
            ("acme-api-token".to_string(), "app.py".to_string(), 1),
            ("github.pat-classic".to_string(), "app.py".to_string(), 4),
        ],
        "built-in rules are on (useDefault), the disabled one is off, allowlists apply"
    );
    assert_eq!(report["stats"]["allowed"], 2);
}

#[test]
fn without_use_default_only_the_gitleaks_rules_run() {
    let tree = TempTree::new();
    tree.write(
        "gitleaks.toml",
        "[[rules]]\nid = \"only-this\"\nregex = '''zz_([0-9]{6})'''\nkeywords = [\"zz_\"]\n",
    );
    tree.write("a.txt", format!("zz_123456\n{}\n", github_pat()));
    let report = tree.scan_json(&["--config", "gitleaks.toml"]);
    assert_eq!(
        found(&report),
        [("only-this".to_string(), "a.txt".to_string(), 1)]
    );
}

#[test]
fn an_unsupported_gitleaks_regex_is_exit_2_naming_the_rule() {
    let tree = TempTree::new();
    tree.write(
        ".gitleaks.toml",
        "[[rules]]\nid = \"go-only\"\nregex = '''\\Qsk_\\E[a-z]+'''\n",
    );
    let output = leakhound()
        .current_dir(tree.path())
        .arg("scan")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(".gitleaks.toml: rule go-only: regex uses a construct"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn gitleaks_extend_path_layers_configs() {
    let tree = TempTree::new();
    tree.write(
        "base.gitleaks.toml",
        "[[rules]]\nid = \"base-rule\"\nregex = '''bb_([0-9]{6})'''\nkeywords = [\"bb_\"]\n",
    );
    tree.write(".gitleaks.toml", "[extend]\npath = \"base.gitleaks.toml\"\n[[rules]]\nid = \"own-rule\"\nregex = '''oo_([0-9]{6})'''\nkeywords = [\"oo_\"]\n");
    tree.write("a.txt", "bb_123456 oo_654321\n");
    let rules: Vec<String> = found(&tree.scan_json(&[]))
        .into_iter()
        .map(|(rule, _, _)| rule)
        .collect();
    assert_eq!(rules, ["base-rule", "own-rule"]);
}

#[test]
fn config_check_reports_problems_with_file_and_line() {
    let tree = TempTree::new();
    tree.write(".leakhound.toml", "[allowlist]\npaths = [\"a\"]\n\n[[rules]]\nid = \"acme.token\"\nname = \"ACME\"\nseverity = \"high\"\nregex = 'acme_([a-z]{8})'\n");
    let output = leakhound()
        .current_dir(tree.path())
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(".leakhound.toml: ok") && stdout.contains("1 from the config"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(".leakhound.toml:5: warning: rule acme.token has no keywords"),
        "{stderr}"
    );

    // A regex that does not compile: the rule's line and id.
    tree.write(".leakhound.toml", "\n[[rules]]\nid = \"acme.token\"\nname = \"ACME\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\nregex = 'acme_(['\n");
    let output = leakhound()
        .current_dir(tree.path())
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(".leakhound.toml:3: rule acme.token: invalid regex"),
        "{stderr}"
    );

    // Bad TOML and unknown keys: the parser's line.
    tree.write(".leakhound.toml", "[allowlist]\npaths = [\"a\"\n");
    let output = leakhound()
        .current_dir(tree.path())
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("line 2"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    tree.write(".leakhound.toml", "[allowlist]\npath = [\"a\"]\n");
    let output = leakhound()
        .current_dir(tree.path())
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown field `path`") && stderr.contains("line 2"),
        "{stderr}"
    );

    // Duplicate ids.
    let rule = "[[rules]]\nid = \"acme.token\"\nname = \"ACME\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\nregex = 'acme_([a-z]{8})'\n";
    tree.write(".leakhound.toml", format!("{rule}{rule}"));
    let output = leakhound()
        .current_dir(tree.path())
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("duplicate id"));
}
