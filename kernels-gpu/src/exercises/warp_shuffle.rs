//! Exercise `warp-shuffle`: given reduce_sum/4, write reduce_sum/5.
//!
//! **Your file.** Write the kernel below, set [`IMPLEMENTED`] to `true`, then
//! `cargo run -q -- grade warp-shuffle` (docs/course/exercises.md). Until then the grader says
//! "not implemented" and exits 1. The file is always built: it must compile (the stub does).
//!
//! **What to write:** reduce_sum/4 (kernels-gpu/src/reduce/s04_add_during_load.rs) whose last
//! five tree levels (32 values and fewer) are done with warp shuffles
//! (`crate::gpu::warp::reduce_sum`) instead of shared memory and barriers.
//!
//! **How it is launched:** reduce_sum/5's launch: `Grid::Tree { threads: 256, per_thread: 2 }`: block `b` reduces
//! `input[512·b .. 512·b + 512]` to `output[b]`.
//! The grader runs your kernel through that step's own host code with the same parameter
//! struct, on fresh random inputs at awkward shapes, and checks it against the float64
//! reference (`klab grade warp-shuffle --solution` grades the ladder's own step instead).
#[allow(unused_imports)]
use crate::reduce::ReduceParams;
#[allow(unused_imports)]
use crate::gpu::{math, sync_threads, thread, warp};

/// Set to `true` when the kernel below is written (the grader reads it).
pub const IMPLEMENTED: bool = false;

kernel! {
    /// Your kernel (the stub does nothing: replace its body).
    fn exercise_warp_shuffle(p: ReduceParams) {
        let _ = p;
    }
}
