//! Exit codes: 0 clean, 1 findings (or --exit-code), 2 usage, config or I/O errors.

use crate::util::*;

#[test]
fn clean_findings_and_custom_codes() {
    let tree = TempTree::new();
    tree.write("clean.txt", "nothing to see\n");
    leakhound()
        .current_dir(tree.path())
        .arg("scan")
        .assert()
        .code(0);
    tree.write("dirty.txt", format!("{}\n", github_pat()));
    leakhound()
        .current_dir(tree.path())
        .arg("scan")
        .assert()
        .code(1);
    leakhound()
        .current_dir(tree.path())
        .args(["scan", "--exit-code", "42"])
        .assert()
        .code(42);
    leakhound()
        .current_dir(tree.path())
        .args(["scan", "clean.txt"])
        .assert()
        .code(0);
}

#[test]
fn errors_exit_2_with_one_line() {
    let tree = TempTree::new();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["scan", "no-such-dir"],
            "leakhound: error: no-such-dir: no such file or directory",
        ),
        (vec!["scan", "--format", "yaml"], "invalid value 'yaml'"),
        (vec!["frobnicate"], "unrecognized subcommand"),
        (
            vec!["scan", "--config", "missing.toml"],
            "leakhound: error: missing.toml: cannot read config",
        ),
        (vec!["scan", "-", "."], "cannot be combined"),
        (
            vec!["scan", "--baseline", "missing.json"],
            "leakhound: error: cannot read baseline missing.json: ",
        ),
        (
            vec!["baseline", "--prune", "--output", "missing.json"],
            "leakhound: error: cannot read baseline missing.json: ",
        ),
    ];
    for (args, message) in cases {
        let output = leakhound()
            .current_dir(tree.path())
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_bad_config_is_one_line_naming_the_file() {
    let tree = TempTree::new();
    tree.write(".leakhound.toml", "[allowlist]\npaths = [\n");
    let stderr = scan_error(tree.path());
    assert!(
        stderr.starts_with("leakhound: error: ") && stderr.contains(".leakhound.toml"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line "),
        "the parser's line is named: {stderr}"
    );

    tree.write(
        ".leakhound.toml",
        "[[rules]]\nid = \"acme.token\"\nname = \"ACME\"\nseverity = \"high\"\nkeywords = [\"acme\"]\nregex = 'acme_(['\n",
    );
    let stderr = scan_error(tree.path());
    assert!(
        stderr.contains("rule acme.token: invalid regex"),
        "{stderr}"
    );
}

#[test]
fn help_and_version_exit_0() {
    leakhound().arg("--help").assert().code(0);
    leakhound()
        .arg("--version")
        .assert()
        .code(0)
        .stdout(predicates::str::contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn stdin_is_scanned() {
    let pat = github_pat();
    let output = leakhound()
        .args(["scan", "-", "--format", "jsonl"])
        .write_stdin(format!("line one\nexport GH={pat}\n"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let finding: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(finding["path"], "<stdin>");
    assert_eq!(finding["line"], 2);
    leakhound()
        .args(["scan", "-"])
        .write_stdin("nothing\n")
        .assert()
        .code(0);
}
