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
    let report = tree.scan_json(FINDINGS, &[]);
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
    let report = tree.scan_json(FINDINGS, &["--config", "gitleaks.toml"]);
    assert_eq!(
        found(&report),
        [("only-this".to_string(), "a.txt".to_string(), 1)]
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
    let rules: Vec<String> = found(&tree.scan_json(FINDINGS, &[]))
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
        // The key itself is not quoted (issue 15): the line, the column and the keys expected.
        ("[allowlist]\npath = [\"a\"]\n".into(), 2, vec!["line 2, column 1: unknown key, expected one of `paths`"]),
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
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(
        found(&report),
        [("pkcs12-file".to_string(), "certs/server.p12".to_string(), 1)]
    );
}

/// `leakhound <args>` in `dir`: (exit code, stdout, stderr).
fn run(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = leakhound().current_dir(dir).args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

// Issue 14 §6: what RE2 accepts and Rust's `regex` rejects or reads differently loads, and a
// rule that cannot load is reported and left out without failing the scan. The constructs are
// the ones gitleaks' and betterleaks' default configs use (a literal `{` in an allowlist regex,
// `\z`, `(?i)` inside a group) and other RE2 syntax.
#[test]
fn issue_14_re2_constructs_load_and_match_as_in_gitleaks() {
    let tree = TempTree::new();
    tree.write(
        ".gitleaks.toml",
        r#"title = "RE2 constructs"

[[rules]]
id = "template-token"
description = "literal braces that form no repetition"
regex = '''tpl\{\{ ?(tk_[a-z0-9]{12}) ?}}'''
keywords = ["tk_"]

[[rules]]
id = "brace-literal"
regex = '''br{(bl_[0-9]{8})}'''
keywords = ["bl_"]

[[rules]]
id = "quoted-prefix"
regex = '''\Qq.k+\E(?i:[a-f0-9]{10})\b'''
keywords = ["q.k+"]

[[rules]]
id = "mixed-case"
regex = '''\b(mc-(?i)[a-z]{6}[0-9]{4})\b'''
keywords = ["mc-"]

[[rules]]
id = "class-bracket"
regex = '''cb[[]([A-Z]{10})]'''
keywords = ["cb["]

[[rules]]
id = "go-octal"
regex = '''\157ct_([0-9]{9})'''
keywords = ["oct_"]

[[rules]]
id = "free-spacing"
description = "(?x) is not RE2: gitleaks rejects it, leakhound leaves this rule out"
regex = '''(?x) fs_ [0-9]{5}'''
keywords = ["fs_"]

[allowlist]
regexes = ['''^\$(?:\d+|{\d+})$''', '''^bl_0{8}$''']
"#,
    );
    tree.write(
        "app.txt",
        "tpl{{ tk_abcdef123456 }}\nbr{bl_12345678}\nbr{bl_00000000}\nq.k+AbCdEf0123 \nmc-AbCdEf1234\ncb[QWERTYUIOP]\noct_123456789\nfs_12345\n",
    );
    let output = leakhound()
        .current_dir(tree.path())
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules: Vec<(String, u64)> = found(&report)
        .into_iter()
        .map(|(rule, _, line)| (rule, line))
        .collect();
    assert_eq!(
        rules,
        [
            ("brace-literal".to_string(), 2),
            ("class-bracket".to_string(), 6),
            ("go-octal".to_string(), 7),
            ("mixed-case".to_string(), 5),
            ("quoted-prefix".to_string(), 4),
            ("template-token".to_string(), 1),
        ],
        "{stderr}"
    );
    assert_eq!(
        report["stats"]["allowed"], 1,
        "the `{{` allowlist regex loads"
    );
    assert!(
        stderr.contains(".gitleaks.toml: rule free-spacing: not loaded: regex uses a construct leakhound cannot run: invalid or unsupported Perl syntax: `(?x`"),
        "{stderr}"
    );
}

// Issue 14 §6: the format is told from the content, not the file name.
#[test]
fn issue_14_a_gitleaks_config_under_any_name_is_read_as_one() {
    let tree = TempTree::new();
    tree.write(
        "ci/secrets.toml",
        "[[rules]]\nid = \"team-token\"\ndescription = \"Team token\"\nregex = '''tt_([0-9]{8})'''\nkeywords = [\"tt_\"]\n[[rules.allowlists]]\nregexTarget = \"line\"\nregexes = ['''fixture''']\n",
    );
    tree.write("a.txt", "tt_12345678\ntt_87654321 fixture\n");
    let report = tree.scan_json(FINDINGS, &["--config", "ci/secrets.toml"]);
    assert_eq!(
        found(&report),
        [("team-token".to_string(), "a.txt".to_string(), 1)]
    );
    assert_eq!(report["stats"]["allowed"], 1);
}

// Issue 14 §6: gitleaks' default rule ids work in `disabledRules` and in a rule that only
// extends a default rule with allowlists; `targetRules` may name them too.
#[test]
fn issue_14_gitleaks_default_rule_ids_map_to_leakhound_rules() {
    let tree = TempTree::new();
    tree.write(
        ".gitleaks.toml",
        r#"[extend]
useDefault = true
disabledRules = ["github-pat"]

[[rules]]
id = "aws-access-token"
  [[rules.allowlists]]
  regexTarget = "line"
  regexes = ['''# rotated''']

[[allowlists]]
targetRules = ["gitlab-pat"]
paths = ['''^docs/''']
"#,
    );
    let aws_kept = aws_key_id();
    tree.write(
        "app.py",
        format!(
            "GH = '{}'\nAWS = '{aws_kept}'\nOLD = '{}'  # rotated\n",
            github_pat(),
            aws_key_id()
        ),
    );
    tree.write("docs/setup.md", format!("token: {}\n", gitlab_pat()));
    tree.write("src/ci.py", format!("token = '{}'\n", gitlab_pat()));
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(
        found(&report),
        [
            ("aws.access-key-id".to_string(), "app.py".to_string(), 2),
            ("gitlab.pat".to_string(), "src/ci.py".to_string(), 1),
        ]
    );
    assert_eq!(report["stats"]["allowed"], 2);
}

// Issue 14 §6: `[extend] path` resolves as gitleaks resolves it (from the working directory,
// where gitleaks runs), a rule with a base rule's id is merged into it, `disabledRules` drops
// base rules, and a later rule with the same id replaces the earlier one.
#[test]
fn issue_14_extend_path_merges_rules_as_gitleaks_does() {
    let tree = TempTree::new();
    tree.write(
        "security/base.toml",
        "title = \"org\"\n[[rules]]\nid = \"org-token\"\nregex = '''org_([0-9]{8})'''\nkeywords = [\"org_\"]\n[[rules]]\nid = \"noisy\"\nregex = '''nz_([0-9]{6})'''\nkeywords = [\"nz_\"]\n",
    );
    tree.write(
        "ci/gitleaks.toml",
        r#"[extend]
path = "security/base.toml"
disabledRules = ["noisy"]

[[rules]]
id = "org-token"
  [[rules.allowlists]]
  stopwords = ["0000"]

[[rules]]
id = "own"
regex = '''first_([0-9]{4})'''
keywords = ["first_"]

[[rules]]
id = "own"
regex = '''own_([0-9]{4})'''
keywords = ["own_"]
"#,
    );
    tree.write(
        "a.txt",
        "org_12345678\norg_00001234\nnz_123456\nfirst_1234\nown_1234\n",
    );
    let report = tree.scan_json(FINDINGS, &["--config", "ci/gitleaks.toml"]);
    assert_eq!(
        found(&report),
        [
            ("org-token".to_string(), "a.txt".to_string(), 1),
            ("own".to_string(), "a.txt".to_string(), 5),
        ]
    );
    assert_eq!(report["stats"]["allowed"], 1);
}

// Issue 14 §6: a rule without examples is not "examples fail"; a gitleaks rule without a
// capture group reports the whole match, as gitleaks does, and is fine.
#[test]
fn issue_14_config_check_says_what_is_wrong() {
    let tree = TempTree::new();
    tree.write(
        ".gitleaks.toml",
        "[[rules]]\nid = \"whole-match\"\nregex = '''wm_[0-9]{8}'''\nkeywords = [\"wm_\"]\n",
    );
    let (code, stdout, stderr) = run(tree.path(), &["config", "check"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains(".gitleaks.toml: ok"), "{stdout}");
    tree.write("a.txt", "wm_12345678\n");
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(report["findings"][0]["rule_id"], "whole-match");

    std::fs::remove_file(tree.path().join(".gitleaks.toml")).unwrap();
    tree.write(
        ".leakhound.toml",
        "[[rules]]\nid = \"acme.token\"\nname = \"ACME\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\nregex = 'acme_[a-z]{8}'\n",
    );
    let (code, stdout, stderr) = run(tree.path(), &["config", "check"]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stdout.contains("1 rule check(s) fail"), "{stdout}");
    assert!(!stdout.contains("examples"), "{stdout}");
    assert!(
        stderr.contains("acme.token: regex has no secret group"),
        "{stderr}"
    );
}

// Issue 14 §6: a typo in `disable` must not silently keep a rule running.
#[test]
fn issue_14_unknown_disabled_ids_fail_config_check_and_warn_in_a_scan() {
    let tree = TempTree::new();
    tree.write("a.txt", format!("{}\n", github_pat()));
    let configs = [
        (".leakhound.toml", "disable = [\"github.pat-clasic\", \"generic-api-key\"]\n", "github.pat-clasic"),
        (".gitleaks.toml", "[extend]\nuseDefault = true\ndisabledRules = [\"github-pat-classic\", \"generic-api-key\"]\n", "github-pat-classic"),
    ];
    for (name, config, typo) in configs {
        let _ = std::fs::remove_file(tree.path().join(".leakhound.toml"));
        tree.write(name, config);
        let (code, stdout, stderr) = run(tree.path(), &["config", "check"]);
        assert_eq!(code, Some(2), "{name}\n{stdout}{stderr}");
        assert!(
            stderr.contains(&format!("error: disable names \"{typo}\", which is neither a rule nor a gitleaks default rule id")),
            "{stderr}"
        );
        assert!(
            stdout.contains("1 unknown rule id(s) in disable"),
            "{stdout}"
        );
        let (code, stdout, stderr) = run(tree.path(), &["scan", "--format", "json"]);
        assert_eq!(code, Some(1), "the scan goes on: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{name}: disable names \"{typo}\", which is no rule"
            )),
            "{stderr}"
        );
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(report["findings"][0]["rule_id"], "github.pat-classic");
    }
}

// Issue 14 §6: `.gitleaksignore` fingerprints (directory and history forms) drop their findings.
#[test]
fn issue_14_gitleaksignore_lines_drop_their_findings() {
    let mut repo = TempRepo::new();
    let commit = repo.commit_file(
        "src/app.py",
        format!("A = '{}'\nB = '{}'\n", github_pat(), github_pat()),
        "add keys",
    );
    repo.commit_file("docs/x.md", format!("{}\n", aws_key_id()), "doc");
    repo.tree
        .write("other.py", format!("C = '{}'\n", github_pat()));
    repo.tree.write(
        ".gitleaksignore",
        format!(
            "# accepted findings\n{commit}:src/app.py:github-pat:1\ndocs/x.md:aws-access-token:1\nother.py:github.pat-classic:1\nbroken line\n"
        ),
    );
    let report = repo.json(FINDINGS, &["history"]);
    let paths: Vec<(String, String, u64)> = found(&report);
    assert_eq!(
        paths,
        [(
            "github.pat-classic".to_string(),
            "src/app.py".to_string(),
            2
        )],
        "{report:#}"
    );
    assert_eq!(report["stats"]["allowed"], 2);
    // A directory scan: the history line (with a commit) does not apply; the others do.
    let output = leakhound()
        .current_dir(repo.path())
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(".gitleaksignore:5: not a fingerprint"),
        "{stderr}"
    );
    let report = json_with_code(&output, FINDINGS, &[]);
    let lines: Vec<(String, u64)> = found(&report)
        .into_iter()
        .map(|(_, path, line)| (path, line))
        .collect();
    assert_eq!(
        lines,
        [("src/app.py".to_string(), 1), ("src/app.py".to_string(), 2)]
    );
}

// Issue 14 §6: gitleaks' and betterleaks' own default configs load. Runs only when
// LEAKHOUND_GITLEAKS_BIN (a gitleaks binary, whose default config is embedded) or
// LEAKHOUND_BETTERLEAKS_BIN (`betterleaks config show toml`) is set; see
// bench/peer-configs.sh. Nothing is written into the repository.
#[test]
fn issue_14_peer_default_configs_load() {
    let gitleaks = std::env::var_os("LEAKHOUND_GITLEAKS_BIN");
    let betterleaks = std::env::var_os("LEAKHOUND_BETTERLEAKS_BIN");
    if gitleaks.is_none() && betterleaks.is_none() {
        eprintln!("skipped: set LEAKHOUND_GITLEAKS_BIN and/or LEAKHOUND_BETTERLEAKS_BIN to check their default configs");
        return;
    }
    let tree = TempTree::new();
    if let Some(bin) = gitleaks {
        let binary = std::fs::read(&bin).unwrap();
        let marker = b"title = \"gitleaks config\"";
        let start = binary
            .windows(marker.len())
            .position(|w| w == marker)
            .expect("the gitleaks binary embeds its default config");
        // The embedded TOML runs until the first byte that is not text.
        let len = binary[start..]
            .iter()
            .position(|&b| !(b == b'\n' || b == b'\t' || (0x20..0x7f).contains(&b)))
            .unwrap();
        let text = std::str::from_utf8(&binary[start..start + len]).unwrap();
        let ids = text.matches("\n[[rules]]").count();
        tree.write("gitleaks-default.toml", text);
        let (code, stdout, stderr) = run(
            tree.path(),
            &["config", "check", "--config", "gitleaks-default.toml"],
        );
        eprintln!(
            "gitleaks: {stdout}{}",
            stderr
                .lines()
                .filter(|l| l.contains("not loaded"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert_eq!(code, Some(0), "{stdout}{stderr}");
        assert!(
            stdout.contains(&format!("{ids} rules (0 built-in, {ids} from the config)")),
            "every one of gitleaks' {ids} rules loads: {stdout}{stderr}"
        );
        // Every default id is in the mapping table.
        for id in text.lines().filter_map(|l| l.strip_prefix("id = \"")) {
            let id = id.trim_end_matches('"');
            assert!(
                leakhound::config::gitleaks_ids::leakhound_ids(id).is_some(),
                "gitleaks default id {id} is not in the mapping table"
            );
        }
    }
    if let Some(bin) = betterleaks {
        let output = std::process::Command::new(bin)
            .args(["config", "show", "toml"])
            .output()
            .unwrap();
        assert!(output.status.success());
        let text = String::from_utf8(output.stdout).unwrap();
        let total = text.matches("\n[[rules]]").count();
        let components = text.matches("\nskipReport = true").count();
        tree.write("betterleaks-default.toml", &text);
        let (code, stdout, stderr) = run(
            tree.path(),
            &["config", "check", "--config", "betterleaks-default.toml"],
        );
        eprintln!("betterleaks: {stdout}");
        assert_eq!(code, Some(0), "{stdout}{stderr}");
        let loaded = total - components;
        assert!(
            stdout.contains(&format!(
                "{loaded} rules (0 built-in, {loaded} from the config)"
            )),
            "all {total} rules but the {components} composite-only ones load: {stdout}{stderr}"
        );
    }
}
