//! A compiled [`Rule`] and the immutable [`RuleSet`] shared by every scanning thread.

use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::sync::OnceLock;

use super::matcher::{parse_matcher, Matcher};
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
    pub path: Option<super::LazyPathRegex>,
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
    /// Boxed: a rule set holds a thousand rules, few of which are ever parsed.
    pub(super) matcher: OnceLock<Result<Box<Matcher>, String>>,
    /// A built-in rule's regex facts, read at build time.
    pub(super) lean_facts: Option<&'static super::builtin::LeanFacts>,
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

/// Words of key names, not of providers: a provider word that is nothing but these
/// (`client_secret`, `bind_password` less `bind`) names no provider. Longer words first, since
/// they are removed in this order.
const KEY_NAME_WORDS: &[&str] = &[
    "authorization",
    "authentication",
    "credentials",
    "credential",
    "passphrase",
    "password",
    "passwd",
    "personal",
    "private",
    "session",
    "security",
    "identity",
    "encrypt",
    "access",
    "account",
    "bearer",
    "client",
    "master",
    "public",
    "secret",
    "string",
    "shared",
    "signing",
    "token",
    "store",
    "admin",
    "login",
    "oauth",
    "nonce",
    "auth",
    "user",
    "root",
    "pass",
    "salt",
    "code",
    "hash",
    "data",
    "api",
    "app",
    "key",
    "pwd",
    "pw",
    "id",
];

/// The words of `rule` that name its provider, lowercase with `-` and `_` removed: a context
/// rule's provider words. A word must keep 4 letters once key-name words are taken out
/// (`coinapi` names CoinAPI; `apikey` and `client_secret` name nothing), unless it is the
/// provider's own name of 3 letters or more (`datadog`, though it holds `data`; `aws`). A regex rule's
/// keywords count when they hold its provider's name or open it (`alchemy` in
/// `patterns/alchemy.toml`, `sonar` in `patterns/sonarqube.toml`; not `ghp_` in
/// `patterns/github.toml`): such a rule owns the assignments its keyword names, so it must take
/// every value its vendor's format allows.
fn provider_words(rule: &Rule) -> Vec<Vec<u8>> {
    let provider = normalized_word(rule.provider());
    let words: Vec<&String> = match &rule.pattern {
        Pattern::Context { context, .. } => context.iter().collect(),
        Pattern::Regex(_) => rule
            .keywords
            .iter()
            .filter(|word| {
                let word = normalized_word(word);
                word.contains(&provider) || word.len() >= 4 && provider.starts_with(&word)
            })
            .collect(),
    };
    words
        .into_iter()
        .map(|word| normalized_word(word))
        .filter(|word| word.bytes().all(|b| b.is_ascii_alphanumeric()))
        .filter(|word| {
            // The provider's own name counts whatever words it holds (`datadog`, `auth0`).
            let own_name = provider.len() >= 3 && *word == provider;
            let rest = KEY_NAME_WORDS.iter().fold(word.clone(), |rest, key| {
                // `replace` allocates even when there is nothing to replace.
                if rest.contains(key) {
                    rest.replace(key, "")
                } else {
                    rest
                }
            });
            own_name || rest.bytes().filter(u8::is_ascii_alphabetic).count() >= 4
        })
        .map(String::into_bytes)
        .collect()
}

/// Kinds of credential, as bits: what a key's name says it holds (`JENKINS_PASSWORD`: a
/// password) and what a provider's rules find (`Alchemy API key`: an issued secret). A
/// password is chosen by a person and has no vendor's shape; keys, tokens and secrets are
/// issued by the vendor, and a key's name often calls one by another's name.
pub type CredentialKinds = u8;
const PASSWORD: CredentialKinds = 1;
const ISSUED: CredentialKinds = 2;

/// The kinds of credential these words (of a key or a rule's name) speak of; 0 for none.
fn credential_kinds(words: &[Vec<u8>]) -> CredentialKinds {
    let holds = |word: &[u8], part: &[u8]| word.windows(part.len()).any(|w| w == part);
    words.iter().fold(0, |kinds, word| {
        let mut kinds = kinds;
        if holds(word, b"pass") || word.ends_with(b"pwd") {
            kinds |= PASSWORD;
        }
        if holds(word, b"secret") || word.ends_with(b"key") || holds(word, b"token") {
            kinds |= ISSUED;
        }
        kinds
    })
}

/// `word` in lowercase without `-` and `_`: how a provider's name is compared with the words of
/// a key (`Eagle_Eye_Networks`, `eagle-eye-networks`, `eagleEyeNetworks` are one name).
fn normalized_word(word: &str) -> String {
    // Only ASCII bytes are changed or dropped, so the result is still UTF-8.
    String::from_utf8(normalized_name(word.as_bytes())).unwrap_or_default()
}

/// [`normalized_word`] for bytes: `private_key` and `PrivateKey` compare equal.
pub fn normalized_name(name: &[u8]) -> Vec<u8> {
    name.iter()
        .filter(|&&b| b != b'_' && b != b'-')
        .map(u8::to_ascii_lowercase)
        .collect()
}

/// The words of an identifier, lowercase: split at non-alphanumerics and at camel-case humps
/// (`coinapiApiKey`: `coinapi`, `api`, `key`; `AIRBRAKE_API_KEY`: `airbrake`, `api`, `key`).
fn identifier_words(key: &[u8]) -> Vec<Vec<u8>> {
    let mut words: Vec<Vec<u8>> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut previous = 0u8;
    for &byte in key {
        let hump = byte.is_ascii_uppercase() && previous.is_ascii_lowercase();
        if (!byte.is_ascii_alphanumeric() || hump) && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        if byte.is_ascii_alphanumeric() {
            current.push(byte.to_ascii_lowercase());
        }
        previous = byte;
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Words that open values without naming a vendor: `api-...`, `token-...`, `private_...`.
const WORD_STEMS: &[&str] = &[
    "api", "app", "bot", "ion", "key", "mob", "pat", "private", "sdk", "secret", "standard",
    "token", "web",
];

/// The keywords of `rule` that open its secret: a token prefix such as `ghp_` or `xoxb-`
/// stands at the start of the secret group in the regex as written, holds something besides
/// letters, and is not a plain word with a separator (`api-`, `token-`).
fn token_prefixes(rule: &Rule) -> impl Iterator<Item = Vec<u8>> + '_ {
    // Escaped punctuation read as itself: `(dp\.pt\.` opens with the keyword `dp.pt.`.
    let regex = match &rule.pattern {
        Pattern::Regex(regex) => regex
            .to_ascii_lowercase()
            .replace("\\.", ".")
            .replace("\\-", "-"),
        Pattern::Context { .. } => String::new(),
    };
    rule.keywords.iter().filter_map(move |keyword| {
        let keyword = keyword.to_ascii_lowercase();
        let stem = keyword.trim_end_matches(['_', '-', '.']);
        let opens_secret = ["(", ">", "(?-i:", "(?i:"]
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

    /// The parsed regex, parsing it on first use ([`Matcher::regex`] compiles it). Fails only
    /// for a regex that does not parse, which [`RuleSetBuilder::build`] rules out unless
    /// rules are compiled lazily.
    pub fn matcher(&self) -> Result<&Matcher, &str> {
        self.matcher
            .get_or_init(|| {
                let pattern = self.pattern.regex()?;
                match self.lean_facts {
                    Some(facts) => Ok(Box::new(Matcher::new(&pattern, facts.to_facts()))),
                    None => {
                        parse_matcher(&pattern, self.secret_group, self.entropy, &self.keywords)
                            .map(Box::new)
                    }
                }
            })
            .as_ref()
            .map(|matcher| &**matcher)
            .map_err(String::as_str)
    }

    /// A file rule: no regex, it flags every file whose path matches `path`.
    pub fn is_file_rule(&self) -> bool {
        matches!(&self.pattern, Pattern::Regex(regex) if regex.is_empty())
    }

    /// How sure this rule's findings are when its validator accepts the value (see
    /// [`Confidence`](super::Confidence)): `high` when the validator checks the value's
    /// structure, `low` for a catch-all rule's generic evidence, `medium` for a vendor's shape.
    pub fn confidence(&self) -> super::Confidence {
        if self.validator.is_some_and(Validator::checks_structure) {
            super::Confidence::High
        } else if self.catch_all {
            super::Confidence::Low
        } else {
            super::Confidence::Medium
        }
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

/// The provider words of every vendor rule, sorted, each with the kinds of credential its
/// provider's rules find (see [`RuleSet::names_a_provider`]).
fn all_provider_words(rules: &[Rule]) -> Vec<(Vec<u8>, CredentialKinds)> {
    let vendor_rules = || {
        rules
            .iter()
            .filter(|rule| !rule.catch_all && rule.path.is_none())
    };
    let mut kinds_of_provider: HashMap<&str, CredentialKinds> = HashMap::new();
    for rule in vendor_rules() {
        let kinds = credential_kinds(&identifier_words(rule.name.as_bytes()));
        *kinds_of_provider.entry(rule.provider()).or_default() |= kinds;
    }
    let mut provider_words: Vec<(Vec<u8>, CredentialKinds)> = vendor_rules()
        .flat_map(|rule| {
            let kinds = kinds_of_provider[rule.provider()];
            provider_words(rule)
                .into_iter()
                .map(move |word| (word, kinds))
        })
        .collect();
    provider_words.sort();
    provider_words.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            earlier.1 |= later.1;
        }
        same
    });
    provider_words
}

/// An immutable set of compiled rules, shared by every scanning thread.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Rule index by id, built once: [`RuleSet::get`] is a hash lookup, not a scan (issue 16).
    by_id: FxHashMap<String, usize>,
    /// Vendor token prefixes (`ghp_`, `xoxb-`, `glpat-`), lowercase: see
    /// [`RuleSet::has_token_prefix`]. Built when first needed, as the provider words are.
    token_prefixes: std::sync::OnceLock<Vec<Vec<u8>>>,
    /// The provider words of vendor rules, of 4 bytes or more, lowercase, sorted, each with
    /// the kinds of credential its provider's rules find: see [`RuleSet::names_a_provider`].
    /// Built when first needed: a fifth of start-up otherwise, and a pre-commit scan that finds
    /// no candidate never asks.
    provider_words: std::sync::OnceLock<Vec<(Vec<u8>, CredentialKinds)>>,
}

impl RuleSet {
    /// A set of these rules, indexed by id (ids are unique: the builder checks).
    pub(super) fn new(rules: Vec<Rule>) -> RuleSet {
        let by_id = rules
            .iter()
            .enumerate()
            .map(|(index, rule)| (rule.id.clone(), index))
            .collect();
        RuleSet {
            rules,
            by_id,
            token_prefixes: std::sync::OnceLock::new(),
            provider_words: std::sync::OnceLock::new(),
        }
    }

    /// The token prefixes (see the field), built on first use.
    fn token_prefixes(&self) -> &[Vec<u8>] {
        self.token_prefixes.get_or_init(|| {
            let mut prefixes: Vec<Vec<u8>> = (self.rules.iter())
                .filter(|rule| !rule.catch_all && rule.path.is_none())
                .flat_map(token_prefixes)
                .collect();
            prefixes.sort();
            prefixes.dedup();
            prefixes
        })
    }

    /// The provider words (see the field), built on first use.
    fn provider_words(&self) -> &[(Vec<u8>, CredentialKinds)] {
        self.provider_words
            .get_or_init(|| all_provider_words(&self.rules))
    }

    /// Whether `key` (the text of an assignment before its value: `ACME_API_KEY=`, or the
    /// section it stands in) names a provider whose rules find the kind of credential that
    /// `name` (the key's own name) speaks of. Those rules own the assignment: when they found
    /// nothing, the value does not have its provider's shape (one character short, a wrong
    /// alphabet), and a catch-all rule does not report it instead. A kind they do not find is
    /// not theirs: `JENKINS_PASSWORD` is a password, whatever Jenkins's token rules say.
    pub fn names_a_provider(&self, key: &[u8], name: &[u8]) -> bool {
        let wanted = credential_kinds(&identifier_words(name));
        // Whole words only, alone or run together: `coinapiApiKey` and `EAGLE_EYE_NETWORKS_KEY`
        // name a provider; `PIPELINE_TOKEN` does not name LINE.
        let words = identifier_words(key);
        (0..words.len()).any(|first| {
            let mut joined = Vec::new();
            words[first..].iter().take(4).any(|word| {
                joined.extend_from_slice(word);
                let provider_words = self.provider_words();
                provider_words
                    .binary_search_by(|(known, _)| known.as_slice().cmp(&joined))
                    .is_ok_and(|at| wanted == 0 || provider_words[at].1 & wanted != 0)
            })
        })
    }

    /// Whether `value` opens with a vendor rule's token prefix (`ghp_`, `xoxb-`, `sk-ant-api`,
    /// `pscale_pw_`), followed by more of the value. Such a value is the vendor's token, well-formed or not, never a
    /// generic secret.
    pub fn has_token_prefix(&self, value: &[u8]) -> bool {
        self.token_prefixes().iter().any(|prefix| {
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
