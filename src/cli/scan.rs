//! `leakhound scan`: files, directories or standard input, with the config found for them.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::{ScanArgs, SelectArgs};
use super::run::Settings;
use super::run::{finish, start_recording, Setup, Unit};
use crate::report::human::escape;
use crate::scan::ScanResult;
use crate::source::archive::ArchiveLimits;
use crate::source::fs::{project_root, FsOptions, FsSource, PathFilter};
use crate::source::stdin::StdinSource;
use crate::source::Source;

pub(super) fn run(args: ScanArgs) -> anyhow::Result<u8> {
    let settings = args.common.settings();
    let target = match args.paths.as_slice() {
        [one] if one.as_os_str() != "-" => one.clone(),
        _ => std::env::current_dir().context("cannot read the current directory")?,
    };
    let recording = start_recording(&settings, "scan", &target)?;
    let (setup, result) = scan_paths(&args.paths, args.no_ignore, &args.select, &settings)?;
    setup.warn_stale_baseline(&result, &settings);
    let context = setup.report_context(&result, None, format!("scan {}", shown_paths(&args.paths)));
    finish(&settings, result, Unit::Files, context, recording)
}

/// Scans files, directories or standard input (`-`) with the config found for them.
pub(super) fn scan_paths(
    paths: &[PathBuf],
    no_ignore: bool,
    select: &SelectArgs,
    settings: &Settings,
) -> anyhow::Result<(Setup, ScanResult)> {
    let reads_stdin = paths.iter().any(|p| p.as_os_str() == "-");
    if reads_stdin && paths.len() > 1 {
        anyhow::bail!("`-` (standard input) cannot be combined with other paths");
    }
    if !reads_stdin {
        for path in paths {
            check_readable(path)?;
        }
    }
    let root = if reads_stdin {
        std::env::current_dir().context("cannot read the current directory")?
    } else {
        project_root(&paths[0])
    };
    let filter = PathFilter::new(&root, &select.include, &select.exclude)
        .map_err(|message| anyhow::anyhow!("{message}"))?;
    let setup = Setup::new(settings, &root)?;
    let source: Box<dyn Source> = if reads_stdin {
        Box::new(StdinSource::new(std::io::stdin()))
    } else {
        Box::new(FsSource::new(FsOptions {
            roots: paths.to_vec(),
            max_file_size: settings.scan.max_file_size,
            no_ignore,
            project_root: root.clone(),
            paths: filter,
            scan_large_files: select.scan_large_files,
            archives: (!select.no_archives)
                .then(|| ArchiveLimits::new(settings.scan.max_file_size)),
        }))
    };
    let result = setup.scan(source.as_ref(), settings, None, Unit::Files);
    Ok((setup, result))
}

/// The paths a scan was given, as the HTML report's scope names them.
fn shown_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|path| match std::fs::canonicalize(path) {
            Ok(absolute) => absolute.display().to_string(),
            Err(_) => path.display().to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A path named on the command line must be there and readable: scanning nothing of it is
/// an error, never "scanned 0 files".
fn check_readable(path: &Path) -> anyhow::Result<()> {
    let shown = escape(&path.display().to_string(), false);
    let metadata = std::fs::symlink_metadata(path)
        .map_err(|_| anyhow::anyhow!("{shown}: no such file or directory"))?;
    let file_type = metadata.file_type();
    let readable = if file_type.is_dir() {
        std::fs::read_dir(path).map(drop)
    } else if file_type.is_file() {
        std::fs::File::open(path).map(drop)
    } else if file_type.is_symlink() {
        return Ok(()); // reported as a symbolic link not followed
    } else {
        anyhow::bail!("{shown}: not a file or directory (a socket, FIFO or device is not read)");
    };
    readable.map_err(|err| anyhow::anyhow!("{shown}: cannot read: {err}"))
}
