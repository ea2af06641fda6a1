//! Checks every rule against its own `examples` and `negative_examples` through the full scan
//! path: [`scan::run`](crate::scan::run) over an in-memory chunk at a path the rule applies to,
//! with the keyword prefilter, windows, entropy, validator, the rule's own allowlists, decoding
//! of base64/hex layers and shadowing between rules all on. An example passes only if a real
//! scan reports it under *that rule's* id, so a rule cannot silently stop matching, nor lose its
//! examples to a more specific vendor rule or to a decoded finding (issue 16). Serves
//! `leakhound rules check` and the test suite.

use std::path::Path;

use crate::engine::Engine;
use crate::filter::inline::InlineAllows;
use crate::filter::{Allowlist, Filters};
use crate::finding::Finding;
use crate::rule::AllowlistConfig;
use crate::rule::Rule;
use crate::scan::{self, DEFAULT_DECODE_DEPTH};
use crate::source::{Provenance, VecSource};

/// The path an example is scanned at when its rule has no `path` condition.
pub const EXAMPLE_PATH: &str = "example.txt";

/// Fewest examples and negative examples a built-in rule carries.
pub const MIN_EXAMPLES: usize = 2;
/// Shortest keyword a built-in rule may have: the fast keyword matcher anchors on trigrams.
pub const MIN_KEYWORD_LEN: usize = 3;

/// One failed check, located as `file:rule-id:example#n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `file:rule-id`, plus `:example#n` or `:negative_example#n` where it applies.
    pub location: String,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// How strict to be: built-in rules must meet the project's bar; user rules only need to
/// work.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Require `vendor.kind` ids, keywords, and [`MIN_EXAMPLES`] of each kind.
    pub strict: bool,
}

fn id_is_well_formed(id: &str) -> bool {
    let part_ok = |part: &str| {
        !part.is_empty()
            && !part.starts_with('-')
            && !part.ends_with('-')
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    id.contains('.') && id.split('.').all(part_ok)
}

/// Built-in examples that a full scan reports under another rule because of how rules take
/// precedence over each other, not because the example is wrong (issue 16, section 5):
/// `(location, the rule that reports it instead, why)`. [`check`] leaves out exactly these
/// failures (the same example, reported under the same other rule) and [`check_all`] returns
/// them apart, so they stay visible; the test suite fails once one of them no longer occurs, so
/// that its entry goes with the fix. Never add an entry to make a wrong example pass.
pub const KNOWN_REPORTED_ELSEWHERE: &[(&str, &str, &str)] = &[];

/// Whether `failure` is one of [`KNOWN_REPORTED_ELSEWHERE`], exactly as listed.
fn is_known(failure: &Failure) -> bool {
    KNOWN_REPORTED_ELSEWHERE
        .iter()
        .any(|(location, instead, _)| {
            failure.location == *location
                && failure.message
                    == format!("{NOT_THIS_RULE}: a scan reports it as {instead} instead")
        })
}

/// Runs every check on every rule of `engine` and returns the failures (empty: all pass),
/// without the [`KNOWN_REPORTED_ELSEWHERE`] ones.
pub fn check(engine: &Engine, options: CheckOptions) -> Vec<Failure> {
    check_all(engine, options).0
}

/// Runs every check on every rule of `engine`: the failures, and apart from them the
/// [`KNOWN_REPORTED_ELSEWHERE`] failures that occurred.
pub fn check_all(engine: &Engine, options: CheckOptions) -> (Vec<Failure>, Vec<Failure>) {
    let (known, failures): (Vec<Failure>, Vec<Failure>) = check_every_rule(engine, options)
        .into_iter()
        .partition(is_known);
    (failures, known)
}

/// The message of an example that gives no finding for its rule.
const NOT_THIS_RULE: &str = "gives no finding for this rule";

fn check_every_rule(engine: &Engine, options: CheckOptions) -> Vec<Failure> {
    let mut failures = Vec::new();
    let setup = ExampleScan::new(engine, &mut failures);
    for (index, rule) in engine.rules().rules().iter().enumerate() {
        let at = format!("{}:{}", rule.file, rule.id);
        let mut fail =
            |location: String, message: String| failures.push(Failure { location, message });
        if options.strict {
            if !id_is_well_formed(&rule.id) {
                fail(
                    at.clone(),
                    "id must be lowercase `vendor.kind` (letters, digits, `-`, `.`)".into(),
                );
            }
            if rule.examples.len() < MIN_EXAMPLES || rule.negative_examples.len() < MIN_EXAMPLES {
                fail(
                    at.clone(),
                    format!(
                        "needs at least {MIN_EXAMPLES} examples and {MIN_EXAMPLES} negative_examples (has {} and {})",
                        rule.examples.len(),
                        rule.negative_examples.len()
                    ),
                );
            }
        }
        if rule.is_file_rule() {
            check_file_rule(engine, index, &at, &mut fail);
            continue;
        }
        if options.strict {
            if rule.keywords.is_empty() {
                fail(at.clone(), "has no keywords".into());
            }
            if let Some(short) = rule.keywords.iter().find(|k| k.len() < MIN_KEYWORD_LEN) {
                fail(
                    at.clone(),
                    format!("keyword {short:?} is shorter than {MIN_KEYWORD_LEN} bytes: it would slow every scan"),
                );
            }
        }
        match rule
            .matcher()
            .and_then(|matcher| matcher.regex().map(|_| matcher))
        {
            Err(message) => {
                fail(at.clone(), message.to_string());
                continue;
            }
            // An explicit group 0 (a gitleaks rule without groups) means the whole match.
            Ok(matcher) if matcher.facts.secret_group == 0 && rule.secret_group.is_none() => fail(
                at.clone(),
                "regex has no secret group (group 1 or `(?P<secret>...)`)".into(),
            ),
            Ok(_) => {}
        }
        let path = match example_path(rule) {
            Ok(path) => path,
            Err(message) => {
                fail(at.clone(), message);
                continue;
            }
        };
        for (n, example) in rule.examples.iter().enumerate() {
            let location = format!("{at}:example#{}", n + 1);
            let lower = example.to_ascii_lowercase();
            if !rule.keywords.is_empty()
                && !rule
                    .keywords
                    .iter()
                    .any(|k| lower.contains(&k.to_ascii_lowercase()))
            {
                fail(
                    location.clone(),
                    "contains none of the rule's keywords, so the prefilter hides it".into(),
                );
            }
            let outcome = setup.scan(engine, &path, example);
            if outcome.reported.iter().any(|f| f.rule == index) {
                continue;
            }
            let mut instead: Vec<&str> = outcome
                .reported
                .iter()
                .map(|f| f.rule_id.as_str())
                .collect();
            instead.sort_unstable();
            instead.dedup();
            let message = if !instead.is_empty() {
                format!(
                    "{NOT_THIS_RULE}: a scan reports it as {} instead",
                    instead.join(", ")
                )
            } else if outcome.dropped.iter().any(|f| f.rule == index) {
                format!(
                    "{NOT_THIS_RULE}: an allowlist of the rule or an inline allow comment drops it"
                )
            } else {
                NOT_THIS_RULE.into()
            };
            fail(location, message);
        }
        for (n, example) in rule.negative_examples.iter().enumerate() {
            let outcome = setup.scan(engine, &path, example);
            let found = outcome.reported.iter().filter(|f| f.rule == index).count();
            if found > 0 {
                fail(
                    format!("{at}:negative_example#{}", n + 1),
                    format!("gives {found} finding(s) for this rule"),
                );
            }
        }
    }
    failures
}

/// How the examples are scanned: [`scan::run`] with the default decoding depth, then each
/// finding judged by the filters a scan of the example would apply, which are each rule's own
/// allowlists (a rule may rely on them to drop what its regex over-matches) and inline allow
/// comments; no project allowlists, no baseline.
///
/// The scan itself runs with one allowlist that takes every finding, and the real filters are
/// applied afterwards with the same [`Filters::allows`]: the scan then files every finding as
/// allowed, which skips the fingerprint's key derivation (about 3 ms for each of the many
/// short example secrets: most of the check's time otherwise). Shadowing and decoding happen
/// before any filter, so what is reported under which rule is the same.
struct ExampleScan {
    /// What the scan runs with.
    scan: Filters,
    /// What the scan would have filtered with.
    rules: Filters,
}

/// What a scan of one example reports, and what the filters drop.
struct Outcome {
    reported: Vec<Finding>,
    dropped: Vec<Finding>,
}

impl ExampleScan {
    /// The filters for `engine`'s rules; an allowlist that does not compile is a failure of its
    /// rule.
    fn new(engine: &Engine, failures: &mut Vec<Failure>) -> ExampleScan {
        let rule_allowlists = engine
            .rules()
            .rules()
            .iter()
            .map(|rule| {
                rule.allowlists
                    .iter()
                    .filter_map(|list| {
                        match Allowlist::new(list, Path::new(""), Path::new(&rule.file)) {
                            Ok(list) => Some(list),
                            Err(err) => {
                                failures.push(Failure {
                                    location: format!("{}:{}", rule.file, rule.id),
                                    message: format!("allowlist: {err}"),
                                });
                                None
                            }
                        }
                    })
                    .collect()
            })
            .collect();
        let everything = AllowlistConfig {
            regexes: vec![String::new()],
            ..AllowlistConfig::default()
        };
        let everything = Allowlist::new(&everything, Path::new(""), Path::new(""))
            .expect("the empty regex compiles");
        ExampleScan {
            scan: Filters {
                allowlists: vec![everything],
                decode_depth: DEFAULT_DECODE_DEPTH,
                ..Filters::default()
            },
            rules: Filters {
                rule_allowlists,
                ..Filters::default()
            },
        }
    }

    /// What a real scan reports for `text` as the whole content of the file at `path`.
    fn scan(&self, engine: &Engine, path: &str, text: &str) -> Outcome {
        let source = VecSource {
            chunks: vec![(Provenance::file(path, path), text.as_bytes().to_vec())],
        };
        let result = scan::run(&source, engine, &self.scan, 1, &scan::Silent);
        let inline = InlineAllows::parse(text.as_bytes());
        let (dropped, reported) = result
            .findings
            .into_iter()
            .chain(result.allowed)
            .partition(|f| inline.allows(f.location.line) || self.rules.allows(f, text.as_bytes()));
        Outcome { reported, dropped }
    }
}

/// The path a content rule's examples are scanned at: [`EXAMPLE_PATH`] when the rule has no
/// `path` condition or its condition accepts it, else the shortest path its condition's regex
/// spells out (`(?:^|/)\.env$` gives `.env`, `\.tfvars?$` gives `.tfvar`), checked against
/// the condition.
pub fn example_path(rule: &Rule) -> Result<String, String> {
    let Some(condition) = &rule.path else {
        return Ok(EXAMPLE_PATH.to_string());
    };
    if condition.is_match(EXAMPLE_PATH) {
        return Ok(EXAMPLE_PATH.to_string());
    }
    let derived = regex_syntax::Parser::new()
        .parse(condition.as_str())
        .ok()
        .map(|hir| {
            let mut path = String::new();
            spell(&hir, &mut path);
            path
        });
    match derived {
        Some(path) if !path.is_empty() && condition.is_match(&path) => Ok(path),
        _ => Err(format!(
            "no example path can be derived from the path condition {:?}: its examples cannot be checked",
            condition.as_str()
        )),
    }
}

/// Appends to `out` a short text `hir` matches, ignoring look-arounds (the caller checks the
/// result): the first alternative, each repetition its minimum number of times, from each
/// class a lowercase letter or digit when it has one.
fn spell(hir: &regex_syntax::hir::Hir, out: &mut String) {
    use regex_syntax::hir::{Class, HirKind};
    const PREFERRED: &str = "abcdefghijklmnopqrstuvwxyz0123456789_-.";
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => out.push_str(&String::from_utf8_lossy(&literal.0)),
        HirKind::Class(Class::Unicode(class)) => {
            let contains = |c: char| {
                class
                    .ranges()
                    .iter()
                    .any(|r| r.start() <= c && c <= r.end())
            };
            let first = class.ranges().first().map(|r| r.start());
            if let Some(c) = PREFERRED.chars().find(|&c| contains(c)).or(first) {
                out.push(c);
            }
        }
        HirKind::Class(Class::Bytes(class)) => {
            let contains = |b: u8| {
                class
                    .ranges()
                    .iter()
                    .any(|r| r.start() <= b && b <= r.end())
            };
            let first = class.ranges().first().map(|r| r.start());
            if let Some(b) = PREFERRED.bytes().find(|&b| contains(b)).or(first) {
                out.push(char::from(b));
            }
        }
        HirKind::Repetition(repetition) => {
            for _ in 0..repetition.min.min(64) {
                spell(&repetition.sub, out);
            }
        }
        HirKind::Capture(capture) => spell(&capture.sub, out),
        HirKind::Concat(subs) => subs.iter().for_each(|sub| spell(sub, out)),
        HirKind::Alternation(subs) => {
            if let Some(first) = subs.first() {
                spell(first, out);
            }
        }
    }
}

/// A file rule's examples are paths it must flag, its negative examples paths it must not.
fn check_file_rule(engine: &Engine, index: usize, at: &str, fail: &mut dyn FnMut(String, String)) {
    let rule = &engine.rules().rules()[index];
    let flags = |path: &str| engine.file_rules_matching(path).any(|r| r == index);
    for (n, path) in rule.examples.iter().enumerate() {
        if !flags(path) {
            fail(
                format!("{at}:example#{}", n + 1),
                "path is not flagged".into(),
            );
        }
    }
    for (n, path) in rule.negative_examples.iter().enumerate() {
        if flags(path) {
            fail(
                format!("{at}:negative_example#{}", n + 1),
                "path is flagged".into(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::RuleSetBuilder;

    #[test]
    fn ids() {
        for good in ["github.pat", "aws.access-key-id", "a1.b2.c3"] {
            assert!(id_is_well_formed(good), "{good}");
        }
        for bad in ["github", "GitHub.pat", "a..b", "a.-b", "a.b_c", ".a"] {
            assert!(!id_is_well_formed(bad), "{bad}");
        }
    }

    fn check_rules(text: &str) -> Vec<String> {
        let mut builder = RuleSetBuilder::new();
        builder.add_file("t.toml", text);
        let engine = Engine::new(builder.build().unwrap()).unwrap();
        check(&engine, CheckOptions { strict: false })
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Issue 16: a rule with a `path` condition is checked at a path it applies to.
    #[test]
    fn rules_with_a_path_condition_are_checked_at_a_matching_path() {
        let rules = r#"
            [[rules]]
            id = "t.env"
            name = "env"
            severity = "high"
            keywords = ["tok_"]
            regex = '\b(tok_[a-z0-9]{8})\b'
            path = '(?:^|/)\.env(?:\.[a-z]+)?$'
            examples = ["X=tok_a1b2c3d4"]
            negative_examples = ["X=tok_short", "X=tok_a1b2c3d4"]
        "#;
        assert_eq!(
            check_rules(rules),
            ["t.toml:t.env:negative_example#2: gives 1 finding(s) for this rule"]
        );
        let builder_rules = {
            let mut builder = RuleSetBuilder::new();
            builder.add_file("t.toml", rules);
            builder.build().unwrap()
        };
        assert_eq!(example_path(&builder_rules.rules()[0]).unwrap(), ".env");
    }

    #[test]
    fn example_paths_follow_the_path_condition() {
        let path_of = |condition: &str| {
            let mut builder = RuleSetBuilder::new();
            builder.add_file(
                "t.toml",
                &format!(
                    "[[rules]]\nid = \"t.x\"\nname = \"x\"\nseverity = \"low\"\nkeywords = [\"tok\"]\nregex = 'tok(x)'\npath = '{condition}'\n"
                ),
            );
            example_path(&builder.build().unwrap().rules()[0])
        };
        assert_eq!(path_of(r"\.txt$").unwrap(), EXAMPLE_PATH);
        assert_eq!(
            path_of(r"(?i)(?:^|/)[^/]+\.(?:tfvars|tf)$").unwrap(),
            "a.tfvars"
        );
        assert_eq!(path_of(r"^config/[a-z]+\.ya?ml$").unwrap(), "config/a.yml");
        assert_eq!(path_of(r"\bsecrets?\.json$").unwrap(), "secret.json");
        let err = path_of(r"^a\b[a-z]").unwrap_err();
        assert!(err.contains("no example path"), "{err}");
    }

    /// Issue 16: an example that a more specific vendor rule takes over fails, and says which
    /// rule reported it.
    #[test]
    fn examples_shadowed_by_a_more_specific_rule_fail_and_name_it() {
        let failures = check_rules(
            r#"
            [[rules]]
            id = "broad.key"
            name = "broad"
            severity = "high"
            keywords = ["sk_"]
            regex = '\b(sk_[A-Za-z0-9]{16,})\b'
            examples = ["a = sk_Q1w9Zk3Lm8Xp2Vb7", "a = sk_0123456789abcdef"]

            [[rules]]
            id = "narrow.key"
            name = "hex only"
            severity = "high"
            keywords = ["sk_"]
            regex = '\b(sk_[a-f0-9]{16})\b'
            examples = ["a = sk_0123456789abcdef"]
        "#,
        );
        assert_eq!(
            failures,
            ["t.toml:broad.key:example#2: gives no finding for this rule: a scan reports it as narrow.key instead"]
        );
    }

    /// Issue 16: a catch-all finding of an encoded value yields to the vendor rule that finds
    /// the secret inside it; the example fails and names that rule.
    #[test]
    fn catch_all_examples_yielding_to_decoded_findings_fail_and_name_the_rule() {
        let failures = check_rules(
            r#"
            [[rules]]
            id = "generic.value"
            name = "any value"
            severity = "medium"
            catch_all = true
            keywords = ["value"]
            regex = 'value => ([A-Za-z0-9+/=]{8,})'
            examples = ["value => a1B2c3D4e5F6", "value => a2V5IGlzIHRva19hMWIyYzNkNCBoZXJl"]

            [[rules]]
            id = "t.tok"
            name = "tok"
            severity = "high"
            keywords = ["tok_"]
            regex = '\b(tok_[a-z0-9]{8})\b'
            examples = ["tok_a1b2c3d4"]
        "#,
        );
        assert_eq!(
            failures,
            ["t.toml:generic.value:example#2: gives no finding for this rule: a scan reports it as t.tok instead"]
        );
    }

    #[test]
    fn examples_dropped_by_the_rules_own_allowlist_fail_and_say_so() {
        let failures = check_rules(
            r#"
            [[rules]]
            id = "t.tok"
            name = "tok"
            severity = "high"
            keywords = ["tok_"]
            regex = '\b(tok_[a-z0-9]{8})\b'
            examples = ["tok_a1b2c3d4", "tok_00000000"]
            negative_examples = ["tok_11111111"]
            [rules.allowlist]
            regexes = ['^tok_[01]+$']
        "#,
        );
        assert_eq!(
            failures,
            ["t.toml:t.tok:example#2: gives no finding for this rule: an allowlist of the rule or an inline allow comment drops it"]
        );
    }

    #[test]
    fn failures_name_the_example() {
        let engine = Engine::for_tests(
            r#"
            [[rules]]
            id = "t.tok"
            name = "tok"
            severity = "high"
            keywords = ["tok_"]
            regex = '\b(tok_[a-z0-9]{8})\b'
            examples = ["tok_12345678", "tok_short", "no keyword 12345678"]
            negative_examples = ["tok_abcdefgh", "nothing"]
        "#,
        );
        let failures: Vec<String> = check(&engine, CheckOptions { strict: true })
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            failures,
            [
                "t.toml:t.tok:example#2: gives no finding for this rule",
                "t.toml:t.tok:example#3: contains none of the rule's keywords, so the prefilter hides it",
                "t.toml:t.tok:example#3: gives no finding for this rule",
                "t.toml:t.tok:negative_example#1: gives 1 finding(s) for this rule",
            ]
        );
    }
}
