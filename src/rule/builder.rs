//! Compiles [`RuleSyntax`] into a [`RuleSet`]: checks ids, keywords, validators and path
//! filters up front, and compiles each regex either at once (user rules, so a bad regex is an
//! error at start-up) or lazily, the first time one of its keywords hits (built-in rules, so a
//! pre-commit hook does not pay for compiling hundreds of regexes it never needs).

use rustc_hash::FxHashMap;
use std::sync::OnceLock;

use super::set::{Pattern, Rule, RuleSet};
use super::syntax::{RuleFile, RuleSyntax};
use super::Matcher;
use super::{builtin, Error};
use crate::validate::Validator;

impl RuleSet {
    /// The built-in rules, compiled lazily.
    pub fn builtin() -> Result<RuleSet, Error> {
        let mut builder = RuleSetBuilder::new();
        builder.lazy(true).builtin();
        builder.build()
    }

    /// The built-in rules with their examples and negative examples, compiled lazily.
    pub fn builtin_with_examples() -> Result<RuleSet, Error> {
        let mut builder = RuleSetBuilder::new();
        builder.lazy(true).builtin_with_examples();
        builder.build()
    }
}

/// Builds a [`RuleSet`] from built-in and user rule files.
///
/// ```
/// use leakhound::rule::RuleSetBuilder;
///
/// let mut builder = RuleSetBuilder::new();
/// builder.add_file("my-rules.toml", r#"
///     [[rules]]
///     id = "acme.token"
///     name = "ACME API token"
///     severity = "high"
///     keywords = ["acme_"]
///     regex = '''\b(acme_[a-z0-9]{16})\b'''
///     examples = ["key = acme_0123456789abcdef"]
///     negative_examples = ["key = acme_short"]
/// "#);
/// let rules = builder.build().unwrap();
/// assert_eq!(rules.get("acme.token").unwrap().severity.as_str(), "high");
/// ```
#[derive(Debug, Default)]
pub struct RuleSetBuilder {
    lazy: bool,
    sources: Vec<RuleSource>,
    disabled: Vec<String>,
}

/// One file's rules, and how to add them.
#[derive(Debug)]
struct RuleSource {
    file: String,
    parsed: Result<Vec<RuleSyntax>, Error>,
    /// Compile regexes on first use (the lazy setting when the source was added).
    lazy: bool,
    /// A rule here replaces an earlier source's rule with the same id (user config over built-in).
    overrides: bool,
}

impl RuleSetBuilder {
    /// An empty builder that compiles regexes eagerly.
    pub fn new() -> RuleSetBuilder {
        RuleSetBuilder::default()
    }

    /// Compile the regexes of the sources added from now on at first use instead of in
    /// [`build`](Self::build). Only for rules known to compile (the built-in ones, which the
    /// test suite compiles).
    pub fn lazy(&mut self, yes: bool) -> &mut Self {
        self.lazy = yes;
        self
    }

    /// Adds the built-in rule files.
    pub fn builtin(&mut self) -> &mut Self {
        let mut lean: FxHashMap<&str, Vec<RuleSyntax>> = (builtin::LEAN_FILES.iter())
            .filter_map(|file| Some((file.file(), file.rules()?)))
            .collect();
        for (name, text) in builtin::files() {
            match lean.remove(*name) {
                Some(rules) => self.sources.push(RuleSource {
                    file: name.to_string(),
                    parsed: Ok(rules),
                    lazy: self.lazy,
                    overrides: false,
                }),
                // Not in the lean form (it did not parse at build time): the TOML text gives
                // the error, with its line.
                None => {
                    self.add_file(name, text);
                }
            }
        }
        self
    }

    /// Adds the built-in rules with their `examples` and `negative_examples` (for checking
    /// them), parsed from the embedded TOML: slower than [`RuleSetBuilder::builtin`].
    pub fn builtin_with_examples(&mut self) -> &mut Self {
        for (name, text) in builtin::files() {
            self.add_file(name, text);
        }
        self
    }

    /// Adds a rule file's text; `file` names it in errors.
    pub fn add_file(&mut self, file: &str, text: &str) -> &mut Self {
        let parsed = RuleFile::parse(file, text).map(|parsed| parsed.rules);
        self.sources.push(RuleSource {
            file: file.to_string(),
            parsed,
            lazy: self.lazy,
            overrides: false,
        });
        self
    }

    /// Adds rules already parsed (from a config file). A rule with the id of a rule added
    /// before (a built-in one) replaces it.
    pub fn add_rules(&mut self, file: &str, rules: Vec<RuleSyntax>) -> &mut Self {
        self.sources.push(RuleSource {
            file: file.to_string(),
            parsed: Ok(rules),
            lazy: self.lazy,
            overrides: true,
        });
        self
    }

    /// Whether a rule with this id has been added (from any source that parsed).
    pub fn has_rule(&self, id: &str) -> bool {
        self.sources.iter().any(|source| {
            source
                .parsed
                .as_ref()
                .is_ok_and(|rules| rules.iter().any(|rule| rule.id == id))
        })
    }

    /// Leaves out the rules with these ids.
    pub fn disable<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, ids: I) -> &mut Self {
        self.disabled.extend(ids.into_iter().map(Into::into));
        self
    }

    /// Checks and compiles the rules. The first problem found is returned.
    pub fn build(self) -> Result<RuleSet, Error> {
        let mut rules: Vec<Rule> = Vec::new();
        // For each id: the file that defined it and the source index.
        let mut defined: FxHashMap<String, (String, usize)> = FxHashMap::default();
        for (index, source) in self.sources.into_iter().enumerate() {
            let syntaxes = match source.parsed {
                Ok(syntaxes) => syntaxes,
                Err(Error::Parse { file, message }) => return Err(Error::Parse { file, message }),
                Err(other) => {
                    return Err(Error::Parse {
                        file: source.file,
                        message: other.to_string(),
                    })
                }
            };
            for syntax in syntaxes {
                let previous = defined.insert(syntax.id.clone(), (source.file.clone(), index));
                if let Some((first, first_index)) = previous {
                    if !source.overrides || first_index == index {
                        return Err(Error::DuplicateId {
                            file: source.file.clone(),
                            rule_id: syntax.id.clone(),
                            first,
                        });
                    }
                    rules.retain(|rule| rule.id != syntax.id);
                }
                if self.disabled.contains(&syntax.id) {
                    continue;
                }
                rules.push(Self::compile_rule(&source.file, syntax, source.lazy)?);
            }
        }
        Ok(RuleSet::new(rules))
    }

    fn compile_rule(file: &str, mut syntax: RuleSyntax, lazy: bool) -> Result<Rule, Error> {
        let invalid = |message: String| Error::Invalid {
            file: file.to_string(),
            rule_id: syntax.id.clone(),
            message,
        };
        if syntax.id.is_empty()
            || syntax
                .id
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid("id must be non-empty, without spaces".into()));
        }
        if syntax.keywords.iter().any(String::is_empty) {
            return Err(invalid("a keyword is empty".into()));
        }
        // A context rule's value is checked for placeholders unless it names its own check.
        let validator_name = syntax
            .validator
            .as_deref()
            .or(syntax.shape.as_ref().map(|_| "placeholder"));
        let validator = match validator_name {
            None => None,
            Some(name) => Some(Validator::from_name(name).ok_or_else(|| {
                invalid(format!(
                    "unknown validator (known: {})",
                    Validator::NAMES.join(", ")
                ))
            })?),
        };
        let path = match &syntax.path {
            None => None,
            Some(pattern) => {
                let regex = super::LazyPathRegex::new(pattern)
                    .map_err(|reason| invalid(format!("invalid path regex: {reason}")))?;
                if !lazy {
                    // A user's own rules are few: every mistake is reported before a scan.
                    regex
                        .compile_now()
                        .map_err(|reason| invalid(format!("invalid path regex: {reason}")))?;
                }
                Some(regex)
            }
        };
        let (pattern, keywords) = match &syntax.shape {
            Some(_) if !syntax.regex.is_empty() => {
                return Err(invalid("has both a `regex` and a `shape`; keep one".into()))
            }
            Some(shape) => {
                let pattern = Pattern::Context {
                    context: syntax.context.clone(),
                    shape: shape.clone(),
                };
                let keywords = if syntax.keywords.is_empty() {
                    syntax
                        .context
                        .iter()
                        .flat_map(|word| super::template::keyword_variants(word))
                        .collect()
                } else {
                    syntax.keywords.clone()
                };
                (pattern, keywords)
            }
            None if !syntax.context.is_empty() => {
                return Err(invalid("has `context` words but no `shape`".into()))
            }
            None => (
                Pattern::Regex(std::mem::take(&mut syntax.regex)),
                std::mem::take(&mut syntax.keywords),
            ),
        };
        if pattern == Pattern::Regex(String::new()) && path.is_none() {
            return Err(invalid(
                "needs a `regex`, or a `path` for a rule that flags files by name".into(),
            ));
        }
        if let Some(entropy) = syntax.entropy {
            if !(0.0..=8.0).contains(&entropy) {
                return Err(invalid(format!(
                    "entropy {entropy} is outside 0..=8 bits per byte"
                )));
            }
        }
        let mut allowlists = std::mem::take(&mut syntax.allowlists);
        if let Some(allowlist) = syntax.allowlist.take() {
            allowlists.insert(0, allowlist);
        }
        let rule = Rule {
            id: syntax.id,
            name: syntax.name,
            severity: syntax.severity,
            keywords,
            pattern,
            entropy: syntax.entropy,
            validator,
            path,
            references: syntax.references,
            examples: syntax.examples,
            negative_examples: syntax.negative_examples,
            file: file.to_string(),
            allowlists,
            secret_group: syntax.secret_group,
            multiline: syntax.multiline,
            catch_all: syntax.catch_all,
            matcher: OnceLock::new(),
            lean_facts: syntax.lean_facts,
        };
        if !lazy && !rule.is_file_rule() {
            (rule.matcher().and_then(Matcher::regex)).map_err(|message| Error::Invalid {
                file: file.to_string(),
                rule_id: rule.id.clone(),
                message: message.to_string(),
            })?;
        }
        Ok(rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::matcher::UNBOUNDED_WINDOW;
    use crate::rule::Severity;

    fn build(text: &str) -> Result<RuleSet, Error> {
        let mut builder = RuleSetBuilder::new();
        builder.add_file("test.toml", text);
        builder.build()
    }

    const RULE: &str = r#"
        [[rules]]
        id = "acme.token"
        name = "ACME"
        severity = "high"
        keywords = ["acme_"]
        regex = 'REGEX'
    "#;

    #[test]
    fn token_prefixes_are_read_through_escapes_and_case_groups() {
        let rule = |keyword: &str, regex: &str| {
            RULE.replace("acme_", keyword)
                .replace("'REGEX'", &format!("'''{regex}'''"))
        };
        for (keyword, regex) in [
            ("dp.pt.", r"\b(dp\.pt\.[A-Za-z0-9]{40})\b"),
            ("sub-c-", r"\b((?i:sub-c-)[a-z0-9]{36})\b"),
            ("acme_", r"\b(acme_[a-z0-9]{36})\b"),
        ] {
            let rules = build(&rule(keyword, regex)).unwrap();
            let value = format!("{keyword}tooShort");
            assert!(rules.has_token_prefix(value.as_bytes()), "{regex}");
            assert!(!rules.has_token_prefix(b"plain_value_here"), "{regex}");
        }
        // A keyword that does not open the secret is context, not a prefix.
        let rules = build(&rule("acme_", r"acme_key=([a-z0-9]{36})")).unwrap();
        assert!(!rules.has_token_prefix(b"acme_key_value"));
    }

    #[test]
    fn secret_group_prefers_named_then_first() {
        let cases = [
            (r"acme_(?P<secret>[a-z]{4})(x)", 1),
            (r"(a)cme_(?P<secret>[a-z]{4})", 2),
            (r"(acme_[a-z]{4})", 1),
            (r"acme_[a-z]{4}", 0),
        ];
        for (pattern, group) in cases {
            assert_eq!(facts(pattern).secret_group, group, "{pattern}");
        }
    }

    /// Only zero-width assertions may lie outside a secret that is said to be the whole match.
    #[test]
    fn a_secret_is_the_whole_match_when_nothing_else_takes_bytes() {
        let cases = [
            (r"acme_[a-z]{4}", true),
            (r"\b(acme_[a-z]{4})\b", true),
            (r"(?-u)^(?P<secret>acme_[a-z]{4})$", true),
            (r"((acme_)[a-z]{4})", true),
            (r"\b(acme_[a-z]{4})(?:[^a-z]|\z)", false),
            (r"key=(acme_[a-z]{4})", false),
            (r"(acme_[a-z]{4})|acme_none", false),
            (r"(acme_[a-z]{4})?", false),
            (r"(acme_[a-z]{4}) ", false),
        ];
        for (pattern, whole) in cases {
            assert_eq!(facts(pattern).secret_is_match, whole, "{pattern}");
        }
    }

    /// The regex facts of a one-rule set whose regex is `pattern`.
    fn facts(pattern: &str) -> crate::rule::facts::RegexFacts {
        let rules = build(&RULE.replace("REGEX", pattern)).unwrap();
        rules.rules()[0].matcher().unwrap().facts.clone()
    }

    #[test]
    fn window_is_the_longest_match_or_a_default() {
        assert_eq!(facts(r"acme_[a-z]{16}").window, 21);
        assert_eq!(facts(r"acme_[a-z]+").window, UNBOUNDED_WINDOW);
    }

    #[test]
    fn errors_name_file_and_rule() {
        let err = build(&RULE.replace("REGEX", r"acme_("))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("test.toml: rule acme.token: invalid regex"),
            "{err}"
        );
        let err = build(&format!("{RULE}{RULE}").replace("REGEX", "a"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("duplicate id"), "{err}");
        let err = build("[[rules]]\nid = 1").unwrap_err().to_string();
        assert!(err.starts_with("test.toml: "), "{err}");
        let err = build(&RULE.replace("REGEX", "a").replace("keywords", "keywordz")).unwrap_err();
        assert!(err.to_string().contains("unknown key"), "{err}");
        assert!(!err.to_string().contains("keywordz"), "{err}");
    }

    #[test]
    fn single_line_regexes_are_recognised() {
        let cases = [
            (r"acme_[a-z]+", true),
            (r"acme_[^\s]+", true),
            (r"acme_\s+x", false),
            (r"acme_(?s:.)+", false),
            (r"acme_.+", true),
            (r"acme_\n", false),
        ];
        for (pattern, single) in cases {
            assert_eq!(facts(pattern).single_line, single, "{pattern}");
        }
    }

    #[test]
    fn regexes_that_end_at_a_newline_are_recognised() {
        let cases = [
            (r"acme_[a-z]+(?:\r?\n|$)", true),
            (r"acme_[a-z]+[^a-z]", true),
            (r"acme_[a-z]+", false),
            (r"acme_\n[a-z]+", false),
            (r"acme_[a-z]+\s+\n", false),
            (r"(?:acme_\n|acme_[a-z]+\n)", true),
            (r"acme_[a-z]+\n\n", false),
        ];
        for (pattern, ends) in cases {
            assert_eq!(facts(pattern).ends_at_newline, ends, "{pattern}");
        }
    }

    #[test]
    fn lazy_rules_defer_regex_errors() {
        let mut builder = RuleSetBuilder::new();
        builder
            .lazy(true)
            .add_file("test.toml", &RULE.replace("REGEX", "acme_("));
        let rules = builder.build().unwrap();
        assert!(rules.rules()[0].matcher().is_err());
    }

    #[test]
    fn config_rules_replace_earlier_rules_with_their_id_and_laziness_is_per_source() {
        let mut builder = RuleSetBuilder::new();
        builder
            .lazy(true)
            .add_file("builtin.toml", &RULE.replace("REGEX", "acme_("));
        let own: RuleFile = toml::from_str(
            &RULE
                .replace("REGEX", "acme_x")
                .replace("\"high\"", "\"low\""),
        )
        .unwrap();
        builder.lazy(false).add_rules("config.toml", own.rules);
        let rules = builder.build().unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules.rules()[0].file, "config.toml");
        assert_eq!(rules.rules()[0].severity, Severity::Low);
    }

    #[test]
    fn rules_are_found_by_id_after_overrides_and_disables() {
        let mut builder = RuleSetBuilder::new();
        let many: String = (0..50)
            .map(|n| RULE.replace("acme.token", &format!("acme.t{n}")))
            .collect();
        builder.add_file("test.toml", &many.replace("REGEX", "acme_x"));
        let own: RuleFile = toml::from_str(
            &RULE
                .replace("acme.token", "acme.t7")
                .replace("REGEX", "acme_y"),
        )
        .unwrap();
        builder
            .add_rules("config.toml", own.rules)
            .disable(["acme.t3"]);
        let rules = builder.build().unwrap();
        assert_eq!(rules.len(), 49);
        for (index, rule) in rules.rules().iter().enumerate() {
            assert_eq!(rules.index_of(&rule.id), Some(index));
            assert!(std::ptr::eq(rules.get(&rule.id).unwrap(), rule));
        }
        assert_eq!(rules.get("acme.t7").unwrap().file, "config.toml");
        assert!(rules.get("acme.t3").is_none());
        assert!(rules.get("acme.nope").is_none());
        assert!(RuleSet::default().get("acme.t1").is_none());
    }

    #[test]
    fn disabled_rules_are_left_out() {
        let mut builder = RuleSetBuilder::new();
        builder
            .add_file("test.toml", &RULE.replace("REGEX", "a"))
            .disable(["acme.token"]);
        assert!(builder.build().unwrap().is_empty());
    }
}
