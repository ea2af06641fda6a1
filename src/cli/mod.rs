//! The command line: parses arguments (`args`), turns them into plain options and runs one
//! command. `anyhow` lives here and in `main.rs` only.

mod args;
mod base_config;
mod baseline;
mod config;
mod datastore;
mod history;
mod hook;
mod image;
mod output;
mod rules;
mod run;
mod scan;
mod staged;

use std::io::Write;

use clap::Parser;

use args::{Cli, Command};

pub use crate::scan::{EXIT_CLEAN, EXIT_ERROR};

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
        Command::History(args) => history::history(args),
        Command::Staged(args) => staged::staged(args),
        Command::InstallHook(args) => hook::install_hook(args),
        Command::Baseline(args) => baseline::baseline(args),
        Command::Rules(args) => rules::run(args),
        Command::Config(args) => config::config(args),
        Command::Image(args) => image::image(args),
        Command::Triage(args) => datastore::triage(args),
        Command::Report(args) => datastore::report(args),
    }
}

/// `text` made safe to print as one line on stderr, where it lands in terminals and CI logs
/// (issue 15): control characters (newlines, ANSI and OSC escapes), line and paragraph
/// separators and bidirectional controls are escaped, so a rule id or path from a config cannot
/// start a line of its own, drive the terminal or reorder text; and a line that would start (after
/// spaces) with `::` or `##[` has its first character escaped, so it cannot be a GitHub Actions
/// workflow command either (the runner reads those on stderr too).
pub fn one_line(text: &str) -> String {
    let escaped = crate::report::human::escape(text, false)
        .replace('\u{2028}', "\\u{2028}")
        .replace('\u{2029}', "\\u{2029}");
    let start = escaped.len() - escaped.trim_start().len();
    let rest = &escaped[start..];
    if rest.starts_with("::") || rest.starts_with("##[") {
        let first = rest.chars().next().map_or(0, char::len_utf8);
        let code = rest.chars().next().map_or(0, u32::from);
        return format!("{}\\u{{{code:x}}}{}", &escaped[..start], &rest[first..]);
    }
    escaped
}

/// Writes `line` on stderr through [`one_line`]: how the command line prints its errors,
/// warnings and notes.
pub(crate) fn say(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr().lock(), "{}", one_line(&line.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_15_stderr_lines_cannot_break_out() {
        for (text, shown) in [
            ("plain: words", "plain: words"),
            ("a\n::error::x", "a\\n::error::x"),
            ("::error file=a::pwned", "\\u{3a}:error file=a::pwned"),
            ("  ::warning::x", "  \\u{3a}:warning::x"),
            ("##[error]x", "\\u{23}#[error]x"),
            ("osc \u{1b}]52;c;aGk=\u{7}", "osc \\u{1b}]52;c;aGk=\\u{7}"),
            ("bidi \u{202e}x", "bidi \\u{202e}x"),
            ("sep \u{2028}::error::x", "sep \\u{2028}::error::x"),
        ] {
            assert_eq!(one_line(text), shown, "{text:?}");
            assert!(!one_line(text).contains('\n'));
        }
    }
}
