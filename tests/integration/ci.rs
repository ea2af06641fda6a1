//! The CI gate: SARIF (validated against the 2.1.0 schema), CSV, JUnit, GitHub annotations,
//! --fail-on, and pull-request auto-detection.

use crate::util::*;

fn sarif_schema() -> jsonschema::Validator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sarif-schema-2.1.0.json");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display())),
    )
    .unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid_sarif(validator: &jsonschema::Validator, text: &str) -> serde_json::Value {
    let document: serde_json::Value = serde_json::from_str(text).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    document
}

fn run_format(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let output = leakhound().current_dir(dir).args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn sarif_is_valid_for_zero_one_and_many_findings_and_for_history() {
    let validator = sarif_schema();
    let tree = TempTree::new();
    tree.write("clean.txt", "nothing\n");
    let (code, zero) = run_format(tree.path(), &["scan", "--format", "sarif"]);
    assert_eq!(code, Some(0));
    let zero = assert_valid_sarif(&validator, &zero);
    assert_eq!(zero["runs"][0]["results"].as_array().unwrap().len(), 0);
    assert_eq!(zero["runs"][0]["invocations"][0]["exitCode"], 0);

    let pat = github_pat();
    tree.write("one.py", format!("TOKEN = \"{pat}\"\n"));
    let (code, one) = run_format(tree.path(), &["scan", "--format", "sarif"]);
    assert_eq!(code, Some(1));
    assert!(!one.contains(&pat), "redacted by default");
    let one = assert_valid_sarif(&validator, &one);
    let result = &one["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "github.pat-classic");
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "one.py"
    );
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (
            region["startLine"].as_u64(),
            region["startColumn"].as_u64(),
            region["endColumn"].as_u64()
        ),
        (Some(1), Some(10), Some(50))
    );
    assert_eq!(one["runs"][0]["invocations"][0]["exitCode"], 1);
    let rule = &one["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(rule["id"], "github.pat-classic");
    assert!(rule["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("https://"));
    assert_eq!(rule["properties"]["security-severity"], "8.0");

    tree.write(
        "many.env",
        format!(
            "A={}\nB={}\nC={}\nD={}\n",
            github_pat(),
            aws_key_id(),
            slack_bot_token(),
            npm_token()
        ),
    );
    let (code, many) = run_format(tree.path(), &["scan", "--format", "sarif"]);
    assert_eq!(code, Some(1));
    let many = assert_valid_sarif(&validator, &many);
    let results = many["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    let rules = many["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ids: std::collections::HashSet<&str> =
        rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), rules.len(), "one descriptor per rule that fired");
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }

    let mut repo = TempRepo::new();
    repo.commit_file("a.env", format!("TOKEN={}\n", github_pat()), "leak");
    // No remote: no web URI for the repository, so no provenance (SARIF requires the URI).
    let (code, history) = run_format(repo.path(), &["history", "--format", "sarif"]);
    assert_eq!(code, Some(1));
    let history = assert_valid_sarif(&validator, &history);
    assert!(history["runs"][0].get("versionControlProvenance").is_none());
    repo.repo
        .remote("origin", "git@github.com:owner/repo.git")
        .unwrap();
    let (code, history) = run_format(repo.path(), &["history", "--format", "sarif"]);
    assert_eq!(code, Some(1));
    let history = assert_valid_sarif(&validator, &history);
    let run = &history["runs"][0];
    let provenance = &run["versionControlProvenance"][0];
    assert_eq!(provenance["repositoryUri"], "https://github.com/owner/repo");
    assert_eq!(provenance["revisionId"].as_str().unwrap().len(), 40);
    assert_eq!(
        run["results"][0]["properties"]["commit"]["author"],
        "Ada Lovelace"
    );
}

#[test]
fn partial_fingerprints_are_stable_across_runs_and_line_moves() {
    let tree = TempTree::new();
    let pat = github_pat();
    tree.write("a.py", format!("T = \"{pat}\"\n"));
    let fingerprint = |tree: &TempTree| {
        let (code, text) = run_format(tree.path(), &["scan", "--format", "sarif"]);
        assert_eq!(code, Some(1));
        let document: serde_json::Value = serde_json::from_str(&text).unwrap();
        document["runs"][0]["results"][0]["partialFingerprints"]["leakhound/v2"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let first = fingerprint(&tree);
    assert_eq!(first, fingerprint(&tree));
    tree.write("a.py", format!("import os\n\nT = \"{pat}\"\n"));
    assert_eq!(first, fingerprint(&tree));
}

#[test]
fn csv_is_rfc_4180_with_formula_cells_defused() {
    let tree = TempTree::new();
    tree.write("=HYPERLINK(1).txt", format!("-cmd {}\n", github_pat()));
    let (code, text) = run_format(tree.path(), &["scan", "--format", "csv"]);
    assert_eq!(code, Some(1));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "rule_id");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[0][column("path")], "'=HYPERLINK(1).txt");
    assert!(
        rows[0][column("snippet")].starts_with("'-cmd ghp_****(40)"),
        "{:?}",
        &rows[0]
    );
    assert!(text.contains("\r\n"));
}

#[test]
fn junit_parses_as_xml() {
    let tree = TempTree::new();
    tree.write("a<b>&.txt", format!("{}\n{}\n", github_pat(), aws_key_id()));
    let (code, text) = run_format(tree.path(), &["scan", "--format", "junit"]);
    assert_eq!(code, Some(1));
    let mut reader = quick_xml::Reader::from_str(&text);
    let (mut cases, mut failures) = (0, 0);
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    b"testcase" => cases += 1,
                    b"failure" => failures += 1,
                    _ => {}
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!((cases, failures), (2, 2), "{text}");
    let clean = TempTree::new();
    clean.write("a.txt", "nothing\n");
    let (code, text) = run_format(clean.path(), &["scan", "--format", "junit"]);
    assert_eq!(code, Some(0));
    assert!(text.contains("no secrets found") && text.contains("failures=\"0\""));
}

#[test]
fn github_annotations_are_escaped() {
    let tree = TempTree::new();
    tree.write("a,b:c.txt", format!("{}\n", github_pat()));
    let (code, text) = run_format(tree.path(), &["scan", "--format", "github"]);
    assert_eq!(code, Some(1));
    let line = text.lines().next().unwrap();
    assert!(
        line.starts_with("::error file=a%2Cb%3Ac.txt,line=1,col=1,endLine=1,endColumn=41,title=leakhound github.pat-classic::"),
        "{line}"
    );
    assert_eq!(text.lines().count(), 1);
}

#[test]
fn fail_on_gates_by_severity() {
    let tree = TempTree::new();
    // A Stripe test key is low severity; a GitHub token is high.
    tree.write("low.txt", format!("STRIPE=sk_test_{}\n", base62(32)));
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(report["findings"][0]["severity"], "low", "{report:#}");
    leakhound()
        .current_dir(tree.path())
        .args(["scan", "--fail-on", "high"])
        .assert()
        .code(0);
    leakhound()
        .current_dir(tree.path())
        .args(["scan", "--fail-on", "low"])
        .assert()
        .code(1);
    tree.write("high.txt", format!("{}\n", github_pat()));
    leakhound()
        .current_dir(tree.path())
        .args(["scan", "--fail-on", "high"])
        .assert()
        .code(1);
    leakhound()
        .current_dir(tree.path())
        .args(["scan", "--fail-on", "critical"])
        .assert()
        .code(0);
    leakhound()
        .current_dir(tree.path())
        .args(["scan", "--fail-on", "bogus"])
        .assert()
        .code(2);
}

#[test]
fn history_detects_a_pull_request_from_the_ci_environment() {
    let mut repo = TempRepo::new();
    repo.commit_file(
        "old.env",
        format!("OLD={}\n", github_pat()),
        "old secret on the base branch",
    );
    repo.branch("feature");
    repo.commit_file(
        "new.env",
        format!("NEW={}\n", github_pat()),
        "the pull request",
    );
    let output = leakhound()
        .current_dir(repo.path())
        .args(["history", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_BASE_REF", "master")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("CI pull request detected (GITHUB_BASE_REF)"),
        "{stderr}"
    );
    let report = json_with_code(&output, FINDINGS, &[]);
    assert_eq!(
        found(&report),
        [("github.pat-classic".to_string(), "new.env".to_string(), 1)]
    );

    let base = repo
        .repo
        .revparse_single("master")
        .unwrap()
        .id()
        .to_string();
    let gitlab = leakhound()
        .current_dir(repo.path())
        .args(["history", "--format", "json"])
        .env("GITLAB_CI", "true")
        .env("CI_MERGE_REQUEST_DIFF_BASE_SHA", &base)
        .output()
        .unwrap();
    let report = json_with_code(&gitlab, FINDINGS, &[]);
    assert_eq!(found(&report).len(), 1);

    let full = leakhound()
        .current_dir(repo.path())
        .args(["history", "--full-history", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_BASE_REF", "master")
        .output()
        .unwrap();
    let report = json_with_code(&full, FINDINGS, &[]);
    assert_eq!(found(&report).len(), 2);
}

#[cfg(unix)]
#[test]
fn the_action_gate_script_runs_locally() {
    let validator = sarif_schema();
    let mut repo = TempRepo::new();
    repo.commit_file("README.md", "base\n", "base");
    repo.branch("feature");
    repo.commit_file(
        "app.env",
        format!("TOKEN={}\n", github_pat()),
        "adds a secret",
    );
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("action/gate.sh");
    let outputs = repo.path().join("github-output.txt");
    let run = |base: &str| {
        std::process::Command::new("bash")
            .arg(&script)
            .current_dir(repo.path())
            .env("LEAKHOUND", env!("CARGO_BIN_EXE_leakhound"))
            .env("INPUT_BASE", base)
            .env("INPUT_FAIL_ON", "high")
            .env("GITHUB_OUTPUT", &outputs)
            .env_remove("GITHUB_ACTIONS")
            .output()
            .unwrap()
    };
    let output = run("master");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("::error file=app.env,line=1"), "{stdout}");
    let sarif = std::fs::read_to_string(repo.path().join("leakhound.sarif")).unwrap();
    let document = assert_valid_sarif(&validator, &sarif);
    assert_eq!(document["runs"][0]["results"].as_array().unwrap().len(), 1);
    let written = std::fs::read_to_string(&outputs).unwrap();
    assert!(
        written.contains("sarif=leakhound.sarif") && written.contains("exit-code=1"),
        "{written}"
    );

    // Nothing added since HEAD: the gate passes.
    let output = run("HEAD");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[cfg(unix)]
#[test]
fn the_action_gate_splits_args_as_a_shell_would() {
    let mut repo = TempRepo::new();
    repo.commit_file("README.md", "base\n", "base");
    repo.branch("feature");
    repo.commit_file(
        "app.env",
        format!("TOKEN={}\n", github_pat()),
        "adds a secret",
    );
    // A config whose path has a space, allowing the secret: found only if the quoted path
    // arrives as one argument.
    std::fs::write(
        repo.path().join("ci config.toml"),
        "[allowlist]\npaths = [\"app.env\"]\n",
    )
    .unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("action/gate.sh");
    let run = |args: &str| {
        std::process::Command::new("bash")
            .arg(&script)
            .current_dir(repo.path())
            .env("LEAKHOUND", env!("CARGO_BIN_EXE_leakhound"))
            .env("INPUT_BASE", "master")
            .env("INPUT_ARGS", args)
            .env_remove("GITHUB_OUTPUT")
            .env_remove("GITHUB_ACTIONS")
            .output()
            .unwrap()
    };
    for args in [
        r#"--config "ci config.toml""#,
        "--config 'ci config.toml' --max-file-size 1000",
        r"--config ci\ config.toml",
    ] {
        let output = run(args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // Nothing in the input is expanded or run.
    let output = run("--config \"$(touch pwned)\"");
    assert_eq!(output.status.code(), Some(2));
    assert!(!repo.path().join("pwned").exists());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("$(touch pwned): cannot read config"),
        "{stderr}"
    );
    let stderr = String::from_utf8_lossy(&run("$HOME *").stderr).into_owned();
    assert!(stderr.contains("unexpected argument '*'"), "{stderr}");
    // Bad quoting is one clear error.
    let output = run("--config 'ci config.toml");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("leakhound: error: cannot split the args input"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn the_action_cache_key_follows_the_build() {
    let action = TempTree::new();
    for file in [
        "src/main.rs",
        "patterns/a.toml",
        "hooks/pre-commit",
        "build.rs",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        action.write(file, "one\n");
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("action/cache-key.sh");
    let key = |version: &str, arch: &str| {
        let output = std::process::Command::new("bash")
            .arg(&script)
            .env("ACTION_PATH", action.path())
            .env("INPUT_VERSION", version)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", arch)
            .env("ImageOS", "ubuntu24")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.starts_with("key=leakhound-Linux-"), "{text}");
        assert_eq!(text.lines().count(), 1);
        text
    };
    let first = key("", "X64");
    assert_eq!(first, key("", "X64"), "the same source gives the same key");
    assert_ne!(
        first,
        key("", "ARM64"),
        "the architecture is part of the key"
    );
    action.write("src/main.rs", "two\n");
    let upgraded = key("", "X64");
    assert_ne!(first, upgraded, "a changed source is a new build");
    assert!(upgraded.contains("ubuntu24-source-"), "{upgraded}");
    assert_eq!(
        key("0.2.0", "X64").trim(),
        "key=leakhound-Linux-X64-ubuntu24-crates-0.2.0"
    );
    assert_ne!(key("0.2.0", "X64"), key("0.3.0", "X64"));
}

#[test]
fn the_action_passes_inputs_through_the_environment() {
    let action = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml"),
    )
    .unwrap();
    let mut in_run = false;
    for line in action.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("run:") {
            in_run = true;
        } else if !line.starts_with("        ") && !trimmed.is_empty() {
            in_run = false;
        }
        // No `${{ }}` inside a script: an input could become shell code.
        assert!(
            !(in_run && line.contains("${{")),
            "expression in a script: {line}"
        );
    }
    assert!(
        !action.contains("hashFiles("),
        "the cache key must identify the build"
    );
    assert!(action.contains("key: ${{ steps.build.outputs.key }}"));
}

#[test]
fn the_examples_upload_sarif_always_and_offer_both_hooks() {
    let read = |path: &str| {
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
            .unwrap()
    };
    let github = read("examples/github/leakhound.yml");
    // The upload step runs even when the gate failed.
    let upload = github
        .find("uses: github/codeql-action/upload-sarif")
        .unwrap();
    let always = github.find("- if: always()").unwrap();
    assert!(always < upload && !github[always + 2..upload].contains("- "));
    assert!(github.contains("fetch-depth: 0"));
    assert!(github.contains("steps.leakhound.outputs.sarif"));
    let gitlab = read("examples/gitlab/.gitlab-ci.yml");
    assert!(gitlab.contains("junit: leakhound-junit.xml"));
    let pre_commit = read("examples/pre-commit/.pre-commit-config.yaml");
    assert!(pre_commit.contains("id: leakhound\n"));
    assert!(pre_commit.contains("id: leakhound-files"));
}

#[test]
fn confidence_is_reported_and_min_confidence_filters() {
    let tree = TempTree::new();
    // A checksum-verified token (high), a vendor shape without a checksum (medium) and a
    // generic assignment (low).
    tree.write("checked.txt", format!("{}\n", github_pat()));
    tree.write("shaped.txt", format!("key = {}\n", anthropic_key()));
    tree.write("generic.env", format!("DB_PASSWORD={}\n", password()));
    let report = tree.scan_json(FINDINGS, &[]);
    let confidence_of = |report: &serde_json::Value, path: &str| -> Option<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(path)))
            .map(|f| f["confidence"].as_str().unwrap().to_string())
    };
    assert_eq!(
        confidence_of(&report, "checked.txt").as_deref(),
        Some("high"),
        "{report:#}"
    );
    assert_eq!(
        confidence_of(&report, "shaped.txt").as_deref(),
        Some("medium"),
        "{report:#}"
    );
    assert_eq!(
        confidence_of(&report, "generic.env").as_deref(),
        Some("low"),
        "{report:#}"
    );

    let medium = tree.scan_json(FINDINGS, &["--min-confidence", "medium"]);
    assert_eq!(confidence_of(&medium, "generic.env"), None, "{medium:#}");
    assert!(confidence_of(&medium, "shaped.txt").is_some());
    assert_eq!(medium["stats"]["below_min_confidence"], 1, "{medium:#}");
    let high = tree.scan_json(FINDINGS, &["--min-confidence", "high"]);
    assert_eq!(high["findings"].as_array().unwrap().len(), 1, "{high:#}");
    assert!(confidence_of(&high, "checked.txt").is_some());

    // Only what is reported fails the gate.
    tree.write("checked.txt", "clean\n");
    leakhound()
        .current_dir(tree.path())
        .args(["scan", "--min-confidence", "high"])
        .assert()
        .code(0);
    leakhound()
        .current_dir(tree.path())
        .args(["scan", "--min-confidence", "certain"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown confidence"));

    // SARIF carries it as the result's rank and the rule's precision.
    let (_, sarif) = run_format(tree.path(), &["scan", "--format", "sarif"]);
    let sarif = assert_valid_sarif(&sarif_schema(), &sarif);
    let run = &sarif["runs"][0];
    for result in run["results"].as_array().unwrap() {
        let rule = &run["tool"]["driver"]["rules"][result["ruleIndex"].as_u64().unwrap() as usize];
        let (rank, precision) = match result["properties"]["confidence"].as_str().unwrap() {
            "medium" => (60.0, "high"),
            "low" => (30.0, "medium"),
            other => panic!("unexpected confidence {other}"),
        };
        assert_eq!(result["rank"].as_f64(), Some(rank), "{result:#}");
        assert_eq!(rule["properties"]["precision"], precision, "{rule:#}");
    }
}

#[test]
fn a_key_block_that_fails_its_structure_check_is_reported_at_low_confidence() {
    let tree = TempTree::new();
    let key = pem_private_key();
    tree.write("whole.pem", &key);
    // Cut short: the last lines of the body are gone, as in a key pasted half-way.
    let lines: Vec<&str> = key.lines().collect();
    let cut = [&lines[..lines.len() - 4], &lines[lines.len() - 1..]]
        .concat()
        .join("\n");
    tree.write("cut.pem", cut + "\n");
    tree.write(
        "placeholder.pem",
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n",
    );
    let report = tree.scan_json(FINDINGS, &[]);
    let mut seen: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["confidence"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("cut.pem".to_string(), "low".to_string()),
            ("whole.pem".to_string(), "high".to_string())
        ],
        "{report:#}"
    );
}

#[test]
fn a_prefix_several_vendors_share_is_one_finding_naming_the_others() {
    let tree = TempTree::new();
    // `sk_live_` is Stripe's prefix and PayMongo's: next to PayMongo's name, PayMongo reports
    // the key and names Stripe as the other format it fits.
    tree.write(
        "pay.yaml",
        format!("paymongo:\n  secret_key: sk_live_{}\n", base62(24)),
    );
    let report = tree.scan_json(FINDINGS, &[]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["rule_id"], "paymongo.secret-key");
    assert_eq!(
        findings[0]["candidates"],
        serde_json::json!(["stripe.secret-key"])
    );
    // A key only one vendor's rule takes names no other.
    tree.write("pay.yaml", format!("STRIPE_KEY=sk_live_{}\n", base62(40)));
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(
        report["findings"][0]["rule_id"], "stripe.secret-key",
        "{report:#}"
    );
    assert!(
        report["findings"][0].get("candidates").is_none(),
        "{report:#}"
    );
}
