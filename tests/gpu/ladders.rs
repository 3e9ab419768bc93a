//! Every step of every registered ladder: on the ladder's awkward shapes, then on random
//! shapes (proptest; `KLAB_PROPTEST_CASES` sets the count). On the emulator
//! (`KLAB_EMULATE=1`) the shapes too large to emulate are left out.

use crate::common::{check_step, runs, shape_strategy};
use kernel_lab::runtime::Gpu;
use kernel_lab::testing::{emulator_can_run, proptest_cases, skip_if_emulated};
use proptest::test_runner::{Config, TestRunner};

pub fn every_step_on_awkward_shapes(gpu: &Gpu) {
    for ladder in kernel_lab::testing::ladders_under_test() {
        for step in ladder.steps().into_iter().filter(|s| runs(gpu, s)) {
            for shape in ladder.awkward_shapes() {
                if !emulator_can_run(gpu, ladder, &shape, step.dtype) {
                    continue;
                }
                check_step(gpu, ladder, step, &shape);
            }
        }
    }
}

pub fn every_step_on_random_shapes(gpu: &Gpu) {
    for ladder in kernel_lab::testing::ladders_under_test() {
        for step in ladder.steps().into_iter().filter(|s| runs(gpu, s)) {
            let mut runner = TestRunner::new(Config {
                cases: proptest_cases(),
                failure_persistence: None,
                ..Config::default()
            });
            runner
                .run(&shape_strategy(ladder.dims()), |draw| {
                    let shape = ladder.shape_from_draw(draw);
                    if emulator_can_run(gpu, ladder, &shape, step.dtype) {
                        check_step(gpu, ladder, step, &shape);
                    }
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{}: {e}", step.symbol));
        }
    }
}

pub fn every_step_on_its_benchmark_shape(gpu: &Gpu) {
    skip_if_emulated(gpu, "the benchmark's shapes (too large to emulate)");
    for ladder in kernel_lab::testing::ladders_under_test() {
        for step in ladder.steps().into_iter().filter(|s| runs(gpu, s)) {
            for shape in ladder.bench_shapes() {
                check_step(gpu, ladder, step, &shape);
            }
        }
    }
}

/// The GPU tests of this module, run by the harness in main.rs.
pub const TESTS: &[crate::GpuTest] = &[
    ("every_step_on_awkward_shapes", every_step_on_awkward_shapes),
    ("every_step_on_random_shapes", every_step_on_random_shapes),
    (
        "every_step_on_its_benchmark_shape",
        every_step_on_its_benchmark_shape,
    ),
];
