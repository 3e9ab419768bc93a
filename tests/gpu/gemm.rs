//! GEMM specifics beyond the generic ladder tests: every step-9 variant (the generic tests run
//! only the variant step 9 picks for each shape) and both baselines, on awkward shapes.

use kernel_lab::inputs;
use kernel_lab::ladders::gemm::Gemm;
use kernel_lab::registry::{self, Ladder, Target, verify};
use kernel_lab::runtime::Gpu;
use kernel_lab::shape::Shape;
use kernels_gpu::gemm::S09_VARIANTS;

const SHAPES: &[[usize; 3]] = &[
    [1, 1, 1],
    [17, 33, 65],
    [1000, 1, 1000],
    [1, 4097, 3],
    [129, 127, 9],
    [257, 255, 33],
    [300, 260, 64],
];

pub fn every_step_9_variant_on_awkward_shapes(gpu: &Gpu) {
    let (_, step) = registry::find("gemm/9").unwrap();
    for dims in SHAPES {
        let shape = Shape(dims.to_vec());
        let seed = inputs::fresh_seed();
        let mut case = Gemm.prepare_gemm(gpu, &shape, seed).unwrap();
        for (i, (sym, _)) in S09_VARIANTS.iter().enumerate() {
            case.set_s09_variant(i);
            let c = verify(&mut case, gpu, Target::Step(step)).unwrap();
            assert!(c.passed(), "{sym} at {shape} (KLAB_SEED={seed}): {c}");
        }
    }
}

pub fn baselines_match_the_reference(gpu: &Gpu) {
    for dims in [[17, 33, 65], [129, 127, 9], [1024, 1024, 1024]] {
        let shape = Shape(dims.to_vec());
        let seed = inputs::fresh_seed();
        let mut case = Gemm.prepare_gemm(gpu, &shape, seed).unwrap();
        for b in Gemm.baselines() {
            let c = verify(&mut case, gpu, Target::Baseline(b))
                .unwrap_or_else(|e| panic!("{} at {shape}: {e}", b.name()));
            assert!(
                c.passed(),
                "{} at {shape} (KLAB_SEED={seed}): {c}",
                b.name()
            );
        }
    }
}

/// The GPU tests of this module, run by the harness in main.rs.
pub const TESTS: &[crate::GpuTest] = &[
    (
        "every_step_9_variant_on_awkward_shapes",
        every_step_9_variant_on_awkward_shapes,
    ),
    (
        "baselines_match_the_reference",
        baselines_match_the_reference,
    ),
];
