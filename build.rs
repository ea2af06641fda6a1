//! Lists `patterns/*.toml` and writes into OUT_DIR (1) a `(name, include_str!)` table of the
//! rule files, for `rules check` and the tests, which need every rule's examples, and (2) the
//! same rules without their examples as static tables (every string one text, the rules spans
//! of it), each with its regex's facts: what a scan loads. Parsing 3,700 examples out of TOML
//! was most of a scan's start-up, and parsing the rest as JSON still a third of it; tables
//! cost nothing to parse. (3) The revocation steps of `docs/token-formats/`, for the HTML
//! report. (4) The common-trigram ranks the keyword matcher picks anchors by.

use std::fmt::Write as _;
use std::path::PathBuf;

// The library's own modules for reading a rule's regex, so that the facts written here are the
// ones a scan would read at run time (a test checks that they agree).
#[allow(dead_code)]
#[path = "src/rule/facts.rs"]
mod facts;
#[allow(dead_code)]
#[path = "src/rule/hir.rs"]
mod hir;
#[allow(dead_code)]
#[path = "src/rule/secret_runs.rs"]
mod secret_runs;
#[allow(dead_code)]
#[path = "src/rule/template.rs"]
mod template;

/// What `hir.rs` asks of the matcher module: a regex error's reason.
mod matcher {
    pub(crate) fn one_line(text: &str) -> String {
        text.to_string()
    }
}

/// Writes `sets` as a static array of byte sets named `name`, documented by `doc`.
fn write_byte_sets(out: &mut String, doc: &str, name: &str, sets: &[[u64; 4]]) {
    writeln!(
        out,
        "/// {doc}\nstatic {name}: [[u64; 4]; {}] = [",
        sets.len()
    )
    .expect("writing to a String");
    for set in sets {
        writeln!(out, "    {set:#x?},").expect("writing to a String");
    }
    out.push_str("];\n");
}

fn main() {
    println!("cargo:rerun-if-changed=patterns");
    let dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("patterns");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("patterns/ exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    let mut out = String::from(
        "/// The embedded rule files.\npub static BUILTIN_PATTERNS: &[(&str, &str)] = &[\n",
    );
    let mut lean = LeanWriter::default();
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = format!(
            "patterns/{}",
            path.file_name().expect("a file name").to_string_lossy()
        );
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("writing to a String");
        let text = std::fs::read_to_string(path).expect("rule files are readable");
        // A file that does not parse is embedded as-is and reported, with its line, when the
        // rules are loaded; here it is left out of the lean form.
        let Ok(table) = text.parse::<toml::Table>() else {
            continue;
        };
        lean.add_file(&name, &table);
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("builtin_patterns.rs"), out).expect("OUT_DIR is writable");
    std::fs::write(out_dir.join("builtin_rules.rs"), lean.finish()).expect("OUT_DIR is writable");
    write_revocations(&out_dir);
    write_trigram_ranks(&out_dir);
}

/// (4) `src/engine/common-trigrams.txt` as tables of `(trigram, rank)` (rank counted from the
/// rare end, as the keyword matcher scores anchors): the list, most common first, and an
/// open-addressing hash table for lookups (parsing the hex lines into a hash map at every
/// start was a twentieth of it; a binary search per keyword trigram, a third of the
/// matcher's construction).
fn write_trigram_ranks(out_dir: &std::path::Path) {
    let path = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("src/engine/common-trigrams.txt");
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path).expect("the trigram table is readable");
    let trigrams: Vec<u32> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| u32::from_str_radix(line.trim(), 16).ok())
        .map(|big_endian| {
            u32::from_le_bytes([
                (big_endian >> 16) as u8,
                (big_endian >> 8) as u8,
                big_endian as u8,
                0,
            ])
        })
        .collect();
    let count = trigrams.len();
    let mut ranks = std::collections::BTreeMap::new();
    for (index, trigram) in trigrams.into_iter().enumerate() {
        // A repeated trigram keeps its last rank, as a map filled in order would.
        ranks.insert(trigram, count - index);
    }
    let mut by_commonness: Vec<(u32, usize)> = ranks.into_iter().collect();
    by_commonness.sort_by_key(|&(trigram, rank)| (std::cmp::Reverse(rank), trigram));
    // Written out with the table; `lookup_slot` in `engine/keywords.rs` hashes the same way.
    const LOOKUP_SLOTS: usize = 1 << 14;
    const LOOKUP_MULTIPLIER: u32 = 0x9E37_79B1;
    let lookup_slot = |trigram: u32| {
        (trigram.wrapping_mul(LOOKUP_MULTIPLIER) >> (32 - LOOKUP_SLOTS.trailing_zeros())) as usize
    };
    let mut keys = vec![0u32; LOOKUP_SLOTS];
    let mut values = vec![0usize; LOOKUP_SLOTS];
    for &(trigram, rank) in &by_commonness {
        let mut slot = lookup_slot(trigram);
        while keys[slot] != 0 {
            slot = (slot + 1) % LOOKUP_SLOTS;
        }
        keys[slot] = trigram;
        values[slot] = rank;
    }
    let mut out = String::from(
        "/// `(trigram, rank)`, most common first (see `engine/keywords.rs`).\npub static TRIGRAM_RANKS: &[(u32, u16)] = &[\n",
    );
    for (trigram, rank) in &by_commonness {
        writeln!(out, "    ({trigram:#08x}, {rank}),").expect("writing to a String");
    }
    out.push_str(
        "];\n/// The same trigrams by `lookup_slot`, linearly probed; 0 is an empty slot.\n",
    );
    writeln!(
        out,
        "const TRIGRAM_LOOKUP_SLOTS: usize = {LOOKUP_SLOTS};\nconst TRIGRAM_LOOKUP_MULTIPLIER: u32 = {LOOKUP_MULTIPLIER:#x};"
    )
    .expect("writing to a String");
    let joined = |numbers: Vec<String>| numbers.join(",");
    writeln!(
        out,
        "static TRIGRAM_LOOKUP_KEYS: [u32; {LOOKUP_SLOTS}] = [{}];",
        joined(keys.iter().map(u32::to_string).collect())
    )
    .expect("writing to a String");
    writeln!(
        out,
        "static TRIGRAM_LOOKUP_RANKS: [u16; {LOOKUP_SLOTS}] = [{}];",
        joined(values.iter().map(usize::to_string).collect())
    )
    .expect("writing to a String");
    std::fs::write(out_dir.join("trigram_ranks.rs"), out).expect("OUT_DIR is writable");
}

/// The lean form of the rule files: every string in one text and the rules as spans of it, so
/// that the tables hold no pointers (each pointer in a static is a relocation the loader
/// applies at every start: 10,000 of them cost more than the parse they replaced).
#[derive(Default)]
struct LeanWriter {
    text: String,
    /// Spans of `text` already written, by content.
    spans: std::collections::HashMap<String, (usize, usize)>,
    /// The items of every list (keywords, context words, references), as spans.
    lists: Vec<(usize, usize)>,
    /// The required classes of every rule's secret (see `rule/secret_runs.rs`).
    classes: Vec<[u64; 4]>,
    /// The bytes each of a match's first bytes can be, for every rule (see `rule/hir.rs`).
    openings: Vec<[u64; 4]>,
    rules: String,
    rule_count: usize,
    files: String,
    file_count: usize,
}

impl LeanWriter {
    /// Where `text` is in the one text, written there the first time it is asked for.
    fn place(&mut self, text: &str) -> (usize, usize) {
        if let Some(&span) = self.spans.get(text) {
            return span;
        }
        let span = (self.text.len(), self.text.len() + text.len());
        self.text.push_str(text);
        self.spans.insert(text.to_string(), span);
        span
    }

    fn span(&mut self, text: &str) -> String {
        let (start, end) = self.place(text);
        format!("t({start}, {end})")
    }

    fn optional_span(&mut self, text: Option<String>) -> String {
        match text {
            Some(text) => format!("Some({})", self.span(&text)),
            None => "None".to_string(),
        }
    }

    fn list(&mut self, items: Vec<String>) -> String {
        let start = self.lists.len();
        for item in items {
            let span = self.place(&item);
            self.lists.push(span);
        }
        format!("t({start}, {})", self.lists.len())
    }

    /// Adds a rule file's rules, unless a rule has a key or a value the lean form does not
    /// know: the file is then parsed from its TOML at run time, which reports the mistake
    /// with its line.
    fn add_file(&mut self, name: &str, table: &toml::Table) {
        let (rules_before, lists_before) = (self.rules.len(), self.lists.len());
        let (classes_before, openings_before) = (self.classes.len(), self.openings.len());
        let first = self.rule_count;
        if self.add_rules(table).is_none() {
            self.rules.truncate(rules_before);
            self.lists.truncate(lists_before);
            self.classes.truncate(classes_before);
            self.openings.truncate(openings_before);
            self.rule_count = first;
            return;
        }
        let file = self.span(name);
        writeln!(
            self.files,
            "    LeanFile {{ file: {file}, rules: t({first}, {}) }},",
            self.rule_count
        )
        .expect("writing to a String");
        self.file_count += 1;
    }

    fn add_rules(&mut self, table: &toml::Table) -> Option<()> {
        use toml::Value;
        let text = |value: Option<&Value>| match value {
            None => Some(None),
            Some(Value::String(text)) => Some(Some(text.clone())),
            Some(_) => None,
        };
        let texts = |value: Option<&Value>| match value {
            None => Some(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_string))
                .collect(),
            Some(_) => None,
        };
        let flag = |value: Option<&Value>| match value {
            None => Some(false),
            Some(Value::Boolean(flag)) => Some(*flag),
            Some(_) => None,
        };
        if table.keys().any(|key| key != "rules") {
            return None;
        }
        for rule in table.get("rules")?.as_array()? {
            let rule = rule.as_table()?;
            const KNOWN: &[&str] = &[
                "id",
                "name",
                "severity",
                "keywords",
                "regex",
                "context",
                "shape",
                "entropy",
                "validator",
                "path",
                "references",
                "examples",
                "negative_examples",
                "allowlist",
                "allowlists",
                "multiline",
                "catch_all",
                "secret_group",
            ];
            if rule.keys().any(|key| !KNOWN.contains(&key.as_str())) {
                return None;
            }
            let severity = match text(rule.get("severity"))??.as_str() {
                "info" => "Info",
                "low" => "Low",
                "medium" => "Medium",
                "high" => "High",
                "critical" => "Critical",
                _ => return None,
            };
            let entropy = match rule.get("entropy") {
                None => None,
                Some(Value::Float(bits)) => Some(*bits),
                Some(Value::Integer(bits)) => Some(*bits as f64),
                Some(_) => return None,
            };
            let secret_group = match rule.get("secret_group") {
                None => None,
                Some(Value::Integer(group)) => Some(usize::try_from(*group).ok()?),
                Some(_) => return None,
            };
            // Allowlists (a few rules have them) stay JSON, read by serde at run time.
            let json = |key: &str| {
                rule.get(key).map_or(String::new(), |value| {
                    serde_json::to_string(value).expect("TOML values serialize")
                })
            };
            let id = self.span(&text(rule.get("id"))??);
            let name = self.span(&text(rule.get("name"))??);
            let (keyword_list, context_list) =
                (texts(rule.get("keywords"))?, texts(rule.get("context"))?);
            let regex_facts =
                self.facts(rule, &keyword_list, &context_list, entropy, secret_group)?;
            let keywords = self.list(keyword_list);
            let regex = self.span(&text(rule.get("regex"))?.unwrap_or_default());
            let context = self.list(context_list);
            let shape = self.optional_span(text(rule.get("shape"))?);
            let validator = self.optional_span(text(rule.get("validator"))?);
            let path = self.optional_span(text(rule.get("path"))?);
            let references = self.list(texts(rule.get("references"))?);
            let allowlist = self.span(&json("allowlist"));
            let allowlists = self.span(&json("allowlists"));
            let (multiline, catch_all) =
                (flag(rule.get("multiline"))?, flag(rule.get("catch_all"))?);
            writeln!(
                self.rules,
                "    LeanRule {{ id: {id}, name: {name}, severity: Severity::{severity}, \
                 keywords: {keywords}, regex: {regex}, context: {context}, shape: {shape}, \
                 entropy: {entropy:?}, validator: {validator}, path: {path}, \
                 references: {references}, allowlist: {allowlist}, allowlists: {allowlists}, \
                 multiline: {multiline}, catch_all: {catch_all}, secret_group: {secret_group:?}, \
                 facts: {regex_facts} }},"
            )
            .expect("writing to a String");
            self.rule_count += 1;
        }
        Some(())
    }

    /// The facts of a rule's regex (a file rule, without one, has none), as a `LeanFacts`
    /// literal; `None` if the regex is wrong (the run-time parse reports it). `keywords` and
    /// `context` are the rule's lists as written.
    fn facts(
        &mut self,
        rule: &toml::Table,
        keywords: &[String],
        context: &[String],
        entropy: Option<f64>,
        secret_group: Option<usize>,
    ) -> Option<String> {
        let text = |key: &str| rule.get(key).and_then(toml::Value::as_str);
        let mut keywords = keywords.to_vec();
        let regex = match (text("shape"), rule.get("context")) {
            (Some(shape), Some(_)) => {
                // As the rule builder does: a context rule's keywords are its words' spellings.
                if keywords.is_empty() {
                    keywords = (context.iter())
                        .flat_map(|word| template::keyword_variants(word))
                        .collect();
                }
                template::context_regex(context, shape).ok()?
            }
            (Some(_), _) => return None,
            (None, _) => text("regex").unwrap_or_default().to_string(),
        };
        if regex.is_empty() {
            return Some("None".to_string());
        }
        let hir = hir::parse(&regex).ok()?;
        let facts = facts::RegexFacts::new(&hir, secret_group, entropy, &keywords).ok()?;
        let classes_start = self.classes.len();
        self.classes.extend(facts.runs.classes.iter().copied());
        let openings_start = self.openings.len();
        self.openings.extend(facts.opening.iter().copied());
        Some(format!(
            "Some(LeanFacts {{ secret_group: {}, secret_is_match: {}, window: {}, single_line: {}, ends_at_newline: {}, \
             unbounded: {}, secret_alphabet: {}, secret_prefix: {}, alphabet: {:#x?}, \
             classes: t({classes_start}, {}), min_len: {}, marks: {:?}, starts_at_keyword: {}, \
             opening: t({openings_start}, {}) }})",
            facts.secret_group,
            facts.secret_is_match,
            facts.window,
            facts.single_line,
            facts.ends_at_newline,
            facts.unbounded,
            facts.secret_alphabet,
            facts.secret_prefix,
            facts.runs.alphabet,
            self.classes.len(),
            facts.runs.min_len,
            facts.marks,
            facts.starts_at_keyword,
            self.openings.len(),
        ))
    }

    fn finish(self) -> String {
        let mut out = String::new();
        writeln!(
            out,
            "/// Every string of the lean rules.\nconst LEAN_TEXT: &str = {:?};",
            self.text
        )
        .expect("writing to a String");
        writeln!(
            out,
            "/// The items of the lean rules' lists, as spans of `LEAN_TEXT`.\nstatic LEAN_LISTS: [Span; {}] = [",
            self.lists.len()
        )
        .expect("writing to a String");
        for (start, end) in &self.lists {
            writeln!(out, "    t({start}, {end}),").expect("writing to a String");
        }
        out.push_str("];\n");
        write_byte_sets(
            &mut out,
            "The required classes of the lean rules' secrets.",
            "LEAN_CLASSES",
            &self.classes,
        );
        write_byte_sets(
            &mut out,
            "The bytes each of a lean rule's matches' first bytes can be.",
            "LEAN_OPENINGS",
            &self.openings,
        );
        writeln!(
            out,
            "/// The built-in rules without examples.\nstatic LEAN_RULES: [LeanRule; {}] = [\n{}];",
            self.rule_count, self.rules
        )
        .expect("writing to a String");
        writeln!(
            out,
            "/// The rule files in the lean form, each with its span of `LEAN_RULES`.\npub static LEAN_FILES: [LeanFile; {}] = [\n{}];",
            self.file_count, self.files
        )
        .expect("writing to a String");
        out
    }
}

/// (3) From the token-format facts in `docs/token-formats/`, each entry that says how to revoke
/// its credential: `[{provider, kind, revoke}]`, for the HTML report's remediation.
fn write_revocations(out_dir: &std::path::Path) {
    let dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("docs/token-formats");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut revocations = Vec::new();
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let Ok(table) = std::fs::read_to_string(path)
            .unwrap_or_default()
            .parse::<toml::Table>()
        else {
            continue;
        };
        let Some(toml::Value::Array(tokens)) = table.get("token") else {
            continue;
        };
        for token in tokens.iter().filter_map(toml::Value::as_table) {
            let field = |name: &str| token.get(name).and_then(toml::Value::as_str).unwrap_or("");
            if !field("revoke").trim().is_empty() {
                revocations.push(serde_json::json!({
                    "provider": field("provider"),
                    "kind": field("kind"),
                    "revoke": field("revoke"),
                }));
            }
        }
    }
    std::fs::write(
        out_dir.join("revocations.json"),
        serde_json::to_string(&revocations).expect("revocations serialize"),
    )
    .expect("OUT_DIR is writable");
}
