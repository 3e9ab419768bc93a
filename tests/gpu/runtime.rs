//! The runtime: device facts, typed errors for bad launches, exact reductions.

use kernel_lab::Error;
use kernel_lab::inputs;
use kernel_lab::ladders::reduce::{REDUCE_MAX, REDUCE_SUM};
use kernel_lab::registry::{self, Ladder, Target, verify};
use kernel_lab::runtime::{DeviceBuffer, Gpu, Launch};
use kernels_gpu::vector_add::VectorAddParams;

pub fn device_reports_sane_properties(gpu: &Gpu) {
    kernel_lab::testing::skip_if_emulated(gpu, "a device's properties");
    let i = gpu.info();
    assert!(
        i.sm_count > 0 && i.l2_bytes > 0 && i.total_memory_bytes > 0,
        "{i:?}"
    );
    assert!(i.compute_capability.0 >= 8, "kernels target sm_80+: {i:?}");
}

pub fn a_bad_launch_is_an_error_naming_the_kernel_not_a_panic(gpu: &Gpu) {
    let (_, step) = registry::find("vector_add/1").unwrap();
    let mut c = DeviceBuffer::<f32>::zeros(gpu, 4).unwrap();
    let p = VectorAddParams {
        a: c.ptr_mut().as_const(),
        b: c.ptr_mut().as_const(),
        c: c.ptr_mut(),
        n: 4,
    };
    // 2048 threads per block exceeds every GPU's limit of 1024.
    let err = gpu
        .launch(step.symbol, Launch::linear(1, 2048), p)
        .unwrap_err();
    match &err {
        Error::Launch { kernel, block, .. } => {
            assert_eq!((kernel.as_str(), block.0), (step.symbol, 2048))
        }
        // The emulator refuses it too, with its reason (`KLAB_EMULATE=1`).
        Error::Emulation(e) if gpu.is_emulated() => {
            assert_eq!(e.kind, kernels_gpu::emu::ErrorKind::Launch, "{e}");
            assert!(e.message.contains("2048 threads"), "{e}");
        }
        other => panic!("expected a launch error, got {other}"),
    }
    assert!(err.to_string().contains(step.symbol), "{err}");
}

pub fn sums_of_small_integers_are_exact(gpu: &Gpu) {
    for step in REDUCE_SUM.steps() {
        for n in [1usize, 33, 4097, 1_000_003] {
            let v = inputs::small_integers(n, inputs::fresh_seed(), 8);
            let mut case = REDUCE_SUM.prepare_values(gpu, &v, step.dtype).unwrap();
            let c = verify(case.as_mut(), gpu, Target::Step(step)).unwrap();
            assert!(
                c.max_abs_err == 0.0 && c.passed(),
                "{} n={n}: {c}",
                step.symbol
            );
        }
    }
}

pub fn max_finds_a_planted_maximum_anywhere(gpu: &Gpu) {
    for step in REDUCE_MAX.steps() {
        for (n, at) in [(1usize, 0usize), (1000, 999), (1_000_003, 517_123)] {
            let mut v = inputs::uniform(n, inputs::fresh_seed(), -2.0, -1.0);
            v[at] = 3.5;
            let mut case = REDUCE_MAX.prepare_values(gpu, &v, step.dtype).unwrap();
            let c = verify(case.as_mut(), gpu, Target::Step(step)).unwrap();
            assert!(c.passed(), "{} n={n} at={at}: {c}", step.symbol);
        }
    }
}

/// The inputs of the NaN / infinity checks: `[1, NaN, 3]` (the reported case), and NaN or
/// ±inf planted in the head, the vector middle and the tail of longer random inputs.
fn special_value_inputs() -> Vec<(String, Vec<f32>)> {
    let mut cases = vec![("[1, NaN, 3]".to_string(), vec![1.0, f32::NAN, 3.0])];
    for (n, at) in [
        (1usize, 0usize),
        (5, 4),
        (4097, 0),
        (4097, 2050),
        (1_000_003, 1_000_002),
    ] {
        for (name, x) in [
            ("NaN", f32::NAN),
            ("+inf", f32::INFINITY),
            ("-inf", f32::NEG_INFINITY),
        ] {
            let mut v = inputs::uniform(n, inputs::fresh_seed(), -1.0, 1.0);
            v[at] = x;
            cases.push((format!("n={n}, {name} at {at}"), v));
        }
    }
    cases.push(("all -inf".into(), vec![f32::NEG_INFINITY; 1000]));
    cases
}

/// Every reduce_max step and its twin propagate NaN (as `torch.max`), return +inf when one is
/// present and -inf for all -inf; reduce_sum gives NaN and ±inf as IEEE addition does.
pub fn reductions_propagate_nan_and_infinities(gpu: &Gpu) {
    for ladder in [&REDUCE_MAX, &REDUCE_SUM] {
        for (what, v) in special_value_inputs() {
            let want_nan = v.iter().any(|x| x.is_nan());
            for step in ladder.steps() {
                let mut case = ladder.prepare_values(gpu, &v, step.dtype).unwrap();
                let c = verify(case.as_mut(), gpu, Target::Step(step)).unwrap();
                assert!(c.passed(), "{} on {what}: {c}", step.symbol);
                let out = case.output(gpu).unwrap().values;
                assert_eq!(
                    out[0].is_nan(),
                    want_nan,
                    "{} on {what}: got {}",
                    step.symbol,
                    out[0]
                );
            }
            for b in ladder.baselines() {
                if gpu.is_emulated() {
                    break; // the CUDA C++ twins need NVRTC and a GPU
                }
                let mut case = ladder.prepare_values(gpu, &v, b.dtype).unwrap();
                let c = verify(case.as_mut(), gpu, Target::Baseline(b)).unwrap();
                assert!(c.passed(), "{} twin on {what}: {c}", ladder.name());
            }
        }
    }
}

/// The GPU tests of this module, run by the harness in main.rs.
pub const TESTS: &[crate::GpuTest] = &[
    (
        "device_reports_sane_properties",
        device_reports_sane_properties,
    ),
    (
        "a_bad_launch_is_an_error_naming_the_kernel_not_a_panic",
        a_bad_launch_is_an_error_naming_the_kernel_not_a_panic,
    ),
    (
        "sums_of_small_integers_are_exact",
        sums_of_small_integers_are_exact,
    ),
    (
        "max_finds_a_planted_maximum_anywhere",
        max_finds_a_planted_maximum_anywhere,
    ),
    (
        "reductions_propagate_nan_and_infinities",
        reductions_propagate_nan_and_infinities,
    ),
];
