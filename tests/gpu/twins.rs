//! Every ladder baseline that is a CUDA C++ twin (NVRTC), verified like a step on all of its
//! ladder's awkward shapes and on its benchmark shape.

use crate::common::check;
use kernel_lab::registry::{BaselineKind, Target};
use kernel_lab::runtime::Gpu;

pub fn every_cuda_cpp_twin_matches_the_reference(gpu: &Gpu) {
    let mut checked = 0;
    for ladder in kernel_lab::testing::ladders_under_test() {
        let twins = ladder
            .baselines()
            .iter()
            .filter(|b| b.kind == BaselineKind::CudaCppTwin);
        for b in twins {
            // Every awkward shape (a twin launch is cheap), then the benchmark shape.
            let mut shapes = ladder.awkward_shapes();
            shapes.extend(ladder.bench_shapes());
            for shape in shapes {
                check(gpu, ladder, Target::Baseline(b), &shape);
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "no CUDA C++ twin is registered");
}

/// The GPU tests of this module, run by the harness in main.rs.
pub const TESTS: &[crate::GpuTest] = &[(
    "every_cuda_cpp_twin_matches_the_reference",
    every_cuda_cpp_twin_matches_the_reference,
)];
