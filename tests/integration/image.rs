//! `leakhound image`: docker-save and OCI tarballs, every layer (deleted files too), the image
//! config, and clear errors for what is no image.

use crate::archives::{gzip, tar_of};
use crate::util::{found, github_pat, leakhound, password, stripe_live_key, TempTree, FINDINGS};

/// `leakhound image FILE --format json` in `tree`; asserts `code`, returns the findings as
/// `(rule, path)`.
#[track_caller]
fn image_findings(tree: &TempTree, file: &str, code: i32) -> Vec<(String, String)> {
    let output = leakhound()
        .current_dir(tree.path())
        .args(["image", file, "--format", "json", "-q"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(code), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    found(&report)
        .into_iter()
        .map(|(rule, path, _)| (rule, path))
        .collect()
}

/// Two layers (the first gzipped, with a token the second deletes) and a config whose `Env`
/// holds a password.
fn layers_and_config() -> (Vec<u8>, Vec<u8>, Vec<u8>, String) {
    let token = github_pat();
    let base = gzip(&tar_of(&[
        (
            "etc/app/config.env",
            format!("GITHUB_TOKEN={token}\n").as_bytes(),
        ),
        ("usr/bin/tool", b"\x7fELF\x00\x01\x02"),
    ]));
    let top = tar_of(&[
        ("etc/app/.wh.config.env", b""),
        (
            "srv/billing.py",
            format!("STRIPE_KEY = \"{}\"\n", stripe_live_key()).as_bytes(),
        ),
    ]);
    let config = serde_json::json!({
        "config": { "Env": ["PATH=/usr/bin", format!("DB_PASSWORD={}", password())] },
        "history": [{ "created_by": "/bin/sh -c #(nop) WORKDIR /srv" }],
    });
    (base, top, serde_json::to_vec(&config).unwrap(), token)
}

#[test]
fn a_docker_save_tarball_is_scanned_layer_by_layer_deleted_files_included() {
    let tree = TempTree::new();
    let (base, top, config, token) = layers_and_config();
    let manifest = serde_json::json!([{
        "Config": "abc123.json",
        "RepoTags": ["acme/app:1.0"],
        "Layers": ["1111/layer.tar", "2222/layer.tar"],
    }]);
    let manifest = serde_json::to_vec(&manifest).unwrap();
    tree.write(
        "app.tar",
        tar_of(&[
            ("manifest.json", &manifest),
            ("abc123.json", &config),
            ("1111/layer.tar", &base),
            ("2222/layer.tar", &top),
        ]),
    );
    assert_eq!(
        image_findings(&tree, "app.tar", FINDINGS),
        [
            ("generic.password".to_string(), "app.tar!config".to_string()),
            (
                "github.pat-classic".to_string(),
                "app.tar!layer-1@1111!etc/app/config.env".to_string()
            ),
            (
                "stripe.secret-key".to_string(),
                "app.tar!layer-2@2222!srv/billing.py".to_string()
            ),
        ]
    );
    // Redacted like every report.
    let output = leakhound()
        .current_dir(tree.path())
        .args(["image", "app.tar"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stdout).contains(&token));
    assert!(String::from_utf8_lossy(&output.stderr).contains("acme/app:1.0: 2 layers"));
}

#[test]
fn an_oci_layout_tarball_is_read_through_its_index() {
    let tree = TempTree::new();
    let (base, top, config, _) = layers_and_config();
    let digest = |name: &str| format!("sha256:{}", name.repeat(64 / name.len()));
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "config": { "digest": digest("c"), "mediaType": "application/vnd.oci.image.config.v1+json" },
        "layers": [{ "digest": digest("a") }, { "digest": digest("b") }],
    });
    let index = serde_json::json!({ "schemaVersion": 2, "manifests": [{ "digest": digest("d") }] });
    let blob = |name: &str| format!("blobs/sha256/{}", name.repeat(64 / name.len()));
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let index = serde_json::to_vec(&index).unwrap();
    tree.write(
        "oci.tar",
        tar_of(&[
            ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
            ("index.json", &index),
            (&blob("d"), &manifest),
            (&blob("c"), &config),
            (&blob("a"), &base),
            (&blob("b"), &top),
        ]),
    );
    let found = image_findings(&tree, "oci.tar", FINDINGS);
    let paths: Vec<&str> = found.iter().map(|(_, path)| path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "oci.tar!config",
            "oci.tar!layer-1@sha256:aaaaaaaaaaaa!etc/app/config.env",
            "oci.tar!layer-2@sha256:bbbbbbbbbbbb!srv/billing.py"
        ]
    );
}

#[test]
fn what_is_no_image_is_a_one_line_error() {
    let tree = TempTree::new();
    tree.write("plain.tar", tar_of(&[("README", b"hello\n")]));
    tree.write("text.txt", "not a tar at all, just some words\n".repeat(20));
    for (file, message) in [
        ("plain.tar", "not a container image"),
        ("text.txt", "not a readable tar archive"),
        ("missing.tar", "cannot read"),
    ] {
        let output = leakhound()
            .current_dir(tree.path())
            .args(["image", file])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{file}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{file}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
