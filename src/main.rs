//! The `leakhound` binary: parse arguments, run, turn the result into an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    match leakhound::cli::run() {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            #[allow(
                clippy::print_stderr,
                reason = "the one place fatal errors are printed"
            )]
            {
                eprintln!("leakhound: error: {err:#}");
            }
            ExitCode::from(2)
        }
    }
}
