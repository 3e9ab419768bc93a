//! Support for GPU tests: one shared [`Gpu`], or a one-line skip without a device, or a
//! failure when `KLAB_REQUIRE_GPU=1` (so a GPU runner cannot silently skip).

use crate::runtime::Gpu;
use std::sync::OnceLock;

/// Whether a missing GPU must fail the tests (`KLAB_REQUIRE_GPU=1`).
pub fn gpu_required() -> bool {
    std::env::var("KLAB_REQUIRE_GPU").is_ok_and(|v| v == "1")
}

/// The process-wide GPU for tests, opened once. `None` (after printing
/// `skipped: no CUDA device (<reason>)`) when there is none and it is not required; panics
/// when it is required.
pub fn gpu_or_skip(test: &str) -> Option<&'static Gpu> {
    static GPU: OnceLock<Result<Gpu, String>> = OnceLock::new();
    match GPU.get_or_init(|| Gpu::open_default().map_err(|e| e.to_string())) {
        Ok(gpu) => Some(gpu),
        Err(why) if gpu_required() => panic!("KLAB_REQUIRE_GPU=1 but no usable GPU: {why}"),
        Err(why) => {
            // Straight to stderr: libtest captures print!/eprint!, not the stream itself, so
            // the skip is visible in a plain `cargo test`.
            use std::io::Write;
            let line = format!("{test}: skipped: no CUDA device ({why})\n");
            let _ = std::io::stderr().write_all(line.as_bytes());
            None
        }
    }
}

/// Number of proptest cases for GPU property tests: `KLAB_PROPTEST_CASES`, default 16.
pub fn proptest_cases() -> u32 {
    std::env::var("KLAB_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16)
}

/// The `klab` binary for CLI tests: `KLAB_BIN` when set (the GPU bundle's runner sets it,
/// since the path cargo baked in does not exist on the GPU host), else `built`
/// (pass `env!("CARGO_BIN_EXE_klab")`).
pub fn klab_bin(built: &str) -> std::path::PathBuf {
    std::env::var_os("KLAB_BIN")
        .map(Into::into)
        .unwrap_or_else(|| built.into())
}
