//! Secret hygiene: every command, in every format, at `-vv`, writing to stdout and to a file,
//! never shows a planted secret (nor a 12-character piece of one) unless `--show-secrets` asks.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::util::{
    aws_key_id, github_pat, jwt, leakhound, password, pem_private_key, slack_bot_token,
    stripe_live_key, TempRepo, FINDINGS,
};

const FORMATS: [&str; 7] = ["human", "json", "jsonl", "sarif", "csv", "junit", "github"];

/// A repository with secrets committed in two commits, staged, base64-encoded, in a UTF-16
/// file and in an allowlisted path; returns it with the raw secrets.
fn planted_repository() -> (TempRepo, Vec<String>) {
    let mut repo = TempRepo::new();
    let secrets = vec![
        github_pat(),
        aws_key_id(),
        slack_bot_token(),
        stripe_live_key(),
        jwt(),
        password(),
        github_pat(),
        github_pat(),
        github_pat(),
        github_pat(),
    ];
    let pem = pem_private_key();
    repo.commit_file(
        ".leakhound.toml",
        "[allowlist]\npaths = [\"/fixtures/\"]\n",
        "config",
    );
    repo.commit_file(
        "config/app.env",
        format!(
            "GITHUB_TOKEN={}\nAWS_ACCESS_KEY_ID={}\nSLACK={}\n",
            secrets[0], secrets[1], secrets[2]
        ),
        "first",
    );
    repo.commit_file(
        "src/pay.py",
        format!(
            "stripe.api_key = \"{}\"\nsession = \"{}\"\ndb_password = \"{}\"\n",
            secrets[3], secrets[4], secrets[5]
        ),
        "second",
    );
    repo.commit_file("keys/id_rsa", &pem, "key");
    repo.commit_file(
        "encoded.yaml",
        format!(
            "blob: {}\n",
            STANDARD.encode(format!("token={}", secrets[6]))
        ),
        "encoded",
    );
    repo.commit_file(
        "fixtures/allowed.txt",
        format!("{}\n", secrets[7]),
        "allowed",
    );
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            format!("token={}\r\n", secrets[8])
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    repo.commit_file("windows.ini", utf16, "utf16");
    repo.stage("staged.txt", format!("{}\n", secrets[9]));
    let mut all = secrets;
    // The PEM body's lines are secrets too.
    all.extend(
        pem.lines()
            .filter(|line| !line.starts_with("-----") && line.len() >= 16)
            .map(str::to_string),
    );
    (repo, all)
}

/// Asserts that no secret, nor a 12-byte piece from its middle, stands in `text`.
fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} shows a secret:\n{text}"
        );
        let middle = secret.len() / 2;
        if secret.len() >= 16 {
            let piece = &secret[middle - 6..middle + 6];
            assert!(
                !text.contains(piece),
                "{what} shows part of a secret:\n{text}"
            );
        }
    }
}

#[test]
fn no_command_or_format_shows_a_secret_unless_asked() {
    let (repo, secrets) = planted_repository();
    let out = repo.path().join("report.out");
    let out_arg = out.to_str().unwrap().to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["scan"],
        vec!["scan", "--no-ignore"],
        vec!["history"],
        vec!["history", "--range", "HEAD~3..HEAD"],
        vec!["history", "--all-objects"],
        vec!["staged"],
    ];
    let mut findings_seen = 0;
    for command in &commands {
        for format in FORMATS {
            for to_file in [false, true] {
                let mut cmd = leakhound();
                cmd.current_dir(repo.path())
                    .args(command)
                    .args(["--format", format, "-vv"]);
                if to_file {
                    cmd.args(["--output", &out_arg]);
                }
                let output = cmd.output().unwrap();
                let what = format!("{command:?} {format} (file: {to_file})");
                assert_eq!(output.status.code(), Some(1), "{what}: findings exit 1");
                let stdout = String::from_utf8_lossy(&output.stdout);
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert_clean(&format!("{what} stdout"), &stdout, &secrets);
                assert_clean(&format!("{what} stderr"), &stderr, &secrets);
                if to_file {
                    let file = std::fs::read_to_string(&out).unwrap();
                    assert!(!file.is_empty(), "{what}");
                    assert_clean(&format!("{what} file"), &file, &secrets);
                    std::fs::remove_file(&out).unwrap();
                    findings_seen += 1;
                }
            }
        }
    }
    assert_eq!(findings_seen, commands.len() * FORMATS.len());

    // Standard input.
    let output = leakhound()
        .current_dir(repo.path())
        .args(["scan", "-", "--format", "json", "-vv"])
        .write_stdin(secrets.join("\n"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_clean(
        "stdin stdout",
        &String::from_utf8_lossy(&output.stdout),
        &secrets,
    );
    assert_clean(
        "stdin stderr",
        &String::from_utf8_lossy(&output.stderr),
        &secrets,
    );

    // Baselines, in the tree and over the history.
    let baseline = repo.path().join("baseline.json");
    for history in [false, true] {
        let mut cmd = leakhound();
        cmd.current_dir(repo.path()).args([
            "baseline",
            "-vv",
            "--output",
            baseline.to_str().unwrap(),
        ]);
        if history {
            cmd.arg("--history");
        }
        let output = cmd.output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "baseline (history: {history})"
        );
        assert_clean(
            "baseline stderr",
            &String::from_utf8_lossy(&output.stderr),
            &secrets,
        );
        let written = std::fs::read_to_string(&baseline).unwrap();
        assert!(written.contains("fingerprint"));
        assert_clean("baseline file", &written, &secrets);
    }
}

#[test]
fn show_secrets_shows_them_so_the_hygiene_test_can_fail() {
    let (repo, secrets) = planted_repository();
    let output = leakhound()
        .current_dir(repo.path())
        .args(["history", "--show-secrets", "--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // All but the allowlisted (7) and the staged (9) one are in the history, the base64 and
    // UTF-16 ones included.
    for (at, secret) in secrets[..10].iter().enumerate() {
        if at != 7 && at != 9 {
            assert!(
                stdout.contains(secret.as_str()),
                "{secret} is shown when asked"
            );
        }
    }
}

/// The literal vendor prefixes of the tokens planted below, which a redacted secret may show.
const SHOWN_PREFIXES: [&str; 5] = ["sk_live_", "rk_live_", "ghp_", "xoxb-", "AKIA"];

/// Asserts that no piece of `width` or more characters of any of `secrets` stands in `text`,
/// but for a vendor prefix the redaction shows (a piece holding anything after it counts).
fn assert_no_piece(what: &str, text: &str, secrets: &[String], width: usize) {
    for secret in secrets {
        let shown = SHOWN_PREFIXES
            .iter()
            .filter(|p| secret.starts_with(**p))
            .map(|p| p.len())
            .max()
            .unwrap_or(0);
        for start in shown.saturating_sub(width - 1)..=secret.len().saturating_sub(width) {
            let piece = &secret[start..start + width];
            assert!(
                !text.contains(piece),
                "{what} shows {piece:?}, a piece of a secret:\n{text}"
            );
        }
    }
}

/// `text` percent-encoded the way a URL would carry it: every byte but unreserved ones.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Commits the index on HEAD with an author and committer of our choosing.
fn commit_as(repo: &TempRepo, name: &str, email: &str, message: &str) {
    let signature = git2::Signature::new(name, email, &git2::Time::new(1_700_100_000, 0)).unwrap();
    let mut index = repo.repo.index().unwrap();
    let tree = repo.repo.find_tree(index.write_tree().unwrap()).unwrap();
    let parent = repo.repo.head().ok().map(|h| h.peel_to_commit().unwrap());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.repo
        .commit(
            Some("HEAD"),
            &signature,
            &signature,
            message,
            &tree,
            &parents,
        )
        .unwrap();
}

/// A Stripe restricted key.
fn stripe_restricted_key() -> String {
    format!("rk_live_{}", crate::util::base62(99))
}

/// Issue 15, item 1: on `STRIPE=<sk_live key> BLOB=<base64 of "key=<rk_live key>">`, the
/// `rk_live` finding's snippet showed the `sk_live` key, and the `sk_live` finding's snippet
/// the base64 blob that decodes to the other key, in every format.
#[test]
fn issue_15_decoded_findings_do_not_leak_their_neighbours() {
    let tree = crate::util::TempTree::new();
    let (stripe, restricted) = (stripe_live_key(), stripe_restricted_key());
    let blob = STANDARD.encode(format!("key={restricted}"));
    tree.write("app.env", format!("STRIPE={stripe} BLOB={blob}\n"));
    let report = tree.scan_json(FINDINGS, &[]);
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["stripe.secret-key", "stripe.restricted-key"]);
    // The second finding's snippet is cut 80 bytes before its encoded text: within the key.
    for finding in report["findings"].as_array().unwrap() {
        let snippet = finding["snippet"].as_str().unwrap();
        assert!(
            snippet.ends_with("sk_live_****(107) BLOB=****(148)"),
            "{finding}"
        );
    }
    let secrets = [stripe, restricted, blob];
    for format in FORMATS {
        let output = leakhound()
            .current_dir(tree.path())
            .args(["scan", "--format", format, "-vv"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{format}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert_no_piece(format, &text, &secrets, 6);
    }
}

/// Issue 15, item 2: a commit `temp: use sk_live_… until vault works` printed the key in its
/// message, in every format that shows the message. A key that stands only in a message (the
/// rules find it there, though it is no finding) is redacted as well.
#[test]
fn issue_15_commit_messages_are_redacted() {
    let mut repo = TempRepo::new();
    let (stripe, only_in_message) = (stripe_live_key(), stripe_live_key());
    repo.stage("pay.py", format!("stripe.api_key = \"{stripe}\"\n"));
    repo.commit(&format!(
        "temp: use {stripe} until vault works (was {only_in_message})"
    ));
    let report = repo.json(FINDINGS, &["history"]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "the message alone is no finding");
    assert_eq!(
        findings[0]["commit"]["message"],
        "temp: use sk_live_****(107) until vault works (was sk_live_****(107))"
    );
    let secrets = [stripe, only_in_message];
    for format in ["human", "json", "sarif", "csv"] {
        let output = leakhound()
            .current_dir(repo.path())
            .args(["history", "--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("until vault works"), "{format}: {text}");
        assert_no_piece(format, &text, &secrets, 6);
    }
}

/// Issue 15: secrets planted in every field and layer — file content raw and base64-, hex- and
/// percent-encoded, a commit message, an author's name and e-mail, a file path — leave no
/// piece of 6 characters of any of them (12 for hex text, whose 6-digit pieces stand by chance
/// in commit ids) in any format, at `-vv`, for `scan`, `history` and `staged`.
#[test]
fn issue_15_no_piece_of_a_secret_in_any_field_or_layer() {
    let repo = TempRepo::new();
    let (stripe, restricted) = (stripe_live_key(), stripe_restricted_key());
    let (in_hex, in_percent) = (github_pat(), github_pat());
    let (in_path, in_name, in_email) = (github_pat(), slack_bot_token(), github_pat());
    let (in_message, aws) = (stripe_live_key(), aws_key_id());
    let blob = STANDARD.encode(format!("key={restricted}"));
    let hex: String = format!("token={in_hex}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    let percent = percent_encode(&format!("token={in_percent}&x=1"));
    repo.stage(
        "app/raw.env",
        format!("STRIPE={stripe} BLOB={blob}\nHEX={hex}\nURL=https://example.com/?q={percent}\n"),
    );
    repo.stage(
        &format!("leaks/{in_path}/notes.txt"),
        format!("AWS_ACCESS_KEY_ID={aws}\n"),
    );
    commit_as(
        &repo,
        &format!("Eve {in_name}"),
        &format!("{in_email}@example.com"),
        &format!("temp: use {stripe} until vault works, not {in_message}"),
    );
    let (staged_stripe, staged_restricted, staged_path) =
        (stripe_live_key(), stripe_restricted_key(), github_pat());
    let staged_blob = STANDARD.encode(format!("key={staged_restricted}"));
    repo.stage(
        &format!("staged/{staged_path}.env"),
        format!("STRIPE={staged_stripe} BLOB={staged_blob}\n"),
    );
    let secrets = [
        stripe,
        restricted,
        in_hex,
        in_percent,
        in_path,
        in_name,
        in_email,
        in_message,
        aws,
        blob,
        percent,
        staged_stripe,
        staged_restricted,
        staged_path,
        staged_blob,
    ];
    for command in ["scan", "history", "staged"] {
        for format in FORMATS {
            let output = leakhound()
                .current_dir(repo.path())
                .args([command, "--format", format, "-vv"])
                .output()
                .unwrap();
            let what = format!("{command} {format}");
            assert_eq!(output.status.code(), Some(1), "{what}");
            for text in [&output.stdout, &output.stderr] {
                let text = String::from_utf8_lossy(text);
                assert_no_piece(&what, &text, &secrets, 6);
                assert_no_piece(&what, &text, std::slice::from_ref(&hex), 12);
            }
        }
    }
    // The test can fail: with --show-secrets, the secrets are there.
    let output = leakhound()
        .current_dir(repo.path())
        .args(["history", "--format", "json", "--show-secrets"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    for secret in &secrets[..9] {
        assert!(
            text.contains(secret.as_str()),
            "{secret} is shown when asked"
        );
    }
}
