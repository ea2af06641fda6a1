//! Lists `patterns/*.toml` and writes into OUT_DIR (1) a `(name, include_str!)` table of the
//! rule files, for `rules check` and the tests, which need every rule's examples, and (2) the
//! same rules without their examples as Rust literals: what a scan loads. Parsing 3,700
//! examples out of TOML was most of a scan's start-up, and parsing the rest as JSON still a
//! third of it; literals cost nothing to parse. (3) The
//! revocation steps of `docs/token-formats/`, for the HTML report. (4) The common-trigram ranks
//! the keyword matcher picks anchors by.

use std::fmt::Write as _;
use std::path::PathBuf;

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
    let mut lean = String::from(
        "/// The built-in rules without examples, file by file (see `rule::builtin`).\npub static LEAN_FILES: &[LeanFile] = &[\n",
    );
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
        if let Some(rules) = lean_rules(&table) {
            writeln!(
                lean,
                "    LeanFile {{ file: {name:?}, rules: &[\n{rules}    ] }},"
            )
            .expect("writing to a String");
        }
    }
    out.push_str("];\n");
    lean.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("builtin_patterns.rs"), out).expect("OUT_DIR is writable");
    std::fs::write(out_dir.join("builtin_rules.rs"), lean).expect("OUT_DIR is writable");
    write_revocations(&out_dir);
    write_trigram_ranks(&out_dir);
}

/// (4) `src/engine/common-trigrams.txt` as a sorted table of `(trigram, rank)` (rank counted
/// from the rare end, as the keyword matcher scores anchors): parsing 4,096 hex lines into a
/// hash map at every start was a twentieth of it.
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
    let mut out = String::from(
        "/// `(trigram, rank)`, sorted by trigram (see `engine/keywords.rs`).\npub static TRIGRAM_RANKS: &[(u32, u16)] = &[\n",
    );
    for (trigram, rank) in ranks {
        writeln!(out, "    ({trigram:#08x}, {rank}),").expect("writing to a String");
    }
    out.push_str("];\n");
    std::fs::write(out_dir.join("trigram_ranks.rs"), out).expect("OUT_DIR is writable");
}

/// A rule file's rules as `LeanRule` literals, or `None` when a rule has a key or a value the
/// lean form does not know (the file is then parsed from its TOML at run time, which reports
/// the mistake with its line).
fn lean_rules(table: &toml::Table) -> Option<String> {
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
    let mut out = String::new();
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
        writeln!(
            out,
            "        LeanRule {{ id: {:?}, name: {:?}, severity: Severity::{severity}, keywords: &{:?}, \
             regex: {:?}, context: &{:?}, shape: {:?}, entropy: {entropy:?}, validator: {:?}, \
             path: {:?}, references: &{:?}, allowlist: {:?}, allowlists: {:?}, multiline: {}, \
             catch_all: {}, secret_group: {secret_group:?} }},",
            text(rule.get("id"))??,
            text(rule.get("name"))??,
            texts(rule.get("keywords"))?,
            text(rule.get("regex"))?.unwrap_or_default(),
            texts(rule.get("context"))?,
            text(rule.get("shape"))?,
            text(rule.get("validator"))?,
            text(rule.get("path"))?,
            texts(rule.get("references"))?,
            json("allowlist"),
            json("allowlists"),
            flag(rule.get("multiline"))?,
            flag(rule.get("catch_all"))?,
        )
        .expect("writing to a String");
    }
    Some(out)
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
