#![no_main]

#[path = "../checks.rs"]
mod checks;

use std::sync::OnceLock;

static SCANNER: OnceLock<checks::FullScanner> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    SCANNER.get_or_init(checks::FullScanner::new).check(data)
});
