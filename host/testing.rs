//! Support for GPU tests: one shared [`Gpu`], or a one-line skip without a device, or a
//! failure when `KLAB_REQUIRE_GPU=1` (so a GPU runner cannot silently skip). With
//! `KLAB_EMULATE=1` the shared `Gpu` is the CPU emulator, and a test that needs what only a GPU
//! has (timing, twins, cuBLAS, device facts, shapes too large to emulate) is skipped with the
//! reason ([`Skip`], [`skip_reason`]).

use crate::ladder::{DType, Ladder};
use crate::runtime::Gpu;
use crate::shape::Shape;
use std::sync::OnceLock;

/// Whether the GPU tests run on the CPU emulator (`KLAB_EMULATE=1`).
pub fn emulate() -> bool {
    std::env::var("KLAB_EMULATE").is_ok_and(|v| v == "1")
}

/// The panic payload with which a GPU test skips itself (`std::panic::panic_any`): the harness
/// reports the test as ignored, with this reason.
#[derive(Debug, Clone)]
pub struct Skip(pub String);

/// Skips the running GPU test on the emulator: `needs` is what only a GPU has.
pub fn skip_if_emulated(gpu: &Gpu, needs: &str) {
    if gpu.is_emulated() {
        std::panic::panic_any(Skip(format!(
            "needs {needs}, which the emulator does not model"
        )));
    }
}

/// Why a test that panicked with `payload` counts as skipped on the emulator, if it does: it
/// raised [`Skip`], or failed on [`crate::Error::NotEmulated`] (or a CUDA-only part of the
/// runtime).
pub fn skip_reason(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    if let Some(Skip(why)) = payload.downcast_ref::<Skip>() {
        return Some(why.clone());
    }
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())?;
    skip_reason_in(text)
}

/// [`skip_reason`] of a panic message.
pub fn skip_reason_in(text: &str) -> Option<String> {
    let marks = [
        "not emulated: ",
        ": not emulated in block ",
        "NotEmulated(",
        "this Gpu is the CPU emulator",
        "emulated buffer has no CUDA",
    ];
    marks.iter().find_map(|m| {
        text.find(m)
            .map(|at| text[at..].lines().next().unwrap_or_default().to_string())
    })
}

/// Whether a GPU test should run `ladder` at `shape` on `gpu`: always on a GPU; on the
/// emulator only up to 2^19 elements of work (bytes / element size) and 2^28 FLOPs, which
/// keeps every ladder's awkward and random shapes but the large ones (1000003, 4097x4099,
/// 1x1000003, ...: minutes each in the emulator).
pub fn emulator_can_run(gpu: &Gpu, ladder: &dyn Ladder, shape: &Shape, dtype: DType) -> bool {
    if !gpu.is_emulated() {
        return true;
    }
    let w = ladder.work(shape, dtype);
    w.bytes / dtype.size() as f64 <= (1u64 << 19) as f64 && w.flops <= (1u64 << 28) as f64
}

/// The ladders the per-ladder GPU tests cover: every registered one, or those named in
/// `KLAB_LADDERS` (comma-separated, e.g. `KLAB_LADDERS=attention`: one ladder's GPU run).
pub fn ladders_under_test() -> Vec<&'static dyn Ladder> {
    let all = crate::registry::all_ladders();
    match std::env::var("KLAB_LADDERS") {
        Ok(names) if !names.trim().is_empty() => {
            let wanted: Vec<&str> = names.split(',').map(str::trim).collect();
            all.into_iter()
                .filter(|l| wanted.contains(&l.name()))
                .collect()
        }
        _ => all,
    }
}

/// Whether a missing GPU must fail the tests (`KLAB_REQUIRE_GPU=1`).
pub fn gpu_required() -> bool {
    std::env::var("KLAB_REQUIRE_GPU").is_ok_and(|v| v == "1")
}

/// The process-wide GPU for tests, opened once. `None` (after printing
/// `skipped: no CUDA device (<reason>)`) when there is none and it is not required; panics
/// when it is required.
pub fn gpu_or_skip(test: &str) -> Option<&'static Gpu> {
    static EMULATOR: OnceLock<Gpu> = OnceLock::new();
    if emulate() {
        return Some(EMULATOR.get_or_init(Gpu::emulator));
    }
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
