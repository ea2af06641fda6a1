//! Files and directories, walked in parallel with the `ignore` crate: `.gitignore` is
//! honoured (unless `no_ignore`; read by [`super::gitignore`], bounded), hidden files such as `.env` are scanned, `.git/` is never
//! entered, symbolic links are never followed, binary files and files over the size limit are
//! skipped and reported as such.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::{WalkBuilder, WalkState};

use super::archive::{ArchiveExpander, ArchiveLimits};
use super::content::ArchiveFormat;
use super::gitignore::IgnoreRules;
use super::{
    content::deliver, read_in_windows, text_of, Provenance, SkipReason, Source, Visitor,
    VisitorFactory, WINDOW_OVERLAP, WINDOW_SIZE,
};

/// Options of a filesystem scan.
#[derive(Debug, Clone)]
pub struct FsOptions {
    /// Files and directories to scan.
    pub roots: Vec<PathBuf>,
    /// Files larger than this many bytes are skipped.
    pub max_file_size: u64,
    /// Scan files that `.gitignore` would exclude.
    pub no_ignore: bool,
    /// The directory paths are made relative to for fingerprints and allowlists.
    pub project_root: PathBuf,
    /// `--include` / `--exclude`: which files to scan at all.
    pub paths: PathFilter,
    /// Scan files over `max_file_size` in windows instead of skipping them.
    pub scan_large_files: bool,
    /// Open archives and compressed files within these limits; `None` skips them as binary
    /// (`--no-archives`).
    pub archives: Option<ArchiveLimits>,
}

/// A parallel walk over files and directories.
#[derive(Debug)]
pub struct FsSource {
    options: FsOptions,
}

impl FsSource {
    /// A source for `options`.
    pub fn new(options: FsOptions) -> FsSource {
        FsSource { options }
    }
}

/// The root that relative paths (fingerprints, allowlists, the config file) refer to: the
/// top of the git work tree holding `path`, or else `path` itself (its directory for a file).
pub fn project_root(path: &Path) -> PathBuf {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = if absolute.is_dir() {
        absolute.clone()
    } else {
        absolute
            .parent()
            .map_or_else(|| absolute.clone(), Path::to_path_buf)
    };
    dir.ancestors()
        .find(|candidate| candidate.join(".git").exists())
        .map_or(dir.clone(), Path::to_path_buf)
}

/// `path` for display: `./` prefixes dropped.
fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut shown: &str = &text;
    while let Some(rest) = shown.strip_prefix("./") {
        shown = rest;
    }
    shown.to_string()
}

/// `path` relative to the project root, `/`-separated; the display path if it lies outside.
fn relative_path(path: &Path, project_root: &Path) -> String {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let normalized: PathBuf = absolute.components().fold(PathBuf::new(), |mut acc, part| {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                acc.pop();
            }
            other => acc.push(other),
        }
        acc
    });
    match normalized.strip_prefix(project_root) {
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => display_path(path),
    }
}

impl Source for FsSource {
    fn run<'v>(&self, threads: usize, make_visitor: &VisitorFactory<'v>) {
        let Some((first, rest)) = self.options.roots.split_first() else {
            return;
        };
        let mut builder = WalkBuilder::new(first);
        for root in rest {
            builder.add(root);
        }
        let honour_ignores = !self.options.no_ignore;
        // The `ignore` crate reads no ignore file itself: it would follow a symlinked
        // `.gitignore` and read it whole (issue 15). `IgnoreRules` reads them, bounded.
        builder
            .threads(threads)
            .hidden(false)
            .parents(false)
            .ignore(false)
            .git_ignore(false)
            .git_exclude(false)
            .git_global(false)
            .require_git(false)
            .follow_links(false);
        let project_root = std::fs::canonicalize(&self.options.project_root)
            .unwrap_or_else(|_| self.options.project_root.clone());
        let rules =
            honour_ignores.then(|| Arc::new(IgnoreRules::new(&project_root, &self.options.roots)));
        let (paths, root, filter_rules) = (
            self.options.paths.clone(),
            project_root.clone(),
            rules.clone(),
        );
        // An excluded or ignored directory is not entered at all. What `.gitignore` keeps out
        // is recorded here, top-most entries only, so that it can be counted and listed.
        let ignored: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
        let ignored_by_filter = Arc::clone(&ignored);
        builder.filter_entry(move |entry| {
            if entry.file_name() == ".git" {
                return false;
            }
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if !paths.is_empty() && paths.excludes(&relative_path(entry.path(), &root), is_dir) {
                return false;
            }
            let is_ignored = filter_rules
                .as_ref()
                .is_some_and(|rules| rules.is_ignored(entry));
            if is_ignored {
                if let Ok(mut ignored) = ignored_by_filter.lock() {
                    ignored.push(entry.path().to_path_buf());
                }
            }
            !is_ignored
        });
        let project_root = &project_root;
        let paths = &self.options.paths;
        let max_file_size = self.options.max_file_size;
        let scan_large_files = self.options.scan_large_files;
        let archives = self.options.archives;
        builder.build_parallel().run(|| {
            let mut visitor = make_visitor();
            let mut buffer = Vec::new();
            Box::new(move |entry| {
                match entry {
                    Err(err) => {
                        let path = err_path(&err);
                        visitor.error(&path, &one_line(&err));
                    }
                    Ok(entry)
                        if !paths.is_empty()
                            && !paths.allows(&relative_path(entry.path(), project_root)) => {}
                    Ok(entry) => visit_entry(
                        &entry,
                        project_root,
                        max_file_size,
                        scan_large_files,
                        archives,
                        &mut buffer,
                        &mut *visitor,
                    ),
                }
                WalkState::Continue
            })
        });
        let mut visitor = make_visitor();
        // Ignore files not read (a link, a device, too large) or lines not used: one line each.
        for (path, why) in rules.iter().flat_map(|rules| rules.take_problems()) {
            visitor.error(&relative_path(&path, project_root), &why);
        }
        let mut ignored = ignored
            .lock()
            .map(|mut ignored| std::mem::take(&mut *ignored))
            .unwrap_or_default();
        ignored.sort();
        for path in ignored {
            let provenance =
                Provenance::file(display_path(&path), relative_path(&path, project_root));
            visitor.skipped(&provenance, SkipReason::Ignored);
        }
    }
}

fn visit_entry(
    entry: &ignore::DirEntry,
    project_root: &Path,
    max_file_size: u64,
    scan_large_files: bool,
    archives: Option<ArchiveLimits>,
    buffer: &mut Vec<u8>,
    visitor: &mut dyn Visitor,
) {
    let Some(file_type) = entry.file_type() else {
        return; // stdin, never produced by this walk
    };
    if file_type.is_dir() {
        return;
    }
    let provenance = Provenance::file(
        display_path(entry.path()),
        relative_path(entry.path(), project_root),
    );
    if file_type.is_symlink() {
        visitor.skipped(&provenance, SkipReason::Symlink);
        return;
    }
    if !file_type.is_file() {
        return; // sockets, FIFOs, devices: reading them could block forever
    }
    match read_file(entry.path(), max_file_size, archives.is_some(), buffer) {
        Err(err) => visitor.error(&provenance.path, &err.to_string()),
        Ok(Some(SkipReason::TooLarge(_))) if scan_large_files => {
            *buffer = Vec::new(); // the windows bring their own, bounded buffer
            match File::open(entry.path()) {
                Ok(mut file) => {
                    read_in_windows(&mut file, &provenance, visitor, WINDOW_SIZE, WINDOW_OVERLAP)
                }
                Err(err) => visitor.error(&provenance.path, &err.to_string()),
            }
        }
        Ok(Some(reason)) => visitor.skipped(&provenance, reason),
        Ok(None) => match archives {
            Some(limits) => {
                let expander = ArchiveExpander::new(limits);
                deliver(buffer, &provenance, None, visitor, Some(&expander));
            }
            None => deliver(buffer, &provenance, None, visitor, None),
        },
    }
}

/// Reads `path` into `buffer`, or says why it is skipped.
fn read_file(
    path: &Path,
    max_file_size: u64,
    open_archives: bool,
    buffer: &mut Vec<u8>,
) -> std::io::Result<Option<SkipReason>> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    if size > max_file_size {
        return Ok(Some(SkipReason::TooLarge(size)));
    }
    // A buffer grown for a large file is let go, so one big file does not hold its size in
    // memory for the rest of the scan.
    if buffer.capacity() > KEEP_BUFFER {
        *buffer = Vec::new();
    }
    buffer.clear();
    buffer.reserve_exact(usize::try_from(size).unwrap_or(0).saturating_add(1));
    // The file may grow while we read: never read more than the limit allows.
    let mut file = file.take(max_file_size.saturating_add(1));
    // The first 8 KiB tell a binary file, which is then not read further, unless it is an
    // archive to open.
    (&mut file).take(BINARY_PROBE).read_to_end(buffer)?;
    let archive = open_archives && ArchiveFormat::sniff(buffer).is_some();
    if !archive && text_of(buffer).is_none() {
        return Ok(Some(SkipReason::Binary));
    }
    file.read_to_end(buffer)?;
    if buffer.len() as u64 > max_file_size {
        return Ok(Some(SkipReason::TooLarge(buffer.len() as u64)));
    }
    Ok(None)
}

/// Bytes read before deciding whether a file is binary (what [`text_of`] looks at).
const BINARY_PROBE: u64 = 8192;

/// Largest read buffer a worker keeps between files.
const KEEP_BUFFER: usize = 4 << 20;

fn err_path(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { path, .. } => display_path(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            err_path(err)
        }
        ignore::Error::Loop { child, .. } => display_path(child),
        _ => String::from("<walk>"),
    }
}

/// The error without the path `ignore` puts in front (we print the path ourselves).
fn one_line(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. } => one_line(err),
        ignore::Error::WithDepth { err, .. } => one_line(err),
        other => other.to_string().replace('\n', " "),
    }
}

/// `rel` as a path a `.gitignore`-style matcher accepts: its normal parts only. A path
/// outside the project root (a second scan root elsewhere) is absolute or climbs with `..`; the
/// matcher panics on a rooted path, so such a path is matched by its parts.
pub fn matchable_path(rel: &str) -> PathBuf {
    Path::new(rel)
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .collect()
}

/// `--include` and `--exclude` globs, in `.gitignore` syntax and relative to the project root
/// (`vendor/`, `*.min.js`, `/build/**`): with includes, only files one matches (or under a
/// directory one matches) are scanned; an excluded file or directory never is, included or not.
#[derive(Debug, Clone, Default)]
pub struct PathFilter {
    include: Option<Gitignore>,
    exclude: Option<Gitignore>,
}

impl PathFilter {
    /// Compiles the globs; an error names the glob that does not compile.
    pub fn new(root: &Path, include: &[String], exclude: &[String]) -> Result<PathFilter, String> {
        let compile = |option: &str, globs: &[String]| -> Result<Option<Gitignore>, String> {
            if globs.is_empty() {
                return Ok(None);
            }
            let mut builder = GitignoreBuilder::new(root);
            for glob in globs {
                builder
                    .add_line(None, glob)
                    .map_err(|err| format!("{option} {glob:?}: {err}"))?;
            }
            let set = builder.build().map_err(|err| format!("{option}: {err}"))?;
            Ok(Some(set))
        };
        Ok(PathFilter {
            include: compile("--include", include)?,
            exclude: compile("--exclude", exclude)?,
        })
    }

    /// True when no glob was given: everything is scanned.
    pub fn is_empty(&self) -> bool {
        self.include.is_none() && self.exclude.is_none()
    }

    /// Whether the file at `rel` (relative to the project root) is scanned.
    pub fn allows(&self, rel: &str) -> bool {
        let matches = |set: &Gitignore| {
            set.matched_path_or_any_parents(matchable_path(rel), false)
                .is_ignore()
        };
        !self.excludes(rel, false) && self.include.as_ref().is_none_or(matches)
    }

    /// Whether `rel` (a file, or a directory when `is_dir`) or a directory above it is excluded.
    fn excludes(&self, rel: &str, is_dir: bool) -> bool {
        self.exclude.as_ref().is_some_and(|set| {
            set.matched_path_or_any_parents(matchable_path(rel), is_dir)
                .is_ignore()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_restricts_and_exclude_wins() {
        let globs = |list: &[&str]| list.iter().map(|g| g.to_string()).collect::<Vec<_>>();
        let filter = PathFilter::new(
            Path::new("/repo"),
            &globs(&["src/", "*.env"]),
            &globs(&["*.min.js", "/src/vendor", "secret.env"]),
        )
        .unwrap();
        for (path, scanned) in [
            ("src/app.py", true),
            ("src/deep/a/b.js", true),
            ("config/.env", true), // `*` matches a leading dot, as in .gitignore
            ("config/prod.env", true),
            ("README.md", false),
            ("src/app.min.js", false),
            ("src/vendor/lib.py", false),
            ("other/src/vendor/lib.py", true), // `/src/vendor` is anchored at the root
            ("config/secret.env", false),
            ("/elsewhere/x.env", true),
        ] {
            assert_eq!(filter.allows(path), scanned, "{path}");
        }
        assert!(filter.excludes("src/vendor", true));
        assert!(PathFilter::default().allows("anything"));
        let bad = PathFilter::new(Path::new("/repo"), &[], &globs(&["a[z-a]"]));
        assert!(bad.unwrap_err().starts_with("--exclude \"a[z-a]\": "));
    }

    #[test]
    fn display_paths_drop_dot_slash() {
        assert_eq!(display_path(Path::new("./a/b.txt")), "a/b.txt");
        assert_eq!(display_path(Path::new("a/b.txt")), "a/b.txt");
    }

    #[test]
    fn relative_paths_are_relative_to_the_project_root() {
        let root = Path::new("/repo");
        assert_eq!(
            relative_path(Path::new("/repo/src/./a.py"), root),
            "src/a.py"
        );
        assert_eq!(relative_path(Path::new("/repo/src/../b.py"), root), "b.py");
        assert_eq!(
            relative_path(Path::new("/elsewhere/c.py"), root),
            "/elsewhere/c.py"
        );
    }
}
