//! Regexes checked when a rule set is built and compiled when first asked: the built-in rules
//! carry hundreds of allowlist and path regexes, and a pre-commit scan of a few files asks
//! almost none of them, while compiling them all took a third of start-up.

use std::sync::{Arc, OnceLock};

/// A regex (`R`: `regex::Regex` or `regex::bytes::Regex`) compiled on first use. Cloning
/// shares the compiled regex.
#[derive(Clone)]
pub struct LazyRegex<R> {
    inner: Arc<Inner<R>>,
}

struct Inner<R> {
    pattern: Box<str>,
    compile: fn(&str) -> Result<R, regex::Error>,
    compiled: OnceLock<Option<R>>,
}

impl<R> std::fmt::Debug for LazyRegex<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("LazyRegex")
            .field(&self.inner.pattern)
            .finish()
    }
}

/// A path regex: matched against `/`-separated relative paths.
pub type LazyPathRegex = LazyRegex<regex::Regex>;

/// A content regex: matched against bytes.
pub type LazyBytesRegex = LazyRegex<regex::bytes::Regex>;

impl LazyPathRegex {
    /// `pattern`, whose syntax is checked now (the error's reason, without the pattern).
    pub fn new(pattern: &str) -> Result<Self, String> {
        LazyRegex::checked(pattern, regex::Regex::new)
    }
}

impl LazyBytesRegex {
    /// `pattern`, whose syntax is checked now (the error's reason, without the pattern).
    pub fn new(pattern: &str) -> Result<Self, String> {
        LazyRegex::checked(pattern, regex::bytes::Regex::new)
    }
}

impl<R> LazyRegex<R> {
    fn checked(
        pattern: &str,
        compile: fn(&str) -> Result<R, regex::Error>,
    ) -> Result<Self, String> {
        // The parse the compiler starts with: what it rejects, this rejects.
        regex_syntax::ParserBuilder::new()
            .build()
            .parse(pattern)
            .map_err(|err| super::regex_error_reason(&err.to_string()))?;
        Ok(LazyRegex {
            inner: Arc::new(Inner {
                pattern: pattern.into(),
                compile,
                compiled: OnceLock::new(),
            }),
        })
    }

    /// The pattern.
    pub fn as_str(&self) -> &str {
        &self.inner.pattern
    }

    /// The compiled regex; `None` if it parsed but does not compile (over the size limit),
    /// which [`LazyRegex::compile_now`] reports.
    pub fn get(&self) -> Option<&R> {
        let inner = &*self.inner;
        inner
            .compiled
            .get_or_init(|| (inner.compile)(&inner.pattern).ok())
            .as_ref()
    }

    /// Compiles it now, saying why it does not compile (for a user's own config, which is
    /// few regexes, so that every mistake is reported before a scan starts).
    pub fn compile_now(&self) -> Result<(), String> {
        if self.get().is_some() {
            return Ok(());
        }
        (self.inner.compile)(&self.inner.pattern)
            .map(drop)
            .map_err(|err| super::regex_error_reason(&err.to_string()))
    }
}

impl LazyPathRegex {
    /// Whether it matches `path` (a regex that does not compile matches nothing).
    pub fn is_match(&self, path: &str) -> bool {
        self.get().is_some_and(|regex| regex.is_match(path))
    }
}

impl LazyBytesRegex {
    /// Whether it matches `bytes` (a regex that does not compile matches nothing).
    pub fn is_match(&self, bytes: &[u8]) -> bool {
        self.get().is_some_and(|regex| regex.is_match(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_is_checked_at_once_and_compiling_waits_for_first_use() {
        assert!(LazyPathRegex::new("(unclosed").is_err());
        assert!(LazyBytesRegex::new("a{2,1}").is_err());
        let path = LazyPathRegex::new(r"(?i)\.env$").unwrap();
        assert!(path.inner.compiled.get().is_none());
        assert!(path.is_match("app/.ENV"));
        assert!(!path.is_match("app/.envrc"));
        assert!(path.clone().inner.compiled.get().is_some());
        let bytes = LazyBytesRegex::new(r"^EXAMPLE").unwrap();
        assert!(bytes.is_match(b"EXAMPLEKEY") && !bytes.is_match(b"key"));
        assert_eq!(bytes.compile_now(), Ok(()));
        // Parses, but is over the compiled size limit: reported when compiled now, matches
        // nothing if used anyway.
        let huge = LazyBytesRegex::new(r"\w{1000}{1000}").unwrap();
        assert!(huge.compile_now().is_err());
        assert!(!huge.is_match(b"x"));
    }
}
