//! Exercise `coalescing`: given gemm/1, write gemm/2.
//!
//! **Your file.** Write the kernel below, set [`IMPLEMENTED`] to `true`, then
//! `cargo run -q -- grade coalescing` (docs/course/exercises.md). Until then the grader says
//! "not implemented" and exits 1. The file is always built: it must compile (the stub does).
//!
//! **What to write:** `C = α·A·B + β·C` (row-major, `A` is `m × k`, `B` is `k × n`), one
//! thread per element of C, as gemm/1 (kernels-gpu/src/gemm/s01_naive.rs), but with
//! `threadIdx.x` mapped to the column, so the 32 lanes of a warp read 32 consecutive elements
//! of a row of B and write 32 consecutive elements of C: coalesced.
//!
//! **How it is launched:** gemm/2's launch: `Grid::ColMajorThreads`: blocks of 32 × 32 threads, grid
//! `(ceil(n / 32), ceil(m / 32))`, so `blockIdx.x` walks the columns of C.
//! The grader runs your kernel through that step's own host code with the same parameter
//! struct, on fresh random inputs at awkward shapes, and checks it against the float64
//! reference (`klab grade coalescing --solution` grades the ladder's own step instead).
#[allow(unused_imports)]
use crate::gemm::GemmParams;
#[allow(unused_imports)]
use crate::gpu::{math, sync_threads, thread, warp};

/// Set to `true` when the kernel below is written (the grader reads it).
pub const IMPLEMENTED: bool = false;

kernel! {
    /// Your kernel (the stub does nothing: replace its body).
    fn exercise_coalescing(p: GemmParams) {
        let _ = p;
    }
}
