//! File rules judged by a file's name alone. A history scan learns a blob's full path only for
//! the few blobs it must report, so it asks, for every name in every tree, whether a file of
//! that name could match a file rule. That is exact when each file rule's path regex looks only
//! at the last path component (`(?:^|/)[^/]+\.p12$`), which this module checks on the regex's
//! syntax; a cheap test of the name's last byte keeps the regexes off almost every name. A rule
//! that also names a directory (`(?:^|/)config/master\.key$`) is judged by the literal its
//! matches end with (`master.key`, or `.key`): a superset, which the full path, known when the
//! blob is delivered, then decides. Without such a literal, no name decides, and a history
//! scan must read every tree with its path (ten times slower).

use regex_syntax::hir::{Class, Hir, HirKind, Look};
use rustc_hash::FxHashMap;

/// The file rules' path regexes, and what can be decided from a file name.
#[derive(Debug, Clone)]
pub struct FileNames {
    regexes: Vec<crate::rule::LazyPathRegex>,
    /// The name endings that every match of a regex has, for the regexes where they are known
    /// (so that a regex is compiled and asked only about names that end like its matches), and
    /// those of the regexes that also look at directories.
    endings: Endings,
    /// The regexes whose matches' endings are not known: asked about every name.
    regexes_without_endings: Vec<usize>,
    /// A file's name tells whether it may match: every regex decides on the last path
    /// component alone, or ends with a literal name part.
    by_name: bool,
    /// Bytes a matching name can end with.
    last_bytes: [bool; 256],
}

impl FileNames {
    /// The test for these file rules' path regexes.
    pub fn new<'a>(paths: impl Iterator<Item = &'a crate::rule::LazyPathRegex>) -> FileNames {
        let mut names = FileNames {
            regexes: Vec::new(),
            endings: Endings::default(),
            regexes_without_endings: Vec::new(),
            by_name: true,
            last_bytes: [false; 256],
        };
        for (index, regex) in paths.enumerate() {
            names.regexes.push(regex.clone());
            let hir = regex_syntax::Parser::new().parse(regex.as_str()).ok();
            let suffixes = hir.as_ref().and_then(name_suffixes);
            if let Some(bytes) = hir.as_ref().and_then(name_local_last_bytes) {
                for (byte, possible) in bytes.iter().enumerate() {
                    names.last_bytes[byte] |= possible;
                }
                match suffixes {
                    Some(suffixes) => {
                        for suffix in suffixes {
                            names.endings.add(suffix, Some(index));
                        }
                    }
                    None => names.regexes_without_endings.push(index),
                }
                continue;
            }
            match suffixes {
                Some(suffixes) => {
                    for suffix in suffixes {
                        if let Some(&last) = suffix.last() {
                            names.last_bytes[usize::from(last)] = true;
                        }
                        names.endings.add(suffix, None);
                    }
                }
                None => names.by_name = false,
            }
        }
        names
    }

    /// Whether there is no file rule at all.
    pub fn is_empty(&self) -> bool {
        self.regexes.is_empty()
    }

    /// Whether a file's name tells if it may match a file rule (see
    /// [`FileNames::may_match_name`]); the full path decides when the file is reported.
    pub fn by_name(&self) -> bool {
        self.by_name
    }

    /// Whether a file named `name` (in any directory) may match a file rule: exact for rules
    /// on the name alone, a superset for rules that also name a directory. Meaningful when
    /// [`FileNames::by_name`]; otherwise use [`FileNames::matches_path`].
    pub fn may_match_name(&self, name: &[u8]) -> bool {
        let Some(&last) = name.last() else {
            return false;
        };
        if !self.last_bytes[usize::from(last)] {
            return false;
        }
        let mut path = None;
        let mut is_match = |regex: usize| {
            let path = path.get_or_insert_with(|| format!("/{}", String::from_utf8_lossy(name)));
            self.regexes[regex].is_match(path)
        };
        let mut asked = None;
        for ending in self.endings.of(name) {
            match ending.regex {
                // A rule that also names a directory: the full path decides, later.
                None => return true,
                // A regex's endings are added together: one asking is enough.
                Some(regex) if asked != Some(regex) => {
                    asked = Some(regex);
                    if is_match(regex) {
                        return true;
                    }
                }
                Some(_) => {}
            }
        }
        self.regexes_without_endings
            .iter()
            .any(|&regex| is_match(regex))
    }

    /// Whether the file at `path` matches a file rule.
    pub fn matches_path(&self, path: &str) -> bool {
        self.regexes.iter().any(|regex| regex.is_match(path))
    }
}

/// Name endings, found by a name's last three bytes: a case-insensitive ending has a variant
/// for every case of its letters (up to a thousand for a rule's regex), too many to compare
/// one by one for every name of every tree of a history.
#[derive(Debug, Clone, Default)]
struct Endings {
    /// The endings of three bytes or more, by their last three.
    by_tail: FxHashMap<[u8; 3], Vec<Ending>>,
    /// The shorter endings.
    short: Vec<Ending>,
}

#[derive(Debug, Clone)]
struct Ending {
    bytes: Vec<u8>,
    /// The regex this is an ending of, when it decides on the name alone; `None` for a rule
    /// that also names a directory.
    regex: Option<usize>,
}

impl Endings {
    fn add(&mut self, bytes: Vec<u8>, regex: Option<usize>) {
        let ending = Ending { bytes, regex };
        match tail(&ending.bytes) {
            Some(tail) => self.by_tail.entry(tail).or_default().push(ending),
            None => self.short.push(ending),
        }
    }

    /// The endings `name` has, each regex's together.
    fn of<'a>(&'a self, name: &'a [u8]) -> impl Iterator<Item = &'a Ending> {
        let long = tail(name).and_then(|tail| self.by_tail.get(&tail));
        (self.short.iter().chain(long.into_iter().flatten()))
            .filter(move |ending| name.ends_with(&ending.bytes))
    }
}

/// The last three bytes of `bytes`, if it has three.
fn tail(bytes: &[u8]) -> Option<[u8; 3]> {
    bytes.last_chunk().copied()
}

type ByteSet = [bool; 256];

/// For a path regex that also looks at directories, name endings (after any `/`) that every
/// match's last path component has: `master.key` and `.key` for
/// `(?:^|/)config/(?:master|credentials/[A-Za-z0-9_-]+)\.key$`. `None` when some match could
/// end with an empty or unknown name part.
fn name_suffixes(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let HirKind::Concat(items) = hir.kind() else {
        return None;
    };
    if !matches!(items.last()?.kind(), HirKind::Look(Look::End)) {
        return None;
    }
    let mut extractor = Extractor::new();
    // Short endings are enough to rule a name out, and keep the case variants of a
    // case-insensitive name (`(?i)htpasswd`: 256 of them whole) within the limits.
    extractor
        .kind(ExtractKind::Suffix)
        .limit_literal_len(6)
        .limit_total(1024);
    let suffixes = extractor.extract(hir);
    let literals = suffixes.literals()?;
    if literals.is_empty() {
        return None;
    }
    literals
        .iter()
        .map(|literal| {
            let bytes = literal.as_bytes();
            let name = match bytes.iter().rposition(|&b| b == b'/') {
                Some(slash) => &bytes[slash + 1..],
                None => bytes,
            };
            (!name.is_empty()).then(|| name.to_vec())
        })
        .collect()
}

/// For a regex that can only match the last component of a path (`R$` or `(?:^|/)R$`, where
/// `R` cannot match a `/`), the bytes a match can end with; `None` for any other regex.
fn name_local_last_bytes(hir: &Hir) -> Option<ByteSet> {
    let HirKind::Concat(items) = hir.kind() else {
        return None;
    };
    let (last, body) = items.split_last()?;
    if !matches!(last.kind(), HirKind::Look(Look::End)) {
        return None;
    }
    let body = match body.first() {
        Some(first) if is_start_or_slash(first) => &body[1..],
        _ => body,
    };
    if body
        .iter()
        .any(|item| anchors_start(item) || can_match_slash(item))
    {
        return None;
    }
    // An empty name part (`(?:^|/)$`) would match a directory: not a file rule worth judging.
    if body.is_empty() {
        return None;
    }
    Some(last_bytes_of_concat(body).unwrap_or([true; 256]))
}

/// `(?:^|/)`, in either order, captured or not.
fn is_start_or_slash(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Capture(capture) => is_start_or_slash(&capture.sub),
        HirKind::Alternation(branches) if branches.len() == 2 => {
            let start = |h: &Hir| matches!(h.kind(), HirKind::Look(Look::Start));
            let slash = |h: &Hir| matches!(h.kind(), HirKind::Literal(lit) if &*lit.0 == b"/");
            (start(&branches[0]) && slash(&branches[1]))
                || (slash(&branches[0]) && start(&branches[1]))
        }
        _ => false,
    }
}

fn anchors_start(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Look(look) => matches!(look, Look::Start | Look::StartLF | Look::StartCRLF),
        HirKind::Capture(capture) => anchors_start(&capture.sub),
        HirKind::Repetition(repetition) => anchors_start(&repetition.sub),
        HirKind::Concat(items) | HirKind::Alternation(items) => items.iter().any(anchors_start),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) => false,
    }
}

fn can_match_slash(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Literal(literal) => literal.0.contains(&b'/'),
        HirKind::Class(Class::Bytes(class)) => class
            .ranges()
            .iter()
            .any(|range| (range.start()..=range.end()).contains(&b'/')),
        HirKind::Class(Class::Unicode(class)) => class
            .ranges()
            .iter()
            .any(|range| (range.start()..=range.end()).contains(&'/')),
        HirKind::Capture(capture) => can_match_slash(&capture.sub),
        HirKind::Repetition(repetition) => can_match_slash(&repetition.sub),
        HirKind::Concat(items) | HirKind::Alternation(items) => items.iter().any(can_match_slash),
        HirKind::Empty | HirKind::Look(_) => false,
    }
}

/// The bytes a non-empty match of `hir` can end with; `None` when unsure.
fn last_bytes(hir: &Hir) -> Option<ByteSet> {
    let mut set = [false; 256];
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => set[usize::from(*literal.0.last()?)] = true,
        HirKind::Class(Class::Bytes(class)) => {
            for range in class.ranges() {
                for byte in range.start()..=range.end() {
                    set[usize::from(byte)] = true;
                }
            }
        }
        HirKind::Class(Class::Unicode(class)) => {
            for range in class.ranges() {
                for ascii in u32::from(range.start())..=u32::from(range.end()).min(0x7f) {
                    set[ascii as usize] = true;
                }
                // A character past ASCII ends in a UTF-8 continuation byte (`(?i)s` takes in
                // the long s, `ſ`).
                if !range.end().is_ascii() {
                    set[0x80..0xc0].fill(true);
                }
            }
        }
        HirKind::Capture(capture) => return last_bytes(&capture.sub),
        HirKind::Repetition(repetition) => return last_bytes(&repetition.sub),
        HirKind::Alternation(branches) => {
            for branch in branches {
                let branch = last_bytes(branch)?;
                for (byte, possible) in branch.iter().enumerate() {
                    set[byte] |= possible;
                }
            }
        }
        HirKind::Concat(items) => return last_bytes_of_concat(items),
    }
    Some(set)
}

/// The last bytes of a sequence: of its last item, and of the ones before while the later
/// ones can match empty.
fn last_bytes_of_concat(items: &[Hir]) -> Option<ByteSet> {
    let mut set = [false; 256];
    for item in items.iter().rev() {
        let own = last_bytes(item)?;
        for (byte, possible) in own.iter().enumerate() {
            set[byte] |= possible;
        }
        if item.properties().minimum_len().is_some_and(|len| len > 0) {
            return Some(set);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(patterns: &[&str]) -> FileNames {
        let regexes: Vec<crate::rule::LazyPathRegex> = patterns
            .iter()
            .map(|p| crate::rule::LazyPathRegex::new(p).unwrap())
            .collect();
        FileNames::new(regexes.iter())
    }

    #[test]
    fn name_local_regexes_are_judged_by_name() {
        let keystores = names(&[r"(?i)(?:^|/)[^/]+\.(?:p12|pfx)$", r"id_rsa$"]);
        assert!(keystores.by_name());
        for name in ["cert.p12", "CERT.PFX", "x.Pfx", "id_rsa", "my_id_rsa"] {
            assert!(keystores.may_match_name(name.as_bytes()), "{name}");
        }
        for name in ["cert.p12.txt", ".p12", "p12", "id_rsa.pub", ""] {
            assert!(!keystores.may_match_name(name.as_bytes()), "{name}");
        }
        // Names agree with full paths, wherever the file is.
        for path in [
            "cert.p12",
            "a/b/cert.p12",
            "a/.p12",
            "a/id_rsa.pub",
            "x/id_rsa",
        ] {
            let name = path.rsplit('/').next().unwrap();
            assert_eq!(
                keystores.may_match_name(name.as_bytes()),
                keystores.matches_path(path),
                "{path}"
            );
        }
    }

    #[test]
    fn regexes_that_look_at_directories_are_judged_by_the_name_they_end_with() {
        let rails = names(&[r"(?:^|/)config/(?:master|credentials/[A-Za-z0-9_-]+)\.key$"]);
        assert!(rails.by_name());
        // A superset by name; the full path decides when the file is reported.
        for name in ["master.key", "production.key", "server.key"] {
            assert!(rails.may_match_name(name.as_bytes()), "{name}");
        }
        for name in ["master.key.sample", "credentials.yml.enc", "key"] {
            assert!(!rails.may_match_name(name.as_bytes()), "{name}");
        }
        assert!(rails.matches_path("app/config/credentials/production.key"));
        assert!(!rails.matches_path("certs/server.key"));
        for pattern in [r"^secrets/.*\.key$", r"^id_rsa$", r"secrets.p12$"] {
            assert!(names(&[pattern]).by_name(), "{pattern}");
        }
    }

    #[test]
    fn regexes_without_a_name_ending_are_not() {
        for pattern in [
            r"(?:^|/)config/[^/]+$",
            r"\.p12",
            r"(?:^|/)$",
            r"(?:^|/)secrets/$",
        ] {
            assert!(!names(&[pattern]).by_name(), "{pattern}");
        }
        assert!(names(&[]).is_empty());
        assert!(names(&[]).by_name());
    }

    /// A history scan reads its trees in pack order only when a file's name can tell whether
    /// a built-in file rule may flag it; a rule that broke that made history ten times slower.
    #[test]
    fn the_built_in_file_rules_are_judged_by_name() {
        let engine = crate::engine::Engine::new(crate::rule::RuleSet::builtin().unwrap()).unwrap();
        assert!(engine.file_names().by_name());
    }

    /// The built-in file rules' names, in every case, against their own regexes: a name a
    /// regex matches is never ruled out by the endings asked first; ordinary names are.
    #[test]
    fn endings_never_rule_out_a_name_a_file_rule_matches() {
        let rules = crate::rule::RuleSet::builtin().unwrap();
        let regexes: Vec<regex::Regex> = (rules.rules().iter())
            .filter(|rule| rule.is_file_rule())
            .filter_map(|rule| rule.path.as_ref())
            .map(|path| regex::Regex::new(path.as_str()).unwrap())
            .collect();
        let engine = crate::engine::Engine::new(rules).unwrap();
        let names = engine.file_names();
        let mut tried = 0;
        for base in [
            ".htpasswd",
            "site.htpasswd",
            "htpasswd",
            ".vault_pass",
            "vault-password.txt",
            ".vaultpass.txt",
            "cert.p12",
            "id.pfx",
            "app.jks",
            "store.keystore",
            "x.jceks",
            "y.bks",
            ".pgpass",
            "pgpass.conf",
            ".git-credentials",
            ".pypirc",
            ".dockercfg",
            "auth.json",
            "gradle.properties",
            "values.yaml",
            "values-prod.yml",
            "shadow",
            "gshadow-",
            "shadow.bak",
            ".wgetrc",
            "wgetrc",
            "master.key",
            "initialAdminPassword",
        ] {
            let variants = [
                base.to_string(),
                base.to_ascii_uppercase(),
                base.char_indices()
                    .map(|(i, c)| {
                        if i % 2 == 0 {
                            c.to_ascii_uppercase()
                        } else {
                            c
                        }
                    })
                    .collect(),
            ];
            for name in variants {
                let matched = regexes.iter().any(|re| re.is_match(&format!("/{name}")));
                tried += usize::from(matched);
                assert!(!matched || names.may_match_name(name.as_bytes()), "{name}");
            }
        }
        assert!(tried > 40, "{tried} names matched");
        for name in [
            "main.rs",
            "README.md",
            "Cargo.toml",
            "empty.json",
            "passwords.go",
        ] {
            assert!(!names.may_match_name(name.as_bytes()), "{name}");
        }
    }

    /// The endings index against the plain reading of the rules: a name may match when a
    /// rule on names alone matches it, or it ends like a rule that also names a directory.
    /// Names are pieces of the built-in rules' endings and of ordinary names, in mixed case.
    #[test]
    fn may_match_name_agrees_with_asking_every_rule() {
        let rules = crate::rule::RuleSet::builtin().unwrap();
        let mut name_rules = Vec::new();
        let mut directory_endings = Vec::new();
        for path in (rules.rules().iter())
            .filter(|rule| rule.is_file_rule())
            .filter_map(|rule| rule.path.as_ref())
        {
            let hir = regex_syntax::Parser::new().parse(path.as_str()).unwrap();
            if name_local_last_bytes(&hir).is_some() {
                name_rules.push(regex::Regex::new(path.as_str()).unwrap());
            } else {
                directory_endings.extend(name_suffixes(&hir).unwrap());
            }
        }
        let reference = |name: &str| {
            name_rules
                .iter()
                .any(|rule| rule.is_match(&format!("/{name}")))
                || (directory_endings.iter()).any(|ending| name.as_bytes().ends_with(ending))
        };
        let engine = crate::engine::Engine::new(rules).unwrap();
        let names = engine.file_names();
        let pieces = [
            ".htpasswd",
            "htpasswd",
            ".vault",
            "_pass",
            "word",
            ".txt",
            ".p12",
            ".pfx",
            ".jks",
            "keystore",
            ".key",
            "master",
            "shadow",
            "-",
            ".bak",
            "pgpass",
            ".conf",
            "Password",
            "main",
            ".rs",
            "s",
            "x",
            "ſ",
            "K",
            ".",
            "a",
        ];
        let mut next = crate::test_rng(0x5eed_f11e);
        let (mut tried, mut matched) = (0, 0);
        for _ in 0..20_000 {
            let mut name = String::new();
            for _ in 0..1 + next() % 3 {
                let piece = pieces[(next() % pieces.len() as u64) as usize];
                name.extend(piece.chars().map(|c| match next() % 3 {
                    0 => c.to_ascii_uppercase(),
                    _ => c,
                }));
            }
            let expected = reference(&name);
            assert_eq!(names.may_match_name(name.as_bytes()), expected, "{name}");
            tried += 1;
            matched += usize::from(expected);
        }
        assert!(
            matched > 1_000 && matched < tried - 1_000,
            "{matched} of {tried}"
        );
    }

    #[test]
    fn last_bytes_cover_every_ending() {
        let set = |pattern: &str| {
            let hir = regex_syntax::Parser::new().parse(pattern).unwrap();
            let bytes = name_local_last_bytes(&hir).unwrap();
            (0..=255u8)
                .filter(|&b| bytes[usize::from(b)])
                .map(char::from)
                .collect::<String>()
        };
        assert_eq!(set(r"(?i)(?:^|/)[^/]+\.(?:p12|pfx)$"), "2Xx");
        assert_eq!(set(r"\.ke?y?$"), "eky");
        assert_eq!(set(r"a[0-2]*$"), "012a");
        // `(?i)s` takes in `ſ`, which ends in a UTF-8 continuation byte: the set grows by
        // those bytes, not by every byte.
        let keystore = set(r"(?i)(?:^|/)[^/]+\.jks$");
        assert!(keystore.starts_with("Ss"), "{keystore:?}");
        assert_eq!(keystore.chars().count(), 2 + 64, "{keystore:?}");
        let long_s_ends_with = "ſ".bytes().last().unwrap();
        assert!(keystore.contains(char::from(long_s_ends_with)));
    }
}
