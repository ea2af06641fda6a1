//! A compiled [`Rule`] and the immutable [`RuleSet`] shared by every scanning thread.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::matcher::{compile_matcher, Matcher};
use super::syntax::Severity;
use crate::validate::Validator;

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
    /// The regex as written, or the provider words and value shape of a context rule, whose
    /// regex is written out on first use.
    pub pattern: Pattern,
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
    /// A catch-all rule (see [`RuleSyntax::catch_all`](super::RuleSyntax::catch_all)).
    pub catch_all: bool,
    /// Matches may span many lines (see [`RuleSyntax::multiline`]).
    pub multiline: bool,
    pub(super) matcher: OnceLock<Result<Matcher, String>>,
}

/// A rule's pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// A regex as written (empty for a file rule).
    Regex(String),
    /// A context rule: its provider words and value shape (see `rule::template`).
    Context {
        /// Provider words.
        context: Vec<String>,
        /// The value's regex.
        shape: String,
    },
}

/// Words of key names, not of providers: a context word holding one (`client_secret`) names
/// no provider.
const KEY_NAME_WORDS: &[&str] = &[
    "access",
    "api",
    "auth",
    "bearer",
    "client",
    "credential",
    "key",
    "pass",
    "private",
    "pwd",
    "secret",
    "token",
];

/// Words that open values without naming a vendor: `api-...`, `token-...`, `private_...`.
const WORD_STEMS: &[&str] = &[
    "api", "app", "bot", "ion", "key", "mob", "pat", "private", "sdk", "secret", "standard",
    "token", "web",
];

/// The keywords of `rule` that open its secret: a token prefix such as `ghp_` or `xoxb-`
/// stands at the start of the secret group in the regex as written, holds something besides
/// letters, and is not a plain word with a separator (`api-`, `token-`).
fn token_prefixes(rule: &Rule) -> impl Iterator<Item = Vec<u8>> + '_ {
    let regex = match &rule.pattern {
        Pattern::Regex(regex) => regex.to_ascii_lowercase(),
        Pattern::Context { .. } => String::new(),
    };
    rule.keywords.iter().filter_map(move |keyword| {
        let keyword = keyword.to_ascii_lowercase();
        let stem = keyword.trim_end_matches(['_', '-', '.']);
        let opens_secret = ["(", ">", "(?-i:"]
            .iter()
            .any(|before| regex.contains(&format!("{before}{keyword}")));
        let token_like = keyword.len() >= 4
            && keyword
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
            && keyword.bytes().any(|b| !b.is_ascii_alphabetic())
            && !WORD_STEMS.contains(&stem);
        (opens_secret && token_like).then(|| keyword.into_bytes())
    })
}

impl Pattern {
    /// The regex: as written, or a context rule's written out from its template. Writing a
    /// template out costs a parse of the shape: built-in rules do it only when a keyword hits.
    pub fn regex(&self) -> Result<std::borrow::Cow<'_, str>, String> {
        match self {
            Pattern::Regex(regex) => Ok(std::borrow::Cow::Borrowed(regex)),
            Pattern::Context { context, shape } => {
                super::template::context_regex(context, shape).map(std::borrow::Cow::Owned)
            }
        }
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
            .get_or_init(|| compile_matcher(&self.pattern.regex()?, self.secret_group))
            .as_ref()
            .map_err(String::as_str)
    }

    /// A file rule: no regex, it flags every file whose path matches `path`.
    pub fn is_file_rule(&self) -> bool {
        matches!(&self.pattern, Pattern::Regex(regex) if regex.is_empty())
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

/// An immutable set of compiled rules, shared by every scanning thread.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Rule index by id, built once: [`RuleSet::get`] is a hash lookup, not a scan (issue 16).
    by_id: HashMap<String, usize>,
    /// Vendor token prefixes (`ghp_`, `xoxb-`, `glpat-`), lowercase: see
    /// [`RuleSet::has_token_prefix`].
    token_prefixes: Vec<Vec<u8>>,
    /// The provider words of context rules, of 4 bytes or more, lowercase: see
    /// [`RuleSet::names_a_provider`].
    provider_words: Vec<Vec<u8>>,
}

impl RuleSet {
    /// A set of these rules, indexed by id (ids are unique: the builder checks).
    pub(super) fn new(rules: Vec<Rule>) -> RuleSet {
        let by_id = rules
            .iter()
            .enumerate()
            .map(|(index, rule)| (rule.id.clone(), index))
            .collect();
        let mut token_prefixes: Vec<Vec<u8>> = rules
            .iter()
            .filter(|rule| !rule.catch_all && rule.path.is_none())
            .flat_map(token_prefixes)
            .collect();
        token_prefixes.sort();
        token_prefixes.dedup();
        let mut provider_words: Vec<Vec<u8>> = rules
            .iter()
            .filter(|rule| !rule.catch_all && rule.path.is_none())
            .filter_map(|rule| match &rule.pattern {
                Pattern::Context { context, .. } => Some(context),
                Pattern::Regex(_) => None,
            })
            .flatten()
            .map(|word| word.to_ascii_lowercase())
            .filter(|word| word.len() >= 4 && !KEY_NAME_WORDS.iter().any(|key| word.contains(key)))
            .map(String::into_bytes)
            .collect();
        provider_words.sort();
        provider_words.dedup();
        RuleSet {
            rules,
            by_id,
            token_prefixes,
            provider_words,
        }
    }

    /// Whether `key` (the text of an assignment before its value: `ACME_API_KEY=`) names a
    /// provider that a context rule knows. That rule owns the assignment: when it found nothing,
    /// the value does not have its provider's shape (one character short, a wrong alphabet),
    /// and a catch-all rule does not report it instead.
    pub fn names_a_provider(&self, key: &[u8]) -> bool {
        let key = key.to_ascii_lowercase();
        self.provider_words.iter().any(|word| {
            key.windows(word.len())
                .any(|window| window == word.as_slice())
        })
    }

    /// Whether `value` opens with a vendor rule's token prefix (`ghp_`, `xoxb-`, `sk-ant-api`,
    /// `pscale_pw_`), followed by more of the value. Such a value is the vendor's token, well-formed or not, never a
    /// generic secret.
    pub fn has_token_prefix(&self, value: &[u8]) -> bool {
        self.token_prefixes.iter().any(|prefix| {
            value.len() > prefix.len() && value[..prefix.len()].eq_ignore_ascii_case(prefix)
        })
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
