//! Issue 14, section 5: no report, in any format, and no baseline lets anyone confirm guesses of
//! a short secret cheaply. The plain SHA-256 and SHA-1 of the secret, the v1 fingerprint and
//! every fast salted hash of it are absent; the fingerprint that is written can be re-derived
//! only through the documented key derivation at its documented cost.

use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::util::{leakhound, TempTree, FINDINGS};

const FORMATS: [&str; 7] = ["human", "json", "jsonl", "sarif", "csv", "junit", "github"];

/// A 12-character database password, like the one recovered from a SARIF upload in the issue.
const PASSWORD: &str = "k7Qz!pX2vR9m";

/// The documented cost (SECURITY.md, "What a report reveals").
const DOCUMENTED_ITERATIONS: u32 = 20_000;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The documented scheme: PBKDF2-HMAC-SHA256, salt `leakhound/v2 NUL rule NUL path`, 16 bytes.
fn derive(secret: &str, rule: &str, path: &str, iterations: u32) -> String {
    let mut out = [0u8; 16];
    pbkdf2::pbkdf2_hmac::<Sha256>(
        secret.as_bytes(),
        format!("leakhound/v2\0{rule}\0{path}").as_bytes(),
        iterations,
        &mut out,
    );
    hex(&out)
}

#[test]
fn issue_14_reports_and_baselines_need_the_slow_kdf_to_test_a_guess() {
    let tree = TempTree::new();
    let path = "config/db.env";
    tree.write(path, format!("DB_PASSWORD=\"{PASSWORD}\"\n"));
    let report = tree.scan_json(FINDINGS, &[]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report}");
    let rule = findings[0]["rule_id"].as_str().unwrap().to_string();
    let fingerprint = findings[0]["fingerprint"].as_str().unwrap().to_string();

    // Everything a cheap guess could be checked against.
    let sha256 = Sha256::digest(PASSWORD.as_bytes());
    let salted = |salt: &str| hex(&Sha256::digest(format!("{salt}{PASSWORD}").as_bytes()));
    let mut fast: Vec<String> = vec![
        hex(&sha256),
        hex(&Sha1::digest(PASSWORD.as_bytes())),
        hex(&Sha256::digest(
            format!("{rule}\0{path}\0{}\0", hex(&sha256)).as_bytes(),
        ))[..32]
            .to_string(),
        salted(&format!("leakhound/v2\0{rule}\0{path}")),
        salted(&format!("leakhound/v2\0{rule}\0{path}\0")),
    ];
    for iterations in [1, 2, 1000, DOCUMENTED_ITERATIONS - 1] {
        fast.push(derive(PASSWORD, &rule, path, iterations));
    }
    // Truncations too: 16 hex digits of any of them is still a fast test of a guess.
    let pieces: Vec<String> = fast
        .iter()
        .flat_map(|h| {
            [
                h.clone(),
                h[..16].to_string(),
                h[h.len() - 16..].to_string(),
            ]
        })
        .collect();
    let assert_clean = |what: &str, text: &str| {
        let lower = text.to_ascii_lowercase();
        assert!(!lower.contains(&PASSWORD.to_ascii_lowercase()), "{what}");
        for piece in &pieces {
            assert!(
                !lower.contains(piece.as_str()),
                "{what} holds {piece}:\n{text}"
            );
        }
    };

    for format in FORMATS {
        let output = leakhound()
            .current_dir(tree.path())
            .args(["scan", "--format", format, "-vv"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{format}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_clean(format, &stdout);
        assert_clean(format, &String::from_utf8_lossy(&output.stderr));
        if !matches!(format, "human" | "github") {
            assert!(
                stdout.contains(&fingerprint),
                "{format} carries the fingerprint"
            );
        }
    }
    let output = leakhound()
        .current_dir(tree.path())
        .args(["baseline", "--output", "baseline.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let baseline = std::fs::read_to_string(tree.path().join("baseline.json")).unwrap();
    assert_clean("baseline", &baseline);
    assert!(baseline.contains(&fingerprint));

    // What it takes to test a guess: the documented derivation, at the documented cost.
    assert_eq!(
        leakhound::finding::fingerprint::KDF_ITERATIONS,
        DOCUMENTED_ITERATIONS
    );
    let security =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/SECURITY.md")).unwrap();
    assert!(
        security.contains("20,000 iterations"),
        "SECURITY.md documents the cost"
    );
    let dictionary = [
        "password1",
        "k7Qz!pX2vR9",
        "K7Qz!pX2vR9m",
        PASSWORD,
        "hunter2",
    ];
    let hits: Vec<&str> = dictionary
        .into_iter()
        .filter(|guess| derive(guess, &rule, path, DOCUMENTED_ITERATIONS) == fingerprint)
        .collect();
    assert_eq!(hits, [PASSWORD]);
}
