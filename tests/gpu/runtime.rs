//! The runtime: device facts, typed errors for bad launches, exact reductions.

use kernel_lab::Error;
use kernel_lab::inputs;
use kernel_lab::ladders::reduce::{REDUCE_MAX, REDUCE_SUM};
use kernel_lab::registry::{self, Case, Ladder};
use kernel_lab::runtime::{DeviceBuffer, Launch};
use kernel_lab::testing::gpu_or_skip;
use kernels_gpu::vector_add::VectorAddParams;

#[test]
fn device_reports_sane_properties() {
    let Some(gpu) = gpu_or_skip("device_reports_sane_properties") else {
        return;
    };
    let i = gpu.info();
    assert!(
        i.sm_count > 0 && i.l2_bytes > 0 && i.total_memory_bytes > 0,
        "{i:?}"
    );
    assert!(i.compute_capability.0 >= 8, "kernels target sm_80+: {i:?}");
}

#[test]
fn a_bad_launch_is_an_error_naming_the_kernel_not_a_panic() {
    let Some(gpu) = gpu_or_skip("a_bad_launch_is_an_error_naming_the_kernel_not_a_panic") else {
        return;
    };
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
        other => panic!("expected a launch error, got {other}"),
    }
    assert!(err.to_string().contains(step.symbol), "{err}");
}

#[test]
fn sums_of_small_integers_are_exact() {
    let Some(gpu) = gpu_or_skip("sums_of_small_integers_are_exact") else {
        return;
    };
    for step in REDUCE_SUM.steps() {
        for n in [1usize, 33, 4097, 1_000_003] {
            let v = inputs::small_integers(n, inputs::fresh_seed(), 8);
            let mut case = REDUCE_SUM.prepare_values(gpu, &v).unwrap();
            let c = case.verify(gpu, step).unwrap();
            assert!(
                c.max_abs_err == 0.0 && c.passed(),
                "{} n={n}: {c}",
                step.symbol
            );
        }
    }
}

#[test]
fn max_finds_a_planted_maximum_anywhere() {
    let Some(gpu) = gpu_or_skip("max_finds_a_planted_maximum_anywhere") else {
        return;
    };
    for step in REDUCE_MAX.steps() {
        for (n, at) in [(1usize, 0usize), (1000, 999), (1_000_003, 517_123)] {
            let mut v = inputs::uniform(n, inputs::fresh_seed(), -2.0, -1.0);
            v[at] = 3.5;
            let mut case = REDUCE_MAX.prepare_values(gpu, &v).unwrap();
            let c = case.verify(gpu, step).unwrap();
            assert!(c.passed(), "{} n={n} at={at}: {c}", step.symbol);
        }
    }
}
