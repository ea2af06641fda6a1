//! The built-in rules: every `patterns/*.toml`, embedded at build time by `build.rs`, and the
//! same rules without examples in a lean form ([`LEAN_FILES`]) that a scan loads without
//! parsing anything: every string in one text, the rules as spans of it. A table of `&str`s
//! would be as quick to read, but each of its 10,000 pointers is a relocation the loader
//! applies at every start.

use super::facts::RegexFacts;
use super::secret_runs::{RunFacts, MARKS};
use super::syntax::{RuleSyntax, Severity};

include!(concat!(env!("OUT_DIR"), "/builtin_patterns.rs"));
include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The embedded rule files as `(file name, TOML text)`, sorted by name.
pub fn files() -> &'static [(&'static str, &'static str)] {
    BUILTIN_PATTERNS
}

/// A span `start..end` of `LEAN_TEXT` (a string), of `LEAN_LISTS` (a list) or of
/// `LEAN_RULES` (a file's rules).
#[derive(Debug, Clone, Copy)]
pub struct Span {
    start: u32,
    end: u32,
}

const fn t(start: u32, end: u32) -> Span {
    Span { start, end }
}

impl Span {
    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    fn text(self) -> &'static str {
        &LEAN_TEXT[self.range()]
    }

    fn list(self) -> Vec<String> {
        LEAN_LISTS[self.range()]
            .iter()
            .map(|item| item.text().to_string())
            .collect()
    }
}

/// A rule file's rules in the lean form. A file that `build.rs` could not read into it (a
/// mistake in it) is missing, and is parsed from its TOML, which reports the mistake.
pub struct LeanFile {
    file: Span,
    rules: Span,
}

impl LeanFile {
    /// `patterns/<provider>.toml`.
    pub fn file(&self) -> &'static str {
        self.file.text()
    }

    /// The file's rules as its parser would give them; `None` if a rule's allowlists do not
    /// parse (the file is then parsed from its TOML, which says why).
    pub fn rules(&self) -> Option<Vec<RuleSyntax>> {
        LEAN_RULES[self.rules.range()]
            .iter()
            .map(LeanRule::to_syntax)
            .collect()
    }
}

/// A rule's fields as written in its file, without `examples` and `negative_examples`;
/// allowlists as JSON (empty when absent).
struct LeanRule {
    id: Span,
    name: Span,
    severity: Severity,
    keywords: Span,
    regex: Span,
    context: Span,
    shape: Option<Span>,
    entropy: Option<f64>,
    validator: Option<Span>,
    path: Option<Span>,
    references: Span,
    allowlist: Span,
    allowlists: Span,
    multiline: bool,
    catch_all: bool,
    secret_group: Option<usize>,
    /// The facts of its regex, read by `build.rs` (none for a file rule).
    facts: Option<LeanFacts>,
}

/// A built-in rule's [`RegexFacts`], read at build time: a scan parses only the regexes it
/// compiles.
#[derive(Debug)]
pub struct LeanFacts {
    secret_group: usize,
    secret_is_match: bool,
    window: usize,
    single_line: bool,
    ends_at_newline: bool,
    unbounded: bool,
    secret_alphabet: usize,
    secret_prefix: usize,
    alphabet: [u64; 4],
    classes: Span,
    min_len: usize,
    marks: [[u8; 3]; MARKS],
    starts_at_keyword: bool,
    opening: Span,
}

impl LeanFacts {
    /// The facts as the parsed regex gives them.
    pub fn to_facts(&self) -> RegexFacts {
        RegexFacts {
            secret_group: self.secret_group,
            secret_is_match: self.secret_is_match,
            window: self.window,
            single_line: self.single_line,
            ends_at_newline: self.ends_at_newline,
            unbounded: self.unbounded,
            secret_alphabet: self.secret_alphabet,
            secret_prefix: self.secret_prefix,
            runs: RunFacts {
                alphabet: self.alphabet,
                classes: LEAN_CLASSES[self.classes.range()].to_vec(),
                min_len: self.min_len,
            },
            marks: self.marks,
            starts_at_keyword: self.starts_at_keyword,
            opening: LEAN_OPENINGS[self.opening.range()].to_vec(),
        }
    }
}

impl LeanRule {
    fn to_syntax(&'static self) -> Option<RuleSyntax> {
        let text = |span: Option<Span>| span.map(|span| span.text().to_string());
        let allowlist = match self.allowlist.text() {
            "" => None,
            json => Some(serde_json::from_str(json).ok()?),
        };
        let allowlists = match self.allowlists.text() {
            "" => Vec::new(),
            json => serde_json::from_str(json).ok()?,
        };
        Some(RuleSyntax {
            id: self.id.text().to_string(),
            name: self.name.text().to_string(),
            severity: self.severity,
            keywords: self.keywords.list(),
            regex: self.regex.text().to_string(),
            context: self.context.list(),
            shape: text(self.shape),
            entropy: self.entropy,
            validator: text(self.validator),
            path: text(self.path),
            references: self.references.list(),
            examples: Vec::new(),
            negative_examples: Vec::new(),
            allowlist,
            allowlists,
            multiline: self.multiline,
            catch_all: self.catch_all,
            secret_group: self.secret_group,
            lean_facts: self.facts.as_ref(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{hir, RuleSet};
    use super::*;

    /// The facts `build.rs` wrote are the ones the regexes give when parsed at run time.
    #[test]
    fn the_facts_read_at_build_time_are_the_regexes_facts() {
        let rules = RuleSet::builtin().unwrap();
        let mut checked = 0;
        for rule in rules.rules() {
            let Some(lean) = rule.lean_facts else {
                assert!(rule.is_file_rule(), "{} has no facts", rule.id);
                continue;
            };
            let parsed = hir::parse(&rule.pattern.regex().unwrap()).unwrap();
            let facts =
                RegexFacts::new(&parsed, rule.secret_group, rule.entropy, &rule.keywords).unwrap();
            assert_eq!(lean.to_facts(), facts, "{}", rule.id);
            checked += 1;
        }
        assert!(checked > 1000, "{checked} rules");
    }
}
