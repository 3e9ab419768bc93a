//! The generic test body every ladder's steps run through, and shape strategies.

use kernel_lab::inputs;
use kernel_lab::registry::{Ladder, StepInfo, Target, verify};
use kernel_lab::runtime::Gpu;
use kernel_lab::shape::Shape;
use proptest::prelude::*;

/// Whether the device runs `step`; if not (an sm_90a step elsewhere than on compute capability
/// 9.0), prints the one line saying it is skipped.
pub fn runs(gpu: &Gpu, step: &StepInfo) -> bool {
    match gpu.skips(step) {
        Some(line) => {
            eprintln!("{line}");
            false
        }
        None => true,
    }
}

/// Verifies `step` of `ladder` on `shape` with fresh random inputs; panics with the seed and
/// the first mismatches on failure.
pub fn check_step(gpu: &Gpu, ladder: &dyn Ladder, step: &StepInfo, shape: &Shape) {
    check(gpu, ladder, Target::Step(step), shape);
}

/// Verifies `target` (a step or a baseline) of `ladder` on `shape` with fresh random inputs of
/// its element type, through the one check every caller uses ([`verify`]).
pub fn check(gpu: &Gpu, ladder: &dyn Ladder, target: Target<'_>, shape: &Shape) {
    let seed = inputs::fresh_seed();
    let what = match target {
        Target::Step(s) => s.symbol.to_string(),
        Target::Baseline(b) => b.label(ladder.name()),
    };
    let mut case = ladder
        .prepare(gpu, shape, target.dtype(), seed)
        .unwrap_or_else(|e| panic!("{what} at {shape}: prepare failed: {e}"));
    let c = verify(case.as_mut(), gpu, target)
        .unwrap_or_else(|e| panic!("{what} at {shape} (seed {seed}): {e}"));
    assert!(c.passed(), "{what} at {shape} (KLAB_SEED={seed}): {c}");
}

/// Shapes for a ladder of `dims` dimensions: 1, tile − 1, tile + 1, primes and large sizes
/// (tile = 32, the warp and the usual tile edge), plus random ones.
pub fn shape_strategy(dims: usize) -> BoxedStrategy<Shape> {
    let edge = prop_oneof![
        Just(1usize),
        Just(31),
        Just(33),
        Just(127),
        Just(129),
        Just(257),
        Just(1021),
        1usize..600,
    ];
    match dims {
        1 => prop_oneof![
            edge.prop_map(Shape::n),
            (1usize..300_000).prop_map(Shape::n),
            Just(Shape::n(1_000_003)),
        ]
        .boxed(),
        d => proptest::collection::vec(edge, d).prop_map(Shape).boxed(),
    }
}
