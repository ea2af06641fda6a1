//! The built-in rules: every `patterns/*.toml`, embedded at build time by `build.rs` and
//! parsed at run time (and in tests).

include!(concat!(env!("OUT_DIR"), "/builtin_patterns.rs"));

/// The embedded rule files as `(file name, TOML text)`, sorted by name.
pub fn files() -> &'static [(&'static str, &'static str)] {
    BUILTIN_PATTERNS
}

/// The same rules as a JSON array of `{file, rules}` without `examples` and
/// `negative_examples`: what a scan loads, fast.
pub const LEAN_RULES: &str = include_str!(concat!(env!("OUT_DIR"), "/builtin_rules.json"));
