//! Challenge `challenge-reduce`: the reference solution is reduce_sum/8, the baseline reduce_sum/5.
//!
//! **Your file.** Write the kernel below, set [`IMPLEMENTED`] to `true`, then
//! `cargo run -q -- grade challenge-reduce` (docs/course/exercises.md). Until then the grader says
//! "not implemented" and exits 1. The file is always built: it must compile (the stub does).
//!
//! **What to write:** `output[0] = Σ input[0..n]` (f32), at least 1.6× as fast as reduce_sum/5 on
//! the challenge's shapes: docs/course/challenge.md, challenges/challenge-reduce.toml.
//!
//! **How it is launched:** reduce_sum/8's launch: `Grid::SinglePass { threads: 256, blocks_per_sm: 4 }` (a fixed grid,
//! one launch; `partials` has room for one value per block, `counter` is 0 at launch).
//! The grader runs your kernel through that step's own host code with the same parameter
//! struct, on fresh random inputs at awkward shapes, and checks it against the float64
//! reference (`klab grade challenge-reduce --solution` grades the ladder's own step instead).
#[allow(unused_imports)]
use crate::reduce::ReduceSinglePassParams;
#[allow(unused_imports)]
use crate::gpu::{math, sync_threads, thread, warp};

/// Set to `true` when the kernel below is written (the grader reads it).
pub const IMPLEMENTED: bool = false;

kernel! {
    /// Your kernel (the stub does nothing: replace its body).
    fn exercise_challenge_reduce(p: ReduceSinglePassParams) {
        let _ = p;
    }
}
