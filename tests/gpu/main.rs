//! GPU tests: one binary (a few large test binaries keep the GPU bundle small), one module per
//! concern, run by a libtest-compatible harness (libtest-mimic) so that a test without a
//! device is reported as *ignored*, not passed. Without a device each test prints
//! `NAME: skipped: no CUDA device (…)`, the summary counts them as ignored, and the last line
//! says how many were skipped; with `KLAB_REQUIRE_GPU=1` a missing device fails them.
//!
//! A test is a `pub fn NAME(gpu: &Gpu)` listed in its module's `TESTS` table; a function left
//! out of the table is dead code, which `cargo clippy -- -D warnings` rejects.

mod bench;
mod common;
mod device_api;
mod gemm;
mod grade;
mod ladders;
mod norm;
mod occupancy;
mod runtime;
mod softmax;
mod twins;

use kernel_lab::runtime::Gpu;
use kernel_lab::testing::gpu_or_skip;
use libtest_mimic::{Arguments, Completion, Trial};

/// One GPU test: its name and body.
pub type GpuTest = (&'static str, fn(&Gpu));
/// One test of this binary that needs no device (checks of the GPU tests' own checks).
pub type CpuTest = (&'static str, fn());

/// Every module's tests.
const MODULES: &[&[GpuTest]] = &[
    bench::TESTS,
    device_api::TESTS,
    device_api::half_precision::TESTS,
    device_api::tensor_core::TESTS,
    gemm::TESTS,
    grade::TESTS,
    ladders::TESTS,
    norm::TESTS,
    occupancy::TESTS,
    runtime::TESTS,
    softmax::TESTS,
    twins::TESTS,
];

/// The tests that run without a device.
const CPU_MODULES: &[&[CpuTest]] = &[
    device_api::half_precision::CPU_TESTS,
    device_api::tensor_core::CPU_TESTS,
];

/// A test on the emulator (`KLAB_EMULATE=1`): one that needs a GPU (it skips itself, or fails
/// on what the emulator does not model) is ignored with its reason, printed as one line.
fn run_emulated(
    name: &str,
    body: fn(&Gpu),
    gpu: &'static Gpu,
) -> Result<Completion, libtest_mimic::Failed> {
    match std::panic::catch_unwind(|| body(gpu)) {
        Ok(()) => Ok(Completion::Completed),
        Err(payload) => match kernel_lab::testing::skip_reason(payload.as_ref()) {
            Some(why) => {
                use std::io::Write;
                let line = format!("{name}: skipped in the emulator: {why}\n");
                let _ = std::io::stderr().write_all(line.as_bytes());
                Ok(Completion::ignored_with("needs a GPU"))
            }
            None => std::panic::resume_unwind(payload),
        },
    }
}

fn main() -> std::process::ExitCode {
    let mut args = Arguments::from_args();
    // One test at a time unless asked otherwise: the tests share one GPU, and the benchmark
    // test reads the per-device launch log, which a test running beside it would write into
    // (seen on the H200: a cuBLAS row recorded another test's reduction launch).
    args.test_threads = args.test_threads.or(Some(1));
    if kernel_lab::testing::emulate() {
        // A test that skips itself on the emulator is not a failure: keep its panic quiet.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let skip = kernel_lab::testing::skip_reason(info.payload()).is_some()
                || info
                    .payload_as_str()
                    .is_some_and(|t| kernel_lab::testing::skip_reason_in(t).is_some());
            if !skip {
                previous(info)
            }
        }));
    }
    let cpu = CPU_MODULES
        .iter()
        .flat_map(|m| m.iter())
        .map(|&(name, body)| {
            Trial::test(name, move || {
                body();
                Ok(())
            })
        });
    let trials = MODULES
        .iter()
        .flat_map(|m| m.iter())
        .map(|&(name, body)| {
            Trial::ignorable_test(name, move || match gpu_or_skip(name) {
                Some(gpu) if gpu.is_emulated() => run_emulated(name, body, gpu),
                Some(gpu) => {
                    body(gpu);
                    Ok(Completion::Completed)
                }
                None => Ok(Completion::ignored_with("no CUDA device")),
            })
        })
        .chain(cpu)
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    if conclusion.num_ignored > 0 && kernel_lab::testing::emulate() {
        println!(
            "GPU tests on the CPU emulator (KLAB_EMULATE=1): {} skipped (they need a GPU), {} passed, {} failed",
            conclusion.num_ignored, conclusion.num_passed, conclusion.num_failed
        );
    } else if conclusion.num_ignored > 0 {
        println!(
            "GPU tests: {} skipped (no CUDA device), {} passed, {} failed; KLAB_REQUIRE_GPU=1 makes a missing device fail them",
            conclusion.num_ignored, conclusion.num_passed, conclusion.num_failed
        );
    }
    conclusion.exit_code()
}
