//! Planted fake secrets of many providers, in realistic files, are found at the right line.

use crate::util::*;

#[test]
fn secrets_in_realistic_files_are_found_at_the_right_line() {
    let tree = TempTree::new();
    let aws_id = aws_key_id();
    let pat = github_pat();
    let npm = npm_token();
    let slack = slack_bot_token();
    let webhook = slack_webhook();
    let stripe = stripe_live_key();
    let google = google_api_key();
    let openai = openai_project_key();
    let anthropic = anthropic_key();
    let sendgrid = sendgrid_key();
    let hf = huggingface_token();
    let gitlab = gitlab_pat();
    let digitalocean = digitalocean_token();
    let jwt = jwt();
    let key = pem_private_key();
    let db_password = password();
    let app_password = password();

    tree.write(
        ".env",
        format!("# local settings\nDEBUG=true\nAWS_ACCESS_KEY_ID={aws_id}\nSTRIPE_KEY={stripe}\n"),
    );
    tree.write(
        "config/settings.yaml",
        format!("slack:\n  channel: '#alerts'\n  bot_token: {slack}\n  webhook: \"{webhook}\"\ndb:\n  url: postgres://app:{db_password}@db.internal:5432/app\n"),
    );
    tree.write(
        "app/client.py",
        format!("import os\n\nGITHUB_TOKEN = \"{pat}\"\n\n\ndef client():\n    return Client(api_key=\"{openai}\")\n"),
    );
    tree.write(
        "web/src/config.js",
        format!("export const config = {{\n  mapsKey: '{google}',\n  anthropic: \"{anthropic}\",\n}};\n"),
    );
    tree.write("deploy.sh", format!("#!/bin/sh\nset -eu\nexport SENDGRID_API_KEY={sendgrid}\ncurl -H \"Authorization: Bearer {hf}\" https://huggingface.co/api/whoami\n"));
    tree.write("settings.json", format!("{{\n  \"gitlab\": {{\n    \"token\": \"{gitlab}\"\n  }},\n  \"do\": \"{digitalocean}\"\n}}\n"));
    tree.write(
        "index.html",
        format!(
            "<html>\n<body>\n<script>\nconst session = \"{jwt}\";\n</script>\n</body>\n</html>\n"
        ),
    );
    tree.write(
        ".npmrc",
        format!("registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={npm}\n"),
    );
    tree.write("keys/deploy_key", &key);
    tree.write(
        "app/settings.py",
        format!("DATABASES = {{}}\nADMIN_PASSWORD = \"{app_password}\"\n"),
    );

    let report = tree.scan_json(FINDINGS, &[]);
    let found = found(&report);
    let expect = |rule_prefix: &str, path: &str, line: u64| {
        assert!(
            found
                .iter()
                .any(|(rule, p, l)| rule.starts_with(rule_prefix) && p == path && *l == line),
            "expected {rule_prefix}* at {path}:{line}, found {found:#?}"
        );
    };
    expect("aws.access-key-id", ".env", 3);
    expect("stripe.", ".env", 4);
    expect("slack.", "config/settings.yaml", 3);
    expect("slack.webhook", "config/settings.yaml", 4);
    expect("database.", "config/settings.yaml", 6);
    expect("github.pat-classic", "app/client.py", 3);
    expect("openai.", "app/client.py", 7);
    expect("google.api-key", "web/src/config.js", 2);
    expect("anthropic.", "web/src/config.js", 3);
    expect("sendgrid.", "deploy.sh", 3);
    expect("huggingface.", "deploy.sh", 4);
    expect("gitlab.pat", "settings.json", 3);
    expect("digitalocean.", "settings.json", 5);
    expect("jwt.", "index.html", 4);
    expect("npm.", ".npmrc", 2);
    expect("private-key.", "keys/deploy_key", 1);
    expect("generic.password", "app/settings.py", 2);
    // Each planted secret is reported once: vendor rules shadow the catch-all rules.
    assert_eq!(found.len(), 17, "{found:#?}");
}

#[test]
fn columns_point_at_the_secret() {
    let tree = TempTree::new();
    let pat = github_pat();
    tree.write("a.txt", format!("first line\n  token: \"{pat}\" # end\n"));
    let report = tree.scan_json(FINDINGS, &[]);
    let finding = &report["findings"][0];
    assert_eq!(finding["line"], 2);
    assert_eq!(finding["column"], 11);
    assert_eq!(finding["end_line"], 2);
    assert_eq!(finding["end_column"], 11 + 40 - 1);
    assert_eq!(finding["validation"]["kind"], "github-crc32");
    assert_eq!(finding["validation"]["result"], "checksum-ok");
}

#[test]
fn a_private_key_spanning_lines_is_one_finding() {
    let tree = TempTree::new();
    tree.write("id_rsa", format!("\n\n{}", pem_private_key()));
    let report = tree.scan_json(FINDINGS, &[]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["line"], 3);
    assert!(findings[0]["end_line"].as_u64().unwrap() > 3);
}

#[test]
fn secrets_in_invalid_utf8_and_crlf_files_are_found() {
    let tree = TempTree::new();
    let pat = github_pat();
    let mut bytes = b"caf\xe9 = 1\r\n\xff\xfe junk\r\n".to_vec();
    bytes.extend_from_slice(format!("token = {pat}\r\n").as_bytes());
    tree.write("latin1.txt", bytes);
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(
        found(&report),
        [(
            "github.pat-classic".to_string(),
            "latin1.txt".to_string(),
            3
        )]
    );
    let snippet = report["findings"][0]["snippet"].as_str().unwrap();
    assert!(!snippet.ends_with('\r'), "{snippet:?}");
}

#[test]
fn secrets_on_a_huge_line_are_found() {
    let tree = TempTree::new();
    let pat = github_pat();
    let line = format!("{}{pat}{}", "a,".repeat(2_000_000), ";b".repeat(2_000_000));
    tree.write("min.js", line);
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(
        found(&report),
        [("github.pat-classic".to_string(), "min.js".to_string(), 1)]
    );
    let snippet = report["findings"][0]["snippet"].as_str().unwrap();
    assert!(snippet.len() < 300, "the snippet is cut around the secret");
}

#[test]
fn secrets_hidden_in_base64_and_hex_are_found_at_the_encoded_text() {
    use base64::Engine as _;
    let tree = TempTree::new();
    let pat = github_pat();
    let once = base64::engine::general_purpose::STANDARD.encode(format!("GITHUB_TOKEN={pat}"));
    let twice =
        base64::engine::general_purpose::STANDARD.encode(format!("inner: {}", once.clone() + "\n"));
    let hex: String = format!("token={}", npm_token())
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    tree.write("values.yaml", format!("a: {once}\nb: {twice}\nc: {hex}\n"));
    let report = tree.scan_json(FINDINGS, &[]);
    let findings = report["findings"].as_array().unwrap();
    let summary: Vec<(String, u64, String)> = findings
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["decoded"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("github.pat-classic".to_string(), 1, "base64".to_string()),
            ("github.pat-classic".to_string(), 2, "base64".to_string()),
            ("npm.access-token".to_string(), 3, "hex".to_string()),
        ],
        "{report:#}"
    );
    assert_eq!(
        findings[0]["column"], 4,
        "the location is the encoded text's"
    );
    assert!(
        !serde_json::to_string(&report).unwrap().contains(&once),
        "the encoded secret is redacted too"
    );
    let off = tree.scan_json(CLEAN, &["--decode-depth", "0"]);
    assert!(off["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f.get("decoded").is_none()));
    let one_layer = tree.scan_json(FINDINGS, &["--decode-depth", "1"]);
    assert_eq!(
        one_layer["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["line"] == 2)
            .count(),
        0
    );
}

#[test]
fn percent_encoded_credentials_are_found() {
    let tree = TempTree::new();
    let secret = password();
    // A connection URI passed as a URL parameter: `:` `/` `@` are escaped, so no rule sees it raw.
    tree.write(
        "access.log",
        format!("GET /connect?dsn=postgres%3A%2F%2Fapp%3A{secret}%40db.internal%3A5432%2Fapp HTTP/1.1\n"),
    );
    let report = tree.scan_json(FINDINGS, &[]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["rule_id"], "database.postgres");
    assert_eq!(findings[0]["decoded"], "percent");
    assert!(!serde_json::to_string(&report).unwrap().contains(&secret));
    let off = tree.scan_json(CLEAN, &["--decode-depth", "0"]);
    assert_eq!(off["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn a_secret_split_across_joined_string_literals_is_found_whole() {
    let tree = TempTree::new();
    let pat = github_pat();
    let (head, tail) = pat.split_at(20);
    tree.write(
        "client.js",
        format!("const token =\n  \"{head}\" +\n  \"{tail}\";\n"),
    );
    tree.write("client.php", format!("$token = '{head}' . '{tail}';\n"));
    let report = tree.scan_json(FINDINGS, &["--show-secrets"]);
    let mut found: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["secret"].as_str().unwrap().to_string(),
                f["decoded"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "client.js".to_string(),
                pat.clone(),
                "concatenated".to_string()
            ),
            (
                "client.php".to_string(),
                pat.clone(),
                "concatenated".to_string()
            ),
        ],
        "{report:#}"
    );
}
