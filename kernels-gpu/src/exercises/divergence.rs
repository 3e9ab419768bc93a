//! Exercise `divergence`: given reduce_sum/1, write reduce_sum/2.
//!
//! **Your file.** Write the kernel below, set [`IMPLEMENTED`] to `true`, then
//! `cargo run -q -- grade divergence` (docs/course/exercises.md). Until then the grader says
//! "not implemented" and exits 1. The file is always built: it must compile (the stub does).
//!
//! **What to write:** the same shared-memory tree as reduce_sum/1
//! (kernels-gpu/src/reduce/s01_interleaved.rs), without its divergent branch: instead of
//! `if tid % (2·s) == 0`, let thread `tid` work on index `2·s·tid` while that is inside the
//! block, so the threads doing work are contiguous (whole warps) at every level. Use
//! `shared_array!` for the tile and keep `sync_threads()` out of any `if`.
//!
//! **How it is launched:** reduce_sum/2's launch: `Grid::Tree { threads: 256, per_thread: 1 }`: block `b` reduces
//! `input[256·b .. 256·b + 256]` (fewer in the last block) to `output[b]`; the host launches
//! again on the partials until one value is left.
//! The grader runs your kernel through that step's own host code with the same parameter
//! struct, on fresh random inputs at awkward shapes, and checks it against the float64
//! reference (`klab grade divergence --solution` grades the ladder's own step instead).
#[allow(unused_imports)]
use crate::reduce::ReduceParams;
#[allow(unused_imports)]
use crate::gpu::{math, sync_threads, thread, warp};

/// Set to `true` when the kernel below is written (the grader reads it).
pub const IMPLEMENTED: bool = false;

kernel! {
    /// Your kernel (the stub does nothing: replace its body).
    fn exercise_divergence(p: ReduceParams) {
        let _ = p;
    }
}
