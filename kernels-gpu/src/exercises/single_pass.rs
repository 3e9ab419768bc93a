//! Exercise `single-pass`: given reduce_sum/7, write reduce_sum/8.
//!
//! **Your file.** Write the kernel below, set [`IMPLEMENTED`] to `true`, then
//! `cargo run -q -- grade single-pass` (docs/course/exercises.md). Until then the grader says
//! "not implemented" and exits 1. The file is always built: it must compile (the stub does).
//!
//! **What to write:** reduce_sum/7 (kernels-gpu/src/reduce/s07_vectorized.rs) in one launch: each
//! block writes its partial to `partials[blockIdx.x]`, makes it visible (`fence`), and bumps
//! `counter` atomically; the block that sees `gridDim.x - 1` is the last and reduces the
//! partials into `output[0]`, then sets `counter` back to 0. Without a GPU the grader runs
//! it on the emulator, whose checks find shared-memory races and barrier mistakes in the
//! block reduction, and whose block interleavings (`KLAB_EMU_SEED`) catch a wrong last-block
//! test; the emulator's memory is sequentially consistent, so a *missing fence* passes there:
//! the review card's `MEMBAR` row (a fence is one) is where a reviewer sees it.
//!
//! **How it is launched:** reduce_sum/8's launch: `Grid::SinglePass { threads: 256, blocks_per_sm: 4 }`, a fixed
//! grid (at most 4 blocks per SM), one launch per sum.
//! The grader runs your kernel through that step's own host code with the same parameter
//! struct, on fresh random inputs at awkward shapes, and checks it against the float64
//! reference (`klab grade single-pass --solution` grades the ladder's own step instead).
#[allow(unused_imports)]
use crate::reduce::ReduceSinglePassParams;
#[allow(unused_imports)]
use crate::gpu::{math, sync_threads, thread, warp};

/// Set to `true` when the kernel below is written (the grader reads it).
pub const IMPLEMENTED: bool = false;

kernel! {
    /// Your kernel (the stub does nothing: replace its body).
    fn exercise_single_pass(p: ReduceSinglePassParams) {
        let _ = p;
    }
}
