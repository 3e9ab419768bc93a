//! Every ladder baseline that is a CUDA C++ twin (NVRTC), verified like a step on all of its
//! ladder's awkward shapes and on its benchmark shape.

use kernel_lab::inputs;
use kernel_lab::registry;
use kernel_lab::runtime::Gpu;

pub fn every_cuda_cpp_twin_matches_the_reference(gpu: &Gpu) {
    let mut checked = 0;
    for ladder in registry::all_ladders() {
        let twins = ladder
            .baselines()
            .iter()
            .filter(|b| b.name == "cuda_cpp_twin");
        for b in twins {
            // Every awkward shape (a twin launch is cheap), then the benchmark shape.
            let mut shapes = ladder.awkward_shapes();
            shapes.extend(ladder.bench_shapes());
            for shape in shapes {
                let seed = inputs::fresh_seed();
                let mut case = ladder
                    .prepare(gpu, &shape, seed)
                    .unwrap_or_else(|e| panic!("{} at {shape}: prepare: {e}", ladder.name()));
                let c = case
                    .verify_baseline(gpu, b)
                    .unwrap_or_else(|e| panic!("{} twin at {shape}: {e}", ladder.name()));
                assert!(
                    c.passed(),
                    "{} twin of step {} at {shape} (KLAB_SEED={seed}): {c}",
                    ladder.name(),
                    b.of_step
                );
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
