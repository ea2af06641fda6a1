//! What the git sources share: opening a repository safely, commit metadata, and the lines a
//! change adds. Objects are read raw from the object database: no hooks, filters, textconv or
//! attribute-driven conversions ever run, so nothing from a scanned repository is executed.

use std::ffi::OsStr;
use std::path::Path;

use git2::{DiffOptions, ObjectType, Oid, Patch, Repository, RepositoryOpenFlags};

use super::{Commit, Error, Visitor, VisitorFactory};

/// Memory libgit2 may hold for parsed objects, and for pack files mapped into memory.
const LIBGIT2_OBJECT_CACHE: usize = 32 << 20;
const LIBGIT2_MAPPED_PACKS: usize = 128 << 20;
const LIBGIT2_PACK_WINDOW: usize = 32 << 20;

/// Bounds libgit2's process-wide caches, once, so a history scan's peak memory does not grow
/// with the size of the repository: by default libgit2 keeps up to 256 MiB of parsed objects
/// and maps up to 8 GiB of pack files, all of which counts as the process's memory.
fn bound_libgit2_memory() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[allow(unsafe_code, reason = "the one place libgit2's global options are set")]
        // SAFETY: these setters write libgit2's global settings without locking. They run
        // once, from the first `open_repository`, before any other thread uses libgit2:
        // history and diff workers open their repositories only after this call returns.
        unsafe {
            let _ = git2::opts::set_cache_max_size(LIBGIT2_OBJECT_CACHE as isize);
            let _ = git2::opts::set_mwindow_size(LIBGIT2_PACK_WINDOW);
            let _ = git2::opts::set_mwindow_mapped_limit(LIBGIT2_MAPPED_PACKS);
        }
    });
}

/// Opens the repository holding `path` (a work tree, a subdirectory of one, or a bare
/// repository).
///
/// Git's environment is honoured as git itself honours it, because hooks run with it: a
/// commit's temporary index (`GIT_INDEX_FILE`, set by `git commit -a`, `git commit <path>`,
/// `--only`, `--include`, `-p`), a worktree's or a hook's `GIT_DIR` (used when `path` is the
/// default `.`, as git uses it instead of searching from the working directory), and a
/// receiving repository's quarantine (`GIT_OBJECT_DIRECTORY`,
/// `GIT_ALTERNATE_OBJECT_DIRECTORIES`, set for pre-receive hooks).
pub fn open_repository(path: &Path) -> Result<Repository, Error> {
    // Re-hashing every object read costs a third of a history scan; a corrupt object still
    // fails to inflate or apply as a delta, and is reported.
    git2::opts::strict_hash_verification(false);
    bound_libgit2_memory();
    let git_dir_from_env = path == Path::new(".") && std::env::var_os("GIT_DIR").is_some();
    let opened = if git_dir_from_env {
        Repository::open_from_env()
    } else {
        Repository::open_ext(path, RepositoryOpenFlags::FROM_ENV, &[] as &[&OsStr])
    };
    opened.map_err(|err| {
        if err.code() == git2::ErrorCode::NotFound {
            Error::NotARepository(path.to_path_buf())
        } else {
            Error::git(
                format!("{}: cannot open the repository", path.display()),
                &err,
            )
        }
    })
}

/// Commit metadata for a finding; `sequence` is the commit's place in topological order.
pub fn commit_info(commit: &git2::Commit<'_>, sequence: u32) -> Commit {
    let author = commit.author();
    let when = author.when();
    let message = commit
        .summary_bytes()
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .unwrap_or_default();
    Commit {
        id: commit.id().to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: rfc3339(when.seconds(), when.offset_minutes()),
        message,
        sequence,
        time: commit.time().seconds(),
    }
}

/// `seconds` since the epoch at a UTC offset, as RFC 3339 (`2024-05-01T12:00:00+02:00`).
pub fn rfc3339(seconds: i64, offset_minutes: i32) -> String {
    let local = seconds + i64::from(offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let offset = offset_minutes.unsigned_abs();
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        offset / 60,
        offset % 60
    )
}

/// Seconds since the epoch of a date as `--since` takes it: `YYYY-MM-DD` (midnight UTC),
/// `YYYY-MM-DDTHH:MM:SS` with `Z` or `±HH:MM` (UTC without one), or plain seconds.
pub fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    let number = |part: &str| part.parse::<i64>().ok();
    let (date, time) = text.split_once(['T', ' ']).unwrap_or((text, ""));
    let mut ymd = date.splitn(3, '-');
    let (year, month, day) = (
        number(ymd.next()?)?,
        number(ymd.next()?)?,
        number(ymd.next()?)?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let (clock, offset) = match time.find(['Z', '+', '-']) {
        Some(at) if &time[at..] == "Z" => (&time[..at], 0),
        Some(at) => {
            let (hours, minutes) = time[at + 1..].split_once(':')?;
            let sign = if time.as_bytes()[at] == b'-' { -1 } else { 1 };
            (
                &time[..at],
                sign * (number(hours)? * 3600 + number(minutes)? * 60),
            )
        }
        None => (time, 0),
    };
    let mut hms = clock.split(':').filter(|part| !part.is_empty());
    let hours = hms.next().map_or(Some(0), number)?;
    let minutes = hms.next().map_or(Some(0), number)?;
    let seconds = hms.next().map_or(Some(0), number)?;
    Some(days * 86_400 + hours * 3600 + minutes * 60 + seconds - offset)
}

/// 1-based numbers of the lines of `new` that are added relative to `old`, sorted. Both are
/// always diffed as text, whatever `.gitattributes` says (an attacker could mark files binary
/// to hide them).
pub fn added_lines(old: &[u8], new: &[u8]) -> Result<Vec<u32>, git2::Error> {
    if old.is_empty() {
        let lines = memchr::memchr_iter(b'\n', new).count()
            + usize::from(!new.ends_with(b"\n") && !new.is_empty());
        return Ok((1..=lines as u32).collect());
    }
    let mut options = DiffOptions::new();
    options.force_text(true).context_lines(0);
    let patch = Patch::from_buffers(old, None, new, None, Some(&mut options))?;
    let mut added = Vec::new();
    for hunk in 0..patch.num_hunks() {
        for line in 0..patch.num_lines_in_hunk(hunk)? {
            let line = patch.line_in_hunk(hunk, line)?;
            if line.origin() == '+' {
                if let Some(number) = line.new_lineno() {
                    added.push(number);
                }
            }
        }
    }
    added.sort_unstable();
    added.dedup();
    Ok(added)
}

/// The size and kind of an object, without reading its content.
pub fn object_header(repo: &Repository, oid: Oid) -> Result<(usize, ObjectType), git2::Error> {
    repo.odb()?.read_header(oid)
}

/// Runs `work` on `threads` threads, each with its own `Repository` (git2's `Repository` is
/// `Send` but not `Sync`) and its own visitor.
pub(super) fn run_workers<'v, F>(
    git_dir: &Path,
    threads: usize,
    make_visitor: &VisitorFactory<'v>,
    work: F,
) where
    F: Fn(&Repository, &mut dyn Visitor) + Sync,
{
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                let mut visitor = make_visitor();
                match open_repository(git_dir) {
                    Ok(repo) => work(&repo, &mut *visitor),
                    Err(err) => visitor.error(&git_dir.display().to_string(), &err.to_string()),
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(rfc3339(1_700_000_000, 120), "2023-11-15T00:13:20+02:00");
        assert_eq!(rfc3339(951_782_400, -330), "2000-02-28T18:30:00-05:30");
        assert_eq!(rfc3339(-86_400, 0), "1969-12-31T00:00:00+00:00");
    }

    #[test]
    fn since_dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2023-11-15T00:13:20+02:00"), Some(1_700_000_000));
        assert_eq!(parse_date("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_date("2000-02-29"), Some(951_782_400));
        assert_eq!(parse_date("1700000000"), Some(1_700_000_000));
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn added_lines_are_new_side_numbers() {
        assert_eq!(added_lines(b"", b"a\nb\n").unwrap(), [1, 2]);
        assert_eq!(added_lines(b"", b"a\nb").unwrap(), [1, 2]);
        assert_eq!(added_lines(b"a\nb\nc\n", b"a\nB\nc\nd\n").unwrap(), [2, 4]);
        assert_eq!(
            added_lines(b"a\nb\n", b"a\nb\n").unwrap(),
            Vec::<u32>::new()
        );
        // NUL bytes do not make the diff skip the file.
        assert_eq!(added_lines(b"x\0\n", b"x\0\ny\n").unwrap(), [2]);
    }
}
