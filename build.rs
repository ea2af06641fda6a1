//! Lists `patterns/*.toml` and writes into OUT_DIR (1) a `(name, include_str!)` table of the
//! rule files, for `rules check` and the tests, which need every rule's examples, and (2) the
//! same rules as JSON without their examples: what a scan loads. Parsing 3,700 examples out of
//! TOML was most of a scan's start-up; JSON without them parses several times faster. (3) The
//! revocation steps of `docs/token-formats/`, for the HTML report.

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
    let mut lean = Vec::new();
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
        let Ok(mut table) = text.parse::<toml::Table>() else {
            continue;
        };
        if let Some(toml::Value::Array(rules)) = table.get_mut("rules") {
            for rule in rules.iter_mut().filter_map(toml::Value::as_table_mut) {
                rule.remove("examples");
                rule.remove("negative_examples");
            }
        }
        let rules = table
            .remove("rules")
            .unwrap_or_else(|| toml::Value::Array(Vec::new()));
        lean.push(serde_json::json!({ "file": name, "rules": rules }));
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("builtin_patterns.rs"), out).expect("OUT_DIR is writable");
    std::fs::write(
        out_dir.join("builtin_rules.json"),
        serde_json::to_string(&lean).expect("rules serialize"),
    )
    .expect("OUT_DIR is writable");
    write_revocations(&out_dir);
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
