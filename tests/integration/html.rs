//! The HTML report: one self-contained file, escaped, with no secret in clear; and, in a real
//! browser (headless Chromium), a page that runs without a console error and whose filters
//! change the visible rows.

use std::path::{Path, PathBuf};

use crate::util::{github_pat, leakhound, password, stripe_live_key, TempTree, FINDINGS};

/// A tree with a GitHub token and a Stripe key (high), a password (medium), and a file whose
/// name is markup.
fn leaky_tree() -> (TempTree, Vec<String>) {
    let tree = TempTree::new();
    let secrets = vec![github_pat(), stripe_live_key(), password()];
    tree.write("config/app.env", format!("GITHUB_TOKEN={}\n", secrets[0]));
    tree.write(
        "billing/keys.py",
        format!("STRIPE_KEY = \"{}\"\n", secrets[1]),
    );
    tree.write(
        "db/<img src=x onerror=alert(1)>.env",
        format!("DB_PASSWORD={}\n", secrets[2]),
    );
    (tree, secrets)
}

/// `scan --format html` of `tree` into `report.html` beside it; returns the page.
fn html_report(tree: &TempTree) -> (PathBuf, String) {
    let out = tree.path().join("report.html");
    let output = leakhound()
        .current_dir(tree.path())
        .args([
            "scan", "config", "billing", "db", "--format", "html", "-q", "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(FINDINGS), "{output:?}");
    let page = std::fs::read_to_string(&out).unwrap();
    (out, page)
}

#[test]
fn the_html_report_is_self_contained_escaped_and_redacted() {
    let (tree, secrets) = leaky_tree();
    let (_, page) = html_report(&tree);
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("Content-Security-Policy\" content=\"default-src 'none';"));
    for secret in &secrets {
        assert!(!page.contains(secret.as_str()), "a secret in clear");
        assert!(
            !page.contains(&secret[4..16]),
            "a piece of a secret in clear"
        );
    }
    // Nothing is loaded from anywhere: a URL in an attribute is a link's `href` (the rules'
    // references); elsewhere it is text.
    let urls = page
        .match_indices("http://")
        .chain(page.match_indices("https://"));
    for (at, _) in urls {
        let before = &page[..at];
        if before.ends_with("=\"") || before.ends_with("='") {
            assert!(
                before.ends_with("href=\""),
                "a URL in an attribute other than a link's: {}",
                &page[at.saturating_sub(40)..(at + 40).min(page.len())]
            );
        }
    }
    for loader in [
        "<link rel=\"stylesheet\"",
        "<script src",
        "<img",
        "@import",
        "url(http",
    ] {
        assert!(!page.contains(loader), "{loader}");
    }
    // The markup in a file name is text, not markup.
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;.env"));
    assert_eq!(page.matches("<tbody class=\"finding\"").count(), 3);
    // Remediation: the standing advice, and a section per provider.
    assert!(page.contains("Revoke first."));
    for provider in ["github", "stripe", "generic"] {
        assert!(
            page.contains(&format!("id=\"fix-{provider}\"")),
            "{provider}"
        );
    }
}

/// Chromium, from `$CHROMIUM` or the usual places.
fn chromium() -> Option<PathBuf> {
    let candidates = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/usr/bin/chromium",
                "/usr/bin/chromium-browser",
                "/usr/bin/google-chrome",
            ]
            .iter()
            .map(PathBuf::from),
        );
    candidates.into_iter().find(|path| path.is_file())
}

/// The page's DOM after its script ran, opened at `fragment`, and Chromium's log.
fn render(browser: &Path, page: &Path, fragment: &str) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}{fragment}", page.display()))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The `(severity, path, hidden)` of each finding's rows in a rendered DOM.
fn rows(dom: &str) -> Vec<(String, String, bool)> {
    dom.match_indices("<tbody class=\"finding\"")
        .map(|(at, _)| {
            let tag = &dom[at..at + dom[at..].find('>').unwrap()];
            let attribute = |name: &str| {
                let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                tag[start..start + tag[start..].find('"').unwrap()].to_string()
            };
            (
                attribute("data-severity"),
                attribute("data-path"),
                tag.contains(" hidden"),
            )
        })
        .collect()
}

#[test]
fn the_html_report_runs_in_a_real_browser_and_its_filters_change_the_rows() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("LEAKHOUND_REQUIRE_BROWSER").is_none(),
            "LEAKHOUND_REQUIRE_BROWSER is set but no Chromium was found (set CHROMIUM)"
        );
        eprintln!("skipped: no Chromium here (CI installs it and sets LEAKHOUND_REQUIRE_BROWSER)");
        return;
    };
    let (tree, secrets) = leaky_tree();
    let (page, _) = html_report(&tree);
    let (dom, log) = render(&browser, &page, "");
    // The script ran (the count is its output) and said nothing on the console.
    assert!(dom.contains("3 of 3 shown"), "{dom}");
    assert!(!log.contains("CONSOLE"), "console output: {log}");
    assert!(!log.contains("Uncaught"), "{log}");
    assert!(rows(&dom).iter().all(|(_, _, hidden)| !hidden));
    for secret in &secrets {
        assert!(!dom.contains(secret.as_str()));
    }
    // A severity filter from the fragment hides the medium password.
    let (dom, log) = render(&browser, &page, "#severity=high");
    assert!(!log.contains("CONSOLE"), "{log}");
    let shown = rows(&dom);
    assert_eq!(shown.len(), 3);
    for (severity, path, hidden) in &shown {
        assert_eq!(*hidden, severity != "high", "{severity} {path}");
    }
    assert!(dom.contains("2 of 3 shown"));
    // A path filter keeps one row.
    let (dom, _) = render(&browser, &page, "#path=billing");
    let visible: Vec<_> = rows(&dom).into_iter().filter(|row| !row.2).collect();
    assert_eq!(visible.len(), 1, "{visible:?}");
    assert!(visible[0].1.starts_with("billing"));
    assert!(dom.contains("1 of 3 shown"));
}
