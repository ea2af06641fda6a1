//! Shared helpers. Fake tokens are made here at run time (random, with valid checksums where
//! the format has one), so no token-shaped literal sits in the test sources.
//!
//! Random data is replayable: every test draws from its own generator, seeded from the run's
//! seed and the test's name. The seed is `LEAKHOUND_TEST_SEED` if set, else random, and a failing
//! test prints it (`LEAKHOUND_TEST_SEED=<seed> cargo test <name>` gives it the same data again).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng as _};

/// `leakhound` with a clean environment for colours.
pub fn leakhound() -> Command {
    let mut cmd = Command::cargo_bin("leakhound").expect("the leakhound binary is built");
    cmd.env("NO_COLOR", "1");
    // Tests decide for themselves whether they run "in CI" (pull-request auto-detection).
    for variable in [
        "GITHUB_ACTIONS",
        "GITHUB_BASE_REF",
        "GITLAB_CI",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA",
    ] {
        cmd.env_remove(variable);
    }
    cmd
}

/// A temporary directory with helpers to write files into it.
pub struct TempTree {
    pub dir: tempfile::TempDir,
}

impl TempTree {
    pub fn new() -> TempTree {
        TempTree {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `content` to `rel` (creating parent directories) and returns the full path.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, content).unwrap();
        path
    }

    /// `leakhound scan --format json <args>` run in the tree, which must exit with `code`
    /// ([`CLEAN`] or [`FINDINGS`]); returns the parsed document.
    #[track_caller]
    pub fn scan_json(&self, code: i32, args: &[&str]) -> serde_json::Value {
        TempTree::scan_json_in(code, self.path(), args)
    }

    /// [`TempTree::scan_json`] run in `dir`.
    #[track_caller]
    pub fn scan_json_in(code: i32, dir: &Path, args: &[&str]) -> serde_json::Value {
        let output = leakhound()
            .current_dir(dir)
            .args(["scan", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        json_with_code(&output, code, args)
    }
}

/// The exit code of a scan that found nothing (above `--fail-on`, outside the baseline).
pub const CLEAN: i32 = 0;
/// The exit code of a scan with findings.
pub const FINDINGS: i32 = 1;

/// The JSON report on `output`'s stdout, after checking that the command exited with `code`.
#[track_caller]
pub fn json_with_code(
    output: &std::process::Output,
    code: i32,
    args: &[&str],
) -> serde_json::Value {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("valid JSON output")
}

/// `leakhound scan` in `dir`, which must fail with exit code 2 and a one-line message; returns
/// the message.
pub fn scan_error(dir: &Path) -> String {
    let output = leakhound().current_dir(dir).arg("scan").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

/// `(rule_id, path, line)` for every finding of a json report, sorted.
pub fn found(report: &serde_json::Value) -> Vec<(String, String, u64)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const LOWER_ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const HEX: &[u8] = b"0123456789abcdef";

/// This run's seed: `LEAKHOUND_TEST_SEED` if set, else random. The first call installs a panic
/// hook that prints it with every failure.
pub fn seed() -> u64 {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| {
        let seed = match std::env::var("LEAKHOUND_TEST_SEED") {
            Ok(value) => value
                .trim()
                .parse()
                .expect("LEAKHOUND_TEST_SEED is an unsigned integer"),
            Err(_) => rand::random(),
        };
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            previous(info);
            #[allow(
                clippy::print_stderr,
                reason = "the seed goes with the failure message"
            )]
            {
                eprintln!("random test data: LEAKHOUND_TEST_SEED={seed} replays it");
            }
        }));
        seed
    })
}

thread_local! {
    /// The test's generator (libtest runs each test on a thread named after it).
    static RNG: std::cell::RefCell<Option<StdRng>> = const { std::cell::RefCell::new(None) };
}

/// A generator for `seed` and `name`, the same on every run and machine.
fn generator(seed: u64, name: &str) -> StdRng {
    StdRng::seed_from_u64(seed ^ u64::from(crc32fast::hash(name.as_bytes())).rotate_left(32))
}

/// Runs `f` with the test's generator (made on first use from [`seed`] and the thread's name).
pub fn with_rng<T>(f: impl FnOnce(&mut StdRng) -> T) -> T {
    RNG.with(|cell| {
        let mut slot = cell.borrow_mut();
        let rng = slot.get_or_insert_with(|| {
            let thread = std::thread::current();
            generator(seed(), thread.name().unwrap_or("unnamed"))
        });
        f(rng)
    })
}

/// Makes the rest of this test's random data fixed: the same on every run, whatever the seed
/// (for snapshots).
pub fn fixed_seed(seed: u64) {
    RNG.with(|cell| *cell.borrow_mut() = Some(generator(seed, "fixed")));
}

/// `n` random characters from `alphabet`, guaranteed to mix at least two classes when the
/// alphabet allows (so entropy floors are met).
pub fn random(alphabet: &[u8], n: usize) -> String {
    with_rng(|rng| {
        (0..n)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
            .collect()
    })
}

pub fn base62(n: usize) -> String {
    random(BASE62, n)
}

pub fn hex(n: usize) -> String {
    random(HEX, n)
}

pub fn lower_alnum(n: usize) -> String {
    random(LOWER_ALNUM, n)
}

/// `value` in base62 (`0-9A-Za-z`), zero-padded to `width` digits: the checksum GitHub's and
/// npm's tokens end with. The one copy the tests use (benches use the library's own).
pub fn base62_number(mut value: u32, width: usize) -> String {
    let mut digits = Vec::new();
    while value > 0 {
        digits.push(BASE62[(value % 62) as usize]);
        value /= 62;
    }
    digits.resize(width.max(digits.len()), b'0');
    digits.reverse();
    String::from_utf8(digits).unwrap()
}

/// `prefix` + 30 random base62 + the 6-char base62 CRC32 of those 30 (GitHub classic, npm).
pub fn crc_token(prefix: &str) -> String {
    let body = base62(30);
    let checksum = base62_number(crc32fast::hash(body.as_bytes()), 6);
    format!("{prefix}{body}{checksum}")
}

pub fn github_pat() -> String {
    crc_token("ghp_")
}

pub fn npm_token() -> String {
    crc_token("npm_")
}

/// A token whose checksum is wrong.
pub fn with_bad_checksum(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] = if bytes[last] == b'a' { b'b' } else { b'a' };
    String::from_utf8(bytes).unwrap()
}

pub fn aws_key_id() -> String {
    format!("AKIA{}", random(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))
}

pub fn slack_bot_token() -> String {
    format!(
        "xoxb-{}-{}-{}",
        random(b"0123456789", 12),
        random(b"0123456789", 13),
        base62(24)
    )
}

pub fn slack_webhook() -> String {
    format!(
        "https://hooks.slack.com/services/T{}/B{}/{}",
        random(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10),
        random(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10),
        base62(24)
    )
}

pub fn stripe_live_key() -> String {
    format!("sk_live_{}", base62(99))
}

pub fn google_api_key() -> String {
    format!(
        "AIza{}",
        random(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
            35
        )
    )
}

pub fn openai_project_key() -> String {
    let part = || {
        random(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
            74,
        )
    };
    format!("sk-proj-{}T3BlbkFJ{}", part(), part())
}

pub fn anthropic_key() -> String {
    let body = random(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
        93,
    );
    format!("sk-ant-api03-{body}AA")
}

pub fn sendgrid_key() -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    format!("SG.{}.{}", random(alphabet, 22), random(alphabet, 43))
}

pub fn huggingface_token() -> String {
    format!(
        "hf_{}",
        random(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 34)
    )
}

pub fn gitlab_pat() -> String {
    format!(
        "glpat-{}",
        random(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
            20
        )
    )
}

pub fn digitalocean_token() -> String {
    format!("dop_v1_{}", hex(64))
}

pub fn jwt() -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"{}","iat":1700000000}}"#, hex(12)));
    let signature = URL_SAFE_NO_PAD.encode(with_rng(|rng| rng.random::<[u8; 32]>()));
    format!("{header}.{payload}.{signature}")
}

/// An RSA-looking PEM private key with a random body (not a real key).
pub fn pem_private_key() -> String {
    // A DER SEQUENCE header, as every PKCS#1 key body starts (base64 `MIIE`), then noise.
    let mut body = vec![
        0x30, 0x82, 0x04, 0xa2, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00,
    ];
    body.extend(with_rng(|rng| {
        (0..1178).map(|_| rng.random::<u8>()).collect::<Vec<u8>>()
    }));
    let encoded = STANDARD.encode(body);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

/// A password that passes entropy floors and the placeholder filter.
pub fn password() -> String {
    format!("{}!{}-{}", base62(6), random(b"0123456789", 2), base62(6))
}

/// A temporary git repository driven through git2 (no `git` binary needed).
pub struct TempRepo {
    pub tree: TempTree,
    pub repo: git2::Repository,
    time: i64,
}

impl TempRepo {
    pub fn new() -> TempRepo {
        let tree = TempTree::new();
        let repo = git2::Repository::init(tree.path()).unwrap();
        TempRepo {
            tree,
            repo,
            time: 1_700_000_000,
        }
    }

    pub fn path(&self) -> &Path {
        self.tree.path()
    }

    /// Writes a file in the work tree and stages it.
    pub fn stage(&self, rel: &str, content: impl AsRef<[u8]>) {
        self.tree.write(rel, content);
        let mut index = self.repo.index().unwrap();
        index.add_path(Path::new(rel)).unwrap();
        index.write().unwrap();
    }

    /// Removes a file from the work tree and the index.
    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).unwrap();
        let mut index = self.repo.index().unwrap();
        index.remove_path(Path::new(rel)).unwrap();
        index.write().unwrap();
    }

    /// Commits the index on HEAD; returns the commit id.
    pub fn commit(&mut self, message: &str) -> git2::Oid {
        self.time += 3600;
        let signature = git2::Signature::new(
            "Ada Lovelace",
            "ada@example.com",
            &git2::Time::new(self.time, 60),
        )
        .unwrap();
        let mut index = self.repo.index().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let parents: Vec<git2::Commit> = match self.repo.head() {
            Ok(head) => vec![head.peel_to_commit().unwrap()],
            Err(_) => vec![],
        };
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        self.repo
            .commit(
                Some("HEAD"),
                &signature,
                &signature,
                message,
                &tree,
                &parents,
            )
            .unwrap()
    }

    /// Writes, stages and commits one file.
    pub fn commit_file(
        &mut self,
        rel: &str,
        content: impl AsRef<[u8]>,
        message: &str,
    ) -> git2::Oid {
        self.stage(rel, content);
        self.commit(message)
    }

    /// Creates a branch at HEAD and checks it out (index and HEAD only).
    pub fn branch(&self, name: &str) {
        let head = self.repo.head().unwrap().peel_to_commit().unwrap();
        self.repo.branch(name, &head, false).unwrap();
        self.repo.set_head(&format!("refs/heads/{name}")).unwrap();
    }

    /// Moves HEAD to an existing branch and resets the index and work tree to it.
    pub fn checkout(&self, name: &str) {
        self.repo.set_head(&format!("refs/heads/{name}")).unwrap();
        self.repo
            .checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
            .unwrap();
    }

    /// The id of the object `spec` names (`HEAD:file.txt`) and the path of its loose file,
    /// made writable so that a test can damage it.
    pub fn loose_object(&self, spec: &str) -> (String, PathBuf) {
        let id = self.repo.revparse_single(spec).unwrap().id().to_string();
        let path = self
            .path()
            .join(".git/objects")
            .join(&id[..2])
            .join(&id[2..]);
        make_writable(&path);
        (id, path)
    }

    /// A repository whose one leak (returned) is in a commit no ref reaches any more: made on a
    /// branch that was then deleted, reflogs too, as a force-push on a server leaves things.
    pub fn with_unreachable_leak() -> (TempRepo, String) {
        let mut repo = TempRepo::new();
        repo.commit_file("a.txt", "a\n", "a");
        repo.branch("doomed");
        let pat = github_pat();
        repo.commit_file("leak.txt", format!("{pat}\n"), "leak");
        repo.checkout("master");
        repo.repo
            .find_branch("doomed", git2::BranchType::Local)
            .unwrap()
            .delete()
            .unwrap();
        let _ = std::fs::remove_dir_all(repo.path().join(".git/logs"));
        (repo, pat)
    }

    /// Runs `git` itself in the repository (for packing: git2 cannot repack), hooks off.
    pub fn git(&self, args: &[&str]) {
        let status = std::process::Command::new("git")
            .args(["-c", "core.hooksPath=/dev/null"])
            .args(args)
            .current_dir(self.path())
            .stdin(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    /// `leakhound history --format json` in the repository, whatever its exit code.
    pub fn history_output(&self) -> std::process::Output {
        leakhound()
            .current_dir(self.path())
            .args(["history", "--format", "json"])
            .output()
            .unwrap()
    }

    /// `leakhound <args> --format json` in the repository, which must exit with `code`
    /// ([`CLEAN`] or [`FINDINGS`]); returns the parsed document.
    #[track_caller]
    pub fn json(&self, code: i32, args: &[&str]) -> serde_json::Value {
        let output = leakhound()
            .current_dir(self.path())
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        json_with_code(&output, code, args)
    }
}

/// The `git` command line in `dir`, isolated as [`isolate_git`] says.
pub fn git_command(dir: &Path, home: &Path) -> std::process::Command {
    let mut command = std::process::Command::new("git");
    command.current_dir(dir);
    isolate_git(&mut command, home);
    command
}

/// Isolates a command that runs git from the user's and the system's git config (its home is
/// `home`), with a fixed identity, no editor and no git or leakhound variables from the caller.
pub fn isolate_git<'c>(
    command: &'c mut std::process::Command,
    home: &Path,
) -> &'c mut std::process::Command {
    command
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_EDITOR", "true")
        .env("NO_COLOR", "1");
    for variable in [
        "GIT_DIR",
        "GIT_INDEX_FILE",
        "GIT_WORK_TREE",
        "LEAKHOUND",
        "LEAKHOUND_SKIP",
    ] {
        command.env_remove(variable);
    }
    command
}

/// Clears the read-only bit git sets on objects and packs.
pub fn make_writable(path: &Path) {
    let mut permissions = std::fs::metadata(path).unwrap().permissions();
    #[allow(
        clippy::permissions_set_readonly_false,
        reason = "git writes objects and packs read-only"
    )]
    permissions.set_readonly(false);
    std::fs::set_permissions(path, permissions).unwrap();
}

/// A seed and a test name give the same data on every run; another name, other data.
#[test]
fn a_seed_replays_the_same_random_data() {
    let draw = |seed, name| generator(seed, name).random::<[u64; 4]>();
    assert_eq!(draw(7, "walk::a"), draw(7, "walk::a"));
    assert_ne!(draw(7, "walk::a"), draw(7, "walk::b"));
    assert_ne!(draw(7, "walk::a"), draw(8, "walk::a"));
    fixed_seed(16);
    let first = github_pat();
    fixed_seed(16);
    assert_eq!(github_pat(), first);
}
