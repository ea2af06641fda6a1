//! `.gitignore` for the filesystem walk, read by leakhound rather than by the `ignore` crate,
//! which follows a symlinked ignore file and reads it whole: a committed `.gitignore` linked to
//! `/dev/zero` stopped the scan (issue 15). Here each directory's `.gitignore` is read only if
//! it is a regular file (not a link, as git refuses since 2.32) of at most
//! [`MAX_IGNORE_FILE`] bytes; what is refused is reported and its rules are not used, so more is
//! scanned, never less.
//!
//! Which rules apply, as in git: the `.gitignore` of every directory from the entry's up to the
//! project root (the deepest that matches decides, so `!` re-includes), then the project root's
//! `.git/info/exclude`. A scan root outside the project root takes its own `.gitignore` files
//! up to itself. Nothing above the project root is read, with or without a git checkout.
//! Used through `WalkBuilder::filter_entry`; knows nothing of chunks or rules.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::DirEntry;
use rustc_hash::FxHashMap;

use super::limited::{lexical_absolute, read_bounded_no_link, MAX_IGNORE_FILE};

/// The ignore rules of one walk, loaded lazily per directory and shared by its threads.
#[derive(Debug)]
pub struct IgnoreRules {
    /// The project root (canonical).
    tree: PathBuf,
    /// Each scan root as given to the walk, and canonical.
    roots: Vec<(PathBuf, PathBuf)>,
    /// `.git/info/exclude` of the project root.
    exclude: Option<Gitignore>,
    /// Each directory's `.gitignore` (`None`: none, or refused), by absolute path.
    dirs: RwLock<HashMap<PathBuf, Option<Arc<Gitignore>>>>,
    /// What applies to the entries of each directory the walk has entered, by its path as the
    /// walk gives it, then by the entries' depth below their scan root (which tells the root
    /// when one root lies in another): worked out once per directory, not once per file.
    entered: RwLock<EnteredDirectories>,
    /// Ignore files not read, or lines not used: (path, why), for the user.
    problems: Mutex<Vec<(PathBuf, String)>>,
}

/// What applies in each directory, by its path as the walk gives it, then by depth.
type EnteredDirectories = FxHashMap<OsString, Vec<(usize, Arc<DirectoryRules>)>>;

/// What decides whether the entries of one directory are ignored.
#[derive(Debug)]
struct DirectoryRules {
    /// The directory's absolute path (under its canonical scan root).
    real: PathBuf,
    /// The `.gitignore` files from the directory's up to the boundary, deepest first.
    ignore_files: Vec<Arc<Gitignore>>,
    /// Whether `.git/info/exclude` applies (the directory is in the project).
    exclude: bool,
}

impl IgnoreRules {
    /// The rules for a walk of `roots` in the project at `tree`.
    pub fn new(tree: &Path, roots: &[PathBuf]) -> IgnoreRules {
        let tree = std::fs::canonicalize(tree).unwrap_or_else(|_| lexical_absolute(tree));
        let roots = roots
            .iter()
            .map(|root| {
                let real = std::fs::canonicalize(root).unwrap_or_else(|_| lexical_absolute(root));
                (root.clone(), real)
            })
            .collect();
        let mut rules = IgnoreRules {
            exclude: None,
            roots,
            dirs: RwLock::default(),
            entered: RwLock::default(),
            problems: Mutex::default(),
            tree,
        };
        // Only a real `.git` directory: a `.git` file would point the read elsewhere.
        let git = rules.tree.join(".git");
        if std::fs::symlink_metadata(&git).is_ok_and(|meta| meta.is_dir()) {
            rules.exclude = rules.load(&rules.tree, &git.join("info").join("exclude"));
        }
        rules
    }

    /// Whether the walk should leave out `entry` (a directory is then not entered).
    pub fn is_ignored(&self, entry: &DirEntry) -> bool {
        if entry.depth() == 0 {
            return false; // named on the command line
        }
        let (Some(parent), Some(name)) = (entry.path().parent(), entry.path().file_name()) else {
            return false;
        };
        let Some(directory) = self.directory_rules(entry, parent) else {
            return false;
        };
        let path = directory.real.join(name);
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        for rules in &directory.ignore_files {
            let matched = rules.matched(&path, is_dir);
            if !matched.is_none() {
                return matched.is_ignore();
            }
        }
        directory.exclude
            && (self.exclude.as_ref())
                .is_some_and(|exclude| exclude.matched(&path, is_dir).is_ignore())
    }

    /// What applies in `parent`, the directory of `entry`, as the walk gives it.
    fn directory_rules(&self, entry: &DirEntry, parent: &Path) -> Option<Arc<DirectoryRules>> {
        let depth = entry.depth();
        if let Ok(entered) = self.entered.read() {
            let known = entered.get(parent.as_os_str()).into_iter().flatten();
            if let Some((_, rules)) = known.into_iter().find(|(known, _)| *known == depth) {
                return Some(rules.clone());
            }
        }
        let (root, path) = self.absolute(entry)?;
        let real = path.parent()?.to_path_buf();
        let boundary = if root.starts_with(&self.tree) {
            self.tree.as_path()
        } else {
            root.as_path()
        };
        let mut ignore_files = Vec::new();
        let mut dir = Some(real.as_path());
        while let Some(current) = dir.filter(|dir| dir.starts_with(boundary)) {
            ignore_files.extend(self.rules_of(current));
            dir = current.parent();
        }
        let rules = Arc::new(DirectoryRules {
            exclude: boundary == self.tree,
            ignore_files,
            real,
        });
        if let Ok(mut entered) = self.entered.write() {
            (entered.entry(parent.as_os_str().to_owned()).or_default())
                .push((depth, rules.clone()));
        }
        Some(rules)
    }

    /// The ignore files not read and lines not used, each once: (path, why).
    pub fn take_problems(&self) -> Vec<(PathBuf, String)> {
        let mut problems = match self.problems.lock() {
            Ok(mut problems) => std::mem::take(&mut *problems),
            Err(_) => Vec::new(),
        };
        problems.sort();
        problems
    }

    /// The canonical scan root `entry` lies under, and `entry`'s absolute path beneath it.
    fn absolute(&self, entry: &DirEntry) -> Option<(PathBuf, PathBuf)> {
        let mut given = entry.path();
        for _ in 0..entry.depth() {
            given = given.parent()?;
        }
        let (_, real) = self.roots.iter().find(|(root, _)| root == given)?;
        let rest = entry.path().strip_prefix(given).ok()?;
        Some((real.clone(), real.join(rest)))
    }

    /// `dir`'s `.gitignore` rules, read on first use.
    fn rules_of(&self, dir: &Path) -> Option<Arc<Gitignore>> {
        if let Ok(dirs) = self.dirs.read() {
            if let Some(rules) = dirs.get(dir) {
                return rules.clone();
            }
        }
        let rules = self.load(dir, &dir.join(".gitignore")).map(Arc::new);
        if let Ok(mut dirs) = self.dirs.write() {
            dirs.insert(dir.to_path_buf(), rules.clone());
        }
        rules
    }

    /// Reads the ignore file at `file`, whose patterns are relative to `dir`; `None` if there
    /// is none, it is refused, or it has no rules.
    fn load(&self, dir: &Path, file: &Path) -> Option<Gitignore> {
        std::fs::symlink_metadata(file).ok()?;
        let text = match read_bounded_no_link(file, MAX_IGNORE_FILE) {
            Ok(text) => text,
            Err(err) => {
                self.problem(file, format!("not read: {err}; its rules are not used"));
                return None;
            }
        };
        let mut builder = GitignoreBuilder::new(dir);
        for (index, line) in text.lines().enumerate() {
            let line = if index == 0 {
                line.trim_start_matches('\u{feff}') // as git, a leading byte order mark
            } else {
                line
            };
            if let Err(err) = builder.add_line(Some(file.to_path_buf()), line) {
                let reason = match err {
                    ignore::Error::Glob { err, .. } => err,
                    other => other.to_string(),
                };
                self.problem(file, format!("line {}: not used: {reason}", index + 1));
            }
        }
        match builder.build() {
            Ok(rules) if !rules.is_empty() => Some(rules),
            Ok(_) => None,
            Err(err) => {
                self.problem(file, format!("not used: {err}"));
                None
            }
        }
    }

    fn problem(&self, file: &Path, why: String) {
        if let Ok(mut problems) = self.problems.lock() {
            problems.push((file.to_path_buf(), why));
        }
    }
}
