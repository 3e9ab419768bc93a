//! Every step of every registered ladder: on the ladder's awkward shapes, then on random
//! shapes (proptest; `KLAB_PROPTEST_CASES` sets the count).

use crate::common::{check_step, shape_strategy};
use kernel_lab::registry;
use kernel_lab::testing::{gpu_or_skip, proptest_cases};
use proptest::test_runner::{Config, TestRunner};

#[test]
fn every_step_on_awkward_shapes() {
    let Some(gpu) = gpu_or_skip("every_step_on_awkward_shapes") else {
        return;
    };
    for ladder in registry::all_ladders() {
        for step in ladder.steps() {
            for shape in ladder.awkward_shapes() {
                check_step(gpu, ladder, step, &shape);
            }
        }
    }
}

#[test]
fn every_step_on_random_shapes() {
    let Some(gpu) = gpu_or_skip("every_step_on_random_shapes") else {
        return;
    };
    for ladder in registry::all_ladders() {
        for step in ladder.steps() {
            let mut runner = TestRunner::new(Config {
                cases: proptest_cases(),
                failure_persistence: None,
                ..Config::default()
            });
            runner
                .run(&shape_strategy(ladder.dims()), |shape| {
                    check_step(gpu, ladder, step, &shape);
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{}: {e}", step.symbol));
        }
    }
}

#[test]
fn every_step_on_its_benchmark_shape() {
    let Some(gpu) = gpu_or_skip("every_step_on_its_benchmark_shape") else {
        return;
    };
    for ladder in registry::all_ladders() {
        for step in ladder.steps() {
            for shape in ladder.bench_shapes() {
                check_step(gpu, ladder, step, &shape);
            }
        }
    }
}
