//! The `leakhound` binary: parse arguments, run, turn the result into an exit code.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

#[allow(
    clippy::print_stderr,
    reason = "the one place fatal errors and internal errors are printed"
)]
fn main() -> ExitCode {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    return_freed_memory_sooner();
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

/// glibc keeps what the scan's passes free (a history scan's tree tables, a pass's per-thread
/// buffers) in its arenas unless the top of a heap holds 128 KiB to 32 MiB free, a threshold
/// it raises as the program allocates: about 100 MB of an 80,000-commit history scan's peak.
/// Returning free space above 1 MiB, and serving allocations of 1 MiB or more from their own
/// mappings, costs no measurable time here.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_memory_sooner() {
    const ONE_MIB: libc::c_int = 1 << 20;
    #[allow(unsafe_code, reason = "the one place glibc's allocator is tuned")]
    // SAFETY: mallopt only sets the allocator's parameters. It runs first thing in main,
    // before any other thread exists or any allocation of ours is live.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, ONE_MIB);
        libc::mallopt(libc::M_MMAP_THRESHOLD, ONE_MIB);
    }
}
