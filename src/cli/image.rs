//! `leakhound image`: a container image tarball (`docker save`, or an OCI layout in a tar).

use anyhow::Context;

use super::args::ImageArgs;
use super::run::{finish, start_recording, Setup, Unit};
use crate::report::human::escape;
use crate::source::archive::ArchiveLimits;
use crate::source::image::{ImageOptions, ImageSource};

pub(super) fn image(args: ImageArgs) -> anyhow::Result<u8> {
    let settings = args.common.settings();
    let source = ImageSource::open(ImageOptions {
        path: args.file.clone(),
        max_file_size: settings.scan.max_file_size,
        archives: (!args.no_archives).then(|| ArchiveLimits::new(settings.scan.max_file_size)),
    })?;
    let shown = escape(&args.file.display().to_string(), false);
    if !settings.quiet {
        super::say(format_args!(
            "leakhound: scanning image {shown} ({})",
            source.describe()
        ));
    }
    // The config is the current directory's: an image carries none of its own that counts.
    let root = std::env::current_dir().context("cannot read the current directory")?;
    let setup = Setup::new(&settings, &root)?;
    let recording = start_recording(&settings, "image", &args.file)?;
    let result = setup.scan(&source, &settings, None, Unit::Files);
    let context = setup.report_context(&result, None, format!("image {shown}"));
    finish(&settings, result, Unit::Files, context, recording)
}
