//! Exercise `unrolling`: given reduce_sum/5, write reduce_sum/6.
//!
//! **Your file.** Write the kernel below, set [`IMPLEMENTED`] to `true`, then
//! `cargo run -q -- grade unrolling` (docs/course/exercises.md). Until then the grader says
//! "not implemented" and exits 1. The file is always built: it must compile (the stub does).
//!
//! **What to write:** reduce_sum/5 (kernels-gpu/src/reduce/s05_warp_shuffle.rs) with the shared-memory
//! levels unrolled for the known block size (no loop counter, no `blockDim` test per level).
//!
//! **How it is launched:** reduce_sum/6's launch: `Grid::Tree { threads: 256, per_thread: 2 }`; the block size is
//! fixed (`S06_THREADS`), so the tree can be unrolled at compile time.
//! The grader runs your kernel through that step's own host code with the same parameter
//! struct, on fresh random inputs at awkward shapes, and checks it against the float64
//! reference (`klab grade unrolling --solution` grades the ladder's own step instead).
#[allow(unused_imports)]
use crate::reduce::ReduceParams;
#[allow(unused_imports)]
use crate::gpu::{math, sync_threads, thread, warp};

/// Set to `true` when the kernel below is written (the grader reads it).
pub const IMPLEMENTED: bool = false;

kernel! {
    /// Your kernel (the stub does nothing: replace its body).
    fn exercise_unrolling(p: ReduceParams) {
        let _ = p;
    }
}
