//! The built-in rules: every `patterns/*.toml`, embedded at build time by `build.rs`, and the
//! same rules without examples as Rust literals ([`LEAN_FILES`]), which a scan loads without
//! parsing anything.

use super::syntax::{RuleSyntax, Severity};

include!(concat!(env!("OUT_DIR"), "/builtin_patterns.rs"));
include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The embedded rule files as `(file name, TOML text)`, sorted by name.
pub fn files() -> &'static [(&'static str, &'static str)] {
    BUILTIN_PATTERNS
}

/// A rule file's rules in the lean form. A file that `build.rs` could not read into it (a
/// mistake in it) is missing, and is parsed from its TOML, which reports the mistake.
pub struct LeanFile {
    /// `patterns/<provider>.toml`.
    pub file: &'static str,
    /// Its rules.
    pub rules: &'static [LeanRule],
}

/// A rule's fields as written in its file, without `examples` and `negative_examples`;
/// allowlists as JSON ("" when absent).
#[allow(missing_docs)]
pub struct LeanRule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub keywords: &'static [&'static str],
    pub regex: &'static str,
    pub context: &'static [&'static str],
    pub shape: Option<&'static str>,
    pub entropy: Option<f64>,
    pub validator: Option<&'static str>,
    pub path: Option<&'static str>,
    pub references: &'static [&'static str],
    pub allowlist: &'static str,
    pub allowlists: &'static str,
    pub multiline: bool,
    pub catch_all: bool,
    pub secret_group: Option<usize>,
}

impl LeanRule {
    /// The rule as the rule file's parser would give it; `None` if its allowlists do not
    /// parse (the file is then parsed from its TOML, which says why).
    pub fn to_syntax(&self) -> Option<RuleSyntax> {
        let owned = |texts: &[&str]| texts.iter().map(|text| text.to_string()).collect();
        let allowlist = match self.allowlist {
            "" => None,
            json => Some(serde_json::from_str(json).ok()?),
        };
        let allowlists = match self.allowlists {
            "" => Vec::new(),
            json => serde_json::from_str(json).ok()?,
        };
        Some(RuleSyntax {
            id: self.id.to_string(),
            name: self.name.to_string(),
            severity: self.severity,
            keywords: owned(self.keywords),
            regex: self.regex.to_string(),
            context: owned(self.context),
            shape: self.shape.map(str::to_string),
            entropy: self.entropy,
            validator: self.validator.map(str::to_string),
            path: self.path.map(str::to_string),
            references: owned(self.references),
            examples: Vec::new(),
            negative_examples: Vec::new(),
            allowlist,
            allowlists,
            multiline: self.multiline,
            catch_all: self.catch_all,
            secret_group: self.secret_group,
        })
    }
}
