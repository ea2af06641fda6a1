//! The `leakhound` binary: parse arguments, run, turn the result into an exit code.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

#[allow(
    clippy::print_stderr,
    reason = "the one place fatal errors and internal errors are printed"
)]
fn main() -> ExitCode {
    // A panic's message could quote scanned content (a secret), and it lands in CI logs: print
    // only where it happened, once, and exit 2 like any other error.
    static REPORTED: AtomicBool = AtomicBool::new(false);
    std::panic::set_hook(Box::new(|info| {
        if !REPORTED.swap(true, Ordering::SeqCst) {
            let place = info
                .location()
                .map(|at| format!(" at {}:{}", at.file(), at.line()))
                .unwrap_or_default();
            eprintln!(
                "leakhound: error: internal error{place} (message withheld: it may quote \
                 scanned content); please report it"
            );
        }
    }));
    match std::panic::catch_unwind(leakhound::cli::run) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(err)) => {
            // Escaped: the chain may quote a path or rule id from a scanned config (issue 15).
            eprintln!(
                "leakhound: error: {}",
                leakhound::cli::one_line(&format!("{err:#}"))
            );
            ExitCode::from(2)
        }
        Err(_) => ExitCode::from(2),
    }
}
