//! Secret hygiene: every command, in every format, at `-vv`, writing to stdout and to a file,
//! never shows a planted secret (nor a 12-character piece of one) unless `--show-secrets` asks.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::util::{
    aws_key_id, github_pat, jwt, leakhound, password, pem_private_key, slack_bot_token,
    stripe_live_key, TempRepo,
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
