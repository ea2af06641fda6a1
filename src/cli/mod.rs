//! The command line: parses arguments (`args`), turns them into plain options and runs one
//! command. `anyhow` lives here and in `main.rs` only.

pub mod args;
mod base_config;
mod git;
mod output;
mod rules;
mod scan;

use clap::Parser;

use args::{Cli, Command};

/// Exit code for "no findings".
pub const EXIT_CLEAN: u8 = 0;
/// Exit code for a usage, config or I/O error.
pub const EXIT_ERROR: u8 = 2;

/// Runs leakhound with the process arguments; returns the exit code.
pub fn run() -> anyhow::Result<u8> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version go to stdout with code 0; usage errors to stderr with code 2.
            let _ = err.print();
            return Ok(if err.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            });
        }
    };
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::History(args) => git::history(args),
        Command::Staged(args) => git::staged(args),
        Command::InstallHook(args) => git::install_hook(args),
        Command::Baseline(args) => scan::baseline(args),
        Command::Rules(args) => rules::run(args),
        Command::Config(args) => rules::config(args),
    }
}
