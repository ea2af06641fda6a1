//! Bounded reads of the small files that steer a scan: configs, ignore files, `.gitleaksignore`,
//! baselines. A scanned repository controls most of them, so one may be a symbolic link to
//! `/dev/zero`, a FIFO, or a link out of the tree (issue 15): they are read only when they are
//! regular files, never beyond a size limit, and (where asked) only inside a given directory.
//! Knows nothing of what the files mean.

use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// Most bytes read from one ignore file (`.gitignore`, `.git/info/exclude`).
pub const MAX_IGNORE_FILE: u64 = 1 << 20;
/// Most bytes read from one config, rule file or `.gitleaksignore`.
pub const MAX_CONFIG_FILE: u64 = 4 << 20;
/// Most bytes read from a baseline or an imported report (`baseline --import`).
pub const MAX_BASELINE_FILE: u64 = 256 << 20;

/// Reads `path` (symbolic links followed) as UTF-8 text if it is a regular file of at most
/// `limit` bytes. The refusals are `io::Error`s of kind `InvalidInput` whose message says why.
pub fn read_bounded(path: &Path, limit: u64) -> io::Result<String> {
    // Checked before opening: opening a FIFO would block until a writer comes.
    if !std::fs::metadata(path)?.is_file() {
        return Err(refused("not a regular file"));
    }
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(refused("not a regular file"));
    }
    let mut bytes = Vec::new();
    // The file may grow while it is read: never read more than the limit allows.
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(refused(&format!("larger than {} bytes", limit)));
    }
    String::from_utf8(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not valid UTF-8"))
}

/// [`read_bounded`], refusing a symbolic link (as git refuses a symlinked `.gitignore` since
/// 2.32): for ignore files, which name nothing to follow.
pub fn read_bounded_no_link(path: &Path, limit: u64) -> io::Result<String> {
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(refused("a symbolic link"));
    }
    read_bounded(path, limit)
}

/// Whether an `io::Error` is one of this module's refusals (as opposed to "not found").
pub fn is_refusal(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::InvalidInput
}

fn refused(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, why.to_string())
}

/// `path` made absolute (from the working directory) with `.` and `..` resolved by their text:
/// where it points before any symbolic link is followed.
pub fn lexical_absolute(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    absolute.components().fold(PathBuf::new(), |mut acc, part| {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                acc.pop();
            }
            other => acc.push(other),
        }
        acc
    })
}

/// Whether `path` lies inside the directory `tree` (canonical), by its text or once its
/// symbolic links are resolved: a file the scanned repository controls.
pub fn in_tree(path: &Path, tree: &Path) -> bool {
    lexical_absolute(path).starts_with(tree)
        || std::fs::canonicalize(path).is_ok_and(|real| real.starts_with(tree))
}

/// The canonical path of `path` if it names a regular file that lies inside `tree` (canonical)
/// both by its text and once its symbolic links are resolved. Otherwise a refusal that does not
/// tell whether something exists outside (that would let a scanned config probe the machine),
/// or "not found" when nothing by that name is inside the tree and no link was involved.
pub fn resolve_in_tree(path: &Path, tree: &Path) -> io::Result<PathBuf> {
    let outside = || refused(&format!("not a file inside {}", tree.display()));
    let lexical = lexical_absolute(path);
    if !lexical.starts_with(tree) {
        return Err(outside()); // not even looked at
    }
    let Ok(real) = std::fs::canonicalize(&lexical) else {
        // Missing: plainly so when no symbolic link leads there.
        let parent = lexical.parent().unwrap_or(tree);
        let plain = std::fs::canonicalize(parent).is_ok_and(|real| real == parent)
            && std::fs::symlink_metadata(&lexical)
                .is_err_and(|err| err.kind() == io::ErrorKind::NotFound);
        return Err(if plain {
            io::Error::new(io::ErrorKind::NotFound, "no such file")
        } else {
            outside()
        });
    };
    if !real.starts_with(tree) {
        return Err(outside());
    }
    if !real.is_file() {
        return Err(refused("not a regular file"));
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_15_reads_only_bounded_regular_files() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small");
        std::fs::write(&small, "abc").unwrap();
        assert_eq!(read_bounded(&small, 3).unwrap(), "abc");
        let err = read_bounded(&small, 2).unwrap_err();
        assert!(is_refusal(&err) && err.to_string().contains("larger than 2"));
        assert!(is_refusal(&read_bounded(dir.path(), 10).unwrap_err()));
        #[cfg(unix)]
        {
            let link = dir.path().join("zero");
            std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
            // /dev/zero is a character device: refused before it is opened.
            assert!(is_refusal(&read_bounded(&link, 10).unwrap_err()));
            let to_small = dir.path().join("to-small");
            std::os::unix::fs::symlink(&small, &to_small).unwrap();
            assert_eq!(read_bounded(&to_small, 10).unwrap(), "abc");
            assert!(is_refusal(
                &read_bounded_no_link(&to_small, 10).unwrap_err()
            ));
        }
        let missing = read_bounded(&dir.path().join("missing"), 10).unwrap_err();
        assert!(!is_refusal(&missing));
    }

    #[test]
    fn issue_15_files_resolve_in_the_tree_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let tree = root.join("tree");
        std::fs::create_dir_all(tree.join("sub")).unwrap();
        std::fs::write(tree.join("sub/a.toml"), "").unwrap();
        std::fs::write(root.join("outside.toml"), "").unwrap();
        assert!(resolve_in_tree(&tree.join("sub/../sub/a.toml"), &tree).is_ok());
        let outside = resolve_in_tree(&tree.join("../outside.toml"), &tree).unwrap_err();
        assert!(is_refusal(&outside));
        let missing = resolve_in_tree(&tree.join("sub/missing.toml"), &tree).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        assert!(is_refusal(
            &resolve_in_tree(&tree.join("sub"), &tree).unwrap_err()
        ));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("outside.toml"), tree.join("link.toml")).unwrap();
            std::os::unix::fs::symlink(root.join("nothing.toml"), tree.join("dangling.toml"))
                .unwrap();
            std::os::unix::fs::symlink(&root, tree.join("up")).unwrap();
            // The same refusal whether the target outside exists or not: no probing.
            for name in [
                "link.toml",
                "dangling.toml",
                "up/outside.toml",
                "up/nothing.toml",
            ] {
                let err = resolve_in_tree(&tree.join(name), &tree).unwrap_err();
                assert!(is_refusal(&err), "{name}");
                assert_eq!(err.to_string(), outside.to_string(), "{name}");
            }
            assert!(in_tree(&tree.join("link.toml"), &tree));
        }
        assert!(!in_tree(&root.join("outside.toml"), &tree));
    }
}
