//! Compiles [`RuleSyntax`] into a [`RuleSet`]: checks ids, keywords, validators and path
//! filters up front, and compiles each regex either at once (user rules, so a bad regex is an
//! error at start-up) or lazily, the first time one of its keywords hits (built-in rules, so a
//! pre-commit hook does not pay for compiling hundreds of regexes it never needs).

use std::collections::HashMap;
use std::sync::OnceLock;

use regex_automata::meta;
use regex_automata::PatternID;

use super::syntax::{RuleFile, RuleSyntax, Severity};
use super::{builtin, Error};
use crate::validate::Validator;

/// Bytes searched on each side of a keyword hit when a rule's regex has no maximum length.
pub const UNBOUNDED_WINDOW: usize = 4096;
/// The largest window a bounded regex gets on each side of a keyword hit.
pub const MAX_WINDOW: usize = 64 * 1024;
/// Limit on the compiled size of one rule's regex, so no rule can blow up memory.
const REGEX_SIZE_LIMIT: usize = 8 * 1024 * 1024;

/// Memory for each rule's lazy DFA, per thread. Windows around keyword hits are short, so a
/// rule visits few DFA states; regex's default of 2 MiB times hundreds of rules and every
/// thread was most of a large scan's peak memory.
const HYBRID_CACHE_CAPACITY: usize = 128 * 1024;

/// A compiled rule: its metadata, checks, and a regex compiled on first use.
#[derive(Debug)]
pub struct Rule {
    /// Stable id (`github.pat-classic`).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Severity of a finding.
    pub severity: Severity,
    /// Keywords, as written.
    pub keywords: Vec<String>,
    /// The regex source.
    pub pattern: String,
    /// Minimum Shannon entropy of the secret, bits per byte.
    pub entropy: Option<f64>,
    /// The offline validator run on each secret, if any.
    pub validator: Option<Validator>,
    /// Only paths this matches are scanned with the rule.
    pub path: Option<regex::Regex>,
    /// Documentation links.
    pub references: Vec<String>,
    /// Texts the rule must find a secret in.
    pub examples: Vec<String>,
    /// Texts the rule must find nothing in.
    pub negative_examples: Vec<String>,
    /// The file the rule came from (`patterns/github.toml` or a config path).
    pub file: String,
    /// The rule's own allowlists.
    pub allowlists: Vec<super::AllowlistConfig>,
    /// An explicit secret group (else `secret`, else group 1).
    pub secret_group: Option<usize>,
    /// Matches may span many lines (see [`RuleSyntax::multiline`]).
    pub multiline: bool,
    matcher: OnceLock<Result<Matcher, String>>,
}

/// A rule's compiled regex and what the engine needs to run it near keyword hits.
#[derive(Debug)]
pub struct Matcher {
    /// The compiled regex.
    pub regex: meta::Regex,
    /// The capture group holding the secret (0 = the whole match).
    pub secret_group: usize,
    /// Bytes to search on each side of a keyword hit: the regex's longest match, bounded.
    pub window: usize,
    /// The regex cannot match a newline, so a match never leaves the line of its keyword: the
    /// search window is cut to that line (a large saving for unbounded rules).
    pub single_line: bool,
    /// The regex has no maximum match length.
    pub unbounded: bool,
    /// How many distinct bytes the secret group can hold: when two vendor rules find the same
    /// secret, the narrower one (`sk_live_` + 40 hex over `sk_live_` + alphanumerics) says
    /// more about what it is.
    pub secret_alphabet: usize,
}

/// The bytes any match of `hir` can contain, added to `seen`.
fn collect_bytes(hir: &regex_syntax::hir::Hir, seen: &mut [bool; 256]) {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => literal.0.iter().for_each(|&b| seen[b as usize] = true),
        HirKind::Class(Class::Unicode(class)) => {
            for range in class.ranges() {
                let (start, end) = (range.start() as u32, (range.end() as u32).min(255));
                (start..=end).for_each(|b| seen[b as usize] = true);
            }
        }
        HirKind::Class(Class::Bytes(class)) => {
            for range in class.ranges() {
                (range.start()..=range.end()).for_each(|b| seen[b as usize] = true);
            }
        }
        HirKind::Repetition(repetition) => collect_bytes(&repetition.sub, seen),
        HirKind::Capture(capture) => collect_bytes(&capture.sub, seen),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().for_each(|sub| collect_bytes(sub, seen))
        }
    }
}

/// The sub-expression of capture group `index` (0: the whole regex).
fn capture_group(hir: &regex_syntax::hir::Hir, index: usize) -> Option<&regex_syntax::hir::Hir> {
    use regex_syntax::hir::HirKind;
    if index == 0 {
        return Some(hir);
    }
    match hir.kind() {
        HirKind::Capture(capture) if capture.index as usize == index => Some(&capture.sub),
        HirKind::Capture(capture) => capture_group(&capture.sub, index),
        HirKind::Repetition(repetition) => capture_group(&repetition.sub, index),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().find_map(|sub| capture_group(sub, index))
        }
        _ => None,
    }
}

/// Longest counted repetition compiled as written. A regex unrolls `x{20,8000}` into 8,000
/// copies of `x`: the PEM and JWT rules alone took 40 MB that way.
const MAX_COUNTED_REPETITION: u32 = 256;

/// `hir` with every repetition of more than [`MAX_COUNTED_REPETITION`] made open-ended
/// (`{20,8000}` becomes `{20,}`). The search is still confined to the window computed from the
/// original bounds, so matches stay as long as the rule allows, give or take the window.
fn lift_long_repetitions(hir: &regex_syntax::hir::Hir) -> regex_syntax::hir::Hir {
    use regex_syntax::hir::{Capture, Hir, HirKind, Repetition};
    match hir.kind() {
        HirKind::Repetition(repetition) => Hir::repetition(Repetition {
            min: repetition.min,
            max: repetition
                .max
                .filter(|&max| max <= MAX_COUNTED_REPETITION.max(repetition.min)),
            greedy: repetition.greedy,
            sub: Box::new(lift_long_repetitions(&repetition.sub)),
        }),
        HirKind::Capture(capture) => Hir::capture(Capture {
            index: capture.index,
            name: capture.name.clone(),
            sub: Box::new(lift_long_repetitions(&capture.sub)),
        }),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(lift_long_repetitions).collect()),
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.iter().map(lift_long_repetitions).collect())
        }
        _ => hir.clone(),
    }
}

/// Whether any match of `hir` can contain a `\n`.
fn can_match_newline(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(literal) => literal.0.contains(&b'\n'),
        HirKind::Class(Class::Unicode(class)) => class
            .ranges()
            .iter()
            .any(|r| r.start() <= '\n' && '\n' <= r.end()),
        HirKind::Class(Class::Bytes(class)) => class
            .ranges()
            .iter()
            .any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
        HirKind::Repetition(repetition) => can_match_newline(&repetition.sub),
        HirKind::Capture(capture) => can_match_newline(&capture.sub),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().any(can_match_newline),
    }
}

impl Rule {
    /// The provider, taken from the rule file's name (`patterns/github.toml` -> `github`).
    pub fn provider(&self) -> &str {
        let name = self.file.rsplit(['/', '\\']).next().unwrap_or(&self.file);
        name.strip_suffix(".toml").unwrap_or(name)
    }

    /// The compiled regex, compiling it on first use. Fails only for a regex that does not
    /// compile, which [`RuleSetBuilder::build`] rules out unless rules are compiled lazily.
    pub fn matcher(&self) -> Result<&Matcher, &str> {
        self.matcher
            .get_or_init(|| compile_matcher(&self.pattern, self.secret_group))
            .as_ref()
            .map_err(String::as_str)
    }

    /// A file rule: no regex, it flags every file whose path matches `path`.
    pub fn is_file_rule(&self) -> bool {
        self.pattern.is_empty()
    }

    /// Whether the rule applies to a chunk at `path` (`None`: no path, such as stdin).
    pub fn applies_to(&self, path: Option<&str>) -> bool {
        match (&self.path, path) {
            (None, _) => true,
            (Some(filter), Some(path)) => filter.is_match(path),
            (Some(_), None) => false,
        }
    }
}

fn compile_matcher(pattern: &str, explicit_group: Option<usize>) -> Result<Matcher, String> {
    // ASCII classes by default: tokens are ASCII, and Unicode `\w` under `(?i)` costs a tenth
    // of a second to compile per rule. `(?u)` opts back in.
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .unicode(false)
        .build()
        .parse(pattern)
        .map_err(|err| format!("invalid regex: {}", one_line(&err.to_string())))?;
    let unbounded = hir.properties().maximum_len().is_none();
    let window = hir
        .properties()
        .maximum_len()
        .map_or(UNBOUNDED_WINDOW, |len| len.clamp(1, MAX_WINDOW));
    let single_line = !can_match_newline(&hir);
    // The window (above) keeps the pattern's bounds; the compiled regex need not.
    let hir = lift_long_repetitions(&hir);
    let regex = meta::Regex::builder()
        .configure(
            meta::Config::new()
                .utf8_empty(false)
                .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
                .hybrid_cache_capacity(HYBRID_CACHE_CAPACITY)
                .onepass_size_limit(Some(REGEX_SIZE_LIMIT)),
        )
        .build_from_hir(&hir)
        .map_err(|err| format!("regex does not compile: {}", one_line(&err.to_string())))?;
    let groups = regex.group_info().group_len(PatternID::ZERO);
    let secret_group = if let Some(group) = explicit_group {
        if group >= groups {
            return Err(format!(
                "secret group {group} does not exist (the regex has {} groups)",
                groups - 1
            ));
        }
        group
    } else if let Some(index) = regex.group_info().to_index(PatternID::ZERO, "secret") {
        index
    } else if groups > 1 {
        1
    } else {
        0
    };
    let mut seen = [false; 256];
    if let Some(secret) = capture_group(&hir, secret_group) {
        collect_bytes(secret, &mut seen);
    }
    Ok(Matcher {
        regex,
        secret_group,
        window,
        single_line,
        unbounded,
        secret_alphabet: seen.iter().filter(|&&b| b).count(),
    })
}

fn one_line(text: &str) -> String {
    regex_error_reason(text)
}

/// The reason in a `regex` / `regex-syntax` error message, without the excerpt of the pattern
/// it quotes above it: a pattern may hold a literal secret (an allowlisted test key), and the
/// message lands in a CI log (issue 15).
pub fn regex_error_reason(message: &str) -> String {
    let last = message
        .lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty());
    let reason = last.unwrap_or_default();
    let reason = reason.strip_prefix("error: ").unwrap_or(reason);
    reason.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An immutable set of compiled rules, shared by every scanning thread.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Rule index by id, built once: [`RuleSet::get`] is a hash lookup, not a scan (issue 16).
    by_id: HashMap<String, usize>,
}

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

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.index_of(id).map(|index| &self.rules[index])
    }

    /// The index of the rule with this id in [`RuleSet::rules`].
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
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
        #[derive(serde::Deserialize)]
        struct LeanFile {
            file: String,
            rules: Vec<RuleSyntax>,
        }
        let lean: Vec<LeanFile> = serde_json::from_str(builtin::LEAN_RULES).unwrap_or_default();
        let mut lean: HashMap<String, Vec<RuleSyntax>> =
            lean.into_iter().map(|f| (f.file, f.rules)).collect();
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
    pub fn build(&self) -> Result<RuleSet, Error> {
        let mut rules: Vec<Rule> = Vec::new();
        // For each id: the file that defined it and the source index.
        let mut defined: HashMap<String, (String, usize)> = HashMap::new();
        for (index, source) in self.sources.iter().enumerate() {
            let syntaxes = match &source.parsed {
                Ok(syntaxes) => syntaxes,
                Err(Error::Parse { file, message }) => {
                    return Err(Error::Parse {
                        file: file.clone(),
                        message: message.clone(),
                    })
                }
                Err(other) => {
                    return Err(Error::Parse {
                        file: source.file.clone(),
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
                rules.push(self.compile_rule(&source.file, syntax, source.lazy)?);
            }
        }
        let by_id = rules
            .iter()
            .enumerate()
            .map(|(index, rule)| (rule.id.clone(), index))
            .collect();
        Ok(RuleSet { rules, by_id })
    }

    fn compile_rule(&self, file: &str, syntax: &RuleSyntax, lazy: bool) -> Result<Rule, Error> {
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
        let validator = match &syntax.validator {
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
            Some(pattern) => Some(regex::Regex::new(pattern).map_err(|err| {
                invalid(format!(
                    "invalid path regex: {}",
                    one_line(&err.to_string())
                ))
            })?),
        };
        if syntax.regex.is_empty() && path.is_none() {
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
        let rule = Rule {
            id: syntax.id.clone(),
            name: syntax.name.clone(),
            severity: syntax.severity,
            keywords: syntax.keywords.clone(),
            pattern: syntax.regex.clone(),
            entropy: syntax.entropy,
            validator,
            path,
            references: syntax.references.clone(),
            examples: syntax.examples.clone(),
            negative_examples: syntax.negative_examples.clone(),
            file: file.to_string(),
            allowlists: syntax
                .allowlist
                .iter()
                .chain(&syntax.allowlists)
                .cloned()
                .collect(),
            secret_group: syntax.secret_group,
            multiline: syntax.multiline,
            matcher: OnceLock::new(),
        };
        if !lazy && !rule.is_file_rule() {
            rule.matcher()
                .map_err(|message| invalid(message.to_string()))?;
        }
        Ok(rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_counted_repetitions_keep_their_window_but_not_their_memory() {
        let matcher = compile_matcher("(k[A-Za-z0-9+/=]{20,8000})", None).unwrap();
        assert_eq!(matcher.window, 8001);
        assert!(!matcher.unbounded);
        assert!(
            matcher.regex.memory_usage() < 1 << 20,
            "{} bytes",
            matcher.regex.memory_usage()
        );
        let long = format!("k{}", "Ab9+".repeat(1500));
        assert_eq!(
            matcher.regex.find(long.as_bytes()).map(|m| m.len()),
            Some(long.len())
        );
        assert!(matcher.regex.find(b"kshort").is_none());
    }

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
    fn secret_group_prefers_named_then_first() {
        let cases = [
            (r"acme_(?P<secret>[a-z]{4})(x)", 1),
            (r"(a)cme_(?P<secret>[a-z]{4})", 2),
            (r"(acme_[a-z]{4})", 1),
            (r"acme_[a-z]{4}", 0),
        ];
        for (pattern, group) in cases {
            let rules = build(&RULE.replace("REGEX", pattern)).unwrap();
            let matcher = rules.rules()[0].matcher().unwrap();
            assert_eq!(matcher.secret_group, group, "{pattern}");
        }
    }

    #[test]
    fn window_is_the_longest_match_or_a_default() {
        let bounded = build(&RULE.replace("REGEX", r"acme_[a-z]{16}")).unwrap();
        assert_eq!(bounded.rules()[0].matcher().unwrap().window, 21);
        let unbounded = build(&RULE.replace("REGEX", r"acme_[a-z]+")).unwrap();
        assert_eq!(
            unbounded.rules()[0].matcher().unwrap().window,
            UNBOUNDED_WINDOW
        );
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
            let rules = build(&RULE.replace("REGEX", pattern)).unwrap();
            assert_eq!(
                rules.rules()[0].matcher().unwrap().single_line,
                single,
                "{pattern}"
            );
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
