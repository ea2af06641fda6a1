//! Checks every rule against its own `examples` and `negative_examples` through the full
//! [`Engine`] (keyword prefilter, windows, entropy, validator), so a rule cannot silently stop
//! matching. Serves `leakhound rules check` and the test suite.

use crate::engine::Engine;

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

/// Runs every check on every rule of `engine` and returns the failures (empty: all pass).
pub fn check(engine: &Engine, options: CheckOptions) -> Vec<Failure> {
    let mut failures = Vec::new();
    let mut scanner = engine.scanner();
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
        match rule.matcher() {
            Err(message) => {
                fail(at.clone(), message.to_string());
                continue;
            }
            // An explicit group 0 (a gitleaks rule without groups) means the whole match.
            Ok(matcher) if matcher.secret_group == 0 && rule.secret_group.is_none() => fail(
                at.clone(),
                "regex has no secret group (group 1 or `(?P<secret>...)`)".into(),
            ),
            Ok(_) => {}
        }
        let mut findings_of_rule = |text: &str| {
            let mut count = 0;
            scanner.scan(text.as_bytes(), None, &mut |m| {
                count += usize::from(m.rule == index)
            });
            count
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
            if findings_of_rule(example) == 0 {
                fail(location, "gives no finding for this rule".into());
            }
        }
        for (n, example) in rule.negative_examples.iter().enumerate() {
            let found = findings_of_rule(example);
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

    #[test]
    fn failures_name_the_example() {
        let mut builder = RuleSetBuilder::new();
        builder.add_file(
            "t.toml",
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
        let engine = Engine::new(builder.build().unwrap()).unwrap();
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
