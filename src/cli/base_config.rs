//! The rules that judge a change come from before the change (issue 15, item 11): in range
//! mode (`--base`, `--range`, a detected CI pull request) the config, `.gitleaksignore` and a
//! baseline inside the repository are read from the **base commit**, never from the checkout
//! the pull request controls. Otherwise a pull request could add `builtin = false`, an
//! allowlist or a baseline entry together with a live key and pass its own gate.
//!
//! The base commit's files are copied into a fresh temporary directory, which then stands in
//! for the project root; a config's `extend` chain is followed there, inside the tree only.
//! Files the pull request changes are named in a warning: they take effect once merged.

use std::path::{Component, Path, PathBuf};

use anyhow::Context;

use super::run::Settings;
use crate::config::{CONFIG_FILE_NAME, GITLEAKS_FILE_NAME};
use crate::filter::gitleaksignore;

/// Largest config, ignore or baseline file taken from the base commit.
const MAX_FILE: usize = 8 << 20;
/// Most files one `extend` chain may hold (as when loading from disk).
const MAX_EXTENDS: usize = 8;

/// The base commit's config files, copied out, and the options that point at them.
pub(super) struct BaseConfig {
    /// Holds the copies; they go when this does.
    dir: tempfile::TempDir,
    /// The options, with `--config` and `--baseline` inside the repository pointed at the base
    /// commit's versions.
    pub settings: Settings,
}

impl BaseConfig {
    /// The directory that stands in for the project root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Copies the files that judge a change out of `base`'s tree, and warns (unless quiet) about
    /// each one that `head` changes. `workdir` is the repository's work tree, if it has one.
    pub fn extract(
        repo: &git2::Repository,
        base: git2::Oid,
        head: git2::Oid,
        settings: &Settings,
        workdir: Option<&Path>,
    ) -> anyhow::Result<BaseConfig> {
        let tree_of = |oid: git2::Oid| {
            repo.find_commit(oid)
                .and_then(|commit| commit.tree())
                .with_context(|| format!("cannot read commit {oid}"))
        };
        let (base_tree, head_tree) = (tree_of(base)?, tree_of(head)?);
        let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
        let mut settings = settings.clone();
        let mut judged: Vec<PathBuf> = Vec::new();
        // The files found by name at the root, and the chains they extend.
        for name in [
            CONFIG_FILE_NAME,
            GITLEAKS_FILE_NAME,
            gitleaksignore::FILE_NAME,
        ] {
            judged.push(PathBuf::from(name));
        }
        // `--config` and `--baseline` naming a file the change's commits track: the base's
        // version (a file the commits do not hold, such as one a CI step wrote, is read as is).
        let inside = |path: &Path| {
            workdir
                .and_then(|workdir| relative_inside(path, workdir))
                .filter(|rel| head_tree.get_path(rel).is_ok())
        };
        if let Some(rel) = settings.scan.config.as_deref().and_then(inside) {
            settings.scan.config = Some(dir.path().join(&rel));
            judged.push(rel);
        }
        if let Some(rel) = settings.scan.baseline.as_deref().and_then(inside) {
            settings.scan.baseline = Some(dir.path().join(&rel));
            judged.push(rel);
        }
        let mut copied = Vec::new();
        let mut queue: Vec<(PathBuf, usize)> = judged.iter().map(|rel| (rel.clone(), 0)).collect();
        while let Some((rel, depth)) = queue.pop() {
            let Some(text) = copy_out(repo, &base_tree, &rel, dir.path())? else {
                continue;
            };
            copied.push(rel.clone());
            if depth < MAX_EXTENDS {
                for extended in extends(&text) {
                    let joined = rel.parent().unwrap_or(Path::new("")).join(&extended);
                    if let Some(normal) = normalize_inside(&joined) {
                        queue.push((normal, depth + 1));
                    }
                }
            }
        }
        // A named `--config`/`--baseline` the base does not have: an empty one, so that the
        // pull request's version is never read.
        for path in [&settings.scan.config, &settings.scan.baseline]
            .into_iter()
            .flatten()
        {
            if path.starts_with(dir.path()) && !path.exists() {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let empty = if settings.scan.baseline.as_ref() == Some(path) {
                    "{\"version\":2,\"findings\":[]}\n"
                } else {
                    ""
                };
                std::fs::write(path, empty)?;
            }
        }
        if !settings.quiet {
            warn_changed(&base_tree, &head_tree, &judged, &copied);
        }
        Ok(BaseConfig { dir, settings })
    }
}

/// Writes the regular file at `rel` in `tree` under `dir`; returns its text, or `None` when
/// the tree has no such file (or it is not a regular file, or too large, or not UTF-8).
fn copy_out(
    repo: &git2::Repository,
    tree: &git2::Tree<'_>,
    rel: &Path,
    dir: &Path,
) -> anyhow::Result<Option<String>> {
    let Ok(entry) = tree.get_path(rel) else {
        return Ok(None);
    };
    let regular = matches!(
        entry.filemode(),
        0o100644 | 0o100755 // not a symbolic link, a tree or a submodule
    );
    let Some(blob) = regular
        .then(|| repo.find_blob(entry.id()).ok())
        .flatten()
        .filter(|blob| blob.size() <= MAX_FILE)
    else {
        return Ok(None);
    };
    let Ok(text) = std::str::from_utf8(blob.content()) else {
        return Ok(None);
    };
    let target = dir.join(rel);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&target, text).with_context(|| format!("cannot write {}", target.display()))?;
    Ok(Some(text.to_string()))
}

/// The files a config extends: leakhound's `extend = "…"` and gitleaks' `[extend] path = "…"`.
fn extends(text: &str) -> Vec<String> {
    let Ok(value) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    match value.get("extend") {
        Some(toml::Value::String(path)) => vec![path.clone()],
        Some(toml::Value::Table(table)) => table
            .get("path")
            .and_then(toml::Value::as_str)
            .map(|path| vec![path.to_string()])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// `path` with `.` and `..` resolved, if it stays inside the tree (relative, never above it).
fn normalize_inside(path: &Path) -> Option<PathBuf> {
    let mut normal = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(name) => normal.push(name),
            Component::CurDir => {}
            Component::ParentDir => {
                if !normal.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!normal.as_os_str().is_empty()).then_some(normal)
}

/// `path` (as given, relative to the working directory) relative to `workdir`, if inside it.
fn relative_inside(path: &Path, workdir: &Path) -> Option<PathBuf> {
    let absolute = std::env::current_dir().ok()?.join(path);
    let workdir = std::fs::canonicalize(workdir).ok()?;
    // The file may not exist in the checkout (the base has it); resolve its directory.
    let parent = std::fs::canonicalize(absolute.parent()?).ok()?;
    let resolved = parent.join(absolute.file_name()?);
    normalize_inside(resolved.strip_prefix(&workdir).ok()?)
}

/// Names, on stderr, each judging file the change adds, edits or deletes.
fn warn_changed(
    base: &git2::Tree<'_>,
    head: &git2::Tree<'_>,
    judged: &[PathBuf],
    copied: &[PathBuf],
) {
    let id = |tree: &git2::Tree<'_>, rel: &Path| tree.get_path(rel).ok().map(|entry| entry.id());
    let mut seen = Vec::new();
    for rel in judged.iter().chain(copied) {
        if seen.contains(rel) {
            continue;
        }
        seen.push(rel.clone());
        if id(base, rel) != id(head, rel) {
            super::say(format_args!(
                "leakhound: warning: this change edits {}; the base commit's version judges it (the edit takes effect once merged)",
                rel.display()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extends_stay_inside_the_tree() {
        for (path, inside) in [
            ("ci/base.toml", Some("ci/base.toml")),
            ("./ci/../base.toml", Some("base.toml")),
            ("../outside.toml", None),
            ("ci/../../outside.toml", None),
            ("/etc/passwd", None),
        ] {
            assert_eq!(
                normalize_inside(Path::new(path)),
                inside.map(PathBuf::from),
                "{path}"
            );
        }
        assert_eq!(extends("extend = \"a.toml\"\n"), ["a.toml"]);
        assert_eq!(extends("[extend]\npath = \"b.toml\"\n"), ["b.toml"]);
        assert_eq!(
            extends("[extend]\nuseDefault = true\n"),
            Vec::<String>::new()
        );
        assert_eq!(extends("not toml ["), Vec::<String>::new());
    }
}
