//! The rule file format, as serde types. One file per provider: `patterns/<provider>.toml`
//! holding `[[rules]]` tables. Field meanings are documented in the README ("Adding a rule").

use serde::{Deserialize, Serialize};

/// A rule file: a list of `[[rules]]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// The rules, in file order.
    #[serde(default)]
    pub rules: Vec<RuleSyntax>,
}

/// One rule as written in TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSyntax {
    /// Stable id, lowercase `vendor.kind` (`github.pat-classic`). Never renamed: fingerprints
    /// and baselines key on it.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// How bad a leak of this kind is.
    pub severity: Severity,
    /// Literal strings (matched ASCII case-insensitively) of which at least one occurs inside
    /// every match. The regex only runs near keyword hits; a rule without keywords runs over
    /// every chunk, which makes every scan slower.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The pattern (the `regex` crate's syntax). The secret is the group named `secret`, else
    /// group 1, else the whole match. Left out, the rule is a *file rule*: it flags every file
    /// whose path matches `path` (a PKCS#12 keystore), whatever it holds, binary or not.
    #[serde(default)]
    pub regex: String,
    /// A context rule's provider words (instead of a `regex`): the value counts only near one
    /// of them, in the layouts of `rule::template`. They are the keywords when `keywords` is empty.
    #[serde(default)]
    pub context: Vec<String>,
    /// A context rule's value, as a regex with no groups: `[A-Za-z0-9]{32}`.
    #[serde(default)]
    pub shape: Option<String>,
    /// Minimum Shannon entropy of the secret, in bits per byte.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// Name of an offline validator run on the secret (see `leakhound rules list`).
    #[serde(default)]
    pub validator: Option<String>,
    /// A regex on the file path: the rule only applies to paths it matches.
    #[serde(default)]
    pub path: Option<String>,
    /// Links to the provider's documentation of the token format.
    #[serde(default)]
    pub references: Vec<String>,
    /// Text in which the rule must find a secret.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Text in which the rule must find nothing.
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// Findings of this rule that are not reported (same keys as the global `[allowlist]`).
    #[serde(default)]
    pub allowlist: Option<super::AllowlistConfig>,
    /// More allowlists of this rule, each with its own `condition` and `regex_target`.
    #[serde(default)]
    pub allowlists: Vec<super::AllowlistConfig>,
    /// The match may span many lines (a manifest, a document): a regex with no maximum length
    /// is then searched 4 KiB around each keyword hit instead of the keyword's line and the
    /// three lines on each side.
    #[serde(default)]
    pub multiline: bool,
    /// A catch-all rule (generic assignments, any JWT): when it and a vendor rule find the same
    /// secret, the vendor rule's finding is reported, and a decoded layer's finding replaces it.
    #[serde(default)]
    pub catch_all: bool,
    /// The capture group holding the secret, when it is neither `secret` nor group 1 (imported
    /// gitleaks rules set it from `secretGroup`).
    #[serde(default)]
    pub secret_group: Option<usize>,
    /// A built-in rule's regex facts, read at build time (never in a rule file).
    #[serde(skip)]
    pub(crate) lean_facts: Option<&'static super::builtin::LeanFacts>,
}

/// Severity of a finding, from `info` (lowest) to `critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, rarely a leak by itself (an identifier paired with a secret elsewhere).
    Info,
    /// Limited blast radius (test-mode keys, public-ish identifiers).
    Low,
    /// A credential with limited scope.
    Medium,
    /// A live credential for a service.
    High,
    /// Cloud root credentials and private keys.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The next severity down (`info` stays `info`).
    pub fn lower(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            Severity::Low | Severity::Info => Severity::Info,
        }
    }

    /// The lowercase name used in rule files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity {s:?} (expected info, low, medium, high or critical)")
            })
    }
}

/// How sure leakhound is that a finding is a live secret of the kind its rule names, lowest
/// first. `high`: a validator verified the value's checksum or structure (GitHub's CRC32, a JWT
/// that decodes, a PEM body that parses as a key). `medium`: the value has a vendor rule's shape
/// (its prefix and alphabet, or its shape next to the provider's name). `low`: generic evidence
/// only (a secret-like key name and a random-looking value), a key block whose body failed its
/// structure check (cut or re-wrapped), or a value vendors publish in their documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Generic evidence only.
    #[default]
    Low,
    /// A vendor's shape, with its context where the shape is not distinctive.
    Medium,
    /// Checksum or structure verified.
    High,
}

impl Confidence {
    /// Every level, lowest first.
    pub const ALL: [Confidence; 3] = [Confidence::Low, Confidence::Medium, Confidence::High];

    /// The lowercase name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl std::fmt::Display for Confidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Confidence {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Confidence::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown confidence {s:?} (expected low, medium or high)"))
    }
}

impl RuleFile {
    /// Parses a rule file. `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<RuleFile, super::Error> {
        toml::from_str(text).map_err(|err| super::Error::Parse {
            file: file.to_string(),
            message: super::describe_toml_error(text, &err),
        })
    }
}
