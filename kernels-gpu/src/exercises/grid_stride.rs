//! Exercise `grid-stride`: given saxpy/1, write saxpy/2.
//!
//! **Your file.** Write the kernel below, set [`IMPLEMENTED`] to `true`, then
//! `cargo run -q -- grade grid-stride` (docs/course/exercises.md). Until then the grader says
//! "not implemented" and exits 1. The file is always built: it must compile (the stub does).
//!
//! **What to write:** `y[i] = a·x[i] + y[i]` for every `i < p.n`, in place. saxpy/1
//! (kernels-gpu/src/saxpy/s01_naive.rs) gives each thread one element and launches `n / 256`
//! blocks; here the grid is fixed, so each thread must walk the array in steps of the whole
//! grid (`thread::grid_stride_1d()`) until it passes `n`.
//!
//! **How it is launched:** saxpy/2's launch: `Grid::Stride { threads: 256, blocks_per_sm: 8, per_thread: 1 }`, a fixed grid of
//! at most 8 blocks per SM (fewer for small `n`), 256 threads each, 1-D.
//! The grader runs your kernel through that step's own host code with the same parameter
//! struct, on fresh random inputs at awkward shapes, and checks it against the float64
//! reference (`klab grade grid-stride --solution` grades the ladder's own step instead).
#[allow(unused_imports)]
use crate::saxpy::SaxpyParams;
#[allow(unused_imports)]
use crate::gpu::{math, sync_threads, thread, warp};

/// Set to `true` when the kernel below is written (the grader reads it).
pub const IMPLEMENTED: bool = false;

kernel! {
    /// Your kernel (the stub does nothing: replace its body).
    fn exercise_grid_stride(p: SaxpyParams) {
        let _ = p;
    }
}
