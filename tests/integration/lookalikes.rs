//! Things that look like secrets but are not give no finding.

use crate::util::*;

#[test]
fn lookalikes_give_nothing() {
    let tree = TempTree::new();
    tree.write(
        "package-lock.json",
        format!(
            "{{\n  \"packages\": {{\n    \"node_modules/left-pad\": {{\n      \"version\": \"1.3.0\",\n      \"resolved\": \"https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz\",\n      \"integrity\": \"sha512-{}==\"\n    }}\n  }}\n}}\n",
            base62(86)
        ),
    );
    tree.write(
        "Cargo.toml",
        format!(
            "[dependencies]\nfoo = {{ git = \"https://github.com/foo/foo\", rev = \"{}\" }}\n",
            hex(40)
        ),
    );
    tree.write(
        "ids.py",
        "USER_ID = \"550e8400-e29b-41d4-a716-446655440000\"\nrequest_id = uuid4()\nCOMMIT = \"3f786850e387550fdab836ed7e6dc881de23001b\"\n",
    );
    tree.write(
        "README.md",
        "Set `GITHUB_TOKEN=ghp_<your token>` or `export AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX`.\nA token looks like `ghp_` followed by 36 characters.\nUse `sk_live_...` keys in production.\n",
    );
    tree.write(
        "settings.py",
        "PASSWORD = os.environ[\"DB_PASSWORD\"]\napi_key = os.getenv(\"API_KEY\")\nsecret = \"${SECRET}\"\ntoken = \"<token>\"\npassword = \"changeme\"\nAPI_KEY = \"your_api_key_here\"\npassword: \"xxxxxxxxxxxx\"\nmax_tokens = 4096\ntokenizer = AutoTokenizer.from_pretrained(name)\npublic_key = load_key()\nmonkey = \"banana-banana\"\n",
    );
    tree.write(
        "logo.html",
        format!(
            "<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA{}\">\n",
            base62(400)
        ),
    );
    // Checksummed tokens with a wrong checksum are not tokens.
    tree.write(
        "tokens.txt",
        format!(
            "a = {}\nb = {}\n",
            with_bad_checksum(&github_pat()),
            with_bad_checksum(&npm_token())
        ),
    );
    let report = tree.scan_json(CLEAN, &[]);
    assert_eq!(
        found(&report),
        Vec::<(String, String, u64)>::new(),
        "{report:#}"
    );
}

#[test]
fn generic_assignments_of_fixture_shapes_and_lockfile_hashes_give_nothing() {
    let tree = TempTree::new();
    let fixtures = [
        "zaq12wsxcde34rfv",         // keyboard walk
        "1qaz2wsx3edc4rfv",         // keyboard walk down the columns
        "abab12abab12abab",         // low entropy for its class
        "a1a1b2b2a1b2b2a1",         // likewise
        "deadbeefdeadbeefdeadbeef", // a unit repeated
    ];
    let config: String = fixtures
        .iter()
        .map(|value| format!("api_key = \"{value}\"\n"))
        .collect();
    tree.write("config.py", &config);
    // Every hex digit twice, shuffled: 4 bits of entropy whatever the draw, so the generic rule
    // would report it anywhere else (a random `hex(32)` falls under its floor now and then).
    let mut digits = b"0123456789abcdef0123456789abcdef".to_vec();
    with_rng(|rng| rand::seq::SliceRandom::shuffle(digits.as_mut_slice(), rng));
    let lock_value = String::from_utf8(digits).unwrap();
    tree.write("poetry.lock", format!("api_key = \"{lock_value}\"\n"));
    let real = format!("{}{}", hex(16), base62(16));
    tree.write("settings.py", format!("api_key = \"{real}\"\n"));
    let report = tree.scan_json(FINDINGS, &[]);
    assert_eq!(
        found(&report),
        [("generic.api-key".into(), "settings.py".into(), 1)],
        "only the random value is a finding"
    );
    assert_eq!(
        report["stats"]["allowed"], 1,
        "the lockfile's value is allowlisted"
    );
}

/// Issue 17: credentials that vendors publish in their documentation are reported at `info`
/// and say so; a value one character away from them is an ordinary finding.
#[test]
fn published_documentation_examples_are_info_and_say_so() {
    // jwt.io's demo token and Stripe's documented test key, spelled in pieces.
    let jwt = [
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
        ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ]
    .concat();
    let stripe = ["sk_", "test_", "4eC39HqLyjWDarjtT1zdp7dc"].concat();
    let near = ["sk_", "test_", "4eC39HqLyjWDarjtT1zdp7dX"].concat();
    let tree = TempTree::new();
    tree.write(
        "docs.md",
        format!("token = \"{jwt}\"\nstripe.api_key = \"{stripe}\"\n"),
    );
    tree.write("app.py", format!("stripe.api_key = \"{near}\"\n"));
    let report = tree.scan_json(FINDINGS, &[]);
    let findings = report["findings"].as_array().unwrap();
    for finding in findings {
        let documented = finding["path"] == "docs.md";
        assert_eq!(
            finding["severity"] == "info",
            documented,
            "{}",
            finding["rule_id"]
        );
        assert_eq!(
            finding["validation"]["kind"] == "published-example",
            documented
        );
    }
    assert_eq!(findings.len(), 3, "{findings:?}");
}
