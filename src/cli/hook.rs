//! `leakhound install-hook`: writes the pre-commit or pre-push hook, failing closed, chaining a
//! hook it replaces.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::InstallHookArgs;
use super::output::{refuse_links, write_file_below};
use super::run::repository_root;
use crate::report::human::escape;
use crate::source::git::open_repository;

/// The hook scripts `install-hook` writes (also in the repository, under `hooks/`).
pub const PRE_COMMIT_HOOK: &str = include_str!("../../hooks/pre-commit");
/// See [`PRE_COMMIT_HOOK`].
pub const PRE_PUSH_HOOK: &str = include_str!("../../hooks/pre-push");
/// The line of a hook script that `install-hook` fills in with its own binary's path.
const INSTALLED_PATH_LINE: &str = "installed=''";
/// Where `install-hook --force` keeps a hook it replaces, next to the hook (`pre-commit` ->
/// `pre-commit.before-leakhound`); leakhound's hook runs it afterwards.
const PREVIOUS_HOOK_SUFFIX: &str = ".before-leakhound";

/// The hooks directory: `core.hooksPath` (relative to the work tree) or the hooks of the
/// repository's common directory (shared by every worktree, as git uses it).
fn hooks_dir(repo: &git2::Repository) -> PathBuf {
    let configured = repo
        .config()
        .ok()
        .and_then(|config| config.get_path("core.hooksPath").ok());
    match configured {
        Some(path) if path.is_absolute() => path,
        Some(path) => repository_root(repo).join(path),
        None => repo.commondir().join("hooks"),
    }
}

/// A hook script with this binary's absolute path filled in, so the hook works where `PATH`
/// is short (GUI git clients); the script falls back to `PATH`, and fails closed.
fn hook_script(template: &str) -> String {
    let Ok(binary) = std::env::current_exe() else {
        return template.to_string();
    };
    let quoted = binary.to_string_lossy().replace('\'', "'\\''");
    template.replacen(INSTALLED_PATH_LINE, &format!("installed='{quoted}'"), 1)
}

pub(super) fn install_hook(args: InstallHookArgs) -> anyhow::Result<u8> {
    let repo = open_repository(&args.repo)?;
    if repo.is_bare() {
        anyhow::bail!(
            "{}: a bare repository has no commits to hook (for a server, see hooks/pre-receive in the README)",
            args.repo.display()
        );
    }
    let (name, template) = if args.pre_push {
        ("pre-push", PRE_PUSH_HOOK)
    } else {
        ("pre-commit", PRE_COMMIT_HOOK)
    };
    let dir = hooks_dir(&repo);
    let hook = dir.join(name);
    let shown = |path: &Path| escape(&path.display().to_string(), false);
    let mut kept = None;
    // Before anything is read or moved: a hook that is a link may point anywhere.
    refuse_links(&hook, &repository_root(&repo))?;
    if let Ok(existing) = std::fs::read(&hook) {
        let ours = String::from_utf8_lossy(&existing).contains(&format!("# leakhound {name} hook"));
        if !ours {
            if !args.force {
                anyhow::bail!(
                    "{}: a {name} hook exists that leakhound did not write; use --force to install leakhound's and run the existing one after it",
                    shown(&hook)
                );
            }
            let previous = dir.join(format!("{name}{PREVIOUS_HOOK_SUFFIX}"));
            if previous.exists() {
                anyhow::bail!(
                    "{}: already holds an earlier hook; move it away first so that neither is lost",
                    shown(&previous)
                );
            }
            std::fs::rename(&hook, &previous)
                .with_context(|| format!("{}: cannot keep the existing hook", shown(&hook)))?;
            kept = Some(previous);
        }
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create the hooks directory", shown(&dir)))?;
    write_executable(&hook, &repository_root(&repo), &hook_script(template))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "installed {}", shown(&hook))?;
    if let Some(previous) = kept {
        writeln!(
            out,
            "kept the existing hook as {}; it runs after leakhound's",
            shown(&previous)
        )?;
    }
    Ok(super::EXIT_CLEAN)
}

/// Writes a hook: never through a symbolic link, also among the directories below `root`
/// (a `core.hooksPath` inside the work tree is the repository's to shape).
fn write_executable(path: &Path, root: &Path, content: &str) -> anyhow::Result<()> {
    write_file_below(path, root, 0o755, |out| out.write_all(content.as_bytes()))
}
