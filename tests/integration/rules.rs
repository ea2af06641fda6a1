//! `leakhound rules list|check`, and every built-in rule's examples through the full engine.

use leakhound::check::{check, check_all, CheckOptions, KNOWN_REPORTED_ELSEWHERE};
use leakhound::engine::Engine;
use leakhound::rule::RuleSet;

use crate::util::*;

#[test]
fn every_builtin_rule_passes_its_examples() {
    let engine = Engine::new(RuleSet::builtin_with_examples().unwrap()).unwrap();
    let failures: Vec<String> = check(&engine, CheckOptions { strict: true })
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn builtin_coverage_meets_the_bar() {
    let rules = RuleSet::builtin_with_examples().unwrap();
    let mut providers: Vec<&str> = rules.rules().iter().map(|r| r.provider()).collect();
    providers.sort_unstable();
    providers.dedup();
    assert!(rules.len() >= 80, "{} rules", rules.len());
    assert!(providers.len() >= 50, "{} providers", providers.len());
}

#[test]
fn rules_check_command_passes_and_fails_loudly() {
    let output = leakhound().args(["rules", "check"]).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains(": 0 failure(s)"));

    let tree = TempTree::new();
    tree.write(
        "patterns/acme.toml",
        "[[rules]]\nid = \"acme.token\"\nname = \"ACME\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\nregex = '\\b(acme_[a-z]{8})\\b'\nexamples = [\"acme_abcdefgh\", \"acme_short\"]\nnegative_examples = [\"nothing\", \"acme_zzzzzzzz\"]\n",
    );
    let output = leakhound()
        .args(["rules", "check", "--patterns"])
        .arg(tree.path().join("patterns"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("acme.toml:acme.token:example#2: gives no finding for this rule"),
        "{stderr}"
    );
    assert!(
        stderr.contains("acme.toml:acme.token:negative_example#2: gives 1 finding(s)"),
        "{stderr}"
    );
}

#[test]
fn rules_list_shows_every_rule() {
    let rules = RuleSet::builtin_with_examples().unwrap();
    let output = leakhound().args(["rules", "list"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The first column of each row after the header, compared whole (`github.pat` must not pass
    // for being part of `github.pat-classic`).
    let listed: std::collections::BTreeSet<&str> = stdout
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    for rule in rules.rules() {
        assert!(listed.contains(rule.id.as_str()), "{} missing", rule.id);
    }
    let json = leakhound()
        .args(["rules", "list", "--format", "json"])
        .output()
        .unwrap();
    let list = json_with_code(&json, 0, &["rules", "list"]);
    assert_eq!(list.as_array().unwrap().len(), rules.len());
    assert!(list[0]["keywords"].is_array() && list[0]["severity"].is_string());
}

#[test]
fn docs_rules_md_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/RULES.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = leakhound::rule::docs::markdown(&RuleSet::builtin_with_examples().unwrap());
    assert!(
        committed == generated,
        "docs/RULES.md is stale: run `cargo run -- rules list --format markdown > docs/RULES.md`"
    );
}

#[test]
fn the_lean_builtin_rules_scans_load_are_the_full_rules_without_examples() {
    let lean = RuleSet::builtin().unwrap();
    let full = RuleSet::builtin_with_examples().unwrap();
    assert_eq!(lean.len(), full.len());
    for (lean, full) in lean.rules().iter().zip(full.rules()) {
        assert_eq!(
            (&lean.id, &lean.file, &lean.pattern, &lean.keywords),
            (&full.id, &full.file, &full.pattern, &full.keywords)
        );
        assert_eq!(
            (lean.severity, lean.validator, lean.entropy),
            (full.severity, full.validator, full.entropy)
        );
        assert_eq!(
            (&lean.name, &lean.references, lean.secret_group),
            (&full.name, &full.references, full.secret_group)
        );
        assert_eq!(
            (
                lean.multiline,
                lean.catch_all,
                lean.path.as_ref().map(|p| p.as_str())
            ),
            (
                full.multiline,
                full.catch_all,
                full.path.as_ref().map(|p| p.as_str())
            )
        );
        assert_eq!(
            format!("{:?}", lean.allowlists),
            format!("{:?}", full.allowlists),
            "{}",
            full.id
        );
        assert!(
            lean.examples.is_empty() && !full.examples.is_empty(),
            "{}",
            full.id
        );
    }
}

/// Issue 16: the built-in examples a full scan reports under another rule are listed in the
/// checker with the reason; each must still occur, so that its entry goes with the fix.
#[test]
fn known_examples_reported_under_another_rule_still_occur() {
    let engine = Engine::new(RuleSet::builtin_with_examples().unwrap()).unwrap();
    let (_, known) = check_all(&engine, CheckOptions { strict: true });
    let mut occurred: Vec<&str> = known.iter().map(|f| f.location.as_str()).collect();
    occurred.sort_unstable();
    let mut listed: Vec<&str> = KNOWN_REPORTED_ELSEWHERE.iter().map(|k| k.0).collect();
    listed.sort_unstable();
    assert_eq!(
        occurred, listed,
        "an entry of KNOWN_REPORTED_ELSEWHERE no longer fails: remove it"
    );
}
