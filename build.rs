//! Lists `patterns/*.toml` and writes a `(name, include_str!)` table into OUT_DIR, so that a new
//! rule file is picked up without touching code. Parsing happens at run time and in tests.

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
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().expect("a file name").to_string_lossy();
        writeln!(
            out,
            "    ({:?}, include_str!({:?})),",
            format!("patterns/{name}"),
            path.display().to_string()
        )
        .expect("writing to a String");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_patterns.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
