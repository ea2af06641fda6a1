//! A rule's compiled regex ([`Matcher`]) and what the engine needs to run it near keyword
//! hits: the secret group, the search window, whether a match stays on one line and the
//! alphabet of the secret.

use std::sync::OnceLock;

use regex_automata::meta;
use regex_syntax::hir::Hir;

use super::facts::RegexFacts;
pub use super::facts::{MAX_WINDOW, UNBOUNDED_WINDOW};
use super::hir::lift_long_repetitions;
use super::secret_runs::SecretRuns;

/// Limit on the compiled size of one rule's regex, so no rule can blow up memory.
const REGEX_SIZE_LIMIT: usize = 8 * 1024 * 1024;

/// Most memory for each rule's lazy DFA, per thread. A cache grows only as far as its rule
/// needs: most rules visit few states in the short windows around keyword hits and stay far
/// below it. At 128 KiB the context and generic rules, whose gaps (`.{0,40}`) make many
/// states, cleared and rebuilt their caches over and over: a fifth of the engine's time with
/// 1,066 rules. regex's default of 2 MiB was most of a large scan's peak memory.
const HYBRID_CACHE_CAPACITY: usize = 1024 * 1024;

/// A rule's regex, compiled on first use, and what the engine needs to run it near keyword
/// hits ([`RegexFacts`]), known before (and often instead of) compiling it.
#[derive(Debug)]
pub struct Matcher {
    /// The regex, until [`Matcher::regex`] compiles it.
    pattern: Box<str>,
    regex: OnceLock<Result<meta::Regex, String>>,
    /// The secret group, the window and the rest of what the parsed regex tells.
    pub facts: RegexFacts,
    /// The run of bytes a window must hold for the rule to report a secret in it.
    pub secret_runs: SecretRuns,
}

impl Matcher {
    /// The matcher of the regex `pattern`, whose facts are known.
    pub(super) fn new(pattern: &str, facts: RegexFacts) -> Matcher {
        Matcher {
            pattern: pattern.into(),
            regex: OnceLock::new(),
            secret_runs: SecretRuns::new(&facts.runs),
            facts,
        }
    }

    /// The compiled regex, compiling it on first use. Fails only for a regex that parses but
    /// is too large to compile.
    pub fn regex(&self) -> Result<&meta::Regex, &str> {
        self.regex
            .get_or_init(|| {
                let hir = super::hir::parse(&self.pattern)
                    .map_err(|reason| format!("invalid regex: {reason}"))?;
                // The window keeps the pattern's bounds; the compiled regex need not.
                compile_regex(&lift_long_repetitions(hir))
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// Whether `window` holds a byte of each class of punctuation every match holds
    /// (`RegexFacts::marks`): a window without one cannot hold a match.
    pub fn window_has_marks(&self, window: &[u8]) -> bool {
        self.facts.marks.iter().all(|class| match *class {
            [0, _, _] => true,
            [a, 0, _] => memchr::memchr(a, window).is_some(),
            [a, b, 0] => memchr::memchr2(a, b, window).is_some(),
            [a, b, c] => memchr::memchr3(a, b, c, window).is_some(),
        })
    }

    /// Whether [`Matcher::regex`] has compiled the regex.
    pub fn is_compiled(&self) -> bool {
        self.regex.get().is_some()
    }
}

/// Parses a rule's regex and reads its facts; the regex itself is compiled by
/// [`Matcher::regex`]. `entropy` is the rule's entropy floor, `keywords` its keywords.
pub(super) fn parse_matcher(
    pattern: &str,
    explicit_group: Option<usize>,
    entropy: Option<f64>,
    keywords: &[String],
) -> Result<Matcher, String> {
    // ASCII classes by default: tokens are ASCII, and Unicode `\w` under `(?i)` costs a tenth
    // of a second to compile per rule. `(?u)` opts back in.
    let hir = super::hir::parse(pattern).map_err(|reason| format!("invalid regex: {reason}"))?;
    Ok(Matcher::new(
        pattern,
        RegexFacts::new(&hir, explicit_group, entropy, keywords)?,
    ))
}

fn compile_regex(hir: &Hir) -> Result<meta::Regex, String> {
    meta::Regex::builder()
        .configure(
            meta::Config::new()
                .utf8_empty(false)
                .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
                .hybrid_cache_capacity(HYBRID_CACHE_CAPACITY)
                .onepass_size_limit(Some(REGEX_SIZE_LIMIT)),
        )
        .build_from_hir(hir)
        .map_err(|err| format!("regex does not compile: {}", one_line(&err.to_string())))
}

pub(super) fn one_line(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_counted_repetitions_keep_their_window_but_not_their_memory() {
        let matcher = parse_matcher("(k[A-Za-z0-9+/=]{20,8000})", None, None, &[]).unwrap();
        assert_eq!(matcher.facts.window, 8001);
        assert!(!matcher.facts.unbounded);
        let regex = matcher.regex().unwrap();
        assert!(
            regex.memory_usage() < 1 << 20,
            "{} bytes",
            regex.memory_usage()
        );
        let long = format!("k{}", "Ab9+".repeat(1500));
        assert_eq!(
            regex.find(long.as_bytes()).map(|m| m.len()),
            Some(long.len())
        );
        assert!(regex.find(b"kshort").is_none());
    }
}
