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
    let stderr = scan_error(tree.path());
    assert!(
        stderr.contains(".gitleaks.toml: rule go-only: regex uses a construct"),
        "{stderr}"
    );
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
    let check = |config: &str| {
        tree.write(".leakhound.toml", config);
        let output = leakhound()
            .current_dir(tree.path())
            .args(["config", "check"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.code(), stdout + &stderr)
    };
    let rule = "[[rules]]\nid = \"acme.token\"\nname = \"ACME\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\nregex = 'acme_([a-z]{8})'\n";
    let cases: Vec<(String, i32, Vec<&str>)> = vec![
        // Valid, with a warning for a rule without keywords, at the rule's line.
        (
            "[allowlist]\npaths = [\"a\"]\n\n[[rules]]\nid = \"acme.token\"\nname = \"ACME\"\nseverity = \"high\"\nregex = 'acme_([a-z]{8})'\n".into(),
            0,
            vec![".leakhound.toml: ok", "1 from the config", ".leakhound.toml:5: warning: rule acme.token has no keywords"],
        ),
        // A regex that does not compile: the rule's line and id.
        (format!("\n{}", rule.replace("'acme_([a-z]{8})'", "'acme_(['")), 2, vec![".leakhound.toml:3: rule acme.token: invalid regex"]),
        // Bad TOML and unknown keys: the parser's line.
        ("[allowlist]\npaths = [\"a\"\n".into(), 2, vec!["line 2"]),
        ("[allowlist]\npath = [\"a\"]\n".into(), 2, vec!["unknown field `path`", "line 2"]),
        // Duplicate ids.
        (format!("{rule}{rule}"), 2, vec!["duplicate id"]),
    ];
    for (config, code, expected) in cases {
        let (actual, output) = check(&config);
        assert_eq!(actual, Some(code), "{config}\n{output}");
        for text in expected {
            assert!(
                output.contains(text),
                "{config}\nexpected {text:?} in:\n{output}"
            );
        }
    }
}

#[test]
fn gitleaks_path_only_rules_become_file_rules() {
    let tree = TempTree::new();
    tree.write(
        ".gitleaks.toml",
        "[[rules]]\nid = \"pkcs12-file\"\ndescription = \"PKCS12 file\"\npath = '''(?i)\\.p(?:12|fx)$'''\n",
    );
    tree.write(
        "certs/server.p12",
        [0x30u8, 0x82, 0x00, 0x10, 0x02, 0x01, 0x03],
    );
    tree.write("certs/notes.txt", "server.p12 is the keystore\n");
    let report = tree.scan_json(&[]);
    assert_eq!(
        found(&report),
        [("pkcs12-file".to_string(), "certs/server.p12".to_string(), 1)]
    );
}
