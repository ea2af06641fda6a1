//! Files leakhound writes (reports, baselines, hooks) never go through a symbolic link (issue
//! 15, item 9). A scanned repository can commit `leakhound.sarif` as a link to any file the CI
//! runner may write; following it would let a pull request overwrite that file.
//!
//! A file is written to a fresh temporary file in its directory and renamed into place, so a
//! link planted there between the check and the write is replaced, never followed. A path whose
//! last part is a symbolic link is refused, and so is one with a symbolic link among the parts
//! of a relative path (the directories a repository can commit); an absolute path's
//! directories are the user's own choice (`/tmp` may be a link).

use std::io::Write;
use std::path::{Component, Path};

use anyhow::Context;

use crate::report::human::escape;

/// Writes what `write` produces to `path` with permissions `mode` (Unix), through a temporary
/// file renamed into place; refuses symbolic links as the module says.
pub(super) fn write_file(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    write_file_below(path, Path::new(""), mode, write)
}

/// [`write_file`], refusing also a symbolic link among the directories of `path` below
/// `trusted` (a repository's work tree, whose directories its commits control).
pub(super) fn write_file_below(
    path: &Path,
    trusted: &Path,
    mode: u32,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let shown = || escape(&path.display().to_string(), false);
    refuse_links(path, trusted)?;
    // A device or pipe the user names (`-o /dev/null`), or a link the user's own path goes
    // through (`-o /dev/stdout`; a link in the tree was refused above), is written in place:
    // renaming a file over it would replace the device or the link itself.
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink());
    let target = std::fs::metadata(path).ok();
    let special = target
        .as_ref()
        .is_some_and(|meta| !meta.is_file() && !meta.is_dir());
    if is_link || special {
        let mut device = std::fs::OpenOptions::new()
            .write(true)
            .truncate(target.as_ref().is_some_and(std::fs::Metadata::is_file))
            .open(path)
            .with_context(|| format!("{}: cannot open", shown()))?;
        let mut out = std::io::BufWriter::new(&mut device);
        return write(&mut out)
            .and_then(|()| out.flush())
            .with_context(|| format!("{}: cannot write", shown()));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".leakhound-")
        .tempfile_in(dir)
        .with_context(|| format!("{}: cannot create a file in its directory", shown()))?;
    {
        let mut out = std::io::BufWriter::new(file.as_file_mut());
        write(&mut out)
            .and_then(|()| out.flush())
            .with_context(|| format!("{}: cannot write", shown()))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("{}: cannot set its permissions", shown()))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    // Checked again right before the rename; the rename itself replaces a link, never follows it.
    refuse_links(path, trusted)?;
    file.persist(path)
        .map_err(|err| err.error)
        .with_context(|| format!("{}: cannot write", shown()))?;
    Ok(())
}

/// Errors if `path` is a symbolic link, or if one of its directories is: every directory of a
/// relative path, and of an absolute one those below `trusted`.
pub(super) fn refuse_links(path: &Path, trusted: &Path) -> anyhow::Result<()> {
    let is_link = |path: &Path| {
        std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
    };
    let refuse = |link: &Path| {
        anyhow::anyhow!(
            "{}: refusing to write through the symbolic link {} (remove it, or write elsewhere)",
            escape(&path.display().to_string(), false),
            escape(&link.display().to_string(), false)
        )
    };
    // An absolute path outside the working directory (and outside `trusted`) is the user's
    // own choice, links included (`/dev/stdout`); a repository controls only what lies below.
    let users_own = path.is_absolute()
        && (trusted.as_os_str().is_empty() || !path.starts_with(trusted))
        && std::env::current_dir().is_ok_and(|cwd| !path.starts_with(cwd));
    if is_link(path) && !users_own {
        return Err(refuse(path));
    }
    let (mut prefix, below) = match path.strip_prefix(trusted) {
        Ok(below) if path.is_absolute() => (trusted.to_path_buf(), below),
        _ if path.is_relative() => (std::path::PathBuf::new(), path),
        _ => return Ok(()), // an absolute path outside the tree: the user's choice
    };
    for part in below.parent().into_iter().flat_map(Path::components) {
        prefix.push(part);
        if matches!(part, Component::Normal(_)) && is_link(&prefix) {
            return Err(refuse(&prefix));
        }
    }
    Ok(())
}
