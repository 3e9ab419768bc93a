//! GEMM specifics beyond the generic ladder tests: every step-9 variant (the generic tests run
//! only the variant step 9 picks for each shape) and both baselines, on awkward shapes; the bf16
//! ladder's baselines and step 6's choice between its TMA kernel and step 5's.

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

/// The bf16 ladder's baselines (cuBLAS `cublasGemmEx`, the C++ twin of step 4) against the
/// reference, on awkward shapes and one large one.
pub fn bf16_baselines_match_the_reference(gpu: &Gpu) {
    use kernel_lab::ladders::gemm_bf16::GemmBf16;
    for dims in [
        [17, 33, 65],
        [129, 127, 9],
        [255, 513, 136],
        [1024, 1024, 1024],
    ] {
        let shape = Shape(dims.to_vec());
        for b in GemmBf16.baselines() {
            crate::common::check(gpu, &GemmBf16, Target::Baseline(b), &shape);
        }
    }
}

/// Step 6 launches its TMA kernel where `K` and `N` are multiples of 8, and step 5's kernel
/// otherwise; both verify. Skipped (one line) off compute capability 9.0.
pub fn bf16_step_6_uses_the_tma_kernel_where_it_can(gpu: &Gpu) {
    use kernel_lab::ladders::gemm_bf16::GemmBf16;
    let (_, step) = registry::find("gemm_bf16/6").unwrap();
    if !crate::common::runs(gpu, step) {
        return;
    }
    for (dims, want) in [
        ([256, 512, 200], step.symbols[0]),
        ([136, 264, 1032], step.symbols[0]),
        ([255, 513, 136], step.symbols[1]),
        ([64, 64, 13], step.symbols[1]),
    ] {
        let shape = Shape(dims.to_vec());
        gpu.forget_launches();
        crate::common::check_step(gpu, &GemmBf16, step, &shape);
        let (launched, _) = gpu
            .latest_launched(|s| step.symbols.contains(&s))
            .expect("a launch of step 6");
        assert_eq!(launched, want, "gemm_bf16/6 at {shape}");
    }
}

/// The GPU tests of this module, run by the harness in main.rs.
pub const TESTS: &[crate::GpuTest] = &[
    (
        "bf16_baselines_match_the_reference",
        bf16_baselines_match_the_reference,
    ),
    (
        "bf16_step_6_uses_the_tma_kernel_where_it_can",
        bf16_step_6_uses_the_tma_kernel_where_it_can,
    ),
    (
        "every_step_9_variant_on_awkward_shapes",
        every_step_9_variant_on_awkward_shapes,
    ),
    (
        "baselines_match_the_reference",
        baselines_match_the_reference,
    ),
];
